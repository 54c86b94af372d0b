"""The autoencoder variants as estimator parameters, shared by every estimator.

An estimator opts in by listing (some of) :data:`VARIANT_PARAMETER_CONSTRAINTS`
in its ``_parameter_constraints``, storing the parameters in ``__init__``, and
building its module and criterion through
:meth:`VariantsMixin._variant_module_params` and
:meth:`VariantsMixin._variant_criterion_kwargs`. A parameter the estimator
does not have counts as off.

- denoising: ``noise``, ``noise_level`` (module level, training mode only);
- sparse: ``sparsity``, ``sparsity_target`` (criterion);
- contractive: ``contractive`` (criterion);
- tied weights: ``tied_weights`` (module);
- layer matching: ``layer_matching`` (criterion) and ``layer_matching_local``
  (module: where the gradient stops);
- convolutional: ``image_shape`` (module);
- custom networks: ``encoder``, ``decoder`` and their arguments
  ``encoder_kwargs``, ``decoder_kwargs`` (module), each entry also settable as
  ``encoder__<arg>``, ``decoder__<arg>`` through ``set_params`` (so
  ``GridSearchCV`` can search them, as in skorch).
"""

from numbers import Real

from sklearn.utils._param_validation import Interval, StrOptions

from .nn import ConvAutoencoder, CustomAutoencoder
from .nn._conv import parse_image_shape

VARIANT_PARAMETER_CONSTRAINTS = {
    "noise": [StrOptions({"gaussian", "masking"}), None],
    "noise_level": [Interval(Real, 0, None, closed="left")],
    "sparsity": [Interval(Real, 0, None, closed="left")],
    "sparsity_target": [Interval(Real, 0, 1, closed="neither"), None],
    "contractive": [Interval(Real, 0, None, closed="left")],
    "tied_weights": ["boolean"],
    "layer_matching": [Interval(Real, 0, None, closed="left")],
    "layer_matching_local": ["boolean"],
    "image_shape": ["array-like", None],
    "encoder": [type, None],
    "decoder": [type, None],
    "encoder_kwargs": [dict, None],
    "decoder_kwargs": [dict, None],
}

ROUTED_PREFIXES = ("encoder__", "decoder__")


class VariantsMixin:
    """Builds the module and criterion arguments of the variants; routes ``encoder__``/``decoder__`` parameters.

    Mixed into ``BaseAutoencoder``; see the module docstring.
    """

    # ----------------------------------------------- routed module arguments
    def _routes(self):
        return "encoder_kwargs" in self._get_param_names()

    def get_params(self, deep=True):
        """Parameters of this estimator; with ``deep``, also ``encoder__<name>`` / ``decoder__<name>``.

        The custom modules' arguments live in the ``encoder_kwargs`` and
        ``decoder_kwargs`` dicts; with ``deep=True`` each entry is also listed
        under its routed name, as skorch and scikit-learn's nested estimators
        do.
        """
        params = super().get_params(deep=deep)
        if deep and self._routes():
            for prefix in ROUTED_PREFIXES:
                kwargs = getattr(self, prefix[:-2] + "_kwargs")
                for key, value in (kwargs.items() if isinstance(kwargs, dict) else ()):
                    params[prefix + key] = value
        return params

    def set_params(self, **params):
        """Set parameters; ``encoder__<name>=v`` sets entry ``name`` of ``encoder_kwargs`` (a new dict).

        This is what makes ``GridSearchCV`` search over the arguments of the
        custom modules.
        """
        if self._routes():
            routed = {key: params.pop(key) for key in list(params) if key.startswith(ROUTED_PREFIXES)}
            if routed:
                for prefix in ROUTED_PREFIXES:
                    entries = {key[len(prefix) :]: value for key, value in routed.items() if key.startswith(prefix)}
                    if entries:
                        name = prefix[:-2] + "_kwargs"
                        current = params.pop(name) if name in params else getattr(self, name)
                        params[name] = {**(current if isinstance(current, dict) else {}), **entries}
        return super().set_params(**params)

    # ------------------------------------------------------- module, criterion
    def _variant_kind(self):
        """``"custom"``, ``"conv"`` or ``"dense"``: which network the parameters ask for."""
        if getattr(self, "encoder", None) is not None or getattr(self, "decoder", None) is not None:
            return "custom"
        if getattr(self, "image_shape", None) is not None:
            return "conv"
        return "dense"

    def _noise_kwargs(self):
        noise = getattr(self, "noise", None)
        if noise is None:
            return {}
        if noise == "masking" and not self.noise_level < 1:
            raise ValueError(f"noise='masking' needs noise_level < 1 (a probability), got {self.noise_level}.")
        return {"noise": noise, "noise_level": self.noise_level}

    def _match_layers(self):
        if getattr(self, "layer_matching", 0) > 0:
            return "local" if getattr(self, "layer_matching_local", False) else "global"
        return None

    def _variant_module_params(self, module, kwargs):
        """The module class and arguments for the variant the parameters ask for.

        ``module`` and ``kwargs`` are the estimator's dense module and its
        arguments (``n_features``, ``n_components``, ``hidden_layer_sizes``,
        ``activation``, ``linear_path``), used as they are when no variant is
        on.
        """
        kind = self._variant_kind()
        noise = self._noise_kwargs()
        tied = getattr(self, "tied_weights", False)
        match = self._match_layers()
        routed = getattr(self, "encoder_kwargs", None) or {}, getattr(self, "decoder_kwargs", None) or {}
        if kind != "custom" and (routed[0] or routed[1]):
            raise ValueError("encoder_kwargs or decoder_kwargs given, but encoder and decoder are None "
                             "(no custom network).")
        if kind != "dense" and self.init == "pca":
            what = "image_shape" if kind == "conv" else "custom encoder and decoder"
            raise ValueError(
                f"init='pca' needs the dense network's linear path; with a {what} use init='auto' or 'random'."
            )
        if kind == "custom":
            if self.encoder is None or self.decoder is None:
                raise ValueError("A custom network needs both encoder and decoder (torch.nn.Module classes).")
            if getattr(self, "image_shape", None) is not None:
                raise ValueError("image_shape selects the built-in convolutional network; it cannot be combined "
                                 "with a custom encoder and decoder (reshape inside your modules).")
            if tied or match:
                raise ValueError("tied_weights and layer_matching need the built-in networks; they are not "
                                 "available with a custom encoder and decoder.")
            return CustomAutoencoder, {
                "encoder": self.encoder,
                "decoder": self.decoder,
                "n_features": kwargs["n_features"],
                "n_components": kwargs["n_components"],
                "encoder_kwargs": routed[0],
                "decoder_kwargs": routed[1],
                **noise,
            }
        hidden = tuple(kwargs["hidden_layer_sizes"])
        if match and not hidden:
            raise ValueError("layer_matching > 0 needs hidden layers to match; hidden_layer_sizes is empty.")
        extra = dict(noise)
        if tied:
            extra["tied_weights"] = True
        if match:
            extra["match_layers"] = match
        if kind == "conv":
            return ConvAutoencoder, {
                "n_features": kwargs["n_features"],
                "n_components": kwargs["n_components"],
                "image_shape": parse_image_shape(self.image_shape),
                "channels": hidden,
                "activation": kwargs["activation"],
                **extra,
            }
        return module, {**kwargs, **extra}

    def _variants_active(self):
        """Whether any variant parameter asks for something other than the plain dense autoencoder."""
        return bool(
            self._variant_kind() != "dense"
            or self._noise_kwargs()
            or getattr(self, "tied_weights", False)
            or self._match_layers()
            or self._variant_criterion_kwargs()
        )

    def _variant_criterion_kwargs(self):
        """Criterion arguments of the active penalties (see :func:`sklearn_ae._losses.penalty_terms`)."""
        kwargs = {}
        if getattr(self, "sparsity", 0) > 0:
            kwargs.update(sparsity=self.sparsity, sparsity_target=self.sparsity_target)
        if getattr(self, "contractive", 0) > 0:
            kwargs["contractive"] = self.contractive
        if getattr(self, "layer_matching", 0) > 0:
            kwargs["layer_matching"] = self.layer_matching
        return kwargs
