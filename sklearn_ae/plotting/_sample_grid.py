"""SampleGridDisplay: rows drawn from a generative model."""

import copy
import math
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
from sklearn.utils.validation import check_is_fitted

from .._typing import ArrayLike, RandomStateLike
from ._grid import _check_image_shape, _image_shape_of, _ImageGridDisplayMixin
from ._utils import _dense, _name, _pyplot


def _draw_samples(estimator, n_samples, random_state):
    """``n_samples`` rows from ``estimator.sample``, seeded by ``random_state``."""
    if not hasattr(estimator, "sample"):
        raise TypeError(f"{_name(estimator)} has no sample method; SampleGridDisplay needs a generative model.")
    if isinstance(estimator, (GaussianMixture, BayesianGaussianMixture)):
        # scikit-learn's mixtures draw from their own random_state parameter and return (X, labels)
        if random_state is not None:
            estimator = copy.copy(estimator).set_params(random_state=random_state)
        return estimator.sample(n_samples)[0]
    return estimator.sample(n_samples, random_state=random_state)


class SampleGridDisplay(_ImageGridDisplayMixin):
    """A grid of rows drawn from a generative model (``estimator.sample``).

    Use :meth:`from_estimator` to draw the rows from a fitted model, or
    :meth:`from_samples` for rows you already have. The constructor only
    stores its arguments.

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

    See Also
    --------
    LatentTraversalDisplay : What each code dimension of the model encodes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.mixture import GaussianMixture
    >>> from sklearn_ae.plotting import SampleGridDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> gmm = GaussianMixture(3, random_state=0).fit(X)
    >>> disp = SampleGridDisplay.from_estimator(gmm, n_samples=4, image_shape=(8, 8), random_state=0)
    >>> disp.image_.get_array().shape  # 2 x 2 images of 8 x 8, 1-pixel gaps
    (17, 17)
    """

    def __init__(self, samples, *, image_shape=None, name=None) -> None:
        self.samples = samples
        self.image_shape = image_shape
        self.name = name

    def plot(
        self,
        ax: Any = None,
        *,
        n_cols: int | None = None,
        cmap: Any = "gray",
        vmin: float | None = None,
        vmax: float | None = None,
    ) -> "SampleGridDisplay":
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
        n, d = np.shape(self.samples)
        if n_cols is None:
            n_cols = 1 if self.image_shape is None else math.ceil(math.sqrt(n))
        n_rows = math.ceil(n / n_cols)
        images = np.full((n_rows * n_cols, d), np.nan)
        images[:n] = self.samples
        self._plot_grid(ax, images.reshape(n_rows, n_cols, d), cmap=cmap, vmin=vmin, vmax=vmax)
        self.ax_.set_title("samples" if self.name is None else f"samples from {self.name}")
        if self.image_shape is None:
            self.ax_.set_xlabel("feature")
            self.ax_.set_ylabel("sample")
        return self

    @classmethod
    def from_samples(
        cls,
        samples: ArrayLike,
        *,
        image_shape: Sequence[int] | None = None,
        name: str | None = None,
        ax: Any = None,
        n_cols: int | None = None,
        cmap: Any = "gray",
    ) -> "SampleGridDisplay":
        """Draw rows sampled beforehand.

        Parameters
        ----------
        samples : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows, in reading order.
        image_shape : tuple of int, default=None
            Shape of each row as an image; without it a heat map.
        name : str, default=None
            The model's name, for the title.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        n_cols : int, default=None
            Images per row of the grid.
        cmap : str, default="gray"
            Colormap.

        Returns
        -------
        display : SampleGridDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklearn_ae.plotting import SampleGridDisplay
        >>> samples = np.random.RandomState(0).uniform(size=(3, 12))
        >>> disp = SampleGridDisplay.from_samples(samples, image_shape=(3, 4), n_cols=3)
        >>> disp.image_.get_array().shape
        (3, 14)
        """
        _pyplot()
        samples = _dense(samples)
        if samples.ndim != 2 or samples.shape[0] == 0:
            raise ValueError(f"samples must be a non-empty 2-D array, got shape {samples.shape}.")
        if n_cols is not None and (not isinstance(n_cols, Integral) or n_cols < 1):
            raise ValueError(f"n_cols must be a positive int, got {n_cols!r}.")
        display = cls(samples, image_shape=_check_image_shape(image_shape, samples.shape[1]), name=name)
        return display.plot(ax=ax, n_cols=n_cols, cmap=cmap)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        *,
        n_samples: int = 16,
        image_shape: Sequence[int] | None = None,
        random_state: RandomStateLike = None,
        ax: Any = None,
        n_cols: int | None = None,
        cmap: Any = "gray",
    ) -> "SampleGridDisplay":
        """Draw ``n_samples`` rows with ``estimator.sample`` and show them.

        Parameters
        ----------
        estimator : estimator
            A fitted generative model with ``sample(n_samples,
            random_state=...)`` (:class:`~sklearn_ae.VAETransformer`), or
            scikit-learn's GaussianMixture or BayesianGaussianMixture.
        n_samples : int, default=16
            Number of samples.
        image_shape : tuple of int, default=None
            Default the estimator's ``image_shape`` parameter if it has one.
        random_state : int, RandomState instance or None, default=None
            Seeds the sampling. None: the VAE takes fresh entropy, a mixture
            draws with its own ``random_state`` parameter.
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
        check_is_fitted(estimator)
        return cls.from_samples(
            _draw_samples(estimator, n_samples, random_state),
            image_shape=_image_shape_of(estimator, image_shape),
            name=_name(estimator),
            ax=ax,
            n_cols=n_cols,
            cmap=cmap,
        )
