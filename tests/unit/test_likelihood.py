"""Unit tests of sklearn_ae._likelihood against numpy, scipy and finite differences."""

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from sklearn.decomposition import PCA
from torch import nn
from unit_helpers import randomize_, rows

from sklearn_ae._likelihood import (
    activation_width,
    fit_gaussian,
    gaussian_logpdf,
    half_log_volume,
    jacobian_batch_size,
    noise_variance,
)


def _codes(n=50, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, k)) @ rng.normal(size=(k, k)) + rng.normal(size=k)


@pytest.mark.parametrize("k", [1, 3])
def test_fit_gaussian_matches_numpy(k):
    Z = _codes(k=k)
    mean, cov = fit_gaussian(Z)
    np.testing.assert_allclose(mean, Z.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(cov, np.atleast_2d(np.cov(Z, rowvar=False, ddof=1)), rtol=1e-6, atol=1e-8)
    assert cov.shape == (k, k)


@pytest.mark.parametrize("Z", [np.array([[1.0, -2.0, 0.5]]), np.full((10, 3), 4.0)], ids=["one_sample", "constant"])
def test_fit_gaussian_stays_positive_definite(Z):
    mean, cov = fit_gaussian(Z)
    np.testing.assert_allclose(mean, Z[0])
    np.testing.assert_allclose(cov, cov.T)
    assert np.linalg.eigvalsh(cov).min() > 0
    np.linalg.cholesky(cov)


@pytest.mark.parametrize("k", [1, 3])
def test_gaussian_logpdf_matches_scipy(k):
    Z = _codes(k=k)
    rng = np.random.default_rng(1)
    A = rng.normal(size=(k, k))
    mean, cov = rng.normal(size=k), A @ A.T + 0.1 * np.eye(k)
    expected = np.atleast_1d(multivariate_normal(mean, cov).logpdf(Z))
    np.testing.assert_allclose(gaussian_logpdf(Z, mean, cov), expected, rtol=1e-10)


@torch.no_grad()
def _finite_difference_half_log_volume(decode, z, h=1e-5):
    out = []
    for row in z:
        columns = []
        for j in range(row.shape[0]):
            step = torch.zeros_like(row)
            step[j] = h
            columns.append((decode((row + step)[None])[0] - decode((row - step)[None])[0]) / (2 * h))
        J = torch.stack(columns, dim=1).numpy()
        out.append(0.5 * np.linalg.slogdet(J.T @ J)[1])
    return np.array(out)


def test_half_log_volume_matches_finite_differences():
    torch.manual_seed(0)
    decoder = randomize_(nn.Sequential(nn.Linear(2, 6), nn.Tanh(), nn.Linear(6, 5)).double(), scale=1.0)
    z = rows(4, 2)
    expected = _finite_difference_half_log_volume(decoder, z)
    np.testing.assert_allclose(half_log_volume(decoder, z).detach().numpy(), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("scale", [1.0, 2.5])
def test_half_log_volume_of_scaled_orthonormal_columns(scale):
    Q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(6, 3)))
    decoder = nn.Linear(3, 6).double()
    with torch.no_grad():
        decoder.weight.copy_(torch.as_tensor(scale * Q))
    got = half_log_volume(decoder, rows(5, 3)).detach().numpy()
    # J = scale * Q, J^T J = scale^2 I_3: half the log-determinant is 3 log(scale), exactly 0 for scale 1
    np.testing.assert_allclose(got, np.full(5, 3 * np.log(scale)), rtol=0, atol=1e-12)


@pytest.mark.parametrize("width, n_components, budget", [(784, 8, 2**24), (10, 3, 100), (7, 1, 14), (5, 5, 1000)])
def test_jacobian_batch_size_fills_the_budget(width, n_components, budget):
    per_row = 2 * width * n_components
    rows_per_batch = jacobian_batch_size(n_components, width, budget)
    assert rows_per_batch * per_row <= budget < (rows_per_batch + 1) * per_row


def test_jacobian_batch_size_is_at_least_one():
    assert jacobian_batch_size(1000, 1000, budget=100) == 1


def test_activation_width_counts_every_layer_output_per_row():
    decoder = nn.Sequential(nn.Linear(3, 50), nn.ReLU(), nn.Linear(50, 7))
    # outputs per row: 50 (linear) + 50 (relu) + 7 (linear) + 7 (the Sequential itself)
    width = activation_width(decoder, lambda m, z: m(z), torch.zeros(4, 3))
    assert width == 50 + 50 + 7 + 7


def test_half_log_volume_falls_back_when_vmap_cannot_vectorise():
    linear = nn.Linear(3, 6).double()

    def decode(z):
        if z.sum() > 1e9:  # data-dependent control flow: torch.func.vmap refuses it
            return z.new_zeros(z.shape[0], 6)
        return linear(z)

    z = rows(4, 3)
    expected = half_log_volume(linear, z)
    np.testing.assert_allclose(half_log_volume(decode, z).detach().numpy(), expected.detach().numpy(), rtol=1e-12)


# ---------------------------------------------- mutation-testing survivors (benchmarks/results_mutation.md)
def test_fit_gaussian_of_float32_codes_is_computed_in_float64():
    Z = _codes().astype(np.float32)
    mean, cov = fit_gaussian(Z)
    expected_mean, expected_cov = fit_gaussian(Z.astype(np.float64))
    assert mean.dtype == cov.dtype == np.float64
    np.testing.assert_array_equal(mean, expected_mean)
    np.testing.assert_array_equal(cov, expected_cov)


def test_fit_gaussian_of_two_rows_is_their_sample_covariance():
    Z = np.array([[1.0, -2.0], [3.0, 0.5]])
    _, cov = fit_gaussian(Z)
    np.testing.assert_allclose(cov, np.cov(Z, rowvar=False), rtol=1e-6)


@pytest.mark.parametrize("spread", [1e-3, 10.0], ids=["small_variance", "large_variance"])
def test_fit_gaussian_ridge_is_1e_9_of_the_mean_variance_at_least_1e_9(spread):
    Z = spread * _codes()
    _, cov = fit_gaussian(Z)
    sample = np.cov(Z, rowvar=False)
    ridge = 1e-9 * max(np.trace(sample) / 3, 1.0)
    np.testing.assert_allclose(np.diag(cov - sample), np.full(3, ridge), rtol=1e-4)
    np.testing.assert_allclose(fit_gaussian(np.zeros((1, 2)))[1], 1e-9 * np.eye(2), rtol=0, atol=0)


def test_activation_width_of_one_number_per_row_and_of_one_row():
    linear = nn.Linear(1, 1)
    assert activation_width(linear, lambda m, z: m(z), torch.zeros(4, 1)) == 1
    decoder = nn.Sequential(nn.Linear(3, 50), nn.ReLU(), nn.Linear(50, 7))
    assert activation_width(decoder, lambda m, z: m(z), torch.zeros(1, 3)) == 50 + 50 + 7 + 7


# ------------------------------------------------------------------------------ the noise variance
def test_noise_variance_without_validation_rows_is_pcas():
    """The training estimate is PCA's ``noise_variance_``: the mean discarded eigenvalue."""
    X = _codes(n=40, k=6, seed=3)
    k = 2
    pca = PCA(k).fit(X)
    residual = X - pca.inverse_transform(pca.transform(X))
    squared_error = (residual**2).sum(axis=1)
    for validation in (None, np.array([], dtype=int)):
        assert noise_variance(squared_error, 6 - k, validation) == pytest.approx(pca.noise_variance_, rel=1e-10)


def test_noise_variance_on_validation_rows_is_their_mean_per_direction():
    squared_error = np.array([1.0, 2.0, 3.0, 30.0, 50.0])
    # rows 3 and 4 held out, 5 directions each: (30 + 50) / (5 * 2)
    assert noise_variance(squared_error, 5, np.array([3, 4])) == pytest.approx(8.0, rel=1e-12)
    assert noise_variance(squared_error, 5, [0]) == pytest.approx(0.2, rel=1e-12)


def test_noise_variance_is_floored():
    assert noise_variance(np.zeros(4), 3) == 1e-10
    assert noise_variance(np.zeros(4), 3, np.array([1])) == 1e-10


def test_noise_variance_is_at_least_the_floor():
    squared_error = np.array([1.0, 1.0, 1.0, 20.0, 20.0])  # by hand: validation [3, 4] -> 40 / (5 * 2) = 4.0
    assert noise_variance(squared_error, 5, np.array([3, 4]), floor=3.0) == pytest.approx(4.0, rel=1e-12)
    assert noise_variance(squared_error, 5, np.array([3, 4]), floor=6.5) == 6.5
    assert noise_variance(squared_error, 5, [0], floor=0.5) == 0.5  # 1 / 5 = 0.2 < 0.5
    assert noise_variance(np.zeros(4), 3, floor=0.0) == 1e-10
