"""Unit tests of sklearn_ae._losses against formulas computed independently (numpy, scipy, torch)."""

import numpy as np
import pytest
import torch
from scipy.special import expit, rel_entr
from scipy.stats import norm
from torch import nn
from unit_helpers import randomize_, reference_jacobian, rows

from sklearn_ae._losses import (
    PENALTIES,
    AutoencoderLoss,
    Contractive,
    LayerMatching,
    Penalty,
    Sparsity,
    VAELoss,
    bernoulli_nll,
    contractive_penalty,
    gaussian_kl,
    gaussian_nll,
    kl_sparsity,
    l1_sparsity,
    layer_matching_losses,
    penalty_terms,
    reconstruction_loss,
    register_penalty,
)
from sklearn_ae._spec import VARIANTS, Variant, active_penalties, autoencoder_spec, vae_spec
from sklearn_ae.nn import AutoencoderOutput, DenseAutoencoder, VAEOutput


def _bernoulli_nll_numpy(x, logits):
    p = expit(logits)
    return -(x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=-1)


def _unit_interval(n, d, seed=0):
    return torch.rand(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


class _EncodeOnly(nn.Module):
    """A tiny module with ``encode`` and no ``encoder_jacobian``: the autograd path."""

    def __init__(self, n_features=4, n_components=2):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_features, 3), nn.Tanh(), nn.Linear(3, n_components)).double()

    def encode(self, x):
        return self.net(x)


def _tiny_dense():
    return randomize_(DenseAutoencoder(4, 2, (3,), activation="tanh").double())


def _contractive_reference(encode, x):
    return reference_jacobian(encode, x).pow(2).sum() / x.shape[0]


# ------------------------------------------------------------- reconstruction
def test_reconstruction_mse_is_mean_squared_error():
    out, target = rows(5, 3, seed=1), rows(5, 3, seed=2)
    expected = ((out.numpy() - target.numpy()) ** 2).mean()
    np.testing.assert_allclose(reconstruction_loss(out, target, "mse").item(), expected, rtol=1e-12)


def test_reconstruction_bce_reads_logits():
    logits, target = rows(5, 3, seed=1), _unit_interval(5, 3)
    expected = _bernoulli_nll_numpy(target.numpy(), logits.numpy()).sum() / target.numel()
    np.testing.assert_allclose(reconstruction_loss(logits, target, "bce").item(), expected, rtol=1e-12)


def test_reconstruction_unknown_kind_raises():
    with pytest.raises(ValueError, match="Unknown reconstruction loss"):
        reconstruction_loss(rows(2, 2), rows(2, 2), "mae")


# ------------------------------------------------------------------ sparsity
def test_l1_sparsity_is_mean_row_l1_norm():
    code = rows(6, 3)
    expected = np.abs(code.numpy()).sum(axis=1).mean()
    np.testing.assert_allclose(l1_sparsity(code).item(), expected, rtol=1e-12)


@pytest.mark.parametrize("target", [0.05, 0.3, 0.5])
def test_kl_sparsity_is_zero_at_target_mean_activation(target):
    # two rows per unit, whose sigmoids average exactly to the target
    low, high = target / 2, 3 * target / 2
    code = torch.tensor([[np.log(low / (1 - low))] * 3, [np.log(high / (1 - high))] * 3], dtype=torch.float64)
    assert abs(kl_sparsity(code, target).item()) < 1e-10


@pytest.mark.parametrize("target", [0.05, 0.5])
def test_kl_sparsity_is_bernoulli_kl_per_unit(target):
    code = rows(7, 3)
    rho = expit(code.numpy()).mean(axis=0)
    expected = (rel_entr(target, rho) + rel_entr(1 - target, 1 - rho)).sum()
    np.testing.assert_allclose(kl_sparsity(code, target).item(), expected, rtol=1e-10)


# --------------------------------------------------------------- contractive
@pytest.mark.parametrize("make", [_tiny_dense, _EncodeOnly], ids=["closed_form", "autograd"])
def test_contractive_penalty_is_mean_squared_jacobian_norm(make):
    module, x = make(), rows(5, 4)
    expected = _contractive_reference(module.encode, x)
    np.testing.assert_allclose(contractive_penalty(module, x).item(), expected.item(), rtol=1e-10)


@pytest.mark.parametrize("make", [_tiny_dense, _EncodeOnly], ids=["closed_form", "autograd"])
def test_contractive_penalty_gradient_matches_reference(make):
    module, x = make(), rows(5, 4)
    params = list(module.parameters())
    got = torch.autograd.grad(contractive_penalty(module, x), params, allow_unused=True)
    expected = torch.autograd.grad(
        torch.stack(
            [
                torch.autograd.functional.jacobian(lambda v: module.encode(v[None])[0], r, create_graph=True)
                .pow(2)
                .sum()
                for r in x
            ]
        ).sum()
        / x.shape[0],
        params,
        allow_unused=True,
    )
    for g, e in zip(got, expected):
        if e is None:
            assert g is None or torch.count_nonzero(g) == 0
        else:
            torch.testing.assert_close(g, e, rtol=1e-9, atol=1e-12)


def test_dense_closed_form_jacobian_path_is_taken(monkeypatch):
    module = _tiny_dense()
    calls = []
    monkeypatch.setattr(module, "encoder_jacobian", lambda x: calls.append(x) or torch.zeros(x.shape[0], 2, 4))
    assert contractive_penalty(module, rows(3, 4)).item() == 0.0
    assert len(calls) == 1


# ------------------------------------------------------------ layer matching
def test_layer_matching_losses_one_mse_per_pair():
    pairs = [(rows(4, 3, seed=1), rows(4, 3, seed=2)), (rows(4, 5, seed=3), rows(4, 5, seed=4))]
    got = layer_matching_losses(pairs)
    expected = [((e.numpy() - d.numpy()) ** 2).mean() for e, d in pairs]
    np.testing.assert_allclose([g.item() for g in got], expected, rtol=1e-12)


def test_layer_matching_losses_empty():
    assert layer_matching_losses([]) == []


# ----------------------------------------------------------------- penalties
ORDER = ("sparsity", "contractive", "layer_matching")


def _penalties(weights, sparsity_target=None):
    """The penalty objects of a ``{name: weight}`` dict, in the estimators' order."""
    make = {
        "sparsity": lambda w: Sparsity(w, sparsity_target),
        "contractive": Contractive,
        "layer_matching": LayerMatching,
    }
    return tuple(make[name](weights[name]) for name in ORDER if name in weights)


def _transformer_params(**params):
    from sklearn_ae import AutoencoderTransformer

    return AutoencoderTransformer(**params).get_params(deep=False)


@pytest.mark.parametrize(
    "weights, expected",
    [
        ({}, ()),
        ({"sparsity": 1.0}, ("sparsity",)),
        ({"layer_matching": 2.0, "sparsity": 0.1}, ("sparsity", "layer_matching")),
        ({"contractive": 1.0, "layer_matching": 1.0, "sparsity": 1.0}, ("sparsity", "contractive", "layer_matching")),
        ({"sparsity": 0.0, "contractive": 1.0, "sparsity_target": 0.1}, ("contractive",)),
    ],
)
def test_active_penalties_are_those_of_positive_weight_in_order(weights, expected):
    from sklearn_ae import AutoencoderTransformer

    params = _transformer_params(**weights)
    penalties = active_penalties(params, AutoencoderTransformer._variants)
    assert tuple(p.name for p in penalties) == expected
    spec = autoencoder_spec(params, 6, AutoencoderTransformer._variants)
    assert spec.parts == ("reconstruction", *expected)
    assert spec.criterion_kwargs["penalties"] == penalties


def test_active_penalties_build_each_penalty_from_its_parameters():
    from sklearn_ae import VAETransformer

    params = _transformer_params(sparsity=0.5, sparsity_target=0.2, contractive=0.1, layer_matching=3)
    assert active_penalties(params, ("sparse", "contractive", "tied", "layer_matching")) == (
        Sparsity(0.5, 0.2),
        Contractive(0.1),
        LayerMatching(3),
    )
    # only the estimator's own groups count
    assert active_penalties(params, ("denoising", "contractive")) == (Contractive(0.1),)
    vae = VAETransformer(sparsity=2.0).get_params(deep=False)
    spec = vae_spec(vae, 6, VAETransformer._variants)
    assert spec.criterion_kwargs["penalties"] == (Sparsity(2.0, None),)
    assert spec.parts == ("reconstruction", "kl", "sparsity")


def test_every_penalty_variant_names_a_registered_penalty_and_its_weight():
    for group, variant in VARIANTS.items():
        if variant.penalty is None:
            continue
        assert issubclass(PENALTIES[variant.penalty], Penalty), group
        assert PENALTIES[variant.penalty].name == variant.penalty
        assert "weight" in variant.penalty_arguments
        assert set(variant.penalty_arguments.values()) <= set(variant.constraints)
    assert list(PENALTIES)[:3] == list(ORDER)


def _y_pred_with_pairs(module, x):
    code = module.encode(x)
    pairs = ((rows(x.shape[0], 3, seed=5), rows(x.shape[0], 3, seed=6)),)
    return AutoencoderOutput(module.decode(code), code, pairs)


def _reference_parts(y_pred, x, module, sparsity_target=None):
    code = y_pred[1].detach().numpy()
    if sparsity_target is None:
        sparse = np.abs(code).sum(axis=1).mean()
    else:
        rho = expit(code).mean(axis=0)
        sparse = (rel_entr(sparsity_target, rho) + rel_entr(1 - sparsity_target, 1 - rho)).sum()
    enc, dec = y_pred[2][0]
    return {
        "sparsity": sparse,
        "contractive": _contractive_reference(module.encode, x).item(),
        "layer_matching": ((enc.numpy() - dec.numpy()) ** 2).mean(),
    }


@pytest.mark.parametrize("sparsity_target", [None, 0.2])
@pytest.mark.parametrize(
    "weights",
    [
        {"sparsity": 0.3},
        {"contractive": 0.7},
        {"layer_matching": 2.0},
        {"sparsity": 0.3, "contractive": 0.7, "layer_matching": 2.0},
    ],
)
def test_penalty_terms_weights_the_active_parts(weights, sparsity_target):
    module, x = _tiny_dense(), rows(5, 4)
    y_pred = _y_pred_with_pairs(module, x)
    total, parts = penalty_terms(_penalties(weights, sparsity_target), y_pred, x, module)
    reference = _reference_parts(y_pred, x, module, sparsity_target)
    assert tuple(parts) == tuple(name for name in ORDER if name in weights)
    for name in weights:
        np.testing.assert_allclose(parts[name].item(), reference[name], rtol=1e-9)
    np.testing.assert_allclose(total.item(), sum(w * reference[n] for n, w in weights.items()), rtol=1e-9)


def test_penalty_terms_all_off_is_zero_and_empty():
    module, x = _tiny_dense(), rows(5, 4)
    y_pred = _y_pred_with_pairs(module, x)
    total, parts = penalty_terms((), y_pred, x, module)
    assert parts == {}
    assert total == 0


def test_penalty_terms_layer_matching_without_pairs_is_zero():
    module, x = _tiny_dense(), rows(5, 4)
    code = module.encode(x)
    total, parts = penalty_terms((LayerMatching(1.0),), AutoencoderOutput(module.decode(code), code), x, module)
    assert parts["layer_matching"].item() == 0.0
    assert float(total) == 0.0


def test_penalty_terms_sum_as_the_criteria_always_did():
    # bit for bit: 0.0 + w1 * p1 + w2 * p2 + w3 * p3, left to right, each term computed once
    module, x = _tiny_dense(), rows(5, 4)
    y_pred = _y_pred_with_pairs(module, x)
    total, parts = penalty_terms(
        _penalties({"sparsity": 0.3, "contractive": 0.7, "layer_matching": 2.0}), y_pred, x, module
    )
    expected = 0.0 + 0.3 * parts["sparsity"]
    expected = expected + 0.7 * parts["contractive"]
    expected = expected + 2.0 * parts["layer_matching"]
    assert torch.equal(total, expected)


# ------------------------------------------------------------------ registry
class _CodeEnergy(Penalty):
    """A penalty defined in a test: the mean squared code."""

    name = "code_energy"

    def __init__(self, weight):
        self.weight = weight

    def __call__(self, output, X, module):
        return output.code.pow(2).mean()


@pytest.fixture
def code_energy():
    register_penalty(_CodeEnergy)
    yield _CodeEnergy
    del PENALTIES["code_energy"]


def test_a_registered_penalty_is_a_part_and_adds_its_weighted_term(code_energy):
    assert PENALTIES["code_energy"] is code_energy
    module, x = _tiny_dense(), _unit_interval(5, 4)
    y_pred = _y_pred_with_pairs(module, x)
    out = AutoencoderLoss(penalties=(Sparsity(0.3), code_energy(0.25)))(y_pred, x, module=module)
    recon = ((y_pred.reconstruction.detach().numpy() - x.numpy()) ** 2).mean()
    code = y_pred.code.detach().numpy()
    sparse, energy = np.abs(code).sum(axis=1).mean(), (code**2).mean()
    assert list(out) == ["loss", "reconstruction", "sparsity", "code_energy"]
    np.testing.assert_allclose(out["code_energy"].item(), energy, rtol=1e-12)
    np.testing.assert_allclose(out["loss"].item(), recon + 0.3 * sparse + 0.25 * energy, rtol=1e-10)
    # the VAE's penalties see the posterior mean as the code
    vae_x, vae_pred = _unit_interval(6, 3), _vae_y_pred()
    stub = _VAEStub(torch.zeros(1, dtype=torch.float64))
    out = VAELoss(beta=0.5, penalties=(code_energy(2.0),))(vae_pred, vae_x, module=stub)
    recon, kl = _vae_reference(vae_x.numpy(), vae_pred, "gaussian", 0.0)
    energy = (vae_pred.mean.numpy() ** 2).mean()
    assert list(out) == ["loss", "reconstruction", "kl", "code_energy"]
    np.testing.assert_allclose(out["loss"].item(), recon + 0.5 * kl + 2.0 * energy, rtol=1e-10)


def test_a_registered_penalty_comes_from_its_variant_group(code_energy, monkeypatch):
    from sklearn_ae import AutoencoderTransformer

    monkeypatch.setitem(
        VARIANTS, "energy", Variant({"energy": []}, penalty="code_energy", penalty_arguments={"weight": "energy"})
    )
    params = {**_transformer_params(sparsity=0.1), "energy": 0.5}
    spec = autoencoder_spec(params, 6, (*AutoencoderTransformer._variants, "energy"))
    assert spec.parts == ("reconstruction", "sparsity", "code_energy")
    (sparse, energy) = spec.criterion_kwargs["penalties"]
    assert sparse == Sparsity(0.1) and isinstance(energy, code_energy) and energy.weight == 0.5
    assert active_penalties({**params, "energy": 0.0}, ("sparse", "energy")) == (Sparsity(0.1),)


def test_register_penalty_refuses_a_second_class_of_the_same_name_and_non_penalties():
    class Other(Penalty):
        name = "sparsity"

    with pytest.raises(ValueError, match="'sparsity' is already registered"):
        register_penalty(Other)
    with pytest.raises(TypeError, match="Penalty subclass"):
        register_penalty(object)
    assert register_penalty(Sparsity) is Sparsity and PENALTIES["sparsity"] is Sparsity


def test_criteria_refuse_penalties_whose_parts_collide():
    with pytest.raises(ValueError, match="distinct"):
        AutoencoderLoss(penalties=(Sparsity(1.0), Sparsity(2.0)))
    with pytest.raises(TypeError, match="Penalty objects"):
        VAELoss(penalties=("sparsity",))

    class Kl(Penalty):
        name = "kl"

    with pytest.raises(ValueError, match="distinct"):
        VAELoss(penalties=(Kl(),))


def test_penalties_repr_and_compare_by_value():
    assert Sparsity(0.1, 0.05) == Sparsity(0.1, 0.05) != Sparsity(0.1)
    assert repr(Contractive(0.2)) == "Contractive(weight=0.2)"
    assert Sparsity(1.0).name == "sparsity" and LayerMatching(1.0).name == "layer_matching"


# ---------------------------------------------------------- AutoencoderLoss
@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("weights", [{}, {"sparsity": 0.3, "contractive": 0.7, "layer_matching": 2.0}])
def test_autoencoder_loss_total_is_sum_of_weighted_parts(loss, weights):
    module, x = _tiny_dense(), _unit_interval(5, 4)
    y_pred = _y_pred_with_pairs(module, x)
    out = AutoencoderLoss(loss=loss, penalties=_penalties(weights))(y_pred, x, module=module)
    recon_np, x_np = y_pred[0].detach().numpy(), x.numpy()
    if loss == "mse":
        recon = ((recon_np - x_np) ** 2).mean()
    else:
        recon = _bernoulli_nll_numpy(x_np, recon_np).sum() / x_np.size
    reference = _reference_parts(y_pred, x, module)
    assert set(out) == {"loss", "reconstruction", *weights}
    assert list(out) == ["loss", *AutoencoderLoss.parts, *(name for name in ORDER if name in weights)]
    np.testing.assert_allclose(out["reconstruction"].item(), recon, rtol=1e-10)
    expected = recon + sum(w * reference[n] for n, w in weights.items())
    np.testing.assert_allclose(out["loss"].item(), expected, rtol=1e-9)


# ---------------------------------------------------------- likelihood parts
@pytest.mark.parametrize("log_var_shape", [(1,), (3,), (4, 3)], ids=["global", "feature", "element"])
def test_gaussian_nll_matches_scipy(log_var_shape):
    x, mean = rows(4, 3, seed=1), rows(4, 3, seed=2)
    log_var = 0.5 * torch.randn(log_var_shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    std = np.exp(0.5 * np.broadcast_to(log_var.numpy(), x.shape))
    expected = -norm.logpdf(x.numpy(), loc=mean.numpy(), scale=std).sum(axis=1)
    np.testing.assert_allclose(gaussian_nll(x, mean, log_var).numpy(), expected, rtol=1e-12)


def test_bernoulli_nll_matches_numpy():
    x, logits = _unit_interval(4, 3), rows(4, 3)
    np.testing.assert_allclose(bernoulli_nll(x, logits).numpy(), _bernoulli_nll_numpy(x.numpy(), logits.numpy()))


def test_gaussian_kl_matches_torch_distributions():
    mean, log_var = rows(4, 3, seed=1), rows(4, 3, seed=2)
    q = torch.distributions.Normal(mean, torch.exp(0.5 * log_var))
    p = torch.distributions.Normal(torch.zeros_like(mean), torch.ones_like(mean))
    expected = torch.distributions.kl_divergence(q, p).sum(dim=1)
    torch.testing.assert_close(gaussian_kl(mean, log_var), expected, rtol=1e-12, atol=1e-12)


def test_gaussian_kl_matches_monte_carlo():
    rng = np.random.default_rng(0)
    mean, log_var = np.array([0.7, -0.3]), np.array([-0.5, 0.4])
    std = np.exp(0.5 * log_var)
    z = mean + std * rng.standard_normal((200_000, 2))
    mc = (norm.logpdf(z, mean, std) - norm.logpdf(z)).sum(axis=1)
    got = gaussian_kl(torch.tensor(mean[None]), torch.tensor(log_var[None])).item()
    assert abs(got - mc.mean()) < 5 * mc.std() / np.sqrt(mc.size)


def test_gaussian_kl_is_zero_for_the_prior():
    assert gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)).abs().max().item() == 0.0


# -------------------------------------------------------------------- VAELoss
class _VAEStub(nn.Module):
    def __init__(self, log_noise_variance):
        super().__init__()
        self.log_noise_variance = log_noise_variance


def _vae_y_pred(n=6, d=3, k=2):
    return VAEOutput(_unit_interval(n, d, seed=7), rows(n, k, seed=8), rows(n, k, seed=9), 0.3 * rows(n, k, seed=10))


def _vae_reference(x, y_pred, likelihood, log_noise_variance):
    decoded, _, mean, log_var = (t.numpy() for t in y_pred)
    if likelihood == "gaussian":
        std = np.exp(0.5 * log_noise_variance)
        recon = -norm.logpdf(x, decoded, std).sum(axis=1).mean()
    else:
        recon = _bernoulli_nll_numpy(x, decoded).mean()
    kl = (0.5 * (mean**2 + np.exp(log_var) - log_var - 1)).sum(axis=1).mean()
    return recon, kl


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
@pytest.mark.parametrize("training", [True, False])
def test_vae_loss_applies_warmup_in_training_mode_only(likelihood, training):
    x, y_pred = _unit_interval(6, 3), _vae_y_pred()
    module = _VAEStub(torch.tensor([0.4], dtype=torch.float64))
    criterion = VAELoss(likelihood=likelihood, beta=2.0)
    criterion.warmup = 0.25
    criterion.train(training)
    out = criterion(y_pred, x, module=module)
    recon, kl = _vae_reference(x.numpy(), y_pred, likelihood, 0.4)
    np.testing.assert_allclose(out["reconstruction"].item(), recon, rtol=1e-10)
    np.testing.assert_allclose(out["kl"].item(), kl, rtol=1e-10)
    beta = 2.0 * 0.25 if training else 2.0
    np.testing.assert_allclose(out["loss"].item(), recon + beta * kl, rtol=1e-10)


def test_vae_loss_sparsity_is_on_the_posterior_mean():
    x, y_pred = _unit_interval(6, 3), _vae_y_pred()
    module = _VAEStub(torch.zeros(1, dtype=torch.float64))
    out = VAELoss(penalties=(Sparsity(0.5),))(y_pred, x, module=module)
    recon, kl = _vae_reference(x.numpy(), y_pred, "gaussian", 0.0)
    l1_mean = np.abs(y_pred[2].numpy()).sum(axis=1).mean()
    assert set(out) == {"loss", "reconstruction", "kl", "sparsity"}
    np.testing.assert_allclose(out["sparsity"].item(), l1_mean, rtol=1e-12)
    np.testing.assert_allclose(out["loss"].item(), recon + kl + 0.5 * l1_mean, rtol=1e-10)


def test_vae_loss_unknown_likelihood_raises():
    with pytest.raises(ValueError, match="Unknown likelihood"):
        VAELoss(likelihood="poisson")(_vae_y_pred(), _unit_interval(6, 3), module=_VAEStub(None))


# ---------------------------------------------- mutation-testing survivors (benchmarks/results_mutation.md)
def test_reconstruction_loss_and_autoencoder_loss_default_to_mse():
    module, x = _tiny_dense(), rows(5, 4)
    y_pred = _y_pred_with_pairs(module, x)
    expected = ((y_pred.reconstruction.detach().numpy() - x.numpy()) ** 2).mean()
    np.testing.assert_allclose(reconstruction_loss(y_pred.reconstruction, x).item(), expected, rtol=1e-12)
    out = AutoencoderLoss()(y_pred, x, module=module)
    assert set(out) == {"loss", "reconstruction"}
    np.testing.assert_allclose(out["loss"].item(), expected, rtol=1e-12)


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["all_on", "all_off"])
def test_kl_sparsity_stays_finite_when_the_units_saturate(sign):
    # sigmoid(+-1000) is exactly 1 or 0 in float64: the clamp to [eps, 1 - eps] keeps both logs finite
    code, eps, target = torch.full((4, 3), sign * 1000.0, dtype=torch.float64), 1e-6, 0.1
    rho = 1 - eps if sign > 0 else eps
    expected = 3 * (rel_entr(target, rho) + rel_entr(1 - target, 1 - rho))
    np.testing.assert_allclose(kl_sparsity(code, target, eps=eps).item(), expected, rtol=1e-9)


def test_contractive_penalty_of_one_row_is_its_squared_jacobian_norm():
    module, x = _tiny_dense(), rows(1, 4)
    expected = reference_jacobian(module.encode, x).pow(2).sum()
    np.testing.assert_allclose(contractive_penalty(module, x).item(), expected.item(), rtol=1e-10)


def test_losses_with_sparsity_target_use_the_kl_sparsity():
    module, x = _tiny_dense(), rows(5, 4)
    y_pred = _y_pred_with_pairs(module, x)
    out = AutoencoderLoss(penalties=(Sparsity(0.5, target=0.2),))(y_pred, x, module=module)
    reference = _reference_parts(y_pred, x, module, sparsity_target=0.2)["sparsity"]
    np.testing.assert_allclose(out["sparsity"].item(), reference, rtol=1e-9)
    vae_x, vae_pred = _unit_interval(6, 3), _vae_y_pred()
    stub = _VAEStub(torch.zeros(1, dtype=torch.float64))
    out = VAELoss(penalties=(Sparsity(0.5, target=0.2),))(vae_pred, vae_x, module=stub)
    rho = expit(vae_pred.mean.numpy()).mean(axis=0)
    np.testing.assert_allclose(out["sparsity"].item(), (rel_entr(0.2, rho) + rel_entr(0.8, 1 - rho)).sum(), rtol=1e-9)
