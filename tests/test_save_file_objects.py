"""save and load with a file object, as torch.save(model, f) and torch.load(f) take one
(pytorch/examples' word_language_model: ``with open(args.save, 'wb') as f: torch.save(model, f)``)."""

import io

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ModelFileError


def _model():
    dp.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(5, 3)
        self.decoder = nn.Linear(3, 5)
        self.decoder.weight = self.encoder.weight  # tied, as the language model's tie_weights

    def forward(self, x):
        return self.decoder(self.encoder(x))


def test_a_model_goes_through_an_open_file_and_comes_back(tmp_path):
    model = _model()
    with open(tmp_path / "model.pt", "wb") as f:
        dp.save(model, f)
    with open(tmp_path / "model.pt", "rb") as f:
        again = dp.load(f)
    x = dp.randn(2, 3)
    np.testing.assert_allclose(again(x).data, model(x).data, rtol=1e-6)
    assert (tmp_path / "model.pt").read_bytes() == _bytes_of(model)  # the same bytes as a path gets


def _bytes_of(obj):
    buffer = io.BytesIO()
    dp.save(obj, buffer)
    return buffer.getvalue()


def test_state_dicts_and_checkpoint_dicts_go_through_a_bytes_buffer():
    model = _model()
    buffer = io.BytesIO(_bytes_of(model.state_dict()))
    state = dp.load(buffer, map_location="cpu", weights_only=True)
    assert list(state) == list(model.state_dict())
    np.testing.assert_array_equal(state["2.bias"], model.state_dict()["2.bias"])
    checkpoint = dp.load(io.BytesIO(_bytes_of({"epoch": 3, "model": model.state_dict()})))
    assert checkpoint["epoch"] == 3 and sorted(checkpoint["model"]) == sorted(model.state_dict())


def test_a_custom_model_saved_whole_to_a_file_loads_into_an_instance(tmp_path):
    model = Custom()
    with open(tmp_path / "model.pt", "wb") as f:
        dp.save(model, f)
    refusal = pytest.raises(ModelFileError, match=r"model\.pt: the model is of a custom class")
    with open(tmp_path / "model.pt", "rb") as f, refusal:
        dp.load(f)  # never a pickle: the file holds the weights, not the class
    fresh = Custom()
    with open(tmp_path / "model.pt", "rb") as f:
        again = dp.load(f, model=fresh)
    assert again is fresh and again.decoder.weight is again.encoder.weight
    np.testing.assert_array_equal(again.encoder.weight.data, model.encoder.weight.data)


def test_a_file_read_from_where_it_stands():
    buffer = io.BytesIO(b"header" + _bytes_of([1, 2.5, "x"]))
    buffer.seek(6)
    assert dp.load(buffer) == [1, 2.5, "x"]


def test_text_files_and_foreign_bytes_are_refused_in_one_sentence(tmp_path):
    refusal = pytest.raises(TypeError,
                            match=r"^save: the file object .*a\.txt takes text, not bytes; open it with mode 'wb'$")
    with open(tmp_path / "a.txt", "w") as f, refusal:
        dp.save(_model(), f)
    with pytest.raises(TypeError, match=r"^save: the file object the StringIO takes text"):
        dp.save({"a": 1}, io.StringIO())
    (tmp_path / "a.txt").write_text("hello")
    refusal = pytest.raises(TypeError,
                            match=r"^load: the file object .*a\.txt gives text, not bytes; open it with mode 'rb'$")
    with open(tmp_path / "a.txt") as f, refusal:
        dp.load(f)
    with pytest.raises(ModelFileError, match=r"^the BytesIO: is a Python pickle"):
        dp.load(io.BytesIO(b"\x80\x04\x95" + bytes(20)))
