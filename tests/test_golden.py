"""Today's outputs against those of sklearn-ae 0.2, computed before the core was reshaped (issue 20).

``tests/golden.py`` holds the fits; here they are compared within a tolerance (rtol=1e-4, atol=1e-5), which holds
on any machine with the pinned stack; ``python tests/golden.py --exact`` compares bit for bit on the machine that
wrote ``tests/data/golden.npz``.
"""

import golden
import numpy as np
import pytest


@pytest.fixture(scope="module")
def outputs():
    return golden.compute()


def test_golden_file_is_present():
    assert golden.GOLDEN.exists(), "tests/data/golden.npz is missing: it is part of the repository"


def test_outputs_agree_with_those_before_the_reshaping(outputs):
    with np.load(golden.GOLDEN) as stored:
        reference = dict(stored)
    problems = golden.differences(reference, outputs, exact=False)
    assert not problems, "\n".join(problems[:20])


def test_a_changed_weight_is_caught(outputs):
    # the comparison itself can fail: one weight moved by more than the tolerance is reported
    with np.load(golden.GOLDEN) as stored:
        reference = dict(stored)
    key = next(k for k in reference if k.startswith("ae/weights/"))
    changed = dict(outputs)
    changed[key] = changed[key] + 1e-2
    assert [p for p in golden.differences(reference, changed, exact=False) if key in p]
