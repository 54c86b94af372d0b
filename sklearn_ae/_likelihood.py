"""Pieces of the autoencoder's log-likelihood: pure functions.

The model behind :meth:`AutoencoderTransformer.score_samples` is the nonlinear
analogue of probabilistic PCA. A point's code ``z = f(x)`` has a Gaussian
density fitted to the training codes; the decoder ``g`` maps the code space onto
a ``k``-dimensional surface in the ``d``-dimensional data space; the residual
``r = x - g(z)`` is noise in the ``D = d - k`` directions off that surface. Then

    log p(x) = log N(z; m, S) - 1/2 log det(J^T J) + log p_noise(r)

with ``J`` the decoder's Jacobian at ``z``. The noise is isotropic: a Gaussian
of variance ``sigma2`` (PCA's noise), or a multivariate Student t of scale
``sigma2`` and ``nu`` degrees of freedom (:func:`residual_logpdf`). For a
linear decoder with orthonormal columns ``J^T J = I`` and, with Gaussian
noise, this is exactly PPCA's density.

The noise is what decides how the density ranks models on new rows (see
:func:`fit_residual_noise`): a network reconstructs the rows it was trained
on better than any others, so a variance fitted to them is too small for new
rows, and their residual term collapses.
"""

import threading
from typing import NamedTuple

import numpy as np
import torch
from scipy.special import gammaln


def fit_gaussian(Z):
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


class ResidualNoise(NamedTuple):
    """The residual's density: isotropic, of scale ``variance``; Student t of ``dof`` degrees of freedom, or
    Gaussian (``dof=inf``)."""

    variance: float
    dof: float


#: Degrees of freedom that :func:`fit_residual_noise` tries (besides the Gaussian).
DOF_GRID = np.geomspace(1.0, 1e4, 41)


def _t_scale(squared_error, n_directions, dof, iterations=200):
    """Maximum-likelihood scale of a zero-mean isotropic Student t of ``dof`` degrees of freedom (EM iterations)."""
    variance = max(squared_error.mean() / n_directions, 1e-300)
    for _ in range(iterations):
        weights = (dof + n_directions) / (dof + squared_error / variance)
        updated = max((weights * squared_error).mean() / n_directions, 1e-300)
        if abs(updated - variance) <= 1e-12 * variance:
            return updated
        variance = updated
    return variance


def fit_residual_noise(squared_error, n_directions, validation=None):
    """The residual noise, fitted to the per-row squared residuals ``squared_error``.

    ``n_directions`` is the number of directions the residual lives in (``d - k``
    off the decoded surface). With ``validation`` (indices of rows that the
    network was not trained on: the early-stopping validation rows), the noise
    is fitted to those rows alone, by maximum likelihood: the Gaussian (variance
    their mean squared residual per direction) or an isotropic Student t, the
    scale fitted for each number of degrees of freedom in :data:`DOF_GRID`,
    whichever has the highest likelihood on them. Heavier tails than a Gaussian
    are what residuals of rows a network has not seen usually have, and a
    Student t does not let a few such rows (or a whole set of rows that differ
    from the training rows) dominate the score. Without validation rows the
    noise is Gaussian with the training estimate
    ``sum(squared_error) / (n_directions * (n - 1))``, which for PCA's
    reconstruction is PCA's ``noise_variance_``. The variance is floored at
    ``1e-10``.

    Returns
    -------
    noise : ResidualNoise
    """
    squared_error = np.asarray(squared_error, dtype=np.float64)
    n_directions = max(int(n_directions), 1)
    if validation is None or len(validation) == 0:
        variance = squared_error.sum() / (n_directions * max(len(squared_error) - 1, 1))
        return ResidualNoise(max(float(variance), 1e-10), np.inf)
    rows = squared_error[np.asarray(validation)]
    best = ResidualNoise(max(float(rows.mean() / n_directions), 1e-10), np.inf)
    best_loglik = residual_logpdf(rows, n_directions, best).mean()
    for dof in DOF_GRID:
        candidate = ResidualNoise(max(_t_scale(rows, n_directions, dof), 1e-10), float(dof))
        loglik = residual_logpdf(rows, n_directions, candidate).mean()
        if loglik > best_loglik:
            best, best_loglik = candidate, loglik
    return best


def residual_logpdf(squared_error, n_directions, noise):
    """Row-wise log density of residuals of squared norms ``squared_error`` in ``n_directions`` directions.

    Gaussian (``noise.dof`` infinite)::

        -||r||^2 / (2 sigma2) - D/2 log(2 pi sigma2)

    else the isotropic multivariate Student t of ``nu = noise.dof``::

        lgamma((nu + D)/2) - lgamma(nu/2) - D/2 log(nu pi sigma2) - (nu + D)/2 log(1 + ||r||^2 / (nu sigma2))

    with ``sigma2 = noise.variance`` and ``D = n_directions``.
    """
    squared_error = np.asarray(squared_error, dtype=np.float64)
    variance, dof, n = noise.variance, noise.dof, n_directions
    if np.isinf(dof):
        return -0.5 * squared_error / variance - 0.5 * n * np.log(2 * np.pi * variance)
    return (
        gammaln((dof + n) / 2)
        - gammaln(dof / 2)
        - 0.5 * n * np.log(dof * np.pi * variance)
        - 0.5 * (dof + n) * np.log1p(squared_error / (dof * variance))
    )


def gaussian_logpdf(Z, mean, cov):
    """Row-wise log density of ``N(mean, cov)`` at the rows of ``Z``."""
    L = np.linalg.cholesky(cov)
    diff = np.linalg.solve(L, (np.asarray(Z, dtype=np.float64) - mean).T)
    log_det = 2.0 * np.log(np.diag(L)).sum()
    k = cov.shape[0]
    return -0.5 * ((diff**2).sum(axis=0) + log_det + k * np.log(2 * np.pi))


# torch.func's forward-mode levels are global to the process: one Jacobian computation at a time.
_FORWARD_AD_LOCK = threading.Lock()


def half_log_volume(decode, z):
    """``1/2 log det(J^T J)`` per row, ``J`` the Jacobian of ``decode`` at each row of ``z``.

    ``decode`` maps a batch of codes to a batch of outputs. The Jacobians are
    taken with forward-mode autodiff, one column per code unit, vectorised
    over the rows; a decoder that ``torch.func.vmap`` cannot vectorise (a
    custom module with data-dependent control flow, say) is differentiated
    row by row instead. Safe to call from several threads.
    """

    def decode_one(row):
        return decode(row.unsqueeze(0)).squeeze(0)

    with _FORWARD_AD_LOCK, torch.enable_grad():
        try:
            J = torch.func.vmap(torch.func.jacfwd(decode_one))(z)
        except RuntimeError:
            J = torch.stack([torch.func.jacfwd(decode_one)(row) for row in z])
    return 0.5 * torch.linalg.slogdet(J.transpose(1, 2) @ J).logabsdet


def activation_width(module, fn, z):
    """Numbers per row that ``fn(module, z)`` produces in all of ``module``'s submodules, for codes ``z``.

    Measured with forward hooks on one call: what the forward-mode Jacobian
    holds per code unit and row (the primal and tangent of every activation).
    """
    sizes = []

    def count(_module, _inputs, output):
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


def jacobian_batch_size(n_components, width, budget=2**22):
    """Rows per batch so that the forward-mode Jacobians of a batch hold about ``budget`` numbers.

    ``width`` is :func:`activation_width`; each row holds ``n_components``
    tangents of it, primal and tangent, plus the Jacobian itself.
    """
    return max(1, budget // max(1, 2 * n_components * width))
