"""Image grids: rows of a data matrix drawn as images, for the displays that show decoded rows."""

import math

import numpy as np

from ._utils import _new_axes


def _image_shape_of(estimator, image_shape=None):
    """``image_shape`` if given, else the estimator's ``image_shape`` parameter (a convolutional autoencoder's)."""
    if image_shape is not None:
        return image_shape
    try:
        return estimator.get_params().get("image_shape")
    except AttributeError:
        return None


def _check_image_shape(image_shape, n_features):
    """``image_shape`` as a tuple of ints that holds ``n_features`` values and can be drawn, or None."""
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


def _check_grid(images, image_shape):
    """``images`` as a float64 array (n_rows, n_cols, n_features) and ``image_shape`` checked against it."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3 or min(images.shape) == 0:
        raise ValueError(f"images must be a non-empty array (n_rows, n_cols, n_features), got shape {images.shape}.")
    return images, _check_image_shape(image_shape, images.shape[-1])


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
            canvas[i * (h + pad) : i * (h + pad) + h, j * (w + pad) : j * (w + pad) + w] = _as_image(
                images[i, j], shape
            )
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
    aspect = "auto" if shape[-2] == 1 else "equal"
    if canvas.ndim == 3:  # RGB: scale to [0, 1] by hand, gaps transparent
        span = (vmax - vmin) or 1.0
        rgb = np.clip((canvas - vmin) / span, 0, 1)
        alpha = np.isfinite(canvas).all(axis=2, keepdims=True).astype(float)
        canvas = np.concatenate([np.nan_to_num(rgb), alpha], axis=2)
        image = ax.imshow(canvas, interpolation="nearest", aspect=aspect)
    else:
        image = ax.imshow(
            np.ma.masked_invalid(canvas), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest", aspect=aspect
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
    """A figure size in inches for a grid of ``n_rows`` x ``n_cols`` images of ``shape``."""
    if shape is None:
        return (8, max(2.0, 0.3 * n_rows + 1))
    h, w = shape[-2:]
    cell = 0.9 if max(h, w) <= 32 else 1.2
    return (min(label_width + n_cols * cell * w / max(h, w), 16), min(0.6 + n_rows * cell * h / max(h, w), 16))


class _ImageGridDisplayMixin:
    """Plotting shared by the displays drawn as a grid of rows; they store ``image_shape``."""

    def _plot_grid(self, ax, images, *, row_labels=None, col_labels=None, cmap="gray", vmin=None, vmax=None):
        """Draw ``images`` (n_rows, n_cols, n_features) and set ``image_``, ``figure_`` and ``ax_``."""
        n_rows, n_cols = np.shape(images)[:2]
        fig, ax = _new_axes(ax, figsize=_grid_figsize(n_rows, n_cols, self.image_shape))
        self.image_ = _draw_grid(
            ax, images, self.image_shape, row_labels=row_labels, col_labels=col_labels, cmap=cmap, vmin=vmin, vmax=vmax
        )
        self.figure_, self.ax_ = fig, ax
        return self
