"""The detector's neighbour measures ("neighbors", "code_neighbors"), against computations by hand."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.neighbors import NearestNeighbors

import sklearn_ae._neighbors as neighbors
import sklearn_ae._outlier as outlier
from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, load, save

K = 5


def detector(**params):
    ae = AutoencoderTransformer(2, hidden_layer_sizes=(16,), scaling="standard", max_epochs=3)
    return AutoencoderOutlierDetector(ae, **{"random_state": 0, "n_neighbors": K, **params})


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 6)) * [1, 2, 3, 1, 1, 5]
    X[:8] = rng.normal(size=(8, 6)) * [1, 2, 3, 1, 1, 5] * 8  # a few rows far from the others and each other
    return X, rng.normal(size=(30, 6)) * 2


def _kth(reference, rows, k, leave_self_out=False):
    search = NearestNeighbors(n_neighbors=k + leave_self_out).fit(reference)
    return search.kneighbors(rows)[0][:, -1]


def _whitened(det, i, X):
    return (det.estimators_[i].transform(X) - det.code_means_[i]) @ det.code_whiteners_[i]


@pytest.mark.parametrize("measure", ["neighbors", "code_neighbors"])
def test_scores_are_minus_the_kth_neighbour_distance_by_hand(data, measure):
    X, X_new = data
    det = detector(measure=measure, n_estimators=2).fit(X)
    if measure == "neighbors":
        spaces = [(X / det.feature_scales_, X_new / det.feature_scales_)]
    else:
        spaces = [(_whitened(det, i, X), _whitened(det, i, X_new)) for i in range(2)]
    expected = -np.mean([_kth(ref, rows, K) for ref, rows in spaces], axis=0)
    np.testing.assert_allclose(det.score_samples(X_new), expected, rtol=1e-10, atol=1e-12)
    # the threshold: the training rows scored as score_samples scores them (each is its own nearest row)
    training = -np.mean([_kth(ref, ref, K) for ref, _ in spaces], axis=0)
    np.testing.assert_allclose(det.score_samples(X), training, rtol=1e-10, atol=1e-12)
    assert det.offset_ == pytest.approx(AutoencoderOutlierDetector._auto_offset(training), rel=1e-10, abs=1e-12)
    fixed = clone(det).set_params(contamination=0.1).fit(X)
    assert fixed.offset_ == pytest.approx(np.percentile(training, 10.0), rel=1e-10, abs=1e-12)


def test_far_rows_score_lowest_and_are_flagged(data):
    X, _ = data
    det = detector(measure="neighbors", contamination=0.04).fit(X)
    assert set(np.argsort(det.score_samples(X))[:8]) == set(range(8))
    assert (det.predict(X[:8]) == -1).all()


def test_other_measures_keep_no_reference(data):
    X, _ = data
    det = detector(measure="distance").fit(X)
    assert det.neighbor_reference_ is None and det.code_references_ is None
    det = detector(measure="neighbors").fit(X)
    assert det.neighbor_reference_.shape == X.shape and det.code_references_ is None
    det = detector(measure="code_neighbors").fit(X)
    assert det.neighbor_reference_ is None and det.code_references_.shape == (1, X.shape[0], 2)


def test_the_reference_is_a_bounded_sample_of_the_training_rows(data, monkeypatch):
    X, X_new = data
    monkeypatch.setattr(outlier, "_MAX_REFERENCE_VALUES", 6 * 50)  # 50 rows of 6 features; batches of 6 rows
    det = detector(measure="neighbors").fit(X)
    reference = det.neighbor_reference_ * det.feature_scales_
    assert reference.shape == (50, 6)
    # each reference row is a training row, each once
    matches = [np.flatnonzero(np.all(np.isclose(X, row), axis=1)) for row in reference]
    assert all(len(m) == 1 for m in matches) and len({int(m[0]) for m in matches}) == 50
    expected = -_kth(det.neighbor_reference_, X_new / det.feature_scales_, K)
    np.testing.assert_allclose(det.score_samples(X_new), expected, rtol=1e-10)
    # the row limit applies too
    monkeypatch.setattr(neighbors, "MAX_REFERENCE", 40)
    assert detector(measure="neighbors").fit(X).neighbor_reference_.shape == (40, 6)


def test_sparse_input_scores_as_dense(data):
    X, X_new = data
    X = np.where(np.abs(X) < 1, 0.0, X)
    dense = detector(measure="neighbors").fit(X)
    sparse = detector(measure="neighbors").fit(sp.csr_matrix(X))
    np.testing.assert_allclose(sparse.score_samples(sp.csr_matrix(X_new)), dense.score_samples(X_new), rtol=1e-9)
    assert sparse.offset_ == pytest.approx(dense.offset_, rel=1e-9)


@pytest.mark.parametrize("measure", ["neighbors", "code_neighbors"])
def test_save_load_and_pickle_keep_the_scores(data, measure, tmp_path):
    X, X_new = data
    det = detector(measure=measure).fit(X)
    save(det, tmp_path / "det.safetensors")
    for copy in (load(tmp_path / "det.safetensors"), pickle.loads(pickle.dumps(det))):
        np.testing.assert_array_equal(copy.score_samples(X_new), det.score_samples(X_new))


def test_a_saved_reference_of_the_wrong_width_is_refused(data):
    X, _ = data
    det = detector(measure="neighbors").fit(X)
    state = det.__getstate__()
    state["neighbor_reference_"] = state["neighbor_reference_"][:, :3]
    with pytest.raises(ValueError, match="neighbor_reference_"):
        AutoencoderOutlierDetector.__new__(AutoencoderOutlierDetector).__setstate__(state)
    state = det.__getstate__()
    state["measure_"] = "distance"  # a reference where the measure needs none
    with pytest.raises(ValueError, match="neighbor_reference_"):
        AutoencoderOutlierDetector.__new__(AutoencoderOutlierDetector).__setstate__(state)


def test_n_neighbors_is_validated(data):
    X, _ = data
    with pytest.raises(ValueError, match="n_neighbors"):
        detector(measure="neighbors", n_neighbors=0).fit(X)


@pytest.mark.parametrize("measure", ["neighbors", "code_neighbors", "combined"])
def test_the_onnx_graph_scores_as_python(data, measure):
    skl2onnx = pytest.importorskip("skl2onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    from sklearn_ae.onnx import register

    register()
    X, X_new = data
    det = detector(measure=measure, n_estimators=2).fit(X)
    model = skl2onnx.to_onnx(det, X[:1], options={id(det): {"score_samples": True}})
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    labels, decision, scores = session.run(None, {session.get_inputs()[0].name: X_new})
    # the graph's squared distances are |x|^2 - 2 x.r + |r|^2: rounding differs from scikit-learn's search
    np.testing.assert_allclose(scores[:, 0], det.score_samples(X_new), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(decision[:, 0], det.decision_function(X_new), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(labels.ravel(), det.predict(X_new))
    # a training row is its own nearest neighbour: distance 0 up to the graph's rounding, never NaN
    scores_train = session.run(None, {session.get_inputs()[0].name: X[:20]})[2][:, 0]
    np.testing.assert_allclose(scores_train, det.score_samples(X[:20]), rtol=1e-7, atol=1e-6)


def test_combined_is_the_mean_of_the_distance_score_and_the_neighbour_z_score_by_hand(data):
    X, X_new = data
    det = detector(measure="combined").fit(X)
    distance = clone(det).set_params(measure="distance").fit(X)
    scaled, scaled_new = X / det.feature_scales_, X_new / det.feature_scales_
    training = _kth(scaled, scaled, K, leave_self_out=True)
    median = np.median(training)
    spread = 1.4826 * np.median(np.abs(training - median))
    assert det.neighbor_median_ == pytest.approx(median, rel=1e-12)
    assert det.neighbor_spread_ == pytest.approx(spread, rel=1e-12)
    z = (_kth(scaled, scaled_new, K) - median) / spread
    expected = (distance.score_samples(X_new) - z) / 2
    np.testing.assert_allclose(det.score_samples(X_new), expected, rtol=1e-10, atol=1e-12)
    # the z-score's median and spread leave each training row out (as a new row is not among them); the
    # threshold takes the training rows as score_samples scores them
    expected_training = (distance.score_samples(X) - (_kth(scaled, scaled, K) - median) / spread) / 2
    assert det.offset_ == pytest.approx(AutoencoderOutlierDetector._auto_offset(expected_training), rel=1e-9)
