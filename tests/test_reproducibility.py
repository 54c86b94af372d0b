"""Seeding: same random_state, same bits; the user's global random state untouched."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from sklearn_ae import AutoencoderTransformer

X, _ = load_digits(return_X_y=True)
X = X[:300]
FAST = {"max_epochs": 4, "hidden_layer_sizes": (16,)}


def test_same_random_state_bit_identical():
    a = AutoencoderTransformer(3, random_state=7, **FAST).fit(X)
    b = AutoencoderTransformer(3, random_state=7, **FAST).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)
    for pa, pb in zip(a.net_.module_.parameters(), b.net_.module_.parameters()):
        assert torch.equal(pa, pb)


def test_different_random_state_differs():
    a = AutoencoderTransformer(3, init="random", random_state=1, **FAST).fit(X)
    b = AutoencoderTransformer(3, init="random", random_state=2, **FAST).fit(X)
    assert not np.array_equal(a.transform(X), b.transform(X))


def test_random_state_instance_is_accepted_and_consumed():
    a = AutoencoderTransformer(3, random_state=np.random.RandomState(0), **FAST).fit(X)
    b = AutoencoderTransformer(3, random_state=np.random.RandomState(0), **FAST).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


@pytest.mark.parametrize("random_state", [None, 0])
def test_global_random_state_untouched(random_state, global_rngs_untouched):
    with global_rngs_untouched(seed=123):
        AutoencoderTransformer(3, random_state=random_state, **FAST).fit(X).transform(X)


def test_transform_row_by_row_equals_whole_batch():
    ae = AutoencoderTransformer(3, random_state=0, **FAST).fit(X)
    whole = ae.transform(X[:20])
    rows = np.vstack([ae.transform(X[i : i + 1]) for i in range(20)])
    # Another batch shape may take another matrix kernel, which adds in another order: equal up to the network's
    # (float32) rounding, with an absolute part for codes near zero.
    np.testing.assert_allclose(rows, whole, rtol=1e-6, atol=1e-6 * np.abs(whole).max())
    scores = np.hstack([ae.score_samples(X[i : i + 1]) for i in range(20)])
    expected = ae.score_samples(X[:20])
    np.testing.assert_allclose(scores, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())


def test_pickle_round_trip_is_exact():
    ae = AutoencoderTransformer(3, random_state=0, **FAST).fit(X)
    clone = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(clone.transform(X), ae.transform(X))
    np.testing.assert_array_equal(clone.score_samples(X), ae.score_samples(X))


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a machine without CUDA")
def test_model_saved_for_cuda_loads_without_gpu():
    """A model fitted for CUDA unpickles on a CPU-only machine, with a warning (the net is rebuilt on the CPU)."""
    ae = AutoencoderTransformer(3, random_state=0, device="cpu", **FAST).fit(X)
    expected = ae.transform(X)
    ae.device = "cuda"  # what a model fitted on a GPU holds (the net is rebuilt from the parameters on unpickling)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = pickle.loads(pickle.dumps(ae))
    assert str(loaded.net_.device) == "cpu"
    assert any("CUDA" in str(w.message) for w in caught)
    np.testing.assert_array_equal(loaded.transform(X), expected)
