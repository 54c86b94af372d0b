"""Which score should the detector use on a data set it has never seen? Evidence from synthetic anomalies.

For each data set (the ten ODDS sets and the fifteen MVTec-AD embedding sets
of ``../shared/data``) and seed: the split of ``bench_odds.py`` (stratified
60/40, labels unused in fit); the training rows are split again, 75 % to fit
the models and 25 % held back. Every candidate score is computed from the
same fitted models:

- ``ae/distance``, ``ae/reconstruction``, ``ae/code``: the default detector's
  member (an autoencoder) with its measures;
- ``pca/...``: the same with the PCA member (the autoencoder at
  ``max_epochs=0``, its PCA start);
- ``ae/knn``, ``pca/knn``: the distance to the k-th nearest training code
  (whitened codes, k=5);
- ``input/knn``: the distance to the k-th nearest training row, features
  standardised (k=5, PyOD's ``KNN()`` rule on standardised inputs).

Each candidate is scored twice: on the held-back rows against synthetic
anomalies of the four kinds of ``bench_odds_synthetic.py`` (drawn from the
fitting rows' distribution, as many as held-back rows: the evidence a fit
could gather without labels), and on the test rows against the real labels
(ROC-AUC). IsolationForest (fitted on the same rows) is the reference.

Run from the repository root, one thread:

    OMP_NUM_THREADS=1 python benchmarks/bench_detector_selection.py --seeds 2

It appends one JSON line per (data set, seed) to ``--out`` (skipping those
already there), so that the analysis (``--report``) can be rerun for free.
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.base import clone
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_odds import split  # noqa: E402

from sklearn_ae import AutoencoderOutlierDetector  # noqa: E402
from sklearn_ae._selection import KINDS, synthetic_anomalies  # noqa: E402
from sklearn_ae.datasets import ODDS_NAMES, load_odds  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
K = 5
MAX_TRAIN = 5000  # ODDS sets larger than this are subsampled (stratified) for the training split


def embedding_names(data):
    return sorted(p.stem.replace("resnet18_MVTec-AD_", "mvtec_") for p in (data / "embeddings").glob("*.npz"))


def load(name, data):
    if name.startswith("mvtec_"):
        d = np.load(data / "embeddings" / f"resnet18_MVTec-AD_{name[6:]}.npz")
        return d["X"].astype(np.float64), d["y"].astype(int)
    return load_odds(name, data)


def knn_distance(reference, rows):
    nn = NearestNeighbors(n_neighbors=min(K, len(reference))).fit(reference)
    return nn.kneighbors(rows)[0][:, -1]


class Candidates:
    """All candidate outlyingness scores (higher = more abnormal) from one detector fitted on ``X_fit``."""

    def __init__(self, X_fit, seed):
        self.ae = AutoencoderOutlierDetector(random_state=seed).fit(X_fit)
        pca_member = clone(self.ae.estimator_).set_params(max_epochs=0)
        self.pca = AutoencoderOutlierDetector(pca_member, random_state=seed).fit(X_fit)
        self.scale = self.ae.feature_scales_
        self.mean = X_fit.mean(axis=0)
        self.X_ref = (X_fit - self.mean) / self.scale
        self.codes = {name: self._codes(det, X_fit) for name, det in (("ae", self.ae), ("pca", self.pca))}
        self.iforest = IsolationForest(random_state=seed).fit(X_fit)
        # the library's own combined measure and its measure="auto", each a fit of its own (the same seed)
        self.library = {}
        for measure in ("combined", "auto"):
            t0 = time.perf_counter()
            self.library[measure] = AutoencoderOutlierDetector(measure=measure, random_state=seed).fit(X_fit)
            self.library[measure].fit_s_ = time.perf_counter() - t0

    @staticmethod
    def _codes(det, X):
        Z = det.estimators_[0].transform(X)
        return (Z - det.code_means_[0]) @ det.code_whiteners_[0]

    def scores(self, X):
        out = {}
        for name, det in (("ae", self.ae), ("pca", self.pca)):
            for measure in ("distance", "reconstruction"):
                det.measure_ = measure
                out[f"{name}/{measure}"] = -det.score_samples(X)
            det.measure_ = "distance"
            codes = self._codes(det, X)
            out[f"{name}/code"] = np.abs(codes).mean(axis=1)
            out[f"{name}/knn"] = knn_distance(self.codes[name], codes)
        out["input/knn"] = knn_distance(self.X_ref, (X - self.mean) / self.scale)
        out["iforest"] = -self.iforest.score_samples(X)
        for measure, det in self.library.items():
            out[f"library/{measure}"] = -det.score_samples(X)
        return out


def _robust_z(train, values):
    median = np.median(train)
    spread = 1.4826 * np.median(np.abs(train - median)) or median or 1.0
    return (values - median) / spread


def combinations(cands, X_fit, X_test):
    """Combined outlyingness scores: robust z-scores (training median and MAD) of base scores, max or mean."""
    train, test = cands.scores(X_fit), cands.scores(X_test)
    # the training rows' k-th neighbour leaves the row itself out
    train["input/knn"] = NearestNeighbors(n_neighbors=K + 1).fit(cands.X_ref).kneighbors(cands.X_ref)[0][:, -1]
    z = {c: _robust_z(train[c], test[c]) for c in ("ae/reconstruction", "ae/code", "input/knn", "pca/reconstruction")}
    return {
        "max(ae recon, ae code, knn)": np.maximum.reduce([z["ae/reconstruction"], z["ae/code"], z["input/knn"]]),
        "max(ae recon, knn)": np.maximum(z["ae/reconstruction"], z["input/knn"]),
        "mean(ae recon, knn)": (z["ae/reconstruction"] + z["input/knn"]) / 2,
        "mean(ae recon, ae code, knn)": (z["ae/reconstruction"] + z["ae/code"] + z["input/knn"]) / 3,
        "mean(ae distance z, knn)": (np.maximum(z["ae/reconstruction"], z["ae/code"]) + z["input/knn"]) / 2,
        "max(pca recon, ae code, knn)": np.maximum.reduce([z["pca/reconstruction"], z["ae/code"], z["input/knn"]]),
    }


def run_one(name, seed, data, synthetic_evidence=True):
    X, y = load(name, data)
    X_train, X_test, y_test = split(X, y, seed, MAX_TRAIN)
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(X_train))
    n_val = len(X_train) // 4
    X_val, X_fit = X_train[order[:n_val]], X_train[order[n_val:]]
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cands = Candidates(X_fit, seed)
    fit_s = time.perf_counter() - t0
    real = {c: float(roc_auc_score(y_test, s)) for c, s in cands.scores(X_test).items()}
    real.update({c: float(roc_auc_score(y_test, s)) for c, s in combinations(cands, X_fit, X_test).items()})
    library = {
        "auto_choice": cands.library["auto"].measure_choice_,
        "fit_s": {m: det.fit_s_ for m, det in cands.library.items()},
    }
    if not synthetic_evidence:
        return {
            "name": name,
            "seed": seed,
            "n_fit": len(X_fit),
            "d": X.shape[1],
            "fit_s": fit_s,
            "real": real,
            "library": library,
        }
    normal = cands.scores(X_val)
    synth = {}
    for kind in KINDS:
        A = synthetic_anomalies(X_fit, len(X_val), kind, rng)
        anomal = cands.scores(A)
        labels = np.r_[np.zeros(len(X_val)), np.ones(len(A))]
        synth[kind] = {c: float(roc_auc_score(labels, np.r_[normal[c], anomal[c]])) for c in normal}
    return {
        "name": name,
        "seed": seed,
        "n_fit": len(X_fit),
        "d": X.shape[1],
        "fit_s": fit_s,
        "real": real,
        "synthetic": synth,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE / "results_detector_selection.jsonl")
    parser.add_argument("--names", nargs="*")
    parser.add_argument("--report", action="store_true", help="only analyse the rows already in --out")
    parser.add_argument("--no-synthetic", action="store_true", help="real AUCs only (with the combinations)")
    parser.add_argument("--markdown", type=Path, help="write the results page from --out (and --selection)")
    parser.add_argument("--selection", type=Path, help="rows with the synthetic evidence, for --markdown")
    args = parser.parse_args(argv)
    if args.markdown:
        rows = [json.loads(line) for line in args.out.read_text().splitlines()]
        selection = [json.loads(line) for line in args.selection.read_text().splitlines()] if args.selection else []
        args.markdown.write_text(markdown(rows, selection, ["--no-synthetic", "--seeds", "3"]))
        return
    if args.report:
        report([json.loads(line) for line in args.out.read_text().splitlines()])
        return
    torch.set_num_threads(1)
    names = args.names or list(ODDS_NAMES) + embedding_names(args.data)
    done = set()
    if args.out.exists():
        done = {(r["name"], r["seed"]) for r in map(json.loads, args.out.read_text().splitlines())}
    with threadpool_limits(1):
        for name in names:
            for seed in range(args.seeds):
                if (name, seed) in done:
                    continue
                row = run_one(name, seed, args.data, synthetic_evidence=not args.no_synthetic)
                with args.out.open("a") as f:
                    f.write(json.dumps(row) + "\n")
                print(name, seed, f"{row['fit_s']:.1f}s", {k: round(v, 3) for k, v in row["real"].items()}, flush=True)


# ------------------------------------------------------------------ analysis
def regime(name):
    return "embeddings" if name.startswith("mvtec_") else "tabular"


def choose(row, candidates, default, margin, kinds=KINDS):
    """The candidate with the best mean synthetic AUC, unless it beats ``default``'s by less than ``margin``."""
    mean = {c: np.mean([row["synthetic"][k][c] for k in kinds]) for c in candidates}
    best = max(candidates, key=lambda c: mean[c])
    return best if mean[best] - mean[default] >= margin else default


def report(rows):
    names = sorted({r["name"] for r in rows})
    cands = list(rows[0]["real"])
    lines = []
    for reg in ("tabular", "embeddings"):
        rs = [r for r in rows if regime(r["name"]) == reg]
        if not rs:
            continue
        lines.append(f"## {reg}: {len({r['name'] for r in rs})} sets, mean real ROC-AUC (synthetic mean AUC)")
        for c in cands:
            real = np.mean([r["real"][c] for r in rs])
            per_seed = [np.mean([r["real"][c] for r in rs if r["seed"] == s]) for s in sorted({r["seed"] for r in rs})]
            syn = (
                f"({np.mean([np.mean([r['synthetic'][k][c] for k in KINDS]) for r in rs]):.3f})"
                if "synthetic" in rs[0] and c in rs[0]["synthetic"][KINDS[0]]
                else ""
            )
            lines.append(f"  {c:30s} {real:.3f} ± {np.std(per_seed):.3f} over seeds {syn}")
    if "synthetic" not in rows[0]:
        print("\n".join(lines))
        return names
    sets = {
        "all": [c for c in cands if c != "iforest"],
        "ae+pca distance, input knn": ["ae/distance", "pca/distance", "input/knn"],
        "ae distance/recon, pca distance, input knn": ["ae/distance", "ae/reconstruction", "pca/distance", "input/knn"],
        "ae+pca distance, input knn, ae knn": ["ae/distance", "pca/distance", "input/knn", "ae/knn"],
    }
    for label, cs in sets.items():
        for margin in (0.0, 0.01, 0.02, 0.05):
            for kinds in (KINDS, ("local", "dependency"), ("local", "global", "dependency")):
                out = []
                for reg in ("tabular", "embeddings"):
                    rs = [r for r in rows if regime(r["name"]) == reg]
                    out.append(np.mean([r["real"][choose(r, cs, "ae/distance", margin, kinds)] for r in rs]))
                lines.append(
                    f"{label:45s} margin {margin:.2f} kinds {','.join(k[:3] for k in kinds):16s} "
                    f"tabular {out[0]:.3f} embeddings {out[1]:.3f}"
                )
    print("\n".join(lines))
    return names


def lodo_pick(per, names, candidates):
    """Leave-one-data-set-out: for each set, the candidate of best mean over the regimes' means on the others."""
    picks = {}
    for name in names:
        others = [n for n in names if n != name]
        by_regime = {g: [n for n in others if regime(n) == g] for g in ("tabular", "embeddings")}

        def pooled(c, by_regime=by_regime):
            return np.mean([np.mean([per[n][c] for n in ns]) for ns in by_regime.values() if ns])

        picks[name] = max(candidates, key=pooled)
    return picks


def markdown(rows, selection_rows, argv):
    """The results page: per regime and per set, the library's measures beside the peers; the selection."""
    names = sorted({r["name"] for r in rows})
    seeds = sorted({r["seed"] for r in rows})
    per = {n: {c: np.mean([r["real"][c] for r in rows if r["name"] == n]) for c in rows[0]["real"]} for n in names}
    spread = {n: {c: np.std([r["real"][c] for r in rows if r["name"] == n]) for c in rows[0]["real"]} for n in names}
    shown = {
        "library/combined": "combined (new default)",
        "ae/distance": "distance (old default)",
        "library/auto": "auto",
        "pca/distance": "our PCA detector",
        "input/knn": "kNN (standardised)",
        "iforest": "IsolationForest",
    }
    combos = [c for c in rows[0]["real"] if c not in ("iforest",) and not c.startswith("library/")]
    picks = lodo_pick(per, names, combos)
    lines = [
        "# The detector's score on data it was not tuned on: measures, combinations, and choosing per data set",
        "",
        f"Command: `OMP_NUM_THREADS=1 python benchmarks/bench_detector_selection.py {' '.join(argv)}` (the rows of "
        "`--out` are cached; `--markdown` writes this page from them). Ten ODDS sets (tabular) and fifteen MVTec-AD "
        f"ResNet18 embedding sets (512 features), seeds {seeds}: the split of `bench_odds.py` (stratified 60/40, "
        "labels unused), and the models fitted on 75 % of the training part (the other 25 % is what "
        '`measure="auto"`-style evidence may use). ROC-AUC on the test part. Every score comes from the same '
        "fitted models, except `combined` and `auto`, which are the library's own detectors fitted with the same "
        "seed. kNN: the distance to the 5th nearest training row, features standardised (PyOD's `KNN()` rule).",
        "",
        "## Summary (mean ROC-AUC over the sets; ± the standard deviation over seeds of the per-seed means)",
        "",
        "| regime | " + " | ".join(shown.values()) + " | chosen left-one-set-out |",
        "|---|" + "---:|" * (len(shown) + 1),
    ]
    for g in ("tabular", "embeddings"):
        ns = [n for n in names if regime(n) == g]
        cells = []
        for c in shown:
            by_seed = [np.mean([r["real"][c] for r in rows if r["name"] in ns and r["seed"] == s]) for s in seeds]
            cells.append(f"{np.mean([per[n][c] for n in ns]):.3f} ± {np.std(by_seed):.3f}")
        cells.append(f"{np.mean([per[n][picks[n]] for n in ns]):.3f}")
        lines.append(f"| {g} ({len(ns)} sets) | " + " | ".join(cells) + " |")
    chosen = sorted(set(picks.values()))
    lines += [
        "",
        f"Left-one-set-out over {len(combos)} scores and combinations (each set's score is the one with the best "
        f"mean, over both regimes, on the other 24 sets): chosen in every fold: {', '.join(chosen)}. The "
        'combination `mean(ae distance z, knn)` is what the library calls `measure="combined"` (the two '
        "columns agree).",
        "",
        "## All scores and combinations (mean ROC-AUC over sets and seeds)",
        "",
        "| score | tabular | embeddings |",
        "|---|---:|---:|",
    ]
    for c in rows[0]["real"]:
        cells = [np.mean([per[n][c] for n in names if regime(n) == g]) for g in ("tabular", "embeddings")]
        lines.append(f"| {c} | {cells[0]:.3f} | {cells[1]:.3f} |")
    lines += [
        "",
        "## Per set (mean ± std over seeds)",
        "",
        "| set | " + " | ".join(shown.values()) + " |",
        "|---|" + "---:|" * len(shown),
    ]
    for n in names:
        lines.append(f"| {n} | " + " | ".join(f"{per[n][c]:.3f} ± {spread[n][c]:.3f}" for c in shown) + " |")
    if rows and "library" in rows[0]:
        lines += ["", '## What `measure="auto"` chose (all sets and seeds)', ""]
        from collections import Counter

        for g in ("tabular", "embeddings"):
            counts = Counter(r["library"]["auto_choice"] for r in rows if regime(r["name"]) == g)
            lines.append(f"- {g}: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
        fit = {m: np.mean([r["library"]["fit_s"][m] for r in rows]) for m in ("combined", "auto")}
        lines.append(
            f"- fit time, mean over all fits: combined {fit['combined']:.2f} s, auto {fit['auto']:.2f} s "
            f"({fit['auto'] / fit['combined']:.1f}x)"
        )
    if selection_rows:
        lines += [
            "",
            '## Choosing by synthetic anomalies (the evidence `measure="auto"` uses)',
            "",
            "The same protocol with the synthetic evidence computed (`--seeds 3` without `--no-synthetic`): each "
            "candidate's mean ROC-AUC separating the held-back 25 % from synthetic anomalies of four kinds, made "
            "from the fitting rows. The rule picks the candidate of best synthetic mean unless it beats the fixed "
            "rule (here the old default, `ae/distance`) by less than the margin. Real test ROC-AUC of what it picks:",
            "",
            "| candidates | margin | tabular | embeddings |",
            "|---|---:|---:|---:|",
        ]
        sets = {
            "ae/pca distance, input knn": ["ae/distance", "pca/distance", "input/knn"],
            "all ten scores": [c for c in selection_rows[0]["real"] if c != "iforest"],
        }
        for label, cs in sets.items():
            for margin in (0.0, 0.01, 0.02, 0.05):
                cells = [
                    np.mean(
                        [
                            r["real"][choose(r, cs, "ae/distance", margin)]
                            for r in selection_rows
                            if regime(r["name"]) == g
                        ]
                    )
                    for g in ("tabular", "embeddings")
                ]
                lines.append(f"| {label} | {margin:.2f} | {cells[0]:.3f} | {cells[1]:.3f} |")
        fixed = [
            np.mean([r["real"]["ae/distance"] for r in selection_rows if regime(r["name"]) == g])
            for g in ("tabular", "embeddings")
        ]
        syn = {
            c: np.mean(
                [
                    np.mean([r["synthetic"][k][c] for k in KINDS])
                    for r in selection_rows
                    if regime(r["name"]) == "tabular"
                ]
            )
            for c in ("ae/distance", "input/knn")
        }
        lines += [
            f"| fixed rule (ae/distance) | - | {fixed[0]:.3f} | {fixed[1]:.3f} |",
            "",
            f"Reading: on the tabular sets the synthetic anomalies favour kNN (mean synthetic AUC "
            f"{syn['input/knn']:.3f} against {syn['ae/distance']:.3f}) while the real outliers favour the "
            "autoencoder's distance, so choosing by them loses on tabular data at every margin below 0.05 and "
            "gains a little on embeddings. A margin of 0.05 keeps the fixed rule on these sets (it moves only on "
            'overwhelming evidence, as in the tests\' planted data), which is what `measure="auto"` does, around '
            "the new fixed rule `combined`.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
