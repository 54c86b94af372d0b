"""How well the built documentation site serves readers, one Sphinx theme beside another.

Opens the same pages of two (or more) builds of ``docs/`` in headless Chromium, driven over the
DevTools pipe by the ``Browser`` of ``tests/test_docs.py``, at a phone width (375 x 812 CSS px,
mobile emulation: the page's viewport tag applies) and a desktop width (1280 x 800), and measures:

- horizontal scrolling: ``document.documentElement.scrollWidth > clientWidth`` (the layout viewport:
  under mobile emulation Chromium zooms out to fit a page that is too wide, and ``window.innerWidth``
  then grows with the page, so ``scrollWidth > innerWidth`` misses it); body content that sticks out of
  the viewport; and a box around or inside the text (not a code block, table or maths) that scrolls
  sideways, as pydata-sphinx-theme's article box does when a word is too wide for it;
- search: a search field or search button on the page, and whether it shows in the first screen;
- navigation: the API reference pages linked from the home page's navigation (links outside the page
  body and footer, shown on screen), and the clicks needed to reach each API page from the home page
  by such links only; at the phone width, whether the navigation or a button that opens it shows in
  the first screen;
- the in-page table of contents of the user-guide pages with three sections or more: links to the
  page's own sections outside its body, shown at the desktop width in the first screen and halfway
  down the page; at the phone width, shown or one tap away in the first screen;
- page weight: the bytes on disk of the HTML, CSS and JavaScript a page loads (and gzip-compressed,
  as a server would send them), fonts apart, images left out;
- load time: the load event and the first contentful paint from local files, median of seven loads of
  three pages, the sites taking turns (local files: no network, so this is parsing and layout time);
- JavaScript errors (uncaught exceptions and console errors) while loading;
- the build: ``sphinx-build -W --keep-going -D plot_gallery=0`` (the gallery examples do not run).

Usage (each ``--build`` archives that git revision into a temporary folder and builds its docs there,
under ``nice -n 19``; ``--site`` measures a site already built)::

    python benchmarks/docs_theme_check.py --build alabaster=9ccc745 --build pydata=HEAD \\
        --out benchmarks/results_docs_theme.md
    python benchmarks/docs_theme_check.py --site alabaster=/tmp/a/html --site pydata=docs/_build/html

Needs Chromium (Debian: ``apt-get install -y chromium``) and the ``docs`` extra.
"""

import argparse
import gzip
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
PHONE = {"width": 375, "height": 812, "deviceScaleFactor": 1, "mobile": True}
DESKTOP = {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}
TIMED_PAGES = ("index.html", "user_guide/saving.html", "gen_modules/sklearn_ae.AutoencoderTransformer.html")
TIMED_RUNS = 7


def _test_helpers():
    spec = importlib.util.spec_from_file_location("_test_docs", ROOT / "tests" / "test_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(label, rev, workdir):
    """Build the docs of git revision ``rev`` as CI does, but without running the gallery."""
    src = Path(workdir) / label
    src.mkdir()
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    out = src / "docs" / "_build" / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-D", "plot_gallery=0", "-b", "html"]
    start = time.perf_counter()
    proc = subprocess.run([*cmd, "docs", str(out)], cwd=src, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    warnings = len(re.findall(r"\b(WARNING|ERROR):", log))
    if proc.returncode:
        print(log[-3000:], file=sys.stderr)
    return {"site": out, "rc": proc.returncode, "warnings": warnings, "seconds": seconds}


def pages(site):
    found = [site / "index.html", site / "getting_started.html", site / "user_guide.html"]
    for folder in ("user_guide", "auto_examples", "gen_modules"):
        found += sorted((site / folder).glob("*.html"))
    return [p for p in found if p.exists()]


# Everything measured on one page, once it has loaded (fonts included).
MEASURE = r"""
(async () => {
  await document.fonts.ready;
  await new Promise(done => setTimeout(done, 50));
  // the layout viewport: under mobile emulation Chromium zooms out to fit a page that is too wide, and
  // window.innerWidth then grows to the page's width (616 px instead of 375 px)
  const de = document.documentElement, W = de.clientWidth, H = window.innerHeight;
  const body = document.querySelector("article.bd-article") || document.querySelector("div.body");
  const shown = el => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden"
      && !el.closest("details:not([open]) > :not(summary)");
  };
  const onScreen = el => {
    if (!shown(el)) return false;
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < H && r.right > 0 && r.left < W;
  };
  const sticking = body ? [...body.querySelectorAll("*")].filter(e => {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= W + 1) return false;
    for (let p = e.parentElement; p && p !== document.body && p !== de; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible" && p.getBoundingClientRect().right <= W + 1) return false;
    }
    return true;
  }) : [];
  const outermost = sticking.filter(e => !sticking.includes(e.parentElement));
  // a box around or inside the body that scrolls sideways, other than a code block, a table or maths: the
  // reader of the text has to scroll it to see the end of its lines
  const scrolls = e => ["auto", "scroll"].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1;
  const codeOrTable = e => e.closest("pre, div.highlight, table, .pst-scrollable-table-container, div.math");
  const sideways = body ? [...document.querySelectorAll("body *")].filter(e =>
    (e.contains(body) || body.contains(e)) && scrolls(e) && !codeOrTable(e)) : [];
  const search = [...document.querySelectorAll(
    "input[name=q], input[type=search], button.search-button, button.search-button__button")];
  const nav = [...document.querySelectorAll("a[href]")].filter(a =>
    !(body && body.contains(a)) && !a.closest("footer, .footer, .bd-footer, .prev-next-area, .related"));
  const here = location.href.split("#")[0];
  const sections = body ? body.querySelectorAll("section > h2, section > h3").length : 0;
  const target = a => body && a.hash.length > 1 && document.getElementById(decodeURIComponent(a.hash.slice(1)));
  const toc = nav.filter(a => a.href.startsWith(here + "#") && target(a) && body.contains(target(a))
    && target(a).matches("section, h2, h3, span"));
  const h1 = body && body.querySelector("h1");
  const toggles = sel => [...document.querySelectorAll(sel)].some(onScreen);
  const text = body && body.querySelector("p");
  const scrollTocCheck = async () => {
    window.scrollTo(0, (de.scrollHeight - H) / 2);
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    const seen = toc.some(onScreen);
    window.scrollTo(0, 0);
    return seen;
  };
  return {
    scrollWidth: de.scrollWidth, innerWidth: window.innerWidth, clientWidth: W,
    h1Top: h1 ? h1.getBoundingClientRect().top + window.scrollY : null,
    sticking: outermost.map(e => e.tagName.toLowerCase() + (e.className ? "." + e.classList[0] : "")),
    sideways: sideways.map(e => `${e.tagName.toLowerCase()}.${e.classList[0]} ${e.scrollWidth}/${e.clientWidth} px`),
    search: search.length > 0,
    searchFirstScreen: search.some(onScreen),
    navShown: [...new Set(nav.filter(shown).map(a => a.href.split("#")[0]))],
    navFirstScreen: nav.some(a => onScreen(a) && !a.href.startsWith(here + "#"))
      || toggles("button.primary-toggle, label.sidebar-toggle, button[aria-label*=navigation i]"),
    sections,
    tocLinks: toc.length,
    tocFirstScreen: toc.some(onScreen),
    tocOneTap: toc.some(onScreen) || toggles("button.secondary-toggle, label.toc-overlay-icon"),
    tocHalfway: toc.length ? await scrollTocCheck() : false,
    skipLink: !!document.querySelector("a.skip-link, a[href='#main-content']"),
    fontPx: text ? parseFloat(getComputedStyle(text).fontSize) : null,
  };
})()
"""

TIMING = r"""
(async () => {
  const nav = () => performance.getEntriesByType("navigation")[0];
  while (!nav() || nav().loadEventEnd === 0) await new Promise(done => setTimeout(done, 10));
  const fcp = () => performance.getEntriesByName("first-contentful-paint")[0];
  for (let i = 0; i < 50 && !fcp(); i++) await new Promise(done => setTimeout(done, 10));
  const paint = fcp();
  return {load: nav().loadEventEnd, fcp: paint ? paint.startTime : null};
})()
"""


def _file(url):
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def weight(page, resources):
    """Bytes on disk of what the page loaded, by kind; and the HTML+CSS+JS gzip-compressed."""
    out = {"html+css+js": 0, "gzip": 0, "fonts": 0}
    for path in {page, *filter(None, map(_file, resources))}:
        if not path.is_file():
            continue
        data = path.read_bytes()
        suffix = path.suffix.lower()
        if suffix in (".html", ".css", ".js", ".mjs"):
            out["html+css+js"] += len(data)
            out["gzip"] += len(gzip.compress(data, 6))
        elif suffix in (".woff", ".woff2", ".ttf", ".otf", ".eot"):
            out["fonts"] += len(data)
    return out


def _requests(events):
    return [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"]


def _errors(events):
    found = []
    for e in events:
        if e.get("method") == "Runtime.exceptionThrown":
            found.append(e["params"]["exceptionDetails"].get("text", "exception"))
        elif e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") == "error":
            found.append(" ".join(str(a.get("value", "")) for a in e["params"].get("args", [])))
    return found


def measure(browser, site):
    listed = pages(site)
    out = {"pages": [p.relative_to(site).as_posix() for p in listed], "errors": []}
    browser.call("Network.enable", session=True)
    browser.call("Network.setCacheDisabled", session=True, cacheDisabled=True)
    for name, metrics in (("phone", PHONE), ("desktop", DESKTOP)):
        browser.call("Emulation.setDeviceMetricsOverride", session=True, **metrics)
        rows = {}
        for page in listed:
            browser.open(page)
            rows[page.relative_to(site).as_posix()] = row = browser.evaluate(MEASURE)
            row["weight"] = weight(page, _requests(browser._events))
            out["errors"] += [f"{page.name}: {e}" for e in _errors(browser._events)]
        out[name] = rows
    return out


def timings(browser, sites):
    """Median load event and first contentful paint per site; the sites take turns page by page, so that
    whatever else runs on the machine slows them alike."""
    browser.call("Emulation.setDeviceMetricsOverride", session=True, **DESKTOP)
    loads = {label: [] for label in sites}
    paints = {label: [] for label in sites}
    for _ in range(TIMED_RUNS):
        for name in TIMED_PAGES:
            for label, site in sites.items():
                browser.open(site / name)
                t = browser.evaluate(TIMING)
                loads[label].append(t["load"])
                if t["fcp"] is not None:
                    paints[label].append(t["fcp"])
    return {
        label: (statistics.median(loads[label]), statistics.median(paints[label]) if paints[label] else None)
        for label in sites
    }


def reach(result, site):
    """Clicks from the home page to each API page through the navigation links shown at the desktop width."""
    desktop = result["desktop"]
    api = {n for n in desktop if n.startswith("gen_modules/") and n != "gen_modules/api.html"}

    def rel(url):
        path = _file(url)
        try:
            return path.relative_to(site).as_posix() if path else None
        except ValueError:
            return None

    home_links = {rel(u) for u in desktop["index.html"]["navShown"]}
    depth, frontier = {"index.html": 0}, ["index.html"]
    while frontier:
        nxt = []
        for page in frontier:
            for link in map(rel, desktop.get(page, {}).get("navShown", [])):
                if link in desktop and link not in depth:
                    depth[link] = depth[page] + 1
                    nxt.append(link)
        frontier = nxt
    clicks = [depth[n] for n in api if n in depth]
    return {
        "api": len(api),
        "home": len(api & home_links),
        "reached": len(clicks),
        "max_clicks": max(clicks) if clicks else None,
    }


def _count(rows, test):
    return sum(1 for row in rows.values() if test(row))


def _median_range(values):
    values = sorted(values)
    return f"{statistics.median(values) / 1024:.0f} ({values[0] / 1024:.0f}-{values[-1] / 1024:.0f})"


def table(results, builds, command):
    labels = list(results)
    rows = []

    def add(what, fn):
        rows.append((what, *(fn(label) for label in labels)))

    if builds:
        add(
            "Build `-W --keep-going -D plot_gallery=0`: exit code, warnings, seconds",
            lambda lb: (
                f"{builds[lb]['rc']}, {builds[lb]['warnings']}, {builds[lb]['seconds']:.0f} s"
                if lb in builds
                else "(built elsewhere)"
            ),
        )
    add("Pages measured", lambda lb: str(len(results[lb]["pages"])))
    for width, key in (("375 px", "phone"), ("1280 px", "desktop")):
        add(
            f"Pages that scroll horizontally at {width} (scrollWidth > clientWidth)",
            lambda lb, k=key: str(_count(results[lb][k], lambda r: r["scrollWidth"] > r["clientWidth"])),
        )
        add(
            f"Pages with body content sticking out of the viewport at {width}",
            lambda lb, k=key: str(_count(results[lb][k], lambda r: r["sticking"])),
        )
        add(
            f"Pages whose text column (not a code block, table or maths) scrolls sideways at {width}",
            lambda lb, k=key: str(_count(results[lb][k], lambda r: r["sideways"])),
        )
    add("Pages with a search field or button", lambda lb: str(_count(results[lb]["desktop"], lambda r: r["search"])))
    for width, key in (("375 px", "phone"), ("1280 px", "desktop")):
        add(
            f"Pages whose search shows in the first screen at {width}",
            lambda lb, k=key: str(_count(results[lb][k], lambda r: r["searchFirstScreen"])),
        )
    add(
        "Pages whose navigation (or its button) shows in the first screen at 375 px",
        lambda lb: str(_count(results[lb]["phone"], lambda r: r["navFirstScreen"])),
    )
    add(
        "Where the page's title starts at 375 px (px from the top, median)",
        lambda lb: f"{statistics.median(r['h1Top'] for r in results[lb]['phone'].values() if r['h1Top']):.0f}",
    )
    add(
        "API pages linked from the home page's navigation (not its body), of all",
        lambda lb: f"{results[lb]['reach']['home']} of {results[lb]['reach']['api']}",
    )
    add(
        "API pages reachable from home by navigation links alone; most clicks",
        lambda lb: f"{results[lb]['reach']['reached']}; {results[lb]['reach']['max_clicks']}",
    )
    guide = {
        lb: {n: r for n, r in results[lb]["desktop"].items() if n.startswith("user_guide/") and r["sections"] >= 3}
        for lb in labels
    }
    phone_guide = {lb: {n: results[lb]["phone"][n] for n in guide[lb]} for lb in labels}
    n_guide = {lb: len(guide[lb]) for lb in labels}
    add("User-guide pages with 3+ sections", lambda lb: str(n_guide[lb]))
    add(
        "... with an in-page table of contents (links to own sections, outside the body) at 1280 px",
        lambda lb: str(_count(guide[lb], lambda r: r["tocLinks"] >= r["sections"] // 2)),
    )
    add(
        "... its table shows in the first screen / halfway down at 1280 px",
        lambda lb: (
            f"{_count(guide[lb], lambda r: r['tocFirstScreen'])} / {_count(guide[lb], lambda r: r['tocHalfway'])}"
        ),
    )
    add(
        "... its table shows, or its button does, in the first screen at 375 px",
        lambda lb: str(_count(phone_guide[lb], lambda r: r["tocOneTap"])),
    )
    add(
        "Pages with a skip-to-content link",
        lambda lb: str(_count(results[lb]["desktop"], lambda r: r["skipLink"])),
    )
    add(
        "Body text size at 375 px (px, median)",
        lambda lb: f"{statistics.median(r['fontPx'] for r in results[lb]['phone'].values() if r['fontPx']):.1f}",
    )
    add(
        "HTML+CSS+JS loaded per page, KiB on disk: median (min-max)",
        lambda lb: _median_range([r["weight"]["html+css+js"] for r in results[lb]["desktop"].values()]),
    )
    add(
        "... gzip-compressed, KiB: median (min-max)",
        lambda lb: _median_range([r["weight"]["gzip"] for r in results[lb]["desktop"].values()]),
    )
    add(
        "Web fonts loaded per page, KiB: median",
        lambda lb: f"{statistics.median(r['weight']['fonts'] for r in results[lb]['desktop'].values()) / 1024:.0f}",
    )
    add(
        f"Load event / first contentful paint, ms (median of {TIMED_RUNS} loads x {len(TIMED_PAGES)} pages)",
        lambda lb: (
            f"{results[lb]['load_ms']:.0f} / "
            + (f"{results[lb]['fcp_ms']:.0f}" if results[lb]["fcp_ms"] is not None else "none reported")
        ),
    )
    add("JavaScript errors while loading", lambda lb: str(len(results[lb]["errors"])))

    lines = ["| Measure | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    details = []
    for lb in labels:
        for key, width in (("phone", "375 px"), ("desktop", "1280 px")):
            wide = [
                f"{n} ({r['scrollWidth']} px; {', '.join([*r['sticking'][:3], *r['sideways'][:1]])})"
                for n, r in results[lb][key].items()
                if r["scrollWidth"] > r["clientWidth"] or r["sticking"] or r["sideways"]
            ]
            if wide:
                details.append(f"- {lb}, {width}, too wide: " + "; ".join(wide))
        details += [f"- {lb}, JavaScript error: {e}" for e in results[lb]["errors"][:5]]
    return "\n".join([*lines, "", f"Reproduce: `{command}`", "", *details])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", action="append", default=[], metavar="LABEL=REV", help="git revision to build")
    parser.add_argument("--site", action="append", default=[], metavar="LABEL=DIR", help="site already built")
    parser.add_argument("--out", type=Path, help="write the markdown table here")
    parser.add_argument("--json", type=Path, help="write every page's measures here")
    args = parser.parse_args()
    os.nice(19)  # the builds and the browser yield to anything else on the machine
    helpers = _test_helpers()
    chromium = helpers._chromium()
    if chromium is None:
        sys.exit("no Chromium found (Debian: apt-get install -y chromium)")
    builds, sites = {}, {}
    with tempfile.TemporaryDirectory(prefix="docs-theme-") as workdir:
        for spec in args.build:
            label, rev = spec.split("=", 1)
            print(f"building {label} from {rev} ...", file=sys.stderr)
            builds[label] = build(label, rev, workdir)
            sites[label] = builds[label]["site"]
        for spec in args.site:
            label, folder = spec.split("=", 1)
            sites[label] = Path(folder).resolve()
        results = {}
        with tempfile.TemporaryDirectory(prefix="docs-theme-chromium-") as profile:
            browser = helpers.Browser(chromium, profile)
            try:
                for label, site in sites.items():
                    print(f"measuring {label} ({site}) ...", file=sys.stderr)
                    results[label] = measure(browser, site)
                    results[label]["reach"] = reach(results[label], site)
                print("timing the loads ...", file=sys.stderr)
                for label, (load, fcp) in timings(browser, sites).items():
                    results[label]["load_ms"], results[label]["fcp_ms"] = load, fcp
            finally:
                browser.close()
        shutil.rmtree(workdir, ignore_errors=True)
    command = "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])
    text = table(results, builds, command)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
