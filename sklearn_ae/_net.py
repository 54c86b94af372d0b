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
    them per epoch.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        X = to_tensor(X, device=self.device)
        parts = self.criterion_(y_pred, X, module=self.module_)
        prefix = "train_" if training else "valid_"
        for name, value in parts.items():
            if name != "loss":
                self.history.record_batch(prefix + name, value.item())
        return parts["loss"]


class DivergenceCheck(Callback):
    """Stop training with an error as soon as a batch loss is NaN or infinite."""

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if loss is not None and not torch.isfinite(loss).all():
            epoch = len(net.history)
            raise FloatingPointError(
                f"Training diverged: the loss became {loss.item()} in epoch {epoch}. "
                f"Try a smaller lr (it is {net.lr}), a different optimizer, or "
                "check the input scaling."
            )


def silent(*args, **kwargs):
    """A print sink that prints nothing (picklable, unlike a lambda)."""
