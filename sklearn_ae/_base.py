"""The fitting shared by every autoencoder estimator: validation, the first fit's choices, fit and partial_fit.

The public estimators differ in what they do with a trained network, not in
how they train it. The trained network itself is a
:class:`~sklearn_ae._network.FittedNetwork` in ``network_`` (built, run and
serialized there); seeding is :mod:`sklearn_ae._seeding`, the PCA start
:mod:`sklearn_ae._pca_start`. A subclass supplies two hooks:

- ``_network_spec(n_features)``: the :class:`~sklearn_ae._spec.NetworkSpec`
  that its parameters ask for (built by :mod:`sklearn_ae._spec`);
- ``_after_fit(X, partial, pca)``: statistics computed from the fitted network (``partial``: after a
  ``partial_fit`` chunk; ``pca``: the fit's PCA start, or None).
"""

import warnings
from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any, NamedTuple, TypeVar

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _state
from ._data import SCALINGS, FittedScaling, InputScaling, column_range, fit_input_scaling
from ._fitted_checks import check_fitted
from ._net import AutoencoderNet
from ._network import OPTIMIZERS, FittedNetwork, TrainingSettings, build_net
from ._pca_start import scaled_pca
from ._seeding import call_seed, resolve_device, seed_from, seeded_torch
from ._sklearn_private import Interval, StrOptions, _fit_context, refuse_bool_integers
from ._spec import NetworkSpec
from ._streaming import check_streamed, dataset_for, is_streamed
from ._threads import choose_threads, fit_scope, limit_threads, step_macs
from ._typing import ArrayLike, NDArray
from .nn import ACTIVATIONS

_Self = TypeVar("_Self", bound="CodeTransformerMixin")


def keep_state_on_failure(estimator: object, fit: Callable[..., Any], *args: Any) -> Any:
    """``fit(*args)``; if it raises, the estimator's attributes are put back as they were, and it re-raises."""
    state = dict(estimator.__dict__)
    try:
        return fit(*args)
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(state)
        raise


def _check_unit_interval(X: Any, scaling: object, what: str) -> None:
    """Raise unless the data that ``what`` (e.g. ``"loss='bce'"``) models can lie in [0, 1]."""
    if isinstance(scaling, FittedScaling) or scaling not in (None, "minmax"):
        raise ValueError(f"{what} needs data in [0, 1]; use scaling=None or 'minmax', not {scaling!r}.")
    if scaling is None:
        column_low, column_high = column_range(X)  # one pass (X may be read from disk)
        low, high = column_low.min(), column_high.max()
        if low < 0 or high > 1:
            raise ValueError(
                f"{what} needs X in [0, 1], but X ranges over [{low:.3g}, {high:.3g}]; rescale it or use "
                "scaling='minmax'."
            )


def _completed_epochs(net):
    return sum("train_loss" in row for row in net.history)


def _raise_if_interrupted(net, epochs_before):
    """Re-raise the Ctrl-C that skorch swallowed when ``net``'s ``partial_fit`` epoch did not complete.

    skorch ends training quietly on ``KeyboardInterrupt``. A ``fit`` keeps the
    best weights reached and warns; a ``partial_fit`` call is one epoch on
    one chunk, and an epoch cut short trained on part of the chunk only, so
    the call fails instead and leaves the estimator as it was before it.
    """
    if _completed_epochs(net) <= epochs_before:
        raise KeyboardInterrupt("partial_fit was interrupted: the estimator is left as it was before the call.")


class _Start(NamedTuple):
    """What the first ``fit`` or ``partial_fit`` fixes: the validated data, spec, scaling, seed and net."""

    X: Any
    spec: NetworkSpec
    scaling: InputScaling
    seed: int
    net: AutoencoderNet


class BaseAutoencoder(BaseEstimator, metaclass=ABCMeta):
    """Shared core of the autoencoder estimators. Not public; see the subclasses.

    A subclass lists the variant groups it supports in ``_variants`` (their
    parameters and constraints come from :data:`sklearn_ae._spec.VARIANTS`)
    and implements the two abstract hooks: :meth:`_network_spec` and
    :meth:`_after_fit`.
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", StrOptions({"auto"})],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "init": [StrOptions({"auto", "pca", "random"})],
        "scaling": [StrOptions({"auto", *SCALINGS}), None, FittedScaling],
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
    @abstractmethod
    def _network_spec(self, n_features: int) -> NetworkSpec:
        """The :class:`~sklearn_ae._spec.NetworkSpec` that the parameters ask for, for data of ``n_features``."""

    @abstractmethod
    def _after_fit(self, X: Any, *, partial: bool = False, pca: Any = None) -> None:
        """Compute statistics from the fitted network; ``X`` is the validated training data."""

    # ---------------------------------------------------------------- fitting
    def _training_settings(self) -> TrainingSettings:
        """How the network is trained: the :class:`~sklearn_ae._network.TrainingSettings` of the parameters."""
        return TrainingSettings.from_params(self.get_params(deep=False))

    def _validate_X(self, X: ArrayLike, *, reset: bool) -> Any:
        """``X`` validated: an ndarray or CSR matrix, or a :class:`StreamedArray` for data on disk.

        The one place where input is checked (``fit``, ``partial_fit`` and
        every method that reads rows); an estimator that accepts other input
        (missing entries, say) overrides it.
        """
        if is_streamed(X):
            return check_streamed(self, X, reset=reset)
        return validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=reset)

    def _training_dataset(self, X: Any, offset: NDArray, scale: NDArray) -> Any:
        """The dataset ``fit`` and ``partial_fit`` train on: batches ``(input, Targets(target, mask))``.

        For an autoencoder the rows of validated ``X``, scaled, are their own
        targets, every entry observed (:func:`~sklearn_ae._streaming.dataset_for`);
        an estimator with other targets or a mask of observed entries
        overrides it.
        """
        return dataset_for(X, offset, scale, self.batch_size)

    def _fit(self, X: ArrayLike) -> Any:
        """Validate ``X``, train the network on it, and return the validated ``X``.

        A fit that fails leaves a fitted estimator as it was.
        """
        refuse_bool_integers(self)
        with fit_scope():  # the torch and BLAS threads that the fit chooses are the caller's again afterwards
            return keep_state_on_failure(self, self._fit_new_state, X)

    def _start(self, X: ArrayLike, stream: bool = False) -> _Start:
        """Validate ``X`` and fix what the first fit fixes: the spec, the scaling, the seed and the unfitted net."""
        X = self._validate_X(X, reset=True)
        n_samples, n_features = X.shape
        spec = self._network_spec(n_features)
        if n_samples < spec.module_kwargs["n_components"]:
            raise ValueError(
                f"n_components={spec.module_kwargs['n_components']} must be at most the number of samples, "
                f"n_samples={n_samples}: the codes' distribution cannot be estimated from fewer rows."
            )
        if spec.unit_interval is not None:
            _check_unit_interval(X, spec.scaling, spec.unit_interval)
        scaling = fit_input_scaling(X, spec.scaling)
        seed = seed_from(self.random_state)
        device = resolve_device(self.device)
        net = build_net(spec, self._training_settings(), scaling, n_samples, seed, device, stream=stream)
        return _Start(X, spec, scaling, seed, net)

    def _initialize_and_train(self, start: _Start, **fit_params: Any) -> Any:
        """Initialise ``start.net`` (with the PCA start) and train it, under the seeded global generator.

        Returns the PCA start (a :class:`~sklearn_ae._pca_start.PCAStart`), or None without one.
        """
        X, spec, scaling, seed, net = start
        pca = None
        with seeded_torch(seed, net.device):
            net.initialize()
            limit_threads(choose_threads(step_macs(net.module_, self.batch_size)))  # until fit_scope ends
            if spec.init == "pca":
                pca = scaled_pca(X, scaling, spec.module_kwargs["n_components"])
                net.module_.init_from_pca(pca)
            net.partial_fit(self._training_dataset(X, scaling.offset, scaling.scale), None, **fit_params)
        net.module_.eval()  # inference mode from now on: no corruption, and inference leaves the module as it is
        self.n_components_ = spec.module_kwargs["n_components"]
        self.scaling_offset_, self.scaling_scale_ = scaling.offset, scaling.scale
        self._seed = seed
        return pca

    def _record_history(self, spec: NetworkSpec, net: AutoencoderNet) -> None:
        self.network_ = FittedNetwork(spec, net, self.scaling_offset_, self.scaling_scale_, type(self).__name__)
        # Ctrl-C inside an epoch leaves a last row without its epoch losses: count complete epochs only.
        history = [row for row in net.history if "train_loss" in row]
        self.n_iter_ = len(history)
        self.loss_curve_ = np.array([row["train_loss"] for row in history], dtype=np.float64)
        # a validation split (now, or in the fit that partial_fit continues): one loss per complete epoch
        if net.train_split is not None or any("valid_loss" in row for row in history):
            self.validation_loss_curve_: NDArray | None = np.array(
                [row.get("valid_loss", np.nan) for row in history], dtype=np.float64
            )
        else:
            self.validation_loss_curve_ = None

    def _fit_new_state(self, X: ArrayLike) -> Any:
        start = self._start(X)
        pca = self._initialize_and_train(start)
        net, X = start.net, start.X
        self._record_history(start.spec, net)
        best = dict(net.callbacks_).get("best_weights")
        self.best_epoch_ = best.best_epoch_ if best is not None else self.n_iter_
        self.n_samples_seen_ = X.shape[0]
        self._warn_if_interrupted()
        self._after_fit(X, pca=pca)
        return X

    def _partial_fit(self, X: ArrayLike) -> Any:
        """One epoch on the chunk ``X``; the first call (on an unfitted estimator) fixes the scaling and the start.

        A call that fails leaves the estimator as it was.
        """
        refuse_bool_integers(self)
        with fit_scope():  # as in fit: the threads chosen for the chunk are the caller's again afterwards
            return keep_state_on_failure(self, self._partial_fit_state, X)

    def _partial_fit_state(self, X: ArrayLike) -> Any:
        if not hasattr(self, "network_"):
            start = self._start(X, stream=True)
            self._initialize_and_train(start, epochs=1)
            spec, net, X = start.spec, start.net, start.X
            _raise_if_interrupted(net, epochs_before=0)
            self.n_samples_seen_ = 0
        else:
            X = self._validate_X(X, reset=False)
            spec = self.network_.spec
            if spec.unit_interval is not None:
                _check_unit_interval(X, spec.scaling, spec.unit_interval)
            net = self.network_.copy_for_training()  # trained on a copy: a failure leaves the fitted net untouched
            if net.train_split is not None:  # continuing a fit: partial_fit has no validation split
                net.train_split = None
                net.callbacks = [(n, cb) for n, cb in net.callbacks if n not in ("best_weights", "early_stopping")]
                net.initialize_callbacks()
            dataset = self._training_dataset(X, self.scaling_offset_, self.scaling_scale_)
            with seeded_torch(call_seed(self._seed, self.n_iter_), net.device):
                limit_threads(choose_threads(step_macs(net.module_, self.batch_size)))  # until fit_scope ends
                net.partial_fit(dataset, None, epochs=1)
            net.module_.eval()
            _raise_if_interrupted(net, epochs_before=self.n_iter_)
        self._record_history(spec, net)
        self.best_epoch_ = self.n_iter_
        self.n_samples_seen_ += X.shape[0]
        self._after_fit(X, partial=True)
        return X

    def _warn_if_interrupted(self) -> None:
        net = self.net_
        if self.n_iter_ >= self.max_epochs:
            return
        stopper = dict(net.callbacks_).get("early_stopping")
        if stopper is not None and stopper.misses_ >= stopper.patience:
            return
        warnings.warn(
            f"Training was interrupted after {self.n_iter_} of {self.max_epochs} epochs; "
            "the model keeps the best weights reached so far and is usable.",
            UserWarning,
            stacklevel=2,
        )

    # -------------------------------------------------------------- inference
    @property
    def net_(self) -> AutoencoderNet:
        """The fitted skorch net (``network_.net``): its module is ``net_.module_``, its history ``net_.history``."""
        return self.network_.net

    def _check_input(self, X: ArrayLike) -> Any:
        check_is_fitted(self)
        return self._validate_X(X, reset=False)

    # ------------------------------------------------------------ persistence
    def __getstate__(self) -> dict[str, Any]:
        """The state as plain data: the fitted network is replaced by its weights as safetensors bytes.

        Pickle, ``copy.deepcopy`` and skops store this; unpickling it runs no
        code of the net's (see :mod:`sklearn_ae._network`). The optimizer's
        state is kept the same way (tensors as safetensors bytes, the rest as
        JSON), so that training continues exactly where it stopped.
        """
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns the __dict__ itself
        network = state.pop("network_", None)
        if network is not None:
            state["_net_state"] = _state.net_state_to_record(network.to_plain())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild from :meth:`__getstate__`'s state: the fitted attributes are checked first (a skops file is data
        that could be altered), then the network is rebuilt from its weights."""
        state = dict(state)
        saved = state.pop("_net_state", None)
        super().__setstate__(state)
        # attributes a user set are kept (strict=False): pickle keeps them
        check_fitted(self, type(self).__name__, strict=False, has_network=saved is not None)
        if saved is not None:
            self.network_ = self.network_from_plain(_state.net_state_from_record(saved))

    def network_from_plain(self, plain: _state.NetState) -> FittedNetwork:
        """The fitted network of this estimator's parameters and fitted scaling, with the weights of ``plain``.

        :meta private:

        The seam through which pickle, ``copy.deepcopy``, skops and
        :func:`sklearn_ae.load` rebuild a network: ``plain`` is a
        :class:`~sklearn_ae._state.NetState`; the network is built as ``fit``
        builds it (see :meth:`~sklearn_ae._network.FittedNetwork.from_plain`).
        """
        return FittedNetwork.from_plain(
            plain,
            spec=self._network_spec(self.n_features_in_),
            settings=self._training_settings(),
            device=self.device,
            offset=self.scaling_offset_,
            scale=self.scaling_scale_,
            owner=type(self).__name__,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class CodeTransformerMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """The transformer face shared by the estimators that map rows to codes.

    Bases: ``(CodeTransformerMixin, BaseAutoencoder)``. The subclass defines
    ``score_samples``; the module's ``encode`` gives the codes and the
    fitted network description's ``mean_output`` the reconstructions.
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self: _Self, X: ArrayLike, y: object = None) -> _Self:
        """Train the network on ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse input is densified one batch at a time.
            A ``numpy.memmap``, ``h5py.Dataset``, ``zarr`` array or other
            2-D array with row slicing is read from disk a block of rows at
            a time, never whole (see :ref:`scaling`).
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._fit(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self: _Self, X: ArrayLike, y: object = None) -> _Self:
        """Train one epoch (one pass) on the chunk ``X``, as ``Incremental`` searches and Dask call it.

        The first call on an unfitted estimator validates ``X``, fixes the
        scaling (fitted on this chunk, unless ``scaling`` is a
        :class:`~sklearn_ae.FittedScaling`), the PCA start (from this chunk)
        and the network; every call, the first included, then trains one
        epoch on the chunk in shuffled batches. There is no validation split
        and no early stopping: the model is the one after the last epoch,
        and stopping is the caller's decision (compare :meth:`score` on
        held-out rows between calls). On a fitted estimator (after
        :meth:`fit`) training continues from the fitted network; :meth:`fit`
        after ``partial_fit`` starts afresh. The statistics computed after
        training (see the attributes) are those of the last chunk. With the
        same ``random_state``, the same sequence of chunks gives the same
        model, bit for bit on CPU.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data (a memmap, h5py or zarr array is read
            in blocks). The first chunk needs at least ``n_components`` rows.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The estimator, trained one more epoch; ``n_samples_seen_``
            counts the rows of every chunk.
        """
        self._partial_fit(X)
        return self

    def transform(self, X: ArrayLike) -> NDArray:
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
        return self.network_.encode(X, X.dtype)

    def inverse_transform(self, X: ArrayLike) -> NDArray:
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
        return self.network_.unscale(self.network_.decode(Z, Z.dtype))

    def score(self, X: ArrayLike, y: object = None) -> float:
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

    def _check_codes(self, Z: ArrayLike) -> NDArray:
        Z = check_array(Z, dtype=[np.float64, np.float32])
        if Z.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {Z.shape[1]} features, but inverse_transform of {type(self).__name__} "
                f"expects {self.n_components_} (n_components_)."
            )
        return Z

    @property
    def _n_features_out(self) -> int:
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
