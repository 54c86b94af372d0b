"""VAETransformer: a variational autoencoder with PCA's interface, sampling and a likelihood."""

import math
import warnings
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from ._base import BaseAutoencoder, CodeTransformerMixin
from ._docstrings import fill_doc
from ._fitted_checks import NONNEGATIVE, VARIANCE, array, autoencoder_schema, integer, none_when, unit_vector
from ._likelihood import activation_width
from ._losses import bernoulli_nll, gaussian_nll
from ._pca_start import PCAStart
from ._seeding import seed_from
from ._sklearn_private import Interval, StrOptions
from ._spec import NetworkSpec, vae_spec, variant_constraints
from ._streaming import RunningMoments, StreamedArray, streamed_rows
from ._typing import ArrayLike, NDArray, RandomStateLike

# A latent unit is active when the variance over the data of its posterior
# mean exceeds this (Burda et al., 2016).
ACTIVITY_THRESHOLD = 0.01

# Width of a step of the row projection that seeds the draws of score_samples (scaled space).
SCORE_STEP = 1e-3

# Numbers per inference batch in score_samples (rows x samples x features).
SCORE_BUDGET = 2**22


class KLWarmup(Callback):
    """Raise the KL weight linearly from ``beta / epochs`` to ``beta`` over the first ``epochs`` epochs.

    It sets the criterion's ``warmup`` factor, which applies in training mode
    only: validation losses (and early stopping) always use the full ``beta``.
    """

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_epoch_begin(self, net: Any, **kwargs: Any) -> None:
        net.criterion_.warmup = min(1.0, len(net.history) / self.epochs)

    def on_train_end(self, net: Any, **kwargs: Any) -> None:
        net.criterion_.warmup = 1.0


@fill_doc
class VAETransformer(CodeTransformerMixin, BaseAutoencoder):
    """Variational autoencoder: probabilistic codes, sampling, and a log-likelihood.

    A Gaussian encoder ``q(z|x) = N(mu(x), diag sigma(x)^2)`` over
    ``n_components`` latent units, a standard normal prior ``p(z)`` and a
    decoder ``p(x|z)`` (Gaussian with a learned variance, or Bernoulli) are
    trained together through skorch by maximising the evidence lower bound
    (ELBO) ``E_q[log p(x|z)] - beta * KL(q(z|x) || p(z))`` with the
    reparameterisation trick (Kingma & Welling, 2014).

    By default (Gaussian likelihood) each half is a linear map plus a
    nonlinear residual that starts at zero, and the linear maps start at the
    maximum-likelihood probabilistic PCA model (Tipping & Bishop, 1999),
    which this encoder represents exactly: training starts with PCA's
    log-likelihood and improves on it.

    Parameters
    ----------
    n_components : int, default=2
        Number of latent units.

    hidden_layer_sizes : array-like of int or "auto", default="auto"
        Widths of the encoder's hidden layers, input side first. The decoder
        mirrors them. ``()`` gives a linear VAE (probabilistic PCA).
        ``"auto"`` is ``(512, 128)``, as for :class:`AutoencoderTransformer`.

    activation : {"relu", "tanh", "sigmoid", "elu", "gelu", "selu", \
            "leaky_relu", "identity"}, default="relu"
        Activation of the hidden layers.

    init : {"auto", "pca", "random"}, default="auto"
        ``"pca"``: linear paths initialised to probabilistic PCA, nonlinear
        residuals to zero. ``"random"``: plain multilayer perceptrons with
        torch's default initialisation. ``"auto"`` is ``"pca"`` for the
        Gaussian likelihood and ``"random"`` for the Bernoulli.

    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        Observation model ``p(x|z)``. ``"gaussian"``: real-valued data,
        Gaussian around the decoder's output with a learned variance.
        ``"bernoulli"``: data in [0, 1] (meant for binary data), independent
        Bernoullis with the decoder's output as logits.

    noise_variance : {"global", "feature"}, default="global"
        For the Gaussian likelihood: one learned variance shared by all
        features of the scaled data (as probabilistic PCA), or one per
        feature (as factor analysis). Per-feature variances can shrink
        without bound on features that are (nearly) constant in training.

    beta : float, default=1.0
        Weight of the KL term (a beta-VAE for ``beta != 1``). With
        ``beta=1`` the training objective is the ELBO.

    kl_warmup_epochs : int, default=0
        Raise the KL weight linearly from ``beta / kl_warmup_epochs`` to
        ``beta`` over this many epochs (0: no warm-up). Validation losses
        always use the full ``beta``.

    n_importance_samples : int, default=1
        Number ``k`` of posterior samples per row in :meth:`score_samples`:
        1 gives the ELBO, ``k > 1`` the tighter importance-weighted bound.

    scaling : {"auto", "global", "standard", "minmax"} or None, default="auto"
        Affine scaling applied inside the estimator (see
        :class:`AutoencoderTransformer`). ``"auto"`` is ``"global"`` for the
        Gaussian likelihood and None for the Bernoulli. A
        :class:`FittedScaling` is a scaling fitted beforehand (see
        :class:`AutoencoderTransformer`).

    %(optimization)s

    max_epochs : int, default=100
        Maximum number of passes over the training data. 0 keeps the
        initialisation (with ``init="pca"``: probabilistic PCA).

    %(early_stopping)s

    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the shuffling, the validation split, the
        reparameterisation noise in training and the samples behind
        :meth:`score_samples`. With an int, two fits give bit-identical
        results on CPU. The global random states of numpy and torch are
        never drawn from nor changed.

    verbose : int, default=0
        0 is silent, 1 prints a table of losses per epoch, 2 adds a progress
        bar.

    %(denoising)s

    sparsity : float, default=0.0
        Sparse VAE: weight of a penalty on the posterior mean added to the
        loss (the negative ELBO). With ``sparsity_target=None`` it is the L1
        norm of each row's posterior mean (averaged over rows). The negative
        ELBO is summed over the features (nats per row), so useful weights
        are larger than for :class:`AutoencoderTransformer`, whose loss is a
        mean per entry (on the 64-pixel digits, ``sparsity=10`` gives about
        five times as many near-zero posterior means).

    sparsity_target : float in (0, 1) or None, default=None
        With a float ``rho``, the penalty is instead ``sum_j KL(rho ||
        rho_j)`` with ``rho_j`` the batch mean of ``sigmoid(mean_j)`` (see
        :class:`AutoencoderTransformer`). Used only when ``sparsity > 0``.
        The other variants of :class:`AutoencoderTransformer`
        (``contractive``, ``tied_weights``, ``layer_matching``,
        ``image_shape``, custom ``encoder``/``decoder``) are not available
        for the VAE.

    Attributes
    ----------
    n_components_ : int
        Number of latent units.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    net_ : skorch.NeuralNet
        The fitted skorch net. Its history holds, per epoch, ``train_loss``
        (the negative ELBO, in nats per row of the scaled data, with the
        warmed-up beta) and its parts ``train_reconstruction`` and
        ``train_kl`` (with ``sparsity > 0`` also ``train_sparsity``, the
        unweighted penalty) and the ``valid_`` ones with early stopping.

    n_iter_ : int
        Number of epochs run: by :meth:`fit`, plus one per :meth:`partial_fit` call.

    n_samples_seen_ : int
        Number of rows trained on: those given to :meth:`fit`, plus those of
        every :meth:`partial_fit` chunk since.

    loss_curve_ : ndarray of shape (n_iter_,)
        Mean training loss per epoch.

    validation_loss_curve_ : ndarray of shape (n_iter_,) or None
        Validation loss per epoch; None without early stopping.

    best_epoch_ : int
        The epoch whose weights were kept: with early stopping the one of
        lowest validation loss, 0 when no epoch beat the starting weights;
        without early stopping ``n_iter_``.

    scaling_offset_, scaling_scale_ : ndarray of shape (n_features_in_,)
        The scaling: the network sees ``(X - scaling_offset_) / scaling_scale_``.

    noise_variance_ : ndarray of shape (n_features_in_,) or None
        Variance of the Gaussian ``p(x|z)`` per feature, in the original
        units (inf where that exceeds float64, for data in units near
        1e160; the estimator itself works in the scaled space and stays
        finite); None for the Bernoulli likelihood.

    latent_activity_ : ndarray of shape (n_components_,)
        Variance over the training rows of each unit's posterior mean.

    n_active_components_ : int
        Number of active latent units: those whose ``latent_activity_``
        exceeds 0.01 (Burda et al., 2016). The others have collapsed to the
        prior and carry no information; a warning is issued when more than
        half of the units have.

    See Also
    --------
    AutoencoderTransformer : A deterministic autoencoder.
    sklearn.decomposition.PCA : Probabilistic PCA, the linear special case.
    sklearn.decomposition.FactorAnalysis : The linear model with per-feature noise.

    References
    ----------
    D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
    Y. Burda, R. Grosse and R. Salakhutdinov, "Importance Weighted
    Autoencoders", ICLR 2016.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import VAETransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> vae = VAETransformer(n_components=8, max_epochs=5, random_state=0)
    >>> codes = vae.fit_transform(X)
    >>> codes.shape
    (1797, 8)
    >>> mean, std = vae.posterior(X[:3])
    >>> std.shape
    (3, 8)
    >>> vae.sample(4, random_state=0).shape
    (4, 64)
    >>> log_likelihood = vae.score_samples(X[:3])  # ELBO in nats per row
    """

    _variants = ("denoising", "sparse")

    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        "likelihood": [StrOptions({"gaussian", "bernoulli"})],
        "noise_variance": [StrOptions({"global", "feature"})],
        "beta": [Interval(Real, 0, None, closed="left")],
        "kl_warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "n_importance_samples": [Interval(Integral, 1, None, closed="left")],
        **variant_constraints(_variants),
    }

    # what fit sets, checked when a saved or pickled model is loaded (see _fitted_checks.py)
    _fitted_attributes = autoencoder_schema(
        {
            "_score_seed": integer(0, 2**64 - 1),
            "_score_direction": unit_vector("n_features_in_"),
            "noise_variance_": none_when(
                lambda vae: getattr(vae, "likelihood", None) == "bernoulli",
                array("n_features_in_", values=VARIANCE),
                "the Bernoulli likelihood has no noise variance",
            ),
            "latent_activity_": array("n_components_", values=NONNEGATIVE),
            "n_active_components_": integer(0, "n_components_"),
        }
    )

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes="auto",
        activation="relu",
        init="auto",
        likelihood="gaussian",
        noise_variance="global",
        beta=1.0,
        kl_warmup_epochs=0,
        n_importance_samples=1,
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
    ) -> None:
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.likelihood = likelihood
        self.noise_variance = noise_variance
        self.beta = beta
        self.kl_warmup_epochs = kl_warmup_epochs
        self.n_importance_samples = n_importance_samples
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

    # ------------------------------------------------------------- the hooks
    def _network_spec(self, n_features: int) -> NetworkSpec:
        warmup = (("kl_warmup", KLWarmup(self.kl_warmup_epochs)),) if self.kl_warmup_epochs else ()
        return vae_spec(self.get_params(deep=False), n_features, self._variants, callbacks=warmup)

    def _after_fit(self, X: Any, *, partial: bool = False, pca: PCAStart | None = None) -> None:
        self._score_seed = seed_from(self.random_state)
        direction = np.random.default_rng([self._score_seed, 1]).standard_normal(X.shape[1])
        self._score_direction = direction / np.linalg.norm(direction)
        network = self.network_
        module: Any = network.module  # a VariationalAutoencoder
        if module.log_noise_variance is None:
            self.noise_variance_: NDArray | None = None
        else:
            variance = torch.exp(module.log_noise_variance.detach()).cpu().double().numpy()
            with np.errstate(over="ignore"):  # data in units near 1e160: the variance itself exceeds float64 (inf)
                self.noise_variance_ = np.broadcast_to(variance, self.scaling_scale_.shape) * self.scaling_scale_**2
        if isinstance(X, StreamedArray):  # data on disk: the variance batch by batch, never all means at once
            moments = RunningMoments()
            for rows in streamed_rows(X):
                moments.update(network.encode(rows, np.float64))
            self.latent_activity_ = np.diag(moments.scatter) / moments.n
        else:
            self.latent_activity_ = network.encode(X, np.float64).var(axis=0)
        self.n_active_components_ = int((self.latent_activity_ > ACTIVITY_THRESHOLD).sum())
        if 2 * self.n_active_components_ < self.n_components_:
            warnings.warn(
                f"Posterior collapse: only {self.n_active_components_} of {self.n_components_} latent units "
                f"are active (posterior-mean variance over the data > {ACTIVITY_THRESHOLD}); the others "
                "carry no information. Fewer n_components, a smaller beta, kl_warmup_epochs or more "
                "training may help.",
                UserWarning,
                stacklevel=2,
            )

    # ------------------------------------------------------------ public API
    def posterior(self, X: ArrayLike) -> tuple[NDArray, NDArray]:
        """Mean and standard deviation of the Gaussian posterior ``q(z|x)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        mean : ndarray of shape (n_samples, n_components_)
            Posterior means (what :meth:`transform` returns).
        std : ndarray of shape (n_samples, n_components_)
            Posterior standard deviations.
        """
        X = self._check_input(X)
        return self.network_.run(_posterior, X, X.dtype)

    def sample(self, n_samples: int = 1, random_state: RandomStateLike = None, noise: bool = False) -> NDArray:
        """Draw new rows from the model: ``z ~ N(0, I)``, then the decoder.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState or Generator instance, or None, default=None
            Source of the random numbers; None takes fresh entropy. The
            global random states are never drawn from.
        noise : bool, default=False
            False returns the mean of ``p(x|z)`` (for the Bernoulli: the
            pixel probabilities). True draws from ``p(x|z)``: adds Gaussian
            noise of variance ``noise_variance_``, or draws 0/1 values.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_in_)
            The samples, float64, in the original feature space.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive int, got {n_samples!r}.")
        if isinstance(random_state, (np.random.RandomState, np.random.Generator)):
            rng = random_state
        else:
            rng = np.random.default_rng(random_state)
        Z = rng.standard_normal((n_samples, self.n_components_))
        network = self.network_
        Xs = network.decode(Z, np.float64)
        if noise:
            if network.spec.output == "sigmoid":
                Xs = (rng.random(Xs.shape) < Xs).astype(np.float64)
            else:
                # the variance in the scaled space, from the module (in the input's units it can exceed float64)
                variance = torch.exp(network.module.log_noise_variance.detach()).cpu().double().numpy()
                Xs = Xs + rng.standard_normal(Xs.shape) * np.sqrt(variance)
        return network.unscale(Xs)

    def score_samples(self, X: ArrayLike) -> NDArray:
        """Lower bound on each row's log-likelihood, in nats: the ELBO or the IWAE bound.

        With ``k = n_importance_samples``, ``x`` a row in the scaled space
        and ``z_j = mu(x) + sigma(x) * eps_j`` for ``j = 1..k``, this is::

            log (1/k) sum_j p(x | z_j) p(z_j) / q(z_j | x)

        the importance-weighted bound of Burda et al. (2016); for ``k = 1``
        it is the single-sample estimate of the ELBO. Its expectation over
        ``eps`` never exceeds ``log p(x)`` and rises towards it as ``k``
        grows. The ``eps_j`` are standard normal vectors that depend
        continuously on the row: the row's projection ``t`` on a direction
        fixed at fit time, in steps of ``1e-3`` (in the scaled space, where
        the projections spread over about one unit), falls between two
        steps ``i`` and ``i + 1``, each with its own draws ``e_i`` seeded by a
        seed fixed at fit time and the step; ``eps = cos(pi f / 2) e_i +
        sin(pi f / 2) e_{i+1}`` with ``f`` the fraction of the step, again
        exactly standard normal. So the score is deterministic, a row's
        score depends neither on the other rows nor on the input's container
        (array, DataFrame, sparse), a tiny change of a row changes its score
        by a tiny amount, and rows more than a step apart get independent
        draws, so that the mean over rows (:meth:`score`) averages the Monte
        Carlo error away. The draws for ``k`` are the first ``k`` of the
        row's draws for any larger ``k``.

        For the Gaussian likelihood the score is a log-density in the
        original feature units: ``sum(log(scaling_scale_))`` (the scaling's
        Jacobian) is subtracted, so it compares directly with
        :meth:`sklearn.decomposition.PCA.score_samples`. For the Bernoulli
        likelihood it is a log-probability of the (binary) pixels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            The bound for each row, float64.
        """
        X = self._check_input(X)
        k = self.n_importance_samples
        # each row sends k codes through the decoder: size batches by what the decoder holds per code
        network = self.network_
        module = network.module
        probe = torch.zeros((1, self.n_components_), dtype=next(module.parameters()).dtype, device=network.device)
        width = activation_width(module, network.mean_output, probe) + self.n_features_in_
        batch_size = max(1, SCORE_BUDGET // (k * width))
        log_p = network.run(
            lambda m, x: _importance_weighted_bound(m, x, self._score_noise(x, k)),
            X,
            np.float64,
            batch_size=batch_size,
        )
        if module.log_noise_variance is not None:  # a Gaussian density: back to the input's units
            log_p = log_p - np.log(self.scaling_scale_).sum()
        return log_p

    def _score_noise(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """The ``eps`` of :meth:`score_samples` for the scaled rows ``x``: a tensor (n_rows, k, n_components_).

        Continuous in the row (see :meth:`score_samples`): the draws of the
        two steps around the row's projection, mixed by the fraction.
        """
        # row by row (not a matrix product, whose rounding depends on the batch): a row's draws never depend on
        # the other rows
        t = (x.detach().cpu().numpy().astype(np.float64) * self._score_direction).sum(axis=1) / SCORE_STEP
        steps = np.floor(t)
        angle = 0.5 * np.pi * (t - steps)

        def draws(step: int) -> NDArray:
            rng = np.random.default_rng([self._score_seed, int(step) % 2**63])
            return rng.standard_normal((k, self.n_components_))

        eps = np.stack(
            [np.cos(a) * draws(step) + np.sin(a) * draws(step + 1) for step, a in zip(steps, angle, strict=True)]
        )
        return torch.as_tensor(eps.reshape(len(t), k, self.n_components_), dtype=x.dtype, device=x.device)


class Posterior(NamedTuple):
    """Mean and standard deviation of the Gaussian posterior ``q(z|x)``, per row."""

    mean: torch.Tensor
    std: torch.Tensor


def _posterior(module: Any, x: torch.Tensor) -> Posterior:
    mean, log_var = module.encode_distribution(x)
    return Posterior(mean, torch.exp(0.5 * log_var))


def _importance_weighted_bound(module: Any, x: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """``log mean_j p(x|z_j) p(z_j) / q(z_j|x)`` per row of ``x``, with ``z_j = mu + sigma * eps[:, j]``."""
    n_rows, n_features = x.shape
    _, k, n_components = eps.shape
    mean, log_var = module.encode_distribution(x)
    z = mean[:, None, :] + torch.exp(0.5 * log_var)[:, None, :] * eps
    decoded = module.decode(z.reshape(-1, n_components)).reshape(n_rows, k, n_features)
    target = x[:, None, :].expand_as(decoded)
    if module.log_noise_variance is not None:
        log_px = -gaussian_nll(target, decoded, module.log_noise_variance)
    else:
        log_px = -bernoulli_nll(target, decoded)
    log_2pi = math.log(2 * math.pi)
    log_pz = -0.5 * (z**2 + log_2pi).sum(dim=-1)
    log_qz = -0.5 * (eps**2 + log_var[:, None, :] + log_2pi).sum(dim=-1)
    return torch.logsumexp(log_px + log_pz - log_qz, dim=1) - math.log(k)
