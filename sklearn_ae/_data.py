"""Input scaling and the torch dataset that feeds skorch.

The estimators train in a scaled space and report in the original one. The
scaling is an affine map ``(X - offset) / scale`` fitted on the training data;
it is applied batch by batch so that sparse input is densified one batch at a
time and never as a whole.
"""

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.sparsefuncs import mean_variance_axis, min_max_axis

from ._typing import ArrayLike, NDArray

SCALINGS = ("global", "standard", "minmax")


# A feature is constant when its spread is below this fraction of its magnitude: relative, so that
# data in tiny units (1e-20) is not mistaken for constant, as an absolute threshold would.
CONSTANT_RELATIVE_SPREAD = 1e-12


def _scale_or_one(spread: ArrayLike, magnitude: ArrayLike) -> NDArray:
    """``spread``, or 1 where the feature is constant (see :data:`CONSTANT_RELATIVE_SPREAD`)."""
    spread = np.asarray(spread, dtype=np.float64)
    return np.where(spread > CONSTANT_RELATIVE_SPREAD * magnitude, spread, 1.0)


def fit_scaling(X: Any, kind: str | None, *, moments: "FeatureMoments | None" = None) -> tuple[NDArray, NDArray]:
    """Return ``(offset, scale)``, two finite float64 arrays of shape (n_features,).

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
        leaves the data as it is. A constant feature (spread below ``1e-12``
        of its magnitude, in any units) gets a scale of 1, so it can never
        blow up at transform time. Finite for any finite input, 1e-300 or
        1e300 alike.
    moments : FeatureMoments or None, default=None
        ``feature_moments(X)`` when already computed.
    """
    n_features = X.shape[1]
    if kind is None:
        return np.zeros(n_features), np.ones(n_features)
    moments = feature_moments(X) if moments is None else moments
    if kind == "minmax":
        low, high = column_range(X)
        return low, _scale_or_one(high - low, moments.magnitude)
    if kind == "standard":
        return moments.mean, _scale_or_one(moments.std, moments.magnitude)
    if kind == "global":
        varying = moments.std > CONSTANT_RELATIVE_SPREAD * moments.magnitude
        top = moments.std[varying].max() if varying.any() else 0.0
        # the root mean variance, computed without squaring numbers as large as 1e200
        scale = top * np.sqrt(np.mean((moments.std / top) ** 2)) if top > 0 else 1.0
        return moments.mean, np.full(n_features, scale)
    raise ValueError(f"Unknown scaling {kind!r}; expected one of {SCALINGS} or None.")


class FeatureMoments(NamedTuple):
    """Per feature, float64: the training mean, standard deviation and largest absolute value."""

    mean: np.ndarray
    std: np.ndarray
    magnitude: np.ndarray


def feature_moments(X: Any, batch_size: int = 4096) -> "FeatureMoments":
    """:class:`FeatureMoments` of a dense or sparse ``X``, finite for any finite ``X``.

    Each feature is divided by its largest absolute value before the two
    passes (mean, then squared deviations), so that no intermediate
    overflows; dense input is read ``batch_size`` rows at a time, three
    times, and never held whole (it may be read from disk).
    """
    if sp.issparse(X):
        low, high = (np.asarray(a, dtype=np.float64).ravel() for a in min_max_axis(X, axis=0))
        magnitude = np.maximum(np.abs(low), np.abs(high))
        unit = np.where(magnitude > 0, magnitude, 1.0)
        mean, var = mean_variance_axis(sp.csr_matrix(X.astype(np.float64).multiply(1.0 / unit)), axis=0)
        return FeatureMoments(mean * unit, np.sqrt(var) * unit, magnitude)
    n_samples = X.shape[0]

    def batches() -> Iterator[Any]:
        return iter_row_batches(X, batch_size)

    magnitude = np.max([np.abs(b).max(axis=0) for b in batches()], axis=0).astype(np.float64)
    unit = np.where(magnitude > 0, magnitude, 1.0)
    mean = sum(np.sum(b / unit, axis=0, dtype=np.float64) for b in batches()) / n_samples
    var = sum(np.sum((b / unit - mean) ** 2, axis=0, dtype=np.float64) for b in batches()) / n_samples
    return FeatureMoments(mean * unit, np.sqrt(var) * unit, magnitude)


class InputScaling(NamedTuple):
    """The fitted scaling and the training moments, per feature, float64.

    The network sees ``(X - offset) / scale``; ``mean`` and ``std`` are the
    features' training mean and standard deviation in the input's units
    (they put the denoising noise into the user's units).
    """

    offset: np.ndarray
    scale: np.ndarray
    mean: np.ndarray | None  # None where only the scaling is needed (the PCA checks)
    std: np.ndarray | None


def fit_input_scaling(X: Any, kind: "str | FittedScaling | None") -> InputScaling:
    """:func:`fit_scaling` of ``X`` with the features' moments: an :class:`InputScaling`.

    A :class:`FittedScaling` ``kind`` is used as it is (``X`` is not read).
    """
    if isinstance(kind, FittedScaling):
        if len(kind.offset) != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but the FittedScaling given as scaling has {len(kind.offset)}."
            )
        return InputScaling(kind.offset, kind.scale, kind.mean, kind.std)
    moments = feature_moments(X)
    return InputScaling(*fit_scaling(X, kind, moments=moments), moments.mean, moments.std)


class FittedScaling:
    """A scaling fitted beforehand, to pass as an estimator's ``scaling``.

    By default an estimator fits its input scaling on the data given to
    ``fit``, or with ``partial_fit`` on the first chunk only. When the
    first chunk is not representative of the stream (a drift, data sorted
    by time or by class), fit the scaling on the whole stream, or on a
    random sample of it, beforehand and pass it as ``scaling=``: every
    chunk is then scaled alike.

    Build it with :meth:`from_data` or :meth:`from_scaler`, not directly.

    Parameters
    ----------
    offset, scale : ndarray of shape (n_features,)
        The network sees ``(X - offset) / scale``.
    mean, std : ndarray of shape (n_features,)
        The features' mean and standard deviation (they put a denoiser's
        noise into the data's units).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_ae import AutoencoderTransformer, FittedScaling
    >>> rng = np.random.default_rng(0)
    >>> chunks = [rng.normal(loc=i, size=(200, 5)) for i in range(3)]  # drifting
    >>> scaler = StandardScaler()
    >>> for chunk in chunks:
    ...     scaler = scaler.partial_fit(chunk)
    >>> scaling = FittedScaling.from_scaler(scaler, kind="global")
    >>> ae = AutoencoderTransformer(n_components=2, scaling=scaling, random_state=0)
    >>> for chunk in chunks:
    ...     ae = ae.partial_fit(chunk)
    >>> ae.n_samples_seen_
    600
    """

    def __init__(self, offset: ArrayLike, scale: ArrayLike, mean: ArrayLike, std: ArrayLike) -> None:
        arrays = [np.asarray(a, dtype=np.float64).ravel() for a in (offset, scale, mean, std)]
        if len({len(a) for a in arrays}) != 1:
            raise ValueError("offset, scale, mean and std must have the same length (one entry per feature).")
        if not all(np.isfinite(a).all() for a in arrays) or not (arrays[1] > 0).all():
            raise ValueError("A FittedScaling needs finite statistics and positive scales.")
        self.offset, self.scale, self.mean, self.std = arrays

    @classmethod
    def from_data(cls, X: ArrayLike, kind: str | None = "global") -> "FittedScaling":
        """The scaling ``kind`` fitted on ``X`` (in memory or on disk, read in batches).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Representative data, for instance a random sample of the stream.
        kind : {"global", "standard", "minmax"} or None, default="global"
            As the estimators' ``scaling`` parameter.

        Returns
        -------
        scaling : FittedScaling
        """
        if not sp.issparse(X) and not hasattr(X, "dtype"):
            X = np.asarray(X, dtype=np.float64)
        moments = feature_moments(X)
        return cls(*fit_scaling(X, kind, moments=moments), moments.mean, moments.std)

    @classmethod
    def from_scaler(cls, scaler: Any, kind: str = "global") -> "FittedScaling":
        """The scaling ``kind`` from a fitted ``StandardScaler``'s ``mean_`` and ``var_``.

        ``StandardScaler.partial_fit`` (or dask-ml's ``StandardScaler``)
        computes them in one streaming pass over the chunks.

        Parameters
        ----------
        scaler : fitted StandardScaler
            With ``mean_`` and ``var_`` (``with_mean=True, with_std=True``).
        kind : {"global", "standard"}, default="global"
            As the estimators' ``scaling`` parameter.

        Returns
        -------
        scaling : FittedScaling
        """
        if getattr(scaler, "mean_", None) is None or getattr(scaler, "var_", None) is None:
            raise ValueError("from_scaler needs a fitted StandardScaler with mean_ and var_ (with_mean and with_std).")
        if kind not in ("global", "standard"):
            raise ValueError(f"from_scaler supports kind='global' or 'standard', not {kind!r}; use from_data.")
        mean = np.asarray(scaler.mean_, dtype=np.float64)
        std = np.sqrt(np.asarray(scaler.var_, dtype=np.float64))
        magnitude = np.abs(mean) + std
        moments = FeatureMoments(mean, std, magnitude)
        return cls(*fit_scaling(mean[None, :], kind, moments=moments), mean, std)

    def __repr__(self) -> str:
        return f"FittedScaling(n_features={len(self.offset)})"


def scale_rows(X: Any, offset: ArrayLike, scale: ArrayLike, dtype: Any = np.float32) -> NDArray:
    """Scale rows of a dense or sparse ``X`` into a dense array of ``dtype``."""
    if sp.issparse(X):
        X = X.toarray()
    return ((X - offset) / scale).astype(dtype, copy=False)


def column_range(X: Any, batch_size: int = 4096) -> tuple[NDArray, ...]:
    """``(low, high)``: each feature's minimum and maximum over the rows of ``X``, float64, in one pass.

    Dense input is read ``batch_size`` rows at a time (it may be read from
    disk: see :mod:`sklearn_ae._streaming`); CSR input counts its implicit
    zeros.
    """
    if sp.issparse(X):
        return tuple(np.asarray(a, dtype=np.float64).ravel() for a in min_max_axis(X, axis=0))
    low: Any = None
    high: Any = None
    for b in iter_row_batches(X, batch_size):
        b_low, b_high = b.min(axis=0), b.max(axis=0)
        low = b_low if low is None else np.minimum(low, b_low)
        high = b_high if high is None else np.maximum(high, b_high)
    return low.astype(np.float64), high.astype(np.float64)


#: Numbers per densified batch of sparse rows (8 MB of float64): sparse input is never densified whole, and a
#: batch of a wide sparse matrix stays small (see :func:`sparse_batch_rows`).
SPARSE_BATCH_NUMBERS = 2**20


def sparse_batch_rows(X: Any, batch_size: int) -> int:
    """Rows per batch for ``X``: ``batch_size``, but for sparse ``X`` at most ``SPARSE_BATCH_NUMBERS`` numbers."""
    if sp.issparse(X):
        return max(1, min(batch_size, SPARSE_BATCH_NUMBERS // max(X.shape[1], 1)))
    return batch_size


def iter_row_batches(X: Any, batch_size: int) -> Iterator[Any]:
    """Yield consecutive row slices of ``X`` (dense or CSR)."""
    for start in range(0, X.shape[0], batch_size):
        yield X[start : start + batch_size]


class Targets(NamedTuple):
    """What a batch is trained toward: skorch's ``y`` of every batch of the data path.

    Every batch path (in memory, sparse, on disk, streamed) yields
    ``(input, Targets(target, mask))``; the net's ``get_loss`` hands the
    target and, when there is one, the mask to the criterion.

    Attributes
    ----------
    target : torch.Tensor of shape (n_rows, n_features)
        The rows the network should reconstruct, in the scaled space. For an
        autoencoder the input itself (the same tensor: no copy).
    mask : torch.Tensor of shape (n_rows, n_features) or None
        ``True`` where an entry of the target is observed; None: all are.
    """

    target: torch.Tensor
    mask: torch.Tensor | None = None

    def row(self, i: int) -> "Targets":
        """The targets of the ``i``-th row of the batch alone."""
        return Targets(self.target[i], None if self.mask is None else self.mask[i])


def autoencoder_batch(x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, Targets]:
    """The batch ``(input, targets)`` of an autoencoder, whose target is its input ``x``."""
    return x, Targets(x, mask)


class ScaledDataset(torch.utils.data.Dataset):
    """Rows of ``X``, scaled, as float32 tensors, fetched a whole batch at a time.

    ``__getitems__`` lets torch's ``DataLoader`` fetch a batch with one fancy
    index instead of one call per row; ``collate_batch`` is the matching
    ``collate_fn``. Items are ``(X_batch, Targets(X_batch, None))``: an
    autoencoder's target is its input (:func:`autoencoder_batch`).
    """

    def __init__(self, X: Any, offset: NDArray, scale: NDArray) -> None:
        self.sparse = sp.issparse(X)
        if self.sparse:
            self.X = X.tocsr()
            self.offset, self.scale = offset, scale
        else:
            self.X = torch.from_numpy(np.ascontiguousarray(scale_rows(X, offset, scale)))

    def __len__(self) -> int:
        return self.X.shape[0]

    def __getitems__(self, indices: Any) -> tuple[torch.Tensor, Targets]:
        if self.sparse:
            return autoencoder_batch(torch.from_numpy(scale_rows(self.X[indices], self.offset, self.scale)))
        return autoencoder_batch(self.X[torch.as_tensor(indices)])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, Targets]:
        X, y = self.__getitems__([index])
        return X[0], y.row(0)


def collate_batch(batch: Any) -> Any:
    """``collate_fn`` for :class:`ScaledDataset`: the batch is already whole."""
    return batch
