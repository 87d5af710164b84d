"""ParameterList and ParameterDict in a model file: the architecture records each parameter's shape
and dtype (and a ParameterDict its keys, in order), the weights hold the values, and ``load`` rebuilds
them without the model's code; a file that lies about them is refused naming the layer and field."""

from __future__ import annotations

import json
from collections import OrderedDict

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ModelFileError
from deltaprop.serialization import architecture_of, load, save


def _model():
    dp.manual_seed(0)
    rng = np.random.default_rng(1)
    weights = nn.ParameterList([rng.normal(size=(2, 3)).astype(np.float32), rng.normal(size=4)])  # float32, float64
    table = nn.ParameterDict(OrderedDict([("zeta", rng.normal(size=(3,)).astype(np.float32)),
                                          ("alpha", rng.normal(size=(1, 2)).astype(np.float32))]))
    table["alpha"].requires_grad_(False)
    return nn.Sequential(nn.Linear(2, 3), nn.ModuleDict({"weights": weights, "table": table}))


def _rewrite(path, change):
    from deltaprop import serialization

    tensors, info = serialization._read(path)
    change(info["architecture"])
    serialization._write(path, tensors, info)
    return path


def test_a_model_with_parameter_containers_round_trips(tmp_path):
    model = _model()
    path = tmp_path / "model.safetensors"
    save(model, path)
    again = load(path)
    weights, table = again[1]["weights"], again[1]["table"]
    assert type(weights) is nn.ParameterList and type(table) is nn.ParameterDict
    assert list(table.keys()) == ["zeta", "alpha"]  # the stored order, not a sorted one
    for ours, theirs in zip(model.parameters(), again.parameters()):
        assert theirs.dtype == ours.dtype and theirs.requires_grad == ours.requires_grad
        np.testing.assert_array_equal(theirs.data, ours.data)
    assert [p.dtype for p in weights] == [np.float32, np.float64]
    assert again.state_dict().keys() == model.state_dict().keys()


def test_a_parameter_list_alone_round_trips_in_float64(tmp_path):
    values = nn.ParameterList([np.arange(6.0).reshape(2, 3), np.ones(0)])
    path = tmp_path / "list.safetensors"
    save(values, path)
    again = load(path)
    assert [p.shape for p in again] == [(2, 3), (0,)] and all(p.dtype == np.float64 for p in again)
    np.testing.assert_array_equal(again[0].data, np.arange(6.0).reshape(2, 3))


def test_a_custom_class_holding_a_parameter_list_still_loads_into_an_instance(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterList([np.full(3, 2.0, dtype=np.float32)])

        def forward(self, x):
            return x * self.scales[0]

    assert architecture_of(Net()) is None
    path = tmp_path / "net.safetensors"
    saved = Net()
    saved.scales[0].data[:] = 5.0
    save(saved, path)
    np.testing.assert_array_equal(load(path, model=Net()).scales[0].data, [5.0, 5.0, 5.0])


@pytest.mark.parametrize("change, message", [
    (lambda a: a["children"][1]["children"][0]["config"].update(shapes=[[2, -3], [4]]),
     r"layer '1\.weights' \(ParameterList\).*shapes"),
    (lambda a: a["children"][1]["children"][0]["config"].update(shapes=[[2, 3]]),
     r"layer '1\.weights' \(ParameterList\).*shapes and dtypes"),
    (lambda a: a["children"][1]["children"][0]["config"].update(dtypes=["float32", "int8"]),
     r"layer '1\.weights' \(ParameterList\).*dtypes"),
    (lambda a: a["children"][1]["children"][0]["config"].update(shapes=[[2, 3], "4"]),
     r"layer '1\.weights' \(ParameterList\).*shapes"),
    (lambda a: a["children"][1]["children"][0]["config"].update(shapes=[[2, 3], [[4]]]),
     r"layer '1\.weights' \(ParameterList\) argument shapes has a value of unsupported type list"),
    (lambda a: a["children"][1]["children"][1]["config"].update(keys=["zeta", "zeta"]),
     r"layer '1\.table' \(ParameterDict\).*keys"),
    (lambda a: a["children"][1]["children"][1]["config"].update(keys=["zeta", "a.b"]),
     r"layer '1\.table' \(ParameterDict\).*keys"),
    (lambda a: a["children"][1]["children"][1]["config"].update(keys=["zeta", "training"]),
     r"layer '1\.table' \(ParameterDict\).*training"),
    (lambda a: a["children"][1]["children"][0]["config"].update(shapes=[[2, 3], [5]]),
     r"the weights do not fit the architecture .*1\.weights\.1 \(expected \(5,\), got \(4,\)\)"),
    (lambda a: a["children"][1]["children"][0]["config"].update(shapes=[[4096, 4096]] * 4, dtypes=["float32"] * 4),
     r"the architecture asks for far more weights than the file's"),
    (lambda a: a["children"][1]["children"][0]["config"].update(shapes=[[2, 2**40], [4]]),
     r"layer '1\.weights' \(ParameterList\) argument shapes=1099511627776 is larger than the file's own weights allow"),
])
def test_a_file_that_lies_about_its_parameters_is_refused(tmp_path, change, message):
    path = tmp_path / "model.safetensors"
    save(_model(), path)
    with pytest.raises(ModelFileError, match=message):
        load(_rewrite(path, change))


def test_the_architecture_records_shapes_dtypes_and_keys(tmp_path):
    path = tmp_path / "model.safetensors"
    save(_model(), path)
    from deltaprop import serialization

    architecture = serialization._read(path)[1]["architecture"]
    weights, table = architecture["children"][1]["children"]
    assert weights["config"] == {"shapes": [[2, 3], [4]], "dtypes": ["float32", "float64"]}
    assert table["config"] == {"keys": ["zeta", "alpha"], "shapes": [[3], [1, 2]], "dtypes": ["float32", "float32"]}
    assert table["frozen"] == ["alpha"]
    json.dumps(architecture)  # plain JSON
