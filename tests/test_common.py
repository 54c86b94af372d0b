"""scikit-learn's estimator checks over every public estimator, with no expected failures."""

import pytest
from sklearn.decomposition import PCA
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_get_feature_names_out_error,
    check_global_output_transform_pandas,
    check_global_set_output_transform_polars,
    check_param_validation,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_set_output_transform_polars,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

import sklearn_ae

# Few epochs: the checks test the contract, not the quality of the fit.
FAST = {"max_epochs": 3, "hidden_layer_sizes": (8,), "batch_size": 16}
VARIANTS = {"noise": "masking", "sparsity": 0.01, "contractive": 0.01, "tied_weights": True, "layer_matching": 0.1}

ESTIMATORS = [
    sklearn_ae.AutoencoderTransformer(**FAST),
    # every variant of issue 5 that fits arbitrary X at once (not image_shape, which fixes n_features)
    sklearn_ae.AutoencoderTransformer(**FAST, **VARIANTS, layer_matching_local=True),
    sklearn_ae.VAETransformer(**FAST),
    sklearn_ae.VAETransformer(**FAST, noise="masking", sparsity=0.01),  # the variants the VAE has
    # the detector with its default autoencoder, and wrapping each kind of model it takes
    sklearn_ae.AutoencoderOutlierDetector(),
    sklearn_ae.AutoencoderOutlierDetector(sklearn_ae.AutoencoderTransformer(**FAST)),
    sklearn_ae.AutoencoderOutlierDetector(sklearn_ae.AutoencoderTransformer(**FAST, **VARIANTS), n_estimators=2),
    sklearn_ae.AutoencoderOutlierDetector(sklearn_ae.VAETransformer(**FAST), measure="likelihood"),
    sklearn_ae.AutoencoderOutlierDetector(PCA()),
    sklearn_ae.AutoencoderOutlierDetector(PCA(n_components=1), measure="reconstruction"),
]
TRANSFORMERS = [e for e in ESTIMATORS if hasattr(e, "transform")]


def test_every_public_estimator_is_checked():
    checked = {type(e).__name__ for e in ESTIMATORS}
    assert checked == {name for name in sklearn_ae.__all__ if isinstance(getattr(sklearn_ae, name), type)} - {
        "FittedScaling"
    }


@parametrize_with_checks(ESTIMATORS, legacy=True)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


EXTRA_CHECKS = [check_param_validation, check_dataframe_column_names_consistency]
EXTRA_TRANSFORMER_CHECKS = [
    check_get_feature_names_out_error,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_global_output_transform_pandas,
    check_set_output_transform_polars,
    check_global_set_output_transform_polars,
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("check", EXTRA_CHECKS, ids=lambda c: c.__name__)
def test_extra_checks(estimator, check):
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("check", EXTRA_TRANSFORMER_CHECKS, ids=lambda c: c.__name__)
def test_extra_transformer_checks(estimator, check):
    check(type(estimator).__name__, estimator)
