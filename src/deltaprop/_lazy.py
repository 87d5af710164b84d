"""Names a module provides on first use, so that ``import deltaprop`` loads only what most programs run.

A module says where each of the names it lends out lives, and :func:`provide` gives it PEP 562's
module ``__getattr__`` and ``__dir__``::

    _lazy.provide(globals(), {".histograms": "histc histogram histogramdd"}, modules=(".linalg_forms",))

The first ``ops.histc`` (or ``from deltaprop.ops import histc``) imports ``.histograms`` and stores
``histc`` in the module's globals: every later lookup is an ordinary global, with nothing in between.
``dir()``, ``hasattr`` and ``from ... import *`` (through ``__all__``) see the names as if they had
been imported at the top, and pickle and copy are unaffected, since each object keeps the
``__module__`` of the module that defines it.

Sources are relative imports, read as the module's own ``from .x import y`` lines are. A lent name
may not be the name of a submodule of the same package (other than that submodule itself, under
``modules``): importing the submodule from elsewhere would bind it over the name. Lending is for
what a training step does not run: a name there is worth importing at the top.
"""

from __future__ import annotations

import importlib

# module name -> {lent name: (absolute module name, attribute, or None for the module itself)}, and
# the names among them left out of dir(); for load_all and the tests
TABLES: dict[str, dict[str, tuple[str, str | None]]] = {}
UNLISTED: dict[str, frozenset] = {}


def provide(namespace: dict, names: dict[str, str] | None = None, modules: tuple = (), unlisted: tuple = ()) -> None:
    """Give the module whose globals are ``namespace`` a ``__getattr__`` and a ``__dir__`` for:

    - ``names``: ``{source: "name name ..."}``, each name the source module's attribute of that name;
    - ``modules``: submodules, each under its own last name (``".linalg_forms"`` as ``linalg_forms``);
    - ``unlisted``: submodules as ``modules``, but left out of ``dir()`` (PyTorch's module paths,
      reached by ``import``, that the module does not list among its names).
    """
    module_name = namespace["__name__"]
    absolute = _absolute_to(namespace["__package__"])
    table = {name: (absolute(source), name) for source, listed in (names or {}).items() for name in listed.split()}
    table.update((source.rsplit(".", 1)[-1], (absolute(source), None)) for source in (*modules, *unlisted))
    hidden = frozenset(source.rsplit(".", 1)[-1] for source in unlisted)
    listed = [name for name in table if name not in hidden]
    TABLES[module_name], UNLISTED[module_name] = table, hidden

    def __getattr__(name):
        try:
            source, attribute = table[name]
        except KeyError:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}") from None
        module = importlib.import_module(source)
        value = module if attribute is None else getattr(module, attribute)
        namespace[name] = value  # (from now on an ordinary global: this function is not called again for it)
        return value

    def __dir__():
        return sorted(set(namespace).union(listed))

    namespace["__getattr__"], namespace["__dir__"] = __getattr__, __dir__


def load_all(module) -> None:
    """Import every name ``module`` lends out and lists, for code that walks a namespace as if all
    of it were there (the profiler, which times each function of :mod:`deltaprop.ops`)."""
    hidden = UNLISTED.get(module.__name__, ())
    for name in TABLES.get(module.__name__, ()):
        if name not in hidden:
            getattr(module, name)


def _absolute_to(package: str):
    """The absolute name of a relative import (".x", "..y.z") made in ``package``."""

    def absolute(source: str) -> str:
        rest = source.lstrip(".")
        base = package.rsplit(".", len(source) - len(rest) - 1)[0]
        return f"{base}.{rest}"

    return absolute
