"""Saving and loading estimators without pickle: :func:`save` and :func:`load`.

The file is one safetensors file. Its header's ``__metadata__`` holds a
JSON document under the key ``"sklearn_ae"``: the format and its version,
the library versions that wrote it, and the estimator as a tree of plain
values (class name, parameters, fitted attributes, for a fitted network its
training history, the names of its weight tensors and, unless left out, its
optimizer's hyperparameters and the names of its state tensors). The tensors
are the networks' weights, the optimizers' states and the fitted numeric
arrays. Nothing in the file is
executable: loading reads JSON and raw tensors, builds the estimator from an
allow-list of classes, rebuilds each network from the parameters (as ``fit``
does) and loads its weights strictly. A custom encoder or decoder class is
imported only when the caller names it in ``trusted``. A detector's member
that is another scikit-learn estimator than PCA (IncrementalPCA, a Pipeline,
...) is stored as skops bytes in a uint8 tensor; skops builds it, only after
every type it names is found trusted (scikit-learn's, sklearn-ae's, or named
in ``trusted``).
"""

import importlib
import json
import math
import numbers
import reprlib
import warnings
from pathlib import Path

import numpy as np
import torch

from . import _registry, _state
from ._data import FittedScaling
from .exceptions import InconsistentVersionWarning

FORMAT = "sklearn-ae"
FORMAT_VERSION = 2  # 2: a network may carry its optimizer's state
METADATA_KEY = "sklearn_ae"
TYPE = "$type"
# The dtypes of fitted arrays (the network weights may have any dtype their module gives them).
_ARRAY_DTYPES = {
    torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
    torch.float16, torch.float32, torch.float64,
}  # fmt: skip
# The arrays of a FittedScaling (a value of the scaling parameter).
_SCALING_FIELDS = ("offset", "scale", "mean", "std")


def _native_members():
    """The scikit-learn classes saved natively as a detector's members (their fitted arrays as tensors)."""
    from sklearn.decomposition import PCA

    return (PCA,)


def _allowed_estimators():
    """The estimator classes a file may name, by public name: sklearn-ae's (the registry) and the native members."""
    classes = _registry.estimator_classes()
    classes.update({_public_name(cls): cls for cls in _native_members()})
    return classes


def _builtin_classes():
    """Classes a parameter may hold without being trusted: the optimizers of ``optimizer=``."""
    from ._network import OPTIMIZERS

    return {_qualified_name(cls): cls for cls in OPTIMIZERS.values()}


def _qualified_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _public_name(cls):
    """``sklearn_ae.AutoencoderTransformer`` rather than ``sklearn_ae._transformer.AutoencoderTransformer``."""
    if cls.__module__.startswith("sklearn_ae."):
        return f"sklearn_ae.{cls.__qualname__}"
    if cls.__module__.startswith("sklearn.decomposition."):
        return f"sklearn.decomposition.{cls.__qualname__}"
    return _qualified_name(cls)


# ------------------------------------------------------------- value types
# Each kind of value the document holds is one codec: which values it writes (``accepts``, tried in the order
# of _CODECS), how (``write``, to JSON and tensors) and how its records, tagged "$type": tag, are read back
# (``read``). A codec without a tag writes plain JSON (None, bools, strings, ints, finite floats, lists), which
# the reader takes as it is. A new kind of value is one codec here and one entry in _CODECS.
class _Codec:
    tag = None

    @staticmethod
    def accepts(writer, value):  # pragma: no cover - every codec defines it
        raise NotImplementedError

    @staticmethod
    def write(writer, value, where):  # pragma: no cover - every codec defines it
        raise NotImplementedError

    @staticmethod
    def read(reader, record, where):  # pragma: no cover - plain JSON is never a record
        raise NotImplementedError


class _Plain(_Codec):
    @staticmethod
    def accepts(writer, value):
        return value is None or isinstance(value, (bool, str))

    @staticmethod
    def write(writer, value, where):
        return value


class _NumpyScalar(_Codec):
    tag = "scalar"

    @staticmethod
    def accepts(writer, value):
        return isinstance(value, np.generic)

    @staticmethod
    def write(writer, value, where):
        if isinstance(value, np.str_):
            return str(value)
        if not isinstance(value, (np.bool_, np.integer, np.floating)):
            raise TypeError(f"{where}: cannot save the numpy scalar {value!r} of type {type(value).__name__}.")
        return {TYPE: "scalar", "dtype": value.dtype.name, "value": writer.value(value.item(), where)}

    @staticmethod
    def read(reader, value, where):
        _fields(value, ["dtype", "value"], where)
        dtype = value["dtype"]
        _expect(
            isinstance(dtype, str) and dtype in {"bool", *np.sctypeDict} and np.dtype(dtype).kind in "biuf",
            f"{where}: unknown scalar dtype {dtype!r}.",
        )
        item = reader.value(value["value"], where)
        _expect(isinstance(item, (bool, int, float)), f"{where}: a scalar's value must be a number.")
        try:
            return np.dtype(dtype).type(item)
        except (OverflowError, ValueError, TypeError):
            raise ValueError(f"{where}: {item!r} is not a {dtype}.") from None


class _Int(_Codec):
    @staticmethod
    def accepts(writer, value):
        return isinstance(value, numbers.Integral)

    @staticmethod
    def write(writer, value, where):
        return int(value)


class _Float(_Codec):
    tag = "float"

    @staticmethod
    def accepts(writer, value):
        return isinstance(value, float)

    @staticmethod
    def write(writer, value, where):
        return value if math.isfinite(value) else {TYPE: "float", "value": repr(value)}

    @staticmethod
    def read(reader, value, where):
        _fields(value, ["value"], where)
        _expect(value["value"] in ("nan", "inf", "-inf"), f"{where}: a non-finite float is 'nan', 'inf' or '-inf'.")
        return float(value["value"])


class _List(_Codec):
    @staticmethod
    def accepts(writer, value):
        return isinstance(value, list)

    @staticmethod
    def write(writer, value, where):
        return [writer.value(v, f"{where}[{i}]") for i, v in enumerate(value)]


class _Tuple(_Codec):
    tag = "tuple"

    @staticmethod
    def accepts(writer, value):
        return isinstance(value, tuple)

    @staticmethod
    def write(writer, value, where):
        return {TYPE: "tuple", "items": [writer.value(v, f"{where}[{i}]") for i, v in enumerate(value)]}

    @staticmethod
    def read(reader, value, where):
        _fields(value, ["items"], where)
        _expect(isinstance(value["items"], list), f"{where}: a tuple's items must be a list.")
        return tuple(reader.value(v, f"{where}[{i}]") for i, v in enumerate(value["items"]))


class _Dict(_Codec):
    tag = "dict"

    @staticmethod
    def accepts(writer, value):
        return isinstance(value, dict)

    @staticmethod
    def write(writer, value, where):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"{where}: cannot save a dict whose keys are not all strings.")
        return {TYPE: "dict", "items": {k: writer.value(v, f"{where}[{k!r}]") for k, v in value.items()}}

    @staticmethod
    def read(reader, value, where):
        _fields(value, ["items"], where)
        _expect(isinstance(value["items"], dict), f"{where}: a dict's items must be an object.")
        return {k: reader.value(v, f"{where}[{k!r}]") for k, v in value["items"].items()}


class _Array(_Codec):
    tag = "ndarray"

    @staticmethod
    def accepts(writer, value):
        return isinstance(value, np.ndarray)

    @staticmethod
    def write(writer, value, where):
        return writer.array(value, where)

    @staticmethod
    def read(reader, value, where):
        if "tensor" in value:
            fortran = "order" in value
            _fields(value, ["tensor", "order"] if fortran else ["tensor"], where)
            _expect(not fortran or value["order"] == "F", f"{where}: an array's order can only be 'F'.")
            tensor = reader.tensor(value["tensor"], where)
            _expect(tensor.dtype in _ARRAY_DTYPES, f"{where}: an array cannot have the dtype {tensor.dtype}.")
            array = tensor.numpy().copy()
            return array.T if fortran else array
        _fields(value, ["dtype", "shape", "values"], where)
        shape, values = value["shape"], value["values"]
        _expect(value["dtype"] == "str", f"{where}: an array stored in the document holds strings.")
        _expect(
            isinstance(shape, list) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape),
            f"{where}: an array's shape must be a list of non-negative ints.",
        )
        _expect(
            isinstance(values, list) and all(isinstance(v, str) for v in values) and len(values) == math.prod(shape),
            f"{where}: an array's values must be {math.prod(shape) if isinstance(shape, list) else '?'} strings.",
        )
        return np.array(values, dtype=object).reshape(shape)


class _RandomState(_Codec):
    tag = "RandomState"

    @staticmethod
    def accepts(writer, value):
        return isinstance(value, np.random.RandomState)

    @staticmethod
    def write(writer, value, where):
        _, keys, pos, has_gauss, cached = value.get_state(legacy=True)
        return {TYPE: "RandomState", "keys": keys.tolist(), "pos": pos, "has_gauss": has_gauss, "cached": cached}

    @staticmethod
    def read(reader, value, where):
        _fields(value, ["keys", "pos", "has_gauss", "cached"], where)
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
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"{where}: not a valid RandomState: {exc}") from None
        return rng


class _Class(_Codec):
    tag = "class"

    @staticmethod
    def accepts(writer, value):
        return isinstance(value, type)

    @staticmethod
    def write(writer, value, where):
        return {TYPE: "class", "module": value.__module__, "qualname": value.__qualname__}

    @staticmethod
    def read(reader, value, where):
        _fields(value, ["module", "qualname"], where)
        module, qualname = value["module"], value["qualname"]
        _expect(isinstance(module, str) and isinstance(qualname, str), f"{where}: a class is named by two strings.")
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
        _expect(isinstance(cls, type), f"{where}: the trusted name {name!r} is not a class.")
        return cls


class _FittedScaling(_Codec):
    tag = "FittedScaling"

    @staticmethod
    def accepts(writer, value):
        return type(value) is FittedScaling

    @staticmethod
    def write(writer, value, where):  # a scaling fitted beforehand (the scaling parameter): its four arrays
        arrays = {field: writer.array(getattr(value, field), f"{where}.{field}") for field in _SCALING_FIELDS}
        return {TYPE: "FittedScaling", **arrays}

    @staticmethod
    def read(reader, value, where):
        _fields(value, _SCALING_FIELDS, where)
        arrays = {}
        for field in _SCALING_FIELDS:
            array = reader.value(value[field], f"{where}.{field}")
            _expect(isinstance(array, np.ndarray), f"{where}.{field}: a FittedScaling's {field} is an array.")
            arrays[field] = array
        try:
            return FittedScaling(**arrays)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: not a valid FittedScaling: {exc}") from None


class _Estimator(_Codec):
    """sklearn-ae's estimators and the native members (PCA): class, parameters, fitted attributes, network."""

    tag = "estimator"

    @staticmethod
    def accepts(writer, value):
        return type(value) in writer.allowed

    @staticmethod
    def write(writer, value, where):
        return writer.estimator(value, where)

    @staticmethod
    def read(reader, value, where):
        return reader.estimator(value, where)


_SKOPS_INSTALL = 'pip install "sklearn-ae[skops]"'


def _skops(needed_for):
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
    def accepts(writer, value):
        from sklearn.base import BaseEstimator

        return isinstance(value, BaseEstimator)

    @staticmethod
    def write(writer, value, where):
        name = _qualified_name(type(value))
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
    def read(reader, value, where):
        from sklearn.base import BaseEstimator

        _fields(value, ["tensor", "views"] if "views" in value else ["tensor"], where)
        tensor = reader.tensor(value["tensor"], where)
        _expect(tensor.dtype == torch.uint8 and tensor.ndim == 1, f"{where}: skops bytes are a 1-D uint8 tensor.")
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
        _expect(isinstance(estimator, BaseEstimator), f"{where}: a skops record holds an estimator.")
        views = value.get("views", [])
        _expect(isinstance(views, list), f"{where}.views must be a list.")
        for i, view in enumerate(views):
            _restore_view(estimator, view, f"{where}.views[{i}]")
        return estimator


# The most bytes a restored strided view may span, relative to its own size and in all.
_MAX_VIEW_SPAN = (4096, 2**31)


def _strided_arrays(estimator):
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

    def walk(value, path, settable):
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


def _layout_ok(shape, strides, itemsize):
    """Whether ``strides`` (bytes) lay out ``shape`` without overlap, each a positive multiple of the item size."""
    step = itemsize
    for stride, n in sorted((s, n) for s, n in zip(strides, shape) if n > 1):
        if stride < step or stride % itemsize:
            return False
        step = stride * n
    return all(n > 0 for n in shape)


def _restore_view(estimator, view, where):
    """Replace the array at ``view["path"]`` in the loaded ``estimator`` by a copy laid out with ``view["strides"]``."""
    from sklearn.base import BaseEstimator

    _expect(isinstance(view, dict) and set(view) == {"path", "strides"}, f"{where} has the keys path and strides.")
    path, strides = view["path"], view["strides"]
    _expect(isinstance(path, list) and path, f"{where}.path must be a non-empty list.")
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
    _expect(
        holder is not None and isinstance(array, np.ndarray) and array.dtype.kind in "biuf",
        f"{where}.path: {path!r} is not a numeric array the loader can replace.",
    )
    _expect(
        isinstance(strides, list)
        and len(strides) == array.ndim
        and all(isinstance(s, int) and not isinstance(s, bool) for s in strides)
        and _layout_ok(array.shape, strides, array.itemsize),
        f"{where}.strides: {strides!r} is no layout of an array of shape {array.shape} and dtype {array.dtype}.",
    )
    span = sum((n - 1) * s for n, s in zip(array.shape, strides)) + array.itemsize
    _expect(
        span <= min(_MAX_VIEW_SPAN[0] * array.nbytes, _MAX_VIEW_SPAN[1]),
        f"{where}.strides: {strides!r} spans {span} bytes, too many for an array of {array.nbytes}.",
    )
    base = np.zeros(span // array.itemsize, dtype=array.dtype)
    copy = np.lib.stride_tricks.as_strided(base, array.shape, strides)
    copy[...] = array
    holder[path[-1]] = copy


# In the order they are tried when writing: numpy scalars before ints and floats (np.float64 is a float),
# sklearn-ae's estimators and PCA (native records) before any other estimator (skops).
_CODECS = (
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
_READERS = {codec.tag: codec.read for codec in _CODECS if codec.tag is not None}


def _fields(value, keys, where):
    _expect(set(value) == {TYPE, *keys}, f"{where}: a {value[TYPE]!r} value has exactly the keys {sorted(keys)}.")


# ----------------------------------------------------------------- writing
class _Writer:
    """Turns an estimator into the JSON document and the tensors."""

    def __init__(self, include_optimizer=True):
        self.tensors = {}
        self.allowed = {cls: name for name, cls in _allowed_estimators().items()}
        self.include_optimizer = include_optimizer

    def tensor(self, tensor, key):
        """Store ``tensor`` under ``key`` (its path in the document) and return the key."""
        if key in self.tensors:  # pragma: no cover - paths in the document are unique
            raise ValueError(f"Two tensors named {key!r}.")
        # a copy that owns its memory: safetensors refuses tensors that share storage
        self.tensors[key] = tensor.detach().to("cpu", copy=True).contiguous()
        return key

    def value(self, value, where):
        for codec in _CODECS:
            if codec.accepts(self, value):
                return codec.write(self, value, where)
        raise TypeError(
            f"{where}: cannot save a {type(value).__module__}.{type(value).__qualname__}; sklearn_ae.save writes "
            f"the estimators {sorted(self.allowed.values())}, other scikit-learn estimators (through skops) and "
            "plain values (numbers, strings, arrays, classes)."
        )

    def array(self, array, where):
        if array.dtype == object or array.dtype.kind == "U":
            items = array.ravel().tolist()
            if not all(isinstance(v, str) for v in items):
                raise TypeError(f"{where}: cannot save an object array that holds other things than strings.")
            return {TYPE: "ndarray", "dtype": "str", "shape": list(array.shape), "values": items}
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{where}: cannot save an array of dtype {array.dtype}.")
        # the memory order is kept, as pickle keeps it: results of matrix products depend on it in the last bit
        fortran = array.ndim > 1 and array.flags.f_contiguous and not array.flags.c_contiguous
        native = np.ascontiguousarray(array.T if fortran else array, dtype=array.dtype.newbyteorder("="))
        try:
            tensor = torch.from_numpy(native)
        except TypeError:
            raise TypeError(
                f"{where}: cannot save an array of dtype {array.dtype} (torch has no such dtype)."
            ) from None
        if fortran:
            return {TYPE: "ndarray", "tensor": self.tensor(tensor, where), "order": "F"}
        return {TYPE: "ndarray", "tensor": self.tensor(tensor, where)}

    def estimator(self, estimator, where):
        from ._base import BaseAutoencoder

        cls = type(estimator)
        estimator._validate_params()
        params = estimator.get_params(deep=False)
        record = {
            TYPE: "estimator",
            "class": self.allowed[cls],
            "params": {k: self.value(v, f"{where}.{k}") for k, v in params.items()},
        }
        skip = set(params) | {"network_", "_sklearn_version"}
        record["attributes"] = {k: self.value(v, f"{where}.{k}") for k, v in vars(estimator).items() if k not in skip}
        network = getattr(estimator, "network_", None)
        if isinstance(estimator, BaseAutoencoder) and network is not None:
            state = network.to_plain(include_optimizer=self.include_optimizer)
            record["net"] = {
                "weights": {name: self.tensor(t, f"{where}.net.{name}") for name, t in state.tensors.items()},
                "aliases": state.aliases,
                "history": json.loads(state.history),
                "validation_seed": state.validation_seed,
            }
            optimizer = state.optimizer  # None when left out, or for a state that is not kept (LBFGS)
            if optimizer is not None:
                names = {name: self.tensor(t, f"{where}.optimizer.{name}") for name, t in optimizer.tensors.items()}
                record["net"]["optimizer"] = {"tensors": names, **optimizer.document}
        return record


def _versions():
    import sklearn
    import skorch

    from . import __version__

    return {
        "sklearn_ae": __version__,
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "skorch": skorch.__version__,
        "numpy": np.__version__,
    }


def save(estimator, path, *, include_optimizer=True):
    """Save an estimator to one file that holds no pickle and no code.

    The file is a safetensors file: the tensors are the network weights and
    the fitted arrays, and its header holds a JSON document (the
    safetensors metadata ``"sklearn_ae"``) with the class, the parameters, the fitted
    attributes, the training history and the versions that wrote it.
    :func:`load` rebuilds the estimator without running any code from the
    file. The weights are written from the CPU, so a model fitted on a GPU
    loads anywhere. The optimizer's state is saved too, so that
    ``partial_fit`` after :func:`load` continues exactly where the saved
    model stopped, as it does after pickling (``fit`` starts afresh anyway).

    An unfitted estimator is saved too: its parameters only.

    Parameters
    ----------
    estimator : AutoencoderTransformer, VAETransformer or AutoencoderOutlierDetector
        The estimator, fitted or not. The detector's members (its
        ``estimator``) may also be any scikit-learn transformer:
        :class:`~sklearn.decomposition.PCA` is stored natively (its fitted
        arrays as tensors); any other, such as
        :class:`~sklearn.decomposition.IncrementalPCA`,
        :class:`~sklearn.decomposition.KernelPCA` or a
        :class:`~sklearn.pipeline.Pipeline` of a scaler and a PCA, is stored
        with `skops <https://skops.readthedocs.io>`_ (no pickle either; this
        needs the ``skops`` extra, ``pip install "sklearn-ae[skops]"``), as
        bytes in a tensor of the file. A custom encoder or decoder class, or
        a member of a class that is not scikit-learn's, is saved by its
        qualified name (``module.QualName``), to be trusted explicitly when
        loading.
    path : str or path-like
        The file to write (it is replaced). ``.safetensors`` is a natural
        suffix.
    include_optimizer : bool, default=True
        Save the optimizer's state (for Adam two tensors per weight: the file
        is about three times as large). ``False`` writes what inference
        needs only, for deployment; ``partial_fit`` after loading such a file
        starts with a fresh optimizer. The history of
        ``torch.optim.LBFGS`` is never saved (nor pickled): it is not a
        per-weight state.

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer, load, save
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=4, max_epochs=2, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "ae.safetensors")
    >>> save(ae, path)
    >>> np.array_equal(load(path).transform(X), ae.transform(X))
    True
    """
    from safetensors.torch import save_file

    writer = _Writer(include_optimizer=include_optimizer)
    if type(estimator) not in _registry.estimator_classes().values():
        raise TypeError(
            f"sklearn_ae.save writes sklearn-ae's estimators ({_registry.names()}), not {type(estimator).__name__}."
        )
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "estimator": writer.estimator(estimator, "estimator"),
    }
    text = json.dumps(document, allow_nan=False, sort_keys=False)
    save_file(writer.tensors, str(Path(path)), metadata={METADATA_KEY: text})


# ----------------------------------------------------------------- reading
def _read(path):
    from safetensors import safe_open

    try:
        with safe_open(str(Path(path)), framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118 (a safe_open, not a dict)
    except (OSError, FileNotFoundError):
        raise
    except Exception as exc:  # safetensors' own error types for a malformed file
        raise ValueError(f"{path} is not a valid safetensors file: {exc}") from None
    if set(metadata) != {METADATA_KEY}:
        raise ValueError(
            f"{path} is not a file written by sklearn_ae.save: its metadata holds {sorted(metadata)}, "
            f"expected exactly [{METADATA_KEY!r}]."
        )
    try:
        document = json.loads(metadata[METADATA_KEY])
    except ValueError:
        raise ValueError(f"{path}: the {METADATA_KEY!r} metadata is not valid JSON.") from None
    _check_document(document, path)
    return document, tensors


def _check_document(document, path):
    keys = {"format", "format_version", "versions", "estimator"}
    if not isinstance(document, dict) or set(document) != keys:
        raise ValueError(f"{path}: the document must be a JSON object with exactly the keys {sorted(keys)}.")
    if document["format"] != FORMAT:
        raise ValueError(f"{path}: the format is {document['format']!r}, not {FORMAT!r}.")
    version = document["format_version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"{path}: format_version must be a positive int, got {version!r}.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} has format version {version}, written by a newer sklearn-ae "
            f"({document['versions'].get('sklearn_ae') if isinstance(document['versions'], dict) else '?'}); "
            f"this one reads versions up to {FORMAT_VERSION}. Upgrade sklearn-ae to load it."
        )
    if not isinstance(document["versions"], dict):
        raise ValueError(f"{path}: versions must be a JSON object.")


def _trusted_names(trusted):
    if trusted is None:
        return set()
    if isinstance(trusted, (str, type)):
        trusted = [trusted]
    names = set()
    for item in trusted:
        if isinstance(item, type):
            names.add(_qualified_name(item))
        elif isinstance(item, str):
            names.add(item)
        else:
            raise TypeError(f"trusted must hold qualified class names (str) or classes, got {item!r}.")
    return names


def _expect(condition, message):
    if not condition:
        raise ValueError(message)


class _Reader:
    """Builds the estimator from the document and the tensors; every tensor must be used exactly once."""

    def __init__(self, tensors, trusted):
        self.tensors = tensors
        self.used = set()
        self.trusted = trusted
        self.allowed = _allowed_estimators()
        self.builtin = _builtin_classes()
        # what a member stored through skops may name without being trusted: the classes built here anyway
        ours = [*_registry.estimator_classes().values(), FittedScaling]
        self.skops_trusted = {_qualified_name(cls) for cls in ours} | set(self.builtin)

    def tensor(self, key, where):
        _expect(isinstance(key, str), f"{where}: a tensor name must be a string, got {key!r}.")
        _expect(key in self.tensors, f"{where}: the tensor {key!r} is not in the file.")
        _expect(key not in self.used, f"{where}: the tensor {key!r} is used twice.")
        self.used.add(key)
        return self.tensors[key]

    def value(self, value, where):
        if value is None or isinstance(value, (bool, str, int, float)):
            return value
        if isinstance(value, list):
            return [self.value(v, f"{where}[{i}]") for i, v in enumerate(value)]
        _expect(isinstance(value, dict), f"{where}: unexpected JSON value {value!r}.")
        kind = value.get(TYPE)
        read = _READERS.get(kind) if isinstance(kind, str) else None
        _expect(read is not None, f"{where}: unknown value type {kind!r}.")
        return read(self, value, where)

    def estimator(self, record, where):
        from ._base import BaseAutoencoder

        keys = {TYPE, "class", "params", "attributes"}
        _expect(set(record) in (keys, keys | {"net"}), f"{where}: an estimator has the keys {sorted(keys)} and 'net'.")
        name = record["class"]
        _expect(
            isinstance(name, str) and name in self.allowed,
            f"{where}: the class {name!r} is not one that sklearn_ae.load builds ({sorted(self.allowed)}).",
        )
        cls = self.allowed[name]
        params, attributes = record["params"], record["attributes"]
        _expect(isinstance(params, dict), f"{where}.params must be an object.")
        _expect(isinstance(attributes, dict), f"{where}.attributes must be an object.")
        known = set(cls._get_param_names())
        _expect(set(params) <= known, f"{where}: unknown parameters {sorted(set(params) - known)} of {name}.")
        estimator = cls(**{k: self.value(v, f"{where}.{k}") for k, v in params.items()})
        estimator._validate_params()
        for key, value in attributes.items():
            _expect(
                key.isidentifier() and not key.startswith("__") and key not in known and not hasattr(cls, key),
                f"{where}: {key!r} cannot be an attribute of a {name}.",
            )
            vars(estimator)[key] = self.value(value, f"{where}.{key}")
        if "net" in record:
            _expect(issubclass(cls, BaseAutoencoder), f"{where}: a {name} has no network.")
            self._net(estimator, record["net"], f"{where}.net")
        return estimator

    def _net(self, estimator, net, where):
        _state.check_net_record(net, {"weights", "aliases", "history", "validation_seed"}, where)
        n_features = getattr(estimator, "n_features_in_", None)
        _expect(
            isinstance(n_features, int) and not isinstance(n_features, bool) and n_features > 0,
            f"{where}: a fitted network needs n_features_in_, a positive int.",
        )
        weights, seed = net["weights"], net["validation_seed"]
        _expect(isinstance(weights, dict), f"{where}.weights must map weight names to tensor names.")
        _expect(isinstance(seed, int) and not isinstance(seed, bool), f"{where}.validation_seed must be an int.")
        tensors = {k: self.tensor(v, f"{where}.weights[{k!r}]") for k, v in weights.items()}
        state = _state.NetState(tensors, net["aliases"], json.dumps(net["history"]), seed)
        try:
            estimator.network_ = estimator.network_from_plain(state)
        except (ValueError, TypeError):
            raise
        except Exception as exc:  # what torch or the builders raise for parameters no fit would have accepted
            raise ValueError(f"{where}: the network cannot be rebuilt from the parameters: {exc!r}") from None
        if "optimizer" in net:
            self._optimizer(estimator.network_, net["optimizer"], f"{where}.optimizer")

    def _optimizer(self, network, optimizer, where):
        _expect(
            isinstance(optimizer, dict) and set(optimizer) == {"tensors", "values", "param_groups"},
            f"{where} must have exactly the keys ['param_groups', 'tensors', 'values'].",
        )
        _expect(isinstance(optimizer["tensors"], dict), f"{where}.tensors must map state names to tensor names.")
        tensors = {k: self.tensor(v, f"{where}.tensors[{k!r}]") for k, v in optimizer["tensors"].items()}
        document = {"values": optimizer["values"], "param_groups": optimizer["param_groups"]}
        try:
            network.load_optimizer(_state.OptimizerState(tensors, document))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        except Exception as exc:  # what torch raises for a state its optimizer refuses
            raise ValueError(f"{where}: the optimizer's state cannot be loaded: {exc!r}") from None


def load(path, trusted=None):
    """Load an estimator written by :func:`save`, running no code from the file.

    The estimator is built from an allow-list of classes (sklearn-ae's
    estimators and :class:`~sklearn.decomposition.PCA`), each network is
    rebuilt from the parameters and its weights are loaded strictly: a
    missing, extra or misshapen tensor, an unknown class or parameter, or a
    file of a newer format raises a ``ValueError`` (or a ``TypeError``),
    before anything of the file's is imported. A detector's member saved
    through skops is built by ``skops.io.loads`` once every type it names is
    trusted: scikit-learn's own (as skops trusts them), sklearn-ae's, or one
    named in ``trusted``.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.
    trusted : list of str or type, default=None
        The custom classes (``encoder=``/``decoder=`` modules, a custom
        ``optimizer``, a detector's member of a class that is not
        scikit-learn's) that may be imported, by qualified name
        (``"mypackage.models.Encoder"``) or as the classes themselves.
        Importing a class runs its module's code, so name only classes you
        trust; the error for a class not named here says which name to
        pass.

    Returns
    -------
    estimator : AutoencoderTransformer, VAETransformer or AutoencoderOutlierDetector
        The estimator as it was saved: a fitted one gives the same results,
        bit for bit. Its network is on the device its ``device`` parameter
        names, or on the CPU when that is ``"cuda"`` and there is none.

    See Also
    --------
    save : Write the file.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderOutlierDetector, load, save
    >>> X, _ = load_digits(return_X_y=True)
    >>> detector = AutoencoderOutlierDetector(random_state=0).fit(X[:300])
    >>> path = os.path.join(tempfile.mkdtemp(), "detector.safetensors")
    >>> save(detector, path)
    >>> loaded = load(path)
    >>> bool((loaded.predict(X[300:]) == detector.predict(X[300:])).all())
    True
    """
    document, tensors = _read(path)
    reader = _Reader(tensors, _trusted_names(trusted))
    record = document["estimator"]
    _expect(isinstance(record, dict) and record.get(TYPE) == "estimator", f"{path}: the document holds no estimator.")
    estimator = reader.estimator(record, "estimator")
    unused = sorted(set(tensors) - reader.used)
    _expect(not unused, f"{path}: the file holds tensors that the document does not use: {unused}.")
    _warn_if_other_versions(path, document["versions"])
    return estimator


#: The libraries whose version changes what a loaded model computes.
COMPUTING_LIBRARIES = ("sklearn_ae", "torch", "sklearn")


def _warn_if_other_versions(path, saved):
    """:class:`~sklearn_ae.exceptions.InconsistentVersionWarning` when ``saved`` names other versions."""
    current = _versions()
    differ = {name: _shown(saved.get(name)) for name in COMPUTING_LIBRARIES if saved.get(name) != current[name]}
    if differ:
        warnings.warn(InconsistentVersionWarning(path, differ, {name: current[name] for name in differ}), stacklevel=3)


def _shown(version):
    """A saved version as the warning shows it: a string as it is, anything else as its repr, either cut short."""
    return reprlib.repr(version)[1:-1] if isinstance(version, str) else reprlib.repr(version)
