"""Run one layer case under PyTorch and deltaprop and say where they differ.

The layer is built under PyTorch first; its state dict, given fresh values by ``fresh_state``, is
loaded into both libraries' layers (float64, or float32 now and then). Both run the same text
(``layer_cases.Case``): train() or eval(), one call or two (the state a first call leaves is what
the second sees), then backward() of a fixed weighting of every output. The oracle compares
refusals (both refuse, at whatever stage: building the layer, loading the state, a call, the
backward; or neither), every output's shape, dtype and values (integer outputs, the indices of a
max pool, exactly), the inputs' and the parameters' gradients (a missing gradient counts as zeros)
and the state dict after it all (running statistics, ``num_batches_tracked``, rows ``max_norm``
rescaled). float64: rtol 1e-8, atol 1e-10; float32: 2e-4, 1e-4 (atol times the array's largest
magnitude where above 1). A difference docs/porting.md writes down is counted apart, not reported.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

import layer_cases
from autograd_oracle import _array, _dtype
from layer_cases import PRELUDE, Case

# (float32: a layer norm over two features, or attention's softmax, loses digits to cancellation
# that the two libraries' orders of summation round differently)
TOLERANCE = {"float64": (1e-8, 1e-10), "float32": (2e-4, 1e-4)}


@dataclass
class Outcome:
    stage: str | None = None  # where it refused, if it did
    error: BaseException | None = None
    outs: list = field(default_factory=list)  # (shape, dtype, array) or None per output tensor
    grads: dict = field(default_factory=dict)  # input name -> array or None
    param_grads: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)  # the state dict after the calls and the backward


def _flat(value) -> list:
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flat(v)]
    return [value]


def torch_state(case: Case) -> dict | None:
    """PyTorch's layer's state dict with fresh values; None where PyTorch refuses to build it."""
    import torch

    namespace = {"T": torch, "nn": torch.nn, "np": np}
    exec(PRELUDE, namespace)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(case.stages()[0][1], namespace)
    except Exception:  # noqa: BLE001 - the refusal is compared in run()
        return None
    return namespace["fresh_state"](namespace["m"].state_dict(), case.spec["seed"])


def run(case: Case, lib, state: dict | None) -> Outcome:
    outcome = Outcome()
    namespace = {"T": lib, "nn": lib.nn, "np": np, "state": state or {}}
    exec(PRELUDE, namespace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for stage, code in case.stages():
            try:
                exec(code, namespace)
            except Exception as error:  # noqa: BLE001 - refusals are what is compared
                outcome.stage, outcome.error = stage, error
                return outcome
    for value in _flat(namespace["outs"]):
        outcome.outs.append(None if value is None else (tuple(value.shape), _dtype(value), _array(value)))
    for name, _, kind in case.inputs:
        if kind == "x":
            outcome.grads[name] = _array(namespace[name].grad)
    model = namespace["m"]
    outcome.param_grads = {name: _array(p.grad) for name, p in model.named_parameters()}
    outcome.state = {name: np.array(value) for name, value in model.state_dict().items()}
    return outcome


def _describe(error) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0][:160] if str(error) else ''}"


def _close(a, b, tolerance) -> str | None:
    if a is None or b is None:
        if a is None and b is None:
            return None
        present = a if b is None else b
        if present is not None and present.dtype.kind == "f" and not present.any():
            return None  # no gradient and a gradient of zeros agree
        return f"PyTorch {'None' if a is None else 'an array'}, deltaprop {'None' if b is None else 'an array'}"
    if a.shape != b.shape:
        return f"shape {a.shape} vs {b.shape}"
    if a.dtype.kind in "biu" or b.dtype.kind in "biu":
        if not np.array_equal(a, b):
            bad = a != b
            return f"{int(bad.sum())} of {a.size} differ; PyTorch {a[bad][:4].tolist()}, deltaprop {b[bad][:4].tolist()}"
        return None
    rtol, atol = tolerance
    finite = np.abs(a[np.isfinite(a)])
    atol *= max(1.0, float(finite.max()) if finite.size else 1.0)  # on the array's scale: sums that cancel
    if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
        bad = ~np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
        return (f"{int(bad.sum())} of {a.size} differ; PyTorch {a[bad].ravel()[:4].tolist()}, "
                f"deltaprop {b[bad].ravel()[:4].tolist()}")
    return None


def documented(case: Case, theirs: Outcome, ours: Outcome, problems=()) -> bool:
    """Whether the difference is one docs/porting.md writes down."""
    if "masked rows" in case.notes and theirs.stage is None and ours.stage is None:
        # porting.md, Layers: in MultiheadAttention a query that may attend to no key gets zeros
        # (PyTorch's module gives NaN there)
        if any(t is not None and np.isnan(t[2]).any() for t in theirs.outs):
            return True
    if "nearest keeps length" in case.notes or "resampling edge" in case.notes:
        return True  # porting.md, interpolate: a scale factor that keeps an axis's length copies it
    if ours.stage is not None and "include_last_offset" in str(ours.error):
        return True  # porting.md: EmbeddingBag's include_last_offset asks for a last offset of len(input)
    spec = case.spec
    if (spec["family"] == "embedding" and spec.get("bag") and spec["scale_grad_by_freq"] and problems
            and all(kind == "parameter grad" and detail.startswith("weight:") for kind, detail in problems)):
        # porting.md: EmbeddingBag's scale_grad_by_freq divides by each row's own count, where
        # PyTorch 2.13's CPU kernel divides some rows by another index's (its issue #190063)
        return True
    if (spec.get("kind") == "lp" and spec["d"] == 1 and isinstance(spec["kernel_size"], tuple)
            and theirs.stage == "call" and "must be Tensor, not tuple" in str(theirs.error)):
        return True  # porting.md: PyTorch 2.13's LPPool1d fails on a kernel size given as a tuple
    if (spec["family"] == "activation" and spec["layer"].startswith(("nn.Dropout2d", "nn.Dropout3d"))
            and ours.stage == "call" and len(spec["shape"]) - int(spec["layer"][10]) not in (1, 2)):
        return True  # porting.md: Dropout2d/3d refuse the ranks PyTorch still takes with a warning
    if (spec.get("kind") in ("group", "batch") and not spec["affine"] and theirs.stage is None
            and (spec["kind"] == "group" or not spec["track_running_stats"]) and ours.stage == "call"
            and "expected input of shape" in str(ours.error)):
        # porting.md: GroupNorm and the batch norms check the channels without weights or statistics too
        return True
    if spec.get("kind") == "max" and theirs.stage is None and any(
            o is not None and np.isneginf(o[2]).any() for o in theirs.outs):
        return True  # porting.md: a max-pool window wholly in the padding (PyTorch writes out of its plane)
    if (spec.get("kind") == "mha" and spec["is_causal"] and (spec["add_zero_attn"] or spec["add_bias_kv"])
            and not spec["need_weights"] and not spec["key_padding_mask"]):
        return True  # porting.md: is_causal with an added key (PyTorch's causal hint hides it)
    if (spec["family"] == "attention" and spec["is_causal"] and theirs.stage is None and ours.stage == "call"
            and "attn_mask must have shape" in str(ours.error)):
        return True  # porting.md: PyTorch's causal hint replaces a mask it then never checks
    if (spec.get("kind") == "fractional" and spec["d"] == 3 and ours.stage is None
            and "too large relative to input" in str(theirs.error)):
        return True  # porting.md: FractionalMaxPool3d takes an output that leaves no slack
    if (spec.get("kind") == "stack" and spec["nested"] and spec["key_padding_mask"] and theirs.stage is None
            and ours.stage is None and theirs.outs and theirs.outs[0] is not None
            and (theirs.outs[0][2] == 0).all(axis=-1).any()):
        return True  # porting.md: TransformerEncoder's nested-tensor path gives zeros at padded positions
    if ours.stage == "build" and theirs.stage is None and "output_padding must be smaller" in str(ours.error):
        return True  # porting.md: ConvTranspose refuses such an output_padding when built
    if ours.stage is not None and "lengths for a batch of" in str(ours.error):
        return True  # porting.md: pack_padded_sequence refuses a count of lengths other than the batch's
    if ours.stage is not None and "wraps around once at most" in str(ours.error):
        return True  # porting.md: circular padding that crops a side and pads beyond what is left
    if (spec["family"] == "conv" and spec["transpose"] and theirs.stage is None and ours.stage == "call"
            and "output of size" in str(ours.error) and any(0 in o[0] for o in theirs.outs if o)):
        return True  # porting.md: a transposed convolution's output of size 0 is refused (float32 here)
    return False


def compare(case: Case, lib) -> tuple[str, list]:
    """('agree' | 'both refused' | 'documented' | 'mismatch', [(kind, detail), ...])."""
    import torch

    if "not run" in case.notes:
        # porting.md: a max-pool window wholly in the padding; PyTorch's backward writes outside
        # the plane there and can corrupt its heap, so neither library runs the case
        return "documented", []
    state = torch_state(case)
    theirs = run(case, torch, state)
    ours = run(case, lib, state)
    if theirs.stage is not None or ours.stage is not None:
        if theirs.stage is not None and ours.stage is not None:
            # (not always at the same stage: deltaprop checks some options when the layer is
            # built, where PyTorch checks them at the call)
            return "both refused", []
        if documented(case, theirs, ours):
            return "documented", []
        if ours.stage is not None:
            return "mismatch", [(f"refused by deltaprop only ({ours.stage})", _describe(ours.error))]
        return "mismatch", [(f"refused by PyTorch only ({theirs.stage})", _describe(theirs.error))]
    problems = _differences(case, theirs, ours, TOLERANCE[case.dtype])
    if problems and "float32 constant" in case.notes and not _differences(case, theirs, ours, (1e-7, 1e-10)):
        # porting.md: PyTorch 2.13's float64 hardsigmoid and celu backwards are a few 1e-8 off
        # (a constant held in float32); deltaprop's are exact
        return "documented", []
    if problems:
        if documented(case, theirs, ours, problems):
            return "documented", []
        return "mismatch", problems[:1]
    return "agree", []


def _differences(case: Case, theirs: Outcome, ours: Outcome, tolerance) -> list:
    problems = []
    if len(theirs.outs) != len(ours.outs):
        problems.append(("output count", f"PyTorch {len(theirs.outs)}, deltaprop {len(ours.outs)}"))
    for index, (mine, yours) in enumerate(zip(theirs.outs, ours.outs)):
        if mine is None or yours is None:
            if (mine is None) != (yours is None):
                problems.append(("output None", f"output {index}: PyTorch {mine and mine[:2]}, deltaprop {yours and yours[:2]}"))
        elif mine[:2] != yours[:2]:
            problems.append(("output shape or dtype", f"output {index}: PyTorch {mine[:2]}, deltaprop {yours[:2]}"))
        elif (why := _close(mine[2], yours[2], tolerance)) is not None:
            problems.append(("output value", f"output {index}: {why}"))
    for kind, mine, yours in [("input grad", theirs.grads, ours.grads),
                              ("parameter grad", theirs.param_grads, ours.param_grads),
                              ("state after", theirs.state, ours.state)]:
        for name in mine.keys() | yours.keys():
            if name not in mine or name not in yours:
                problems.append((kind, f"{name}: in {'PyTorch' if name in mine else 'deltaprop'} only"))
            elif (why := _close(mine[name], yours[name], tolerance)) is not None:
                problems.append((kind, f"{name}: {why}"))
    return problems


def shrink(case: Case, lib, kind: str, budget: int = 300) -> Case:
    """Simplify the spec one choice at a time while the same kind of mismatch remains."""
    tries = 0

    def still(spec):
        nonlocal tries
        tries += 1
        try:
            candidate = layer_cases.build(spec)
            verdict, problems = compare(candidate, lib)
        except Exception:  # noqa: BLE001 - a spec that does not build is not a smaller reproducer
            return None
        return candidate if verdict == "mismatch" and problems[0][0] == kind else None

    current, changed = case, True
    while changed and tries < budget:
        changed = False
        for spec in layer_cases.simpler_specs(current.spec):
            if tries >= budget:
                break
            smaller = still(spec)
            if smaller is not None:
                current, changed = smaller, True
                break
    return current


def reproducer(case: Case) -> str:
    """A script that runs the case under both libraries and prints where they differ."""
    def indented(code):
        return "\n".join("    " + line for line in code.splitlines())

    body = [indented(PRELUDE), indented(case.stages()[0][1]),
            f"    if T is torch:\n        state = fresh_state(m.state_dict(), {case.spec['seed']})"]
    body += [indented(code) for _, code in case.stages()[1:]]
    grads = ", ".join(f"{name!r}: {name}.grad" for name, _, kind in case.inputs if kind == "x")
    body.append(f"    results.append((tensors(outs), {{{grads}}}, {{n: p.grad for n, p in m.named_parameters()}},\n"
                f"                    {{k: np.array(v) for k, v in m.state_dict().items()}}))")
    return "\n".join([
        "import numpy as np\nimport torch\nimport deltaprop\n",
        "results = []",
        "for T in (torch, deltaprop):",
        "    nn = T.nn",
        *body,
        "def arr(v):\n    return None if v is None else np.asarray(v.detach() if hasattr(v, 'detach') else v, dtype=float)",
        "(o1, g1, p1, s1), (o2, g2, p2, s2) = results",
        "for i, (a, b) in enumerate(zip(o1, o2)):\n    print('output', i, tuple(a.shape), tuple(b.shape), "
        "np.abs(arr(a) - arr(b)).max() if a.shape == b.shape else '')",
        "for what, x, y in (('grad', g1, g2), ('param grad', p1, p2), ('state', s1, s2)):\n"
        "    for k in x:\n        a, b = arr(x[k]), arr(y.get(k))\n"
        "        print(what, k, None if a is None or b is None or a.shape != b.shape else np.abs(a - b).max())",
    ])
