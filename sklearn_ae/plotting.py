"""Display objects in scikit-learn's style: one line from a fitted estimator to a figure.

Every display has a ``from_estimator`` class method that computes what it
shows from a fitted estimator and plots it, and a ``plot(ax=None, ...)``
method that (re)draws it on given axes. After plotting, ``figure_`` and
``ax_`` hold the matplotlib figure and axes, and further attributes hold the
artists drawn, so a figure can be restyled afterwards.

matplotlib is an optional dependency (the ``plot`` extra); it is imported
only when something is drawn.

Wherever it makes sense a scikit-learn estimator is accepted too: PCA in
:class:`ReconstructionDisplay`, :class:`LatentSpaceDisplay` and the latent
displays, IsolationForest in :class:`OutlierScoreDisplay`, so that a
comparison is one call.
"""

import inspect
import math
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "FeatureErrorDisplay",
    "LatentInterpolationDisplay",
    "LatentSpaceDisplay",
    "LatentTraversalDisplay",
    "LossCurveDisplay",
    "OutlierScoreDisplay",
    "ReconstructionDisplay",
    "SampleGridDisplay",
]

# Methods an outlier detector may offer that return each row's reconstruction
# error per feature, tried in this order.
_FEATURE_ERROR_METHODS = (
    "feature_errors",
    "reconstruction_error_per_feature",
    "per_feature_error",
    "feature_error",
    "reconstruction_errors",
)


# --------------------------------------------------------------------- helpers
def _pyplot():
    """matplotlib.pyplot, or an ImportError that names the ``plot`` extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised with matplotlib hidden
        raise ImportError(
            "sklearn_ae.plotting needs matplotlib, which is not installed. "
            'Install it with: pip install "sklearn-ae[plot]" (or pip install matplotlib).'
        ) from exc
    return plt


def _new_axes(ax, *, projection=None, figsize=None):
    plt = _pyplot()
    if ax is None:  # a figure of our own: let matplotlib make room for the labels
        fig = plt.figure(figsize=figsize, layout="constrained")
        ax = fig.add_subplot(projection=projection)
    return ax.figure, ax


def _name(estimator):
    steps = getattr(estimator, "steps", None)
    if steps:  # a Pipeline: name it after its last step
        return type(steps[-1][1]).__name__
    return type(estimator).__name__


def _unique_names(names):
    seen = {}
    out = []
    for name in names:
        if names.count(name) > 1:
            seen[name] = seen.get(name, 0) + 1
            name = f"{name} #{seen[name]}"
        out.append(name)
    return out


def _dense(X):
    if sparse.issparse(X):
        X = X.toarray()
    return np.asarray(X, dtype=np.float64)


def _rows(X, indices):
    if sparse.issparse(X):
        return X[indices]
    return _safe_indexing(X, indices)


def _select_indices(n_rows, n_samples, indices, default):
    if indices is not None:
        indices = np.asarray(indices)
        if indices.ndim != 1 or indices.size == 0:
            raise ValueError("indices must be a non-empty 1-D sequence of row indices.")
        if indices.dtype.kind not in "iu":
            raise ValueError(f"indices must be integers, got dtype {indices.dtype}.")
        if indices.min() < -n_rows or indices.max() >= n_rows:
            raise ValueError(f"indices must lie in [0, {n_rows}), got {indices.min()} to {indices.max()}.")
        return indices
    n = default if n_samples is None else n_samples
    if not isinstance(n, Integral) or n < 1:
        raise ValueError(f"n_samples must be a positive int, got {n!r}.")
    return np.arange(min(int(n), n_rows))


def _estimator_image_shape(estimator):
    """The ``image_shape`` parameter of an estimator (a convolutional autoencoder), if any."""
    try:
        return estimator.get_params().get("image_shape")
    except AttributeError:
        return None


def _check_image_shape(image_shape, n_features):
    if image_shape is None:
        return None
    shape = tuple(int(s) for s in image_shape)
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise ValueError(f"image_shape must be (height, width) or (channels, height, width), got {image_shape!r}.")
    if math.prod(shape) != n_features:
        raise ValueError(
            f"image_shape={shape} holds {math.prod(shape)} values, but the rows have {n_features} features."
        )
    if len(shape) == 3 and shape[0] not in (1, 3):
        raise ValueError(f"image_shape with {shape[0]} channels cannot be shown; 1 (grey) or 3 (RGB) channels can.")
    return shape


def _as_image(row, shape):
    """A flat row as an (H, W) or (H, W, 3) array."""
    if len(shape) == 2:
        return row.reshape(shape)
    if shape[0] == 1:
        return row.reshape(shape[1:])
    return np.moveaxis(row.reshape(shape), 0, -1)


def _mosaic(images, shape, pad=1):
    """Tile ``images`` of shape (n_rows, n_cols, n_features) into one canvas.

    Cells are separated by ``pad`` pixels of NaN (drawn as background); an
    all-NaN image is an empty cell. Returns the canvas and the centres of the
    rows and columns, in pixels.
    """
    n_rows, n_cols = images.shape[:2]
    cell = _as_image(images[0, 0], shape)
    h, w = cell.shape[:2]
    extra = cell.shape[2:]
    canvas = np.full((n_rows * (h + pad) - pad, n_cols * (w + pad) - pad, *extra), np.nan)
    for i in range(n_rows):
        for j in range(n_cols):
            canvas[i * (h + pad) : i * (h + pad) + h, j * (w + pad) : j * (w + pad) + w] = _as_image(images[i, j], shape)
    row_centres = np.arange(n_rows) * (h + pad) + (h - 1) / 2
    col_centres = np.arange(n_cols) * (w + pad) + (w - 1) / 2
    return canvas, row_centres, col_centres


def _draw_grid(ax, images, shape, *, row_labels=None, col_labels=None, cmap="gray", vmin=None, vmax=None):
    """Draw ``images`` (n_rows, n_cols, n_features) as one image on ``ax``; return the AxesImage.

    Without ``shape`` each row vector is drawn as a strip of one pixel's
    height, so that the grid is a heat map of the features.
    """
    images = np.asarray(images, dtype=np.float64)
    if shape is None:
        shape = (1, images.shape[-1])
        pad = 0 if images.shape[1] == 1 else 1
    else:
        pad = 1
    canvas, row_centres, col_centres = _mosaic(images, shape, pad=pad)
    finite = images[np.isfinite(images)]
    vmin = finite.min() if vmin is None and finite.size else vmin
    vmax = finite.max() if vmax is None and finite.size else vmax
    if canvas.ndim == 3:  # RGB: scale to [0, 1] by hand, gaps transparent
        span = (vmax - vmin) or 1.0
        rgb = np.clip((canvas - vmin) / span, 0, 1)
        alpha = np.isfinite(canvas).all(axis=2, keepdims=True).astype(float)
        canvas = np.concatenate([np.nan_to_num(rgb), alpha], axis=2)
        image = ax.imshow(canvas, interpolation="nearest", aspect="auto" if shape[-2] == 1 else "equal")
    else:
        image = ax.imshow(
            np.ma.masked_invalid(canvas),
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            interpolation="nearest",
            aspect="auto" if shape[-2] == 1 else "equal",
        )
    ax.set_yticks(row_centres if row_labels is not None else [])
    if row_labels is not None:
        ax.set_yticklabels(row_labels)
    ax.set_xticks(col_centres if col_labels is not None else [])
    if col_labels is not None:
        ax.set_xticklabels(col_labels)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image


def _grid_figsize(n_rows, n_cols, shape, label_width=1.5):
    if shape is None:
        return (8, max(2.0, 0.3 * n_rows + 1))
    h, w = shape[-2:]
    cell = 0.9 if max(h, w) <= 32 else 1.2
    return (min(label_width + n_cols * cell * w / max(h, w), 16), min(0.6 + n_rows * cell * h / max(h, w), 16))


def _reconstruct(estimator, X):
    if hasattr(estimator, "inverse_transform") and hasattr(estimator, "transform"):
        return _dense(estimator.inverse_transform(estimator.transform(X)))
    raise TypeError(
        f"{_name(estimator)} cannot reconstruct its input: it needs transform and inverse_transform "
        "(PCA, AutoencoderTransformer, VAETransformer, a Pipeline of them)."
    )


def _check_fitted(estimator):
    check_is_fitted(estimator)


# ------------------------------------------------------------ reconstructions
class ReconstructionDisplay:
    """Originals next to their reconstructions by one estimator or several.

    With ``image_shape`` the rows are drawn as images: the originals on top
    and one row of reconstructions per estimator below, on the originals'
    grey scale, each row labelled with the estimator's mean squared error on
    the rows shown. Without it, one panel per row compares the values of
    every feature.

    Use :meth:`from_estimator` to compute the reconstructions; build it
    directly from arrays you already have.

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

    def __init__(self, originals, reconstructions, *, names=None, image_shape=None, feature_names=None):
        self.originals = _dense(originals)
        if isinstance(reconstructions, np.ndarray) and reconstructions.ndim == 2:
            reconstructions = [reconstructions]
        self.reconstructions = [_dense(r) for r in reconstructions]
        for r in self.reconstructions:
            if r.shape != self.originals.shape:
                raise ValueError(
                    f"Each reconstruction must have the originals' shape {self.originals.shape}, got {r.shape}."
                )
        if names is None:
            names = [f"model {i}" for i in range(len(self.reconstructions))]
        if len(names) != len(self.reconstructions):
            raise ValueError(f"Got {len(names)} names for {len(self.reconstructions)} reconstructions.")
        self.names = list(names)
        self.image_shape = _check_image_shape(image_shape, self.originals.shape[1])
        self.feature_names = feature_names
        self.errors = np.array([np.mean((r - self.originals) ** 2) for r in self.reconstructions])

    def plot(self, ax=None, *, cmap="gray", show_errors=True):
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
        labels = [
            f"{name}\nMSE {err:.3g}" if show_errors else name for name, err in zip(self.names, self.errors)
        ]
        if self.image_shape is not None:
            images = np.stack([self.originals, *self.reconstructions])
            fig, ax = _new_axes(ax, figsize=_grid_figsize(*images.shape[:2], self.image_shape))
            finite = self.originals[np.isfinite(self.originals)]
            self.image_ = _draw_grid(
                ax,
                images,
                self.image_shape,
                row_labels=["original", *labels],
                cmap=cmap,
                vmin=finite.min(),
                vmax=finite.max(),
            )
            self.lines_ = None
            self.figure_, self.ax_ = fig, ax
            return self
        return self._plot_features(ax, labels)

    def _plot_features(self, ax, labels):
        plt = _pyplot()
        n_rows, n_features = self.originals.shape
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
            (lines[i, 0],) = a.plot(x, self.originals[i], "o-", color="black", lw=1.5, ms=3, label="original")
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
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        n_samples=None,
        indices=None,
        image_shape=None,
        names=None,
        ax=None,
        cmap="gray",
        show_errors=True,
    ):
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
            _check_fitted(est)
        if image_shape is None:
            image_shape = _estimator_image_shape(estimators[0])
        n_rows = X.shape[0]
        idx = _select_indices(n_rows, n_samples, indices, 10 if image_shape is not None else 3)
        X_rows = _rows(X, idx)
        reconstructions = [_reconstruct(est, X_rows) for est in estimators]
        if names is None:
            names = _unique_names([_name(est) for est in estimators])
        feature_names = getattr(estimators[0], "feature_names_in_", None)
        display = cls(
            X_rows,
            reconstructions,
            names=names,
            image_shape=image_shape,
            feature_names=None if feature_names is None else list(feature_names),
        )
        return display.plot(ax=ax, cmap=cmap, show_errors=show_errors)


# ------------------------------------------------------------- latent space
def _is_discrete(y):
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

    def __init__(self, codes, y=None, *, name=None, n_codes=None, projection=None):
        codes = np.asarray(codes, dtype=np.float64)
        if codes.ndim != 2 or not 1 <= codes.shape[1] <= 3:
            raise ValueError(f"codes must have 1 to 3 columns to be drawn, got shape {codes.shape}.")
        if y is not None and len(y) != len(codes):
            raise ValueError(f"y has {len(y)} labels for {len(codes)} rows.")
        self.codes = codes
        self.y = None if y is None else np.asarray(y)
        self.name = name
        self.n_codes = codes.shape[1] if n_codes is None else int(n_codes)
        self.projection = projection
        n_dims = codes.shape[1]
        if projection is None:
            self.axis_labels = [f"code {i}" for i in range(n_dims)]
        else:
            self.axis_labels = [f"{projection} {i + 1} of {self.n_codes} codes" for i in range(n_dims)]

    def plot(self, ax=None, *, cmap=None, s=12, alpha=0.8, legend=True):
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
        n_dims = self.codes.shape[1]
        fig, ax = _new_axes(ax, projection="3d" if n_dims == 3 else None, figsize=(6, 5))
        if n_dims == 3 and not hasattr(ax, "get_zlim"):
            raise ValueError("3-D codes need 3-D axes: create them with projection='3d', or pass ax=None.")
        coords = [self.codes[:, i] for i in range(n_dims)]
        if n_dims == 1:  # a strip: codes along x, one lane per class
            if self.y is not None and _is_discrete(self.y):
                _, lanes = np.unique(self.y, return_inverse=True)
                coords.append(lanes + (np.arange(len(lanes)) * 0.618034) % 1 * 0.5 - 0.25)  # jittered lanes
            else:
                coords.append(np.zeros(len(self.codes)))
        kwargs = {"s": s, "alpha": alpha}
        classes = None
        if self.y is None:
            self.scatter_ = ax.scatter(*coords, **kwargs)
        elif _is_discrete(self.y):
            classes, inverse = np.unique(self.y, return_inverse=True)
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
            self.scatter_ = ax.scatter(*coords, c=self.y.astype(float), cmap=cmap or "viridis", **kwargs)
            if legend:
                fig.colorbar(self.scatter_, ax=ax, label="y")
        ax.set_xlabel(self.axis_labels[0])
        if n_dims >= 2:
            ax.set_ylabel(self.axis_labels[1])
        elif classes is not None:
            ax.set_yticks(range(len(classes)))
            ax.set_yticklabels([str(c) for c in classes])
            ax.set_ylabel("y")
        else:
            ax.set_yticks([])
        if n_dims == 3:
            ax.set_zlabel(self.axis_labels[2])
        title = "codes" if self.name is None else f"{self.name} codes"
        if self.projection is not None:
            title += f" ({self.n_codes}-D, projected to {n_dims}-D by {self.projection})"
        ax.set_title(title)
        self.figure_, self.ax_ = fig, ax
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, n_dims=None, projection="pca", ax=None, **kwargs):
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
            How codes wider than ``n_dims`` are projected: PCA, or any
            unfitted transformer with ``fit_transform`` and an
            ``n_components`` parameter (for example
            ``sklearn.manifold.TSNE()``), which is cloned.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LatentSpaceDisplay
        """
        _pyplot()
        _check_fitted(estimator)
        codes = _dense(estimator.transform(X))
        n_codes = codes.shape[1]
        if n_dims is None:
            n_dims = n_codes if n_codes <= 3 else 2
        if n_dims not in (1, 2, 3):
            raise ValueError(f"n_dims must be 1, 2 or 3, got {n_dims!r}.")
        if n_dims > n_codes:
            raise ValueError(f"n_dims={n_dims} but {_name(estimator)} gives only {n_codes} codes.")
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
        display = cls(codes, y, name=_name(estimator), n_codes=n_codes, projection=projection_name)
        return display.plot(ax=ax, **kwargs)


# --------------------------------------------------------------- loss curves
def _history_of(estimator):
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

    def __init__(self, curves, *, best_epoch=None, name=None):
        if not curves:
            raise ValueError("No curve to draw.")
        self.curves = {k: np.asarray(v, dtype=np.float64) for k, v in curves.items()}
        lengths = {len(v) for v in self.curves.values()}
        if len(lengths) != 1:
            raise ValueError(f"All curves need the same number of epochs, got lengths {sorted(lengths)}.")
        self.epochs = np.arange(1, lengths.pop() + 1)
        self.best_epoch = best_epoch
        self.name = name

    @staticmethod
    def _split_key(key):
        split, _, quantity = key.partition("_")
        return split, quantity

    def plot(self, ax=None, *, log_scale=False, parts=True):
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
        quantities = []
        for key in self.curves:
            quantity = self._split_key(key)[1]
            if quantity not in quantities:
                quantities.append(quantity)
        self.lines_ = {}
        for key, values in self.curves.items():
            split, quantity = self._split_key(key)
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
    def from_estimator(cls, estimator, *, ax=None, log_scale=False, parts=True):
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
        _pyplot()
        history = estimator if isinstance(estimator, list) else _history_of(estimator)
        rows = list(history)
        if not rows:
            raise ValueError(f"{_name(estimator)} has an empty history (max_epochs=0?): no curve to draw.")
        keys = []
        for row in rows:
            for key, value in row.items():
                split, quantity = LossCurveDisplay._split_key(key)
                if (
                    split in ("train", "valid")
                    and quantity
                    and not key.endswith("_best")
                    and "batch" not in quantity
                    and isinstance(value, (int, float, np.number))
                    and not isinstance(value, bool)
                    and key not in keys
                ):
                    keys.append(key)
        # total loss first, training before validation
        keys.sort(key=lambda k: (LossCurveDisplay._split_key(k)[1] != "loss", LossCurveDisplay._split_key(k)[0] != "train"))
        curves = {key: [row.get(key, np.nan) for row in rows] for key in keys}
        best = [row["epoch"] for row in rows if row.get("valid_loss_best")]
        best_epoch = best[-1] if best and "valid_loss" in keys else None
        display = cls(curves, best_epoch=best_epoch, name=None if isinstance(estimator, list) else _name(estimator))
        return display.plot(ax=ax, log_scale=log_scale, parts=parts)


# ------------------------------------------------------ generative displays
class _ImageGridDisplay:
    """Shared plotting of displays that are a grid of decoded rows."""

    def _plot_grid(self, ax, images, row_labels, col_labels, cmap, vmin=None, vmax=None):
        n_rows, n_cols = images.shape[:2]
        fig, ax = _new_axes(ax, figsize=_grid_figsize(n_rows, n_cols, self.image_shape))
        self.image_ = _draw_grid(
            ax, images, self.image_shape, row_labels=row_labels, col_labels=col_labels, cmap=cmap, vmin=vmin, vmax=vmax
        )
        self.figure_, self.ax_ = fig, ax
        return self


class SampleGridDisplay(_ImageGridDisplay):
    """A grid of rows drawn from a generative model (``estimator.sample``).

    Parameters
    ----------
    samples : ndarray of shape (n_samples, n_features)
        The rows to draw, in reading order.
    image_shape : tuple of int, default=None
        Shape of each row as an image. Without it the samples are drawn as a
        heat map, one row per sample.
    name : str, default=None
        The estimator's name, for the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.
    image_ : matplotlib AxesImage
        The grid, as one image.
    """

    def __init__(self, samples, *, image_shape=None, name=None):
        self.samples = _dense(samples)
        self.image_shape = _check_image_shape(image_shape, self.samples.shape[1])
        self.name = name

    def plot(self, ax=None, *, n_cols=None, cmap="gray", vmin=None, vmax=None):
        """Draw the samples.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on.
        n_cols : int, default=None
            Images per row of the grid; default about the square root of the
            number of samples (one column without ``image_shape``).
        cmap : str, default="gray"
            Colormap.
        vmin, vmax : float, default=None
            Colour range; default the samples' range.

        Returns
        -------
        display : SampleGridDisplay
        """
        n, d = self.samples.shape
        if n_cols is None:
            n_cols = 1 if self.image_shape is None else math.ceil(math.sqrt(n))
        n_rows = math.ceil(n / n_cols)
        images = np.full((n_rows * n_cols, d), np.nan)
        images[:n] = self.samples
        self._plot_grid(ax, images.reshape(n_rows, n_cols, d), None, None, cmap, vmin, vmax)
        title = "samples" if self.name is None else f"samples from {self.name}"
        self.ax_.set_title(title)
        if self.image_shape is None:
            self.ax_.set_xlabel("feature")
            self.ax_.set_ylabel("sample")
        return self

    @classmethod
    def from_estimator(
        cls, estimator, *, n_samples=16, image_shape=None, random_state=None, ax=None, n_cols=None, cmap="gray"
    ):
        """Draw ``n_samples`` rows with ``estimator.sample`` and show them.

        Parameters
        ----------
        estimator : estimator
            A fitted generative model with ``sample(n_samples,
            random_state=...)``: :class:`~sklearn_ae.VAETransformer`, or
            scikit-learn's GaussianMixture.
        n_samples : int, default=16
            Number of samples.
        image_shape : tuple of int, default=None
            Default the estimator's ``image_shape`` parameter if it has one.
        random_state : int, RandomState instance or None, default=None
            Passed to ``sample``.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        n_cols : int, default=None
            Images per row of the grid.
        cmap : str, default="gray"
            Colormap.

        Returns
        -------
        display : SampleGridDisplay
        """
        _pyplot()
        _check_fitted(estimator)
        if not hasattr(estimator, "sample"):
            raise TypeError(f"{_name(estimator)} has no sample method; SampleGridDisplay needs a generative model.")
        if "random_state" in inspect.signature(estimator.sample).parameters:
            samples = estimator.sample(n_samples, random_state=random_state)
        else:  # GaussianMixture draws from its own random_state
            samples = estimator.sample(n_samples)
        if isinstance(samples, tuple):  # GaussianMixture returns (X, labels)
            samples = samples[0]
        if image_shape is None:
            image_shape = _estimator_image_shape(estimator)
        display = cls(samples, image_shape=image_shape, name=_name(estimator))
        return display.plot(ax=ax, n_cols=n_cols, cmap=cmap)


def _code_centre_and_scale(estimator, X):
    """Centre and per-dimension spread of the codes: of ``X`` when given, else of the model."""
    if X is not None:
        codes = _dense(estimator.transform(X))
        return codes.mean(axis=0), codes.std(axis=0), "the codes of X"
    if hasattr(estimator, "code_mean_") and hasattr(estimator, "code_covariance_"):
        return (
            np.asarray(estimator.code_mean_, dtype=np.float64),
            np.sqrt(np.diag(estimator.code_covariance_)),
            "the training codes",
        )
    if hasattr(estimator, "sample"):  # a VAE: the prior is standard normal
        k = estimator.n_components_
        return np.zeros(k), np.ones(k), "the prior N(0, I)"
    raise ValueError(
        f"Pass X: {_name(estimator)} has neither code statistics (code_mean_, code_covariance_) nor a prior."
    )


class LatentTraversalDisplay(_ImageGridDisplay):
    """Decoded points along each code dimension, the others held at their centre.

    Row ``i`` moves code dimension ``dims[i]`` from ``-span`` to ``+span``
    standard deviations around the centre (the prior for a VAE, the training
    codes' mean for an autoencoder or PCA, or the codes of ``X`` when given),
    so it shows what that dimension encodes.

    Parameters
    ----------
    images : ndarray of shape (n_dims, n_steps, n_features)
        The decoded rows.
    values : ndarray of shape (n_steps,)
        The offsets, in standard deviations.
    dims : list of int
        The code dimension of each row.
    image_shape : tuple of int, default=None
        Shape of each row as an image.
    name : str, default=None
        The estimator's name, for the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.
    image_ : matplotlib AxesImage
        The grid, as one image.
    """

    def __init__(self, images, *, values, dims, image_shape=None, name=None):
        self.images = np.asarray(images, dtype=np.float64)
        self.values = np.asarray(values, dtype=np.float64)
        self.dims = list(dims)
        self.image_shape = _check_image_shape(image_shape, self.images.shape[-1])
        self.name = name

    def plot(self, ax=None, *, cmap="gray"):
        """Draw the traversal.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on.
        cmap : str, default="gray"
            Colormap.

        Returns
        -------
        display : LatentTraversalDisplay
        """
        self._plot_grid(
            ax, self.images, [f"code {d}" for d in self.dims], [f"{v:+.1f}σ" for v in self.values], cmap
        )
        title = "latent traversal" if self.name is None else f"{self.name}: latent traversal"
        self.ax_.set_title(title)
        return self

    @classmethod
    def from_estimator(
        cls, estimator, X=None, *, dims=None, n_steps=7, span=2.5, image_shape=None, ax=None, cmap="gray"
    ):
        """Decode a walk along each code dimension.

        Parameters
        ----------
        estimator : estimator
            A fitted transformer with ``transform`` and
            ``inverse_transform`` (VAE, autoencoder, PCA).
        X : array-like of shape (n_samples, n_features), default=None
            When given, centre and spread come from its codes.
        dims : list of int, default=None
            Code dimensions to walk; default the first 10.
        n_steps : int, default=7
            Points per walk.
        span : float, default=2.5
            Each walk goes from ``-span`` to ``+span`` standard deviations.
        image_shape : tuple of int, default=None
            Default the estimator's ``image_shape`` parameter if it has one.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        cmap : str, default="gray"
            Colormap.

        Returns
        -------
        display : LatentTraversalDisplay
        """
        _pyplot()
        _check_fitted(estimator)
        centre, scale, _ = _code_centre_and_scale(estimator, X)
        k = centre.size
        dims = list(range(min(k, 10))) if dims is None else [int(d) for d in dims]
        if not dims or min(dims) < 0 or max(dims) >= k:
            raise ValueError(f"dims must be code dimensions in [0, {k}), got {dims}.")
        values = np.linspace(-span, span, n_steps)
        Z = np.tile(centre, (len(dims), n_steps, 1))
        for i, d in enumerate(dims):
            Z[i, :, d] = centre[d] + values * scale[d]
        decoded = _dense(estimator.inverse_transform(Z.reshape(-1, k)))
        images = decoded.reshape(len(dims), n_steps, -1)
        if image_shape is None:
            image_shape = _estimator_image_shape(estimator)
        display = cls(images, values=values, dims=dims, image_shape=image_shape, name=_name(estimator))
        return display.plot(ax=ax, cmap=cmap)


class LatentInterpolationDisplay(_ImageGridDisplay):
    """Decoded points on the straight line between the codes of two rows.

    Each grid row starts with an original row, walks in code space to the
    code of another, and ends with that other original.

    Parameters
    ----------
    images : ndarray of shape (n_pairs, n_steps + 2, n_features)
        Per pair: the start row, the decoded steps, the end row.
    image_shape : tuple of int, default=None
        Shape of each row as an image.
    name : str, default=None
        The estimator's name, for the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.
    image_ : matplotlib AxesImage
        The grid, as one image.
    """

    def __init__(self, images, *, image_shape=None, name=None):
        self.images = np.asarray(images, dtype=np.float64)
        self.image_shape = _check_image_shape(image_shape, self.images.shape[-1])
        self.name = name

    def plot(self, ax=None, *, cmap="gray"):
        """Draw the interpolations.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on.
        cmap : str, default="gray"
            Colormap.

        Returns
        -------
        display : LatentInterpolationDisplay
        """
        n_steps = self.images.shape[1] - 2
        col_labels = ["start", *[f"{t:.2f}" for t in np.linspace(0, 1, n_steps)], "end"]
        self._plot_grid(ax, self.images, None, col_labels, cmap)
        title = "interpolation in code space"
        self.ax_.set_title(title if self.name is None else f"{self.name}: {title}")
        return self

    @classmethod
    def from_estimator(cls, estimator, X_start, X_end, *, n_steps=8, image_shape=None, ax=None, cmap="gray"):
        """Interpolate between the codes of paired rows.

        Parameters
        ----------
        estimator : estimator
            A fitted transformer with ``transform`` and ``inverse_transform``.
        X_start, X_end : array-like of shape (n_pairs, n_features)
            Paired rows.
        n_steps : int, default=8
            Decoded points per pair, both ends' codes included.
        image_shape : tuple of int, default=None
            Default the estimator's ``image_shape`` parameter if it has one.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        cmap : str, default="gray"
            Colormap.

        Returns
        -------
        display : LatentInterpolationDisplay
        """
        _pyplot()
        _check_fitted(estimator)
        A, B = _dense(X_start), _dense(X_end)
        if A.ndim == 1:
            A, B = A[None], B[None]
        if A.shape != B.shape:
            raise ValueError(f"X_start and X_end must have the same shape, got {A.shape} and {B.shape}.")
        za, zb = _dense(estimator.transform(A)), _dense(estimator.transform(B))
        t = np.linspace(0, 1, n_steps)[None, :, None]
        Z = (1 - t) * za[:, None, :] + t * zb[:, None, :]
        decoded = _dense(estimator.inverse_transform(Z.reshape(-1, za.shape[1]))).reshape(len(A), n_steps, -1)
        images = np.concatenate([A[:, None], decoded, B[:, None]], axis=1)
        if image_shape is None:
            image_shape = _estimator_image_shape(estimator)
        display = cls(images, image_shape=image_shape, name=_name(estimator))
        return display.plot(ax=ax, cmap=cmap)


# ------------------------------------------------------------ outliers
def _outlier_mask(y, outlier_label):
    y = np.asarray(y)
    if outlier_label is None:
        values = set(np.unique(y).tolist())
        if y.dtype.kind == "b":
            outlier_label = True
        elif values <= {-1, 1}:
            outlier_label = -1
        elif values <= {0, 1}:
            outlier_label = 1
        else:
            raise ValueError(
                f"Cannot tell which labels of y mark outliers (values {sorted(values)[:5]}); pass outlier_label."
            )
    return y == outlier_label


class OutlierScoreDisplay:
    """The distribution of an outlier detector's scores, with its threshold.

    The scores are ``score_samples`` (higher is more normal); the threshold
    is ``offset_``, below which ``predict`` flags a row as an outlier. With
    true labels the inliers' and outliers' scores are drawn separately.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        ``score_samples`` of the rows.
    threshold : float
        The detector's ``offset_``.
    is_outlier : ndarray of bool of shape (n_samples,), default=None
        True labels, True for outliers.
    name : str, default=None
        The detector's name, for the title.

    Attributes
    ----------
    n_flagged : int
        Number of rows scoring below the threshold.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.
    threshold_line_ : Line2D
        The vertical line at ``threshold``.
    hist_ : dict of str to BarContainer
        The histograms ("all", or "inliers" and "outliers").

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.ensemble import IsolationForest
    >>> from sklearn_ae.plotting import OutlierScoreDisplay
    >>> X = np.random.RandomState(0).normal(size=(200, 3))
    >>> forest = IsolationForest(contamination=0.05, random_state=0).fit(X)
    >>> disp = OutlierScoreDisplay.from_estimator(forest, X)
    >>> bool(disp.threshold_line_.get_xdata()[0] == forest.offset_)
    True
    """

    def __init__(self, scores, threshold, *, is_outlier=None, name=None):
        self.scores = np.asarray(scores, dtype=np.float64)
        self.threshold = float(threshold)
        self.is_outlier = None if is_outlier is None else np.asarray(is_outlier, dtype=bool)
        self.name = name
        self.n_flagged = int(np.sum(self.scores < self.threshold))

    def plot(self, ax=None, *, bins=50, density=False):
        """Draw the histogram and the threshold.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on.
        bins : int, default=50
            Number of bins, shared by the histograms.
        density : bool, default=False
            Normalise each histogram to unit area (compares inliers with the
            rarer outliers).

        Returns
        -------
        display : OutlierScoreDisplay
        """
        fig, ax = _new_axes(ax, figsize=(6, 4))
        edges = np.histogram_bin_edges(np.append(self.scores, self.threshold), bins=bins)
        self.hist_ = {}
        if self.is_outlier is None:
            self.hist_["all"] = ax.hist(self.scores, bins=edges, color="C0", alpha=0.8, density=density, label="rows")[2]
        else:
            for key, mask, color in (("inliers", ~self.is_outlier, "C0"), ("outliers", self.is_outlier, "C3")):
                self.hist_[key] = ax.hist(
                    self.scores[mask],
                    bins=edges,
                    color=color,
                    alpha=0.6,
                    density=density,
                    label=f"true {key} ({mask.sum()})",
                )[2]
        share = self.n_flagged / max(len(self.scores), 1)
        self.threshold_line_ = ax.axvline(
            self.threshold,
            color="black",
            ls="--",
            lw=1.5,
            label=f"threshold offset_ = {self.threshold:.3g}\n{self.n_flagged} flagged ({share:.1%})",
        )
        ax.set_xlabel("score_samples (lower is more abnormal)")
        ax.set_ylabel("density" if density else "rows")
        ax.set_title("outlier scores" if self.name is None else f"{self.name} scores")
        ax.legend(fontsize="small")
        self.figure_, self.ax_ = fig, ax
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, outlier_label=None, ax=None, bins=50, density=False):
        """Score ``X`` with a fitted detector and draw the distribution.

        Parameters
        ----------
        estimator : estimator
            A fitted outlier detector with ``score_samples`` and ``offset_``
            (:class:`~sklearn_ae.AutoencoderOutlierDetector`,
            IsolationForest, LocalOutlierFactor with ``novelty=True``).
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score.
        y : array-like of shape (n_samples,), default=None
            True labels, to draw inliers and outliers apart.
        outlier_label : int, bool or str, default=None
            The value of ``y`` that marks outliers. Default: -1 when y holds
            -1 and 1 (scikit-learn's convention), 1 when it holds 0 and 1
            (ODDS' convention), True for booleans.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        bins : int, default=50
            Number of bins.
        density : bool, default=False
            Normalise each histogram to unit area.

        Returns
        -------
        display : OutlierScoreDisplay
        """
        _pyplot()
        _check_fitted(estimator)
        if not hasattr(estimator, "score_samples") or not hasattr(estimator, "offset_"):
            raise TypeError(f"{_name(estimator)} is not an outlier detector with score_samples and offset_.")
        scores = estimator.score_samples(X)
        is_outlier = None if y is None else _outlier_mask(y, outlier_label)
        display = cls(scores, estimator.offset_, is_outlier=is_outlier, name=_name(estimator))
        return display.plot(ax=ax, bins=bins, density=density)


def _feature_errors(estimator, X):
    for method in _FEATURE_ERROR_METHODS:
        if callable(getattr(estimator, method, None)):
            return _dense(getattr(estimator, method)(X))
    if hasattr(estimator, "inverse_transform") and hasattr(estimator, "transform"):
        return (_dense(X) - _reconstruct(estimator, X)) ** 2
    raise TypeError(
        f"{_name(estimator)} gives no per-feature reconstruction error: FeatureErrorDisplay needs "
        "AutoencoderOutlierDetector or a transformer with inverse_transform (PCA, an autoencoder)."
    )


class FeatureErrorDisplay:
    """Which features made a row abnormal: its reconstruction error per feature.

    One group of bars per feature, one bar per row, for the features with
    the largest errors among the rows shown.

    Parameters
    ----------
    errors : ndarray of shape (n_rows, n_features)
        Error per row and feature.
    row_labels : list of str, default=None
        Legend entry of each row.
    feature_names : list of str, default=None
        Names of the features.
    name : str, default=None
        The estimator's name, for the title.

    Attributes
    ----------
    features_shown : ndarray of int
        Indices of the features drawn, largest error first.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.
    bars_ : list of BarContainer
        One per row.
    """

    def __init__(self, errors, *, row_labels=None, feature_names=None, name=None):
        self.errors = np.atleast_2d(np.asarray(errors, dtype=np.float64))
        n_rows, n_features = self.errors.shape
        self.row_labels = [f"row {i}" for i in range(n_rows)] if row_labels is None else list(row_labels)
        self.feature_names = (
            [f"x{j}" for j in range(n_features)] if feature_names is None else [str(f) for f in feature_names]
        )
        if len(self.feature_names) != n_features:
            raise ValueError(f"Got {len(self.feature_names)} feature names for {n_features} features.")
        self.name = name

    def plot(self, ax=None, *, max_features=20):
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on.
        max_features : int, default=20
            Show the features with the largest error (over the rows shown).

        Returns
        -------
        display : FeatureErrorDisplay
        """
        n_rows, n_features = self.errors.shape
        order = np.argsort(-self.errors.max(axis=0), kind="stable")
        self.features_shown = order[: min(max_features, n_features)]
        fig, ax = _new_axes(ax, figsize=(max(6, 0.35 * len(self.features_shown) * max(n_rows, 2) / 2 + 2), 4))
        width = 0.8 / n_rows
        x = np.arange(len(self.features_shown))
        self.bars_ = [
            ax.bar(x + (i - (n_rows - 1) / 2) * width, self.errors[i, self.features_shown], width, label=label)
            for i, label in enumerate(self.row_labels)
        ]
        ax.set_xticks(x)
        ax.set_xticklabels([self.feature_names[j] for j in self.features_shown], rotation=90)
        ax.set_ylabel("reconstruction error")
        shown = "" if len(self.features_shown) == n_features else f" (top {len(self.features_shown)} of {n_features})"
        ax.set_xlabel(f"feature{shown}")
        ax.set_title("error per feature" if self.name is None else f"{self.name}: error per feature")
        ax.legend(fontsize="small")
        self.figure_, self.ax_ = fig, ax
        return self

    @classmethod
    def from_estimator(cls, estimator, X, *, indices=None, n_rows=3, feature_names=None, ax=None, max_features=20):
        """Compute the per-feature errors of chosen rows and draw them.

        Parameters
        ----------
        estimator : estimator
            A fitted :class:`~sklearn_ae.AutoencoderOutlierDetector`, or a
            transformer with ``inverse_transform`` (PCA, an autoencoder), for
            which the error is the squared reconstruction residual.
        X : array-like of shape (n_samples, n_features)
            Data.
        indices : array-like of int, default=None
            Rows to show; default the ``n_rows`` rows with the lowest
            ``score_samples`` (the most abnormal), or the first ``n_rows``.
        n_rows : int, default=3
            Number of rows when ``indices`` is None.
        feature_names : list of str, default=None
            Default the estimator's ``feature_names_in_``, else x0, x1, ...
        ax : matplotlib Axes, default=None
            Axes to draw on.
        max_features : int, default=20
            Show the features with the largest errors.

        Returns
        -------
        display : FeatureErrorDisplay
        """
        _pyplot()
        _check_fitted(estimator)
        if indices is None:
            if hasattr(estimator, "score_samples") and hasattr(estimator, "offset_"):
                scores = estimator.score_samples(X)
                indices = np.argsort(scores, kind="stable")[:n_rows]
            else:
                indices = np.arange(min(n_rows, X.shape[0]))
        indices = _select_indices(X.shape[0], None, indices, None)
        errors = _feature_errors(estimator, _rows(X, indices))
        if feature_names is None and hasattr(estimator, "feature_names_in_"):
            feature_names = list(estimator.feature_names_in_)
        display = cls(
            errors, row_labels=[f"row {i}" for i in indices], feature_names=feature_names, name=_name(estimator)
        )
        return display.plot(ax=ax, max_features=max_features)
