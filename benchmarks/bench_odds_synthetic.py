"""Synthetic anomalies injected into the normal rows of the ten ODDS sets (ADBench's four kinds).

Data nobody tuned on: the anomalies are generated here, from each set's
normal rows only (the set's own outliers are dropped), in four kinds (Han et
al., ADBench, NeurIPS 2022):

- local: drawn from a Gaussian mixture fitted on the normal rows, with each
  component's covariance scaled by alpha = 5;
- global: uniform per feature in [1.1 min, 1.1 max] of the normal rows;
- dependency: each feature drawn independently from its marginal (a random
  normal row's value, per feature), so that the correlations break;
- clustered: the mixture with each component's mean scaled by alpha = 5 and
  the same covariance.

The mixture (4 full-covariance components, ``reg_covar=1e-3``) and the
scalings are in standardised units (each feature centred and divided by its
standard deviation over the normal rows), then mapped back. The normal rows
are subsampled to at most 2000, and 10 % as many anomalies are added; then
the split of ``bench_odds.py`` (stratified 60/40, labels unused in fit). The
detector's candidates are those of ``bench_odds_lodo.py``; IsolationForest and
PyOD's AutoEncoder run at their defaults.

Run from the repository root (needs the ``benchmarks`` extra: PyOD), on one thread:

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_odds_synthetic.py --seeds 3

It writes ``benchmarks/results_odds_synthetic.md``.
"""

import argparse
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_odds import split  # noqa: E402
from bench_odds_lodo import (  # noqa: E402
    CANDIDATES,
    CHOSEN,
    CURRENT,
    DATA,
    baselines,
    candidates_on,
    fmt_row,
    load_cache,
    save_cache,
)

from sklearn_ae._selection import synthetic_anomalies  # noqa: E402
from sklearn_ae.datasets import ODDS_NAMES, load_odds  # noqa: E402

KINDS = ("local", "global", "dependency", "clustered")
MAX_NORMAL = 2000
RATIO = 0.1


def inject(X_normal, kind, rng):
    """``X_normal`` with ``RATIO`` as many anomalies of ``kind`` appended; labels 1 for the anomalies.

    The anomalies are the library's (``sklearn_ae._selection.synthetic_anomalies``, the evidence of
    ``measure="auto"``), which follow the recipe above with the same random draws as this script always made.
    """
    n = max(1, int(round(RATIO * X_normal.shape[0])))
    X = np.vstack([X_normal, synthetic_anomalies(X_normal, n, kind, rng)])
    return X, np.r_[np.zeros(X_normal.shape[0], int), np.ones(n, int)]


def synthetic_split(X_all, y_all, kind, seed):
    """(X_train, X_test, y_test): ``kind`` anomalies injected into the normal rows (at most ``MAX_NORMAL``), split."""
    rng = np.random.RandomState(seed)
    X_normal = X_all[y_all == 0]
    if X_normal.shape[0] > MAX_NORMAL:
        X_normal = X_normal[rng.choice(X_normal.shape[0], MAX_NORMAL, replace=False)]
    X, y = inject(X_normal, kind, rng)
    return split(X, y, seed, None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--datasets", nargs="*", default=list(ODDS_NAMES))
    parser.add_argument("--pick", default=CHOSEN, help="the candidate chosen on the ODDS sets (highlighted)")
    parser.add_argument("--cache", default="/tmp/sklearn_ae_odds_synthetic.json")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results_odds_synthetic.md"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    cache = load_cache(args.cache)
    start = time.time()
    per = {}
    with threadpool_limits(1):
        for name in args.datasets:
            X_all, y_all = load_odds(name, args.data)
            for kind in KINDS:
                for seed in range(args.seeds):
                    key = f"synthetic/{name}/{kind}/{seed}"
                    X_train, X_test, y_test = synthetic_split(X_all, y_all, kind, seed)
                    res = candidates_on(X_train, X_test, y_test, seed, X_all.shape[1], cache, key)
                    res.update(baselines(X_train, X_test, y_test, seed, cache, key))
                    save_cache(args.cache, cache)
                    per[(name, kind, seed)] = res
                    print(
                        f"{name:10s} {kind:10s} seed {seed} pick {res[args.pick]['auc']:.3f} current "
                        f"{res[CURRENT]['auc']:.3f} IF {res['IsolationForest']['auc']:.3f} "
                        f"PyOD {res['PyOD AutoEncoder']['auc']:.3f}",
                        flush=True,
                    )
    total = time.time() - start
    text = report(per, args, total, argv)
    Path(args.out).write_text(text)
    print(text)


def report(per, args, total, argv):
    names, seeds = args.datasets, args.seeds
    base = ["IsolationForest", "PyOD AutoEncoder"]
    keys = CANDIDATES + base
    shown = list(dict.fromkeys([args.pick, CURRENT] + base))

    def mean(key, kinds=KINDS, sets=names, seed_list=range(seeds), what="auc"):
        return float(np.mean([per[(n, k, s)][key][what] for n in sets for k in kinds for s in seed_list]))

    cmd = "python benchmarks/bench_odds_synthetic.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    doc = __doc__.split("\n\n")
    lines = [
        "# Synthetic anomalies in the ODDS sets' normal rows (ADBench's four kinds)",
        "",
        "Reproduce (from the repository root, `benchmarks` extra installed; one thread):",
        "",
        f"    OMP_NUM_THREADS=1 nice -n 10 {cmd.strip()}",
        "",
        "\n\n".join(doc[1:4]),
        "",
        f"Seeds 0..{seeds - 1} (the seed draws the subsample, the anomalies and the split). `{args.pick}` is the"
        f" candidate chosen on the ten ODDS sets (`results_odds_lodo.md`), `{CURRENT}` the default before it."
        f" Run time of this call {total / 60:.1f} min; earlier calls' results are cached in `--cache` and not"
        " recomputed. Times are fit + score seconds on one thread of a 2-core machine shared with other jobs:"
        " compare them within a row of the same run only.",
        "",
        "## Summary: mean ROC-AUC over the ten sets, per kind (± std of the per-seed means)",
        "",
        fmt_row(["detector", *KINDS, "all four", "fit+score s"]),
        "|---" * (len(KINDS) + 3) + "|",
    ]
    for key in shown:
        cells = [
            f"{mean(key, kinds=(k,)):.3f} ± {np.std([mean(key, kinds=(k,), seed_list=(s,)) for s in range(seeds)]):.3f}"
            for k in KINDS
        ]
        overall = np.std([mean(key, seed_list=(s,)) for s in range(seeds)])
        lines.append(fmt_row([key, *cells, f"{mean(key):.3f} ± {overall:.3f}", f"{mean(key, what='seconds'):.2f}"]))
    lines += [
        "",
        "## Per set and kind: ROC-AUC (mean over seeds)",
        "",
        fmt_row(["set", "kind", *shown]),
        "|---" * (len(shown) + 2) + "|",
    ]
    for n in names:
        for k in KINDS:
            lines.append(fmt_row([n, k] + [f"{mean(key, kinds=(k,), sets=(n,)):.3f}" for key in shown]))
    ranked = sorted(keys, key=lambda c: -mean(c))
    lines += [
        "",
        "## Every candidate (mean ROC-AUC over the ten sets)",
        "",
        fmt_row(["candidate", *KINDS, "all four", "fit+score s"]),
        "|---" * (len(KINDS) + 3) + "|",
    ]
    for key in ranked:
        lines.append(
            fmt_row(
                [key]
                + [f"{mean(key, kinds=(k,)):.3f}" for k in KINDS]
                + [f"{mean(key):.3f}", f"{mean(key, what='seconds'):.2f}"]
            )
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=FutureWarning)
        main()
