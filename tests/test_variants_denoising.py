"""Denoising autoencoder: noise="gaussian"/"masking" corrupts training inputs only."""

import numpy as np
import pytest
import torch

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.nn import Corruption

BASE = dict(n_components=8, hidden_layer_sizes=(32,), max_epochs=15, early_stopping=False, random_state=0)


@pytest.fixture(scope="module")
def plain(digits):
    return AutoencoderTransformer(**BASE).fit(digits[0])


def _error(model, X_in, X_clean):
    return float(((model.inverse_transform(model.transform(X_in)) - X_clean) ** 2).mean())


def test_masking_brings_masked_inputs_closer_to_clean(digits, plain):
    X_train, X_test = digits
    denoising = AutoencoderTransformer(**BASE, noise="masking", noise_level=0.5).fit(X_train)
    rng = np.random.default_rng(0)
    # the same corruption as in training: an entry set to 0 in the scaled space, its training mean
    masked = np.where(rng.random(X_test.shape) < 0.5, plain.scaling_offset_, X_test)
    assert _error(denoising, masked, X_test) < 0.95 * _error(plain, masked, X_test)


def test_gaussian_brings_noisy_inputs_closer_to_clean(digits, plain):
    X_train, X_test = digits
    denoising = AutoencoderTransformer(**BASE, noise="gaussian", noise_level=1.0).fit(X_train)
    rng = np.random.default_rng(1)
    noisy = X_test + rng.normal(size=X_test.shape) * plain.scaling_scale_
    assert _error(denoising, noisy, X_test) < _error(plain, noisy, X_test)


def test_noise_only_in_training_and_reproducible(digits):
    X_train, X_test = digits
    params = dict(BASE, max_epochs=2, noise="gaussian", noise_level=0.5)
    state = torch.random.get_rng_state()
    a = AutoencoderTransformer(**params).fit(X_train)
    b = AutoencoderTransformer(**params).fit(X_train)
    assert torch.equal(torch.random.get_rng_state(), state)  # the user's global RNG is untouched
    np.testing.assert_array_equal(a.transform(X_test), b.transform(X_test))
    np.testing.assert_array_equal(a.transform(X_test), a.transform(X_test))  # no noise at transform time
    clean = AutoencoderTransformer(**dict(params, noise=None)).fit(X_train)
    assert not np.allclose(a.loss_curve_, clean.loss_curve_)  # the noise did change training


def test_corruption_layer_statistics():
    x = torch.ones(200, 500)
    masking = Corruption("masking", 0.25).train()
    kept = (masking(x) != 0).double().mean().item()
    assert kept == pytest.approx(0.75, abs=0.01)
    gaussian = Corruption("gaussian", 0.5).train()
    assert (gaussian(x) - x).std().item() == pytest.approx(0.5, rel=0.02)
    assert torch.equal(masking.eval()(x), x) and torch.equal(gaussian.eval()(x), x)


def test_masking_level_must_be_a_probability(digits):
    X_train, _ = digits
    with pytest.raises(ValueError, match="noise_level < 1"):
        AutoencoderTransformer(**dict(BASE, max_epochs=1), noise="masking", noise_level=1.0).fit(X_train)
