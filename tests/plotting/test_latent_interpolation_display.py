"""LatentInterpolationDisplay decodes the line between the codes of two rows."""

import numpy as np
import pytest

from sklearn_ae.plotting import LatentInterpolationDisplay


def test_latent_interpolation_ends_at_the_originals(digits_xy, fitted, reconstruct):
    X, _ = digits_xy
    ae = fitted["ae"]
    disp = LatentInterpolationDisplay.from_estimator(ae, X[:2], X[2:4], n_steps=4, image_shape=(8, 8))
    assert disp.images.shape == (2, 6, 64)
    np.testing.assert_array_equal(disp.images[:, 0], X[:2])
    np.testing.assert_array_equal(disp.images[:, -1], X[2:4])
    np.testing.assert_allclose(disp.images[:, 1], reconstruct(ae, X[:2]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(disp.images[:, 4], reconstruct(ae, X[2:4]), rtol=1e-5, atol=1e-6)
    mid = ae.inverse_transform((ae.transform(X[:2]) * 2 + ae.transform(X[2:4])) / 3)
    np.testing.assert_allclose(disp.images[:, 2], mid, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        LatentInterpolationDisplay.from_estimator(ae, X[:2], X[2:5])


def test_latent_interpolation_of_single_rows(digits_xy, fitted):
    X, _ = digits_xy
    disp = LatentInterpolationDisplay.from_estimator(fitted["pca"], X[0], X[1], n_steps=3, image_shape=(8, 8))
    assert disp.images.shape == (1, 5, 64)
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["start", "0.00", "0.50", "1.00", "end"]


# ---------------------------------------------------------------- from_images
def test_from_images_draws_the_given_grid(cell):
    images = np.random.RandomState(0).uniform(size=(2, 4, 6))
    disp = LatentInterpolationDisplay.from_images(images, image_shape=(2, 3), name="m")
    canvas = disp.image_.get_array()
    for i in range(2):
        for j in range(4):
            np.testing.assert_allclose(cell(canvas, i, j, 2, 3), images[i, j].reshape(2, 3))
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["start", "0.00", "1.00", "end"]
    assert disp.ax_.get_title() == "m: interpolation in code space"
    heat = LatentInterpolationDisplay.from_images(images)  # without image_shape: a heat map
    assert heat.image_.get_array().shape == (2 * 1 + 1, 4 * 6 + 3)


def test_from_images_validates():
    with pytest.raises(ValueError, match="start and its end"):
        LatentInterpolationDisplay.from_images(np.zeros((2, 1, 4)))
    with pytest.raises(ValueError, match="holds 9 values"):
        LatentInterpolationDisplay.from_images(np.zeros((2, 3, 4)), image_shape=(3, 3))
