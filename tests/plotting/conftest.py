"""Fixtures shared by the tests of sklearn_ae.plotting.

The displays' tests compare what is drawn with what the estimators compute.
"""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer

try:
    import matplotlib
except ImportError:  # matplotlib is optional (the plot extra): nothing here can run without it
    collect_ignore_glob = ["test_*.py"]
else:
    matplotlib.use("Agg")


def _make_ae(n_components, **params):
    params = {"hidden_layer_sizes": (32,), "max_epochs": 3, "random_state": 0, **params}
    return AutoencoderTransformer(n_components, **params)


def _make_detector():
    """The one place the tests build an AutoencoderOutlierDetector."""
    member = AutoencoderTransformer(hidden_layer_sizes=(32,), scaling="standard", max_epochs=3)
    return AutoencoderOutlierDetector(member, random_state=0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="session")
def digits_xy():
    """400 digits and their labels."""
    X, y = load_digits(return_X_y=True)
    return X[:400], y[:400]


@pytest.fixture(scope="session")
def make_ae():
    """A factory of small unfitted AutoencoderTransformers: ``make_ae(n_components, **params)``."""
    return _make_ae


@pytest.fixture(scope="session")
def fitted(digits_xy):
    """Transformers fitted on the digits: PCA with 4 components and autoencoders with 4, 2 and 3 codes."""
    X, _ = digits_xy
    return {"pca": PCA(4).fit(X), "ae": _make_ae(4).fit(X), "ae2": _make_ae(2).fit(X), "ae3": _make_ae(3).fit(X)}


@pytest.fixture(scope="session")
def vae(digits_xy):
    X, _ = digits_xy
    return VAETransformer(3, hidden_layer_sizes=(32,), max_epochs=3, random_state=0).fit(X)


@pytest.fixture(scope="session")
def outlier_data():
    """300 normal rows then 15 uniform ones in 5 features; labels 1 for the outliers."""
    rng = np.random.RandomState(0)
    inliers = rng.normal(size=(300, 5))
    outliers = rng.uniform(-6, 6, size=(15, 5))
    return np.vstack([inliers, outliers]), np.r_[np.zeros(300, int), np.ones(15, int)]


@pytest.fixture(scope="session")
def detector(outlier_data):
    """An AutoencoderOutlierDetector fitted on ``outlier_data``."""
    X, _ = outlier_data
    return _make_detector().fit(X)


@pytest.fixture(scope="session")
def cell():
    """``cell(canvas, i, j, h, w)``: the image in row i, column j of a grid drawn with 1-pixel gaps."""

    def _cell(canvas, i, j, h, w, pad=1):
        return canvas[i * (h + pad) : i * (h + pad) + h, j * (w + pad) : j * (w + pad) + w]

    return _cell


@pytest.fixture(scope="session")
def reconstruct():
    """``reconstruct(est, X)``: ``est.inverse_transform(est.transform(X))``."""
    return lambda est, X: est.inverse_transform(est.transform(X))
