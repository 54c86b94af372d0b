"""Shared fixtures."""

from pathlib import Path

import numpy as np
import pytest
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
