"""The denoising and sparse variants on VAETransformer (noise, noise_level, sparsity, sparsity_target)."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_ae import VAETransformer
from sklearn_ae._losses import Sparsity

BASE = dict(n_components=8, hidden_layer_sizes=(32,), max_epochs=20, early_stopping=False, random_state=0)


@pytest.fixture(scope="module")
def plain(digits):
    return VAETransformer(**BASE).fit(digits[0])


def _error(model, X_in, X_clean):
    return float(((model.inverse_transform(model.transform(X_in)) - X_clean) ** 2).mean())


def test_masking_at_the_defaults_restores_pixels_set_to_zero(digits, plain):
    X_train, X_test = digits
    denoising = VAETransformer(**BASE, noise="masking", noise_level=0.5).fit(X_train)
    # the training corruption at the default mask_value: pixels set to 0 in the input's units
    masked = np.where(np.random.default_rng(0).random(X_test.shape) < 0.5, 0.0, X_test)
    assert _error(denoising, masked, X_test) < 0.9 * _error(plain, masked, X_test)


def test_noise_only_in_training_and_reproducible(digits, plain):
    X_train, X_test = digits
    params = dict(BASE, max_epochs=2, noise="gaussian", noise_level=0.5)
    state = torch.random.get_rng_state()
    a = VAETransformer(**params).fit(X_train)
    b = VAETransformer(**params).fit(X_train)
    assert torch.equal(torch.random.get_rng_state(), state)  # the user's global RNG is untouched
    np.testing.assert_array_equal(a.transform(X_test), b.transform(X_test))
    np.testing.assert_array_equal(a.transform(X_test), a.transform(X_test))  # no noise at transform time
    np.testing.assert_array_equal(a.score_samples(X_test[:20]), a.score_samples(X_test[:20]))
    clean = VAETransformer(**dict(params, noise=None)).fit(X_train)
    assert not np.allclose(a.loss_curve_, clean.loss_curve_)  # the noise did change training
    with pytest.raises(ValueError, match="noise_level < 1"):
        VAETransformer(**dict(BASE, max_epochs=1), noise="masking", noise_level=1.0).fit(X_train)


def test_l1_posterior_means_have_more_near_zero_entries(digits, plain):
    X_train, X_test = digits
    # the negative ELBO is summed over the 64 features (nats per row), hence a larger weight than
    # AutoencoderTransformer's (mean squared error per entry)
    sparse = VAETransformer(**BASE, sparsity=10.0).fit(X_train)
    Z_plain, Z_sparse = plain.transform(X_test), sparse.transform(X_test)
    threshold = 0.1 * np.sqrt((Z_plain**2).mean())
    assert (np.abs(Z_sparse) < threshold).mean() > 2 * (np.abs(Z_plain) < threshold).mean()


def test_history_and_criterion_report_the_penalty_on_the_posterior_mean(digits, plain):
    X_train, _ = digits
    model = VAETransformer(**dict(BASE, max_epochs=2), sparsity=0.3).fit(X_train)
    h = model.net_.history
    loss, rec, kl, sparse = (
        np.array(h[:, key]) for key in ("train_loss", "train_reconstruction", "train_kl", "train_sparsity")
    )
    # each epoch's recorded loss is the sum of its recorded parts, weighted (beta=1, no warm-up)
    np.testing.assert_allclose(loss, rec + kl + 0.3 * sparse, rtol=1e-5)
    assert np.all(sparse > 0)
    assert "train_sparsity" not in plain.net_.history[-1]
    x = torch.as_tensor((X_train[:50] - model.scaling_offset_) / model.scaling_scale_, dtype=torch.float32)
    module, criterion = model.net_.module_.eval(), model.net_.criterion_.eval()
    with torch.no_grad():
        y_pred = module(x)
        out = criterion(y_pred, x, module)
        mean = module.encode(x)
    # the L1 norm of the posterior mean, not of the sampled z
    assert out["sparsity"].item() == pytest.approx(mean.abs().sum(1).mean().item(), rel=1e-5)
    assert out["sparsity"].item() != pytest.approx(y_pred[1].abs().sum(1).mean().item(), rel=1e-3)
    total = out["reconstruction"] + model.beta * out["kl"] + 0.3 * out["sparsity"]
    assert out["loss"].item() == pytest.approx(total.item(), rel=1e-5)
    # with sparsity_target: the KL sparsity of sigmoid(posterior mean)
    model.net_.criterion_.penalties = (Sparsity(0.3, target=0.1),)
    with torch.no_grad():
        kl_out = criterion(y_pred, x, module)
    rho = torch.sigmoid(mean).mean(0)
    expected = (0.1 * torch.log(0.1 / rho) + 0.9 * torch.log(0.9 / (1 - rho))).sum()
    assert kl_out["sparsity"].item() == pytest.approx(expected.item(), rel=1e-4)


def test_grid_search_over_noise_and_sparsity(digits):
    X = digits[0][:300]
    grid = [
        {"noise": [None, "gaussian", "masking"], "noise_level": [0.3]},
        {"sparsity": [1.0], "sparsity_target": [None, 0.1]},
    ]
    small = VAETransformer(**dict(BASE, max_epochs=2, n_components=4, hidden_layer_sizes=(8,)))
    search = GridSearchCV(small, grid, cv=2)
    search.fit(X)
    params = search.cv_results_["params"]
    assert len(params) == 5
    # by hand: each setting fitted on one half and scored (mean log-likelihood) on the other
    folds = list(KFold(2).split(X))
    by_hand = np.array([[clone(small).set_params(**p).fit(X[tr]).score(X[te]) for tr, te in folds] for p in params])
    split_scores = np.column_stack([search.cv_results_[f"split{i}_test_score"] for i in range(2)])
    np.testing.assert_allclose(split_scores, by_hand, rtol=1e-6)
    mean = by_hand.mean(axis=1)
    assert (mean == mean.max()).sum() == 1
    assert search.best_params_ == params[mean.argmax()]
    assert search.best_estimator_.net_.module_.corruption.kind == search.best_params_.get("noise")
    refit = clone(small).set_params(**search.best_params_).fit(X)
    np.testing.assert_array_equal(search.best_estimator_.transform(X), refit.transform(X))


def test_only_denoising_and_sparse_variants():
    params = VAETransformer().get_params()
    assert {"noise", "noise_level", "sparsity", "sparsity_target"} <= set(params)
    assert not {"contractive", "tied_weights", "layer_matching", "image_shape", "encoder"} & set(params)
