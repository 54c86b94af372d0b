"""The variational autoencoder's torch module."""

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ._contracts import VAEOutput
from ._corruption import Corruption, CorruptionConfig
from ._dense import LinearResidual


class VariationalAutoencoder(nn.Module):
    """Gaussian encoder ``q(z|x)``, decoder ``p(x|z)`` and a standard normal prior.

    The encoder maps a row to the mean and log-variance of a diagonal Gaussian
    over ``n_components`` latent units; the decoder maps a latent point to the
    mean of a Gaussian (``likelihood="gaussian"``, with a learned variance
    ``exp(log_noise_variance)``) or to the logits of independent Bernoullis
    (``likelihood="bernoulli"``).

    ``forward(x)`` corrupts ``x`` in training mode (with ``corruption``), draws
    one reparameterised ``z = mean + std * eps`` from torch's current random
    state and returns a :class:`~sklearn_ae.nn.VAEOutput`.
    ``encode`` gives the posterior mean, ``encode_distribution`` the mean and
    log-variance, ``decode`` the decoder's raw output (mean or logits).

    Parameters
    ----------
    n_features : int
        Width of the input.
    n_components : int
        Number of latent units.
    hidden_layer_sizes : tuple of int
        Encoder hidden widths, input side first; the decoder mirrors them.
    activation : str
        Hidden activation, a key of :data:`sklearn_ae.nn.ACTIVATIONS`.
    linear_path : bool
        Each half is a linear map plus a nonlinear residual that starts at
        zero (see :class:`~sklearn_ae.nn.LinearResidual`), so that
        :meth:`init_ppca` can start the model at probabilistic PCA.
    likelihood : {"gaussian", "bernoulli"}
        Observation model.
    noise_variance : {"global", "feature"}
        For the Gaussian: one learned variance for all features, or one per
        feature.
    corruption : CorruptionConfig or None, default=None
        Input corruption in training mode (the layer ``self.corruption``,
        see :class:`~sklearn_ae.nn.Corruption`); None: none.
    """

    def __init__(
        self,
        n_features: int,
        n_components: int,
        hidden_layer_sizes: Sequence[int] = (),
        activation: str = "relu",
        linear_path: bool = True,
        likelihood: str = "gaussian",
        noise_variance: str = "global",
        *,
        corruption: CorruptionConfig | None = None,
    ) -> None:
        super().__init__()
        if likelihood not in ("gaussian", "bernoulli"):
            raise ValueError(f"likelihood must be 'gaussian' or 'bernoulli', got {likelihood!r}.")
        if noise_variance not in ("global", "feature"):
            raise ValueError(f"noise_variance must be 'global' or 'feature', got {noise_variance!r}.")
        hidden = tuple(hidden_layer_sizes)
        self.n_components = n_components
        self.corruption = Corruption.from_config(corruption)
        self.encoder = LinearResidual(n_features, 2 * n_components, hidden, activation, linear_path)
        self.decoder = LinearResidual(n_components, n_features, hidden[::-1], activation, linear_path)
        if likelihood == "gaussian":
            size = n_features if noise_variance == "feature" else 1
            self.log_noise_variance: nn.Parameter | None = nn.Parameter(torch.zeros(size))
        else:
            self.log_noise_variance = None

    def encode_distribution(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of ``q(z|x)``, each of shape (n_rows, n_components)."""
        h = self.encoder(x)
        return h[..., : self.n_components], h[..., self.n_components :]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The posterior mean."""
        return self.encode_distribution(x)[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's output: the Gaussian mean, or the Bernoulli logits."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> VAEOutput:
        mean, log_var = self.encode_distribution(self.corruption(x))
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        return VAEOutput(self.decode(z), z, mean, log_var)

    def init_from_pca(self, pca: Any) -> None:
        """Start at the probabilistic PCA model of a fitted :class:`~sklearn.decomposition.PCA` (see :meth:`init_ppca`).

        PCA's noise variance (the mean discarded eigenvalue) is floored at
        ``1e-6`` of the data's mean variance: it is 0 when nothing is
        discarded, and undefined for a single row.
        """
        lam = np.nan_to_num(pca.explained_variance_)
        noise = float(np.nan_to_num(pca.noise_variance_))
        n_features = pca.components_.shape[1]
        mean_variance = (lam.sum() + noise * (n_features - lam.size)) / n_features
        floor = 1e-6 * mean_variance if mean_variance > 0 else 1.0
        self.init_ppca(pca.components_, lam, pca.mean_, max(noise, floor))

    @torch.no_grad()
    def init_ppca(self, components: Any, explained_variance: Any, mean: Any, noise_variance: float) -> None:
        """Set the linear paths to the maximum-likelihood probabilistic PCA model.

        With loadings ``W = U (L - s2 I)^(1/2)`` (Tipping & Bishop, 1999) the
        decoder is ``x = W z + mean`` with noise variance ``s2`` and the exact
        posterior is ``N(L^-1 (L - s2 I)^(1/2) U^T (x - mean), s2 L^-1)``,
        which the Gaussian encoder represents exactly: the ELBO then equals
        PPCA's log-likelihood. Units beyond the given components, or whose
        eigenvalue does not exceed ``s2``, start switched off (posterior =
        prior, no decoder weight).

        Parameters
        ----------
        components : array-like of shape (r, n_features)
            Orthonormal rows ``U^T`` (``PCA.components_``), ``r <= n_components``.
        explained_variance : array-like of shape (r,)
            Their eigenvalues ``L``.
        mean : array-like of shape (n_features,)
            The data mean.
        noise_variance : float
            ``s2 > 0``.
        """
        U = np.asarray(components, dtype=np.float64)
        lam = np.asarray(explained_variance, dtype=np.float64)
        r, n_features = U.shape
        k = self.n_components
        on = lam > noise_variance
        a = np.sqrt(np.where(on, lam - noise_variance, 0.0))
        enc_w = np.zeros((2 * k, n_features))
        enc_b = np.zeros(2 * k)
        enc_w[:r] = np.divide(a, lam, out=np.zeros(r), where=on)[:, None] * U
        enc_b[:k] = -enc_w[:k] @ np.asarray(mean, dtype=np.float64)
        enc_b[k : k + r] = np.log(noise_variance / np.where(on, lam, noise_variance))
        dec_w = np.zeros((n_features, k))
        dec_w[:, :r] = U.T * a
        enc, dec = self.encoder.linear, self.decoder.linear

        def put(param: torch.Tensor, value: Any) -> None:
            param.copy_(torch.as_tensor(value, dtype=param.dtype, device=param.device))

        put(enc.weight, enc_w)
        put(enc.bias, enc_b)
        put(dec.weight, dec_w)
        put(dec.bias, mean)
        if self.log_noise_variance is not None:
            self.log_noise_variance.fill_(float(np.log(noise_variance)))
