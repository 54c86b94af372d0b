"""Layer matching (seed 003): each decoder layer learns to mean what its mirrored encoder layer means."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from sklearn_ae import AutoencoderTransformer
from sklearn_ae._losses import layer_matching_losses
from sklearn_ae.nn import ConvAutoencoder, DenseAutoencoder

BASE = dict(
    n_components=8, hidden_layer_sizes=(32, 16), activation="tanh", max_epochs=20, early_stopping=False, random_state=0
)


def _mismatch(model, X):
    """Mean squared distance per hidden layer between encoder and mirrored decoder activations (no grad)."""
    module = model.net_.module_.eval()
    x = torch.as_tensor((X - model.scaling_offset_) / model.scaling_scale_, dtype=torch.float32)
    with torch.no_grad():
        z, enc = module.encoder.forward_hidden(x)
        _, dec = module.decoder.forward_hidden(z)
    return np.array([((e - d) ** 2).mean().item() for e, d in zip(enc, dec[::-1])])


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits(return_X_y=True)
    return X[:1000].astype(np.float64), X[1000:1300].astype(np.float64)


@pytest.mark.parametrize("local", [False, True])
def test_layer_matching_shrinks_every_layer_mismatch(digits, local):
    X_train, X_test = digits
    plain = AutoencoderTransformer(**BASE).fit(X_train)
    matched = AutoencoderTransformer(**BASE, layer_matching=1.0, layer_matching_local=local).fit(X_train)
    assert np.all(_mismatch(matched, X_test) < 0.5 * _mismatch(plain, X_test))
    assert "train_layer_matching" in matched.net_.history[-1]


def _grads_of_pair(module, x, pair):
    module.zero_grad()
    _, _, pairs = module(x)
    layer_matching_losses(pairs)[pair].backward()
    return {name: (p.grad is not None and bool(p.grad.abs().sum() > 0)) for name, p in module.named_parameters()}


def test_local_inner_pair_leaves_outer_layers_untouched():
    torch.manual_seed(0)
    x = torch.randn(16, 20)
    local = DenseAutoencoder(20, 3, (12, 6), match_layers="local", linear_path=True)
    glob = DenseAutoencoder(20, 3, (12, 6), match_layers="global", linear_path=True)
    glob.load_state_dict(local.state_dict())
    for m in (local, glob):  # move off the zero-initialised residual output layer
        torch.nn.init.normal_(m.encoder.mlp[-1].weight, std=0.3)
        torch.nn.init.normal_(m.decoder.mlp[-1].weight, std=0.3)
    # encoder mlp: [Linear(20,12), act, Linear(12,6), act, Linear(6,3)]; decoder: [Linear(3,6), act, Linear(6,12), ...]
    outer = ["encoder.mlp.0.weight", "encoder.linear.weight", "decoder.mlp.2.weight", "decoder.mlp.4.weight"]
    inner = ["encoder.mlp.4.weight", "decoder.mlp.0.weight"]
    g_local = _grads_of_pair(local, x, pair=1)  # the inner pair: width 6
    g_glob = _grads_of_pair(glob, x, pair=1)
    assert not any(g_local[name] for name in outer)
    assert all(g_local[name] for name in inner)
    assert g_glob["encoder.mlp.0.weight"] and g_glob["encoder.linear.weight"]  # global: everything moves
    # the outer pair trains the layers between its members, never the first encoder layer
    g_outer = _grads_of_pair(local, x, pair=0)
    assert not g_outer["encoder.mlp.0.weight"] and not g_outer["encoder.linear.weight"]
    assert g_outer["encoder.mlp.2.weight"] and g_outer["decoder.mlp.2.weight"]


def test_pairs_are_mirrored_shapes():
    dense = DenseAutoencoder(20, 3, (12, 6), match_layers="global")
    assert [tuple(e.shape) for e, _ in dense(torch.randn(4, 20))[2]] == [(4, 12), (4, 6)]
    for e, d in dense(torch.randn(4, 20))[2]:
        assert e.shape == d.shape
    conv = ConvAutoencoder(2 * 9 * 7, 3, (2, 9, 7), channels=(4, 5), match_layers="local")
    pairs = conv(torch.randn(4, 126))[2]
    assert [tuple(e.shape) for e, _ in pairs] == [(4, 4, 6, 4), (4, 5, 3, 2)]
    for e, d in pairs:
        assert e.shape == d.shape


def test_layer_matching_needs_hidden_layers(digits):
    with pytest.raises(ValueError, match="needs hidden layers"):
        AutoencoderTransformer(hidden_layer_sizes=(), layer_matching=1.0, max_epochs=1).fit(digits[0])
