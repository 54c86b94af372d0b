"""sklearn_ae.load checks the fitted attributes as strictly as the weights (issue 22): a file that lies about them
(NaN thresholds, negative variances, relabelled dtypes, unknown names) is refused with a ValueError that names the
attribute; so is a document nested too deeply or too large, before it is parsed. Unpickling (pickle, deepcopy, skops)
runs the same checks. Every estimator fitted in every configuration still loads."""

import copy
import json
import pickle
import warnings

import numpy as np
import pytest
import torch
from _io_modules import Decoder, Encoder
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from sklearn_ae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    FittedScaling,
    VAETransformer,
    _io,
    load,
    save,
)
from sklearn_ae._fitted_checks import check_fitted

FAST = dict(n_components=3, hidden_layer_sizes=(8,), max_epochs=1, random_state=0)
CUSTOM = [f"{Encoder.__module__}.Encoder", f"{Decoder.__module__}.Decoder"]
NAN, INF = {"$type": "float", "value": "nan"}, {"$type": "float", "value": "inf"}


@pytest.fixture(scope="module")
def X():
    return load_digits().data[:120] / 16.0


@pytest.fixture(scope="module")
def files(X, tmp_path_factory):
    """Saved files of small fitted estimators, by name."""
    folder = tmp_path_factory.mktemp("attributes")
    models = {
        "ae": AutoencoderTransformer(**FAST),
        "vae": VAETransformer(**FAST),
        "detector": AutoencoderOutlierDetector(AutoencoderTransformer(**FAST), random_state=0),
        "detector_pca": AutoencoderOutlierDetector(PCA(3), measure="reconstruction"),
    }
    paths = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # one epoch: posterior collapse, worse than PCA
        for name, model in models.items():
            paths[name] = folder / f"{name}.safetensors"
            save(model.fit(X), paths[name])
    return paths


def _read(path):
    with safe_open(str(path), framework="pt") as f:
        return json.loads(f.metadata()["sklearn_ae"]), {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118


def _write(path, document, tensors, text=None):
    """Write the file; tensors the document no longer names are left out (else load refuses them first)."""
    text = json.dumps(document) if text is None else text
    used = {k: v for k, v in tensors.items() if json.dumps(k) in text}
    save_file(used, str(path), metadata={"sklearn_ae": text})


def _planted(files, tmp_path, name, plant):
    """The file of ``name`` after ``plant(record, tensors, document)``, which may return the document's text."""
    document, tensors = _read(files[name])
    text = plant(document["estimator"], tensors, document)
    _write(tmp_path / "planted.safetensors", document, tensors, text)
    return tmp_path / "planted.safetensors"


def attribute(key, value):
    def plant(record, tensors, document):
        record["attributes"][key] = value

    return plant


def filled(key, value, member=None):
    """Every entry of the tensor of ``key`` (of the member ``member``) set to ``value``."""

    def plant(record, tensors, document):
        record = record if member is None else record["attributes"]["estimators_"][member]
        name = record["attributes"][key]["tensor"]
        tensors[name] = torch.full_like(tensors[name], value)

    return plant


def retyped(key, how):
    def plant(record, tensors, document):
        name = record["attributes"][key]["tensor"]
        tensors[name] = how(tensors[name])

    return plant


def removed(key):
    def plant(record, tensors, document):
        del record["attributes"][key]

    return plant


def scaled(key, factor):
    def plant(record, tensors, document):
        name = record["attributes"][key]["tensor"]
        tensors[name] = tensors[name] * factor

    return plant


def without_network(record, tensors, document):
    del record["net"]


# ------------------------------------------------------------- the probes
PROBES = {
    # the probes of issue 22
    "offset_ NaN (every row an inlier)": (
        "detector",
        attribute("offset_", NAN),
        r"estimator\.offset_: must be a finite float, got nan",
    ),
    "offset_ inf": (
        "detector",
        attribute("offset_", INF),
        r"estimator\.offset_: must be a finite float, got inf",
    ),
    "noise_variance_ -1 (NaN scores)": (
        "ae",
        attribute("noise_variance_", -1.0),
        r"estimator\.noise_variance_: must be a finite float >= 1e-10, got -1\.0",
    ),
    "scaling_scale_ -1 (NaN scores)": (
        "ae",
        filled("scaling_scale_", -1.0),
        r"estimator\.scaling_scale_: .* entries > 0, got an array holding -1\.0",
    ),
    "error_spreads_ 0 (-inf scores)": (
        "detector",
        filled("error_spreads_", 0.0),
        r"estimator\.error_spreads_: .* entries > 0, got an array holding 0\.0",
    ),
    "measure_ nonsense": (
        "detector",
        attribute("measure_", "nonsense"),
        r"estimator\.measure_: must be one of \['combined', 'distance', 'reconstruction', 'likelihood', "
        r"'neighbors', 'code_neighbors'\], got 'nonsense'",
    ),
    "n_components_ a string (TypeError later)": (
        "ae",
        attribute("n_components_", "x"),
        r"estimator\.n_components_: must be n_components \(3\), got 'x'",
    ),
    "noise_variance_ a string (UFuncTypeError later)": (
        "ae",
        attribute("noise_variance_", "x"),
        r"estimator\.noise_variance_: must be a finite float",
    ),
    "code_mean_ a list": (
        "ae",
        attribute("code_mean_", [1.0, 2.0]),
        r"estimator\.code_mean_: must be a float64 ndarray of shape \(n_components_=3,\)",
    ),
    "estimators_ empty": (
        "detector",
        attribute("estimators_", []),
        r"estimator\.estimators_: must be a non-empty list",
    ),
    "feature_scales_ a number": (
        "detector",
        attribute("feature_scales_", 5),
        r"estimator\.feature_scales_: must be a float64 ndarray",
    ),
    "F64 relabelled I64 (transform changes)": (
        "ae",
        retyped("scaling_offset_", lambda t: t.view(torch.int64)),
        r"estimator\.scaling_offset_: must be a float64 ndarray .*, got an ndarray of dtype int64",
    ),
    # more of the same kind
    "F64 converted to F32": (
        "detector",
        retyped("code_whiteners_", lambda t: t.float()),
        r"estimator\.code_whiteners_: must be a float64 ndarray",
    ),
    "wrong shape": (
        "detector",
        retyped("code_means_", lambda t: torch.zeros(1, 5, dtype=t.dtype)),
        r"estimator\.code_means_: must be a float64 ndarray of shape \(len\(estimators_\)=1, code width=3\)",
    ),
    "a covariance not positive definite": (
        "ae",
        filled("code_covariance_", 1.0),
        r"estimator\.code_covariance_: must be a positive definite matrix",
    ),
    "an asymmetric covariance": (
        "ae",
        retyped("code_covariance_", lambda t: t + torch.triu(torch.ones_like(t), 1)),
        r"estimator\.code_covariance_: must be a symmetric matrix",
    ),
    "a direction not of norm 1": (
        "vae",
        scaled("_score_direction", 2.0),
        r"estimator\._score_direction: must be a unit vector",
    ),
    "a Gaussian VAE without noise variance": (
        "vae",
        attribute("noise_variance_", None),
        r"estimator\.noise_variance_: must be a float64 ndarray",
    ),
    "a VAE noise variance below 0": (
        "vae",
        filled("noise_variance_", -1.0),
        r"estimator\.noise_variance_: .* entries >= 0 \(inf allowed\)",
    ),
    "best_epoch_ past n_iter_": (
        "ae",
        attribute("best_epoch_", 7),
        r"estimator\.best_epoch_: must be an int in \[0, n_iter_ \(1\)\], got 7",
    ),
    "n_iter_ a bool": (
        "ae",
        attribute("n_iter_", True),
        r"estimator\.n_iter_: must be an int >= 0, got True",
    ),
    "a negative seed": (
        "ae",
        attribute("_seed", -1),
        r"estimator\._seed: must be an int in \[0, 18446744073709551615\]",
    ),
    "residual scales below fit's floor": (
        "detector",
        filled("residual_scales_", 1e-9),
        r"estimator\.residual_scales_: .* entries >= 1e-06",
    ),
    "an unknown attribute": (
        "ae",
        attribute("extra_", 1),
        r"estimator: \['extra_'\] are no fitted attributes of a AutoencoderTransformer",
    ),
    "a missing attribute": (
        "ae",
        removed("noise_variance_"),
        r"estimator: a fitted AutoencoderTransformer has the attributes \['noise_variance_'\] too",
    ),
    "fitted attributes without a network": (
        "ae",
        without_network,
        r"estimator: a fitted AutoencoderTransformer has a network",
    ),
    "a template without transform": (
        "detector",
        attribute("estimator_", 3),
        r"estimator\.estimator_: must be an estimator with the methods",
    ),
    "a member that is no estimator": (
        "detector",
        attribute("estimators_", [1]),
        r"estimator\.estimators_\[0\]: must be an estimator with the methods",
    ),
    "a member's own attribute": (
        "detector",
        lambda r, t, d: attribute("offset_", 1.0)(r["attributes"]["estimators_"][0], t, d),
        r"estimator\.estimators_\[0\]: \['offset_'\] are no fitted attributes",
    ),
    "a PCA member's mean_ NaN": (
        "detector_pca",
        filled("mean_", float("nan"), member=0),
        r"estimator\.estimators_\[0\]\.mean_: .* finite entries, got an array holding nan",
    ),
    "a PCA member of another width": (
        "detector_pca",
        lambda r, t, d: r["attributes"]["estimators_"][0]["attributes"].update(n_components_=2),
        r"estimator\.estimators_\[0\]\.components_: must be a float64 or float32 ndarray of shape "
        r"\(n_components_=2, n_features_in_=64\)",
    ),
}


@pytest.mark.parametrize("probe", PROBES)
def test_a_file_that_lies_about_its_attributes_is_refused(files, tmp_path, probe):
    name, plant, message = PROBES[probe]
    path = _planted(files, tmp_path, name, plant)
    with pytest.raises(ValueError, match=message):
        load(path)


def test_the_unplanted_files_load(files, X):
    for name, path in files.items():
        loaded = load(path)
        out = loaded.decision_function(X[:5]) if "detector" in name else loaded.score_samples(X[:5])
        assert np.isfinite(out).all()


# ---------------------------------------------------------- the document
def _nested_text(files, key, value_text, where="attributes"):
    document, tensors = _read(files["ae"])
    document["estimator"][where][key] = "PLANTED"
    return document, tensors, json.dumps(document).replace('"PLANTED"', value_text)


def test_lists_nested_100000_deep_are_refused_before_parsing(files, tmp_path):
    document, tensors, text = _nested_text(files, "n_iter_", "[" * 100_000 + "]" * 100_000)
    _write(tmp_path / "deep.safetensors", document, tensors, text)
    with pytest.raises(ValueError, match=r"nests lists and objects 100003 levels deep; .* at most 100\."):
        load(tmp_path / "deep.safetensors")


def test_hidden_layer_sizes_nested_5000_deep_are_refused(files, tmp_path):
    nested = '{"$type": "tuple", "items": [' * 5000 + "8" + "]}" * 5000
    document, tensors, text = _nested_text(files, "hidden_layer_sizes", nested, where="params")
    _write(tmp_path / "deep.safetensors", document, tensors, text)
    with pytest.raises(ValueError, match="levels deep"):
        load(tmp_path / "deep.safetensors")
    # within the bound, the parameter's own validation refuses it
    nested = '{"$type": "tuple", "items": [' * 40 + "8" + "]}" * 40
    document, tensors, text = _nested_text(files, "hidden_layer_sizes", nested, where="params")
    _write(tmp_path / "nested.safetensors", document, tensors, text)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be a sequence of positive ints"):
        load(tmp_path / "nested.safetensors")


def test_the_depth_counts_brackets_outside_strings_only():
    assert _io._nesting_depth('{"a": [1, {"b": "[[[{{{\\"]]]"}], "c": []}') == 3
    assert _io._nesting_depth("[" * 101 + "]" * 101) == 101
    assert _io._nesting_depth("[]" * (3 * _io._DEPTH_CHUNK)) == 1  # over several chunks
    assert _io._nesting_depth('"[[["') == 0


def test_a_document_too_large_is_refused(files, tmp_path, monkeypatch):
    monkeypatch.setattr(_io, "MAX_DOCUMENT_CHARS", 1000)
    with pytest.raises(ValueError, match=r"the document has \d+ characters; sklearn_ae\.load reads at most 1000"):
        load(files["ae"])


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_json_numbers_are_refused(files, tmp_path, literal):
    """save writes non-finite floats as records: a bare NaN (which Python's json reads) is no file of save's."""
    document, tensors, text = _nested_text(files, "noise_variance_", literal)
    _write(tmp_path / "nan.safetensors", document, tensors, text)
    with pytest.raises(ValueError, match="not valid JSON"):
        load(tmp_path / "nan.safetensors")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"keys": [1, 2, 3]}, "keys are 624 ints"),
        ({"keys": [2**32] * 624}, "keys are 624 ints"),
        ({"pos": 625}, "pos is an int in"),
        ({"has_gauss": 2}, "has_gauss is 0 or 1"),
        ({"cached": "x"}, "cached gaussian is a finite number"),
    ],
)
def test_a_broken_random_state_record_is_refused(files, tmp_path, change, message):
    state = np.random.RandomState(0).get_state(legacy=True)
    record = {"$type": "RandomState", "keys": state[1].tolist(), "pos": state[2], "has_gauss": 0, "cached": 0.0}
    document, tensors = _read(files["ae"])
    document["estimator"]["params"]["random_state"] = {**record, **change}
    _write(tmp_path / "rs.safetensors", document, tensors)
    with pytest.raises(ValueError, match=rf"estimator\.random_state: a RandomState's {message}"):
        load(tmp_path / "rs.safetensors")


def test_a_fitted_scaling_relabelled_is_refused(X, tmp_path):
    model = AutoencoderTransformer(**FAST, scaling=FittedScaling.from_data(X, "standard"))
    save(model, tmp_path / "s.safetensors")
    document, tensors = _read(tmp_path / "s.safetensors")
    name = document["estimator"]["params"]["scaling"]["scale"]["tensor"]
    tensors[name] = tensors[name].view(torch.int64)
    _write(tmp_path / "s2.safetensors", document, tensors)
    with pytest.raises(ValueError, match=r"estimator\.scaling\.scale: a FittedScaling's scale is a 1-D float64 array"):
        load(tmp_path / "s2.safetensors")


# ------------------------------------------------------- pickle and skops
def test_unpickling_checks_the_attributes_too(X):
    detector = AutoencoderOutlierDetector(AutoencoderTransformer(**FAST), random_state=0).fit(X)
    state = dict(detector.__getstate__())  # a copy: it may be the __dict__ itself
    state["offset_"] = float("nan")
    with pytest.raises(ValueError, match=r"AutoencoderOutlierDetector\.offset_: must be a finite float, got nan"):
        AutoencoderOutlierDetector.__new__(AutoencoderOutlierDetector).__setstate__(state)
    member = detector.estimators_[0]
    state = dict(member.__getstate__())
    state["noise_variance_"] = -1.0
    with pytest.raises(ValueError, match=r"AutoencoderTransformer\.noise_variance_: must be a finite float"):
        AutoencoderTransformer.__new__(AutoencoderTransformer).__setstate__(state)
    # an attribute its user set is kept, as pickle keeps it
    member.note_ = "kept"
    assert pickle.loads(pickle.dumps(member)).note_ == "kept"
    assert copy.deepcopy(detector).offset_ == detector.offset_


def test_skops_refuses_a_tampered_state(X):
    sio = pytest.importorskip("skops.io")
    detector = AutoencoderOutlierDetector(PCA(3), measure="reconstruction").fit(X)
    detector.error_spreads_ = np.zeros(1)  # as a tampered file would hold it
    data = sio.dumps(detector)
    with pytest.raises(ValueError, match=r"AutoencoderOutlierDetector\.error_spreads_: .* entries > 0"):
        sio.loads(data, trusted=sio.get_untrusted_types(data=data))


# ------------------------------------------------- every valid model loads
def _configurations():
    member = AutoencoderTransformer(**FAST, scaling="standard")
    return {
        "default": AutoencoderTransformer(n_components=3, max_epochs=1, random_state=0),
        "no_early_stopping": AutoencoderTransformer(**FAST, early_stopping=False),
        "wide_codes": AutoencoderTransformer(n_components=70, hidden_layer_sizes=(), max_epochs=1, random_state=0),
        "zero_epochs": AutoencoderTransformer(**{**FAST, "max_epochs": 0}),
        "conv": AutoencoderTransformer(**{**FAST, "hidden_layer_sizes": (4,)}, image_shape=(8, 8)),
        "custom": AutoencoderTransformer(
            n_components=3, max_epochs=1, random_state=0, encoder=Encoder, decoder=Decoder
        ),
        "vae_gaussian": VAETransformer(**FAST),
        "vae_bernoulli": VAETransformer(**FAST, likelihood="bernoulli"),
        "vae_feature": VAETransformer(**FAST, noise_variance="feature"),
        "detector_default": AutoencoderOutlierDetector(random_state=0),
        "detector_2_reconstruction": AutoencoderOutlierDetector(member, n_estimators=2, measure="reconstruction"),
        "detector_likelihood": AutoencoderOutlierDetector(VAETransformer(**FAST), measure="likelihood"),
        "detector_pca": AutoencoderOutlierDetector(PCA(3)),
        "detector_pca_likelihood": AutoencoderOutlierDetector(PCA(3), measure="likelihood", contamination=0.1),
    }


@pytest.mark.parametrize("name", list(_configurations()))
def test_every_fitted_configuration_loads(X, tmp_path, name):
    model = _configurations()[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.fit(X)
        if name == "default":  # partial_fit on top of a fit, and set_output's configuration
            model.partial_fit(X[:50]).set_output(transform="default")
        if name == "no_early_stopping":  # float32 input
            model.fit(X.astype(np.float32))
        if name == "detector_pca":  # a PCA member fitted on float32 rows has float32 arrays
            model.fit(X.astype(np.float32))
    save(model, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors", trusted=CUSTOM)
    if isinstance(model, AutoencoderOutlierDetector):
        np.testing.assert_array_equal(loaded.decision_function(X[:20]), model.decision_function(X[:20]))
    else:
        np.testing.assert_array_equal(loaded.transform(X[:20]), model.transform(X[:20]))
    check_fitted(pickle.loads(pickle.dumps(model)), "pickled", strict=True)


def test_partial_fit_from_scratch_and_an_unfitted_estimator_load(X, tmp_path):
    for model in (VAETransformer(**FAST).partial_fit(X), AutoencoderTransformer(**FAST).set_output(transform="pandas")):
        save(model, tmp_path / "m.safetensors")
        assert repr(load(tmp_path / "m.safetensors")) == repr(model)
