"""One place decides the network: the estimators' flat parameters, turned once into a :class:`NetworkSpec`.

The user-facing parameters stay flat (``GridSearchCV`` searches ``noise``,
not ``module__noise``). At ``fit`` each estimator calls one builder here
(:func:`autoencoder_spec` or :func:`vae_spec`) with its parameters; the
builder resolves every ``"auto"``, refuses combinations that cannot work
with an error that names them, and returns the explicit description of the
torch module, the loss, the scaling, the start and the output that the
shared core (:mod:`sklearn_ae._base`) then builds and trains. The torch
modules validate their own arguments.

The autoencoder variants are groups of parameters (:data:`VARIANTS`, each
a :class:`Variant`); each estimator declares the groups it supports in
``_variants`` and gets exactly their parameters and constraints
(:func:`variant_constraints`). A group that is a regulariser names its
penalty (a key of :data:`sklearn_ae._losses.PENALTIES`) and the estimator
parameters its arguments come from; the builders hand the criterion the
penalties of the estimator's groups whose weight is positive
(:func:`active_penalties`), and the loss parts follow from them.

Adding a regulariser: a :class:`~sklearn_ae._losses.Penalty` subclass
registered in :mod:`sklearn_ae._losses`; one :class:`Variant` here, e.g.
``"orthogonal": Variant({"orthogonality": [Interval(Real, 0, None,
closed="left")]}, penalty="orthogonality", penalty_arguments={"weight":
"orthogonality"})``; and on the estimator, the group in ``_variants`` with
the parameter in ``__init__`` and its docstring. Nothing in the builders
changes.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch

from ._data import FittedScaling, InputScaling
from ._losses import PENALTIES, AutoencoderLoss, Penalty, VAELoss
from ._sklearn_private import Interval, StrOptions
from .nn import ConvAutoencoder, CorruptionConfig, CustomAutoencoder, DenseAutoencoder, VariationalAutoencoder
from .nn._conv import parse_image_shape


@dataclass(frozen=True)
class Variant:
    """One autoencoder variant: a group of estimator parameters, and the penalty they set if any.

    Attributes
    ----------
    constraints : dict
        The group's parameters and their ``_parameter_constraints`` entries.
    penalty : str or None, default=None
        For a regulariser, the key of its class in
        :data:`sklearn_ae._losses.PENALTIES`.
    penalty_arguments : dict, default={}
        The penalty's constructor arguments, each mapped to the estimator
        parameter that gives it; ``"weight"`` is required: the penalty is
        active when that parameter is positive.
    """

    constraints: dict
    penalty: str | None = None
    penalty_arguments: dict = field(default_factory=dict)

    def build_penalty(self, params: dict[str, Any]) -> Penalty | None:
        """The penalty that the estimator parameters ``params`` ask for, or None (no penalty, or a weight of 0)."""
        if self.penalty is None:
            return None
        arguments = {argument: params[name] for argument, name in self.penalty_arguments.items()}
        return PENALTIES[self.penalty](**arguments) if arguments["weight"] > 0 else None


# The variants: each a group of estimator parameters with their constraints, and the penalty it may add.
VARIANTS = {
    "denoising": Variant(
        {
            "noise": [StrOptions({"gaussian", "masking"}), None],
            "noise_level": [Interval(Real, 0, None, closed="left")],
            "mask_value": [Real, StrOptions({"mean"})],
        }
    ),
    "sparse": Variant(
        {
            "sparsity": [Interval(Real, 0, None, closed="left")],
            "sparsity_target": [Interval(Real, 0, 1, closed="neither"), None],
        },
        penalty="sparsity",
        penalty_arguments={"weight": "sparsity", "target": "sparsity_target"},
    ),
    "contractive": Variant(
        {"contractive": [Interval(Real, 0, None, closed="left")]},
        penalty="contractive",
        penalty_arguments={"weight": "contractive"},
    ),
    "tied": Variant({"tied_weights": ["boolean"]}),
    "layer_matching": Variant(
        {
            "layer_matching": [Interval(Real, 0, None, closed="left")],
            "layer_matching_local": ["boolean"],
        },
        penalty="layer_matching",
        penalty_arguments={"weight": "layer_matching"},
    ),
    "conv": Variant({"image_shape": ["array-like", None]}),
    "custom": Variant(
        {
            "encoder": [type, None],
            "decoder": [type, None],
            "encoder_kwargs": [dict, None],
            "decoder_kwargs": [dict, None],
        }
    ),
}

# hidden_layer_sizes="auto", measured: dense widths on MNIST (benchmarks/results_defaults.md),
# convolution channels on MNIST (benchmarks/results_variants_conv.md).
AUTO_HIDDEN_LAYER_SIZES = {"dense": (512, 128), "conv": (16, 32, 64)}


def variant_constraints(variants: Iterable[str]) -> dict[str, list[Any]]:
    """The ``_parameter_constraints`` entries of the variant groups ``variants``."""
    return {name: rule for group in variants for name, rule in VARIANTS[group].constraints.items()}


def active_penalties(params: dict[str, Any], variants: Iterable[str]) -> tuple[Penalty, ...]:
    """The penalties of the variant groups ``variants`` that the estimator parameters ``params`` switch on.

    Parameters
    ----------
    params : dict
        The estimator's ``get_params(deep=False)``.
    variants : sequence of str
        The estimator's ``_variants``: keys of :data:`VARIANTS`.

    Returns
    -------
    penalties : tuple of sklearn_ae._losses.Penalty
        One per penalty group of positive weight, in the order of ``variants``.
    """
    penalties = (VARIANTS[group].build_penalty(params) for group in variants)
    return tuple(penalty for penalty in penalties if penalty is not None)


@dataclass(frozen=True)
class CorruptionSpec:
    """Input corruption of a denoising autoencoder, in the user's units.

    Attributes
    ----------
    kind : {"gaussian", "masking"}
        The noise.
    level : float
        Gaussian: standard deviation as a fraction of each feature's training
        standard deviation. Masking: the probability of masking an entry.
    mask_value : float or "mean"
        The value, in the input's units, that a masked entry takes.
    """

    kind: str
    level: float
    mask_value: float | str = 0.0

    def module_kwargs(self, scaling: InputScaling) -> dict[str, CorruptionConfig]:
        """The module's ``corruption`` argument, in the scaled space the network sees.

        Parameters
        ----------
        scaling : sklearn_ae._data.InputScaling
            The fitted input scaling.

        Returns
        -------
        kwargs : dict
            ``{"corruption": CorruptionConfig}``: masking with the masked
            value as ``fill``, Gaussian noise with each feature's standard
            deviation as ``scale`` (float32, in the scaled units).
        """
        if self.kind == "masking":
            value = scaling.mean if self.mask_value == "mean" else np.full_like(scaling.mean, float(self.mask_value))
            fill = (value - scaling.offset) / scaling.scale
            return {"corruption": CorruptionConfig("masking", self.level, fill=fill.astype(np.float32))}
        noise_scale = scaling.std / scaling.scale
        return {"corruption": CorruptionConfig("gaussian", self.level, scale=noise_scale.astype(np.float32))}


@dataclass(frozen=True)
class NetworkSpec:
    """Everything ``fit`` builds and trains, decided from the parameters in one place.

    Attributes
    ----------
    module : type
        The torch module class (:mod:`sklearn_ae.nn`).
    module_kwargs : dict
        Its arguments, except ``corruption`` (which depends on the fitted
        scaling: :meth:`CorruptionSpec.module_kwargs`).
    criterion : type
        The loss module (:mod:`sklearn_ae._losses`).
    criterion_kwargs : dict
        Its arguments.
    parts : tuple of str
        The loss parts the criterion reports (recorded in the history).
    scaling : {"global", "standard", "minmax"} or None
        The input scaling.
    init : {"pca", "random"}
        ``"pca"``: the module starts at the PCA solution of the scaled data
        (it implements :class:`~sklearn_ae.nn.PCAInitializable`).
    output : {"identity", "sigmoid"}
        What turns the decoder's raw output into the reconstruction's mean.
    corruption : CorruptionSpec or None
        The input noise of the denoising variant.
    unit_interval : str or None
        When the loss needs data in [0, 1], the parameter that asks for it
        (for the error message).
    callbacks : tuple of (str, skorch.callbacks.Callback)
        Extra training callbacks.
    """

    module: type
    module_kwargs: dict
    criterion: type
    criterion_kwargs: dict
    parts: tuple
    scaling: str | FittedScaling | None
    init: str
    output: str = "identity"
    corruption: CorruptionSpec | None = None
    unit_interval: str | None = None
    callbacks: tuple = field(default=())

    def mean_output(self, module: Any, z: torch.Tensor) -> torch.Tensor:
        """The reconstruction's mean (in the scaled space) at codes ``z``."""
        out = module.decode(z)
        return out.sigmoid() if self.output == "sigmoid" else out


# ----------------------------------------------------------------- pieces
def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")
    return int(value)


def hidden_layer_sizes(value: Any, kind: str) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of positive ints; ``"auto"`` depends on the network ``kind``."""
    if isinstance(value, str):
        return AUTO_HIDDEN_LAYER_SIZES["conv" if kind == "conv" else "dense"]
    sizes = np.asarray(value, dtype=object)
    if sizes.ndim != 1:
        raise ValueError(f"hidden_layer_sizes must be a sequence of positive ints, got {value!r}.")
    try:
        return tuple(_positive_int(s, "Each entry of hidden_layer_sizes") for s in sizes)
    except ValueError:
        raise ValueError(f"hidden_layer_sizes must be a sequence of positive ints, got {value!r}.") from None


def _corruption(params: dict[str, Any]) -> CorruptionSpec | None:
    # the level's range is checked by sklearn_ae.nn.CorruptionConfig
    if params["noise"] is None:
        return None
    return CorruptionSpec(params["noise"], float(params["noise_level"]), params["mask_value"])


def _resolve_init(init: str, default: str, kind: str) -> str:
    if init == "auto":
        return default
    if init == "pca" and kind != "dense":
        what = "image_shape" if kind == "conv" else "a custom encoder and decoder"
        raise ValueError(f"init='pca' needs the dense network's linear path; with {what} use init='auto' or 'random'.")
    return init


def _network_kind(params: dict[str, Any]) -> str:
    if params["encoder"] is not None or params["decoder"] is not None:
        if params["encoder"] is None or params["decoder"] is None:
            raise ValueError("A custom network needs both encoder and decoder (torch.nn.Module classes).")
        return "custom"
    if params["encoder_kwargs"] or params["decoder_kwargs"]:
        raise ValueError(
            "encoder_kwargs or decoder_kwargs given, but encoder and decoder are None (no custom network)."
        )
    return "conv" if params["image_shape"] is not None else "dense"


# --------------------------------------------------------------- builders
def autoencoder_spec(params: dict[str, Any], n_features: int, variants: Sequence[str]) -> NetworkSpec:
    """The network of :class:`~sklearn_ae.AutoencoderTransformer` with parameters ``params``.

    Parameters
    ----------
    params : dict
        The estimator's ``get_params(deep=False)``.
    n_features : int
        Width of the data.
    variants : sequence of str
        The estimator's ``_variants`` (keys of :data:`VARIANTS`): the
        penalties come from these groups (:func:`active_penalties`).

    Returns
    -------
    spec : NetworkSpec
    """
    kind = _network_kind(params)
    bce = params["loss"] == "bce"
    match = None
    if params["layer_matching"] > 0:
        match = "local" if params["layer_matching_local"] else "global"
    if kind == "custom":
        if params["image_shape"] is not None:
            raise ValueError(
                "image_shape selects the built-in convolutional network; it cannot be combined with a custom "
                "encoder and decoder (reshape inside your modules)."
            )
        if params["tied_weights"] or match:
            raise ValueError(
                "tied_weights and layer_matching need the built-in networks; they are not available with a "
                "custom encoder and decoder."
            )
    init = _resolve_init(params["init"], "random" if bce or kind != "dense" else "pca", kind)
    sizes = {"n_features": n_features, "n_components": _positive_int(params["n_components"], "n_components")}
    module: type[torch.nn.Module]
    if kind == "custom":
        module, module_kwargs = (
            CustomAutoencoder,
            {
                "encoder": params["encoder"],
                "decoder": params["decoder"],
                "encoder_kwargs": params["encoder_kwargs"] or {},
                "decoder_kwargs": params["decoder_kwargs"] or {},
                **sizes,
            },
        )
    else:
        hidden = hidden_layer_sizes(params["hidden_layer_sizes"], kind)
        if match and not hidden:
            raise ValueError("layer_matching > 0 needs hidden layers to match; hidden_layer_sizes is empty.")
        shared = {"activation": params["activation"], "tied_weights": params["tied_weights"], "match_layers": match}
        if kind == "conv":
            image_shape = parse_image_shape(params["image_shape"])
            module, module_kwargs = ConvAutoencoder, {**sizes, "image_shape": image_shape, "channels": hidden, **shared}
        else:
            module = DenseAutoencoder
            module_kwargs = {**sizes, "hidden_layer_sizes": hidden, "linear_path": init == "pca", **shared}
    penalties = active_penalties(params, variants)
    return NetworkSpec(
        module=module,
        module_kwargs=module_kwargs,
        criterion=AutoencoderLoss,
        criterion_kwargs={"loss": params["loss"], "penalties": penalties},
        parts=AutoencoderLoss.parts + tuple(penalty.name for penalty in penalties),
        scaling=_resolve_scaling(params["scaling"], None if bce else "global"),
        init=init,
        output="sigmoid" if bce else "identity",
        corruption=_corruption(params),
        unit_interval="loss='bce'" if bce else None,
    )


def vae_spec(
    params: dict[str, Any], n_features: int, variants: Sequence[str], callbacks: Iterable[tuple[str, Any]] = ()
) -> NetworkSpec:
    """The network of :class:`~sklearn_ae.VAETransformer` with parameters ``params``.

    Parameters
    ----------
    params : dict
        The estimator's ``get_params(deep=False)``.
    n_features : int
        Width of the data.
    variants : sequence of str
        The estimator's ``_variants`` (keys of :data:`VARIANTS`): the
        penalties come from these groups (:func:`active_penalties`).
    callbacks : tuple of (str, Callback)
        Extra training callbacks (the KL warm-up).

    Returns
    -------
    spec : NetworkSpec
    """
    bernoulli = params["likelihood"] == "bernoulli"
    init = _resolve_init(params["init"], "random" if bernoulli else "pca", "dense")
    penalties = active_penalties(params, variants)
    return NetworkSpec(
        module=VariationalAutoencoder,
        module_kwargs={
            "n_features": n_features,
            "n_components": _positive_int(params["n_components"], "n_components"),
            "hidden_layer_sizes": hidden_layer_sizes(params["hidden_layer_sizes"], "dense"),
            "activation": params["activation"],
            "linear_path": init == "pca",
            "likelihood": params["likelihood"],
            "noise_variance": params["noise_variance"],
        },
        criterion=VAELoss,
        criterion_kwargs={"likelihood": params["likelihood"], "beta": params["beta"], "penalties": penalties},
        parts=VAELoss.parts + tuple(penalty.name for penalty in penalties),
        scaling=_resolve_scaling(params["scaling"], None if bernoulli else "global"),
        init=init,
        output="sigmoid" if bernoulli else "identity",
        corruption=_corruption(params),
        unit_interval="likelihood='bernoulli'" if bernoulli else None,
        callbacks=tuple(callbacks),
    )


def _resolve_scaling(scaling: Any, default: str | None) -> Any:
    return default if scaling == "auto" else scaling
