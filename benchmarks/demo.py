"""AutoencoderTransformer against PCA on scikit-learn's digits (``make demo``).

Fits both on a stratified half of the 1797 8x8 digits and evaluates on the
other half at a few ``n_components``: held-out reconstruction error, the
accuracy of a logistic regression trained on the codes, fit and transform
time. Prints a table and writes a figure of originals, PCA reconstructions
and autoencoder reconstructions into ``--out``.

Run: ``.venv/bin/python benchmarks/demo.py --out demo_output``
"""

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ae import AutoencoderTransformer


def run(est, X_train, y_train, X_test, y_test):
    """Fit ``est`` on the training half and measure it on the test half."""
    t0 = time.perf_counter()
    est.fit(X_train)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    Z_test = est.transform(X_test)
    transform_s = time.perf_counter() - t0
    X_rec = est.inverse_transform(Z_test)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    clf.fit(est.transform(X_train), y_train)
    return {
        "mse": float(np.mean((X_rec - X_test) ** 2)),
        "acc": float(clf.score(Z_test, y_test)),
        "fit_s": fit_s,
        "transform_s": transform_s,
        "X_rec": X_rec,
    }


def warm_up():
    """Pay torch's one-time lazy imports (``torch._dynamo``, pulled in by the first optimizer) before timing."""
    import torch

    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def main(argv=None):
    parser = argparse.ArgumentParser(description="AutoencoderTransformer vs PCA on scikit-learn's digits.")
    parser.add_argument("--out", default="demo_output", help="folder for the figure (created if needed)")
    parser.add_argument("--components", type=int, nargs="+", default=[2, 8, 16])
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)
    warm_up()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=args.random_state)
    print(
        f"digits: {X_train.shape[0]} training and {X_test.shape[0]} held-out images of "
        f"{X.shape[1]} pixels (values 0-16); AutoencoderTransformer with its defaults.\n"
    )
    header = (
        f"{'n_comp':>6} | {'MSE PCA':>8} {'MSE AE':>8} {'AE/PCA':>7} | {'acc PCA':>7} {'acc AE':>7} | "
        f"{'fit PCA':>8} {'fit AE':>8} | {'tr PCA':>8} {'tr AE':>8}"
    )
    print(header)
    print("-" * len(header))
    recs = {}
    for k in args.components:
        pca = run(PCA(n_components=k, random_state=args.random_state), X_train, y_train, X_test, y_test)
        ae = run(AutoencoderTransformer(k, random_state=args.random_state), X_train, y_train, X_test, y_test)
        recs[k] = (pca["X_rec"], ae["X_rec"])
        print(
            f"{k:>6} | {pca['mse']:8.3f} {ae['mse']:8.3f} {ae['mse'] / pca['mse']:7.3f} | "
            f"{pca['acc']:7.3f} {ae['acc']:7.3f} | {pca['fit_s']:7.3f}s {ae['fit_s']:7.2f}s | "
            f"{pca['transform_s'] * 1e3:6.1f}ms {ae['transform_s'] * 1e3:6.1f}ms",
            flush=True,
        )
    print(
        "\nMSE: held-out reconstruction mean squared error (AE/PCA < 1: the autoencoder reconstructs better); "
        "acc: held-out accuracy of a logistic regression trained on the codes; fit, tr: wall time of fit "
        "and of transform on the held-out half."
    )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_show = 10
    idx = [int(np.flatnonzero(y_test == d)[0]) for d in range(n_show)]
    labels = ["original"] + [f"{name} k={k}" for k in args.components for name in ("PCA", "AE")]
    images = [X_test[idx]] + [recs[k][j][idx] for k in args.components for j in (0, 1)]
    fig, axes = plt.subplots(len(labels), n_show, figsize=(n_show * 0.75, len(labels) * 0.8), squeeze=False)
    for r, (label, imgs) in enumerate(zip(labels, images)):
        for c in range(n_show):
            ax = axes[r, c]
            ax.imshow(imgs[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle("Held-out digits: originals, PCA and autoencoder reconstructions", fontsize=9)
    fig.tight_layout()
    path = out / "digits_reconstructions.png"
    fig.savefig(path, dpi=90)
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
