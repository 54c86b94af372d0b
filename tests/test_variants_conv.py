"""Convolutional autoencoder: image_shape, any image size, X stays 2-D."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.nn import ConvAutoencoder, DenseAutoencoder


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_conv_has_fewer_parameters_than_dense_at_equal_code():
    for k, ratio in [(2, 0.25), (16, 0.5), (64, 1.0)]:
        conv = ConvAutoencoder(784, k, (28, 28), channels=(32, 64))
        dense = DenseAutoencoder(784, k, (256, 64))  # the estimator's default hidden_layer_sizes
        # the linear map between the code and the 64 x 7 x 7 grid dominates the conv count as k grows
        assert _n_params(conv) < ratio * _n_params(dense)


@pytest.mark.parametrize("shape", [(28, 28), (1, 9, 13), (3, 5, 7), (2, 1, 1), (16, 16)])
@pytest.mark.parametrize("channels", [(), (3,), (3, 4, 5)])
def test_any_image_size_pads_and_crops(shape, channels):
    n = int(np.prod(shape))
    module = ConvAutoencoder(n, 4, shape, channels=channels)
    x = torch.randn(3, n)
    recon, code = module(x)[:2]
    assert recon.shape == (3, n) and code.shape == (3, 4)
    # the padding puts the image at the centre of the padded grid, and the crop takes exactly that region back
    padded = module.encoder._image(x)
    assert padded.shape[-1] % 2 ** len(channels) == 0 and padded.shape[-2] % 2 ** len(channels) == 0
    torch.testing.assert_close(module.decoder._crop(padded), x)
    assert padded.abs().sum().item() == pytest.approx(x.abs().sum().item(), rel=1e-6)  # only zeros were added


def test_conv_pixels_map_to_their_own_location():
    """Rows are C-order images: a decoder output pixel depends most on the same input pixel's neighbourhood."""
    torch.manual_seed(0)
    module = ConvAutoencoder(2 * 6 * 5, 60, (2, 6, 5), channels=(3,)).double()
    x = torch.zeros(1, 60, dtype=torch.float64, requires_grad=True)
    J = torch.autograd.functional.jacobian(lambda v: module.encoder.net[:2](module.encoder._image(v)), x)
    # the first conv's receptive field: pixel (c=1, h=0, w=0) only reaches output positions at the top-left
    J = J.reshape(3, *module.encoder.net[:2](module.encoder._image(x)).shape[-2:], 60)
    col = 1 * 30 + 0 * 5 + 0
    affected = J[..., col].abs().sum(0).nonzero().tolist()
    assert affected and all(h <= 1 and w <= 1 for h, w in affected)


def test_estimator_on_digits_learns_and_pipelines():
    X, _ = load_digits(return_X_y=True)
    X_train, X_test = X[:800].astype(np.float64), X[1000:1300].astype(np.float64)
    model = AutoencoderTransformer(
        n_components=8,
        hidden_layer_sizes=(8, 16),
        image_shape=(8, 8),
        max_epochs=15,
        lr=1e-2,
        batch_size=64,
        early_stopping=False,
        random_state=0,
    )
    pipe = make_pipeline(FunctionTransformer(), model).fit(X_train)
    codes = pipe.transform(X_test)
    assert codes.shape == (300, 8)
    error = ((model.inverse_transform(codes) - X_test) ** 2).mean()
    assert error < 0.6 * X_test.var(axis=0).mean()  # far better than the mean image
    assert isinstance(model.net_.module_, ConvAutoencoder)
    assert np.isfinite(model.score(X_test))


def test_errors(tmp_path):
    X = np.random.default_rng(0).random((20, 12))
    with pytest.raises(ValueError, match="holds 16 values per image, but X has 12 features"):
        AutoencoderTransformer(image_shape=(4, 4), max_epochs=1).fit(X)
    with pytest.raises(ValueError, match="image_shape must be"):
        AutoencoderTransformer(image_shape=(2, 2, 3, 1), max_epochs=1).fit(X)
    with pytest.raises(ValueError, match="init='pca'"):
        AutoencoderTransformer(image_shape=(3, 4), init="pca", max_epochs=1).fit(X)
    model = AutoencoderTransformer(image_shape=(3, 4), hidden_layer_sizes=(2,), max_epochs=1).fit(X)
    assert model.network_.spec.init == "random"


def test_auto_hidden_layer_sizes_depend_on_the_network():
    X, _ = load_digits(return_X_y=True)
    conv = AutoencoderTransformer(4, image_shape=(8, 8), max_epochs=0).fit(X[:50])
    channels = [m.out_channels for m in conv.net_.module_.modules() if type(m).__name__ == "Conv2d"]
    assert channels == [16, 32, 64]
    dense = AutoencoderTransformer(4, max_epochs=0).fit(X[:50])
    widths = [m.out_features for m in dense.net_.module_.encoder.mlp if hasattr(m, "out_features")]
    assert widths == [512, 128, 4]
