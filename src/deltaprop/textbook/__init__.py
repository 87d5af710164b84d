"""Seeing backpropagation: one training step of a small dense network, in the seeds' notation.

    >>> import deltaprop as dp
    >>> trace = dp.explain(model, x, target, loss="sse", lr=0.5)   # a Trace
    >>> print(trace)                  # terminal tables; trace.to_markdown(), trace.to_json()

``deltaprop.explain`` is this package, and the package can be called: ``deltaprop.explain(...)`` is
:func:`deltaprop.explain.explain`. A package and a function cannot share the name ``explain`` in
``deltaprop``'s namespace (importing ``deltaprop.explain.render`` would put the package back in
place of the function), so the package forwards calls to the function instead.

What lives here: :mod:`.trace` computes the step with the real engine; :mod:`.render` draws it as
text, Markdown, JSON or HTML; :mod:`.network` reads a network from JSON; :mod:`.classic` holds the
classic 2-2-2 worked example.
"""

from __future__ import annotations

import inspect
import sys
import types

from .classic import classic_network
from .network import Network, load_network, network_from_dict
from .trace import ACTIVATIONS, LOSSES, Trace, explain

__all__ = ["ACTIVATIONS", "LOSSES", "Network", "Trace", "classic_network", "explain", "load_network", "network_from_dict"]


class _CallablePackage(types.ModuleType):
    """This package, callable as :func:`explain`."""

    def __call__(self, *args, **kwargs) -> Trace:
        return explain(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
__signature__ = inspect.signature(explain)  # so help() and inspect show the call's arguments
