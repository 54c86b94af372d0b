"""Unit tests of sklearn_ae.nn._custom: building the user's modules, shape checks, corruption."""

import pytest
import torch
from torch import nn
from unit_helpers import assert_corrupts_in_training_only

from sklearn_ae.nn import CorruptionConfig, CustomAutoencoder
from sklearn_ae.nn._custom import build_module


class SizedEncoder(nn.Module):
    def __init__(self, n_features, n_components, width=3):
        super().__init__()
        self.args = {"n_features": n_features, "n_components": n_components, "width": width}
        self.net = nn.Sequential(nn.Linear(n_features, width), nn.Tanh(), nn.Linear(width, n_components))

    def forward(self, x):
        return self.net(x)


class SizedDecoder(nn.Module):
    def __init__(self, n_components, n_features):
        super().__init__()
        self.args = {"n_features": n_features, "n_components": n_components}
        self.net = nn.Linear(n_components, n_features)

    def forward(self, z):
        return self.net(z)


class AnyKwargs(nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.args = kwargs


class OnlyWidth(nn.Module):
    def __init__(self, width=2):
        super().__init__()
        self.args = {"width": width}


class ImageDecoder(nn.Module):
    """Returns images of shape (n, 2, 3): six values per row, to be flattened."""

    def __init__(self, n_components):
        super().__init__()
        self.net = nn.Linear(n_components, 6)

    def forward(self, z):
        return self.net(z).reshape(-1, 2, 3)


class WrongWidth(nn.Module):
    def __init__(self, n_features):
        super().__init__()

    def forward(self, x):
        return x[:, :1]


class NoInit(nn.Module):
    """A parameter-free module that relies on ``nn.Module.__init__`` (whose signature ends in ``**kwargs``)."""

    def forward(self, x):
        return x


@pytest.mark.parametrize(
    "cls, kwargs, expected",
    [
        (SizedEncoder, {}, {"n_features": 6, "n_components": 2, "width": 3}),
        (SizedEncoder, {"width": 5}, {"n_features": 6, "n_components": 2, "width": 5}),
        (SizedEncoder, {"n_components": 4}, {"n_features": 6, "n_components": 4, "width": 3}),
        (AnyKwargs, {"a": 1}, {"a": 1, "n_features": 6, "n_components": 2}),
        (OnlyWidth, {}, {"width": 2}),
        (OnlyWidth, {"width": 7}, {"width": 7}),
    ],
)
def test_build_module_passes_sizes_only_when_accepted(cls, kwargs, expected):
    assert build_module(cls, kwargs, n_features=6, n_components=2).args == expected


def test_build_module_class_without_own_init():
    # nn.Module.__init__(*args, **kwargs) takes any keyword but uses none: no size arguments for such a class
    assert isinstance(build_module(NoInit, {}, n_features=6, n_components=2), NoInit)


def test_build_module_does_not_mutate_kwargs():
    kwargs = {"width": 5}
    build_module(SizedEncoder, kwargs, n_features=6, n_components=2)
    assert kwargs == {"width": 5}


@pytest.mark.parametrize("cls", [nn.Linear(2, 2), int, "SizedEncoder"])
def test_build_module_rejects_non_module_classes(cls):
    with pytest.raises(TypeError, match="nn.Module subclass"):
        build_module(cls, {}, n_features=6, n_components=2)


def test_custom_autoencoder_builds_both_halves():
    module = CustomAutoencoder(SizedEncoder, SizedDecoder, 6, 2, encoder_kwargs={"width": 4})
    assert module.encoder.args == {"n_features": 6, "n_components": 2, "width": 4}
    assert module.decoder.args == {"n_features": 6, "n_components": 2}
    x = torch.randn(5, 6)
    out = module(x)
    assert out[0].shape == (5, 6) and out[1].shape == (5, 2)
    torch.testing.assert_close(out[1], module.encoder(x))
    torch.testing.assert_close(out[0], module.decoder(out[1]))


def test_custom_autoencoder_flattens_decoder_output():
    module = CustomAutoencoder(SizedEncoder, ImageDecoder, 6, 2)
    z = torch.randn(4, 2)
    torch.testing.assert_close(module.decode(z), module.decoder(z).reshape(4, 6))


def test_custom_autoencoder_rejects_wrong_code_width():
    module = CustomAutoencoder(WrongWidth, SizedDecoder, 6, 2)
    with pytest.raises(ValueError, match=r"expected \(n_samples, 2\)"):
        module(torch.randn(3, 6))


def test_custom_autoencoder_rejects_wrong_output_width():
    module = CustomAutoencoder(SizedEncoder, SizedDecoder, 6, 2, decoder_kwargs={"n_features": 5})
    with pytest.raises(ValueError, match="returned 5 values per row; expected 6"):
        module(torch.randn(3, 6))


def test_custom_autoencoder_corrupts_in_training_only():
    module = CustomAutoencoder(SizedEncoder, SizedDecoder, 6, 2, corruption=CorruptionConfig("masking", 0.5))
    assert_corrupts_in_training_only(module, torch.randn(30, 6), code_index=1)


# ---------------------------------------------- mutation-testing survivors (benchmarks/results_mutation.md)
class NoSignature(nn.Module):
    """A module class whose signature inspect cannot read: built with the given arguments only."""

    __signature__ = 0  # inspect.signature raises TypeError on it

    def __init__(self, width=2, **kwargs):
        super().__init__()
        self.args = {"width": width, **kwargs}


def test_build_module_without_a_readable_signature_passes_no_sizes():
    assert build_module(NoSignature, {"width": 5}, n_features=4, n_components=2).args == {"width": 5}


def test_custom_autoencoder_noise_defaults_and_corruption_arguments():
    gaussian = CorruptionConfig("gaussian")
    assert CustomAutoencoder(SizedEncoder, SizedDecoder, 4, 2, corruption=gaussian).corruption.level == 0.0
    corruption = CorruptionConfig("masking", 0.5, fill=[1.0, 2, 3], scale=[4, 5, 6])
    module = CustomAutoencoder(SizedEncoder, SizedDecoder, 3, 2, corruption=corruption)
    assert torch.equal(module.corruption.fill, torch.tensor([1.0, 2.0, 3.0]))
    assert torch.equal(module.corruption.scale, torch.tensor([4.0, 5.0, 6.0]))


def test_custom_autoencoder_errors_name_the_users_class():
    with pytest.raises(ValueError, match=r"^The custom encoder WrongWidth returned codes of shape"):
        CustomAutoencoder(WrongWidth, SizedDecoder, 6, 2)(torch.randn(3, 6))
    with pytest.raises(ValueError, match=r"^The custom decoder SizedDecoder returned 5 values per row"):
        CustomAutoencoder(SizedEncoder, SizedDecoder, 6, 2, decoder_kwargs={"n_features": 5})(torch.randn(3, 6))
