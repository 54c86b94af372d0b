"""sklearn-ae's estimators, registered once.

Each entry names an estimator class, the module that defines it and the
ONNX converter it gets. From this list come :func:`sklearn_ae.load`'s
allow-list, :func:`sklearn_ae.save`'s error message for other objects, the
classes a ``skops`` member of a saved detector may hold without being
trusted, and :func:`sklearn_ae.onnx.register`'s converters. A new estimator
is one entry here.
"""

from typing import NamedTuple

from ._outlier import AutoencoderOutlierDetector
from ._transformer import AutoencoderTransformer
from ._vae import VAETransformer


class Registered(NamedTuple):
    """One estimator of sklearn-ae.

    Attributes
    ----------
    cls : type
        The estimator class; ``sklearn_ae.<name>`` is its public name, the
        one saved files give.
    onnx : str
        Its ONNX converter in :mod:`sklearn_ae.onnx`: ``"transformer"`` (the
        codes) or ``"detector"`` (labels and scores).
    """

    cls: type
    onnx: str

    @property
    def name(self) -> str:
        """The class name."""
        return self.cls.__name__

    @property
    def public_name(self) -> str:
        return f"sklearn_ae.{self.name}"

    @property
    def onnx_alias(self) -> str:
        """The operator name skl2onnx knows the converter by."""
        return f"SklearnAE{self.name}"


ESTIMATORS = (
    Registered(AutoencoderTransformer, onnx="transformer"),
    Registered(VAETransformer, onnx="transformer"),
    Registered(AutoencoderOutlierDetector, onnx="detector"),
)


def estimator_classes() -> dict[str, type]:
    """sklearn-ae's estimator classes by public name (``sklearn_ae.AutoencoderTransformer``), in registry order."""
    return {entry.public_name: entry.cls for entry in ESTIMATORS}


def names() -> str:
    """The class names, in registry order, for messages: ``AutoencoderTransformer, VAETransformer, ...``."""
    return ", ".join(entry.name for entry in ESTIMATORS)
