"""Unit tests of sklearn_ae._data: scaling fitted and applied by hand with numpy."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from sklearn_ae._data import ScaledDataset, collate_batch, fit_scaling, iter_row_batches, scale_rows


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
    assert y is None
    assert isinstance(Xb, torch.Tensor) and Xb.dtype == torch.float32
    np.testing.assert_allclose(Xb.numpy(), ((X[indices] - offset) / scale), rtol=1e-5, atol=1e-6)
    assert len(dataset) == X.shape[0]


@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix], ids=["dense", "csr"])
def test_scaled_dataset_getitem_is_one_row(fmt):
    X = _data()
    offset, scale = X.mean(axis=0), X.std(axis=0)
    row, y = ScaledDataset(fmt(X), offset, scale)[4]
    assert y is None and row.shape == (5,)
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
