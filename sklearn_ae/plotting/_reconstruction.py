"""ReconstructionDisplay: originals next to their reconstructions."""

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_is_fitted

from .._typing import ArrayLike
from ._grid import _check_image_shape, _image_shape_of, _ImageGridDisplayMixin
from ._utils import _dense, _name, _pyplot, _reconstruct, _rows, _select_indices, _unique_names


class ReconstructionDisplay(_ImageGridDisplayMixin):
    """Originals next to their reconstructions by one estimator or several.

    With ``image_shape`` the rows are drawn as images: the originals on top
    and one row of reconstructions per estimator below, on the originals'
    grey scale, each row labelled with the estimator's mean squared error on
    the rows shown. Without it, one panel per row compares the values of
    every feature.

    Use :meth:`from_estimator` to reconstruct rows with fitted estimators, or
    :meth:`from_reconstructions` for reconstructions you already have. The
    constructor only stores its arguments.

    Parameters
    ----------
    originals : ndarray of shape (n_rows, n_features)
        The rows shown.
    reconstructions : list of ndarray of shape (n_rows, n_features)
        One array per estimator.
    names : list of str, default=None
        One name per estimator; default "model 0", "model 1", ...
    image_shape : tuple of int, default=None
        ``(height, width)`` or ``(channels, height, width)`` with 1 or 3
        channels; the rows are images of that shape (C-order).
    feature_names : list of str, default=None
        Feature names for the per-feature panels.

    Attributes
    ----------
    errors : ndarray of shape (n_estimators,)
        Mean squared error of each estimator over the rows shown.
    ax_ : matplotlib Axes or ndarray of Axes
        The image grid's axes, or one axes per row in the per-feature view.
    figure_ : matplotlib Figure
        The figure.
    image_ : matplotlib AxesImage or None
        The image grid (image view only).
    lines_ : ndarray of Line2D of shape (n_rows, 1 + n_estimators) or None
        Per-feature view: the original's line, then one per estimator.

    See Also
    --------
    LatentSpaceDisplay : Where the rows land in code space.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.plotting import ReconstructionDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> pca = PCA(8).fit(X)
    >>> ae = AutoencoderTransformer(8, max_epochs=2, random_state=0).fit(X)
    >>> disp = ReconstructionDisplay.from_estimator([pca, ae], X, n_samples=6, image_shape=(8, 8))
    >>> disp.names
    ['PCA', 'AutoencoderTransformer']
    >>> disp.image_.get_array().shape  # 3 rows of 6 images of 8 x 8, 1-pixel gaps
    (26, 53)
    """

    def __init__(self, originals, reconstructions, *, names=None, image_shape=None, feature_names=None) -> None:
        self.originals = originals
        self.reconstructions = reconstructions
        self.names = names
        self.image_shape = image_shape
        self.feature_names = feature_names

    @property
    def errors(self):
        """Mean squared error of each reconstruction against the originals."""
        originals = np.asarray(self.originals, dtype=np.float64)
        return np.array([np.mean((np.asarray(r, dtype=np.float64) - originals) ** 2) for r in self.reconstructions])

    def plot(self, ax: Any = None, *, cmap: Any = "gray", show_errors: bool = True) -> "ReconstructionDisplay":
        """Draw the comparison.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            Image view: one Axes. Per-feature view: one Axes per row (or a
            single Axes when there is one row). None makes a new figure.
        cmap : str, default="gray"
            Colormap of grey images.
        show_errors : bool, default=True
            Put each estimator's mean squared error in its label.

        Returns
        -------
        display : ReconstructionDisplay
            This object, with ``figure_`` and ``ax_`` set.
        """
        names = self.names
        if names is None:
            names = [f"model {i}" for i in range(len(self.reconstructions))]
        labels = [f"{name}\nMSE {err:.3g}" if show_errors else name for name, err in zip(names, self.errors)]
        if self.image_shape is None:
            return self._plot_features(ax, labels)
        originals = np.asarray(self.originals, dtype=np.float64)
        finite = originals[np.isfinite(originals)]
        self._plot_grid(
            ax,
            np.stack([originals, *self.reconstructions]),
            row_labels=["original", *labels],
            cmap=cmap,
            vmin=finite.min(),
            vmax=finite.max(),
        )
        self.lines_ = None
        return self

    def _plot_features(self, ax, labels):
        plt = _pyplot()
        originals = np.asarray(self.originals, dtype=np.float64)
        n_rows, n_features = originals.shape
        if ax is None:
            fig, axes = plt.subplots(
                n_rows, 1, sharex=True, squeeze=False, figsize=(8, 1.8 * n_rows + 0.8), layout="constrained"
            )
            axes = axes[:, 0]
        else:
            axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
            if axes.size != n_rows:
                raise ValueError(f"The per-feature view draws one Axes per row: pass {n_rows} Axes, not {axes.size}.")
            fig = axes[0].figure
        x = np.arange(n_features)
        lines = np.empty((n_rows, 1 + len(self.reconstructions)), dtype=object)
        for i, a in enumerate(axes):
            (lines[i, 0],) = a.plot(x, originals[i], "o-", color="black", lw=1.5, ms=3, label="original")
            for j, (rec, label) in enumerate(zip(self.reconstructions, labels)):
                (lines[i, j + 1],) = a.plot(x, rec[i], ".--", color=f"C{j}", lw=1.2, label=label.replace("\n", ", "))
            a.set_ylabel(f"row {i}")
        axes[0].legend(loc="upper right", fontsize="small")
        if self.feature_names is not None and n_features <= 40:
            axes[-1].set_xticks(x)
            axes[-1].set_xticklabels(self.feature_names, rotation=90)
        axes[-1].set_xlabel("feature")
        self.image_ = None
        self.lines_ = lines
        self.figure_, self.ax_ = fig, (axes if axes.size > 1 else axes[0])
        return self

    @classmethod
    def from_reconstructions(
        cls,
        originals: ArrayLike,
        reconstructions: ArrayLike,
        *,
        names: Sequence[str] | None = None,
        image_shape: Sequence[int] | None = None,
        feature_names: ArrayLike = None,
        ax: Any = None,
        cmap: Any = "gray",
        show_errors: bool = True,
    ) -> "ReconstructionDisplay":
        """Draw originals next to reconstructions computed beforehand.

        Parameters
        ----------
        originals : {array-like, sparse matrix} of shape (n_rows, n_features)
            The rows shown.
        reconstructions : array-like of shape (n_rows, n_features) or list of them
            One reconstruction of ``originals`` per estimator.
        names : list of str, default=None
            One name per reconstruction; default "model 0", "model 1", ...
        image_shape : tuple of int, default=None
            ``(height, width)`` or ``(channels, height, width)`` with 1 or 3
            channels; without it each row is drawn feature by feature.
        feature_names : list of str, default=None
            Feature names for the per-feature panels.
        ax : matplotlib Axes or array-like of Axes, default=None
            See :meth:`plot`.
        cmap : str, default="gray"
            Colormap of grey images.
        show_errors : bool, default=True
            Put each mean squared error in its label.

        Returns
        -------
        display : ReconstructionDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn_ae.plotting import ReconstructionDisplay
        >>> X = np.arange(8.0).reshape(2, 4)
        >>> disp = ReconstructionDisplay.from_reconstructions(X, [X + 1, X], names=["shifted", "exact"])
        >>> disp.errors
        array([1., 0.])
        """
        _pyplot()
        originals = _dense(originals)
        if sparse.issparse(reconstructions) or getattr(reconstructions, "ndim", None) == 2:  # a single one
            reconstructions = [reconstructions]
        reconstructions = [_dense(r) for r in reconstructions]
        if not reconstructions:
            raise ValueError("Pass at least one reconstruction.")
        for r in reconstructions:
            if r.shape != originals.shape:
                raise ValueError(
                    f"Each reconstruction must have the originals' shape {originals.shape}, got {r.shape}."
                )
        if names is not None and len(names) != len(reconstructions):
            raise ValueError(f"Got {len(names)} names for {len(reconstructions)} reconstructions.")
        if feature_names is not None and len(feature_names) != originals.shape[1]:
            raise ValueError(f"Got {len(feature_names)} feature names for {originals.shape[1]} features.")
        display = cls(
            originals,
            reconstructions,
            names=None if names is None else list(names),
            image_shape=_check_image_shape(image_shape, originals.shape[1]),
            feature_names=None if feature_names is None else list(feature_names),
        )
        return display.plot(ax=ax, cmap=cmap, show_errors=show_errors)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: ArrayLike,
        *,
        n_samples: int | None = None,
        indices: ArrayLike = None,
        image_shape: Sequence[int] | None = None,
        names: Sequence[str] | None = None,
        ax: Any = None,
        cmap: Any = "gray",
        show_errors: bool = True,
    ) -> "ReconstructionDisplay":
        """Reconstruct rows of ``X`` with each estimator and draw them.

        Parameters
        ----------
        estimator : estimator or list of estimators
            Fitted estimators with ``transform`` and ``inverse_transform``:
            autoencoders, PCA, pipelines of them.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data; only the rows shown are reconstructed.
        n_samples : int, default=None
            Show the first ``n_samples`` rows: default 10 images, or 3 rows
            in the per-feature view.
        indices : array-like of int, default=None
            Show these rows instead.
        image_shape : tuple of int, default=None
            ``(height, width)`` or ``(channels, height, width)``; default
            the first estimator's ``image_shape`` parameter if it has one.
        names : list of str, default=None
            Row labels; default the estimators' class names.
        ax : matplotlib Axes or array-like of Axes, default=None
            See :meth:`plot`.
        cmap : str, default="gray"
            Colormap of grey images.
        show_errors : bool, default=True
            Put each estimator's mean squared error in its label.

        Returns
        -------
        display : ReconstructionDisplay
        """
        _pyplot()
        estimators = list(estimator) if isinstance(estimator, (list, tuple)) else [estimator]
        if not estimators:
            raise ValueError("Pass at least one estimator.")
        for est in estimators:
            check_is_fitted(est)
        image_shape = _image_shape_of(estimators[0], image_shape)
        idx = _select_indices(X.shape[0], n_samples, indices, 10 if image_shape is not None else 3)
        X_rows = _rows(X, idx)
        reconstructions = [_reconstruct(est, X_rows) for est in estimators]
        if names is None:
            names = _unique_names([_name(est) for est in estimators])
        return cls.from_reconstructions(
            X_rows,
            reconstructions,
            names=names,
            image_shape=image_shape,
            feature_names=getattr(estimators[0], "feature_names_in_", None),
            ax=ax,
            cmap=cmap,
            show_errors=show_errors,
        )
