"""AutoencoderOutlierDetector: the outlier API, its scores computed by hand, reproducibility, bad input."""

import copy
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer

FAST = {"max_epochs": 5, "hidden_layer_sizes": (16,), "random_state": 0}


def manifold_data(n=300, n_outliers=15, seed=0):
    """Rows near a 2-d plane in 6-d, and outliers off the plane but inside the marginal ranges."""
    rng = np.random.RandomState(seed)
    basis = rng.normal(size=(2, 6))
    X = rng.normal(size=(n, 2)) @ basis + 0.05 * rng.normal(size=(n, 6))
    idx = rng.choice(n, n_outliers, replace=False)
    X[idx] = rng.normal(size=(n_outliers, 2)) @ basis + rng.normal(size=(n_outliers, 6))
    y = np.zeros(n, dtype=int)
    y[idx] = 1
    return X, y


@pytest.fixture(scope="module")
def data():
    return manifold_data()


@pytest.fixture(scope="module")
def fitted(data):
    return AutoencoderOutlierDetector(**FAST).fit(data[0])


def test_outlier_api(fitted, data):
    X, _ = data
    scores = fitted.score_samples(X)
    assert scores.dtype == np.float64 and scores.shape == (X.shape[0],)
    np.testing.assert_allclose(fitted.decision_function(X), scores - fitted.offset_)
    labels = fitted.predict(X)
    assert labels.dtype.kind == "i"
    np.testing.assert_array_equal(labels, np.where(scores < fitted.offset_, -1, 1))
    np.testing.assert_array_equal(AutoencoderOutlierDetector(**FAST).fit_predict(X), labels)


def test_finds_outliers_off_the_manifold(fitted, data):
    X, y = data
    # the outliers lie inside the features' ranges: only the structure gives them away
    assert roc_auc_score(y, -fitted.score_samples(X)) > 0.95
    flagged = fitted.predict(X) == -1
    assert flagged[y == 1].mean() > 0.8 and flagged[y == 0].mean() < 0.1


@pytest.mark.parametrize("contamination", [0.05, 0.5])
def test_float_contamination_flags_that_fraction_of_training_rows(data, contamination):
    X, _ = data
    det = AutoencoderOutlierDetector(contamination=contamination, **FAST).fit(X)
    np.testing.assert_allclose(det.offset_, np.percentile(det.score_samples(X), 100 * contamination))
    assert abs((det.predict(X) == -1).mean() - contamination) <= 1 / X.shape[0]


def test_auto_offset_is_a_robust_z_score_of_two(fitted, data):
    scores = fitted.score_samples(data[0])
    median = np.median(scores)
    mad = np.median(np.abs(scores - median))
    np.testing.assert_allclose(fitted.offset_, median - 2 * 1.4826 * mad)


def _by_hand(det, X):
    """Normalised errors and whitened codes from the members' public transform/inverse_transform."""
    errors, distances = [], []
    for member, s, mean in zip(det.estimators_, det.residual_scales_, det.code_means_):
        Z_train = member.transform(det._X_train)
        Z = member.transform(X)
        recon = member.inverse_transform(Z)
        errors.append(np.abs(X - recon) / member.scaling_scale_ / s)
        cov = np.cov(Z_train, rowvar=False)
        vals, vecs = np.linalg.eigh(cov)
        distances.append(np.abs((Z - Z_train.mean(0)) @ vecs / np.sqrt(vals)).mean(1))
    return errors, distances


@pytest.fixture(scope="module")
def ensemble(data):
    return AutoencoderOutlierDetector(n_estimators=2, **FAST).fit(data[0])


@pytest.mark.parametrize("which", ["fitted", "ensemble"])
def test_scores_and_feature_errors_by_hand(data, which, request):
    X, _ = data
    det = copy.deepcopy(request.getfixturevalue(which))
    det._X_train = X
    errors, distances = _by_hand(det, X)
    # members are trained with different seeds
    assert len({float(m.loss_curve_[-1]) for m in det.estimators_}) == det.n_estimators
    np.testing.assert_allclose(det.feature_errors(X), np.mean(errors, 0), rtol=1e-5, atol=1e-6)
    # s_j is the mean absolute training residual: each feature's mean training error is 1
    np.testing.assert_allclose([e.mean(0) for e in errors], 1.0, rtol=1e-4)
    combined = [np.maximum(e.mean(1) / np.median(e.mean(1)), d / np.median(d)) for e, d in zip(errors, distances)]
    np.testing.assert_allclose(det.score_samples(X), -np.mean(combined, 0), rtol=1e-4)
    det.measure = "reconstruction"  # the same networks, scored by their reconstruction only
    np.testing.assert_allclose(det.score_samples(X), -det.feature_errors(X).mean(1))
    np.testing.assert_allclose(det.score_samples(X), -np.mean(errors, 0).mean(1), rtol=1e-5)


def test_likelihood_is_the_autoencoders_log_likelihood(data):
    X, _ = data
    det = AutoencoderOutlierDetector(measure="likelihood", **FAST).fit(X)
    member = det.estimators_[0]
    assert type(member) is AutoencoderTransformer
    np.testing.assert_allclose(det.score_samples(X), member.score_samples(X))


def test_feature_errors_point_at_the_broken_feature(fitted, data):
    X, _ = data
    rows = X[:20].copy()
    rows[np.arange(20), np.arange(20) % 6] += 5 * X.std(0)[np.arange(20) % 6]
    errors = fitted.feature_errors(rows)
    broken = np.arange(20) % 6
    # a shift of one feature also moves the projection, hence the other features' errors a little
    assert (errors.argmax(1) == broken).mean() >= 0.75
    assert (np.argsort(-errors, axis=1)[:, :2] == broken[:, None]).any(1).all()
    assert (fitted.score_samples(rows) < fitted.score_samples(X[:20])).all()


def test_same_seed_same_scores_and_global_rng_untouched(data, fitted, ensemble):
    X, _ = data
    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    again = AutoencoderOutlierDetector(n_estimators=2, **FAST).fit(X)
    np.testing.assert_array_equal(again.score_samples(X), ensemble.score_samples(X))
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.get_rng_state(), torch_state)
    other = AutoencoderOutlierDetector(**{**FAST, "random_state": 1}).fit(X)
    assert not np.allclose(other.score_samples(X), fitted.score_samples(X))


def test_pickle_round_trip(fitted, data):
    X, _ = data
    clone = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(clone.score_samples(X), fitted.score_samples(X))
    np.testing.assert_array_equal(clone.feature_errors(X), fitted.feature_errors(X))


def test_float32_sparse_and_dataframe_input(fitted, data):
    X, _ = data
    ref = fitted.score_samples(X)
    np.testing.assert_allclose(fitted.score_samples(X.astype(np.float32)), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(fitted.score_samples(sp.csr_matrix(X)), ref)
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    det = AutoencoderOutlierDetector(**FAST).fit(df)
    np.testing.assert_array_equal(det.feature_names_in_, df.columns)
    np.testing.assert_allclose(det.score_samples(df), ref)


def test_bad_input_and_parameters(fitted, data):
    X, _ = data
    with pytest.raises(NotFittedError):
        AutoencoderOutlierDetector().score_samples(X)
    with pytest.raises(ValueError, match="NaN"):
        fitted.score_samples(np.where(np.eye(6)[:1] > 0, np.nan, X[:1]))
    with pytest.raises(ValueError, match="6 features"):
        fitted.predict(X[:, :4])
    for params in [{"contamination": 0.6}, {"contamination": 0.0}, {"measure": "mse"}, {"model": "gan"},
                   {"n_estimators": 0}, {"n_components": "all"}]:
        with pytest.raises(InvalidParameterError):
            AutoencoderOutlierDetector(**params).fit(X)


def test_diverging_fit_raises(data):
    X, _ = data
    with pytest.raises(FloatingPointError, match="diverged"):
        AutoencoderOutlierDetector(lr=1e4, optimizer="sgd", init="random", scaling=None, **{**FAST, "max_epochs": 20}).fit(
            X * 1e3
        )


def test_vae_model(data):
    from sklearn_ae import VAETransformer

    X, y = data
    det = AutoencoderOutlierDetector(model="vae", **FAST).fit(X)
    assert all(type(m) is VAETransformer for m in det.estimators_)
    assert roc_auc_score(y, -det.score_samples(X)) > 0.9
    det.measure = "likelihood"  # the same network, scored by the VAE's bound on log p(x)
    np.testing.assert_allclose(det.score_samples(X), det.estimators_[0].score_samples(X))
