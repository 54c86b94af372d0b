"""sklearn-ae: autoencoders as scikit-learn estimators."""

from ._data import FittedScaling
from ._io import load, save
from ._outlier import AutoencoderOutlierDetector
from ._transformer import AutoencoderTransformer
from ._vae import VAETransformer
from ._version import __version__ as __version__

__all__ = [
    "AutoencoderOutlierDetector",
    "AutoencoderTransformer",
    "FittedScaling",
    "VAETransformer",
    "load",
    "save",
]
