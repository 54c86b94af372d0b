"""OutlierScoreDisplay draws a detector's score_samples and its threshold offset_."""

import copy

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor

from sklearn_ae.plotting import OutlierScoreDisplay


def test_outlier_scores_histogram_and_threshold(outlier_data):
    X, y = outlier_data
    forest = IsolationForest(contamination=0.05, random_state=0).fit(X)
    disp = OutlierScoreDisplay.from_estimator(forest, X, y)
    assert disp.threshold_line_.get_xdata()[0] == forest.offset_
    assert disp.n_flagged == int((forest.predict(X) == -1).sum())
    counts = {k: sum(p.get_height() for p in bars) for k, bars in disp.hist_.items()}
    assert counts == {"inliers": 300, "outliers": 15}
    np.testing.assert_allclose(disp.scores, forest.score_samples(X))
    # sklearn's -1/+1 labels mean the same split
    disp2 = OutlierScoreDisplay.from_estimator(forest, X, np.where(y == 1, -1, 1))
    np.testing.assert_array_equal(disp2.is_outlier, y == 1)
    with pytest.raises(ValueError, match="outlier_label"):
        OutlierScoreDisplay.from_estimator(forest, X, y + 5)


def test_outlier_scores_of_autoencoder_detector(outlier_data, detector):
    X, y = outlier_data
    disp = OutlierScoreDisplay.from_estimator(detector, X, y)
    assert disp.threshold_line_.get_xdata()[0] == detector.offset_
    assert disp.n_flagged == int((detector.predict(X) == -1).sum())
    np.testing.assert_allclose(disp.scores, detector.score_samples(X))


def test_outlier_scores_reject_a_transformer(outlier_data, fitted, make_ae):
    """A transformer is not an outlier detector, even with an ``offset_`` attribute: a clear TypeError."""
    X, _ = outlier_data
    ae = make_ae(2).fit(X)
    with pytest.raises(TypeError, match="needs an outlier detector .* got AutoencoderTransformer, which is not one"):
        OutlierScoreDisplay.from_estimator(ae, X)
    with_offset = copy.copy(ae)
    with_offset.offset_ = np.zeros(X.shape[1])  # an array, as the transformers' scaling once was called
    with pytest.raises(TypeError, match="got AutoencoderTransformer, which is not one"):
        OutlierScoreDisplay.from_estimator(with_offset, X)
    with pytest.raises(TypeError, match="got PCA, which is not one"):
        OutlierScoreDisplay.from_estimator(PCA(2).fit(X), X)
    with pytest.raises(TypeError, match="got AutoencoderTransformer, which is not one"):  # fitted or not
        OutlierScoreDisplay.from_estimator(make_ae(2), X)


def test_outlier_scores_need_score_samples(outlier_data):
    X, _ = outlier_data
    lof = LocalOutlierFactor().fit(X)  # novelty=False: no score_samples for new rows
    with pytest.raises(TypeError, match="no score_samples"):
        OutlierScoreDisplay.from_estimator(lof, X)
    lof = LocalOutlierFactor(novelty=True).fit(X)
    disp = OutlierScoreDisplay.from_estimator(lof, X)
    assert disp.threshold == lof.offset_ and list(disp.hist_) == ["all"]


# ---------------------------------------------------------------- from_scores
def test_from_scores_draws_the_given_scores():
    scores = np.array([-3.0, -2.5, -0.5, -0.4, -0.2])
    disp = OutlierScoreDisplay.from_scores(scores, -1.0, y=[True, False, False, False, False], name="mine", bins=5)
    assert disp.n_flagged == 2
    counts = {k: sum(p.get_height() for p in bars) for k, bars in disp.hist_.items()}
    assert counts == {"inliers": 4, "outliers": 1}
    assert disp.threshold_line_.get_xdata()[0] == -1.0
    assert "2 flagged (40.0%)" in disp.threshold_line_.get_label()
    assert disp.ax_.get_title() == "mine scores"
    labelled = OutlierScoreDisplay.from_scores(scores, -1.0, y=["a", "b", "b", "b", "b"], outlier_label="a")
    np.testing.assert_array_equal(labelled.is_outlier, [True, False, False, False, False])
    unlabelled = OutlierScoreDisplay.from_scores(list(scores), np.float32(-1.0))
    assert list(unlabelled.hist_) == ["all"] and isinstance(unlabelled.threshold, float)


def test_from_scores_validates():
    with pytest.raises(ValueError, match="3 labels for 2 scores"):
        OutlierScoreDisplay.from_scores([0.0, 1.0], 0.5, y=[0, 1, 0])
    with pytest.raises(ValueError, match="threshold must be a single number"):
        OutlierScoreDisplay.from_scores([0.0, 1.0], [0.5, 0.5])
    with pytest.raises(ValueError, match="scores must be 1-D"):
        OutlierScoreDisplay.from_scores([[0.0, 1.0]], 0.5)
