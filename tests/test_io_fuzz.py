"""Fuzzing sklearn_ae.load's fitted attributes (issue 22): saved files of small fitted estimators, one attribute's
JSON value or tensor replaced by a drawn one (NaN, inf, negatives, zeros, wrong types, wrong shapes, nested lists,
other dtypes). load either refuses the file with a ValueError or TypeError, or gives an estimator whose outputs on a
few rows are finite and of the right shape: never another exception, never NaN."""

import json
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer, load, save

SMALL = dict(n_components=2, hidden_layer_sizes=(3,), max_epochs=1, random_state=0)
ROWS = load_digits().data[:60] / 16.0


def _models():
    return {
        "ae": AutoencoderTransformer(**SMALL),
        "vae": VAETransformer(**SMALL),
        "detector": AutoencoderOutlierDetector(AutoencoderTransformer(**SMALL), random_state=0),
        "detector_pca": AutoencoderOutlierDetector(PCA(2), measure="reconstruction"),
    }


def _attribute_paths(record, path=("estimator",)):
    """The path of every fitted attribute of the estimator ``record`` and of the estimators it holds."""
    for key, value in record.get("attributes", {}).items():
        yield (*path, "attributes", key)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, dict) and item.get("$type") == "estimator":
                inner = (*path, "attributes", key, i) if isinstance(value, list) else (*path, "attributes", key)
                yield from _attribute_paths(item, inner)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Per model: its document, its tensors, the paths of its attributes and the names of its attribute tensors."""
    folder = tmp_path_factory.mktemp("fuzz")
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # one epoch: posterior collapse, worse than PCA
        for name, model in _models().items():
            save(model.fit(ROWS), folder / f"{name}.safetensors")
            with safe_open(str(folder / f"{name}.safetensors"), framework="pt") as f:
                document = json.loads(f.metadata()["sklearn_ae"])
                tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
            paths = sorted(_attribute_paths(document["estimator"]), key=str)
            arrays = sorted(k for k in tensors if ".net." not in k and ".optimizer." not in k)
            out[name] = document, tensors, paths, arrays
    return out


# The numbers drawn: the non-finite, the negative and zero, and moderate positive ones. Not tiny or huge ones in
# arrays: a fit on data in units of 1e-12 has scaling_scale_ near 1e-12, and then the rows here (digits) lie 1e12
# training spreads away, where the network overflows float32 and says so (FloatingPointError) by design.
NUMBERS = [float("nan"), float("inf"), float("-inf"), 0.0, -0.0, -1.0, -0.5, 0.5, 1.0, 2.0]


def _number(value):
    """A float as the document writes it: non-finite ones as records."""
    return value if np.isfinite(value) else {"$type": "float", "value": repr(value)}


SCALARS = (
    st.sampled_from([*NUMBERS, 1e-12, 1e300]).map(_number)  # below the floors of the variances, and huge
    | st.integers(-3, 70)
    | st.booleans()
    | st.none()
    | st.sampled_from(["", "distance", "likelihood", "reconstruction", "nonsense", "n_features_in_"])
    | st.builds(
        lambda dtype, v: {"$type": "scalar", "dtype": dtype, "value": _number(v)},
        st.sampled_from(["float64", "float32", "int64"]),
        st.sampled_from(NUMBERS),
    )
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.builds(lambda items: {"$type": "tuple", "items": items}, st.lists(children, max_size=3))
    ),
    max_leaves=5,
)
DTYPES = [torch.float64, torch.float32, torch.float16, torch.int64, torch.int32, torch.uint8, torch.bool]
SHAPES = st.lists(st.sampled_from([1, 2, 3, 64]), max_size=3).map(tuple)


@st.composite
def arrays(draw, like=None):
    """A tensor: a fresh one of a drawn shape, or ``like`` with its dtype changed, relabelled or an entry replaced."""
    how = draw(st.sampled_from(["fresh", "cast", "relabel", "entry", "reshape"] if like is not None else ["fresh"]))
    if how == "fresh":
        shape, value = draw(SHAPES), draw(st.sampled_from(NUMBERS))
        return torch.full(shape, value, dtype=torch.float64).to(draw(st.sampled_from(DTYPES)))
    if how == "cast":
        return like.to(draw(st.sampled_from(DTYPES)))
    if how == "relabel":  # the same bytes, the header's dtype changed (F64 -> I64, F64 -> F32 twice as many)
        return like.view(draw(st.sampled_from([torch.int64, torch.float32, torch.int32, torch.uint8])))
    if how == "reshape":
        return like.reshape(-1)[: max(1, like.numel() - 1)] if draw(st.booleans()) else like.reshape(1, *like.shape)
    array = like.clone()
    if array.numel() and array.dtype.is_floating_point:
        array.view(-1)[draw(st.integers(0, array.numel() - 1))] = draw(st.sampled_from(NUMBERS))
    return array


def _outputs(model, X):
    if isinstance(model, AutoencoderOutlierDetector):
        return {
            "score_samples": (model.score_samples(X), (len(X),)),
            "decision_function": (model.decision_function(X), (len(X),)),
        }
    codes = model.transform(X)
    return {
        "transform": (codes, (len(X), model.n_components)),
        "inverse_transform": (model.inverse_transform(codes), X.shape),
        "score_samples": (model.score_samples(X), (len(X),)),
    }


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_fuzzed_attribute_is_refused_or_harmless(saved, tmp_path, data):
    name = data.draw(st.sampled_from(sorted(saved)), label="model")
    document, tensors, paths, names = saved[name]
    document, tensors = json.loads(json.dumps(document)), dict(tensors)
    if data.draw(st.booleans(), label="tensor"):  # an attribute's tensor changed in place
        key = data.draw(st.sampled_from(names), label="tensor name")
        tensors[key] = data.draw(arrays(tensors[key]), label="new tensor").contiguous()
    else:  # an attribute's JSON value replaced
        path = data.draw(st.sampled_from(paths), label="attribute")
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans(), label="array"):
            tensors["planted"] = data.draw(arrays(), label="new array")
            parent[path[-1]] = {"$type": "ndarray", "tensor": "planted"}
        else:
            parent[path[-1]] = data.draw(JSON_VALUES, label="new value")
    text = json.dumps(document)
    used = {k: v for k, v in tensors.items() if json.dumps(k) in text}  # else the unused tensor is what load refuses
    save_file(used, str(tmp_path / "fuzzed.safetensors"), metadata={"sklearn_ae": text})
    try:
        model = load(tmp_path / "fuzzed.safetensors")
    except (ValueError, TypeError):
        return
    X = ROWS[:4]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # an overflow or invalid value on the way is a failure too
        outputs = _outputs(model, X)
    for method, (values, shape) in outputs.items():
        assert values.shape == shape, (method, values.shape)
        assert np.isfinite(values).all(), (method, values)
