"""Contractive autoencoder: the squared Frobenius norm of the encoder's Jacobian."""

import copy

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from sklearn_ae import AutoencoderTransformer
from sklearn_ae._losses import contractive_penalty
from sklearn_ae.nn import ConvAutoencoder, DenseAutoencoder
from sklearn_ae.nn._dense import autograd_jacobian

BASE = dict(n_components=8, hidden_layer_sizes=(32,), max_epochs=20, early_stopping=False, random_state=0)


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits(return_X_y=True)
    return X[:1000].astype(np.float64), X[1000:1300].astype(np.float64)


def _jacobian_norm(model, X):
    """Mean squared Frobenius norm of d transform / d x (scaled space), by torch.autograd.functional.jacobian."""
    module = copy.deepcopy(model.net_.module_).double().eval()
    x = torch.as_tensor((X - model.scaling_offset_) / model.scaling_scale_)
    norms = [torch.autograd.functional.jacobian(module.encode, row[None]).pow(2).sum().item() for row in x]
    return float(np.mean(norms))


def test_contractive_encoder_has_smaller_jacobian(digits):
    X_train, X_test = digits
    plain = AutoencoderTransformer(**BASE).fit(X_train)
    contractive = AutoencoderTransformer(**BASE, contractive=0.1).fit(X_train)
    assert _jacobian_norm(contractive, X_test) < 0.7 * _jacobian_norm(plain, X_test)
    assert "train_contractive" in contractive.net_.history[-1]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "elu", "gelu", "identity"])
@pytest.mark.parametrize("options", [dict(linear_path=True), dict(linear_path=False), dict(tied_weights=True)])
def test_closed_form_jacobian_matches_autograd(activation, options):
    torch.manual_seed(0)
    module = DenseAutoencoder(12, 3, (7, 5), activation, **options).double()
    for p in module.parameters():  # move off the zero initialisations so every path counts
        torch.nn.init.normal_(p, std=0.5)
    x = torch.randn(6, 12, dtype=torch.float64)
    closed = module.encoder_jacobian(x)
    reference = autograd_jacobian(module.encode, x)
    torch.testing.assert_close(closed, reference)
    # and the gradient of the penalty agrees with the autograd penalty's
    g1 = torch.autograd.grad(contractive_penalty(module, x), list(module.parameters()), allow_unused=True)
    g2 = torch.autograd.grad(
        autograd_jacobian(module.encode, x).pow(2).sum() / 6, list(module.parameters()), allow_unused=True
    )
    for a, b in zip(g1, g2):
        if a is None or b is None:
            assert (a is None or not a.any()) and (b is None or not b.any())
        else:
            torch.testing.assert_close(a, b)


def test_conv_jacobian_by_autograd_matches_per_row_jacobian():
    torch.manual_seed(0)
    module = ConvAutoencoder(3 * 5 * 7, 4, (3, 5, 7), channels=(2, 3)).double()
    x = torch.randn(3, 105, dtype=torch.float64)
    J = module.encoder_jacobian(x)
    for i in range(3):
        ref = torch.autograd.functional.jacobian(module.encode, x[i : i + 1])[0, :, 0, :]
        torch.testing.assert_close(J[i], ref)
