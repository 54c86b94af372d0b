"""Choosing the detector's defaults by leave-one-data-set-out (LODO) over the ten ODDS sets.

Each candidate is a fitted model (code width, ensemble over widths, trimmed
refit) and a rule that turns the model's two per-row distances into a score.
For each held-out set, the candidate with the best mean ROC-AUC over the
other nine sets is picked, and its ROC-AUC on the held-out set is reported:
the mean of those is an estimate of the chosen default on a set nobody tuned
on. IsolationForest and PyOD's AutoEncoder run at their defaults on the same
splits (cached in a json file, since they do not change).

Run from the repository root (needs the ``benchmarks`` extra: PyOD), on one thread:

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_odds_lodo.py --seeds 3

It writes ``benchmarks/results_odds_lodo.md``.
"""

import argparse
import json
import shlex
import sys
import textwrap
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

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer  # noqa: E402
from sklearn_ae.datasets import ODDS_NAMES, load_odds  # noqa: E402

DATA = str(Path(__file__).resolve().parents[2] / "shared" / "data")
WIDTHS = (2, 4, 8)
TRIM = 0.1


def width(k, n_features):
    """Code width ``k``, at most half the features (so that the model cannot copy its input)."""
    return max(1, min(k, n_features // 2))


def rule_width(n_features):
    """Capacity rule: the width in ``WIDTHS`` nearest to sqrt(n_features) on a log scale."""
    target = np.log2(np.sqrt(n_features))
    return WIDTHS[int(np.argmin([abs(np.log2(k) - target) for k in WIDTHS]))]


def distances(det, X):
    """Per row of ``X``: the normalised reconstruction error, code distance and largest feature error.

    The first two are those of the detector's (single) member, divided by their training medians; the third is
    the largest of the row's normalised feature errors (``feature_errors``), not yet divided by anything.
    """
    e, d, m = [], [], []
    for _, parts in det._parts(X):
        ((errors, distance),) = parts
        e.append(errors.mean(axis=1) / det.error_medians_[0])
        d.append(distance / det.distance_medians_[0])
        m.append(errors.max(axis=1))
    return np.concatenate(e), np.concatenate(d), np.concatenate(m)


def fit_member(X_train, X_test, k, seed, epochs=30, hidden=(32,)):
    """Fit a one-member detector; return the distances of the training and test rows and the fit time."""
    start = time.perf_counter()
    ae = AutoencoderTransformer(
        n_components=width(k, X_train.shape[1]),
        hidden_layer_sizes=hidden,
        scaling="standard",
        max_epochs=epochs,
        batch_size=128,
    )
    det = AutoencoderOutlierDetector(ae, random_state=seed).fit(X_train)
    seconds = time.perf_counter() - start
    return det, {"train": distances(det, X_train), "test": distances(det, X_test), "seconds": seconds}


def trimmed_refit(first, X_train, X_test, seed, epochs=30):
    """Width 2 refitted on the training rows whose ``max`` outlyingness under ``first`` is below the quantile."""
    e, d, _ = first["train"]
    keep = np.maximum(e, d) <= np.quantile(np.maximum(e, d), 1 - TRIM)
    _, trimmed = fit_member(X_train[keep], X_test, 2, seed, epochs=epochs)  # its training distances: kept rows
    trimmed["seconds"] += first["seconds"]
    return trimmed


def fit_models(X_train, X_test, seed):
    """The fitted models the candidates are made of: one per width, and a trimmed refit at width 2."""
    models = {f"k{k}": fit_member(X_train, X_test, k, seed)[1] for k in WIDTHS}
    models["trim2"] = trimmed_refit(models["k2"], X_train, X_test, seed)
    return models


def fit_extra_models(X_train, X_test, seed):
    """Added after the first run: the trimmed refit at the cost of one fit (a 10-epoch warm-up, a 20-epoch refit)."""
    warm = fit_member(X_train, X_test, 2, seed, epochs=10)[1]
    return {"trim2w": trimmed_refit(warm, X_train, X_test, seed, epochs=20)}


# ------------------------------------------------------------------ the rules
def _robust(train):
    med = np.median(train)
    mad = 1.4826 * np.median(np.abs(train - med))
    return med, mad if mad > 0 else 1.0


def _cdf(train, x):
    return np.searchsorted(np.sort(train), x, side="right") / train.shape[0]


RULES = {
    "rec": lambda tr, te: te[0],
    "dist": lambda tr, te: te[1],
    "max": lambda tr, te: np.maximum(te[0], te[1]),
    "sum": lambda tr, te: te[0] + te[1],
    "zmax": lambda tr, te: np.maximum(
        (te[0] - _robust(tr[0])[0]) / _robust(tr[0])[1], (te[1] - _robust(tr[1])[0]) / _robust(tr[1])[1]
    ),
    "zsum": lambda tr, te: (
        (te[0] - _robust(tr[0])[0]) / _robust(tr[0])[1] + (te[1] - _robust(tr[1])[0]) / _robust(tr[1])[1]
    ),
    "rankmean": lambda tr, te: _cdf(tr[0], te[0]) + _cdf(tr[1], te[1]),
    "fmax": lambda tr, te: te[2],
    "max3": lambda tr, te: np.maximum(np.maximum(te[0], te[1]), te[2] / np.median(tr[2])),
}


def outlyingness(models, model, rule, n_features):
    """Test outlyingness of candidate (model, rule); an ensemble averages its members' rule scores."""
    if model == "ens248":
        return np.mean([outlyingness(models, f"k{k}", rule, n_features) for k in WIDTHS], axis=0)
    if model == "krule":
        model = f"k{rule_width(n_features)}"
    m = models[model]
    return RULES[rule](m["train"], m["test"])


def seconds_of(models, model, n_features):
    if model == "ens248":
        return sum(models[f"k{k}"]["seconds"] for k in WIDTHS)
    if model == "krule":
        model = f"k{rule_width(n_features)}"
    return models[model]["seconds"]


MODELS = ("k2", "k4", "k8", "krule", "ens248", "trim2")
EXTRA_MODELS = ("trim2w",)
CANDIDATES = [f"{m}/{r}" for m in MODELS + EXTRA_MODELS for r in RULES]
CURRENT = "k2/max"  # the default before this benchmark
CHOSEN = "k2/zmax"  # the default chosen here (see results_odds_lodo.md)
GRID = ["k2/max", "k2/zmax", "trim2w/max", "trim2w/zmax"]  # the small grid the default is chosen from
RULE_GRID = ["k2/max", "k2/zmax"]  # the rule alone, at the model of the default before


DESCRIPTION = """Ten ODDS sets, the split of `bench_odds.py` (stratified 60/40, shuttle's training part
subsampled to 10000 rows), seeds 0..{0}. {1} candidates = model x rule. Models: `kK` one autoencoder with
`n_components=K` (at most n_features // 2), `hidden_layer_sizes=(32,)`, `scaling="standard"`, `max_epochs=30`,
`batch_size=128`; `krule` the width in {2} nearest to sqrt(n_features) (log scale); `ens248` the mean of the rule's
scores of k2, k4 and k8; `trim2` k2 refitted on the training rows whose `max` outlyingness is below its {3:.0%}
quantile; `trim2w` the same at the cost of one fit: a 10-epoch warm-up fit, then the refit with `max_epochs=20`
(added after a first run). Rules, from the normalised reconstruction error `e` and code distance `d` of a row (each
divided by its training median, as the detector does): `rec` e, `dist` d, `max` max(e, d) (the default before this
benchmark, `measure="distance"`), `sum` e + d, `zmax`/`zsum` the max/sum of robust z-scores w.r.t. the training
values (median, 1.4826 MAD), `rankmean` the sum of the empirical CDFs of the training values at e and d, `fmax` the
largest normalised feature error (`feature_errors`) m, `max3` max(e, d, m / its training median). Times are fit +
score seconds on one thread of a 2-core machine shared with other jobs (see the reading below for the load): compare
them within a run only."""


# --------------------------------------------------------------- baselines
def baselines(X_train, X_test, y_test, seed, cache, key):
    """ROC-AUC and fit+score time of IsolationForest and PyOD AutoEncoder at their defaults, cached in ``cache``."""
    if key in cache:
        return cache[key]
    from pyod.models.auto_encoder import AutoEncoder

    out = {}
    for name, make in (
        ("IsolationForest", lambda: IsolationForest(random_state=seed)),
        ("PyOD AutoEncoder", lambda: AutoEncoder(random_state=seed, verbose=0)),
    ):
        start = time.perf_counter()
        est = make().fit(X_train)
        scores = est.decision_function(X_test)
        if name == "IsolationForest":
            scores = -scores
        out[name] = {"auc": float(roc_auc_score(y_test, scores)), "seconds": time.perf_counter() - start}
    cache[key] = out
    return out


def load_cache(path):
    return json.loads(Path(path).read_text()) if Path(path).exists() else {}


def save_cache(path, cache):
    Path(path).write_text(json.dumps(cache))


# ---------------------------------------------------------------------- LODO
def lodo(auc, names, candidates):
    """``auc[(name, candidate)]``: mean over seeds. Per held-out set: the pick (best mean on the others) and its AUC."""
    picks = {}
    for held in names:
        others = [n for n in names if n != held]
        best = max(candidates, key=lambda c: (np.mean([auc[(n, c)] for n in others]), -candidates.index(c)))
        picks[held] = (best, auc[(held, best)])
    return picks


def evaluate(X_train, X_test, y_test, seed, n_features, fit=fit_models):
    """ROC-AUC and time of every candidate made of the models ``fit`` returns, on one split."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = fit(X_train, X_test, seed)
    derived = ("krule", "ens248") if "k2" in models else ()  # made of the width models
    names = [c for c in CANDIDATES if c.split("/")[0] in models or c.split("/")[0] in derived]
    return {
        c: {
            "auc": float(roc_auc_score(y_test, outlyingness(models, *c.split("/"), n_features))),
            "seconds": seconds_of(models, c.split("/")[0], n_features),
        }
        for c in names
    }


def candidates_on(X_train, X_test, y_test, seed, n_features, cache, key):
    """Every candidate's ROC-AUC and time on one split, from ``cache`` where it has them (it is updated)."""
    if f"cand/{key}" not in cache:
        cache[f"cand/{key}"] = evaluate(X_train, X_test, y_test, seed, n_features)
    if f"extra/{key}" not in cache:
        cache[f"extra/{key}"] = evaluate(X_train, X_test, y_test, seed, n_features, fit=fit_extra_models)
    return {**cache[f"cand/{key}"], **cache[f"extra/{key}"]}


def fmt_row(cells):
    return "| " + " | ".join(cells) + " |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--datasets", nargs="*", default=list(ODDS_NAMES))
    parser.add_argument("--grid", nargs="*", default=GRID, help="the small grid the default is chosen from")
    parser.add_argument("--cache", default="/tmp/sklearn_ae_odds_lodo.json")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results_odds_lodo.md"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    cache = load_cache(args.cache)
    start = time.time()
    per = {}  # (name, seed) -> {candidate or baseline: {"auc", "seconds"}}
    with threadpool_limits(1):
        for name in args.datasets:
            X, y = load_odds(name, args.data)
            for seed in range(args.seeds):
                X_train, X_test, y_test = split(X, y, seed, {"shuttle": 10000}.get(name))
                key = f"odds/{name}/{seed}"
                res = candidates_on(X_train, X_test, y_test, seed, X.shape[1], cache, key)
                res.update(baselines(X_train, X_test, y_test, seed, cache, key))
                save_cache(args.cache, cache)
                per[(name, seed)] = res
                print(
                    f"{name:10s} seed {seed} current {res[CURRENT]['auc']:.3f} IF {res['IsolationForest']['auc']:.3f}"
                    f" PyOD {res['PyOD AutoEncoder']['auc']:.3f}",
                    flush=True,
                )
    total = time.time() - start
    text = report(per, args.datasets, args.seeds, total, argv, args.grid)
    Path(args.out).write_text(text)
    print(text)


def summarise(per, names, seeds, keys):
    """Mean and std over seeds of the ROC-AUC, and mean time, per (set, key)."""
    auc = {(n, k): float(np.mean([per[(n, s)][k]["auc"] for s in range(seeds)])) for n in names for k in keys}
    std = {(n, k): float(np.std([per[(n, s)][k]["auc"] for s in range(seeds)])) for n in names for k in keys}
    sec = {(n, k): float(np.mean([per[(n, s)][k]["seconds"] for s in range(seeds)])) for n in names for k in keys}
    return auc, std, sec


def report(per, names, seeds, total, argv, grid):
    base = ["IsolationForest", "PyOD AutoEncoder"]
    auc, std, sec = summarise(per, names, seeds, CANDIDATES + base)
    cmd = "python benchmarks/bench_odds_lodo.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    lines = [
        "# Choosing the detector's defaults by leave-one-data-set-out (ODDS)",
        "",
        "Reproduce (from the repository root, `benchmarks` extra installed; one thread):",
        "",
        f"    OMP_NUM_THREADS=1 nice -n 10 {cmd.strip()}",
        "",
        textwrap.fill(DESCRIPTION.format(seeds - 1, len(CANDIDATES), WIDTHS, 1 - TRIM), 110),
        "",
        f"Run time of this call {total / 60:.1f} min: the results of earlier calls are cached in `--cache`"
        " and not recomputed (delete it to recompute everything).",
        "",
        "## Summary",
        "",
        "A LODO row is the mean over the ten sets of the ROC-AUC of the candidate picked without that set (best mean"
        " over the other nine); per seed: the same picks scored on one seed's splits.",
        "",
        "| | mean ROC-AUC over the 10 sets | per seed | fit+score s |",
        "|---|---|---|---|",
    ]
    rows = [(f"LODO over all {len(CANDIDATES)} candidates", lodo(auc, names, CANDIDATES))]
    rows.append((f"LODO over the small grid {', '.join(grid)}", lodo(auc, names, grid)))
    rows.append((f"LODO over the rule alone, {', '.join(RULE_GRID)}", lodo(auc, names, RULE_GRID)))
    for label, picks in rows:
        per_seed = [np.mean([per[(n, s)][picks[n][0]]["auc"] for n in names]) for s in range(seeds)]
        lines.append(
            fmt_row(
                [
                    label,
                    f"**{np.mean([picks[n][1] for n in names]):.3f}**",
                    ", ".join(f"{v:.3f}" for v in per_seed),
                    f"{np.mean([sec[(n, picks[n][0])] for n in names]):.2f}",
                ]
            )
        )
    for key in list(dict.fromkeys([CHOSEN, CURRENT, *grid])) + base:
        per_seed = [np.mean([per[(n, s)][key]["auc"] for n in names]) for s in range(seeds)]
        label = f"{key}, fixed (in-sample)" if key not in base else key
        lines.append(
            fmt_row(
                [
                    label,
                    f"{np.mean([auc[(n, key)] for n in names]):.3f}",
                    ", ".join(f"{v:.3f}" for v in per_seed),
                    f"{np.mean([sec[(n, key)] for n in names]):.2f}",
                ]
            )
        )
    for label, picks in rows:
        lines += [
            "",
            f"## {label}: the pick for each held-out set (best mean ROC-AUC on the other nine)",
            "",
            "| held-out set | pick | its ROC-AUC (mean ± std over seeds) | "
            + CURRENT
            + " | "
            + " | ".join(base)
            + " |",
            "|---|---|---|---|---|---|",
        ]
        for n in names:
            c = picks[n][0]
            lines.append(fmt_row([n, c] + [f"{auc[(n, k)]:.3f} ± {std[(n, k)]:.3f}" for k in (c, CURRENT, *base)]))
    ranked = sorted(CANDIDATES, key=lambda c: -np.mean([auc[(n, c)] for n in names]))
    lines += [
        "",
        "## Every candidate on all ten sets (in-sample: the mean is what the pick maximises, not an estimate)",
        "",
        fmt_row(["candidate", "mean", "fit+score s"] + names),
        "|---" * (len(names) + 3) + "|",
    ]
    for c in ranked + base:
        lines.append(
            fmt_row(
                [c, f"{np.mean([auc[(n, c)] for n in names]):.3f}", f"{np.mean([sec[(n, c)] for n in names]):.2f}"]
                + [f"{auc[(n, c)]:.3f}" for n in names]
            )
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
