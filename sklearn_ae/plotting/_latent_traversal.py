"""LatentTraversalDisplay: decoded points along each code dimension."""

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._typing import ArrayLike
from .._vae import VAETransformer
from ._grid import _check_grid, _image_shape_of, _ImageGridDisplayMixin
from ._utils import _decode, _dense, _name, _pyplot


def _code_centre_and_scale(estimator, X):
    """Centre and per-dimension spread of the codes: of ``X`` when given, else of the model."""
    if X is not None:
        codes = _dense(estimator.transform(X))
        return codes.mean(axis=0), codes.std(axis=0)
    if isinstance(estimator, VAETransformer):  # the prior is standard normal
        k = estimator.n_components_
        return np.zeros(k), np.ones(k)
    if hasattr(estimator, "code_mean_") and hasattr(estimator, "code_covariance_"):  # AutoencoderTransformer
        return np.asarray(estimator.code_mean_, dtype=np.float64), np.sqrt(np.diag(estimator.code_covariance_))
    raise ValueError(
        f"Pass X: {_name(estimator)} has neither code statistics (code_mean_, code_covariance_) nor a prior."
    )


class LatentTraversalDisplay(_ImageGridDisplayMixin):
    """Decoded points along each code dimension, the others held at their centre.

    Row ``i`` moves code dimension ``dims[i]`` from ``-span`` to ``+span``
    standard deviations around the centre (the prior for a VAE, the training
    codes' mean for an autoencoder, or the codes of ``X`` when given), so it
    shows what that dimension encodes.

    Use :meth:`from_estimator` to decode the walks with a fitted model, or
    :meth:`from_images` for decoded rows you already have. The constructor
    only stores its arguments.

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

    See Also
    --------
    LatentInterpolationDisplay : Decoded points between the codes of two rows.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from sklearn_ae.plotting import LatentTraversalDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> pca = PCA(3).fit(X)
    >>> disp = LatentTraversalDisplay.from_estimator(pca, X, n_steps=5, image_shape=(8, 8))
    >>> disp.images.shape  # 3 code dimensions, 5 steps, 64 pixels
    (3, 5, 64)
    """

    def __init__(self, images, *, values, dims, image_shape=None, name=None) -> None:
        self.images = images
        self.values = values
        self.dims = dims
        self.image_shape = image_shape
        self.name = name

    def plot(self, ax: Any = None, *, cmap: Any = "gray") -> "LatentTraversalDisplay":
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
            ax,
            self.images,
            row_labels=[f"code {d}" for d in self.dims],
            col_labels=[f"{v:+.1f}σ" for v in self.values],
            cmap=cmap,
        )
        self.ax_.set_title("latent traversal" if self.name is None else f"{self.name}: latent traversal")
        return self

    @classmethod
    def from_images(
        cls,
        images: ArrayLike,
        *,
        values: ArrayLike,
        dims: Sequence[int],
        image_shape: Sequence[int] | None = None,
        name: str | None = None,
        ax: Any = None,
        cmap: Any = "gray",
    ) -> "LatentTraversalDisplay":
        """Draw a traversal decoded beforehand.

        Parameters
        ----------
        images : array-like of shape (n_dims, n_steps, n_features)
            Row ``i``: the decoded points along code dimension ``dims[i]``.
        values : array-like of shape (n_steps,)
            The offsets from the centre, in standard deviations.
        dims : list of int
            The code dimension of each row.
        image_shape : tuple of int, default=None
            Shape of each decoded row as an image; without it a heat map.
        name : str, default=None
            The estimator's name, for the title.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        cmap : str, default="gray"
            Colormap.

        Returns
        -------
        display : LatentTraversalDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn_ae.plotting import LatentTraversalDisplay
        >>> images = np.random.RandomState(0).uniform(size=(2, 3, 16))
        >>> disp = LatentTraversalDisplay.from_images(images, values=[-1, 0, 1], dims=[0, 1], image_shape=(4, 4))
        >>> [t.get_text() for t in disp.ax_.get_xticklabels()]
        ['-1.0σ', '+0.0σ', '+1.0σ']
        """
        _pyplot()
        images, image_shape = _check_grid(images, image_shape)
        values = np.asarray(values, dtype=np.float64)
        dims = [int(d) for d in dims]
        if values.shape != (images.shape[1],) or len(dims) != images.shape[0]:
            raise ValueError(
                f"images of shape {images.shape} need {images.shape[0]} dims and {images.shape[1]} values, "
                f"got {len(dims)} and {values.size}."
            )
        display = cls(images, values=values, dims=dims, image_shape=image_shape, name=name)
        return display.plot(ax=ax, cmap=cmap)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: ArrayLike = None,
        *,
        dims: Sequence[int] | None = None,
        n_steps: int = 7,
        span: float = 2.5,
        image_shape: Sequence[int] | None = None,
        ax: Any = None,
        cmap: Any = "gray",
    ) -> "LatentTraversalDisplay":
        """Decode a walk along each code dimension.

        Parameters
        ----------
        estimator : estimator
            A fitted transformer with ``transform`` and
            ``inverse_transform`` (VAE, autoencoder, PCA).
        X : array-like of shape (n_samples, n_features), default=None
            When given, centre and spread come from its codes. Required for
            an estimator other than sklearn-ae's (PCA, a Pipeline).
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
        check_is_fitted(estimator)
        centre, scale = _code_centre_and_scale(estimator, X)
        k = centre.size
        dims = list(range(min(k, 10))) if dims is None else [int(d) for d in dims]
        if not dims or min(dims) < 0 or max(dims) >= k:
            raise ValueError(f"dims must be code dimensions in [0, {k}), got {dims}.")
        values = np.linspace(-span, span, n_steps)
        Z = np.tile(centre, (len(dims), n_steps, 1))
        for i, d in enumerate(dims):
            Z[i, :, d] = centre[d] + values * scale[d]
        return cls.from_images(
            _decode(estimator, Z),
            values=values,
            dims=dims,
            image_shape=_image_shape_of(estimator, image_shape),
            name=_name(estimator),
            ax=ax,
            cmap=cmap,
        )
