"""Unit tests of sklearn_ae.nn._vae: shapes, the reparameterisation, and the PPCA start against sklearn's PCA."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from unit_helpers import assert_corrupts_in_training_only, randomize_, rows

from sklearn_ae.nn import CorruptionConfig, VariationalAutoencoder


def _ppca_data(n=60, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)) @ rng.normal(size=(3, d)) * 2 + rng.normal(size=(n, d)) * 0.5 + 1.0


def _ppca_vae(X, n_components, n_pca):
    pca = PCA(n_pca).fit(X)
    module = VariationalAutoencoder(X.shape[1], n_components, hidden_layer_sizes=(5,)).double().eval()
    module.init_ppca(pca.components_, pca.explained_variance_, pca.mean_, pca.noise_variance_)
    return module, pca


def _linear_weights(module):
    enc, dec = module.encoder.linear, module.decoder.linear
    return (t.detach().numpy() for t in (enc.weight, enc.bias, dec.weight, dec.bias))


@pytest.mark.parametrize("hidden", [(), (5,)])
@pytest.mark.parametrize(
    "likelihood, noise_variance, size",
    [("gaussian", "global", (1,)), ("gaussian", "feature", (6,)), ("bernoulli", "global", None)],
)
def test_vae_shapes(hidden, likelihood, noise_variance, size):
    module = VariationalAutoencoder(6, 2, hidden, likelihood=likelihood, noise_variance=noise_variance)
    x = torch.zeros(5, 6)
    out = module(x)
    assert [out[i].shape for i in range(4)] == [(5, 6), (5, 2), (5, 2), (5, 2)]
    mean, log_var = module.encode_distribution(x)
    assert mean.shape == log_var.shape == (5, 2)
    assert module.decode(mean).shape == (5, 6)
    if size is None:
        assert module.log_noise_variance is None
    else:
        assert module.log_noise_variance.shape == size


def test_vae_encode_is_the_first_half_of_the_encoder_output():
    module = randomize_(VariationalAutoencoder(6, 2, (5,)).double())
    x = rows(4, 6)
    h = module.encoder(x)
    mean, log_var = module.encode_distribution(x)
    torch.testing.assert_close(mean, h[:, :2])
    torch.testing.assert_close(log_var, h[:, 2:])
    torch.testing.assert_close(module.encode(x), h[:, :2])


def test_vae_forward_reparameterises_with_torch_random_state():
    module = randomize_(VariationalAutoencoder(6, 2, (5,)).double()).train()
    x = rows(4, 6)
    torch.manual_seed(3)
    out = module(x)
    torch.manual_seed(3)
    eps = torch.randn(4, 2, dtype=torch.float64)
    mean, log_var = module.encode_distribution(x)
    z = mean + torch.exp(0.5 * log_var) * eps
    torch.testing.assert_close(out[1], z)
    torch.testing.assert_close(out[2], mean)
    torch.testing.assert_close(out[3], log_var)
    torch.testing.assert_close(out[0], module.decode(z))


@pytest.mark.parametrize("noise", ["masking", "gaussian"])
def test_vae_corrupts_in_training_only(noise):
    module = randomize_(VariationalAutoencoder(6, 2, (5,), corruption=CorruptionConfig(noise, 0.5)).double())
    assert_corrupts_in_training_only(module, rows(40, 6), code_index=2)


# ---------------------------------------------------------------- PPCA start
def test_init_ppca_model_covariance_equals_pca():
    X = _ppca_data()
    module, pca = _ppca_vae(X, 2, 2)
    _, _, W, mu = _linear_weights(module)
    s2 = np.exp(module.log_noise_variance.item())
    np.testing.assert_allclose(s2, pca.noise_variance_, rtol=1e-12)
    np.testing.assert_allclose(W @ W.T + s2 * np.eye(6), pca.get_covariance(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(mu, pca.mean_, rtol=1e-12)


def test_init_ppca_posterior_is_the_exact_ppca_posterior():
    # Tipping & Bishop: q(z|x) = N(M^-1 W^T (x - mu), s2 M^-1), M = W^T W + s2 I
    X = _ppca_data()
    module, pca = _ppca_vae(X, 2, 2)
    _, _, W, mu = _linear_weights(module)
    s2 = pca.noise_variance_
    M = W.T @ W + s2 * np.eye(2)
    with torch.no_grad():
        mean, log_var = (t.numpy() for t in module.encode_distribution(torch.as_tensor(X)))
    np.testing.assert_allclose(mean, np.linalg.solve(M, W.T @ (X - mu).T).T, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(np.exp(log_var), np.broadcast_to(np.diag(s2 * np.linalg.inv(M)), (60, 2)), rtol=1e-9)


def _closed_form_elbo(module, X):
    """E_q[log p(x|z)] - KL(q || N(0, I)) for a linear decoder, from the module's parameters."""
    _, _, W, mu = _linear_weights(module)
    s2 = np.exp(module.log_noise_variance.item())
    with torch.no_grad():
        m, log_var = (t.numpy() for t in module.encode_distribution(torch.as_tensor(X)))
    S = np.exp(log_var)
    residual = ((X - m @ W.T - mu) ** 2).sum(axis=1) + S @ (W**2).sum(axis=0)
    expected_log_px = -0.5 * (residual / s2 + X.shape[1] * np.log(2 * np.pi * s2))
    kl = 0.5 * (m**2 + S - log_var - 1).sum(axis=1)
    return expected_log_px - kl


@pytest.mark.parametrize("n_components, n_pca", [(2, 2), (4, 2), (3, 3)])
def test_init_ppca_elbo_equals_ppca_log_likelihood(n_components, n_pca):
    X = _ppca_data()
    module, pca = _ppca_vae(X, n_components, n_pca)
    np.testing.assert_allclose(_closed_form_elbo(module, X), pca.score_samples(X), rtol=1e-9)


def test_init_ppca_extra_units_start_at_the_prior():
    X = _ppca_data()
    module, _ = _ppca_vae(X, 4, 2)
    _, _, W, _ = _linear_weights(module)
    with torch.no_grad():
        mean, log_var = (t.numpy() for t in module.encode_distribution(torch.as_tensor(X)))
    np.testing.assert_array_equal(mean[:, 2:], 0.0)
    np.testing.assert_array_equal(log_var[:, 2:], 0.0)
    np.testing.assert_array_equal(W[:, 2:], 0.0)


def test_init_ppca_switches_off_units_below_the_noise():
    X = _ppca_data()
    pca = PCA(3).fit(X)
    module = VariationalAutoencoder(6, 3).double()
    # a noise variance above the third eigenvalue switches the third unit off
    s2 = float(np.mean(pca.explained_variance_[1:]))
    module.init_ppca(pca.components_, pca.explained_variance_, pca.mean_, s2)
    _, _, W, _ = _linear_weights(module)
    with torch.no_grad():
        mean, log_var = (t.numpy() for t in module.encode_distribution(torch.as_tensor(X)))
    np.testing.assert_array_equal(W[:, 2], 0.0)
    np.testing.assert_array_equal(mean[:, 2], 0.0)
    np.testing.assert_array_equal(log_var[:, 2], 0.0)
    np.testing.assert_allclose(np.linalg.norm(W[:, 0]) ** 2, pca.explained_variance_[0] - s2, rtol=1e-10)


# ---------------------------------------------- mutation-testing survivors (benchmarks/results_mutation.md)
def test_vae_noise_defaults_and_corruption_arguments():
    assert VariationalAutoencoder(4, 2, corruption=CorruptionConfig("gaussian")).corruption.level == 0.0
    corruption = CorruptionConfig("masking", 0.5, fill=[1.0, 2.0, 3.0], scale=[4, 5, 6])
    module = VariationalAutoencoder(3, 2, corruption=corruption)
    assert torch.equal(module.corruption.fill, torch.tensor([1.0, 2.0, 3.0]))
    assert torch.equal(module.corruption.scale, torch.tensor([4.0, 5.0, 6.0]))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"likelihood": "poisson"}, r"^likelihood must be 'gaussian' or 'bernoulli', got 'poisson'\.$"),
        ({"noise_variance": "row"}, r"^noise_variance must be 'global' or 'feature', got 'row'\.$"),
    ],
)
def test_vae_errors_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VariationalAutoencoder(4, 2, **kwargs)


def test_vae_halves_mirror_the_hidden_widths_and_honour_linear_path():
    module = VariationalAutoencoder(10, 2, hidden_layer_sizes=(8, 4, 3))
    widths = [(m.in_features, m.out_features) for m in module.decoder.mlp if isinstance(m, torch.nn.Linear)]
    assert widths == [(2, 3), (3, 4), (4, 8), (8, 10)]
    plain = VariationalAutoencoder(10, 2, hidden_layer_sizes=(8,), linear_path=False)
    assert plain.encoder.linear is None and plain.decoder.linear is None


class _PCA:
    """The attributes of a fitted PCA that init_from_pca reads, set by hand."""

    def __init__(self, explained_variance, noise_variance, n_features=4):
        self.explained_variance_ = np.asarray(explained_variance, dtype=np.float64)
        self.noise_variance_ = noise_variance
        self.components_ = np.eye(n_features)[: len(explained_variance)]
        self.mean_ = np.zeros(n_features)


@pytest.mark.parametrize(
    "explained_variance, noise_variance, expected",
    [
        ([4.0, 2.0], 0.5, 0.5),  # PCA's noise variance, above the floor
        # the floor, 1e-6 of the mean feature variance (4 + 2 + 2 * 1e-6) / 4, above PCA's 1e-6
        ([4.0, 2.0], 1e-6, 1e-6 * (6.0 + 2e-6) / 4),
        ([0.04, 0.02], 0.0, 1e-6 * 0.06 / 4),  # nothing discarded, mean variance below 1
        ([0.0, 0.0], 0.0, 1.0),  # constant data: no variance at all
    ],
    ids=["pca_noise", "floor", "floor_small_variance", "constant"],
)
def test_init_from_pca_floors_the_noise_variance(explained_variance, noise_variance, expected):
    module = VariationalAutoencoder(4, 2).double()
    module.init_from_pca(_PCA(explained_variance, noise_variance))
    assert module.log_noise_variance.item() == pytest.approx(np.log(expected), rel=0, abs=1e-12)


def test_init_from_pca_is_init_ppca_with_the_pcas_values():
    X = _ppca_data()
    pca = PCA(2).fit(X)
    from_pca, by_hand = VariationalAutoencoder(6, 3).double(), VariationalAutoencoder(6, 3).double()
    from_pca.init_from_pca(pca)
    by_hand.init_ppca(pca.components_, pca.explained_variance_, pca.mean_, pca.noise_variance_)
    for got, expected in zip(_linear_weights(from_pca), _linear_weights(by_hand)):
        np.testing.assert_array_equal(got, expected)
