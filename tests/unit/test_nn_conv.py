"""Unit tests of sklearn_ae.nn._conv: odd image sizes, padding and cropping, tied transposed convolutions."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from unit_helpers import n_parameters, randomize_, reference_jacobian, rows

from sklearn_ae.nn import ConvAutoencoder
from sklearn_ae.nn._conv import TiedConvTranspose2d, parse_image_shape

SHAPES = [(7, 9), (1, 1), (3, 5, 7), (2, 8, 8)]


def _conv(image_shape, channels=(2, 3), **kwargs):
    n_features = math.prod(parse_image_shape(image_shape))
    return randomize_(ConvAutoencoder(n_features, 4, image_shape, channels, "tanh", **kwargs).double())


@pytest.mark.parametrize("image_shape", SHAPES)
@pytest.mark.parametrize("channels", [(2,), (2, 3)])
@pytest.mark.parametrize("tied_weights", [False, True])
def test_conv_autoencoder_shapes(image_shape, channels, tied_weights):
    module = _conv(image_shape, channels, tied_weights=tied_weights)
    n_features = math.prod(image_shape)
    x = rows(3, n_features)
    out = module(x)
    assert out[0].shape == (3, n_features)
    assert out[1].shape == (3, 4)
    assert module.decode(module.encode(x)).shape == (3, n_features)


@pytest.mark.parametrize("image_shape", SHAPES)
def test_conv_grid_is_ceiling_of_halvings(image_shape):
    C, H, W = parse_image_shape(image_shape)
    module = _conv(image_shape, (2, 3))
    assert module.encoder.grid == (3, math.ceil(H / 4), math.ceil(W / 4))


@pytest.mark.parametrize("image_shape", SHAPES)
def test_conv_decoder_crops_the_centre_of_the_padded_image(image_shape):
    C, H, W = parse_image_shape(image_shape)
    module = _conv(image_shape, (2, 3))
    z = rows(3, 4)
    full = module.decoder.net(z)
    Hp, Wp = 4 * math.ceil(H / 4), 4 * math.ceil(W / 4)
    assert full.shape == (3, C, Hp, Wp)
    top, left = (Hp - H) // 2, (Wp - W) // 2
    expected = full[:, :, top : top + H, left : left + W].reshape(3, -1)
    torch.testing.assert_close(module.decode(z), expected)


@pytest.mark.parametrize("image_shape", SHAPES)
def test_conv_encoder_pads_evenly_with_zeros(image_shape):
    C, H, W = parse_image_shape(image_shape)
    module = _conv(image_shape, (2, 3))
    x = rows(3, C * H * W)
    Hp, Wp = 4 * math.ceil(H / 4), 4 * math.ceil(W / 4)
    top, left = (Hp - H) // 2, (Wp - W) // 2
    padded = torch.zeros(3, C, Hp, Wp, dtype=x.dtype)
    padded[:, :, top : top + H, left : left + W] = x.reshape(3, C, H, W)
    torch.testing.assert_close(module.encode(x), module.encoder.net(padded))


@pytest.mark.parametrize("image_shape, expected", [((4, 5), (1, 4, 5)), ((3, 4, 5), (3, 4, 5)), ([2, 6], (1, 2, 6))])
def test_parse_image_shape(image_shape, expected):
    assert parse_image_shape(image_shape) == expected


@pytest.mark.parametrize("image_shape", [(5,), (1, 2, 3, 4), (0, 4), (2.5, 4), ("a", 4)])
def test_parse_image_shape_rejects(image_shape):
    with pytest.raises(ValueError, match="image_shape"):
        parse_image_shape(image_shape)


def test_conv_autoencoder_rejects_wrong_n_features():
    with pytest.raises(ValueError, match="holds 20 values"):
        ConvAutoencoder(21, 2, (4, 5))


# ------------------------------------------------------------------ tied
def test_tied_conv_transpose_is_the_adjoint_of_the_convolution():
    conv = randomize_(nn.Conv2d(2, 3, 3, stride=2, padding=1).double())
    tied = TiedConvTranspose2d(conv).double()
    x = torch.randn(2, 2, 8, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    y = torch.randn(2, 3, 4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    conv_x = F.conv2d(x, conv.weight, stride=2, padding=1)
    tied_y = tied(y) - tied.bias[None, :, None, None]
    assert tied.weight is conv.weight
    torch.testing.assert_close((conv_x * y).sum(), (tied_y * x).sum())


def test_tied_conv_decoder_only_loss_reaches_every_encoder_weight():
    module = _conv((7, 9), (2, 3), tied_weights=True)
    module.decode(rows(3, 4)).pow(2).sum().backward()
    encoder_weights = [m.weight for m in module.encoder.net if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert all(w.grad is not None and torch.count_nonzero(w.grad) > 0 for w in encoder_weights)


def test_tied_conv_shares_every_weight():
    untied, tied = _conv((8, 8), (2, 3)), _conv((8, 8), (2, 3), tied_weights=True)
    encoder_weights = sum(m.weight.numel() for m in untied.encoder.net if isinstance(m, (nn.Conv2d, nn.Linear)))
    assert n_parameters(untied) - n_parameters(tied) == encoder_weights


# --------------------------------------------------------- Jacobian, hooks
def test_conv_encoder_jacobian_equals_autograd():
    module = _conv((5, 6), (2,))
    x = rows(3, 30)
    torch.testing.assert_close(module.encoder_jacobian(x), reference_jacobian(module.encode, x))


@pytest.mark.parametrize("i", [0, 1])
def test_conv_encoder_head_and_resume_split_forward(i):
    module = _conv((7, 9), (2, 3))
    x = rows(3, 63)
    out, hidden = module.encoder.forward_hidden(x)
    torch.testing.assert_close(out, module.encode(x))
    torch.testing.assert_close(module.encoder.head(x, i), hidden[i])
    assert module.encoder.skip(x) is None
    torch.testing.assert_close(module.encoder.resume(hidden[i], i, None), module.encode(x))


@pytest.mark.parametrize("j", [0, 1])
def test_conv_decoder_head_matches_forward_hidden(j):
    module = _conv((7, 9), (2, 3))
    z = rows(3, 4)
    out, hidden = module.decoder.forward_hidden(z)
    torch.testing.assert_close(out, module.decode(z))
    torch.testing.assert_close(module.decoder.head(z, j), hidden[j])


@pytest.mark.parametrize("match_layers", ["global", "local"])
def test_conv_match_layers_pairs_have_matching_shapes(match_layers):
    plain = _conv((7, 9), (2, 3))
    matched = _conv((7, 9), (2, 3), match_layers=match_layers)
    matched.load_state_dict(plain.state_dict())
    x = rows(3, 63)
    out, reference = matched(x), plain(x)
    torch.testing.assert_close(out[0], reference[0])
    torch.testing.assert_close(out[1], reference[1])
    assert [(e.shape, d.shape) for e, d in out[2]] == [((3, 2, 4, 6), (3, 2, 4, 6)), ((3, 3, 2, 3), (3, 3, 2, 3))]
    assert not np.any([torch.equal(e, d) for e, d in out[2]])
