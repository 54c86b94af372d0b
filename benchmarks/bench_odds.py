"""AutoencoderOutlierDetector against IsolationForest, LOF, PCA and PyOD on the ten ODDS sets.

Every detector is fitted on a stratified 60 % of each set (labels unused) and
scores the other 40 %; ROC-AUC and average precision of the test scores, and
the wall time of fit + scoring, are averaged over the seeds. All detectors run
in the same process, one after the other, on one thread each (torch and BLAS),
so that their times compare on a shared machine.

Run from the repository root (needs the ``benchmarks`` extra: PyOD):

    python benchmarks/bench_odds.py --data ../shared/data --seeds 5

It writes ``benchmarks/results_odds.md``.
"""

import argparse
import platform
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer
from sklearn_ae.datasets import ODDS_NAMES, load_odds


class PCAReconstruction:
    """PCA reconstruction error on standardised data, ``ceil(sqrt(n_features))`` components."""

    def fit(self, X):
        self.scaler_ = StandardScaler().fit(X)
        Xs = self.scaler_.transform(X)
        self.pca_ = PCA(n_components=int(np.ceil(np.sqrt(X.shape[1])))).fit(Xs)
        return self

    def outlyingness(self, X):
        Xs = self.scaler_.transform(X)
        return ((Xs - self.pca_.inverse_transform(self.pca_.transform(Xs))) ** 2).sum(axis=1)


def sklearn_detector(make):
    """Wrap a scikit-learn detector: outlyingness is ``-score_samples``."""

    class Wrapped:
        def fit(self, X, seed):
            self.est_ = make(seed).fit(X)
            return self

        def outlyingness(self, X):
            return -self.est_.score_samples(X)

        def flagged(self, X):
            """Fraction of rows that ``predict`` flags, at the detector's default threshold."""
            return float(np.mean(self.est_.predict(X) == -1))

    return Wrapped


def pyod_detector(name):
    class Wrapped:
        def fit(self, X, seed):
            from pyod.models.auto_encoder import AutoEncoder
            from pyod.models.knn import KNN
            from pyod.models.vae import VAE

            if name == "KNN":  # no seed, no training: its defaults (k=5, the k-th distance)
                self.est_ = KNN().fit(X)
                return self
            cls = {"AutoEncoder": AutoEncoder, "VAE": VAE}[name]
            # defaults, except the seed (varied like the others') and silence
            self.est_ = cls(random_state=seed, verbose=0).fit(X)
            return self

        def outlyingness(self, X):
            return self.est_.decision_function(X)

    return Wrapped


class PCAWrapped:
    def fit(self, X, seed):
        self.est_ = PCAReconstruction().fit(X)
        return self

    def outlyingness(self, X):
        return self.est_.outlyingness(X)


# The default detector's autoencoder (estimator=None) with n_components=min(2, n_features): every ODDS set has 6+.
MEMBER = {"n_components": 2, "hidden_layer_sizes": (32,), "scaling": "standard", "max_epochs": 30}


def ae_detector(**params):
    """The detector with the default autoencoder, changed by ``params`` (those of the detector or ``estimator__``)."""
    return sklearn_detector(
        lambda seed: AutoencoderOutlierDetector(AutoencoderTransformer(**MEMBER), random_state=seed).set_params(
            **params
        )
    )


DETECTORS = {
    "AutoencoderOutlierDetector": sklearn_detector(lambda seed: AutoencoderOutlierDetector(random_state=seed)),
    "AE (measure=distance)": sklearn_detector(
        lambda seed: AutoencoderOutlierDetector(measure="distance", random_state=seed)
    ),
    "AE (measure=auto)": sklearn_detector(lambda seed: AutoencoderOutlierDetector(measure="auto", random_state=seed)),
    "AE around PCA (measure=distance)": sklearn_detector(
        lambda seed: AutoencoderOutlierDetector(
            make_pipeline(StandardScaler(), PCA(n_components=2)), measure="distance", random_state=seed
        )
    ),
    "AE (measure=reconstruction)": ae_detector(measure="reconstruction"),
    "AE (measure=likelihood)": ae_detector(measure="likelihood"),
    "AE (batch_size=128)": ae_detector(estimator__batch_size=128),
    "AE (n_estimators=3)": ae_detector(n_estimators=3),
    "AE (model=vae)": sklearn_detector(
        lambda seed: AutoencoderOutlierDetector(VAETransformer(**MEMBER), random_state=seed)
    ),
    "IsolationForest": sklearn_detector(lambda seed: IsolationForest(random_state=seed)),
    "LocalOutlierFactor": sklearn_detector(
        lambda seed: make_pipeline(StandardScaler(), LocalOutlierFactor(novelty=True))
    ),
    "PCA reconstruction": PCAWrapped,
    "PyOD AutoEncoder": pyod_detector("AutoEncoder"),
    "PyOD VAE": pyod_detector("VAE"),
    "PyOD KNN": pyod_detector("KNN"),
}
DEFAULT = [
    "AutoencoderOutlierDetector",
    "IsolationForest",
    "LocalOutlierFactor",
    "PCA reconstruction",
    "PyOD AutoEncoder",
    "PyOD VAE",
]


def pyod_version():
    try:
        import pyod
    except ImportError:
        return "not installed"
    return pyod.__version__


def load_set(name, data):
    """An ODDS set, or ``mvtec_<category>``: a MVTec-AD embedding set of ``embeddings/`` (see its README)."""
    if name.startswith("mvtec_"):
        arrays = np.load(Path(data) / "embeddings" / f"resnet18_MVTec-AD_{name[len('mvtec_') :]}.npz")
        return arrays["X"].astype(np.float64), arrays["y"].astype(int)
    return load_odds(name, data)


def split(X, y, seed, max_train):
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, stratify=y, random_state=seed)
    if max_train is not None and X_train.shape[0] > max_train:
        X_train, _, y_train, _ = train_test_split(
            X_train, y_train, train_size=max_train, stratify=y_train, random_state=seed
        )
    return X_train, X_test, y_test


def run(data, names, detectors, seeds, max_train):
    rows = []
    for name in names:
        X, y = load_set(name, data)
        for seed in range(seeds):
            X_train, X_test, y_test = split(X, y, seed, max_train.get(name))
            for det in detectors:
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fitted = DETECTORS[det]().fit(X_train, seed)
                    scores = fitted.outlyingness(X_test)
                seconds = time.perf_counter() - start
                flagged = fitted.flagged(X_test) if hasattr(fitted, "flagged") else None
                if not np.isfinite(scores).all():
                    auc = ap = float("nan")
                else:
                    auc, ap = roc_auc_score(y_test, scores), average_precision_score(y_test, scores)
                rows.append((name, seed, det, auc, ap, seconds, flagged, y_test.mean()))
                print(f"{name:11s} seed {seed} {det:28s} ROC-AUC {auc:.3f} AP {ap:.3f} {seconds:7.2f} s", flush=True)
    return rows


def table(rows, names, detectors, column, fmt, with_std=True):
    values = {(n, d): [r[column] for r in rows if r[0] == n and r[2] == d] for n in names for d in detectors}
    lines = ["| data set | " + " | ".join(detectors) + " |", "|---" * (len(detectors) + 1) + "|"]
    for n in names:
        cells = []
        for d in detectors:
            v = np.array(values[(n, d)])
            cells.append(f"{np.mean(v):{fmt}} ± {np.std(v):{fmt}}" if with_std else f"{np.mean(v):{fmt}}")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    means = [np.mean([np.mean(values[(n, d)]) for n in names]) for d in detectors]
    lines.append("| **mean** | " + " | ".join(f"**{m:{fmt}}**" for m in means) + " |")
    return "\n".join(lines), dict(zip(detectors, means))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--datasets", nargs="*", default=list(ODDS_NAMES))
    parser.add_argument("--detectors", nargs="*", default=DEFAULT, choices=list(DETECTORS))
    parser.add_argument("--shuttle-max-train", type=int, default=10000)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results_odds.md"))
    parser.add_argument(
        "--append", action="store_true", help="append the tables to --out as a section instead of overwriting it"
    )
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    start = time.time()
    with threadpool_limits(1):
        rows = run(args.data, args.datasets, args.detectors, args.seeds, {"shuttle": args.shuttle_max_train})
    total = time.time() - start

    import sklearn

    import sklearn_ae

    names, dets = args.datasets, args.detectors
    auc_table, auc = table(rows, names, dets, 3, ".3f")
    ap_table, ap = table(rows, names, dets, 4, ".3f")
    time_table, secs = table(rows, names, dets, 5, ".2f", with_std=False)
    ref = "IsolationForest" if "IsolationForest" in dets else dets[0]
    summary = [
        "| detector | mean ROC-AUC | − " + ref + " | mean AP | mean fit+score time (s) | time / " + ref + " |",
        "|---|---|---|---|---|---|",
    ]
    for d in dets:
        summary.append(
            f"| {d} | {auc[d]:.3f} | {auc[d] - auc[ref]:+.3f} | {ap[d]:.3f} | {secs[d]:.2f} "
            f"| {secs[d] / secs[ref]:.2f} |"
        )
    cmd = "python benchmarks/bench_odds.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    embeddings = all(name.startswith("mvtec_") for name in args.datasets)
    collection = "MVTec-AD embedding (ResNet18, 512 features)" if embeddings else "ODDS"
    title = (
        "## Variants (a separate run)"
        if args.append
        else "# MVTec-AD embedding outlier-detection benchmark"
        if embeddings
        else "# ODDS outlier-detection benchmark"
    )
    level = "###" if args.append else "##"
    auto = [d for d in dets if all(r[6] is not None for r in rows if r[2] == d)]
    flag_lines = ["| data set | true contamination | " + " | ".join(auto) + " |", "|---" * (len(auto) + 2) + "|"]
    for n in names:
        true = np.mean([r[7] for r in rows if r[0] == n])
        cells = [f"{np.mean([r[6] for r in rows if r[0] == n and r[2] == d]):.3f}" for d in auto]
        flag_lines.append(f"| {n} | {true:.3f} | " + " | ".join(cells) + " |")
    flag_table = chr(10).join(flag_lines)
    text = f"""{title}

Reproduce (from the repository root, with the `benchmarks` extra installed):

    {cmd.strip()}

{len(names)} {collection} sets, a stratified 60/40 split per seed (labels unused in fit),
{args.seeds} seeds (0..{args.seeds - 1}); the detectors are fitted on the 60 % and score the 40 %.
Shuttle's training part is subsampled (stratified) to {args.shuttle_max_train} rows for every
detector; its test part is whole. Every detector runs at its defaults (PyOD's with
`verbose=0` and `random_state` set to the seed; LOF with `novelty=True` after a
StandardScaler; PCA: reconstruction error with `ceil(sqrt(n_features))` components of the
standardised data), in the same process, on one thread (torch and BLAS), on a 2-core CPU
machine shared with other jobs: times are noisy, compare them within this run only.
Total run time {total / 60:.1f} min. Versions: sklearn-ae {sklearn_ae.__version__},
scikit-learn {sklearn.__version__}, PyOD {pyod_version()}, torch {torch.__version__},
Python {platform.python_version()}.

{level} Summary

{chr(10).join(summary)}

{level} ROC-AUC (mean ± std over seeds)

{auc_table}

{level} Average precision (mean ± std over seeds)

{ap_table}

{level} Fit + score time, seconds (mean over seeds)

{time_table}

{level} Fraction of test rows flagged by `predict` at the default threshold (mean over seeds)

`contamination="auto"` for the scikit-learn-style detectors (IsolationForest's fixed offset
-0.5, LocalOutlierFactor's -1.5, AutoencoderOutlierDetector's robust z-score of 2 of the
training scores).

{flag_table}
"""
    if args.append:
        with open(args.out, "a") as f:
            f.write("\n" + text)
    else:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
