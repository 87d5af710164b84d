"""Seeing backpropagation: one training step of a small dense network, in the seeds' notation.

    >>> import deltaprop as dp
    >>> trace = dp.explain(model, x, target, loss="sse", lr=0.5)   # a Trace
    >>> print(trace)                  # terminal tables; trace.to_markdown(), trace.to_json()

What lives here: :mod:`.trace` computes the step with the real engine; :mod:`.render` draws it as
text, Markdown, JSON or HTML; :mod:`.network` reads a network from JSON; :mod:`.classic` holds the
classic 2-2-2 worked example. ``deltaprop.explain`` is :func:`.trace.explain`.
"""

from __future__ import annotations

from .classic import classic_network
from .network import Network, load_network, network_from_dict
from .trace import ACTIVATIONS, LOSSES, Trace, explain

__all__ = ["ACTIVATIONS", "LOSSES", "Network", "Trace", "classic_network", "explain", "load_network", "network_from_dict"]
