"""sklearn_ae.save / sklearn_ae.load of a detector around any scikit-learn transformer: PCA natively, the others
(IncrementalPCA, KernelPCA, pipelines, ...) as skops bytes in a tensor; no pickle, nothing imported that is not
trusted, a clear error without skops. And the estimators registered once (the registry feeds save, load and ONNX)."""

import json
import pickle
import sys

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA, FactorAnalysis, FastICA, IncrementalPCA, KernelPCA, TruncatedSVD
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, _registry, load, save

FAST = dict(n_components=3, hidden_layer_sizes=(8,), max_epochs=1, random_state=0)


class Shift(TransformerMixin, BaseEstimator):
    """A transformer that is not scikit-learn's: the first columns, centred."""

    def __init__(self, n_components=2):
        self.n_components = n_components

    def fit(self, X, y=None):
        self.mean_ = X.mean(axis=0)
        return self

    def transform(self, X):
        return (X - self.mean_)[:, : self.n_components]

    def inverse_transform(self, Z):
        out = np.zeros((Z.shape[0], self.mean_.shape[0]))
        out[:, : self.n_components] = Z
        return out + self.mean_


MEMBERS = {
    "PCA": lambda: PCA(3),
    "IncrementalPCA": lambda: IncrementalPCA(3),
    "KernelPCA": lambda: KernelPCA(3, kernel="rbf", fit_inverse_transform=True),
    "TruncatedSVD": lambda: TruncatedSVD(3),
    "FastICA": lambda: FastICA(3, whiten="unit-variance", max_iter=400),
    "Pipeline(StandardScaler, PCA)": lambda: make_pipeline(StandardScaler(), PCA(3)),
    "Pipeline(StandardScaler, IncrementalPCA)": lambda: make_pipeline(StandardScaler(), IncrementalPCA(3)),
    "Pipeline(StandardScaler, AutoencoderTransformer)": lambda: make_pipeline(
        StandardScaler(), AutoencoderTransformer(**FAST)
    ),
}


@pytest.fixture(scope="module")
def data():
    X = load_digits().data
    return X[:150] / 16.0, X[200:260] / 16.0


def _document(path):
    with safe_open(str(path), framework="pt") as f:
        return json.loads(f.metadata()["sklearn_ae"]), {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118


def _write(path, document, tensors):
    save_file(tensors, str(path), metadata={"sklearn_ae": json.dumps(document)})


@pytest.fixture
def no_pickle(monkeypatch):
    """pickle cannot write while this is active: saving must not use it (skops is imported first: importing its
    dependencies may pickle a constant)."""
    pytest.importorskip("skops.io")

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    for name in ("dumps", "dump"):
        monkeypatch.setattr(pickle, name, refuse)


def _fitted(member, X, **kwargs):
    return AutoencoderOutlierDetector(member, random_state=0, **kwargs).fit(X)


@pytest.mark.parametrize("name", list(MEMBERS))
def test_a_detector_around_a_transformer_round_trips_exactly(name, data, tmp_path, no_pickle):
    X, X_test = data
    detector = _fitted(MEMBERS[name](), X, n_estimators=2)
    save(detector, tmp_path / "d.safetensors")
    loaded = load(tmp_path / "d.safetensors")
    for method in ("decision_function", "score_samples", "predict"):
        assert np.array_equal(getattr(loaded, method)(X_test), getattr(detector, method)(X_test)), method
    assert type(loaded.estimator) is type(detector.estimator)
    assert [type(m) for m in loaded.estimators_] == [type(m) for m in detector.estimators_]
    assert loaded.estimators_[0] is not loaded.estimators_[1]
    document, _ = _document(tmp_path / "d.safetensors")
    record = document["estimator"]
    kinds = {record["params"]["estimator"]["$type"], record["attributes"]["estimator_"]["$type"]}
    kinds |= {member["$type"] for member in record["attributes"]["estimators_"]}
    assert kinds == ({"estimator"} if name == "PCA" else {"skops"}), kinds  # PCA keeps its native record


def test_an_unfitted_detector_around_a_pipeline_round_trips(tmp_path):
    detector = AutoencoderOutlierDetector(make_pipeline(StandardScaler(), IncrementalPCA(2)), contamination=0.1)
    save(detector, tmp_path / "u.safetensors")
    loaded = load(tmp_path / "u.safetensors")
    assert repr(loaded) == repr(detector)
    assert loaded.get_params()["estimator__incrementalpca__n_components"] == 2


def test_factor_analysis_is_no_member_of_a_detector():
    """FactorAnalysis has no inverse_transform: the detector refuses it, before any saving."""
    X = load_digits().data[:50]
    with pytest.raises(ValueError, match="inverse_transform"):
        AutoencoderOutlierDetector(FactorAnalysis(2)).fit(X)


# ------------------------------------------------------------------ trust
def test_a_member_of_another_class_loads_only_when_trusted(data, tmp_path, no_pickle):
    X, X_test = data
    detector = _fitted(Shift(3), X)
    save(detector, tmp_path / "s.safetensors")
    name = f"{Shift.__module__}.Shift"
    with pytest.raises(ValueError, match=rf"names the types \['{name}'\].* pass trusted=\['{name}'\]"):
        load(tmp_path / "s.safetensors")
    for trusted in ([name], [Shift]):
        loaded = load(tmp_path / "s.safetensors", trusted=trusted)
        assert type(loaded.estimators_[0]) is Shift
        assert np.array_equal(loaded.decision_function(X_test), detector.decision_function(X_test))


@pytest.fixture
def planted_module(tmp_path, monkeypatch):
    """A module defining a transformer that creates a sentinel file whenever the module is imported."""
    sentinel = tmp_path / "PWNED"
    source = (
        f"open({str(sentinel)!r}, 'w').write('ran')\n"
        "from sklearn.preprocessing import StandardScaler\n"
        "class Planted(StandardScaler):\n"
        "    def inverse_transform(self, X, copy=None):\n"
        "        return super().inverse_transform(X, copy=copy)\n"
    )
    (tmp_path / "planted_member.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield sentinel
    sys.modules.pop("planted_member", None)


def test_an_untrusted_member_is_refused_before_its_module_is_imported(data, tmp_path, planted_module):
    import planted_member

    X, _ = data
    save(_fitted(planted_member.Planted(), X, measure="reconstruction"), tmp_path / "p.safetensors")
    planted_module.unlink()
    del sys.modules["planted_member"]
    with pytest.raises(ValueError, match=r"planted_member.Planted.*trusted="):
        load(tmp_path / "p.safetensors")
    assert not planted_module.exists() and "planted_member" not in sys.modules
    load(tmp_path / "p.safetensors", trusted=["planted_member.Planted"])  # the control: trusted, it is imported
    assert planted_module.exists()


def test_a_strided_array_gets_its_layout_back(data, tmp_path):
    """IncrementalPCA's components_ is a slice of a Fortran array: results with a contiguous copy differ in bits."""
    X, X_test = data
    detector = _fitted(IncrementalPCA(3), X)
    member = detector.estimators_[0]
    assert not (member.components_.flags.c_contiguous or member.components_.flags.f_contiguous)
    save(detector, tmp_path / "i.safetensors")
    document, tensors = _document(tmp_path / "i.safetensors")
    record = document["estimator"]["attributes"]["estimators_"][0]
    assert record["views"] == [{"path": ["components_"], "strides": list(member.components_.strides)}]
    loaded = load(tmp_path / "i.safetensors").estimators_[0]
    assert loaded.components_.strides == member.components_.strides
    assert np.array_equal(loaded.transform(X_test), member.transform(X_test))
    for views, message in [
        ([{"path": ["nothing_"], "strides": [8, 512]}], "leads nowhere"),
        ([{"path": ["n_components"], "strides": [8]}], "not a numeric array"),
        ([{"path": ["components_"], "strides": [8, 8]}], "is no layout"),
        ([{"path": ["components_"], "strides": [8, 2**40]}], "too many"),
        ([{"path": ["components_"]}], "has the keys path and strides"),
    ]:
        record["views"] = views
        _write(tmp_path / "v.safetensors", document, tensors)
        with pytest.raises(ValueError, match=message):
            load(tmp_path / "v.safetensors")


def test_broken_skops_bytes_are_refused(data, tmp_path):
    X, _ = data
    save(_fitted(IncrementalPCA(3), X), tmp_path / "i.safetensors")
    document, tensors = _document(tmp_path / "i.safetensors")
    key = document["estimator"]["attributes"]["estimators_"][0]["tensor"]
    tensors[key] = tensors[key][:100].clone()
    _write(tmp_path / "b.safetensors", document, tensors)
    with pytest.raises(ValueError, match="not a valid skops document"):
        load(tmp_path / "b.safetensors")
    tensors[key] = tensors[key].float()
    _write(tmp_path / "f.safetensors", document, tensors)
    with pytest.raises(ValueError, match="1-D uint8"):
        load(tmp_path / "f.safetensors")


# ---------------------------------------------------------- without skops
@pytest.fixture
def no_skops(monkeypatch):
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)


def test_without_skops_saving_such_a_member_says_how_to_install_it(data, tmp_path, no_skops):
    X, _ = data
    with pytest.raises(ImportError, match=r'IncrementalPCA.*needs skops: pip install "sklearn-ae\[skops\]"'):
        save(_fitted(IncrementalPCA(3), X), tmp_path / "i.safetensors")
    assert not (tmp_path / "i.safetensors").exists()
    save(_fitted(PCA(3), X), tmp_path / "p.safetensors")  # PCA needs no skops
    assert isinstance(load(tmp_path / "p.safetensors").estimators_[0], PCA)


def test_without_skops_loading_such_a_member_says_how_to_install_it(data, tmp_path, monkeypatch):
    X, _ = data
    save(_fitted(IncrementalPCA(3), X), tmp_path / "i.safetensors")
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ImportError, match=r'needs skops: pip install "sklearn-ae\[skops\]"'):
        load(tmp_path / "i.safetensors")


def test_other_values_are_still_refused(tmp_path):
    class Duck:  # fit, transform and inverse_transform, but no scikit-learn estimator
        def fit(self, X):
            return self

        transform = inverse_transform = fit

    with pytest.raises(TypeError, match="estimator.estimator: cannot save a .*Duck; .*through skops"):
        save(AutoencoderOutlierDetector(Duck()), tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()


# ------------------------------------------------------------ the registry
def test_the_registry_feeds_save_load_and_onnx(tmp_path):
    from sklearn_ae import AutoencoderOutlierDetector as Detector
    from sklearn_ae import VAETransformer
    from sklearn_ae._io import _allowed_estimators
    from sklearn_ae.onnx import _ALIASES

    classes = _registry.estimator_classes()
    assert classes == {
        "sklearn_ae.AutoencoderTransformer": AutoencoderTransformer,
        "sklearn_ae.VAETransformer": VAETransformer,
        "sklearn_ae.AutoencoderOutlierDetector": Detector,
    }
    assert _allowed_estimators() == {**classes, "sklearn.decomposition.PCA": PCA}
    assert _ALIASES == {
        "AutoencoderTransformer": "SklearnAEAutoencoderTransformer",
        "VAETransformer": "SklearnAEVAETransformer",
        "AutoencoderOutlierDetector": "SklearnAEAutoencoderOutlierDetector",
    }
    with pytest.raises(TypeError, match=r"\(AutoencoderTransformer, VAETransformer, AutoencoderOutlierDetector\)"):
        save(PCA(2), tmp_path / "x.safetensors")


# ------------------------------------------------- one network schema check
def test_the_network_record_is_checked_in_one_place(data, tmp_path):
    X, _ = data
    model = AutoencoderTransformer(**FAST).fit(X)
    state = model.__getstate__()
    state["_net_state"] = {**state["_net_state"], "code": "os.system"}
    with pytest.raises(ValueError, match=r"must have exactly the keys \['history', 'validation_seed', 'weights'\]"):
        AutoencoderTransformer.__new__(AutoencoderTransformer).__setstate__(state)
    save(model, tmp_path / "m.safetensors")
    document, tensors = _document(tmp_path / "m.safetensors")
    del document["estimator"]["net"]["aliases"]
    _write(tmp_path / "b.safetensors", document, tensors)
    with pytest.raises(ValueError, match=r"estimator.net must have exactly the keys \['aliases', 'history'"):
        load(tmp_path / "b.safetensors")
