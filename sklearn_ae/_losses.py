"""Loss terms: pure functions of tensors, and the criteria built from them.

A criterion is an ``nn.Module`` called as ``criterion(y_pred, X, module)``
that returns a dict of scalar tensors: ``"loss"``, the total to minimise, and
one entry per part (``"reconstruction"``, and regularisers when active), which
the net records in its history.
"""

import torch
import torch.nn.functional as F
from torch import nn


def reconstruction_loss(output, target, kind="mse"):
    """Mean reconstruction loss per element.

    ``kind="mse"``: squared error. ``kind="bce"``: binary cross-entropy, with
    ``output`` read as logits and ``target`` in [0, 1].
    """
    if kind == "mse":
        return F.mse_loss(output, target)
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(output, target)
    raise ValueError(f"Unknown reconstruction loss {kind!r}.")


class AutoencoderLoss(nn.Module):
    """Reconstruction of the input, the loss of a plain autoencoder.

    Parameters
    ----------
    loss : {"mse", "bce"}
        See :func:`reconstruction_loss`.
    """

    parts = ("reconstruction",)

    def __init__(self, loss="mse"):
        super().__init__()
        self.loss = loss

    def forward(self, y_pred, X, module=None):
        reconstruction = reconstruction_loss(y_pred[0], X, self.loss)
        return {"loss": reconstruction, "reconstruction": reconstruction}
