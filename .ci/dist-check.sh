#!/usr/bin/env bash
# make dist-check: build the sdist and the wheel, check what they carry, install the wheel into a fresh virtual
# environment outside the repository (torch first, then the wheel, both pinned by .ci/constraints.txt) and run
# the README's quick start there. Usage: .ci/dist-check.sh PYTHON_WITH_BUILD BASE_PYTHON
set -euo pipefail
cd "$(dirname "$0")/.."
build_python=$1
base_python=${2:-python3}
work=$(mktemp -d /tmp/sklearn-ae-dist-check.XXXXXX)
trap 'rm -rf "$work"' EXIT

# --no-isolation: the build backend is the pinned setuptools of the calling environment, not a fresh download
"$build_python" -m build --no-isolation --outdir "$work/dist" . >"$work/build.log" 2>&1 \
  || { cat "$work/build.log"; exit 1; }
sdist=$(ls "$work"/dist/*.tar.gz)
wheel=$(ls "$work"/dist/*.whl)
echo "built $(basename "$sdist") and $(basename "$wheel")"

"$base_python" - "$sdist" "$wheel" <<'PY'
import sys
import tarfile
import zipfile
from pathlib import Path

sdist, wheel = sys.argv[1:]
with tarfile.open(sdist) as tar:
    root = tar.getnames()[0].split("/")[0]
    in_sdist = {name.partition("/")[2] for name in tar.getnames()}
with zipfile.ZipFile(wheel) as zf:
    in_wheel = set(zf.namelist())
# The sdist carries every file the tests need (MANIFEST.in: graft tests), nothing compiled.
tracked_tests = {str(p) for p in Path("tests").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
needed = {"pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "sklearn_ae/py.typed", *tracked_tests}
for must in ("tests/conftest.py", "tests/data/golden.npz", "tests/unit/unit_helpers.py", "tests/plotting"):
    assert any(n == must or n.startswith(must + "/") for n in needed), f"{must} is not in the working tree"
missing = sorted(needed - in_sdist)
assert not missing, f"the sdist {root} lacks {missing}"
compiled = sorted(n for n in in_sdist if n.endswith((".pyc", ".pyo")) or "__pycache__" in n)
assert not compiled, f"the sdist carries compiled files: {compiled}"
# The wheel: the package with its type marker, and neither tests nor anything outside the package.
assert "sklearn_ae/py.typed" in in_wheel, "sklearn_ae/py.typed is not in the wheel"
stray = sorted(n for n in in_wheel if not n.startswith(("sklearn_ae/", "sklearn_ae-")))
assert not stray, f"the wheel carries files outside the package: {stray}"
print(f"sdist: {len(in_sdist)} files, the {len(tracked_tests)} test files included; wheel: {len(in_wheel)} files, py.typed included")
PY

# A fresh environment: torch first (the CPU build on this machine's disk), then the wheel and its dependencies.
"$base_python" -m venv "$work/venv"
pip=("$work/venv/bin/python" -m pip install -q --disable-pip-version-check -c .ci/constraints.txt)
"${pip[@]}" torch
"${pip[@]}" "$wheel"

# The README's first python code block, run outside the repository so that the installed wheel is imported.
"$base_python" - README.md "$work/readme_example.py" <<'PY'
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
block = re.search(r"^```python\n(.*?)^```", text, re.S | re.M)
assert block, "README.md has no python code block"
open(sys.argv[2], "w", encoding="utf-8").write(block.group(1))
PY
cat >>"$work/readme_example.py" <<'PY'

import sklearn_ae

assert "site-packages" in sklearn_ae.__file__, sklearn_ae.__file__
print(f"README quick start ran with sklearn-ae {sklearn_ae.__version__} from the wheel: score {model.score(X, y):.3f}")
PY
(cd "$work" && ./venv/bin/python readme_example.py)
