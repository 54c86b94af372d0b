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


def test_masking_at_the_defaults_restores_pixels_set_to_zero(digits, plain):
    # the default scaling and mask_value: masked pixels are 0 in the user's units, as when images lose pixels
    X_train, X_test = digits
    denoising = AutoencoderTransformer(**BASE, noise="masking", noise_level=0.5).fit(X_train)
    masked = np.where(np.random.default_rng(0).random(X_test.shape) < 0.5, 0.0, X_test)
    assert _error(denoising, masked, X_test) < 0.9 * _error(plain, masked, X_test)


@pytest.mark.parametrize("mask_value", [0.0, 3.0, "mean"])
def test_masked_entries_take_mask_value_in_the_input_units(digits, mask_value):
    X_train, _ = digits
    model = AutoencoderTransformer(**dict(BASE, max_epochs=0), noise="masking", noise_level=0.5, mask_value=mask_value)
    model.fit(X_train)
    corruption = model.net_.module_.corruption.train()
    clean = np.full((200, X_train.shape[1]), 1000.0)  # a value no mask takes
    x = torch.as_tensor((clean - model.scaling_offset_) / model.scaling_scale_, dtype=torch.float32)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        corrupted = corruption(x).numpy() * model.scaling_scale_ + model.scaling_offset_
    expected = X_train.mean(axis=0) if mask_value == "mean" else np.full(X_train.shape[1], mask_value)
    masked = ~np.isclose(corrupted, clean, rtol=1e-5)
    assert 0.3 < masked.mean() < 0.7
    np.testing.assert_allclose(corrupted[masked], np.broadcast_to(expected, corrupted.shape)[masked], atol=1e-4)


def test_gaussian_noise_is_relative_to_each_feature_std(digits):
    X_train, _ = digits
    model = AutoencoderTransformer(**dict(BASE, max_epochs=0), noise="gaussian", noise_level=0.5).fit(X_train)
    corruption = model.net_.module_.corruption.train()
    x = torch.zeros(4000, X_train.shape[1])
    with torch.random.fork_rng():
        torch.manual_seed(0)
        noise_in_input_units = corruption(x).numpy() * model.scaling_scale_
    std = X_train.std(axis=0)
    np.testing.assert_allclose(noise_in_input_units.std(axis=0), 0.5 * std, rtol=0.1, atol=1e-6)
    assert np.all(noise_in_input_units[:, std == 0] == 0)  # a constant feature gets no noise


def test_gaussian_brings_noisy_inputs_closer_to_clean(digits, plain):
    X_train, X_test = digits
    denoising = AutoencoderTransformer(**BASE, noise="gaussian", noise_level=1.0).fit(X_train)
    noisy = X_test + np.random.default_rng(1).normal(size=X_test.shape) * X_train.std(axis=0)
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
    filled = Corruption("masking", 0.25, fill=torch.full((500,), 7.0)).train()(x)
    assert set(filled.unique().tolist()) == {1.0, 7.0}


def test_masking_level_must_be_a_probability(digits):
    X_train, _ = digits
    with pytest.raises(ValueError, match="noise_level < 1"):
        AutoencoderTransformer(**dict(BASE, max_epochs=1), noise="masking", noise_level=1.0).fit(X_train)


def test_early_stopping_scores_a_denoiser_on_corrupted_validation_rows(digits, plain):
    # scored on clean rows, the PCA start would win and the kept model would not denoise at all
    X_train, X_test = digits
    params = {**BASE, "early_stopping": True, "n_iter_no_change": 5}
    denoising = AutoencoderTransformer(**params, noise="masking", noise_level=0.5).fit(X_train)
    assert denoising.best_epoch_ > 0
    masked = np.where(np.random.default_rng(0).random(X_test.shape) < 0.5, 0.0, X_test)
    assert _error(denoising, masked, X_test) < 0.9 * _error(plain, masked, X_test)


def test_seeded_corruption_repeats_and_acts_in_evaluation_mode_only_inside_the_block():
    corruption = Corruption("masking", 0.5).eval()
    x = torch.ones(50, 20)
    assert torch.equal(corruption(x), x)
    with corruption.seeded(3):
        first = corruption(x)
    with corruption.seeded(3):
        second = corruption(x)
    assert torch.equal(first, second) and not torch.equal(first, x)
    assert torch.equal(corruption(x), x)
