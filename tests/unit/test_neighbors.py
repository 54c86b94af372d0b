"""The neighbour distances of the detector (sklearn_ae._neighbors), against a brute-force computation."""

import numpy as np
import pytest

from sklearn_ae._neighbors import Reference, kth_distance, reference_sample, training_kth_distance


def _brute_kth(reference, rows, k, leave_out=None):
    out = []
    for i, row in enumerate(rows):
        d = np.sqrt(((reference - row) ** 2).sum(axis=1))
        if leave_out is not None and leave_out[i] is not None:
            d = np.delete(d, leave_out[i])
        out.append(np.sort(d)[min(k, len(d)) - 1])
    return np.array(out)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_kth_distance_is_the_kth_smallest_euclidean_distance(k):
    rng = np.random.RandomState(0)
    reference, rows = rng.normal(size=(40, 3)), rng.normal(size=(15, 3))
    np.testing.assert_allclose(kth_distance(reference, rows, k), _brute_kth(reference, rows, k), rtol=1e-12)


def test_kth_distance_with_fewer_reference_rows_than_k_is_the_farthest():
    rng = np.random.RandomState(1)
    reference, rows = rng.normal(size=(3, 2)), rng.normal(size=(4, 2))
    np.testing.assert_allclose(kth_distance(reference, rows, 5), _brute_kth(reference, rows, 3), rtol=1e-12)


@pytest.mark.parametrize("k", [1, 5])
def test_training_rows_leave_themselves_out(k):
    rng = np.random.RandomState(2)
    X = rng.normal(size=(30, 4))
    X[7] = X[3]  # a duplicate is another row: its distance 0 counts
    index = np.array([0, 3, 5, 7, 8, 11, 12, 20, 21, 29])
    reference = Reference(X[index], index)
    positions = np.arange(len(X))
    leave_out = [int(np.flatnonzero(index == i)[0]) if i in index else None for i in positions]
    expected = _brute_kth(X[index], X, k, leave_out)
    np.testing.assert_allclose(training_kth_distance(reference, X, positions, k), expected, rtol=1e-12, atol=1e-12)
    # batches of rows at their positions give the same
    got = np.concatenate(
        [training_kth_distance(reference, X[s : s + 7], positions[s : s + 7], k) for s in range(0, 30, 7)]
    )
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_reference_sample_keeps_all_rows_or_a_sorted_sample_without_repeats():
    rng = np.random.RandomState(3)
    np.testing.assert_array_equal(reference_sample(50, rng, max_rows=100), np.arange(50))
    sample = reference_sample(1000, rng, max_rows=100)
    assert len(sample) == 100 and len(np.unique(sample)) == 100
    assert np.all(np.diff(sample) > 0) and sample.min() >= 0 and sample.max() < 1000
