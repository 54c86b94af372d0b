"""The estimators' pickled state is plain data: skops lists only our classes as untrusted, and a payload planted
in the file runs nothing. Ordinary pickle and deepcopy keep working on that state."""

import copy
import json
import pickle
import pickletools
import zipfile

import numpy as np
import pytest
from _io_modules import Decoder, Encoder
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer

FAST = dict(n_components=3, hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
OURS = {
    AutoencoderTransformer: "sklearn_ae._transformer.AutoencoderTransformer",
    VAETransformer: "sklearn_ae._vae.VAETransformer",
    AutoencoderOutlierDetector: "sklearn_ae._outlier.AutoencoderOutlierDetector",
}


@pytest.fixture(scope="module")
def data():
    X = load_digits().data
    return X[:150], X[150:200]


@pytest.fixture(scope="module")
def fitted(data):
    X, _ = data
    models = {
        "dense": AutoencoderTransformer(**FAST, noise="masking"),
        "tied": AutoencoderTransformer(**FAST, tied_weights=True),
        "vae": VAETransformer(**FAST),
        "detector": AutoencoderOutlierDetector(AutoencoderTransformer(**FAST), n_estimators=2, random_state=0),
        "detector_pca": AutoencoderOutlierDetector(PCA(3)),
    }
    return {name: model.fit(X) for name, model in models.items()}


def _outputs(model, X):
    if isinstance(model, AutoencoderOutlierDetector):
        return [model.score_samples(X), model.predict(X)]
    codes = model.transform(X)
    return [codes, model.inverse_transform(codes), model.score_samples(X)]


def _global_names(data):
    """The module.name of every class or function a pickle would import."""
    names, strings = set(), []
    for opcode, arg, _ in pickletools.genops(data):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif opcode.name == "STACK_GLOBAL":
            names.add(f"{strings[-2]}.{strings[-1]}")
        elif opcode.name == "GLOBAL":
            names.add(arg.replace(" ", "."))
    return names


# ----------------------------------------------------------------- pickle
@pytest.mark.parametrize("name", ["dense", "tied", "vae", "detector"])
def test_pickle_holds_no_torch_or_skorch_object(fitted, data, name):
    model = fitted[name]
    blob = pickle.dumps(model)
    imported = _global_names(blob)
    assert not [n for n in imported if n.startswith(("torch", "skorch"))], imported
    restored = pickle.loads(blob)
    for a, b in zip(_outputs(restored, data[1]), _outputs(model, data[1]), strict=True):
        assert np.array_equal(a, b)


def test_pickled_state_keeps_the_fitted_attributes(fitted):
    model = fitted["dense"]
    restored = copy.deepcopy(model)
    assert restored.n_iter_ == model.n_iter_ and restored.best_epoch_ == model.best_epoch_
    np.testing.assert_array_equal(restored.loss_curve_, model.loss_curve_)
    np.testing.assert_array_equal(restored.validation_loss_curve_, model.validation_loss_curve_)
    assert restored.net_.history.to_list() == model.net_.history.to_list()
    assert restored.net_.validation_seed == model.net_.validation_seed
    assert restored.network_.spec.corruption == model.network_.spec.corruption
    assert restored.net_.module_ is not model.net_.module_
    assert "network_" in vars(model)  # pickling never changes the model itself


def test_unpickling_leaves_the_global_rngs_alone(fitted, global_rngs_untouched):
    blob = pickle.dumps(fitted["dense"])
    with global_rngs_untouched():
        pickle.loads(blob)


def test_tied_weights_stay_tied_through_pickle(fitted):
    module = pickle.loads(pickle.dumps(fitted["tied"])).net_.module_
    assert module.decoder.linear.weight.data_ptr() == module.encoder.linear.weight.data_ptr()


def test_a_broken_weights_blob_is_refused(fitted):
    state = fitted["dense"].__getstate__()
    state["_net_state"] = {**state["_net_state"], "weights": b"\x80\x04not safetensors"}
    model = AutoencoderTransformer.__new__(AutoencoderTransformer)
    with pytest.raises(ValueError, match="not a valid safetensors document"):
        model.__setstate__(state)


# ------------------------------------------------------------------- skops
@pytest.mark.parametrize("name", ["dense", "tied", "vae", "detector", "detector_pca"])
def test_skops_lists_only_our_classes(fitted, data, tmp_path, name):
    sio = pytest.importorskip("skops.io")
    model = fitted[name]
    path = tmp_path / "m.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted and set(untrusted) <= set(OURS.values()), untrusted
    loaded = sio.load(path, trusted=untrusted)
    for a, b in zip(_outputs(loaded, data[1]), _outputs(model, data[1]), strict=True):
        assert np.array_equal(a, b)


def test_skops_lists_a_custom_network_class(data, tmp_path):
    """With a custom encoder/decoder the list names them: the user decides whether to trust their code."""
    sio = pytest.importorskip("skops.io")
    model = AutoencoderTransformer(n_components=3, max_epochs=1, random_state=0, encoder=Encoder, decoder=Decoder)
    sio.dump(model.fit(data[0]), tmp_path / "c.skops")
    untrusted = set(sio.get_untrusted_types(file=tmp_path / "c.skops"))
    assert {f"{Encoder.__module__}.Encoder", f"{Decoder.__module__}.Decoder"} <= untrusted
    assert untrusted - {f"{Encoder.__module__}.Encoder", f"{Decoder.__module__}.Decoder"} == {OURS[type(model)]}


class Payload:
    """Pickling this plants a call that creates the sentinel file, as an attacker's payload would."""

    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return (open, (str(self.sentinel), "w"))


def _rewrite(path, edit):
    """Rewrite the skops zip at ``path``; ``edit(name, data)`` returns the new bytes of each member."""
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, edit(name, data))


def test_skops_pickle_planted_in_the_weights_runs_nothing(fitted, tmp_path):
    sio = pytest.importorskip("skops.io")
    path, sentinel = tmp_path / "m.skops", tmp_path / "PWNED"
    sio.dump(fitted["dense"], path)
    trusted = sio.get_untrusted_types(file=path)
    payload = pickle.dumps(Payload(sentinel))
    _rewrite(path, lambda name, data: payload if name.endswith(".bin") else data)
    with pytest.raises(ValueError, match="not a valid safetensors document"):
        sio.load(path, trusted=trusted)
    assert not sentinel.exists()
    assert sio.get_untrusted_types(file=path) == trusted  # the payload does not even show as a type
    pickle.loads(payload).close()  # the control: unpickled, the same bytes do create the sentinel
    assert sentinel.exists()


def test_skops_schema_naming_a_dangerous_function_is_flagged(fitted, tmp_path):
    sio = pytest.importorskip("skops.io")
    path, sentinel = tmp_path / "m.skops", tmp_path / "PWNED"
    sio.dump(fitted["dense"], path)
    trusted = sio.get_untrusted_types(file=path)

    def plant(name, data):
        if name != "schema.json":
            return data
        schema = json.loads(data)
        # the estimator's "verbose" parameter becomes a call to os.system
        schema["content"]["content"]["verbose"] = {
            "__class__": "system",
            "__module__": "os",
            "__loader__": "FunctionNode",
            "__id__": 1,
            "content": {"module_path": "os", "function": "system"},
        }
        return json.dumps(schema)

    _rewrite(path, plant)
    assert "os.system" in sio.get_untrusted_types(file=path)
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.load(path, trusted=trusted)
    assert not sentinel.exists()
