"""The variants on AutoencoderOutlierDetector: forwarded to its AutoencoderTransformer members."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer
from sklearn_ae._variants import VARIANT_PARAMETER_CONSTRAINTS
from sklearn_ae.nn import ConvAutoencoder, TiedLinear


@pytest.fixture(scope="module")
def X():
    return load_digits(return_X_y=True)[0][:300].astype(np.float64)


FAST = dict(max_epochs=2, random_state=0)


def test_same_variant_parameters_as_the_transformer():
    detector, transformer = AutoencoderOutlierDetector(), AutoencoderTransformer()
    for name in VARIANT_PARAMETER_CONSTRAINTS:
        assert detector.get_params()[name] == transformer.get_params()[name]


def test_variants_reach_the_members(X):
    det = AutoencoderOutlierDetector(
        noise="masking", noise_level=0.3, tied_weights=True, sparsity=0.01, n_estimators=2, **FAST
    ).fit(X)
    for member in det.estimators_:
        assert isinstance(member, AutoencoderTransformer)
        assert (member.noise, member.noise_level, member.tied_weights, member.sparsity) == ("masking", 0.3, True, 0.01)
        assert any(isinstance(m, TiedLinear) for m in member.net_.module_.modules())
        assert "train_sparsity" in member.net_.history[-1]
    assert det.predict(X).shape == (300,)


def test_conv_detector(X):
    det = AutoencoderOutlierDetector(image_shape=(8, 8), hidden_layer_sizes=(4,), **FAST).fit(X)
    assert isinstance(det.estimators_[0].net_.module_, ConvAutoencoder)
    assert np.isfinite(det.score_samples(X)).all()


def test_vae_model_refuses_the_variants(X):
    with pytest.raises(ValueError, match="model='ae'"):
        AutoencoderOutlierDetector(model="vae", noise="gaussian", **FAST).fit(X)
