"""Seeing backpropagation: one training step of a small dense network, in the seeds' notation.

    >>> import deltaprop as dp
    >>> from deltaprop import nn
    >>> model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid())
    >>> trace = dp.explain(model, [0.05, 0.10], [0.01, 0.99], loss="sse", lr=0.5)   # a Trace
    >>> text = str(trace)             # terminal tables; trace.to_markdown(), trace.to_json()

What lives here: :mod:`.trace` computes the step with the real engine; :mod:`.render` draws it as
text, Markdown, JSON or HTML; :mod:`.network` reads a network from JSON; :mod:`.classic` holds the
classic 2-2-2 worked example. ``deltaprop.explain`` is :func:`.trace.explain`.
"""

from __future__ import annotations

from .classic import classic_network
from .network import Network, load_network, network_from_dict
from .trace import ACTIVATIONS, LOSSES, Trace, explain

__all__ = ["ACTIVATIONS", "LOSSES", "Network", "Trace", "classic_network", "explain", "load_network", "network_from_dict"]
