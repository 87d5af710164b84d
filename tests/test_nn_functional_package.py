"""``deltaprop.nn.functional`` is a package of topic modules; every public function of a topic module is
reachable as ``F.<name>``, the same object, so code that imports the package never needs the modules."""

import ast
import importlib
import inspect
import pkgutil

import pytest

import deltaprop as dp
import deltaprop.nn.functional as F
from deltaprop import nn

TOPICS = sorted(info.name for info in pkgutil.iter_modules(F.__path__) if not info.name.startswith("_"))


def _defined_names(module) -> list:
    """The public names a module's source binds at its top level with ``def`` or ``name = ...``
    (not its imports)."""
    tree = ast.parse(inspect.getsource(module))
    names = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    names += [target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets
              if isinstance(target, ast.Name)]
    return [name for name in names if not name.startswith("_")]


def test_the_topic_modules_are_found():
    assert {"activations", "losses", "pooling", "attention"} <= set(TOPICS) and len(TOPICS) >= 10


@pytest.mark.parametrize("topic", TOPICS)
def test_every_function_of_a_topic_module_is_re_exported_as_itself(topic):
    module = importlib.import_module(f"deltaprop.nn.functional.{topic}")
    names = _defined_names(module)
    assert names, f"{topic}: defines no public function"
    missing = [name for name in names if getattr(F, name, None) is not getattr(module, name)]
    assert missing == [], f"{topic}: not re-exported by deltaprop.nn.functional: {missing}"


def test_the_package_exports_nothing_else_callable():
    defined = {name for topic in TOPICS
               for name in _defined_names(importlib.import_module(f"deltaprop.nn.functional.{topic}"))}
    public = {name for name in dir(F) if not name.startswith("_") and name not in TOPICS}
    assert public == defined
    assert all(callable(getattr(F, name)) for name in public)


def test_both_import_forms_give_the_one_package():
    assert nn.functional is F and importlib.import_module("deltaprop.nn.functional") is F
    out = nn.functional.relu(F.pad(dp.tensor([[-1.0, 2.0]]), (1, 0)))
    assert out.data.tolist() == [[0.0, 0.0, 2.0]]


def test_all_names_every_public_function_and_nothing_else():
    public = {name for name in dir(F) if not name.startswith("_") and callable(getattr(F, name))
              and not inspect.ismodule(getattr(F, name))}
    assert sorted(F.__all__) == sorted(public)
    namespace = {}
    exec("from deltaprop.nn.functional import *", namespace)
    assert set(namespace) - {"__builtins__"} == public  # no submodule names come with a star import
