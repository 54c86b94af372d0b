"""Per-module summary of the last mutation run (``make mutation``), as rows for benchmarks/results_mutation.md.

Reads mutmut's per-file results under ``mutants/`` (left by ``mutmut run``) and prints one markdown row per
mutated module: mutants, killed, survived, timeout, no tests (no selected test calls the function), not run.
Run from the repository root: ``.venv/bin/python benchmarks/mutation_table.py``.
"""

import json
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

COLUMNS = ("killed", "survived", "timeout", "no tests", "not checked")


def main():
    print("| module | mutants | killed | survived | timeout | no tests | not run |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for meta in sorted(Path("mutants").glob("**/*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if not codes:
            continue
        counts = Counter(status_by_exit_code[code] for code in codes.values())
        other = len(codes) - sum(counts[c] for c in COLUMNS)
        module = str(meta.relative_to("mutants").with_suffix("").with_suffix(".py"))
        row = [module, len(codes), *(counts[c] for c in COLUMNS)]
        print("| " + " | ".join(map(str, row)) + " |" + (f" ({other} other)" if other else ""))


if __name__ == "__main__":
    main()
