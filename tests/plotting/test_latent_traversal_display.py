"""LatentTraversalDisplay decodes walks along each code dimension."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from sklearn_ae.plotting import LatentTraversalDisplay


def test_latent_traversal_decodes_each_dimension_by_hand(digits_xy, cell):
    X, _ = digits_xy
    pca = PCA(3).fit(X)
    disp = LatentTraversalDisplay.from_estimator(pca, X, dims=[0, 2], n_steps=5, span=2.0, image_shape=(8, 8))
    codes = pca.transform(X)
    centre, scale = codes.mean(axis=0), codes.std(axis=0)
    canvas = disp.image_.get_array()
    assert canvas.shape == (2 * 8 + 1, 5 * 8 + 4)
    for i, d in enumerate([0, 2]):
        for j, v in enumerate(np.linspace(-2, 2, 5)):
            z = centre.copy()
            z[d] += v * scale[d]
            np.testing.assert_allclose(cell(canvas, i, j, 8, 8), pca.inverse_transform(z[None])[0].reshape(8, 8))
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["code 0", "code 2"]
    assert [t.get_text() for t in disp.ax_.get_xticklabels()][0] == "-2.0σ"
    with pytest.raises(ValueError, match="Pass X"):
        LatentTraversalDisplay.from_estimator(pca)
    with pytest.raises(ValueError, match="dims must be code dimensions"):
        LatentTraversalDisplay.from_estimator(pca, X, dims=[3])


def test_latent_traversal_of_autoencoder_uses_training_code_statistics(fitted):
    ae = fitted["ae2"]
    disp = LatentTraversalDisplay.from_estimator(ae, n_steps=3, span=1.0, image_shape=(8, 8))
    z = ae.code_mean_.copy()
    z[1] += np.sqrt(ae.code_covariance_[1, 1])
    np.testing.assert_allclose(disp.images[1, 2], ae.inverse_transform(z[None])[0], rtol=1e-5, atol=1e-6)


def test_latent_traversal_of_vae_walks_the_prior(vae):
    disp = LatentTraversalDisplay.from_estimator(vae, n_steps=3, span=1.0, image_shape=(8, 8))
    assert disp.images.shape == (3, 3, 64)
    z = np.zeros((1, vae.n_components_))
    z[0, 2] = -1.0
    np.testing.assert_allclose(disp.images[2, 0], vae.inverse_transform(z)[0], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- from_images
def test_from_images_draws_the_given_grid(cell):
    images = np.random.RandomState(0).uniform(size=(2, 3, 16))
    disp = LatentTraversalDisplay.from_images(images, values=[-1, 0, 1], dims=[4, 7], image_shape=(4, 4), name="m")
    canvas = disp.image_.get_array()
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(cell(canvas, i, j, 4, 4), images[i, j].reshape(4, 4))
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["code 4", "code 7"]
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["-1.0σ", "+0.0σ", "+1.0σ"]
    assert disp.ax_.get_title() == "m: latent traversal"


def test_from_images_validates():
    images = np.zeros((2, 3, 16))
    with pytest.raises(ValueError, match="need 2 dims and 3 values"):
        LatentTraversalDisplay.from_images(images, values=[0, 1], dims=[0, 1])
    with pytest.raises(ValueError, match="need 2 dims and 3 values"):
        LatentTraversalDisplay.from_images(images, values=[0, 1, 2], dims=[0])
    with pytest.raises(ValueError, match="holds 9 values"):
        LatentTraversalDisplay.from_images(images, values=[0, 1, 2], dims=[0, 1], image_shape=(3, 3))
    with pytest.raises(ValueError, match=r"\(n_rows, n_cols, n_features\)"):
        LatentTraversalDisplay.from_images(images[0], values=[0, 1, 2], dims=[0, 1])
