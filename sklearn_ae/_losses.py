"""Loss terms: pure functions of tensors, the penalties built from them, and the criteria.

A criterion is an ``nn.Module`` called as ``criterion(y_pred, X, module)``,
where ``y_pred`` is the module's :class:`~sklearn_ae.nn.AutoencoderOutput`
(or :class:`~sklearn_ae.nn.VAEOutput`), and returns a dict of scalar
tensors: ``"loss"``, the total to minimise, and one entry per part
(``"reconstruction"``, the VAE's ``"kl"``, then one per penalty, unweighted),
which the net records in its history.

The regularisers of the variants are :class:`Penalty` objects (a weight and
``__call__(output, X, module)``, the unweighted term), registered by name in
:data:`PENALTIES`; the criteria take a tuple of them (``penalties=``) and add
each one's weight times its term to the loss, in order (:func:`penalty_terms`).

Adding a regulariser:

1. here, a :class:`Penalty` subclass with a ``name`` and ``__call__``,
   decorated with :func:`register_penalty`;
2. in :data:`sklearn_ae._spec.VARIANTS`, a group that names it and maps its
   arguments to estimator parameters (see :class:`sklearn_ae._spec.Variant`);
3. on the estimator, the group in ``_variants`` and its parameters in
   ``__init__`` and the docstring.

The builders then pass it to the criterion when its weight is positive,
and its part is reported and recorded (``train_<name>``, ``valid_<name>``).
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from .nn._contracts import AutoencoderOutput
from .nn._dense import autograd_jacobian


def reconstruction_loss(output: torch.Tensor, target: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """Mean reconstruction loss per element.

    ``kind="mse"``: squared error. ``kind="bce"``: binary cross-entropy, with
    ``output`` read as logits and ``target`` in [0, 1].
    """
    if kind == "mse":
        return F.mse_loss(output, target)
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(output, target)
    raise ValueError(f"Unknown reconstruction loss {kind!r}.")


def l1_sparsity(code: torch.Tensor) -> torch.Tensor:
    """L1 norm of the code per row, averaged over rows: ``mean_i sum_j |z_ij|``."""
    return code.abs().sum(dim=1).mean()


def kl_sparsity(code: torch.Tensor, target: float, eps: float = 1e-6) -> torch.Tensor:
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


def contractive_penalty(module: Any, X: torch.Tensor) -> torch.Tensor:
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


def layer_matching_losses(pairs: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> list[torch.Tensor]:
    """Mean squared distance between the two activations of each ``(encoder, decoder)`` pair."""
    return [F.mse_loss(dec, enc) for enc, dec in pairs]


# ----------------------------------------------------------------- penalties
class Penalty:
    """A regulariser of the autoencoder variants: a weight and an unweighted term.

    A subclass sets ``name`` (the loss part it reports, the key of
    :data:`PENALTIES`), takes its weight (and its own settings) as arguments
    and implements ``__call__``. The criteria add ``weight * penalty(...)``
    to the loss for every penalty they are given; the estimators give only
    those of positive weight (see :mod:`sklearn_ae._spec`). The subclasses
    here are frozen dataclasses: their ``repr`` and equality come with them.

    Attributes
    ----------
    name : str
        The part's name in the criterion's output and the training history
        (``train_<name>``, ``valid_<name>``).
    weight : float
        The factor of the term in the loss.
    """

    name: ClassVar[str | None] = None
    weight: float

    def __call__(self, output: AutoencoderOutput, X: torch.Tensor, module: Any) -> torch.Tensor:
        """The unweighted term, a scalar tensor.

        Parameters
        ----------
        output : AutoencoderOutput
            The module's output for the batch (for a VAE, the posterior mean
            stands as ``code`` and ``pairs`` is empty).
        X : torch.Tensor of shape (n_rows, n_features)
            The clean batch.
        module : torch.nn.Module
            The network.

        Returns
        -------
        term : torch.Tensor of shape ()
        """
        raise NotImplementedError


#: The penalties by name, filled by :func:`register_penalty`.
PENALTIES: dict[str, type[Penalty]] = {}


def register_penalty(cls: type[Penalty]) -> type[Penalty]:
    """Class decorator: add the :class:`Penalty` subclass ``cls`` to :data:`PENALTIES` under ``cls.name``."""
    if not (isinstance(cls, type) and issubclass(cls, Penalty)) or not isinstance(cls.name, str):
        raise TypeError(f"A penalty must be a Penalty subclass with a name, got {cls!r}.")
    if PENALTIES.get(cls.name, cls) is not cls:
        raise ValueError(f"A penalty named {cls.name!r} is already registered ({PENALTIES[cls.name].__name__}).")
    PENALTIES[cls.name] = cls
    return cls


@register_penalty
@dataclass(frozen=True)
class Sparsity(Penalty):
    """Sparse autoencoder: :func:`l1_sparsity` of the code, or with ``target`` :func:`kl_sparsity`.

    Parameters
    ----------
    weight : float
        Factor of the term in the loss.
    target : float in (0, 1) or None, default=None
        The mean activation of :func:`kl_sparsity`; None: the L1 norm.
    """

    name: ClassVar[str] = "sparsity"
    weight: float
    target: float | None = None

    def __call__(self, output: AutoencoderOutput, X: torch.Tensor, module: Any) -> torch.Tensor:
        code = output.code
        return l1_sparsity(code) if self.target is None else kl_sparsity(code, self.target)


@register_penalty
@dataclass(frozen=True)
class Contractive(Penalty):
    """Contractive autoencoder: :func:`contractive_penalty` of the module at the clean batch.

    Parameters
    ----------
    weight : float
        Factor of the term in the loss.
    """

    name: ClassVar[str] = "contractive"
    weight: float

    def __call__(self, output: AutoencoderOutput, X: torch.Tensor, module: Any) -> torch.Tensor:
        return contractive_penalty(module, X)


@register_penalty
@dataclass(frozen=True)
class LayerMatching(Penalty):
    """Layer matching: the sum over the output's ``pairs`` of :func:`layer_matching_losses` (0 without pairs).

    Parameters
    ----------
    weight : float
        Factor of the term in the loss.
    """

    name: ClassVar[str] = "layer_matching"
    weight: float

    def __call__(self, output: AutoencoderOutput, X: torch.Tensor, module: Any) -> Any:
        losses = layer_matching_losses(output.pairs)
        return sum(losses) if losses else X.new_zeros(())


def _check_penalties(penalties: Iterable[Penalty], parts: Sequence[str]) -> tuple[Penalty, ...]:
    """``penalties`` as a tuple of :class:`Penalty`, their names distinct and none of the criterion's ``parts``."""
    penalties = tuple(penalties)
    names = [getattr(p, "name", None) for p in penalties]
    if not all(isinstance(p, Penalty) for p in penalties):
        raise TypeError(f"penalties must be Penalty objects, got {penalties!r}.")
    taken = [n for i, n in enumerate(names) if n in parts or n in names[:i] or n == "loss"]
    if taken:
        raise ValueError(f"The penalties' names must be distinct and differ from the parts {parts}; got {names}.")
    return penalties


def penalty_terms(
    penalties: Iterable[Penalty], output: AutoencoderOutput, X: torch.Tensor, module: Any
) -> tuple[Any, dict[str, torch.Tensor]]:
    """``(weighted sum, {name: unweighted term})`` of ``penalties``, in their order.

    The sum starts at the float 0.0 (so that no penalty adds exactly
    nothing); each term is computed once, by ``penalty(output, X, module)``.
    """
    parts: dict[Any, torch.Tensor] = {}
    total: Any = 0.0
    for penalty in penalties:
        parts[penalty.name] = penalty(output, X, module)
        total = total + penalty.weight * parts[penalty.name]
    return total, parts


class AutoencoderLoss(nn.Module):
    """Reconstruction of the input, plus the variants' penalties.

    ``loss`` is the reconstruction plus, for each penalty, its weight times
    its term (see :func:`penalty_terms`); each penalty's term is also
    reported, unweighted, as the part of its name.

    Parameters
    ----------
    loss : {"mse", "bce"}, default="mse"
        See :func:`reconstruction_loss`.
    penalties : tuple of Penalty, default=()
        The regularisers (:data:`PENALTIES`), in the order of their parts.
    """

    parts = ("reconstruction",)

    def __init__(self, loss: str = "mse", penalties: Iterable[Penalty] = ()) -> None:
        super().__init__()
        self.loss = loss
        self.penalties = _check_penalties(penalties, self.parts)

    def forward(self, y_pred: AutoencoderOutput, X: torch.Tensor, module: Any = None) -> dict[str, Any]:
        reconstruction = reconstruction_loss(y_pred.reconstruction, X, self.loss)
        penalty, parts = penalty_terms(self.penalties, y_pred, X, module)
        return {"loss": reconstruction + penalty, "reconstruction": reconstruction, **parts}


def gaussian_nll(x: torch.Tensor, mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """Negative log-density of ``x`` under ``N(mean, exp(log_var))``, summed over features, per row.

    ``log_var`` broadcasts against ``x`` (one value, one per feature, or one per element).
    """
    log_var = log_var.expand_as(x)
    return 0.5 * (((x - mean) ** 2) * torch.exp(-log_var) + log_var + math.log(2 * math.pi)).sum(dim=-1)


def bernoulli_nll(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """Negative log-probability of ``x`` in [0, 1] under ``Bernoulli(sigmoid(logits))``, summed per row."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)


def gaussian_kl(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """``KL(N(mean, diag exp(log_var)) || N(0, I))`` per row, in nats, exact (never clamped)."""
    return 0.5 * (mean**2 + torch.exp(log_var) - log_var - 1.0).sum(dim=-1)


class VAELoss(nn.Module):
    """The negative evidence lower bound (ELBO) of a variational autoencoder, plus its penalties.

    Per row, in nats: ``-log p(x|z) + beta * KL(q(z|x) || N(0, I))`` with one
    reparameterised sample ``z``, averaged over the batch. The module's output
    is a :class:`~sklearn_ae.nn.VAEOutput`; for ``likelihood="gaussian"`` the
    observation log-variance is ``module.log_noise_variance``. Each penalty
    adds its weight times its term (see :func:`penalty_terms`), reported
    unweighted as the part of its name; the penalties see the posterior mean
    as the code (a :class:`~sklearn_ae.nn.AutoencoderOutput` of the decoded
    output and the mean, without layer pairs).

    Parameters
    ----------
    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        Observation model: Gaussian around the decoded mean, or Bernoulli
        with the decoded logits.
    beta : float, default=1.0
        Weight of the KL term.
    penalties : tuple of Penalty, default=()
        The regularisers (:data:`PENALTIES`), in the order of their parts.

    Attributes
    ----------
    warmup : float
        Factor in [0, 1] applied to ``beta`` in training mode only (set by a
        KL warm-up callback); in evaluation mode the full ``beta`` counts, so
        validation losses stay comparable across epochs.
    """

    parts = ("reconstruction", "kl")

    def __init__(self, likelihood: str = "gaussian", beta: float = 1.0, penalties: Iterable[Penalty] = ()) -> None:
        super().__init__()
        self.likelihood = likelihood
        self.beta = beta
        self.penalties = _check_penalties(penalties, self.parts)
        self.warmup = 1.0

    def forward(self, y_pred: Any, X: torch.Tensor, module: Any = None) -> dict[str, Any]:
        decoded, mean, log_var = y_pred.reconstruction, y_pred.mean, y_pred.log_var
        if self.likelihood == "gaussian":
            reconstruction = gaussian_nll(X, decoded, module.log_noise_variance).mean()
        elif self.likelihood == "bernoulli":
            reconstruction = bernoulli_nll(X, decoded).mean()
        else:
            raise ValueError(f"Unknown likelihood {self.likelihood!r}.")
        kl = gaussian_kl(mean, log_var).mean()
        beta = self.beta * self.warmup if self.training else self.beta
        # the posterior mean stands in the code's place for the penalties
        penalty, parts = penalty_terms(self.penalties, AutoencoderOutput(decoded, mean), X, module)
        return {"loss": reconstruction + beta * kl + penalty, "reconstruction": reconstruction, "kl": kl, **parts}
