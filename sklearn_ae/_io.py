"""Saving and loading estimators without pickle: :func:`save` and :func:`load`.

The file is one safetensors file. Its header's ``__metadata__`` holds a
JSON document under the key ``"sklearn_ae"``: the format and its version,
the library versions that wrote it, and the estimator as a tree of plain
values (class name, parameters, fitted attributes, for a fitted network its
training history, the names of its weight tensors and, unless left out, its
optimizer's hyperparameters and the names of its state tensors). The tensors
are the networks' weights, the optimizers' states and the fitted numeric
arrays. Nothing in the file is
executable: loading reads JSON and raw tensors (the document bounded in size
and depth before it is parsed), builds the estimator from an allow-list of
classes, checks its fitted attributes against the class's schema
(:mod:`sklearn_ae._fitted_checks`), rebuilds each network from the parameters
(as ``fit`` does) and loads its weights strictly. A custom encoder or decoder class is
imported only when the caller names it in ``trusted``. A detector's member
that is another scikit-learn estimator than PCA (IncrementalPCA, a Pipeline,
...) is stored as skops bytes in a uint8 tensor; skops builds it, only after
every type it names is found trusted (scikit-learn's, sklearn-ae's, or named
in ``trusted``).
"""

import json
import math
import os
import re
import reprlib
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import _registry, _state
from ._base import BaseAutoencoder
from ._codecs import CODECS, READERS, TYPE, expect, public_name, qualified_name
from ._data import FittedScaling
from ._fitted_checks import check_fitted
from ._network import OPTIMIZERS
from ._sklearn_private import param_names, validate_params
from ._version import __version__
from .exceptions import InconsistentVersionWarning

FORMAT = "sklearn-ae"
FORMAT_VERSION = 2  # 2: a network may carry its optimizer's state
METADATA_KEY = "sklearn_ae"


def _native_members():
    """The scikit-learn classes saved natively as a detector's members (their fitted arrays as tensors)."""
    from sklearn.decomposition import PCA

    return (PCA,)


def _allowed_estimators():
    """The estimator classes a file may name, by public name: sklearn-ae's (the registry) and the native members."""
    classes = _registry.estimator_classes()
    classes.update({public_name(cls): cls for cls in _native_members()})
    return classes


def _builtin_classes():
    """Classes a parameter may hold without being trusted: the optimizers of ``optimizer=``."""
    return {qualified_name(cls): cls for cls in OPTIMIZERS.values()}


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
        for codec in CODECS:
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
        cls = type(estimator)
        validate_params(estimator)
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

    return {
        "sklearn_ae": __version__,
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "skorch": skorch.__version__,
        "numpy": np.__version__,
    }


def save(estimator: object, path: str | os.PathLike[str], *, include_optimizer: bool = True) -> None:
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
    text = metadata[METADATA_KEY]
    _check_size_and_depth(text, path)
    try:
        document = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except ValueError as exc:
        raise ValueError(f"{path}: the {METADATA_KEY!r} metadata is not valid JSON: {exc}") from None
    _check_document(document, path)
    return document, tensors


# The most characters of a document (safetensors' own limit on a header, which holds it) and the most levels of
# nested lists and objects (a saved detector nests about 15; the JSON parser and the reader recurse per level).
MAX_DOCUMENT_CHARS = 100_000_000
MAX_DEPTH = 100
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_DEPTH_CHUNK = 1 << 20


def _check_size_and_depth(text, path):
    """Refuse a document too large, or nested too deeply for the parser (a ``RecursionError``), before parsing it."""
    expect(
        len(text) <= MAX_DOCUMENT_CHARS,
        f"{path}: the document has {len(text)} characters; sklearn_ae.load reads at most {MAX_DOCUMENT_CHARS}.",
    )
    depth = _nesting_depth(text)
    expect(
        depth <= MAX_DEPTH,
        f"{path}: the document nests lists and objects {depth} levels deep; sklearn_ae.load reads at most {MAX_DEPTH}.",
    )


def _nesting_depth(text):
    """The deepest nesting of ``[`` and ``{`` in JSON ``text``, outside its strings (in C speed, chunk by chunk)."""
    data = np.frombuffer(_STRING.sub("", text).encode("utf-8", "surrogatepass"), dtype=np.uint8)
    depth = deepest = 0
    for start in range(0, len(data), _DEPTH_CHUNK):
        chunk = data[start : start + _DEPTH_CHUNK]
        opens = (chunk == ord("[")) | (chunk == ord("{"))
        closes = (chunk == ord("]")) | (chunk == ord("}"))
        running = depth + np.cumsum(opens.astype(np.int32) - closes.astype(np.int32))
        if running.size:
            deepest, depth = max(deepest, int(running.max())), int(running[-1])
    return deepest


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON (save writes non-finite floats as records)")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} overflows a float")
    return value


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
            names.add(qualified_name(item))
        elif isinstance(item, str):
            names.add(item)
        else:
            raise TypeError(f"trusted must hold qualified class names (str) or classes, got {item!r}.")
    return names


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
        self.skops_trusted = {qualified_name(cls) for cls in ours} | set(self.builtin)

    def tensor(self, key, where):
        expect(isinstance(key, str), f"{where}: a tensor name must be a string, got {key!r}.")
        expect(key in self.tensors, f"{where}: the tensor {key!r} is not in the file.")
        expect(key not in self.used, f"{where}: the tensor {key!r} is used twice.")
        self.used.add(key)
        return self.tensors[key]

    def value(self, value, where):
        if value is None or isinstance(value, (bool, str, int, float)):
            return value
        if isinstance(value, list):
            return [self.value(v, f"{where}[{i}]") for i, v in enumerate(value)]
        expect(isinstance(value, dict), f"{where}: unexpected JSON value {value!r}.")
        kind = value.get(TYPE)
        read = READERS.get(kind) if isinstance(kind, str) else None
        expect(read is not None, f"{where}: unknown value type {kind!r}.")
        return read(self, value, where)

    def estimator(self, record, where):
        keys = {TYPE, "class", "params", "attributes"}
        expect(set(record) in (keys, keys | {"net"}), f"{where}: an estimator has the keys {sorted(keys)} and 'net'.")
        name = record["class"]
        expect(
            isinstance(name, str) and name in self.allowed,
            f"{where}: the class {name!r} is not one that sklearn_ae.load builds ({sorted(self.allowed)}).",
        )
        cls = self.allowed[name]
        params, attributes = record["params"], record["attributes"]
        expect(isinstance(params, dict), f"{where}.params must be an object.")
        expect(isinstance(attributes, dict), f"{where}.attributes must be an object.")
        known = set(param_names(cls))
        expect(set(params) <= known, f"{where}: unknown parameters {sorted(set(params) - known)} of {name}.")
        estimator = cls(**{k: self.value(v, f"{where}.{k}") for k, v in params.items()})
        validate_params(estimator)
        for key, value in attributes.items():
            expect(
                key.isidentifier() and not key.startswith("__") and key not in known and not hasattr(cls, key),
                f"{where}: {key!r} cannot be an attribute of a {name}.",
            )
            vars(estimator)[key] = self.value(value, f"{where}.{key}")
        # the fitted attributes against the class's schema, before the network is rebuilt from them
        check_fitted(estimator, where, strict=True, has_network="net" in record)
        if "net" in record:
            expect(issubclass(cls, BaseAutoencoder), f"{where}: a {name} has no network.")
            self._net(estimator, record["net"], f"{where}.net")
        return estimator

    def _net(self, estimator, net, where):
        _state.check_net_record(net, {"weights", "aliases", "history", "validation_seed"}, where)
        n_features = getattr(estimator, "n_features_in_", None)
        expect(
            isinstance(n_features, int) and not isinstance(n_features, bool) and n_features > 0,
            f"{where}: a fitted network needs n_features_in_, a positive int.",
        )
        weights, seed = net["weights"], net["validation_seed"]
        expect(isinstance(weights, dict), f"{where}.weights must map weight names to tensor names.")
        expect(isinstance(seed, int) and not isinstance(seed, bool), f"{where}.validation_seed must be an int.")
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
        expect(
            isinstance(optimizer, dict) and set(optimizer) == {"tensors", "values", "param_groups"},
            f"{where} must have exactly the keys ['param_groups', 'tensors', 'values'].",
        )
        expect(isinstance(optimizer["tensors"], dict), f"{where}.tensors must map state names to tensor names.")
        tensors = {k: self.tensor(v, f"{where}.tensors[{k!r}]") for k, v in optimizer["tensors"].items()}
        document = {"values": optimizer["values"], "param_groups": optimizer["param_groups"]}
        try:
            network.load_optimizer(_state.OptimizerState(tensors, document))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        except Exception as exc:  # what torch raises for a state its optimizer refuses
            raise ValueError(f"{where}: the optimizer's state cannot be loaded: {exc!r}") from None


def load(
    path: str | os.PathLike[str], trusted: str | type | list[str | type] | tuple[str | type, ...] | None = None
) -> Any:
    """Load an estimator written by :func:`save`, running no code from the file.

    The estimator is built from an allow-list of classes (sklearn-ae's
    estimators and :class:`~sklearn.decomposition.PCA`), each network is
    rebuilt from the parameters and its weights are loaded strictly: a
    missing, extra or misshapen tensor, an unknown class or parameter, or a
    file of a newer format raises a ``ValueError`` (or a ``TypeError``),
    before anything of the file's is imported. Every fitted attribute is
    checked against what ``fit`` produces (type, dtype, shape, finiteness,
    range, allowed values; unknown attributes are refused), with a
    ``ValueError`` that names it (``estimator.offset_: must be a finite
    float, got nan.``); so is a document nested too deeply or too large. A detector's member saved
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
    expect(isinstance(record, dict) and record.get(TYPE) == "estimator", f"{path}: the document holds no estimator.")
    estimator = reader.estimator(record, "estimator")
    unused = sorted(set(tensors) - reader.used)
    expect(not unused, f"{path}: the file holds tensors that the document does not use: {unused}.")
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
