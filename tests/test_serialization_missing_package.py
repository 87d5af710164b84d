"""Model files without the safetensors package: one sentence, not a NameError from the handler."""

import sys

import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ModelFileError


@pytest.fixture
def no_safetensors(monkeypatch):
    # A None entry in sys.modules makes `import safetensors` raise ImportError, as on a machine without it.
    for name in [n for n in sys.modules if n == "safetensors" or n.startswith("safetensors.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)


def test_saving_without_safetensors_says_so_and_writes_nothing(tmp_path, no_safetensors):
    path = tmp_path / "model.safetensors"
    with pytest.raises(ModelFileError, match="need the safetensors package"):
        dp.save(nn.Linear(2, 3), path)
    assert list(tmp_path.iterdir()) == []


def test_loading_without_safetensors_says_so(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    dp.save(nn.Linear(2, 3), path)
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ModelFileError, match="need the safetensors package"):
        dp.load(path)
