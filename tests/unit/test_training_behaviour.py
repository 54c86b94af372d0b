"""Behaviours of fitting and scoring that no output comparison sees: shuffling, independent draws, global RNGs.

Each test is small (a few dozen rows, at most one epoch) and kills a mutant that the rest of the suite lets
survive: training batches in row order, every row of ``VAETransformer.score_samples`` drawing the same
random numbers, and a library call drawing from numpy's or torch's global random state.
"""

import numpy as np
import pytest
import torch

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer
from sklearn_ae._net import AutoencoderNet

TINY = {"hidden_layer_sizes": (4,), "max_epochs": 1, "batch_size": 16, "device": "cpu"}


def _data(n=64, d=6, seed=0):
    """Distinct rows of exactly representable float32 values, with a few dominant directions."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) @ rng.normal(size=(3, d)) + 0.3 * rng.normal(size=(n, d))
    return X.astype(np.float32).astype(np.float64)


# ------------------------------------------------------------------ shuffling
@pytest.mark.parametrize("estimator", [AutoencoderTransformer, VAETransformer])
def test_training_batches_are_a_shuffled_epoch(estimator, monkeypatch):
    seen = []
    get_loss = AutoencoderNet.get_loss

    def recording_get_loss(self, y_pred, y_true, X=None, training=False):
        if training:
            seen.append(X.detach().cpu().numpy().astype(np.float64))
        return get_loss(self, y_pred, y_true, X=X, training=training)

    monkeypatch.setattr(AutoencoderNet, "get_loss", recording_get_loss)
    X = _data()
    estimator(2, scaling=None, early_stopping=False, random_state=0, **TINY).fit(X)
    index = {row.tobytes(): i for i, row in enumerate(X)}
    order = [index[row.tobytes()] for row in np.vstack(seen)]
    assert sorted(order) == list(range(len(X)))  # one epoch: every row exactly once
    assert order != list(range(len(X)))  # ... but not in the order of X


# ------------------------------------------------- independent score draws
def _widened_linear_vae(X, shift=1.0):
    """A linear-Gaussian VAE at the PPCA start, its posterior variances widened by ``exp(shift)``.

    At the PPCA start the posterior is exact and every draw gives exactly log p(x); widened, each draw
    gives a different single-sample ELBO estimate, whose expectation is known in closed form.
    """
    vae = VAETransformer(2, hidden_layer_sizes=(), max_epochs=0, scaling=None, random_state=0, device="cpu")
    vae.fit(X)
    with torch.no_grad():
        vae.net_.module_.encoder.linear.bias[2:] += shift
    return vae


def _closed_form_elbo(vae, X):
    """E_q[log p(x|z)] - KL(q || N(0, I)) per row, from the linear module's parameters, in float64."""
    module = vae.net_.module_
    E, e = (t.detach().double().numpy() for t in (module.encoder.linear.weight, module.encoder.linear.bias))
    W, mu = (t.detach().double().numpy() for t in (module.decoder.linear.weight, module.decoder.linear.bias))
    s2 = float(np.exp(module.log_noise_variance.detach().double().numpy()[0]))
    h = X @ E.T + e
    m, log_var = h[:, :2], h[:, 2:]
    S = np.exp(log_var)
    residual = ((X - m @ W.T - mu) ** 2).sum(axis=1) + S @ (W**2).sum(axis=0)
    expected_log_px = -0.5 * (residual / s2 + X.shape[1] * np.log(2 * np.pi * s2))
    return expected_log_px - 0.5 * (m**2 + S - log_var - 1).sum(axis=1)


def test_vae_score_errors_average_out_over_rows():
    X = _data(n=400)
    vae = _widened_linear_vae(X)
    error = vae.score_samples(X) - _closed_form_elbo(vae, X)
    assert error.std() > 0.1  # the widened posterior makes the estimate random
    assert abs(error.mean()) < 4 * error.std() / np.sqrt(len(X))


def test_vae_score_draws_are_independent_across_rows():
    # With one shared eps, a row's error is c(eps) + g(eps)^T x: an exact affine function of the row.
    # With independent draws it is noise that no affine function of the rows explains.
    X = _data(n=400)
    vae = _widened_linear_vae(X)
    error = vae.score_samples(X) - _closed_form_elbo(vae, X)
    design = np.hstack([np.ones((len(X), 1)), X])
    unexplained = error - design @ np.linalg.lstsq(design, error, rcond=None)[0]
    assert unexplained.std() > 0.5 * error.std()


def test_vae_identical_rows_get_identical_scores():
    X = _data(n=40)
    vae = _widened_linear_vae(X)
    scores = vae.score_samples(np.vstack([X[:5], X[:5], X[5:]]))
    # The same draws: equal up to rounding (a row's place in the batch may change the matrix kernel's order of
    # additions by an ulp); other draws move a score by more than 0.1 (the test above).
    tolerance = {"rtol": 1e-6, "atol": 1e-6 * np.abs(scores).max()}
    np.testing.assert_allclose(scores[:5], scores[5:10], **tolerance)
    np.testing.assert_allclose(vae.score_samples(X[3:4]), scores[3:4], **tolerance)


# ------------------------------------------------------ global random state
ESTIMATORS = {
    "transformer": lambda rs: AutoencoderTransformer(2, noise="masking", random_state=rs, **TINY),
    "vae": lambda rs: VAETransformer(2, random_state=rs, **TINY),
    "outlier": lambda rs: AutoencoderOutlierDetector(
        AutoencoderTransformer(2, **TINY), n_estimators=2, random_state=rs
    ),
}


def _use(make, random_state):
    X = _data()
    est = make(random_state).fit(X)
    est.score_samples(X)
    if hasattr(est, "transform"):
        est.transform(X)
    else:
        est.predict(X)
    if hasattr(est, "sample"):
        est.sample(3, random_state=1)


@pytest.mark.parametrize("random_state", [None, 0])
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_numpy_global_random_state_is_never_drawn_from(name, random_state):
    np.random.seed(0)
    _use(ESTIMATORS[name], random_state)
    after = np.random.random()
    np.random.seed(0)
    assert after == np.random.random()


@pytest.mark.parametrize("random_state", [None, 0])
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_torch_global_random_state_is_untouched(name, random_state):
    torch.manual_seed(0)
    state, seed = torch.random.get_rng_state(), torch.initial_seed()
    _use(ESTIMATORS[name], random_state)
    assert torch.initial_seed() == seed
    assert torch.equal(torch.random.get_rng_state(), state)
