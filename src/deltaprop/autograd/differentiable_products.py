"""Differentiable gradient rules of the products: einsum, the fused β·input + α·product of addmm,
addmv, baddbmm and addbmm, outer, bilinear and cross, registered in
:data:`.differentiable_rules.RULES` (see that module for what a rule is).

A product is linear in each operand, so an operand's gradient is a product of g with the other
operands, restated here with recorded products: differentiating it again differentiates those. The
einsum of g and the other operands that gives an operand's gradient is itself an einsum, so the
rule of einsum is closed under differentiation and derivatives of any order pass (bilinear is
restated with it). Three things an operand's term may hold besides letters found elsewhere, each
met by a constant operand of the gradient's einsum (the rule of ops.einsum handles them in NumPy):

* a letter repeated ('ii'): the gradient is zero off the diagonal. The second occurrence gets a
  fresh letter ``z`` and an identity matrix with letters ``iz`` joins the operands;
* a dimension of size 1 stretched against a larger one: the gradient is summed over the letter,
  so the dimension gets a fresh letter, carried by a ones of size 1;
* a letter of this operand alone ('ij->i'), or one every other operand carries at size 1 only
  ('a,a->' with shapes (3,) and (1,)): the gradient is the same along it; a ones of its size carries
  the letter into the gradient at its full size.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..errors import GradError
from ..tensor import Tensor
from .differentiable_rules import _swap, closure, kept, rule, sum_to

_LABELS = 52  # the subscripts of einsum's sublist form: 0-51


def einsum_gradient(g, tensors: tuple, labels: list, out_labels: list, sizes: dict, k: int):
    """The gradient of operand ``k`` of einsum over ``tensors`` (their parsed ``labels``, the output's
    ``out_labels``, each label's broadcast size) given the output's gradient ``g``: an einsum of g,
    the other operands and constants, in the sublist form."""
    term, shape, dtype = labels[k], np.shape(tensors[k].data), g.data.dtype
    fresh = max([*out_labels, *(label for t in labels for label in t)], default=-1) + 1
    operands = [(g, list(out_labels))] + [(t, list(labels[j])) for j, t in enumerate(tensors) if j != k]
    result, seen = [], set()
    for label, n in zip(term, shape):
        if n != sizes[label]:  # stretched from 1: summed over the letter, a dimension of size 1
            operands.append((Tensor._wrap(np.ones(1, dtype)), [fresh]))
            result.append(fresh)
            fresh += 1
        elif label in seen:  # repeated: the diagonal, through an identity
            operands.append((Tensor._wrap(np.eye(n, dtype=dtype)), [label, fresh]))
            result.append(fresh)
            fresh += 1
        else:
            seen.add(label)
            result.append(label)
    # the size each letter has among the gradient's operands: a letter this operand carries at full
    # size that no other operand carries, or that every other carries at size 1 (broadcast), would
    # come out of the gradient's einsum at size 1; a ones of its size carries it at full size
    present = {}
    for t, ls in operands:
        for label, n in zip(ls, np.shape(t.data)):
            present[label] = max(present.get(label, 1), n)
    for label in result:
        if present.get(label, 0) < sizes.get(label, 1):
            operands.append((Tensor._wrap(np.ones(sizes[label], dtype)), [label]))
            present[label] = sizes[label]
    number = {}
    for label in [label for _, ls in operands for label in ls] + result:
        number.setdefault(label, len(number))
    if len(number) > _LABELS:
        raise GradError(f"grad: create_graph=True: the gradient of 'einsum' needs {len(number)} subscripts, more "
                        f"than einsum's {_LABELS}, so it is not differentiable here")
    arguments = [x for t, ls in operands for x in (t, [number[label] for label in ls])]
    return ops.einsum(*arguments, [number[label] for label in result])


@rule("einsum")
def _einsum(node, g):
    values = kept(node)
    tensors, cells = values["tensors"], closure(values["gradient"])  # (the parsed equation: in its rule's helper)
    labels, out_labels, sizes = cells["labels"], cells["out_labels"], cells["sizes"]
    return tuple(einsum_gradient(g, tensors, labels, out_labels, sizes, k) if t.requires_grad else None
                 for k, t in enumerate(tensors))


@rule("addmm", "addmv", "baddbmm", "addbmm", "addr")
def _scaled_sum(node, g):
    """β·input + α·product (the product a node of its own: matmul or einsum): β·g summed back to the
    input's shape, α·g."""
    values = kept(node)
    a, product = node._parents
    beta, alpha = values["beta"], values["alpha"]
    return (sum_to(g if beta == 1 else ops.mul(g, beta), a.data.shape) if a.requires_grad else None,
            (g if alpha == 1 else ops.mul(g, alpha)) if product.requires_grad else None)


@rule("outer")
def _outer(node, g):
    """out[i, j] = a[i]·b[j]: g·b and gᵀ·a."""
    a, b = node._parents
    return (ops.matmul(g, b) if a.requires_grad else None, ops.matmul(_swap(g), a) if b.requires_grad else None)


@rule("bilinear")
def _bilinear(node, g):
    """a_no = Σ_ij x1_ni·W_oij·x2_nj (+ b_o): each factor's gradient an einsum of g and the other two."""
    values = kept(node)
    x1, x2, weight = node._parents[:3]
    X1, X2 = values["X1"], values["X2"]
    out_features = weight.data.shape[0]
    # the inputs as (n, features) rows; one that needs no gradient as the rule's array, in the weight's dtype
    A = ops.reshape(x1, (-1, X1.shape[-1])) if x1.requires_grad else Tensor._wrap(values["A"])
    B = ops.reshape(x2, (-1, X2.shape[-1])) if x2.requires_grad else Tensor._wrap(values["B"])
    g2 = ops.reshape(g, (-1, out_features))
    grads = (
        ops.reshape(ops.einsum("no,oij,nj->ni", g2, weight, B), X1.shape) if x1.requires_grad else None,
        ops.reshape(ops.einsum("no,ni,oij->nj", g2, A, weight), X2.shape) if x2.requires_grad else None,
        ops.einsum("no,ni,nj->oij", g2, A, B) if weight.requires_grad else None,
    )
    if len(node._parents) > 3:
        grads += (ops.sum(g2, axis=0) if node._parents[3].requires_grad else None,)
    return grads


@rule("cross")
def _cross(node, g):
    """d(a × b) = da × b + a × db: the gradient of a is b × g, of b g × a (summed back where broadcast)."""
    a, b = node._parents
    axis = kept(node)["axis"]
    return (sum_to(ops.cross(b, g, dim=axis), a.data.shape) if a.requires_grad else None,
            sum_to(ops.cross(g, a, dim=axis), b.data.shape) if b.requires_grad else None)
