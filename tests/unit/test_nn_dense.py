"""Unit tests of sklearn_ae.nn._dense: shapes, PCA start, tied weights, corruption, Jacobians, layer hooks."""

import dataclasses

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from torch import nn
from unit_helpers import assert_corrupts_in_training_only, n_parameters, randomize_, reference_jacobian, rows

from sklearn_ae.nn import (
    ACTIVATIONS,
    Corruption,
    CorruptionConfig,
    DenseAutoencoder,
    LinearResidual,
    TiedLinear,
    make_mlp,
)
from sklearn_ae.nn._dense import MirroredAutoencoder, autograd_jacobian, make_tied_mlp


# -------------------------------------------------------------------- shapes
@pytest.mark.parametrize("hidden", [(), (8, 4)])
@pytest.mark.parametrize("linear_path", [True, False])
@pytest.mark.parametrize("tied_weights", [False, True])
def test_dense_autoencoder_shapes(hidden, linear_path, tied_weights):
    module = DenseAutoencoder(10, 3, hidden, linear_path=linear_path, tied_weights=tied_weights)
    x = torch.zeros(7, 10)
    out = module(x)
    assert out[0].shape == (7, 10)
    assert out[1].shape == (7, 3)
    assert module.encode(x).shape == (7, 3)
    assert module.decode(torch.zeros(7, 3)).shape == (7, 10)


# ----------------------------------------------------------------- PCA start
@pytest.mark.parametrize("hidden", [(), (6,)])
@pytest.mark.parametrize("tied_weights", [False, True])
def test_init_linear_equals_pca(hidden, tied_weights):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 8)) @ rng.normal(size=(8, 8)) + rng.normal(size=8)
    pca = PCA(3).fit(X)
    module = DenseAutoencoder(8, 3, hidden, tied_weights=tied_weights).double().eval()
    module.init_linear(pca.components_, pca.mean_)
    with torch.no_grad():
        code = module.encode(torch.as_tensor(X)).numpy()
        back = module.decode(torch.as_tensor(code)).numpy()
    np.testing.assert_allclose(code, pca.transform(X), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(back, pca.inverse_transform(pca.transform(X)), rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------- MLPs
@pytest.mark.parametrize("sizes", [(4, 3), (4, 6, 5, 2)])
def test_make_mlp_structure(sizes):
    mlp = make_mlp(sizes, "tanh")
    linears = [m for m in mlp if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == list(zip(sizes[:-1], sizes[1:]))
    assert sum(isinstance(m, nn.Tanh) for m in mlp) == len(sizes) - 2
    assert isinstance(mlp[-1], nn.Linear)


@pytest.mark.parametrize("zero_last", [True, False])
def test_make_mlp_zero_last_gives_zero_output(zero_last):
    torch.manual_seed(0)
    out = make_mlp((4, 6, 3), "relu", zero_last=zero_last)(torch.randn(5, 4))
    assert torch.all(out == 0).item() is zero_last


# -------------------------------------------------------------- tied weights
def test_tied_linear_weight_is_the_transposed_source_parameter():
    source = nn.Linear(5, 3)
    tied = TiedLinear(source)
    assert tied.source.weight is source.weight
    assert tied.weight.data_ptr() == source.weight.data_ptr()
    torch.testing.assert_close(tied.weight, source.weight.T)
    assert (tied.in_features, tied.out_features) == (3, 5)
    assert [p is source.weight for p in tied.parameters()].count(True) == 1


def test_tied_linear_forward_is_affine_map_with_transposed_weight():
    source = randomize_(nn.Linear(5, 3).double())
    tied = randomize_(TiedLinear(source).double(), seed=1)
    x = rows(4, 3)
    expected = x.numpy() @ source.weight.detach().numpy() + tied.bias.detach().numpy()
    np.testing.assert_allclose(tied(x).detach().numpy(), expected, rtol=1e-12)


def test_tied_linear_gradient_reaches_the_source_weight():
    # a loss on the tied layer alone must train the shared Parameter (kills a detached weight)
    source = nn.Linear(5, 3).double()
    tied = TiedLinear(source).double()
    x, G = rows(4, 3, seed=1), rows(4, 5, seed=2)
    (tied(x) * G).sum().backward()
    assert source.weight.grad is not None
    # d/dS sum(G * x S) = x^T G, where S = source.weight (3, 5)
    np.testing.assert_allclose(source.weight.grad.numpy(), x.numpy().T @ G.numpy(), rtol=1e-12)


@pytest.mark.parametrize("hidden", [(), (6,)])
def test_tied_decoder_only_loss_trains_the_encoder_weights(hidden):
    module = randomize_(DenseAutoencoder(5, 2, hidden, tied_weights=True).double())
    before = [m.weight.detach().clone() for m in module.encoder.modules() if isinstance(m, nn.Linear)]
    optimizer = torch.optim.SGD(module.decoder.parameters(), lr=0.1)
    module.decode(rows(8, 2)).pow(2).sum().backward()
    optimizer.step()
    after = [m.weight.detach() for m in module.encoder.modules() if isinstance(m, nn.Linear)]
    assert all(not torch.equal(a, b) for a, b in zip(after, before))


def test_tied_autoencoder_has_about_half_the_parameters():
    d, k, h = 10, 3, 6
    untied, tied = DenseAutoencoder(d, k, (h,)), DenseAutoencoder(d, k, (h,), tied_weights=True)
    weights = d * k + d * h + h * k
    biases_encoder, biases_decoder = k + h + k, d + h + d
    assert n_parameters(untied) == 2 * weights + biases_encoder + biases_decoder
    # one weight per mirrored pair, the decoder's own biases, and one gate per half
    assert n_parameters(tied) == weights + biases_encoder + biases_decoder + 2
    assert n_parameters(tied) < 0.6 * n_parameters(untied)


# ---------------------------------------------------------------- corruption
@pytest.mark.parametrize("level", [0.1, 0.5])
def test_corruption_masking_rate_is_level(level):
    torch.manual_seed(0)
    x = torch.ones(400, 500)
    out = Corruption("masking", level).train()(x)
    assert set(out.unique().tolist()) <= {0.0, 1.0}
    rate, n = (out == 0).float().mean().item(), x.numel()
    assert abs(rate - level) < 5 * np.sqrt(level * (1 - level) / n)


@pytest.mark.parametrize("level", [0.1, 1.5])
def test_corruption_gaussian_std_is_level(level):
    torch.manual_seed(0)
    x = torch.randn(400, 500)
    noise = (Corruption("gaussian", level).train()(x) - x).double()
    assert abs(noise.mean().item()) < 5 * level / np.sqrt(x.numel())
    assert abs(noise.std().item() / level - 1) < 0.01


@pytest.mark.parametrize("kind, level", [("masking", 0.5), ("gaussian", 1.0), (None, 0.5), ("masking", 0.0)])
def test_corruption_is_identity_in_eval_mode_or_when_off(kind, level):
    x = torch.randn(20, 5)
    corruption = Corruption(kind, level)
    assert corruption.eval()(x) is x
    if kind is None or level == 0:
        assert corruption.train()(x) is x
    else:
        assert not torch.equal(corruption.train()(x), x)


@pytest.mark.parametrize("kind, level", [("dropout", 0.1), ("masking", 1.0), ("masking", -0.1)])
def test_corruption_rejects_bad_settings(kind, level):
    with pytest.raises(ValueError):
        Corruption(kind, level)


@pytest.mark.parametrize("noise", ["masking", "gaussian"])
def test_dense_autoencoder_corrupts_in_training_only(noise):
    module = randomize_(DenseAutoencoder(6, 2, (4,), corruption=CorruptionConfig(noise, 0.5)).double())
    assert_corrupts_in_training_only(module, rows(10, 6), code_index=1)


# ----------------------------------------------------------------- Jacobians
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("linear_path, gate", [(True, False), (False, False), (True, True)])
@pytest.mark.parametrize("hidden", [(), (5, 4)])
def test_linear_residual_jacobian_equals_autograd(activation, linear_path, gate, hidden):
    module = randomize_(LinearResidual(6, 3, hidden, activation, linear_path, gate=gate).double())
    x = rows(4, 6)
    torch.testing.assert_close(module.jacobian(x), reference_jacobian(module, x), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("tied_weights", [False, True])
def test_dense_encoder_jacobian_equals_autograd(tied_weights):
    module = randomize_(DenseAutoencoder(6, 3, (5,), activation="elu", tied_weights=tied_weights).double())
    x = rows(4, 6)
    torch.testing.assert_close(module.encoder_jacobian(x), reference_jacobian(module.encode, x))


def test_autograd_jacobian_equals_reference():
    module = randomize_(nn.Sequential(nn.Linear(4, 5), nn.Softplus(), nn.Linear(5, 2)).double())
    x = rows(3, 4)
    torch.testing.assert_close(autograd_jacobian(module, x), reference_jacobian(module, x))


# ----------------------------------------------------- layer-matching hooks
@pytest.mark.parametrize("linear_path, gate", [(True, False), (False, False), (True, True)])
def test_linear_residual_forward_hidden_matches_forward(linear_path, gate):
    module = randomize_(LinearResidual(6, 3, (5, 4), "tanh", linear_path, gate=gate).double())
    x = rows(4, 6)
    out, hidden = module.forward_hidden(x)
    torch.testing.assert_close(out, module(x))
    assert module.n_hidden == 2
    assert [h.shape for h in hidden] == [(4, 5), (4, 4)]


@pytest.mark.parametrize("linear_path, gate", [(True, False), (False, False), (True, True)])
@pytest.mark.parametrize("i", [0, 1])
def test_linear_residual_head_and_resume_split_forward(linear_path, gate, i):
    module = randomize_(LinearResidual(6, 3, (5, 4), "tanh", linear_path, gate=gate).double())
    x = rows(4, 6)
    h = module.head(x, i)
    torch.testing.assert_close(h, module.forward_hidden(x)[1][i])
    skip = module.skip(x)
    assert (skip is None) is (not linear_path)
    torch.testing.assert_close(module.resume(h, i, skip), module(x))


@pytest.mark.parametrize("match_layers", ["global", "local"])
def test_dense_match_layers_forward_equals_plain_forward(match_layers):
    plain = randomize_(DenseAutoencoder(6, 2, (5, 4), "tanh").double())
    matched = DenseAutoencoder(6, 2, (5, 4), "tanh", match_layers=match_layers).double()
    matched.load_state_dict(plain.state_dict())
    x = rows(4, 6)
    out, reference = matched(x), plain(x)
    torch.testing.assert_close(out[0], reference[0])
    torch.testing.assert_close(out[1], reference[1])
    pairs = out[2]
    assert [(e.shape, d.shape) for e, d in pairs] == [((4, 5), (4, 5)), ((4, 4), (4, 4))]


def test_dense_local_pairs_equal_global_pairs_in_value():
    glob = randomize_(DenseAutoencoder(6, 2, (5, 4), "tanh", match_layers="global").double())
    loc = DenseAutoencoder(6, 2, (5, 4), "tanh", match_layers="local").double()
    loc.load_state_dict(glob.state_dict())
    x = rows(4, 6)
    enc_hidden = glob.encoder.forward_hidden(x)[1]
    dec_hidden = glob.decoder.forward_hidden(glob.encode(x))[1][::-1]
    for (ge, gd), (le, ld), e, d in zip(glob(x)[2], loc(x)[2], enc_hidden, dec_hidden):
        for a in (ge, le):
            torch.testing.assert_close(a, e)
        for a in (gd, ld):
            torch.testing.assert_close(a, d)


def test_dense_local_pair_trains_only_the_layers_between_its_members():
    module = randomize_(DenseAutoencoder(6, 2, (5, 4), "tanh", match_layers="local").double())
    encoder_pair, decoder_pair = module(rows(4, 6))[2][0]
    assert not encoder_pair.requires_grad
    (decoder_pair - encoder_pair).pow(2).sum().backward()
    outer = [module.encoder.linear.weight, module.encoder.mlp[0].weight, module.decoder.mlp[-1].weight]
    inner = [module.encoder.mlp[2].weight, module.decoder.mlp[0].weight, module.decoder.mlp[2].weight]
    assert all(p.grad is None or torch.count_nonzero(p.grad) == 0 for p in outer)
    assert all(p.grad is not None and torch.count_nonzero(p.grad) > 0 for p in inner)


def test_dense_global_pair_trains_the_outer_layers():
    module = randomize_(DenseAutoencoder(6, 2, (5, 4), "tanh", match_layers="global").double())
    encoder_pair, decoder_pair = module(rows(4, 6))[2][0]
    (decoder_pair - encoder_pair).pow(2).sum().backward()
    assert torch.count_nonzero(module.encoder.mlp[0].weight.grad) > 0


# ---------------------------------------------- mutation-testing survivors (benchmarks/results_mutation.md)
def test_defaults_relu_linear_path_no_gate_no_zero_last():
    mlp = make_mlp((4, 6, 3))
    assert isinstance(mlp[1], nn.ReLU) and not torch.all(mlp[-1].weight == 0)
    assert isinstance(make_tied_mlp(mlp)[1], nn.ReLU)
    half = LinearResidual(4, 3, (6,))
    assert half.linear is not None and half.gate is None and isinstance(half.mlp[1], nn.ReLU)


def test_noise_level_defaults_to_zero_everywhere():
    x = rows(5, 3)
    corruptions = [
        Corruption("gaussian"),
        Corruption("masking"),
        MirroredAutoencoder(corruption=CorruptionConfig("gaussian")).corruption,
        DenseAutoencoder(3, 2, corruption=CorruptionConfig("masking")).corruption,
    ]
    assert CorruptionConfig().kind is None and CorruptionConfig("masking").level == 0.0
    for corruption in corruptions:
        assert corruption.level == 0.0
        assert corruption.train()(x) is x


@pytest.mark.parametrize("n_out", [1, 4])
def test_tied_linear_bias_starts_like_nn_linear(n_out):
    # uniform in +-1/sqrt(fan_in), the tied layer's fan_in being the source's out_features
    torch.manual_seed(0)
    bias = TiedLinear(nn.Linear(200, n_out)).bias.detach()
    bound = 1 / np.sqrt(n_out)
    assert bias.shape == (200,) and bias.abs().max() <= bound
    assert bias.max() > 0.9 * bound and bias.min() < -0.9 * bound


@pytest.mark.parametrize(
    "kind, level, message",
    [
        ("salt", 0.1, r"^Unknown noise 'salt'; expected None, 'gaussian' or 'masking'\.$"),
        ("gaussian", -1.0, r"^The noise level must be >= 0, got -1\.0\.$"),
        ("masking", 1.0, r"^noise='masking' needs noise_level < 1 \(a probability\), got 1\.0\.$"),
    ],
)
@pytest.mark.parametrize("make", [Corruption, CorruptionConfig])
def test_corruption_errors_say_what_is_wrong(kind, level, message, make):
    with pytest.raises(ValueError, match=message):
        make(kind, level)


@pytest.mark.parametrize("kind", ["gaussian", "masking"])
def test_seeded_corruption_equals_the_draws_by_hand_and_spares_the_global_rng(kind):
    x = rows(50, 3)  # float64: the draws are made in the input's dtype
    fill, scale = np.array([9.0, -9.0, 0.5]), np.array([0.0, 1.0, 10.0])
    corruption = Corruption(kind, 0.3, fill=fill, scale=scale).eval()
    torch.manual_seed(123)
    state = torch.get_rng_state()
    with corruption.seeded(7):
        first, second = corruption(x), corruption(x)
    with corruption.seeded(7):
        again = corruption(x)
    assert torch.equal(torch.get_rng_state(), state)
    generator = torch.Generator().manual_seed(7)
    if kind == "gaussian":
        noise = 0.3 * torch.randn(x.shape, generator=generator, dtype=x.dtype)
        expected = x + noise * torch.as_tensor(scale, dtype=torch.float32)
    else:
        keep = torch.rand(x.shape, generator=generator, dtype=x.dtype) >= 0.3
        expected = torch.where(keep, x, torch.as_tensor(fill))
    assert first.dtype == torch.float64 and torch.equal(first, expected)
    assert torch.equal(again, first) and not torch.equal(second, first)  # one stream per block, restarted


def test_corruption_keeps_float32_input_float32_with_float64_fill_and_scale():
    x = rows(6, 3).float()
    for kind in ("gaussian", "masking"):
        corruption = Corruption(kind, 0.5, fill=np.ones(3), scale=np.ones(3)).train()
        assert corruption(x).dtype == torch.float32


def test_dense_autoencoder_passes_fill_scale_and_tied_weights_on():
    corruption = CorruptionConfig("masking", 0.5, fill=[1.0, 2.0, 3.0], scale=[4, 5, 6])
    module = DenseAutoencoder(3, 2, corruption=corruption)
    assert torch.equal(module.corruption.fill, torch.tensor([1.0, 2.0, 3.0]))
    assert torch.equal(module.corruption.scale, torch.tensor([4.0, 5.0, 6.0]))
    assert module.tied_weights is False and DenseAutoencoder(3, 2, tied_weights=True).tied_weights is True


def test_relu_jacobian_at_a_kink_matches_autograd():
    # a pre-activation of exactly 0: ReLU's derivative there is 0, as torch's autograd has it
    half = randomize_(LinearResidual(3, 2, (4,), "relu", linear_path=False).double())
    with torch.no_grad():
        half.mlp[0].bias.zero_()
    x = torch.zeros(2, 3, dtype=torch.float64)
    torch.testing.assert_close(half.jacobian(x), reference_jacobian(half, x))


@pytest.mark.parametrize("activation", ["elu", "gelu"])
def test_generic_activation_jacobian_works_without_grad_and_is_differentiable(activation):
    half = randomize_(LinearResidual(3, 2, (4,), activation, linear_path=False).double())
    x = rows(5, 3)
    with torch.no_grad():
        J = half.jacobian(x)
    torch.testing.assert_close(J, reference_jacobian(half, x))
    # the last layer's bias does not enter the Jacobian: its gradient is None either way
    params = list(half.parameters())[:-1]
    got = torch.autograd.grad(half.jacobian(x).pow(2).sum(), params)
    expected = torch.autograd.grad(autograd_jacobian(half, x).pow(2).sum(), params)
    for g, e in zip(got, expected):
        torch.testing.assert_close(g, e)


def test_nonlinear_path_starts_at_zero_only_with_an_ungated_linear_path():
    assert torch.all(LinearResidual(3, 2, (4,)).mlp[-1].weight == 0)
    assert not torch.all(LinearResidual(3, 2, (4,), linear_path=False).mlp[-1].weight == 0)
    gated = LinearResidual(3, 2, (4,), gate=True)
    assert not torch.all(gated.mlp[-1].weight == 0) and gated.gate.item() == 0.0


def test_tied_half_uses_the_given_activation():
    encoder = LinearResidual(3, 2, (4,), "tanh")
    decoder = LinearResidual(2, 3, (4,), "tanh", tied_to=encoder)
    assert any(isinstance(m, nn.Tanh) for m in decoder.mlp) and not any(isinstance(m, nn.ReLU) for m in decoder.mlp)


@pytest.mark.parametrize("linear_path", [True, False])
def test_linear_residual_forward_hidden_without_hidden_layers(linear_path):
    half = randomize_(LinearResidual(3, 2, (), linear_path=linear_path).double())
    x = rows(4, 3)
    out, hidden = half.forward_hidden(x)
    assert hidden == []
    torch.testing.assert_close(out, half(x))


class _HalfOnly(nn.Module):
    """A half with the MatchableHalf methods but not the MatchableEncoder ones (no skip, no resume)."""

    n_hidden = 1

    def __init__(self, n_in, n_out):
        super().__init__()
        self.inner = LinearResidual(n_in, n_out, (4,))

    def forward(self, x):
        return self.inner(x)

    def forward_hidden(self, x):
        return self.inner.forward_hidden(x)

    def head(self, x, i):
        return self.inner.head(x, i)


class _Halves(MirroredAutoencoder):
    def __init__(self, encoder, decoder, match_layers):
        super().__init__(match_layers=match_layers)
        self.encoder, self.decoder = encoder, decoder
        self._check_halves()


def test_layer_matching_checks_each_half_for_its_protocol():
    _Halves(_HalfOnly(3, 2), _HalfOnly(2, 3), "global")
    _Halves(LinearResidual(3, 2, (4,)), _HalfOnly(2, 3), "local")
    with pytest.raises(TypeError, match=r"^match_layers='local' needs halves that implement MatchableEncoder\.$"):
        _Halves(_HalfOnly(3, 2), _HalfOnly(2, 3), "local")
    with pytest.raises(TypeError, match=r"^match_layers='global' needs halves that implement MatchableHalf\.$"):
        _Halves(_HalfOnly(3, 2), nn.Linear(2, 3), "global")
    with pytest.raises(ValueError, match=r"^match_layers must be None, 'global' or 'local', got 'both'\.$"):
        MirroredAutoencoder(match_layers="both")


def test_layer_matching_needs_at_least_one_hidden_layer():
    DenseAutoencoder(3, 2, (4,), match_layers="global")
    with pytest.raises(ValueError, match=r"^Layer matching needs hidden layers to match; the network has none\.$"):
        DenseAutoencoder(3, 2, (), match_layers="global")


def test_encoder_jacobian_uses_the_encoders_closed_form(monkeypatch):
    module = DenseAutoencoder(4, 2, (3,))
    calls, closed_form = [], module.encoder.jacobian
    monkeypatch.setattr(module.encoder, "jacobian", lambda x: calls.append(x) or closed_form(x))
    module.encoder_jacobian(torch.zeros(3, 4))
    assert len(calls) == 1


def test_init_from_pca_with_fewer_components_leaves_the_extra_codes_at_zero():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 8)) @ rng.normal(size=(8, 8))
    pca = PCA(2).fit(X)
    module = DenseAutoencoder(8, 3).double()
    module.init_from_pca(pca)
    W = module.encoder.linear.weight.detach().numpy()
    np.testing.assert_allclose(W[:2], pca.components_, rtol=1e-12)
    assert np.all(W[2] == 0)
    with pytest.raises(ValueError, match=r"^init_from_pca needs the linear path \(linear_path=True\)\.$"):
        DenseAutoencoder(8, 3, (4,), linear_path=False).init_from_pca(pca)


# ------------------------------------------------------- the corruption argument
def test_corruption_config_is_a_frozen_value():
    config = CorruptionConfig("masking", 1 / 4, fill=np.array([1.0, 2.0]))
    assert config.level == 0.25 and isinstance(config.level, float)
    assert config.fill.dtype == np.float32 and not config.fill.flags.writeable and config.scale is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.level = 0.5
    same = CorruptionConfig("masking", 0.25, fill=[1, 2])
    assert same == config and hash(same) == hash(config)
    assert config != CorruptionConfig("masking", 0.25, fill=[1, 3])
    assert config != CorruptionConfig("masking", 0.25, scale=[1, 2])
    assert config != CorruptionConfig("gaussian", 0.25, fill=[1, 2])
    assert dataclasses.replace(config, level=0.5) == CorruptionConfig("masking", 0.5, fill=[1, 2])


@pytest.mark.parametrize(
    "corruption, buffers",
    [
        (None, []),
        (CorruptionConfig("gaussian", 0.1), []),
        (CorruptionConfig("masking", 0.1, fill=np.zeros(6)), ["corruption.fill"]),
        (CorruptionConfig("gaussian", 0.1, scale=np.ones(6)), ["corruption.scale"]),
        (CorruptionConfig("masking", 0.1, fill=np.zeros(6), scale=np.ones(6)), ["corruption.fill", "corruption.scale"]),
    ],
)
def test_the_corruption_argument_gives_the_buffers_of_the_four_arguments_before_it(corruption, buffers):
    # the state_dict names the saved files hold: corruption.fill and corruption.scale, first, when set
    module = DenseAutoencoder(6, 2, (4,), corruption=corruption)
    names = list(module.state_dict())
    assert names[: len(buffers)] == buffers
    assert not any(name.startswith("corruption.") for name in names[len(buffers) :])
    assert module.corruption.kind == (None if corruption is None else corruption.kind)


def test_the_layer_owns_its_buffers_and_the_config_stays_unchanged():
    config = CorruptionConfig("masking", 0.5, fill=[1.0, 2.0, 3.0])
    module = DenseAutoencoder(3, 2, corruption=config)
    with torch.no_grad():
        module.corruption.fill.fill_(7.0)  # as loading weights does
    np.testing.assert_array_equal(config.fill, [1.0, 2.0, 3.0])


def test_modules_refuse_a_corruption_that_is_not_a_config():
    with pytest.raises(TypeError, match=r"^corruption must be a CorruptionConfig or None, got 'masking'\.$"):
        DenseAutoencoder(3, 2, corruption="masking")
    with pytest.raises(TypeError, match="CorruptionConfig or None"):
        MirroredAutoencoder(corruption=Corruption("masking", 0.5))
