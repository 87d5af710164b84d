"""Differentiable gradient rules of the activations, normalisation layers, losses and remaining
elementwise operations, registered in :data:`.differentiable_rules.RULES`."""

from __future__ import annotations
