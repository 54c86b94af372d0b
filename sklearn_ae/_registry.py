"""sklearn-ae's estimators, registered once.

Each entry names an estimator class, the module that defines it and the
ONNX converter it gets. From this list come :func:`sklearn_ae.load`'s
allow-list, :func:`sklearn_ae.save`'s error message for other objects, the
classes a ``skops`` member of a saved detector may hold without being
trusted, and :func:`sklearn_ae.onnx.register`'s converters. A new estimator
is one entry here. The classes are imported when asked for, not with this
module (the estimators' modules import :mod:`sklearn_ae._io`).
"""

import importlib
from typing import NamedTuple


class Registered(NamedTuple):
    """One estimator of sklearn-ae.

    Attributes
    ----------
    name : str
        The class name; ``sklearn_ae.<name>`` is its public name, the one
        saved files give.
    module : str
        The module that defines it.
    onnx : str
        Its ONNX converter in :mod:`sklearn_ae.onnx`: ``"transformer"`` (the
        codes) or ``"detector"`` (labels and scores).
    """

    name: str
    module: str
    onnx: str

    @property
    def public_name(self):
        return f"sklearn_ae.{self.name}"

    @property
    def onnx_alias(self):
        """The operator name skl2onnx knows the converter by."""
        return f"SklearnAE{self.name}"

    def load_class(self):
        return getattr(importlib.import_module(self.module), self.name)


ESTIMATORS = (
    Registered("AutoencoderTransformer", "sklearn_ae._transformer", onnx="transformer"),
    Registered("VAETransformer", "sklearn_ae._vae", onnx="transformer"),
    Registered("AutoencoderOutlierDetector", "sklearn_ae._outlier", onnx="detector"),
)


def estimator_classes():
    """sklearn-ae's estimator classes by public name (``sklearn_ae.AutoencoderTransformer``), in registry order."""
    return {entry.public_name: entry.load_class() for entry in ESTIMATORS}


def names():
    """The class names, in registry order, for messages: ``AutoencoderTransformer, VAETransformer, ...``."""
    return ", ".join(entry.name for entry in ESTIMATORS)
