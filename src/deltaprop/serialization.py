"""Model files and checkpoints: safetensors weights plus a JSON description, never a pickle.

A file is a standard safetensors file (8-byte header length, JSON header, raw little-endian
tensor bytes); the ``__metadata__`` entry ``"deltaprop"`` holds a JSON document:

    {"format": "deltaprop.model" | "deltaprop.checkpoint", "version": 1,
     "architecture": {"class": "Sequential", "config": {}, "children": [...]} | null,
     "dtype": "float32", "metadata": {...user data: label mapping, scaler, settings...},
     "state": {...checkpoints only: optimizer, epoch, random state, history, callbacks...}}

Loading never executes anything from the file: the architecture may name only layer classes that
``deltaprop.nn`` exports, with constructor arguments that are plain JSON numbers, strings, booleans
or lists, and every size the file claims is checked before it is trusted. Anything else is a
:class:`~deltaprop.errors.ModelFileError` with one sentence saying what is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import atomic
from .errors import ModelFileError, ShapeError

FORMAT_MODEL = "deltaprop.model"
FORMAT_CHECKPOINT = "deltaprop.checkpoint"
VERSION = 1

_MAX_HEADER_BYTES = 100 * 2**20
_MAX_DEPTH = 32
_MAX_LAYERS = 10_000


# -- the public face ---------------------------------------------------------------------------


def save(model, path, metadata: dict | None = None) -> None:
    """Save ``model``'s weights, its architecture (for models built from deltaprop's layers) and
    ``metadata`` (any JSON-serialisable dict) to ``path``, atomically."""
    info = {
        "format": FORMAT_MODEL,
        "version": VERSION,
        "architecture": architecture_of(model),
        "dtype": _model_dtype(model),
        "metadata": metadata or {},
    }
    _write(path, model.state_dict(), info)


def load(path, model=None):
    """Load a model saved by :func:`save` (or the model inside a checkpoint).

    Without ``model``, the architecture stored in the file is rebuilt from deltaprop's layers; a
    model of a custom class is loaded by passing an instance: ``load(path, model=MyNet())``. A plain
    safetensors file (no deltaprop metadata) can also be loaded into a given model. The saved
    metadata is available as ``model.metadata``.
    """
    path = Path(path)
    tensors, info = _read(path)
    if info is None:
        if model is None:
            raise ModelFileError(f"{path}: a safetensors file without deltaprop metadata; pass the model to load it into: load(path, model=...)")
        info = {"format": FORMAT_MODEL, "architecture": None, "metadata": {}}
    if info["format"] == FORMAT_CHECKPOINT:
        tensors = _unprefix(tensors, "model/")
    if model is None:
        if info.get("architecture") is None:
            raise ModelFileError(f"{path}: the model is of a custom class, so only its weights are stored; build it and call load(path, model=YourModel())")
        model = _build_quietly(info["architecture"], limit=sum(t.size for t in tensors.values()), where=path)
        dtype = info.get("dtype")
        if dtype not in (None, "float16", "float32", "float64"):
            raise ModelFileError(f"{path}: unsupported parameter dtype {dtype!r}")
        if dtype:
            model.to(dtype)
    parameter_names = {name for name, _ in model.named_parameters()}
    for name, array in tensors.items():
        if name in parameter_names and array.dtype.kind != "f":
            raise ModelFileError(f"{path}: tensor {name!r} has dtype {array.dtype}, but a parameter must be floating point")
    try:
        model.load_state_dict(tensors)
    except ShapeError as error:
        raise ModelFileError(f"{path}: the weights do not fit the architecture ({error})") from None
    object.__setattr__(model, "metadata", info.get("metadata") or {})
    return model


def read_metadata(path) -> dict:
    """The metadata dict stored with a model (label classes, scaler, training settings, ...)."""
    _, info = _read(Path(path))
    return (info or {}).get("metadata") or {}


def save_checkpoint(path, model, state: dict, metadata: dict | None = None) -> None:
    """Save a training checkpoint: the model plus ``state`` (nested dicts and lists of JSON values
    and NumPy arrays: optimizer state, epoch, random state, history, ...), atomically."""
    tensors = {f"model/{name}": array for name, array in model.state_dict().items()}
    encoded = _encode(state, "state", tensors)
    info = {
        "format": FORMAT_CHECKPOINT,
        "version": VERSION,
        "architecture": architecture_of(model),
        "dtype": _model_dtype(model),
        "metadata": metadata or {},
        "state": encoded,
    }
    _write(path, tensors, info)


def load_checkpoint(path) -> dict:
    """Read a checkpoint: ``{"model_state", "state", "architecture", "metadata"}``."""
    path = Path(path)
    tensors, info = _read(path)
    if info is None or info["format"] != FORMAT_CHECKPOINT:
        raise ModelFileError(f"{path}: not a deltaprop checkpoint (a model file cannot be resumed from; use the run's checkpoint file)")
    try:
        state = _decode(info.get("state"), tensors, path)
    except RecursionError:
        raise ModelFileError(f"{path}: the checkpoint state is nested too deeply") from None
    return {
        "model_state": _unprefix(tensors, "model/"),
        "state": state,
        "architecture": info.get("architecture"),
        "metadata": info.get("metadata") or {},
    }


# -- architectures -----------------------------------------------------------------------------


def _layer_classes() -> dict:
    from . import nn

    classes = {}
    for name in nn.__all__:
        obj = getattr(nn, name)
        if isinstance(obj, type) and issubclass(obj, nn.Module) and obj is not nn.Module:
            classes[name] = obj
    return classes


def architecture_of(module) -> dict | None:
    """``{"class", "config", "children"}`` for a tree of deltaprop layers, else None (a custom class)."""
    classes = _layer_classes()
    name = type(module).__name__
    if classes.get(name) is not type(module):
        return None
    try:
        config = module.config()
    except NotImplementedError:
        return None
    children = []
    for child in module.children():
        spec = architecture_of(child)
        if spec is None:
            return None
        children.append(spec)
    return {"class": name, "config": config, "children": children}


def build(spec, limit: int | None = None, where="model file"):
    """Rebuild a module from :func:`architecture_of`'s description, trusting nothing in it.

    ``limit`` bounds every integer argument (no layer of a valid file is bigger than the file's
    own tensors), so a hostile file cannot make us allocate absurd amounts of memory.
    """
    classes = _layer_classes()
    count = [0]

    def make(node, depth):
        if depth > _MAX_DEPTH:
            raise ModelFileError(f"{where}: the architecture is nested more than {_MAX_DEPTH} levels deep")
        count[0] += 1
        if count[0] > _MAX_LAYERS:
            raise ModelFileError(f"{where}: the architecture has more than {_MAX_LAYERS} layers")
        if not isinstance(node, dict) or not isinstance(node.get("class"), str):
            raise ModelFileError(f"{where}: the architecture is malformed (a layer entry without a class name)")
        name = node["class"]
        if name not in classes:
            raise ModelFileError(f"{where}: unknown layer {name!r}; known layers: {', '.join(sorted(classes))}")
        config = node.get("config", {})
        children = node.get("children", [])
        if not isinstance(config, dict) or not isinstance(children, list):
            raise ModelFileError(f"{where}: layer {name!r} has a malformed config or children list")
        for key, value in config.items():
            _check_argument(where, name, key, value, limit)
        built_children = [make(child, depth + 1) for child in children]
        try:
            return classes[name](*built_children, **config)
        except MemoryError:
            raise ModelFileError(f"{where}: layer {name} with {config} would not fit in memory") from None
        except (TypeError, ValueError) as error:
            raise ModelFileError(f"{where}: cannot build layer {name} with {config}: {error}") from None

    return make(spec, 0)


def _build_quietly(spec, limit, where):
    """:func:`build`, leaving the library's random stream as it was: the layers draw initial
    weights that the file's weights replace at once, and loading a model must not change what a
    seeded run does next."""
    from . import random as dp_random

    state = dp_random.get_rng_state()
    try:
        return build(spec, limit=limit, where=where)
    finally:
        dp_random.set_rng_state(state)


def _check_argument(where, layer, key, value, limit) -> None:
    values = value if isinstance(value, list) else [value]
    for item in values:
        if isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        if isinstance(item, int):
            if limit is not None and abs(item) > max(limit, 2**16):
                raise ModelFileError(f"{where}: layer {layer} argument {key}={item} is larger than the file's own weights allow")
            continue
        if isinstance(item, float):
            continue
        raise ModelFileError(f"{where}: layer {layer} argument {key!r} has a value of unsupported type {type(item).__name__}")
    if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
        raise ModelFileError(f"{where}: layer {layer} has an invalid argument name {key!r}")


def _model_dtype(model) -> str | None:
    dtypes = {p.data.dtype.name for p in model.parameters()}
    return dtypes.pop() if len(dtypes) == 1 else None


# -- nested state <-> JSON + tensors -----------------------------------------------------------


def _encode(obj, key: str, tensors: dict):
    """JSON-able copy of ``obj``; arrays are moved into ``tensors`` and replaced by a reference."""
    if isinstance(obj, np.ndarray):
        tensors[key] = _contiguous(obj)
        return {"__tensor__": key}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _encode(v, f"{key}/{k}", tensors) for k, v in obj.items()}
        return {"__items__": [[k, _encode(v, f"{key}/{k}", tensors)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return [_encode(v, f"{key}/{i}", tensors) for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} at {key} in a checkpoint")


def _decode(obj, tensors: dict, path):
    if isinstance(obj, dict):
        if set(obj) == {"__tensor__"}:
            name = obj["__tensor__"]
            if name not in tensors:
                raise ModelFileError(f"{path}: the checkpoint refers to a tensor {name!r} that is not in the file")
            return tensors[name]
        if set(obj) == {"__items__"} and isinstance(obj["__items__"], list):
            items = obj["__items__"]
            if not all(isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (int, str)) for pair in items):
                raise ModelFileError(f"{path}: the checkpoint state is malformed")
            return {k: _decode(v, tensors, path) for k, v in items}
        return {k: _decode(v, tensors, path) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, tensors, path) for v in obj]
    return obj


def _contiguous(array: np.ndarray) -> np.ndarray:
    """A C-contiguous array of the same shape (np.ascontiguousarray would turn 0-d into (1,))."""
    array = np.asarray(array)
    return array if array.flags.c_contiguous else array.copy(order="C")


def _unprefix(tensors: dict, prefix: str) -> dict:
    return {name[len(prefix):]: array for name, array in tensors.items() if name.startswith(prefix)}


# -- the file itself ---------------------------------------------------------------------------


def _write(path, tensors: dict, info: dict) -> None:
    from safetensors.numpy import save as to_bytes

    contiguous = {name: _contiguous(array) for name, array in tensors.items()}
    data = to_bytes(contiguous, metadata={"deltaprop": json.dumps(info, allow_nan=True)})
    atomic.write_bytes(path, data)


def _parse_json(text, path, what):
    try:
        return json.loads(text)
    except RecursionError:
        raise ModelFileError(f"{path}: the {what} is nested too deeply to be a model file") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ModelFileError(f"{path}: the {what} is not valid JSON ({error})") from None


def _read(path: Path):
    """(tensors, deltaprop info or None) from a safetensors file, validated before anything is trusted."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path}: is a directory, not a model file") from None
    except PermissionError:
        raise ModelFileError(f"{path}: permission denied") from None
    except OSError as error:
        raise ModelFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    if len(data) < 8:
        raise ModelFileError(f"{path}: only {len(data)} bytes, too short to be a model file")
    header_length = int.from_bytes(data[:8], "little")
    if header_length > len(data) - 8 or header_length > _MAX_HEADER_BYTES:
        raise ModelFileError(f"{path}: the header claims {header_length} bytes but the file has {len(data) - 8} after it; the file is truncated or not a model file")
    header = _parse_json(data[8 : 8 + header_length], path, "header")
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: the header is not a JSON object; not a safetensors model file")
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict):
        raise ModelFileError(f"{path}: the header's metadata is not a JSON object")
    info = None
    if "deltaprop" in metadata:
        if not isinstance(metadata["deltaprop"], str):
            raise ModelFileError(f"{path}: the deltaprop metadata is not a JSON string")
        info = _parse_json(metadata["deltaprop"], path, "deltaprop metadata")
        if not isinstance(info, dict) or info.get("format") not in (FORMAT_MODEL, FORMAT_CHECKPOINT):
            raise ModelFileError(f"{path}: the deltaprop metadata does not describe a model or checkpoint")
        if info.get("version") != VERSION:
            raise ModelFileError(f"{path}: file format version {info.get('version')!r} is not supported (this deltaprop reads version {VERSION})")
        if not isinstance(info.get("metadata", {}), dict):
            raise ModelFileError(f"{path}: the model's metadata is not a JSON object")
    try:
        from safetensors import SafetensorError
        from safetensors.numpy import load as from_bytes

        tensors = from_bytes(data)
    except SafetensorError as error:
        raise ModelFileError(f"{path}: the tensor data is corrupt ({error})") from None
    except (ValueError, TypeError, OverflowError, MemoryError) as error:
        raise ModelFileError(f"{path}: the tensor data cannot be read ({error})") from None
    return tensors, info
