"""Shared fixtures."""

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    """The project's benchmark data folder (../shared/data); skips when absent."""
    if not (SHARED_DATA / "README.md").exists():
        pytest.skip(f"benchmark data not found at {SHARED_DATA} (it lives beside the repository, in ../shared/data)")
    return SHARED_DATA
