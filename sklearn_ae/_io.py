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
imported only when the caller names it in ``trusted``.
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

from . import _state
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


def _allowed_estimators():
    """The estimator classes a file may name, by qualified name."""
    from sklearn.decomposition import PCA

    from ._outlier import AutoencoderOutlierDetector
    from ._transformer import AutoencoderTransformer
    from ._vae import VAETransformer

    classes = (AutoencoderTransformer, VAETransformer, AutoencoderOutlierDetector, PCA)
    return {_public_name(cls): cls for cls in classes}


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
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.generic):
            if isinstance(value, np.str_):
                return str(value)
            if not isinstance(value, (np.bool_, np.integer, np.floating)):
                raise TypeError(f"{where}: cannot save the numpy scalar {value!r} of type {type(value).__name__}.")
            return {TYPE: "scalar", "dtype": value.dtype.name, "value": self.value(value.item(), where)}
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, float):
            return value if math.isfinite(value) else {TYPE: "float", "value": repr(value)}
        if isinstance(value, list):
            return [self.value(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return {TYPE: "tuple", "items": [self.value(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise TypeError(f"{where}: cannot save a dict whose keys are not all strings.")
            return {TYPE: "dict", "items": {k: self.value(v, f"{where}[{k!r}]") for k, v in value.items()}}
        if isinstance(value, np.ndarray):
            return self.array(value, where)
        if isinstance(value, np.random.RandomState):
            _, keys, pos, has_gauss, cached = value.get_state(legacy=True)
            return {TYPE: "RandomState", "keys": keys.tolist(), "pos": pos, "has_gauss": has_gauss, "cached": cached}
        if isinstance(value, type):
            return {TYPE: "class", "module": value.__module__, "qualname": value.__qualname__}
        if type(value) is FittedScaling:  # a scaling fitted beforehand (the scaling parameter): its four arrays
            arrays = {field: self.array(getattr(value, field), f"{where}.{field}") for field in _SCALING_FIELDS}
            return {TYPE: "FittedScaling", **arrays}
        if type(value) in self.allowed:
            return self.estimator(value, where)
        raise TypeError(
            f"{where}: cannot save a {type(value).__module__}.{type(value).__qualname__}; sklearn_ae.save writes "
            f"the estimators {sorted(self.allowed.values())} and plain values (numbers, strings, arrays, classes)."
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
        The estimator, fitted or not. The detector's members may also be
        :class:`~sklearn.decomposition.PCA`. A custom encoder or decoder
        class is saved by its qualified name (``module.QualName``), to be
        trusted explicitly when loading.
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

    from ._base import BaseAutoencoder
    from ._outlier import AutoencoderOutlierDetector

    writer = _Writer(include_optimizer=include_optimizer)
    if type(estimator) not in writer.allowed or not isinstance(
        estimator, (BaseAutoencoder, AutoencoderOutlierDetector)
    ):
        raise TypeError(
            "sklearn_ae.save writes sklearn-ae's estimators (AutoencoderTransformer, VAETransformer, "
            f"AutoencoderOutlierDetector), not {type(estimator).__name__}."
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

    def tensor(self, key, where):
        _expect(isinstance(key, str), f"{where}: a tensor name must be a string, got {key!r}.")
        _expect(key in self.tensors, f"{where}: the tensor {key!r} is not in the file.")
        _expect(key not in self.used, f"{where}: the tensor {key!r} is used twice.")
        self.used.add(key)
        return self.tensors[key]

    def value(self, value, where):
        if value is None or isinstance(value, (bool, str, int)):
            return value
        if isinstance(value, float):
            return value
        if isinstance(value, list):
            return [self.value(v, f"{where}[{i}]") for i, v in enumerate(value)]
        _expect(isinstance(value, dict), f"{where}: unexpected JSON value {value!r}.")
        kind = value.get(TYPE)
        decode = (
            {
                "float": self._float,
                "scalar": self._scalar,
                "tuple": self._tuple,
                "dict": self._dict,
                "ndarray": self._array,
                "RandomState": self._random_state,
                "FittedScaling": self._fitted_scaling,
                "class": self._class,
                "estimator": self.estimator,
            }.get(kind)
            if isinstance(kind, str)
            else None
        )
        _expect(decode is not None, f"{where}: unknown value type {kind!r}.")
        return decode(value, where)

    @staticmethod
    def _fields(value, keys, where):
        _expect(set(value) == {TYPE, *keys}, f"{where}: a {value[TYPE]!r} value has exactly the keys {sorted(keys)}.")

    def _float(self, value, where):
        self._fields(value, ["value"], where)
        _expect(value["value"] in ("nan", "inf", "-inf"), f"{where}: a non-finite float is 'nan', 'inf' or '-inf'.")
        return float(value["value"])

    def _scalar(self, value, where):
        self._fields(value, ["dtype", "value"], where)
        dtype = value["dtype"]
        _expect(
            isinstance(dtype, str) and dtype in {"bool", *np.sctypeDict} and np.dtype(dtype).kind in "biuf",
            f"{where}: unknown scalar dtype {dtype!r}.",
        )
        item = self.value(value["value"], where)
        _expect(isinstance(item, (bool, int, float)), f"{where}: a scalar's value must be a number.")
        try:
            return np.dtype(dtype).type(item)
        except (OverflowError, ValueError, TypeError):
            raise ValueError(f"{where}: {item!r} is not a {dtype}.") from None

    def _tuple(self, value, where):
        self._fields(value, ["items"], where)
        _expect(isinstance(value["items"], list), f"{where}: a tuple's items must be a list.")
        return tuple(self.value(v, f"{where}[{i}]") for i, v in enumerate(value["items"]))

    def _dict(self, value, where):
        self._fields(value, ["items"], where)
        _expect(isinstance(value["items"], dict), f"{where}: a dict's items must be an object.")
        return {k: self.value(v, f"{where}[{k!r}]") for k, v in value["items"].items()}

    def _array(self, value, where):
        if "tensor" in value:
            fortran = "order" in value
            self._fields(value, ["tensor", "order"] if fortran else ["tensor"], where)
            _expect(not fortran or value["order"] == "F", f"{where}: an array's order can only be 'F'.")
            tensor = self.tensor(value["tensor"], where)
            _expect(tensor.dtype in _ARRAY_DTYPES, f"{where}: an array cannot have the dtype {tensor.dtype}.")
            array = tensor.numpy().copy()
            return array.T if fortran else array
        self._fields(value, ["dtype", "shape", "values"], where)
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

    def _fitted_scaling(self, value, where):
        self._fields(value, _SCALING_FIELDS, where)
        arrays = {}
        for field in _SCALING_FIELDS:
            array = self.value(value[field], f"{where}.{field}")
            _expect(isinstance(array, np.ndarray), f"{where}.{field}: a FittedScaling's {field} is an array.")
            arrays[field] = array
        try:
            return FittedScaling(**arrays)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: not a valid FittedScaling: {exc}") from None

    def _random_state(self, value, where):
        self._fields(value, ["keys", "pos", "has_gauss", "cached"], where)
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

    def _class(self, value, where):
        self._fields(value, ["module", "qualname"], where)
        module, qualname = value["module"], value["qualname"]
        _expect(isinstance(module, str) and isinstance(qualname, str), f"{where}: a class is named by two strings.")
        name = f"{module}.{qualname}"
        if name in self.builtin:
            return self.builtin[name]
        if name not in self.trusted:
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
        keys = {"weights", "aliases", "history", "validation_seed"}
        _expect(
            isinstance(net, dict) and set(net) in (keys, keys | {"optimizer"}),
            f"{where} must have exactly the keys {sorted(keys)} and, optionally, 'optimizer'.",
        )
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
    before anything of the file's is imported.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.
    trusted : list of str or type, default=None
        The custom classes (``encoder=``/``decoder=`` modules, a custom
        ``optimizer``) that may be imported, by qualified name
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
