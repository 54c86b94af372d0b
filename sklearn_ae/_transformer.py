"""AutoencoderTransformer: a drop-in replacement for PCA."""

import numpy as np
import torch
from sklearn.utils._param_validation import StrOptions

from ._base import BaseAutoencoder, CodeTransformerMixin
from ._likelihood import fit_gaussian, gaussian_logpdf, half_log_volume, jacobian_batch_size
from ._losses import AutoencoderLoss


class AutoencoderTransformer(CodeTransformerMixin, BaseAutoencoder):
    """Autoencoder dimensionality reduction, with PCA's interface.

    A neural network ``encoder`` maps each row of ``X`` to ``n_components``
    codes and a mirrored ``decoder`` maps codes back; both are trained through
    skorch to reconstruct ``X``. By default each half is PCA's linear map plus
    a nonlinear residual that starts at zero, so training starts from the PCA
    solution and only improves on it.

    Parameters
    ----------
    n_components : int, default=2
        Number of codes (the width of the bottleneck).

    hidden_layer_sizes : array-like of int, default=(256, 64)
        Widths of the encoder's hidden layers, input side first. The decoder
        mirrors them. ``()`` gives a linear autoencoder.

    activation : {"relu", "tanh", "sigmoid", "elu", "gelu", "selu", \
            "leaky_relu", "identity"}, default="relu"
        Activation of the hidden layers. The code layer is linear.

    init : {"auto", "pca", "random"}, default="auto"
        ``"pca"``: each half is a linear map initialised to PCA's projection
        (reconstruction) plus a nonlinear residual initialised to zero.
        ``"random"``: a plain multilayer perceptron with torch's default
        initialisation. ``"auto"`` is ``"pca"`` for ``loss="mse"`` and
        ``"random"`` for ``loss="bce"``.

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
        features get a scale of 1.

    optimizer : {"adam", "adamw", "rmsprop", "sgd"} or torch optimizer class, \
            default="adam"
        Optimizer, by name or class.

    lr : float, default=1e-3
        Learning rate.

    weight_decay : float, default=0.0
        Weight decay (L2 penalty) passed to the optimizer.

    batch_size : int, default=128
        Rows per training batch. A batch larger than the data is the data.

    max_epochs : int, default=100
        Maximum number of passes over the training data. 0 keeps the
        initialisation (with ``init="pca"``: the PCA solution).

    early_stopping : bool, default=True
        Hold out a seeded random ``validation_fraction`` of the rows and stop
        when the validation loss has not improved by a relative ``tol`` for
        ``n_iter_no_change`` epochs; the weights of the best epoch are kept.

    validation_fraction : float, default=0.1
        Fraction of rows held out for early stopping.

    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.

    tol : float, default=1e-4
        Relative improvement of the validation loss that counts as progress.

    device : {"auto", "cpu", "cuda"}, default="auto"
        Where to train and infer; ``"auto"`` takes CUDA when available. A
        model fitted on a GPU unpickles on a machine without one.

    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the shuffling and the validation split. With an
        int, two fits give bit-identical results on CPU. The global random
        states of numpy and torch are never drawn from nor changed.

    verbose : int, default=0
        0 is silent, 1 prints a table of losses per epoch, 2 adds a progress
        bar.

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
        Number of epochs run.

    loss_curve_ : ndarray of shape (n_iter_,)
        Mean training loss per epoch (in the scaled space).

    validation_loss_curve_ : ndarray of shape (n_iter_,) or None
        Validation loss per epoch; None without early stopping.

    offset_, scale_ : ndarray of shape (n_features_in_,)
        The scaling: the network sees ``(X - offset_) / scale_``.

    code_mean_ : ndarray of shape (n_components_,)
        Mean of the training codes.

    code_covariance_ : ndarray of shape (n_components_, n_components_)
        Covariance of the training codes.

    noise_variance_ : float
        Variance of the reconstruction residual per off-manifold direction,
        in the scaled space (see :meth:`score_samples`).

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

    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        "loss": [StrOptions({"mse", "bce"})],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(256, 64),
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
    ):
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

    # ------------------------------------------------------------- the hooks
    def _criterion_params(self):
        return AutoencoderLoss, {"loss": self.loss}

    def _scaling_kind(self):
        if self.scaling == "auto":
            return None if self.loss == "bce" else "global"
        return self.scaling

    def _init_kind(self):
        if self.init == "auto":
            return "random" if self.loss == "bce" else "pca"
        return self.init

    def _validate_fit_data(self, X):
        if self.loss == "bce":
            self._check_unit_interval(X, "loss='bce'")

    def _decode_output(self, module, z):
        out = module.decode(z)
        return out.sigmoid() if self.loss == "bce" else out

    def _after_fit(self, X):
        n_samples, n_features = X.shape
        k = self.n_components_
        stats = self._run(
            lambda m, x: _codes_and_residual(m, x, self._decode_output),
            X,
            np.float64,
        )
        Z, ss = stats[:, :k], stats[:, k]
        self.code_mean_, self.code_covariance_ = fit_gaussian(Z)
        dof = max(n_features - k, 1) * max(n_samples - 1, 1)
        self.noise_variance_ = max(float(ss.sum() / dof), 1e-10)

    # ------------------------------------------------------------ public API
    def score_samples(self, X):
        """Log-likelihood of each row under the autoencoder's density model.

        The model is the nonlinear analogue of probabilistic PCA, in nats,
        in the same units as :meth:`sklearn.decomposition.PCA.score_samples`.
        In the scaled space (``x`` below is ``(X - offset_) / scale_``), with
        ``z = encoder(x)``, ``J`` the decoder's Jacobian at ``z``, ``d`` the
        number of features and ``k`` of codes::

            log p(x) = log N(z; code_mean_, code_covariance_)
                       - 1/2 log det(J^T J)
                       - ||x - decoder(z)||^2 / (2 noise_variance_)
                       - (d - k)/2 log(2 pi noise_variance_)

        and ``sum(log(scale_))`` is subtracted to return to the original
        units. With a linear network at the PCA solution this equals PCA's
        score exactly; a better reconstruction shrinks ``noise_variance_`` and
        raises the likelihood. For ``k >= d`` there is no off-manifold
        direction and the last two terms become a Gaussian of variance
        ``noise_variance_`` on all ``d`` residual coordinates.

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
        stats = self._run(
            lambda m, x: _likelihood_terms(m, x, self._decode_output),
            X,
            np.float64,
            batch_size=jacobian_batch_size(n_features, k),
        )
        Z, ss, half_log_vol = stats[:, :k], stats[:, k], stats[:, k + 1]
        sigma2 = self.noise_variance_
        if k < n_features:
            off_manifold = n_features - k
            log_p = gaussian_logpdf(Z, self.code_mean_, self.code_covariance_) - half_log_vol
        else:
            off_manifold = n_features
            log_p = 0.0
        log_p = log_p - 0.5 * ss / sigma2 - 0.5 * off_manifold * np.log(2 * np.pi * sigma2)
        return log_p - np.log(self.scale_).sum()


def _codes_and_residual(module, x, decode):
    z = module.encode(x)
    ss = ((x - decode(module, z)) ** 2).sum(dim=1, keepdim=True)
    return torch.cat([z, ss], dim=1)


def _likelihood_terms(module, x, decode):
    z = module.encode(x)
    ss = ((x - decode(module, z)) ** 2).sum(dim=1, keepdim=True)
    if z.shape[1] < x.shape[1]:
        vol = half_log_volume(lambda c: decode(module, c), z).unsqueeze(1)
    else:
        vol = torch.zeros_like(ss)
    return torch.cat([z, ss, vol], dim=1)
