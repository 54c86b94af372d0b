"""Helpers shared by the displays: matplotlib, names, row selection, reconstruction."""

from numbers import Integral

import numpy as np
from scipy import sparse

from .._sklearn_private import _safe_indexing


def _pyplot():
    """matplotlib.pyplot, or an ImportError that names the ``plot`` extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "sklearn_ae.plotting needs matplotlib, which is not installed. "
            'Install it with: pip install "sklearn-ae[plot]" (or pip install matplotlib).'
        ) from exc
    return plt


def _new_axes(ax, *, projection=None, figsize=None):
    """``(figure, ax)``: those of ``ax``, or a new figure with one axes when ``ax`` is None."""
    plt = _pyplot()
    if ax is None:  # a figure of our own: let matplotlib make room for the labels
        fig = plt.figure(figsize=figsize, layout="constrained")
        ax = fig.add_subplot(projection=projection)
    return ax.figure, ax


def _name(estimator):
    """The estimator's class name; a Pipeline is named after its last step."""
    steps = getattr(estimator, "steps", None)
    if steps:
        return type(steps[-1][1]).__name__
    return type(estimator).__name__


def _unique_names(names):
    """``names`` with repeated ones numbered: ["PCA #1", "PCA #2", "AE"]."""
    seen = {}
    out = []
    for name in names:
        if names.count(name) > 1:
            seen[name] = seen.get(name, 0) + 1
            name = f"{name} #{seen[name]}"
        out.append(name)
    return out


def _dense(X):
    """``X`` as a dense float64 ndarray."""
    if sparse.issparse(X):
        X = X.toarray()
    return np.asarray(X, dtype=np.float64)


def _rows(X, indices):
    """Rows ``indices`` of an array-like, DataFrame or sparse matrix."""
    if sparse.issparse(X):
        return X[indices]
    return _safe_indexing(X, indices)


def _select_indices(n_rows, n_samples, indices, default):
    """The rows to show: ``indices`` checked, else the first ``n_samples`` (or ``default``) rows."""
    if indices is not None:
        indices = np.asarray(indices)
        if indices.ndim != 1 or indices.size == 0:
            raise ValueError("indices must be a non-empty 1-D sequence of row indices.")
        if indices.dtype.kind not in "iu":
            raise ValueError(f"indices must be integers, got dtype {indices.dtype}.")
        if indices.min() < -n_rows or indices.max() >= n_rows:
            raise ValueError(f"indices must lie in [0, {n_rows}), got {indices.min()} to {indices.max()}.")
        return indices
    n = default if n_samples is None else n_samples
    if not isinstance(n, Integral) or n < 1:
        raise ValueError(f"n_samples must be a positive int, got {n!r}.")
    return np.arange(min(int(n), n_rows))


def _can_reconstruct(estimator):
    """Whether ``estimator`` maps rows to codes and back (PCA, an autoencoder, a Pipeline of them)."""
    return hasattr(estimator, "transform") and hasattr(estimator, "inverse_transform")


def _reconstruct(estimator, X):
    """``inverse_transform(transform(X))`` as dense float64, or a TypeError naming what is missing."""
    if not _can_reconstruct(estimator):
        raise TypeError(
            f"{_name(estimator)} cannot reconstruct its input: it needs transform and inverse_transform "
            "(PCA, AutoencoderTransformer, VAETransformer, a Pipeline of them)."
        )
    return _dense(estimator.inverse_transform(estimator.transform(X)))


def _decode(estimator, codes):
    """Decode codes of shape (..., n_codes) with ``inverse_transform``; rows keep the leading shape."""
    codes = np.asarray(codes, dtype=np.float64)
    decoded = _dense(estimator.inverse_transform(codes.reshape(-1, codes.shape[-1])))
    return decoded.reshape(*codes.shape[:-1], decoded.shape[-1])
