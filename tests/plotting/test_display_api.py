"""What every display shares: a constructor that only stores, and matplotlib as an optional dependency."""

import inspect
import sys

import pytest

import sklearn_ae.plotting
from sklearn_ae.plotting import ReconstructionDisplay

DISPLAYS = [getattr(sklearn_ae.plotting, name) for name in sklearn_ae.plotting.__all__]


@pytest.mark.parametrize("Display", DISPLAYS, ids=lambda d: d.__name__)
def test_constructor_only_stores_its_arguments(Display):
    params = [p for p in inspect.signature(Display.__init__).parameters.values() if p.name != "self"]
    sentinels = {p.name: object() for p in params}  # anything goes: nothing is checked or computed
    args = [sentinels[p.name] for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
    kwargs = {p.name: sentinels[p.name] for p in params if p.kind == p.KEYWORD_ONLY}
    display = Display(*args, **kwargs)
    for name, value in sentinels.items():
        assert getattr(display, name) is value, name
    assert not [attr for attr in vars(display) if attr.endswith("_")]  # nothing drawn yet


@pytest.mark.parametrize("Display", DISPLAYS, ids=lambda d: d.__name__)
def test_display_has_from_estimator_and_a_from_data_constructor(Display):
    constructors = [name for name in vars(Display) if name.startswith("from_")]
    assert "from_estimator" in constructors and len(constructors) == 2, constructors


def test_missing_matplotlib_names_the_plot_extra(monkeypatch, fitted, digits_xy):
    X, _ = digits_xy
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"sklearn-ae\[plot\]"):
        ReconstructionDisplay.from_estimator(fitted["pca"], X)
    with pytest.raises(ImportError, match=r"sklearn-ae\[plot\]"):
        ReconstructionDisplay.from_reconstructions(X[:2], [X[:2]])
    # building a display from arrays needs no matplotlib
    disp = ReconstructionDisplay(X[:2], [X[:2]])
    assert disp.errors[0] == 0
