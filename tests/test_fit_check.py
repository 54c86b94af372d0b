"""The end-of-fit check against PCA: a recipe that did not train warns, the defaults do not."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderTransformer
from sklearn_ae._fitcheck import check_fit
from sklearn_ae.exceptions import PCAWorseWarning

# A recipe of the seed tutorials that cannot beat PCA in a few epochs: a sigmoid network from a random
# start, plain SGD at lr 0.01 (benchmarks/results_seeds.md).
SIGMOID_SGD = {"activation": "sigmoid", "init": "random", "optimizer": "sgd", "lr": 0.01}


@pytest.fixture(scope="module")
def X():
    X, _ = load_digits(return_X_y=True)
    return X[:600] / 16.0


def _fit(X, **params):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = AutoencoderTransformer(**{"n_components": 4, "max_epochs": 5, "random_state": 0, **params}).fit(X)
    return est, [w for w in caught if issubclass(w.category, PCAWorseWarning)]


def test_untrained_sigmoid_sgd_recipe_warns(X):
    est, caught = _fit(X, **SIGMOID_SGD)
    assert len(caught) == 1
    assert "worse than PCA" in str(caught[0].message)
    # the model is still fitted and usable
    assert est.transform(X).shape == (len(X), 4)


def test_defaults_do_not_warn(X):
    est, caught = _fit(X)
    assert caught == []
    assert check_fit(est, X) < 1.0


def test_pca_start_does_not_warn(X):
    """With max_epochs=0 the default network is PCA: equal, not worse."""
    est, caught = _fit(X, max_epochs=0)
    assert caught == []
    assert check_fit(est, X) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("params", [{}, SIGMOID_SGD])
def test_ratio_is_training_mse_over_pca(X, params):
    """The check's ratio is the training MSE over scikit-learn PCA's (global scaling: units cancel)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PCAWorseWarning)
        est = AutoencoderTransformer(4, max_epochs=3, random_state=0, **params).fit(X)
        ratio = check_fit(est, X)
    pca = PCA(4).fit(X)
    ae_mse = np.mean((est.inverse_transform(est.transform(X)) - X) ** 2)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2)
    assert ratio == pytest.approx(ae_mse / pca_mse, rel=1e-4)


def test_no_check_when_pca_is_exact():
    """With as many components as features PCA reconstructs exactly: nothing to compare with."""
    X = np.random.default_rng(0).normal(size=(50, 3))
    est = AutoencoderTransformer(3, max_epochs=2, random_state=0).fit(X)
    assert check_fit(est, X) is None


def test_denoiser_worse_than_pca_is_told_about_its_noise(X):
    """Heavy masking noise makes the clean reconstruction worse than PCA's: the warning names the noise."""
    _, caught = _fit(X, n_components=8, noise="masking", noise_level=0.8)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "noise='masking', noise_level=0.8" in message and "worse than PCA" in message


def test_sparse_input_gives_the_dense_ratio(X):
    est = AutoencoderTransformer(4, max_epochs=2, random_state=0).fit(X)
    assert check_fit(est, sp.csr_matrix(X)) == pytest.approx(check_fit(est, X), rel=1e-6)


def test_partial_fit_chunks_do_not_warn(X):
    # one epoch on a chunk is not a finished fit: the same untrained recipe warns after fit, not after partial_fit
    with warnings.catch_warnings():
        warnings.simplefilter("error", PCAWorseWarning)
        est = AutoencoderTransformer(4, random_state=0, **SIGMOID_SGD)
        for chunk in np.array_split(X, 3):
            est.partial_fit(chunk)
    assert est.n_samples_seen_ == len(X)
    assert check_fit(est, X) > 1.0  # the model is worse than PCA: the check itself would say so


def test_fit_passes_the_check_what_it_would_compute(X, monkeypatch):
    # fit hands the check its squared errors and PCA start (no second pass): the ratio is the one computed afresh
    # (fit's errors come from its float32 pass, summed in float64; afresh they are computed in float64)
    import sklearn_ae._transformer as transformer

    seen = []
    monkeypatch.setattr(transformer, "check_fit", lambda est, X_, *args: seen.append(check_fit(est, X_, *args)))
    est = AutoencoderTransformer(4, max_epochs=3, random_state=0).fit(X)
    assert seen[0] == pytest.approx(check_fit(est, X), rel=1e-6)
