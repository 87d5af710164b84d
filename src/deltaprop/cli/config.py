"""``--config FILE.toml`` and the run folder's ``config.toml``.

Precedence, lowest first: built-in defaults, the configuration stored in a checkpoint being
resumed, the config file, the flags on the command line. The resolved configuration is written
back as TOML, so ``deltaprop train --config runs/x/config.toml`` repeats a run exactly.
"""

from __future__ import annotations

import codecs
import sys
from pathlib import Path

from .. import atomic
from ..errors import ModelFileError
from .options import OPTIONS_BY_NAME, TRAIN_OPTIONS, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_PATH_KEYS = ("data", "out")


def resolve(args, resume_state=None) -> dict:
    config = {option.name: option.default for option in TRAIN_OPTIONS}
    config.update({key: None for key in _PATH_KEYS})
    if resume_state is not None:
        config.update(_saved(resume_state, args.resume))
    if args.config is not None:
        from_file = _validated(read(args.config), args.config)
        if from_file.get("out") == "":  # as --out '' does: the default folder, not the config's own
            from_file["out"] = None
        for key in _PATH_KEYS:  # a path in a config file is relative to that file
            if from_file.get(key) is not None:
                from_file[key] = _absolute(from_file[key], Path(args.config).resolve().parent)
        config.update(from_file)
    for option in TRAIN_OPTIONS:
        value = getattr(args, option.name)
        if value is not None:
            config[option.name] = option.parse(value)
    if args.data is not None:
        config["data"] = _absolute(args.data, Path.cwd())
    if args.out is not None:
        config["out"] = args.out
    return config


def _absolute(data: str, folder: Path) -> str:
    """The data path made absolute (the checkpoint and config.toml then work from any folder);
    the name of the bundled data set stays as it is."""
    from .datasets import BUNDLED

    return data if data == BUNDLED else str((folder / data).resolve())


def saved(resume_state: dict, path) -> dict:
    """The run configuration a checkpoint of ``deltaprop train`` holds (empty for one of ``fit``)."""
    return _saved(resume_state, path)


def _saved(resume_state: dict, path) -> dict:
    """The options stored in a checkpoint by ``deltaprop train`` (none in one written by ``fit``).
    The file is untrusted: what is there must be valid options, else it is a damaged checkpoint."""
    settings = resume_state["metadata"].get("settings", {})
    saved = settings.get("config", {}) if isinstance(settings, dict) else None
    if not isinstance(saved, dict):
        raise ModelFileError(f"{path}: the checkpoint's run configuration is not a table of options")
    try:
        return _validated(saved, "the checkpoint's configuration")
    except UsageError as error:
        raise ModelFileError(f"{path}: {error}") from None


def read(path) -> dict:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise UsageError(f"config file {path} is a directory") from None
    except OSError as error:
        raise UsageError(f"config file {path} cannot be read ({error})") from None
    for mark, encoding in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                           (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if data.startswith(mark):
            raise UsageError(f"config file {path} is {encoding} text (it starts with the byte-order mark "
                             f"{mark.hex(' ').upper()}), not UTF-8; save it as UTF-8")
    try:
        # (a UTF-8 byte-order mark, which Notepad writes, is not part of the TOML)
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UsageError(f"config file {path} cannot be read ({error})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"config file {path} is not valid TOML: {error}") from None


def _validated(values: dict, where) -> dict:
    config = {}
    for key, value in values.items():
        name = key.replace("-", "_")
        if name in _PATH_KEYS:
            if value is not None and not isinstance(value, str):
                raise UsageError(f"{where}: {key} must be a path (text), got {value!r}")
            config[name] = value
            continue
        option = OPTIONS_BY_NAME.get(name)
        if option is None:
            known = ", ".join(sorted([*OPTIONS_BY_NAME, *_PATH_KEYS]))
            raise UsageError(f"{where}: unknown option {key!r}; the options are {known}")
        try:
            config[name] = option.parse(value)
        except UsageError as error:
            raise UsageError(f"{where}: {error}") from None
    return config


def write(path, config: dict) -> None:
    """The resolved options as TOML. The run folder (``out``) is left out, so repeating a run with
    ``--config`` writes a new folder instead of overwriting this one; the data path is absolute, so
    the file works from any working directory."""
    lines = ["# The resolved options of this run: `deltaprop train --config config.toml` repeats it.\n"]
    for key, value in config.items():
        if key == "out":
            continue
        if value is None:
            lines.append(f"# {key} = (not set)\n")
        else:
            lines.append(f"{key} = {_toml_value(value)}\n")
    atomic.write_text(path, "".join(lines))


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
