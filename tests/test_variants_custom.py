"""Custom networks: the user's encoder and decoder classes, arguments routed as encoder__<name>."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks
from torch import nn

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.nn import CustomAutoencoder


class Encoder(nn.Module):
    def __init__(self, n_features, n_components, width=16, activation="tanh"):
        super().__init__()
        self.width = width
        act = nn.Tanh() if activation == "tanh" else nn.ReLU()
        self.net = nn.Sequential(nn.Linear(n_features, width), act, nn.Linear(width, n_components))

    def forward(self, x):
        return self.net(x)


class Decoder(nn.Module):
    def __init__(self, n_components, out_features):  # no n_features: it is passed as a routed argument
        super().__init__()
        self.net = nn.Linear(n_components, out_features)

    def forward(self, z):
        return self.net(z)


class LinearDecoder(nn.Module):
    def __init__(self, n_features, n_components):
        super().__init__()
        self.net = nn.Linear(n_components, n_features)

    def forward(self, z):
        return self.net(z)


class BadEncoder(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.net = nn.Linear(n_features, 3)

    def forward(self, x):
        return self.net(x)


@pytest.fixture(scope="module")
def X():
    return load_digits(return_X_y=True)[0][:300].astype(np.float64)


FAST = dict(n_components=4, max_epochs=2, random_state=0)


def test_arguments_reach_the_modules(X):
    model = AutoencoderTransformer(
        encoder=Encoder, decoder=Decoder, encoder_kwargs={"width": 7}, decoder_kwargs={"out_features": 64}, **FAST
    ).fit(X)
    module = model.net_.module_
    assert isinstance(module, CustomAutoencoder)
    assert module.encoder.width == 7 and module.encoder.net[0].in_features == 64
    assert module.decoder.net.out_features == 64
    assert model.network_.spec.init == "random"
    assert model.transform(X).shape == (300, 4)
    restored = pickle.loads(pickle.dumps(model))
    assert isinstance(restored.net_.module_.encoder, Encoder) and restored.net_.module_.encoder.width == 7
    np.testing.assert_array_equal(restored.transform(X), model.transform(X))
    codes = model.transform(X[:20])
    np.testing.assert_array_equal(restored.inverse_transform(codes), model.inverse_transform(codes))
    np.testing.assert_array_equal(restored.score_samples(X[:20]), model.score_samples(X[:20]))


def test_routed_get_set_params_and_clone(X):
    model = AutoencoderTransformer(encoder=Encoder, decoder=Decoder, decoder_kwargs={"out_features": 64}, **FAST)
    model.set_params(encoder__width=5, encoder__activation="relu")
    params = model.get_params()
    assert params["encoder__width"] == 5 and params["decoder__out_features"] == 64
    assert "encoder__width" not in model.get_params(deep=False)
    assert model.encoder_kwargs == {"width": 5, "activation": "relu"}
    cloned = clone(model)
    assert cloned.encoder_kwargs == model.encoder_kwargs and cloned.encoder_kwargs is not model.encoder_kwargs
    original = dict(model.encoder_kwargs)
    cloned.set_params(encoder__width=9)
    assert model.encoder_kwargs == original  # set_params never mutates a shared dict


def test_grid_search_over_routed_arguments(X):
    model = AutoencoderTransformer(encoder=Encoder, decoder=Decoder, decoder_kwargs={"out_features": 64}, **FAST)
    search = GridSearchCV(model, {"encoder__width": [2, 12]}, cv=2).fit(X)
    assert [p["encoder__width"] for p in search.cv_results_["params"]] == [2, 12]
    best = search.best_estimator_
    assert best.net_.module_.encoder.width == search.best_params_["encoder__width"]


def test_errors(X):
    with pytest.raises(ValueError, match="returned codes of shape"):
        AutoencoderTransformer(encoder=BadEncoder, decoder=Decoder, decoder_kwargs={"out_features": 64}, **FAST).fit(X)
    with pytest.raises(ValueError, match="returned 10 values per row"):
        AutoencoderTransformer(encoder=Encoder, decoder=Decoder, decoder_kwargs={"out_features": 10}, **FAST).fit(X)
    with pytest.raises(ValueError, match="both encoder and decoder"):
        AutoencoderTransformer(encoder=Encoder, **FAST).fit(X)
    with pytest.raises(ValueError, match="no custom network"):
        AutoencoderTransformer(encoder_kwargs={"width": 3}, **FAST).fit(X)
    with pytest.raises(ValueError, match="not available with a custom"):
        AutoencoderTransformer(encoder=Encoder, decoder=Decoder, tied_weights=True, **FAST).fit(X)
    with pytest.raises(ValueError, match="init='pca'"):
        AutoencoderTransformer(encoder=Encoder, decoder=Decoder, init="pca", **FAST).fit(X)
    with pytest.raises(TypeError, match="torch.nn.Module subclass"):
        AutoencoderTransformer(encoder=int, decoder=Decoder, **FAST).fit(X)


# Every scikit-learn check with a custom network on (the checks vary n_features, which the modules adapt to).
CHECKED = AutoencoderTransformer(
    encoder=Encoder,
    decoder=LinearDecoder,
    encoder_kwargs={"width": 6},
    max_epochs=3,
    batch_size=16,
    noise="gaussian",
    contractive=0.01,
)


@parametrize_with_checks([CHECKED], legacy=True)
def test_sklearn_checks_with_a_custom_network(estimator, check):
    check(estimator)
