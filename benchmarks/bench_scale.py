"""Scale benchmarks of issue 11: out-of-core fit, streaming with partial_fit, and Dask.

Three parts, each written as a markdown section of ``benchmarks/results_scale.md`` (replacing its previous run):

- ``memory``: ``fit`` of an ``n x d`` float32 ``numpy.memmap`` (low rank + noise, generated in a temporary folder)
  against the in-memory fit of the same data, one epoch each, each in a fresh process: peak resident memory above
  the process's resident size just before (``VmHWM`` after resetting it through ``/proc/self/clear_refs``; the
  in-memory figure includes loading the 4nd bytes of data), the whole ``fit`` and its training epoch.
- ``streaming``: held-out reconstruction error after one pass of ``partial_fit`` over 10 chunks, against ``fit`` on
  all the data (one epoch, the same work, and 10 epochs), IncrementalPCA on the same chunks and PCA, at equal
  ``n_components``, over seeds; and with chunks sorted by a feature (a first chunk that is not representative),
  the scaling from the first chunk against ``FittedScaling.from_scaler`` of a StandardScaler streamed over the
  chunks.
- ``dask``: the same ``GridSearchCV`` run in this process (``n_jobs=1``) and on a 2-worker ``LocalCluster``
  (``n_jobs=-1`` under ``joblib.parallel_backend("dask")``), wall time of each.

Run from the repository root (Linux), on a quiet machine for the timings::

    OMP_NUM_THREADS=1 python benchmarks/bench_scale.py memory --rows 2000000 --features 100
    OMP_NUM_THREADS=1 python benchmarks/bench_scale.py streaming
    OMP_NUM_THREADS=1 python benchmarks/bench_scale.py dask
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
MB = 2**20


def _status():
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0]) * 1024
    return fields


# ------------------------------------------------------------------------- memory
def _write_memmap(path, n, d, seed=0, chunk=100_000):
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(10, d)).astype(np.float32)
    X = np.memmap(path, dtype=np.float32, mode="w+", shape=(n, d))
    for start in range(0, n, chunk):
        rows = min(chunk, n - start)
        X[start : start + rows] = rng.normal(size=(rows, 10)).astype(np.float32) @ basis + 0.1 * rng.normal(
            size=(rows, d)
        ).astype(np.float32)
    X.flush()
    del X


def _memory_child(path, n, d, mode, batch_size):
    import torch

    from sklearn_ae import AutoencoderTransformer

    torch.set_num_threads(1)
    X = np.memmap(path, dtype=np.float32, mode="r", shape=(n, d))
    # warm up the imports and the lazy initialisation of torch's optimizer on a few rows
    AutoencoderTransformer(n_components=10, max_epochs=1, batch_size=batch_size, random_state=0).fit(X[:2000].copy())
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    before = _status()
    start, cpu = time.perf_counter(), time.process_time()
    data = np.array(X) if mode == "in memory" else X
    ae = AutoencoderTransformer(n_components=10, max_epochs=1, batch_size=batch_size, random_state=0).fit(data)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    after = _status()
    epoch = ae.net_.history[-1]["dur"]
    error = float(np.mean((ae.inverse_transform(ae.transform(X[:20000])) - X[:20000]) ** 2))
    return {
        "mode": mode,
        "peak_above_mb": (after["VmHWM"] - before["VmRSS"]) / MB,
        "rss_after_mb": (after["VmRSS"] - before["VmRSS"]) / MB,
        "fit_s": seconds,
        "fit_cpu_s": cpu,
        "epoch_s": epoch,
        "mse": error,
    }


def run_memory(args):
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "X.dat")
        start = time.perf_counter()
        _write_memmap(path, args.rows, args.features)
        print(f"wrote {args.rows} x {args.features} float32 in {time.perf_counter() - start:.0f} s", flush=True)
        for mode in ("on disk (memmap)", "in memory"):
            command = [sys.executable, __file__, "_memory_child", path, str(args.rows), str(args.features), mode]
            command.append(str(args.batch_size))
            env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "OMP_NUM_THREADS": "1"}
            out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(rows[-1], flush=True)
    size = args.rows * args.features * 4 / MB
    lines = [
        f"### Out-of-core fit: {args.rows:,} x {args.features} float32 memmap ({size:.0f} MB)",
        "",
        "```",
        f"OMP_NUM_THREADS=1 python benchmarks/bench_scale.py memory --rows {args.rows} --features {args.features} "
        f"--batch-size {args.batch_size}",
        "```",
        "",
        f"AutoencoderTransformer(n_components=10, max_epochs=1, batch_size={args.batch_size}), default network "
        "(512, 128), early stopping's 10 % validation split, one torch thread, each in a fresh process. Peak: "
        "VmHWM above the RSS just before `fit` (the in-memory row includes loading the data). Epoch: skorch's "
        "duration of the training epoch (with its validation pass); fit: the whole call (scaling statistics, PCA "
        "start, validation of the start, the epoch, the codes' statistics). MSE: reconstruction error on the "
        "first 20,000 rows. CPU: the process's CPU time during `fit` (a fairer comparison than wall times on a "
        f"busy machine). {platform.processor() or platform.machine()}, {os.cpu_count()} cores"
        f"{', shared with other jobs' if os.getloadavg()[0] > 1.5 else ''} (load {os.getloadavg()[0]:.1f}).",
        "",
        "| data | peak RSS above baseline (MB) | RSS kept after fit (MB) | epoch (s) | fit (s) | fit, CPU (s) | MSE |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mode']} | {r['peak_above_mb']:.0f} | {r['rss_after_mb']:.0f} | {r['epoch_s']:.1f} | "
            f"{r['fit_s']:.1f} | {r['fit_cpu_s']:.1f} | {r['mse']:.4f} |"
        )
    return lines


# ---------------------------------------------------------------------- streaming
def _datasets():
    from sklearn_ae.datasets import load_mnist, load_odds

    X_train, _, X_test, _ = load_mnist(DATA)
    yield "MNIST (5000 train / 10000 test, 784)", X_train, X_test, 16
    X, _ = load_odds("shuttle", DATA)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(X))
    X = X[order].astype(np.float64)
    yield "shuttle (ODDS; 39097 train / 10000 test, 9)", X[:-10000], X[-10000:], 3


def _mse(model, X):
    return float(np.mean((model.inverse_transform(model.transform(X)) - X) ** 2))


def run_streaming(args):
    from sklearn.decomposition import PCA, IncrementalPCA
    from sklearn.preprocessing import StandardScaler

    from sklearn_ae import AutoencoderTransformer, FittedScaling

    lines = [
        "## Streaming: one pass of partial_fit over 10 chunks",
        "",
        "```",
        "OMP_NUM_THREADS=1 python benchmarks/bench_scale.py streaming",
        "```",
        "",
        "Held-out reconstruction MSE (original units; MNIST pixels in [0, 1]), mean ± std over seeds "
        f"{list(range(args.seeds))} (the seed shuffles the rows into chunks and seeds the estimators). "
        "AutoencoderTransformer with its defaults (PCA start, network (512, 128), batch 128) but n_components; "
        "`partial_fit` x 10: one call per chunk (one epoch in all); 10 passes: the same chunks nine more times; "
        "`fit`, 1 epoch: the same work as one pass on all rows at once (its early stopping holds out 10 % and "
        "keeps the PCA start when the epoch is worse on them); `fit`, 10 epochs: the work of 10 passes. "
        "Sorted chunks: the rows sorted by their first principal component's score, so the first chunk is "
        "not representative; the scaling then comes from the first chunk or from "
        "`FittedScaling.from_scaler(StandardScaler().partial_fit(...) over the chunks)`.",
        "",
        "| data | k | PCA | IncrementalPCA x 10 | partial_fit x 10 | partial_fit x 10, 10 passes | fit, 1 epoch | "
        "fit, 10 epochs | "
        "sorted chunks: partial_fit, first-chunk scaling | sorted: partial_fit, FittedScaling | "
        "sorted: IncrementalPCA |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    torch_threads()
    for name, X_train, X_test, k in _datasets():
        results = {}
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            shuffled = X_train[rng.permutation(len(X_train))]
            chunks = np.array_split(shuffled, 10)
            params = {"n_components": k, "random_state": seed}
            record = results.setdefault

            record("PCA", []).append(_mse(PCA(k).fit(X_train), X_test))
            ipca = IncrementalPCA(k)
            for chunk in chunks:
                ipca.partial_fit(chunk)
            record("IncrementalPCA x 10", []).append(_mse(ipca, X_test))
            ae = AutoencoderTransformer(**params)
            for chunk in chunks:
                ae.partial_fit(chunk)
            record("partial_fit x 10", []).append(_mse(ae, X_test))
            for _ in range(9):
                for chunk in chunks:
                    ae.partial_fit(chunk)
            record("partial_fit x 10, 10 passes", []).append(_mse(ae, X_test))
            record("fit, 1 epoch", []).append(
                _mse(AutoencoderTransformer(**params, max_epochs=1).fit(shuffled), X_test)
            )
            record("fit, 10 epochs", []).append(
                _mse(AutoencoderTransformer(**params, max_epochs=10).fit(shuffled), X_test)
            )

            scores = PCA(1).fit(X_train).transform(X_train)[:, 0]
            sorted_chunks = np.array_split(X_train[np.argsort(scores)], 10)
            first = AutoencoderTransformer(**params)
            for chunk in sorted_chunks:
                first.partial_fit(chunk)
            record("sorted first", []).append(_mse(first, X_test))
            scaler = StandardScaler()
            for chunk in sorted_chunks:
                scaler.partial_fit(chunk)
            given = AutoencoderTransformer(**params, scaling=FittedScaling.from_scaler(scaler))
            for chunk in sorted_chunks:
                given.partial_fit(chunk)
            record("sorted given", []).append(_mse(given, X_test))
            sorted_ipca = IncrementalPCA(k)
            for chunk in sorted_chunks:
                sorted_ipca.partial_fit(chunk)
            record("sorted ipca", []).append(_mse(sorted_ipca, X_test))
            print(name, seed, {key: round(v[-1], 5) for key, v in results.items()}, flush=True)
        cells = [f"{np.mean(v):.4g} ± {np.std(v):.2g}" for v in results.values()]
        lines.append(f"| {name} | {k} | " + " | ".join(cells) + " |")
    return lines


def torch_threads():
    import torch

    torch.set_num_threads(1)


# --------------------------------------------------------------------------- dask
def run_dask(args):
    import joblib
    from distributed import Client, LocalCluster
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV

    from sklearn_ae import AutoencoderTransformer

    torch_threads()
    X, _ = load_digits(return_X_y=True)
    grid = {"n_components": [4, 8, 16], "hidden_layer_sizes": [(32,), (128,)]}
    base = AutoencoderTransformer(max_epochs=10, random_state=0)
    start = time.perf_counter()
    local = GridSearchCV(base, grid, cv=3).fit(X)
    local_s = time.perf_counter() - start
    start = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    client.run(__import__, "sklearn_ae")
    startup_s = time.perf_counter() - start
    start = time.perf_counter()
    with joblib.parallel_backend("dask"):
        remote = GridSearchCV(base, grid, cv=3, n_jobs=-1).fit(X)
    remote_s = time.perf_counter() - start
    client.close()
    cluster.close()
    gap = np.max(np.abs(remote.cv_results_["mean_test_score"] - local.cv_results_["mean_test_score"]))
    return [
        "## Dask: the same GridSearchCV in this process and on a 2-worker LocalCluster",
        "",
        "```",
        "OMP_NUM_THREADS=1 python benchmarks/bench_scale.py dask",
        "```",
        "",
        "AutoencoderTransformer(max_epochs=10) on the 1797 digits, grid "
        f"{grid} (6 candidates), cv=3: 18 fits. Local: `n_jobs=1`, one torch thread. Cluster: "
        "`LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`, `n_jobs=-1` under "
        f"`joblib.parallel_backend('dask')`. {os.cpu_count()} cores (load {os.getloadavg()[0]:.1f} at the end).",
        "",
        "| run | wall time (s) |",
        "|---|---|",
        f"| local, n_jobs=1 | {local_s:.1f} |",
        f"| cluster start (2 processes, import sklearn_ae) | {startup_s:.1f} |",
        f"| cluster search | {remote_s:.1f} |",
        "",
        f"Largest difference of `mean_test_score` between the two searches: {gap:.2g}; best parameters "
        f"{'equal' if remote.best_params_ == local.best_params_ else 'different'} ({local.best_params_}).",
    ]


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_memory_child":
        path, n, d, mode, batch_size = sys.argv[2:7]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            print(json.dumps(_memory_child(path, int(n), int(d), mode, int(batch_size))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["memory", "streaming", "dask"])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    runner = {"memory": run_memory, "streaming": run_streaming, "dask": run_dask}[args.part]
    lines = runner(args)
    print("\n".join(lines))
    part = f"memory-{args.rows}x{args.features}" if args.part == "memory" else args.part
    write_section(ROOT / "benchmarks" / "results_scale.md", part, lines)


def write_section(path, part, lines):
    """Put ``lines`` in ``path`` between the markers of ``part``, in place of the part's previous results."""
    begin, end = f"<!-- {part} -->", f"<!-- /{part} -->"
    text = (
        path.read_text()
        if path.exists()
        else "# Scale benchmarks (issue 11)\n\nWritten by `benchmarks/bench_scale.py`.\n"
    )
    section = "\n".join([begin, *lines, end])
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
