"""Torch modules of sklearn-ae: plain ``nn.Module`` objects, each usable alone."""

from ._conv import ConvAutoencoder
from ._custom import CustomAutoencoder
from ._dense import ACTIVATIONS, Corruption, DenseAutoencoder, LinearResidual, TiedLinear, make_mlp
from ._vae import VariationalAutoencoder

__all__ = [
    "ACTIVATIONS",
    "ConvAutoencoder",
    "Corruption",
    "CustomAutoencoder",
    "TiedLinear",
    "DenseAutoencoder",
    "LinearResidual",
    "make_mlp",
    "VariationalAutoencoder",
]
