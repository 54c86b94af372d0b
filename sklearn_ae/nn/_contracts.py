"""What the estimators expect of a torch module: named outputs and protocols.

Every autoencoder module's ``forward`` returns an :class:`AutoencoderOutput`
(the variational one a :class:`VAEOutput`); the losses read the fields by
name. :class:`Autoencoder` states the methods an estimator calls at
inference, :class:`PCAInitializable` the one the PCA start calls, and
:class:`MatchableHalf` what each half of a network must provide for layer
matching.
"""

from typing import NamedTuple, Protocol, runtime_checkable

import torch


class AutoencoderOutput(NamedTuple):
    """What an autoencoder's ``forward`` returns.

    Attributes
    ----------
    reconstruction : torch.Tensor of shape (n_rows, n_features)
        The decoder's raw output (the mean, or logits for a Bernoulli loss).
    code : torch.Tensor of shape (n_rows, n_components)
        The code.
    pairs : tuple of (torch.Tensor, torch.Tensor)
        With layer matching, one ``(encoder activation, decoder activation)``
        pair per hidden layer, input side first; empty otherwise.
    """

    reconstruction: torch.Tensor
    code: torch.Tensor
    pairs: tuple = ()


class VAEOutput(NamedTuple):
    """What a variational autoencoder's ``forward`` returns.

    Attributes
    ----------
    reconstruction : torch.Tensor of shape (n_rows, n_features)
        The decoder's raw output at the sampled code (Gaussian mean or
        Bernoulli logits).
    code : torch.Tensor of shape (n_rows, n_components)
        The reparameterised sample ``mean + exp(log_var / 2) * eps``.
    mean, log_var : torch.Tensor of shape (n_rows, n_components)
        The posterior ``q(z|x)``.
    """

    reconstruction: torch.Tensor
    code: torch.Tensor
    mean: torch.Tensor
    log_var: torch.Tensor


@runtime_checkable
class Autoencoder(Protocol):
    """A module the estimators can train and run.

    ``forward`` returns :class:`AutoencoderOutput` or :class:`VAEOutput`;
    ``encode`` maps rows to codes (a VAE: the posterior mean), ``decode``
    codes to the decoder's raw output; ``corruption`` is the
    :class:`~sklearn_ae.nn.Corruption` that ``forward`` applies to its input
    (the modules of :mod:`sklearn_ae.nn` build it from their ``corruption``
    argument, a :class:`~sklearn_ae.nn.CorruptionConfig` or None).
    """

    corruption: torch.nn.Module

    def forward(self, x: torch.Tensor) -> AutoencoderOutput: ...

    def encode(self, x: torch.Tensor) -> torch.Tensor: ...

    def decode(self, z: torch.Tensor) -> torch.Tensor: ...


@runtime_checkable
class PCAInitializable(Protocol):
    """A module that can start at the PCA solution (``init="pca"``)."""

    def init_from_pca(self, pca) -> None:
        """Set the linear paths from a fitted :class:`sklearn.decomposition.PCA` of the scaled data."""


@runtime_checkable
class MatchableHalf(Protocol):
    """One half (encoder or decoder) of a network that supports layer matching.

    ``forward_hidden(x)`` returns the output and the list of hidden
    activations, input side first; ``head(x, i)`` computes hidden activation
    ``i`` from the input; ``n_hidden`` is the number of hidden activations.
    """

    n_hidden: int

    def forward_hidden(self, x: torch.Tensor) -> tuple: ...

    def head(self, x: torch.Tensor, i: int) -> torch.Tensor: ...


@runtime_checkable
class MatchableEncoder(MatchableHalf, Protocol):
    """An encoder for local layer matching: it can also restart from a hidden activation.

    ``skip(x)`` is the linear path's output or None; ``resume(h, i, skip)``
    the output computed from hidden activation ``i``.
    """

    def skip(self, x: torch.Tensor): ...

    def resume(self, h: torch.Tensor, i: int, skip): ...
