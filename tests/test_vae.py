"""VAETransformer's behaviour: its methods, training history, determinism, errors and persistence."""

import copy
import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

from sklearn_ae import VAETransformer

FAST = {"hidden_layer_sizes": (16,), "max_epochs": 4, "batch_size": 64}


@pytest.fixture(scope="module")
def digits():
    X = load_digits().data
    return X[:600], X[600:800]


@pytest.fixture(scope="module")
def fitted(digits):
    return VAETransformer(4, random_state=0, **FAST).fit(digits[0])


def test_transform_is_the_posterior_mean_and_deterministic(fitted, digits):
    X = digits[1]
    mean, std = fitted.posterior(X)
    np.testing.assert_array_equal(fitted.transform(X), mean)
    np.testing.assert_array_equal(fitted.transform(X), fitted.transform(X))
    assert mean.shape == std.shape == (X.shape[0], 4)
    assert np.all(std > 0)


def test_float32_in_float32_out(fitted, digits):
    X32 = digits[1].astype(np.float32)
    assert fitted.transform(X32).dtype == np.float32
    assert all(a.dtype == np.float32 for a in fitted.posterior(X32))
    assert fitted.inverse_transform(fitted.transform(X32)).dtype == np.float32
    assert fitted.score_samples(X32).dtype == np.float64
    np.testing.assert_allclose(fitted.score_samples(X32), fitted.score_samples(digits[1]), rtol=1e-5)


def test_inverse_transform_undoes_the_scaling(digits):
    # At the PPCA start the decoder of the posterior mean is PPCA's
    # reconstruction: W M^-1 W^T (x - mean) + mean, in the original units.
    from sklearn.decomposition import PCA

    X_train, X = digits
    vae = VAETransformer(5, max_epochs=0).fit(X_train)
    pca = PCA(5).fit(X_train)
    W = pca.components_.T * np.sqrt(pca.explained_variance_ - pca.noise_variance_)
    M = W.T @ W + pca.noise_variance_ * np.eye(5)
    expected = (X - pca.mean_) @ W @ np.linalg.solve(M, W.T) + pca.mean_
    np.testing.assert_allclose(vae.inverse_transform(vae.transform(X)), expected, atol=1e-3)


def test_history_records_reconstruction_and_real_kl(digits):
    vae = VAETransformer(4, beta=0.5, random_state=0, **FAST).fit(digits[0])
    h = vae.net_.history
    loss, rec, kl = (np.array(h[:, key]) for key in ("train_loss", "train_reconstruction", "train_kl"))
    assert np.all(kl > 0)
    np.testing.assert_allclose(loss, rec + 0.5 * kl, rtol=1e-5)
    valid = np.array(h[:, "valid_loss"])
    np.testing.assert_allclose(
        valid, np.array(h[:, "valid_reconstruction"]) + 0.5 * np.array(h[:, "valid_kl"]), rtol=1e-5
    )


def test_kl_warmup_scales_beta_in_training_only(digits):
    vae = VAETransformer(4, kl_warmup_epochs=4, random_state=0, **FAST).fit(digits[0])
    h = vae.net_.history
    epochs = np.arange(1, len(h) + 1)
    factor = np.minimum(1.0, epochs / 4)
    np.testing.assert_allclose(
        np.array(h[:, "train_loss"]),
        np.array(h[:, "train_reconstruction"]) + factor * np.array(h[:, "train_kl"]),
        rtol=1e-5,
    )
    # Validation always uses the full beta.
    np.testing.assert_allclose(
        np.array(h[:, "valid_loss"]), np.array(h[:, "valid_reconstruction"]) + np.array(h[:, "valid_kl"]), rtol=1e-5
    )
    assert vae.net_.criterion_.warmup == 1.0


def test_active_units_and_collapse_warning(digits):
    X_train = digits[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vae = VAETransformer(4, random_state=0, **FAST).fit(X_train)
    assert vae.n_active_components_ == 4
    np.testing.assert_allclose(vae.latent_activity_, vae.transform(X_train).var(axis=0))
    # A huge KL weight pushes every posterior onto the prior.
    with pytest.warns(UserWarning, match="Posterior collapse"):
        collapsed = VAETransformer(
            4, beta=1e4, lr=1e-2, random_state=0, **{**FAST, "max_epochs": 10, "early_stopping": False}
        ).fit(X_train)
    assert collapsed.n_active_components_ < 2


def test_same_random_state_gives_identical_results(digits):
    X_train, X = digits
    a = VAETransformer(3, random_state=7, **FAST).fit(X_train)
    b = VAETransformer(3, random_state=7, **FAST).fit(X_train)
    np.testing.assert_array_equal(a.score_samples(X), b.score_samples(X))
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.sample(5, random_state=1), b.sample(5, random_state=1))
    c = VAETransformer(3, random_state=8, **FAST).fit(X_train)
    assert not np.allclose(a.transform(X), c.transform(X))


@pytest.mark.parametrize("k", [1, 5])
def test_score_of_a_row_does_not_depend_on_the_batch(fitted, digits, k):
    X = digits[1][:40]
    model = copy.deepcopy(fitted).set_params(n_importance_samples=k)  # the shared fixture stays as it is
    whole = model.score_samples(X)
    one_by_one = np.concatenate([model.score_samples(X[i : i + 1]) for i in range(len(X))])
    shuffled = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(one_by_one, whole, rtol=0, atol=1e-9)
    np.testing.assert_allclose(model.score_samples(X[shuffled]), whole[shuffled], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(model.score_samples(X), whole)
    assert model.score(X) == pytest.approx(whole.mean())


@pytest.mark.parametrize("random_state", [None, 0])
def test_global_random_states_are_untouched(digits, global_rngs_untouched, random_state):
    X_train, X = digits
    with global_rngs_untouched():
        vae = VAETransformer(3, random_state=random_state, **FAST).fit(X_train)
        vae.score_samples(X)
        vae.sample(3)
        vae.sample(3, random_state=0, noise=True)


def test_sample_seeding_and_shapes(fitted):
    a = fitted.sample(6, random_state=3)
    assert a.shape == (6, fitted.n_features_in_) and a.dtype == np.float64
    np.testing.assert_array_equal(a, fitted.sample(6, random_state=3))
    assert not np.allclose(a, fitted.sample(6, random_state=4))
    # The samples are the decoder's means at prior draws: inverse_transform of those draws.
    Z = np.random.default_rng(3).standard_normal((6, fitted.n_components_))
    np.testing.assert_allclose(a, fitted.inverse_transform(Z), rtol=1e-10, atol=1e-12 * np.abs(a).max())
    rs = np.random.RandomState(0)
    assert fitted.sample(2, random_state=rs).shape == (2, fitted.n_features_in_)


@pytest.mark.filterwarnings("ignore:Posterior collapse")
def test_bernoulli_sampling_and_reconstruction_in_unit_interval():
    X = (load_digits().data[:500] > 7).astype(np.float64)
    vae = VAETransformer(3, likelihood="bernoulli", random_state=0, **FAST).fit(X)
    probabilities = vae.sample(50, random_state=0)
    assert np.all((probabilities > 0) & (probabilities < 1))
    binary = vae.sample(50, random_state=0, noise=True)
    assert set(np.unique(binary)) <= {0.0, 1.0}
    assert vae.noise_variance_ is None
    rec = vae.inverse_transform(vae.transform(X))
    assert np.all((rec > 0) & (rec < 1))


def test_pickle_round_trip_gives_identical_results(fitted, digits):
    X = digits[1]
    model = copy.deepcopy(fitted).set_params(n_importance_samples=3)  # the shared fixture stays as it is
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.score_samples(X), model.score_samples(X))
    np.testing.assert_array_equal(restored.transform(X), model.transform(X))
    np.testing.assert_array_equal(restored.sample(4, random_state=0), model.sample(4, random_state=0))


def test_noise_variance_per_feature_is_each_features_expected_residual():
    # two latent factors and per-feature noise whose variance grows 100-fold across the features
    rng = np.random.default_rng(0)
    noise_std = np.linspace(0.2, 2.0, 8)
    X = rng.standard_normal((400, 2)) @ (2 * rng.standard_normal((2, 8))) + noise_std * rng.standard_normal((400, 8))
    params = dict(hidden_layer_sizes=(), lr=0.05, max_epochs=30, batch_size=100, early_stopping=False, random_state=0)
    vae = VAETransformer(2, noise_variance="feature", **params).fit(X)
    assert vae.noise_variance_.shape == vae.net_.module_.log_noise_variance.shape == (8,)
    # By hand: the variance that maximises the expected log-likelihood under the posterior is, per feature,
    # E_q (x - g(z))^2 = (x - g(mu))^2 + sum_k J_k^2 s_k^2 for the linear decoder g with columns J_k.
    mean, std = vae.posterior(X)
    J = vae.inverse_transform(np.eye(2)) - vae.inverse_transform(np.zeros((1, 2)))
    expected = ((X - vae.inverse_transform(mean)) ** 2).mean(axis=0) + ((std**2) @ (J**2)).mean(axis=0)
    np.testing.assert_allclose(vae.noise_variance_, expected, rtol=0.25)
    assert vae.noise_variance_.max() > 10 * vae.noise_variance_.min()
    # one shared variance instead: the same for every feature (the scaling is global)
    shared = VAETransformer(2, noise_variance="global", **params).fit(X).noise_variance_
    np.testing.assert_allclose(shared, shared[0], rtol=1e-12)


@pytest.mark.parametrize(
    "params, X, match",
    [
        ({"likelihood": "bernoulli"}, np.array([[0.0, 2.0], [1.0, 0.5]] * 5), r"needs X in \[0, 1\]"),
        ({"likelihood": "bernoulli", "scaling": "standard"}, np.ones((10, 2)) * 0.5, "needs data in"),
        ({"beta": -1.0}, np.ones((10, 2)), "beta"),
        ({"likelihood": "poisson"}, np.ones((10, 2)), "likelihood"),
        ({"n_importance_samples": 0}, np.ones((10, 2)), "n_importance_samples"),
        ({}, np.array([[0.0, np.nan]] * 10), "NaN"),
    ],
)
def test_bad_input_raises_clear_errors(params, X, match):
    with pytest.raises(ValueError, match=match):
        VAETransformer(**FAST, **params).fit(X)


def test_bad_calls_after_fit_raise(fitted):
    with pytest.raises(ValueError, match="expects 4"):
        fitted.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="n_samples"):
        fitted.sample(0)
    with pytest.raises(ValueError, match="64 features"):
        fitted.score_samples(np.zeros((2, 5)))


def test_diverging_fit_raises(digits):
    with pytest.raises(FloatingPointError, match="diverged"):
        VAETransformer(4, lr=1e6, optimizer="sgd", random_state=0, **FAST).fit(digits[0])
