"""The autoencoder variants of issue 5 side by side on MNIST.

Fit every variant of ``AutoencoderTransformer`` (same seed, same epochs, same
code width) on the 5000 digits of ``mnist_5k`` and evaluate on a subset of the
10 000 test digits:

- ``mse clean``: held-out reconstruction MSE, in pixel units ([0, 1] pixels);
- ``mse masked``: the MSE against the clean digit of the reconstruction of the
  digit with 50 % of its pixels (chosen at random, seeded) set to 0;
- ``acc``: accuracy of a standardised logistic regression trained on the
  training codes and scored on the test codes;
- what each variant is meant to change: ``near 0`` the fraction of code
  entries below a tenth of the plain model's code RMS, ``sig<0.1`` the
  fraction of ``sigmoid(code)`` below 0.1 (the KL target's activations),
  ``|J|^2`` the mean squared Frobenius norm of the encoder's Jacobian
  (scaled space) on 200 test digits, ``mismatch`` the mean over hidden
  layers of the squared distance between an encoder activation and its
  mirrored decoder activation, ``params`` the number of trained weights;
- ``fit s``: wall time of one fit.

Fixed training budget (``--epochs``, no early stopping) so that every variant
gets the same number of steps; PCA is the reference row. Writes
``benchmarks/results_variants.md``.

Command: ``.venv/bin/python benchmarks/bench_variants.py``
"""

import argparse
import copy
import platform
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
import torch
from scipy.special import expit
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, when not installed

import sklearn_ae  # noqa: E402
from sklearn_ae import AutoencoderTransformer  # noqa: E402
from sklearn_ae.datasets import load_mnist  # noqa: E402
from sklearn_ae.nn._dense import MirroredAutoencoder, autograd_jacobian  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
MARKER = "<!-- analysis: written by hand, kept when the script rewrites the tables above -->"

CONV = dict(image_shape=(28, 28), hidden_layer_sizes=(16, 32, 64))
VARIANTS = [
    ("plain (dense, PCA start)", {}),
    ("denoising: masking 0.5", dict(noise="masking", noise_level=0.5)),
    ("denoising: gaussian 0.5", dict(noise="gaussian", noise_level=0.5)),
    # a masked training pixel is mask_value=0.0 (black) whatever the scaling, as in the masked test digits
    # (before mask_value, the default scaling masked to the pixel mean and only scaling=None masked to 0)
    ("plain, scaling=None", dict(scaling=None)),
    ("denoising: masking 0.5, scaling=None", dict(noise="masking", noise_level=0.5, scaling=None)),
    ("sparse: L1 0.01", dict(sparsity=0.01)),
    ("sparse: KL 0.05 to 0.05", dict(sparsity=0.05, sparsity_target=0.05)),
    ("contractive 0.01", dict(contractive=0.01)),
    ("tied weights", dict(tied_weights=True)),
    ("layer matching 0.1", dict(layer_matching=0.1)),
    ("layer matching 0.1, local", dict(layer_matching=0.1, layer_matching_local=True)),
    ("dense, random start", dict(init="random")),
    ("conv (16, 32, 64)", CONV),
    ("conv (16, 32, 64), tied", dict(CONV, tied_weights=True)),
]

# dense against convolutional at equal n_components, with a longer budget (--conv-study)
CONV_STUDY = [
    ("plain (dense, PCA start)", {}),
    ("dense, random start", dict(init="random")),
    ("conv (16, 32, 64)", CONV),
    ("conv (16, 32, 64), tied", dict(CONV, tied_weights=True)),
]


def kept_analysis(path):
    if path.exists() and MARKER in path.read_text():
        return path.read_text().split(MARKER, 1)[1]
    return "\n\nNo analysis yet.\n"


def codes_accuracy(Z_train, y_train, Z_test, y_test):
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    return clf.fit(Z_train, y_train).score(Z_test, y_test)


def mismatch(model, X):
    module = model.net_.module_.eval()
    if not isinstance(module, MirroredAutoencoder) or not model.hidden_layer_sizes:
        return float("nan")
    x = torch.as_tensor((X - model.scaling_offset_) / model.scaling_scale_, dtype=torch.float32)
    with torch.no_grad():
        z, enc = module.encoder.forward_hidden(x)
        _, dec = module.decoder.forward_hidden(z)
    return float(np.mean([((e - d) ** 2).mean().item() for e, d in zip(enc, dec[::-1])]))


def jacobian_norm(model, X):
    module = copy.deepcopy(model.net_.module_).eval()
    x = torch.as_tensor((X - model.scaling_offset_) / model.scaling_scale_, dtype=torch.float32)
    J = autograd_jacobian(module.encode, x)
    return float(J.detach().pow(2).sum(dim=(1, 2)).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--n-components", type=int, default=16)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", nargs="*", help="substrings of the variant names to run")
    parser.add_argument(
        "--conv-study",
        action="store_true",
        help="only dense vs conv (use with more --epochs); writes benchmarks/results_variants_conv.md",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    X_train, y_train, X_test, y_test = load_mnist(DATA)
    X_train, X_test, y_test = (
        X_train.astype(np.float64),
        X_test[: args.n_test].astype(np.float64),
        y_test[: args.n_test],
    )
    rng = np.random.default_rng(0)
    X_masked = np.where(rng.random(X_test.shape) < 0.5, 0.0, X_test)
    X_jac = X_test[:200]

    rows = []
    t = time.perf_counter()
    pca = PCA(n_components=args.n_components, random_state=0).fit(X_train)
    pca_time = time.perf_counter() - t
    pca_rec = lambda X: pca.inverse_transform(pca.transform(X))  # noqa: E731
    rows.append(
        dict(
            name="PCA (reference)",
            mse=((pca_rec(X_test) - X_test) ** 2).mean(),
            mse_masked=((pca_rec(X_masked) - X_test) ** 2).mean(),
            acc=codes_accuracy(pca.transform(X_train), y_train, pca.transform(X_test), y_test),
            near0=float("nan"),
            sig=float("nan"),
            jac=float("nan"),
            mismatch=float("nan"),
            params=pca.components_.size,
            fit=pca_time,
        )
    )
    print(rows[-1], flush=True)
    base = dict(n_components=args.n_components, max_epochs=args.epochs, early_stopping=False, random_state=0)
    plain_rms = None
    for name, params in CONV_STUDY if args.conv_study else VARIANTS:
        if args.only and not any(s in name for s in args.only):
            continue
        model = AutoencoderTransformer(**base, **params)
        t = time.perf_counter()
        model.fit(X_train)
        fit_time = time.perf_counter() - t
        Z_train, Z_test = model.transform(X_train), model.transform(X_test)
        if plain_rms is None:
            plain_rms = np.sqrt((Z_test**2).mean())
        rec = lambda X, model=model: model.inverse_transform(model.transform(X))  # noqa: E731
        rows.append(
            dict(
                name=name,
                mse=((rec(X_test) - X_test) ** 2).mean(),
                mse_masked=((rec(X_masked) - X_test) ** 2).mean(),
                acc=codes_accuracy(Z_train, y_train, Z_test, y_test),
                near0=(np.abs(Z_test) < 0.1 * plain_rms).mean(),
                sig=(expit(Z_test) < 0.1).mean(),
                jac=jacobian_norm(model, X_jac),
                mismatch=mismatch(model, X_test),
                params=sum(p.numel() for p in model.net_.module_.parameters()),
                fit=fit_time,
            )
        )
        print(rows[-1], flush=True)

    plain = next((r for r in rows if r["name"].startswith("plain")), rows[0])
    lines = [
        "# Dense and convolutional autoencoders on MNIST" if args.conv_study else "# The autoencoder variants on MNIST",
        "",
        "Command: `.venv/bin/python benchmarks/bench_variants.py"
        f"{' ' + ' '.join(sys.argv[1:]) if sys.argv[1:] else ''}`",
        "",
        f"Fit on the 5000 digits of `mnist_5k`, evaluated on the first {len(X_test)} of the 10 000 test digits. "
        f"Every autoencoder: `AutoencoderTransformer(n_components={args.n_components}, max_epochs={args.epochs}, "
        "early_stopping=False, random_state=0, ...)` with the defaults otherwise (hidden layers "
        f"{tuple(AutoencoderTransformer().hidden_layer_sizes)}, relu, Adam lr 1e-3, batch 128): a fixed budget "
        f"of {args.epochs} epochs, the same for every model"
        + (
            ". "
            if args.conv_study
            else ", short so that the whole table fits in about 20 minutes on the shared machine; the absolute "
            "numbers are those of short training, the comparison is at equal budget. "
        )
        + "The conv rows use "
        "`image_shape=(28, 28), hidden_layer_sizes=(16, 32, 64)` (28x28 padded to 32x32, grids 16, 8, 4).",
        "",
        "`mse clean` / `mse masked`: held-out reconstruction MSE in pixel units from the clean digit and "
        "from the digit with 50 % of its pixels set to 0 (target: the clean digit); in brackets, the ratio to "
        "the plain autoencoder. `acc`: standardised logistic regression on the codes. `near 0`: fraction of "
        "code entries below a tenth of the plain code's RMS (codes of the `scaling=None` rows live in other "
        "units). `sig<0.1`: fraction of sigmoid(code) below "
        "0.1. `|J|^2`: mean squared Frobenius norm of the encoder's Jacobian on 200 test digits (scaled "
        "space). `mismatch`: mean squared distance between mirrored encoder and decoder hidden activations "
        '(built-in networks). `params`: trained weights (tied ones counted once). `noise="masking"` sets a '
        "training pixel to `mask_value=0.0` (black) in pixel units whatever the scaling, as in the masked test "
        "digits (see `results_denoising.md`).",
        "",
        f"Machine: {args.threads} torch thread(s) on a 2-core CPU shared with other jobs (timings are noisy; "
        f"all rows come from the same run). Python {platform.python_version()}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, sklearn-ae {sklearn_ae.__version__}.",
        "",
        "| variant | mse clean | mse masked | acc | near 0 | sig<0.1 | \\|J\\|^2 | mismatch | params | fit s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['mse']:.4f} ({r['mse'] / plain['mse']:.2f}) "
            f"| {r['mse_masked']:.4f} ({r['mse_masked'] / plain['mse_masked']:.2f}) | {r['acc']:.3f} "
            f"| {r['near0']:.3f} | {r['sig']:.3f} | {r['jac']:.3g} | {r['mismatch']:.3g} | {r['params']:,} "
            f"| {r['fit']:.1f} |"
        )
    out = HERE / ("results_variants_conv.md" if args.conv_study else "results_variants.md")
    out.write_text("\n".join(lines) + "\n\n" + MARKER + kept_analysis(out))
    print(out.read_text())


if __name__ == "__main__":
    main()
