"""The core shared by every estimator: validation, scaling, seeding, and
building, fitting and running the skorch net ``net_``.

The public estimators differ in what they do with a trained network, not in
how they train it. A subclass supplies three hooks:

- ``_module_params(n_features)``: the torch module class and its arguments;
- ``_criterion_params()``: the criterion class and its arguments;
- ``_after_fit(X)``: statistics computed from the fitted network.
"""

import copy
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.decomposition import PCA
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping, PassthroughScoring, ProgressBar
from skorch.dataset import ValidSplit

from ._data import SCALINGS, ScaledDataset, collate_batch, fit_scaling, iter_row_batches, scale_rows
from ._net import AutoencoderNet, DivergenceCheck, silent
from ._variants import VariantsMixin
from .nn import ACTIVATIONS, DenseAutoencoder

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}

# hidden_layer_sizes="auto", measured: dense widths on MNIST (benchmarks/results_defaults.md),
# convolution channels on MNIST (benchmarks/results_variants_conv.md).
AUTO_HIDDEN_LAYER_SIZES = {"dense": (512, 128), "conv": (16, 32, 64)}

# Rows per inference batch; memory, not results, depends on it.
INFERENCE_BATCH_SIZE = 2048


def _seed_from(random_state):
    """An int seed for torch from ``random_state``, never drawing from numpy's global RNG."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0] >> 1)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    return int(random_state)


def _resolve_device(device):
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was requested but no CUDA device is available; use device='auto' or 'cpu'.")
    return device


class BaseAutoencoder(VariantsMixin, BaseEstimator):
    """Shared core of the autoencoder estimators. Not public; see the subclasses."""

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", StrOptions({"auto"})],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "init": [StrOptions({"auto", "pca", "random"})],
        "scaling": [StrOptions({"auto", *SCALINGS}), None],
        "optimizer": [StrOptions(set(OPTIMIZERS)), callable],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "device": [StrOptions({"auto", "cpu", "cuda"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # ------------------------------------------------------------------ hooks
    def _module_params(self, n_features):
        # the variant parameters (see _variants.py) may swap or extend the dense module
        return self._variant_module_params(
            DenseAutoencoder,
            {
                "n_features": n_features,
                "n_components": self.n_components,
                "hidden_layer_sizes": self._hidden_layer_sizes(),
                "activation": self.activation,
                "linear_path": self._init_kind() == "pca",
            },
        )

    def _criterion_params(self):
        raise NotImplementedError

    def _after_fit(self, X):
        """Compute statistics from the fitted network; ``X`` is the validated training data."""

    def _scaling_kind(self):
        return "global" if self.scaling == "auto" else self.scaling

    def _init_kind(self):
        if self.init == "auto":
            return "pca" if self._variant_kind() == "dense" else "random"
        return self.init

    # ---------------------------------------------------------------- fitting
    def _hidden_layer_sizes(self):
        """``hidden_layer_sizes`` as a tuple; ``"auto"`` depends on the network (see AUTO_HIDDEN_LAYER_SIZES)."""
        if isinstance(self.hidden_layer_sizes, str):
            return AUTO_HIDDEN_LAYER_SIZES["conv" if self._variant_kind() == "conv" else "dense"]
        return tuple(self.hidden_layer_sizes)

    def _validate_hidden_layer_sizes(self):
        sizes = self._hidden_layer_sizes()
        if np.asarray(sizes).ndim != 1 or not all(isinstance(s, Integral) and s >= 1 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be a sequence of positive ints, got {self.hidden_layer_sizes!r}."
            )

    def _validate_fit_data(self, X):
        """Hook to check the training data beyond ``validate_data``."""

    def _check_unit_interval(self, X, what):
        """Raise unless the data that ``what`` (e.g. ``"loss='bce'"``) models can lie in [0, 1]."""
        kind = self._scaling_kind()
        if kind not in (None, "minmax"):
            raise ValueError(f"{what} needs data in [0, 1]; use scaling=None or 'minmax', not {kind!r}.")
        if kind is None and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                f"{what} needs X in [0, 1], but X ranges over "
                f"[{X.min():.3g}, {X.max():.3g}]; rescale it or use scaling='minmax'."
            )

    def _callbacks(self, parts, validation):
        callbacks = [("divergence_check", DivergenceCheck())]
        if len(parts) > 1:
            for part in parts:
                callbacks.append((f"train_{part}", PassthroughScoring(name=f"train_{part}", on_train=True)))
                if validation:
                    callbacks.append((f"valid_{part}", PassthroughScoring(name=f"valid_{part}")))
        if validation:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss",
                        patience=self.n_iter_no_change,
                        threshold=self.tol,
                        threshold_mode="rel",
                        load_best=True,
                        sink=print if self.verbose else silent,
                    ),
                )
            )
        if self.verbose and self.verbose > 1:
            callbacks.append(("progress_bar", ProgressBar()))
        return callbacks

    def _make_net(self, n_features, n_samples, seed, device):
        module, module_kwargs = self._module_params(n_features)
        criterion, criterion_kwargs = self._criterion_params()
        optimizer = OPTIMIZERS.get(self.optimizer, self.optimizer)
        validation = self.early_stopping and self.max_epochs > 0
        if validation and round(self.validation_fraction * n_samples) < 1:
            warnings.warn(
                f"early_stopping needs a validation split, but validation_fraction={self.validation_fraction} "
                f"of {n_samples} samples is empty: training on all samples without early stopping.",
                UserWarning,
            )
            validation = False
        params = {f"module__{k}": v for k, v in module_kwargs.items()}
        active_parts = getattr(criterion, "active_parts", None)
        parts = criterion.parts if active_parts is None else active_parts(**criterion_kwargs)
        params.update({f"criterion__{k}": v for k, v in criterion_kwargs.items()})
        return AutoencoderNet(
            module=module,
            criterion=criterion,
            optimizer=optimizer,
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            iterator_train__collate_fn=collate_batch,
            iterator_valid__collate_fn=collate_batch,
            train_split=ValidSplit(self.validation_fraction, random_state=seed) if validation else None,
            callbacks=self._callbacks(parts, validation),
            device=device,
            verbose=int(self.verbose),
            **params,
        )

    def _fit(self, X):
        """Validate ``X``, train ``net_`` on it, and return the validated ``X``."""
        self._validate_hidden_layer_sizes()
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32])
        self._validate_fit_data(X)
        n_samples, n_features = X.shape
        self.n_components_ = self.n_components
        self.scaling_offset_, self.scaling_scale_ = fit_scaling(X, self._scaling_kind())
        seed = _seed_from(self.random_state)
        device = _resolve_device(self.device)
        dataset = ScaledDataset(X, self.scaling_offset_, self.scaling_scale_)
        net = self._make_net(n_features, n_samples, seed, device)

        cuda_devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
        with torch.random.fork_rng(devices=cuda_devices):
            torch.manual_seed(seed)
            net.initialize()
            if self._init_kind() == "pca":
                self._init_from_pca(net.module_, X, seed)
            net.partial_fit(dataset, None)

        self.net_ = net
        # Ctrl-C inside an epoch leaves a last row without its epoch losses: count complete epochs only.
        history = [row for row in net.history if "train_loss" in row]
        self.n_iter_ = len(history)
        self.loss_curve_ = np.array([row["train_loss"] for row in history], dtype=np.float64)
        if "early_stopping" in dict(net.callbacks_):
            self.validation_loss_curve_ = np.array([row.get("valid_loss", np.nan) for row in history], dtype=np.float64)
        else:
            self.validation_loss_curve_ = None
        self._warn_if_interrupted()
        self._after_fit(X)
        return X

    def _scaled_pca(self, X):
        """PCA with ``min(n_components, n_samples, n_features)`` components, fitted to the scaled ``X``."""
        n_samples, n_features = X.shape
        Xs = np.concatenate([scale_rows(b, self.scaling_offset_, self.scaling_scale_, np.float64) for b in iter_row_batches(X, 4096)])
        k = min(self.n_components, n_samples, n_features)
        # The covariance route costs n d^2 + d^3 instead of a full SVD's n d min(n, d):
        # 0.1 s instead of 4 s on 5000 MNIST digits. Exact, and deterministic.
        # (one sample has no covariance: that route fails, the SVD does not)
        solver = "covariance_eigh" if n_features <= 2000 and n_samples > 1 else "full"
        # Data without variance (identical rows) makes PCA divide 0 by 0 in its
        # explained-variance ratio, which we do not use; the components are still valid.
        with np.errstate(invalid="ignore", divide="ignore"):
            return PCA(n_components=k, svd_solver=solver).fit(Xs)

    def _init_from_pca(self, module, X, seed):
        """Set the module's linear paths to the PCA solution of the scaled data."""
        pca = self._scaled_pca(X)
        n_features, k = X.shape[1], pca.n_components_
        components = np.zeros((self.n_components, n_features))
        components[:k] = pca.components_
        module.init_linear(components, pca.mean_)

    def _warn_if_interrupted(self):
        net = self.net_
        if self.n_iter_ >= self.max_epochs:
            return
        stopper = dict(net.callbacks_).get("early_stopping")
        if stopper is not None and stopper.misses_ >= stopper.patience:
            return
        warnings.warn(
            f"Training was interrupted after {self.n_iter_} of {self.max_epochs} epochs; "
            "the model keeps the weights reached so far and is usable.",
            UserWarning,
        )

    # -------------------------------------------------------------- inference
    def _module_as(self, dtype):
        """The fitted torch module in eval mode with ``dtype`` weights (a copy if needed)."""
        module = self.net_.module_
        torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
        if next(module.parameters()).dtype != torch_dtype:
            module = copy.deepcopy(module).to(torch_dtype)
        return module.eval()

    def _run(self, fn, X, dtype, scaled_input=True, batch_size=INFERENCE_BATCH_SIZE):
        """Apply ``fn(module, batch_tensor)`` to ``X`` batch by batch.

        ``X`` is validated. With ``scaled_input`` its rows are scaled first.
        Returns an ndarray of ``dtype``; a non-finite result raises.
        """
        module = self._module_as(dtype)
        device = self.net_.device
        outputs = []
        with torch.no_grad():
            for batch in iter_row_batches(X, batch_size):
                batch = scale_rows(batch, self.scaling_offset_, self.scaling_scale_, dtype) if scaled_input else batch.astype(dtype)
                out = fn(module, torch.as_tensor(batch, device=device))
                outputs.append(out.cpu().numpy())
        result = np.concatenate(outputs) if outputs else np.empty((0,), dtype=dtype)
        if not np.isfinite(result).all():
            raise FloatingPointError(
                f"{type(self).__name__} produced non-finite values; the fitted network is numerically "
                "broken (retrain with a smaller lr) or the input is far outside the training range."
            )
        return result.astype(dtype, copy=False)

    def _check_input(self, X):
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)

    def _unscale(self, Xs):
        return Xs * self.scaling_scale_.astype(Xs.dtype) + self.scaling_offset_.astype(Xs.dtype)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class CodeTransformerMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """The transformer face shared by the estimators that map rows to codes.

    Bases: ``(CodeTransformerMixin, BaseAutoencoder)``. The subclass defines
    ``_decode_output(module, z)``, the decoder's mean output in the scaled
    space, and ``score_samples``; the module's ``encode`` gives the codes.
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the network on ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse input is densified one batch at a time.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._fit(X)
        return self

    def transform(self, X):
        """Encode ``X`` (for a variational autoencoder: the posterior means).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components_)
            Codes, of ``X``'s float dtype.
        """
        X = self._check_input(X)
        return self._run(lambda m, x: m.encode(x), X, X.dtype)

    def inverse_transform(self, X):
        """Decode codes back to the original feature space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components_)
            Codes.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features_in_)
            Reconstructions (the decoder's mean output), with the scaling undone.
        """
        check_is_fitted(self)
        Z = self._check_codes(X)
        Xs = self._run(lambda m, z: self._decode_output(m, z), Z, Z.dtype, scaled_input=False)
        return self._unscale(Xs)

    def score(self, X, y=None):
        """Mean log-likelihood of the rows of ``X`` (see :meth:`score_samples`).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        ll : float
            Average log-likelihood per row, in nats.
        """
        return float(np.mean(self.score_samples(X)))

    def _check_codes(self, Z):
        Z = check_array(Z, dtype=[np.float64, np.float32])
        if Z.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {Z.shape[1]} features, but inverse_transform of {type(self).__name__} "
                f"expects {self.n_components_} (n_components_)."
            )
        return Z

    @property
    def _n_features_out(self):
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
