"""Model files and checkpoints: safetensors weights plus a JSON description, never a pickle.

A file is a standard safetensors file (8-byte header length, JSON header, raw little-endian
tensor bytes); the ``__metadata__`` entry ``"deltaprop"`` holds a JSON document:

    {"format": "deltaprop.model" | "deltaprop.checkpoint", "version": 1,
     "architecture": {"class": "Sequential", "config": {}, "children": [...]} | null,
     "tied": [["0.weight", "2.weight"], ...], "dtype": "float32",
     "metadata": {...user data: label mapping, scaler, settings...},
     "state": {...checkpoints only: optimizer, epoch, random state, history, callbacks...}}

A layer entry of the architecture may also say ``"training": false`` (a layer saved in evaluation
mode comes back in it, as a whole PyTorch module does) and ``"frozen": [names]`` (its own
parameters with ``requires_grad`` off: they come back frozen), and a layer used in two places is written
once and then referred to as ``{"same_as": [i, j, ...]}``, its position in the tree (child i of
the root, its child j, ...), so it comes back shared. ``tied`` lists the state names of each
parameter that several layers share (``b.weight = a.weight``); a loaded model shares it again. A
Sequential whose layers have names of their own (``Sequential(OrderedDict(...))``) lists them in
``"names"``, as a ModuleDict always does (its keys). A ParameterList or ParameterDict records the
shape and dtype of each parameter (``"shapes"``, ``"dtypes"``, and a dict's ``"keys"`` in order) and is
rebuilt from them (``_from_config``) before the weights fill it.

Loading never executes anything from the file: the architecture may name only layer classes that
``deltaprop.nn`` exports, with constructor arguments that are plain JSON numbers, strings, booleans
or lists, and every size the file claims is checked before it is trusted. Anything else is a
:class:`~deltaprop.errors.ModelFileError` with one sentence saying what is wrong.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import json
import math
import reprlib
import sys
import warnings
from pathlib import Path

import numpy as np

from . import atomic
from .errors import ConfigError, DeltapropError, ModelFileError, ShapeError

FORMAT_MODEL = "deltaprop.model"
FORMAT_CHECKPOINT = "deltaprop.checkpoint"
FORMAT_STATE = "deltaprop.state_dict"  # save(model.state_dict(), path): the arrays alone, as torch.save stores them
FORMAT_OBJECT = "deltaprop.object"  # save({"model": ..., "optimizer": ..., "epoch": 3}, path): dicts, lists, arrays, JSON values
VERSION = 1

_MAX_HEADER_BYTES = 100 * 2**20
# The safetensors dtypes NumPy can hold (bfloat16 and the float8 kinds have no NumPy dtype).
_NUMPY_DTYPES = frozenset({"BOOL", "U8", "I8", "U16", "I16", "F16", "U32", "I32", "F32", "U64", "I64", "F64"})
_FLOAT_DTYPES = (None, "float16", "float32", "float64")
_MAX_DEPTH = 32
_MAX_LAYERS = 10_000
# How many numbers the layers of an architecture may allocate, as a multiple of the numbers the file
# holds (with a floor for small files): generous for any real model, whose weights are all in the
# file, and a bound on the memory a hostile architecture can make us claim.
_SIZE_SLACK = 16
_SIZE_FLOOR = 2**22
# Containers whose layers are named by the file (Sequential(OrderedDict(...)), ModuleDict); integer
# arguments that are no sizes (see _size_bound).
_NAMED_CONTAINERS = ("Sequential", "ModuleDict")
_NOT_SIZES = frozenset({"groups", "padding_idx", "num_groups", "proj_size"})
_FRACTIONAL_POOLS = frozenset({"FractionalMaxPool2d", "FractionalMaxPool3d"})
_PARAMETER_CONTAINERS = ("ParameterList", "ParameterDict")
_REPR = reprlib.Repr()
_REPR.maxstring, _REPR.maxother, _REPR.maxlevel, _REPR.maxlist, _REPR.maxdict = 80, 80, 3, 8, 8


# -- the public face ---------------------------------------------------------------------------


def save(model, path, metadata: dict | None = None) -> None:
    """Save ``model``'s weights, its architecture (for models built from deltaprop's layers) and
    ``metadata`` (any JSON-serialisable dict) to ``path``, atomically. A state dict
    (``model.state_dict()``, names to arrays) is saved as it is, and :func:`load` gives it back.

    Anything else made of dicts, lists and tuples of arrays, tensors, numbers, text, booleans and
    None is saved as it is too, as ``torch.save`` saves a checkpoint dict
    (``{"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3}``): its arrays
    in the safetensors part, the rest as JSON; :func:`load` rebuilds it (tuples as lists, tensors as
    arrays). Nothing is pickled, so a function or an object of another class is refused by name.

    ``path`` may also be a file object opened for writing bytes (mode ``'wb'``, or an
    ``io.BytesIO``), as ``torch.save`` takes one: the same bytes are written to it (not atomically:
    the file is the caller's)."""
    if hasattr(path, "write") and not _writes_bytes(path):
        raise TypeError(f"save: the file object {_label(path)} takes text, not bytes; open it with mode 'wb'")
    if isinstance(model, dict) and _is_state_dict(model):
        arrays = _state_arrays(model)
        _write(path, arrays, {"format": FORMAT_STATE, "version": VERSION, "order": list(arrays),
                              "metadata": _json_metadata(metadata or {})})
        return
    if not hasattr(model, "state_dict") or not hasattr(model, "named_parameters"):
        tensors = {}
        try:
            encoded = _encode(model, "object", tensors)
        except TypeError as error:
            raise TypeError(f"save: {error}") from None
        _write(path, tensors, {"format": FORMAT_OBJECT, "version": VERSION, "object": encoded,
                               "metadata": _json_metadata(metadata or {})})
        return
    for name, module in model.named_modules():
        if getattr(module, "has_uninitialized_params", lambda: False)():
            where = f"the layer {name!r}" if name else "the model"
            raise ConfigError(f"save: {where} ({type(module).__name__}) has no weights until its first input; run one "
                              "forward pass before saving")
    info = {
        "format": FORMAT_MODEL,
        "version": VERSION,
        "architecture": architecture_of(model),
        "tied": tied_parameters(model),
        "dtype": _model_dtype(model),
        "metadata": _json_metadata(metadata or {}),
    }
    _write(path, model.state_dict(), info)


def load(path, model=None, *, map_location=None, weights_only=None, mmap=None):
    """Load a model saved by :func:`save` (or the model inside a checkpoint), or whatever else
    :func:`save` was given (a state dict, a checkpoint dict of ``torch.save``'s kind).

    Without ``model``, the architecture stored in the file is rebuilt from deltaprop's layers; a
    model of a custom class is loaded by passing an instance: ``load(path, model=MyNet())``. A plain
    safetensors file (no deltaprop metadata) can also be loaded into a given model. The saved
    metadata is available as ``model.metadata``.

    ``torch.load``'s keywords are taken so that its calls run unchanged: ``map_location`` (a
    device, which can only be the CPU, or PyTorch's dict or function form: a file holds no devices,
    so there is nothing to move), ``weights_only`` (files never hold code, so every load is
    weights-only) and ``mmap``. The second argument may be the map location, as in PyTorch.
    ``path`` may also be a file object opened for reading bytes (``open(name, 'rb')``, an
    ``io.BytesIO``), as ``torch.load`` takes one: it is read from where it stands to its end.
    """
    if model is not None and _names_a_place(model):  # torch.load(path, "cpu")
        model, map_location = None, model
    if map_location is not None and _names_a_place(map_location):
        from .devices import check_device

        check_device("load: map_location", map_location)
    for name, flag in (("weights_only", weights_only), ("mmap", mmap)):
        if flag is not None and not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"load: {name} must be True, False or None, got {_short(flag)}")
    source = path if hasattr(path, "read") else Path(path)
    path = _label(source) if source is path else source
    tensors, info = _read(source)
    if info is not None and info["format"] == FORMAT_OBJECT:
        if model is not None:
            raise ModelFileError(f"{path}: holds a saved object (a checkpoint dict, say), not a model's weights alone; "
                                 "obj = deltaprop.load(path) gives it back, and model.load_state_dict(obj[...]) loads "
                                 "the weights it holds")
        try:
            return _decode(info.get("object"), tensors, path)
        except RecursionError:
            raise ModelFileError(f"{path}: the saved object is nested too deeply") from None
    if info is not None and info["format"] == FORMAT_STATE:
        if model is None:
            from collections import OrderedDict

            order = info.get("order")  # the file stores the arrays by their own order: give back the dict's
            if not (isinstance(order, list) and sorted(map(str, order)) == sorted(tensors)):
                order = list(tensors)
            return OrderedDict((name, tensors[name]) for name in order)  # a state dict, for load_state_dict
        info = {"format": FORMAT_MODEL, "architecture": None, "metadata": info.get("metadata") or {}}
    if info is None:
        if model is None:
            raise ModelFileError(f"{path}: a safetensors file without deltaprop metadata; pass the model to load it into: load(path, model=...)")
        info = {"format": FORMAT_MODEL, "architecture": None, "metadata": {}}
    if info["format"] == FORMAT_CHECKPOINT:
        tensors = _unprefix(tensors, "model/")
    built = model is None
    if model is None:
        if info.get("architecture") is None:
            raise ModelFileError(f"{path}: the model is of a custom class (or has layers a built-in class does not name), so only its weights are stored; build it and call load(path, model=YourModel())")
        model = _build_quietly(info["architecture"], limit=sum(t.size for t in tensors.values()), where=path)
        dtype = info.get("dtype")
        if dtype not in _FLOAT_DTYPES:
            raise ModelFileError(f"{path}: unsupported parameter dtype {_short(dtype)}")
        if dtype:
            model.to(dtype)
        _tie(model, info.get("tied"), path)
    kinds = {key: (is_parameter, np.asarray(getattr(module, name).data if is_parameter else getattr(module, name)).dtype)
             for key, module, name, is_parameter in model._state_entries()}
    for name, array in tensors.items():
        if name not in kinds:
            continue
        is_parameter, expected = kinds[name]
        if _kind(array.dtype) != _kind(expected):
            should = "a parameter must be floating point" if is_parameter else f"the buffer holds {expected} numbers"
            raise ModelFileError(f"{path}: tensor {_short(name)} has dtype {array.dtype}, but {should}")
        if is_parameter and not np.isfinite(array).all():
            # PyTorch and Keras load such weights too; they are worth inspecting after a divergence.
            warnings.warn(f"{path}: parameter {_short(name)} holds NaN or infinite values (a model saved after "
                          "it diverged?); what the model computes will not be finite", RuntimeWarning, stacklevel=2)
    try:
        model.load_state_dict(tensors)
    except ShapeError as error:
        hint = ""
        if built and "unexpected keys" in str(error) and "missing keys" not in str(error):
            # (a buffer or parameter added to a built-in layer by hand is saved with the weights, but the
            # architecture names only the layers' arguments)
            hint = ("; if state was added to a built-in layer (register_buffer, a new Parameter), build the model "
                    "the same way and call load(path, model=your_model)")
        raise ModelFileError(f"{path}: the weights do not fit the architecture ({error}){hint}") from None
    # a pruned tensor is recomputed from the mask just loaded (nothing is pruned before prune is imported)
    prune = sys.modules.get(__package__ + ".nn.utils.prune")
    if prune is not None:
        prune.refresh(model)
    object.__setattr__(model, "metadata", info.get("metadata") or {})
    return model


def _names_a_place(value) -> bool:
    """Whether ``value`` is a device (a string such as 'cpu', or a device object), as
    ``map_location`` may be."""
    return isinstance(value, str) or type(value).__name__ == "device"


def load_model(path):
    """:func:`load` where the file must hold a model: a file of weights alone (a state dict) is a
    :class:`~deltaprop.errors.ModelFileError`, not a dict handed to code that expects a module."""
    model = load(path)
    if isinstance(model, dict) and _is_state_dict(model):
        raise ModelFileError(f"{path}: holds weights alone (a state dict), not a model with its layers; build the "
                             "model and load them with model.load_state_dict(deltaprop.load(path))")
    if not hasattr(model, "state_dict"):
        raise ModelFileError(f"{path}: holds a saved object (a checkpoint dict, say), not a model with its layers; "
                             "deltaprop.load(path) gives it back")
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
        "tied": tied_parameters(model),
        "dtype": _model_dtype(model),
        "metadata": _json_metadata(metadata or {}),
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
        # (a lazy layer is never written: it becomes its ``cls_to_become`` at its first input, and
        # before that ``save`` refuses it; a wrapper such as DataParallel is saved as a custom class,
        # its weights alone; a file naming either is refused as an unknown class; _in_model_files is
        # each class's own word, so that RNNBase's False leaves LSTM's True)
        if (isinstance(obj, type) and issubclass(obj, nn.Module) and obj is not nn.Module
                and not hasattr(obj, "cls_to_become") and vars(obj).get("_in_model_files", True)):
            classes[name] = obj
    return classes


def architecture_of(module) -> dict | None:
    """``{"class", "config", "children"}`` for a tree of deltaprop layers, else None (a custom class).
    A Sequential whose layers are not named 0, 1, 2, ... adds ``"names"``.

    A layer in evaluation mode says ``"training": false``; a layer met a second time is written as
    ``{"same_as": position}``, the list of child indices that leads to its first appearance.
    """
    classes = _layer_classes()
    seen: dict[int, list] = {}

    def describe(node, position):
        if id(node) in seen:
            return {"same_as": seen[id(node)]}
        seen[id(node)] = position
        # a layer with parametrized weights (weight_norm, spectral_norm) is its class's own subclass:
        # described as its class, with the parametrizations listed
        cls = getattr(type(node), "_parametrized_base", None) or type(node)
        name = cls.__name__
        if classes.get(name) is not cls:
            return None
        parametrized = cls is not type(node)
        try:
            config = node.config()
        except NotImplementedError:
            return None
        children = []
        modules = {key: child for key, child in node._modules.items() if not (parametrized and key == "parametrizations")}
        # Every child in order, a shared one each time it appears (children(), like PyTorch's, lists
        # it once).
        for index, child in enumerate(c for c in modules.values() if c is not None):
            spec = describe(child, position + [index])
            if spec is None:
                return None
            children.append(spec)
        spec = {"class": name, "config": config, "children": children}
        if parametrized:
            from .nn.utils.parametrize import specs

            spec["parametrizations"] = specs(node)
            if spec["parametrizations"] is None:
                return None  # a parametrization of one's own: the weights alone are stored
        names = [key for key, child in modules.items() if child is not None]
        if name == "ModuleDict" and names == [str(i) for i in range(len(names))]:
            spec["names"] = names  # (a ModuleDict is rebuilt from its keys, whatever they are)
        elif _composite(type(node)):
            # a layer made of layers (MultiheadAttention's out_proj): named by their attributes, and
            # described only while they are still the ones its arguments build
            if not node._parts_fit():
                return None
            spec["names"] = names
        elif names != [str(i) for i in range(len(names))]:
            # layers added to a built-in layer (add_module), or names a file would not give back: a
            # class of one's own
            if name not in _NAMED_CONTAINERS or not all(_is_layer_name(n) for n in names):
                return None
            spec["names"] = names  # Sequential(OrderedDict(...)), or a slice that kept its names
        elif name not in ("Sequential", "ModuleList", "ModuleDict") and names:
            return None
        if not node.training:
            spec["training"] = False
        frozen = [key for key, parameter in node._parameters.items() if parameter is not None and not parameter.requires_grad]
        if frozen:
            spec["frozen"] = frozen
        if node.__dict__.get("_forward_pre_hooks"):
            from .nn.utils.prune import pruned_names

            if pruned_names(node):
                spec["pruned"] = pruned_names(node)  # (each <name>_orig and <name>_mask is in the state dict)
        return spec

    return describe(module, [])


def tied_parameters(model) -> list:
    """The state names of each parameter held under several names, one list per parameter."""
    names: dict[int, list] = {}
    for key, module, name, is_parameter in model._state_entries():
        if is_parameter:
            names.setdefault(id(getattr(module, name)), []).append(key)
    return [keys for keys in names.values() if len(keys) > 1]


def _tie(model, tied, where) -> None:
    """Make each group of state names in ``tied`` hold one parameter again, the first name's."""
    if tied is None:
        return
    entries = {key: (module, name) for key, module, name, is_parameter in model._state_entries() if is_parameter}
    if not isinstance(tied, list) or not all(isinstance(group, list) and len(group) > 1 for group in tied):
        raise ModelFileError(f"{where}: the list of tied parameters is malformed")
    for group in tied:
        unknown = [key for key in group if not isinstance(key, str) or key not in entries]
        if unknown:
            raise ModelFileError(f"{where}: the file ties parameter {_short(unknown[0])}, which the architecture does not have")
        module, name = entries[group[0]]
        shared = getattr(module, name)
        for key in group[1:]:
            other_module, other_name = entries[key]
            if np.shape(getattr(other_module, other_name).data) != shared.data.shape:
                raise ModelFileError(f"{where}: the file ties parameters {group[0]} and {key}, which differ in shape")
            setattr(other_module, other_name, shared)


def _json_key(name, where) -> str:
    """A dict key as JSON writes it: numbers, booleans and None become text ({0: 'cat'} is stored
    as {"0": "cat"}); anything else cannot be a JSON key."""
    if isinstance(name, str):
        return name
    if isinstance(name, np.generic):
        name = name.item()
    if name is None or isinstance(name, (bool, int, float)):
        return json.dumps(name)
    raise TypeError(f"save: {where} has the key {name!r}; a metadata key must be a string or a number (JSON's rule)")


def _json_metadata(metadata, key="metadata"):
    """``metadata`` as JSON values: NumPy numbers become Python numbers and arrays lists; anything
    else that JSON cannot hold, or a key that is not a string, is a TypeError naming where it is."""
    if isinstance(metadata, dict):
        return {_json_key(k, key): _json_metadata(v, f"{key}[{k!r}]") for k, v in metadata.items()}
    if isinstance(metadata, (list, tuple)):
        return [_json_metadata(v, f"{key}[{i}]") for i, v in enumerate(metadata)]
    if isinstance(metadata, np.ndarray):
        return _json_metadata(metadata.tolist(), key)
    if isinstance(metadata, np.generic):
        return metadata.item()
    if metadata is None or isinstance(metadata, (bool, int, float, str)):
        return metadata
    raise TypeError(f"save: {key} is a {type(metadata).__name__}, which a model file cannot hold "
                    "(metadata must be JSON: dicts, lists, strings, numbers, booleans, None)")


def build(spec, limit: int | None = None, where="model file"):
    """Rebuild a module from :func:`architecture_of`'s description, trusting nothing in it.

    ``limit`` (the number of values in the file's tensors) bounds every integer argument and, with
    some slack, the size of all the layers together (no valid file describes layers bigger than its
    own tensors), so a hostile file cannot make us allocate absurd amounts of memory.
    """
    classes = _layer_classes()
    count = [0]
    budget = [None if limit is None else max(_SIZE_SLACK * limit, _SIZE_FLOOR)]

    built: dict[tuple, object] = {}

    def make(node, depth, position=(), path=""):
        if depth > _MAX_DEPTH:
            raise ModelFileError(f"{where}: the architecture is nested more than {_MAX_DEPTH} levels deep")
        if isinstance(node, dict) and set(node) == {"same_as"}:
            target = node["same_as"]
            key = tuple(target) if isinstance(target, list) and all(type(i) is int for i in target) else None
            if key not in built:
                raise ModelFileError(f"{where}: the architecture refers to a layer at {_short(target)} that comes nowhere before it")
            return built[key]
        count[0] += 1
        if count[0] > _MAX_LAYERS:
            raise ModelFileError(f"{where}: the architecture has more than {_MAX_LAYERS} layers")
        if not isinstance(node, dict) or not isinstance(node.get("class"), str):
            raise ModelFileError(f"{where}: the architecture is malformed (a layer entry without a class name)")
        name = node["class"]
        if name not in classes:
            raise ModelFileError(f"{where}: unknown layer {_short(name)}; {_known_layers(name, classes)}")
        config = node.get("config", {})
        children = node.get("children", [])
        if not isinstance(config, dict) or not isinstance(children, list):
            raise ModelFileError(f"{where}: layer {name!r} has a malformed config or children list")
        layer = _layer_label(path, name)
        for key, value in config.items():
            _check_argument(where, layer, key, value, limit)
        if budget[0] is not None:
            budget[0] -= _size_bound(name, config)
            if budget[0] < 0:
                raise ModelFileError(
                    f"{where}: the architecture asks for far more weights than the file's {limit} values "
                    f"(at {layer} with {_short(config)}); the file is damaged or hostile"
                )
        training = node.get("training", True)
        if not isinstance(training, bool):
            raise ModelFileError(f"{where}: layer {name!r} has a training mode that is not true or false")
        names = node.get("names")
        composite = _composite(classes[name])
        if names is not None and (not (name in _NAMED_CONTAINERS or composite) or not isinstance(names, list)
                                  or len(names) != len(children)
                                  or not all(_is_layer_name(n) for n in names) or len(set(names)) != len(names)):
            raise ModelFileError(f"{where}: layer {name!r} has malformed names for its layers")
        built_children = [make(child, depth + 1, position + (index,), _child_path(path, names, index))
                          for index, child in enumerate(children)]
        try:
            # A ModuleList takes its layers as one list, every other container one by one (a
            # Sequential with named layers, and a ModuleDict, as one mapping).
            if callable(getattr(classes[name], "_from_config", None)):
                # a layer described by more than its constructor's arguments (a ParameterList's shapes)
                module = classes[name]._from_config(**config)
            elif composite:
                # a layer made of layers: rebuilt from its arguments, the stored layers put in place
                module = classes[name]._from_parts(dict(zip(names or [], built_children)), **config)
            elif names is None and name == "ModuleDict":
                module = classes[name]({str(i): child for i, child in enumerate(built_children)}, **config)
            elif names is not None:
                module = classes[name](dict(zip(names, built_children)), **config)
            elif name == "ModuleList":
                module = classes[name](built_children, **config)
            else:
                module = classes[name](*built_children, **config)
        except MemoryError:
            raise ModelFileError(f"{where}: {layer} with {_short(config)} would not fit in memory") from None
        except (TypeError, ValueError, KeyError) as error:
            part, argument = getattr(error, "part", None), getattr(error, "argument", None)
            if part is not None and argument is not None:
                # a composite's stored layer differs from what its arguments build: name that layer
                stored = _layer_label(f"{path}.{part[0]}" if path else part[0], part[1])
                raise ModelFileError(f"{where}: {stored} argument {argument} does not fit {layer}: {error}") from None
            # The layer's own sentence; where Python's came instead (float('yes')), the argument of the wrong kind.
            wrong = None if isinstance(error, DeltapropError) else _wrong_kind(layer, config, classes[name])
            reason = error.args[0] if isinstance(error, KeyError) and error.args else error
            raise ModelFileError(f"{where}: {wrong}" if wrong else f"{where}: cannot build {layer} with {_short(config)}: {reason}") from None
        # What a constructor took that a file must not hold (bias="yes", dim=NaN): it was read as
        # something, but not as what the file says.
        wrong = _wrong_kind(layer, config, classes[name])
        if wrong:
            raise ModelFileError(f"{where}: {wrong}")
        _prune(module, node.get("pruned", []), name, where)  # (before freezing: it makes <name>_orig)
        _freeze(module, node.get("frozen", []), name, where)
        if "parametrizations" in node:
            _parametrize(module, node["parametrizations"], layer, where)
            for part in module.parametrizations.modules():
                object.__setattr__(part, "training", training)  # (spectral_norm's iteration runs in training only)
        object.__setattr__(module, "training", training)  # the layer's own mode; its children keep theirs
        built[position] = module
        return module

    return make(spec, 0)


def _freeze(module, frozen, name: str, where) -> None:
    """Switch off ``requires_grad`` of the layer's own parameters that ``frozen`` names (a frozen
    embedding, a fine-tuned model's backbone), as they were when saved."""
    own = module._parameters
    if not isinstance(frozen, list) or not all(isinstance(key, str) and own.get(key) is not None for key in frozen):
        raise ModelFileError(f"{where}: layer {name!r} lists frozen parameters it does not have: {_short(frozen)}")
    for key in frozen:
        own[key].requires_grad = False


def _prune(module, pruned, name: str, where) -> None:
    """Prune again the tensors ``pruned`` names, with masks of ones that the state dict then fills."""
    if not pruned:
        return
    own = module._parameters
    if not isinstance(pruned, list) or not all(isinstance(key, str) and own.get(key) is not None for key in pruned):
        raise ModelFileError(f"{where}: layer {name!r} lists pruned parameters it does not have: {_short(pruned)}")
    from .nn.utils import prune

    for key in pruned:
        prune.identity(module, key)


# What a model file may ask of each parametrization: its arguments and the kinds they take.
_PARAMETRIZATIONS = {"weight_norm": {"dim": (int, type(None))},
                     "spectral_norm": {"n_power_iterations": (int,), "eps": (int, float), "dim": (int,)}}
_MAX_POWER_ITERATIONS = 1000


def _parametrize(module, entries, layer: str, where) -> None:
    """Apply the parametrizations a model file lists for a layer (weight_norm, spectral_norm), each
    entry checked first: a known kind, a parameter the layer has, arguments of the right kinds."""
    from .nn.utils import parametrizations

    if not isinstance(entries, list):
        raise ModelFileError(f"{where}: {layer} has a malformed list of parametrizations")
    for entry in entries:
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind not in _PARAMETRIZATIONS:
            raise ModelFileError(f"{where}: {layer} has an unknown parametrization {_short(kind)} (weight_norm and "
                                 "spectral_norm are known)")
        arguments = {key: value for key, value in entry.items() if key not in ("kind", "tensor")}
        kinds = _PARAMETRIZATIONS[kind]
        if set(arguments) != set(kinds) or not all(type(arguments[key]) in kinds[key] for key in kinds):
            raise ModelFileError(f"{where}: {layer}'s {kind} has malformed arguments {_short(arguments)}")
        if kind == "spectral_norm" and not 0 < arguments["n_power_iterations"] <= _MAX_POWER_ITERATIONS:
            raise ModelFileError(f"{where}: {layer}'s spectral_norm asks for {_short(arguments['n_power_iterations'])} "
                                 f"power iterations (1 to {_MAX_POWER_ITERATIONS} are accepted)")
        tensor = entry.get("tensor")
        if not isinstance(tensor, str) or module._parameters.get(tensor) is None:
            raise ModelFileError(f"{where}: {layer}'s {kind} names a parameter it does not have: {_short(tensor)}")
        try:
            getattr(parametrizations, kind)(module, tensor, **arguments)
        except DeltapropError as error:
            raise ModelFileError(f"{where}: {layer}'s {kind} cannot be applied: {error}") from None


def _composite(cls) -> bool:
    """Whether a layer class builds layers of its own (MultiheadAttention, the Transformer's layers)."""
    return callable(getattr(cls, "_from_parts", None))


def _is_layer_name(name) -> bool:
    """Text a layer could be named by: short, printable, without '.'."""
    return isinstance(name, str) and 0 < len(name) <= 200 and name.isprintable() and "." not in name


def _size_bound(name: str, config: dict) -> int:
    """At least as many numbers as the layer allocates: the product of its integer arguments (the
    weight of Linear is in*out, of Conv2d in*out*k*k: a square kernel counts twice in a 2-d layer, a
    cubic one three times in a 3-d layer).
    A convolution's ``groups`` divides instead: its weight is out*(in/groups)*k (a transposed one's
    in*(out/groups)*k, whose stride, padding and output_padding only widen the bound), and the layer
    refuses a channel count that groups does not divide, or an output_padding PyTorch refuses, before it
    allocates anything. An Embedding's
    ``padding_idx`` (a row, not a size) and a GroupNorm's ``num_groups`` (which divides its channels)
    count for nothing: the table is num_embeddings*embedding_dim, the norm's weights num_channels."""
    if name in _FRACTIONAL_POOLS:
        # a pooling layer allocates only its random samples, if it keeps any (kernel and output sizes
        # allocate nothing)
        shape = config.get("random_samples_shape")
        return math.prod(max(abs(n), 1) if isinstance(n, int) else 1 for n in shape) if isinstance(shape, list) else 0
    if name in _PARAMETER_CONTAINERS:
        # the sum of the parameters' sizes (a product of them all would refuse a list of big ones)
        shapes = config.get("shapes")
        return sum(math.prod(max(abs(n), 1) if isinstance(n, int) else 1 for n in shape)
                   for shape in (shapes if isinstance(shapes, list) else []) if isinstance(shape, list))
    bound = 1
    for key, value in config.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, int) and not isinstance(item, bool) and key not in _NOT_SIZES:
                bound *= max(abs(item), 1)
    kernel = config.get("kernel_size")
    if name.endswith(("2d", "3d")) and isinstance(kernel, int) and not isinstance(kernel, bool):
        bound *= max(abs(kernel), 1) ** (int(name[-2]) - 1)  # one int stands for a kernel of 2 or 3 axes
    groups = config.get("groups")
    if isinstance(groups, int) and not isinstance(groups, bool) and groups > 1:
        bound = -(-bound // groups)
    if name in _RECURRENT_GATES:
        bound = max(bound, _recurrent_size(name, config))
    if name in _ATTENTION_LAYERS:
        bound = _attention_size(name, config)
    if name == "AdaptiveLogSoftmaxWithLoss":
        bound = _adaptive_softmax_size(config)
    return bound


def _adaptive_softmax_size(config: dict) -> int:
    """The numbers an AdaptiveLogSoftmaxWithLoss allocates: its head in×(cutoffs[0] + clusters) and
    each cluster's in×h_i + h_i×(its classes), h_i = in // div_value^(i + 1), with a bias of at most
    the head's width. (The product of its arguments would not do: cutoffs multiply where they only
    split the classes, and a div_value below 1 widens h_i.) Arguments the layer will refuse count
    as 1; the layer then says why."""
    def whole(value):
        return max(abs(value), 1) if isinstance(value, int) and not isinstance(value, bool) else 1

    width, classes = whole(config.get("in_features")), whole(config.get("n_classes"))
    cutoffs = config.get("cutoffs")
    clusters = len(cutoffs) if isinstance(cutoffs, list) else 1
    div = config.get("div_value", 4.0)
    size = width * (classes + clusters + 1) + classes  # the head and its bias, with room to spare
    if isinstance(div, (int, float)) and not isinstance(div, bool) and div > 0:
        for i in range(clusters):
            try:
                hidden = width // div ** (i + 1)
            except OverflowError:  # a huge div_value: no hidden features (the layer refuses it)
                break
            except ZeroDivisionError:  # a tiny one whose power is 0: without end
                hidden = 2**62
            size += int(min(max(hidden, 0), 2**62)) * (width + classes)
    return size


# Recurrent layers and cells: gates per unit. Their weights are gates·hidden·(inputs + hidden + 2) for
# each layer and direction, more than the product of their arguments when input_size is small; an
# LSTM's proj_size (below hidden_size, or refused) adds W_hr, proj_size·hidden, to each and narrows
# the rest (so it counts here, not as a factor of the product: see _NOT_SIZES).
_RECURRENT_GATES = {"RNN": 1, "RNNCell": 1, "LSTM": 4, "LSTMCell": 4, "GRU": 3, "GRUCell": 3}


def _recurrent_size(name: str, config: dict) -> int:
    def size(key, default):
        value = config.get(key, default)
        return max(abs(value), 1) if isinstance(value, int) and not isinstance(value, bool) else 1

    hidden, layers = size("hidden_size", 1), size("num_layers", 1)
    directions = 2 if config.get("bidirectional") is True else 1
    inputs = max(size("input_size", 1), directions * hidden)
    projection = min(size("proj_size", 0), hidden) if "proj_size" in config else 0
    return (_RECURRENT_GATES[name] * hidden * (inputs + hidden + 2) + projection * hidden) * layers * directions


_ATTENTION_LAYERS = ("MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer", "Transformer")


def _attention_size(name: str, config: dict) -> int:
    """The numbers an attention layer allocates: its four E×E projections (E×kdim, E×vdim for key and
    value) and their biases (bias_k and bias_v too with add_bias_kv); an encoder layer's one
    attention, its feed-forward E×F, F×E and two norms; a decoder layer's two attentions and three
    norms; a Transformer's layers and its two final norms, but for a custom encoder's or decoder's,
    which are counted as the layers they are. (The product of the arguments would not
    do: num_heads divides, and E·kdim·vdim overcounts by far.)"""
    def size(key, default):
        value = config.get(key, default)
        return max(abs(value), 1) if isinstance(value, int) and not isinstance(value, bool) else default

    if name == "MultiheadAttention":
        embed = size("embed_dim", 1)
        biases = 6 if config.get("add_bias_kv") is True else 4
        return embed * (2 * embed + size("kdim", embed) + size("vdim", embed) + biases)
    # (d_model has a default in Transformer only, 512: a file may leave it out)
    embed, width = size("d_model", 512 if name == "Transformer" else 1), size("dim_feedforward", 2048)
    encoder_layer = embed * (4 * embed + 2 * width + 9) + width
    decoder_layer = embed * (8 * embed + 2 * width + 15) + width
    if name == "TransformerEncoderLayer":
        return encoder_layer
    if name == "TransformerDecoderLayer":
        return decoder_layer
    # (a custom encoder or decoder is made of layers of its own, each counted where it is built)
    encoders = 0 if config.get("custom_encoder") is True else size("num_encoder_layers", 6)
    decoders = 0 if config.get("custom_decoder") is True else size("num_decoder_layers", 6)
    return encoders * encoder_layer + decoders * decoder_layer + 4 * embed


def _short(value) -> str:
    """A repr cut to a readable length: names and configs in a hostile file can be huge."""
    return _REPR.repr(value)


def _known_layers(name: str, classes) -> str:
    """What to say of the layers a file may name: the count, and the names closest to ``name`` (the
    whole list is over a hundred names, too long for one sentence)."""
    close = difflib.get_close_matches(name[:100], sorted(classes), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return f"the file's layers must be among deltaprop.nn's {len(classes)} layer classes{hint}"


def _build_quietly(spec, limit, where):
    """:func:`build`, leaving the library's random stream as it was: the layers draw initial
    weights that the file's weights replace at once, and loading a model must not change what a
    seeded run does next. Nor does loading repeat what a layer warned of when it was made (an
    LSTM's dropout with one layer): the model was made, and warned about, before it was saved."""
    from . import random as dp_random

    state = dp_random.state_dict()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return build(spec, limit=limit, where=where)
    finally:
        dp_random.load_state_dict(state)


def _layer_label(path: str, name: str) -> str:
    """How a message names a layer of a file's architecture: by its place in the model, as
    ``get_submodule`` takes it, and its class."""
    return f"layer {path!r} ({name})" if path else f"the model ({name})"


def _child_path(path: str, names, index: int) -> str:
    name = names[index] if isinstance(names, list) and index < len(names) and isinstance(names[index], str) else str(index)
    return f"{path}.{name}" if path else name


# What a file must hold for an argument the constructor annotates so (or, unannotated, whose default
# is a flag or a name): a flag is a JSON boolean, never 0, 1 or "yes" (which a constructor could
# take as true); a float is a number other than NaN, which no range check can refuse.
_ARGUMENT_KINDS = {
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "float": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v), "a number other than NaN"),
    "str": (lambda v: isinstance(v, str), "text"),
}


@functools.lru_cache(maxsize=None)
def _argument_kinds(cls) -> dict:
    """The constructor's arguments by name: (kind, whether None is allowed) for those with a kind."""
    kinds = {}
    for parameter in inspect.signature(cls.__init__).parameters.values():
        annotation = parameter.annotation if isinstance(parameter.annotation, str) else ""
        optional = annotation.endswith(" | None")
        annotation = annotation.removesuffix(" | None")
        if not annotation and isinstance(parameter.default, (bool, str)):
            annotation = type(parameter.default).__name__
        if annotation in _ARGUMENT_KINDS:
            kinds[parameter.name] = (annotation, optional)
    return kinds


def _wrong_kind(layer: str, config: dict, cls) -> str | None:
    """What is wrong with the first argument in ``config`` that is not of the kind ``cls``'s
    constructor declares (a flag that is no boolean, an integer that is none, a number that is NaN)."""
    kinds = _argument_kinds(cls)
    for key, value in config.items():
        kind, optional = kinds.get(key, (None, False))
        if kind is None or (value is None and optional):
            continue
        fits, what = _ARGUMENT_KINDS[kind]
        if not fits(value):
            return f"{layer} argument {key}={_short(value)} must be {what}{' or null' if optional else ''}"
    return None


def _check_argument(where, layer, key, value, limit) -> None:
    if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
        raise ModelFileError(f"{where}: {layer} has an invalid argument name {_short(key)}")
    # NumPy parses a dtype string itself (with errors of its own, SyntaxError among them): allow names only.
    if key == "dtype" and value not in _FLOAT_DTYPES:
        raise ModelFileError(f"{where}: {layer} argument dtype={_short(value)} is not one of {', '.join(_FLOAT_DTYPES[1:])}")
    values = value if isinstance(value, list) else [value]
    # (one level of lists in a list: a ParameterList's shapes)
    values = [part for item in values for part in (item if isinstance(item, list) else [item])]
    for item in values:
        if isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        if isinstance(item, int):
            if limit is not None and abs(item) > max(limit, 2**16):
                raise ModelFileError(
                    f"{where}: {layer} argument {key}={_short(item)} is larger than the file's own weights allow")
            continue
        if isinstance(item, float):
            continue
        raise ModelFileError(f"{where}: {layer} argument {key} has a value of unsupported type {type(item).__name__}")


def _is_state_dict(state: dict) -> bool:
    """Whether ``state`` maps text names to arrays of numbers (or tensors), as ``state_dict()`` does."""
    for name, value in state.items():
        if not isinstance(name, str) or name == "__metadata__":
            return False
        value = getattr(value, "data", value) if _is_tensor(value) else value
        if not isinstance(value, (np.ndarray, np.generic)) or value.dtype.kind not in "fiub":
            return False
    return True


def _state_arrays(state: dict) -> dict:
    """A state dict's arrays by name (tensors' data; the names must be text)."""
    arrays = {}
    for name, value in state.items():
        if not isinstance(name, str) or name == "__metadata__":  # safetensors keeps that name for itself
            raise TypeError(f"save: a state dict's keys are parameter names, got {name!r}")
        array = np.asarray(getattr(value, "data", value))
        if array.dtype.kind not in "fiub":
            raise TypeError(f"save: state dict entry {name!r} is not an array of numbers (dtype {array.dtype})")
        arrays[name] = array
    return arrays


def _kind(dtype) -> str:
    """'floating', 'boolean' or 'integer': what a stored array must share with the array it fills."""
    return {"f": "floating", "b": "boolean"}.get(dtype.kind, "integer")


def _model_dtype(model) -> str | None:
    dtypes = {p.data.dtype.name for p in model.parameters()}
    return dtypes.pop() if len(dtypes) == 1 else None


# -- nested state <-> JSON + tensors -----------------------------------------------------------


def _encode(obj, key: str, tensors: dict):
    """JSON-able copy of ``obj``; arrays (and tensors' arrays) are moved into ``tensors`` and replaced
    by a reference. Tuples become lists; a dict whose keys are not all text (an optimizer's state,
    keyed by parameter index) keeps them as [key, value] pairs."""
    if isinstance(obj, np.ndarray) or _is_tensor(obj):
        name, n = key, 1
        while name in tensors:  # ('a/b' and 'a' -> 'b' would share a name)
            name, n = f"{key}#{n}", n + 1
        tensors[name] = _contiguous(np.asarray(obj.data if _is_tensor(obj) else obj))
        return {"__tensor__": name}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        keys = set(obj)
        if all(isinstance(k, str) for k in keys) and not keys & {"__tensor__", "__items__"}:
            return {k: _encode(v, f"{key}/{k}", tensors) for k, v in obj.items()}
        for k in keys:
            if isinstance(k, bool) or not isinstance(k, (int, str)):
                raise TypeError(f"cannot store the key {_short(k)} at {key!r}: a file keeps dict keys that are text or integers")
        return {"__items__": [[k, _encode(v, f"{key}/{k}", tensors)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return [_encode(v, f"{key}/{i}", tensors) for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if hasattr(obj, "state_dict") and hasattr(obj, "named_parameters"):
        raise TypeError(f"cannot store a model ({type(obj).__name__}) at {key!r}: store its state_dict() there, or save "
                        "the model alone with save(model, path)")
    what = f"a function ({getattr(obj, '__name__', type(obj).__name__)})" if callable(obj) else f"a {type(obj).__name__}"
    raise TypeError(f"cannot store {what} at {key!r}: a file holds numbers, text, booleans, None, arrays and tensors, "
                    "in dicts, lists and tuples (never a pickle)")


def _is_tensor(obj) -> bool:
    from .tensor import Tensor

    return isinstance(obj, Tensor)


def _decode(obj, tensors: dict, path):
    if isinstance(obj, dict):
        if set(obj) == {"__tensor__"}:
            name = obj["__tensor__"]
            if not isinstance(name, str) or name not in tensors:
                raise ModelFileError(f"{path}: the checkpoint refers to a tensor {_short(name)} that is not in the file")
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


def _safetensors():
    """The safetensors package (a dependency of deltaprop, imported only when a file is read or
    written), or one sentence saying it is missing."""
    try:
        import safetensors
        import safetensors.numpy
    except ImportError:
        raise ModelFileError("model files need the safetensors package, which is not installed here "
                             "(pip install safetensors)") from None
    return safetensors


def _write(path, tensors: dict, info: dict) -> None:
    to_bytes = _safetensors().numpy.save
    contiguous = {name: _contiguous(array) for name, array in tensors.items()}
    data = to_bytes(contiguous, metadata={"deltaprop": json.dumps(info, allow_nan=True)})
    if hasattr(path, "write"):  # a file object the caller opened (torch.save(model, f))
        path.write(data)
    else:
        atomic.write_bytes(path, data)


def _writes_bytes(handle) -> bool:
    """Whether a file object opened for writing takes bytes: a text file (mode ``'w'``, or an
    ``io.StringIO``) is an ``io.TextIOBase``, or says so by its mode."""
    import io

    return not isinstance(handle, io.TextIOBase) and "b" in getattr(handle, "mode", "b")


def _label(handle) -> str:
    """A file object's name for messages: its file's name, else its class (``the BytesIO``)."""
    name = getattr(handle, "name", None)
    return name if isinstance(name, str) else f"the {type(handle).__name__}"


def _parse_json(text, path, what):
    try:
        return json.loads(text)
    except RecursionError:
        raise ModelFileError(f"{path}: the {what} is nested too deeply to be a model file") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ModelFileError(f"{path}: the {what} is not valid JSON ({error})") from None


def _foreign_format(data: bytes) -> str | None:
    """What a file that is certainly no safetensors file is, by its first bytes (None otherwise).

    A safetensors file starts with the header's length (8 bytes) and then the JSON header, ``{``; a
    pickle starts with PROTO (0x80 and a protocol number), a PyTorch or joblib archive with a ZIP
    signature.
    """
    if data[:1] == b"\x80" and data[1:2] in {bytes([n]) for n in range(2, 6)} and data[8:9] != b"{":
        return "a Python pickle"
    if data[:4] == b"PK\x03\x04":
        return "a ZIP archive (a PyTorch .pt file or similar pickle container)"
    return None


def _read(source):
    """(tensors, deltaprop info or None) from a safetensors file (a path, or a file object opened
    for reading bytes), validated before anything is trusted."""
    if hasattr(source, "read"):
        path = _label(source)
        data = source.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"load: the file object {path} gives text, not bytes; open it with mode 'rb'")
        data = bytes(data)
    else:
        path, data = source, _read_bytes(source)
    return _parse(data, path)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path}: is a directory, not a model file") from None
    except PermissionError:
        raise ModelFileError(f"{path}: permission denied") from None
    except OSError as error:
        raise ModelFileError(f"{path}: cannot be read ({error.strerror or error})") from None


def _parse(data: bytes, path):
    foreign = _foreign_format(data)
    if foreign:
        raise ModelFileError(f"{path}: is {foreign}, not a safetensors model file; deltaprop never loads pickles")
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
        if not isinstance(info, dict) or info.get("format") not in (FORMAT_MODEL, FORMAT_CHECKPOINT, FORMAT_STATE, FORMAT_OBJECT):
            raise ModelFileError(f"{path}: the deltaprop metadata does not describe a model or checkpoint")
        if info.get("version") != VERSION:
            raise ModelFileError(f"{path}: file format version {info.get('version')!r} is not supported (this deltaprop reads version {VERSION})")
        if not isinstance(info.get("metadata", {}), dict):
            raise ModelFileError(f"{path}: the model's metadata is not a JSON object")
    for name, entry in header.items():
        dtype = entry.get("dtype") if isinstance(entry, dict) and name != "__metadata__" else None
        if isinstance(dtype, str) and dtype not in _NUMPY_DTYPES:
            raise ModelFileError(f"{path}: tensor {_short(name)} has dtype {_short(dtype)}, which deltaprop cannot read")
    safetensors = _safetensors()
    try:
        tensors = safetensors.numpy.load(data)
    except safetensors.SafetensorError as error:
        raise ModelFileError(f"{path}: the tensor data is corrupt ({error})") from None
    except (ValueError, TypeError, OverflowError, MemoryError) as error:
        raise ModelFileError(f"{path}: the tensor data cannot be read ({error})") from None
    return tensors, info
