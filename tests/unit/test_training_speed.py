"""The cheap training step (sklearn_ae._net) and the thread choice of fit (sklearn_ae._threads).

The speed work must keep what the slow loop did: epoch losses that are the
mean over the epoch's rows, every training row once per epoch, a diverging
fit stopped early with its reason, and the caller's torch thread setting
untouched after any fit. Small data, one or two epochs.
"""

import dataclasses
import math
import threading

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sklearn_ae import AutoencoderTransformer
from sklearn_ae._data import ScaledDataset
from sklearn_ae._net import DIVERGENCE_CHECK_EVERY, RowBatches
from sklearn_ae._threads import SMALL_STEP_MACS, choose_threads, fit_scope, limit_threads, step_macs


def _data(n=300, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)) @ rng.normal(size=(3, d)) + 0.3 * rng.normal(size=(n, d))


class Recorder(Callback):
    """Records torch's thread setting and the number of training batches seen."""

    def initialize(self):
        self.threads_, self.batches_ = set(), 0
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        self.threads_.add(torch.get_num_threads())
        self.batches_ += training


class RecordingAE(AutoencoderTransformer):
    def _network_spec(self, n_features):
        spec = super()._network_spec(n_features)
        return dataclasses.replace(spec, callbacks=(*spec.callbacks, ("recorder", Recorder())))


@pytest.fixture
def two_threads():
    """torch set to 2 threads for the test (the caller's setting that fit must give back), then as it was."""
    saved = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(saved)


# ------------------------------------------------------------------ the epoch losses
def test_epoch_losses_are_means_over_rows_with_a_partial_last_batch():
    # an update too small to move the weights: each epoch's train/valid loss is the start's (PCA) mean
    # squared error over the training/validation rows, although the batches (64, ..., 14 rows) differ in size
    X = _data(n=300)
    params = {"hidden_layer_sizes": (8,), "batch_size": 64, "random_state": 0, "optimizer": "sgd", "lr": 1e-12}
    model = AutoencoderTransformer(2, max_epochs=1, **params).fit(X)
    start = AutoencoderTransformer(2, max_epochs=0, **params).fit(X)
    net = model.net_
    dataset = ScaledDataset(X, model.scaling_offset_, model.scaling_scale_)
    train, valid = net.get_split_datasets(dataset, None)
    module = start.net_.module_
    for rows, key in ((train, "train_loss"), (valid, "valid_loss")):
        Xs = dataset.X[torch.as_tensor(rows.indices)]
        with torch.no_grad():
            expected = ((module(Xs).reconstruction - Xs) ** 2).mean().item()
        np.testing.assert_allclose(net.history[-1, key], expected, rtol=1e-5)
    assert net.history[-1, "train_batch_count"] == math.ceil(len(train) / 64)


def test_recorded_parts_add_up_to_the_loss():
    model = AutoencoderTransformer(2, hidden_layer_sizes=(8,), sparsity=0.3, max_epochs=2, random_state=0)
    model.fit(_data())
    for row in model.net_.history:
        for phase in ("train", "valid"):
            total = row[f"{phase}_reconstruction"] + 0.3 * row[f"{phase}_sparsity"]
            np.testing.assert_allclose(row[f"{phase}_loss"], total, rtol=1e-6)


def test_training_reads_the_device_per_epoch_not_per_batch(monkeypatch):
    reads = []
    item, to_bool = torch.Tensor.item, torch.Tensor.__bool__
    monkeypatch.setattr(torch.Tensor, "item", lambda t: reads.append(1) or item(t))
    monkeypatch.setattr(torch.Tensor, "__bool__", lambda t: reads.append(1) or to_bool(t))
    # SGD: Adam reads its step counter (a CPU tensor) with .item() at every step, in any loop
    model = RecordingAE(2, hidden_layer_sizes=(4,), batch_size=4, max_epochs=2, random_state=0, optimizer="sgd")
    model.fit(_data(n=400))
    batches = dict(model.net_.callbacks_)["recorder"].batches_
    assert batches == 2 * 90
    # one divergence check per DIVERGENCE_CHECK_EVERY batches and a few reads per epoch, not one per batch
    assert len(reads) <= batches / DIVERGENCE_CHECK_EVERY + 2 * 10


def test_divergence_is_caught_before_the_epoch_ends(monkeypatch):
    seen = []
    monkeypatch.setattr(Recorder, "on_batch_end", lambda self, net, training=False, **kw: seen.append(training))
    model = RecordingAE(
        2, hidden_layer_sizes=(4,), batch_size=4, lr=1e4, optimizer="sgd", init="random", random_state=0
    )
    with pytest.raises(FloatingPointError, match="diverged.*smaller lr"):
        model.fit(_data(n=2000) * 1e3)
    # 450 training batches per epoch: stopped in the first half of the first one, before any validation batch
    assert 0 < len(seen) < 450 / 2 and all(seen)


# ------------------------------------------------------------------ the batches
@pytest.mark.parametrize("shuffle", [False, True])
def test_row_batches_visit_each_subset_row_once(shuffle):
    X = np.arange(50 * 3, dtype=np.float64).reshape(50, 3)
    dataset = ScaledDataset(X, np.zeros(3), np.ones(3))
    rows = [3, 7, 8, 20, 21, 22, 30, 41, 49, 0, 5]
    batches = RowBatches.of(torch.utils.data.Subset(dataset, rows), batch_size=4, shuffle=shuffle)
    got = [xb for xb, y in batches]
    assert len(got) == len(batches) == 3 and [len(b) for b in got] == [4, 4, 3]
    order = (torch.cat(got)[:, 0] / 3).long().tolist()
    assert sorted(order) == sorted(rows)
    assert (order == rows) is not shuffle or len(rows) < 2


def test_sparse_data_is_batched_and_shuffled_as_dense_data():
    import scipy.sparse as sp

    X = sp.random(200, 5, density=0.5, format="csr", random_state=0)
    params = {"hidden_layer_sizes": (4,), "batch_size": 16, "max_epochs": 2, "random_state": 0, "init": "random"}
    dense = AutoencoderTransformer(2, **params).fit(X.toarray())
    sparse = AutoencoderTransformer(2, **params).fit(X)
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-6)
    np.testing.assert_allclose(sparse.transform(X), dense.transform(X.toarray()), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ threads
def test_small_steps_train_on_one_thread_and_the_setting_comes_back(two_threads):
    model = RecordingAE(2, hidden_layer_sizes=(8,), max_epochs=1, random_state=0).fit(_data())
    assert dict(model.net_.callbacks_)["recorder"].threads_ == {1}
    assert torch.get_num_threads() == two_threads


def test_large_steps_keep_the_callers_threads(two_threads):
    # 40 features, (512, 128) hidden, batch 1024: about 1024 * 110,000 multiply-adds per step
    model = RecordingAE(2, batch_size=1024, max_epochs=1, random_state=0).fit(_data(n=1100, d=40))
    assert dict(model.net_.callbacks_)["recorder"].threads_ == {two_threads}
    assert torch.get_num_threads() == two_threads


def test_a_failing_fit_gives_the_threads_back(two_threads):
    with pytest.raises(FloatingPointError):
        AutoencoderTransformer(2, hidden_layer_sizes=(4,), lr=1e4, optimizer="sgd", init="random").fit(_data() * 1e3)
    assert torch.get_num_threads() == two_threads
    with pytest.raises(ValueError):
        AutoencoderTransformer(2).fit(np.full((5, 3), np.nan))
    assert torch.get_num_threads() == two_threads


def test_fits_in_threads_give_the_main_threads_setting_back(two_threads):
    errors = []

    def fit(seed):
        try:
            AutoencoderTransformer(2, hidden_layer_sizes=(4,), max_epochs=1, random_state=seed).fit(_data())
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    workers = [threading.Thread(target=fit, args=(seed,)) for seed in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    assert torch.get_num_threads() == two_threads


def test_limit_threads_only_lowers_and_only_inside_a_scope(two_threads):
    limit_threads(1)  # outside any scope: nothing
    assert torch.get_num_threads() == two_threads
    with fit_scope():
        limit_threads(4)  # never raised
        assert torch.get_num_threads() == two_threads
        limit_threads(1)
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == two_threads
    with pytest.raises(RuntimeError), fit_scope():
        limit_threads(1)
        raise RuntimeError
    assert torch.get_num_threads() == two_threads


def test_step_cost_counts_the_weights_per_row():
    module = torch.nn.Sequential(torch.nn.Linear(20, 512), torch.nn.Linear(512, 2))
    macs = step_macs(module, 128)
    assert macs == 128 * (20 * 512 + 512 + 512 * 2 + 2)
    assert choose_threads(macs) == 1
    assert choose_threads(SMALL_STEP_MACS) is None
