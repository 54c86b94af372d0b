"""Transform throughput: onnxruntime (our ONNX export) against our ``transform`` and PCA's.

On MNIST-sized rows (784 features: the 10 000 MNIST test digits from
``../shared/data``, or random rows of that width when the data is absent),
batch sizes 1, 64 and 4096, one thread everywhere (torch, onnxruntime,
BLAS), the same process. Compared, on the same rows:

- ``AutoencoderTransformer.transform`` (torch, through the estimator: input
  validation, scaling, batching), dense (the default hidden layers) and
  convolutional (``image_shape=(28, 28)``, the default channels);
- the same models exported by ``skl2onnx.to_onnx`` (``sklearn_ae.onnx``),
  run by onnxruntime;
- ``PCA.transform`` with the same number of components, and PCA exported by
  skl2onnx in onnxruntime.

Each method runs ``--rounds`` interleaved rounds (the methods take turns,
so that a burst of load from other jobs hits them alike) of about
``--seconds`` each; the table shows the median rows per second and the
range over the rounds, by wall time and by the process's CPU time (which
other jobs on a shared machine barely move). The models are trained for a
few epochs only: the time of a forward pass does not depend on the weights.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_onnx.py``;
writes ``benchmarks/results_onnx.md``.
"""

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime
import skl2onnx
import sklearn
import torch
from sklearn.decomposition import PCA

import sklearn_ae
from sklearn_ae import AutoencoderTransformer
from sklearn_ae.datasets import load_mnist
from sklearn_ae.onnx import register

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mnist import env_prefix  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"


def load_rows(n_train):
    """Training and test rows, float32 in [0, 1], and where they come from."""
    try:
        X_train, _, X_test, _ = load_mnist(DATA)
        return X_train[:n_train], X_test, "MNIST: `mnist_5k` to train, the 10 000 test digits to transform"
    except (FileNotFoundError, OSError):
        rng = np.random.default_rng(0)
        return (
            rng.random((n_train, 784), dtype=np.float32),
            rng.random((10_000, 784), dtype=np.float32),
            "random rows of 784 features (the MNIST files were not found)",
        )


def session(model):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def ort_transform(sess):
    name = sess.get_inputs()[0].name
    return lambda X: sess.run(None, {name: X})[0]


def time_round(fn, X, batch_size, seconds):
    """Call ``fn`` on consecutive batches of ``X`` for about ``seconds``; rows per wall and CPU second."""
    n_rows, start = 0, 0
    t0, c0 = time.perf_counter(), time.process_time()
    while True:
        if start + batch_size > len(X):
            start = 0
        fn(X[start : start + batch_size])
        start += batch_size
        n_rows += batch_size
        wall = time.perf_counter() - t0
        if wall >= seconds:
            return n_rows / wall, n_rows / (time.process_time() - c0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 64, 4096])
    parser.add_argument("--n-components", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--no-conv", action="store_true")
    parser.add_argument("--out", default=str(HERE / "results_onnx.md"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    register()

    X_train, X_test, source = load_rows(5000)
    k = args.n_components
    models = {}
    ae = AutoencoderTransformer(k, max_epochs=args.epochs, random_state=0).fit(X_train)
    models["AE dense"] = ae
    if not args.no_conv:
        conv = AutoencoderTransformer(k, image_shape=(28, 28), max_epochs=1, random_state=0).fit(X_train)
        models["AE conv"] = conv
    models["PCA"] = PCA(k, random_state=0).fit(X_train)

    methods, conversion, parity = {}, {}, {}
    for name, model in models.items():
        t0, c0 = time.perf_counter(), time.process_time()
        onnx_model = skl2onnx.to_onnx(model, X_train[:1])
        conversion[name] = (time.perf_counter() - t0, time.process_time() - c0)
        ort = ort_transform(session(onnx_model))
        expected = model.transform(X_test)
        difference = float(np.abs(ort(X_test) - expected).max())
        parity[name] = (difference, difference / float(np.abs(expected).max()))
        own = "torch" if name.startswith("AE") else "scikit-learn"
        methods[f"{name}, {own} `transform`"] = model.transform
        methods[f"{name}, onnxruntime"] = ort

    results = {}  # (method, batch size) -> list of (wall rows/s, CPU rows/s)
    for batch_size in args.batch_sizes:
        for fn in methods.values():  # warm-up
            fn(X_test[:batch_size])
        for _ in range(args.rounds):
            for label, fn in methods.items():
                results.setdefault((label, batch_size), []).append(time_round(fn, X_test, batch_size, args.seconds))
        print(f"batch {batch_size} done", flush=True)

    def median(label, batch_size, clock):
        return float(np.median([r[clock] for r in results[label, batch_size]]))

    def cell(label, batch_size, clock):
        values = [r[clock] for r in results[label, batch_size]]
        return f"{np.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"

    lines = [
        "# Transform throughput: onnxruntime vs our transform vs PCA",
        "",
        f"Command: `{env_prefix()}.venv/bin/python benchmarks/bench_onnx.py "
        f"--rounds {args.rounds} --seconds {args.seconds} --epochs {args.epochs}"
        f"{' --no-conv' if args.no_conv else ''}`",
        "",
        f"Data: {source}; 784 features, float32. n_components={k}. Dense autoencoder: the defaults "
        f"(hidden_layer_sizes=(512, 128), PCA linear path), {args.epochs} epochs; convolutional: "
        "image_shape=(28, 28), channels (16, 32, 64), 1 epoch (a forward pass costs the same whatever the weights). "
        "ONNX models from `skl2onnx.to_onnx(model, X[:1])` after `sklearn_ae.onnx.register()`; onnxruntime "
        f"{onnxruntime.__version__} with one intra-op and one inter-op thread, CPU provider; torch with "
        f"{torch.get_num_threads()} thread.",
        "",
        f"Machine: a 2-core CPU shared with other jobs. Python {platform.python_version()}, torch "
        f"{torch.__version__}, scikit-learn {sklearn.__version__}, skl2onnx {skl2onnx.__version__}, "
        f"sklearn-ae {sklearn_ae.__version__}.",
        "",
        f"Rows per second, median of {args.rounds} interleaved rounds of about {args.seconds} s (range in "
        "brackets). CPU: rows per second of the process's CPU time, which other jobs on the shared machine "
        "barely move; wall: per second of elapsed time.",
        "",
        "| method | " + " | ".join(f"batch {b}, CPU | batch {b}, wall" for b in args.batch_sizes) + " |",
        "|---|" + "---:|---:|" * len(args.batch_sizes),
    ]
    for label in methods:
        cells = [f"{cell(label, b, 1)} | {cell(label, b, 0)}" for b in args.batch_sizes]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Ratios of the medians (CPU time): onnxruntime over the same model's own `transform`, and each over "
        "PCA's `transform` (scikit-learn) and over PCA in onnxruntime.",
        "",
        "| ratio | " + " | ".join(f"batch {b}" for b in args.batch_sizes) + " |",
        "|---|" + "---:|" * len(args.batch_sizes),
    ]
    pca_own, pca_ort = "PCA, scikit-learn `transform`", "PCA, onnxruntime"
    ratios = []
    for name in models:
        if name == "PCA":
            continue
        own, ort = f"{name}, torch `transform`", f"{name}, onnxruntime"
        ratios += [
            (f"{name}: onnxruntime / torch `transform`", ort, own),
            (f"{name}: onnxruntime / PCA `transform`", ort, pca_own),
            (f"{name}: torch `transform` / PCA `transform`", own, pca_own),
            (f"{name}: onnxruntime / PCA in onnxruntime", ort, pca_ort),
        ]
    ratios.append(("PCA: onnxruntime / scikit-learn `transform`", pca_ort, pca_own))
    for title, num, den in ratios:
        values = [median(num, b, 1) / median(den, b, 1) for b in args.batch_sizes]
        lines.append(f"| {title} | " + " | ".join(f"{v:.2f}" for v in values) + " |")
    lines += [
        "",
        "Parity on the 10 000 test rows (max absolute difference between onnxruntime and the model's own "
        "`transform`, float32), and the one-off `to_onnx` conversion time (the first conversion in the process "
        "also pays for loading torch's exporter):",
        "",
        "| model | max abs difference | relative to the largest code | conversion, CPU s | conversion, wall s |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {parity[name][0]:.2e} | {parity[name][1]:.2e} | {conversion[name][1]:.1f} "
        f"| {conversion[name][0]:.1f} |"
        for name in models
    ]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
