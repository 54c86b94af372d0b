"""Sparse autoencoder: sparsity (L1 on the code, or KL to sparsity_target)."""

import numpy as np
import pytest
import torch
from scipy.special import expit

from sklearn_ae import AutoencoderTransformer
from sklearn_ae._losses import kl_sparsity, l1_sparsity

BASE = dict(n_components=16, hidden_layer_sizes=(32,), max_epochs=20, early_stopping=False, random_state=0)


@pytest.fixture(scope="module")
def plain(digits):
    return AutoencoderTransformer(**BASE).fit(digits[0])


def test_l1_code_has_more_near_zero_activations(digits, plain):
    X_train, X_test = digits
    sparse = AutoencoderTransformer(**BASE, sparsity=0.05).fit(X_train)
    Z_plain, Z_sparse = plain.transform(X_test), sparse.transform(X_test)
    # near zero: below a tenth of the plain code's root mean square (both codes live in the same scaled space)
    threshold = 0.1 * np.sqrt((Z_plain**2).mean())
    assert (np.abs(Z_sparse) < threshold).mean() > 2 * (np.abs(Z_plain) < threshold).mean()
    assert "train_sparsity" in sparse.net_.history[-1]


def test_kl_target_sets_mean_activation(digits, plain):
    X_train, X_test = digits
    sparse = AutoencoderTransformer(**BASE, sparsity=0.1, sparsity_target=0.05).fit(X_train)
    rho_plain = expit(plain.transform(X_test)).mean(axis=0)
    rho_sparse = expit(sparse.transform(X_test)).mean(axis=0)
    assert np.abs(rho_sparse - 0.05).max() < 0.5 * np.abs(rho_plain - 0.05).min()
    # and the activations sigmoid(code) are near zero far more often
    assert (expit(sparse.transform(X_test)) < 0.1).mean() > 2 * (expit(plain.transform(X_test)) < 0.1).mean()


def test_penalties_by_hand():
    z = torch.tensor([[1.0, -2.0, 0.0], [0.5, 0.0, -1.5]])
    assert l1_sparsity(z).item() == pytest.approx((3.0 + 2.0) / 2)
    rho = 1 / (1 + np.exp(-z.numpy()))
    rho = rho.mean(axis=0)
    t = 0.2
    expected = np.sum(t * np.log(t / rho) + (1 - t) * np.log((1 - t) / (1 - rho)))
    assert kl_sparsity(z, t).item() == pytest.approx(expected, rel=1e-5)
    # zero exactly at the target
    target_logit = float(np.log(t / (1 - t)))
    assert kl_sparsity(torch.full((4, 3), target_logit), t).item() == pytest.approx(0.0, abs=1e-6)


def test_criterion_adds_weighted_penalty(digits):
    X_train, _ = digits
    model = AutoencoderTransformer(**dict(BASE, max_epochs=1), sparsity=0.3).fit(X_train)
    x = torch.as_tensor((X_train[:50] - model.scaling_offset_) / model.scaling_scale_, dtype=torch.float32)
    module, criterion = model.net_.module_.eval(), model.net_.criterion_
    with torch.no_grad():
        out = criterion(module(x), x, module)
        z = module.encode(x)
        recon = ((module.decode(z) - x) ** 2).mean()
    assert out["sparsity"].item() == pytest.approx(z.abs().sum(1).mean().item(), rel=1e-5)
    assert out["loss"].item() == pytest.approx(recon.item() + 0.3 * out["sparsity"].item(), rel=1e-5)
