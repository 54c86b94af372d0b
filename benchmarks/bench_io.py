"""File size and load time of the ways to store a fitted model: sklearn_ae.save, pickle, joblib, skops.

Default MNIST-sized models (784 features; the default widths (512, 128), n_components=2) fitted for one epoch
on 2000 MNIST rows (digits-like random data when the MNIST files are absent: the sizes do not depend on the
data). Each load is timed ``--repeats`` times in this process; the table gives the median and the range.
"pickle, skorch net inside" is the estimator's state before this change (skorch's own pickled net, which
pickles the torch module), for reference.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_io.py --out benchmarks/results_io.md
"""

import argparse
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
import sklearn
import torch

import sklearn_ae
from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _data(n_rows):
    try:
        from sklearn_ae.datasets import load_mnist

        X = load_mnist(DATA)[0][:n_rows]
        return np.asarray(X, dtype=np.float32), "MNIST"
    except Exception as exc:  # noqa: BLE001 - any failure to read the data falls back to random rows
        print(f"MNIST not available ({exc}); random rows instead", file=sys.stderr)
        return np.random.default_rng(0).random((n_rows, 784), dtype=np.float32), "random"


def _old_pickle(model):
    """The estimator's state as it pickled before this change: the skorch net object itself."""
    state = dict(vars(model))
    return pickle.dumps((type(model), state))


def _old_unpickle(blob):
    cls, state = pickle.loads(blob)
    model = cls.__new__(cls)
    vars(model).update(state)
    return model


def _time(load, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        load()
        times.append(time.perf_counter() - start)
    return np.array(times) * 1e3


def _ways(folder):
    import skops.io as sio

    def skops_load(path):
        return sio.load(path, trusted=sio.get_untrusted_types(file=path))

    def joblib_dump(model, path):
        joblib.dump(model, path)

    def old_dump(model, path):
        Path(path).write_bytes(_old_pickle(model))

    return [
        ("sklearn_ae.save / load", ".safetensors", sklearn_ae.save, sklearn_ae.load),
        (
            "sklearn_ae.save(include_optimizer=False) / load",
            ".lean.safetensors",
            lambda m, p: sklearn_ae.save(m, p, include_optimizer=False),
            sklearn_ae.load,
        ),
        (
            "pickle",
            ".pkl",
            lambda m, p: Path(p).write_bytes(pickle.dumps(m)),
            lambda p: pickle.loads(Path(p).read_bytes()),
        ),
        ("joblib", ".joblib", joblib_dump, joblib.load),
        ("skops", ".skops", sio.dump, skops_load),
        ("pickle, skorch net inside (before)", ".old.pkl", old_dump, lambda p: _old_unpickle(Path(p).read_bytes())),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default="benchmarks/results_io.md")
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, source = _data(args.rows)
    models = {
        "AutoencoderTransformer()": AutoencoderTransformer(max_epochs=1, random_state=0),
        "VAETransformer()": VAETransformer(max_epochs=1, random_state=0),
        "AutoencoderOutlierDetector(n_estimators=2)": AutoencoderOutlierDetector(n_estimators=2, random_state=0),
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in models.items():
            model.fit(X)
            n_weights = sum(
                p.numel() for m in getattr(model, "estimators_", [model]) for p in m.net_.module_.parameters()
            )
            reference = model.score_samples(X[:100])
            for way, suffix, dump, load in _ways(tmp):
                if "before" in way and hasattr(model, "estimators_"):
                    continue  # its members pickle through the new state: no "before" for the detector here
                path = Path(tmp) / f"m{suffix}"
                dump(model, path)
                loaded = load(path)
                assert np.array_equal(loaded.score_samples(X[:100]), reference), (name, way)
                ms = _time(lambda load=load, path=path: load(path), args.repeats)
                rows.append((name, n_weights, way, path.stat().st_size, ms))
                print(rows[-1][:4], np.median(ms), flush=True)

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines = [
        "# Saving and loading: file size and load time",
        "",
        f"Command: `OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_io.py --rows {args.rows} "
        f"--repeats {args.repeats}` (commit {commit}).",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}, "
        f"torch {torch.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}; "
        "torch.set_num_threads(1).",
        "",
        f"Models fitted for one epoch on {args.rows} {source} rows (784 features; default widths (512, 128), "
        "n_components=2). Load time: the whole load call (reading the file and rebuilding the estimator), "
        f"in this process, {args.repeats} times: median [min, max]. Every loaded model's score_samples equals "
        "the original's exactly. The last way is the state as it pickled before this change (the skorch net "
        "object, which pickles the torch module and the optimizer's state), for reference; not measured for the "
        "detector, whose members now pickle through the new state.",
        "",
        "| model | weights | way | file size | size vs pickle | load time (ms) |",
        "|---|---|---|---|---|---|",
    ]
    pickle_sizes = {name: size for name, _, way, size, _ in rows if way == "pickle"}
    for name, n_weights, way, size, ms in rows:
        lines.append(
            f"| {name} | {n_weights:,} | {way} | {size / 1e6:.2f} MB | {size / pickle_sizes[name]:.3f} | "
            f"{np.median(ms):.1f} [{ms.min():.1f}, {ms.max():.1f}] |"
        )
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
