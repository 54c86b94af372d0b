"""The private scikit-learn and skorch API in use (sklearn_ae._sklearn_private): fails when either changes it."""

from numbers import Integral

import numpy as np
import pytest
import torch
from skorch import NeuralNet

from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer
from sklearn_ae._sklearn_private import (
    SKORCH_PRIVATE_MEMBERS,
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    _fit_context,
    _safe_indexing,
    param_names,
    refuse_bool_integers,
    validate_params,
)


def test_parameter_constraints_behave_as_used():
    assert Interval(Integral, 1, None, closed="left").is_satisfied_by(3)
    assert not Interval(Integral, 1, None, closed="left").is_satisfied_by(0)
    assert StrOptions({"a", "b"}).is_satisfied_by("a") and not StrOptions({"a"}).is_satisfied_by("c")
    assert HasMethods(["fit"]).is_satisfied_by(AutoencoderTransformer())
    assert issubclass(InvalidParameterError, ValueError) and issubclass(InvalidParameterError, TypeError)


def test_fit_context_validates_the_parameters_once_per_fit():
    class Counting(AutoencoderTransformer):
        calls = 0

        def _validate_params(self):
            type(self).calls += 1
            super()._validate_params()

    with pytest.raises(InvalidParameterError, match="lr"):
        Counting(lr=-1.0).fit(np.ones((10, 3)))
    assert Counting.calls == 1
    assert callable(_fit_context(prefer_skip_nested_validation=True))


def test_estimator_privates():
    names = param_names(AutoencoderTransformer)
    assert names == sorted(names) and {"n_components", "noise", "batch_size"} <= set(names)
    assert "n_components" in param_names(VAETransformer)
    with pytest.raises(InvalidParameterError, match="measure"):
        validate_params(AutoencoderOutlierDetector(measure="nonsense"))
    np.testing.assert_array_equal(_safe_indexing(np.arange(5) * 2, [1, 3]), [2, 6])


def test_skorch_members_that_the_net_relies_on():
    assert callable(getattr(NeuralNet, SKORCH_PRIVATE_MEMBERS[0]))
    net = NeuralNet(torch.nn.Linear(2, 2), criterion=torch.nn.MSELoss).initialize()
    for name in SKORCH_PRIVATE_MEMBERS[1:]:
        assert "module" in getattr(net, name) or "criterion" in getattr(net, name)


@pytest.mark.parametrize(
    "estimator, name",
    [
        (AutoencoderTransformer(batch_size=True), "batch_size"),
        (AutoencoderTransformer(max_epochs=True), "max_epochs"),
        (VAETransformer(n_components=True), "n_components"),
        (AutoencoderOutlierDetector(n_estimators=True), "n_estimators"),
    ],
)
def test_a_bool_for_an_int_is_refused(estimator, name):
    X = np.random.default_rng(0).normal(size=(30, 4))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter .* must be an int, not a bool"):
        estimator.fit(X)
    with pytest.raises(InvalidParameterError, match=name):
        refuse_bool_integers(estimator)
    assert not hasattr(estimator, "n_features_in_")
