"""After a fit: is the autoencoder at least as good as PCA on the rows it was trained on?

PCA with the same number of components is the best linear reconstruction of
the training rows, and what the default start (``init="pca"``) begins from.
A network that ends with a larger training reconstruction error than PCA's
has not learned anything PCA would not give for free: its recipe (a
saturating activation with a small learning rate, too few steps, a random
start) did not train. The user gets a :class:`~sklearn_ae.exceptions.PCAWorseWarning` that says so
and what to change, rather than a silently worse model
(``benchmarks/results_seeds.md`` measures the recipes behind this check).
"""

import warnings
from typing import Any

import numpy as np

from . import _pca_start
from ._typing import ArrayLike
from .exceptions import PCAWorseWarning

# The warning fires when the training MSE exceeds PCA's by more than this fraction: a model kept at the
# PCA start (max_epochs=0, or early stopping that kept the start) equals PCA up to float32 rounding.
TOLERANCE = 1e-3


# Wider data would need PCA's full SVD (see ``_pca_start.scaled_pca``), too costly for a check: skipped there.
MAX_FEATURES = 2000
# Rows densified at a time (sparse input is never densified whole).
BATCH_ROWS = 1024


def _applies(estimator: Any, X: Any) -> bool:
    n_samples, n_features = X.shape
    return n_features <= MAX_FEATURES and n_samples >= 2 and estimator.n_components_ < min(n_samples, n_features)


def pca_noise_variance(estimator: Any, X: Any) -> float | None:
    """PCA's noise variance at the fitted ``estimator``'s code width, on ``X`` in its scaled space.

    The mean of the ``d - k`` smallest eigenvalues of the covariance (as
    :class:`~sklearn_ae._pca_start.PCAStart` holds it): the eigenvalues only, no
    eigenvectors (half the cost of the decomposition, which dominates for a
    few hundred rows of MNIST's width). None where the comparison does not
    apply: over ``MAX_FEATURES`` features, fewer than two rows, or a code at
    least as wide as the data (PCA then leaves no residual).
    """
    if not _applies(estimator, X):
        return None
    network = estimator.network_
    return _pca_start.pca_noise_variance(X, network.offset, network.scale, estimator.n_components_, BATCH_ROWS)


def check_fit(
    estimator: Any, X: Any, squared_error: ArrayLike | None = None, pca_noise: float | None = None
) -> float | None:
    """Compare the fitted ``estimator``'s training reconstruction with PCA's, in the scaled space.

    ``squared_error`` (the per-row squared reconstruction errors of ``X`` in
    the scaled space) and ``pca_noise`` (PCA's noise variance on ``X`` at the
    same width, see :func:`pca_noise_variance`) are computed here when not
    given; the fit passes those it already has, which saves a pass of the
    network and of PCA over the training rows. PCA's squared error is its
    noise variance times the ``(d - k)(n - 1)`` residual degrees of freedom:
    no pass over ``X`` of its own.

    Returns the ratio of :func:`warn_if_worse_than_pca`, None when the check does not apply.
    """
    if not _applies(estimator, X):
        return None
    (n_samples, n_features), k = X.shape, estimator.n_components_
    noise_variance = pca_noise_variance(estimator, X) if pca_noise is None else pca_noise
    pca_sse = noise_variance * (n_features - k) * (n_samples - 1)
    if squared_error is None:
        network = estimator.network_
        mean_output = network.mean_output
        squared_error = network.run(lambda m, x: ((x - mean_output(m, m.encode(x))) ** 2).sum(dim=1), X, np.float64)
    errors = np.asarray(squared_error)
    params = estimator.get_params(deep=False)
    noise = params.get("noise")
    advice = ADVICE if noise is None else DENOISER_ADVICE.format(noise=noise, level=params["noise_level"])
    return warn_if_worse_than_pca(float(errors.sum()), pca_sse, k, advice)


ADVICE = (
    "training did not get past the linear solution. The defaults (init='pca', activation='relu', "
    "optimizer='adam', lr=1e-3) start from PCA and improve on it; with another recipe try init='pca', a larger "
    "lr, more max_epochs, or a non-saturating activation."
)
DENOISER_ADVICE = (
    "the input noise (noise={noise!r}, noise_level={level}) costs more than the network gains; a smaller "
    "noise_level, or noise=None, lets early stopping keep a model at least as good as PCA on clean rows."
)


def warn_if_worse_than_pca(
    autoencoder_mse: float, pca_mse: float, n_components: int, advice: str = ADVICE
) -> float | None:
    """Warn with ``PCAWorseWarning`` when ``autoencoder_mse`` exceeds ``pca_mse`` (training MSEs, same units).

    Returns
    -------
    ratio : float or None
        ``autoencoder_mse / pca_mse``, None when PCA reconstructs exactly.
    """
    if not pca_mse > 0:
        return None
    ratio = autoencoder_mse / pca_mse
    if ratio > 1 + TOLERANCE:
        warnings.warn(
            f"The fitted autoencoder reconstructs its training data worse than PCA with n_components={n_components} "
            f"(mean squared error {ratio:.3g} times PCA's): " + advice,
            PCAWorseWarning,
            stacklevel=2,
        )
    return ratio
