"""Loaders for the benchmark data: MNIST and the ODDS outlier sets.

The files are not shipped: the caller names the folder that holds them (in
this project's checkout, ``../shared/data``; see its README for provenance).
"""

import gzip
from pathlib import Path

import numpy as np

__all__ = ["ODDS_NAMES", "load_mnist", "load_odds"]

#: Names of the ten ODDS outlier-detection sets that :func:`load_odds` reads.
ODDS_NAMES = (
    "arrhythmia",
    "cardio",
    "mnist",
    "musk",
    "pendigits",
    "satellite",
    "shuttle",
    "thyroid",
    "vowels",
    "wbc",
)


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[:4], "big")
    ndim = magic & 0xFF
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_mnist(data_home, *, scale=True):
    """Load the MNIST split used by this project's benchmarks.

    Training: the 5000 digits of ``mnist/mnist_5k.csv.gz`` (500 per class);
    test: the 10 000 official test digits (``mnist/t10k-*-ubyte.gz``).

    Parameters
    ----------
    data_home : str or path-like
        Folder holding ``mnist/``.
    scale : bool, default=True
        Divide pixels by 255 (float32 in [0, 1]); otherwise uint8.

    Returns
    -------
    X_train : ndarray of shape (5000, 784)
    y_train : ndarray of shape (5000,)
    X_test : ndarray of shape (10000, 784)
    y_test : ndarray of shape (10000,)
    """
    folder = Path(data_home) / "mnist"
    train = np.loadtxt(folder / "mnist_5k.csv.gz", delimiter=",", dtype=np.uint8)
    X_train, y_train = train[:, :784], train[:, 784].astype(np.int64)
    X_test = _read_idx(folder / "t10k-images-idx3-ubyte.gz").reshape(-1, 784)
    y_test = _read_idx(folder / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    if scale:
        X_train = X_train.astype(np.float32) / 255.0
        X_test = X_test.astype(np.float32) / 255.0
    return X_train, y_train, X_test, y_test


def load_odds(name, data_home):
    """Load one ODDS outlier-detection set.

    Parameters
    ----------
    name : str
        One of :data:`ODDS_NAMES`.
    data_home : str or path-like
        Folder holding ``odds/<name>.mat``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,), int
        1 for an outlier, 0 for an inlier.
    """
    from scipy.io import loadmat

    if name not in ODDS_NAMES:
        raise ValueError(f"Unknown ODDS set {name!r}; expected one of {ODDS_NAMES}.")
    mat = loadmat(Path(data_home) / "odds" / f"{name}.mat")
    return np.asarray(mat["X"], dtype=np.float64), np.asarray(mat["y"]).ravel().astype(np.int64)
