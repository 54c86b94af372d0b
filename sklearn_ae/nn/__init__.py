"""Torch modules of sklearn-ae: plain ``nn.Module`` objects, each usable alone.

Their outputs and what the estimators expect of a module are stated in
:class:`AutoencoderOutput`, :class:`VAEOutput` and the protocols
:class:`Autoencoder`, :class:`PCAInitializable`, :class:`MatchableHalf` and
:class:`MatchableEncoder`.
"""

from ._contracts import (
    Autoencoder,
    AutoencoderOutput,
    MatchableEncoder,
    MatchableHalf,
    PCAInitializable,
    VAEOutput,
)
from ._conv import ConvAutoencoder
from ._corruption import Corruption, CorruptionConfig
from ._custom import CustomAutoencoder
from ._dense import ACTIVATIONS, DenseAutoencoder, LinearResidual, TiedLinear, make_mlp
from ._vae import VariationalAutoencoder

__all__ = [
    "ACTIVATIONS",
    "Autoencoder",
    "AutoencoderOutput",
    "ConvAutoencoder",
    "Corruption",
    "CorruptionConfig",
    "CustomAutoencoder",
    "DenseAutoencoder",
    "LinearResidual",
    "MatchableEncoder",
    "MatchableHalf",
    "PCAInitializable",
    "TiedLinear",
    "VAEOutput",
    "VariationalAutoencoder",
    "make_mlp",
]
