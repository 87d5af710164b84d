"""Model files and checkpoints: safetensors weights, JSON architecture, never a pickle, written atomically."""

import errno
import json
import os
import pickle
import stat
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest
from safetensors.numpy import load_file

import deltaprop as dp
from deltaprop import atomic, nn, optim, serialization
from deltaprop.errors import ModelFileError
from deltaprop.serialization import load, load_checkpoint, read_metadata, save, save_checkpoint


def _network(dtype="float32"):
    """A model of the library's layers with parameters, buffers (one of them 0-d) and no-op layers."""
    dp.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(5, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Dropout(0.2), nn.Linear(8, 8), nn.GELU(),
        nn.LayerNorm(8), nn.Linear(8, 3), nn.LogSoftmax(dim=1),
    ).to(dtype)
    # Some training steps so the BatchNorm statistics and its batch counter are not their defaults.
    x = dp.tensor(np.random.default_rng(1).normal(size=(16, 5)), dtype=dtype)
    for _ in range(3):
        model(x)
    return model


def _inputs(dtype="float32"):
    return np.random.default_rng(2).normal(size=(7, 5)).astype(dtype)


def _predict(model, x):
    model.eval()
    with dp.no_grad():
        return model(dp.tensor(x)).data


class Net(nn.Module):
    """A user's own model class: deltaprop cannot rebuild it, only fill in its weights."""

    def __init__(self):
        super().__init__()
        self.first = nn.Linear(5, 4)
        self.second = nn.Linear(4, 2)

    def forward(self, x):
        return self.second(self.first(x).relu())


# -- model files ----------------------------------------------------------------------------------


def test_the_official_safetensors_reader_opens_the_file(tmp_path):
    model = _network()
    path = tmp_path / "model.safetensors"
    save(model, path)
    tensors = load_file(path)
    state = model.state_dict()
    assert set(tensors) == set(state)
    for name, array in state.items():
        assert tensors[name].dtype == array.dtype and tensors[name].shape == array.shape, name
        np.testing.assert_array_equal(tensors[name], array)
    assert tensors["1.num_batches_tracked"].shape == ()  # a 0-d buffer stays 0-d
    assert int(tensors["1.num_batches_tracked"]) == 3


def test_the_architecture_and_metadata_are_json_in_the_header(tmp_path):
    path = tmp_path / "model.safetensors"
    save(_network(), path, metadata={"classes": ["cat", "dog"], "note": "hi"})
    data = path.read_bytes()
    header_length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_length])
    info = json.loads(header["__metadata__"]["deltaprop"])
    assert info["format"] == "deltaprop.model" and info["version"] == 1 and info["dtype"] == "float32"
    assert info["architecture"]["class"] == "Sequential"
    layers = [child["class"] for child in info["architecture"]["children"]]
    assert layers == ["Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear", "GELU", "LayerNorm", "Linear", "LogSoftmax"]
    assert info["architecture"]["children"][0]["config"]["in_features"] == 5
    assert info["metadata"] == {"classes": ["cat", "dog"], "note": "hi"}
    assert read_metadata(path) == {"classes": ["cat", "dog"], "note": "hi"}
    # The rest of the file is exactly the raw tensor bytes the header accounts for.
    end = max(entry["data_offsets"][1] for name, entry in header.items() if name != "__metadata__")
    assert len(data) == 8 + header_length + end


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_round_trip_predicts_bitwise_the_same(tmp_path, dtype):
    model = _network(dtype)
    path = tmp_path / "model.safetensors"
    save(model, path)
    loaded = load(path)
    assert type(loaded) is nn.Sequential and len(loaded) == len(model)
    assert all(p.data.dtype == np.dtype(dtype) for p in loaded.parameters())
    for name, array in model.state_dict().items():
        restored = loaded.state_dict()[name]
        assert restored.dtype == array.dtype and np.array_equal(restored, array), name
    x = _inputs(dtype)
    expected, got = _predict(model, x), _predict(loaded, x)
    assert got.dtype == np.dtype(dtype)
    assert np.array_equal(got, expected)  # bitwise: the same weights, the same arithmetic


def test_loading_never_unpickles(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save(_network(), path)

    def refuse(*args, **kwargs):
        raise AssertionError("a model file must never be unpickled")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(np, "load", refuse)
    loaded = load(path)
    assert len(list(loaded.parameters())) == len(list(_network().parameters()))
    assert b"\x80\x04" not in path.read_bytes()[:8]  # not a pickle's protocol header


def test_a_fresh_process_rebuilds_the_model_without_its_code(tmp_path):
    model = _network()
    x = _inputs()
    save(model, tmp_path / "model.safetensors")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "expected.npy", _predict(model, x))
    # The child process only imports deltaprop and loads the file: it never builds a model itself.
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        import deltaprop as dp
        from deltaprop.serialization import load

        folder = sys.argv[1]
        model = load(folder + "/model.safetensors")
        model.eval()
        with dp.no_grad():
            out = model(dp.tensor(np.load(folder + "/x.npy"))).data
        np.save(folder + "/got.npy", out)
        print(type(model).__name__, len(model))
        """
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Sequential", "9"]
    got, expected = np.load(tmp_path / "got.npy"), np.load(tmp_path / "expected.npy")
    assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_a_custom_class_saves_its_weights_and_needs_an_instance_to_load(tmp_path):
    dp.manual_seed(3)
    model = Net()
    path = tmp_path / "net.safetensors"
    save(model, path, metadata={"epochs": 3})
    assert set(load_file(path)) == {"first.weight", "first.bias", "second.weight", "second.bias"}
    with pytest.raises(ModelFileError, match=r"custom class.*load\(path, model=YourModel\(\)\)"):
        load(path)
    dp.manual_seed(99)  # a differently initialised instance: the file must overwrite every weight
    loaded = load(path, model=Net())
    assert isinstance(loaded, Net) and loaded.metadata == {"epochs": 3}
    x = _inputs()
    assert np.array_equal(_predict(loaded, x), _predict(model, x))


def test_a_library_container_holding_a_custom_layer_is_a_custom_model(tmp_path):
    dp.manual_seed(0)
    model = nn.Sequential(Net(), nn.ReLU())
    assert serialization.architecture_of(model) is None
    path = tmp_path / "mixed.safetensors"
    save(model, path)
    with pytest.raises(ModelFileError, match="custom class"):
        load(path)
    loaded = load(path, model=nn.Sequential(Net(), nn.ReLU()))
    assert np.array_equal(loaded[0].first.weight.data, model[0].first.weight.data)


def test_a_layer_in_evaluation_mode_comes_back_in_it(tmp_path):
    """As a whole PyTorch module does: a model saved after eval() must not come back with its dropout
    active and its BatchNorm overwriting the saved running statistics at the first call."""
    model = _network()
    model.eval()
    model[3].train()  # one layer's own mode differs from the rest, and is kept too
    path = tmp_path / "eval.safetensors"
    save(model, path)
    loaded = load(path)
    assert [m.training for m in loaded.modules()] == [m.training for m in model.modules()]
    assert not loaded.training and loaded[3].training
    trained = load(path)
    assert trained.train().training  # a file without the flag (all in training mode) still loads as before
    save(trained, path)
    assert all(m.training for m in load(path).modules())


def test_frozen_parameters_come_back_frozen(tmp_path):
    """A frozen pretrained embedding, or a frozen bias, stays frozen through a model file (as through
    a whole PyTorch module): fine-tuning that goes on after loading must not train them."""
    table = dp.tensor(np.arange(15, dtype=np.float32).reshape(5, 3))
    model = nn.Sequential(nn.Embedding.from_pretrained(table, freeze=True), nn.Flatten(), nn.Linear(6, 2))
    model[2].bias.requires_grad = False
    path = tmp_path / "frozen.safetensors"
    save(model, path)
    loaded = load(path)
    assert [(n, p.requires_grad) for n, p in loaded.named_parameters()] == [
        ("0.weight", False), ("2.weight", True), ("2.bias", False)]
    data = path.read_bytes()
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    architecture = json.loads(header["__metadata__"]["deltaprop"])["architecture"]
    assert architecture["children"][0]["frozen"] == ["weight"] and "frozen" not in architecture["children"][1]
    optimizer = optim.SGD([p for p in loaded.parameters() if p.requires_grad], lr=0.5)
    loaded(np.array([[0, 4]])).sum().backward()
    optimizer.step()
    assert np.array_equal(loaded[0].weight.data, table.data) and loaded[0].weight.grad is None


@pytest.mark.parametrize("frozen", [["bias"], "weight", [1], {"weight": True}])
def test_a_file_freezing_what_a_layer_lacks_is_one_sentence(tmp_path, frozen):
    from safetensors.numpy import save_file

    info = {"format": "deltaprop.model", "version": 1, "dtype": "float32", "metadata": {}, "tied": [],
            "architecture": {"class": "Sequential", "config": {}, "children": [
                {"class": "Linear", "config": {"in_features": 2, "out_features": 1, "bias": False},
                 "children": [], "frozen": frozen}]}}
    path = tmp_path / "frozen.safetensors"
    save_file({"0.weight": np.zeros((1, 2), np.float32)}, str(path), metadata={"deltaprop": json.dumps(info)})
    with pytest.raises(ModelFileError, match=r"frozen\.safetensors: layer 'Linear' lists frozen parameters it does not have"):
        load(path)


def test_loading_does_not_repeat_a_layers_construction_warning(tmp_path):
    with pytest.warns(UserWarning, match="does nothing with num_layers=1"):
        model = nn.Sequential(nn.LSTM(3, 4, dropout=0.5))
    path = tmp_path / "lstm.safetensors"
    save(model, path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load(path)
    assert loaded[0].dropout == 0.5


def _train_steps(model, steps=3):
    x = np.random.default_rng(5).normal(size=(6, 3))
    y = np.array([0, 1, 1, 0, 1, 0])
    optimizer = optim.SGD(model.parameters(), lr=0.5)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(dp.tensor(x)), y).backward()
        optimizer.step()
    with dp.no_grad():
        return model(dp.tensor(x)).data


def test_a_shared_layer_and_a_tied_parameter_stay_shared(tmp_path):
    """A layer used twice, or a weight that two layers hold, is one set of numbers; after a round trip
    it must still be one, or training updates two copies (12 parameters would become 24)."""
    dp.manual_seed(0)
    layer = nn.Linear(3, 3)
    shared = nn.Sequential(layer, nn.Tanh(), nn.Sequential(layer, nn.Tanh()), nn.Linear(3, 2))
    dp.manual_seed(1)
    tied = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 2))
    tied[2].weight = tied[0].weight
    for model, count in ((shared, 20), (tied, 12 + 12 + 8 - 9)):
        path = tmp_path / "shared.safetensors"
        save(model, path)
        loaded = load(path)
        assert loaded.num_parameters() == model.num_parameters() == count
        assert len(list(loaded.parameters())) == len(list(model.parameters()))
        np.testing.assert_array_equal(_train_steps(loaded), _train_steps(model))
    assert loaded[2].weight is loaded[0].weight and loaded[2].bias is not loaded[0].bias
    assert load(tmp_path / "shared.safetensors")[0] is not None
    save(shared, path)
    again = load(path)
    assert again[0] is again[2][0]


def test_a_module_list_round_trips(tmp_path):
    dp.manual_seed(0)
    model = nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 1)])
    path = tmp_path / "list.safetensors"
    save(model, path)
    loaded = load(path)
    assert isinstance(loaded, nn.ModuleList) and len(loaded) == 2
    np.testing.assert_array_equal(loaded[1].weight.data, model[1].weight.data)


def test_weights_that_are_not_finite_load_with_a_warning(tmp_path):
    """A model saved after it diverged is worth inspecting; PyTorch and Keras load it too (the CLI,
    which would predict NaN with it, refuses it: tests/reliability/test_untrusted_files.py)."""
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2))
    model[0].weight.data[0, 1] = np.nan
    path = tmp_path / "nan.safetensors"
    save(model, path)
    with pytest.warns(RuntimeWarning, match=r"parameter '0.weight' holds NaN or infinite values"):
        loaded = load(path)
    assert np.isnan(loaded[0].weight.data[0, 1]) and np.isfinite(loaded[0].bias.data).all()


def test_a_buffer_of_the_wrong_kind_is_refused(tmp_path):
    """A header that relabels a float buffer as integers would load garbage statistics."""
    model = _network()
    path = tmp_path / "model.safetensors"
    save(model, path)
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    header["1.running_var"]["dtype"] = "I32"
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (n - len(text))
    assert len(text) == n
    path.write_bytes(data[:8] + text + data[8 + n:])
    with pytest.raises(ModelFileError, match=r"tensor '1.running_var' has dtype int32, but the buffer holds float32"):
        load(path)


def test_metadata_with_numpy_values_is_stored_as_json_and_other_objects_are_named(tmp_path):
    path = tmp_path / "model.safetensors"
    model = nn.Sequential(nn.Linear(2, 1))
    save(model, path, metadata={"epochs": np.int64(3), "classes": np.array([1, 2]), "lr": np.float32(0.5)})
    assert read_metadata(path) == {"epochs": 3, "classes": [1, 2], "lr": 0.5}
    with pytest.raises(TypeError, match=r"metadata\['run'\]\[1\] is a set"):
        save(model, path, metadata={"run": [1, {2}]})
    with pytest.raises(TypeError, match=r"metadata has the key \(1, 2\); a metadata key must be a string or a number"):
        save(model, path, metadata={(1, 2): "pair"})
    assert read_metadata(path)["epochs"] == 3  # the failed saves left the file as it was
    save(model, path, metadata={"classes": {0: "cat", np.int64(1): "dog", 2.5: "half", None: "none"}})  # JSON's rule
    assert read_metadata(path) == {"classes": {"0": "cat", "1": "dog", "2.5": "half", "null": "none"}}


def test_weights_that_do_not_fit_the_given_model_are_refused(tmp_path):
    path = tmp_path / "net.safetensors"
    save(Net(), path)
    with pytest.raises(ModelFileError, match="do not fit"):
        load(path, model=nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 2)))


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),
        (b"", "too short"),
        (b"\xff" * 64, "truncated or not a model file"),
        (b"\x05\x00\x00\x00\x00\x00\x00\x00{abc}", "not valid JSON"),
    ],
    ids=["missing", "empty", "garbage", "bad header"],
)
def test_a_broken_file_is_one_clear_error(tmp_path, content, message):
    path = tmp_path / "model.safetensors"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        load(path)


def test_a_truncated_model_file_is_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    save(_network(), path)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ModelFileError):
        load(path)


# -- checkpoints ----------------------------------------------------------------------------------


def test_a_checkpoint_holds_the_model_and_nested_training_state(tmp_path):
    model = _network()
    opt = optim.Adam(model.parameters(), lr=0.01)
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    opt.step()
    state = {
        "epoch": 4,
        "optimizer": opt.state_dict(),
        "rng": dp.random.state_dict(),
        "counter": np.array(7),  # a 0-d array stays 0-d
        "by_index": {0: [1.5, None, True], 1: "text"},
        "best": float("inf"),
    }
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(path, model, state, metadata={"run": "a"})
    loaded = load_checkpoint(path)
    assert set(loaded) == {"model_state", "state", "architecture", "metadata"}
    assert loaded["metadata"] == {"run": "a"}
    for name, array in model.state_dict().items():
        assert np.array_equal(loaded["model_state"][name], array), name
    restored = loaded["state"]
    assert restored["epoch"] == 4 and restored["best"] == float("inf")
    assert restored["rng"] == dp.random.state_dict()
    assert restored["counter"].shape == () and int(restored["counter"]) == 7
    assert restored["by_index"] == {0: [1.5, None, True], 1: "text"}
    saved_opt = restored["optimizer"]
    for index, entry in opt.state_dict()["state"].items():
        for field, value in entry.items():
            assert np.array_equal(saved_opt["state"][index][field], value), (index, field)
    # The optimizer state goes back into an optimizer, and the model inside loads as a model.
    optim.Adam(_network().parameters(), lr=0.5).load_state_dict(saved_opt)
    x = _inputs()
    assert np.array_equal(_predict(load(path), x), _predict(model, x))


def test_a_model_file_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "model.safetensors"
    save(_network(), path)
    with pytest.raises(ModelFileError, match="not a deltaprop checkpoint"):
        load_checkpoint(path)


def test_state_that_json_cannot_hold_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "checkpoint.safetensors"
    with pytest.raises(TypeError, match="cannot store a object"):
        save_checkpoint(path, _network(), {"thing": object()})
    assert not path.exists()


# -- atomic writes ----------------------------------------------------------------------------------


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("failing", ["os.replace", "os.fsync", "the write"])
def test_a_failed_checkpoint_write_leaves_the_previous_file_whole(tmp_path, monkeypatch, failing):
    path = tmp_path / "checkpoint.safetensors"
    model = _network()
    save_checkpoint(path, model, {"epoch": 1})
    before = path.read_bytes()
    with dp.no_grad():
        for p in model.parameters():
            p.data += 1.0

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if failing == "os.replace":
        monkeypatch.setattr(atomic.os, "replace", crash)
    elif failing == "os.fsync":
        monkeypatch.setattr(atomic.os, "fsync", crash)
    else:  # the disk fills up halfway through the bytes
        def half_then_crash(target, data):
            with atomic.open_atomic(target, "wb") as handle:
                handle.write(data[: len(data) // 2])
                crash()

        monkeypatch.setattr(atomic, "write_bytes", half_then_crash)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, model, {"epoch": 2})
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["checkpoint.safetensors"]  # no temporary file left behind
    assert load_checkpoint(path)["state"]["epoch"] == 1


def test_atomic_writes_leave_only_the_complete_file(tmp_path):
    atomic.write_bytes(tmp_path / "a.bin", b"\x00\x01" * 1000)
    atomic.write_text(tmp_path / "b.txt", "héllo\nwörld\n")
    atomic.write_text(tmp_path / "b.txt", "replaced\r\n")  # newlines are written as given
    assert _files(tmp_path) == ["a.bin", "b.txt"]
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01" * 1000
    assert (tmp_path / "b.txt").read_bytes() == b"replaced\r\n"
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == 0o644  # not mkstemp's owner-only 0o600


def test_atomic_write_keeps_an_existing_files_permissions(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    atomic.write_bytes(path, b"new")
    assert path.read_bytes() == b"new" and path.stat().st_mode & 0o777 == 0o640


def test_an_exception_inside_open_atomic_keeps_the_old_content(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("old\n")
    with pytest.raises(KeyboardInterrupt):
        with atomic.open_atomic(path) as handle:
            handle.write("new, but only half of it")
            raise KeyboardInterrupt
    assert path.read_text() == "old\n" and _files(tmp_path) == ["history.csv"]


def test_a_missing_folder_is_reported_with_the_target_name(tmp_path):
    target = tmp_path / "no" / "such" / "model.safetensors"
    with pytest.raises(FileNotFoundError) as caught:
        atomic.write_bytes(target, b"x")
    assert caught.value.filename == str(target)  # not the name of a temporary file


def test_a_full_disk_names_the_file_and_keeps_the_old_content(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"old")

    def full(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(OSError) as caught:
        atomic.write_bytes(path, b"new")
    assert caught.value.filename == str(path) and caught.value.errno == errno.ENOSPC
    assert path.read_bytes() == b"old" and _files(tmp_path) == ["model.safetensors"]


def test_a_symbolic_link_is_written_through(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "predictions.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    atomic.write_text(link, "new\n")
    assert link.is_symlink() and target.read_text() == "new\n"
    assert _files(tmp_path / "real") == ["predictions.csv"]


def test_a_fifo_or_device_is_written_to_directly_and_a_folder_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    atomic.write_text(fifo, "through the pipe\n")
    reader.join(timeout=10)
    assert received == ["through the pipe\n"] and stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO
    atomic.write_text(os.devnull, "discarded")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)  # the device was not replaced by a file
    with pytest.raises(IsADirectoryError) as caught:
        atomic.write_text(tmp_path, "x")
    assert caught.value.filename == str(tmp_path) and "folder" in caught.value.strerror


def test_a_successful_write_removes_old_temporaries_left_by_killed_writes(tmp_path):
    import os
    import time

    from deltaprop import atomic

    target = tmp_path / "checkpoint.safetensors"
    old = tmp_path / ".checkpoint.safetensors.abc123.tmp"  # what kill -9 mid-write leaves
    young = tmp_path / ".checkpoint.safetensors.def456.tmp"  # maybe a writer still at work
    other = tmp_path / ".model.safetensors.xyz.tmp"  # another file's: not ours to judge
    for leftover in (old, young, other):
        leftover.write_bytes(b"partial")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    os.utime(other, (an_hour_ago, an_hour_ago))
    atomic.write_bytes(target, b"complete")
    assert target.read_bytes() == b"complete"
    assert not old.exists() and young.exists() and other.exists()


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_a_pickle_is_named_as_one_and_never_loaded(tmp_path, protocol):
    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps({"weight": np.zeros(3)}, protocol=protocol))
    with pytest.raises(ModelFileError, match="is a Python pickle, not a safetensors model file; deltaprop never loads pickles"):
        dp.load(path)
    archive = tmp_path / "model.pt"
    archive.write_bytes(b"PK\x03\x04" + b"\x00" * 60)  # what torch.save writes: a ZIP holding a pickle
    with pytest.raises(ModelFileError, match="is a ZIP archive"):
        dp.load(archive)


def test_a_state_dict_saves_and_loads_as_one(tmp_path):
    """torch.save(model.state_dict(), path) and torch.load(path): the dict, in its order (save
    failed with an AttributeError from inside)."""
    model = _network()
    path = tmp_path / "state.safetensors"
    save(model.state_dict(), path, metadata={"epochs": 3})
    state = load(path)
    assert list(state) == list(model.state_dict()) and all(np.array_equal(state[k], v) for k, v in model.state_dict().items())
    fresh = _network()
    fresh.load_state_dict(state)
    assert np.array_equal(_predict(fresh, _inputs()), _predict(model, _inputs()))
    into = load(path, model=_network())
    assert into.metadata == {"epochs": 3}
    with pytest.raises(TypeError, match=r"^save: cannot store a function \(len\) at 'object/1': a file holds numbers"):
        save([1, len], path)  # (anything else of lists, dicts and numbers is saved: tests/test_saved_objects.py)


def test_named_layers_and_kept_names_of_a_slice_come_back(tmp_path):
    from collections import OrderedDict

    dp.manual_seed(0)
    model = nn.Sequential(OrderedDict([("hidden", nn.Linear(3, 4)), ("act", nn.Tanh()), ("out", nn.Linear(4, 2))]))
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    for saved in (model, model[1:]):
        path = tmp_path / "named.safetensors"
        save(saved, path)
        loaded = load(path)
        assert list(loaded.state_dict()) == list(saved.state_dict())
        assert list(loaded._modules) == list(saved._modules)
    np.testing.assert_array_equal(load(tmp_path / "named.safetensors")(np.ones((2, 4), np.float32)).data,
                                  model[1:](np.ones((2, 4), np.float32)).data)
    save(model, tmp_path / "whole.safetensors")
    np.testing.assert_array_equal(load(tmp_path / "whole.safetensors")(x).data, model(x).data)


@pytest.mark.parametrize("names", [["a"], ["a", "a"], [1, 2], "ab", ["a.b", "c"]])
def test_malformed_layer_names_in_a_file_are_one_sentence(tmp_path, names):
    from safetensors.numpy import save_file

    info = {"format": "deltaprop.model", "version": 1, "dtype": "float32", "metadata": {}, "tied": [],
            "architecture": {"class": "Sequential", "config": {}, "names": names,
                             "children": [{"class": "ReLU", "config": {}, "children": []},
                                          {"class": "Tanh", "config": {}, "children": []}]}}
    path = tmp_path / "names.safetensors"
    save_file({"x": np.zeros(1, np.float32)}, str(path), metadata={"deltaprop": json.dumps(info)})
    with pytest.raises(ModelFileError, match=r"names\.safetensors: (layer 'Sequential' has malformed names|cannot build layer Sequential)"):
        load(path)


def test_layers_added_to_a_built_in_layer_make_it_a_custom_model(tmp_path):
    # (the file saved, then refused to load: its architecture could not say where the layer went)
    layers = nn.ModuleList([nn.Linear(3, 3)])
    layers.add_module("head", nn.Linear(3, 2))
    linear = nn.Linear(3, 2)
    linear.add_module("extra", nn.ReLU())
    for model in (layers, linear):
        path = tmp_path / "added.safetensors"
        save(model, path)
        with pytest.raises(ModelFileError, match=r"custom class.*load\(path, model=YourModel\(\)\)"):
            load(path)
        assert load(path, model=model) is model


@pytest.mark.parametrize("name", ["x" * 100_000, "line\nbreak", "forward"])
def test_a_bad_layer_name_in_a_file_is_one_short_sentence(tmp_path, name):
    from safetensors.numpy import save_file

    info = {"format": "deltaprop.model", "version": 1, "dtype": "float32", "metadata": {}, "tied": [],
            "architecture": {"class": "Sequential", "config": {}, "names": [name],
                             "children": [{"class": "Linear", "config": {"in_features": 1, "out_features": 1},
                                           "children": []}]}}
    path = tmp_path / "names.safetensors"
    tensors = {f"{name}.weight": np.zeros((1, 1), np.float32), f"{name}.bias": np.zeros(1, np.float32)}
    save_file(tensors, str(path), metadata={"deltaprop": json.dumps(info)})
    with pytest.raises(ModelFileError) as error:
        load(path)
    message = str(error.value)
    assert "\n" not in message and len(message) < 400 and '"' not in message, message


def test_grouped_and_depthwise_convolutions_round_trip(tmp_path):
    dp.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(4, 8, 3, padding=1, groups=2), nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2, groups=8, bias=False), nn.ReLU(),  # depthwise, two filters per channel
        nn.Conv2d(16, 4, 1), nn.Flatten(1), nn.Linear(4 * 3 * 3, 2),
    )
    save(model, tmp_path / "grouped.safetensors")
    loaded = load(tmp_path / "grouped.safetensors")
    assert [getattr(m, "groups", None) for m in loaded] == [2, None, 8, None, 1, None, None]
    assert repr(loaded) == repr(model)
    assert loaded[2].weight.shape == (16, 1, 3, 3)
    x = np.random.default_rng(0).normal(size=(3, 4, 7, 7)).astype(np.float32)
    assert np.array_equal(_predict(loaded, x), _predict(model, x))


def test_a_wide_depthwise_convolution_is_not_taken_for_a_hostile_file(tmp_path):
    """Its weight is out·(in / groups)·k: counted as out·in·k·groups, this 2,560-value layer was
    taken for 150 million values and refused."""
    model = nn.Sequential(nn.Conv2d(256, 256, 3, padding=1, groups=256))
    save(model, tmp_path / "depthwise.safetensors")
    assert load(tmp_path / "depthwise.safetensors")[0].groups == 256
    model = nn.Sequential(nn.Conv1d(512, 512, 5, groups=512))
    save(model, tmp_path / "depthwise.safetensors")
    assert load(tmp_path / "depthwise.safetensors")[0].groups == 512


@pytest.mark.parametrize("groups, message", [(3, "in_channels=4 is not divisible by groups=3"),
                                             (0, "groups must be a positive integer, got 0")])
def test_a_file_with_a_bad_groups_is_one_clear_error(tmp_path, groups, message):
    save(nn.Sequential(nn.Conv2d(4, 4, 3, groups=2)), tmp_path / "model.safetensors")
    data = (tmp_path / "model.safetensors").read_bytes()
    # The header is JSON inside JSON; the digit keeps its length, so the header's size is unchanged.
    (tmp_path / "model.safetensors").write_bytes(data.replace(b'\\"groups\\": 2', b'\\"groups\\": ' + str(groups).encode()))
    with pytest.raises(ModelFileError, match=message):
        load(tmp_path / "model.safetensors")


# -- the activations added after the first eight -------------------------------------------------------


def _activations_network(dtype="float32"):
    """Every activation layer added with SiLU, between linear layers, PReLU's weights trained a step."""
    dp.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(5, 6), nn.PReLU(), nn.SiLU(), nn.Softplus(beta=2.0, threshold=5.0), nn.Mish(), nn.SELU(),
        nn.CELU(alpha=0.5), nn.Hardtanh(min_val=-2.0, max_val=float("inf")), nn.ReLU6(inplace=True), nn.Linear(6, 6),
        nn.PReLU(num_parameters=6, init=0.1), nn.LogSigmoid(), nn.Softsign(), nn.Hardswish(), nn.Hardsigmoid(),
        nn.Tanhshrink(), nn.Threshold(-0.5, -1.0), nn.Linear(6, 3), nn.Softmin(dim=1),
    ).to(dtype)
    optimizer = optim.SGD(model.parameters(), lr=0.5)
    x = dp.tensor(np.random.default_rng(1).normal(size=(8, 5)), dtype=dtype)
    model(x)[:, 0].sum().backward()
    optimizer.step()
    return model


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_new_activation_layers_round_trip(tmp_path, dtype):
    model = _activations_network(dtype)
    # The step moved the weights off their initial values (a channel with no negative input keeps it).
    assert model[1].weight.item() != 0.25 and np.sum(model[10].weight.data != model[10].weight.data.dtype.type(0.1)) >= 3
    path = tmp_path / "activations.safetensors"
    save(model, path)
    loaded = load(path)
    assert repr(loaded) == repr(model)
    assert [layer.config() for layer in loaded] == [layer.config() for layer in model]
    assert loaded[7].max_val == float("inf")  # JSON's Infinity comes back as a float
    for name in ("1.weight", "10.weight"):
        restored = loaded.state_dict()[name]
        assert restored.dtype == np.dtype(dtype) and np.array_equal(restored, model.state_dict()[name]), name
    x = _inputs(dtype)
    assert np.array_equal(_predict(loaded, x), _predict(model, x))


def _with_layer(tmp_path, layer: dict, tensors: dict | None = None):
    """A model file whose architecture is a Sequential of one hand-written layer entry."""
    path = tmp_path / "edited.safetensors"
    info = {"format": serialization.FORMAT_MODEL, "version": serialization.VERSION, "dtype": "float32", "tied": [],
            "metadata": {}, "architecture": {"class": "Sequential", "config": {}, "children": [dict(children=[], **layer)]}}
    serialization._write(path, tensors or {}, info)
    return path


@pytest.mark.parametrize("layer, message", [
    ({"class": "Softplus", "config": {"beta": float("nan")}}, r"cannot build layer '0' \(Softplus\) with .*: Softplus: beta must be a finite nonzero number, got nan"),
    ({"class": "Softplus", "config": {"beta": 0.0}}, "Softplus: beta must be a finite nonzero number, got 0.0"),
    ({"class": "Softplus", "config": {"threshold": float("nan")}}, "Softplus: threshold must be a real number"),
    ({"class": "CELU", "config": {"alpha": "1"}}, "CELU: alpha must be a finite nonzero number, got '1'"),
    ({"class": "CELU", "config": {"alpha": float("-inf")}}, "CELU: alpha must be a finite nonzero number, got -inf"),
    ({"class": "Hardtanh", "config": {"min_val": 1.0, "max_val": -1.0}}, "Hardtanh: max_val must be greater than min_val"),
    ({"class": "Hardtanh", "config": {"min_val": [1.0]}}, "Hardtanh: min_val must be a real number"),
    ({"class": "Threshold", "config": {"threshold": 0.5}}, r"cannot build layer '0' \(Threshold\) .*value"),
    ({"class": "Threshold", "config": {"threshold": 0.5, "value": float("nan")}}, "Threshold: value must be a real number, got nan"),
    ({"class": "Softmin", "config": {"dim": 1.5}}, "Softmin: dim must be an integer"),
    ({"class": "PReLU", "config": {"num_parameters": 0}}, "PReLU: num_parameters must be a positive integer, got 0"),
    ({"class": "PReLU", "config": {"num_parameters": True}}, "PReLU: num_parameters must be a positive integer, got True"),
    ({"class": "PReLU", "config": {"init": float("nan")}}, "PReLU: init must be a finite number, got nan"),
    ({"class": "PReLU", "config": {"dtype": "int32"}}, r"layer '0' \(PReLU\) argument dtype='int32' is not one of"),
    ({"class": "PReLU", "config": {"num_parameters": 2**40}}, "larger than the file's own weights allow"),
    ({"class": "SiLU", "config": {"beta": 1.0}}, r"cannot build layer '0' \(SiLU\) .*beta"),
])
def test_a_file_with_a_bad_activation_argument_is_one_clear_error(tmp_path, layer, message):
    with pytest.raises(ModelFileError, match=message):
        load(_with_layer(tmp_path, layer))


def test_a_prelu_weight_of_the_wrong_size_is_refused(tmp_path):
    path = _with_layer(tmp_path, {"class": "PReLU", "config": {"num_parameters": 3}}, {"0.weight": np.ones(4, np.float32)})
    with pytest.raises(ModelFileError, match="the weights do not fit the architecture"):
        load(path)
    path = _with_layer(tmp_path, {"class": "PReLU", "config": {"num_parameters": 3}}, {"0.weight": np.array([0.5, -1.0, 2.0], np.float32)})
    np.testing.assert_array_equal(load(path)[0].weight.data, [0.5, -1.0, 2.0])


@pytest.mark.parametrize("activation", sorted(nn.activation.ELEMENTWISE))
def test_a_table_network_of_each_named_activation_round_trips(tmp_path, activation):
    """``deltaprop train --activation NAME`` builds its hidden layers from these names."""
    from deltaprop.tabular import build_mlp

    dp.manual_seed(0)
    model = build_mlp(5, (6, 4), 2, activation=activation)
    assert type(model[1]) is nn.activation.ELEMENTWISE[activation]
    save(model, tmp_path / "mlp.safetensors")
    x = _inputs()
    assert np.array_equal(_predict(load(tmp_path / "mlp.safetensors"), x), _predict(model, x))


def test_state_added_to_a_built_in_layer_loads_into_a_model_built_alike_and_the_refusal_says_so(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3))
    model[0].register_buffer("scale", np.full(3, 2.0, np.float32))
    path = tmp_path / "model.safetensors"
    dp.save(model, path)
    with pytest.raises(ModelFileError, match=r"unexpected keys: 0\.scale\); if state was added to a built-in layer .*"
                                             r"load\(path, model=your_model\)"):
        dp.load(path)
    rebuilt = nn.Sequential(nn.Linear(2, 3))
    rebuilt[0].register_buffer("scale", np.zeros(3, np.float32))
    dp.load(path, model=rebuilt)
    np.testing.assert_array_equal(rebuilt[0].scale, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(rebuilt[0].weight.data, model[0].weight.data)
