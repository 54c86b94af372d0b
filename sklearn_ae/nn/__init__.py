"""Torch modules of sklearn-ae: plain ``nn.Module`` objects, each usable alone."""

from ._dense import ACTIVATIONS, DenseAutoencoder, LinearResidual, make_mlp

__all__ = ["ACTIVATIONS", "DenseAutoencoder", "LinearResidual", "make_mlp"]
