"""Broken model files and what loading them must do.

Three parts, shared by the fuzz test (a few hundred derandomized cases) and
``scripts/fuzz_model_files.py`` (thousands):

- ``mutations``: Hypothesis strategies that break a valid file: bit flips, truncations, edits of
  the header length, of the safetensors header and of the JSON inside it, plain random bytes. Each
  draws a :class:`Mutation`, a function from the valid bytes to the broken ones that prints as what
  it did, so a failing case reads in Hypothesis' report.
- :func:`make_originals`: valid files to break (a classifier, a regressor and checkpoints written
  at the end of an epoch and in the middle of one), with the data each one predicts on.
- :func:`loading_problems`: load a file every way a user can (``load``, ``load_checkpoint``,
  ``TabularModel.load`` and predicting, ``deltaprop predict|evaluate|summary``);
  success and a one-line ModelFileError naming the file are fine, anything else is a problem.
"""

from __future__ import annotations

import json
import reprlib
import struct
from dataclasses import dataclass
from typing import Any, Callable

from hypothesis import strategies as st


@dataclass(frozen=True)
class Mutation:
    description: str
    apply: Callable[[bytes], bytes]

    def __call__(self, data: bytes) -> bytes:
        return self.apply(data)

    def __repr__(self) -> str:
        return self.description


_repr = reprlib.Repr()  # short descriptions of deeply nested or huge values
_repr.maxlevel, _repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxdict = 3, 40, 40, 4, 4
_short = _repr.repr


def split(data: bytes) -> tuple[dict, bytes]:
    """The safetensors header as a dict, and the tensor bytes after it."""
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def join(header: dict, body: bytes) -> bytes:
    text = json.dumps(header, allow_nan=True).encode("utf-8")
    return struct.pack("<Q", len(text)) + text + body


# -- bytes ---------------------------------------------------------------------------------------------


def _flip(position: int, bit: int) -> Mutation:
    def apply(data):
        i = position % len(data)
        return data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]

    return Mutation(f"flip bit {bit} of byte {position} (mod length)", apply)


def _flip_in_header(position: int, bit: int) -> Mutation:
    def apply(data):
        (length,) = struct.unpack("<Q", data[:8])
        i = 8 + position % max(length, 1)
        return data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]

    return Mutation(f"flip bit {bit} of header byte {position} (mod header length)", apply)


def _truncate(fraction: float) -> Mutation:
    return Mutation(f"truncate to {fraction:.4f} of the length", lambda data: data[: int(len(data) * fraction)])


def _append(extra: bytes) -> Mutation:
    return Mutation(f"append {extra[:16]!r}... ({len(extra)} bytes)", lambda data: data + extra)


def _header_length(value: int) -> Mutation:
    return Mutation(f"header length field set to {value}", lambda data: struct.pack("<Q", value) + data[8:])


def _header_length_delta(delta: int) -> Mutation:
    def apply(data):
        (length,) = struct.unpack("<Q", data[:8])
        return struct.pack("<Q", max(length + delta, 0)) + data[8:]

    return Mutation(f"header length field {delta:+d}", apply)


def _random_bytes(blob: bytes) -> Mutation:
    return Mutation(f"replace with {len(blob)} random bytes", lambda data: blob)


def _overwrite(position: int, blob: bytes) -> Mutation:
    def apply(data):
        i = position % len(data)
        return data[:i] + blob + data[i + len(blob) :]

    return Mutation(f"overwrite {len(blob)} bytes at {position} (mod length)", apply)


byte_mutations = st.one_of(
    st.builds(_flip, st.integers(0, 2**31), st.integers(0, 7)),
    st.builds(_flip_in_header, st.integers(0, 2**31), st.integers(0, 7)),
    st.builds(_truncate, st.floats(0.0, 1.0, exclude_max=True)),
    st.builds(_append, st.binary(min_size=1, max_size=64)),
    st.builds(_header_length, st.sampled_from([0, 1, 2, 7, 2**31, 2**63, 2**64 - 1]) | st.integers(0, 2**64 - 1)),
    st.builds(_header_length_delta, st.integers(-64, 64).filter(bool)),
    st.builds(_random_bytes, st.binary(max_size=256)),
    st.builds(_overwrite, st.integers(0, 2**31), st.binary(min_size=1, max_size=32)),
)


# -- JSON: the safetensors header and the deltaprop document inside it ---------------------------------


def _paths(node, prefix=()):
    """Every path (tuple of keys and indices) into a JSON value, the root included."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _replace(node, path, value, delete=False):
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        node = dict(node)
        if delete and not rest:
            node.pop(head, None)
        else:
            node[head] = _replace(node[head], rest, value, delete)
    else:
        node = list(node)
        if delete and not rest:
            del node[head]
        else:
            node[head] = _replace(node[head], rest, value, delete)
    return node


def _edit(document, choice: int, value, delete: bool):
    paths = list(_paths(document))
    path = paths[choice % len(paths)]
    if delete and not path:
        return path, document
    return path, _replace(document, path, value, delete)


def _json_edit(where: str, choice: int, value, delete: bool) -> Mutation:
    """Replace (or delete) one value of the safetensors header ('header') or of the deltaprop
    document stored in its metadata ('deltaprop'), keeping the file otherwise well formed."""

    def apply(data):
        header, body = split(data)
        if where == "header":
            _, header = _edit(header, choice, value, delete)
        else:
            metadata = dict(header.get("__metadata__") or {})
            document = json.loads(metadata["deltaprop"])
            _, document = _edit(document, choice, value, delete)
            metadata["deltaprop"] = json.dumps(document, allow_nan=True)
            header = {**header, "__metadata__": metadata}
        return join(header, body)

    action = "delete" if delete else f"set to {_short(value)}"
    return Mutation(f"{where} JSON: {action} at path #{choice}", apply)


def _value_at(document, path):
    for key in path:
        document = document[key]
    return document


def _string_edit(where: str, choice: int, position: int, character: str) -> Mutation:
    """Change one character of one string in the header or the deltaprop document (a layer name, a
    dtype, a class label...): values a parser takes apart further."""

    def edit(document):
        paths = [path for path in _paths(document) if isinstance(_value_at(document, path), str)]
        if not paths:
            return document
        path = paths[choice % len(paths)]
        text = _value_at(document, path)
        i = position % (len(text) + 1)
        return _replace(document, path, text[:i] + character + text[i + 1 :])

    def apply(data):
        header, body = split(data)
        if where == "header":
            return join(edit(header), body)
        metadata = dict(header.get("__metadata__") or {})
        metadata["deltaprop"] = json.dumps(edit(json.loads(metadata["deltaprop"])), allow_nan=True)
        return join({**header, "__metadata__": metadata}, body)

    return Mutation(f"{where} JSON: character {position} of string #{choice} set to {character!r}", apply)


def _layer_edit(choice: int, key: str, value) -> Mutation:
    """Set one constructor argument of one layer of the architecture: the values a layer's own code
    receives (sizes, dtype, probabilities) are where a hostile file reaches furthest."""

    def apply(data):
        header, body = split(data)
        document = json.loads(header["__metadata__"]["deltaprop"])
        layers = [path for path in _paths(document) if path[-1:] == ("config",)]
        if layers:
            path = layers[choice % len(layers)]
            document = _replace(document, path, {**_value_at(document, path), key: value})
        metadata = {**header["__metadata__"], "deltaprop": json.dumps(document, allow_nan=True)}
        return join({**header, "__metadata__": metadata}, body)

    return Mutation(f"layer #{choice}: argument {key} set to {_short(value)}", apply)


LAYER_ARGUMENTS = ["dtype", "in_features", "out_features", "bias", "p", "kernel_size", "num_features", "dim",
                   "negative_slope", "approximate", "eps", "momentum", "normalized_shape", "start_dim", "reduction"]


def _nested(depth: int, kind: str) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value] if kind == "list" else {"x": value}
    return value


def _brackets(n: int) -> str:
    """n opening brackets: JSON nested deeper than any parser's recursion allows."""
    return "[" * n


def _raw_metadata(text: str) -> Mutation:
    """The deltaprop document replaced by arbitrary text (not necessarily JSON)."""

    def apply(data):
        header, body = split(data)
        return join({**header, "__metadata__": {**header["__metadata__"], "deltaprop": text}}, body)

    return Mutation(f"deltaprop metadata set to the text {_short(text)} ({len(text)} chars)", apply)


def _raw_header(text: bytes) -> Mutation:
    def apply(data):
        _, body = split(data)
        return struct.pack("<Q", len(text)) + text + body

    return Mutation(f"header replaced by {_short(text)} ({len(text)} bytes)", apply)


hostile_values = st.one_of(
    st.sampled_from([
        None, True, False, 0, -1, 1, 2**31, 2**63, -(2**63), 10**30, 1e308, float("nan"), float("inf"), -0.0,
        "", "F64", "BF16", "F8_E4M3", "I64", "BOOL", "U8", "F16", "__import__('os').system('echo pwned')",
        "f4,(", ",loat32", "i4,i4", "O", "V8", "U3", "<f8",
        "Sequential", "Linear", "Module", "Tensor", "os.system", "deltaprop.model", "deltaprop.checkpoint",
        [], {}, [0], [2**40, 2**40], [-1, 3], [1, 1, 1, 1, 1, 1, 1, 1], [0, 2**62], {"__tensor__": "nope"},
        {"__tensor__": "model/0.weight"}, {"__items__": [[{}, 1]]},
        {"class": "Linear", "config": {"in_features": 2**40, "out_features": 2**40}},
        {"class": "Eval", "config": {}, "children": []},
        {"type": "StandardScaler", "mean": ["a"], "scale": [1]}, {"type": "LabelEncoder", "classes": []},
    ]),
    st.builds(_nested, st.integers(10, 500), st.sampled_from(["list", "dict"])),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(-3, 2**33), max_size=5),
)

raw_headers = st.sampled_from([
    b"", b"{", b"[]", b"null", b"\xff\xfe", b'{"__metadata__": []}',
    b'{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}',
])

json_mutations = st.one_of(
    st.builds(_layer_edit, st.integers(0, 100), st.sampled_from(LAYER_ARGUMENTS) | st.text(max_size=8), hostile_values),
    # The deltaprop document is drawn twice as often as the safetensors header: it holds more to break.
    st.builds(_json_edit, st.sampled_from(["header", "deltaprop", "deltaprop"]), st.integers(0, 10**6),
              hostile_values, st.booleans()),
    st.builds(_string_edit, st.sampled_from(["header", "deltaprop"]), st.integers(0, 10**6), st.integers(0, 64),
              st.characters(codec="utf-8") | st.sampled_from(list(",([{<>|:0 "))),
    st.builds(_raw_metadata, st.sampled_from(["", "{", "null", "[]", '{"format": 1}', "\ud800"])
              | st.builds(_brackets, st.integers(1, 200_000)) | st.text(max_size=50)),
    st.builds(_raw_header, raw_headers | st.builds(_brackets, st.integers(1, 200_000)).map(str.encode)
              | st.binary(max_size=64)),
)

mutations = st.one_of(byte_mutations, json_mutations)


# -- valid files to break ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Original:
    name: str
    data: bytes  # the valid file
    csv: str  # a CSV file the model predicts on (features and target)
    X: Any
    y: Any
    checkpoint: bool


def make_originals(folder) -> list[Original]:
    """A classifier and a regressor on three features, and two checkpoints of the classifier's run."""
    import numpy as np

    import deltaprop as dp
    from deltaprop.data import LabelEncoder, StandardScaler
    from deltaprop.tabular import TabularModel, build_mlp
    from deltaprop.training import Callback, EarlyStopping, ModelCheckpoint, Trainer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    labels = np.where(X[:, 0] > 0, "cat", np.where(X[:, 1] > 0, "dog", "eel"))
    values = (X[:, 0] - 2 * X[:, 1]).astype(np.float32)
    names = ["x1", "x2", "x3"]
    originals = []

    class InterruptAt(Callback):  # stop inside epoch 2, as Ctrl-C does
        def on_batch_end(self, batch, logs=None):
            if self.trainer.epoch == 2 and batch == 1:
                self.trainer._interrupt_requested = True

    for task, y in (("classification", labels), ("regression", values)):
        dp.manual_seed(0)
        encoder = LabelEncoder().fit(y) if task == "classification" else None
        target_scaler = None if encoder else StandardScaler().fit(y.reshape(-1, 1))
        network = build_mlp(3, (8,), len(encoder.classes_) if encoder else 1, dropout=0.1)
        model = TabularModel(network, task, names, "label" if encoder else "value", StandardScaler().fit(X), encoder,
                             target_scaler, settings={"config": {"epochs": 3, "hidden": [8]}})
        csv = f"{folder}/{task}.csv"
        with open(csv, "w") as handle:
            handle.write(",".join([*names, model.target_name]) + "\n")
            handle.writelines(",".join([*map(str, row), str(target)]) + "\n" for row, target in zip(X, y))
        loss = "cross_entropy" if encoder else "mse"
        model_path, checkpoint_path = f"{folder}/{task}.safetensors", f"{folder}/{task}-checkpoint.safetensors"
        trainer = Trainer(network, loss=loss, optimizer="adam", metrics=["accuracy" if encoder else "r2"], verbose=0,
                          seed=0, callbacks=[EarlyStopping(monitor="loss", patience=5), ModelCheckpoint(checkpoint_path)])
        trainer.metadata = model.metadata()
        trainer.fit(model.features(X), model.encode_target(y), epochs=2, batch_size=8)
        model.save(model_path)
        originals.append(Original(task, _read(model_path), csv, X, y, False))
        originals.append(Original(f"{task} checkpoint", _read(checkpoint_path), csv, X, y, True))
        if encoder:
            interrupted = f"{folder}/interrupted.safetensors"
            trainer = Trainer(build_mlp(3, (8,), 3, dropout=0.1), loss=loss, optimizer="sgd", metrics=["accuracy"],
                              verbose=0, seed=0, callbacks=[InterruptAt()])
            trainer.metadata = model.metadata()
            trainer.fit(model.features(X), model.encode_target(y), epochs=3, batch_size=8,
                        interrupt_checkpoint=interrupted)
            originals.append(Original("mid-epoch checkpoint", _read(interrupted), csv, X, y, True))
    return originals


def _read(path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


# -- the oracle ----------------------------------------------------------------------------------------


def loading_problems(path, original: Original, tally=None) -> list[str]:
    """Everything that went wrong loading ``path`` (a broken copy of ``original``) every way a user
    can. ``tally``, a Counter, counts the outcomes ('load: refused', 'deltaprop predict: exit 0', ...)."""
    import contextlib
    import io

    from deltaprop import cli
    from deltaprop.errors import DataError, ModelFileError
    from deltaprop.serialization import load, load_checkpoint
    from deltaprop.tabular import TabularModel

    problems = []

    def count(outcome):
        if tally is not None:
            tally[outcome] += 1

    def attempt(what, action):
        try:
            action()
            count(f"{what}: loaded")
        except ModelFileError as error:
            count(f"{what}: refused")
            message = str(error)
            if "\n" in message or not message.startswith(f"{path}: "):
                problems.append(f"{what}: the message is not one line naming the file: {message[:300]!r}")
        except Exception as error:  # anything else escaping is a bug
            problems.append(f"{what}: {type(error).__name__}: {str(error)[:300]}")

    def use_as_table():
        model = TabularModel.load(path)
        model.predict(original.X)  # the data is right for the original: a failure means the file was not checked
        if model.task == "classification":
            model.predict_proba(original.X)
        try:
            model.evaluate(original.X, original.y)
        except DataError:
            pass  # a flipped bit in a class name: the file is sound, the original labels are now unknown to it

    attempt("load", lambda: load(path))
    attempt("load_checkpoint", lambda: load_checkpoint(path))
    attempt("TabularModel.load", use_as_table)
    for argv in (["predict", path, original.csv], ["evaluate", path, original.csv], ["summary", path]):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main([str(a) for a in argv])
        count(f"deltaprop {argv[0]}: exit {code}")
        lines = [line for line in err.getvalue().splitlines() if "RuntimeWarning" not in line and not line.startswith("  ")]
        one_sentence = len(lines) == 1 and lines[0].startswith("deltaprop: error: ")
        if code not in (0, 1) or "internal error" in err.getvalue() or (code == 1 and not one_sentence):
            problems.append(f"deltaprop {argv[0]}: exit code {code}, stderr {err.getvalue()[:300]!r}")
    return problems
