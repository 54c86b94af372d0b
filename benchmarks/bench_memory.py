"""Peak memory of fit and inference, relative to the input's size, next to PCA and IncrementalPCA.

Each measurement runs in a fresh process: it generates the data (float32; dense, or CSR with 10 % of the
entries non-zero), fits the model on 2000 rows unless the measured method is ``fit``, resets the kernel's
peak-RSS counter (``/proc/self/clear_refs``) and reports how far the peak (``VmHWM``) rose above the
resident size just before the call, divided by the input's size in bytes. RSS counts torch's allocations,
which tracemalloc does not see. glibc's mmap threshold is pinned at 64 KiB so that freed arrays leave the
RSS and the figure measures what the library holds, not the heap's history (see tests/test_memory.py).

Run from the repository root (Linux only)::

    python benchmarks/bench_memory.py            # writes benchmarks/results_memory.md
"""

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 2**20

ESTIMATORS = {
    "AutoencoderTransformer": ["fit", "transform", "score_samples"],
    "VAETransformer": ["fit", "transform", "score_samples"],
    "AutoencoderOutlierDetector": ["fit", "score_samples", "predict"],
    "PCA": ["fit", "transform", "score_samples"],
    "IncrementalPCA": ["fit", "transform", "score_samples"],
}


def _make(name):
    from sklearn.decomposition import PCA, IncrementalPCA

    from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer

    ae = {"n_components": 2, "max_epochs": 1, "random_state": 0}  # hidden_layer_sizes="auto": (512, 128)
    return {
        "AutoencoderTransformer": lambda: AutoencoderTransformer(**ae),
        "VAETransformer": lambda: VAETransformer(**ae),
        # the default estimator, trained for one epoch instead of 30
        "AutoencoderOutlierDetector": lambda: AutoencoderOutlierDetector(
            AutoencoderTransformer(**{**ae, "hidden_layer_sizes": (32,), "scaling": "standard", "batch_size": 128})
        ),
        "PCA": lambda: PCA(n_components=2),
        "IncrementalPCA": lambda: IncrementalPCA(n_components=2, batch_size=2048),
    }[name]()


def _data(n_rows, n_features, layout, density, seed=0):
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    if layout == "csr":
        X = sp.random(n_rows, n_features, density=density, format="csr", dtype=np.float32, random_state=seed)
        X.data[:] = rng.standard_normal(X.nnz, dtype=np.float32)
        return X
    mixing = rng.standard_normal((3, n_features)).astype(np.float32)
    X = rng.standard_normal((n_rows, 3), dtype=np.float32) @ mixing
    X += 0.1 * rng.standard_normal((n_rows, n_features), dtype=np.float32)
    return X


def _nbytes(X):
    return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes if hasattr(X, "indptr") else X.nbytes


def _rss():
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return {key: int(fields[key].split()[0]) * 1024 for key in ("VmRSS", "VmHWM")}


def child(case):
    """Measure one method in this process; print a JSON dict."""
    import gc

    warnings.simplefilter("ignore")
    X = _data(case["rows"], case["features"], case["layout"], case["density"])
    model = _make(case["estimator"])
    method = case["method"]
    if method != "fit":
        model.fit(X[:2000])
        with contextlib.suppress(Exception):  # an error is measured (and reported) below
            getattr(model, method)(X[:50])  # lazy initialisations are not the data's memory
    gc.collect()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # VmHWM := VmRSS
    before = _rss()["VmRSS"]
    start = time.perf_counter()
    try:
        getattr(model, method)(X)
        error = None
    except Exception as exc:  # a method that does not take this input: reported, not measured
        error = f"{type(exc).__name__}: {str(exc)[:80]}"
    peak = _rss()["VmHWM"] - before
    print(json.dumps({"peak": peak, "input": _nbytes(X), "seconds": time.perf_counter() - start, "error": error}))


def measure(case):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "MALLOC_MMAP_THRESHOLD_": str(2**16)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(case)], capture_output=True, text=True, env=env, cwd=ROOT
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1][:100]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cell(result):
    if result.get("error"):
        return "error"
    return f"{result['peak'] / result['input']:.2f} ({result['peak'] / MB:.0f} MB)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--density", type=float, default=0.1, help="fraction of non-zeros of the CSR input")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results_memory.md"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return

    import numpy as np
    import sklearn
    import torch

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    start = time.time()
    results, errors = {}, []
    for estimator, methods in ESTIMATORS.items():
        for method in methods:
            for layout in ("dense", "csr"):
                case = {"estimator": estimator, "method": method, "layout": layout, "rows": args.rows}
                case.update(features=args.features, density=args.density)
                result = measure(case)
                results[estimator, method, layout] = result
                if result.get("error"):
                    errors.append(f"- {estimator}.{method} on {layout}: {result['error']}")
                print(estimator, method, layout, _cell(result), result.get("error") or "", flush=True)

    sizes = {layout: next(r["input"] for (_, _, lay), r in results.items() if lay == layout and "input" in r)
             for layout in ("dense", "csr")}  # fmt: skip
    lines = [
        "# Peak memory of fit and inference",
        "",
        f"Command: `python benchmarks/bench_memory.py --rows {args.rows} --features {args.features} "
        f"--density {args.density}` (commit {commit.stdout.strip()}, {time.time() - start:.0f} s).",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"torch {torch.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}; "
        "one process per measurement, OMP_NUM_THREADS=1, MALLOC_MMAP_THRESHOLD_=65536.",
        "",
        f"Input: {args.rows} rows x {args.features} float32 features; dense {sizes['dense'] / MB:.1f} MB, CSR "
        f"({args.density:.0%} non-zero) {sizes['csr'] / MB:.1f} MB. Each cell: peak RSS above the resident size "
        "before the call, divided by the input's size (in parentheses: in MB). The autoencoders have the "
        "default widths (512, 128), n_components=2 and max_epochs=1 at fit; inference uses a model fitted on "
        "2000 rows. The detector wraps its default autoencoder ((32,), scaling='standard', batch_size=128), one epoch.",
        "",
        "| estimator | method | dense | CSR |",
        "|---|---|---|---|",
    ]
    for estimator, methods in ESTIMATORS.items():
        for method in methods:
            cells = [_cell(results[estimator, method, layout]) for layout in ("dense", "csr")]
            lines.append(f"| {estimator} | {method} | {' | '.join(cells)} |")
    if errors:
        lines += ["", "Errors (the method does not take that input):", "", *errors]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
