"""The fitted skorch net as plain data, and the net rebuilt from it.

A fitted estimator keeps its network in ``net_``, a skorch ``NeuralNet``
whose own pickled state is a pickle of the torch module (loading it runs
code). Here the net is reduced to plain data, a :class:`NetState`: the
module's weights as CPU tensors (tensors shared by several names, as tied
weights are, kept once), the training history as a JSON string and two
scalars. The estimators' ``__getstate__`` (pickle, ``copy.deepcopy``, skops)
and :func:`sklearn_ae.save` write this instead of the net; the net is
rebuilt from the estimator's parameters (the same builder as ``fit``) and
the weights are loaded strictly: every name present, none extra, each of
the shape and dtype that the parameters give. The optimizer's state is
plain data too (:class:`OptimizerState`: tensors and a JSON document,
checked against a fresh optimizer when loaded), kept by pickle,
``copy.deepcopy``, skops and, unless told not to, :func:`sklearn_ae.save`,
so that a model shipped between processes continues training exactly.
"""

import json
import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import torch


class NetState(NamedTuple):
    """A fitted skorch net as plain data.

    Attributes
    ----------
    tensors : dict of str to torch.Tensor
        The module's ``state_dict``, on the CPU, contiguous, each shared
        tensor under one name only.
    aliases : dict of str to str
        The other names of shared tensors, each mapped to its name in
        ``tensors``.
    history : str
        The skorch history, as JSON.
    validation_seed : int
        The seed of a denoiser's validation corruption.
    optimizer : OptimizerState or None
        The optimizer's state, where it is kept.
    """

    tensors: dict[str, torch.Tensor]
    aliases: dict[str, str]
    history: str
    validation_seed: int
    optimizer: "OptimizerState | None" = None


def _json_default(value: object) -> Any:
    if isinstance(value, (np.generic, torch.Tensor)):
        return value.item()
    raise TypeError(f"Cannot write {type(value).__name__} to the training history as JSON.")


def net_state(net: Any) -> NetState:
    """The :class:`NetState` of a fitted skorch ``net``."""
    tensors: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple, str] = {}
    for name, tensor in net.module_.state_dict().items():
        tensor = tensor.detach()
        key = (tensor.untyped_storage().data_ptr(), tensor.storage_offset(), tuple(tensor.shape), tensor.stride())
        if key in seen and tensor.numel():
            aliases[name] = seen[key]
            continue
        seen[key] = name
        # a copy on the CPU that owns its memory (safetensors refuses tensors sharing storage)
        tensors[name] = tensor.to("cpu", copy=True).contiguous()
    history = json.dumps(list(net.history), default=_json_default)
    return NetState(tensors, aliases, history, int(getattr(net, "validation_seed", 0)))


def check_net_record(record: object, keys: tuple[str, ...], what: str = "The saved network state") -> None:
    """Raise ``ValueError`` unless ``record`` is a dict with exactly the ``keys`` and, optionally, ``"optimizer"``.

    The one schema check of a saved network: the estimators' pickled state
    (``keys`` ``weights``, ``history``, ``validation_seed``) and the network
    record of a :func:`sklearn_ae.save` file (``aliases`` besides) are
    checked here. ``what`` names the record in the message.
    """
    if not isinstance(record, dict) or not set(keys) <= set(record) <= set(keys) | {"optimizer"}:
        raise ValueError(f"{what} must have exactly the keys {sorted(keys)} and, optionally, 'optimizer'.")


def weights_to_bytes(state: NetState) -> bytes:
    """The weights of ``state`` as safetensors bytes; the aliases go in its metadata."""
    from safetensors.torch import save

    return save(state.tensors, metadata={"aliases": json.dumps(state.aliases, sort_keys=True)})


def weights_from_bytes(data: object) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """``(tensors, aliases)`` read from :func:`weights_to_bytes`'s bytes; no code runs."""
    from safetensors.torch import load

    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"The network weights must be safetensors bytes, got {type(data).__name__}.")
    try:
        tensors = load(bytes(data))
        metadata = _safetensors_metadata(bytes(data))
    except Exception as exc:  # safetensors raises its own error types for a malformed header
        raise ValueError(f"The network weights are not a valid safetensors document: {exc}") from None
    unknown = set(metadata) - {"aliases"}
    if unknown:
        raise ValueError(f"The network weights carry unexpected metadata {sorted(unknown)}.")
    aliases = json.loads(metadata.get("aliases", "{}"))
    return tensors, aliases


def _safetensors_metadata(data: bytes) -> dict[str, str]:
    """The ``__metadata__`` of safetensors bytes (the JSON header, read without loading tensors)."""
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    return header.get("__metadata__") or {}


#: The keys of a network's record in a pickled estimator (``_net_state``); "optimizer" is optional.
RECORD_KEYS = ("weights", "history", "validation_seed")


def net_state_to_record(state: NetState) -> dict[str, Any]:
    """A :class:`NetState` as the plain record that pickle, ``copy.deepcopy`` and skops store (bytes and JSON)."""
    record = {"weights": weights_to_bytes(state), "history": state.history, "validation_seed": state.validation_seed}
    if state.optimizer is not None:
        record["optimizer"] = optimizer_to_plain(state.optimizer)
    return record


def net_state_from_record(record: Any) -> NetState:
    """The :class:`NetState` of :func:`net_state_to_record`'s record; ``ValueError`` when malformed, no code runs."""
    check_net_record(record, RECORD_KEYS)
    tensors, aliases = weights_from_bytes(record["weights"])
    optimizer = optimizer_from_plain(record["optimizer"]) if "optimizer" in record else None
    return NetState(tensors, aliases, record["history"], int(record["validation_seed"]), optimizer)


def check_weights(
    expected: Mapping[str, torch.Tensor], tensors: Mapping[str, torch.Tensor], aliases: object
) -> dict[str, torch.Tensor]:
    """Raise ``ValueError`` unless ``tensors`` and ``aliases`` fill exactly the ``expected`` state_dict.

    ``expected`` maps names to tensors of the right shape and dtype (on any
    device, ``meta`` included). Returns the state_dict to load.
    """
    if not isinstance(aliases, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()):
        raise ValueError("The weight aliases must map names to names.")
    given = set(tensors) | set(aliases)
    missing, extra = sorted(set(expected) - given), sorted(given - set(expected))
    if missing or extra:
        raise ValueError(
            f"The network weights do not match the network the parameters build: missing {missing}, unexpected {extra}."
        )
    if set(tensors) & set(aliases):
        raise ValueError(f"The weights {sorted(set(tensors) & set(aliases))} are both stored and aliased.")
    state = {}
    for name, reference in expected.items():
        target = aliases.get(name, name)
        if target not in tensors:
            raise ValueError(f"The weight {name!r} is an alias of {target!r}, which is not stored.")
        tensor = tensors[target]
        if tuple(tensor.shape) != tuple(reference.shape) or tensor.dtype != reference.dtype:
            raise ValueError(
                f"The weight {name!r} has shape {tuple(tensor.shape)} and dtype {tensor.dtype}; the network "
                f"the parameters build expects {tuple(reference.shape)} and {reference.dtype}."
            )
        state[name] = tensor
    return state


class OptimizerState(NamedTuple):
    """An optimizer's state as plain data: its tensors by ``"<param index>.<key>"``, and a JSON-able document.

    The document holds ``"values"`` (the non-tensor entries of the per-parameter
    state, by the same names) and ``"param_groups"`` (the optimizer's
    hyperparameters, as ``Optimizer.state_dict`` gives them).
    """

    tensors: dict[str, torch.Tensor]
    document: dict[str, Any]


def optimizer_state(optimizer: torch.optim.Optimizer) -> "OptimizerState | None":
    """The :class:`OptimizerState` of a torch ``optimizer`` (the tensors are CPU copies), or None.

    None when the state is not per-parameter tensors of the parameters'
    shapes (and scalars): ``torch.optim.LBFGS`` keeps a history of flat
    vectors in lists, which is not kept (a model trained with it that trains
    again starts a fresh optimizer).
    """
    state = optimizer.state_dict()
    params = [p for group in optimizer.param_groups for p in group["params"]]
    tensors: dict[str, torch.Tensor] = {}
    values: dict[str, Any] = {}
    for index, entries in state["state"].items():
        for key, value in entries.items():
            name = f"{index}.{key}"
            if isinstance(value, torch.Tensor):
                if value.ndim and value.shape != params[index].shape:
                    return None
                tensors[name] = value.detach().to("cpu", copy=True).contiguous()
            elif _is_plain_scalar(value):
                values[name] = value
            else:
                return None
    # through JSON: tuples (Adam's betas) become lists, numpy and torch scalars numbers, as when they are read back
    document = json.loads(json.dumps({"values": values, "param_groups": state["param_groups"]}, default=_json_default))
    return OptimizerState(tensors, document)


def _is_plain_scalar(value: object) -> bool:
    return value is None or isinstance(value, (bool, int, float))


def _same_kind(value: object, expected: object) -> bool:
    """Whether a saved hyperparameter ``value`` is of the kind of the fresh optimizer's ``expected``."""
    if isinstance(expected, bool) or expected is None:  # flags; None means "let torch choose" (foreach, fused)
        return isinstance(value, bool) or value is None
    if isinstance(expected, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(value, list)
            and len(value) == len(expected)
            and all(_same_kind(v, e) for v, e in zip(value, expected, strict=True))
        )
    return False


def load_optimizer_state(optimizer: torch.optim.Optimizer, state: OptimizerState) -> None:
    """Load an :class:`OptimizerState` into ``optimizer``, a fresh optimizer of the same network; no code runs.

    Checked first, with a ``ValueError`` naming what is wrong: the groups
    hold the same parameters, every hyperparameter is of the kind of the
    fresh optimizer's (a finite number, a flag, a list of as many), every
    other value is a number, bool or None, every tensor belongs to a
    parameter and has that parameter's shape and dtype (a step counter may
    be a scalar). A
    hyperparameter this version of torch does not know is dropped, one it
    knows and the state lacks keeps the fresh optimizer's value, so a file
    written with another torch version still loads.
    """
    document = state.document
    if not isinstance(document, dict) or set(document) != {"values", "param_groups"}:
        raise ValueError("The optimizer state's document must hold exactly 'values' and 'param_groups'.")
    fresh = optimizer.state_dict()["param_groups"]
    groups, values = document["param_groups"], document["values"]
    if not isinstance(groups, list) or len(groups) != len(fresh):
        raise ValueError(f"The optimizer state must have {len(fresh)} parameter group(s).")
    merged = []
    for i, (group, expected) in enumerate(zip(groups, fresh)):
        if not isinstance(group, dict) or group.get("params") != expected["params"]:
            raise ValueError(f"Parameter group {i} of the optimizer state does not hold this optimizer's parameters.")
        known = {key: value for key, value in group.items() if key in expected and key != "params"}
        for key, value in known.items():
            if not _same_kind(value, expected[key]):
                raise ValueError(
                    f"Parameter group {i}: {key!r} is {value!r}, not of the kind of this optimizer's "
                    f"{expected[key]!r} (a finite number, a flag or a list of those)."
                )
        merged.append({**expected, **known})
    params = [p for group in optimizer.param_groups for p in group["params"]]  # state_dict's index order
    if not isinstance(values, dict):
        raise ValueError("The optimizer state's values must be an object.")
    entries: dict[int, dict[str, Any]] = {}
    for name, value in [*state.tensors.items(), *values.items()]:
        index, _, key = str(name).partition(".")
        if not (index.isdigit() and int(index) < len(params) and key):
            raise ValueError(f"The optimizer state names {name!r}, which is no parameter's entry.")
        param = params[int(index)]
        if isinstance(value, torch.Tensor):
            scalar_step = key == "step" and value.ndim == 0
            if not scalar_step and (value.shape != param.shape or value.dtype != param.dtype):
                raise ValueError(
                    f"The optimizer state {name!r} has shape {tuple(value.shape)} and dtype {value.dtype}; its "
                    f"parameter has {tuple(param.shape)} and {param.dtype}."
                )
            value = value.to(param.device)
        elif not _is_plain_scalar(value):
            raise ValueError(f"The optimizer state value {name!r} must be a number, bool or None.")
        entries.setdefault(int(index), {})[key] = value
    optimizer.load_state_dict({"state": entries, "param_groups": merged})


def optimizer_to_plain(state: OptimizerState) -> dict[str, Any]:
    """An :class:`OptimizerState` as plain data: its tensors as safetensors bytes and its document as JSON.

    Kept by pickle, ``copy.deepcopy`` and skops (and, as tensors in the file,
    by :func:`sklearn_ae.save`) so that a model shipped between processes, as
    dask-ml's ``Incremental`` does between two ``partial_fit`` calls, continues
    training exactly where it stopped.
    """
    from safetensors.torch import save

    return {"tensors": save(state.tensors), "document": json.dumps(state.document)}


def optimizer_from_plain(plain: object) -> OptimizerState:
    """The :class:`OptimizerState` of :func:`optimizer_to_plain`'s data; ``ValueError`` when malformed, no code runs.

    It is checked against the optimizer when loaded (:func:`load_optimizer_state`).
    """
    from safetensors.torch import load

    if not isinstance(plain, dict) or set(plain) != {"tensors", "document"}:
        raise ValueError("The saved optimizer state must hold 'tensors' and 'document'.")
    try:
        tensors = load(bytes(plain["tensors"]))
        document = json.loads(plain["document"])
    except Exception as exc:  # safetensors and json raise their own error types
        raise ValueError(f"The saved optimizer state is not valid: {exc}") from None
    return OptimizerState(tensors, document)
