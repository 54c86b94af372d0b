"""SampleGridDisplay draws the rows a generative model samples."""

import copy

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture

from sklearn_ae.plotting import SampleGridDisplay


def test_sample_grid_shows_the_models_samples(vae, cell):
    disp = SampleGridDisplay.from_estimator(vae, n_samples=6, image_shape=(8, 8), random_state=1)
    canvas = disp.image_.get_array()
    samples = vae.sample(6, random_state=1)
    assert canvas.shape == (2 * 8 + 1, 3 * 8 + 2)  # 6 samples on a 2 x 3 grid
    for k in range(6):
        np.testing.assert_allclose(cell(canvas, k // 3, k % 3, 8, 8), samples[k].reshape(8, 8), rtol=1e-6)
    assert "VAETransformer" in disp.ax_.get_title()


def test_sample_grid_of_gaussian_mixture_fills_empty_cells(digits_xy):
    X, _ = digits_xy
    gmm = GaussianMixture(2, random_state=0).fit(X)
    disp = SampleGridDisplay.from_estimator(gmm, n_samples=5, image_shape=(8, 8), n_cols=3)
    canvas = disp.image_.get_array()
    assert canvas.shape == (2 * 8 + 1, 3 * 8 + 2)
    assert canvas.mask[9:, 18:].all()  # the sixth cell is empty
    heat = SampleGridDisplay.from_estimator(gmm, n_samples=4)  # no image shape: a heat map
    assert heat.image_.get_array().shape == (4, 64)
    with pytest.raises(TypeError, match="no sample method"):
        SampleGridDisplay.from_estimator(PCA(2).fit(X))


def test_sample_grid_of_gaussian_mixture_follows_random_state(digits_xy):
    X, _ = digits_xy
    gmm = GaussianMixture(2, random_state=0).fit(X)
    # without random_state the mixture draws with its own parameter, as gmm.sample does
    disp = SampleGridDisplay.from_estimator(gmm, n_samples=3)
    np.testing.assert_allclose(disp.samples, gmm.sample(3)[0])
    # with it, the mixture draws as if its random_state were that, and the estimator is left alone
    seeded = SampleGridDisplay.from_estimator(gmm, n_samples=3, random_state=5)
    np.testing.assert_allclose(seeded.samples, copy.deepcopy(gmm).set_params(random_state=5).sample(3)[0])
    assert gmm.random_state == 0
    assert not np.allclose(seeded.samples, disp.samples)


# --------------------------------------------------------------- from_samples
def test_from_samples_draws_the_rows_in_reading_order(cell):
    samples = np.random.RandomState(0).uniform(size=(5, 12))
    disp = SampleGridDisplay.from_samples(samples, image_shape=(3, 4), name="mine", n_cols=2)
    canvas = disp.image_.get_array()
    assert canvas.shape == (3 * 3 + 2, 2 * 4 + 1)
    for k in range(5):
        np.testing.assert_allclose(cell(canvas, k // 2, k % 2, 3, 4), samples[k].reshape(3, 4))
    assert canvas.mask[8:, 5:].all()  # the sixth cell is empty
    assert disp.ax_.get_title() == "samples from mine"
    heat = SampleGridDisplay.from_samples(samples)
    np.testing.assert_allclose(heat.image_.get_array(), samples)
    assert heat.ax_.get_ylabel() == "sample"


def test_from_samples_validates():
    samples = np.zeros((4, 12))
    with pytest.raises(ValueError, match="holds 16 values"):
        SampleGridDisplay.from_samples(samples, image_shape=(4, 4))
    with pytest.raises(ValueError, match="non-empty 2-D"):
        SampleGridDisplay.from_samples(np.zeros(12))
    with pytest.raises(ValueError, match="n_cols must be a positive int"):
        SampleGridDisplay.from_samples(samples, n_cols=0)
