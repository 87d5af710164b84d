"""Model files and checkpoints from strangers: loading one never runs code from it, and a broken or
hostile file fails with ModelFileError and one sentence naming it, whichever way it is loaded.

tests/test_serialization.py covers the round trip and the plainest broken files (missing, empty,
garbage, truncated); here: the audit of the load path for pickle and code execution, hostile
headers and JSON, memory bombs, metadata that contradicts the network, and a fuzzer.
"""

from __future__ import annotations

import ast
import copy
import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deltaprop.errors import ModelFileError
from deltaprop.serialization import load, load_checkpoint
from deltaprop.tabular import TabularModel, build_mlp
from deltaprop.training import Trainer

import corruption
from commandline import run_cli
from corruption import join, split

SRC = Path(__file__).resolve().parents[2] / "src" / "deltaprop"


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    folder = tmp_path_factory.mktemp("originals")
    return {original.name: original for original in corruption.make_originals(folder)}


def _document(data: bytes) -> dict:
    return json.loads(split(data)[0]["__metadata__"]["deltaprop"])


def _with_document(data: bytes, document) -> bytes:
    header, body = split(data)
    header = {**header, "__metadata__": {**header["__metadata__"], "deltaprop": json.dumps(document)}}
    return join(header, body)


def _edit_document(change):
    def apply(data):
        document = copy.deepcopy(_document(data))
        change(document)
        return _with_document(data, document)

    return apply


def _edit_header(change):
    def apply(data):
        header, body = split(data)
        header = copy.deepcopy(header)
        change(header)
        return join(header, body)

    return apply


def _set(path, value):
    """A change that sets document[path[0]][path[1]]... to ``value``."""

    def change(document):
        node = document
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _layers(*children):
    return _set(("architecture",), {"class": "Sequential", "config": {}, "children": list(children)})


def _nested(depth):
    node = {"class": "Identity", "config": {}, "children": []}
    for _ in range(depth):
        node = {"class": "Sequential", "config": {}, "children": [node]}
    return node


def _nan_weight(header_and_body):
    header, body = split(header_and_body)
    start, _ = header["0.weight"]["data_offsets"]
    body = bytearray(body)
    body[start : start + 4] = np.array([np.nan], dtype=np.float32).tobytes()
    return join(header, bytes(body))


class Hostile(NamedTuple):
    id: str
    original: str  # which valid file it breaks (see corruption.make_originals)
    mutate: Callable[[bytes], bytes]
    loader: str  # a key of LOADERS below
    message: tuple  # substrings of the one-sentence ModelFileError


def _linear(n_in, n_out):
    return {"class": "Linear", "config": {"in_features": n_in, "out_features": n_out}, "children": []}


BOMB = _linear(65536, 65536)  # 17 GB of float32, described in a few bytes
CODE = "__import__('os').system('touch pwned')"

HOSTILE = [
    # -- the bytes
    Hostile("truncated to the length field", "classification", lambda d: d[:8], "load", ("the header claims",)),
    Hostile("truncated inside the header", "classification", lambda d: d[:100], "load", ("the header claims",)),
    Hostile("truncated inside the tensors", "classification", lambda d: d[:-100], "load",
            ("the tensor data is corrupt",)),
    Hostile("last byte missing", "classification checkpoint", lambda d: d[:-1], "load_checkpoint",
            ("the tensor data is corrupt",)),
    Hostile("header longer than the file", "classification", lambda d: len(d).to_bytes(8, "little") + d[8:], "load",
            ("the header claims", "the file is truncated or not a model file")),
    Hostile("header length 2**64 - 1", "classification", lambda d: b"\xff" * 8 + d[8:], "load",
            ("the header claims 18446744073709551615 bytes",)),
    Hostile("header nested 100000 deep", "classification", lambda d: (100_000).to_bytes(8, "little") + b"[" * 100_000,
            "load", ("the header is nested too deeply",)),
    # -- the tensors
    Hostile("parameter of integers", "classification", _edit_header(_set(("0.weight", "dtype"), "I32")), "load",
            ("tensor '0.weight' has dtype int32, but a parameter must be floating point",)),
    Hostile("dtype NumPy cannot hold", "classification",
            _edit_header(lambda h: h["0.bias"].update(dtype="BF16", shape=[16])), "load",
            ("tensor '0.bias' has dtype 'BF16', which deltaprop cannot read",)),
    Hostile("dtype that does not fit the bytes", "classification", _edit_header(_set(("0.weight", "dtype"), "F64")),
            "load", ("the tensor data is corrupt",)),
    Hostile("shape transposed", "classification", _edit_header(_set(("0.weight", "shape"), [3, 8])), "load",
            ("the weights do not fit the architecture", "0.weight (expected (8, 3), got (3, 8))")),
    Hostile("tensor renamed", "classification", _edit_header(lambda h: h.update({"3.bogus": h.pop("3.bias")})), "load",
            ("missing keys: 3.bias; unexpected keys: 3.bogus",)),
    # (load() itself loads such weights with a warning, as PyTorch and Keras do: see test_serialization.py)
    Hostile("NaN weight", "classification", _nan_weight, "TabularModel.load", ("parameter 0.weight holds NaN or infinite values",)),
    # -- the JSON and the architecture in it
    Hostile("metadata nested 100000 deep", "classification",
            _edit_header(lambda h: h["__metadata__"].update(deltaprop="[" * 100_000)), "load", ("nested too deeply",)),
    Hostile("metadata not a string", "classification", _edit_header(lambda h: h["__metadata__"].update(deltaprop=5)),
            "load", ("the deltaprop metadata is not a JSON string",)),
    Hostile("a pickle where the metadata should be", "classification",
            _edit_header(lambda h: h["__metadata__"].update(deltaprop=pickle.dumps({"a": 1}).decode("latin-1"))),
            "load", ("the deltaprop metadata is not valid JSON",)),
    Hostile("format version from the future", "classification", _edit_document(_set(("version",), 99)), "load",
            ("file format version 99 is not supported",)),
    Hostile("architecture nested 40 deep", "classification", _edit_document(_set(("architecture",), _nested(40))),
            "load", ("the architecture is nested more than 32 levels deep",)),
    Hostile("20000 layers", "classification",
            _edit_document(_layers(*[{"class": "ReLU", "config": {}, "children": []}] * 20_000)), "load",
            ("the architecture has more than 10000 layers",)),
    Hostile("unknown layer", "classification",
            _edit_document(_set(("architecture", "children", 0, "class"), "Mamba")), "load",
            ("unknown layer 'Mamba'; the file's layers must be among deltaprop.nn's ",)),
    Hostile("a misspelt layer", "classification",
            _edit_document(_set(("architecture", "children", 0, "class"), "Linaer")), "load",
            ("unknown layer 'Linaer'; the file's layers must be among deltaprop.nn's", "did you mean Linear?")),
    Hostile("a layer named like code", "classification",
            _edit_document(_set(("architecture", "children", 0, "class"), CODE)), "load", (f"unknown layer \"{CODE}\"",)),
    Hostile("a dtype NumPy would parse", "classification",
            _edit_document(_set(("architecture", "children", 0, "config", "dtype"), "f4,(")), "load",
            ("layer '0' (Linear) argument dtype='f4,(' is not one of float16, float32, float64",)),
    Hostile("a dunder argument", "classification",
            _edit_document(_set(("architecture", "children", 0, "config", "__class__"), 1)), "load",
            ("layer '0' (Linear) has an invalid argument name '__class__'",)),
    Hostile("an object as an argument", "classification",
            _edit_document(_set(("architecture", "children", 0, "config", "in_features"), {"__reduce__": "os.system"})),
            "load", ("layer '0' (Linear) argument in_features has a value of unsupported type dict",)),
    Hostile("absurd layer size", "classification",
            _edit_document(_set(("architecture", "children", 0, "config", "out_features"), 2**40)), "load",
            ("layer '0' (Linear) argument out_features=1099511627776 is larger than the file's own weights allow",)),
    Hostile("memory bomb: one huge layer", "classification", _edit_document(_layers(BOMB)), "load",
            ("the architecture asks for far more weights than the file's", "the file is damaged or hostile")),
    Hostile("memory bomb: many layers", "classification", _edit_document(_layers(*[_linear(4096, 4096)] * 500)), "load",
            ("the architecture asks for far more weights than the file's",)),
    Hostile("memory bomb: a wide kernel", "classification",
            _edit_document(_layers({"class": "Conv2d", "children": [],
                                    "config": {"in_channels": 64, "out_channels": 64, "kernel_size": 4096}})),
            "load", ("the architecture asks for far more weights",)),
    # -- the table metadata, which must fit the network
    Hostile("more classes than outputs", "classification",
            _edit_document(_set(("metadata", "tabular", "encoder", "classes"), ["a", "b", "c", "d"])), "TabularModel.load",
            ("the table metadata does not fit the network: it gives outputs of shape (3,) per row, where 4 are needed",)),
    Hostile("scaler for other features", "regression",
            _edit_document(lambda d: d["metadata"]["tabular"]["scaler"].update(mean=[0.0] * 5, scale=[1.0] * 5)),
            "TabularModel.load", ("the scaler holds 5 features for 3 feature names",)),
    # A scaler that is not finite turns every prediction into NaN, and argmax of NaN into class 0.
    Hostile("scaler of NaN means", "classification",
            _edit_document(lambda d: d["metadata"]["tabular"]["scaler"].update(mean=[float("nan")] * 3)),
            "TabularModel.load", ("the table metadata is malformed", "'mean' and 'scale' must be finite numbers")),
    Hostile("scaler of infinite scales", "regression",
            _edit_document(lambda d: d["metadata"]["tabular"]["target_scaler"].update(scale=[float("inf")])),
            "TabularModel.load", ("the table metadata is malformed", "'mean' and 'scale' must be finite numbers")),
    Hostile("feature names that are numbers", "regression",
            _edit_document(_set(("metadata", "tabular", "feature_names"), [1, 2, 3])), "TabularModel.load",
            ("the feature names are not a list of distinct column names",)),
    Hostile("image shape of the wrong size", "classification",
            _edit_document(_set(("metadata", "tabular", "input_shape"), [2, 2])), "TabularModel.load",
            ("the input shape [2, 2] does not hold 3 features",)),
    Hostile("settings that are a list", "classification", _edit_document(_set(("metadata", "settings"), {"config": [1]})),
            "TabularModel.load", ("the training settings are not a JSON object",)),
    # -- the training state of a checkpoint
    Hostile("a reference to a tensor by a dict", "classification checkpoint",
            _edit_document(_set(("state", "rng"), {"__tensor__": {"a": 1}})), "load_checkpoint",
            ("the checkpoint refers to a tensor",)),
    Hostile("resume: a negative seed", "classification checkpoint", _edit_document(_set(("state", "seed"), -1)), "resume",
            ("the checkpoint's 'seed' must be a non-negative integer, got -1",)),
    Hostile("resume: running totals missing", "mid-epoch checkpoint", _edit_document(_set(("state", "running"), None)),
            "resume", ("the checkpoint stopped inside an epoch but its running totals are malformed",)),
    Hostile("resume: a broken random state", "classification checkpoint",
            _edit_document(_set(("state", "rng"), {"state": 1})), "resume", ("the checkpoint does not fit this run",)),
]


def _resume(path, original):
    codes = np.unique(original.y, return_inverse=True)[1]
    optimizer = "sgd" if original.name.startswith("mid-epoch") else "adam"
    trainer = Trainer(build_mlp(3, (8,), 3, dropout=0.1), loss="cross_entropy", optimizer=optimizer, verbose=0)
    trainer.fit(original.X, codes, epochs=3, batch_size=8, resume_from=path)


LOADERS = {
    "load": lambda path, original: load(path),
    "load_checkpoint": lambda path, original: load_checkpoint(path),
    "TabularModel.load": lambda path, original: TabularModel.load(path),
    "resume": _resume,
}


@pytest.mark.parametrize("case", HOSTILE, ids=[case.id for case in HOSTILE])
def test_a_hostile_file_is_one_clear_model_file_error(originals, tmp_path, case):
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(case.mutate(originals[case.original].data))
    with pytest.raises(ModelFileError) as caught:
        LOADERS[case.loader](path, originals[case.original])
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and "\n" not in text and len(text) < 1500, text
    missing = [part for part in case.message if part not in text]
    assert not missing, f"{missing} not in {text!r}"


def test_case_ids_are_unique():
    assert len({case.id for case in HOSTILE}) == len(HOSTILE)


@pytest.mark.parametrize("command", ["predict", "evaluate", "summary"])
def test_the_command_refuses_a_hostile_file_in_one_sentence(originals, tmp_path, command):
    path = tmp_path / "bomb.safetensors"
    path.write_bytes(_edit_document(_layers(BOMB))(originals["classification"].data))
    args = [command, path] + ([originals["classification"].csv] if command != "summary" else [])
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "far more weights" in result.stderr and "Traceback" not in result.stderr


def test_summary_escapes_control_characters_from_a_hostile_file(originals, tmp_path):
    # Class names and settings are the file's text: printed as they are, an escape sequence in them
    # drives the terminal (colours, the window title, cursor moves, clearing the screen).
    path = tmp_path / "escapes.safetensors"
    escape = "\x1b]0;owned\x07\x1b[2J"

    def change(document):
        document["metadata"]["tabular"]["encoder"]["classes"] = ["cat", "dog", f"eel{escape}"]
        document["metadata"]["settings"]["config"] = {"hidden": [8], f"note{escape}": f"x\ny{escape}"}

    path.write_bytes(_edit_document(change)(originals["classification"].data))
    result = run_cli("summary", path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "x\ny" not in result.stdout
    assert r"eel\x1b]0;owned\x07\x1b[2J" in result.stdout and r"x\ny\x1b]0;owned" in result.stdout


def test_resuming_a_checkpoint_with_a_broken_configuration_is_a_model_file_error(originals, tmp_path):
    path = tmp_path / "checkpoint.safetensors"
    path.write_bytes(_edit_document(_set(("metadata", "settings", "config"), {"epochs": -2}))(
        originals["classification checkpoint"].data))
    result = run_cli("train", "--resume", path, cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # a damaged file, not a mistake on the command line
    assert result.stderr.strip() == (f"deltaprop: error: {path}: the checkpoint's configuration: "
                                      "--epochs must be greater than 0, got -2")


# -- no code runs ------------------------------------------------------------------------------------------

_SANDBOX = textwrap.dedent(
    r"""
    import contextlib, io, os, subprocess, sys
    import pickle, _pickle
    import numpy as np
    import deltaprop.cli as cli
    from deltaprop.data import load_npz
    from deltaprop.errors import DeltapropError
    from deltaprop.serialization import load, load_checkpoint
    from deltaprop.tabular import TabularModel

    folder, sound, csv = sys.argv[1], sys.argv[2], sys.argv[3]
    hostile = sorted(os.path.join(folder, name) for name in os.listdir(folder))

    def every_way(path):
        for action in (load, load_checkpoint, TabularModel.load, load_npz):
            try:
                action(path)
            except DeltapropError:
                pass
        train = ["train", path, "--epochs", "1", "--out", path + ".run"]
        for argv in (["predict", path, csv], ["evaluate", path, csv], ["summary", path], train):
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
                code = cli.main(argv)
            if code not in (0, 1) or "internal error" in err.getvalue():
                print("unexpected:", argv, code, err.getvalue()); sys.exit(4)

    every_way(sound)  # warm up: the modules the load path imports lazily are imported now

    def forbidden(what):
        os.write(2, f"FORBIDDEN: {what}\n".encode())
        os._exit(3)

    def unpickle(*args, **kwargs):
        forbidden("unpickling")

    for module in (pickle, _pickle):
        module.load = module.loads = module.Unpickler = unpickle

    def real_file(name):
        return name.startswith("<frozen ") or os.path.isfile(name)

    def audit(event, args):
        if event in ("pickle.find_class", "os.system", "subprocess.Popen", "os.fork", "os.forkpty", "ctypes.dlopen",
                     "ctypes.dlsym", "builtins.input") or event.startswith(("os.exec", "os.spawn", "os.posix_spawn")):
            forbidden(event)
        if event == "exec" and not real_file(getattr(args[0], "co_filename", "")):
            forbidden(f"exec of {args[0]!r}")
        # '<unknown>': ast.parse, as in NumPy's literal_eval of an .npy header; it builds a syntax
        # tree and runs nothing (running anything would be an 'exec' event).
        if event == "compile" and not (real_file(str(args[1])) or args[1] == "<unknown>"):
            forbidden(f"compile of {args[1]!r}")

    sys.addaudithook(audit)
    for path in hostile:
        every_way(path)
    print("loaded", len(hostile), "hostile files; no code ran")
    """
)


class _Payload:
    """What an attacker puts in a pickle: unpickling it runs a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.marker}",)


def test_loading_hostile_files_runs_no_code_and_never_unpickles(originals, tmp_path):
    """Every load path, under an audit hook that fails on unpickling, exec/compile of anything but
    the library's own modules, and starting processes; the hostile files include real pickles."""
    folder = tmp_path / "hostile"
    folder.mkdir()
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(marker))
    sound = originals["classification"]
    (folder / "pickle.safetensors").write_bytes(payload)
    (folder / "pickle.npz").write_bytes(payload)
    np.savez(folder / "objects.npz", X=np.array([_Payload(marker)], dtype=object), y=np.array([0]))
    (folder / "pickle_in_metadata.safetensors").write_bytes(
        _edit_header(lambda h: h["__metadata__"].update(deltaprop=payload.decode("latin-1")))(sound.data))
    (folder / "code_as_layer.safetensors").write_bytes(
        _edit_document(_set(("architecture", "children", 0, "class"), "eval"))(sound.data))
    (folder / "code_as_argument.safetensors").write_bytes(
        _edit_document(_set(("architecture", "children", 0, "config", "in_features"), CODE))(sound.data))
    (folder / "code_in_the_labels.safetensors").write_bytes(
        _edit_document(_set(("metadata", "tabular", "encoder", "classes"), ["exec('import os')", "b", "c"]))(sound.data))
    (folder / "checkpoint_state.safetensors").write_bytes(
        _edit_document(_set(("state", "optimizer"), {"__items__": [["__reduce__", "os.system"]]}))(
            originals["classification checkpoint"].data))
    sound_path = tmp_path / "sound.safetensors"
    sound_path.write_bytes(sound.data)

    result = subprocess.run([sys.executable, "-c", _SANDBOX, str(folder), str(sound_path), sound.csv],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "loaded 8 hostile files; no code ran"
    assert not marker.exists()


@pytest.mark.parametrize("loader, caught", [
    ("pickle.loads(open(path, 'rb').read())", "FORBIDDEN: unpickling"),
    ("exec(open(path + '.py').read())", "FORBIDDEN: compile of '<string>'"),
    ("os.system('true')", "FORBIDDEN: os.system"),
    ("subprocess.run(['true'])", "FORBIDDEN: subprocess.Popen"),
], ids=["unpickling", "exec", "os.system", "subprocess"])
def test_the_sandbox_catches_what_a_careless_loader_would_do(tmp_path, loader, caught):
    """The audit itself works: a load path that did any of this would fail the test above."""
    probe = _SANDBOX.replace("for path in hostile:\n    every_way(path)",
                             f"for path in hostile:\n    {loader}")
    assert probe != _SANDBOX
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "a.pkl").write_bytes(pickle.dumps([1, 2]))
    (folder / "a.pkl.py").write_text("x = 1\n")
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n1,2\n")
    result = subprocess.run([sys.executable, "-c", probe, str(folder), str(folder / "a.pkl"), str(csv)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 3 and caught in result.stderr, result.stderr


LOAD_PATH = ["serialization.py", "tabular.py", "data/npz.py", "data/csv.py", "data/digits.py", "cli/predict.py",
             "cli/inspect.py", "cli/train.py", "cli/config.py", "cli/datasets.py", "training/trainer.py"]


def _dangers(source: str) -> list:
    """Imports of pickle-like modules, calls of eval/exec/compile, and NumPy reads that allow pickles."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
            found += [f"import {name}" for name in names if name and name.split(".")[0] in UNPICKLERS]
        elif isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name) and function.id in ("eval", "exec", "compile", "__import__"):
                found.append(f"{function.id}()")
            if isinstance(function, ast.Attribute) and function.attr in ("loads", "load") and \
                    isinstance(function.value, ast.Name) and function.value.id in UNPICKLERS:
                found.append(f"{function.value.id}.{function.attr}()")
            pickles = [k for k in node.keywords if k.arg == "allow_pickle"]
            if any(not (isinstance(k.value, ast.Constant) and k.value.value is False) for k in pickles):
                found.append("allow_pickle not False")
            if isinstance(function, ast.Attribute) and function.attr == "load" and \
                    isinstance(function.value, ast.Name) and function.value.id in ("np", "numpy") and not pickles:
                found.append("np.load without allow_pickle=False")
    return found


UNPICKLERS = ("pickle", "_pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "joblib", "torch")


@pytest.mark.parametrize("module", LOAD_PATH)
def test_the_load_path_never_unpickles_or_evaluates(module):
    assert _dangers((SRC / module).read_text(encoding="utf-8")) == []


def test_the_audit_finds_what_it_looks_for():
    source = ("import pickle\nfrom joblib import load\nx = np.load(f)\ny = np.load(f, allow_pickle=True)\n"
              "eval('1')\nmarshal.loads(b)")
    assert _dangers(source) == ["import pickle", "import joblib", "np.load without allow_pickle=False",
                                "allow_pickle not False", "eval()", "marshal.loads()"]


# -- the fuzzer ----------------------------------------------------------------------------------------------


@settings(max_examples=400, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(original=st.sampled_from(["classification", "classification checkpoint", "mid-epoch checkpoint", "regression",
                                 "regression checkpoint"]),
       mutation=corruption.mutations)
def test_fuzz_broken_files_fail_only_with_model_file_error(originals, tmp_path, original, mutation):
    """400 broken copies (bit flips, truncations, header and JSON edits, random bytes) of models and
    checkpoints, each loaded every way a user can; scripts/fuzz_model_files.py runs thousands more."""
    path = tmp_path / "broken.safetensors"
    path.write_bytes(mutation(originals[original].data))
    assert corruption.loading_problems(path, originals[original]) == []


def test_a_model_file_naming_a_lazy_layer_is_refused(tmp_path):
    # A lazy layer is never written (it becomes its layer at the first input), so a file that names
    # one was made by hand: load refuses it as it refuses any class it does not build.
    path = tmp_path / "m.dp"
    from deltaprop import nn, save

    save(nn.Sequential(nn.Linear(3, 2)), path)
    header, body = split(path.read_bytes())
    document = json.loads(header["__metadata__"]["deltaprop"])
    document["architecture"]["children"][0]["class"] = "LazyLinear"
    path.write_bytes(join({**header, "__metadata__": {**header["__metadata__"], "deltaprop": json.dumps(document)}},
                          body))
    with pytest.raises(ModelFileError, match="unknown layer .LazyLinear.; .* did you mean Linear"):
        load(path)
