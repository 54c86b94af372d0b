"""AutoencoderTransformer: a drop-in replacement for PCA."""

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import torch

from ._base import BaseAutoencoder, CodeTransformerMixin
from ._docstrings import fill_doc
from ._fitcheck import check_fit, pca_noise_variance
from ._fitted_checks import array, autoencoder_schema, covariance, finite_float
from ._likelihood import (
    NOISE_VARIANCE_FLOOR,
    activation_width,
    fit_gaussian,
    fit_gaussian_from,
    gaussian_logpdf,
    half_log_volume,
    jacobian_batch_size,
    noise_variance,
)
from ._pca_start import PCAStart
from ._routing import RoutedKwargsMixin
from ._sklearn_private import StrOptions
from ._spec import NetworkSpec, autoencoder_spec, variant_constraints
from ._streaming import RunningMoments, StreamedArray, streamed_rows
from ._typing import ArrayLike, NDArray


@fill_doc
class AutoencoderTransformer(RoutedKwargsMixin, CodeTransformerMixin, BaseAutoencoder):
    """Autoencoder dimensionality reduction, with PCA's interface.

    A neural network ``encoder`` maps each row of ``X`` to ``n_components``
    codes and a mirrored ``decoder`` maps codes back; both are trained through
    skorch to reconstruct ``X``. By default each half is PCA's linear map plus
    a nonlinear residual that starts at zero, so training starts from the PCA
    solution; with early stopping (the default) the kept weights are those of
    lowest validation loss, the PCA start included, so the model is never
    worse than PCA on the validation rows.

    Parameters
    ----------
    n_components : int, default=2
        Number of codes (the width of the bottleneck).

    hidden_layer_sizes : array-like of int or "auto", default="auto"
        Widths of the encoder's hidden layers, input side first. The decoder
        mirrors them. ``()`` gives a linear autoencoder. With
        ``image_shape``, the channels of the strided convolutions.
        ``"auto"`` is ``(512, 128)`` for dense layers and ``(16, 32, 64)``
        channels for the convolutional network, the widths that
        reconstructed MNIST best (see :ref:`transformer`).

    activation : {"relu", "tanh", "sigmoid", "elu", "gelu", "selu", \
            "leaky_relu", "identity"}, default="relu"
        Activation of the hidden layers. The code layer is linear.

    init : {"auto", "pca", "random"}, default="auto"
        ``"pca"``: each half is a linear map initialised to PCA's projection
        (reconstruction) plus a nonlinear residual initialised to zero.
        ``"random"``: a plain multilayer perceptron with torch's default
        initialisation. ``"auto"`` is ``"pca"`` for ``loss="mse"`` and
        ``"random"`` for ``loss="bce"``, and ``"random"`` for the
        convolutional (``image_shape``) and custom (``encoder``) networks,
        which have no linear path to set to PCA's.

    loss : {"mse", "bce"}, default="mse"
        Reconstruction loss: squared error, or binary cross-entropy for data
        in [0, 1] (the decoder then ends in a sigmoid).

    scaling : {"auto", "global", "standard", "minmax"} or None, default="auto"
        Affine scaling applied inside the estimator before training and undone
        by :meth:`inverse_transform`. ``"global"`` centres the features and
        divides all of them by one number, the root mean feature variance,
        which keeps PCA's least-squares objective. ``"standard"`` scales each
        feature to unit variance, ``"minmax"`` each to [0, 1]. ``"auto"`` is
        ``"global"`` for ``loss="mse"`` and None for ``loss="bce"``. Constant
        features get a scale of 1. A :class:`FittedScaling` is a scaling
        fitted beforehand (for :meth:`partial_fit` on a stream whose first
        chunk is not representative; see :ref:`scaling`).

    %(optimization)s

    max_epochs : int, default=100
        Maximum number of passes over the training data. 0 keeps the
        initialisation (with ``init="pca"``: the PCA solution).

    %(early_stopping)s

    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the shuffling and the validation split. With an
        int, two fits give bit-identical results on CPU. The global random
        states of numpy and torch are never drawn from nor changed.

    verbose : int, default=0
        0 is silent, 1 prints a table of losses per epoch, 2 adds a progress
        bar.

    %(denoising)s

    sparsity : float, default=0.0
        Sparse autoencoder: weight of a penalty on the code added to the
        loss. With ``sparsity_target=None`` the penalty is the L1 norm of
        each row's code (averaged over rows); as the code is linear, the
        decoder can undo any shrinkage, so combine it with ``weight_decay``
        when the code's scale matters.

    sparsity_target : float in (0, 1) or None, default=None
        With a float ``rho``, the penalty is instead the classic
        ``sum_j KL(rho || rho_j)``, the divergence between Bernoulli
        distributions of means ``rho`` and ``rho_j``, where ``rho_j`` is the
        batch mean of ``sigmoid(code_j)`` (the sigmoid turns the linear code
        into an activation in (0, 1)). Used only when ``sparsity > 0``.

    contractive : float, default=0.0
        Contractive autoencoder: weight of the squared Frobenius norm of the
        encoder's Jacobian ``d code / d x`` at the training rows (in the
        scaled space, averaged over rows). It is computed exactly: in closed
        form for the dense network (the product of the layer weights and
        the activation derivatives, from the narrow code side), by one
        backward pass per code unit otherwise; either way a training step
        costs about ``n_components`` extra passes through the encoder.

    tied_weights : bool, default=False
        Each decoder layer uses the transpose of its mirrored encoder
        layer's weight (the same ``torch.nn.Parameter``, not a copy), which
        about halves the number of weights. With ``init="pca"`` the linear
        path is tied too (PCA's reconstruction map is its projection
        transposed) and each nonlinear residual starts at zero through a
        learned scalar gate that starts at 0.

    layer_matching : float, default=0.0
        Weight of a penalty that makes each decoder layer mean what its
        mirrored encoder layer means: the sum, over the hidden layers, of the
        mean squared distance between the encoder's activation and the
        activation of the decoder layer of the same width. Needs hidden
        layers.

    layer_matching_local : bool, default=False
        With ``True``, each pair's distance only trains the layers between
        the two matched layers: the pair restarts from the encoder's
        activation with the gradient stopped there, so the layers outside
        (and the linear path) are trained by the reconstruction and the
        outer pairs only; every sub-network becomes an autoencoder of the
        layer below, as in stacked autoencoders, trained jointly. Used only
        when ``layer_matching > 0``.

    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(C, H, W)``: use a convolutional autoencoder for rows
        that are images flattened in C-order (``X`` stays 2-D, of
        ``C * H * W`` features). The encoder pads each image with zeros to
        the next multiple of ``2 ** len(hidden_layer_sizes)``, applies 3x3
        convolutions of stride 2 with ``hidden_layer_sizes`` channels and a
        linear map to the code; the decoder mirrors it with transposed
        convolutions and crops back to ``(H, W)``. None: dense layers.

    encoder, decoder : subclass of torch.nn.Module or None, default=None
        Custom networks: the classes of the encoder (rows to
        ``n_components`` codes) and of the decoder (codes to rows), given
        together. They are instantiated at fit with ``encoder_kwargs`` and
        ``decoder_kwargs``, plus ``n_features`` and ``n_components`` when
        their ``__init__`` accepts them. ``hidden_layer_sizes``,
        ``activation`` and ``image_shape`` are then ignored; noise and the
        penalties other than layer matching apply.

    encoder_kwargs, decoder_kwargs : dict or None, default=None
        Keyword arguments of the custom ``encoder`` and ``decoder``. As in
        skorch, ``set_params(encoder__<name>=value)`` sets one entry, so
        ``GridSearchCV`` can search over ``{"encoder__<name>": [...]}``, and
        ``get_params()`` lists the entries under those names.

    Attributes
    ----------
    n_components_ : int
        Number of codes.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    net_ : skorch.NeuralNet
        The fitted skorch net: its torch module is ``net_.module_``, its
        training history ``net_.history``.

    n_iter_ : int
        Number of epochs run: by :meth:`fit`, plus one per :meth:`partial_fit` call.

    n_samples_seen_ : int
        Number of rows trained on: those given to :meth:`fit`, plus those of
        every :meth:`partial_fit` chunk since.

    loss_curve_ : ndarray of shape (n_iter_,)
        Mean training loss per epoch (in the scaled space).

    validation_loss_curve_ : ndarray of shape (n_iter_,) or None
        Validation loss per epoch; None without early stopping.

    best_epoch_ : int
        The epoch whose weights were kept: with early stopping the one of
        lowest validation loss, 0 when no epoch beat the starting weights;
        without early stopping ``n_iter_``.

    scaling_offset_, scaling_scale_ : ndarray of shape (n_features_in_,)
        The scaling: the network sees ``(X - scaling_offset_) / scaling_scale_``.

    code_mean_ : ndarray of shape (n_components_,)
        Mean of the training codes.

    code_covariance_ : ndarray of shape (n_components_, n_components_)
        Covariance of the training codes.

    noise_variance_ : float
        Variance of the reconstruction residual per off-manifold direction,
        in the scaled space, measured on the early-stopping validation rows
        when there are any, else on the training rows, and at least PCA's
        ``noise_variance_`` at the same width on the same rows (see
        :meth:`score_samples`; over 2000 features that floor is only applied
        with ``init="pca"``, which computes PCA anyway).

    See Also
    --------
    sklearn.decomposition.PCA : The linear special case.
    VAETransformer : A variational autoencoder.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=8, max_epochs=5, random_state=0)
    >>> codes = ae.fit_transform(X)
    >>> codes.shape
    (1797, 8)
    >>> ae.inverse_transform(codes).shape
    (1797, 64)
    """

    _variants = ("denoising", "sparse", "contractive", "tied", "layer_matching", "conv", "custom")

    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        **variant_constraints(_variants),
        "loss": [StrOptions({"mse", "bce"})],
    }

    # what fit sets, checked when a saved or pickled model is loaded (see _fitted_checks.py)
    _fitted_attributes = autoencoder_schema(
        {
            "code_mean_": array("n_components_"),
            "code_covariance_": covariance("n_components_"),
            "noise_variance_": finite_float(low=NOISE_VARIANCE_FLOOR),
        }
    )

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes="auto",
        activation="relu",
        init="auto",
        loss="mse",
        scaling="auto",
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=128,
        max_epochs=100,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="auto",
        random_state=None,
        verbose=0,
        noise=None,
        noise_level=0.2,
        mask_value=0.0,
        sparsity=0.0,
        sparsity_target=None,
        contractive=0.0,
        tied_weights=False,
        layer_matching=0.0,
        layer_matching_local=False,
        image_shape=None,
        encoder=None,
        decoder=None,
        encoder_kwargs=None,
        decoder_kwargs=None,
    ) -> None:
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.loss = loss
        self.scaling = scaling
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.noise = noise
        self.noise_level = noise_level
        self.mask_value = mask_value
        self.sparsity = sparsity
        self.sparsity_target = sparsity_target
        self.contractive = contractive
        self.tied_weights = tied_weights
        self.layer_matching = layer_matching
        self.layer_matching_local = layer_matching_local
        self.image_shape = image_shape
        self.encoder = encoder
        self.decoder = decoder
        self.encoder_kwargs = encoder_kwargs
        self.decoder_kwargs = decoder_kwargs

    # ------------------------------------------------------------- the hooks
    def _network_spec(self, n_features: int) -> NetworkSpec:
        return autoencoder_spec(self.get_params(deep=False), n_features, self._variants)

    def _after_fit(self, X: Any, *, partial: bool = False, pca: PCAStart | None = None) -> None:
        n_samples, n_features = X.shape
        k = self.n_components_

        network = self.network_

        def code_and_residual(rows: Any) -> Any:
            # the network's own precision (float32, as it was trained), sums in float64: see _code_and_residual;
            # fit_gaussian and RunningMoments take the float32 codes' moments in float64
            return network.run(lambda m, x: _code_and_residual(m, x, network.mean_output), rows, np.float32)

        if isinstance(X, StreamedArray):  # data on disk: the codes' moments batch by batch, never all codes at once
            moments, squared_error, start = RunningMoments(), np.empty(n_samples), 0
            for rows in streamed_rows(X):
                stats = code_and_residual(rows)
                moments.update(stats.code)
                squared_error[start : start + len(rows)] = stats.squared_error  # one float per row
                start += len(rows)
            self.code_mean_, self.code_covariance_ = moments.mean, fit_gaussian_from(moments)
        else:
            stats = code_and_residual(X)
            self.code_mean_, self.code_covariance_ = fit_gaussian(stats.code)
            squared_error = stats.squared_error
        # the residuals of rows the network was not trained on, where there are any, and never below PCA's noise
        # variance on the same rows (see score_samples)
        pca_noise = pca_noise_variance(self, X) if pca is None else pca.noise_variance_
        validation = _validation_rows(self.net_, n_samples)
        floor = 0.0 if pca_noise is None else pca_noise
        self.noise_variance_ = noise_variance(squared_error, _off_manifold(n_features, k), validation, floor)
        if not partial:  # one epoch on one chunk is not a finished fit
            check_fit(self, X, squared_error, pca_noise)  # warns when training did not beat PCA (_fitcheck.py)

    # ------------------------------------------------------------ public API
    def score_samples(self, X: ArrayLike) -> NDArray:
        """Log-likelihood of each row under the autoencoder's density model.

        The model is the nonlinear analogue of probabilistic PCA, in nats,
        in the same units as :meth:`sklearn.decomposition.PCA.score_samples`.
        In the scaled space (``x`` below is ``(X - scaling_offset_) / scaling_scale_``), with
        ``z = encoder(x)``, ``J`` the decoder's Jacobian at ``z``, ``d`` the
        number of features and ``k`` of codes::

            log p(x) = log N(z; code_mean_, code_covariance_)
                       - 1/2 log det(J^T J)
                       - ||x - decoder(z)||^2 / (2 noise_variance_)
                       - (d - k)/2 log(2 pi noise_variance_)

        and ``sum(log(scaling_scale_))`` is subtracted to return to the original
        units. The code Gaussian (``code_mean_``, ``code_covariance_``) is
        fitted to the codes of all training rows. ``noise_variance_`` is the
        mean squared residual per off-manifold direction of the rows the
        network was *not* trained on, the early-stopping validation rows
        (``validation_fraction`` of them), because a variance fitted to the
        training rows is too small for new rows. Without a validation split
        (``early_stopping=False`` or ``max_epochs=0``) it is the training
        rows' ``sum ||x - decoder(z)||^2 / ((d - k)(n - 1))``. Either way it
        is at least PCA's noise variance at the same width on the same
        training rows, so that the density is never more certain of the
        residual than PCA's and the score ranks the autoencoder against PCA
        by held-out reconstruction, also on rows unlike the training rows
        (see :ref:`pca_comparison`). With ``max_epochs=0`` (a linear network
        at the PCA solution) this equals PCA's score exactly. For ``k >= d``
        there is no off-manifold direction and the last two terms become a
        Gaussian of variance ``noise_variance_`` on all ``d`` residual
        coordinates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            Log-likelihood of each row, float64.
        """
        X = self._check_input(X)
        n_features, k = self.n_features_in_, self.n_components_
        network = self.network_
        module = network.module
        probe = torch.zeros((1, k), dtype=next(module.parameters()).dtype, device=network.device)
        width = activation_width(module, network.mean_output, probe) + n_features
        terms = network.run(
            lambda m, x: _likelihood_terms(m, x, network.mean_output),
            X,
            np.float64,
            batch_size=jacobian_batch_size(k, width),
        )
        sigma2 = self.noise_variance_
        off_manifold = _off_manifold(n_features, k)
        if k < n_features:
            log_p = gaussian_logpdf(terms.code, self.code_mean_, self.code_covariance_) - terms.half_log_volume
        else:
            log_p = 0.0
        log_p = log_p - 0.5 * terms.squared_error / sigma2 - 0.5 * off_manifold * np.log(2 * np.pi * sigma2)
        return log_p - np.log(self.scaling_scale_).sum()


def _off_manifold(n_features: int, n_components: int) -> int:
    """Directions the residual lives in: ``d - k`` off the decoded surface, or all ``d`` when ``k >= d``."""
    return n_features - n_components if n_components < n_features else n_features


def _validation_rows(net: Any, n_samples: int) -> NDArray | None:
    """Indices of the training rows that ``net`` held out for early stopping, or None when it held none out.

    The split is the net's own ``train_split`` (seeded), replayed on the row indices.
    """
    if net.train_split is None:
        return None
    _, valid = net.train_split(np.arange(n_samples))
    return np.asarray(valid.indices)


class CodeResidual(NamedTuple):
    """Per row: the code (in the module's dtype) and the squared reconstruction error (scaled space, float64)."""

    code: torch.Tensor
    squared_error: torch.Tensor


class LikelihoodTerms(NamedTuple):
    """Per row: the code, the squared reconstruction error and ``1/2 log det(J^T J)`` of the decoder."""

    code: torch.Tensor
    squared_error: torch.Tensor
    half_log_volume: torch.Tensor


def _code_and_residual(
    module: Any, x: torch.Tensor, mean_output: Callable[[Any, torch.Tensor], torch.Tensor]
) -> CodeResidual:
    z = module.encode(x)
    # the squares summed in float64: a float32 pass loses no more than its rounding of the residual
    return CodeResidual(z, ((x - mean_output(module, z)).to(torch.float64) ** 2).sum(dim=1))


def _likelihood_terms(
    module: Any, x: torch.Tensor, mean_output: Callable[[Any, torch.Tensor], torch.Tensor]
) -> LikelihoodTerms:
    code, squared_error = _code_and_residual(module, x, mean_output)
    if code.shape[1] < x.shape[1]:
        volume = half_log_volume(lambda c: mean_output(module, c), code)
    else:
        volume = torch.zeros_like(squared_error)
    return LikelihoodTerms(code, squared_error, volume)
