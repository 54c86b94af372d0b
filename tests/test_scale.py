"""partial_fit, a scaling fitted beforehand, and out-of-core fit/transform of arrays on disk (issue 11)."""

import pickle
import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler

import sklearn_ae._streaming as streaming
from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, FittedScaling, VAETransformer
from sklearn_ae._data import fit_scaling

FAST = {"n_components": 3, "hidden_layer_sizes": (16,), "batch_size": 32, "random_state": 0}
ESTIMATORS = [AutoencoderTransformer, VAETransformer]


@pytest.fixture(scope="module")
def low_rank():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3)) @ rng.normal(size=(3, 10)) + 0.1 * rng.normal(size=(600, 10)) + 5.0
    return X


def _weights(estimator):
    return {k: v.clone() for k, v in estimator.net_.module_.state_dict().items()}


def _same_weights(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ------------------------------------------------------------------ partial_fit
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_first_partial_fit_is_one_epoch_of_fit(cls, low_rank, global_rngs_untouched):
    with global_rngs_untouched():
        streamed = cls(**FAST).partial_fit(low_rank)
    fitted = cls(**FAST, max_epochs=1, early_stopping=False).fit(low_rank)
    assert _same_weights(_weights(streamed), _weights(fitted))
    np.testing.assert_array_equal(streamed.scaling_offset_, fitted.scaling_offset_)
    assert (streamed.n_iter_, streamed.n_samples_seen_, streamed.best_epoch_) == (1, 600, 1)
    assert streamed.validation_loss_curve_ is None


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_is_reproducible_and_counts(cls, low_rank):
    chunks = np.array_split(low_rank, 4)
    first, second = cls(**FAST), cls(**FAST)
    for chunk in chunks:
        first.partial_fit(chunk)
        second.partial_fit(chunk)
    assert _same_weights(_weights(first), _weights(second))
    assert first.n_iter_ == len(first.loss_curve_) == 4
    assert first.n_samples_seen_ == 600
    # the scaling and the start come from the first chunk only
    offset, scale = fit_scaling(chunks[0], "global")
    np.testing.assert_array_equal(first.scaling_offset_, offset)
    np.testing.assert_array_equal(first.scaling_scale_, scale)
    # a different seed trains differently
    other = cls(**{**FAST, "random_state": 1})
    for chunk in chunks:
        other.partial_fit(chunk)
    assert not _same_weights(_weights(first), _weights(other))


def test_partial_fit_passes_learn(low_rank):
    """Repeated passes over the chunks lower the reconstruction error below the PCA start's."""
    ae = AutoencoderTransformer(**FAST, lr=3e-3)
    errors = []
    for _ in range(6):
        for chunk in np.array_split(low_rank, 3):
            ae.partial_fit(chunk)
        errors.append(np.mean((ae.inverse_transform(ae.transform(low_rank)) - low_rank) ** 2))
    start = AutoencoderTransformer(**FAST, max_epochs=0).fit(low_rank[:200])
    start_error = np.mean((start.inverse_transform(start.transform(low_rank)) - low_rank) ** 2)
    assert errors[-1] < errors[0] <= 1.5 * start_error
    assert ae.n_iter_ == 18


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_bad_chunk_leaves_model_as_it_was(cls, low_rank):
    ae = cls(**FAST).partial_fit(low_rank[:300])
    before, state = _weights(ae), dict(ae.__dict__)
    with pytest.raises(ValueError, match="X has 4 features, but .* is expecting 10 features"):
        ae.partial_fit(low_rank[:50, :4])
    bad = low_rank[:50].copy()
    bad[7, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ae.partial_fit(bad)
    assert _same_weights(before, _weights(ae))
    assert ae.__dict__.keys() == state.keys() and ae.n_iter_ == 1 and ae.n_samples_seen_ == 300


def test_partial_fit_failing_inside_training_leaves_model_as_it_was(low_rank):
    ae = AutoencoderTransformer(**FAST).partial_fit(low_rank)
    before, history = _weights(ae), len(ae.net_.history)
    with pytest.raises(FloatingPointError, match="Training diverged"):
        ae.partial_fit(low_rank * 1e30)  # overflows float32 in the scaled space
    assert _same_weights(before, _weights(ae)) and len(ae.net_.history) == history == ae.n_iter_


def test_fit_after_partial_fit_starts_afresh(low_rank):
    ae = AutoencoderTransformer(**FAST, max_epochs=3)
    for chunk in np.array_split(low_rank, 3):
        ae.partial_fit(chunk)
    ae.fit(low_rank)
    fresh = AutoencoderTransformer(**FAST, max_epochs=3).fit(low_rank)
    assert _same_weights(_weights(ae), _weights(fresh))
    assert ae.n_samples_seen_ == 600 and ae.n_iter_ == fresh.n_iter_


def test_partial_fit_after_fit_continues_without_validation(low_rank):
    ae = AutoencoderTransformer(**FAST, max_epochs=3).fit(low_rank)
    fitted = _weights(ae)
    ae.partial_fit(low_rank[:200])
    assert ae.n_iter_ == 4 and ae.best_epoch_ == 4 and ae.n_samples_seen_ == 800
    assert np.isnan(ae.validation_loss_curve_[-1]) and np.isfinite(ae.validation_loss_curve_[:3]).all()
    assert not _same_weights(fitted, _weights(ae))
    assert ae.net_.train_split is None


def test_detector_has_no_partial_fit():
    """Its threshold is a quantile of training scores of the final model: a stream cannot keep it (see docs)."""
    assert not hasattr(AutoencoderOutlierDetector(), "partial_fit")
    assert hasattr(AutoencoderTransformer(), "partial_fit") and hasattr(VAETransformer(), "partial_fit")


# --------------------------------------------------------------- FittedScaling
def test_fitted_scaling_from_data_equals_fitting_it(low_rank):
    for kind in ("global", "standard", "minmax"):
        fitted = AutoencoderTransformer(**FAST, max_epochs=2, scaling=kind).fit(low_rank)
        given = AutoencoderTransformer(**FAST, max_epochs=2, scaling=FittedScaling.from_data(low_rank, kind))
        given.fit(low_rank)
        np.testing.assert_array_equal(given.transform(low_rank), fitted.transform(low_rank))
        assert repr(clone(given).scaling) == "FittedScaling(n_features=10)"


def test_fitted_scaling_from_streamed_scaler_scales_every_chunk_alike(low_rank):
    # sorted data: the first chunk is not representative of the stream
    X = low_rank[np.argsort(low_rank[:, 0])]
    chunks = np.array_split(X, 5)
    scaler = StandardScaler()
    for chunk in chunks:
        scaler.partial_fit(chunk)
    scaling = FittedScaling.from_scaler(scaler, kind="standard")
    ae = AutoencoderTransformer(**FAST, scaling=scaling)
    for chunk in chunks:
        ae.partial_fit(chunk)
    _assert_close_to_rounding(ae.scaling_offset_, X.mean(axis=0), rtol=1e-10)
    _assert_close_to_rounding(ae.scaling_scale_, X.std(axis=0), rtol=1e-10)
    first_chunk_only = AutoencoderTransformer(**FAST).partial_fit(chunks[0])
    assert not np.allclose(first_chunk_only.scaling_offset_, X.mean(axis=0))
    with pytest.raises(ValueError, match="X has 4 features, but the FittedScaling given as scaling has 10"):
        AutoencoderTransformer(scaling=scaling).fit(X[:, :4])
    with pytest.raises(ValueError, match="fitted StandardScaler"):
        FittedScaling.from_scaler(StandardScaler())


# ------------------------------------------------------------------ out of core
def _memmap(tmp_path, X, name="X.dat"):
    path = tmp_path / name
    writer = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
    writer[:] = X
    writer.flush()
    return np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape)


def _on_disk(kind, tmp_path, X):
    if kind == "memmap":
        return _memmap(tmp_path, X)
    if kind == "h5py":
        h5py = pytest.importorskip("h5py")
        return h5py.File(tmp_path / "X.h5", "w").create_dataset("X", data=X, chunks=(64, X.shape[1]))
    zarr = pytest.importorskip("zarr")
    array = zarr.create_array(store=str(tmp_path / "X.zarr"), shape=X.shape, dtype=X.dtype, chunks=(64, X.shape[1]))
    array[:] = X
    return array


def _assert_close_to_rounding(actual, desired, rtol=1e-9):
    """Equal up to rounding: rtol, plus an absolute part of rtol * 1e-3 times the largest entry."""
    np.testing.assert_allclose(actual, desired, rtol=rtol, atol=rtol * 1e-3 * np.abs(desired).max())


@pytest.mark.parametrize("kind", ["memmap", "h5py", "zarr"])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_fit_on_disk_equals_fit_in_memory(cls, kind, low_rank, tmp_path):
    """Data within one block: the same batches as in memory, so the same model bit for bit."""
    X = low_rank.astype(np.float32)
    on_disk = _on_disk(kind, tmp_path, X)
    params = {**FAST, "max_epochs": 3, "validation_fraction": 0.2}
    disk = cls(**params).fit(on_disk)
    memory = cls(**params).fit(X)
    assert _same_weights(_weights(disk), _weights(memory))
    np.testing.assert_array_equal(disk.validation_loss_curve_, memory.validation_loss_curve_)
    np.testing.assert_array_equal(disk.transform(on_disk), memory.transform(X))
    assert disk.transform(on_disk).dtype == np.float32
    # the codes' covariance is accumulated batch by batch on disk (all codes at once in memory): rounding only
    # (an absolute part scaled to the values: entries near zero differ by rounding in the largest one's units)
    _assert_close_to_rounding(disk.score_samples(on_disk), memory.score_samples(X))
    if cls is VAETransformer:
        _assert_close_to_rounding(disk.latent_activity_, memory.latent_activity_)
    else:
        _assert_close_to_rounding(disk.code_covariance_, memory.code_covariance_)
    np.testing.assert_array_equal(
        disk.inverse_transform(disk.transform(on_disk)), memory.inverse_transform(memory.transform(X))
    )


def test_block_loader_reads_each_block_once_and_every_row_once(low_rank, tmp_path, monkeypatch):
    X = _memmap(tmp_path, low_rank)
    dataset = streaming.StreamedDataset(streaming.StreamedArray(X), np.zeros(10), np.ones(10), block_rows=70)
    reads = []
    read = dataset.block
    monkeypatch.setattr(dataset, "block", lambda i: reads.append(i) or read(i))
    subset = torch.utils.data.Subset(dataset, np.random.default_rng(0).permutation(600)[:500])
    with torch.random.fork_rng():
        torch.manual_seed(0)
        batches = [b for b, _ in streaming.BlockLoader(subset, batch_size=32, shuffle=True)]
        again = [b for b, _ in streaming.BlockLoader(subset, batch_size=32, shuffle=True)]
    rows = torch.cat(batches).numpy().astype(np.float64)
    assert len(batches) == len(streaming.BlockLoader(subset, 32)) == 16
    # every training row exactly once
    expected = np.sort(low_rank[subset.indices].astype(np.float32).view(np.int32).sum(axis=1))
    np.testing.assert_array_equal(np.sort(rows.astype(np.float32).view(np.int32).sum(axis=1)), expected)
    assert len(reads) == 2 * len(set(reads)) == 2 * 9  # each of the 9 blocks read once per pass
    assert reads[:9] != reads[9:] or not torch.equal(batches[0], again[0])  # the order changes between passes
    # rows come block by block: consecutive rows change block at most 8 times
    block_of = {tuple(low_rank[i].astype(np.float32)): i // 70 for i in subset.indices}
    sequence = [block_of[tuple(r)] for r in rows.astype(np.float32)]
    assert sum(a != b for a, b in zip(sequence, sequence[1:], strict=False)) == 8


def test_fit_on_disk_with_several_blocks_learns_as_well(low_rank, tmp_path, monkeypatch):
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 4 * 10 * 100)  # blocks of 100 rows
    X = _memmap(tmp_path, low_rank)
    params = {**FAST, "max_epochs": 15, "early_stopping": False}
    disk = AutoencoderTransformer(**params).fit(X)
    memory = AutoencoderTransformer(**params).fit(low_rank)
    assert not _same_weights(_weights(disk), _weights(memory))  # other batches

    def error(model):
        return np.mean((model.inverse_transform(model.transform(low_rank)) - low_rank) ** 2)

    assert error(disk) < 1.2 * error(memory)
    assert disk.loss_curve_[-1] < disk.loss_curve_[0]


def test_on_disk_input_is_validated_per_block(low_rank, tmp_path):
    bad = low_rank.copy()
    bad[590, 3] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        AutoencoderTransformer(**FAST).fit(_memmap(tmp_path, bad))
    ae = AutoencoderTransformer(**FAST, max_epochs=1).fit(_memmap(tmp_path, low_rank, "good.dat"))
    with pytest.raises(ValueError, match="X has 4 features, but AutoencoderTransformer is expecting 10"):
        ae.transform(_memmap(tmp_path, low_rank[:, :4].copy(), "narrow.dat"))
    with pytest.raises(ValueError, match="NaN"):
        ae.transform(_memmap(tmp_path, np.where(bad == np.inf, np.nan, bad), "nan.dat"))
    integers = _memmap(tmp_path, np.round(low_rank).astype(np.int32), "int.dat")
    assert ae.transform(integers).dtype == np.float64
    np.testing.assert_array_equal(ae.transform(integers), ae.transform(np.round(low_rank)))


def test_fit_on_disk_holds_a_bounded_number_of_rows(tmp_path, monkeypatch):
    """60,000 x 200 float32 (48 MB) on disk, blocks of 1 MB: numpy's peak is a few batches, not the data.

    The largest are the 4096-row float64 batches of the scaling and the PCA
    start (6.5 MB each, a few at a time); what grows with the rows is 8
    bytes per row (index arrays) and the codes.
    """
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 2**20)
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(60_000, 4)) @ rng.normal(size=(4, 200))).astype(np.float32)
    on_disk = _memmap(tmp_path, X)
    del X
    params = {"n_components": 2, "hidden_layer_sizes": (8,), "batch_size": 2048, "max_epochs": 1, "random_state": 0}

    def peak(data):
        tracemalloc.start()
        AutoencoderTransformer(**params).fit(data)
        _, high = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return high

    in_memory = peak(np.asarray(on_disk).copy())
    streamed = peak(on_disk)
    assert in_memory > 48e6  # the measure sees the scaled in-memory copy
    assert streamed < 24e6, f"peak {streamed / 1e6:.1f} MB"


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_on_disk_chunks(cls, low_rank, tmp_path):
    X = _memmap(tmp_path, low_rank)
    disk, memory = cls(**FAST), cls(**FAST)
    for start in (0, 300):
        disk.partial_fit(X[start : start + 300])
        memory.partial_fit(low_rank[start : start + 300])
    assert _same_weights(_weights(disk), _weights(memory))


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 300),
    block_rows=st.integers(1, 120),
    batch_size=st.integers(1, 70),
    kept=st.floats(0.05, 1.0),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_block_loader_property(n, block_rows, batch_size, kept, shuffle, seed):
    """Any sizes: one pass yields each kept row once, in full batches but the last, reading each block once."""
    X = np.arange(n, dtype=np.float64)[:, None] * np.ones((1, 2))
    dataset = streaming.StreamedDataset(streaming.StreamedArray(X), np.zeros(2), np.ones(2), block_rows)
    reads = []
    read = dataset.block
    dataset.block = lambda i: reads.append(i) or read(i)
    rows = np.random.default_rng(seed).permutation(n)[: max(1, int(kept * n))]
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        batches = [b for b, _ in streaming.BlockLoader(torch.utils.data.Subset(dataset, rows), batch_size, shuffle)]
    seen = torch.cat(batches)[:, 0].numpy().astype(int)
    assert sorted(seen) == sorted(rows)
    assert [len(b) for b in batches[:-1]] == [batch_size] * (len(batches) - 1) and 0 < len(batches[-1]) <= batch_size
    assert sorted(reads) == sorted(set(rows // block_rows))
    if not shuffle:  # grouped by block, in the subset's order within a block
        blocks = seen // block_rows
        assert list(blocks) == sorted(blocks)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_continues_exactly_after_pickling(cls, low_rank):
    """dask-ml ships the model between processes between two partial_fit calls: the optimizer's state travels."""
    chunks = np.array_split(low_rank, 3)
    local = cls(**FAST)
    shipped = cls(**FAST)
    for chunk in chunks:
        local.partial_fit(chunk)
        shipped = pickle.loads(pickle.dumps(shipped.partial_fit(chunk)))
    assert shipped.n_samples_seen_ == local.n_samples_seen_
    np.testing.assert_array_equal(shipped.transform(low_rank), local.transform(low_rank))


def test_partial_fit_continues_a_fit_with_lbfgs(low_rank):
    """torch's LBFGS keeps its parameter list outside the state a copy keeps; partial_fit trains on a copy of the
    net, so the copy must get it back (it failed at the first step before)."""

    def run():
        model = AutoencoderTransformer(**FAST, max_epochs=2, optimizer=torch.optim.LBFGS).fit(low_rank)
        before = model.transform(low_rank)
        model.partial_fit(low_rank)
        return before, model

    before, model = run()
    optimizer = model.net_.optimizer_
    assert all(p is q for p, q in zip(optimizer.param_groups[0]["params"], model.net_.module_.parameters()))
    assert model.n_iter_ == 3 and not np.array_equal(model.transform(low_rank), before)
    np.testing.assert_array_equal(run()[1].transform(low_rank), model.transform(low_rank))  # deterministic
