"""The fitted network: one object that builds, runs and serializes an estimator's trained network.

A fitted estimator keeps its network in ``network_``, a :class:`FittedNetwork`
(as a fitted tree keeps ``tree_``): the description it was built from (the
:class:`~sklearn_ae._spec.NetworkSpec`), the trained skorch net and the input
scaling. It owns

- building: :func:`build_net` turns a spec and the estimator's training
  settings (:class:`TrainingSettings`) into an unfitted skorch net, for
  ``fit`` and for loading alike;
- running: :meth:`FittedNetwork.run` applies a function of the module to
  rows, batch by batch (:meth:`~FittedNetwork.encode`,
  :meth:`~FittedNetwork.decode` are the common ones);
- serializing: :meth:`FittedNetwork.to_plain` gives the network as plain
  data (:class:`~sklearn_ae._state.NetState`), and
  :meth:`FittedNetwork.from_plain` rebuilds it from the spec, the settings
  and that data, with the weights loaded strictly. Pickle, ``copy.deepcopy``,
  skops and :func:`sklearn_ae.save` all go through this pair.

The estimators keep the fitting and the fitted statistics; every other module
(:mod:`sklearn_ae._io`, :mod:`sklearn_ae.onnx`, :mod:`sklearn_ae._fitcheck`,
the detector) talks to this object and to public estimator methods only.
"""

import copy
import dataclasses
import inspect
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from skorch.callbacks import EarlyStopping, PassthroughScoring, ProgressBar
from skorch.dataset import ValidSplit
from skorch.history import History

from . import _state
from ._data import collate_batch, iter_row_batches, scale_rows, sparse_batch_rows
from ._net import AutoencoderNet, BestWeights, DivergenceCheck, silent
from ._seeding import resolve_device, seeded_torch
from ._spec import NetworkSpec
from ._streaming import make_loader
from .nn import CorruptionConfig, CustomAutoencoder

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}

#: Rows per inference batch; memory, not results, depends on it.
INFERENCE_BATCH_SIZE = 2048


@dataclass(frozen=True)
class TrainingSettings:
    """The estimator parameters that decide how its network is trained (not what the network is).

    Build it with :meth:`from_params` from ``estimator.get_params()``.
    """

    optimizer: Any
    lr: float
    weight_decay: float
    batch_size: int
    max_epochs: int
    early_stopping: bool
    validation_fraction: float
    n_iter_no_change: int
    tol: float
    verbose: int

    @classmethod
    def from_params(cls, params: dict) -> "TrainingSettings":
        """The settings among an estimator's ``get_params(deep=False)``."""
        return cls(**{name: params[name] for name in cls.__dataclass_fields__})


def _callbacks(spec: NetworkSpec, settings: TrainingSettings, validation: bool) -> list:
    callbacks = [("divergence_check", DivergenceCheck())]
    if len(spec.parts) > 1:
        for part in spec.parts:
            callbacks.append((f"train_{part}", PassthroughScoring(name=f"train_{part}", on_train=True)))
            if validation:
                callbacks.append((f"valid_{part}", PassthroughScoring(name=f"valid_{part}")))
    if validation:
        # the kept weights are the best epoch's (start included); early stopping only decides when to stop
        callbacks.append(("best_weights", BestWeights()))
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(
                    monitor="valid_loss",
                    patience=settings.n_iter_no_change,
                    threshold=settings.tol,
                    threshold_mode="rel",
                    load_best=False,
                    sink=print if settings.verbose else silent,
                ),
            )
        )
    callbacks.extend(spec.callbacks)
    if settings.verbose and settings.verbose > 1:
        callbacks.append(("progress_bar", ProgressBar()))
    return callbacks


def build_net(
    spec: NetworkSpec,
    settings: TrainingSettings,
    scaling: Any,  # an InputScaling, or None without corruption
    n_samples: int,
    seed: int,
    device: str,
    stream: bool = False,
) -> AutoencoderNet:
    """The unfitted skorch net that trains the network ``spec`` describes, with ``settings``.

    ``scaling`` is the fitted :class:`~sklearn_ae._data.InputScaling` (it puts
    a denoiser's corruption into the scaled space; None when the spec has no
    corruption). ``seed`` seeds the validation split. With ``stream``
    (``partial_fit``: one epoch per call on the chunk) there is no validation
    split and no early stopping.
    """
    validation = settings.early_stopping and settings.max_epochs > 0 and not stream
    if validation and round(settings.validation_fraction * n_samples) < 1:
        warnings.warn(
            f"early_stopping needs a validation split, but validation_fraction={settings.validation_fraction} "
            f"of {n_samples} samples is empty: training on all samples without early stopping.",
            UserWarning,
            stacklevel=3,
        )
        validation = False
    module_kwargs = dict(spec.module_kwargs)
    if spec.corruption is not None:
        module_kwargs.update(spec.corruption.module_kwargs(scaling))
    params = {f"module__{k}": v for k, v in module_kwargs.items()}
    params.update({f"criterion__{k}": v for k, v in spec.criterion_kwargs.items()})
    optimizer = OPTIMIZERS.get(settings.optimizer, settings.optimizer)
    if "weight_decay" in inspect.signature(optimizer).parameters:
        params["optimizer__weight_decay"] = settings.weight_decay
    elif settings.weight_decay:
        raise ValueError(
            f"weight_decay={settings.weight_decay} was given, but the optimizer {optimizer.__name__} has no "
            "weight_decay argument; use weight_decay=0 or an optimizer that has one."
        )
    net = AutoencoderNet(
        module=spec.module,
        criterion=spec.criterion,
        optimizer=optimizer,
        lr=settings.lr,
        max_epochs=settings.max_epochs,
        batch_size=settings.batch_size,
        iterator_train=make_loader,
        iterator_valid=make_loader,
        iterator_train__shuffle=True,
        iterator_train__collate_fn=collate_batch,
        iterator_valid__collate_fn=collate_batch,
        train_split=ValidSplit(settings.validation_fraction, random_state=seed) if validation else None,
        callbacks=_callbacks(spec, settings, validation),
        device=device,
        verbose=int(settings.verbose),
        **params,
    )
    net.validation_seed = seed
    return net


def relink_lbfgs(optimizer: Any) -> None:
    """Give a copied ``torch.optim.LBFGS`` back the parameter list it keeps outside its copied state.

    LBFGS sets ``_params`` (its first group's parameters) in ``__init__``;
    copying an optimizer keeps only its defaults, state and groups, so a copy
    fails at its first step. The groups hold the copied module's parameters.
    """
    if isinstance(optimizer, torch.optim.LBFGS) and not hasattr(optimizer, "_params"):
        optimizer._params = optimizer.param_groups[0]["params"]
        optimizer._numel_cache = None


def restore_device(device: str) -> str:
    """The device to rebuild on: the fit's own choice, except that a CUDA model without CUDA loads on the CPU."""
    if device.startswith("cuda") and not torch.cuda.is_available():
        warnings.warn(
            f"The model asks for device={device!r}, but no CUDA device is available: it is loaded on the CPU.",
            UserWarning,
            stacklevel=5,
        )
        return "cpu"
    return resolve_device(device)


def _placeholder_corruption(spec: NetworkSpec, n_features: int) -> NetworkSpec:
    """``spec`` with the corruption's vector as zeros of its shape: the weights file fills it in."""
    if spec.corruption is None:
        return spec
    vector = "fill" if spec.corruption.kind == "masking" else "scale"
    corruption = CorruptionConfig(
        spec.corruption.kind, spec.corruption.level, **{vector: np.zeros(n_features, dtype=np.float32)}
    )
    return dataclasses.replace(spec, module_kwargs={**spec.module_kwargs, "corruption": corruption}, corruption=None)


class FittedNetwork:
    """An estimator's trained network: its description, the skorch net and the input scaling.

    Parameters
    ----------
    spec : NetworkSpec
        What the network is (module, loss, output, corruption).
    net : AutoencoderNet
        The trained skorch net (its ``module_`` in eval mode).
    offset, scale : ndarray of shape (n_features,)
        The input scaling: the network sees ``(X - offset) / scale``.
    owner : str
        The estimator's class name, for error messages.
    """

    def __init__(
        self, spec: NetworkSpec, net: AutoencoderNet, offset: np.ndarray, scale: np.ndarray, owner: str
    ) -> None:
        self.spec, self.net, self.offset, self.scale, self.owner = spec, net, offset, scale, owner

    # ------------------------------------------------------------- running
    @property
    def module(self) -> torch.nn.Module:
        """The trained torch module."""
        return self.net.module_

    @property
    def device(self) -> str | torch.device:
        """The device the module lives on."""
        return self.net.device

    def mean_output(self, module: torch.nn.Module, z: torch.Tensor) -> torch.Tensor:
        """The reconstruction's mean (in the scaled space) at codes ``z``, by ``module``."""
        return self.spec.mean_output(module, z)

    def module_as(self, dtype: Any) -> torch.nn.Module:
        """The module in eval mode with ``dtype`` weights (a copy if needed)."""
        module = self.net.module_
        torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
        if next(module.parameters()).dtype != torch_dtype:
            module = copy.deepcopy(module).to(torch_dtype)
        return module.eval()

    def run(
        self,
        fn: Callable[..., Any],
        X: Any,
        dtype: Any,
        scaled_input: bool = True,
        batch_size: int = INFERENCE_BATCH_SIZE,
    ) -> Any:
        """Apply ``fn(module, batch_tensor)`` to ``X`` batch by batch.

        ``X`` is validated. With ``scaled_input`` its rows are scaled first.
        The module runs in ``dtype``. ``fn`` returns a tensor, or a
        NamedTuple of tensors; the result is the same, as ndarrays holding
        all the rows, each allocated once and filled batch by batch, of the
        dtype ``fn`` gave (``dtype`` unless ``fn`` accumulated in float64).
        A non-finite result raises ``FloatingPointError``.
        """
        module = self.module_as(dtype)
        device = self.net.device
        batch_size = sparse_batch_rows(X, batch_size)  # a batch of wide sparse rows is densified: keep it small
        result: list[np.ndarray] | None = None
        out: Any = None
        start = 0
        with torch.no_grad():
            for batch in iter_row_batches(X, batch_size):
                if scaled_input:
                    batch = scale_rows(batch, self.offset, self.scale, dtype)
                else:
                    batch = batch.astype(dtype)  # a copy: torch warns on read-only arrays
                out = fn(module, torch.as_tensor(batch, device=device))
                fields = tuple(out) if isinstance(out, tuple) else (out,)
                if result is None:  # one output array per field, written batch by batch
                    result = [np.empty((X.shape[0], *f.shape[1:]), dtype=_numpy_dtype(f)) for f in fields]
                for array, field in zip(result, fields, strict=True):
                    array[start : start + len(batch)] = field.cpu().numpy()
                start += len(batch)
        if result is None:
            raise ValueError(f"{self.owner} got no rows to run the network on.")
        for array in result:
            self.check_finite(array)
        return type(out)(*result) if isinstance(out, tuple) else result[0]

    def encode(self, X: Any, dtype: Any) -> np.ndarray:
        """The codes of the rows of ``X`` (validated), as ``dtype``."""
        return self.run(_encode, X, dtype)

    def decode(self, Z: Any, dtype: Any) -> np.ndarray:
        """The reconstructions' means of codes ``Z``, in the scaled space, as ``dtype``."""
        return self.run(self.spec.mean_output, Z, dtype, scaled_input=False)

    def check_finite(self, result: np.ndarray) -> None:
        """Raise ``FloatingPointError`` unless every value of ``result`` is finite."""
        if not np.isfinite(result).all():
            raise FloatingPointError(
                f"{self.owner} produced non-finite values; the fitted network is numerically "
                "broken (retrain with a smaller lr) or the input is far outside the training range."
            )

    def unscale(self, Xs: np.ndarray) -> np.ndarray:
        """Rows of the scaled space back in the input's units; ``FloatingPointError`` on overflow."""
        X = Xs * self.scale.astype(Xs.dtype) + self.offset.astype(Xs.dtype)
        if not np.isfinite(X).all():
            raise FloatingPointError(
                f"{self.owner}: undoing the scaling overflowed {Xs.dtype} (the codes are far outside "
                "the training range); pass float64 codes or codes closer to the training codes."
            )
        return X

    # ------------------------------------------------------------- training
    def copy_for_training(self) -> AutoencoderNet:
        """A deep copy of the net, ready to train more (a failure then leaves this network untouched)."""
        net = copy.deepcopy(self.net)
        relink_lbfgs(net.optimizer_)
        return net

    # ---------------------------------------------------------- plain data
    def to_plain(self, include_optimizer: bool = True) -> _state.NetState:
        """The network as plain data: weights, history, validation seed and (optionally) the optimizer's state.

        The optimizer's state is None when not asked for, or when it is not a
        per-weight state (``torch.optim.LBFGS``'s history).
        """
        state = _state.net_state(self.net)
        optimizer = getattr(self.net, "optimizer_", None)
        if include_optimizer and optimizer is not None:
            state = state._replace(optimizer=_state.optimizer_state(optimizer))
        return state

    @classmethod
    def from_plain(
        cls,
        plain: _state.NetState,
        *,
        spec: NetworkSpec,
        settings: TrainingSettings,
        device: str,
        offset: np.ndarray,
        scale: np.ndarray,
        owner: str,
    ) -> "FittedNetwork":
        """The network that ``spec`` and ``settings`` build, with the weights, history and optimizer of ``plain``.

        The net is built as ``fit`` builds it, its weights initialised
        without touching torch's global random generator and then replaced
        by those of ``plain`` (strictly: see
        :func:`~sklearn_ae._state.check_weights`). A model saved on a GPU is
        loaded on the CPU when no GPU is available (with a warning).
        Malformed data raises ``ValueError``.
        """
        n_features = len(offset)
        placeholder = _placeholder_corruption(spec, n_features)
        device = restore_device(device)
        with warnings.catch_warnings():
            # the warning about an empty validation split belongs to fit; here the split is never used
            warnings.simplefilter("ignore", UserWarning)
            net = build_net(placeholder, settings, None, max(n_features, 2**20), plain.validation_seed, device)
        if placeholder.module is not CustomAutoencoder:
            # check the shapes on a module without memory first: parameters that ask for a huge network fail here
            with torch.device("meta"):
                probe = net.module(**net.get_params_for("module"))
            _state.check_weights(probe.state_dict(), plain.tensors, plain.aliases)
        with seeded_torch(plain.validation_seed, device):  # the caller's generator is untouched
            net.initialize()
        weights = _state.check_weights(net.module_.state_dict(), plain.tensors, plain.aliases)
        net.module_.load_state_dict(weights, strict=True)
        net.module_.eval()
        try:
            history = json.loads(plain.history)
        except (TypeError, ValueError):
            raise ValueError("The training history is not valid JSON.") from None
        if not isinstance(history, list) or not all(isinstance(row, dict) for row in history):
            raise ValueError("The training history must be a list of epochs (dicts).")
        net.history = History(history)
        network = cls(spec, net, offset, scale, owner)
        if plain.optimizer is not None:
            network.load_optimizer(plain.optimizer)
        return network

    def load_optimizer(self, state: _state.OptimizerState) -> None:
        """Load an optimizer's state saved by :meth:`to_plain`, so that training continues where it stopped."""
        _state.load_optimizer_state(self.net.optimizer_, state)


def _encode(module: Any, x: torch.Tensor) -> torch.Tensor:
    return module.encode(x)


def _numpy_dtype(tensor: torch.Tensor) -> np.dtype:
    """The numpy dtype of ``tensor``'s elements."""
    return np.dtype(str(tensor.dtype).removeprefix("torch."))
