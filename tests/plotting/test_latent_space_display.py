"""LatentSpaceDisplay draws the estimator's codes, projected when they are wider than the plot."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from sklearn_ae.plotting import LatentSpaceDisplay


def test_latent_space_2d_codes_are_drawn_as_is(digits_xy, fitted):
    X, y = digits_xy
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


def test_latent_space_wide_codes_are_projected_and_say_so(digits_xy, fitted):
    X, y = digits_xy
    ae = fitted["ae"]
    disp = LatentSpaceDisplay.from_estimator(ae, X, y)
    expected = PCA(2).fit_transform(ae.transform(X))
    np.testing.assert_allclose(disp.scatter_.get_offsets(), expected, rtol=1e-5, atol=1e-6)
    assert disp.n_codes == 4 and disp.projection == "PCA"
    assert "projected to 2-D by PCA" in disp.ax_.get_title()
    assert "4 codes" in disp.ax_.get_xlabel()


def test_latent_space_3d_and_other_projection(digits_xy, fitted):
    from sklearn.decomposition import FastICA

    X, y = digits_xy
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


def test_latent_space_continuous_y_gets_colourbar_and_pca_accepted(digits_xy):
    X, y = digits_xy
    pca = PCA(2).fit(X)
    target = X[:, 20]  # a continuous value
    disp = LatentSpaceDisplay.from_estimator(pca, X, target)
    assert len(disp.figure_.axes) == 2  # the plot and its colour bar
    np.testing.assert_allclose(disp.scatter_.get_array(), target)
    np.testing.assert_allclose(disp.scatter_.get_offsets(), pca.transform(X))


def test_latent_space_1d_codes_are_a_strip_per_class(digits_xy):
    X, y = digits_xy
    pca = PCA(1).fit(X)
    disp = LatentSpaceDisplay.from_estimator(pca, X, y)
    offsets = disp.scatter_.get_offsets()
    np.testing.assert_allclose(offsets[:, 0], pca.transform(X)[:, 0])
    # each class in its own lane around its index
    np.testing.assert_array_equal(np.round(offsets[:, 1]), np.searchsorted(np.unique(y), y))
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == [str(c) for c in np.unique(y)]


# ----------------------------------------------------------------- from_codes
def test_from_codes_projects_wide_codes_like_from_estimator(digits_xy, fitted):
    X, y = digits_xy
    ae = fitted["ae"]
    codes = ae.transform(X)
    disp = LatentSpaceDisplay.from_codes(codes, y, name="mine")
    np.testing.assert_allclose(disp.scatter_.get_offsets(), PCA(2).fit_transform(codes), rtol=1e-5, atol=1e-6)
    assert disp.axis_labels == ["PCA 1 of 4 codes", "PCA 2 of 4 codes"]
    assert disp.ax_.get_title().startswith("mine codes")
    by_estimator = LatentSpaceDisplay.from_estimator(ae, X, y)
    np.testing.assert_allclose(by_estimator.scatter_.get_offsets(), disp.scatter_.get_offsets())
    one = LatentSpaceDisplay.from_codes(codes, n_dims=1)
    np.testing.assert_allclose(one.scatter_.get_offsets()[:, 0], PCA(1).fit_transform(codes)[:, 0], atol=1e-6)


def test_from_codes_validates():
    codes = np.zeros((5, 2))
    with pytest.raises(ValueError, match="3 labels for 5 rows"):
        LatentSpaceDisplay.from_codes(codes, [0, 1, 0])
    with pytest.raises(ValueError, match="n_dims must be 1, 2 or 3"):
        LatentSpaceDisplay.from_codes(codes, n_dims=4)
    with pytest.raises(ValueError, match="only 2 codes"):
        LatentSpaceDisplay.from_codes(codes, n_dims=3)
    with pytest.raises(ValueError, match="projection must be"):
        LatentSpaceDisplay.from_codes(np.zeros((5, 4)), projection="tsne")
    with pytest.raises(ValueError, match="2-D array"):
        LatentSpaceDisplay.from_codes(np.zeros(5))
    with pytest.raises(ValueError, match="1 to 3 columns"):  # the constructor takes the plotted coordinates
        LatentSpaceDisplay(np.zeros((5, 4))).plot()
