"""The mathematics of VAETransformer: its likelihood against known densities.

Data come from a known linear-Gaussian model (probabilistic PCA), whose true
density is available in closed form, so the VAE's bounds can be compared with
the truth, with PCA's likelihood, and with each other.
"""

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.decomposition import PCA

from sklearn_ae import VAETransformer

N_FEATURES, N_LATENT, NOISE_STD = 8, 2, 0.4


@pytest.fixture(scope="module")
def linear_gaussian():
    """Train and test rows of ``x = W z + mu + noise`` and the true log-density of the test rows."""
    rng = np.random.default_rng(0)
    W = rng.normal(size=(N_FEATURES, N_LATENT)) * 2.0
    mu = rng.normal(size=N_FEATURES) * 3.0

    def draw(n):
        return rng.normal(size=(n, N_LATENT)) @ W.T + mu + NOISE_STD * rng.normal(size=(n, N_FEATURES))

    X_train, X_test = draw(1500), draw(1500)
    cov = W @ W.T + NOISE_STD**2 * np.eye(N_FEATURES)
    true_log_density = multivariate_normal(mu, cov).logpdf(X_test)
    return X_train, X_test, true_log_density


def test_untrained_vae_is_exactly_probabilistic_pca(linear_gaussian):
    # Started at PPCA (max_epochs=0), the encoder is PPCA's exact posterior:
    # every importance weight equals p(x), so ELBO = IWAE = PCA's likelihood.
    X_train, X_test, _ = linear_gaussian
    pca = PCA(N_LATENT).fit(X_train)
    vae = VAETransformer(N_LATENT, max_epochs=0, random_state=0).fit(X_train)
    expected = pca.score_samples(X_test)
    np.testing.assert_allclose(vae.score_samples(X_test), expected, rtol=0, atol=1e-4)
    vae.set_params(n_importance_samples=7)
    np.testing.assert_allclose(vae.score_samples(X_test), expected, rtol=0, atol=1e-4)
    # Posterior standard deviations are PPCA's sqrt(s2 / lambda_i), in the
    # latent units; noise variance back in the original units is PCA's.
    _, std = vae.posterior(X_test[:3])
    np.testing.assert_allclose(std[0], np.sqrt(pca.noise_variance_ / pca.explained_variance_), rtol=1e-4)
    np.testing.assert_allclose(vae.noise_variance_, pca.noise_variance_, rtol=1e-4)


@pytest.mark.parametrize(
    "params",
    [
        {"init": "pca", "hidden_layer_sizes": (32,), "lr": 3e-3, "max_epochs": 60},
        {"init": "random", "hidden_layer_sizes": (), "lr": 1e-2, "max_epochs": 100},
    ],
    ids=["nonlinear-from-ppca", "linear-from-random"],
)
def test_held_out_likelihood_approaches_the_true_density(linear_gaussian, params):
    # A VAE trained on linear-Gaussian data, a nonlinear one from PPCA or a
    # linear one from a random start, must reach the true held-out
    # log-likelihood (within 0.1 nat per row) and, being a bound on its own
    # likelihood, cannot beat the true density by more than the noise.
    X_train, X_test, true_log_density = linear_gaussian
    truth = true_log_density.mean()
    vae = VAETransformer(N_LATENT, n_iter_no_change=20, random_state=0, **params).fit(X_train)
    elbo = vae.score(X_test)
    iwae = vae.set_params(n_importance_samples=64).score(X_test)
    assert abs(PCA(N_LATENT).fit(X_train).score(X_test) - truth) < 0.05  # the reference itself
    assert truth - 0.1 < iwae < truth + 0.05, (iwae, truth)
    assert truth - 0.2 < elbo < iwae + 0.01, (elbo, iwae, truth)


@pytest.fixture(scope="module")
def binary_digits_vae():
    from sklearn.datasets import load_digits

    X = (load_digits().data > 7).astype(np.float64)
    X_train, X_test = X[:1200], X[1200:]
    vae = VAETransformer(4, likelihood="bernoulli", hidden_layer_sizes=(64,), lr=1e-2, max_epochs=40, random_state=0)
    return vae.fit(X_train), X_train, X_test


def test_importance_weighted_bound_grows_with_k(binary_digits_vae):
    # On binarized digits the posterior is far from Gaussian, so the
    # importance-weighted bound tightens visibly with more samples; per row
    # it is at least the mean of the same log-weights (the ELBO estimate).
    vae, _, X_test = binary_digits_vae
    bounds = [vae.set_params(n_importance_samples=k).score(X_test) for k in (1, 8, 64)]
    assert bounds[0] + 0.2 < bounds[1] < bounds[2], bounds
    vae.set_params(n_importance_samples=1)


def test_bernoulli_score_is_a_log_probability(binary_digits_vae):
    # For binary data the Bernoulli score is log P(pixels): never positive,
    # and the bound of a trained model beats the independent-pixel model that
    # ignores all structure between pixels.
    vae, X_train, X_test = binary_digits_vae
    scores = vae.set_params(n_importance_samples=16).score_samples(X_test)
    vae.set_params(n_importance_samples=1)
    assert np.all(scores <= 0)
    p = X_train.mean(axis=0).clip(1e-3, 1 - 1e-3)
    independent = (X_test * np.log(p) + (1 - X_test) * np.log(1 - p)).sum(axis=1).mean()
    assert scores.mean() > independent + 4, (scores.mean(), independent)


def test_samples_reproduce_mean_and_covariance(linear_gaussian):
    X_train, _, _ = linear_gaussian
    vae = VAETransformer(N_LATENT, hidden_layer_sizes=(32,), max_epochs=30, random_state=0).fit(X_train)
    samples = vae.sample(20000, random_state=0, noise=True)
    scale = np.sqrt(np.trace(np.cov(X_train, rowvar=False)))
    assert np.linalg.norm(samples.mean(axis=0) - X_train.mean(axis=0)) < 0.1 * scale
    cov_error = np.linalg.norm(np.cov(samples, rowvar=False) - np.cov(X_train, rowvar=False))
    assert cov_error < 0.1 * np.linalg.norm(np.cov(X_train, rowvar=False)), cov_error
    # Without noise the samples are the decoder's means: their covariance
    # lacks the noise variance on the diagonal.
    means = vae.sample(20000, random_state=0)
    missing = np.trace(np.cov(samples, rowvar=False)) - np.trace(np.cov(means, rowvar=False))
    np.testing.assert_allclose(missing, vae.noise_variance_.sum(), rtol=0.1)


def test_score_is_in_original_units(linear_gaussian):
    # Rescaling the data by c shifts every log-density by -d log c (the
    # Jacobian), as for PCA: the scaling inside the estimator is accounted for.
    X_train, X_test, _ = linear_gaussian
    c = 10.0
    shift = N_FEATURES * np.log(c)
    for max_epochs in (0, 3):
        a = VAETransformer(N_LATENT, hidden_layer_sizes=(16,), max_epochs=max_epochs, random_state=0).fit(X_train)
        b = VAETransformer(N_LATENT, hidden_layer_sizes=(16,), max_epochs=max_epochs, random_state=0).fit(c * X_train)
        # Trained, the two networks differ by rounding and the Monte Carlo
        # draws differ per row (they hash the rows): compare the means.
        np.testing.assert_allclose(b.score(c * X_test), a.score(X_test) - shift, atol=0.05)
    np.testing.assert_allclose(b.scaling_scale_, c * a.scaling_scale_)
    a = VAETransformer(N_LATENT, max_epochs=0).fit(X_train)
    b = VAETransformer(N_LATENT, max_epochs=0).fit(c * X_train)
    np.testing.assert_allclose(b.score_samples(c * X_test), a.score_samples(X_test) - shift, atol=1e-4)
