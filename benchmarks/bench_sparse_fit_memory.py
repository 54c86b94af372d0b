"""Peak memory of fit on wide sparse input: this code against another checkout (e.g. before a change), one run.

Each measurement is a fresh process (``PYTHONPATH`` set to the checkout) that builds a CSR matrix of 0.3 %
density, warms up with a fit on 500 rows, resets the kernel's peak-RSS counter and fits; the peak above the
resident size before the fit is reported, beside the size of a dense float64 copy of the input. Both checkouts
are measured in the same run, alternately.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/bench_sparse_fit_memory.py --other PATH_TO_OTHER_CHECKOUT``
(writes ``benchmarks/results_sparse_fit_memory.md``).
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = r"""
import json, sys, warnings
import numpy as np, scipy.sparse as sp
from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer

warnings.simplefilter("ignore")
n_rows, n_features, which = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
X = sp.random(n_rows, n_features, density=0.003, format="csr", random_state=0, dtype=np.float64)
ae = AutoencoderTransformer(n_components=4, hidden_layer_sizes=(32,), max_epochs=1, random_state=0)
model = ae if which == "transformer" else AutoencoderOutlierDetector(ae, random_state=0)
model.fit(X[:500])
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")
fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
before = int(fields["VmRSS"].split()[0]) * 1024
model.fit(X)
fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({"peak": int(fields["VmHWM"].split()[0]) * 1024 - before}))
"""
CASES = [(20_000, 2_000, "transformer"), (20_000, 2_000, "detector"), (60_000, 2_000, "transformer")]


def measure(tree, n_rows, n_features, which):
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "MALLOC_MMAP_THRESHOLD_": str(2**16)}
    args = [sys.executable, "-c", CHILD, str(n_rows), str(n_features), which]
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tree, timeout=900, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["peak"] / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", required=True, help="another checkout of the repository (e.g. before a change)")
    parser.add_argument("--other-label", default="before")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results_sparse_fit_memory.md"))
    args = parser.parse_args()
    rows = []
    for n_rows, n_features, which in CASES:
        other = measure(Path(args.other).resolve(), n_rows, n_features, which)
        this = measure(ROOT, n_rows, n_features, which)
        dense = n_rows * n_features * 8 / 2**20
        rows.append(f"| {which} | {n_rows:,} x {n_features:,} | {dense:.0f} | {other:.0f} | {this:.0f} |")
        print(rows[-1], flush=True)
    table = "\n".join(
        [
            "| estimator | CSR input (0.3 %) | dense float64 copy MB | "
            f"fit peak MB, {args.other_label} | fit peak MB, now |",
            "|---|---|---:|---:|---:|",
            *rows,
        ]
    )
    Path(args.out).write_text(
        "# Peak memory of fit on wide sparse input\n\n"
        f"Command: `PYTHONPATH=. .venv/bin/python benchmarks/bench_sparse_fit_memory.py --other ... "
        f"--other-label {args.other_label}`\n\n{table}\n"
    )


if __name__ == "__main__":
    main()
