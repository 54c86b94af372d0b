"""Loss terms: pure functions of tensors, and the criteria built from them.

A criterion is an ``nn.Module`` called as ``criterion(y_pred, X, module)``,
where ``y_pred`` is the module's :class:`~sklearn_ae.nn.AutoencoderOutput`
(or :class:`~sklearn_ae.nn.VAEOutput`), and returns a dict of scalar tensors: ``"loss"``, the total to minimise, and
one entry per part (``"reconstruction"``, and regularisers when active), which
the net records in its history.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .nn._dense import autograd_jacobian


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


def l1_sparsity(code):
    """L1 norm of the code per row, averaged over rows: ``mean_i sum_j |z_ij|``."""
    return code.abs().sum(dim=1).mean()


def kl_sparsity(code, target, eps=1e-6):
    """Sparsity as in the classic sparse autoencoder: ``sum_j KL(target || rho_j)``.

    ``rho_j`` is the mean over the batch of ``sigmoid(z_ij)``: the code is
    linear, so its sigmoid stands for the unit's activation in (0, 1).
    ``KL(p || q) = p log(p/q) + (1-p) log((1-p)/(1-q))`` is the divergence
    between two Bernoulli distributions; it is 0 when every unit's mean
    activation equals ``target``.
    """
    rho = torch.sigmoid(code).mean(dim=0).clamp(eps, 1 - eps)
    t = float(target)
    return (t * torch.log(t / rho) + (1 - t) * torch.log((1 - t) / (1 - rho))).sum()


def contractive_penalty(module, X):
    """Squared Frobenius norm of the encoder's Jacobian, per row, averaged over the rows of ``X``.

    Uses ``module.encoder_jacobian(X)`` (exact, in closed form for dense
    layers) when the module has it, else one backward pass per code unit
    (:func:`sklearn_ae.nn._dense.autograd_jacobian`). Either way the cost is
    about ``n_components`` passes through the encoder.
    """
    if hasattr(module, "encoder_jacobian"):
        J = module.encoder_jacobian(X)
    else:
        J = autograd_jacobian(module.encode, X)
    return J.pow(2).sum() / max(X.shape[0], 1)


def layer_matching_losses(pairs):
    """Mean squared distance between the two activations of each ``(encoder, decoder)`` pair."""
    return [F.mse_loss(dec, enc) for enc, dec in pairs]


PENALTIES = ("sparsity", "contractive", "layer_matching")


def penalty_parts(sparsity=0.0, contractive=0.0, layer_matching=0.0, **ignored):
    """Names of the active penalties (those of positive weight), in :data:`PENALTIES` order."""
    weights = {"sparsity": sparsity, "contractive": contractive, "layer_matching": layer_matching}
    return tuple(name for name in PENALTIES if weights[name] > 0)


def penalty_terms(code, pairs, X, module, *, sparsity=0.0, sparsity_target=None, contractive=0.0, layer_matching=0.0):
    """The regularisers of the autoencoder variants: ``(weighted sum, {name: unweighted value})``.

    ``code`` is the batch's code (for a VAE, the posterior mean), ``pairs``
    the layer-matching pairs of the module's output, ``X`` the clean batch.
    Only penalties of positive weight are computed:

    - ``sparsity``: :func:`l1_sparsity` of the code, or with
      ``sparsity_target`` :func:`kl_sparsity`;
    - ``contractive``: :func:`contractive_penalty` at ``X``;
    - ``layer_matching``: the sum over hidden layers of
      :func:`layer_matching_losses` of ``pairs``.
    """
    parts = {}
    total = 0.0
    if sparsity > 0:
        parts["sparsity"] = l1_sparsity(code) if sparsity_target is None else kl_sparsity(code, sparsity_target)
        total = total + sparsity * parts["sparsity"]
    if contractive > 0:
        parts["contractive"] = contractive_penalty(module, X)
        total = total + contractive * parts["contractive"]
    if layer_matching > 0:
        losses = layer_matching_losses(pairs)
        parts["layer_matching"] = sum(losses) if losses else X.new_zeros(())
        total = total + layer_matching * parts["layer_matching"]
    return total, parts


class AutoencoderLoss(nn.Module):
    """Reconstruction of the input, plus the variants' penalties when active.

    ``loss`` is the reconstruction plus ``sparsity``, ``contractive`` and
    ``layer_matching`` times their terms (see :func:`penalty_terms`); each
    active part is reported unweighted.

    Parameters
    ----------
    loss : {"mse", "bce"}
        See :func:`reconstruction_loss`.
    sparsity, sparsity_target, contractive, layer_matching :
        Weights of the penalties (0: off), see :func:`penalty_terms`.
    """

    parts = ("reconstruction",)

    def __init__(self, loss="mse", sparsity=0.0, sparsity_target=None, contractive=0.0, layer_matching=0.0):
        super().__init__()
        self.loss = loss
        self.sparsity = sparsity
        self.sparsity_target = sparsity_target
        self.contractive = contractive
        self.layer_matching = layer_matching

    def forward(self, y_pred, X, module=None):
        reconstruction = reconstruction_loss(y_pred.reconstruction, X, self.loss)
        penalty, parts = penalty_terms(
            y_pred.code,
            y_pred.pairs,
            X,
            module,
            sparsity=self.sparsity,
            sparsity_target=self.sparsity_target,
            contractive=self.contractive,
            layer_matching=self.layer_matching,
        )
        return {"loss": reconstruction + penalty, "reconstruction": reconstruction, **parts}


def gaussian_nll(x, mean, log_var):
    """Negative log-density of ``x`` under ``N(mean, exp(log_var))``, summed over features, per row.

    ``log_var`` broadcasts against ``x`` (one value, one per feature, or one per element).
    """
    log_var = log_var.expand_as(x)
    return 0.5 * (((x - mean) ** 2) * torch.exp(-log_var) + log_var + math.log(2 * math.pi)).sum(dim=-1)


def bernoulli_nll(x, logits):
    """Negative log-probability of ``x`` in [0, 1] under ``Bernoulli(sigmoid(logits))``, summed per row."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)


def gaussian_kl(mean, log_var):
    """``KL(N(mean, diag exp(log_var)) || N(0, I))`` per row, in nats, exact (never clamped)."""
    return 0.5 * (mean**2 + torch.exp(log_var) - log_var - 1.0).sum(dim=-1)


class VAELoss(nn.Module):
    """The negative evidence lower bound (ELBO) of a variational autoencoder.

    Per row, in nats: ``-log p(x|z) + beta * KL(q(z|x) || N(0, I))`` with one
    reparameterised sample ``z``, averaged over the batch. The module's output
    is a :class:`~sklearn_ae.nn.VAEOutput`; for ``likelihood="gaussian"`` the
    observation log-variance is ``module.log_noise_variance``. With
    ``sparsity > 0`` the sparse penalty of :func:`penalty_terms` on the
    posterior mean is added (and reported as the part ``"sparsity"``).

    Parameters
    ----------
    likelihood : {"gaussian", "bernoulli"}
        Observation model: Gaussian around the decoded mean, or Bernoulli
        with the decoded logits.
    beta : float
        Weight of the KL term.
    sparsity, sparsity_target :
        Weight of the sparse penalty on the posterior mean (0: off) and its
        target, see :func:`penalty_terms`.

    Attributes
    ----------
    warmup : float
        Factor in [0, 1] applied to ``beta`` in training mode only (set by a
        KL warm-up callback); in evaluation mode the full ``beta`` counts, so
        validation losses stay comparable across epochs.
    """

    parts = ("reconstruction", "kl")

    def __init__(self, likelihood="gaussian", beta=1.0, sparsity=0.0, sparsity_target=None):
        super().__init__()
        self.likelihood = likelihood
        self.beta = beta
        self.sparsity = sparsity
        self.sparsity_target = sparsity_target
        self.warmup = 1.0

    def forward(self, y_pred, X, module=None):
        decoded, mean, log_var = y_pred.reconstruction, y_pred.mean, y_pred.log_var
        if self.likelihood == "gaussian":
            reconstruction = gaussian_nll(X, decoded, module.log_noise_variance).mean()
        elif self.likelihood == "bernoulli":
            reconstruction = bernoulli_nll(X, decoded).mean()
        else:
            raise ValueError(f"Unknown likelihood {self.likelihood!r}.")
        kl = gaussian_kl(mean, log_var).mean()
        beta = self.beta * self.warmup if self.training else self.beta
        # the posterior mean stands in the code's place for the sparse penalty
        penalty, parts = penalty_terms(
            mean, (), X, module, sparsity=self.sparsity, sparsity_target=self.sparsity_target
        )
        return {"loss": reconstruction + beta * kl + penalty, "reconstruction": reconstruction, "kl": kl, **parts}
