"""The built documentation site renders in a real browser, with its figures.

Opens the pages of ``docs/_build/html`` (built by ``make docs``) in headless
Chromium, driven over the DevTools protocol through a pipe (one browser for
all pages), and checks that each page loads, has its title and body, and
that every image on it is decoded by the browser; that each gallery example
ran and shows its figures; that every public name has its reference page;
and that a screenshot of an example page is not blank.

Skips, saying why, when the docs are not built or no Chromium is installed
(Debian: ``apt-get install -y chromium``).
"""

import base64
import contextlib
import importlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "docs" / "_build" / "html"
PUBLIC_MODULES = (
    "sklearn_ae",
    "sklearn_ae.plotting",
    "sklearn_ae.datasets",
    "sklearn_ae.nn",
    "sklearn_ae.onnx",
    "sklearn_ae.exceptions",
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1280,1600",
)


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _pages():
    if not (BUILD / "index.html").exists():
        return []
    pages = [BUILD / "index.html", BUILD / "getting_started.html", BUILD / "user_guide.html"]
    pages += sorted((BUILD / "user_guide").glob("*.html"))
    pages += sorted((BUILD / "auto_examples").glob("*.html"))
    pages += sorted((BUILD / "gen_modules").glob("*.html"))
    return [p for p in pages if p.exists()]


PAGES = _pages()
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("plot_*.py"))

pytestmark = [
    pytest.mark.skipif(not PAGES, reason=f"the docs are not built ({BUILD} is missing): run `make docs` first"),
    pytest.mark.skipif(_chromium() is None, reason="no Chromium found (Debian: apt-get install -y chromium)"),
]


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4)."""

    def __init__(self, binary, user_data_dir):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_pipes():  # runs in the child, before exec: Chromium reads fd 3, writes fd 4
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)
            # dup2 onto itself leaves close-on-exec set: a pipe end that already was fd 3 (outside pytest,
            # which holds the low fds) would be closed at exec
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={user_data_dir}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_pipes,
            close_fds=False,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self._events = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Runtime.enable", session=True)

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, session=False, timeout=60, **params):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method} failed: {reply['error']}")
                return reply["result"]
            self._events.append(reply)

    def open(self, path, timeout=60):
        self._events.clear()
        self.call("Page.navigate", session=True, url=path.as_uri())
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self._events):
            self._events.append(self._read_message(deadline))

    def evaluate(self, expression):
        result = self.call(
            "Runtime.evaluate", session=True, expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"]["value"]

    def screenshot(self):
        return base64.b64decode(self.call("Page.captureScreenshot", session=True, format="png")["data"])

    def close(self):
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


# What each page looks like in the browser, once every image has loaded (or failed to).
INSPECT = """
(async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener("load", done); img.addEventListener("error", done);
  })));
  return {
    title: document.title,
    h1: [...document.querySelectorAll("[role=main] h1")].map(e => e.textContent.replace("\\u00b6", "").trim()),
    text: document.body.innerText,
    images: images.map(img => ({src: img.getAttribute("src"), width: img.naturalWidth, height: img.naturalHeight})),
    outputs: [...document.querySelectorAll(".sphx-glr-script-out")].map(e => e.innerText),
  };
})()
"""


@pytest.fixture(scope="module")
def browser():
    with tempfile.TemporaryDirectory(prefix="sklearn-ae-chromium-") as user_data_dir:
        b = Browser(_chromium(), user_data_dir)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def rendered(browser):
    """Every page, as the browser shows it."""
    out = {}
    for page in PAGES:
        browser.open(page)
        out[page.relative_to(BUILD).as_posix()] = browser.evaluate(INSPECT)
    return out


def test_every_page_renders_with_its_images(rendered):
    for name, page in rendered.items():
        assert page["h1"], f"{name}: no heading"
        assert "sklearn-ae" in page["title"], f"{name}: title {page['title']!r}"
        assert len(page["text"]) > 200, f"{name}: almost empty"
        broken = [img["src"] for img in page["images"] if img["width"] == 0]
        assert not broken, f"{name}: images the browser could not load: {broken}"


def test_gallery_examples_ran_and_show_their_figures(rendered):
    assert EXAMPLES, "no gallery sources in docs/examples"
    for source in EXAMPLES:
        name = f"auto_examples/{source.stem}.html"
        assert name in rendered, f"{source.name} has no page: rebuild the docs"
        page = rendered[name]
        figures = [img for img in page["images"] if "sphx_glr_" in img["src"] and "thumb" not in img["src"]]
        if any("skipped" in out for out in page["outputs"]):
            continue  # the example's data is absent and it says so
        assert figures, f"{name}: no figure"
        for img in figures:
            assert img["width"] >= 200 and img["height"] >= 100, f"{name}: tiny figure {img}"
            assert (BUILD / name).parent.joinpath(img["src"]).resolve().is_file()
        assert "Traceback" not in page["text"], f"{name}: the example printed a traceback"
    index = rendered["auto_examples/index.html"]
    thumbnails = [img for img in index["images"] if "thumb" in img["src"]]
    assert len(thumbnails) >= len(EXAMPLES)


def test_every_public_name_has_a_rendered_reference_page(rendered):
    api = rendered["gen_modules/api.html"]["text"]
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            assert name in api, f"{module_name}.{name} is missing from the API reference"
            obj = getattr(module, name)
            if callable(obj):
                page = rendered.get(f"gen_modules/{module_name}.{name}.html")
                assert page is not None, f"{module_name}.{name} has no reference page"
                assert name in page["h1"][0]


def test_reference_pages_show_parameters(rendered):
    page = rendered["gen_modules/sklearn_ae.AutoencoderTransformer.html"]
    for word in ("Parameters", "Attributes", "n_components", "hidden_layer_sizes", "fit", "inverse_transform"):
        assert word in page["text"], word
    display = rendered["gen_modules/sklearn_ae.plotting.ReconstructionDisplay.html"]
    assert "from_estimator" in display["text"] and "plot" in display["text"]


def test_example_page_screenshot_is_not_blank(browser):
    from matplotlib.image import imread

    page = BUILD / "auto_examples" / "plot_ae_vs_pca_digits.html"
    if not page.exists():
        pytest.skip("the AE-against-PCA example page is not built")
    browser.open(page)
    browser.evaluate("window.scrollTo(0, document.querySelector('img.sphx-glr-single-img').offsetTop - 50)")
    pixels = imread(io.BytesIO(browser.screenshot()))[..., :3]
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1200
    # a drawn figure: a good share of non-white pixels and many distinct colours
    non_white = (pixels < 0.9).any(axis=2).mean()
    assert non_white > 0.05, non_white
    assert len(np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 50
