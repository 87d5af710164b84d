"""Run one call of a loss or of nn.functional under PyTorch and deltaprop and say where they differ.

Both run the same text (``functional_cases.Case``); every floating output that requires grad is
reduced to a scalar by the fixed weighting ``weights`` and their sum goes through backward(). The
oracle compares the refusal (both refuse, or neither), each output's shape, dtype and numbers, the
gradient of every input that requires grad, and every input's values after the call (a running
mean that batch_norm updates, an embedding table that max_norm rescales), in float64 to rtol 1e-9,
atol 1e-12 (1e-4 and 1e-5 for a case in float32). A difference that docs/porting.md writes down is
counted apart, not reported.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from autograd_oracle import LOOSE, TIGHT, _array, _describe, _dtype, loss_text, same_mismatch
from autograd_oracle import _close as _close_arrays
from functional_cases import ACTIVATIONS, Case, leaf_text, namespace_for


@dataclass
class Outcome:
    error: BaseException | None = None
    outputs: list = field(default_factory=list)  # (shape, dtype, array) of each tensor output
    after: dict = field(default_factory=dict)  # each input's values after the call
    backward_error: BaseException | None = None
    grads: dict = field(default_factory=dict)


def _close(a, b, tolerance) -> str | None:
    """autograd_oracle's comparison, with no gradient and a gradient of zeros taken as the same
    (PyTorch leaves .grad None where its rule's gradient is undefined, a norm of order 0, say)."""
    if (a is None) != (b is None) and not np.any(a if b is None else b):
        return None
    return _close_arrays(a, b, tolerance)


def _tensors(value, lib) -> list:
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v, lib)]
    return [value] if isinstance(value, lib.Tensor) else []


def run(case: Case, lib) -> Outcome:
    namespace = namespace_for(lib)
    outcome = Outcome()
    for name, (array, grad) in case.inputs.items():
        exec(f"{name} = {leaf_text(array, grad)}", namespace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(f"out = {case.call()}", namespace)
        except Exception as error:  # noqa: BLE001 - refusals are what is compared
            outcome.error = error
            return outcome
        outs = _tensors(namespace["out"], lib)
        for t in outs:
            outcome.outputs.append((tuple(t.shape), _dtype(t), _array(t)))
        for name in case.inputs:
            outcome.after[name] = _array(namespace[name])
        names = []
        for k, t in enumerate(outs):
            if t.requires_grad:
                namespace[f"out{k}"] = t
                names.append(f"out{k}")
        if names:
            try:
                exec(f"loss = {loss_text(names)}\nloss.backward()", namespace)
            except Exception as error:  # noqa: BLE001
                outcome.backward_error = error
    for name, (_, grad) in case.inputs.items():
        if grad:
            outcome.grads[name] = _array(namespace[name].grad)
    return outcome


def documented_refusal(case: Case, ours: BaseException | None, theirs: BaseException | None) -> bool:
    """A refusal by one library alone that docs/porting.md writes down."""
    text = str(ours)
    if ours is not None and theirs is None:
        if case.op == "interpolate" and "area" in case.kwargs.get("mode", ""):
            return True  # porting.md: interpolate has no 'area' mode
        if case.op.startswith("conv_transpose") and "which is too small" in text:
            return True  # porting.md: an output of no positions is refused, as PyTorch's reference kernel refuses it
        if "'elementwise_mean'" in case.kwargs.get("reduction", ""):
            return True  # porting.md: the losses refuse PyTorch's long-deprecated 'elementwise_mean'
        if case.op == "pad" and "needs at least one position left" in text:
            return True  # porting.md: reflect/replicate padding that leaves an axis empty (PyTorch's 2-d and 3-d take it)
        if case.op == "pad" and "wraps around once at most" in text:
            return True  # porting.md: circular padding that pads beyond what its cropping leaves
        if case.op == "scaled_dot_product_attention" and "not both" in text:
            # porting.md: attn_mask with is_causal=True is refused, as PyTorch's fused kernels refuse
            # it; its math path (float64, or inputs that need a gradient) takes the pair
            return True
        if case.op == "affine_grid" and "expected a positive output size" in text:
            return True  # porting.md: affine_grid refuses a size with a 0 (PyTorch skips its check in one case)
        if case.op == "instance_norm" and "at least one channel" in text:
            return True  # porting.md: instance_norm of no channels is refused (PyTorch returns it empty)
        if case.op in ("nll_loss", "cross_entropy") and "has no classes" in text:
            return True  # porting.md: an input with no classes is refused (PyTorch takes it when every label is ignored)
    if theirs is not None and ours is None:
        if _empty_refused(case, theirs):
            return True  # porting.md: empty inputs some of PyTorch's kernels refuse
        if _integer_kernel_missing(case, theirs):
            return True  # porting.md: integer inputs PyTorch's CPU kernels lack, and labels of any integer dtype
        if case.op == "binary_cross_entropy" and "mixed" in case.tags and "Found dtype" in str(theirs):
            return True  # porting.md: binary_cross_entropy of two floating dtypes computes in the wider
        if case.op == "lp_pool1d" and "must be Tensor, not tuple" in str(theirs):
            return True  # porting.md: lp_pool1d takes a kernel_size of one 1-tuple, PyTorch's fails on it
        if case.op == "linear" and case.inputs[case.args[1]][0].ndim == 1:
            return True  # porting.md: linear takes a weight vector with a bias where PyTorch's fused path refuses
    return False


def _empty_refused(case: Case, theirs: BaseException) -> bool:
    """PyTorch refused an input or weight with an axis of length 0 that deltaprop computes with."""
    text = str(theirs)
    return any(a.size == 0 for a, _ in case.inputs.values()) and any(words in text for words in (
        "non-zero size for non-batch dimensions", "Non-empty 3D data tensor expected",
        "Non-empty 4D data tensor expected", "Non-empty 5D data tensor expected", "to be at least 1 at dimension 0",
        "returned an invalid gradient", "non-zero dimensions for input", "out of range for tensor of size [0]"))


def _integer_kernel_missing(case: Case, theirs: BaseException) -> bool:
    """PyTorch refused an integer input for want of a kernel of its dtype, or a label dtype other than int64."""
    text = str(theirs)
    if not any(a.dtype.kind in "iu" for a, _ in case.inputs.values()):
        return False
    return (isinstance(theirs, NotImplementedError) and "not implemented for" in text) or any(
        words in text for words in ("expected target dtype to be Long", "expected scalar type Long",
                                    "index tensor of type LongTensor", "Expected dtype int32/int64 for index"))


def _kept_axes(case: Case) -> list:
    """For interpolate with a scale factor (not recomputed): for each spatial axis, whether its
    length is kept (5 x 1.1, or a factor of 1) and whether by a factor other than 1."""
    if "scale_factor" not in case.kwargs or case.kwargs.get("recompute_scale_factor") == "True":
        return []
    x = case.inputs[case.args[0]][0]
    factors = eval(case.kwargs["scale_factor"])
    factors = factors if isinstance(factors, tuple) else (factors,) * (x.ndim - 2)
    return [(int(n * f) == n, f != 1) for n, f in zip(x.shape[2:], factors)]


def _kept_by_a_factor(case: Case) -> bool:
    """Whether some axis keeps its length by a scale factor other than 1."""
    return any(kept and other for kept, other in _kept_axes(case))


def documented_value(case: Case, kind: str, theirs: Outcome) -> bool:
    """A difference of values or gradients that docs/porting.md writes down."""
    mode = case.kwargs.get("mode", "'nearest'")
    if case.op == "interpolate" and kind == "forward value" and mode == "'nearest'":
        # porting.md: where a scale factor keeps an axis's length (5 x 1.1), 'nearest' copies that
        # axis; PyTorch's 1-d and 3-d nearest forwards resample it
        return case.inputs[case.args[0]][0].ndim in (3, 5) and _kept_by_a_factor(case)
    if case.op.startswith("max_pool") and any(np.isneginf(v).any() for _, _, v in theirs.outputs if v.dtype.kind == "f") \
            and not any(np.isneginf(a).any() for a, _ in case.inputs.values() if a.dtype.kind == "f"):
        # porting.md: a window that dilation puts wholly in the padding (its maximum -inf) passes
        # on no gradient and no index; PyTorch's index points outside the window
        return True
    if case.op == "interpolate" and kind == "grad" and mode == "'bicubic'" and case.kwargs.get("antialias") != "True":
        # porting.md: where a scale factor keeps every axis's length, PyTorch's bicubic backward
        # copies the gradient while its forward resamples
        return _kept_by_a_factor(case) and all(kept for kept, _ in _kept_axes(case))
    if case.op == "interpolate" and kind == "forward value" and case.kwargs.get("antialias") == "True" \
            and theirs.outputs and theirs.outputs[0][0][-1] == 1:
        return True  # porting.md: PyTorch's antialiased forward repeats the first row for an output one pixel wide
    if case.op == "gelu" and kind == "forward value" and case.float32 \
            and any(np.isposinf(a).any() for a, _ in case.inputs.values()):
        return True  # porting.md: gelu(+inf) is +inf in float32 too (PyTorch's exact float32 kernel: NaN)
    if case.op == "softsign" and kind == "grad" and any(np.isinf(a).any() for a, _ in case.inputs.values()):
        return True  # porting.md: softsign's slope at ±inf is its limit 0 (PyTorch: NaN)
    if case.op == "interpolate" and kind == "grad" and case.kwargs.get("antialias") == "True":
        # porting.md: where a scale factor keeps an axis's length, PyTorch's antialiased forward
        # copies that axis and its backward resamples it
        return _kept_by_a_factor(case)
    if "mixed" in case.tags and kind == "forward shape or dtype" and case.op == "binary_cross_entropy_with_logits" \
            and case.inputs[case.args[0]][0].dtype == np.float64:
        return True  # porting.md: a float64 input with a float32 target is float64 (PyTorch: float32)
    if case.op.startswith("conv") and kind == "forward shape or dtype" and case.inputs[case.args[0]][0].size == 0 \
            and theirs.outputs and 0 in theirs.outputs[0][0]:
        return True  # porting.md: a convolution of no input channels has the weight's output channels
    if case.op in ("multi_margin_loss", "multilabel_margin_loss") and case.inputs[case.args[0]][0].size == 0 \
            and case.kwargs.get("reduction", "'mean'") == "'mean'":
        return True  # porting.md: the mean of an empty batch is NaN (PyTorch's is an uninitialised number)
    if case.op == "soft_margin_loss" and any(np.isinf(v).any() for _, _, v in theirs.outputs):
        return True  # porting.md: log(1 + e^(-yx)) without PyTorch's overflow to inf
    return False


def _tolerance(case: Case, value) -> tuple:
    """(rtol, atol) for comparing ``value`` (PyTorch's)."""
    if case.op == "hardsigmoid" and value is not None and value.dtype == np.float64:
        return 1e-7, TIGHT[1]  # porting.md: PyTorch's float64 slope is float32's 1/6, 3e-8 off
    if not (case.float32 or value is None or value.dtype != np.float64):
        return TIGHT
    # float32: PyTorch's roundings, amplified by 1/σ in a normalization (1/√eps for a group of one
    # value) and by the largest value at hand elsewhere (1/|x| in normalize)
    scale = float(np.nanmax(np.abs(value[np.isfinite(value)]), initial=1.0)) if value is not None else 1.0
    return LOOSE[0], (20 if case.op.endswith("_norm") else 1) * LOOSE[1] * max(1.0, scale)


def compare(case: Case, lib) -> tuple[str, list]:
    """('agree' | 'both refused' | 'documented' | 'mismatch', [(kind, detail), ...]); a documented
    difference names the function and its kind."""
    import torch

    theirs = run(case, torch)
    ours = run(case, lib)
    if theirs.error is not None or ours.error is not None:
        if theirs.error is not None and ours.error is not None:
            return "both refused", []
        who = "deltaprop" if ours.error is not None else "PyTorch"
        if documented_refusal(case, ours.error, theirs.error):
            return "documented", [(f"{case.op}: refused by {who} only", "")]
        return "mismatch", [(f"refused by {who} only", _describe(ours.error or theirs.error))]
    if len(theirs.outputs) != len(ours.outputs):
        return "mismatch", [("outputs", f"PyTorch {len(theirs.outputs)} tensors, deltaprop {len(ours.outputs)}")]
    for k, ((shape, dtype, value), (our_shape, our_dtype, our_value)) in enumerate(zip(theirs.outputs, ours.outputs)):
        if (shape, dtype) != (our_shape, our_dtype):
            return _unless_documented(case, "forward shape or dtype", theirs,
                                      f"output {k}: PyTorch {shape} {dtype}, deltaprop {our_shape} {our_dtype}")
        if value.dtype.kind in "biu":
            if not np.array_equal(value, our_value):
                return _unless_documented(case, "forward value", theirs, f"output {k}: PyTorch "
                                          f"{value.ravel()[:6].tolist()}, deltaprop {our_value.ravel()[:6].tolist()}")
        elif (why := _close(value, our_value, _tolerance(case, value))) is not None:
            return _unless_documented(case, "forward value", theirs, f"output {k}: {why}")
    for name, value in theirs.after.items():
        if (why := _close(value, ours.after[name], _tolerance(case, value))) is not None:
            return "mismatch", [("input changed", f"{name} after the call: {why}")]
    if ours.backward_error is None and "tensor does not have a device" in str(theirs.backward_error) \
            and case.op == "group_norm" and "weight" not in case.kwargs:
        # porting.md: PyTorch's group_norm backward fails for a bias without a weight
        return "documented", [(f"{case.op}: backward refused by PyTorch only", "")]
    if ours.backward_error is None and "Found dtype" in str(theirs.backward_error) and case.op == "huber_loss" \
            and "mixed" in case.tags:
        # porting.md: huber_loss of two dtypes has gradients, PyTorch's backward refuses
        return "documented", [(f"{case.op}: backward refused by PyTorch only", "")]
    if ours.backward_error is None and theirs.backward_error is not None and _empty_refused(case, theirs.backward_error):
        return "documented", [(f"{case.op}: backward refused by PyTorch only", "")]  # porting.md: empty inputs
    if (theirs.backward_error is None) != (ours.backward_error is None):
        who = "deltaprop" if ours.backward_error is not None else "PyTorch"
        return "mismatch", [(f"backward refused by {who} only", _describe(ours.backward_error or theirs.backward_error))]
    if theirs.backward_error is not None:
        return "both refused", []
    for name, grad in theirs.grads.items():
        apart = _documented_places(case, name)
        if apart is not None and apart.any() and grad is not None and ours.grads.get(name) is not None:
            grad, ours.grads[name] = grad[~apart], ours.grads[name][~apart]
        if (why := _close(grad, ours.grads.get(name), _tolerance(case, grad))) is not None:
            return _unless_documented(case, "grad", theirs, f"{name}.grad: {why}")
    return "agree", []


def _documented_places(case: Case, name: str):
    """The elements of ``name``'s gradient where docs/porting.md writes down a difference (left out
    of the comparison; the others must agree), or None."""
    x = case.inputs[name][0]
    if case.op in ACTIVATIONS and name == case.args[0]:
        # an activation's slope at a NaN input is one of PyTorch's two (its scalar and vectorised
        # kernels differ)
        return np.isnan(x)
    if len(case.args) > 1 and name == case.args[1]:
        first = case.inputs[case.args[0]][0] if case.args[0] in case.inputs else None
        if case.op == "binary_cross_entropy" and first is not None and first.shape == x.shape:
            return (first == 0) | (first == 1)  # the slope of the loss with its logs clamped at -100
        if case.op == "poisson_nll_loss" and case.kwargs.get("full") == "True":
            return x == 0  # the target's slope at 0 with full=True, PyTorch's NaN
    return None


def _unless_documented(case: Case, kind: str, theirs: Outcome, detail: str) -> tuple[str, list]:
    if documented_value(case, kind, theirs):
        return "documented", [(f"{case.op}: {kind}", "")]
    return "mismatch", [(kind, detail)]


def shrink(case: Case, lib, kind: str) -> Case:
    """Drop keyword arguments and round input values while the same kind of mismatch remains."""
    def still(candidate):
        return same_mismatch(compare, candidate, lib, kind)

    def variant(**changes):
        fields = dict(op=case.op, inputs=dict(current.inputs), args=list(current.args), kwargs=dict(current.kwargs),
                      layer=current.layer, float32=current.float32, tags=set(current.tags))
        fields.update(changes)
        return Case(**fields)

    current = case
    changed = True
    while changed:
        changed = False
        if current.layer is not None and still(variant(layer=None)):
            current, changed = variant(layer=None), True
        for key in list(current.kwargs):
            kwargs = {k: v for k, v in current.kwargs.items() if k != key}
            candidate = variant(kwargs=kwargs)
            if still(candidate):
                current, changed = candidate, True
        for candidate in _sliced(current, variant):
            if still(candidate):
                current, changed = candidate, True
                break
        for name, (array, grad) in list(current.inputs.items()):
            options = []
            if grad:
                options.append((array, False))
            if array.dtype.kind == "f":
                for digits in (0, 1, 2):
                    rounded = np.round(array, digits)
                    if not np.array_equal(rounded, array, equal_nan=True):
                        options.append((rounded.astype(array.dtype), grad))
            for option in options:
                candidate = variant(inputs={**current.inputs, name: option})
                if still(candidate):
                    current, changed = candidate, True
                    break
    return current


def _sliced(case: Case, variant) -> list:
    """Smaller cases: along each axis of the first input, every input with an axis of that length
    cut to its first or last element, or to a half (inputs whose lengths are linked shrink together)."""
    first = case.inputs[case.args[0]][0] if case.args and case.args[0] in case.inputs else None
    if first is None:
        return []
    candidates = []
    for axis, length in enumerate(first.shape):
        if length < 2:
            continue
        for part in (slice(0, 1), slice(length - 1, length), slice(0, length // 2), slice(length // 2, length)):
            inputs = {}
            for name, (array, grad) in case.inputs.items():
                if array.ndim > axis and array.shape[axis] == length:
                    array = array[(slice(None),) * axis + (part,)].copy()
                inputs[name] = (array, grad)
            candidates.append(variant(inputs=inputs))
    return candidates


def reproducer(case: Case) -> str:
    """The call as a script for PyTorch (swap the import for deltaprop), with its backward."""
    import torch

    text = case.source("torch")
    theirs = run(case, torch)
    if theirs.error is None and theirs.grads:
        text += ("\nouts = [t for t in (out if isinstance(out, tuple) else (out,)) if t.requires_grad]"
                 "\nsum((t * weights(t)).sum() for t in outs).backward()")
    return text
