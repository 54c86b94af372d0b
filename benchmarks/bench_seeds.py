"""The seed tutorials' own recipes, run through sklearn-ae, against PCA (issue 13, bullet 4).

Each recipe is a network and optimiser setting from a document in
``/work/shared/seeds/`` (the seed tutorials), spelled as this library's
parameters as closely as they allow, trained for the seed's number of
optimizer steps (epochs x rows / batch size, on 60 000 MNIST digits) on our
5000-digit sample ``mnist_5k``: the epochs are scaled so that the number of
steps is kept. Where that would cost more than ``--max-steps`` (CPU time on a
shared machine), the run stops there and the table says so. The seeds train
without early stopping, so these runs do too (all 5000 digits train).

Held-out reconstruction MSE on the 10 000 MNIST test digits over PCA's at the
same code width (fitted on the same 5000 digits), the same ratio on the
training digits, and whether the fit raised :class:`PCAWorseWarning`.

``OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_seeds.py`` appends to
``results_seeds.jsonl`` (rows already there are skipped) and rewrites
``results_seeds.md``.
"""

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderTransformer, VAETransformer
from sklearn_ae.datasets import load_mnist
from sklearn_ae.exceptions import PCAWorseWarning

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
LOG = HERE / "results_seeds.jsonl"
MARKER = "<!-- analysis: written by hand, kept when the script rewrites the tables above -->"
N_ROWS = 5000

# name: (seed document, what the seed does, estimator, params, seed's steps or None, seed's batch size)
RECIPES = {
    "000 conv": (
        "000_da9fc6a9d3d085cc",
        "conv 32-16-8 channels (5x5, strides 2-2-4, 32x32 input), code 2x2x8=32, Adam 1e-3, batch 500, "
        "5 epochs of 55 000",
        AutoencoderTransformer,
        {"n_components": 32, "image_shape": (28, 28), "hidden_layer_sizes": (32, 16, 8), "lr": 1e-3},
        5 * 55000 // 500,
        500,
    ),
    "001 tanh": (
        "001_97c155efde9ae93d",
        "dense 784-128-64-12-3 tanh, sigmoid output, MSE, Adam 5e-3, batch 64, 10 epochs of 60 000",
        AutoencoderTransformer,
        {"n_components": 3, "hidden_layer_sizes": (128, 64, 12), "activation": "tanh", "init": "random", "lr": 5e-3},
        10 * 60000 // 64,
        64,
    ),
    "001 tanh, init=pca": (
        "001_97c155efde9ae93d",
        "the same with this library's default start (PCA)",
        AutoencoderTransformer,
        {"n_components": 3, "hidden_layer_sizes": (128, 64, 12), "activation": "tanh", "init": "pca", "lr": 5e-3},
        10 * 60000 // 64,
        64,
    ),
    "002 relu rmsprop": (
        "002_29b92da710901d6f",
        "dense 784-784-256-128 relu (relu output), MSE, RMSProp 1e-3, batch 256, 30 000 steps",
        AutoencoderTransformer,
        {
            "n_components": 128,
            "hidden_layer_sizes": (784, 256),
            "init": "random",
            "optimizer": "rmsprop",
            "lr": 1e-3,
        },
        30000,
        256,
    ),
    "002 relu rmsprop, init=pca": (
        "002_29b92da710901d6f",
        "the same with this library's default start (PCA)",
        AutoencoderTransformer,
        {"n_components": 128, "hidden_layer_sizes": (784, 256), "init": "pca", "optimizer": "rmsprop", "lr": 1e-3},
        30000,
        256,
    ),
    "003 sigmoid bce": (
        "003_87453722f8084079",
        "dense 784-400-200-100-50 sigmoid, binary cross-entropy, Adam 1e-3, batch 128, 100 epochs of 60 000",
        AutoencoderTransformer,
        {"n_components": 50, "hidden_layer_sizes": (400, 200, 100), "activation": "sigmoid", "loss": "bce"},
        100 * 60000 // 128,
        128,
    ),
    "003 sigmoid layer-matched": (
        "003_87453722f8084079",
        "the same network with layer matching (the answer: MSE, lr 0.01, 100 epochs)",
        AutoencoderTransformer,
        {
            "n_components": 50,
            "hidden_layer_sizes": (400, 200, 100),
            "activation": "sigmoid",
            "init": "random",
            "layer_matching": 1.0,
            "lr": 1e-2,
        },
        100 * 60000 // 128,
        128,
    ),
    "003 sigmoid SGD 0.01": (
        "003_87453722f8084079",
        "the same sigmoid network, MSE, plain SGD at lr 0.01 (the issue's example of a recipe that cannot train)",
        AutoencoderTransformer,
        {
            "n_components": 50,
            "hidden_layer_sizes": (400, 200, 100),
            "activation": "sigmoid",
            "init": "random",
            "optimizer": "sgd",
            "lr": 1e-2,
        },
        100 * 60000 // 128,
        128,
    ),
    "003 widths, library defaults": (
        "003_87453722f8084079",
        "the seed's widths (784-400-200-100-50) with this library's defaults: relu, PCA start, Adam 1e-3, "
        "early stopping (the path the warning points to)",
        AutoencoderTransformer,
        {"n_components": 50, "hidden_layer_sizes": (400, 200, 100)},
        None,
        128,
    ),
    "004 relu": (
        "004_913e327440829f90",
        "dense 784-256-64 relu (relu output), MSE, Adam 1e-3, N(0, 0.05) weights; epochs and batch not given",
        AutoencoderTransformer,
        {"n_components": 64, "hidden_layer_sizes": (256,), "init": "random", "lr": 1e-3},
        None,
        128,
    ),
    "004 VAE": (
        "004_913e327440829f90",
        "VAE 784-256-16 relu, MSE + KL, Adam 1e-3; epochs and batch not given",
        VAETransformer,
        {"n_components": 16, "hidden_layer_sizes": (256,), "lr": 1e-3},
        None,
        128,
    ),
}


def mse(est, X):
    rec = np.asarray(est.inverse_transform(est.transform(X)), dtype=np.float64)
    return float(((rec - X) ** 2).mean())


def run(name, max_steps, seed):
    _, _, cls, params, seed_steps, batch = RECIPES[name]
    X_train, _, X_test, _ = load_mnist(DATA)
    steps_per_epoch = math.ceil(N_ROWS / batch)
    if seed_steps is None:  # the seed does not say: this library's defaults (early stopping, 100 epochs at most)
        fit_params = {"batch_size": batch}
    else:
        steps = min(seed_steps, max_steps)
        fit_params = {
            "batch_size": batch,
            "max_epochs": max(1, round(steps / steps_per_epoch)),
            "early_stopping": False,
        }
    est = cls(random_state=seed, **params, **fit_params)
    t0 = time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PCAWorseWarning)
        est.fit(X_train)
    cpu = time.process_time() - t0
    k = params["n_components"]
    pca = PCA(k).fit(X_train)
    return {
        "recipe": name,
        "seed": seed,
        "params": {key: list(v) if isinstance(v, tuple) else v for key, v in {**params, **fit_params}.items()},
        "seed_steps": seed_steps,
        "steps": int(est.n_iter_) * steps_per_epoch,
        "epochs": int(est.n_iter_),
        "ratio": mse(est, X_test) / mse(pca, X_test),
        "ratio_train": mse(est, X_train) / mse(pca, X_train),
        "warned": any(issubclass(w.category, PCAWorseWarning) for w in caught),
        "fit_cpu_s": cpu,
    }


def markdown(rows):
    lines = [
        "# The seed tutorials' recipes through sklearn-ae, against PCA",
        "",
        "Command: `OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_seeds.py` (one row per recipe and "
        "seed in `results_seeds.jsonl`).",
        "",
        "Fit on the 5000 digits of `mnist_5k`, held-out ratio on the 10 000 MNIST test digits: reconstruction "
        "MSE of the recipe over PCA's with as many components, fitted on the same digits (lower is better, "
        "below 1 beats PCA). `train ratio`: the same on the 5000 training digits (what `PCAWorseWarning` "
        "checks). `steps`: optimizer steps of the seed (on 60 000 digits) / of this run (epochs x "
        f"ceil({N_ROWS} / batch)); `warned`: the fit raised `PCAWorseWarning`. Seeds without a stated number "
        "of epochs run with this library's early stopping.",
        "",
        "| seed | recipe (the seed's) | our parameters | steps seed / ours | held-out ratio | train ratio "
        "| warned | fit CPU s |",
        "|---|---|---|---:|---:|---:|---|---:|",
    ]
    for name in RECIPES:
        sub = [r for r in rows if r["recipe"] == name]
        if not sub:
            continue
        doc, what = RECIPES[name][:2]
        ratios = np.array([r["ratio"] for r in sub])
        train = np.array([r["ratio_train"] for r in sub])
        spread = (lambda a: f"{a.mean():.3f} ± {a.std(ddof=1):.3f}") if len(sub) > 1 else (lambda a: f"{a[0]:.3f}")
        params = ", ".join(f"{k}={v}" for k, v in sub[0]["params"].items())
        seed_steps = "early stopping" if sub[0]["seed_steps"] is None else str(sub[0]["seed_steps"])
        lines.append(
            f"| {name} (`{doc}`) | {what} | `{params}` | {seed_steps} / {sub[0]['steps']} | {spread(ratios)} "
            f"| {spread(train)} | {', '.join('yes' if r['warned'] else 'no' for r in sub)} "
            f"| {np.mean([r['fit_cpu_s'] for r in sub]):.0f} |"
        )
    out = HERE / "results_seeds.md"
    text = out.read_text() if out.exists() else ""
    lines += ["", MARKER + (text.split(MARKER, 1)[1].rstrip("\n") if MARKER in text else "")]
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", nargs="*", default=list(RECIPES))
    parser.add_argument("--seeds", type=int, nargs="*", default=[0])
    parser.add_argument("--max-steps", type=int, default=4000)
    parser.add_argument("--markdown", action="store_true", help="only rewrite the markdown from the log")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rows = [json.loads(line) for line in LOG.read_text().splitlines()] if LOG.exists() else []
    if not args.markdown:
        done = {(r["recipe"], r["seed"]) for r in rows}
        for name in args.recipes:
            for seed in args.seeds:
                if (name, seed) in done:
                    continue
                row = run(name, args.max_steps, seed)
                rows.append(row)
                with LOG.open("a") as f:
                    f.write(json.dumps(row) + "\n")
                print(
                    f"{name:28s} seed {seed} ratio {row['ratio']:.3f} train {row['ratio_train']:.3f} "
                    f"warned {row['warned']} steps {row['steps']} cpu {row['fit_cpu_s']:.0f}s",
                    flush=True,
                )
    markdown(rows)


if __name__ == "__main__":
    sys.exit(main())
