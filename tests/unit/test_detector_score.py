"""Unit tests of sklearn_ae._detector_score: the numpy op set against the score written out by hand, the
detector's scores against the same from its public arrays, and the ONNX graph (the other op set) against them."""

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderOutlierDetector
from sklearn_ae._detector_score import (
    NUMPY,
    MemberStats,
    code_distance,
    codes_can_copy,
    decision,
    detector_score,
    feature_errors,
    member_score,
    member_stats,
    residuals,
)

N_ROWS, N_FEATURES, N_CODES = 7, 4, 2


def _stats(seed, n_codes=N_CODES):
    rng = np.random.default_rng(seed)
    return MemberStats(
        residual_scale=rng.uniform(0.5, 2.0, N_FEATURES),
        code_mean=rng.normal(size=n_codes),
        whitener=rng.normal(size=(n_codes, n_codes)),
        error_median=float(rng.uniform(0.5, 1.5)),
        error_spread=float(rng.uniform(0.1, 0.5)),
        distance_median=float(rng.uniform(0.5, 1.5)),
        distance_spread=float(rng.uniform(0.1, 0.5)),
    )


def _rows(seed, n_codes=N_CODES):
    """Rows, their reconstructions, codes and the feature scales."""
    rng = np.random.default_rng(100 + seed)
    x = rng.normal(size=(N_ROWS, N_FEATURES))
    recon = x + 0.3 * rng.normal(size=x.shape)
    z = rng.normal(size=(N_ROWS, n_codes))
    return x, recon, z, rng.uniform(0.5, 3.0, N_FEATURES)


def _by_hand(x, recon, z, sigma, st, measure, copies):
    """One member's score written out with numpy, as the detector's documentation states it."""
    error = (np.abs((x - recon) / sigma) / st.residual_scale).mean(axis=1)
    if measure == "reconstruction":
        return -error
    distance = np.abs((z - st.code_mean) @ st.whitener).mean(axis=1)
    along = (distance - st.distance_median) / st.distance_spread
    off = (error - st.error_median) / st.error_spread
    return -along if copies else -np.maximum(off, along)


def test_residuals_feature_errors_and_code_distance_by_hand():
    x, recon, z, sigma = _rows(0)
    st = _stats(0)
    r = residuals(NUMPY, x, recon, sigma)
    np.testing.assert_array_equal(r, (x - recon) / sigma)
    np.testing.assert_array_equal(feature_errors(NUMPY, r, st.residual_scale), np.abs(r) / st.residual_scale)
    distance = code_distance(NUMPY, z, st.code_mean, st.whitener)
    assert distance.shape == (N_ROWS,)
    expected = [np.mean(np.abs(st.whitener.T @ (row - st.code_mean))) for row in z]
    np.testing.assert_allclose(distance, expected, rtol=1e-14)


@pytest.mark.parametrize(
    "measure, copies", [("reconstruction", False), ("distance", False), ("distance", True)], ids=str
)
def test_member_score_by_hand(measure, copies):
    x, recon, z, sigma = _rows(1)
    st = _stats(1)
    score = member_score(NUMPY, residuals(NUMPY, x, recon, sigma), z, st, measure, copies)
    assert score.shape == (N_ROWS,) and score.dtype == np.float64
    # the same numpy operations in the same order: bit for bit
    np.testing.assert_array_equal(score, _by_hand(x, recon, z, sigma, st, measure, copies))


def test_distance_is_the_larger_z_score_and_copies_drops_the_error():
    x, recon, z, sigma = _rows(2)
    st = _stats(2)._replace(error_median=0.0, error_spread=1e-3)  # a huge error z-score: it wins the maximum
    r = residuals(NUMPY, x, recon, sigma)
    error = NUMPY.row_mean(feature_errors(NUMPY, r, st.residual_scale))
    np.testing.assert_allclose(member_score(NUMPY, r, z, st, "distance", False), -error / 1e-3)
    along = (code_distance(NUMPY, z, st.code_mean, st.whitener) - st.distance_median) / st.distance_spread
    np.testing.assert_array_equal(member_score(NUMPY, r, z, st, "distance", True), -along)


def test_detector_score_averages_members_and_decision_subtracts_the_offset():
    scores = [np.array([1.0, -2.0, 0.5]), np.array([3.0, 0.0, -0.5])]
    score = detector_score(NUMPY, scores)
    np.testing.assert_array_equal(score, [2.0, -1.0, 0.0])
    assert score.dtype == np.float64
    np.testing.assert_array_equal(decision(NUMPY, score, 0.5), [1.5, -1.5, -0.5])


def test_member_stats_reads_the_public_arrays_by_index():
    stats = [_stats(0), _stats(1)]
    detector = SimpleNamespace(
        residual_scales_=np.array([m.residual_scale for m in stats]),
        code_means_=np.array([m.code_mean for m in stats]),
        code_whiteners_=np.array([m.whitener for m in stats]),
        error_medians_=np.array([m.error_median for m in stats]),
        distance_medians_=np.array([m.distance_median for m in stats]),
        error_spreads_=np.array([m.error_spread for m in stats]),
        distance_spreads_=np.array([m.distance_spread for m in stats]),
        n_features_in_=N_FEATURES,
    )
    read = member_stats(detector)
    assert len(read) == 2
    for got, expected in zip(read, stats, strict=True):
        assert got._fields == expected._fields
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b)
    assert not codes_can_copy(detector)
    detector.code_means_ = np.zeros((2, N_FEATURES))
    assert codes_can_copy(detector)


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    X[:, 3] = X[:, 0] + X[:, 1] + 0.1 * X[:, 3]
    X_test = rng.normal(size=(40, 5)) * 1.5
    return X, X_test


# PCA copies: fast fits; 5 components of 5 features make codes that can copy the rows
DETECTORS = {
    "distance": dict(estimator=PCA(2), n_estimators=2, measure="distance"),
    "reconstruction": dict(estimator=PCA(2, whiten=True), measure="reconstruction"),
    "distance-copies": dict(estimator=PCA(5), measure="distance"),
}


@pytest.mark.parametrize("params", DETECTORS.values(), ids=DETECTORS.keys())
def test_detector_scores_are_the_shared_score_of_its_public_arrays(params):
    X, X_test = _data()
    detector = AutoencoderOutlierDetector(**params, random_state=0).fit(X)
    copies = codes_can_copy(detector)
    assert copies == (params["estimator"].n_components == X.shape[1])
    hand, errors = [], []
    for member, st in zip(detector.estimators_, member_stats(detector), strict=True):
        z = member.transform(X_test)
        recon = member.inverse_transform(z)
        hand.append(_by_hand(X_test, recon, z, detector.feature_scales_, st, detector.measure_, copies))
        errors.append(np.abs((X_test - recon) / detector.feature_scales_) / st.residual_scale)
    np.testing.assert_array_equal(detector.score_samples(X_test), np.mean(hand, axis=0))
    np.testing.assert_array_equal(detector.decision_function(X_test), np.mean(hand, axis=0) - detector.offset_)
    np.testing.assert_array_equal(detector.feature_errors(X_test), np.mean(errors, axis=0))


@pytest.mark.parametrize("params", DETECTORS.values(), ids=DETECTORS.keys())
def test_onnx_graph_computes_score_samples(params):
    skl2onnx = pytest.importorskip("skl2onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    from sklearn_ae.onnx import register

    register()
    X, X_test = _data()
    detector = AutoencoderOutlierDetector(**params, random_state=0).fit(X)
    model = skl2onnx.to_onnx(detector, X[:1], options={"score_samples": True})
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    labels, decided, scores = session.run(None, {"X": X_test})
    np.testing.assert_allclose(scores[:, 0], detector.score_samples(X_test), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(decided[:, 0], detector.decision_function(X_test), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(labels[:, 0], detector.predict(X_test))
