"""Every variant is a parameter: searchable with GridSearchCV, validated, cloned."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ae import AutoencoderTransformer

FAST = dict(n_components=4, hidden_layer_sizes=(8,), max_epochs=2, random_state=0)

VARIANTS = [
    dict(noise="gaussian", noise_level=0.3),
    dict(noise="masking", noise_level=0.3),
    dict(sparsity=0.1),
    dict(sparsity=0.1, sparsity_target=0.1),
    dict(contractive=0.01),
    dict(tied_weights=True),
    dict(layer_matching=0.5),
    dict(layer_matching=0.5, layer_matching_local=True),
    dict(image_shape=(8, 8)),
]


@pytest.fixture(scope="module")
def X():
    return load_digits(return_X_y=True)[0][:200].astype(np.float64)


def held_out_scores(make, params_list, X, n_splits=2):
    """By hand: ``make(**params).fit`` on each training fold, ``score`` on its held-out fold, per parameter set."""
    folds = list(KFold(n_splits).split(X))
    return np.array([[make(**params).fit(X[train]).score(X[test]) for train, test in folds] for params in params_list])


def test_grid_search_over_variants_picks_the_best_held_out_variant(X):
    grid = [{k: [v] for k, v in variant.items()} for variant in VARIANTS] + [{}]
    search = GridSearchCV(AutoencoderTransformer(**FAST), grid, cv=2).fit(X)
    params = search.cv_results_["params"]
    assert len(params) == len(VARIANTS) + 1
    by_hand = held_out_scores(lambda **p: AutoencoderTransformer(**FAST, **p), params, X)
    split_scores = np.column_stack([search.cv_results_[f"split{i}_test_score"] for i in range(2)])
    np.testing.assert_allclose(split_scores, by_hand, rtol=1e-6)
    mean = by_hand.mean(axis=1)
    assert (mean == mean.max()).sum() == 1  # one best variant, not a tie between identical fits
    assert search.best_params_ == params[mean.argmax()]
    # the refit is that variant on all the rows
    refit = AutoencoderTransformer(**FAST, **search.best_params_).fit(X)
    np.testing.assert_array_equal(search.best_estimator_.transform(X), refit.transform(X))


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(f"{k}={v[k]}" for k in v))
def test_variant_is_reproducible_and_clonable(X, variant):
    a = AutoencoderTransformer(**FAST, **variant).fit(X)
    b = clone(a).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert b.get_params() == a.get_params()


@pytest.mark.parametrize(
    "params",
    [
        dict(noise="salt"),
        dict(noise_level=-1.0),
        dict(sparsity=-0.1),
        dict(sparsity_target=1.0),
        dict(contractive=-1),
        dict(tied_weights="yes"),
        dict(layer_matching=-1.0),
        dict(layer_matching_local=1.5),
        dict(encoder="Encoder"),
        dict(encoder_kwargs=[("width", 3)]),
    ],
)
def test_invalid_values_are_rejected(X, params):
    with pytest.raises(InvalidParameterError):
        AutoencoderTransformer(**FAST, **params).fit(X)


# The variants that test_common.py's variant-configured estimator leaves out (it has masking, L1 sparsity,
# contractive, tied and local layer matching): every scikit-learn check with these on too.
OTHERS = AutoencoderTransformer(
    max_epochs=3,
    hidden_layer_sizes=(8,),
    batch_size=16,
    noise="gaussian",
    sparsity=0.1,
    sparsity_target=0.2,
    layer_matching=0.1,
)


@parametrize_with_checks([OTHERS], legacy=True)
def test_sklearn_checks_with_the_other_variants(estimator, check):
    check(estimator)
