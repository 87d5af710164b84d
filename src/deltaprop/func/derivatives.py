"""``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd`` and ``hessian``: PyTorch's
``torch.func`` transforms, which turn a function into the function that computes its derivatives.

Each is one or more backward sweeps of :mod:`deltaprop.autograd`, not a second autodiff. The
transformed function is called on fresh tensors that stand for the arguments being differentiated
(trees of them: a dict of parameters gives a dict of gradients); its result is swept back to them
(:func:`_pullback`), and what the sweep needs no more is detached.

Composing transforms works as in PyTorch: ``grad(grad(f))`` is f's second derivative, ``hessian``
is ``jacfwd(jacrev(f))``, and a transform under ``vmap`` runs once per sample. A transform whose
function also depends on tensors that require a gradient from outside (an outer transform's inputs,
a model's parameters in a closure) sweeps with ``create_graph=True``, so that its results stay
differentiable with respect to those: the second sweep of :mod:`deltaprop.autograd.higher_order`,
through the operations it has rules for. Otherwise it takes the plain sweep of ``autograd.grad``.

``jacfwd`` computes by reverse mode (deltaprop has no forward mode): the same Jacobian, at the cost
of one sweep per output element instead of one pass per input element; ``jvp`` is the vjp of a vjp.

    >>> import deltaprop as dp
    >>> from deltaprop.func import grad
    >>> x = dp.tensor([1.0, 2.0], dtype=dp.float64)
    >>> grad(lambda x: (x ** 3).sum())(x)
    tensor([ 3., 12.], dtype=float64)
    >>> grad(lambda x: grad(lambda x: (x ** 3).sum())(x).sum())(x)
    tensor([ 6., 12.], dtype=float64)
"""

from __future__ import annotations

import functools

import numpy as np

from .. import ops
from ..engine import gradients_to
from ..errors import ConfigError, GradError
from ..grad_mode import enable_grad
from ..tensor import Tensor
from ..autograd.higher_order import differentiable_gradients
from ._trees import describe, leaves, leaves_like, rebuild, same_structure


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """``func`` made to return (its gradient with respect to the arguments ``argnums``, its value):
    ``(grads, value)``, or ``(grads, (value, aux))`` with ``has_aux`` (``func`` then returns
    ``(value, aux)``). ``func`` must return a 0-d tensor; ``grads`` has the shape of the argument
    (a tree of tensors for a tree), a tuple of those when ``argnums`` is a tuple."""
    return _grad_transform("grad_and_value", func, argnums, has_aux, with_value=True)


def grad(func, argnums=0, has_aux: bool = False):
    """``func`` made to return its gradient with respect to the arguments ``argnums`` (see
    :func:`grad_and_value`): ``grads``, or ``(grads, aux)`` with ``has_aux``."""
    return _grad_transform("grad", func, argnums, has_aux, with_value=False)


def _grad_transform(caller: str, func, argnums, has_aux: bool, with_value: bool):
    _check_flag(caller, "has_aux", has_aux)

    @functools.wraps(func)
    def transformed(*args, **kwargs):
        args, numbers, single, flat, out, aux = _called(caller, func, argnums, has_aux, args, kwargs)
        if not isinstance(out, Tensor) or out.data.ndim != 0:
            got = f"a tensor of shape {out.shape}" if isinstance(out, Tensor) else f"a {type(out).__name__}"
            raise GradError(f"{caller}: func must return a 0-d tensor (a scalar) to have a gradient, got {got}; "
                            "for other outputs use vjp or jacrev")
        outer = _reaches_beyond([out], flat)
        gradients = iter(_pullback([out], [np.ones((), out.data.dtype)], flat, outer))
        trees = [rebuild(args[n], gradients) for n in numbers]
        grads = trees[0] if single else tuple(trees)
        value = _kept(out, outer)
        if has_aux:
            aux = _detached(aux, outer)
            return (grads, (value, aux)) if with_value else (grads, aux)
        return (grads, value) if with_value else grads

    return transformed


def vjp(func, *primals, has_aux: bool = False):
    """``(func(*primals), vjp_fn)``, or ``(output, vjp_fn, aux)`` with ``has_aux``: ``vjp_fn(v)``
    returns, for cotangents ``v`` of the output's structure and shapes, the tuple of gradients of
    Σ v·output with respect to each primal (zeros where the output does not depend on one). It
    may be called any number of times; cotangents that require a gradient are differentiated
    through (``vjp`` of a ``vjp_fn`` gives a Jacobian-vector product)."""
    _check_flag("vjp", "has_aux", has_aux)
    args, flat = _traced("vjp", primals, range(len(primals)))
    with enable_grad():
        out = func(*args)
    out, aux = _split_aux("vjp", out, has_aux)
    outputs = _tensor_leaves("vjp", out)
    outer = _reaches_beyond(outputs, flat)

    def vjp_fn(cotangents, retain_graph: bool = True, create_graph=None):
        if not same_structure(out, cotangents):
            raise GradError(f"vjp_fn: the cotangents {describe(cotangents)} must have the structure of func's "
                            f"output, {describe(out)}")
        seeds = []
        for i, (y, v) in enumerate(zip(outputs, leaves_like(out, cotangents))):
            if not isinstance(v, (Tensor, np.ndarray)) or np.shape(v.data if isinstance(v, Tensor) else v) != y.shape:
                got = f"shape {np.shape(v.data if isinstance(v, Tensor) else v)}" if isinstance(v, (Tensor, np.ndarray)) \
                    else f"a {type(v).__name__}"
                raise GradError(f"vjp_fn: cotangent {i} must be a tensor of its output's shape {y.shape}, got {got}")
            seeds.append(v)
        graph = outer if create_graph is None else bool(create_graph)
        graph = graph or any(isinstance(v, Tensor) and v.requires_grad for v in seeds)
        gradients = iter(_pullback(outputs, seeds, flat, graph))
        return tuple(rebuild(primal, gradients) for primal in args)

    value = _detached(out, outer)
    return (value, vjp_fn, _detached(aux, outer)) if has_aux else (value, vjp_fn)


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``(func(*primals), J·tangents)``, or with ``has_aux`` ``(output, jvp_out, aux)``: the
    derivative of ``func`` at ``primals`` in the direction ``tangents`` (a tuple of the primals'
    structure and shapes). By reverse mode, as the vjp of a vjp (``vjp_fn`` is linear in its
    cotangent u, and the gradient of ⟨vjp_fn(u), tangents⟩ with respect to u is J·tangents): three
    sweeps, whatever the sizes, through operations with rules for second derivatives.
    ``strict`` is taken and changes nothing."""
    _check_flag("jvp", "has_aux", has_aux)
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise TypeError(f"jvp: primals and tangents must be tuples, got a {type(primals).__name__} and a "
                        f"{type(tangents).__name__}")
    if not same_structure(primals, tangents) or any(
            not isinstance(t, Tensor) or not isinstance(p, Tensor) or t.shape != p.shape
            for p, t in zip(leaves(primals), leaves_like(primals, tangents))):
        raise GradError(f"jvp: the tangents must be tensors of the primals' structure and shapes, got "
                        f"{describe(tangents)} for {describe(primals)}")
    found = vjp(func, *primals, has_aux=has_aux)
    out, vjp_fn = found[0], found[1]
    cotangents = [Tensor._wrap(np.zeros_like(y.data)).requires_grad_() for y in leaves(out)]
    pulled = leaves(vjp_fn(rebuild(out, iter(cotangents)), create_graph=True))
    directions = leaves_like(primals, tangents)
    products = [ops.sum(ops.mul(g, t)) for g, t in zip(pulled, directions) if g.requires_grad]
    total = functools.reduce(ops.add, products) if products else Tensor._wrap(np.zeros(()))
    # (vjp keeps the output in the graph only where an outer derivative may be taken of it)
    outer = any(y.requires_grad for y in leaves(out)) or any(t.requires_grad for t in directions)
    pushed = iter(_pullback([total], [np.ones((), total.data.dtype)], cotangents, outer))
    return (out, rebuild(out, pushed)) + tuple(found[2:])


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None, _preallocate_and_copy: bool = False):
    """``func`` made to return its Jacobian with respect to the arguments ``argnums``: for each
    tensor of the output (a tree of them) and each tensor of those arguments, a tensor of shape
    output.shape + argument.shape, nested output first (a tuple over the arguments when
    ``argnums`` is a tuple). One backward sweep per output element; ``chunk_size`` is taken and
    changes nothing. With ``has_aux``: ``(jacobian, aux)``."""
    _check_chunk_size("jacrev", chunk_size)
    return _jacobian_transform("jacrev", func, argnums, has_aux)


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The same Jacobian as :func:`jacrev` (PyTorch computes it in forward mode, deltaprop by
    reverse mode: one sweep per output element). ``randomness`` is checked and changes nothing:
    the function is run once, as it is."""
    if randomness not in ("error", "different", "same"):
        raise ConfigError(f"jacfwd: randomness must be 'error', 'different' or 'same', got {randomness!r}")
    return _jacobian_transform("jacfwd", func, argnums, has_aux)


def hessian(func, argnums=0):
    """``func`` (of a 0-d or one-element output) made to return its Hessian with respect to the
    arguments ``argnums``: the Jacobian of its Jacobian, shape argument.shape + argument.shape
    for one argument, a tuple of tuples of blocks for a tuple of them."""
    return _jacobian_transform("hessian", _jacobian_transform("hessian", func, argnums, False), argnums, False)


def _jacobian_transform(caller: str, func, argnums, has_aux: bool):
    _check_flag(caller, "has_aux", has_aux)

    @functools.wraps(func)
    def transformed(*args, **kwargs):
        args, numbers, single, flat, out, aux = _called(caller, func, argnums, has_aux, args, kwargs)
        outputs = _tensor_leaves(caller, out)
        outer = _reaches_beyond(outputs, flat)
        blocks = []
        for y in outputs:
            per_input = iter(_jacobian_blocks(y, flat, outer))
            trees = [rebuild(args[n], per_input) for n in numbers]
            blocks.append(trees[0] if single else tuple(trees))
        jacobian = rebuild(out, iter(blocks))
        return (jacobian, _detached(aux, outer)) if has_aux else jacobian

    return transformed


def _jacobian_blocks(y: Tensor, inputs: list, graph: bool) -> list:
    """∂y/∂x for each x of ``inputs``, of shape y.shape + x.shape: one sweep per element of y."""
    rows = [[] for _ in inputs]
    for k in range(y.data.size):
        seed = np.zeros(y.data.size, dtype=y.data.dtype)
        seed[k] = 1
        for row, g in zip(rows, _pullback([y], [seed.reshape(y.shape)], inputs, graph)):
            row.append(g)
    blocks = []
    for row, x in zip(rows, inputs):
        shape = y.shape + x.shape
        if not row:
            blocks.append(Tensor._wrap(np.zeros(shape, dtype=x.data.dtype)))
        elif any(g.requires_grad for g in row):
            blocks.append(ops.reshape(ops.stack([ops.reshape(g, (-1,)) for g in row]), shape))
        else:
            blocks.append(Tensor._wrap(np.stack([g.data.reshape(-1) for g in row]).reshape(shape)))
    return blocks


def _pullback(outputs: list, cotangents: list, inputs: list, graph: bool) -> list:
    """The gradients of Σ cotangent·output with respect to each of ``inputs`` (zeros for an input no
    output reaches): arrays wrapped as tensors, or with ``graph`` tensors of the graph, differentiated
    through the cotangents that require a gradient too."""
    live = [(y, v) for y, v in zip(outputs, cotangents) if y.requires_grad]
    if not live:
        found = [None] * len(inputs)
    elif graph:
        seeds = [v if isinstance(v, Tensor) else Tensor._wrap(np.asarray(v, dtype=y.data.dtype)) for y, v in live]
        found = differentiable_gradients([y for y, _ in live], seeds, inputs)
    else:
        seeds = [np.asarray(v.data if isinstance(v, Tensor) else v, dtype=y.data.dtype) for y, v in live]
        found = [None if g is None else Tensor._wrap(g) for g in gradients_to([y for y, _ in live], seeds, inputs)]
    return [Tensor._wrap(np.zeros_like(x.data)) if g is None else g for x, g in zip(inputs, found)]


def _reaches_beyond(outputs: list, inputs: list) -> bool:
    """Whether an outer derivative may be taken of what is computed here, so that the sweep must
    record a graph: some input is a copy of a tensor that requires a gradient (an outer transform's
    input), or the graph of ``outputs`` reaches such a tensor other than through ``inputs``."""
    if any(x._backward is not None for x in inputs):
        return True
    stop = {id(x) for x in inputs}
    stack = [y for y in outputs if y.requires_grad and id(y) not in stop]
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node._backward is None:  # a leaf that requires a gradient and is none of the inputs
            return True
        stack.extend(parent for parent in node._parents if parent.requires_grad and id(parent) not in stop)
    return False


def _called(caller: str, func, argnums, has_aux: bool, args: tuple, kwargs: dict) -> tuple:
    """``func`` called on fresh tensors for the arguments ``argnums``: (the arguments it was given,
    their numbers, whether ``argnums`` named one, the fresh tensors, its output, its aux or None)."""
    numbers, single = _argnums(caller, argnums, len(args))
    args, flat = _traced(caller, args, numbers)
    with enable_grad():
        out = func(*args, **kwargs)
    out, aux = _split_aux(caller, out, has_aux)
    return args, numbers, single, flat, out, aux


def _traced(caller: str, args: tuple, numbers) -> tuple:
    """(``args`` with those at ``numbers`` replaced by fresh tensors that require a gradient, all
    the fresh tensors in order): a copy in the graph where the argument itself requires a gradient
    (an outer transform's input), else a new leaf on the same data."""
    args = list(args)
    inputs = []
    for n in numbers:
        fresh = []
        for leaf in leaves(args[n]):
            if not isinstance(leaf, Tensor):
                raise TypeError(f"{caller}: the arguments it differentiates must be tensors (or tuples, lists and "
                                f"dicts of them); argument {n} holds a {type(leaf).__name__}")
            if leaf.data.dtype.kind != "f":
                raise GradError(f"{caller}: argument {n} holds a tensor of dtype {leaf.data.dtype}; only "
                                "floating-point tensors have derivatives")
            fresh.append(ops.clone(leaf) if leaf.requires_grad else Tensor._wrap(leaf.data).requires_grad_())
        args[n] = rebuild(args[n], iter(fresh))
        inputs.extend(fresh)
    return tuple(args), inputs


def _argnums(caller: str, argnums, count: int) -> tuple:
    """(the argument numbers, whether ``argnums`` named a single one), checked against ``count``."""
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    numbers = (argnums,) if single else argnums
    if not isinstance(numbers, tuple) or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                                                 for n in numbers):
        raise TypeError(f"{caller}: argnums must be an int or a tuple of ints, got {argnums!r}")
    if not numbers:
        raise ConfigError(f"{caller}: argnums must name at least one argument, got ()")
    for n in numbers:
        if not -count <= n < count:
            raise ConfigError(f"{caller}: argnums names argument {n}, but the function was called with {count} "
                              "positional argument(s)")
    normalized = tuple(int(n) % count for n in numbers)
    if len(set(normalized)) < len(normalized):
        raise ConfigError(f"{caller}: argnums {argnums} names an argument more than once")
    return normalized, single


def _split_aux(caller: str, out, has_aux: bool) -> tuple:
    if not has_aux:
        return out, None
    if not isinstance(out, tuple) or len(out) != 2:
        raise GradError(f"{caller}: with has_aux=True, func must return a pair (output, aux), got "
                        f"{'a tuple of ' + str(len(out)) if isinstance(out, tuple) else 'a ' + type(out).__name__}")
    return out


def _tensor_leaves(caller: str, out) -> list:
    outputs = leaves(out)
    for leaf in outputs:
        if not isinstance(leaf, Tensor):
            raise GradError(f"{caller}: func must return tensors (or tuples, lists and dicts of them), got a "
                            f"{type(leaf).__name__} in {describe(out)}")
    return outputs


def _kept(tensor: Tensor, graph: bool) -> Tensor:
    return tensor if graph else tensor.detach()


def _detached(tree, graph: bool):
    """``tree`` with its tensors detached, unless an outer derivative may be taken (``graph``)."""
    if graph:
        return tree
    return rebuild(tree, iter([_kept(leaf, False) if isinstance(leaf, Tensor) else leaf for leaf in leaves(tree)]))


def _check_flag(caller: str, name: str, value) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{caller}: {name} must be True or False, got {value!r}")


def _check_chunk_size(caller: str, chunk_size) -> None:
    if chunk_size is not None and (not isinstance(chunk_size, (int, np.integer)) or isinstance(chunk_size, bool)
                                   or chunk_size < 1):
        raise ConfigError(f"{caller}: chunk_size must be None or a positive integer, got {chunk_size!r}")
