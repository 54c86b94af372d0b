"""Data on disk that cannot be read as numbers gets a clear error, never a silent loss or a raw library error."""

import numpy as np
import pytest

from sklearn_ae import AutoencoderTransformer


def test_a_complex_memmap_is_refused_like_complex_input_in_memory(tmp_path):
    X = np.memmap(tmp_path / "complex.dat", dtype=np.complex64, mode="w+", shape=(40, 3))
    X[:] = np.arange(120).reshape(40, 3) * (1 + 1j)
    X.flush()
    model = AutoencoderTransformer(n_components=2, max_epochs=1)
    with pytest.raises(ValueError, match="Complex data not supported"):
        model.fit(np.asarray(X))  # in memory: scikit-learn's error
    with pytest.raises(ValueError, match="Complex data not supported"):
        model.fit(np.memmap(tmp_path / "complex.dat", dtype=np.complex64, mode="r", shape=(40, 3)))
    assert not hasattr(model, "n_features_in_")


def test_a_memmap_of_strings_is_refused(tmp_path):
    X = np.memmap(tmp_path / "text.dat", dtype="S4", mode="w+", shape=(10, 2))
    with pytest.raises(ValueError, match="must hold numbers"):
        AutoencoderTransformer(n_components=1, max_epochs=1).fit(X)


@pytest.mark.parametrize("when", ["fit", "transform"])
def test_a_closed_h5py_file_gives_a_clear_error(tmp_path, when):
    h5py = pytest.importorskip("h5py")
    X = np.random.default_rng(0).normal(size=(60, 4))
    with h5py.File(tmp_path / "data.h5", "w") as f:
        f.create_dataset("X", data=X)
    f = h5py.File(tmp_path / "data.h5", "r")
    dataset = f["X"]
    model = AutoencoderTransformer(n_components=2, hidden_layer_sizes=(4,), max_epochs=1, random_state=0)
    if when == "transform":
        model.fit(dataset)
    f.close()
    with pytest.raises(ValueError, match="h5py Dataset, cannot be read: .*is its file still open"):
        getattr(model, when)(dataset)
