"""The private scikit-learn and skorch API that sklearn-ae uses, in one place.

scikit-learn has no public twin of its parameter validation
(``sklearn.utils._param_validation``: the constraints of
``_parameter_constraints``, ``InvalidParameterError``) nor of ``_fit_context``
(which validates the parameters once per ``fit``), and its estimators'
``_get_param_names``/``_validate_params`` are private methods; the
``scikit-learn`` range in ``pyproject.toml`` bounds the versions they are used
with. skorch's ``NeuralNet._set_training`` is overridden in
:mod:`sklearn_ae._net` and reads skorch's ``_modules`` and ``_criteria``.
Every other module imports these names from here, and
``tests/unit/test_private_api.py`` fails if either library changes them.
"""

from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, InvalidParameterError, StrOptions

#: The skorch ``NeuralNet`` members that :class:`sklearn_ae._net.AutoencoderNet` relies on.
SKORCH_PRIVATE_MEMBERS = ("_set_training", "_modules", "_criteria")


def param_names(cls: type) -> list[str]:
    """The parameter names of an estimator class (scikit-learn's ``BaseEstimator._get_param_names``)."""
    return cls._get_param_names()  # type: ignore[attr-defined]


def validate_params(estimator: Any) -> None:
    """Check ``estimator``'s parameters against its ``_parameter_constraints``, as ``fit`` does (bools included)."""
    estimator._validate_params()
    refuse_bool_integers(estimator)


def refuse_bool_integers(estimator: Any) -> None:
    """Raise ``InvalidParameterError`` for a bool given to a parameter that must be an int.

    scikit-learn's constraints take a bool for an int (``bool`` is an
    ``Integral``): ``batch_size=True`` would train with batches of one row.
    """
    for name, constraints in estimator._parameter_constraints.items():
        value = getattr(estimator, name, None)
        integer_only = bool(constraints) and all(isinstance(c, Interval) and c.type is Integral for c in constraints)
        if integer_only and isinstance(value, (bool, np.bool_)):
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(estimator).__name__} must be an int, not a bool. Got {value!r} "
                "instead."
            )


__all__ = [
    "SKORCH_PRIVATE_MEMBERS",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "_fit_context",
    "_safe_indexing",
    "param_names",
    "refuse_bool_integers",
    "validate_params",
]
