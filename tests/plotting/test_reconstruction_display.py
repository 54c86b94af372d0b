"""ReconstructionDisplay draws the originals and each estimator's reconstruction of them."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest

from sklearn_ae.plotting import ReconstructionDisplay


def test_reconstruction_image_grid_holds_originals_and_each_models_output(digits_xy, fitted, cell, reconstruct):
    X, _ = digits_xy
    idx = [3, 5, 7, 11]
    pca, ae = fitted["pca"], fitted["ae"]
    disp = ReconstructionDisplay.from_estimator([pca, ae], X, indices=idx, image_shape=(8, 8))
    canvas = disp.image_.get_array()
    assert canvas.shape == (3 * 8 + 2, 4 * 8 + 3)
    expected = [X[idx], reconstruct(pca, X[idx]), reconstruct(ae, X[idx])]
    for i, rows in enumerate(expected):
        for j in range(len(idx)):
            np.testing.assert_allclose(cell(canvas, i, j, 8, 8), rows[j].reshape(8, 8), rtol=1e-6, atol=1e-6)
    # gaps between cells are masked, not drawn as data
    assert canvas.mask[8, :].all() and canvas.mask[:, 8].all()
    labels = [t.get_text() for t in disp.ax_.get_yticklabels()]
    assert labels[0] == "original"
    assert labels[1].startswith("PCA") and labels[2].startswith("AutoencoderTransformer")
    np.testing.assert_allclose(disp.errors, [np.mean((r - X[idx]) ** 2) for r in expected[1:]])
    assert f"{disp.errors[0]:.3g}" in labels[1]
    # one colour scale, the originals' range
    assert disp.image_.get_clim() == (X[idx].min(), X[idx].max())
    assert disp.figure_ is disp.ax_.figure


def test_reconstruction_on_given_axes_and_default_rows(digits_xy, fitted):
    X, _ = digits_xy
    fig, ax = plt.subplots()
    disp = ReconstructionDisplay.from_estimator(fitted["pca"], X, image_shape=(8, 8), ax=ax)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert disp.names == ["PCA"]
    assert disp.originals.shape == (10, 64)  # ten images by default
    np.testing.assert_array_equal(disp.originals, X[:10])


def test_reconstruction_per_feature_view(digits_xy, fitted, reconstruct):
    X, _ = digits_xy
    ae = fitted["ae"]
    disp = ReconstructionDisplay.from_estimator([fitted["pca"], ae], X, n_samples=2)
    assert disp.image_ is None
    assert len(disp.ax_) == 2 and disp.lines_.shape == (2, 3)
    rec = reconstruct(ae, X[:2])
    for i in range(2):
        np.testing.assert_allclose(disp.lines_[i, 0].get_ydata(), X[i])
        np.testing.assert_allclose(disp.lines_[i, 2].get_ydata(), rec[i], rtol=1e-6)
    with pytest.raises(ValueError, match="one Axes per row"):
        ReconstructionDisplay.from_estimator(ae, X, n_samples=2, ax=plt.subplots()[1])


def test_reconstruction_duplicate_names_and_pipeline(digits_xy):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, _ = digits_xy
    a, b = PCA(2).fit(X), PCA(6).fit(X)
    pipe = make_pipeline(StandardScaler(), PCA(3)).fit(X)
    disp = ReconstructionDisplay.from_estimator([a, b, pipe], X, n_samples=3, image_shape=(8, 8))
    assert disp.names == ["PCA #1", "PCA #2", "PCA #3"]
    assert disp.errors[1] < disp.errors[0]  # six components reconstruct better than two


def test_reconstruction_rgb_and_bad_image_shape():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(20, 3 * 4 * 5))
    pca = PCA(3).fit(X)
    disp = ReconstructionDisplay.from_estimator(pca, X, n_samples=2, image_shape=(3, 4, 5))
    rgba = disp.image_.get_array()
    assert rgba.shape == (2 * 4 + 1, 2 * 5 + 1, 4)
    # channel-first rows become channel-last pixels, scaled to the originals' range
    lo, hi = X[:2].min(), X[:2].max()
    np.testing.assert_allclose(rgba[:4, :5, :3], np.moveaxis(X[0].reshape(3, 4, 5), 0, -1).__sub__(lo) / (hi - lo))
    assert (rgba[4, :, 3] == 0).all()  # the gap is transparent
    with pytest.raises(ValueError, match="holds 12 values"):
        ReconstructionDisplay.from_estimator(pca, X, image_shape=(3, 4))
    with pytest.raises(ValueError, match="4 channels"):
        ReconstructionDisplay.from_estimator(PCA(2).fit(X[:, :48]), X[:, :48], image_shape=(4, 3, 4))


def test_reconstruction_needs_inverse_transform(digits_xy):
    X, _ = digits_xy
    forest = IsolationForest(random_state=0).fit(X)
    with pytest.raises(TypeError, match="inverse_transform"):
        ReconstructionDisplay.from_estimator(forest, X)


# ------------------------------------------------------- from_reconstructions
def test_from_reconstructions_draws_the_given_arrays(digits_xy, fitted, cell, reconstruct):
    X, _ = digits_xy
    pca = fitted["pca"]
    rec = reconstruct(pca, X[:3])
    disp = ReconstructionDisplay.from_reconstructions(X[:3], rec, image_shape=[8, 8])  # one 2-D array
    assert len(disp.reconstructions) == 1 and disp.image_shape == (8, 8)
    assert disp.names is None
    assert [t.get_text() for t in disp.ax_.get_yticklabels()][1].startswith("model 0")
    canvas = disp.image_.get_array()
    for j in range(3):
        np.testing.assert_allclose(cell(canvas, 1, j, 8, 8), rec[j].reshape(8, 8))
    np.testing.assert_allclose(disp.errors, [np.mean((rec - X[:3]) ** 2)])
    # from_estimator is from_reconstructions on the estimator's reconstructions
    by_estimator = ReconstructionDisplay.from_estimator(pca, X, n_samples=3, image_shape=(8, 8))
    np.testing.assert_allclose(by_estimator.image_.get_array(), canvas)


def test_from_reconstructions_validates(digits_xy):
    X, _ = digits_xy
    with pytest.raises(ValueError, match="originals' shape"):
        ReconstructionDisplay.from_reconstructions(X[:3], [X[:2]])
    with pytest.raises(ValueError, match="2 names for 1 reconstructions"):
        ReconstructionDisplay.from_reconstructions(X[:3], [X[:3]], names=["a", "b"])
    with pytest.raises(ValueError, match="3 feature names for 64 features"):
        ReconstructionDisplay.from_reconstructions(X[:3], [X[:3]], feature_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="holds 16 values"):
        ReconstructionDisplay.from_reconstructions(X[:3], [X[:3]], image_shape=(4, 4))
    with pytest.raises(ValueError, match="at least one reconstruction"):
        ReconstructionDisplay.from_reconstructions(X[:3], [])


def test_from_reconstructions_per_feature_view_with_feature_names():
    X = np.arange(12.0).reshape(3, 4)
    disp = ReconstructionDisplay.from_reconstructions(X, [X + 1, X], names=["shifted", "exact"], feature_names="abcd")
    np.testing.assert_array_equal(disp.errors, [1.0, 0.0])
    np.testing.assert_array_equal(disp.lines_[2, 1].get_ydata(), X[2] + 1)
    assert [t.get_text() for t in disp.ax_[-1].get_xticklabels()] == list("abcd")
    assert disp.lines_[0, 1].get_label() == "shifted, MSE 1"
