"""The skorch net that trains every estimator of sklearn-ae.

skorch runs the training loop; :class:`AutoencoderNet` overrides a few of its
hooks so that a training step costs little more than the arithmetic, which
matters with few features, where a step does little arithmetic:

- the batches are gathered from the scaled rows with one index per batch
  (:class:`RowBatches`), without a ``DataLoader``;
- the loss and its parts are summed over the epoch as tensors and read once
  per epoch, not once per batch (on a GPU, a read per batch would wait for
  the device at every step); the history holds, per epoch, one batch-level
  row with the epoch's mean losses and its number of rows, so skorch's
  ``PassthroughScoring`` callbacks compute the same epoch means as before;
- :class:`DivergenceCheck` checks the summed loss every
  :data:`DIVERGENCE_CHECK_EVERY` batches and at the end of each epoch.
"""

import copy
import math
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.utils import to_tensor

from ._data import ScaledDataset, Targets, autoencoder_batch

#: Batches between two checks that the training loss is finite (each check waits for a GPU to catch up).
DIVERGENCE_CHECK_EVERY = 16

#: Largest training data (scaled, float32) copied whole to a GPU; larger data is sent batch by batch.
MAX_DEVICE_COPY_BYTES = 2**30

# The scaled rows' copy on the GPU, per dataset (dropped with it).
_ON_DEVICE: "weakref.WeakKeyDictionary[ScaledDataset, torch.Tensor]" = weakref.WeakKeyDictionary()

#: Rows per validation batch at least: validation only infers, and larger batches cost fewer steps.
MIN_VALIDATION_BATCH_SIZE = 1024


class RowBatches:
    """Batches ``(X_batch, Targets(X_batch))`` of the rows of a :class:`~sklearn_ae._data.ScaledDataset`.

    Each batch is fetched with one index (unshuffled and over all rows: one
    slice): a gather of the scaled float32 tensor for dense data, one CSR
    row selection scaled at once for sparse data. ``rows`` are the dataset
    rows to use (None: all; a tensor: a subset, e.g. the training rows of a
    validation split). With ``shuffle`` the order is a fresh
    ``torch.randperm`` from torch's current random state at each pass, the
    same for dense and sparse data.
    """

    def __init__(
        self,
        take: Callable[[Any], torch.Tensor],
        n_rows: int,
        rows: torch.Tensor | None,
        batch_size: int,
        shuffle: bool,
        device: torch.device,
    ) -> None:
        self.take, self.n_rows, self.rows = take, n_rows, rows
        self.batch_size, self.shuffle, self.device = batch_size, shuffle, device

    def __len__(self) -> int:
        n = self.n_rows if self.rows is None else len(self.rows)
        return math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, Targets]]:
        n = self.n_rows if self.rows is None else len(self.rows)
        order = torch.randperm(n, device=self.device) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            if order is None and self.rows is None:
                yield autoencoder_batch(self.take(slice(start, stop)))
                continue
            index = order[start:stop] if order is not None else torch.arange(start, stop, device=self.device)
            yield autoencoder_batch(self.take(index if self.rows is None else self.rows[index]))

    @classmethod
    def of(
        cls, dataset: Any, batch_size: int, shuffle: bool, device: str | torch.device = "cpu"
    ) -> "RowBatches | None":
        """``RowBatches`` over ``dataset`` (a ``ScaledDataset`` or a ``Subset`` of one), or None for other data.

        On a GPU dense scaled rows are copied to the device once (while they
        take at most :data:`MAX_DEVICE_COPY_BYTES`), so that a batch is a
        gather on the device, with no transfer per step.
        """
        rows = None
        if isinstance(dataset, torch.utils.data.Subset):
            dataset, rows = dataset.dataset, torch.as_tensor(dataset.indices, dtype=torch.long)
        if not isinstance(dataset, ScaledDataset):
            return None
        X = dataset.X
        if not isinstance(X, torch.Tensor):  # sparse rows, scaled batch by batch on the CPU

            def take(index: Any) -> torch.Tensor:
                return dataset.__getitems__(index if isinstance(index, slice) else index.numpy())[0]

            return cls(take, X.shape[0], rows, batch_size, shuffle, torch.device("cpu"))
        device = torch.device(device)
        if device.type != "cpu" and X.nbytes <= MAX_DEVICE_COPY_BYTES:
            if dataset not in _ON_DEVICE or _ON_DEVICE[dataset].device != device:
                _ON_DEVICE[dataset] = X.to(device)
            X, rows = _ON_DEVICE[dataset], None if rows is None else rows.to(device)
        return cls(X.__getitem__, len(X), rows, batch_size, shuffle, X.device)


class EpochSums:
    """The loss and its parts summed over an epoch's rows, as float64 tensors (no read per batch)."""

    def __init__(self) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.rows = 0

    def add(self, loss: torch.Tensor, parts: dict[str, torch.Tensor], rows: int) -> None:
        for name, value in (("loss", loss), *parts.items()):
            value = value.detach().to(torch.float64) * rows
            self.sums[name] = self.sums[name] + value if name in self.sums else value
        self.rows += rows

    def means(self) -> dict[str, float]:
        """``{name: float}``: the means per row, read from the device at once."""
        if not self.sums:
            return {}
        values = torch.stack(list(self.sums.values())).cpu().tolist()
        return {name: value / self.rows for name, value in zip(self.sums, values, strict=True)}


class AutoencoderNet(NeuralNet):
    """A ``skorch.NeuralNet`` trained toward the targets its batches carry.

    Every batch is ``(input, Targets(target, mask))`` (see
    :class:`~sklearn_ae._data.Targets`; for an autoencoder the target is the
    input itself). :meth:`get_loss` hands skorch's ``y_true``, the target,
    and its mask of observed entries (when there is one) to the criterion,
    which returns a dict of loss parts (see :mod:`sklearn_ae._losses`). The loss
    and every part are summed over the epoch (see the module docstring) and
    recorded once per epoch, as ``train_loss``/``valid_loss`` and
    ``train_<part>``/``valid_<part>`` in a batch-level row holding the
    epoch's means and its number of rows (``train_batch_size``), so that
    ``PassthroughScoring`` callbacks report the epoch means. A denoiser's
    validation rows are corrupted as in training, with draws seeded by
    ``validation_seed`` (the same at every epoch), so that the validation
    loss is the training objective.
    """

    #: Seed of the corruption applied to a denoiser's validation rows (set by the estimator).
    validation_seed = 0

    def get_iterator(self, dataset: Any, training: bool = False) -> Any:
        kwargs = self.get_params_for("iterator_train" if training else "iterator_valid")
        batch_size = kwargs.get("batch_size", self.batch_size)
        if batch_size == -1:
            batch_size = len(dataset)
        if not training and "batch_size" not in kwargs:
            batch_size = max(batch_size, MIN_VALIDATION_BATCH_SIZE)
        shuffle = training and kwargs.get("shuffle", False)
        batches = RowBatches.of(dataset, batch_size, shuffle=shuffle, device=self.device)
        if batches is not None:
            return batches
        # other data (read from disk: see _streaming.BlockLoader) gets the same batch sizes
        iterator = self.iterator_train if training else self.iterator_valid
        return iterator(dataset, **{**kwargs, "batch_size": batch_size})

    def run_single_epoch(
        self, iterator: Any, training: bool, prefix: str, step_fn: Callable[..., Any], **fit_params: Any
    ) -> None:
        if iterator is None:
            return
        if training:
            self._run_epoch(iterator, training, prefix, step_fn, **fit_params)
            return
        with self.module_.corruption.seeded(self.validation_seed):
            self._run_epoch(iterator, training, prefix, step_fn, **fit_params)

    def _run_epoch(
        self, iterator: Any, training: bool, prefix: str, step_fn: Callable[..., Any], **fit_params: Any
    ) -> None:
        sums = EpochSums()
        batch_count = 0
        self.history.new_batch()  # the phase's one batch-level row, filled at its end
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            self._parts: dict[str, torch.Tensor] = {}
            step = step_fn(batch, **fit_params)
            sums.add(step["loss"], self._parts, len(batch[0]))
            self.notify("on_batch_end", batch=batch, training=training, loss_sum=sums.sums["loss"], **step)
            batch_count += 1
        self._parts = {}  # nothing of the last step's graph stays on the net (a net is deep-copied by partial_fit)
        means = sums.means()
        if means:
            self.history.record_batch(prefix + "_loss", means.pop("loss"))
            self.history.record_batch(prefix + "_batch_size", sums.rows)
            for name, value in means.items():
                self.history.record_batch(f"{prefix}_{name}", value)
        self.history.record(prefix + "_batch_count", batch_count)

    def on_batch_begin(self, net: Any, batch: Any = None, training: bool = False, **kwargs: Any) -> None:
        """Nothing: the history gets one batch-level row per epoch and phase (see :meth:`_run_epoch`)."""

    def _set_training(self, training: bool = True) -> None:
        # module.train() walks every submodule at each step; only call it when some mode differs
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and any(m.training != training for m in module.modules()):
                module.train(training)

    def get_loss(self, y_pred: Any, y_true: Any, X: Any = None, training: bool = False) -> torch.Tensor:
        parts = criterion_parts(self, y_pred, y_true, X)
        # the step's parts, summed over the epoch by _run_epoch (the last call's, for optimizers that call twice)
        self._parts = {name: value.detach() for name, value in parts.items() if name != "loss"}
        return parts["loss"]


def criterion_parts(net: Any, y_pred: Any, y_true: Targets | None, X: Any) -> dict[str, torch.Tensor]:
    """The criterion's parts for a batch: toward ``y_true`` (:class:`~sklearn_ae._data.Targets`), or ``X`` if None.

    The mask of observed entries goes to the criterion only when there is one.
    """
    if y_true is None:  # data that carries no targets: the autoencoder's own input
        target, mask = X, None
    else:
        target, mask = y_true
    target = to_tensor(target, device=net.device)
    if mask is None:
        return net.criterion_(y_pred, target, module=net.module_)
    return net.criterion_(y_pred, target, module=net.module_, mask=to_tensor(mask, device=net.device))


class DivergenceCheck(Callback):
    """Stop training with an error soon after a batch loss is NaN or infinite, saying why.

    The epoch's summed loss (non-finite as soon as one batch loss is) is
    checked every :data:`DIVERGENCE_CHECK_EVERY` batches and at the end of
    each epoch, so that a GPU is not waited for at every step; the largest
    input value of the batches since the last check is kept to explain an
    overflow. The message tells apart the usual causes: an input too large
    for float32 arithmetic, weights that an update made non-finite (a
    learning rate too large), an input corruption that overflowed, and a
    module that produces non-finite values from finite weights and input.
    To tell the last two apart once the weights are already non-finite (an
    update after a non-finite loss makes them so), the weights that training
    started from are kept and the module is run with them on the last batch:
    non-finite output there is the module's doing, not the learning rate's.
    """

    batches_: int
    training_: bool | None
    loss_sum_: torch.Tensor | None
    largest_input_: torch.Tensor | None
    start_weights_: dict | None
    last_input_: torch.Tensor | None

    def initialize(self) -> "DivergenceCheck":
        self.batches_, self.training_, self.loss_sum_, self.largest_input_ = 0, None, None, None
        self.start_weights_, self.last_input_ = None, None
        return self

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:
        self.start_weights_ = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}

    def on_batch_end(
        self, net: Any, batch: Any = None, training: bool = False, loss_sum: torch.Tensor | None = None, **kwargs: Any
    ) -> None:
        if loss_sum is None:
            return
        if training != self.training_:  # a new phase (training, validation) restarts the sum: check the last one
            self._check(net)
            self.training_ = training
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        if isinstance(x, torch.Tensor) and x.numel():
            self.last_input_ = x
            largest = x.detach().abs().amax()
            seen = self.largest_input_
            self.largest_input_ = largest if seen is None else torch.maximum(seen, largest)
        self.loss_sum_ = loss_sum
        self.batches_ += 1
        if self.batches_ % DIVERGENCE_CHECK_EVERY == 0:
            self._check(net)

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        self._check(net)
        self.training_ = None

    def on_train_end(self, net: Any, **kwargs: Any) -> None:
        self._check(net)
        self.start_weights_, self.last_input_ = None, None  # nothing of the training stays on the callback

    def _check(self, net: Any) -> None:
        loss_sum, largest = self.loss_sum_, self.largest_input_
        self.loss_sum_, self.largest_input_ = None, None
        if loss_sum is None or bool(torch.isfinite(loss_sum)):
            return
        epoch = len(net.history)
        why = self._why(net, largest, self._module_fails_from_finite_weights(net))
        self.start_weights_, self.last_input_ = None, None
        raise FloatingPointError(f"Training diverged: the loss became {loss_sum.item()} in epoch {epoch}: {why}")

    def _module_fails_from_finite_weights(self, net: Any) -> bool:
        """Whether the module, with the (finite) weights training started from, gives non-finite output now."""
        weights, x = self.start_weights_, self.last_input_
        if weights is None or x is None or not all(torch.isfinite(w).all() for w in weights.values()):
            return False
        module = copy.deepcopy(net.module_)
        module.load_state_dict(weights)
        module.eval()  # no corruption and no dropout: nothing is drawn from the random generators
        with torch.no_grad():
            try:
                out = module(x)
            except Exception:  # a module that fails outright is the module's doing too
                return True
        fields = [f for f in (out if isinstance(out, tuple) else (out,)) if isinstance(f, torch.Tensor)]
        return not all(bool(torch.isfinite(f).all()) for f in fields if f.is_floating_point())

    @staticmethod
    def _why(net: Any, largest: Any, module_fails: bool = False) -> str:
        largest = 0.0 if largest is None else largest.item()
        if largest**2 > torch.finfo(torch.float32).max:
            return (
                f"the input the network sees reaches {largest:.3g}, whose square overflows float32; "
                "scale the data (scaling='global' or 'standard')."
            )
        corruption = net.module_.corruption  # every module of sklearn_ae.nn has one
        if corruption.kind == "gaussian" and corruption.level > 1e3:
            return f"the Gaussian input noise (noise_level={corruption.level:g}) overflowed; use a smaller noise_level."
        if module_fails:
            return (
                "the network produces non-finite values from finite input with the weights that training started "
                "from, before any update (a custom encoder or decoder, or an activation that overflows): check the "
                "module on your data; the learning rate is not the cause."
            )
        if not all(torch.isfinite(p).all() for p in net.module_.parameters()):
            return f"an update made the weights non-finite. Try a smaller lr (it is {net.lr}) or a different optimizer."
        return (
            "the network produced non-finite values from finite weights and input (a custom module, or an "
            "activation that overflows). Try a smaller lr "
            f"(it is {net.lr}) or check the module."
        )


class BestWeights(Callback):
    """Keep the weights of the epoch with the lowest validation loss, the start (epoch 0) included.

    Before the first epoch the starting weights (for instance the PCA
    solution) are scored on the validation rows; after each epoch the
    weights are kept when its ``valid_loss`` is lower than every earlier
    one's. At the end of training, interrupted or not, the kept weights are
    loaded. ``best_epoch_`` is the kept epoch (0: the start) and
    ``initial_loss_`` the start's validation loss.
    """

    def on_train_begin(self, net: Any, X: Any = None, y: Any = None, **kwargs: Any) -> None:
        _, dataset_valid = net.get_split_datasets(X, y)
        self.initial_loss_ = self._validation_loss(net, dataset_valid)
        self._keep(net, 0, self.initial_loss_)

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        loss = net.history[-1, "valid_loss"]
        if loss < self.best_loss_:
            self._keep(net, len(net.history), loss)

    def on_train_end(self, net: Any, **kwargs: Any) -> None:
        net.module_.load_state_dict(self._state)

    def _keep(self, net: Any, epoch: int, loss: float) -> None:
        self.best_epoch_, self.best_loss_ = epoch, float(loss)
        self._state = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}

    @staticmethod
    def _validation_loss(net: Any, dataset: Any) -> float:
        """The mean validation loss per row, as skorch's ``valid_loss`` weighs it (one read from the device)."""
        sums = EpochSums()
        net.module_.eval()
        net.criterion_.eval()
        with torch.no_grad(), net.module_.corruption.seeded(net.validation_seed):
            for Xi, yi in net.get_iterator(dataset, training=False):
                Xi = to_tensor(Xi, device=net.device)
                sums.add(criterion_parts(net, net.infer(Xi), yi, Xi)["loss"], {}, len(Xi))
        return sums.means().get("loss", 0.0)


def silent(*args: Any, **kwargs: Any) -> None:
    """A print sink that prints nothing (picklable, unlike a lambda)."""
