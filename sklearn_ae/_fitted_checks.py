"""The fitted attributes of each estimator, declared once and checked wherever a state is rebuilt.

:func:`sklearn_ae.load` reads the fitted attributes from the file, and
unpickling (pickle, ``copy.deepcopy``, skops) from the pickled state: a
tampered or corrupted file could hold any value there, and a NaN
``offset_`` or a negative ``noise_variance_`` would only show later, as
NaN scores or every row an inlier. Each estimator class declares the
schema of its fitted attributes in one place, its ``_fitted_attributes``
(a :class:`FittedSchema`); :func:`check_fitted` checks an estimator's
attributes against it and refuses with a ``ValueError`` that names the
attribute::

    estimator.offset_: must be a finite float, got nan

The schema holds what ``fit`` produces: the type, the dtype (float64 arrays
stay float64), the shape (in terms of the other attributes: ``(n_features_in_,)``),
finiteness, ranges and allowed values. The checkers below are small and
reusable: :func:`integer`, :func:`finite_float`, :func:`one_of`,
:func:`optional`, :func:`array`, :func:`covariance`, ... Each is a function
``check(value, owner)`` that returns None when ``value`` is valid for the
estimator ``owner`` (whose attributes checked earlier in the schema's order
are valid), else what it must be.

scikit-learn's :class:`~sklearn.decomposition.PCA`, stored natively as a
detector's member, has a schema here (:data:`NATIVE_SCHEMAS`) of what the
detector uses of it; its other attributes, which change between
scikit-learn versions, are left as they are.
"""

import math
import reprlib
from collections.abc import Callable, Mapping
from numbers import Integral
from typing import NamedTuple

import numpy as np
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

#: A checker: ``check(value, owner)`` is None for a valid value, else what the value must be ("must be ...").
Check = Callable[[object, object], "str | None"]

_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 60


class Described(str):
    """What a checker says it got, where the value itself says too little (an array and its offending entry)."""


def shown(value):
    """A short description of a value that failed a check, for the message's "got ..."."""
    if isinstance(value, Described):
        return str(value)
    if isinstance(value, np.ndarray):
        return f"an ndarray of dtype {value.dtype} and shape {value.shape}"
    if isinstance(value, float):
        return repr(value)
    return _SHOWN.repr(value)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _resolve(bound, owner):
    """A bound of a checker: a number as it is, a string names an attribute of the owner (checked earlier)."""
    return getattr(owner, bound, None) if isinstance(bound, str) else bound


# ------------------------------------------------------------------ scalars
def integer(low=0, high=None, *, equals=None):
    """An int (not a bool) in ``[low, high]``; ``high`` and ``equals`` may name another attribute or parameter."""

    def check(value, owner):
        top, same = _resolve(high, owner), _resolve(equals, owner)
        if same is not None:
            if not (_is_int(value) and value == same):
                return f"must be {equals} ({same!r})"
            return None
        if _is_int(value) and value >= low and (top is None or value <= top):
            return None
        if top is None:
            return f"must be an int >= {low}"
        return f"must be an int in [{low}, {top}]" if high == top else f"must be an int in [{low}, {high} ({top})]"

    return check


def finite_float(*, positive=False, low=None):
    """A finite float (numpy floats included), optionally > 0 or >= ``low``."""
    what = "a finite float" + (" > 0" if positive else f" >= {low:g}" if low is not None else "")

    def check(value, owner):
        ok = isinstance(value, (float, np.floating)) and math.isfinite(value)
        ok = ok and (not positive or value > 0) and (low is None or value >= low)
        return None if ok else f"must be {what}"

    return check


def one_of(*values):
    """One of ``values`` (strings)."""

    def check(value, owner):
        return None if isinstance(value, str) and value in values else f"must be one of {list(values)}"

    return check


def optional(inner):
    """None, or a value that passes ``inner``."""

    def check(value, owner):
        if value is None:
            return None
        problem = inner(value, owner)
        return None if problem is None else f"{problem}, or None"

    return check


def none_when(condition, inner, reason):
    """None where ``condition(owner)`` holds (``reason`` says when), else a value that passes ``inner``."""

    def check(value, owner):
        if condition(owner):
            return None if value is None else f"must be None ({reason})"
        return inner(value, owner)

    return check


def output_config(value, owner):
    """``set_output``'s configuration: a dict of strings (``{"transform": "pandas"}``)."""
    ok = isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    return None if ok else "must be a dict of strings (set_output's configuration)"


# ------------------------------------------------------------------- arrays
class Values(NamedTuple):
    """What the entries of an array may be: ``ok(array)`` is True for each allowed entry; ``what`` says it."""

    what: str
    ok: Callable[[np.ndarray], np.ndarray]


def at_least(low):
    """Finite entries >= ``low`` (a floor that ``fit`` applies)."""
    return Values(f"finite entries >= {low:g}", lambda a: np.isfinite(a) & (a >= low))


ANY = Values("", lambda a: np.ones(a.shape, dtype=bool))
FINITE = Values("finite entries", np.isfinite)
POSITIVE = Values("finite entries > 0", lambda a: np.isfinite(a) & (a > 0))
NONNEGATIVE = at_least(0)
# a variance that may exceed float64 (inf), never NaN nor negative
VARIANCE = Values("entries >= 0 (inf allowed)", lambda a: a >= 0)


def _shape(dims, owner):
    """The expected shape: each dim an int, an attribute's name, or ``f(owner)``; None is any positive size."""
    return tuple(dim(owner) if callable(dim) else _resolve(dim, owner) for dim in dims)


def _fits(shape, actual):
    return len(shape) == len(actual) and all(m == n if n is not None else m > 0 for n, m in zip(shape, actual))


def _shape_text(shape, dims):
    parts = []
    for size, dim in zip(shape, dims):
        label = dim if isinstance(dim, str) else getattr(dim, "label", None)
        parts.append(("any > 0" if size is None else str(size)) if label is None else f"{label}={size}")
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def array(*dims, dtype=(np.float64,), values=FINITE):
    """An ndarray of one of the ``dtype`` s, of the shape ``dims`` (see :func:`_shape`), with ``values``."""

    def check(value, owner):
        shape = _shape(dims, owner)
        names = " or ".join(np.dtype(d).name for d in dtype)
        what = f"must be a {names} ndarray of shape {_shape_text(shape, dims)}"
        what += f" with {values.what}" if values.what else ""
        if not (isinstance(value, np.ndarray) and value.dtype in [np.dtype(d) for d in dtype]):
            return what
        if not _fits(shape, value.shape):
            return what
        allowed = np.asarray(values.ok(value), dtype=bool)
        if not allowed.all():
            offender = value[~allowed].ravel()[0].item()
            raise Refused("", what, Described(f"an array holding {offender!r}"))
        return None

    return check


def strings(*allowed):
    """A 1-d ndarray of distinct strings, each one of ``allowed``."""

    def check(value, owner):
        what = f"must be a 1-d ndarray of distinct strings among {list(allowed)}"
        if not (isinstance(value, np.ndarray) and value.dtype.kind in "UO" and value.ndim == 1 and value.size):
            return what
        items = value.tolist()
        if (
            not all(isinstance(v, str) for v in items)
            or len(set(items)) != len(items)
            or not set(items) <= set(allowed)
        ):
            return what
        return None

    return check


def covariance(dim):
    """A float64 ``(dim, dim)`` covariance: finite, symmetric and positive definite (as ``fit_gaussian`` gives)."""
    square = array(dim, dim)

    def check(value, owner):
        problem = square(value, owner)
        if problem is not None:
            return problem
        scale = float(np.abs(value).max(initial=0.0))
        if not np.allclose(value, value.T, rtol=0.0, atol=1e-8 * scale):
            return "must be a symmetric matrix (a covariance)"
        try:
            np.linalg.cholesky(value)
        except np.linalg.LinAlgError:
            return "must be a positive definite matrix (a covariance)"
        return None

    return check


def unit_vector(dim):
    """A float64 ``(dim,)`` vector of norm 1 (up to rounding)."""
    vector = array(dim)

    def check(value, owner):
        problem = vector(value, owner)
        if problem is None and not abs(float(np.linalg.norm(value)) - 1.0) <= 1e-6:
            return "must be a unit vector"
        return problem

    return check


def feature_names(value, owner):
    """``feature_names_in_``: an object ndarray of ``n_features_in_`` strings."""
    ok = (
        isinstance(value, np.ndarray)
        and value.dtype == object
        and value.shape == (owner.n_features_in_,)
        and all(isinstance(v, str) for v in value)
    )
    return None if ok else f"must be an object ndarray of n_features_in_={owner.n_features_in_} strings"


# --------------------------------------------------------------- estimators
def _methods(owner):
    """The methods the detector calls on its members: fit, transform, inverse_transform (score_samples too)."""
    return ("fit", "transform", "inverse_transform") + (("score_samples",) if owner.measure_ == "likelihood" else ())


def template(value, owner):
    """A detector's ``estimator_``: an estimator with the methods the detector calls on its copies."""
    missing = [m for m in _methods(owner) if not callable(getattr(value, m, None))]
    return None if not missing else f"must be an estimator with the methods {list(_methods(owner))}"


def members(value, owner):
    """A detector's ``estimators_``: a non-empty list of fitted estimators of the detector's features.

    A member of a class with a native schema (PCA) is checked against it too.
    """
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of fitted estimators"
    for i, member in enumerate(value):
        problem = template(member, owner)
        if problem is not None:
            raise Refused(f"[{i}]", problem, member)
        native = NATIVE_SCHEMAS.get(type(member))
        if native is not None:
            try:
                native.refuse(member, strict=False)
            except Refused as refused:
                raise Refused(f"[{i}]{refused.path}", refused.problem, refused.value) from None
        try:
            check_is_fitted(member)
        except (NotFittedError, TypeError, ValueError):
            raise Refused(f"[{i}]", "must be a fitted estimator", member) from None
        n_features = getattr(member, "n_features_in_", owner.n_features_in_)
        if (
            not (isinstance(n_features, Integral) and not isinstance(n_features, bool))
            or n_features != owner.n_features_in_
        ):
            problem = f"must have n_features_in_={owner.n_features_in_} (the detector's), not {shown(n_features)}"
            raise Refused(f"[{i}]", problem, member)
    return None


def code_width(owner):
    """The width of the members' codes where their schema says it (``n_components_``), else None (any)."""
    widths = set()
    for member in owner.estimators_:
        schema = schema_of(type(member))
        if schema is None or "n_components_" not in schema.fitted:
            return None
        widths.add(member.n_components_)
    return widths.pop() if len(widths) == 1 else -1  # members of different widths: no shape fits


def n_members(owner):
    """The number of a detector's members (``len(estimators_)``)."""
    return len(owner.estimators_)


code_width.label = "code width"  # type: ignore[attr-defined]
n_members.label = "len(estimators_)"  # type: ignore[attr-defined]


# ------------------------------------------------------------------ schemas
class FittedSchema(NamedTuple):
    """The fitted attributes of an estimator class, each with its checker, checked in this order.

    Attributes
    ----------
    fitted : mapping
        The attributes every fitted estimator has; an unfitted one has none of them.
    optional : mapping
        Attributes a fitted estimator may have (``feature_names_in_``).
    anytime : mapping
        Attributes fitted or not (``set_output``'s ``_sklearn_output_config``).
    network : bool
        Whether a fitted estimator has a network (``network_``), rebuilt apart from these attributes.
    closed : bool
        Whether these are all the attributes (sklearn-ae's estimators); False for a scikit-learn
        estimator, whose attributes change between its versions: the others are left as they are.
    """

    fitted: Mapping[str, Check]
    optional: Mapping[str, Check] = {}
    anytime: Mapping[str, Check] = {}
    network: bool = False
    closed: bool = True

    def known(self):
        return {**self.fitted, **self.optional, **self.anytime}

    def refuse(self, estimator, *, strict, has_network=None):
        """Raise :class:`Refused` for the first attribute of ``estimator`` that the schema refuses.

        ``strict``: attributes a closed schema does not know are refused (a
        file holds only what ``save`` wrote; a pickled estimator may carry
        attributes its user set). ``has_network``: whether the state holds
        a network (None: not checked).
        """
        name = type(estimator).__name__
        params = set(type(estimator)._get_param_names())
        attributes = {k: v for k, v in vars(estimator).items() if k not in params and k != "network_"}
        if strict and self.closed:
            unknown = sorted(set(attributes) - set(self.known()))
            if unknown:
                raise Refused(
                    "", f"{unknown} are no fitted attributes of a {name} (a file of a newer sklearn-ae, or altered)"
                )
        present = [k for k in (*self.fitted, *self.optional) if k in attributes]
        if present:
            missing = [k for k in self.fitted if k not in attributes]
            if missing:
                raise Refused("", f"a fitted {name} has the attributes {missing} too; they are missing")
        if self.network and has_network is not None and bool(present) != has_network:
            raise Refused("", f"a fitted {name} has a network" if present else f"an unfitted {name} has no network")
        checks = {**self.fitted, **self.optional} if present else {}
        for key, check in {**checks, **self.anytime}.items():
            if key not in attributes:
                continue
            value = attributes[key]
            try:
                problem = check(value, estimator)
            except Refused as refused:
                raise Refused(f".{key}{refused.path}", refused.problem, refused.value) from None
            if problem is not None:
                raise Refused(f".{key}", problem, value)

    def check(self, estimator, where, *, strict, has_network=None):
        """Raise ``ValueError`` naming the first attribute that :meth:`refuse` refuses; ``where`` names the estimator.

        The message reads ``"estimator.offset_: must be a finite float, got nan."``.
        """
        try:
            self.refuse(estimator, strict=strict, has_network=has_network)
        except Refused as refused:
            raise ValueError(refused.message(where)) from None


class Refused(Exception):
    """An attribute the schema refuses: its ``path`` below the estimator, what it must be and the value given."""

    _NOTHING = object()

    def __init__(self, path, problem, value=_NOTHING):
        super().__init__(path, problem)
        self.path, self.problem, self.value = path, problem, value

    def message(self, where):
        got = "" if self.value is Refused._NOTHING else f", got {shown(self.value)}"
        return f"{where}{self.path}: {self.problem}{got}."


#: The schemas of the scikit-learn estimators stored natively as a detector's members: what the detector uses.
NATIVE_SCHEMAS = {
    PCA: FittedSchema(
        fitted={
            "n_features_in_": integer(1),
            "n_components_": integer(1, "n_features_in_"),
            "mean_": array("n_features_in_", dtype=(np.float64, np.float32)),
            "components_": array("n_components_", "n_features_in_", dtype=(np.float64, np.float32)),
            "explained_variance_": array("n_components_", dtype=(np.float64, np.float32), values=NONNEGATIVE),
            "noise_variance_": finite_float(low=0),
        },
        optional={
            "feature_names_in_": feature_names,
            "explained_variance_ratio_": array("n_components_", dtype=(np.float64, np.float32), values=ANY),
            "singular_values_": array("n_components_", dtype=(np.float64, np.float32), values=NONNEGATIVE),
            "n_samples_": integer(1),
            "_fit_svd_solver": one_of("full", "covariance_eigh", "arpack", "randomized"),  # its tags read it
        },
        anytime={"_sklearn_output_config": output_config},
        closed=False,
    )
}


def schema_of(cls):
    """The :class:`FittedSchema` of an estimator class: its ``_fitted_attributes``, a native one, or None."""
    schema = NATIVE_SCHEMAS.get(cls)
    return schema if schema is not None else getattr(cls, "_fitted_attributes", None)


def check_fitted(estimator, where, *, strict, has_network=None):
    """Check ``estimator``'s fitted attributes against its class's schema (see :meth:`FittedSchema.check`).

    A class without a schema (a member stored through skops) is not checked here.
    """
    schema = schema_of(type(estimator))
    if schema is not None:
        schema.check(estimator, where, strict=strict, has_network=has_network)


def autoencoder_schema(attributes):
    """The schema of an autoencoder estimator: the attributes every one has (:data:`AUTOENCODER`) and ``attributes``."""
    return FittedSchema(
        fitted={**AUTOENCODER, **attributes},
        optional={"feature_names_in_": feature_names},
        anytime={"_sklearn_output_config": output_config},
        network=True,
    )


#: The fitted attributes of every autoencoder estimator (the ``BaseAutoencoder`` fit sets them).
AUTOENCODER = {
    "n_features_in_": integer(1),
    "n_components_": integer(1, equals="n_components"),
    "scaling_offset_": array("n_features_in_"),
    "scaling_scale_": array("n_features_in_", values=POSITIVE),
    "_seed": integer(0, 2**64 - 1),
    "n_iter_": integer(0),
    "loss_curve_": array("n_iter_", values=ANY),
    "validation_loss_curve_": optional(array("n_iter_", values=ANY)),  # NaN for an epoch without validation
    "best_epoch_": integer(0, "n_iter_"),
    "n_samples_seen_": integer(1),
}
