"""LatentSpaceDisplay: the codes of rows, coloured by labels."""

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted

from .._typing import ArrayLike
from ._utils import _dense, _name, _new_axes, _pyplot


def _is_discrete(y):
    """Whether labels ``y`` are classes (strings, booleans, at most 20 distinct integers)."""
    y = np.asarray(y)
    if y.dtype.kind in "OSUb":
        return True
    if y.dtype.kind in "iu":
        return np.unique(y).size <= 20
    return False


class LatentSpaceDisplay:
    """Codes in 1, 2 or 3 dimensions, coloured by labels.

    Codes wider than the plot (``n_dims``) are projected first (by default
    with PCA); the title and the axis labels then say how.

    Use :meth:`from_estimator` to encode rows with a fitted transformer, or
    :meth:`from_codes` for codes you already have. The constructor only
    stores its arguments.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, n_dims)
        The coordinates drawn, 1 to 3 columns.
    y : array-like of shape (n_samples,), default=None
        Labels: classes get distinct colours and a legend, continuous values
        a colour bar.
    name : str, default=None
        The estimator's name, for the title.
    n_codes : int, default=None
        Width of the codes before projection; default ``codes.shape[1]``.
    projection : str, default=None
        Name of the projection applied, or None.

    Attributes
    ----------
    axis_labels : list of str
        Labels of the plotted axes.
    ax_ : matplotlib Axes
        The axes (3-D axes for 3-D codes).
    figure_ : matplotlib Figure
        The figure.
    scatter_ : matplotlib PathCollection
        The points.

    See Also
    --------
    ReconstructionDisplay : What the estimator makes of the rows.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.plotting import LatentSpaceDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(8, max_epochs=2, random_state=0).fit(X)
    >>> disp = LatentSpaceDisplay.from_estimator(ae, X, y)
    >>> disp.axis_labels
    ['PCA 1 of 8 codes', 'PCA 2 of 8 codes']
    """

    def __init__(self, codes, y=None, *, name=None, n_codes=None, projection=None) -> None:
        self.codes = codes
        self.y = y
        self.name = name
        self.n_codes = n_codes
        self.projection = projection

    def _n_codes(self):
        return np.shape(self.codes)[1] if self.n_codes is None else self.n_codes

    @property
    def axis_labels(self):
        """Labels of the plotted axes: "code i", or "PCA i of n codes" after a projection."""
        n_dims = np.shape(self.codes)[1]
        if self.projection is None:
            return [f"code {i}" for i in range(n_dims)]
        return [f"{self.projection} {i + 1} of {self._n_codes()} codes" for i in range(n_dims)]

    def plot(
        self, ax: Any = None, *, cmap: Any = None, s: float = 12, alpha: float = 0.8, legend: bool = True
    ) -> "LatentSpaceDisplay":
        """Draw the codes.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on (3-D axes for 3-D codes); None makes a new figure.
        cmap : str, default=None
            Colormap; default "tab10" (up to 10 classes), "tab20" (more), or
            "viridis" for continuous ``y``.
        s : float, default=12
            Marker size.
        alpha : float, default=0.8
            Marker opacity.
        legend : bool, default=True
            Add a legend of the classes (or a colour bar).

        Returns
        -------
        display : LatentSpaceDisplay
        """
        codes = np.asarray(self.codes, dtype=np.float64)
        y = None if self.y is None else np.asarray(self.y)
        n_dims = codes.shape[1]
        if n_dims not in (1, 2, 3):
            raise ValueError(
                f"codes must have 1 to 3 columns to be drawn, got {n_dims}; use from_codes to project them."
            )
        fig, ax = _new_axes(ax, projection="3d" if n_dims == 3 else None, figsize=(6, 5))
        if n_dims == 3 and not hasattr(ax, "get_zlim"):
            raise ValueError("3-D codes need 3-D axes: create them with projection='3d', or pass ax=None.")
        coords = [codes[:, i] for i in range(n_dims)]
        if n_dims == 1:  # a strip: codes along x, one lane per class
            if y is not None and _is_discrete(y):
                _, lanes = np.unique(y, return_inverse=True)
                coords.append(lanes + (np.arange(len(lanes)) * 0.618034) % 1 * 0.5 - 0.25)  # jittered lanes
            else:
                coords.append(np.zeros(len(codes)))
        kwargs = {"s": s, "alpha": alpha}
        classes = None
        if y is None:
            self.scatter_ = ax.scatter(*coords, **kwargs)
        elif _is_discrete(y):
            classes, inverse = np.unique(y, return_inverse=True)
            cmap = cmap or ("tab10" if len(classes) <= 10 else "tab20")
            self.scatter_ = ax.scatter(
                *coords, c=inverse, cmap=cmap, vmin=-0.5, vmax=max(len(classes) - 0.5, 9.5), **kwargs
            )
            if legend:
                cm = self.scatter_.get_cmap()
                norm = self.scatter_.norm
                handles = [
                    ax.plot([], [], "o", color=cm(norm(i)), ls="", label=str(c))[0] for i, c in enumerate(classes)
                ]
                where = {"loc": "center left", "bbox_to_anchor": (1.08, 0.5)} if n_dims == 3 else {"loc": "best"}
                ax.legend(handles=handles, title="y", fontsize="small", **where)
        else:
            self.scatter_ = ax.scatter(*coords, c=y.astype(float), cmap=cmap or "viridis", **kwargs)
            if legend:
                fig.colorbar(self.scatter_, ax=ax, label="y")
        axis_labels = self.axis_labels
        ax.set_xlabel(axis_labels[0])
        if n_dims >= 2:
            ax.set_ylabel(axis_labels[1])
        elif classes is not None:
            ax.set_yticks(range(len(classes)))
            ax.set_yticklabels([str(c) for c in classes])
            ax.set_ylabel("y")
        else:
            ax.set_yticks([])
        if n_dims == 3:
            ax.set_zlabel(axis_labels[2])
        title = "codes" if self.name is None else f"{self.name} codes"
        if self.projection is not None:
            title += f" ({self._n_codes()}-D, projected to {n_dims}-D by {self.projection})"
        ax.set_title(title)
        self.figure_, self.ax_ = fig, ax
        return self

    @classmethod
    def from_codes(
        cls,
        codes: ArrayLike,
        y: ArrayLike = None,
        *,
        n_dims: int | None = None,
        projection: Any = "pca",
        name: str | None = None,
        ax: Any = None,
        **kwargs: Any,
    ) -> "LatentSpaceDisplay":
        """Draw codes computed beforehand, projected when wider than the plot.

        Parameters
        ----------
        codes : {array-like, sparse matrix} of shape (n_samples, n_codes)
            The codes, for example the output of ``transform``.
        y : array-like of shape (n_samples,), default=None
            Labels for the colours.
        n_dims : {1, 2, 3}, default=None
            Dimensions of the plot; default the codes' width when it is at
            most 3, else 2.
        projection : "pca" or estimator, default="pca"
            How codes wider than ``n_dims`` are projected: PCA, or any
            unfitted transformer with ``fit_transform`` and an
            ``n_components`` parameter (for example
            ``sklearn.manifold.TSNE()``), which is cloned.
        name : str, default=None
            The estimator's name, for the title.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LatentSpaceDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn_ae.plotting import LatentSpaceDisplay
        >>> codes = np.random.RandomState(0).normal(size=(50, 2))
        >>> disp = LatentSpaceDisplay.from_codes(codes, y=codes[:, 0] > 0)
        >>> disp.axis_labels
        ['code 0', 'code 1']
        """
        _pyplot()
        codes = _dense(codes)
        if codes.ndim != 2 or codes.shape[1] < 1:
            raise ValueError(f"codes must be a 2-D array with at least one column, got shape {codes.shape}.")
        if y is not None and len(y) != len(codes):
            raise ValueError(f"y has {len(y)} labels for {len(codes)} rows.")
        n_codes = codes.shape[1]
        if n_dims is None:
            n_dims = n_codes if n_codes <= 3 else 2
        if n_dims not in (1, 2, 3):
            raise ValueError(f"n_dims must be 1, 2 or 3, got {n_dims!r}.")
        if n_dims > n_codes:
            source = "" if name is None else f" from {name}"
            raise ValueError(f"n_dims={n_dims} but there are only {n_codes} codes{source}.")
        projection_name = None
        if n_codes > n_dims:
            if isinstance(projection, str) and projection == "pca":
                projector, projection_name = PCA(n_components=n_dims), "PCA"
            elif hasattr(projection, "fit_transform"):
                projector = clone(projection).set_params(n_components=n_dims)
                projection_name = type(projection).__name__
            else:
                raise ValueError(f"projection must be 'pca' or a transformer with fit_transform, got {projection!r}.")
            codes = projector.fit_transform(codes)
        display = cls(codes, y, name=name, n_codes=n_codes, projection=projection_name)
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: ArrayLike,
        y: ArrayLike = None,
        *,
        n_dims: int | None = None,
        projection: Any = "pca",
        ax: Any = None,
        **kwargs: Any,
    ) -> "LatentSpaceDisplay":
        """Encode ``X`` with ``estimator`` and draw the codes.

        Parameters
        ----------
        estimator : estimator
            A fitted transformer: an autoencoder, PCA, a pipeline.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to encode.
        y : array-like of shape (n_samples,), default=None
            Labels for the colours.
        n_dims : {1, 2, 3}, default=None
            Dimensions of the plot; default the codes' width when it is at
            most 3, else 2.
        projection : "pca" or estimator, default="pca"
            How codes wider than ``n_dims`` are projected; see
            :meth:`from_codes`.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LatentSpaceDisplay
        """
        _pyplot()
        check_is_fitted(estimator)
        return cls.from_codes(
            estimator.transform(X), y, n_dims=n_dims, projection=projection, name=_name(estimator), ax=ax, **kwargs
        )
