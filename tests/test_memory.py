"""Inference memory is bounded by a batch, whatever the number of rows and the network's width.

Each measurement runs in a fresh Python process, which fits a small model, generates the input
(float32, never committed) and then, method by method, resets the kernel's peak-RSS counter
(``/proc/self/clear_refs``) and reads how far the peak (``VmHWM``) rose above the resident size
before the call. RSS counts what torch allocates, which tracemalloc does not see. The bounds are
generous: the claim is that going from 20k to 200k rows adds far less memory than the input grows,
not an exact budget. No timing is asserted.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MB = 2**20
SIZES = (10_000, 100_000)


def _proc_supports_peak_reset():
    try:
        with open("/proc/self/status") as status:
            if "VmHWM" not in status.read():
                return False
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not _proc_supports_peak_reset(),
    reason="needs Linux's /proc/self/status (VmHWM) and a writable /proc/self/clear_refs to measure peak RSS",
)

# Run in a child process: argv[1] is a JSON case; prints a JSON dict {method: {peak, output, input}} in bytes.
CHILD = r"""
import gc, json, sys, warnings
import numpy as np
from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer

warnings.simplefilter("ignore")
case = json.loads(sys.argv[1])

def rss():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return {key: int(fields[key].split()[0]) * 1024 for key in ("VmRSS", "VmHWM")}

def measure(method, X):
    gc.collect()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # VmHWM := VmRSS
    before = rss()["VmRSS"]
    out = method(X)
    peak = rss()["VmHWM"] - before
    parts = out if isinstance(out, tuple) else (out,)
    return {"peak": peak, "output": sum(p.nbytes for p in parts), "input": X.nbytes}, out

rng = np.random.default_rng(0)
d = case["n_features"]
mixing = rng.standard_normal((3, d)).astype(np.float32)
def rows(n):
    X = rng.standard_normal((n, 3), dtype=np.float32) @ mixing
    X += 0.1 * rng.standard_normal((n, d), dtype=np.float32)
    return X

params = {"n_components": case["k"], "hidden_layer_sizes": tuple(case["hidden"]), "max_epochs": 1, "random_state": 0}
if case["model"] == "vae":
    model = VAETransformer(**params)
elif case["model"] == "detector":
    detector = AutoencoderTransformer(**params)
    model = AutoencoderOutlierDetector(detector, measure=case["measure"], random_state=0)
else:
    model = AutoencoderTransformer(**params)
model.fit(rows(2000))
X = rows(case["n_rows"])
for name in case["methods"]:  # warm-up: lazy initialisations are not the data's memory
    getattr(model, name)(X[:50] if name != "inverse_transform" else model.transform(X[:50]))
result = {}
for name in case["methods"]:
    if name == "inverse_transform":
        codes = model.transform(X)
        result[name], out = measure(model.inverse_transform, codes)
        del codes
    else:
        result[name], out = measure(getattr(model, name), X)
    del out
print(json.dumps(result))
"""


# glibc raises its mmap threshold after each large free, up to 32 MB: large arrays then come from the heap,
# whose freed holes stay resident, and the peak RSS depends on the heap's history rather than on what the
# library holds (from nothing to 16 MB more per batch of a 2048-wide layer, from one run to the next). A
# fixed, small threshold maps every array above 64 KiB on its own and unmaps it when freed: the RSS then
# measures what the library holds.
PINNED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(2**16)}


def _measure(**case):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", **PINNED_MALLOC}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(case)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _extra(m):
    """Peak memory above what the call must hold anyway: its output, and the temporary copies of it."""
    return m["peak"] - OUTPUT_COPIES * m["output"]


# The output is gathered from its batches (one copy), checked for finiteness (a boolean mask) and, for
# inverse_transform, unscaled (two temporaries): at most about four outputs' worth besides the batches.
OUTPUT_COPIES = 4
# What a batch may take, whatever the data size: generous (one batch of 2048 rows through a 2048-wide layer
# is 16 MB per activation; score_samples' Jacobian batches are sized to about 2**22 numbers).
BATCH_BOUND = 160 * MB

CASES = {
    "wide (2048,) autoencoder, 32 features": {
        "model": "autoencoder",
        "n_features": 32,
        "k": 2,
        "hidden": [2048],
        "methods": ["transform", "score_samples", "inverse_transform"],
    },
    # score_samples used to take ~35 KB per row here: its Jacobian batches are now sized from the decoder's width
    "10 features, k=2, default widths": {
        "model": "autoencoder",
        "n_features": 10,
        "k": 2,
        "hidden": [512, 128],
        "methods": ["score_samples"],
    },
    "VAE (512,), 32 features": {
        "model": "vae",
        "n_features": 32,
        "k": 2,
        "hidden": [512],
        "methods": ["transform", "posterior", "inverse_transform"],
    },
}


def _assert_bounded(small, large, methods):
    for method in methods:
        s, m = small[method], large[method]
        report = (
            f"{method}: peak {s['peak'] / MB:.1f} MB at {SIZES[0]} rows, {m['peak'] / MB:.1f} MB at {SIZES[1]} "
            f"rows (input {m['input'] / MB:.1f} MB, output {m['output'] / MB:.1f} MB)"
        )
        assert _extra(m) < BATCH_BOUND, report
        # ten times the rows: the memory beyond the output grows by a fraction of the input's growth
        assert _extra(m) - _extra(s) < 0.5 * (m["input"] - s["input"]) + 32 * MB, report


@pytest.mark.parametrize("case", list(CASES))
def test_inference_memory_is_bounded_by_a_batch(case):
    small, large = (_measure(**CASES[case], n_rows=n) for n in SIZES)
    _assert_bounded(small, large, CASES[case]["methods"])


# ---------------------------------------------------------------------------------------- known defects
def test_vae_score_samples_batch_is_sized_for_the_network_width():
    case = {"model": "vae", "n_features": 32, "k": 2, "hidden": [2048], "methods": ["score_samples"]}
    m = _measure(**case, n_rows=SIZES[0])["score_samples"]
    assert _extra(m) < BATCH_BOUND, f"score_samples: peak {m['peak'] / MB:.1f} MB at {SIZES[0]} rows"


def test_detector_scores_memory_is_bounded_by_a_batch():
    case = {"model": "detector", "measure": "distance", "n_features": 64, "k": 2, "hidden": [32]}
    case["methods"] = ["score_samples", "predict"]
    small, large = (_measure(**case, n_rows=n) for n in SIZES)
    _assert_bounded(small, large, case["methods"])


# A sparse matrix is never densified whole in fit: the PCA start, the scaling, training and the statistics after
# training read it a few megabytes of rows at a time. 20,000 x 1,000 at 0.3 % density is 0.7 MB of CSR data and
# 160 MB as a dense float64 copy; what fit needs beyond that is the d x d covariance and its eigendecomposition.
SPARSE_FIT_CHILD = r"""
import json, sys, warnings
import numpy as np, scipy.sparse as sp
from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer

warnings.simplefilter("ignore")
n_rows, n_features, which = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
X = sp.random(n_rows, n_features, density=0.003, format="csr", random_state=0, dtype=np.float64)
ae = AutoencoderTransformer(n_components=4, hidden_layer_sizes=(32,), max_epochs=1, random_state=0)
model = ae if which == "transformer" else AutoencoderOutlierDetector(ae, random_state=0)
model.fit(X[:500])  # warm-up: lazy initialisations are not the data's memory
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")
fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
before = int(fields["VmRSS"].split()[0]) * 1024
model.fit(X)
fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({"peak": int(fields["VmHWM"].split()[0]) * 1024 - before, "dense": n_rows * n_features * 8}))
"""


@pytest.mark.parametrize("which", ["transformer", "detector"])
def test_sparse_fit_memory_stays_far_below_a_dense_copy(which):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", **PINNED_MALLOC}
    done = subprocess.run(
        [sys.executable, "-c", SPARSE_FIT_CHILD, "20000", "1000", which],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    m = json.loads(done.stdout.strip().splitlines()[-1])
    # it used to densify 4096-row batches of float64 with several temporaries at once
    assert m["peak"] < 0.5 * m["dense"], f"fit's peak {m['peak'] / MB:.0f} MB; a dense copy is {m['dense'] / MB:.0f} MB"
