"""The values of a saved document: one codec per kind of value, written to JSON and tensors and read back.

:func:`sklearn_ae.save` writes an estimator as a tree of plain values; each
kind of value (numbers, arrays, tuples, classes, a fitted scaling, an
estimator, another scikit-learn estimator stored through skops) is one
codec here: which values it writes (``accepts``, tried in the order of
:data:`CODECS`), how (``write``, to JSON and tensors), and how its records,
tagged ``"$type": tag``, are read back (``read``). The writer and the reader
(:mod:`sklearn_ae._io`) hold the tensors, the allow-lists and the trust.
"""

import importlib
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ._data import FittedScaling

TYPE = "$type"
# The dtypes of fitted arrays (the network weights may have any dtype their module gives them).
_ARRAY_DTYPES = {
    torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
    torch.float16, torch.float32, torch.float64,
}  # fmt: skip
# The arrays of a FittedScaling (a value of the scaling parameter).
_SCALING_FIELDS = ("offset", "scale", "mean", "std")
# The number of 32-bit words of the Mersenne Twister state that a RandomState record holds.
_MT19937_KEYS = 624


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def public_name(cls: type) -> str:
    """``sklearn_ae.AutoencoderTransformer`` rather than ``sklearn_ae._transformer.AutoencoderTransformer``."""
    if cls.__module__.startswith("sklearn_ae."):
        return f"sklearn_ae.{cls.__qualname__}"
    if cls.__module__.startswith("sklearn.decomposition."):
        return f"sklearn.decomposition.{cls.__qualname__}"
    return qualified_name(cls)


def expect(condition: object, message: str) -> None:
    if not condition:
        raise ValueError(message)


# ------------------------------------------------------------- value types
# Each kind of value the document holds is one codec: which values it writes (``accepts``, tried in the order
# of CODECS), how (``write``, to JSON and tensors) and how its records, tagged "$type": tag, are read back
# (``read``). A codec without a tag writes plain JSON (None, bools, strings, ints, finite floats, lists), which
# the reader takes as it is. A new kind of value is one codec here and one entry in CODECS.
class _Codec:
    tag: str | None = None

    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:  # pragma: no cover - every codec defines it
        raise NotImplementedError

    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:  # pragma: no cover - every codec defines it
        raise NotImplementedError

    @staticmethod
    def read(reader: Any, record: Any, where: str) -> Any:  # pragma: no cover - plain JSON is never a record
        raise NotImplementedError


class _Plain(_Codec):
    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:
        return value is None or isinstance(value, (bool, str))

    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:
        return value


class _NumpyScalar(_Codec):
    tag = "scalar"

    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:
        return isinstance(value, np.generic)

    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:
        if isinstance(value, np.str_):
            return str(value)
        if not isinstance(value, (np.bool_, np.integer, np.floating)):
            raise TypeError(f"{where}: cannot save the numpy scalar {value!r} of type {type(value).__name__}.")
        return {TYPE: "scalar", "dtype": value.dtype.name, "value": writer.value(value.item(), where)}

    @staticmethod
    def read(reader: Any, value: Any, where: str) -> Any:
        _fields(value, ["dtype", "value"], where)
        dtype = value["dtype"]
        expect(
            isinstance(dtype, str) and dtype in {"bool", *np.sctypeDict} and np.dtype(dtype).kind in "biuf",
            f"{where}: unknown scalar dtype {dtype!r}.",
        )
        item = reader.value(value["value"], where)
        expect(isinstance(item, (bool, int, float)), f"{where}: a scalar's value must be a number.")
        try:
            return np.dtype(dtype).type(item)
        except (OverflowError, ValueError, TypeError):
            raise ValueError(f"{where}: {item!r} is not a {dtype}.") from None


class _Int(_Codec):
    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:
        return isinstance(value, numbers.Integral)

    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:
        return int(value)


class _Float(_Codec):
    tag = "float"

    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:
        return isinstance(value, float)

    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:
        return value if math.isfinite(value) else {TYPE: "float", "value": repr(value)}

    @staticmethod
    def read(reader: Any, value: Any, where: str) -> Any:
        _fields(value, ["value"], where)
        expect(value["value"] in ("nan", "inf", "-inf"), f"{where}: a non-finite float is 'nan', 'inf' or '-inf'.")
        return float(value["value"])


class _List(_Codec):
    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:
        return isinstance(value, list)

    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:
        return [writer.value(v, f"{where}[{i}]") for i, v in enumerate(value)]


class _Tuple(_Codec):
    tag = "tuple"

    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:
        return isinstance(value, tuple)

    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:
        return {TYPE: "tuple", "items": [writer.value(v, f"{where}[{i}]") for i, v in enumerate(value)]}

    @staticmethod
    def read(reader: Any, value: Any, where: str) -> Any:
        _fields(value, ["items"], where)
        expect(isinstance(value["items"], list), f"{where}: a tuple's items must be a list.")
        return tuple(reader.value(v, f"{where}[{i}]") for i, v in enumerate(value["items"]))


class _Dict(_Codec):
    tag = "dict"

    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:
        return isinstance(value, dict)

    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"{where}: cannot save a dict whose keys are not all strings.")
        return {TYPE: "dict", "items": {k: writer.value(v, f"{where}[{k!r}]") for k, v in value.items()}}

    @staticmethod
    def read(reader: Any, value: Any, where: str) -> Any:
        _fields(value, ["items"], where)
        expect(isinstance(value["items"], dict), f"{where}: a dict's items must be an object.")
        return {k: reader.value(v, f"{where}[{k!r}]") for k, v in value["items"].items()}


class _Array(_Codec):
    tag = "ndarray"

    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:
        return isinstance(value, np.ndarray)

    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:
        return writer.array(value, where)

    @staticmethod
    def read(reader: Any, value: Any, where: str) -> Any:
        if "tensor" in value:
            fortran = "order" in value
            _fields(value, ["tensor", "order"] if fortran else ["tensor"], where)
            expect(not fortran or value["order"] == "F", f"{where}: an array's order can only be 'F'.")
            tensor = reader.tensor(value["tensor"], where)
            expect(tensor.dtype in _ARRAY_DTYPES, f"{where}: an array cannot have the dtype {tensor.dtype}.")
            array = tensor.numpy().copy()
            return array.T if fortran else array
        _fields(value, ["dtype", "shape", "values"], where)
        shape, values = value["shape"], value["values"]
        expect(value["dtype"] == "str", f"{where}: an array stored in the document holds strings.")
        expect(
            isinstance(shape, list) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape),
            f"{where}: an array's shape must be a list of non-negative ints.",
        )
        expect(
            isinstance(values, list) and all(isinstance(v, str) for v in values) and len(values) == math.prod(shape),
            f"{where}: an array's values must be {math.prod(shape) if isinstance(shape, list) else '?'} strings.",
        )
        return np.array(values, dtype=object).reshape(shape)


class _RandomState(_Codec):
    tag = "RandomState"

    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:
        return isinstance(value, np.random.RandomState)

    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:
        _, keys, pos, has_gauss, cached = value.get_state(legacy=True)
        return {TYPE: "RandomState", "keys": keys.tolist(), "pos": pos, "has_gauss": has_gauss, "cached": cached}

    @staticmethod
    def read(reader: Any, value: Any, where: str) -> Any:
        _fields(value, ["keys", "pos", "has_gauss", "cached"], where)
        keys, pos, has_gauss, cached = value["keys"], value["pos"], value["has_gauss"], value["cached"]
        expect(
            isinstance(keys, list) and len(keys) == _MT19937_KEYS and all(_is_int(k) and 0 <= k < 2**32 for k in keys),
            f"{where}: a RandomState's keys are {_MT19937_KEYS} ints in [0, 2**32).",
        )
        expect(_is_int(pos) and 0 <= pos <= _MT19937_KEYS, f"{where}: a RandomState's pos is an int in [0, 624].")
        expect(has_gauss in (0, 1) and _is_int(has_gauss), f"{where}: a RandomState's has_gauss is 0 or 1.")
        expect(
            isinstance(cached, (int, float)) and not isinstance(cached, bool) and math.isfinite(cached),
            f"{where}: a RandomState's cached gaussian is a finite number.",
        )
        try:
            rng = np.random.RandomState()
            rng.set_state(
                (
                    "MT19937",
                    np.asarray(value["keys"], dtype=np.uint32),
                    value["pos"],
                    value["has_gauss"],
                    value["cached"],
                )
            )
        except (TypeError, ValueError, OverflowError, IndexError) as exc:
            raise ValueError(f"{where}: not a valid RandomState: {exc}") from None
        return rng


class _Class(_Codec):
    tag = "class"

    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:
        return isinstance(value, type)

    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:
        return {TYPE: "class", "module": value.__module__, "qualname": value.__qualname__}

    @staticmethod
    def read(reader: Any, value: Any, where: str) -> Any:
        _fields(value, ["module", "qualname"], where)
        module, qualname = value["module"], value["qualname"]
        expect(isinstance(module, str) and isinstance(qualname, str), f"{where}: a class is named by two strings.")
        name = f"{module}.{qualname}"
        if name in reader.builtin:
            return reader.builtin[name]
        if name not in reader.trusted:
            raise ValueError(
                f"{where} is the class {name!r}, which is not one of sklearn-ae's. Loading it imports and runs its "
                f"code: if you trust it, pass trusted=[{name!r}] to sklearn_ae.load."
            )
        try:
            cls = importlib.import_module(module)
            for part in qualname.split("."):
                cls = getattr(cls, part)
        except (ImportError, AttributeError) as exc:
            raise ValueError(f"{where}: the trusted class {name!r} cannot be imported: {exc}") from None
        expect(isinstance(cls, type), f"{where}: the trusted name {name!r} is not a class.")
        return cls


class _FittedScaling(_Codec):
    tag = "FittedScaling"

    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:
        return type(value) is FittedScaling

    # a scaling fitted beforehand (the scaling parameter): its four arrays
    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:
        arrays = {field: writer.array(getattr(value, field), f"{where}.{field}") for field in _SCALING_FIELDS}
        return {TYPE: "FittedScaling", **arrays}

    @staticmethod
    def read(reader: Any, value: Any, where: str) -> Any:
        _fields(value, _SCALING_FIELDS, where)
        arrays = {}
        for field in _SCALING_FIELDS:
            array = reader.value(value[field], f"{where}.{field}")
            expect(
                isinstance(array, np.ndarray) and array.dtype == np.float64 and array.ndim == 1,
                f"{where}.{field}: a FittedScaling's {field} is a 1-D float64 array.",
            )
            arrays[field] = array
        try:
            return FittedScaling(**arrays)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: not a valid FittedScaling: {exc}") from None


class _Estimator(_Codec):
    """sklearn-ae's estimators and the native members (PCA): class, parameters, fitted attributes, network."""

    tag = "estimator"

    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:
        return type(value) in writer.allowed

    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:
        return writer.estimator(value, where)

    @staticmethod
    def read(reader: Any, value: Any, where: str) -> Any:
        return reader.estimator(value, where)


_SKOPS_INSTALL = 'pip install "sklearn-ae[skops]"'


def _skops(needed_for: str) -> Any:
    """``skops.io``, or an ImportError that says what needs it and how to install it."""
    try:
        import skops.io
    except ImportError:
        raise ImportError(f"{needed_for} needs skops: {_SKOPS_INSTALL}") from None
    return skops.io


class _Skops(_Codec):
    """Any other scikit-learn estimator (a detector's member: IncrementalPCA, a Pipeline, ...), as skops bytes.

    skops writes no pickle and builds only the types it trusts (scikit-learn's
    own, numpy's) or that the caller trusts; :func:`load` trusts besides
    what it builds itself (sklearn-ae's estimators, :class:`FittedScaling`,
    the optimizers of ``optimizer=``), and refuses, before skops builds
    anything, a document that names another type not in ``trusted``.
    """

    tag = "skops"

    @staticmethod
    def accepts(writer: Any, value: Any) -> bool:
        from sklearn.base import BaseEstimator

        return isinstance(value, BaseEstimator)

    @staticmethod
    def write(writer: Any, value: Any, where: str) -> Any:
        name = qualified_name(type(value))
        sio = _skops(f"{where}: saving a {name} (an estimator that sklearn_ae.save stores through skops)")
        try:
            data = sio.dumps(value)
        except Exception as exc:  # skops' own error types for what it cannot store
            raise TypeError(f"{where}: skops cannot store the {name}: {exc}") from None
        tensor = torch.from_numpy(np.frombuffer(data, dtype=np.uint8).copy())
        record = {TYPE: "skops", "tensor": writer.tensor(tensor, where)}
        views = _strided_arrays(value)
        if views:  # skops stores arrays contiguous; these get their memory layout back (results depend on it)
            record["views"] = views
        return record

    @staticmethod
    def read(reader: Any, value: Any, where: str) -> Any:
        from sklearn.base import BaseEstimator

        _fields(value, ["tensor", "views"] if "views" in value else ["tensor"], where)
        tensor = reader.tensor(value["tensor"], where)
        expect(tensor.dtype == torch.uint8 and tensor.ndim == 1, f"{where}: skops bytes are a 1-D uint8 tensor.")
        data = tensor.numpy().tobytes()
        sio = _skops(f"{where}: loading a member stored through skops")
        try:
            types = sio.get_untrusted_types(data=data)
        except Exception as exc:  # skops' and zipfile's error types for malformed bytes
            raise ValueError(f"{where}: not a valid skops document: {exc}") from None
        untrusted = sorted(set(types) - reader.trusted - reader.skops_trusted)
        if untrusted:
            raise ValueError(
                f"{where} is stored through skops and names the types {untrusted}, which are not scikit-learn's "
                f"nor sklearn-ae's. Loading them imports and runs their code: if you trust them, pass "
                f"trusted={untrusted!r} to sklearn_ae.load."
            )
        try:
            estimator = sio.loads(data, trusted=list(types))
        except Exception as exc:  # skops' error types, and what a class's own state-setting raises
            raise ValueError(f"{where}: the skops document cannot be loaded: {exc!r}") from None
        expect(isinstance(estimator, BaseEstimator), f"{where}: a skops record holds an estimator.")
        views = value.get("views", [])
        expect(isinstance(views, list), f"{where}.views must be a list.")
        for i, view in enumerate(views):
            _restore_view(estimator, view, f"{where}.views[{i}]")
        return estimator


# The most bytes a restored strided view may span, relative to its own size and in all.
_MAX_VIEW_SPAN = (4096, 2**31)


def _strided_arrays(estimator: Any) -> list[dict[str, Any]]:
    """The arrays in ``estimator``'s state that are views neither C- nor F-contiguous, as ``{"path", "strides"}``.

    skops (like pickle) stores them contiguous; a product with a strided view
    may round differently from one with its contiguous copy (IncrementalPCA's
    ``components_`` is a slice of a larger Fortran array), so the loader
    rebuilds each as a view of the same strides. The path leads from the
    estimator through the states of estimators (``__getstate__``, what skops
    stores), lists, tuples and dicts; an array held directly by a tuple, one
    with overlapping or negative strides, is left as skops gives it.
    """
    from sklearn.base import BaseEstimator

    found, seen = [], set()

    def walk(value: Any, path: list[Any], settable: bool) -> None:
        if isinstance(value, np.ndarray):
            contiguous = value.flags.c_contiguous or value.flags.f_contiguous
            numeric = value.dtype.kind in "biuf"
            if settable and not contiguous and numeric and _layout_ok(value.shape, value.strides, value.itemsize):
                found.append({"path": path, "strides": list(value.strides)})
            return
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, BaseEstimator):
            items, settable = value.__getstate__().items(), True
        elif isinstance(value, (list, tuple)):
            items, settable = enumerate(value), isinstance(value, list)
        elif isinstance(value, dict) and all(isinstance(k, str) for k in value):
            items, settable = value.items(), True
        else:
            return
        for key, item in items:
            walk(item, [*path, key], settable)

    walk(estimator, [], False)
    return found


def _layout_ok(shape: Sequence[int], strides: Sequence[int], itemsize: int) -> bool:
    """Whether ``strides`` (bytes) lay out ``shape`` without overlap, each a positive multiple of the item size."""
    step = itemsize
    for stride, n in sorted((s, n) for s, n in zip(strides, shape) if n > 1):
        if stride < step or stride % itemsize:
            return False
        step = stride * n
    return all(n > 0 for n in shape)


def _restore_view(estimator: Any, view: dict[str, Any], where: str) -> None:
    """Replace the array at ``view["path"]`` in the loaded ``estimator`` by a copy laid out with ``view["strides"]``."""
    from sklearn.base import BaseEstimator

    expect(isinstance(view, dict) and set(view) == {"path", "strides"}, f"{where} has the keys path and strides.")
    path, strides = view["path"], view["strides"]
    expect(isinstance(path, list) and path, f"{where}.path must be a non-empty list.")
    parent = estimator
    for i, key in enumerate(path):
        try:
            if isinstance(parent, BaseEstimator) and isinstance(key, str):
                holder, child = vars(parent), vars(parent)[key]
            elif isinstance(parent, list) and isinstance(key, int) and not isinstance(key, bool):
                holder, child = parent, parent[key]
            elif isinstance(parent, tuple) and isinstance(key, int) and not isinstance(key, bool):
                holder, child = None, parent[key]
            elif isinstance(parent, dict) and isinstance(key, str):
                holder, child = parent, parent[key]
            else:
                raise LookupError
        except LookupError:
            raise ValueError(f"{where}.path: {path!r} leads nowhere in the loaded estimator.") from None
        if i + 1 < len(path):
            parent = child
    array = child
    expect(
        holder is not None and isinstance(array, np.ndarray) and array.dtype.kind in "biuf",
        f"{where}.path: {path!r} is not a numeric array the loader can replace.",
    )
    expect(
        isinstance(strides, list)
        and len(strides) == array.ndim
        and all(isinstance(s, int) and not isinstance(s, bool) for s in strides)
        and _layout_ok(array.shape, strides, array.itemsize),
        f"{where}.strides: {strides!r} is no layout of an array of shape {array.shape} and dtype {array.dtype}.",
    )
    span = sum((n - 1) * s for n, s in zip(array.shape, strides)) + array.itemsize
    expect(
        span <= min(_MAX_VIEW_SPAN[0] * array.nbytes, _MAX_VIEW_SPAN[1]),
        f"{where}.strides: {strides!r} spans {span} bytes, too many for an array of {array.nbytes}.",
    )
    base = np.zeros(span // array.itemsize, dtype=array.dtype)
    copy = np.lib.stride_tricks.as_strided(base, array.shape, strides)
    copy[...] = array
    holder[path[-1]] = copy


# In the order they are tried when writing: numpy scalars before ints and floats (np.float64 is a float),
# sklearn-ae's estimators and PCA (native records) before any other estimator (skops).
CODECS = (
    _Plain,
    _NumpyScalar,
    _Int,
    _Float,
    _List,
    _Tuple,
    _Dict,
    _Array,
    _RandomState,
    _Class,
    _FittedScaling,
    _Estimator,
    _Skops,
)
READERS = {codec.tag: codec.read for codec in CODECS if codec.tag is not None}


def _fields(value: Any, keys: Sequence[str], where: str) -> None:
    expect(set(value) == {TYPE, *keys}, f"{where}: a {value[TYPE]!r} value has exactly the keys {sorted(keys)}.")
