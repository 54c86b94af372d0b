"""AutoencoderOutlierDetector: the outlier API, its scores computed by hand, PCA as a reference, bad input."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    VAETransformer,
)
from sklearn_ae._outlier import _default_estimator


def ae(**params):
    """A small autoencoder that learns the test data in a fraction of a second."""
    return AutoencoderTransformer(
        **{"n_components": 2, "hidden_layer_sizes": (16,), "scaling": "standard", "max_epochs": 5, **params}
    )


def detector(estimator=None, **params):
    return AutoencoderOutlierDetector(ae() if estimator is None else estimator, random_state=0, **params)


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


def surface_data(n=400, n_outliers=20, seed=0):
    """Rows on a curved 2-d surface in 6-d; outliers take their curved coordinates from another point.

    Every feature of an outlier stays inside its marginal range, and no plane
    fits the surface: PCA's reconstruction error ranks the outliers badly.
    """
    rng = np.random.RandomState(seed)

    def surface(Z):
        z1, z2 = Z.T
        return np.column_stack([z1, z2, z1**2, z2**2, z1 * z2, np.sin(2 * z1)])

    X = surface(rng.uniform(-1.5, 1.5, size=(n, 2)))
    idx = rng.choice(n, n_outliers, replace=False)
    X[idx, 2:] = surface(rng.uniform(-1.5, 1.5, size=(n_outliers, 2)))[:, 2:]
    X += 0.03 * rng.normal(size=X.shape)
    y = np.zeros(n, dtype=int)
    y[idx] = 1
    return X, y


# learns the surface in about 0.3 s
SURFACE_AE = {"hidden_layer_sizes": (32,), "max_epochs": 50, "batch_size": 32, "lr": 1e-2}


@pytest.fixture(scope="module")
def data():
    return manifold_data()


# the by-hand tests below compute measure="distance"; "combined" adds the neighbour search (test_outlier_neighbors.py)
@pytest.fixture(scope="module")
def fitted(data):
    return detector(measure="distance").fit(data[0])


@pytest.fixture(scope="module")
def ensemble(data):
    return detector(n_estimators=2, measure="distance").fit(data[0])


def test_outlier_api(fitted, data):
    X, _ = data
    scores = fitted.score_samples(X)
    assert scores.dtype == np.float64 and scores.shape == (X.shape[0],)
    np.testing.assert_allclose(fitted.decision_function(X), scores - fitted.offset_)
    labels = fitted.predict(X)
    assert labels.dtype.kind == "i"
    np.testing.assert_array_equal(labels, np.where(scores < fitted.offset_, -1, 1))
    np.testing.assert_array_equal(detector(measure="distance").fit_predict(X), labels)


def test_members_are_seeded_clones_of_the_estimator(ensemble):
    template = ensemble.estimator
    assert ensemble.estimator_ is template and not hasattr(template, "net_")  # the template is left unfitted
    seeds = [member.random_state for member in ensemble.estimators_]
    assert len(set(seeds)) == 2 and all(isinstance(s, int) for s in seeds)
    for member in ensemble.estimators_:
        assert member is not template
        assert {k: v for k, v in member.get_params().items() if k != "random_state"} == {
            k: v for k, v in template.get_params().items() if k != "random_state"
        }


def test_default_estimator(data):
    X, _ = data
    # the settings the ODDS measurements relied on, explicit so that new AutoencoderTransformer defaults keep them
    expected = {
        "n_components": 2,
        "hidden_layer_sizes": (32,),
        "activation": "relu",
        "loss": "mse",
        "scaling": "standard",
        "optimizer": "adam",
        "lr": 1e-3,
        "weight_decay": 0.0,
        "max_epochs": 30,
        "batch_size": 128,
        "early_stopping": True,
        "validation_fraction": 0.1,
        "n_iter_no_change": 10,
        "tol": 1e-4,
        "noise": None,
    }
    det = AutoencoderOutlierDetector(random_state=0).fit(X)
    assert type(det.estimator_) is AutoencoderTransformer
    assert det.estimator is None and not hasattr(det.estimator_, "net_")
    params = det.estimator_.get_params()
    assert {k: params[k] for k in expected} == expected
    assert _default_estimator(1).n_components == 1
    # the defaults are those of an explicit estimator with the same parameters
    np.testing.assert_array_equal(
        det.score_samples(X), AutoencoderOutlierDetector(_default_estimator(6), random_state=0).fit(X).score_samples(X)
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_finds_outliers_off_a_curved_surface_where_pca_fails(seed):
    X, y = surface_data(seed=seed)
    # the reference: PCA's reconstruction error, by hand, and the detector wrapping PCA
    pca = PCA(2).fit(X)
    pca_error = ((X - pca.inverse_transform(pca.transform(X))) ** 2).sum(1)
    assert roc_auc_score(y, pca_error) < 0.8
    assert roc_auc_score(y, -detector(PCA(2), measure="reconstruction").fit(X).score_samples(X)) < 0.8
    assert roc_auc_score(y, -IsolationForest(random_state=0).fit(X).score_samples(X)) < 0.9
    det = detector(ae(**SURFACE_AE)).fit(X)
    assert roc_auc_score(y, -det.score_samples(X)) > 0.92
    # minus the mean feature error is the score of measure="reconstruction" (see the by-hand test)
    assert roc_auc_score(y, det.feature_errors(X).mean(1)) > 0.92
    flagged = det.predict(X) == -1
    assert flagged[y == 1].mean() > 0.7 and flagged[y == 0].mean() < 0.1


def test_finds_outliers_off_the_plane(fitted, data):
    X, y = data
    # the outliers lie inside the features' ranges: only the structure gives them away
    assert roc_auc_score(y, -fitted.score_samples(X)) > 0.95
    flagged = fitted.predict(X) == -1
    assert flagged[y == 1].mean() > 0.8 and flagged[y == 0].mean() < 0.1


@pytest.mark.parametrize("contamination", [0.05, 0.5])
def test_float_contamination_flags_that_fraction_of_training_rows(data, contamination):
    X, _ = data
    # "distance": no neighbour search, so scoring the training rows afresh gives the scores fit used
    det = detector(contamination=contamination, measure="distance").fit(X)
    np.testing.assert_allclose(det.offset_, np.percentile(det.score_samples(X), 100 * contamination))
    assert abs((det.predict(X) == -1).mean() - contamination) <= 1 / X.shape[0]
    np.testing.assert_array_equal(clone(det).fit_predict(X), det.predict(X))


@pytest.mark.parametrize("contamination", [0.05, 0.5])
def test_the_default_measure_flags_that_fraction_of_training_rows_too(data, contamination):
    X, _ = data
    det = detector(contamination=contamination).fit(X)  # "combined": the training rows as score_samples scores them
    np.testing.assert_allclose(det.offset_, np.percentile(det.score_samples(X), 100 * contamination))
    assert abs((det.predict(X) == -1).mean() - contamination) <= 1 / X.shape[0]


def test_auto_offset_is_a_robust_z_score_of_two(data):
    fitted = detector(measure="distance").fit(data[0])  # no neighbour search: training scores are scored afresh
    scores = fitted.score_samples(data[0])
    assert len(np.unique(scores)) == len(scores)  # no ties: every score counts
    median = np.median(scores)
    mad = np.median(np.abs(scores - median))
    np.testing.assert_allclose(fitted.offset_, median - 2 * 1.4826 * mad)


def _by_hand(det, X_train, X):
    """Normalised errors and whitened codes from the members' transform/inverse_transform, in numpy."""
    std = X_train.std(0)
    errors, distances = [], []
    for member in det.estimators_:
        Z_train, Z = member.transform(X_train), member.transform(X)
        R_train = (X_train - member.inverse_transform(Z_train)) / std
        s = np.abs(R_train).mean(0)
        errors.append(np.abs(X - member.inverse_transform(Z)) / std / s)
        vals, vecs = np.linalg.eigh(np.cov(Z_train, rowvar=False))
        distances.append(np.abs((Z - Z_train.mean(0)) @ vecs / np.sqrt(vals)).mean(1))
    return errors, distances


def _robust_z(values, train):
    """Robust z-score of ``values`` w.r.t. the training values: (x - median) / (1.4826 MAD), by numpy."""
    median = np.median(train)
    return (values - median) / (1.4826 * np.median(np.abs(train - median)))


@pytest.mark.parametrize("which", ["fitted", "ensemble"])
def test_scores_and_feature_errors_by_hand(data, which, request):
    X, _ = data
    X_test = X[::3] + 0.1
    det = request.getfixturevalue(which)
    np.testing.assert_allclose(det.feature_scales_, X.std(0))
    errors, distances = _by_hand(det, X, X_test)
    train_errors, train_distances = _by_hand(det, X, X)
    # members are trained with different seeds
    assert len({float(m.loss_curve_[-1]) for m in det.estimators_}) == det.n_estimators
    np.testing.assert_allclose(det.feature_errors(X_test), np.mean(errors, 0), rtol=1e-6)
    # s_j is the mean absolute training residual: each feature's mean training error is 1
    np.testing.assert_allclose(det.feature_errors(X).mean(0), 1.0, rtol=1e-6)
    combined = [
        np.maximum(_robust_z(e.mean(1), te.mean(1)), _robust_z(d, td))
        for e, d, te, td in zip(errors, distances, train_errors, train_distances)
    ]
    np.testing.assert_allclose(det.score_samples(X_test), -np.mean(combined, 0), rtol=1e-6)
    # the same networks (same seeds), scored by their reconstruction only
    rec = clone(det).set_params(measure="reconstruction").fit(X)
    np.testing.assert_allclose(rec.score_samples(X_test), -np.mean(errors, 0).mean(1), rtol=1e-6)
    np.testing.assert_allclose(rec.score_samples(X_test), -rec.feature_errors(X_test).mean(1))


def test_pca_detector_is_pca_reconstruction_by_hand(data):
    X, y = data
    X_test = X[::2] * 1.1
    det = AutoencoderOutlierDetector(PCA(n_components=2), measure="reconstruction").fit(X)
    pca = PCA(n_components=2).fit(X)
    std = X.std(0)
    R_train = (X - pca.inverse_transform(pca.transform(X))) / std
    s = np.abs(R_train).mean(0)
    expected = -(np.abs(X_test - pca.inverse_transform(pca.transform(X_test))) / std / s).mean(1)
    np.testing.assert_allclose(det.score_samples(X_test), expected, rtol=1e-9)
    # the code distance: PCA's codes are uncorrelated with variances explained_variance_
    dist = AutoencoderOutlierDetector(PCA(n_components=2), measure="distance").fit(X)
    along = np.abs(pca.transform(X_test) / np.sqrt(pca.explained_variance_)).mean(1)
    along_train = np.abs(pca.transform(X) / np.sqrt(pca.explained_variance_)).mean(1)
    off_train = np.abs(R_train / s).mean(1)
    np.testing.assert_allclose(
        dist.score_samples(X_test),
        -np.maximum(_robust_z(-expected, off_train), _robust_z(along, along_train)),
        rtol=1e-7,
        atol=1e-8,  # a difference of two nearby floats near 0, divided by a spread
    )
    # the data is a plane: PCA with 2 components is the right model for it
    assert roc_auc_score(y, -det.score_samples(X)) > 0.95


def test_pca_detector_likelihood_is_pca_score_samples(data):
    X, _ = data
    det = AutoencoderOutlierDetector(PCA(n_components=3), measure="likelihood").fit(X)
    np.testing.assert_allclose(det.score_samples(X[:50]), PCA(n_components=3).fit(X).score_samples(X[:50]))


def test_grid_search_reaches_the_members_parameters(data):
    X, y = data
    search = GridSearchCV(
        AutoencoderOutlierDetector(PCA(), measure="reconstruction"),
        {"estimator__n_components": [1, 2, 4]},
        scoring="roc_auc",
        cv=StratifiedKFold(3),
    ).fit(X, 1 - y)  # roc_auc of decision_function: inliers (1) score higher
    assert search.best_params_ == {"estimator__n_components": 2}  # the data lies on a plane
    assert search.best_estimator_.estimators_[0].n_components_ == 2
    assert search.cv_results_["mean_test_score"][1] > 0.95
    det = detector()
    assert det.get_params()["estimator__noise"] is None
    det.set_params(estimator__noise="masking")
    assert det.estimator.noise == "masking"


def test_likelihood_is_the_autoencoders_log_likelihood(data):
    X, _ = data
    det = detector(measure="likelihood").fit(X)
    member = det.estimators_[0]
    assert type(member) is AutoencoderTransformer
    np.testing.assert_allclose(det.score_samples(X), member.score_samples(X))


def test_set_params_after_fit_keeps_the_fitted_measure(fitted, data):
    X, _ = data
    scores, labels = fitted.score_samples(X), fitted.predict(X)
    det = pickle.loads(pickle.dumps(fitted))
    det.set_params(measure="likelihood", contamination=0.3)
    assert det.measure_ == "distance"
    np.testing.assert_array_equal(det.score_samples(X), scores)
    np.testing.assert_array_equal(det.predict(X), labels)
    # a new fit takes the new parameters
    det.fit(X)
    assert det.measure_ == "likelihood"
    np.testing.assert_allclose(det.score_samples(X), det.estimators_[0].score_samples(X))


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


def test_same_seed_same_scores_and_global_rng_untouched(data, fitted, ensemble, global_rngs_untouched):
    X, _ = data
    with global_rngs_untouched():
        again = detector(n_estimators=2, measure="distance").fit(X)
        scores = again.score_samples(X)
    np.testing.assert_array_equal(scores, ensemble.score_samples(X))
    # on data where training moves the model away from its PCA start, another seed gives other scores
    X_surface, _ = surface_data()
    scores = [
        detector(ae(**SURFACE_AE)).set_params(random_state=rs).fit(X_surface).score_samples(X_surface) for rs in (0, 1)
    ]
    assert not np.allclose(*scores)


def test_pickle_round_trip(fitted, data):
    X, _ = data
    clone_ = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(clone_.score_samples(X), fitted.score_samples(X))
    np.testing.assert_array_equal(clone_.feature_errors(X), fitted.feature_errors(X))


def test_float32_sparse_and_dataframe_input(fitted, data):
    X, _ = data
    ref = fitted.score_samples(X)
    np.testing.assert_allclose(fitted.score_samples(X.astype(np.float32)), ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(fitted.score_samples(sp.csr_matrix(X)), ref)
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    det = detector(measure="distance").fit(df)
    np.testing.assert_array_equal(det.feature_names_in_, df.columns)
    np.testing.assert_allclose(det.score_samples(df), ref)


def test_sparse_training_data_is_scored_in_batches(data, monkeypatch):
    X, _ = data
    X_big = np.vstack([X] * 8)  # 2400 rows: two batches of rows
    member = ae(init="random")  # (the PCA initialisation of an autoencoder densifies its training data)
    # "distance": the neighbour measures also densify their bounded reference sample (test_outlier_neighbors.py)
    dense = detector(member, measure="distance").fit(X_big)
    seen = []
    original = sp.csr_matrix.toarray

    def toarray(self, *args, **kwargs):
        seen.append(self.shape[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", toarray)
    sparse = detector(member, measure="distance").fit(sp.csr_matrix(X_big))
    scores = sparse.score_samples(sp.csr_matrix(X_big))
    assert seen and max(seen) <= 2048  # never the whole matrix at once
    np.testing.assert_allclose(scores, dense.score_samples(X_big), rtol=1e-6)
    np.testing.assert_allclose(sparse.feature_scales_, dense.feature_scales_)


def test_bad_input_and_parameters(fitted, data):
    X, _ = data
    with pytest.raises(NotFittedError):
        AutoencoderOutlierDetector().score_samples(X)
    with pytest.raises(ValueError, match="NaN"):
        fitted.score_samples(np.where(np.eye(6)[:1] > 0, np.nan, X[:1]))
    with pytest.raises(ValueError, match="6 features"):
        fitted.predict(X[:, :4])
    for params in [
        {"contamination": 0.6},
        {"contamination": 0.0},
        {"measure": "mse"},
        {"n_estimators": 0},
        {"estimator": IsolationForest()},
        {"estimator": "pca"},
    ]:
        with pytest.raises(InvalidParameterError):
            AutoencoderOutlierDetector(**params).fit(X)
    with pytest.raises(ValueError, match="score_samples"):
        AutoencoderOutlierDetector(TruncatedSVD(2), measure="likelihood").fit(X)
    # the members validate their own parameters
    with pytest.raises(InvalidParameterError, match="noise"):
        AutoencoderOutlierDetector(ae(noise="salt")).fit(X)


def test_diverging_fit_raises(data):
    X, _ = data
    diverging = ae(lr=1e4, optimizer="sgd", init="random", scaling=None, max_epochs=20)
    with pytest.raises(FloatingPointError, match="diverged"):
        detector(diverging).fit(X * 1e3)


def test_vae(data):
    X, y = data
    vae = VAETransformer(n_components=2, hidden_layer_sizes=(16,), max_epochs=5)
    det = detector(vae).fit(X)
    assert all(type(m) is VAETransformer for m in det.estimators_)
    assert roc_auc_score(y, -det.score_samples(X)) > 0.9
    # the same network (same seed), scored by the VAE's bound on log p(x)
    likelihood = detector(vae, measure="likelihood").fit(X)
    np.testing.assert_allclose(likelihood.score_samples(X), likelihood.estimators_[0].score_samples(X))
    np.testing.assert_array_equal(likelihood.estimators_[0].transform(X), det.estimators_[0].transform(X))


def test_distance_spread_falls_back_to_the_median_when_most_rows_are_alike():
    # 200 copies of one row and 100 others: the MAD of the training distances is 0, the z-scores would be infinite
    rng = np.random.RandomState(0)
    X = np.vstack([np.tile(rng.normal(size=(1, 5)), (200, 1)), rng.normal(size=(100, 5))])
    det = AutoencoderOutlierDetector(PCA(n_components=2)).fit(X)
    np.testing.assert_array_equal(det.error_spreads_, det.error_medians_)
    np.testing.assert_array_equal(det.distance_spreads_, det.distance_medians_)
    scores = det.score_samples(X)
    assert np.isfinite(scores).all()
    # the copied row is the most normal one; a far row scores below every training row
    assert scores[0] == scores.max()
    assert det.score_samples(10 * X[-1:])[0] < scores.min()
