"""Shared fixtures."""

from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    """The project's benchmark data folder (../shared/data); skips when absent."""
    if not (SHARED_DATA / "README.md").exists():
        pytest.skip(f"benchmark data not found at {SHARED_DATA} (it lives beside the repository, in ../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's digits as float64: 1000 training rows and the next 400 held out."""
    X, _ = load_digits(return_X_y=True)
    return X[:1000].astype(np.float64), X[1000:1400].astype(np.float64)


@contextmanager
def _global_rngs_untouched(seed=0):
    # Reseed, run the block, then compare the next draws with those right after reseeding: comparing numpy's
    # key array alone misses a draw that only moves the position in it.
    np.random.seed(seed)
    torch.manual_seed(seed)
    yield
    numpy_after, torch_after = np.random.random_sample(8), torch.rand(8)
    np.random.seed(seed)
    torch.manual_seed(seed)
    np.testing.assert_array_equal(numpy_after, np.random.random_sample(8), err_msg="numpy's global RNG was used")
    assert torch.equal(torch_after, torch.rand(8)), "torch's global RNG was used"


@pytest.fixture
def global_rngs_untouched():
    """``with global_rngs_untouched():`` asserts that the block draws from neither numpy's legacy global RNG
    nor torch's global generator."""
    return _global_rngs_untouched
