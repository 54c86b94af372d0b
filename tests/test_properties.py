"""Principles of every public method, checked by Hypothesis on random data.

Random finite arrays of random shapes (1-40 rows, 1-8 features), scales (1e-30 to 1e150, global or per
feature, around zero or far from it), dtypes (float64, float32, int64) and layouts (C and F order, CSR,
a pandas DataFrame) are fed to the three estimators, drawn with random parameters. The principles:

- every method returns finite values of the right shape and dtype, or raises a scikit-learn-style
  error (ValueError, TypeError or FloatingPointError) with a message: never a silent NaN or inf;
- a row alone gives what it gives inside a batch;
- inference never changes the fitted state (the ``__dict__`` and the network's weights);
- a failed refit leaves the fitted state as it was.

The runs are deterministic (the ``sklearn-ae`` profile: ``derandomize=True``); set
``HYPOTHESIS_PROFILE=sklearn-ae-explore`` for a longer random search.
"""

import copy
import os
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import clone

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer

settings.register_profile(
    "sklearn-ae",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=20,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "sklearn-ae-explore", parent=settings.get_profile("sklearn-ae"), derandomize=False, max_examples=300
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "sklearn-ae"))

# Warnings (posterior collapse, feature names, overflow in a cast) are allowed; wrong values are not.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")

ERRORS = (ValueError, TypeError, FloatingPointError)
FAST = {"hidden_layer_sizes": (4,), "max_epochs": 1, "random_state": 0}
KINDS = ("autoencoder", "vae", "detector")

# ---------------------------------------------------------------------------------------------- the data
BASE = 1e3  # the unscaled values lie in [-BASE, BASE] around an offset
OFFSETS = (0.0, 1e3, 1e8)  # far from zero: the features' spread is small against their magnitude
LAYOUTS = ("C", "F", "csr", "pandas")


def _max_exponent(dtype, offset):
    """The largest power of ten that keeps ``(BASE + offset) * 10**e`` finite in ``dtype``, at most 150."""
    top = np.iinfo(np.int64).max if dtype == np.int64 else np.finfo(dtype).max
    return int(min(150, np.floor(np.log10(top / (BASE + offset))) - 1))


class Data:
    """A drawn data set: ``dense`` (an ndarray of ``dtype``) and ``X``, the same in the drawn layout."""

    def __init__(self, dense, layout):
        self.dense, self.layout = dense, layout
        self.X = _in_layout(dense, layout)

    @property
    def float_dtype(self):
        """The dtype of the estimators' float outputs for this input."""
        return np.dtype(np.float32) if self.dense.dtype == np.float32 else np.dtype(np.float64)

    def rows(self, start, stop):
        return self.X.iloc[start:stop] if self.layout == "pandas" else self.X[start:stop]

    def __repr__(self):
        return f"Data(layout={self.layout!r}, dtype={self.dense.dtype}, dense=np.{self.dense!r})"


def _in_layout(dense, layout):
    if layout == "F":
        return np.asfortranarray(dense)
    if layout == "csr":
        return sp.csr_matrix(dense)
    if layout == "pandas":
        return pd.DataFrame(dense, columns=[f"x{j}" for j in range(dense.shape[1])])
    return np.ascontiguousarray(dense)


@st.composite
def datasets(draw, n_features=None, min_rows=1, max_rows=40):
    """A :class:`Data` of random shape, scale, offset, dtype and layout."""
    n_rows = draw(st.integers(min_rows, max_rows))
    n_features = draw(st.integers(1, 8)) if n_features is None else n_features
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64]))
    offset = draw(st.sampled_from(OFFSETS))
    exponents = st.integers(0 if dtype == np.int64 else -30, _max_exponent(dtype, offset))
    if draw(st.booleans()):
        exponent = np.full(n_features, draw(exponents))
    else:
        exponent = np.array(draw(st.lists(exponents, min_size=n_features, max_size=n_features)))
    values = draw(hnp.arrays(np.float64, (n_rows, n_features), elements=st.floats(-BASE, BASE)))
    dense = (values + offset) * 10.0 ** exponent.astype(np.float64)
    dense = np.rint(dense).astype(np.int64) if dtype == np.int64 else dense.astype(dtype)
    return Data(dense, draw(st.sampled_from(LAYOUTS)))


# ----------------------------------------------------------------------------------------- the models
@st.composite
def autoencoders(draw):
    return AutoencoderTransformer(
        n_components=draw(st.integers(1, 3)),
        init=draw(st.sampled_from(["auto", "random"])),
        scaling=draw(st.sampled_from(["auto", "standard", "minmax", None])),
        activation=draw(st.sampled_from(["relu", "tanh"])),
        early_stopping=draw(st.booleans()),
        **FAST,
    )


@st.composite
def vaes(draw):
    bernoulli = draw(st.booleans()) and draw(st.booleans())  # a quarter: most data is not in [0, 1]
    return VAETransformer(
        n_components=draw(st.integers(1, 3)),
        likelihood="bernoulli" if bernoulli else "gaussian",
        noise_variance=draw(st.sampled_from(["global", "feature"])),
        n_importance_samples=draw(st.sampled_from([1, 3])),
        scaling=draw(st.sampled_from(["minmax", None] if bernoulli else ["auto", "standard", None])),
        early_stopping=draw(st.booleans()),
        **FAST,
    )


@st.composite
def detectors(draw):
    return AutoencoderOutlierDetector(
        draw(st.one_of(autoencoders(), vaes().filter(lambda v: v.likelihood == "gaussian"))),
        measure=draw(st.sampled_from(["distance", "reconstruction", "likelihood"])),
        contamination=draw(st.sampled_from(["auto", 0.1])),
        n_estimators=draw(st.sampled_from([1, 2])),
        random_state=0,
    )


MODELS = {"autoencoder": autoencoders(), "vae": vaes(), "detector": detectors()}


def _n_features(data):
    return data.dense.shape[1]


def _fit(model, data):
    """``model.fit(data.X)``: the model, or the scikit-learn-style error it raised."""
    result = _outcome(model.fit, data.X)
    event(f"fit: {type(result).__name__}")
    return result


def _outcome(method, *args, **kwargs):
    """What ``method`` returns, or the error it raises, which must be a scikit-learn-style one with a message."""
    try:
        return method(*args, **kwargs)
    except ERRORS as exc:
        assert len(str(exc)) > 20, f"{type(exc).__name__} without a message naming the problem: {exc!r}"
        return exc


def _check(result, shape, dtype, name):
    """``result`` is an error, or a finite ndarray of ``shape`` and ``dtype``."""
    if isinstance(result, Exception):
        return
    assert isinstance(result, np.ndarray), f"{name} returned a {type(result).__name__}"
    assert result.shape == shape, f"{name}: shape {result.shape}, expected {shape}"
    assert result.dtype == dtype, f"{name}: dtype {result.dtype}, expected {dtype}"
    assert np.isfinite(result).all(), f"{name} returned non-finite values without raising: {result}"


def _inference(model, data):
    """Every inference method of ``model`` on ``data``: {name: result or error}, each result checked."""
    n, d = data.dense.shape
    out = {}
    if isinstance(model, AutoencoderOutlierDetector):
        out["score_samples"] = _outcome(model.score_samples, data.X)
        _check(out["score_samples"], (n,), np.float64, "score_samples")
        out["decision_function"] = _outcome(model.decision_function, data.X)
        _check(out["decision_function"], (n,), np.float64, "decision_function")
        out["predict"] = _outcome(model.predict, data.X)
        _check(out["predict"], (n,), np.dtype(int), "predict")
        if not isinstance(out["predict"], Exception):
            assert set(np.unique(out["predict"])) <= {-1, 1}
        out["feature_errors"] = _outcome(model.feature_errors, data.X)
        _check(out["feature_errors"], (n, d), np.float64, "feature_errors")
        return _events(out)
    k = model.n_components_
    out["transform"] = _outcome(model.transform, data.X)
    _check(out["transform"], (n, k), data.float_dtype, "transform")
    if not isinstance(out["transform"], Exception):
        out["inverse_transform"] = _outcome(model.inverse_transform, out["transform"])
        _check(out["inverse_transform"], (n, d), data.float_dtype, "inverse_transform")
        # float64 codes from float32 ones: the dtype follows the codes
        inverse64 = _outcome(model.inverse_transform, out["transform"].astype(np.float64))
        _check(inverse64, (n, d), np.float64, "inverse_transform")
    out["score_samples"] = _outcome(model.score_samples, data.X)
    _check(out["score_samples"], (n,), np.float64, "score_samples")
    score = _outcome(model.score, data.X)
    if not isinstance(score, Exception):
        assert isinstance(score, float) and np.isfinite(score), f"score returned {score!r}"
    if isinstance(model, VAETransformer):
        posterior = _outcome(model.posterior, data.X)
        if not isinstance(posterior, Exception):
            mean, std = posterior
            _check(mean, (n, k), data.float_dtype, "posterior mean")
            _check(std, (n, k), data.float_dtype, "posterior std")
            assert (std >= 0).all(), "a negative posterior standard deviation"
        out["posterior"] = posterior
        out["sample"] = _outcome(model.sample, 3, random_state=0, noise=True)
        _check(out["sample"], (3, d), np.float64, "sample")
    return _events(out)


def _events(results):
    for name, result in results.items():
        event(f"{name}: {type(result).__name__}")
    return results


# --------------------------------------------------------------------------------------- the fitted state
def _snapshot(model):
    """A copy of what ``model`` learned: its ``__dict__`` (arrays copied) and its networks' weights."""
    state = {}
    for name, value in vars(model).items():
        if name == "net_":
            state[name] = value  # the same object ...
            state["net_.weights"] = {k: v.detach().clone() for k, v in value.module_.state_dict().items()}
            state["net_.history"] = len(value.history)
        elif name == "estimators_":
            state[name] = list(value)
            state["estimators_.state"] = [_snapshot(member) for member in value]
        elif isinstance(value, (np.ndarray, int, float, str, tuple, list, dict, type(None))):
            state[name] = copy.deepcopy(value)
        else:
            state[name] = value  # the same object (estimator_, _spec, ...)
    return state


def _assert_same_state(before, after, path="model"):
    assert type(before) is type(after), f"{path}: {type(before).__name__} became {type(after).__name__}"
    if isinstance(before, dict):
        assert before.keys() == after.keys(), f"{path}: attributes {set(before) ^ set(after)} changed"
        for key in before:
            _assert_same_state(before[key], after[key], f"{path}.{key}")
    elif isinstance(before, (list, tuple)):
        assert len(before) == len(after), f"{path}: length changed"
        for i, (b, a) in enumerate(zip(before, after)):
            _assert_same_state(b, a, f"{path}[{i}]")
    elif isinstance(before, np.ndarray):
        assert before.dtype == after.dtype and before.shape == after.shape, f"{path}: dtype or shape changed"
        assert np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"), f"{path}: values changed"
    elif isinstance(before, torch.Tensor):
        assert before.dtype == after.dtype and before.shape == after.shape, f"{path}: dtype or shape changed"
        assert torch.equal(before, after), f"{path}: values changed"
    elif isinstance(before, (int, float, str, type(None))):
        assert before == after or before != before and after != after, f"{path}: {before!r} became {after!r}"
    else:
        assert before is after, f"{path}: the object was replaced"


# ------------------------------------------------------------------------------------------ the tests
@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_every_method_gives_finite_values_of_the_right_shape_or_a_clear_error(kind, data):
    model = data.draw(MODELS[kind], label="model")
    train = data.draw(datasets(), label="train")
    if isinstance(_fit(model, train), Exception):
        return
    # new rows of the same width, in any scale, dtype and layout (far outside the training range too)
    new = data.draw(datasets(n_features=_n_features(train)), label="new")
    _inference(model, new)
    _inference(model, train)
    # fit_transform and fit_predict: the same as fit, then transform or predict
    if kind == "detector":
        np.testing.assert_array_equal(clone(model).fit_predict(train.X), model.predict(train.X))
    else:
        codes = _outcome(clone(model).fit_transform, train.X)
        _check(codes, (train.dense.shape[0], model.n_components_), train.float_dtype, "fit_transform")
        expected = _outcome(model.transform, train.X)
        if not isinstance(codes, Exception):
            np.testing.assert_array_equal(codes, expected)


def _tolerance(dtype):
    return 1e-9 if dtype == np.float64 else 2e-5


def _assert_row_equals_batch(single, whole, i, name, rtol):
    if isinstance(whole, tuple):
        for s, w in zip(single, whole):
            _assert_row_equals_batch(s, w, i, name, rtol)
        return
    assert not isinstance(single, Exception), f"{name} of row {i} alone raised, but not in the batch: {single!r}"
    scale = float(np.abs(whole).max()) if whole.size else 0.0
    np.testing.assert_allclose(single[0], whole[i], rtol=rtol, atol=rtol * scale, err_msg=f"{name}, row {i}")


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_a_row_alone_gives_what_it_gives_in_a_batch(kind, data):
    model = data.draw(MODELS[kind], label="model")
    train = data.draw(datasets(), label="train")
    if isinstance(_fit(model, train), Exception):
        return
    new = data.draw(datasets(n_features=_n_features(train), min_rows=2), label="new")
    n = new.dense.shape[0]
    rows = sorted({0, n - 1, data.draw(st.integers(0, n - 1), label="row")})
    if kind == "detector":
        methods = {"score_samples": (model.score_samples, 1e-9), "feature_errors": (model.feature_errors, 1e-9)}
    else:
        # transform and posterior compute in the input's dtype, score_samples always in float64
        rtol = _tolerance(new.float_dtype)
        methods = {"transform": (model.transform, rtol), "score_samples": (model.score_samples, 1e-9)}
        if kind == "vae":
            methods["posterior"] = (model.posterior, rtol)
    for name, (method, rtol) in methods.items():
        whole = _outcome(method, new.X)
        if isinstance(whole, Exception):
            continue
        for i in rows:
            _assert_row_equals_batch(_outcome(method, new.rows(i, i + 1)), whole, i, name, rtol)
    if kind != "detector":
        codes = _outcome(model.transform, new.X)
        if not isinstance(codes, Exception):
            whole = _outcome(model.inverse_transform, codes)
            if not isinstance(whole, Exception):
                for i in rows:
                    single = _outcome(model.inverse_transform, codes[i : i + 1])
                    _assert_row_equals_batch(single, whole, i, "inverse_transform", _tolerance(codes.dtype))


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_inference_leaves_the_fitted_state_unchanged(kind, data):
    model = data.draw(MODELS[kind], label="model")
    train = data.draw(datasets(min_rows=3), label="train")
    if isinstance(_fit(model, train), Exception):
        return
    before = _snapshot(model)
    d = _n_features(train)
    new = data.draw(datasets(n_features=d), label="new")
    _inference(model, new)
    # failing calls too: a wrong width, a NaN, float32 input after float64 input
    _inference(model, Data(new.dense.astype(np.float32), new.layout))
    wrong_width = np.zeros((2, d + 1))
    for method in ("transform", "score_samples", "predict"):
        if hasattr(model, method):
            with pytest.raises(ValueError, match="features"):
                getattr(model, method)(wrong_width)
            with pytest.raises(ValueError, match="NaN"):
                getattr(model, method)(np.full((2, d), np.nan))
    _assert_same_state(before, _snapshot(model))


def _failing_refits(model, train):
    """Refits that must fail: (parameters to set, data, expected error message)."""
    n, d = train.dense.shape
    columns = pd.DataFrame(np.full((n, d), np.nan), columns=[f"other{j}" for j in range(d)])
    refits = [
        ({}, columns, "NaN"),  # new feature names, then invalid values
        ({}, np.ones((model.n_components - 1, d + 1)), "n_components"),  # fewer rows than codes, new width
    ]
    if isinstance(model, AutoencoderTransformer):
        refits.append(({"image_shape": (d + 1, 1)}, train.X, "image_shape"))
    else:
        refits.append(({"likelihood": "bernoulli", "scaling": None}, np.full((n, d), 2.0), r"\[0, 1\]"))
    return refits


@pytest.mark.parametrize("kind", ["autoencoder", "vae"])  # the detector: see test_detector_failed_refit below
@given(data=st.data())
def test_a_failed_refit_leaves_the_fitted_state_unchanged(kind, data):
    model = data.draw(MODELS[kind], label="model")
    train = data.draw(datasets(min_rows=3), label="train")
    if isinstance(_fit(model, train), Exception):
        return
    codes = _outcome(model.transform, train.X)
    params = model.get_params(deep=False)
    before = _snapshot(model)
    for new_params, X, message in _failing_refits(model, train):
        if model.n_components == 1 and message == "n_components":
            continue  # no fewer rows than one code
        with pytest.raises(ERRORS, match=message):
            model.set_params(**new_params).fit(X)
        model.set_params(**params)
        _assert_same_state(before, _snapshot(model))
    after = _outcome(model.transform, train.X)
    if isinstance(codes, Exception):
        assert isinstance(after, type(codes))
    else:
        np.testing.assert_array_equal(after, codes)


# ---------------------------------------------------------------------------------------- known defects
def test_detector_failed_refit_leaves_the_fitted_state_unchanged():
    X = np.random.default_rng(0).normal(size=(30, 4))
    detector = AutoencoderOutlierDetector(AutoencoderTransformer(2, **FAST), random_state=0).fit(X)
    scores, before = detector.score_samples(X), _snapshot(detector)
    with pytest.raises(ValueError, match="n_components=2 must be at most"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        detector.fit(X[:1])  # fewer rows than codes
    _assert_same_state(before, _snapshot(detector))
    np.testing.assert_array_equal(detector.score_samples(X), scores)
