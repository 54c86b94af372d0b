"""measure="auto": the detector chooses its score per data set from synthetic anomalies (see _selection.py)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, load, save


def ae(**params):
    return AutoencoderTransformer(
        **{"n_components": 2, "hidden_layer_sizes": (16,), "scaling": "standard", "max_epochs": 5, **params}
    )


def auto(estimator=None, **params):
    return AutoencoderOutlierDetector(
        ae() if estimator is None else estimator, measure="auto", random_state=0, **params
    )


def clusters(n=400, seed=0):
    """Tight clusters in 6-d, features independent within them: density, not structure, tells anomalies."""
    rng = np.random.RandomState(seed)
    centres = rng.normal(size=(8, 6)) * 3
    return centres[rng.randint(8, size=n)] + 0.1 * rng.normal(size=(n, 6))


def plane(n=400, seed=0):
    """A 2-d plane in 8-d with little noise: reconstruction tells rows that break it."""
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, 2)) @ rng.normal(size=(2, 8)) + 0.01 * rng.normal(size=(n, 8))


@pytest.fixture(scope="module")
def on_clusters():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return auto().fit(clusters())


def test_the_default_candidates_keep_combined_where_none_wins_by_the_margin(on_clusters):
    # "combined" already holds the neighbours and the distance: on clusters and on a plane nothing beats it by 0.05
    for det in (on_clusters, auto().fit(plane())):
        evidence = dict(zip(det.measure_candidates_.tolist(), det.measure_evidence_.mean(axis=1)))
        assert set(evidence) == {"network/combined", "network/distance", "pca/distance", "input/neighbors"}
        assert max(evidence.values()) < evidence["network/combined"] + 0.05
        assert det.measure_choice_ == "network/combined" and det.measure_ == "combined"
        assert det.measure_evidence_.shape == (4, 4)
        assert ((det.measure_evidence_ >= 0) & (det.measure_evidence_ <= 1)).all()


@pytest.fixture
def distance_or_neighbors(monkeypatch):
    """Two candidates whose evidence differs on the planted data, the fixed rule "distance"."""
    import sklearn_ae._outlier as outlier

    monkeypatch.setattr(outlier, "_AUTO_CANDIDATES", ("network/distance", "input/neighbors"))
    monkeypatch.setattr(outlier, "_AUTO_DEFAULT", "network/distance")


def test_clustered_rows_choose_the_neighbours(distance_or_neighbors):
    X = clusters()
    det = auto().fit(X)
    evidence = dict(zip(det.measure_candidates_.tolist(), det.measure_evidence_.mean(axis=1)))
    assert evidence["input/neighbors"] > evidence["network/distance"] + 0.05  # density tells the anomalies
    assert det.measure_choice_ == "input/neighbors" and det.measure_ == "neighbors"
    assert det.neighbor_reference_ is not None
    # the fitted detector is the fixed measure's: same scores, same threshold
    fixed = AutoencoderOutlierDetector(ae(), measure="neighbors", random_state=0).fit(X)
    np.testing.assert_array_equal(det.score_samples(X[:50]), fixed.score_samples(X[:50]))
    assert det.offset_ == fixed.offset_


def test_rows_on_a_plane_keep_the_reconstruction_rule(distance_or_neighbors):
    det = auto().fit(plane())
    evidence = dict(zip(det.measure_candidates_.tolist(), det.measure_evidence_.mean(axis=1)))
    assert evidence["network/distance"] > evidence["input/neighbors"] + 0.05
    assert det.measure_choice_ == "network/distance" and det.measure_ == "distance"


def test_a_chosen_pca_member_is_the_estimator_at_its_pca_start(monkeypatch):
    import sklearn_ae._outlier as outlier

    monkeypatch.setattr(outlier, "_AUTO_CANDIDATES", ("pca/distance",))
    monkeypatch.setattr(outlier, "_AUTO_DEFAULT", "pca/distance")
    X = plane()
    det = auto().fit(X)
    assert det.measure_choice_ == "pca/distance" and det.estimator_.max_epochs == 0
    assert all(member.n_iter_ == 0 for member in det.estimators_)
    # the classic PCA detector: PCA of the standardised rows, the same statistics
    classic = make_pipeline(StandardScaler(), PCA(2))
    classic = AutoencoderOutlierDetector(classic, measure="distance", random_state=0).fit(X)
    np.testing.assert_allclose(det.score_samples(X[:60]), classic.score_samples(X[:60]), rtol=1e-3, atol=1e-3)


def test_estimators_without_a_pca_start_have_no_pca_candidate():
    det = auto(make_pipeline(StandardScaler(), PCA(2))).fit(plane())
    assert "pca/distance" not in det.measure_candidates_.tolist()
    det = auto(ae(init="random")).fit(plane())
    assert "pca/distance" not in det.measure_candidates_.tolist()


@pytest.mark.parametrize("make", [lambda X: sp.csr_matrix(X), lambda X: X[:30]])
def test_sparse_input_or_few_rows_keep_the_fixed_rule_without_evidence(make):
    det = auto().fit(make(plane()))
    assert det.measure_ == "combined"
    assert det.measure_candidates_ is None and det.measure_evidence_ is None and det.measure_choice_ is None


def test_fixed_measures_keep_no_evidence():
    det = AutoencoderOutlierDetector(ae(), random_state=0).fit(plane())
    assert det.measure_candidates_ is None and det.measure_evidence_ is None and det.measure_choice_ is None


def test_the_same_seed_gives_the_same_choice_and_scores(on_clusters):
    X = clusters()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = auto().fit(X)
    np.testing.assert_array_equal(again.measure_evidence_, on_clusters.measure_evidence_)
    np.testing.assert_array_equal(again.score_samples(X[:40]), on_clusters.score_samples(X[:40]))


def test_the_evidence_survives_save_and_load(on_clusters, tmp_path):
    save(on_clusters, tmp_path / "auto.safetensors")
    loaded = load(tmp_path / "auto.safetensors")
    assert loaded.measure_choice_ == on_clusters.measure_choice_
    assert loaded.measure_candidates_.tolist() == on_clusters.measure_candidates_.tolist()
    np.testing.assert_array_equal(loaded.measure_evidence_, on_clusters.measure_evidence_)
    X = clusters()[:30]
    np.testing.assert_array_equal(loaded.score_samples(X), on_clusters.score_samples(X))


def test_altered_evidence_is_refused(on_clusters):
    state = on_clusters.__getstate__()
    state["measure_choice_"] = "network/likelihood"
    with pytest.raises(ValueError, match="measure_choice_"):
        AutoencoderOutlierDetector.__new__(AutoencoderOutlierDetector).__setstate__(state)
    state = on_clusters.__getstate__()
    state["measure_evidence_"] = state["measure_evidence_"][:2]
    with pytest.raises(ValueError, match="measure_evidence_"):
        AutoencoderOutlierDetector.__new__(AutoencoderOutlierDetector).__setstate__(state)
