"""The package type-checks: mypy, with the project's configuration, reports no error.

``make lint`` runs mypy too; this test makes a type error fail the test suite
as well. mypy runs in a subprocess from the repository root, so that it reads
``[tool.mypy]`` from ``pyproject.toml`` (which checks ``sklearn_ae``) and keeps
its cache in ``.mypy_cache``: about a minute on a cold cache, a few seconds
after. Skips, saying why, when mypy is not installed.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_reports_no_error():
    pytest.importorskip("mypy", reason="mypy is not installed (pip install mypy, or the project's dev extra)")
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"mypy reports type errors (exit status {result.returncode}):\n{report}"
    assert "Success: no issues found" in result.stdout, report
