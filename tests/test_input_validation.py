"""Bad input gets a clear error; training that diverges says so; nothing is silently NaN."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError

from sklearn_ae import AutoencoderTransformer

X, _ = load_digits(return_X_y=True)
X = X[:200]
FAST = {"max_epochs": 3, "hidden_layer_sizes": (16,), "random_state": 0}


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.full((5, 3), np.nan), "NaN"),
        (np.full((5, 3), np.inf), "infinity"),
        (np.empty((0, 3)), "0 sample"),
        (np.arange(5.0), "Expected 2D array, got 1D array"),
        (np.array([["a", "b"], ["c", "d"]]), "could not convert string"),
        (np.ones((5, 3)) + 1j, "Complex data not supported"),
    ],
)
def test_bad_training_input(bad, message):
    with pytest.raises(ValueError, match=message):
        AutoencoderTransformer(**FAST).fit(bad)


def test_wrong_number_of_features_at_transform():
    ae = AutoencoderTransformer(**FAST).fit(X)
    with pytest.raises(ValueError, match="X has 10 features, but AutoencoderTransformer is expecting 64"):
        ae.transform(X[:, :10])
    with pytest.raises(ValueError, match="expects 2"):
        ae.inverse_transform(np.zeros((3, 5)))


def test_unfitted():
    with pytest.raises(NotFittedError):
        AutoencoderTransformer().transform(X)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_components": 0}, "n_components"),
        ({"lr": -1.0}, "lr"),
        ({"activation": "swish"}, "activation"),
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"device": "tpu"}, "device"),
        ({"hidden_layer_sizes": (10, -2)}, "hidden_layer_sizes"),
    ],
)
def test_invalid_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        AutoencoderTransformer(**{**FAST, **params}).fit(X)


def test_bce_needs_unit_interval():
    with pytest.raises(ValueError, match=r"loss='bce' needs X in \[0, 1\]"):
        AutoencoderTransformer(loss="bce", **FAST).fit(X)
    with pytest.raises(ValueError, match="scaling=None or 'minmax'"):
        AutoencoderTransformer(loss="bce", scaling="standard", **FAST).fit(X / 16)


def test_diverging_fit_raises_and_suggests_smaller_lr():
    with pytest.raises(FloatingPointError, match="diverged.*smaller lr"):
        AutoencoderTransformer(lr=1e4, optimizer="sgd", init="random", **{**FAST, "max_epochs": 20}).fit(X * 1e3)


def test_constant_feature_stays_finite_and_small():
    Xc = X.copy()
    Xc[:, 0] = 5.0
    for scaling in ["global", "standard", "minmax", None]:
        ae = AutoencoderTransformer(2, scaling=scaling, **FAST).fit(Xc)
        X_test = Xc[:10].copy()
        X_test[:, 0] = 6.0  # the constant feature moves at test time
        codes = ae.transform(X_test)
        assert np.all(np.isfinite(codes))
        # A change of 1 in one feature must not move the codes by orders of magnitude.
        assert np.abs(codes - ae.transform(Xc[:10])).max() < 10 * np.abs(ae.transform(Xc)).max()
        assert np.all(np.isfinite(ae.score_samples(X_test)))


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_input_equals_dense(fmt):
    dense = AutoencoderTransformer(3, **FAST).fit(X)
    sparse = AutoencoderTransformer(3, **FAST).fit(sp.csr_matrix(X).asformat(fmt))
    np.testing.assert_allclose(sparse.transform(sp.csr_matrix(X).asformat(fmt)), dense.transform(X), atol=1e-6)
    np.testing.assert_allclose(sparse.score_samples(sp.csr_matrix(X)), dense.score_samples(X), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    ae = AutoencoderTransformer(3, **FAST).fit(X.astype(dtype))
    assert ae.transform(X.astype(dtype)).dtype == dtype
    assert ae.inverse_transform(ae.transform(X.astype(dtype))).dtype == dtype


def test_fewer_samples_than_batch_and_early_stopping_split():
    with pytest.warns(UserWarning, match="validation split"):
        ae = AutoencoderTransformer(2, **{**FAST, "batch_size": 128}).fit(X[:4])
    assert ae.transform(X[:4]).shape == (4, 2)
