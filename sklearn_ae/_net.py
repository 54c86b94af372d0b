"""The skorch net that trains every estimator of sklearn-ae."""

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.utils import to_tensor


class AutoencoderNet(NeuralNet):
    """A ``skorch.NeuralNet`` whose target is its input.

    skorch trains toward ``y``; with ``y=None`` it would train toward zeros.
    Here :meth:`get_loss` hands the batch ``X`` itself to the criterion, which
    returns a dict of loss parts (see :mod:`sklearn_ae._losses`). Every part
    but the total is recorded per batch as ``train_<part>`` or
    ``valid_<part>``, so that ``PassthroughScoring`` callbacks can average
    them per epoch. A denoiser's validation rows are corrupted as in
    training, with draws seeded by ``validation_seed`` (the same at every
    epoch), so that the validation loss is the training objective.
    """

    #: Seed of the corruption applied to a denoiser's validation rows (set by the estimator).
    validation_seed = 0

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if training:
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        with self.module_.corruption.seeded(self.validation_seed):
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        X = to_tensor(X, device=self.device)
        parts = self.criterion_(y_pred, X, module=self.module_)
        prefix = "train_" if training else "valid_"
        for name, value in parts.items():
            if name != "loss":
                self.history.record_batch(prefix + name, value.item())
        return parts["loss"]


class DivergenceCheck(Callback):
    """Stop training with an error as soon as a batch loss is NaN or infinite, saying why.

    The message tells apart the usual causes: an input too large for
    float32 arithmetic, weights that an update made non-finite (a learning
    rate too large), an input corruption that overflowed, and a module that
    produces non-finite values from finite weights and input.
    """

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if loss is None or torch.isfinite(loss).all():
            return
        epoch = len(net.history)
        raise FloatingPointError(
            f"Training diverged: the loss became {loss.item()} in epoch {epoch}: {self._why(net, batch)}"
        )

    @staticmethod
    def _why(net, batch):
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        largest = x.abs().max().item() if x is not None and x.numel() else 0.0
        if largest**2 > torch.finfo(torch.float32).max:
            return (
                f"the input the network sees reaches {largest:.3g}, whose square overflows float32; "
                "scale the data (scaling='global' or 'standard')."
            )
        corruption = net.module_.corruption  # every module of sklearn_ae.nn has one
        if corruption.kind == "gaussian" and corruption.level > 1e3:
            return f"the Gaussian input noise (noise_level={corruption.level:g}) overflowed; use a smaller noise_level."
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

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        _, dataset_valid = net.get_split_datasets(X, y)
        self.initial_loss_ = self._validation_loss(net, dataset_valid)
        self._keep(net, 0, self.initial_loss_)

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "valid_loss"]
        if loss < self.best_loss_:
            self._keep(net, len(net.history), loss)

    def on_train_end(self, net, **kwargs):
        net.module_.load_state_dict(self._state)

    def _keep(self, net, epoch, loss):
        self.best_epoch_, self.best_loss_ = epoch, float(loss)
        self._state = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}

    @staticmethod
    def _validation_loss(net, dataset):
        """The mean validation loss per row, as skorch's ``valid_loss`` weighs it."""
        total, rows = 0.0, 0
        net.module_.eval()
        net.criterion_.eval()
        with torch.no_grad(), net.module_.corruption.seeded(net.validation_seed):
            for Xi, _ in net.get_iterator(dataset, training=False):
                Xi = to_tensor(Xi, device=net.device)
                loss = net.criterion_(net.infer(Xi), Xi, module=net.module_)["loss"]
                total += loss.item() * len(Xi)
                rows += len(Xi)
        return total / max(rows, 1)


def silent(*args, **kwargs):
    """A print sink that prints nothing (picklable, unlike a lambda)."""
