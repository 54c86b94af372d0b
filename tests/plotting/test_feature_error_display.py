"""FeatureErrorDisplay draws the per-feature reconstruction errors of chosen rows."""

import copy

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest

from sklearn_ae.plotting import FeatureErrorDisplay


def _heights(bars):
    return [b.get_height() for b in bars]


def test_feature_errors_of_pca_and_default_rows(outlier_data, reconstruct):
    X, _ = outlier_data
    X = X.copy()
    pca = PCA(2).fit(X[:300])
    X[7, 3] = 40.0  # one inlier broken in one feature
    disp = FeatureErrorDisplay.from_estimator(pca, X, indices=[7, 0], max_features=3)
    err = (X[[7, 0]] - reconstruct(pca, X[[7, 0]])) ** 2
    np.testing.assert_array_equal(disp.features_shown, np.argsort(-err.max(axis=0))[:3])
    for i in range(2):
        np.testing.assert_allclose(_heights(disp.bars_[i]), err[i, disp.features_shown])
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == [f"x{j}" for j in disp.features_shown]
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == ["row 7", "row 0"]


def test_feature_errors_of_autoencoder_detector(outlier_data, detector):
    X, _ = outlier_data
    feat = FeatureErrorDisplay.from_estimator(detector, X, n_rows=2)
    worst = np.argsort(detector.score_samples(X), kind="stable")[:2]
    assert [t.get_text() for t in feat.ax_.get_legend().get_texts()] == [f"row {i}" for i in worst]
    errors = detector.feature_errors(X[worst])
    for i in range(2):
        np.testing.assert_allclose(_heights(feat.bars_[i]), errors[i, feat.features_shown])


def test_feature_errors_of_a_transformer_are_its_squared_residuals(outlier_data, make_ae, reconstruct):
    """A transformer is handled as a transformer, never as a detector, even with an ``offset_`` attribute.

    Its errors are its squared residuals and the default rows the first ones, not the rows with the lowest
    ``score_samples`` (a transformer's log-likelihood, which has no threshold).
    """
    X, _ = outlier_data
    ae = make_ae(2).fit(X)
    with_offset = copy.copy(ae)
    with_offset.offset_ = np.zeros(X.shape[1])  # an array, as the transformers' scaling once was called
    expected = (X[:2] - reconstruct(ae, X[:2])) ** 2
    for estimator in (ae, with_offset):
        disp = FeatureErrorDisplay.from_estimator(estimator, X, n_rows=2)
        assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == ["row 0", "row 1"]
        for i in range(2):
            np.testing.assert_allclose(_heights(disp.bars_[i]), expected[i, disp.features_shown], rtol=1e-5)


def test_feature_errors_need_a_detector_with_feature_errors_or_a_transformer(outlier_data):
    X, _ = outlier_data
    forest = IsolationForest(random_state=0).fit(X)
    with pytest.raises(TypeError, match="IsolationForest is an outlier detector without feature_errors"):
        FeatureErrorDisplay.from_estimator(forest, X)
    from sklearn.linear_model import LinearRegression

    with pytest.raises(TypeError, match="LinearRegression gives no per-feature reconstruction error"):
        FeatureErrorDisplay.from_estimator(LinearRegression().fit(X, X[:, 0]), X)


def test_feature_names_come_from_the_estimator(outlier_data):
    pd = pytest.importorskip("pandas")
    X, _ = outlier_data
    frame = pd.DataFrame(X, columns=list("abcde"))
    pca = PCA(2).fit(frame)
    disp = FeatureErrorDisplay.from_estimator(pca, frame, indices=[0], max_features=5)
    assert sorted(t.get_text() for t in disp.ax_.get_xticklabels()) == list("abcde")


# ---------------------------------------------------------------- from_errors
def test_from_errors_draws_the_given_errors():
    errors = np.array([[0.1, 3.0, 0.2, 0.0], [0.3, 0.1, 0.2, 0.0]])
    disp = FeatureErrorDisplay.from_errors(errors, row_labels=["p", "q"], feature_names="abcd", max_features=3)
    np.testing.assert_array_equal(disp.features_shown, [1, 0, 2])
    np.testing.assert_allclose(_heights(disp.bars_[1]), [0.1, 0.3, 0.2])
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["b", "a", "c"]
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == ["p", "q"]
    assert disp.ax_.get_xlabel() == "feature (top 3 of 4)"
    one_row = FeatureErrorDisplay.from_errors([1.0, 2.0])
    assert len(one_row.bars_) == 1 and [t.get_text() for t in one_row.ax_.get_xticklabels()] == ["x1", "x0"]


def test_from_errors_validates():
    with pytest.raises(ValueError, match="3 row labels for 2 rows"):
        FeatureErrorDisplay.from_errors(np.zeros((2, 4)), row_labels=["a", "b", "c"])
    with pytest.raises(ValueError, match="2 feature names for 4 features"):
        FeatureErrorDisplay.from_errors(np.zeros((2, 4)), feature_names=["a", "b"])
    with pytest.raises(ValueError, match="must be 2-D"):
        FeatureErrorDisplay.from_errors(np.zeros((2, 4, 1)))
