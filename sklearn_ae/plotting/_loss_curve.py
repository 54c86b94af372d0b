"""LossCurveDisplay: training and validation loss per epoch."""

from typing import Any

import numpy as np

from .._base import BaseAutoencoder
from ._utils import _name, _new_axes, _pyplot


def _split_key(key):
    """A history key as (split, quantity): "valid_kl" -> ("valid", "kl")."""
    split, _, quantity = key.partition("_")
    return split, quantity


def _is_curve(key, value):
    """Whether a history entry is a per-epoch number of the training or validation split."""
    split, quantity = _split_key(key)
    return (
        split in ("train", "valid")
        and bool(quantity)
        and not key.endswith("_best")
        and "batch" not in quantity
        and isinstance(value, (int, float, np.number))
        and not isinstance(value, bool)
    )


def _history_of(estimator):
    """The skorch history of a fitted sklearn-ae estimator or of a skorch net."""
    history = getattr(getattr(estimator, "net_", estimator), "history", None)
    if history is None:
        raise TypeError(
            f"{_name(estimator)} has no training history: LossCurveDisplay needs a fitted sklearn-ae "
            "estimator (its history is net_.history) or a skorch net."
        )
    return history


class LossCurveDisplay:
    """Training and validation loss per epoch.

    Read from the fitted net's history (``net_.history``): the total loss,
    and each part the criterion records (for the VAE, the reconstruction
    term and the KL term) on the same axes. Colours tell the quantities
    apart, line styles the split (training solid, validation dashed). With
    early stopping a vertical line marks the epoch whose weights were kept.

    Use :meth:`from_estimator` for a fitted estimator, or
    :meth:`from_history` for a skorch history. The constructor only stores
    its arguments.

    Parameters
    ----------
    curves : dict of str to ndarray of shape (n_epochs,)
        Curves by history key (``"train_loss"``, ``"valid_kl"``, ...); NaN
        where an epoch has no value (an interrupted one).
    best_epoch : int, default=None
        1-based epoch of the best validation loss.
    name : str, default=None
        The estimator's name, for the title.

    Attributes
    ----------
    epochs : ndarray of shape (n_epochs,)
        1-based epoch numbers.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.
    lines_ : dict of str to Line2D
        One line per curve, by history key.
    best_line_ : Line2D or None
        The vertical line at ``best_epoch``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.plotting import LossCurveDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(8, max_epochs=3, random_state=0).fit(X)
    >>> disp = LossCurveDisplay.from_estimator(ae)
    >>> sorted(disp.lines_)
    ['train_loss', 'valid_loss']
    """

    def __init__(self, curves, *, best_epoch=None, name=None) -> None:
        self.curves = curves
        self.best_epoch = best_epoch
        self.name = name

    @property
    def epochs(self):
        """1-based epoch numbers."""
        return np.arange(1, len(next(iter(self.curves.values()))) + 1)

    def plot(self, ax: Any = None, *, log_scale: bool = False, parts: bool = True) -> "LossCurveDisplay":
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        log_scale : bool, default=False
            Logarithmic y axis (only sensible for positive losses).
        parts : bool, default=True
            Draw the loss parts, not only the total.

        Returns
        -------
        display : LossCurveDisplay
        """
        fig, ax = _new_axes(ax, figsize=(6, 4))
        quantities = list(dict.fromkeys(_split_key(key)[1] for key in self.curves))
        self.lines_ = {}
        for key, values in self.curves.items():
            split, quantity = _split_key(key)
            if quantity != "loss" and not parts:
                continue
            style = "-" if split == "train" else "--"
            width = 2.0 if quantity == "loss" else 1.2
            label = f"{'training' if split == 'train' else 'validation'} {quantity}"
            (self.lines_[key],) = ax.plot(
                self.epochs, values, style, color=f"C{quantities.index(quantity)}", lw=width, label=label
            )
        self.best_line_ = None
        if self.best_epoch is not None:
            self.best_line_ = ax.axvline(
                self.best_epoch, color="grey", ls=":", lw=1, label=f"best epoch ({self.best_epoch}), weights kept"
            )
        if log_scale:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        ax.set_title("training history" if self.name is None else f"{self.name} training history")
        ax.legend(fontsize="small")
        self.figure_, self.ax_ = fig, ax
        return self

    @classmethod
    def from_history(
        cls,
        history: Any,
        *,
        best_epoch: int | None = None,
        name: str | None = None,
        ax: Any = None,
        log_scale: bool = False,
        parts: bool = True,
    ) -> "LossCurveDisplay":
        """Draw the loss curves recorded in a training history.

        Parameters
        ----------
        history : skorch History or list of dict
            One dict per epoch, as skorch records them: ``"epoch"``,
            ``"train_loss"``, ``"valid_loss"``, ``"valid_loss_best"``, and
            any loss parts (``"train_kl"``, ...).
        best_epoch : int, default=None
            The epoch whose weights were kept (0: the start); None takes the
            last epoch the history marks ``valid_loss_best``.
        name : str, default=None
            The estimator's name, for the title.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        log_scale : bool, default=False
            Logarithmic y axis.
        parts : bool, default=True
            Draw the loss parts recorded per epoch, not only the total.

        Returns
        -------
        display : LossCurveDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn_ae.plotting import LossCurveDisplay
        >>> history = [
        ...     {"epoch": 1, "train_loss": 1.0, "valid_loss": 0.9, "valid_loss_best": True},
        ...     {"epoch": 2, "train_loss": 0.7, "valid_loss": 0.95, "valid_loss_best": False},
        ... ]
        >>> disp = LossCurveDisplay.from_history(history)
        >>> disp.best_epoch
        1
        """
        _pyplot()
        rows = list(history)
        if not rows:
            owner = "" if name is None else f" of {name}"
            raise ValueError(f"The training history{owner} is empty (max_epochs=0?): no curve to draw.")
        keys = list(dict.fromkeys(key for row in rows for key, value in row.items() if _is_curve(key, value)))
        # total loss first, training before validation
        keys.sort(key=lambda k: (_split_key(k)[1] != "loss", _split_key(k)[0] != "train"))
        curves = {key: np.array([row.get(key, np.nan) for row in rows], dtype=np.float64) for key in keys}
        if best_epoch is None:
            best = [row["epoch"] for row in rows if row.get("valid_loss_best")]
            best_epoch = best[-1] if best and "valid_loss" in keys else None
        display = cls(curves, best_epoch=best_epoch, name=name)
        return display.plot(ax=ax, log_scale=log_scale, parts=parts)

    @classmethod
    def from_estimator(
        cls, estimator: Any, *, ax: Any = None, log_scale: bool = False, parts: bool = True
    ) -> "LossCurveDisplay":
        """Draw the loss curves of a fitted estimator.

        Parameters
        ----------
        estimator : estimator
            A fitted sklearn-ae estimator (or a skorch net, or its history).
        ax : matplotlib Axes, default=None
            Axes to draw on.
        log_scale : bool, default=False
            Logarithmic y axis.
        parts : bool, default=True
            Draw the loss parts recorded per epoch (for the VAE,
            ``reconstruction`` and ``kl``), not only the total.

        Returns
        -------
        display : LossCurveDisplay
        """
        if isinstance(estimator, list):  # a history (skorch's History is a list)
            return cls.from_history(estimator, ax=ax, log_scale=log_scale, parts=parts)
        history = _history_of(estimator)
        # the kept epoch of a sklearn-ae estimator with early stopping may be its start (0), which the history
        # does not mark
        best_epoch = None
        if isinstance(estimator, BaseAutoencoder) and estimator.validation_loss_curve_ is not None:
            best_epoch = estimator.best_epoch_
        return cls.from_history(
            history,
            best_epoch=best_epoch,
            name=_name(estimator),
            ax=ax,
            log_scale=log_scale,
            parts=parts,
        )
