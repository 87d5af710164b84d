"""Random autograd programs: leaves, then steps that chain operations, views and in-place changes.

Shared by ``scripts/fuzz_autograd.py`` (thousands of programs) and ``tests/test_fuzz_autograd.py``
(a few dozen). A program is drawn from a seed and is plain Python text in which ``T`` names the
library, so the same text runs under ``torch`` and under ``deltaprop`` and prints as a reproducer.

The drawing runs the program under PyTorch as it grows, so every choice fits the values at hand
(shapes that broadcast, dimensions that exist, indices in range, no ``exp`` of a large number). A
step PyTorch refuses is kept now and then (it ends the program: deltaprop must refuse it too) and
otherwise drawn again. The oracle that runs both libraries lives in ``autograd_oracle.py``.
"""

from __future__ import annotations

import random
import re
import warnings
from dataclasses import dataclass, field

import numpy as np

# Runs before the leaves in both libraries; ``weights`` is the fixed pseudo-random weighting that
# reduces each value to a scalar for backward().
PRELUDE = (
    "def weights(v):\n"
    "    n = int(np.prod(tuple(v.shape)))\n"
    "    return T.tensor(np.sin(np.arange(n) * 1.7 + 0.3).reshape(tuple(v.shape)), dtype=T.float64)\n"
)


@dataclass
class Step:
    op: str  # the table entry that drew it, for grouping mismatches
    text: str  # Python statements; the new value (if any) is bound to ``out``
    out: str | None
    retains: str | None = None  # the name a retain_grad() step asks a .grad of
    target: str | None = None  # the tensor an in-place step changes


@dataclass
class Program:
    leaves: dict  # name -> (numpy array, requires_grad)
    steps: list = field(default_factory=list)

    def uses_float32(self) -> bool:
        return (any("float32" in s.text or ".float()" in s.text for s in self.steps)
                or any(array.dtype == np.float32 for array, _ in self.leaves.values()))

    def source(self, library: str = "torch") -> str:
        lines = [f"import numpy as np\nimport {library} as T", PRELUDE.rstrip()]
        for name, (array, grad) in self.leaves.items():
            lines.append(f"{name} = {leaf_text(array, grad)}")
        lines += [s.text for s in self.steps]
        return "\n".join(lines)


def leaf_text(array: np.ndarray, grad: bool) -> str:
    return f"T.tensor(np.array({array.tolist()!r}), dtype=T.{array.dtype}, requires_grad={grad})"


def run_steps(program: Program, lib, upto: int | None = None) -> tuple[dict, int | None, BaseException | None]:
    """Execute the leaves and the first ``upto`` steps; the namespace, and the step that raised."""
    namespace = {"T": lib, "np": np}
    exec(PRELUDE, namespace)
    for name, (array, grad) in program.leaves.items():
        exec(f"{name} = {leaf_text(array, grad)}", namespace)
    steps = program.steps if upto is None else program.steps[:upto]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index, step in enumerate(steps):
            try:
                exec(step.text, namespace)
            except Exception as error:  # noqa: BLE001 - refusals are what is compared
                return namespace, index, error
    return namespace, None, None


# -- drawing -----------------------------------------------------------------------------------------------------


class Drawer:
    """One program under construction, with its PyTorch values to choose from."""

    def __init__(self, seed: int):
        import torch

        self.torch = torch
        self.rng = random.Random(seed)
        numbers = np.random.default_rng(seed)
        rank = self.rng.choice([0, 1, 2, 2, 3, 3, 3])
        base = [self.rng.randint(1, 4) for _ in range(rank)]
        leaves = {}
        count = self.rng.randint(1, 3)
        for k in range(count + (self.rng.random() < 0.3)):
            shape = list(base)
            if shape and self.rng.random() < 0.5:  # a broadcasting partner: fewer or unit dims
                shape = shape[self.rng.randint(0, len(shape)):]
                shape = [1 if self.rng.random() < 0.3 else s for s in shape]
            elif self.rng.random() < 0.2:
                shape = [self.rng.randint(1, 4) for _ in range(self.rng.randint(0, 3))]
            values = np.round(numbers.standard_normal(shape), 6)
            leaves[f"x{k}"] = (values.astype(np.float32) if self.rng.random() < 0.1 else values, k < count)
        self.program = Program(leaves)
        self.namespace, _, _ = run_steps(self.program, torch)
        self.names = list(leaves)

    # values at hand
    def t(self, name):
        return self.namespace[name]

    def pick(self, accept=lambda t: True, grad=None):
        """A value's name, recent ones likelier; ``grad`` True/False asks for requires_grad."""
        names = [n for n in self.names if isinstance(self.t(n), self.torch.Tensor) and accept(self.t(n))
                 and (grad is None or self.t(n).requires_grad == grad)]
        if not names:
            return None
        return self.rng.choices(names, weights=[1 + i for i in range(len(names))])[0]

    def dim(self, name, extra=0):
        n = self.t(name).dim()
        if n + extra == 0:
            return None
        return self.rng.randint(-(n + extra), n + extra - 1)

    def number(self):
        return self.rng.choice([0.5, -1.5, 2.0, 0.25, 3.0, -0.75])

    def broadcast_partner(self, name, into=False):
        """A value (maybe transposed) whose shape broadcasts with ``name``'s; ``into``: to its shape."""
        shape = tuple(self.t(name).shape)
        forms = []
        for other in self.names:
            t = self.t(other)
            for text, s in [(other, tuple(t.shape))] + ([(f"{other}.mT", tuple(t.mT.shape))] if t.dim() >= 2 else []):
                try:
                    joint = tuple(self.torch.broadcast_shapes(shape, s))
                except RuntimeError:
                    continue
                if not into or joint == shape:
                    forms.append(text)
        return self.rng.choice(forms) if forms else None

    def namespace_shape(self, text):
        """The shape of an expression of the values at hand (``v2.mT``)."""
        return tuple(eval(text, dict(self.namespace)).shape)

    def _fits(self, step: Step, value) -> bool:
        """A small floating tensor of finite values (and no std or norm at 0)."""
        if not isinstance(value, self.torch.Tensor) or value.numel() > 400 or not value.is_floating_point():
            return False
        with self.torch.no_grad():
            return bool(self.torch.isfinite(value.detach()).all()) and not _singular(step, value.detach())

    def new_name(self):
        return f"v{len(self.program.steps)}"

    # drawing steps
    def draw(self, length: int) -> Program:
        tries = 0
        while len(self.program.steps) < length and tries < 20 * length:
            tries += 1
            kind = self.rng.choices(list(TABLE), weights=[w for _, w in TABLE.values()])[0]
            out = self.new_name()
            try:
                drawn = TABLE[kind][0](self, out)
            except Exception:  # noqa: BLE001 - a drawing that does not fit the values: draw again
                continue
            if drawn is None:
                continue
            step = drawn if isinstance(drawn, Step) else Step(f"{kind}:{drawn_op_name(drawn)}", f"{out} = {drawn}", out)
            before = len(self.program.steps)
            self.program.steps.append(step)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(step.text, self.namespace)
            except Exception:  # noqa: BLE001
                if self.rng.random() < 0.15:
                    return self.program  # a refusal ends the program: deltaprop must refuse it too
                self.program.steps.pop()
                self.namespace, _, _ = run_steps(self.program, self.torch)  # undo partial writes
                continue
            value = self.namespace.get(step.out) if step.out else None
            # No NaN or infinity is let through: a NaN gradient meeting relu's 0 gives NaN here and 0 in
            # PyTorch (docs/porting.md, "Gradients": relu multiplies by its mask), which would show up
            # as a mismatch far from its cause; var of one element is NaN, for one.
            if value is not None and not self._fits(step, value):
                self.program.steps.pop()
                self.namespace, _, _ = run_steps(self.program, self.torch)
                continue
            if step.out and len(self.program.steps) > before:
                self.names.append(step.out)
        return self.program


def _singular(step: Step, value) -> bool:
    """A std or norm at (or next to) 0, whose gradient is x/0: the digits left after the rounding of
    a mean of equal values, different in each library (a column of one value repeated, say)."""
    return step.op.split(":")[-1] in ("std", "norm") and bool((value.detach().abs() < 1e-6).any())


def drawn_op_name(text: str) -> str:
    """A short name for an expression: its first call other than T.tensor, or its operator."""
    calls = [m for m in re.findall(r"(?:T\.|\.)([A-Za-z_][A-Za-z_0-9]*)\b", text) if m not in ("tensor", "float64")]
    operators = re.findall(r" (\*\*|[-+*/@]) ", text)
    if calls and (calls[0] not in ("abs", "mT") or not operators):
        return calls[0]
    if operators:
        return operators[0]
    return "neg" if text.startswith("-") else "index" if "[" in text else text


def draw_program(seed: int) -> Program:
    drawer = Drawer(seed)
    return drawer.draw(drawer.rng.randint(3, 12))


# -- the table of operations ------------------------------------------------------------------------------------
# Each entry takes the drawer and the output's name and returns an expression for it, a Step, or
# None where it does not fit the values at hand.


def unary(d: Drawer, out):
    a = d.pick()
    if a is None:
        return None
    t = d.t(a)
    big = t.numel() and float(t.detach().abs().max()) > 20
    c = d.number()
    choices = [f"T.tanh({a})", f"T.sigmoid({a})", f"T.relu({a})", f"{a}.abs()", f"T.sqrt({a}.abs() + 1)",
               f"T.log1p({a}.abs())", f"T.sin({a})", f"T.clamp({a}, min=-0.5, max=0.8)", f"{a}.clamp(min={c})",
               f"{a}.clamp(max={c})", f"{a}.pow(2)", f"{a} ** 3", f"({a}.abs() + 1).pow(0.5)",
               f"({a}.abs() + 1) ** -1.5", f"-{a}", f"{a} * {c}", f"{c} - {a}", f"{c} / ({a}.abs() + 1)",
               f"{a} + T.tensor({c})", f"{a} * T.tensor({c}, dtype=T.float64)", f"{a}.float()",
               f"{a}.double()", f"T.square({a})"]
    if not big:
        choices.append(f"T.exp({a})")
    return d.rng.choice(choices)


def binary(d: Drawer, out):
    a = d.pick()
    if a is None:
        return None
    b = d.broadcast_partner(a) if d.rng.random() < 0.85 else a
    if b is None:
        return None
    c = d.broadcast_partner(a) or a
    small = d.t(a.split(".")[0]).detach().abs().max() if d.t(a).numel() else 0
    choices = [f"{a} + {b}", f"{a} - {b}", f"{a} * {b}", f"{a} / ({b}.abs() + 0.5)", f"T.maximum({a}, {b})",
               f"T.minimum({a}, {b})", f"T.where({a} > {b}, {a}, {b})", f"T.atan2({a}, {b})",
               f"T.add({a}, {b}, alpha=2.5)", f"T.sub({a}, {b}, alpha=0.5)"]
    try:
        d.torch.broadcast_shapes(tuple(d.t(a).shape), tuple(d.namespace_shape(b)), tuple(d.namespace_shape(c)))
        choices.append(f"T.where({c} > 0, {a}, {b})")
    except RuntimeError:
        pass
    if d.t(b.split(".")[0]).numel() and float(d.t(b.split(".")[0]).detach().abs().max()) < 4 and float(small) < 50:
        choices.append(f"T.pow({a}.abs() + 0.5, {b})")
    if d.t(a).dim() >= 1:
        n = d.t(a).shape[-1]
        choices.append(f"{a} + T.arange({n})")
    return d.rng.choice(choices)


def dims_text(d: Drawer, a, most: int = 4):
    """A dim argument: one int, sometimes a tuple of at most ``most`` distinct dims."""
    n = d.t(a).dim()
    if n >= 2 and d.rng.random() < 0.3:
        chosen = d.rng.sample(range(n), d.rng.randint(1, min(n, most)))
        return "(" + ", ".join(str(c - n if d.rng.random() < 0.3 else c) for c in chosen) + ",)"
    return str(d.dim(a))


def reduction(d: Drawer, out):
    a = d.pick()
    if a is None:
        return None
    t = d.t(a)
    k = d.rng.random() < 0.5
    if t.dim() == 0 or d.rng.random() < 0.15:
        return d.rng.choice([f"{a}.sum()", f"{a}.mean()", f"{a}.amax()", f"{a}.amin()", f"{a}.prod()",
                             f"{a}.var()", f"{a}.std()", f"{a}.norm()", f"T.logsumexp({a}, dim=0)"
                             if t.dim() else f"{a}.sum()"])
    # (norm's dims at most 2: PyTorch 2.13's Tensor.norm refuses three for its default p='fro',
    # "dim must be a 2-tuple", and takes them for p=2; deltaprop takes them for both)
    dims, one, pair = dims_text(d, a), d.dim(a), dims_text(d, a, most=2)
    return d.rng.choice([
        f"{a}.sum(dim={dims}, keepdim={k})", f"{a}.mean(dim={dims}, keepdim={k})",
        f"{a}.amax(dim={dims}, keepdim={k})", f"{a}.amin(dim={dims}, keepdim={k})",
        f"{a}.prod(dim={one}, keepdim={k})", f"T.logsumexp({a}, dim={dims}, keepdim={k})",
        f"{a}.var(dim={dims}, keepdim={k})", f"{a}.std(dim={dims}, keepdim={k})",
        f"{a}.var(dim={one}, correction=0)", f"{a}.norm(dim={pair}, keepdim={k})", f"{a}.norm(p=1, dim={one})",
        f"T.softmax({a}, dim={one})", f"T.log_softmax({a}, dim={one})", f"{a}.softmax({one})",
        f"T.cumsum({a}, dim={one})", f"{a}.cumprod({one})",
    ])


def _factor_shape(d: Drawer, numel: int):
    shape, left = [], numel
    for _ in range(d.rng.randint(0, 3)):
        divisors = [k for k in range(1, left + 1) if left % k == 0]
        k = d.rng.choice(divisors)
        shape.append(k)
        left //= k
    shape.append(left)
    d.rng.shuffle(shape)
    if shape and d.rng.random() < 0.3:
        shape[d.rng.randrange(len(shape))] = -1
    return "(" + ", ".join(map(str, shape)) + ",)"


def _slice_text(d: Drawer, size: int):
    r = d.rng.random()
    if r < 0.25:
        return str(d.rng.randint(-size, size - 1))
    if r < 0.35:
        return ":"
    start = d.rng.choice(["", str(d.rng.randint(-size, size))])
    stop = d.rng.choice(["", str(d.rng.randint(-size, size))])
    step = d.rng.choice(["", "", ":2", ":3"])
    return f"{start}:{stop}{step}"


def shape(d: Drawer, out):
    a = d.pick()
    if a is None:
        return None
    t = d.t(a)
    n, s = t.dim(), tuple(t.shape)
    rng = d.rng
    choices = [f"{a}.reshape({_factor_shape(d, t.numel())})" if t.numel() else f"{a}.reshape(-1)",
               f"{a}.view({_factor_shape(d, t.numel())})" if t.numel() else f"{a}.view(-1)",
               f"{a}.unsqueeze({d.dim(a, 1)})", f"{a}.squeeze()", f"{a}.flatten()", f"{a}.contiguous()",
               f"{a}.clone()", f"{a}.detach()", f"{a}.detach().clone()"]
    expand = [rng.randint(1, 3) if k == 1 else (-1 if rng.random() < 0.3 else k) for k in s]
    expand = [rng.randint(1, 2) for _ in range(rng.randint(0, 1))] + expand
    choices.append(f"{a}.expand({tuple(expand)})")
    if n >= 1:
        dd = d.dim(a)
        size = s[dd]
        start = rng.randint(0, size)
        choices += [f"{a}.squeeze({dd})", f"{a}.narrow({dd}, {start}, {rng.randint(0, size - start)})",
                    f"{a}.select({dd}, {rng.randint(-size, size - 1)})" if size else f"{a}.clone()",
                    # (cloned: deltaprop's flip is a view, PyTorch's a copy, docs/porting.md "stride() of a
                    # reversed view", so an in-place change of either side would differ by design)
                    f"{a}.flip({sorted(rng.sample(range(n), rng.randint(1, n)))}).clone()",
                    f"{a}.roll({rng.randint(-3, 3)}, {dd})", f"{a}.roll({rng.randint(-3, 3)})",
                    f"{a}[{', '.join(_slice_text(d, k) for k in s[:rng.randint(1, n)])}]",
                    f"{a}[..., {_slice_text(d, s[-1])}]", f"{a}[None, {_slice_text(d, s[0])}]",
                    f"{a}.split({rng.randint(1, 3)}, dim={dd})[{0 if size == 0 else rng.randint(0, (size - 1) // 3)}]",
                    f"T.chunk({a}, {rng.randint(1, 3)}, dim={dd})[0]", f"{a}.unbind({dd})[{rng.randint(0, size - 1)}]"
                    if size else f"{a}.clone()",
                    f"{a}.repeat({tuple(rng.randint(1, 2) for _ in range(n))})",
                    f"T.stack([{a}, {d.pick(lambda u: tuple(u.shape) == s) or a}], dim={d.dim(a, 1)})",
                    f"{a}.movedim({dd}, {d.dim(a)})"]
        if size:
            count = rng.randint(1, 4)
            index = [rng.randint(-size, size - 1) for _ in range(count)]
            choices += [f"{a}[T.tensor({index})]" if dd in (0, -n) else f"{a}[..., T.tensor({index})]"
                        if dd in (-1, n - 1) else f"{a}[:, T.tensor({index})]",
                        f"{a}[T.tensor({[rng.random() < 0.5 for _ in range(s[0])]})]" if s[0] else f"{a}.clone()",
                        f"{a}[{a} > {rng.choice([0.0, 0.3, -0.2])}]"]
        partners = [u for u in d.names if d.t(u).dim() == n
                    and all(x == y for i, (x, y) in enumerate(zip(d.t(u).shape, s)) if i != dd % n)]
        choices.append(f"T.cat([{a}, {rng.choice(partners) if partners else a}], dim={dd})")
    if n >= 2:
        i, j = rng.sample(range(-n, n), 2)
        perm = list(range(n))
        rng.shuffle(perm)
        choices += [f"{a}.transpose({i}, {j})", f"{a}.permute({tuple(perm)})", f"{a}.mT",
                    f"{a}.flatten({rng.randint(0, n - 2)}, {rng.randint(n - 2, n - 1)})"]
        if s[0] and s[1]:
            rows = [rng.randint(0, s[0] - 1) for _ in range(3)]
            cols = [rng.randint(0, s[1] - 1) for _ in range(3)]
            choices.append(f"{a}[T.tensor({rows}), T.tensor({cols})]")
        if n == 2:
            choices.append(f"{a}.t()")
    return rng.choice(choices)


def linear_algebra(d: Drawer, out):
    a = d.pick(lambda u: u.dim() >= 1)
    if a is None:
        return None
    t = d.t(a)
    s, n, rng = tuple(t.shape), t.dim(), d.rng
    choices = []
    # Operands of one dtype: PyTorch refuses two (and gives an empty product the second's), where
    # deltaprop computes in the promoted one (docs/porting.md, "matmul ... of two dtypes")
    for b in [u for u in d.names if d.t(u).dtype == t.dtype]:
        for form in [b] + ([f"{b}.mT"] if d.t(b).dim() >= 2 else []):
            try:
                d.torch.matmul(d.torch.zeros(s, dtype=d.torch.float64),
                               d.torch.zeros(d.namespace_shape(form), dtype=d.torch.float64))
                choices.append(f"{a} @ {form}")
            except RuntimeError:
                pass
    if n >= 2:
        choices += [f"{a} @ {a}.mT", f"{a}.mT @ {a}", f"T.matmul({a}, {a}.transpose(-1, -2))"]
    if n == 3:
        choices.append(f"T.bmm({a}, {a}.transpose(1, 2))")
    letters = "abcd"[:n]
    kept = [x for x in letters if rng.random() < 0.6]
    rng.shuffle(kept)
    choices.append(f"T.einsum('{letters}->{''.join(kept)}', {a})")
    b = d.pick(lambda u: u.dim() >= 1 and u.dtype == t.dtype)
    if b is not None:
        other = ""
        for size in d.t(b).shape:
            same = [letters[i] for i in range(n) if s[i] == size and letters[i] not in other]
            other += rng.choice(same) if same and rng.random() < 0.7 else "wxyz"[len(other)]
        every = sorted(set(letters + other))
        output = [x for x in every if rng.random() < 0.5]
        rng.shuffle(output)
        choices.append(f"T.einsum('{letters},{other}->{''.join(output)}', {a}, {b})")
    return rng.choice(choices)


def _index(d: Drawer, s, dd, along, unique):
    """A nested list of indices shaped like ``s`` with ``along`` entries on dim ``dd``."""
    shape = [rng_size if i != dd else along for i, rng_size in enumerate(
        d.rng.randint(1, k) if k else 0 for k in s)]
    array = np.zeros(shape, dtype=np.int64)
    for position in np.ndindex(*[k for i, k in enumerate(shape) if i != dd]):
        line = d.rng.sample(range(s[dd]), along) if unique else [d.rng.randrange(s[dd]) for _ in range(along)]
        full = list(position)
        full.insert(dd, slice(None))
        array[tuple(full)] = line
    return array.tolist()


def gather_scatter(d: Drawer, out):
    a = d.pick(lambda u: u.dim() >= 1 and u.numel() > 0)
    if a is None:
        return None
    t = d.t(a)
    s, n, rng = tuple(t.shape), t.dim(), d.rng
    dd = rng.randrange(n)
    size = s[dd]
    same = d.pick(lambda u: tuple(u.shape) == s) or a
    k = rng.randint(1, size)
    ix = [rng.randrange(size) for _ in range(rng.randint(1, 4))]
    src_shape = tuple(k if i == dd else x for i, x in enumerate(s))
    src = d.pick(lambda u: tuple(u.shape) == src_shape) or f"({a}.narrow({dd}, 0, {k}) * 1.5)"
    ix_k = [rng.randrange(size) for _ in range(k)]
    unique, added = _index(d, s, dd, k, True), _index(d, s, dd, rng.randint(1, 3), False)
    # The source is cut to the index's shape: PyTorch 2.13's scatter and scatter_add backward refuse
    # a larger one ("ScatterBackward0 returned an invalid gradient"), which deltaprop differentiates.
    def cut(index):
        shape = np.shape(index)
        return f"{same}[{', '.join(f':{k}' for k in shape)}]"
    return rng.choice([
        f"{a}.gather({dd}, T.tensor({_index(d, s, dd, rng.randint(1, 4), False)}))",
        f"{a}.scatter({dd}, T.tensor({unique}), {cut(unique)})",
        f"T.scatter({a}, {dd}, T.tensor({_index(d, s, dd, k, True)}), {c if (c := d.number()) else 1.0})",
        f"{a}.scatter_add({dd}, T.tensor({added}), {cut(added)})",
        f"{a}.index_add({dd}, T.tensor({ix_k}), {src})",
        f"{a}.index_add({dd}, T.tensor({ix_k}), {src}, alpha=2.0)",
        f"{a}.index_select({dd}, T.tensor({ix}))",
        f"{a}.masked_fill({a} > {rng.choice([0.0, 0.5])}, {d.number()})",
    ])


def in_place(d: Drawer, out):
    """An in-place change, of a value outside the graph or of one the graph records."""
    target = d.pick(grad=False) if d.rng.random() < 0.5 else d.pick()
    if target is None:
        return None
    t = d.t(target)
    rng = d.rng
    value = d.broadcast_partner(target, into=True)
    if value is not None and rng.random() < 0.6:  # mostly values outside the graph too
        outside = [u for u in d.names if not d.t(u).requires_grad and _broadcasts_into(d, u, tuple(t.shape))]
        value = rng.choice(outside) if outside else value
    value = value or str(d.number())
    choices = [("add_", f"{out} = {target}.add_({value})", True), ("mul_", f"{out} = {target}.mul_({value})", True),
               ("sub_", f"{out} = {target}.sub_({value}, alpha=0.5)", True),
               ("copy_", f"{out} = {target}.copy_({value})", True),
               ("clamp_", f"{out} = {target}.clamp_(min={d.number()})", False),
               ("relu_", f"{out} = {target}.relu_()", False), ("mul_", f"{out} = {target}.mul_(2.0)", False),
               ("tanh_", f"{out} = {target}.tanh_()", False),
               ("masked_fill_", f"{out} = {target}.masked_fill_({target} > 0.1, {d.number()})", False)]
    if t.dim() >= 1 and t.numel() and rng.random() < 0.7:  # (then x[index] = ... half the time)
        choices = choices[rng.randrange(len(choices)):][:1]
        index = ", ".join(_slice_text(d, k) for k in t.shape[:rng.randint(1, t.dim())])
        try:
            indexed = tuple(t[eval(f"np.s_[{index}]")].shape)
        except Exception:  # noqa: BLE001
            indexed = None
        fits = [u for u in d.names if indexed is not None and _broadcasts_into(d, u, indexed)]
        written = rng.choice(fits) if fits and rng.random() < 0.6 else str(d.number())
        choices.append(("setitem", f"{target}[{index}] = {written}\n{out} = {target}", written if written in d.names else None))
        rows = sorted(set(rng.randrange(t.shape[0]) for _ in range(2)))  # (no row twice: one write each)
        choices.append(("setitem", f"{target}[T.tensor({rows})] = {d.number()}\n{out} = {target}", None))
        choices.append(("setitem", f"{target}[{target} > 0.3] = {d.number()}\n{out} = {target}", None))
    choices.append(("+=", f"{target} += {value}\n{out} = {target}", True))
    name, text, source = rng.choice(choices)
    source = value if source is True else source or None
    source = source.split(".")[0] if source else None
    if source in d.names and source != target and _shares_memory(d.t(source), t):
        # An operand overlapping the tensor written: deltaprop reads it as if copied first (NumPy's
        # rule), PyTorch refuses it or reads elements it already wrote (docs/porting.md, Gradients)
        return None
    if (not t.requires_grad and source in d.names and d.t(source).requires_grad
            and any(u != target and _shares_memory(d.t(u), t) for u in d.names)):
        # A value that requires grad written into a tensor that does not, which another tensor views
        # (or which views another): PyTorch's view tracking takes that other tensor into the graph,
        # deltaprop's leaves it out (docs/porting.md, Gradients)
        return None
    return Step(f"in_place:{name}", text, out, target=target)


def _shares_memory(u, v) -> bool:
    return u.untyped_storage().data_ptr() == v.untyped_storage().data_ptr()


def _broadcasts_into(d: Drawer, name, shape):
    try:
        return tuple(d.torch.broadcast_shapes(tuple(d.t(name).shape), shape)) == tuple(shape)
    except RuntimeError:
        return False


def in_place_augmented(d: Drawer, out):
    """``y = a.clone(); y += b``: the same in both, as the clone has no other name."""
    a = d.pick()
    if a is None:
        return None
    b = d.broadcast_partner(a, into=True) or str(d.number())
    op = d.rng.choice(["+=", "-=", "*="])
    return Step(f"augmented:{op}", f"{out} = {a}.clone()\n{out} {op} {b}", out)


def selection(d: Drawer, out):
    """Values picked by order (max/min along a dim, sort, topk, kthvalue, median), by a mask or at
    positions written out of place (index_put, masked_scatter), and where with a number."""
    a = d.pick(lambda u: u.dim() >= 1 and u.numel() > 0)
    if a is None:
        return None
    t, rng = d.t(a), d.rng
    dd = d.dim(a)
    size = t.shape[dd]
    choices = [f"T.where({a} > 0, {a}, {d.number()})", f"T.where({a} < 0.2, 0.5, {a})",
               f"{a}.masked_select({a} > 0.1)",
               f"{a}.index_put((T.tensor({[rng.randrange(t.shape[0]) for _ in range(2)]}),), T.tensor({d.number()}, "
               f"dtype=T.float64), accumulate=True)",
               f"{a}.masked_scatter({a} > 0, {a} * 2)"]
    # Picked by order only where no two values tie: which of two equal values a gradient reaches is
    # each library's own choice (PyTorch's sort is not stable).
    if len(set(t.detach().reshape(-1).tolist())) == t.numel():
        k = rng.randint(1, size)
        choices += [f"{a}.max(dim={dd}, keepdim={rng.random() < 0.5})[0]", f"T.min({a}, {dd})[0]",
                    f"{a}.sort(dim={dd}, descending={rng.random() < 0.5})[0]", f"{a}.topk({k}, dim={dd})[0]",
                    f"{a}.kthvalue({k}, dim={dd})[0]", f"{a}.max()", f"{a}.median()"]
    return rng.choice(choices)


def more(d: Drawer, out):
    """Less common shape, running and layer functions, each on the values at hand."""
    a = d.pick()
    if a is None:
        return None
    t, rng = d.t(a), d.rng
    n, s = t.dim(), tuple(t.shape)
    choices = [f"T.nn.functional.softplus({a})", f"T.nn.functional.gelu({a})", f"T.nn.functional.silu({a})",
               f"T.nn.functional.leaky_relu({a}, 0.1)", f"T.nn.functional.elu({a})", f"T.hypot({a}, {a} * 0.5 + 1)",
               f"{a}.lerp({a} * 2, 0.3)", f"T.addcmul({a}, {a}, {a}, value=0.5)", f"T.erf({a})", f"{a}.expm1()"
               if t.numel() == 0 or float(t.detach().abs().max()) < 20 else f"T.erf({a})"]
    if n >= 1:
        dd = d.dim(a)
        choices += [f"T.diff({a}, dim={dd})", f"{a}.cummax({dd})[0]", f"T.logcumsumexp({a}, {dd})",
                    f"T.nn.functional.pad({a}, ({rng.randint(0, 2)}, {rng.randint(0, 2)}))",
                    f"T.nn.functional.normalize({a} + 3, dim={dd})", f"{a}.repeat_interleave(2, dim={dd})",
                    f"T.tile({a}, (2,))", f"{a}.swapaxes(0, {dd})", f"{a}.unflatten({dd}, ({s[dd]}, 1))",
                    f"{a}.roll(({rng.randint(-2, 2)},), ({dd},))"]
        if s[dd]:
            ix = [rng.randrange(s[dd]) for _ in range(rng.randint(1, 3))]
            choices += [f"{a}.index_fill({dd}, T.tensor({ix}), {d.number()})",
                        f"{a}.index_copy({dd}, T.tensor({sorted(set(ix))}), {a}.narrow({dd}, 0, {len(set(ix))}) * 2)"
                        if len(set(ix)) <= s[dd] else f"{a} * 1"]
        if s[-1] > 1:
            choices.append(f"T.nn.functional.layer_norm({a}, ({s[-1]},))")
            # (cloned: deltaprop's unfold is a copy, PyTorch's a view, docs/porting.md)
            choices.append(f"{a}.unfold({dd}, {min(2, s[dd])}, 1).clone()" if s[dd] else f"{a} * 1")
    if n >= 2:
        choices += [f"{a}.tril()", f"{a}.triu(1)", f"{a}.T" if n == 2 else f"{a}.mT", f"T.cdist({a}, {a})"
                    if n in (2, 3) and s[-1] else f"{a} * 1"]
    return rng.choice(choices)


def hooks(d: Drawer, out):
    # Not on a view: PyTorch 2.13 crashes (a segmentation fault) in register_hook on a view that
    # retains its grad once its base changed in place through detach():
    #     v = x[..., :]; v.retain_grad(); v.detach().mul_(2); v.register_hook(lambda g: g)
    # Nor on what contiguous() gave: whether that is the tensor itself depends on the memory layout,
    # which differs by design (docs/porting.md, "A result's memory layout is NumPy's").
    made = {s.out: s.text for s in d.program.steps if s.out}
    a = d.pick(lambda u: u._base is None, grad=True)
    if a is not None and "contiguous()" in made.get(a, ""):
        return None
    if a is None:
        return None
    if d.rng.random() < 0.5:
        return Step("retain_grad", f"{a}.retain_grad()", None, retains=a)
    return Step("register_hook", f"{a}.register_hook(lambda g: g * {d.number()})", None)


TABLE = {f.__name__: (f, weight) for f, weight in [
    (unary, 3), (binary, 3), (reduction, 2.5), (shape, 4.5), (linear_algebra, 1), (gather_scatter, 1.5),
    (in_place, 3), (in_place_augmented, 0.5), (hooks, 1), (selection, 1.5), (more, 2)]}
