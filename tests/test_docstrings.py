"""The examples in the docstrings (``>>>``) run and print what they say they print."""

import doctest
import importlib
import pkgutil

import pytest

import deltaprop


def _modules_with_examples():
    names = ["deltaprop"] + [info.name for info in pkgutil.walk_packages(deltaprop.__path__, "deltaprop.")]
    found = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            with open(spec.origin, encoding="utf-8") as source:
                if ">>>" in source.read():
                    found.append(name)
    return found


MODULES = _modules_with_examples()


def test_the_examples_are_found():
    assert len(MODULES) >= 8 and "deltaprop.sklearn" in MODULES and "deltaprop.textbook" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0, f"{name}: no example was run"
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed (see the output above)"
