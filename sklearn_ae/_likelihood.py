"""Pieces of the autoencoder's log-likelihood: pure functions.

The model behind :meth:`AutoencoderTransformer.score_samples` is the nonlinear
analogue of probabilistic PCA. A point's code ``z = f(x)`` has a Gaussian
density fitted to the training codes; the decoder ``g`` maps the code space onto
a ``k``-dimensional surface in the ``d``-dimensional data space; the residual
``x - g(z)`` is isotropic Gaussian noise of variance ``sigma2`` in the ``d - k``
directions off that surface. Then

    log p(x) = log N(z; m, S) - 1/2 log det(J^T J)
               - ||x - g(z)||^2 / (2 sigma2) - (d - k)/2 log(2 pi sigma2)

with ``J`` the decoder's Jacobian at ``z``. For a linear decoder with
orthonormal columns ``J^T J = I`` and this is exactly PPCA's density.

The noise variance is what decides how the density ranks models on new rows
(see :func:`noise_variance`): a network reconstructs the rows it was trained
on better than any others, so a variance fitted to them is too small for new
rows, and their residual term collapses.
"""

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ._typing import ArrayLike, NDArray

# The least noise variance of the autoencoder's density (a perfect reconstruction would make it 0).
NOISE_VARIANCE_FLOOR = 1e-10


def fit_gaussian(Z: ArrayLike) -> tuple[NDArray, NDArray]:
    """Mean and covariance (ddof=1, as PCA's explained variance) of the rows of ``Z``.

    A tiny ridge keeps the covariance positive definite when the codes are
    degenerate (one sample, constant codes).
    """
    Z = np.asarray(Z, dtype=np.float64)
    mean = Z.mean(axis=0)
    if Z.shape[0] > 1:
        cov = np.atleast_2d(np.cov(Z, rowvar=False))
    else:
        cov = np.zeros((Z.shape[1], Z.shape[1]))
    ridge = 1e-9 * max(np.trace(cov) / Z.shape[1], 1.0)
    return mean, cov + ridge * np.eye(Z.shape[1])


def fit_gaussian_from(moments: Any) -> NDArray:
    """The covariance of :func:`fit_gaussian` from a :class:`~sklearn_ae._streaming.RunningMoments`."""
    k = len(moments.mean)
    cov = moments.scatter / (moments.n - 1) if moments.n > 1 else np.zeros((k, k))
    ridge = 1e-9 * max(np.trace(cov) / k, 1.0)
    return cov + ridge * np.eye(k)


def noise_variance(
    squared_error: ArrayLike, n_directions: int, validation: ArrayLike | None = None, floor: float = 0.0
) -> float:
    """Residual variance per direction from the per-row squared residuals ``squared_error``.

    ``n_directions`` is the number of directions the residual lives in (``d - k``
    off the decoded surface). With ``validation`` (indices of rows that the
    network was not trained on: the early-stopping validation rows) the
    variance is their mean squared residual per direction,
    ``sum(squared_error[validation]) / (n_directions * n_validation)``: an
    estimate for rows the network has not seen. Without (or with none), it is
    the training estimate ``sum(squared_error) / (n_directions * (n - 1))``,
    which for PCA's reconstruction is PCA's ``noise_variance_``.

    The result is at least ``floor`` (the estimators pass PCA's noise variance
    on the same rows: the density is never more sure of the residual than
    PCA, a model that does not overfit, is) and at least ``1e-10``.
    """
    squared_error = np.asarray(squared_error, dtype=np.float64)
    n_directions = max(int(n_directions), 1)
    if validation is not None and len(validation) > 0:
        rows = squared_error[np.asarray(validation)]
        variance = rows.sum() / (n_directions * len(rows))
    else:
        variance = squared_error.sum() / (n_directions * max(len(squared_error) - 1, 1))
    return max(float(variance), float(floor), NOISE_VARIANCE_FLOOR)


def gaussian_logpdf(Z: ArrayLike, mean: NDArray, cov: NDArray) -> NDArray:
    """Row-wise log density of ``N(mean, cov)`` at the rows of ``Z``."""
    L = np.linalg.cholesky(cov)
    diff = np.linalg.solve(L, (np.asarray(Z, dtype=np.float64) - mean).T)
    log_det = 2.0 * np.log(np.diag(L)).sum()
    k = cov.shape[0]
    return -0.5 * ((diff**2).sum(axis=0) + log_det + k * np.log(2 * np.pi))


# torch.func's forward-mode levels are global to the process: one Jacobian computation at a time.
_FORWARD_AD_LOCK = threading.Lock()


def half_log_volume(decode: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor) -> torch.Tensor:
    """``1/2 log det(J^T J)`` per row, ``J`` the Jacobian of ``decode`` at each row of ``z``.

    ``decode`` maps a batch of codes to a batch of outputs. The Jacobians are
    taken with forward-mode autodiff, one column per code unit, vectorised
    over the rows; a decoder that ``torch.func.vmap`` cannot vectorise (a
    custom module with data-dependent control flow, say) is differentiated
    row by row instead. Safe to call from several threads.
    """

    def decode_one(row: torch.Tensor) -> torch.Tensor:
        return decode(row.unsqueeze(0)).squeeze(0)

    with _FORWARD_AD_LOCK, torch.enable_grad():
        try:
            J = torch.func.vmap(torch.func.jacfwd(decode_one))(z)
        except RuntimeError:
            J = torch.stack([torch.func.jacfwd(decode_one)(row) for row in z])
    return 0.5 * torch.linalg.slogdet(J.transpose(1, 2) @ J).logabsdet


def activation_width(module: torch.nn.Module, fn: Callable[..., Any], z: torch.Tensor) -> int:
    """Numbers per row that ``fn(module, z)`` produces in all of ``module``'s submodules, for codes ``z``.

    Measured with forward hooks on one call: what the forward-mode Jacobian
    holds per code unit and row (the primal and tangent of every activation).
    """
    sizes: list[int] = []

    def count(_module: torch.nn.Module, _inputs: Any, output: Any) -> None:
        if isinstance(output, torch.Tensor):
            sizes.append(output.numel())

    handles = [m.register_forward_hook(count) for m in module.modules()]
    try:
        with torch.no_grad():
            fn(module, z)
    finally:
        for handle in handles:
            handle.remove()
    return max(1, sum(sizes) // max(1, z.shape[0]))


def jacobian_batch_size(n_components: int, width: int, budget: int = 2**22) -> int:
    """Rows per batch so that the forward-mode Jacobians of a batch hold about ``budget`` numbers.

    ``width`` is :func:`activation_width`; each row holds ``n_components``
    tangents of it, primal and tangent, plus the Jacobian itself.
    """
    return max(1, budget // max(1, 2 * n_components * width))
