"""LatentInterpolationDisplay: decoded points between the codes of two rows."""

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._typing import ArrayLike
from ._grid import _check_grid, _image_shape_of, _ImageGridDisplayMixin
from ._utils import _decode, _dense, _name, _pyplot


class LatentInterpolationDisplay(_ImageGridDisplayMixin):
    """Decoded points on the straight line between the codes of two rows.

    Each grid row starts with an original row, walks in code space to the
    code of another, and ends with that other original.

    Use :meth:`from_estimator` to decode the walks with a fitted model, or
    :meth:`from_images` for decoded rows you already have. The constructor
    only stores its arguments.

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

    See Also
    --------
    LatentTraversalDisplay : Decoded points along each code dimension.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from sklearn_ae.plotting import LatentInterpolationDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> pca = PCA(8).fit(X)
    >>> disp = LatentInterpolationDisplay.from_estimator(pca, X[:3], X[3:6], n_steps=4, image_shape=(8, 8))
    >>> disp.images.shape  # 3 pairs: start, 4 decoded steps, end
    (3, 6, 64)
    """

    def __init__(self, images, *, image_shape=None, name=None) -> None:
        self.images = images
        self.image_shape = image_shape
        self.name = name

    def plot(self, ax: Any = None, *, cmap: Any = "gray") -> "LatentInterpolationDisplay":
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
        n_steps = np.shape(self.images)[1] - 2
        col_labels = ["start", *[f"{t:.2f}" for t in np.linspace(0, 1, n_steps)], "end"]
        self._plot_grid(ax, self.images, col_labels=col_labels, cmap=cmap)
        title = "interpolation in code space"
        self.ax_.set_title(title if self.name is None else f"{self.name}: {title}")
        return self

    @classmethod
    def from_images(
        cls,
        images: ArrayLike,
        *,
        image_shape: Sequence[int] | None = None,
        name: str | None = None,
        ax: Any = None,
        cmap: Any = "gray",
    ) -> "LatentInterpolationDisplay":
        """Draw interpolations decoded beforehand.

        Parameters
        ----------
        images : array-like of shape (n_pairs, n_steps + 2, n_features)
            Per pair: the start row, the decoded steps, the end row.
        image_shape : tuple of int, default=None
            Shape of each row as an image; without it a heat map.
        name : str, default=None
            The estimator's name, for the title.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        cmap : str, default="gray"
            Colormap.

        Returns
        -------
        display : LatentInterpolationDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn_ae.plotting import LatentInterpolationDisplay
        >>> start, end = np.zeros(4), np.ones(4)
        >>> images = [[start, 0.5 * (start + end), end]]
        >>> disp = LatentInterpolationDisplay.from_images(images, image_shape=(2, 2))
        >>> [t.get_text() for t in disp.ax_.get_xticklabels()]
        ['start', '0.00', 'end']
        """
        _pyplot()
        images, image_shape = _check_grid(images, image_shape)
        if images.shape[1] < 2:
            raise ValueError(f"Each row of images needs its start and its end, got {images.shape[1]} column.")
        display = cls(images, image_shape=image_shape, name=name)
        return display.plot(ax=ax, cmap=cmap)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X_start: ArrayLike,
        X_end: ArrayLike,
        *,
        n_steps: int = 8,
        image_shape: Sequence[int] | None = None,
        ax: Any = None,
        cmap: Any = "gray",
    ) -> "LatentInterpolationDisplay":
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
        check_is_fitted(estimator)
        A, B = _dense(X_start), _dense(X_end)
        if A.ndim == 1:
            A, B = A[None], B[None]
        if A.shape != B.shape:
            raise ValueError(f"X_start and X_end must have the same shape, got {A.shape} and {B.shape}.")
        za, zb = _dense(estimator.transform(A)), _dense(estimator.transform(B))
        t = np.linspace(0, 1, n_steps)[None, :, None]
        decoded = _decode(estimator, (1 - t) * za[:, None, :] + t * zb[:, None, :])
        return cls.from_images(
            np.concatenate([A[:, None], decoded, B[:, None]], axis=1),
            image_shape=_image_shape_of(estimator, image_shape),
            name=_name(estimator),
            ax=ax,
            cmap=cmap,
        )
