"""AutoencoderOutlierDetector wrapping autoencoder variants: each copy is the configured variant."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer
from sklearn_ae.nn import ConvAutoencoder, TiedLinear


@pytest.fixture(scope="module")
def X():
    return load_digits(return_X_y=True)[0][:300].astype(np.float64)


FAST = {"max_epochs": 2}


def test_variants_reach_the_members(X):
    variant = AutoencoderTransformer(noise="masking", noise_level=0.3, tied_weights=True, sparsity=0.01, **FAST)
    det = AutoencoderOutlierDetector(variant, n_estimators=2, random_state=0).fit(X)
    for member in det.estimators_:
        assert isinstance(member, AutoencoderTransformer)
        assert (member.noise, member.noise_level, member.tied_weights, member.sparsity) == ("masking", 0.3, True, 0.01)
        assert any(isinstance(m, TiedLinear) for m in member.net_.module_.modules())
        assert "train_sparsity" in member.net_.history[-1]
    assert det.predict(X).shape == (300,)


def test_conv_detector(X):
    conv = AutoencoderTransformer(image_shape=(8, 8), hidden_layer_sizes=(4,), **FAST)
    det = AutoencoderOutlierDetector(conv, random_state=0).fit(X)
    assert isinstance(det.estimators_[0].net_.module_, ConvAutoencoder)
    assert np.isfinite(det.score_samples(X)).all()


def test_grid_search_over_a_variant_parameter(X):
    # digits of one class are the inliers; a few digits of another class are the outliers
    y = load_digits(return_X_y=True)[1][:1000]
    X_all = load_digits(return_X_y=True)[0][:1000].astype(np.float64)
    rows = np.r_[np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:10]]
    X_search, is_inlier = X_all[rows], (y[rows] == 0).astype(int)
    ae = AutoencoderTransformer(n_components=2, hidden_layer_sizes=(16,), scaling="standard", **FAST)
    search = GridSearchCV(
        AutoencoderOutlierDetector(ae, random_state=0),
        {"estimator__noise": [None, "masking"]},
        scoring="roc_auc",
        cv=StratifiedKFold(2),
    ).fit(X_search, is_inlier)
    assert [p["estimator__noise"] for p in search.cv_results_["params"]] == [None, "masking"]
    assert search.best_estimator_.estimators_[0].noise == search.best_params_["estimator__noise"]
    assert (search.cv_results_["mean_test_score"] > 0.8).all()
