"""Differentiable gradient rules of the spatial primitives (convolutions, transposed convolutions,
pooling), registered in :data:`.differentiable_rules.RULES`. See that module for the two kinds of rule."""

from __future__ import annotations
