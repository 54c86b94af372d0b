"""ONNX export through skl2onnx: onnxruntime reproduces transform, pipelines and the detector."""

import logging

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer

skl2onnx = pytest.importorskip("skl2onnx")
onnxruntime = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

from sklearn_ae.onnx import _TORCHVISION_LOGGER, _check_export, _export, register  # noqa: E402

# float32 parity: what the issue asks of transform and predict_proba
ATOL = RTOL = 1e-5

NETWORKS = {
    "dense": dict(hidden_layer_sizes=(16,)),
    "conv": dict(image_shape=(8, 8), hidden_layer_sizes=(4, 8)),
}


@pytest.fixture(scope="module", autouse=True)
def registered():
    register()


@pytest.fixture(scope="module")
def data():
    """Digits as float32: 1000 training rows, 300 held out, and the labels."""
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    return X[:1000], y[:1000], X[1000:1300], y[1000:1300]


def _session(model):
    return onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _run(model, X):
    session = _session(model)
    return session.run(None, {session.get_inputs()[0].name: X})


@pytest.fixture(scope="module", params=sorted(NETWORKS))
def pipeline(request, data):
    X, y, _, _ = data
    ae = AutoencoderTransformer(8, max_epochs=2, random_state=0, **NETWORKS[request.param])
    return make_pipeline(StandardScaler(), ae, LogisticRegression(max_iter=300)).fit(X[:600], y[:600])


def test_pipeline_predict_proba_and_transform(pipeline, data):
    X, _, X_test, _ = data
    model = skl2onnx.to_onnx(pipeline, X[:1], options={"zipmap": False})
    labels, proba = _run(model, X_test)
    np.testing.assert_allclose(proba, pipeline.predict_proba(X_test), atol=ATOL, rtol=RTOL)
    np.testing.assert_array_equal(labels, pipeline.predict(X_test))

    transformer = make_pipeline(*pipeline[:2])  # the scaler and the autoencoder
    session = _session(skl2onnx.to_onnx(transformer, X[:1]))
    (codes,) = session.run(None, {"X": X_test})
    expected = transformer.transform(X_test)
    assert codes.dtype == np.float32 and codes.shape == expected.shape
    np.testing.assert_allclose(codes, expected, atol=ATOL, rtol=RTOL)
    # the batch dimension is dynamic: one row, as in a serving loop
    np.testing.assert_allclose(session.run(None, {"X": X_test[:1]})[0], expected[:1], atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize(
    "estimator",
    [
        AutoencoderTransformer(4, hidden_layer_sizes=(16,), tied_weights=True, max_epochs=2, random_state=0),
        AutoencoderTransformer(
            4, image_shape=(8, 8), hidden_layer_sizes=(4,), tied_weights=True, layer_matching=0.1, max_epochs=2
        ),
        VAETransformer(3, hidden_layer_sizes=(16,), max_epochs=2, random_state=0),
        AutoencoderTransformer(
            3, hidden_layer_sizes=(8,), noise="masking", sparsity=0.1, contractive=0.1, max_epochs=1, random_state=0
        ),
    ],
    ids=["tied", "conv-tied-matching", "vae", "denoising-sparse-contractive"],
)
def test_variants_transform(estimator, data):
    X, _, X_test, _ = data
    estimator.fit(X[:500])
    (codes,) = _run(skl2onnx.to_onnx(estimator, X[:1]), X_test)
    np.testing.assert_allclose(codes, estimator.transform(X_test), atol=ATOL, rtol=RTOL)


def test_float64_input_and_the_estimator_left_alone(data, global_rngs_untouched):
    X, _, X_test, _ = data
    X, X_test = X.astype(np.float64), X_test.astype(np.float64)
    ae = AutoencoderTransformer(4, hidden_layer_sizes=(16,), max_epochs=2, random_state=0).fit(X[:500])
    before = ae.transform(X_test)
    threads = torch.get_num_threads()
    with global_rngs_untouched():
        model = skl2onnx.to_onnx(ae, X[:1])
    assert torch.get_num_threads() == threads
    assert ae.net_.module_.training is False
    np.testing.assert_array_equal(ae.transform(X_test), before)
    (codes,) = _run(model, X_test)
    assert codes.dtype == np.float64
    # float32 weights, float64 arithmetic as in transform: far tighter than any float32 computation
    np.testing.assert_allclose(codes, before, rtol=1e-10, atol=1e-10)


@pytest.fixture(scope="module")
def sessions(data):
    """A small autoencoder and a detector around it, with their onnxruntime sessions."""
    X, _, _, _ = data
    ae = AutoencoderTransformer(3, hidden_layer_sizes=(8,), max_epochs=1, random_state=0).fit(X[:300])
    detector = AutoencoderOutlierDetector(ae, random_state=0).fit(X[:300])
    return (ae, _session(skl2onnx.to_onnx(ae, X[:1]))), (detector, _session(skl2onnx.to_onnx(detector, X[:1])))


@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(
    X=hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 40), st.just(64)),
        elements=st.floats(-50, 50, width=32),
    )
)
def test_any_rows_and_batch_size(sessions, X):
    """Whatever the number of rows and their values (beyond the training range too), onnxruntime agrees."""
    (ae, ae_session), (detector, detector_session) = sessions
    expected = ae.transform(X)
    (codes,) = ae_session.run(None, {"X": X})
    np.testing.assert_allclose(codes, expected, rtol=RTOL, atol=ATOL * max(1.0, np.abs(expected).max()))
    labels, decision = detector_session.run(None, {"X": X})
    expected = detector.decision_function(X)
    np.testing.assert_allclose(decision[:, 0], expected, rtol=1e-5, atol=1e-5 * max(1.0, np.abs(expected).max()))
    clear = np.abs(expected) > 1e-5 * max(1.0, np.abs(expected).max())
    np.testing.assert_array_equal(labels[clear, 0], detector.predict(X)[clear])


# ------------------------------------------------------------------ detector
def _detector_parity(detector, X, X_test):
    model = skl2onnx.to_onnx(detector, X[:1])
    session = _session(model)
    assert [o.name for o in session.get_outputs()] == ["label", "scores"]  # as skl2onnx's IsolationForest
    labels, decision = session.run(None, {"X": X_test})
    expected = detector.decision_function(X_test)
    assert labels.shape == decision.shape == (len(X_test), 1) and labels.dtype == np.int64
    np.testing.assert_allclose(decision[:, 0], expected, rtol=1e-5, atol=1e-5 * np.abs(expected).mean())
    away_from_threshold = np.abs(expected) > 1e-5
    np.testing.assert_array_equal(labels[away_from_threshold, 0], detector.predict(X_test)[away_from_threshold])
    return labels[:, 0]


@pytest.fixture(scope="module")
def outlier_rows(data):
    """Held-out digits with a few rows broken (pixels set to 16 or shuffled), so that both labels occur."""
    _, _, X_test, _ = data
    X_test = X_test.copy()
    rng = np.random.default_rng(0)
    X_test[:20, rng.choice(64, 20, replace=False)] = 16.0
    X_test[20:40] = rng.permuted(X_test[20:40], axis=1)
    return X_test


@pytest.mark.parametrize(
    "detector",
    [
        AutoencoderOutlierDetector(
            AutoencoderTransformer(2, hidden_layer_sizes=(8,), scaling="standard", max_epochs=2),
            n_estimators=2,
            random_state=0,
        ),
        AutoencoderOutlierDetector(
            AutoencoderTransformer(4, image_shape=(8, 8), hidden_layer_sizes=(4,), loss="bce", max_epochs=2),
            measure="reconstruction",
            contamination=0.1,
            random_state=0,
        ),
        AutoencoderOutlierDetector(VAETransformer(2, hidden_layer_sizes=(8,), max_epochs=2), random_state=0),
        AutoencoderOutlierDetector(PCA(n_components=5, whiten=True), contamination=0.05),
    ],
    ids=["dense-2-copies-distance", "conv-bce-reconstruction", "vae-distance", "pca-whiten"],
)
def test_detector_parity(detector, data, outlier_rows):
    X, _, _, _ = data
    X = X[:600]
    X_fit = X / 16.0 if detector.estimator.get_params().get("loss") == "bce" else X
    X_rows = outlier_rows / 16.0 if X_fit is not X else outlier_rows
    detector.fit(X_fit)
    labels = _detector_parity(detector, X_fit, X_rows.astype(np.float32))
    assert set(labels) == {-1, 1}


def test_detector_outputs_mirror_isolation_forest(data, outlier_rows):
    """The same outputs as skl2onnx gives IsolationForest, the score_samples option included."""
    X, _, _, _ = data
    detector = AutoencoderOutlierDetector(PCA(n_components=5), measure="reconstruction").fit(X)
    forest = IsolationForest(n_estimators=5, random_state=0).fit(X)
    for options in ({}, {"score_samples": True}):
        opsets = {"": 21, "ai.onnx.ml": 3}  # skl2onnx's IsolationForest converter needs this ml opset
        sessions = [
            _session(skl2onnx.to_onnx(m, X[:1], options=options, target_opset=opsets)) for m in (detector, forest)
        ]
        ours, theirs = ([(o.name, o.type, o.shape[1]) for o in s.get_outputs()] for s in sessions)
        assert ours == theirs
    outputs = sessions[0].run(None, {"X": outlier_rows})
    np.testing.assert_allclose(outputs[2][:, 0], detector.score_samples(outlier_rows), rtol=1e-5)
    np.testing.assert_allclose(outputs[1][:, 0], detector.decision_function(outlier_rows), rtol=1e-5, atol=1e-6)


def test_detector_codes_as_wide_as_rows():
    """With codes as wide as the rows only the code distance counts; the ONNX graph takes that branch too."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)).astype(np.float32)
    ae = AutoencoderTransformer(4, hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
    detector = AutoencoderOutlierDetector(ae, random_state=0).fit(X)
    X_test = rng.normal(size=(200, 4)).astype(np.float32) * 2
    _detector_parity(detector, X, X_test)
    # float64 input: float64 all through, as decision_function computes
    labels, decision = _run(skl2onnx.to_onnx(detector, X[:1].astype(np.float64)), X_test.astype(np.float64))
    assert decision.dtype == np.float64
    np.testing.assert_allclose(decision[:, 0], detector.decision_function(X_test), rtol=1e-10, atol=1e-12)


def _with_non_finite_rows(X):
    """``X`` with a NaN, +inf or -inf in every 7th row, and the indices of those rows."""
    X = X.copy()
    rows = np.arange(0, len(X), 7)
    for i, row in enumerate(rows):
        X[row, (5 * i) % X.shape[1]] = (np.nan, np.inf, -np.inf)[i % 3]
    return X, rows


def test_detector_graph_flags_non_finite_rows_as_outliers(sessions, outlier_rows):
    """predict refuses a row with a NaN or an inf; the graph, which cannot raise, scores it -inf, an outlier."""
    (_, _), (detector, session) = sessions
    X_bad, rows = _with_non_finite_rows(outlier_rows)
    with pytest.raises(ValueError, match="NaN|infinity"), np.errstate(invalid="ignore"):
        detector.predict(X_bad)
    labels, decision = session.run(None, {"X": X_bad})
    np.testing.assert_array_equal(labels[rows, 0], -1)
    np.testing.assert_array_equal(decision[rows, 0], -np.inf)
    # the finite rows give exactly what they give without non-finite neighbours
    finite = np.setdiff1d(np.arange(len(X_bad)), rows)
    expected_labels, expected_decision = session.run(None, {"X": outlier_rows})
    np.testing.assert_array_equal(labels[finite], expected_labels[finite])
    np.testing.assert_array_equal(decision[finite], expected_decision[finite])
    assert set(labels[finite, 0]) == {-1, 1}


def test_detector_graph_non_finite_rows_float64_and_score_samples(data, outlier_rows):
    X, _, _, _ = data
    detector = AutoencoderOutlierDetector(PCA(n_components=5), measure="reconstruction").fit(X.astype(np.float64))
    X_bad, rows = _with_non_finite_rows(outlier_rows.astype(np.float64))
    X_bad[rows[-3]] = np.nan  # a row of NaNs only
    X_bad[rows[-2], :32], X_bad[rows[-2], 32:] = np.inf, -np.inf
    model = skl2onnx.to_onnx(detector, X_bad[:1], options={"score_samples": True})
    labels, decision, score_samples = _run(model, X_bad)
    np.testing.assert_array_equal(labels[rows, 0], -1)
    np.testing.assert_array_equal(decision[rows, 0], -np.inf)
    np.testing.assert_array_equal(score_samples[rows, 0], -np.inf)
    finite = np.setdiff1d(np.arange(len(X_bad)), rows)
    np.testing.assert_allclose(score_samples[finite, 0], detector.score_samples(X_bad[finite]), rtol=1e-10)
    np.testing.assert_allclose(decision[finite, 0], detector.decision_function(X_bad[finite]), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(labels[finite, 0], detector.predict(X_bad[finite]))


# -------------------------------------------------------------- unsupported
def test_unsupported_cases_raise_clear_errors(data):
    X, _, _, _ = data
    X_fit = X[:300]
    likelihood = AutoencoderOutlierDetector(PCA(2), measure="likelihood").fit(X_fit)
    with pytest.raises(NotImplementedError, match="measure='likelihood'"):
        skl2onnx.to_onnx(likelihood, X[:1])
    svd = AutoencoderOutlierDetector(TruncatedSVD(2, random_state=0), measure="reconstruction").fit(X_fit)
    with pytest.raises(NotImplementedError, match="not TruncatedSVD"):
        skl2onnx.to_onnx(svd, X[:1])
    with pytest.raises(NotFittedError):
        skl2onnx.to_onnx(AutoencoderTransformer(2), X[:1])
    ae = AutoencoderTransformer(2, hidden_layer_sizes=(), max_epochs=0).fit(X_fit)
    with pytest.raises(ValueError, match="target_opset >= 18"):
        skl2onnx.to_onnx(ae, X[:1], target_opset=17)
    with pytest.raises(TypeError, match="float32 or float64 input"):
        skl2onnx.to_onnx(ae, X[:1].astype(np.int64))


def test_declared_input_width_checked_at_conversion(data):
    """A declared input narrower or wider than n_features_in_ fails in to_onnx, naming both widths."""
    X, _, X_test, _ = data
    ae = AutoencoderTransformer(2, hidden_layer_sizes=(), max_epochs=0).fit(X[:300])
    detector = AutoencoderOutlierDetector(PCA(2), measure="reconstruction").fit(X[:300])
    pipeline = make_pipeline(ae, StandardScaler()).fit(X[:300])  # ours the first step
    for estimator in (ae, detector, pipeline):
        name = type(estimator[0] if estimator is pipeline else estimator).__name__
        for width in (63, 65):
            with pytest.raises(ValueError, match=rf"{name} is declared with {width} columns, .* on 64 features"):
                skl2onnx.to_onnx(estimator, np.zeros((1, width), dtype=np.float32))
    # a width declared unknown is not checked: the graph runs on rows of the right width
    unknown = [("X", skl2onnx.common.data_types.FloatTensorType([None, None]))]
    (codes,) = _run(skl2onnx.to_onnx(ae, initial_types=unknown), X_test)
    np.testing.assert_allclose(codes, ae.transform(X_test), atol=ATOL, rtol=RTOL)
    _, decision = _run(skl2onnx.to_onnx(detector, initial_types=unknown), X_test)
    np.testing.assert_allclose(decision[:, 0], detector.decision_function(X_test), rtol=1e-5, atol=1e-6)


class _Linear(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)


class _BranchingEncoder(_Linear):
    """Python control flow on a tensor's value: torch.export cannot trace it."""

    def __init__(self, n_features, n_components):
        super().__init__(n_features, n_components)

    def forward(self, x):
        h = self.linear(x)
        return h if float(h.sum()) > 0 else -h


class _Decoder(_Linear):
    def __init__(self, n_features, n_components):
        super().__init__(n_components, n_features)

    def forward(self, z):
        return self.linear(z)


class _Encoder(_Linear):
    def __init__(self, n_features, n_components):
        super().__init__(n_features, n_components)

    def forward(self, x):
        return torch.tanh(self.linear(x))


def test_custom_networks(data):
    X, _, X_test, _ = data
    ae = AutoencoderTransformer(3, encoder=_Encoder, decoder=_Decoder, max_epochs=2, random_state=0).fit(X[:300])
    (codes,) = _run(skl2onnx.to_onnx(ae, X[:1]), X_test)
    np.testing.assert_allclose(codes, ae.transform(X_test), atol=ATOL, rtol=RTOL)

    branching = AutoencoderTransformer(3, encoder=_BranchingEncoder, decoder=_Decoder, max_epochs=0).fit(X[:300])
    with pytest.raises(NotImplementedError, match="could not export .*encoder _BranchingEncoder"):
        skl2onnx.to_onnx(branching, X[:1])

    # an export that succeeds but computes something else (e.g. a Python value recorded as a constant) is caught
    module = ae.net_.module_
    model = _export(((lambda x: module.encode(x)), [module]), 64, np.float32, 18, "the encoder")
    _check_export(model, lambda x: module.encode(x), 64, torch.float32, "the encoder")
    with pytest.raises(NotImplementedError, match="onnxruntime does not reproduce it"):
        _check_export(model, lambda x: module.encode(x) + 1e-3, 64, torch.float32, "the encoder")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_network_trained_on_a_gpu_exports_on_the_cpu(data):
    X, _, X_test, _ = data
    ae = AutoencoderTransformer(4, hidden_layer_sizes=(16,), max_epochs=2, device="cuda", random_state=0).fit(X[:500])
    (codes,) = _run(skl2onnx.to_onnx(ae, X[:1]), X_test)
    assert next(ae.net_.module_.parameters()).is_cuda  # the estimator keeps its network where it was
    # the GPU's float32 products round differently from the CPU's
    np.testing.assert_allclose(codes, ae.transform(X_test), atol=1e-4, rtol=1e-4)


def test_export_prints_and_logs_no_torchvision_notices(data, capfd, caplog):
    """torch's exporter says at every export that torchvision is not installed: silenced during ours only."""
    X, _, _, _ = data
    ae = AutoencoderTransformer(2, hidden_layer_sizes=(), max_epochs=0).fit(X[:100])
    exporter_logger = logging.getLogger(_TORCHVISION_LOGGER)
    filters, level = list(exporter_logger.filters), exporter_logger.getEffectiveLevel()
    with caplog.at_level(logging.DEBUG):
        skl2onnx.to_onnx(ae, X[:1])
    out, err = capfd.readouterr()
    assert "torchvision" not in out + err
    assert not [record for record in caplog.records if "torchvision is not installed" in record.getMessage()]
    # restored afterwards: outside our exports the logger lets the notice through as before
    assert exporter_logger.filters == filters and exporter_logger.getEffectiveLevel() == level
    record = exporter_logger.makeRecord(
        exporter_logger.name, logging.WARNING, __file__, 0, "torchvision is not installed. Skipping %s", ("x",), None
    )
    assert exporter_logger.filter(record)
