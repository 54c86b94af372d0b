"""The Display objects of sklearn_ae.plotting draw what the estimators compute."""

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402

import sklearn_ae  # noqa: E402
from sklearn_ae import AutoencoderTransformer  # noqa: E402
from sklearn_ae.plotting import (  # noqa: E402
    FeatureErrorDisplay,
    LatentInterpolationDisplay,
    LatentSpaceDisplay,
    LatentTraversalDisplay,
    LossCurveDisplay,
    OutlierScoreDisplay,
    ReconstructionDisplay,
    SampleGridDisplay,
)

VAETransformer = getattr(sklearn_ae, "VAETransformer", None)
AutoencoderOutlierDetector = getattr(sklearn_ae, "AutoencoderOutlierDetector", None)
needs_vae = pytest.mark.skipif(VAETransformer is None, reason="VAETransformer is not in sklearn_ae yet")
needs_detector = pytest.mark.skipif(
    AutoencoderOutlierDetector is None, reason="AutoencoderOutlierDetector is not in sklearn_ae yet"
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400], y[:400]


def _ae(n_components, **params):
    params = {"hidden_layer_sizes": (32,), "max_epochs": 3, "random_state": 0, **params}
    return AutoencoderTransformer(n_components, **params)


@pytest.fixture(scope="module")
def fitted(digits):
    X, _ = digits
    return {
        "pca": PCA(4).fit(X),
        "ae": _ae(4).fit(X),
        "ae2": _ae(2).fit(X),
        "ae3": _ae(3).fit(X),
    }


@pytest.fixture(scope="module")
def vae(digits):
    if VAETransformer is None:
        pytest.skip("VAETransformer is not in sklearn_ae yet")
    X, _ = digits
    return VAETransformer(3, hidden_layer_sizes=(32,), max_epochs=3, random_state=0).fit(X)


def _cell(canvas, i, j, h, w, pad=1):
    return canvas[i * (h + pad) : i * (h + pad) + h, j * (w + pad) : j * (w + pad) + w]


def _rec(est, X):
    return est.inverse_transform(est.transform(X))


# ------------------------------------------------------------ reconstructions
def test_reconstruction_image_grid_holds_originals_and_each_models_output(digits, fitted):
    X, _ = digits
    idx = [3, 5, 7, 11]
    pca, ae = fitted["pca"], fitted["ae"]
    disp = ReconstructionDisplay.from_estimator([pca, ae], X, indices=idx, image_shape=(8, 8))
    canvas = disp.image_.get_array()
    assert canvas.shape == (3 * 8 + 2, 4 * 8 + 3)
    expected = [X[idx], _rec(pca, X[idx]), _rec(ae, X[idx])]
    for i, rows in enumerate(expected):
        for j in range(len(idx)):
            np.testing.assert_allclose(_cell(canvas, i, j, 8, 8), rows[j].reshape(8, 8), rtol=1e-6, atol=1e-6)
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


def test_reconstruction_on_given_axes_and_default_rows(digits, fitted):
    X, _ = digits
    fig, ax = plt.subplots()
    disp = ReconstructionDisplay.from_estimator(fitted["pca"], X, image_shape=(8, 8), ax=ax)
    assert disp.ax_ is ax and disp.figure_ is fig
    assert disp.names == ["PCA"]
    assert disp.originals.shape == (10, 64)  # ten images by default
    np.testing.assert_array_equal(disp.originals, X[:10])


def test_reconstruction_per_feature_view(digits, fitted):
    X, _ = digits
    ae = fitted["ae"]
    disp = ReconstructionDisplay.from_estimator([fitted["pca"], ae], X, n_samples=2)
    assert disp.image_ is None
    assert len(disp.ax_) == 2 and disp.lines_.shape == (2, 3)
    rec = _rec(ae, X[:2])
    for i in range(2):
        np.testing.assert_allclose(disp.lines_[i, 0].get_ydata(), X[i])
        np.testing.assert_allclose(disp.lines_[i, 2].get_ydata(), rec[i], rtol=1e-6)
    with pytest.raises(ValueError, match="one Axes per row"):
        ReconstructionDisplay.from_estimator(ae, X, n_samples=2, ax=plt.subplots()[1])


def test_reconstruction_duplicate_names_and_pipeline(digits):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, _ = digits
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


def test_reconstruction_needs_inverse_transform(digits):
    X, _ = digits
    forest = IsolationForest(random_state=0).fit(X)
    with pytest.raises(TypeError, match="inverse_transform"):
        ReconstructionDisplay.from_estimator(forest, X)


# ------------------------------------------------------------- latent space
def test_latent_space_2d_codes_are_drawn_as_is(digits, fitted):
    X, y = digits
    ae = fitted["ae2"]
    disp = LatentSpaceDisplay.from_estimator(ae, X, y)
    np.testing.assert_allclose(disp.scatter_.get_offsets(), ae.transform(X), rtol=1e-6)
    assert disp.projection is None
    assert disp.ax_.get_xlabel() == "code 0" and disp.ax_.get_ylabel() == "code 1"
    legend = disp.ax_.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [str(c) for c in np.unique(y)]
    # every point gets its class's colour
    disp.figure_.canvas.draw()
    colours = disp.scatter_.get_facecolors()
    for c in np.unique(y):
        assert len(np.unique(colours[y == c], axis=0)) == 1
    assert len(np.unique(colours, axis=0)) == len(np.unique(y))


def test_latent_space_wide_codes_are_projected_and_say_so(digits, fitted):
    X, y = digits
    ae = fitted["ae"]
    disp = LatentSpaceDisplay.from_estimator(ae, X, y)
    expected = PCA(2).fit_transform(ae.transform(X))
    np.testing.assert_allclose(disp.scatter_.get_offsets(), expected, rtol=1e-5, atol=1e-6)
    assert disp.n_codes == 4 and disp.projection == "PCA"
    assert "projected to 2-D by PCA" in disp.ax_.get_title()
    assert "4 codes" in disp.ax_.get_xlabel()


def test_latent_space_3d_and_other_projection(digits, fitted):
    from sklearn.decomposition import FastICA

    X, y = digits
    ae3 = fitted["ae3"]
    disp = LatentSpaceDisplay.from_estimator(ae3, X, y)
    assert disp.ax_.name == "3d"
    xs, ys, zs = disp.scatter_._offsets3d
    np.testing.assert_allclose(np.column_stack([xs, ys, zs]), ae3.transform(X), rtol=1e-6)
    assert disp.ax_.get_zlabel() == "code 2"
    ica = FastICA(random_state=0, max_iter=500)
    disp = LatentSpaceDisplay.from_estimator(fitted["ae"], X, n_dims=3, projection=ica)
    assert disp.projection == "FastICA" and disp.ax_.name == "3d"
    with pytest.raises(ValueError, match="only 2 codes"):
        LatentSpaceDisplay.from_estimator(fitted["ae2"], X, n_dims=3)


def test_latent_space_continuous_y_gets_colourbar_and_pca_accepted(digits):
    X, y = digits
    pca = PCA(2).fit(X)
    target = X[:, 20]  # a continuous value
    disp = LatentSpaceDisplay.from_estimator(pca, X, target)
    assert len(disp.figure_.axes) == 2  # the plot and its colour bar
    np.testing.assert_allclose(disp.scatter_.get_array(), target)
    np.testing.assert_allclose(disp.scatter_.get_offsets(), pca.transform(X))


def test_latent_space_1d_codes_are_a_strip_per_class(digits):
    X, y = digits
    pca = PCA(1).fit(X)
    disp = LatentSpaceDisplay.from_estimator(pca, X, y)
    offsets = disp.scatter_.get_offsets()
    np.testing.assert_allclose(offsets[:, 0], pca.transform(X)[:, 0])
    # each class in its own lane around its index
    np.testing.assert_array_equal(np.round(offsets[:, 1]), np.searchsorted(np.unique(y), y))
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == [str(c) for c in np.unique(y)]


# --------------------------------------------------------------- loss curves
def test_loss_curve_matches_history(digits):
    X, _ = digits
    ae = _ae(2, max_epochs=6, n_iter_no_change=2).fit(X)
    disp = LossCurveDisplay.from_estimator(ae)
    np.testing.assert_allclose(disp.lines_["train_loss"].get_ydata(), ae.loss_curve_)
    np.testing.assert_allclose(disp.lines_["valid_loss"].get_ydata(), ae.validation_loss_curve_)
    np.testing.assert_array_equal(disp.lines_["train_loss"].get_xdata(), np.arange(1, ae.n_iter_ + 1))
    best = int(np.argmin(ae.validation_loss_curve_)) + 1
    assert disp.best_epoch == best
    assert disp.best_line_.get_xdata()[0] == best
    assert disp.lines_["valid_loss"].get_linestyle() == "--"
    assert disp.ax_.get_xlabel() == "epoch"


def test_loss_curve_without_validation_and_errors(digits, fitted):
    X, _ = digits
    ae = _ae(2, max_epochs=3, early_stopping=False).fit(X)
    disp = LossCurveDisplay.from_estimator(ae, log_scale=True)
    assert list(disp.lines_) == ["train_loss"] and disp.best_line_ is None
    assert disp.ax_.get_yscale() == "log"
    with pytest.raises(TypeError, match="no training history"):
        LossCurveDisplay.from_estimator(fitted["pca"])


@needs_vae
def test_loss_curve_shows_vae_parts(vae):
    disp = LossCurveDisplay.from_estimator(vae)
    history = vae.net_.history
    for key in ("train_loss", "valid_loss", "train_reconstruction", "train_kl", "valid_kl"):
        assert key in disp.lines_, key
        np.testing.assert_allclose(disp.lines_[key].get_ydata(), history[:, key])
    # the parts are thinner lines in their own colours
    assert disp.lines_["train_kl"].get_color() != disp.lines_["train_loss"].get_color()
    assert disp.lines_["train_kl"].get_color() == disp.lines_["valid_kl"].get_color()
    only_total = LossCurveDisplay.from_estimator(vae, parts=False)
    assert set(only_total.lines_) == {"train_loss", "valid_loss"}


# ------------------------------------------------------- generative displays
@needs_vae
def test_sample_grid_shows_the_models_samples(vae):
    disp = SampleGridDisplay.from_estimator(vae, n_samples=6, image_shape=(8, 8), random_state=1)
    canvas = disp.image_.get_array()
    samples = vae.sample(6, random_state=1)
    assert canvas.shape == (2 * 8 + 1, 3 * 8 + 2)  # 6 samples on a 2 x 3 grid
    for k in range(6):
        np.testing.assert_allclose(_cell(canvas, k // 3, k % 3, 8, 8), samples[k].reshape(8, 8), rtol=1e-6)
    assert "VAETransformer" in disp.ax_.get_title()


def test_sample_grid_of_gaussian_mixture_fills_empty_cells(digits):
    X, _ = digits
    gmm = GaussianMixture(2, random_state=0).fit(X)
    disp = SampleGridDisplay.from_estimator(gmm, n_samples=5, image_shape=(8, 8), n_cols=3)
    canvas = disp.image_.get_array()
    assert canvas.shape == (2 * 8 + 1, 3 * 8 + 2)
    assert canvas.mask[9:, 18:].all()  # the sixth cell is empty
    heat = SampleGridDisplay.from_estimator(gmm, n_samples=4)  # no image shape: a heat map
    assert heat.image_.get_array().shape == (4, 64)
    with pytest.raises(TypeError, match="no sample method"):
        SampleGridDisplay.from_estimator(PCA(2).fit(X))


def test_latent_traversal_decodes_each_dimension_by_hand(digits):
    X, _ = digits
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
            np.testing.assert_allclose(_cell(canvas, i, j, 8, 8), pca.inverse_transform(z[None])[0].reshape(8, 8))
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["code 0", "code 2"]
    assert [t.get_text() for t in disp.ax_.get_xticklabels()][0] == "-2.0σ"
    with pytest.raises(ValueError, match="Pass X"):
        LatentTraversalDisplay.from_estimator(pca)


def test_latent_traversal_of_autoencoder_uses_training_code_statistics(fitted):
    ae = fitted["ae2"]
    disp = LatentTraversalDisplay.from_estimator(ae, n_steps=3, span=1.0, image_shape=(8, 8))
    z = ae.code_mean_.copy()
    z[1] += np.sqrt(ae.code_covariance_[1, 1])
    np.testing.assert_allclose(disp.images[1, 2], ae.inverse_transform(z[None])[0], rtol=1e-5, atol=1e-6)


@needs_vae
def test_latent_traversal_of_vae_walks_the_prior(vae):
    disp = LatentTraversalDisplay.from_estimator(vae, n_steps=3, span=1.0, image_shape=(8, 8))
    assert disp.images.shape == (3, 3, 64)
    z = np.zeros((1, vae.n_components_))
    z[0, 2] = -1.0
    np.testing.assert_allclose(disp.images[2, 0], vae.inverse_transform(z)[0], rtol=1e-5, atol=1e-6)


def test_latent_interpolation_ends_at_the_originals(digits, fitted):
    X, _ = digits
    ae = fitted["ae"]
    disp = LatentInterpolationDisplay.from_estimator(ae, X[:2], X[2:4], n_steps=4, image_shape=(8, 8))
    assert disp.images.shape == (2, 6, 64)
    np.testing.assert_array_equal(disp.images[:, 0], X[:2])
    np.testing.assert_array_equal(disp.images[:, -1], X[2:4])
    np.testing.assert_allclose(disp.images[:, 1], _rec(ae, X[:2]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(disp.images[:, 4], _rec(ae, X[2:4]), rtol=1e-5, atol=1e-6)
    mid = ae.inverse_transform((ae.transform(X[:2]) * 2 + ae.transform(X[2:4])) / 3)
    np.testing.assert_allclose(disp.images[:, 2], mid, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ outliers
def _outlier_data():
    rng = np.random.RandomState(0)
    inliers = rng.normal(size=(300, 5))
    outliers = rng.uniform(-6, 6, size=(15, 5))
    X = np.vstack([inliers, outliers])
    return X, np.r_[np.zeros(300, int), np.ones(15, int)]


def test_outlier_scores_histogram_and_threshold():
    X, y = _outlier_data()
    forest = IsolationForest(contamination=0.05, random_state=0).fit(X)
    disp = OutlierScoreDisplay.from_estimator(forest, X, y)
    assert disp.threshold_line_.get_xdata()[0] == forest.offset_
    assert disp.n_flagged == int((forest.predict(X) == -1).sum())
    counts = {k: sum(p.get_height() for p in bars) for k, bars in disp.hist_.items()}
    assert counts == {"inliers": 300, "outliers": 15}
    np.testing.assert_allclose(disp.scores, forest.score_samples(X))
    # sklearn's -1/+1 labels mean the same split
    disp2 = OutlierScoreDisplay.from_estimator(forest, X, np.where(y == 1, -1, 1))
    np.testing.assert_array_equal(disp2.is_outlier, y == 1)
    with pytest.raises(ValueError, match="outlier_label"):
        OutlierScoreDisplay.from_estimator(forest, X, y + 5)


def test_feature_errors_of_pca_and_default_rows():
    X, _ = _outlier_data()
    pca = PCA(2).fit(X[:300])
    X[7, 3] = 40.0  # one inlier broken in one feature
    disp = FeatureErrorDisplay.from_estimator(pca, X, indices=[7, 0], max_features=3)
    err = (X[[7, 0]] - _rec(pca, X[[7, 0]])) ** 2
    np.testing.assert_array_equal(disp.features_shown, np.argsort(-err.max(axis=0))[:3])
    for i in range(2):
        np.testing.assert_allclose([b.get_height() for b in disp.bars_[i]], err[i, disp.features_shown])
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == [f"x{j}" for j in disp.features_shown]
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == ["row 7", "row 0"]


@needs_detector
def test_outlier_displays_with_autoencoder_detector():
    X, y = _outlier_data()
    det = AutoencoderOutlierDetector(max_epochs=3, random_state=0).fit(X)
    disp = OutlierScoreDisplay.from_estimator(det, X, y)
    assert disp.threshold_line_.get_xdata()[0] == det.offset_
    assert disp.n_flagged == int((det.predict(X) == -1).sum())
    feat = FeatureErrorDisplay.from_estimator(det, X, n_rows=2)
    worst = np.argsort(det.score_samples(X), kind="stable")[:2]
    assert [t.get_text() for t in feat.ax_.get_legend().get_texts()] == [f"row {i}" for i in worst]
    errors = det.feature_errors(X[worst])
    for i in range(2):
        np.testing.assert_allclose([b.get_height() for b in feat.bars_[i]], errors[i, feat.features_shown])


# ------------------------------------------------------ matplotlib optional
def test_missing_matplotlib_names_the_plot_extra(monkeypatch, fitted, digits):
    X, _ = digits
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"sklearn-ae\[plot\]"):
        ReconstructionDisplay.from_estimator(fitted["pca"], X)
    # building a display from arrays needs no matplotlib
    disp = ReconstructionDisplay(X[:2], [X[:2]])
    assert disp.errors[0] == 0
