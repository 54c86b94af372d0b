"""The core shared by every estimator: validation, scaling, seeding, and
building, fitting and running the skorch net ``net_``.

The public estimators differ in what they do with a trained network, not in
how they train it. A subclass supplies two hooks:

- ``_network_spec(n_features)``: the :class:`~sklearn_ae._spec.NetworkSpec`
  that its parameters ask for (built by :mod:`sklearn_ae._spec`);
- ``_after_fit(X, partial, pca)``: statistics computed from the fitted network (``partial``: after a
  ``partial_fit`` chunk; ``pca``: the fit's PCA start, or None).
"""

import copy
import inspect
import threading
import warnings
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.decomposition import PCA, IncrementalPCA
from sklearn.utils import check_array, gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import svd_flip
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping, PassthroughScoring, ProgressBar
from skorch.dataset import ValidSplit

from . import _state
from ._data import SCALINGS, FittedScaling, collate_batch, column_range, fit_input_scaling, iter_row_batches, scale_rows
from ._net import AutoencoderNet, BestWeights, DivergenceCheck, silent
from ._streaming import StreamedArray, check_streamed, dataset_for, is_streamed, make_loader
from ._threads import choose_threads, fit_scope, limit_threads, step_macs
from .nn import ACTIVATIONS

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "sgd": torch.optim.SGD,
}

# Held while a fit draws from torch's global random generator (see BaseAutoencoder._fit_new_state).
_GLOBAL_RNG_LOCK = threading.RLock()

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


def _keep_state_on_failure(estimator, fit, *args):
    """``fit(*args)``; if it raises, the estimator's attributes are put back as they were, and it re-raises."""
    state = dict(estimator.__dict__)
    try:
        return fit(*args)
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(state)
        raise


def _check_unit_interval(X, scaling, what):
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


@contextmanager
def _seeded_torch(seed, device):
    """Hold torch's global generator, seeded with ``seed``, and restore the caller's state afterwards.

    skorch and torch draw from torch's global generator: seeded fits hold it
    one at a time, so that a fit in a thread equals the same fit alone.
    """
    cuda_devices = [torch.device(device).index or 0] if str(device).startswith("cuda") else []
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(seed)
        yield


def _call_seed(seed, call):
    """The seed of the ``call``-th ``partial_fit`` epoch, derived from the estimator's seed."""
    return int(np.random.SeedSequence([seed, call]).generate_state(1, dtype=np.uint64)[0] >> 1)


class _Start(NamedTuple):
    """What the first ``fit`` or ``partial_fit`` fixes: the validated data, spec, scaling, seed and net."""

    X: object
    spec: object
    scaling: object
    seed: int
    net: AutoencoderNet


def _relink_lbfgs(optimizer):
    """Give a copied ``torch.optim.LBFGS`` back the parameter list it keeps outside its copied state.

    LBFGS sets ``_params`` (its first group's parameters) in ``__init__``;
    copying an optimizer keeps only its defaults, state and groups, so a copy
    fails at its first step. The groups hold the copied module's parameters.
    """
    if isinstance(optimizer, torch.optim.LBFGS) and not hasattr(optimizer, "_params"):
        optimizer._params = optimizer.param_groups[0]["params"]
        optimizer._numel_cache = None


class PCAStart(NamedTuple):
    """PCA's fitted attributes, as :meth:`~sklearn_ae.nn.PCAInitializable.init_from_pca` reads them."""

    components_: np.ndarray
    mean_: np.ndarray
    explained_variance_: np.ndarray
    noise_variance_: float


def _scaled_covariance(X, scaling, batch_size=4096):
    """Mean and covariance (ddof=1) of the scaled rows of ``X``, accumulated over row batches (two passes)."""
    n_samples = X.shape[0]

    def batches():
        return (scale_rows(b, scaling.offset, scaling.scale, np.float64) for b in iter_row_batches(X, batch_size))

    mean = sum(b.sum(axis=0) for b in batches()) / n_samples
    covariance = sum((b - mean).T @ (b - mean) for b in batches()) / (n_samples - 1)
    return mean, covariance


def _scaled_pca(X, scaling, n_components, batch_size=4096):
    """PCA with ``min(n_components, n_samples, n_features)`` components of the scaled ``X``, as a :class:`PCAStart`.

    With up to 2000 features the covariance is accumulated over row batches
    (dense, sparse or memory-mapped ``X`` alike, never densified whole) and
    diagonalised, as scikit-learn's ``svd_solver="covariance_eigh"`` does,
    with the same signs: ``n d^2 + d^3`` operations, 0.1 s on 5000 MNIST
    digits. Wider data, or a single row, goes through PCA's full SVD; wider
    data read from disk (:class:`~sklearn_ae._streaming.StreamedArray`)
    through IncrementalPCA on row batches.
    """
    n_samples, n_features = X.shape
    k = min(n_components, n_samples, n_features)
    if n_features > 2000 and isinstance(X, StreamedArray):  # on disk and wide: IncrementalPCA over row batches
        pca = IncrementalPCA(n_components=k)
        for rows in gen_batches(n_samples, max(batch_size, k), min_batch_size=k):
            pca.partial_fit(scale_rows(X[rows], scaling.offset, scaling.scale, np.float64))
        return PCAStart(pca.components_, pca.mean_, pca.explained_variance_, float(pca.noise_variance_))

    if n_features > 2000 or n_samples < 2:
        batches = (scale_rows(b, scaling.offset, scaling.scale, np.float64) for b in iter_row_batches(X, batch_size))
        # Data without variance makes PCA divide 0 by 0 in its explained-variance ratio, which is not used.
        with np.errstate(invalid="ignore", divide="ignore"):
            pca = PCA(n_components=k, svd_solver="full").fit(np.concatenate(list(batches)))
        return PCAStart(pca.components_, pca.mean_, pca.explained_variance_, float(pca.noise_variance_))
    mean, covariance = _scaled_covariance(X, scaling, batch_size)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    eigenvalues, eigenvectors = np.maximum(eigenvalues[::-1], 0.0), eigenvectors[:, ::-1]
    _, components = svd_flip(None, eigenvectors.T, u_based_decision=False)
    noise_variance = float(eigenvalues[k:].mean()) if k < min(n_samples, n_features) else 0.0
    return PCAStart(components[:k], mean, eigenvalues[:k], noise_variance)


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
    def _network_spec(self, n_features):
        """The :class:`~sklearn_ae._spec.NetworkSpec` that the parameters ask for, for data of ``n_features``."""

    @abstractmethod
    def _after_fit(self, X, *, partial=False, pca=None):
        """Compute statistics from the fitted network; ``X`` is the validated training data."""

    # ---------------------------------------------------------------- fitting
    def _callbacks(self, spec, validation):
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
                        patience=self.n_iter_no_change,
                        threshold=self.tol,
                        threshold_mode="rel",
                        load_best=False,
                        sink=print if self.verbose else silent,
                    ),
                )
            )
        callbacks.extend(spec.callbacks)
        if self.verbose and self.verbose > 1:
            callbacks.append(("progress_bar", ProgressBar()))
        return callbacks

    def _make_net(self, spec, scaling, n_samples, seed, device, stream=False):
        # partial_fit (stream) trains one epoch per call on the chunk: no validation split, no early stopping
        validation = self.early_stopping and self.max_epochs > 0 and not stream
        if validation and round(self.validation_fraction * n_samples) < 1:
            warnings.warn(
                f"early_stopping needs a validation split, but validation_fraction={self.validation_fraction} "
                f"of {n_samples} samples is empty: training on all samples without early stopping.",
                UserWarning,
                stacklevel=2,
            )
            validation = False
        module_kwargs = dict(spec.module_kwargs)
        if spec.corruption is not None:
            module_kwargs.update(spec.corruption.module_kwargs(scaling))
        params = {f"module__{k}": v for k, v in module_kwargs.items()}
        params.update({f"criterion__{k}": v for k, v in spec.criterion_kwargs.items()})
        optimizer = OPTIMIZERS.get(self.optimizer, self.optimizer)
        if "weight_decay" in inspect.signature(optimizer).parameters:
            params["optimizer__weight_decay"] = self.weight_decay
        elif self.weight_decay:
            raise ValueError(
                f"weight_decay={self.weight_decay} was given, but the optimizer {optimizer.__name__} has no "
                "weight_decay argument; use weight_decay=0 or an optimizer that has one."
            )
        return AutoencoderNet(
            module=spec.module,
            criterion=spec.criterion,
            optimizer=optimizer,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=make_loader,
            iterator_valid=make_loader,
            iterator_train__shuffle=True,
            iterator_train__collate_fn=collate_batch,
            iterator_valid__collate_fn=collate_batch,
            train_split=ValidSplit(self.validation_fraction, random_state=seed) if validation else None,
            callbacks=self._callbacks(spec, validation),
            device=device,
            verbose=int(self.verbose),
            **params,
        )

    def _fit(self, X):
        """Validate ``X``, train ``net_`` on it, and return the validated ``X``.

        A fit that fails leaves a fitted estimator as it was.
        """
        with fit_scope():  # the torch and BLAS threads that the fit chooses are the caller's again afterwards
            return _keep_state_on_failure(self, self._fit_new_state, X)

    def _validated(self, X, reset):
        """``X`` validated: an ndarray or CSR matrix, or a :class:`StreamedArray` for data on disk."""
        if is_streamed(X):
            return check_streamed(self, X, reset=reset)
        return validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=reset)

    def _start(self, X, stream=False):
        """Validate ``X`` and fix what the first fit fixes: the spec, the scaling, the seed and the unfitted net."""
        X = self._validated(X, reset=True)
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
        seed = _seed_from(self.random_state)
        net = self._make_net(spec, scaling, n_samples, seed, _resolve_device(self.device), stream=stream)
        net.validation_seed = seed
        return _Start(X, spec, scaling, seed, net)

    def _initialize_and_train(self, start, **fit_params):
        """Initialise ``start.net`` (with the PCA start) and train it, under the seeded global generator.

        Returns the PCA start (a :class:`PCAStart`), or None without one.
        """
        X, spec, scaling, seed, net = start
        pca = None
        with _seeded_torch(seed, net.device):
            net.initialize()
            limit_threads(choose_threads(step_macs(net.module_, self.batch_size)))  # until fit_scope ends
            if spec.init == "pca":
                pca = _scaled_pca(X, scaling, spec.module_kwargs["n_components"])
                net.module_.init_from_pca(pca)
            net.partial_fit(dataset_for(X, scaling.offset, scaling.scale, self.batch_size), None, **fit_params)
        net.module_.eval()  # inference mode from now on: no corruption, and inference leaves the module as it is
        self.n_components_ = spec.module_kwargs["n_components"]
        self.scaling_offset_, self.scaling_scale_ = scaling.offset, scaling.scale
        self._spec, self._seed = spec, seed
        return pca

    def _record_history(self, net):
        self.net_ = net
        # Ctrl-C inside an epoch leaves a last row without its epoch losses: count complete epochs only.
        history = [row for row in net.history if "train_loss" in row]
        self.n_iter_ = len(history)
        self.loss_curve_ = np.array([row["train_loss"] for row in history], dtype=np.float64)
        # a validation split (now, or in the fit that partial_fit continues): one loss per complete epoch
        if net.train_split is not None or any("valid_loss" in row for row in history):
            self.validation_loss_curve_ = np.array([row.get("valid_loss", np.nan) for row in history], dtype=np.float64)
        else:
            self.validation_loss_curve_ = None

    def _fit_new_state(self, X):
        start = self._start(X)
        pca = self._initialize_and_train(start)
        net, X = start.net, start.X
        self._record_history(net)
        best = dict(net.callbacks_).get("best_weights")
        self.best_epoch_ = best.best_epoch_ if best is not None else self.n_iter_
        self.n_samples_seen_ = X.shape[0]
        self._warn_if_interrupted()
        self._after_fit(X, pca=pca)
        return X

    def _partial_fit(self, X):
        """One epoch on the chunk ``X``; the first call (on an unfitted estimator) fixes the scaling and the start.

        A call that fails leaves the estimator as it was.
        """
        with fit_scope():  # as in fit: the threads chosen for the chunk are the caller's again afterwards
            return _keep_state_on_failure(self, self._partial_fit_state, X)

    def _partial_fit_state(self, X):
        if not hasattr(self, "net_"):
            start = self._start(X, stream=True)
            self._initialize_and_train(start, epochs=1)
            net, X = start.net, start.X
            self.n_samples_seen_ = 0
        else:
            X = self._validated(X, reset=False)
            if self._spec.unit_interval is not None:
                _check_unit_interval(X, self._spec.scaling, self._spec.unit_interval)
            net = copy.deepcopy(self.net_)  # trained on a copy: a failure leaves the fitted net untouched
            _relink_lbfgs(net.optimizer_)
            if net.train_split is not None:  # continuing a fit: partial_fit has no validation split
                net.train_split = None
                net.callbacks = [(n, cb) for n, cb in net.callbacks if n not in ("best_weights", "early_stopping")]
                net.initialize_callbacks()
            dataset = dataset_for(X, self.scaling_offset_, self.scaling_scale_, self.batch_size)
            with _seeded_torch(_call_seed(self._seed, self.n_iter_), net.device):
                limit_threads(choose_threads(step_macs(net.module_, self.batch_size)))  # until fit_scope ends
                net.partial_fit(dataset, None, epochs=1)
            net.module_.eval()
        self._record_history(net)
        self.best_epoch_ = self.n_iter_
        self.n_samples_seen_ += X.shape[0]
        self._after_fit(X, partial=True)
        return X

    def _warn_if_interrupted(self):
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
        ``fn`` returns a tensor, or a NamedTuple of tensors; the result is
        the same, as ndarrays of ``dtype`` holding all the rows, each
        allocated once and filled batch by batch. A non-finite result
        raises.
        """
        module = self._module_as(dtype)
        device = self.net_.device
        result = None
        start = 0
        with torch.no_grad():
            for batch in iter_row_batches(X, batch_size):
                if scaled_input:
                    batch = scale_rows(batch, self.scaling_offset_, self.scaling_scale_, dtype)
                else:
                    batch = batch.astype(dtype)  # a copy: torch warns on read-only arrays
                out = fn(module, torch.as_tensor(batch, device=device))
                fields = tuple(out) if isinstance(out, tuple) else (out,)
                if result is None:  # one output array per field, written batch by batch
                    result = [np.empty((X.shape[0], *f.shape[1:]), dtype=dtype) for f in fields]
                for array, field in zip(result, fields, strict=True):
                    array[start : start + len(batch)] = field.cpu().numpy()
                start += len(batch)
        for array in result:
            self._check_finite(array)
        return type(out)(*result) if isinstance(out, tuple) else result[0]

    def _check_finite(self, result):
        if not np.isfinite(result).all():
            raise FloatingPointError(
                f"{type(self).__name__} produced non-finite values; the fitted network is numerically "
                "broken (retrain with a smaller lr) or the input is far outside the training range."
            )

    def _check_input(self, X):
        check_is_fitted(self)
        return self._validated(X, reset=False)

    def _unscale(self, Xs):
        X = Xs * self.scaling_scale_.astype(Xs.dtype) + self.scaling_offset_.astype(Xs.dtype)
        if not np.isfinite(X).all():
            raise FloatingPointError(
                f"{type(self).__name__}: undoing the scaling overflowed {Xs.dtype} (the codes are far outside "
                "the training range); pass float64 codes or codes closer to the training codes."
            )
        return X

    # ------------------------------------------------------------ persistence
    def __getstate__(self):
        """The state as plain data: the skorch net is replaced by its weights as safetensors bytes.

        Pickle, ``copy.deepcopy`` and skops store this; unpickling it runs no
        code of the net's (see :mod:`sklearn_ae._state`). The optimizer's
        state is kept the same way (tensors as safetensors bytes, the rest as
        JSON), so that training continues exactly where it stopped.
        """
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns the __dict__ itself
        state.pop("_spec", None)  # rebuilt from the parameters
        net = state.pop("net_", None)
        if net is not None:
            net_state = _state.net_state(net)
            state["_net_state"] = {
                "weights": _state.weights_to_bytes(net_state),
                "history": net_state.history,
                "validation_seed": net_state.validation_seed,
            }
            optimizer = getattr(net, "optimizer_", None)
            optimizer = None if optimizer is None else _state.optimizer_to_plain(optimizer)
            if optimizer is not None:  # None: a state that is not kept (torch.optim.LBFGS's history)
                state["_net_state"]["optimizer"] = optimizer
        return state

    def __setstate__(self, state):
        state = dict(state)
        saved = state.pop("_net_state", None)
        super().__setstate__(state)
        if saved is not None:
            _state.check_net_record(saved, {"weights", "history", "validation_seed"})
            tensors, aliases = _state.weights_from_bytes(saved["weights"])
            net_state = _state.NetState(tensors, aliases, saved["history"], int(saved["validation_seed"]))
            self.net_ = _state.restore_net(self, net_state)
            if "optimizer" in saved:  # training continues where it stopped (partial_fit in another process)
                _state.optimizer_from_plain(self.net_.optimizer_, saved["optimizer"])
            self._spec = self._network_spec(self.n_features_in_)

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
    def fit(self, X, y=None):
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
    def partial_fit(self, X, y=None):
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
        Xs = self._run(self._spec.mean_output, Z, Z.dtype, scaled_input=False)
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
