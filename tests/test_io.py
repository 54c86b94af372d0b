"""sklearn_ae.save / sklearn_ae.load: every estimator and variant round-trips bit for bit, in a fresh process;
nothing the file says is executed, and anything malformed is refused with a clear error."""

import contextlib
import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from _io_modules import Decoder, Encoder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, FittedScaling, VAETransformer, load, save
from sklearn_ae.exceptions import InconsistentVersionWarning

CUSTOM = [f"{Encoder.__module__}.Encoder", f"{Decoder.__module__}.Decoder"]
FAST = dict(n_components=3, hidden_layer_sizes=(8,), max_epochs=1, random_state=0)


def _models():
    """Every estimator and variant, unfitted: name -> (estimator, data kind)."""
    member = AutoencoderTransformer(**FAST, scaling="standard")
    return {
        "dense": AutoencoderTransformer(**FAST),
        "conv": AutoencoderTransformer(**{**FAST, "hidden_layer_sizes": (4,)}, image_shape=(8, 8)),
        "tied": AutoencoderTransformer(**FAST, tied_weights=True),
        "tied_conv": AutoencoderTransformer(
            **{**FAST, "hidden_layer_sizes": (4,)}, image_shape=(8, 8), tied_weights=True
        ),
        "layer_matching": AutoencoderTransformer(**FAST, layer_matching=0.1, layer_matching_local=True),
        "sparse": AutoencoderTransformer(**FAST, sparsity=0.1, sparsity_target=0.05),
        "contractive": AutoencoderTransformer(**FAST, contractive=0.01),
        "denoising_gaussian": AutoencoderTransformer(**FAST, noise="gaussian", noise_level=0.3),
        "denoising_masking": AutoencoderTransformer(**FAST, noise="masking", mask_value="mean"),
        "custom": AutoencoderTransformer(
            n_components=3, max_epochs=1, random_state=0, encoder=Encoder, decoder=Decoder, encoder_kwargs={"width": 5}
        ),
        "vae": VAETransformer(**FAST, n_importance_samples=3, noise="gaussian", sparsity=1.0),
        "vae_feature": VAETransformer(**FAST, noise_variance="feature", kl_warmup_epochs=2),
        "vae_bernoulli": VAETransformer(**FAST, likelihood="bernoulli"),
        "detector": AutoencoderOutlierDetector(random_state=0),  # the default member: 30 epochs
        "detector_2": AutoencoderOutlierDetector(member, n_estimators=2, random_state=0),
        "detector_likelihood": AutoencoderOutlierDetector(member, measure="likelihood", contamination=0.1),
        "detector_pca": AutoencoderOutlierDetector(PCA(3), measure="reconstruction"),
    }


@pytest.fixture(scope="module")
def data():
    X = load_digits().data
    return X[:120] / 16.0, X[200:250] / 16.0


@pytest.fixture(scope="module")
def fitted(data):
    X, _ = data
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Posterior collapse", UserWarning)  # one epoch of a small VAE
        return {name: model.fit(X) for name, model in _models().items()}


def _outputs(model, X):
    """Every inference output of ``model`` on ``X``, by method name."""
    if isinstance(model, AutoencoderOutlierDetector):
        return {
            "score_samples": model.score_samples(X),
            "decision_function": model.decision_function(X),
            "predict": model.predict(X),
        }
    codes = model.transform(X)
    out = {
        "transform": codes,
        "inverse_transform": model.inverse_transform(codes),
        "score_samples": model.score_samples(X),
    }
    if isinstance(model, VAETransformer):
        out["posterior_std"] = model.posterior(X)[1]
        out["sample"] = model.sample(3, random_state=0, noise=True)
    return out


def _read(path):
    with safe_open(str(path), framework="pt") as f:
        return json.loads(f.metadata()["sklearn_ae"]), {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118


def _write(path, document, tensors, metadata=None):
    save_file(tensors, str(path), metadata={"sklearn_ae": json.dumps(document), **(metadata or {})})


@pytest.fixture(scope="module")
def dense_file(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("io") / "dense.safetensors"
    save(fitted["dense"], path)
    return path


# ------------------------------------------------------------- round trips
def test_round_trip_in_a_fresh_process(fitted, data, tmp_path):
    """Loaded in a new Python process, every model gives the same outputs, up to rounding.

    Bit identity holds only for one computation in one process: another process may lay the arrays out at other
    addresses, and the matrix kernels may then add in another order (a float32 ulp here and there).
    """
    _, X_test = data
    for name, model in fitted.items():
        save(model, tmp_path / f"{name}.safetensors")
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        import numpy as np, torch
        torch.set_num_threads({torch.get_num_threads()})
        from test_io import _outputs
        from sklearn_ae import load
        folder = Path(sys.argv[1])
        X = np.load(folder / "X.npy")
        for name in sys.argv[2:]:
            model = load(folder / f"{{name}}.safetensors", trusted={CUSTOM!r})
            np.savez(folder / f"{{name}}.npz", **_outputs(model, X))
        """
    )
    np.save(tmp_path / "X.npy", X_test)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    subprocess.run([sys.executable, "-c", script, str(tmp_path), *fitted], check=True, env=env, timeout=300)
    for name, model in fitted.items():
        expected = _outputs(model, X_test)
        with np.load(tmp_path / f"{name}.npz") as loaded:
            assert set(loaded.files) == set(expected), name
            for method, values in expected.items():
                if method == "predict":  # labels: equal, except where rounding could tip a row over the threshold
                    clear = np.abs(expected["decision_function"]) > 1e-6 * np.abs(expected["decision_function"]).max()
                    np.testing.assert_array_equal(loaded[method][clear], values[clear], err_msg=name)
                else:
                    atol = 1e-6 * np.abs(values).max()
                    np.testing.assert_allclose(loaded[method], values, rtol=1e-6, atol=atol, err_msg=f"{name} {method}")


def test_attributes_and_history_round_trip(fitted, tmp_path):
    for name in ("dense", "vae", "denoising_masking"):
        model = fitted[name]
        save(model, tmp_path / "m.safetensors")
        loaded = load(tmp_path / "m.safetensors")
        assert loaded.get_params() == model.get_params()
        assert loaded.n_iter_ == model.n_iter_ and loaded.best_epoch_ == model.best_epoch_
        np.testing.assert_array_equal(loaded.loss_curve_, model.loss_curve_)
        np.testing.assert_array_equal(loaded.validation_loss_curve_, model.validation_loss_curve_)
        assert list(loaded.net_.history[:, "train_loss"]) == list(model.net_.history[:, "train_loss"])
        assert not loaded.net_.module_.training  # inference mode, as after fit
        for key, value in model.net_.module_.state_dict().items():
            assert torch.equal(loaded.net_.module_.state_dict()[key], value), (name, key)


def test_detector_members_and_pca_round_trip(fitted, tmp_path):
    save(fitted["detector_pca"], tmp_path / "p.safetensors")
    loaded = load(tmp_path / "p.safetensors")
    member, original = loaded.estimators_[0], fitted["detector_pca"].estimators_[0]
    assert isinstance(member, PCA) and isinstance(loaded.estimator, PCA)
    for key, value in vars(original).items():
        assert np.array_equal(vars(member)[key], value) and type(vars(member)[key]) is type(value), key
    save(fitted["detector_2"], tmp_path / "d.safetensors")
    assert len(load(tmp_path / "d.safetensors").estimators_) == 2


def test_loaded_model_refits_like_the_original(fitted, data, tmp_path):
    """The optimizer state is not saved: fitting a loaded model is an ordinary fit from its parameters."""
    X, X_test = data
    save(fitted["dense"], tmp_path / "m.safetensors")
    refit = load(tmp_path / "m.safetensors").fit(X)
    np.testing.assert_array_equal(refit.transform(X_test), clone(fitted["dense"]).fit(X).transform(X_test))


def test_unfitted_estimator_saves_its_parameters(tmp_path):
    model = AutoencoderOutlierDetector(VAETransformer(4, beta=0.5, hidden_layer_sizes=(7, 3)), contamination=0.2)
    save(model, tmp_path / "u.safetensors")
    loaded = load(tmp_path / "u.safetensors")
    assert repr(loaded) == repr(model)
    assert loaded.get_params()["estimator__hidden_layer_sizes"] == (7, 3)  # the tuple stays a tuple
    assert not hasattr(loaded, "estimators_")


def test_feature_names_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(load_digits().data[:100, :6], columns=[f"f{i}" for i in range(6)])
    model = AutoencoderTransformer(**FAST).fit(X)
    save(model, tmp_path / "f.safetensors")
    loaded = load(tmp_path / "f.safetensors")
    np.testing.assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
    assert loaded.feature_names_in_.dtype == object
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))


def test_random_state_instance_round_trips(data, tmp_path):
    X, _ = data
    model = AutoencoderTransformer(**{**FAST, "random_state": np.random.RandomState(3)})
    save(model, tmp_path / "r.safetensors")
    loaded = load(tmp_path / "r.safetensors")
    assert loaded.random_state.randint(1000, size=5).tolist() == model.random_state.randint(1000, size=5).tolist()


def test_tied_weights_are_stored_once_and_stay_tied(fitted, tmp_path):
    for name in ("tied", "tied_conv"):
        model = fitted[name]
        save(model, tmp_path / "t.safetensors")
        document, _ = _read(tmp_path / "t.safetensors")
        net = document["estimator"]["net"]
        aliases = net["aliases"]
        assert aliases, "the shared weights are stored once, the other names are aliases"
        assert len(net["weights"]) + len(aliases) == len(model.net_.module_.state_dict())
        assert any(name.startswith("decoder.") and target.startswith("encoder.") for name, target in aliases.items())
        module = load(tmp_path / "t.safetensors").net_.module_
        state = module.state_dict(keep_vars=True)
        for alias, target in aliases.items():
            assert state[alias] is state[target], (name, alias)  # the same Parameter, not two equal ones
        # training the loaded network moves both halves together
        optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
        module.train()
        module(torch.randn(4, 64)).reconstruction.pow(2).sum().backward()
        optimizer.step()
        state, before = module.state_dict(), model.net_.module_.state_dict()
        for alias, target in aliases.items():
            assert state[alias].data_ptr() == state[target].data_ptr()
        # the step moved a shared weight (a gate at 0 keeps the residual's weights still)
        assert any(not torch.equal(state[target], before[target]) for target in aliases.values())


def test_tensors_are_written_from_the_cpu_and_detached(fitted, tmp_path):
    """The code path of a GPU model: every tensor goes to the CPU as a copy (no GPU here: see the device check)."""
    model = fitted["dense"]
    save(model, tmp_path / "c.safetensors")
    _, tensors = _read(tmp_path / "c.safetensors")
    weight = model.net_.module_.encoder.linear.weight
    before = weight.detach().clone()
    with torch.no_grad():
        weight.add_(1.0)  # the file was written from copies: changing the model afterwards does not change it
    try:
        _, again = _read(tmp_path / "c.safetensors")
        assert all(t.device.type == "cpu" for t in tensors.values())
        assert any(torch.equal(t, before) for t in again.values())
    finally:
        with torch.no_grad():
            weight.copy_(before)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks loading a CUDA model on a machine without CUDA")
def test_a_cuda_model_loads_on_the_cpu(dense_file, data, fitted, tmp_path):
    document, tensors = _read(dense_file)
    document["estimator"]["params"]["device"] = "cuda"
    _write(tmp_path / "cuda.safetensors", document, tensors)
    with pytest.warns(UserWarning, match="no CUDA device is available: it is loaded on the CPU"):
        loaded = load(tmp_path / "cuda.safetensors")
    assert loaded.net_.device == "cpu"
    np.testing.assert_array_equal(loaded.transform(data[1]), fitted["dense"].transform(data[1]))


def test_load_leaves_the_global_rngs_alone(dense_file, global_rngs_untouched):
    with global_rngs_untouched():
        load(dense_file)


# ------------------------------------------------------------ custom classes
def test_custom_classes_need_trust(fitted, data, tmp_path):
    save(fitted["custom"], tmp_path / "c.safetensors")
    with pytest.raises(ValueError, match=rf"the class '{CUSTOM[1]}'.* pass trusted=\['{CUSTOM[1]}'\]"):
        load(tmp_path / "c.safetensors")
    with pytest.raises(ValueError, match=rf"trusted=\['{CUSTOM[0]}'\]"):
        load(tmp_path / "c.safetensors", trusted=CUSTOM[1:])
    for trusted in (CUSTOM, [Encoder, Decoder]):
        loaded = load(tmp_path / "c.safetensors", trusted=trusted)
        assert type(loaded.net_.module_.encoder) is Encoder and loaded.net_.module_.encoder.net[0].out_features == 5
        np.testing.assert_array_equal(loaded.transform(data[1]), fitted["custom"].transform(data[1]))
    with pytest.raises(TypeError, match="trusted must hold"):
        load(tmp_path / "c.safetensors", trusted=[1])


def test_save_refuses_what_load_cannot_build(data, tmp_path):
    with pytest.raises(TypeError, match="writes sklearn-ae.s estimators"):
        save(PCA(2), tmp_path / "x.safetensors")

    class Duck:  # a member with fit, transform and inverse_transform that is no scikit-learn estimator
        def fit(self, X):
            return self

        transform = inverse_transform = fit

    with pytest.raises(TypeError, match="estimator.estimator: cannot save a .*Duck"):
        save(AutoencoderOutlierDetector(Duck()), tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()
    # other members (a Pipeline, IncrementalPCA, ...) are saved through skops: see test_io_members.py


# ----------------------------------------------------------- planted payloads
@pytest.fixture
def payload_module(tmp_path, monkeypatch):
    """A module on sys.path that creates a sentinel file when imported; the sentinel's path."""
    sentinel = tmp_path / "PWNED"
    (tmp_path / "evil_payload.py").write_text(f"open({str(sentinel)!r}, 'w').write('ran')\nclass Encoder:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield sentinel
    sys.modules.pop("evil_payload", None)


PAYLOAD_CLASSES = [
    {"$type": "class", "module": "os", "qualname": "system"},
    {"$type": "class", "module": "builtins", "qualname": "eval"},
    {"$type": "class", "module": "evil_payload", "qualname": "Encoder"},
    {"$type": "class", "module": "subprocess", "qualname": "Popen"},
]


@pytest.mark.parametrize("target", ["class", "param", "attribute", "nested"])
@pytest.mark.parametrize("payload", PAYLOAD_CLASSES, ids=lambda p: f"{p['module']}.{p['qualname']}")
def test_planted_classes_never_run(dense_file, tmp_path, payload_module, target, payload):
    document, tensors = _read(dense_file)
    record = document["estimator"]
    if target == "class":
        record["class"] = f"{payload['module']}.{payload['qualname']}"
    elif target == "param":
        record["params"]["encoder"] = payload
    elif target == "attribute":
        record["attributes"]["code_mean_"] = payload
    else:
        record["params"]["encoder_kwargs"] = {"$type": "dict", "items": {"x": {"$type": "tuple", "items": [payload]}}}
    _write(tmp_path / "evil.safetensors", document, tensors)
    with pytest.raises(ValueError, match="not one|trusted="):
        load(tmp_path / "evil.safetensors")
    assert not payload_module.exists()
    assert "evil_payload" not in sys.modules


def test_a_trusted_name_is_imported_only_when_named(dense_file, tmp_path, payload_module):
    """The control for the test above: the sentinel does appear when the caller trusts the module."""
    document, tensors = _read(dense_file)
    document["estimator"]["params"]["encoder"] = PAYLOAD_CLASSES[2]
    _write(tmp_path / "evil.safetensors", document, tensors)
    with pytest.raises((ValueError, TypeError)):
        load(tmp_path / "evil.safetensors", trusted=["evil_payload.Encoder"])  # not a torch module: refused after
    assert payload_module.exists()


def test_odd_safetensors_metadata_is_refused(dense_file, tmp_path):
    document, tensors = _read(dense_file)
    _write(tmp_path / "m.safetensors", document, tensors, metadata={"__reduce__": "os.system('touch x')"})
    with pytest.raises(ValueError, match="metadata holds"):
        load(tmp_path / "m.safetensors")
    save_file(tensors, str(tmp_path / "plain.safetensors"))
    with pytest.raises(ValueError, match="not a file written by sklearn_ae.save"):
        load(tmp_path / "plain.safetensors")
    save_file(tensors, str(tmp_path / "bad.safetensors"), metadata={"sklearn_ae": "{not json"})
    with pytest.raises(ValueError, match="not valid JSON"):
        load(tmp_path / "bad.safetensors")
    (tmp_path / "pickle.safetensors").write_bytes(pickle.dumps(document))
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        load(tmp_path / "pickle.safetensors")


def _mutated(document, tensors, how):
    document, tensors = json.loads(json.dumps(document)), dict(tensors)
    record = document["estimator"]
    weights = record["net"]["weights"]
    first = next(iter(weights))
    if how == "future":
        document["format_version"] = 99
    elif how == "format":
        document["format"] = "pickle"
    elif how == "missing_tensor":
        del tensors[weights[first]]
    elif how == "missing_weight":
        del tensors[weights.pop(first)]
    elif how == "extra_tensor":
        tensors["extra"] = torch.zeros(3)
    elif how == "extra_weight":
        tensors["extra"] = torch.zeros(3)
        weights["encoder.extra"] = "extra"
    elif how == "shape":
        tensors[weights[first]] = torch.zeros(2, 2)
    elif how == "dtype":
        tensors[weights[first]] = tensors[weights[first]].double()
    elif how == "params_disagree":
        record["params"]["hidden_layer_sizes"] = [9]
    elif how == "huge":
        record["params"]["hidden_layer_sizes"] = [10**9, 10**9]
    elif how == "unknown_param":
        record["params"]["exec"] = "1"
    elif how == "invalid_param":
        record["params"]["lr"] = -1.0
    elif how == "dunder_attribute":
        record["attributes"]["__class__"] = "x"
    elif how == "method_attribute":
        record["attributes"]["transform"] = 1
    elif how == "unknown_type":
        record["attributes"]["n_iter_"] = {"$type": "pickle", "data": "gASV"}
    elif how == "bfloat16_array":
        tensors[record["attributes"]["loss_curve_"]["tensor"]] = torch.zeros(2, dtype=torch.bfloat16)
    elif how == "tensor_twice":
        record["attributes"]["loss_curve_"] = dict(record["attributes"]["scaling_scale_"])
    return document, tensors


MUTATIONS = {
    "future": "newer sklearn-ae",
    "format": "the format is",
    "missing_tensor": "is not in the file",
    "missing_weight": "missing",
    "extra_tensor": "does not use",
    "extra_weight": "unexpected",
    "shape": "has shape",
    "dtype": "dtype",
    "params_disagree": "has shape",
    "huge": "do not match",
    "unknown_param": "unknown parameters",
    "invalid_param": "lr",
    "dunder_attribute": "cannot be an attribute",
    "method_attribute": "cannot be an attribute",
    "unknown_type": "unknown value type",
    "bfloat16_array": "cannot have the dtype",
    "tensor_twice": "used twice",
}


@pytest.mark.parametrize("how", MUTATIONS)
def test_malformed_files_are_refused(dense_file, tmp_path, how):
    document, tensors = _mutated(*_read(dense_file), how)
    _write(tmp_path / "m.safetensors", document, tensors)
    with pytest.raises(ValueError, match=MUTATIONS[how]):
        load(tmp_path / "m.safetensors")


# ----------------------------------------------------------------- fuzzing
def _paths(node, path=()):
    """Every path to a value of the JSON ``node``."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*path, i))


TYPES = ["float", "scalar", "tuple", "dict", "ndarray", "RandomState", "class", "estimator", "pickle", "__reduce__"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["$type", "items", "tensor", "module", "qualname", "class", "value"]), children
        )
        | st.fixed_dictionaries({"$type": st.sampled_from(TYPES)}, optional={"items": children, "value": children})
        | st.sampled_from(PAYLOAD_CLASSES)
    ),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    X = load_digits().data[:60]
    path = tmp_path_factory.mktemp("fuzz") / "small.safetensors"
    save(AutoencoderTransformer(2, hidden_layer_sizes=(3,), max_epochs=1, noise="masking", random_state=0).fit(X), path)
    document, tensors = _read(path)
    return document, tensors, list(_paths(document))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_documents_load_or_raise_a_clear_error(small_file, tmp_path, payload_module, data):
    """Any field replaced by any JSON value: the load succeeds or raises ValueError/TypeError, and runs nothing."""
    document, tensors, paths = small_file
    document = json.loads(json.dumps(document))
    path = data.draw(st.sampled_from(paths[1:]))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = data.draw(JSON)
    _write(tmp_path / "f.safetensors", document, tensors)
    with contextlib.suppress(ValueError, TypeError):
        load(tmp_path / "f.safetensors")
    assert not payload_module.exists()


def test_fitted_scaling_parameter_round_trips(tmp_path):
    # a scaling fitted beforehand (for partial_fit) is a parameter value: saved as its four arrays, rebuilt validated
    X = load_digits().data[:300]
    scaling = FittedScaling.from_data(X, "standard")
    model = AutoencoderTransformer(3, scaling=scaling, max_epochs=2, random_state=0)
    for chunk in np.array_split(X, 2):
        model.partial_fit(chunk)
    path = tmp_path / "model.safetensors"
    save(model, path)
    loaded = load(path)
    assert isinstance(loaded.scaling, FittedScaling)
    for field in ("offset", "scale", "mean", "std"):
        assert np.array_equal(getattr(loaded.scaling, field), getattr(scaling, field))
    assert loaded.n_samples_seen_ == model.n_samples_seen_ == 300
    assert np.array_equal(loaded.transform(X), model.transform(X))
    # continuing the stream after loading trains from the saved weights
    loaded.partial_fit(X[:50])
    assert loaded.n_samples_seen_ == 350


# ------------------------------------------------------------- versions
def test_other_versions_warn_and_still_load(dense_file, data, fitted, tmp_path):
    document, tensors = _read(dense_file)
    document["versions"]["sklearn_ae"] = "0.0.1"
    document["versions"]["torch"] = None  # hostile: not a string
    document["versions"]["numpy"] = "1.0"  # numpy is not among the libraries that decide the results
    _write(tmp_path / "old.safetensors", document, tensors)
    with pytest.warns(InconsistentVersionWarning, match=r"sklearn_ae 0\.0\.1 \(now .*\), torch None \(now") as record:
        loaded = load(tmp_path / "old.safetensors")
    (warning,) = [w.message for w in record if isinstance(w.message, InconsistentVersionWarning)]
    assert set(warning.saved_versions) == {"sklearn_ae", "torch"}
    assert warning.current_versions["torch"] == torch.__version__
    np.testing.assert_array_equal(loaded.transform(data[1]), fitted["dense"].transform(data[1]))


def test_same_versions_do_not_warn(dense_file):
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        load(dense_file)


def test_a_long_version_string_is_cut_short_in_the_warning(dense_file, tmp_path):
    document, tensors = _read(dense_file)
    document["versions"]["sklearn"] = "9" * 10_000
    _write(tmp_path / "long.safetensors", document, tensors)
    with pytest.warns(InconsistentVersionWarning) as record:
        load(tmp_path / "long.safetensors")
    assert len(str(record[0].message)) < 400


# ------------------------------------------------------------- the optimizer's state
@pytest.mark.parametrize("name", ["dense", "tied", "vae"])
def test_partial_fit_after_load_continues_exactly(name, data, tmp_path):
    """save keeps the optimizer's state: save, load, partial_fit equals partial_fit without leaving the process."""
    X, X_new = data
    local = _models()[name].partial_fit(X)
    save(local, tmp_path / "model.safetensors")
    shipped = load(tmp_path / "model.safetensors")
    local.partial_fit(X_new)
    shipped.partial_fit(X_new)
    np.testing.assert_array_equal(shipped.transform(X), local.transform(X))


def test_include_optimizer_false_writes_the_weights_only(data, tmp_path):
    X, X_new = data
    model = _models()["dense"].partial_fit(X)
    save(model, tmp_path / "full.safetensors")
    save(model, tmp_path / "lean.safetensors", include_optimizer=False)
    full, lean = _read(tmp_path / "full.safetensors"), _read(tmp_path / "lean.safetensors")
    assert "optimizer" in full[0]["estimator"]["net"] and "optimizer" not in lean[0]["estimator"]["net"]
    n_weights = sum(t.numel() for t in model.net_.module_.parameters())
    # Adam: two moments per weight, one step counter per parameter tensor
    n_state = sum(t.numel() for k, t in full[1].items() if ".optimizer." in k and not k.endswith(".step"))
    assert n_state == 2 * n_weights
    assert set(lean[1]) == {k for k in full[1] if ".optimizer." not in k}
    np.testing.assert_array_equal(load(tmp_path / "lean.safetensors").transform(X), model.transform(X))
    # without the moments, training continues from a fresh optimizer: not where the model stopped
    continued = load(tmp_path / "full.safetensors").partial_fit(X_new).transform(X)
    fresh = load(tmp_path / "lean.safetensors").partial_fit(X_new).transform(X)
    assert not np.array_equal(continued, fresh)


def test_a_file_of_format_version_1_still_loads(data, tmp_path):
    """Files written before the optimizer's state was saved: format version 1, no optimizer."""
    X, _ = data
    model = _models()["dense"].fit(X)
    save(model, tmp_path / "v2.safetensors", include_optimizer=False)
    document, tensors = _read(tmp_path / "v2.safetensors")
    document["format_version"] = 1
    _write(tmp_path / "v1.safetensors", document, tensors)
    np.testing.assert_array_equal(load(tmp_path / "v1.safetensors").transform(X), model.transform(X))


def _optimizer_mutations():
    """(description, mutate(document, tensors), message): hostile or broken optimizer states."""

    def first_moment(tensors):
        return next(k for k in tensors if k.endswith(".exp_avg"))

    def reshape(d, t):
        key = first_moment(t)
        t[key] = torch.zeros(3, 3, dtype=t[key].dtype)

    def retype(d, t):
        key = first_moment(t)
        t[key] = t[key].double()

    def foreign_index(d, t):
        key = first_moment(t)
        d["estimator"]["net"]["optimizer"]["tensors"]["999.exp_avg"] = d["estimator"]["net"]["optimizer"]["tensors"][
            key.split("optimizer.", 1)[1]
        ]
        del d["estimator"]["net"]["optimizer"]["tensors"][key.split("optimizer.", 1)[1]]

    def string_lr(d, t):
        d["estimator"]["net"]["optimizer"]["param_groups"][0]["lr"] = "__import__('os')"

    def scalar_betas(d, t):
        d["estimator"]["net"]["optimizer"]["param_groups"][0]["betas"] = 5

    def flag_lr(d, t):
        d["estimator"]["net"]["optimizer"]["param_groups"][0]["lr"] = True

    def other_params(d, t):
        d["estimator"]["net"]["optimizer"]["param_groups"][0]["params"] = [0]

    def extra_key(d, t):
        d["estimator"]["net"]["optimizer"]["code"] = "os.system"

    def object_value(d, t):
        d["estimator"]["net"]["optimizer"]["values"]["0.hook"] = {"module": "os", "qualname": "system"}

    return [
        ("a moment of another shape", reshape, r"has shape \(3, 3\)"),
        ("a moment of another dtype", retype, "torch.float64"),
        ("an entry of no parameter", foreign_index, "no parameter's entry"),
        ("a hyperparameter that is a string", string_lr, "'lr' is .__import__"),
        ("betas that are a number", scalar_betas, "'betas' is 5, not of the kind"),
        ("a learning rate that is a flag", flag_lr, "'lr' is True, not of the kind"),
        ("a group holding other parameters", other_params, "does not hold this optimizer's parameters"),
        ("an extra key", extra_key, "must have exactly the keys"),
        ("a value that is an object", object_value, "must be a number, bool or None"),
    ]


@pytest.mark.parametrize(
    "mutate, message", [m[1:] for m in _optimizer_mutations()], ids=[m[0] for m in _optimizer_mutations()]
)
def test_a_broken_optimizer_state_is_refused(data, tmp_path, mutate, message):
    X, _ = data
    model = _models()["dense"].partial_fit(X)
    save(model, tmp_path / "model.safetensors")
    document, tensors = _read(tmp_path / "model.safetensors")
    mutate(document, tensors)
    _write(tmp_path / "broken.safetensors", document, tensors)
    with pytest.raises(ValueError, match=message):
        load(tmp_path / "broken.safetensors")


def test_an_optimizer_state_of_another_torch_version_loads(data, tmp_path):
    """Hyperparameter names change between torch versions: an unknown one is dropped, a missing one keeps the
    fresh optimizer's value, and training continues as without leaving the process."""
    X, X_new = data
    model = _models()["dense"].partial_fit(X)
    save(model, tmp_path / "model.safetensors")
    document, tensors = _read(tmp_path / "model.safetensors")
    group = document["estimator"]["net"]["optimizer"]["param_groups"][0]
    group["a_future_option"] = True
    del group["foreach"]
    _write(tmp_path / "other_torch.safetensors", document, tensors)
    loaded = load(tmp_path / "other_torch.safetensors")
    assert "a_future_option" not in loaded.net_.optimizer_.param_groups[0]
    assert "foreach" in loaded.net_.optimizer_.param_groups[0]
    np.testing.assert_array_equal(loaded.partial_fit(X_new).transform(X), model.partial_fit(X_new).transform(X))


def test_an_lbfgs_history_is_not_kept_and_the_model_still_saves_and_pickles(tmp_path):
    """LBFGS keeps flat vectors in lists, not a per-weight state: save and pickle leave it out, the rest round-trips,
    and training after loading starts a fresh LBFGS."""
    X = load_digits().data[:200]
    lbfgs = torch.optim.LBFGS
    model = AutoencoderTransformer(3, hidden_layer_sizes=(8,), max_epochs=2, optimizer=lbfgs, random_state=0).fit(X)
    assert model.net_.optimizer_.state_dict()["state"]  # it has a history to leave out
    save(model, tmp_path / "lbfgs.safetensors")
    document, _ = _read(tmp_path / "lbfgs.safetensors")
    assert "optimizer" not in document["estimator"]["net"]
    for loaded in (load(tmp_path / "lbfgs.safetensors", trusted=[lbfgs]), pickle.loads(pickle.dumps(model))):
        np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
        assert not loaded.net_.optimizer_.state_dict()["state"]
        loaded.partial_fit(X)  # trains on, from a fresh optimizer
        assert loaded.n_iter_ == model.n_iter_ + 1
