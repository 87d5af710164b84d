"""Run one autograd program under PyTorch and deltaprop and say where they differ.

Both run the same text (``autograd_programs.Program``); then every value that requires grad is
reduced to a scalar by the fixed weighting ``weights`` and their sum goes through backward(). The
oracle compares each step's refusal (a program PyTorch refuses must be refused by deltaprop, and the
reverse), every value's shape, dtype and numbers, every leaf's ``.grad`` and each retained
``.grad``, in float64 to rtol 1e-9, atol 1e-12 (1e-4 and 1e-5 once a value went through float32).
A difference that docs/porting.md writes down is counted apart, not reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autograd_programs import Program, run_steps

# (LOOSE: float32 has 7 digits, and a product or sum of a few dozen of them that cancels, a Gram
# matrix's gradient, say, keeps 4 or 5 of them, in an order of summation each library chooses.)
TIGHT, LOOSE = (1e-9, 1e-12), (1e-4, 1e-5)


@dataclass
class Outcome:
    error_step: int | None = None
    error: BaseException | None = None
    values: dict = field(default_factory=dict)
    backward_error: BaseException | None = None
    grads: dict = field(default_factory=dict)
    retained: dict = field(default_factory=dict)


def _array(x):
    if x is None:
        return None
    if isinstance(x, np.ndarray):
        return x.copy()
    data = getattr(x, "data", None)
    if isinstance(data, np.ndarray):  # a deltaprop tensor
        return np.array(data)
    return x.detach().cpu().numpy().copy()


def _dtype(x) -> str:
    return str(x.dtype).rsplit(".", 1)[-1]


def loss_text(names) -> str:
    return " + ".join(f"({n} * weights({n})).sum()" for n in names)


def run(program: Program, lib, loss_names=None) -> tuple[Outcome, list]:
    """Run under ``lib``; ``loss_names`` (None: every value that requires grad, read here)."""
    namespace, step, error = run_steps(program, lib)
    outcome = Outcome(error_step=step, error=error)
    if error is not None:
        return outcome, []
    outs = [s.out for s in program.steps if s.out]
    for name in outs:
        value = namespace[name]
        outcome.values[name] = (tuple(value.shape), _dtype(value), _array(value))
    if loss_names is None:
        loss_names = [n for n in outs if namespace[n].requires_grad]
    if loss_names:
        try:
            exec(f"loss = {loss_text(loss_names)}\nloss.backward()", namespace)
        except Exception as caught:  # noqa: BLE001
            outcome.backward_error = caught
    for name, (_, grad) in program.leaves.items():
        if grad:
            outcome.grads[name] = _array(namespace[name].grad)
    for s in program.steps:
        if s.retains:
            outcome.retained[s.retains] = _array(namespace[s.retains].grad)
    return outcome, loss_names


def _describe(error) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0][:150] if str(error) else ''}"


def _close(a, b, tolerance) -> str | None:
    if a is None or b is None:
        return None if a is None and b is None else f"PyTorch {'None' if a is None else 'an array'}, " \
                                                     f"deltaprop {'None' if b is None else 'an array'}"
    if a.shape != b.shape:
        return f"shape {a.shape} vs {b.shape}"
    rtol, atol = tolerance
    if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
        bad = ~np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
        return (f"{int(bad.sum())} of {a.size} differ; PyTorch {a[bad].ravel()[:4].tolist()}, "
                f"deltaprop {b[bad].ravel()[:4].tolist()}")
    return None


def compare(program: Program, lib) -> tuple[str, list]:
    """('agree' | 'both refused' | 'documented' | 'mismatch', [(kind, detail), ...])."""
    import torch

    theirs, names = run(program, torch)
    ours, _ = run(program, lib, names)
    if theirs.error is not None or ours.error is not None:
        if theirs.error_step == ours.error_step:
            return "both refused", []
        if ours.error is not None and (theirs.error is None or ours.error_step < theirs.error_step):
            step = program.steps[ours.error_step]
            if "read-only (a view made by expand()" in str(ours.error) and _overlaps(program, ours.error_step):
                # porting.md (as_strided): a view whose elements share memory is read-only, as
                # expand's; PyTorch writes some such views (copy_, masked_fill_) and refuses others
                return "documented", []
            if "view: shape" in str(ours.error) and _laid_out_apart(program, ours.error_step, lib):
                return "documented", []  # porting.md: a result's memory layout is NumPy's
            return "mismatch", [("refused by deltaprop only", f"step {ours.error_step} ({step.op}): "
                                 f"{_describe(ours.error)}")]
        step = program.steps[theirs.error_step]
        if step.op.startswith("linear_algebra") and ("dtype" in str(theirs.error) or "scalar type" in str(theirs.error)):
            return "documented", []  # porting.md: matmul and einsum of two dtypes compute in the promoted one
        if "its base or another view of its base has been modified inplace" in str(theirs.error):
            return "documented", []  # porting.md, Gradients: pieces of split/chunk/unbind, see below
        if "view size is not compatible" in str(theirs.error) and _laid_out_apart(program, theirs.error_step, lib):
            return "documented", []  # porting.md: a result's memory layout is NumPy's
        if "the output of a function that returns multiple views" in str(theirs.error):
            return "documented", []  # porting.md, Gradients: a piece of split/chunk/unbind changed in place
        if "refer to a single memory location" in str(theirs.error):
            return "documented", []  # porting.md, Gradients: an overlapping operand is read as if copied first
        return "mismatch", [("refused by PyTorch only", f"step {theirs.error_step} ({step.op}): "
                             f"{_describe(theirs.error)}")]
    problems = []
    tolerance = LOOSE if program.uses_float32() else TIGHT
    for name, (shape, dtype, value) in theirs.values.items():
        our_shape, our_dtype, our_value = ours.values[name]
        if (shape, dtype) != (our_shape, our_dtype):
            problems.append(("forward shape or dtype", f"{name}: PyTorch {shape} {dtype}, "
                                                       f"deltaprop {our_shape} {our_dtype}"))
        elif (why := _close(value, our_value, tolerance)) is not None:
            problems.append(("forward value", f"{name}: {why}"))
    if problems:
        return "mismatch", problems[:1]
    if ours.backward_error is None and "its base or another view of its base has been modified inplace" in str(
            theirs.backward_error):
        # porting.md, Gradients: PyTorch refuses a backward through a piece of split/chunk/unbind
        # whose base changed in place (here through detach()); deltaprop's pieces are plain nodes
        return "documented", []
    if ours.backward_error is None and "modified by an inplace operation" in str(theirs.backward_error):
        # porting.md, Gradients: deltaprop refuses a backward() only where its own rule needs the
        # value changed in place, and some rules keep a value computed in the forward pass where
        # PyTorch's keep the output (sqrt, norm, amax): the gradients must then be PyTorch's with
        # every saved value copied as it was saved (counted apart, to watch)
        theirs = run_snapshot(program, names)
        verdict = "saved copies"
    else:
        verdict = "agree"
    if theirs.backward_error is None and "through another tensor sharing it" in str(ours.backward_error):
        # porting.md, Gradients: a computed tensor made before an in-place change of memory it
        # shares (a view and its base) and used after it is refused here; PyTorch tracks views
        return "documented", []
    if theirs.backward_error is None and "an input of 'einsum'" in str(ours.backward_error):
        # porting.md, Gradients: einsum keeps its operands as given, PyTorch their sums over the
        # letters only one has, so a change of such an operand is refused here and not there
        return "documented", []
    if (theirs.backward_error is None) != (ours.backward_error is None):
        who = "deltaprop" if ours.backward_error is not None else "PyTorch"
        error = ours.backward_error or theirs.backward_error
        return "mismatch", [(f"backward refused by {who} only", _describe(error))]
    if theirs.backward_error is not None:
        return "both refused", []
    for kind, mine, yours in [("leaf grad", theirs.grads, ours.grads), ("retained grad", theirs.retained, ours.retained)]:
        for name, grad in mine.items():
            if (why := _close(grad, yours.get(name), tolerance)) is not None:
                problems.append((kind, f"{name}.grad: {why}"))
    return ("mismatch", problems[:1]) if problems else (verdict, [])


def _laid_out_apart(program: Program, index: int, lib) -> bool:
    """Whether the tensor step ``index`` views has other strides under PyTorch than under ``lib``."""
    import torch

    name = program.steps[index].text.split("=", 1)[1].strip().split(".")[0]
    theirs, _, _ = run_steps(program, torch, upto=index)
    ours, _, _ = run_steps(program, lib, upto=index)
    if name not in theirs or name not in ours:
        return False
    steps = [tuple(s for s, n in zip(t.stride(), t.shape) if n > 1) for t in (theirs[name], ours[name])]
    return steps[0] != steps[1]


def _overlaps(program: Program, index: int) -> bool:
    """Whether the tensor the step ``index`` writes is (a slice of) an expand that grew, under PyTorch."""
    import torch

    namespace, _, _ = run_steps(program, torch, upto=index)
    value = namespace.get(program.steps[index].target)
    # (or a slice of one, with a step 0 left on a dimension of one element, or empty: deltaprop's
    # stays read-only, where PyTorch finds no two elements sharing memory)
    return isinstance(value, torch.Tensor) and (value.numel() == 0 or 0 in value.stride())


def run_snapshot(program: Program, names) -> Outcome:
    """Run under PyTorch with every value a rule saves copied as it is saved (no version checks)."""
    import torch

    with torch.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
        return run(program, torch, names)[0]


def same_mismatch(compare, candidate, lib, kind: str) -> bool:
    """Whether ``compare(candidate, lib)`` still finds a mismatch of ``kind`` (the shrinkers' test of
    a smaller reproducer; one that breaks is none)."""
    try:
        verdict, problems = compare(candidate, lib)
    except Exception:  # noqa: BLE001 - a broken candidate is not a smaller reproducer
        return False
    return verdict == "mismatch" and problems[0][0] == kind


def shrink(program: Program, lib, kind: str) -> Program:
    """Drop steps and leaves one at a time while the same kind of mismatch remains."""
    def still(candidate):
        return same_mismatch(compare, candidate, lib, kind)

    current = program
    changed = True
    while changed:
        changed = False
        for index in reversed(range(len(current.steps))):
            candidate = Program(current.leaves, current.steps[:index] + current.steps[index + 1:])
            if still(candidate):
                current, changed = candidate, True
        for name in list(current.leaves):
            leaves = {k: v for k, v in current.leaves.items() if k != name}
            if leaves and still(Program(leaves, current.steps)):
                current, changed = Program(leaves, current.steps), True
    return current


def reproducer(program: Program) -> str:
    """The program as a script for PyTorch (swap the import for deltaprop), with its backward."""
    import torch

    theirs, names = run(program, torch)
    text = program.source("torch")
    if theirs.error is None and names:
        text += f"\nloss = {loss_text(names)}\nloss.backward()"
    return text
