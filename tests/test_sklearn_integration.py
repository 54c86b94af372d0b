"""The estimator inside scikit-learn's tools, as PCA would be."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_ae import AutoencoderTransformer
from sklearn_ae._data import ScaledDataset
from sklearn_ae._net import BestWeights

X, y = load_digits(return_X_y=True)
X, y = X[:400], y[:400]
FAST = {"max_epochs": 5, "hidden_layer_sizes": (32,), "random_state": 0}


def test_pipeline_with_classifier_matches_manual_composition():
    pipe = make_pipeline(AutoencoderTransformer(8, **FAST), LogisticRegression(max_iter=500)).fit(X, y)
    ae = AutoencoderTransformer(8, **FAST).fit(X)
    clf = LogisticRegression(max_iter=500).fit(ae.transform(X), y)
    np.testing.assert_array_equal(pipe.predict(X), clf.predict(ae.transform(X)))


def test_clone_gives_unfitted_copy_with_same_params():
    ae = AutoencoderTransformer(4, **FAST).fit(X)
    c = clone(ae)
    assert c.get_params() == ae.get_params()
    assert not hasattr(c, "net_")


def test_cross_val_score_uses_log_likelihood():
    scores = cross_val_score(AutoencoderTransformer(4, **FAST), X, cv=3)
    manual = []
    for train, test in __import__("sklearn.model_selection", fromlist=["KFold"]).KFold(3).split(X):
        manual.append(AutoencoderTransformer(4, **FAST).fit(X[train]).score(X[test]))
    np.testing.assert_allclose(scores, manual)


def test_grid_search_chooses_between_pca_and_autoencoder_in_parallel():
    pipe = make_pipeline(PCA(2))
    grid = GridSearchCV(
        pipe,
        {"pca": [PCA(4), AutoencoderTransformer(4, max_epochs=30, hidden_layer_sizes=(64,), random_state=0)]},
        cv=3,
        n_jobs=2,
    ).fit(X)
    # Both candidates are scored by held-out log-likelihood in the same units;
    # the nonlinear model reconstructs better and must win.
    assert isinstance(grid.best_params_["pca"], AutoencoderTransformer)
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))


def test_grid_search_over_n_components_is_sequential_and_parallel_equal():
    params = {"n_components": [2, 6]}
    a = GridSearchCV(AutoencoderTransformer(**FAST), params, cv=2, n_jobs=1).fit(X)
    b = GridSearchCV(AutoencoderTransformer(**FAST), params, cv=2, n_jobs=2).fit(X)
    # n_jobs=2 fits in worker processes: the same seeds, equal up to rounding (bit identity holds only within one
    # process), as in tests/test_dask.py
    np.testing.assert_allclose(a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"], rtol=1e-5)


def test_feature_names_and_pandas_output():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X[:, :10], columns=[f"px{i}" for i in range(10)])
    ae = AutoencoderTransformer(3, **FAST).set_output(transform="pandas").fit(df)
    out = ae.transform(df)
    assert list(out.columns) == ["autoencodertransformer0", "autoencodertransformer1", "autoencodertransformer2"]
    np.testing.assert_array_equal(ae.feature_names_in_, df.columns)
    np.testing.assert_allclose(out.to_numpy(), ae.set_output(transform="default").transform(df))
    assert isinstance(ae.inverse_transform(out.to_numpy()), np.ndarray)


def test_polars_output():
    pl = pytest.importorskip("polars")
    ae = AutoencoderTransformer(2, **FAST).set_output(transform="polars")
    out = ae.fit_transform(X[:, :10])
    assert isinstance(out, pl.DataFrame)
    assert out.columns == ["autoencodertransformer0", "autoencodertransformer1"]


def test_bce_on_unit_interval_data():
    Xu = MinMaxScaler().fit_transform(X)
    ae = AutoencoderTransformer(4, loss="bce", **FAST).fit(Xu)
    rec = ae.inverse_transform(ae.transform(Xu))
    assert rec.min() >= 0 and rec.max() <= 1
    assert ae.net_.module_.encoder.linear is None  # init="auto" is random for bce


def test_history_records_train_and_validation_loss():
    ae = AutoencoderTransformer(3, **FAST).fit(X)
    assert ae.loss_curve_.shape == (ae.n_iter_,) == ae.validation_loss_curve_.shape
    np.testing.assert_allclose(ae.loss_curve_, ae.net_.history[:, "train_loss"])
    off = AutoencoderTransformer(3, early_stopping=False, **FAST).fit(X)
    assert off.validation_loss_curve_ is None and off.n_iter_ == FAST["max_epochs"]


def test_early_stopping_stops_and_keeps_best_epoch():
    ae = AutoencoderTransformer(
        3, max_epochs=300, n_iter_no_change=3, tol=0.0, lr=3e-3, hidden_layer_sizes=(16,), random_state=0
    ).fit(X)
    assert ae.n_iter_ < 300 and ae.best_epoch_ == ae.n_iter_ - 3  # stopped by patience: best is not the last
    # the kept epoch is the one of lowest validation loss (not skorch's best under the relative tol)
    curve = ae.validation_loss_curve_
    assert ae.best_epoch_ == int(np.argmin(curve)) + 1
    # and the kept weights are that epoch's: recompute the validation loss with them
    net = ae.net_
    _, valid = net.get_split_datasets(ScaledDataset(X, ae.scaling_offset_, ae.scaling_scale_), None)
    assert BestWeights._validation_loss(net, valid) == pytest.approx(curve.min(), rel=1e-5)
    assert BestWeights._validation_loss(net, valid) < curve[-1]


@pytest.mark.parametrize("k", [8, 20])
def test_never_worse_than_the_pca_start_with_a_bad_lr(k):
    # lr=0.1 wrecks training; the PCA start (epoch 0) is a candidate for the kept weights
    X_all = load_digits().data
    X_train, X_test = X_all[:1200], X_all[1200:]
    ae = AutoencoderTransformer(k, lr=0.1, max_epochs=8, hidden_layer_sizes=(64,), random_state=0).fit(X_train)
    pca = PCA(k).fit(X_train)
    assert ae.best_epoch_ == 0
    error = [((m.inverse_transform(m.transform(X_test)) - X_test) ** 2).mean() for m in (ae, pca)]
    assert error[0] <= 1.001 * error[1]
