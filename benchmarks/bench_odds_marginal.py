"""Does a marginal term help the detector? (issue 13: a candidate measured, not taken)

The default detector (one autoencoder, width 2, the ``zmax`` rule: the larger of
the robust z-scores of the reconstruction error and the code distance) wins where
outliers break correlations and loses where they are extreme values of single
features, which IsolationForest's axis-aligned splits isolate directly
(``results_odds_lodo.md``). The candidate here adds a third robust z-score to the
max: that of a marginal outlyingness of the row, its features' absolute robust
z-scores (median, 1.4826 MAD of the training rows; the standard deviation where
the MAD is 0) reduced by ``max``, ``mean`` or root mean square. The networks are
those of ``bench_odds_lodo.py``'s ``k2`` (``fit_member``); the splits are those of
``bench_odds_lodo.py`` (ten ODDS sets) and of ``bench_odds_synthetic.py`` (the four
ADBench kinds of synthetic anomalies injected into the same sets' normal rows).

Run from the repository root (``benchmarks`` extra installed; one thread, about 6 minutes on a quiet 2-core
machine)::

    OMP_NUM_THREADS=1 python benchmarks/bench_odds_marginal.py

It writes ``benchmarks/results_odds_marginal.md``.
"""

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_odds import split  # noqa: E402
from bench_odds_lodo import DATA, _robust, fit_member, fmt_row, lodo  # noqa: E402
from bench_odds_synthetic import KINDS, synthetic_split  # noqa: E402

from sklearn_ae.datasets import ODDS_NAMES, load_odds  # noqa: E402

SEEDS = 3
MARKER = "<!-- analysis: written by hand, kept when the script rewrites the tables above -->"
REDUCTIONS = {"max": np.max, "mean": np.mean, "rms": lambda Z, axis: np.sqrt(np.mean(Z**2, axis=axis))}


def marginal(X_train, X, reduce):
    """Per row of ``X``: its features' absolute robust z-scores w.r.t. ``X_train``, reduced over the features."""
    med = np.median(X_train, axis=0)
    mad = 1.4826 * np.median(np.abs(X_train - med), axis=0)
    sd = X_train.std(axis=0)
    scale = np.where(mad > 0, mad, np.where(sd > 0, sd, 1.0))
    return reduce(np.abs(X - med) / scale, axis=1)


def z(train, test):
    med, spread = _robust(train)
    return (test - med) / spread


def scores(X_train, X_test, seed):
    """Every candidate's outlyingness of the test rows, from one fit of the default-like network."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, fitted = fit_member(X_train, X_test, 2, seed)
    (e_tr, d_tr, _), (e_te, d_te, _) = fitted["train"], fitted["test"]
    zmax = np.maximum(z(e_tr, e_te), z(d_tr, d_te))
    out = {"zmax (the default)": zmax}
    for name, reduce in REDUCTIONS.items():
        m_tr, m_te = marginal(X_train, X_train, reduce), marginal(X_train, X_test, reduce)
        out[f"marginal {name} alone"] = m_te
        out[f"zmax + marginal {name}"] = np.maximum(zmax, z(m_tr, m_te))
    forest = IsolationForest(random_state=seed).fit(X_train)
    out["IsolationForest"] = -forest.score_samples(X_test)
    return out


def auc_table(results, groups, title):
    """``results[(group, seed)]``: {candidate: auc}. A table of the mean over seeds per group, and the overall mean."""
    candidates = list(next(iter(results.values())))
    mean = {(g, c): float(np.mean([results[(g, s)][c] for s in range(SEEDS)])) for g in groups for c in candidates}
    lines = [f"## {title}", "", fmt_row(["candidate", "mean", *groups]), "|---" * (len(groups) + 2) + "|"]
    for c in candidates:
        per_seed = [np.mean([results[(g, s)][c] for g in groups]) for s in range(SEEDS)]
        cells = [f"{np.mean([mean[(g, c)] for g in groups]):.3f} ± {np.std(per_seed):.3f}"]
        lines.append(fmt_row([c, *cells, *(f"{mean[(g, c)]:.3f}" for g in groups)]))
    return lines + [""], mean


def main():
    torch.set_num_threads(1)
    start = time.time()
    odds, synthetic = {}, {}
    with threadpool_limits(1):
        for name in ODDS_NAMES:
            X, y = load_odds(name, DATA)
            for seed in range(SEEDS):
                X_train, X_test, y_test = split(X, y, seed, {"shuttle": 10000}.get(name))
                odds[(name, seed)] = {c: roc_auc_score(y_test, s) for c, s in scores(X_train, X_test, seed).items()}
            for kind in KINDS:
                for seed in range(SEEDS):
                    X_train, X_test, y_test = synthetic_split(X, y, kind, seed)
                    synthetic[(f"{name}/{kind}", seed)] = {
                        c: roc_auc_score(y_test, s) for c, s in scores(X_train, X_test, seed).items()
                    }
            print(name, f"{time.time() - start:.0f} s", flush=True)
    lines = [
        "# A marginal term for the detector (issue 13: measured, not taken)",
        "",
        "Reproduce: `OMP_NUM_THREADS=1 python benchmarks/bench_odds_marginal.py` (see its docstring for the"
        f" candidates). Seeds 0..{SEEDS - 1}; cells are ROC-AUC, mean over the seeds; *mean* is the mean over the"
        f" sets ± the standard deviation of that mean over the seeds. Run time {(time.time() - start) / 60:.1f} min.",
        "",
    ]
    table, mean = auc_table(odds, list(ODDS_NAMES), "ODDS, the split of bench_odds_lodo.py")
    lines += table
    pair = ["zmax (the default)", "zmax + marginal mean"]
    picks = lodo(mean, list(ODDS_NAMES), pair)
    lines += [
        f"Leave-one-data-set-out between {pair[0]} and {pair[1]}: "
        f"{np.mean([auc for _, auc in picks.values()]):.3f} (picks: "
        + ", ".join(f"{n}: {'the default' if c == pair[0] else 'marginal mean'}" for n, (c, _) in picks.items())
        + ").",
        "",
    ]
    by_kind = {}
    for (group, seed), res in synthetic.items():
        kind = group.split("/")[1]
        by_kind.setdefault((kind, seed), []).append(res)
    by_kind = {key: {c: float(np.mean([r[c] for r in rs])) for c in rs[0]} for key, rs in by_kind.items()}
    table, _ = auc_table(by_kind, list(KINDS), "Synthetic anomalies in the ten sets' normal rows (mean over sets)")
    lines += table
    out = Path(__file__).resolve().parent / "results_odds_marginal.md"
    kept = out.read_text().split(MARKER, 1)[1] if out.exists() and MARKER in out.read_text() else "\n"
    lines.append(MARKER + kept.rstrip("\n"))
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
