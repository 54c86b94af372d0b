"""Unit tests of sklearn_ae._data: scaling fitted and applied by hand with numpy."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from sklearn_ae._data import (
    ScaledDataset,
    collate_batch,
    feature_moments,
    fit_input_scaling,
    fit_scaling,
    iter_row_batches,
    scale_rows,
)


def _data(n=12, d=5, seed=0, constant=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.arange(1, d + 1) + np.arange(d)
    X[rng.random((n, d)) < 0.4] = 0.0  # zeros, so that the CSR form is really sparse
    if constant:
        X[:, 1] = 3.0
    return X


def _numpy_scaling(X, kind):
    if kind is None:
        return np.zeros(X.shape[1]), np.ones(X.shape[1])
    if kind == "minmax":
        return X.min(axis=0), X.max(axis=0) - X.min(axis=0)
    if kind == "standard":
        return X.mean(axis=0), X.std(axis=0)
    return X.mean(axis=0), np.full(X.shape[1], np.sqrt(X.var(axis=0).mean()))


@pytest.mark.parametrize("kind", ["global", "standard", "minmax", None])
def test_fit_scaling_matches_numpy(kind):
    X = _data()
    offset, scale = fit_scaling(X, kind)
    expected_offset, expected_scale = _numpy_scaling(X, kind)
    np.testing.assert_allclose(offset, expected_offset, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(scale, expected_scale, rtol=1e-12)


def test_fit_scaling_global_is_one_root_mean_variance():
    X = _data()
    _, scale = fit_scaling(X, "global")
    assert np.unique(scale).size == 1
    np.testing.assert_allclose(scale[0] ** 2, np.mean([np.var(col) for col in X.T]), rtol=1e-12)


@pytest.mark.parametrize("kind", ["global", "standard", "minmax", None])
def test_fit_scaling_dense_and_sparse_agree(kind):
    X = _data()
    dense, sparse = fit_scaling(X, kind), fit_scaling(sp.csr_matrix(X), kind)
    for a, b in zip(dense, sparse):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["global", "standard", "minmax", None])
@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
def test_fit_scaling_returns_float64(kind, fmt):
    offset, scale = fit_scaling(fmt(_data().astype(np.float32)), kind)
    assert offset.dtype == scale.dtype == np.float64
    assert offset.shape == scale.shape == (5,)


@pytest.mark.parametrize("kind", ["standard", "minmax"])
@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
def test_fit_scaling_constant_feature_gets_scale_one(kind, fmt):
    X = _data(constant=True)
    _, scale = fit_scaling(fmt(X), kind)
    assert scale[1] == 1.0
    assert np.all(scale[[0, 2, 3, 4]] != 1.0)


@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
def test_fit_scaling_global_constant_data_gets_scale_one(fmt):
    _, scale = fit_scaling(fmt(np.full((4, 3), 2.0)), "global")
    np.testing.assert_array_equal(scale, np.ones(3))


def test_fit_scaling_unknown_kind_raises():
    with pytest.raises(ValueError, match="Unknown scaling"):
        fit_scaling(_data(), "robust")


@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scale_rows_is_affine_map(fmt, dtype):
    X = _data()
    offset, scale = np.arange(5.0), np.arange(1.0, 6.0)
    got = scale_rows(fmt(X), offset, scale, dtype)
    assert isinstance(got, np.ndarray) and got.dtype == dtype
    np.testing.assert_allclose(got, ((X - offset) / scale).astype(dtype), rtol=1e-6)


@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
@pytest.mark.parametrize("batch_size", [1, 4, 5, 12, 100])
def test_iter_row_batches_covers_all_rows_in_order(fmt, batch_size):
    X = _data()
    batches = list(iter_row_batches(fmt(X), batch_size))
    assert [b.shape[0] for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
    assert len(batches) == -(-X.shape[0] // batch_size)
    stacked = np.vstack([b.toarray() if sp.issparse(b) else b for b in batches])
    np.testing.assert_array_equal(stacked, X)


def test_iter_row_batches_empty():
    assert list(iter_row_batches(np.empty((0, 3)), 4)) == []


@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix, sp.csc_matrix], ids=["dense", "csr", "csc"])
def test_scaled_dataset_getitems_equals_scaling_by_hand(fmt):
    X = _data()
    offset, scale = X.mean(axis=0), X.std(axis=0)
    dataset = ScaledDataset(fmt(X), offset, scale)
    indices = [7, 0, 3, 3, 11]
    Xb, y = dataset.__getitems__(indices)
    assert y.target is Xb and y.mask is None  # an autoencoder's target is its input, every entry observed
    assert isinstance(Xb, torch.Tensor) and Xb.dtype == torch.float32
    np.testing.assert_allclose(Xb.numpy(), ((X[indices] - offset) / scale), rtol=1e-5, atol=1e-6)
    assert len(dataset) == X.shape[0]


@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
def test_scaled_dataset_getitem_is_one_row(fmt):
    X = _data()
    offset, scale = X.mean(axis=0), X.std(axis=0)
    row, y = ScaledDataset(fmt(X), offset, scale)[4]
    assert torch.equal(y.target, row) and y.mask is None and row.shape == (5,)
    np.testing.assert_allclose(row.numpy(), (X[4] - offset) / scale, rtol=1e-5, atol=1e-6)


def test_scaled_dataset_through_dataloader_gives_whole_batches():
    X = _data()
    offset, scale = np.zeros(5), np.ones(5)
    loader = torch.utils.data.DataLoader(
        ScaledDataset(sp.csr_matrix(X), offset, scale), batch_size=5, collate_fn=collate_batch
    )
    batches = [Xb for Xb, _ in loader]
    assert [b.shape for b in batches] == [(5, 5), (5, 5), (2, 5)]
    np.testing.assert_allclose(torch.cat(batches).numpy(), X, rtol=1e-6)


# ---------------------------------------------- mutation-testing survivors (benchmarks/results_mutation.md)
@pytest.mark.parametrize("kind", ["standard", "minmax"])
@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
def test_fit_scaling_all_zero_feature_gets_scale_one(kind, fmt):
    X = _data()
    X[:, 2] = 0.0  # spread 0 and magnitude 0: still constant, never a scale of 0
    _, scale = fit_scaling(fmt(X), kind)
    assert scale[2] == 1.0


@pytest.mark.parametrize("kind", ["global", "standard", "minmax"])
@pytest.mark.parametrize("units", [1e-20, 1e20])
def test_fit_scaling_follows_the_units(kind, units):
    # the constant-feature threshold is relative: the same data in other units gets the same scaling, in those units
    X = _data(constant=True)
    offset, scale = fit_scaling(X, kind)
    offset_u, scale_u = fit_scaling(X * units, kind)
    np.testing.assert_allclose(offset_u, offset * units, rtol=1e-12)
    varying = [0, 2, 3, 4] if kind != "global" else slice(None)
    np.testing.assert_allclose(scale_u[varying], scale[varying] * units, rtol=1e-12)
    if kind != "global":
        assert scale_u[1] == 1.0


@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
def test_feature_moments_per_feature_across_400_orders_of_magnitude(fmt):
    # squares of 1e200 overflow and squares of 1e-200 underflow: each feature is divided by its own magnitude
    X = _data()
    X[:, 0] *= 1e-200
    X[:, 1] *= 1e200
    X[:, 4] = 0.0
    moments = feature_moments(fmt(X))
    assert moments.mean.dtype == moments.std.dtype == moments.magnitude.dtype == np.float64
    for j in range(4):  # each feature alone, in its own units
        magnitude = np.abs(X[:, j]).max()
        np.testing.assert_allclose(moments.mean[j], (X[:, j] / magnitude).mean() * magnitude, rtol=1e-12)
        np.testing.assert_allclose(moments.std[j], (X[:, j] / magnitude).std() * magnitude, rtol=1e-12)
    assert moments.mean[4] == moments.std[4] == moments.magnitude[4] == 0.0  # all zeros: no 0/0
    np.testing.assert_array_equal(moments.magnitude, np.abs(X).max(axis=0))


@pytest.mark.filterwarnings("error")  # no "divide by zero" RuntimeWarning for an all-zero feature
@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
def test_feature_moments_of_an_all_zero_feature_warn_nothing(fmt):
    X = _data()
    X[:, 3] = 0.0
    moments = feature_moments(fmt(X))
    assert moments.mean[3] == moments.std[3] == moments.magnitude[3] == 0.0


def test_feature_moments_of_sparse_float32_are_float64():
    moments = feature_moments(sp.csr_matrix(_data().astype(np.float32)))
    assert moments.mean.dtype == moments.std.dtype == moments.magnitude.dtype == np.float64


@pytest.mark.parametrize("kind", ["standard", "minmax"])
def test_fit_input_scaling_is_the_scaling_and_the_moments(kind):
    X = _data()
    scaling = fit_input_scaling(X, kind)
    expected_offset, expected_scale = _numpy_scaling(X, kind)
    np.testing.assert_allclose(scaling.offset, expected_offset, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(scaling.scale, expected_scale, rtol=1e-12)
    np.testing.assert_allclose(scaling.mean, X.mean(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(scaling.std, X.std(axis=0), rtol=1e-12)


def test_scale_rows_of_sparse_input_is_a_plain_ndarray():
    got = scale_rows(sp.csr_matrix(_data()), np.arange(5.0), np.arange(1.0, 6.0))
    assert type(got) is np.ndarray  # not np.matrix, what sparse minus dense gives


@pytest.mark.parametrize("fmt", [sp.csr_matrix, sp.csc_matrix], ids=["csr", "csr_from_csc"])
def test_scaled_dataset_keeps_sparse_input_sparse(fmt):
    # sparse input is densified a batch at a time, never as a whole
    dataset = ScaledDataset(fmt(_data()), np.zeros(5), np.ones(5))
    assert dataset.sparse and sp.issparse(dataset.X) and dataset.X.format == "csr"
