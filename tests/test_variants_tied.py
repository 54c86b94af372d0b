"""Tied weights: each decoder layer uses its mirrored encoder layer's weight, transposed, in the same storage."""

import copy
import pickle

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.nn import ConvAutoencoder, DenseAutoencoder, TiedLinear
from sklearn_ae.nn._conv import TiedConvTranspose2d


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


def _tied_layers(module):
    return [m for m in module.modules() if isinstance(m, (TiedLinear, TiedConvTranspose2d))]


def _assert_tied(module):
    tied = _tied_layers(module)
    assert tied
    for layer in tied:
        assert layer.weight.data_ptr() == layer.source.weight.data_ptr()
        assert isinstance(layer.source.weight, torch.nn.Parameter)
    return tied


@pytest.mark.parametrize("linear_path", [True, False])
def test_dense_parameter_count_drops_by_the_mirrored_weights(linear_path):
    d, k, hidden = 64, 8, (32, 16)
    untied = DenseAutoencoder(d, k, hidden, linear_path=linear_path)
    tied = DenseAutoencoder(d, k, hidden, linear_path=linear_path, tied_weights=True)
    sizes = (d, *hidden, k)
    decoder_weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) + (d * k if linear_path else 0)
    gates = 2 if linear_path else 0  # the scalar gates of the two nonlinear residuals
    assert _n_params(tied) == _n_params(untied) - decoder_weights + gates
    tied_layers = _assert_tied(tied)
    assert len(tied_layers) == len(hidden) + 1 + int(linear_path)
    # the decoder's weight is the encoder's transposed: decoder layer j mirrors encoder layer L-j
    enc = [m for m in tied.encoder.mlp if isinstance(m, torch.nn.Linear)]
    dec = [m for m in tied.decoder.mlp if isinstance(m, TiedLinear)]
    for e, t in zip(reversed(enc), dec):
        assert t.weight.shape == e.weight.T.shape and torch.equal(t.weight, e.weight.T)


def test_training_keeps_one_parameter_and_copies_stay_tied():
    X, _ = load_digits(return_X_y=True)
    model = AutoencoderTransformer(
        n_components=4, hidden_layer_sizes=(16,), max_epochs=3, tied_weights=True, random_state=0
    ).fit(X[:300])
    module = model.net_.module_
    _assert_tied(module)
    optimizer_params = [p for g in model.net_.optimizer_.param_groups for p in g["params"]]
    assert len(optimizer_params) == len({id(p) for p in optimizer_params}) == len(list(module.parameters()))
    for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module)), model.network_.module_as(np.float64)):
        _assert_tied(clone)
    # float64 inference (a converted copy) agrees with float32 inference
    np.testing.assert_allclose(model.transform(X[:50]), model.transform(X[:50].astype(np.float32)), atol=1e-4)


def test_tied_pca_start_is_pca():
    X, _ = load_digits(return_X_y=True)
    X = X[:500].astype(np.float64)
    model = AutoencoderTransformer(
        n_components=5, hidden_layer_sizes=(16,), max_epochs=0, tied_weights=True, random_state=0
    ).fit(X)
    pca = PCA(n_components=5).fit(X)
    np.testing.assert_allclose(
        model.inverse_transform(model.transform(X)), pca.inverse_transform(pca.transform(X)), atol=1e-6
    )


def test_conv_tied_shares_kernels():
    untied = ConvAutoencoder(3 * 10 * 9, 6, (3, 10, 9), channels=(4, 8))
    tied = ConvAutoencoder(3 * 10 * 9, 6, (3, 10, 9), channels=(4, 8), tied_weights=True)
    convs = [m for m in tied.encoder.net if isinstance(m, torch.nn.Conv2d)]
    saved = sum(c.weight.numel() for c in convs) + tied.encoder.net[-1].weight.numel()
    assert _n_params(tied) == _n_params(untied) - saved
    _assert_tied(tied)
    recon, code = tied(torch.randn(2, 270))[:2]
    assert recon.shape == (2, 270) and code.shape == (2, 6)
