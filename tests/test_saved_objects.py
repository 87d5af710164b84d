"""save(obj, path) of what torch.save is given besides models and state dicts: a checkpoint dict of
state dicts, numbers and text, lists, tuples, tensors. Arrays go to the safetensors part, the rest
to JSON; nothing is pickled, so anything else is refused by name and nothing is written."""

import math

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, optim
from deltaprop.errors import ModelFileError
from deltaprop.serialization import load, load_model, save


def _model():
    dp.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def _train(model, optimizer, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = rng.standard_normal((5, 3)).astype(np.float32)
        t = rng.integers(0, 2, 5)
        loss = nn.functional.cross_entropy(model(x), t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_a_checkpoint_dict_round_trips_and_training_goes_on_as_if_never_stopped(tmp_path):
    model = _model()
    optimizer = optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99))
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    _train(model, optimizer, 3, seed=1)
    scheduler.step()
    path = tmp_path / "checkpoint.pt"
    save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
          "epoch": 3, "best": 0.25, "note": "after warm-up", "losses": [1.5, 1.25], "done": False}, path)

    checkpoint = load(path, map_location="cpu", weights_only=True)
    assert (checkpoint["epoch"], checkpoint["best"], checkpoint["note"], checkpoint["losses"], checkpoint["done"]) == (
        3, 0.25, "after warm-up", [1.5, 1.25], False)
    assert type(checkpoint["epoch"]) is int and list(checkpoint) == ["model", "optimizer", "scheduler", "epoch", "best",
                                                                     "note", "losses", "done"]
    resumed = _model()
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer = optim.Adam(resumed.parameters(), lr=0.01)
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    assert resumed_optimizer.param_groups[0]["betas"] == (0.8, 0.99)  # (JSON's list made a tuple again)
    resumed_scheduler = optim.lr_scheduler.StepLR(resumed_optimizer, step_size=2, gamma=0.5)
    resumed_scheduler.load_state_dict(checkpoint["scheduler"])
    assert resumed_scheduler.get_last_lr() == scheduler.get_last_lr()

    _train(model, optimizer, 2, seed=2)
    _train(resumed, resumed_optimizer, 2, seed=2)
    for (name, ours), theirs in zip(model.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(ours, theirs, err_msg=name)


def _every_kind():
    obj = {0: np.arange(3), 1: {"step": 4}, "t": dp.tensor([1.0, 2.0]), "pair": (1, "a"), "none": None,
           "inf": math.inf, "nan": math.nan, "scalar": np.float32(1.5), "nested": [[np.zeros((2, 0))], {"x": "y"}],
           "slashed/key": np.ones(2), "slashed": {"key": np.zeros(2)}}
    return obj


def test_every_kind_round_trips(tmp_path):
    obj = _every_kind()
    save(obj, tmp_path / "o.pt")
    back = load(tmp_path / "o.pt")
    assert list(back) == list(obj)
    np.testing.assert_array_equal(back[0], np.arange(3))
    assert back[1] == {"step": 4} and back["pair"] == [1, "a"] and back["none"] is None
    assert back["inf"] == math.inf and math.isnan(back["nan"]) and back["scalar"] == 1.5
    np.testing.assert_array_equal(back["t"], np.array([1.0, 2.0], np.float32))  # a tensor comes back as its array
    assert back["t"].dtype == np.float32 and back["nested"][0][0].shape == (2, 0) and back["nested"][1] == {"x": "y"}
    # 'slashed/key' and 'slashed' -> 'key' would share a name in the file: each keeps its own array
    np.testing.assert_array_equal(back["slashed/key"], np.ones(2))
    np.testing.assert_array_equal(back["slashed"]["key"], np.zeros(2))


def test_a_list_and_a_dict_with_the_files_own_words_as_keys(tmp_path):
    save([np.ones(2), 3, "x"], tmp_path / "l.pt")
    back = load(tmp_path / "l.pt")
    assert isinstance(back, list) and back[1:] == [3, "x"]
    tricky = {"__tensor__": "not a tensor", "__items__": [1]}
    save(tricky, tmp_path / "d.pt")
    assert load(tmp_path / "d.pt") == tricky


@pytest.mark.parametrize("obj, where, what", [
    ({"fn": len}, "'object/fn'", r"a function \(len\)"),
    ({"model": nn.Linear(2, 2)}, "'object/model'", "a model"),
    ([1, {2.5: 1}], "'object/1'", "the key 2.5"),
    ({"s": {1, 2}}, "'object/s'", "a set"),
])
def test_what_a_file_cannot_hold_is_refused_by_name_and_nothing_is_written(tmp_path, obj, where, what):
    path = tmp_path / "o.pt"
    with pytest.raises(TypeError, match=rf"^save: cannot store {what}.* at {where}"):
        save(obj, path)
    assert list(tmp_path.iterdir()) == []


def test_a_saved_object_is_no_model(tmp_path):
    path = tmp_path / "o.pt"
    save({"epoch": 1}, path)
    with pytest.raises(ModelFileError, match="holds a saved object"):
        load(path, model=_model())
    with pytest.raises(ModelFileError, match="holds a saved object"):
        load_model(path)


def test_a_dict_of_python_numbers_keeps_them_numbers(tmp_path):
    # (a state dict holds arrays: a dict of plain numbers is an object, whose numbers come back as numbers)
    save({"epoch": 3, "lr": 0.1}, tmp_path / "n.pt")
    assert load(tmp_path / "n.pt") == {"epoch": 3, "lr": 0.1}


def test_torch_loads_keywords(tmp_path):
    path = tmp_path / "m.pt"
    save(_model().state_dict(), path)
    for kwargs in ({"map_location": "cpu"}, {"map_location": dp.device("cpu")}, {"map_location": {"cuda:0": "cpu"}},
                   {"map_location": lambda storage, location: storage}, {"weights_only": False}, {"mmap": True}):
        assert list(load(path, **kwargs)) == list(_model().state_dict())
    assert list(load(path, "cpu")) == list(_model().state_dict())  # torch.load(path, "cpu")
    with pytest.raises(dp.errors.ConfigError, match="no 'cuda' device"):
        load(path, map_location="cuda:0")
    with pytest.raises(TypeError, match="weights_only must be True, False or None"):
        load(path, weights_only="yes")
