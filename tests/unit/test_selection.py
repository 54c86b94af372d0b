"""The evidence of measure="auto" (sklearn_ae._selection): synthetic anomalies and the choice."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from sklearn_ae._selection import KINDS, choose, separation, synthetic_anomalies


@pytest.fixture(scope="module")
def X():
    rng = np.random.RandomState(0)
    return rng.normal(size=(300, 4)) @ rng.normal(size=(4, 4)) * [1, 10, 0.1, 3] + [0, 5, -5, 100]


@pytest.mark.parametrize("kind", KINDS)
def test_anomalies_have_the_rows_width_and_are_finite_and_seeded(X, kind):
    a = synthetic_anomalies(X, 50, kind, np.random.RandomState(1))
    b = synthetic_anomalies(X, 50, kind, np.random.RandomState(1))
    assert a.shape == (50, 4) and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)


def test_global_anomalies_are_uniform_in_the_widened_range(X):
    a = synthetic_anomalies(X, 2000, "global", np.random.RandomState(2))
    mean, scale = X.mean(axis=0), X.std(axis=0)
    low, high = mean + 1.1 * (X.min(axis=0) - mean), mean + 1.1 * (X.max(axis=0) - mean)
    assert (a >= low - 1e-9 * scale).all() and (a <= high + 1e-9 * scale).all()
    # uniform: about a quarter in each quarter of the range
    quarter = ((a - low) / (high - low) < 0.25).mean(axis=0)
    np.testing.assert_allclose(quarter, 0.25, atol=0.04)


def test_dependency_anomalies_keep_each_features_values_and_break_correlations(X):
    a = synthetic_anomalies(X, 2000, "dependency", np.random.RandomState(3))
    for j in range(X.shape[1]):
        assert np.isin(np.round(a[:, j], 9), np.round(X[:, j], 9)).all()
    assert abs(np.corrcoef(X.T)[0, 1]) > 0.3  # the rows are correlated...
    assert abs(np.corrcoef(a.T)[0, 1]) < 0.1  # ...the anomalies are not


def test_local_anomalies_are_wider_and_clustered_ones_farther_than_the_rows(X):
    rng = np.random.RandomState(4)
    local = synthetic_anomalies(X, 2000, "local", rng)
    clustered = synthetic_anomalies(X, 2000, "clustered", rng)
    spread = X.std(axis=0)
    # widening each component's covariance by 5 widens the whole cloud, about the same centre
    assert (local.std(axis=0) > 1.3 * spread).all()
    np.testing.assert_allclose(local.mean(axis=0), X.mean(axis=0), atol=0.5 * spread.max())
    # scaling the components' means by 5 moves the clusters away from the centre
    distance = np.linalg.norm((clustered - X.mean(axis=0)) / spread, axis=1)
    assert np.median(distance) > 2 * np.median(np.linalg.norm((X - X.mean(axis=0)) / spread, axis=1))


def test_an_unknown_kind_is_refused(X):
    with pytest.raises(ValueError, match="kind must be one of"):
        synthetic_anomalies(X, 5, "sideways", np.random.RandomState(0))


def test_separation_is_the_roc_auc_with_normal_rows_scoring_higher():
    normal, anomalous = np.array([3.0, 2.0, 1.5]), np.array([1.0, 2.5])
    expected = roc_auc_score([1, 1, 1, 0, 0], [3.0, 2.0, 1.5, 1.0, 2.5])
    assert separation(normal, anomalous) == pytest.approx(expected)
    assert separation(normal, normal - 10) == 1.0


def test_choose_takes_the_best_mean_only_past_the_margin():
    auc = {"fixed": [0.8, 0.8, 0.8, 0.8], "other": [0.9, 0.9, 0.8, 0.8], "worse": [0.5] * 4}
    evidence = choose(auc, "fixed", margin=0.0)
    assert evidence.chosen == "other" and evidence.candidates == ("fixed", "other", "worse")
    np.testing.assert_array_equal(evidence.auc, [auc["fixed"], auc["other"], auc["worse"]])
    assert choose(auc, "fixed", margin=0.06).chosen == "fixed"  # 0.05 better on average: not enough
    assert choose(auc, "fixed", margin=0.05).chosen == "other"
    tie = {"fixed": [0.7] * 4, "other": [0.7] * 4}
    assert choose(tie, "fixed", margin=0.0).chosen == "fixed"
