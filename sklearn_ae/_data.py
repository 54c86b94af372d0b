"""Input scaling and the torch dataset that feeds skorch.

The estimators train in a scaled space and report in the original one. The
scaling is an affine map ``(X - offset) / scale`` fitted on the training data;
it is applied batch by batch so that sparse input is densified one batch at a
time and never as a whole.
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.preprocessing._data import _handle_zeros_in_scale
from sklearn.utils.sparsefuncs import mean_variance_axis, min_max_axis

SCALINGS = ("global", "standard", "minmax")


def fit_scaling(X, kind, *, moments=None):
    """Return ``(offset, scale)``, two float64 arrays of shape (n_features,).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training data.
    kind : {"global", "standard", "minmax"} or None
        ``"global"`` centres every feature and divides all of them by one
        number, the root mean feature variance: the relative weight of the
        features, and therefore the least-squares optimum (PCA's), is kept.
        ``"standard"`` divides each feature by its own standard deviation,
        ``"minmax"`` maps each feature's training range to [0, 1], None
        leaves the data as it is. A constant feature gets a scale of 1, so it
        can never blow up at transform time.
    moments : tuple of ndarray or None, default=None
        ``feature_moments(X)`` when already computed.
    """
    n_features = X.shape[1]
    if kind is None:
        return np.zeros(n_features), np.ones(n_features)
    if kind == "minmax":
        if sp.issparse(X):
            low, high = (np.asarray(a, dtype=np.float64).ravel() for a in min_max_axis(X, axis=0))
        else:
            low, high = X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64)
        return low, _handle_zeros_in_scale(high - low, copy=False)
    mean, std = feature_moments(X) if moments is None else moments
    if kind == "standard":
        return mean, _handle_zeros_in_scale(std.copy(), copy=False)
    if kind == "global":
        scale = _handle_zeros_in_scale(np.array([np.sqrt((std**2).mean())]), copy=False)
        return mean, np.full(n_features, scale[0])
    raise ValueError(f"Unknown scaling {kind!r}; expected one of {SCALINGS} or None.")


class InputScaling(NamedTuple):
    """The fitted scaling and the training moments, per feature, float64.

    The network sees ``(X - offset) / scale``; ``mean`` and ``std`` are the
    features' training mean and standard deviation in the input's units
    (they put the denoising noise into the user's units).
    """

    offset: np.ndarray
    scale: np.ndarray
    mean: np.ndarray
    std: np.ndarray


def feature_moments(X):
    """Mean and standard deviation of each feature of a dense or sparse ``X``, float64."""
    if sp.issparse(X):
        mean, var = mean_variance_axis(X.astype(np.float64), axis=0)
    else:
        X64 = X.astype(np.float64, copy=False)
        mean, var = X64.mean(axis=0), X64.var(axis=0)
    return mean, np.sqrt(var)


def fit_input_scaling(X, kind):
    """:func:`fit_scaling` of ``X`` with the features' moments: an :class:`InputScaling`."""
    moments = feature_moments(X)
    return InputScaling(*fit_scaling(X, kind, moments=moments), *moments)


def scale_rows(X, offset, scale, dtype=np.float32):
    """Scale rows of a dense or sparse ``X`` into a dense array of ``dtype``."""
    if sp.issparse(X):
        X = X.toarray()
    return ((X - offset) / scale).astype(dtype, copy=False)


def iter_row_batches(X, batch_size):
    """Yield consecutive row slices of ``X`` (dense or CSR)."""
    for start in range(0, X.shape[0], batch_size):
        yield X[start : start + batch_size]


class ScaledDataset(torch.utils.data.Dataset):
    """Rows of ``X``, scaled, as float32 tensors, fetched a whole batch at a time.

    ``__getitems__`` lets torch's ``DataLoader`` fetch a batch with one fancy
    index instead of one call per row; ``collate_batch`` is the matching
    ``collate_fn``. Items are ``(X_batch, None)``: an autoencoder's target is
    its input, taken from ``X`` in the loss.
    """

    def __init__(self, X, offset, scale):
        self.sparse = sp.issparse(X)
        if self.sparse:
            self.X = X.tocsr()
            self.offset, self.scale = offset, scale
        else:
            self.X = torch.from_numpy(np.ascontiguousarray(scale_rows(X, offset, scale)))

    def __len__(self):
        return self.X.shape[0]

    def __getitems__(self, indices):
        if self.sparse:
            return torch.from_numpy(scale_rows(self.X[indices], self.offset, self.scale)), None
        return self.X[torch.as_tensor(indices)], None

    def __getitem__(self, index):
        X, y = self.__getitems__([index])
        return X[0], y


def collate_batch(batch):
    """``collate_fn`` for :class:`ScaledDataset`: the batch is already whole."""
    return batch
