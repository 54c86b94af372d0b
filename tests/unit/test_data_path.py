"""The data path's contract: every batch path yields an input and its targets, the loss sees them and their mask.

Every batch is ``(input, Targets(target, mask))`` (``sklearn_ae._data.Targets``): in memory, sparse, on disk and
streamed alike. The net hands the target and, where there is one, the mask of observed entries to the criterion
(``sklearn_ae._net.criterion_parts``); validation is one overridable hook, ``_validate_X``.
"""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

import sklearn_ae._streaming as streaming
from sklearn_ae import AutoencoderTransformer, VAETransformer
from sklearn_ae._data import ScaledDataset, Targets, autoencoder_batch
from sklearn_ae._net import RowBatches, criterion_parts


def _rows(n=40, d=4):
    return np.arange(n * d, dtype=np.float64).reshape(n, d) / (n * d)


def _batches(path, X):
    offset, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
    if path == "dense":
        return list(RowBatches.of(ScaledDataset(X, offset, scale), batch_size=16, shuffle=False))
    if path == "sparse":
        return list(RowBatches.of(ScaledDataset(sp.csr_matrix(X), offset, scale), batch_size=16, shuffle=False))
    if path == "dataloader":
        loader = torch.utils.data.DataLoader(
            ScaledDataset(X, offset, scale), batch_size=16, collate_fn=lambda b: b, sampler=None
        )
        return list(loader)
    dataset = streaming.StreamedDataset(streaming.StreamedArray(X), offset, scale, block_rows=10)
    return list(streaming.BlockLoader(dataset, batch_size=16))


@pytest.mark.parametrize("path", ["dense", "sparse", "dataloader", "on_disk"])
def test_every_batch_path_yields_the_input_and_its_targets(path):
    X = _rows()
    batches = _batches(path, X)
    assert sum(len(x) for x, _ in batches) == len(X)
    for x, targets in batches:
        assert isinstance(targets, Targets)
        assert targets.target is x, "an autoencoder's target is its input, the same tensor (no copy)"
        assert targets.mask is None
    np.testing.assert_allclose(torch.cat([x for x, _ in batches]).numpy(), X, rtol=1e-6)


class _RecordingCriterion(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, y_pred, target, module=None, **kwargs):
        self.calls.append((target, kwargs))
        return {"loss": ((y_pred - target) ** 2).mean()}


class _Net:
    device = "cpu"
    module_ = None

    def __init__(self):
        self.criterion_ = _RecordingCriterion()


def test_the_loss_is_taken_toward_the_target_and_sees_the_mask():
    net = _Net()
    x = torch.ones(3, 2)
    target = torch.zeros(3, 2)
    mask = torch.tensor([[True, False], [True, True], [False, True]])
    loss = criterion_parts(net, x, Targets(target, mask), x)["loss"]
    (seen_target, kwargs) = net.criterion_.calls[-1]
    assert torch.equal(seen_target, target) and torch.equal(kwargs["mask"], mask)
    assert loss.item() == pytest.approx(1.0)  # toward the target (zeros), not the input (ones)


def test_without_a_mask_the_criterion_is_called_as_before():
    net = _Net()
    x = torch.ones(3, 2)
    criterion_parts(net, x, Targets(x), x)
    criterion_parts(net, x, None, x)  # data without targets: the input is the target
    assert [kwargs for _, kwargs in net.criterion_.calls] == [{}, {}]
    assert all(target is x for target, _ in net.criterion_.calls)


def test_autoencoder_batch_shares_the_tensor():
    x = torch.randn(5, 3)
    got, targets = autoencoder_batch(x)
    assert got is x and targets.target is x and targets.mask is None
    assert torch.equal(targets.row(2).target, x[2])


@pytest.mark.parametrize("Estimator", [AutoencoderTransformer, VAETransformer])
def test_validation_is_one_hook_that_every_method_goes_through(Estimator):
    seen = []

    class Recording(Estimator):
        def _validate_X(self, X, *, reset):
            seen.append(reset)
            return super()._validate_X(X, reset=reset)

    X = _rows(60, 5)
    model = Recording(n_components=2, hidden_layer_sizes=(4,), max_epochs=1, random_state=0).fit(X)
    assert seen == [True]
    model.transform(X)
    model.score_samples(X)
    model.partial_fit(X)
    assert seen == [True, False, False, False]
