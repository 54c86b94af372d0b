"""sklearn_ae.onnx without its optional dependencies: register() says what to install."""

import sys

import pytest

from sklearn_ae import onnx


def test_register_without_the_onnx_extra_names_the_package_and_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # the import fails as if skl2onnx were not installed
    with pytest.raises(ImportError, match="needs skl2onnx, which is not installed") as caught:
        onnx.register()
    message = str(caught.value)
    assert "extra 'onnx'" in message
    assert 'pip install ".[onnx]"' in message and 'pip install "sklearn-ae[onnx]"' in message
    assert isinstance(caught.value.__cause__, ImportError)  # chained from the failed import
