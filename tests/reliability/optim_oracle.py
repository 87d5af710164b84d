"""Run one optimizer run (``optim_runs.Run``) under PyTorch and deltaprop and say where they differ.

After every event the oracle reads, in both libraries, every parameter and its ``.grad``, the
optimizer's ``state_dict()`` (each state entry of each parameter and each group's options), each
group's ``lr``, and the schedule's ``get_last_lr()``, ``last_epoch`` and the counters both
libraries keep in its ``state_dict()``; the first difference is the mismatch. An event that one
library refuses must be refused by the other (the run ends there). Tolerances (float64): rtol 1e-10,
atol 1e-12 (both libraries compute the same expressions on the same float64 numbers, and a few
steps leave them a few roundings apart: Adam's √v/√(1 − β₂ᵗ) + ε, say, is summed in one order in
both, but NumPy and PyTorch may round a square root or a power in the last bit differently);
LBFGS 1e-7, since its line search and its tests of curvature and convergence branch on values a
rounding apart and each iteration solves with the last ones. A difference that docs/porting.md
writes down is counted apart.
"""

from __future__ import annotations

import contextlib
import dataclasses
import numbers
import re
import warnings

import numpy as np

from autograd_oracle import _dtype, same_mismatch
from optim_runs import Run, prelude

TIGHT, LOOSE, STATE_LBFGS = (1e-10, 1e-12), (1e-7, 1e-9), (1e-5, 1e-9)
# float32 parameters (a tenth of the runs): 7 digits, each library rounding its own constants
FLOAT32 = (1e-5, 1e-6)

# State entries one library keeps and the other not, documented in docs/porting.md ("Optimizers"):
# LBFGS' scratch list 'al' is PyTorch's alone.
_STATE_ONLY_PYTORCH = {"al"}
# A schedule's state_dict entries compared (the rest is each library's bookkeeping)
_SCHEDULE_ENTRIES = ("last_epoch", "base_lrs", "_last_lr", "_step_count", "best", "num_bad_epochs",
                     "cooldown_counter", "T_i", "T_cur", "min_lrs", "max_lrs", "base_momentums", "max_momentums")


@contextlib.contextmanager
def _float64(lib):
    before = lib.get_default_dtype()
    try:
        yield
    finally:
        lib.set_default_dtype(before)


@contextlib.contextmanager
def _muon_in_full_precision(lib):
    """PyTorch's Muon with its Newton–Schulz iteration in the parameter's dtype, not bfloat16
    (porting.md: deltaprop's runs in the parameter's; the unchanged PyTorch agrees to bfloat16's
    precision, tests/reference/test_torch_optim_muon_sparse.py)."""
    if lib.__name__ != "torch":
        yield
        return
    import torch
    import torch.optim._muon as muon_module

    class KeepDtype(torch.Tensor):
        def bfloat16(self):  # the iteration's cast, made a plain copy
            return self.clone()

    iterate = muon_module._zeropower_via_newtonschulz
    muon_module._zeropower_via_newtonschulz = (
        lambda g, *args: iterate(g.as_subclass(KeepDtype), *args).as_subclass(torch.Tensor))
    try:
        yield
    finally:
        muon_module._zeropower_via_newtonschulz = iterate


def plain(value):
    """A library's value as NumPy arrays, floats, bools, strings, None, lists and dicts."""
    if value is None or isinstance(value, (bool, np.bool_, str)):
        return bool(value) if isinstance(value, np.bool_) else value
    data = getattr(value, "data", None)
    if isinstance(data, np.ndarray):  # a deltaprop tensor
        value = data
    elif hasattr(value, "detach"):  # a PyTorch tensor
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return float(value) if value.ndim == 0 else value.astype(np.float64, copy=True)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return f"<{type(value).__name__}>"


def observe(namespace: dict, run: Run) -> dict:
    """What the oracle compares, read from the values a run has made so far."""
    seen: dict = {}
    for name in run.params:
        if name in namespace:
            p = namespace[name]
            seen[f"{name}"] = plain(p)
            seen[f"{name}.grad"] = plain(p.grad)
            seen[f"{name}.dtype"] = _dtype(p)
    opt = namespace.get("opt")
    if opt is not None:
        saved = opt.state_dict()
        for i, entry in saved["state"].items():
            for key, value in entry.items():
                if key not in _STATE_ONLY_PYTORCH:
                    seen[f"state[{int(i)}][{key!r}]"] = plain(value)
                    if getattr(value, "ndim", 0) >= 1:
                        seen[f"state[{int(i)}][{key!r}].dtype"] = _dtype(value)
            seen[f"state[{int(i)}] entries"] = sorted(k for k in entry if k not in _STATE_ONLY_PYTORCH)
        seen["state entries"] = sorted(int(i) for i in saved["state"])
        for g, group in enumerate(saved["param_groups"]):
            for key, value in group.items():
                seen[f"param_groups[{g}][{key!r}]"] = plain(value)
        seen["lr"] = [plain(group["lr"]) for group in opt.param_groups]
        seen["defaults"] = plain({k: v for k, v in opt.defaults.items() if k != "params"})
    sched = namespace.get("sched")
    if sched is not None:
        seen["get_last_lr()"] = plain(sched.get_last_lr())
        seen["last_epoch"] = plain(getattr(sched, "last_epoch", None))
        state = sched.state_dict()
        for key in _SCHEDULE_ENTRIES:
            if key in state:
                seen[f"sched.state_dict()[{key!r}]"] = plain(state[key])
    if "loss" in namespace and run.lbfgs:
        seen["loss"] = plain(namespace["loss"])
    if "last_lr" in namespace:
        seen["last_lr"] = plain(namespace["last_lr"])
    return seen


def torch_to_numpy(value):
    """A PyTorch state dict as a checkpoint converter makes it: every tensor a NumPy array (0-d ones
    included), dicts (MultiStepLR's Counter among them) plain dicts."""
    if isinstance(value, dict):
        return {k: torch_to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(torch_to_numpy(v) for v in value)
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy().copy()
    return value


def execute(run: Run, lib, upto: int | None = None, nudge: bool = False,
            crossed: dict | None = None) -> tuple[list, int | None, BaseException | None]:
    """Run the events (the first ``upto``); what ``observe`` saw after each, the event that raised.
    ``nudge``: the parameters are made larger by a part in 1e12 once made. ``crossed``: under
    PyTorch, filled with the optimizer's and the schedule's state dicts (as NumPy) before each
    'crossload' event; under deltaprop, the states such an event loads."""
    library = "torch" if lib.__name__ == "torch" else "deltaprop"
    namespace = {"T": lib, "np": np}
    seen = []
    events = run.events if upto is None else run.events[:upto]
    with _float64(lib), _muon_in_full_precision(lib), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(prelude(library).replace(f"import {library} as T\n", ""), namespace)
        for index, event in enumerate(events):
            text = event.text
            if event.kind == "crossload" and crossed is not None:
                if library == "torch":
                    crossed[index] = tuple(torch_to_numpy(namespace[k].state_dict()) if k in namespace else None
                                           for k in ("opt", "sched"))
                elif index in crossed:
                    namespace["PYTORCH_OPT"], namespace["PYTORCH_SCHED"] = crossed[index]
                    text = text.replace("saved = opt.state_dict()", "saved = PYTORCH_OPT").replace(
                        "saved_schedule = sched.state_dict()", "saved_schedule = PYTORCH_SCHED")
            try:
                exec(text, namespace)
            except Exception as error:  # noqa: BLE001 - refusals are what is compared
                return seen, index, error
            if nudge and event.kind == "params":
                for name in run.params:
                    namespace[name].data *= 1 + 1e-12
            seen.append(observe(namespace, run))
    return seen, None, None


def _describe(error) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0][:160] if str(error) else ''}"


def _differ(a, b, tolerance) -> str | None:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return f"PyTorch {_short(a)}, deltaprop {_short(b)}"
        if a.shape != b.shape:
            return f"shape {a.shape} vs {b.shape}"
        rtol, atol = tolerance
        if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
            bad = ~np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
            return (f"{int(bad.sum())} of {a.size} differ; PyTorch {a[bad].ravel()[:3].tolist()}, "
                    f"deltaprop {b[bad].ravel()[:3].tolist()}")
        return None
    if isinstance(a, float) and isinstance(b, float):
        rtol, atol = tolerance
        same = (a == b) or (np.isnan(a) and np.isnan(b)) or abs(a - b) <= atol + rtol * abs(a)
        return None if same else f"PyTorch {a!r}, deltaprop {b!r}"
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"PyTorch {len(a)} items, deltaprop {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            if (why := _differ(x, y, tolerance)) is not None:
                return f"item {i}: {why}"
        return None
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"keys {sorted(map(str, a))} vs {sorted(map(str, b))}"
        for k in a:
            if (why := _differ(a[k], b[k], tolerance)) is not None:
                return f"[{k!r}]: {why}"
        return None
    return None if a == b else f"PyTorch {_short(a)}, deltaprop {_short(b)}"


def _short(x) -> str:
    text = repr(x.tolist() if isinstance(x, np.ndarray) else x)
    return text if len(text) < 80 else text[:77] + "..."


def _first_difference(run: Run, theirs: list, ours: list):
    """(event index, key, why) of the first entry that differs, or None."""
    tolerance = LOOSE if run.lbfgs else FLOAT32 if run.float32 else TIGHT
    for index, (mine, yours) in enumerate(zip(theirs, ours)):
        for key in sorted(set(mine) | set(yours)):
            if key not in mine or key not in yours:
                who = "PyTorch" if key in mine else "deltaprop"
                return index, key, f"only in {who}: {_short((mine | yours)[key])}"
            # LBFGS' state (y, s, ρ = 1/(y·s), H_diag = y·s/y·y, the direction) is made of differences
            # of nearly equal gradients and points near the minimum, which carry the libraries'
            # roundings magnified: their relative precision is the parameters' times the condition
            # number of the problem. So is the gradient itself near the minimum (A·p − b for the
            # quadratic: terms of the parameters' size that nearly cancel).
            near_minimum = key.startswith("state[") or key.endswith(".grad")
            within = STATE_LBFGS if run.lbfgs and near_minimum else tolerance
            if (why := _differ(mine[key], yours[key], within)) is not None:
                return index, key, why
    return None


def compare(run: Run, lib) -> tuple[str, list]:
    """('agree' | 'both refused' | 'documented' | 'unstable' | 'mismatch', [(kind, detail), ...])."""
    import torch

    crossed: dict = {}
    theirs, their_step, their_error = execute(run, torch, crossed=crossed)
    ours, our_step, our_error = execute(run, lib, crossed=crossed)
    if (found := _first_difference(run, theirs, ours)) is not None:
        index, key, why = found
        mine, yours = theirs[index], ours[index]
        if key not in mine or key not in yours:
            if (documented := _documented_entry(run, key, mine, yours)) is not None:
                return documented
            where = "PyTorch" if key in mine else "deltaprop"
            return "mismatch", [(f"{_family(key)} only in {where}",
                                 f"after event {index} ({run.events[index].kind}): {key} {why}")]
        if (documented := _documented_value(run, key, mine, yours)) is not None:
            return documented
        if run.lbfgs:
            # An L-BFGS run can be chaotic (a line search's tests on the edge, a history of one pair
            # whose errors grow tenfold an iteration, a loss without a minimum): if PyTorch's own
            # run, its parameters moved by a part in 1e12 at the start (a hundred roundings),
            # parts from it as early, the run compares nothing
            nudged, _, _ = execute(run, torch, nudge=True)
            again = _first_difference(run, theirs[:index + 1], nudged[:index + 1])
            if again is not None:
                return "unstable", [("unstable", f"after event {again[0]}: {again[1]}: {again[2]}")]
        if run.float32 and _as_accurate(run, index, key, mine[key], yours[key]):
            return "float32 rounding", [("float32 rounding", f"after event {index}: {key}: {why}")]
        return "mismatch", [(_family(key), f"after event {index} ({run.events[index].kind}): {key}: {why}")]
    if their_error is not None or our_error is not None:
        if their_step == our_step:
            return "both refused", [("", _describe(our_error))]
        ours_first = our_error is not None and (their_error is None or our_step < their_step)
        if (documented := _documented_refusal(run, their_error, our_error, ours_first)) is not None:
            return documented
        if our_error is not None and (their_error is None or our_step < their_step):
            event = run.events[our_step]
            return "mismatch", [(f"refused by deltaprop only ({event.kind})",
                                 f"event {our_step}: {_describe(our_error)}")]
        event = run.events[their_step]
        return "mismatch", [(f"refused by PyTorch only ({event.kind})", f"event {their_step}: {_describe(their_error)}")]
    return "agree", []


def _as_accurate(run: Run, index: int, key: str, theirs, ours) -> bool:
    """Whether deltaprop's float32 value is as near the float64 run's (the same run with float64
    parameters, under PyTorch) as PyTorch's float32 value is, give or take a factor of 4: a step
    that cancels large intermediate values (a big gradient's step undone, a centred variance of
    nearly constant gradients) leaves each library its own rounding, many times float32's
    resolution of the small result."""
    import torch

    if not isinstance(theirs, (np.ndarray, float)) or not isinstance(ours, (np.ndarray, float)):
        return False
    wide = dataclasses.replace(run, float32=False, events=[
        dataclasses.replace(e, text=e.text.replace("T.float32", "T.float64")) for e in run.events])
    seen, step, _ = execute(wide, torch, upto=index + 1)
    if step is not None or len(seen) <= index or key not in seen[index]:
        return False
    exact = np.asarray(seen[index][key], dtype=np.float64)
    their_error = np.max(np.abs(np.asarray(theirs) - exact))
    our_error = np.max(np.abs(np.asarray(ours) - exact))
    return bool(our_error <= 4 * their_error + FLOAT32[1])


def _family(key: str) -> str:
    """The kind of a compared entry, for grouping mismatches (the parameter or index taken out)."""
    if key.startswith("state["):
        return "state " + key.split("]", 1)[1]
    if key.startswith("param_groups["):
        return "group option " + key.split("]", 1)[1]
    if key.startswith("p") and key[1:2].isdigit() or key.startswith("spare"):
        return "parameter .grad" if key.endswith(".grad") else "parameter"
    return key


def _documented_entry(run: Run, key: str, mine: dict, yours: dict):
    return None


def _documented_value(run: Run, key: str, mine: dict, yours: dict):
    lr_entry = key in ("lr", "get_last_lr()", "last_lr") or key.endswith(("['lr']", "['initial_lr']", "['_last_lr']",
                                                                             "['base_lrs']"))
    if key == "defaults":  # (the constructor's options: only their lr may differ so)
        lr_entry = _differ({k: v for k, v in mine[key].items() if k != "lr"},
                           {k: v for k, v in yours[key].items() if k != "lr"}, TIGHT) is None
    if any(re.search(r"lr'?\s*[=:]\s*T\.tensor\(", e.text) for e in run.events) and lr_entry:
        # porting.md (Optimizers): a learning rate given as a tensor is kept as its float in each
        # group; PyTorch keeps the one tensor, which its defaults, every group given the
        # constructor's rate, and a group's initial_lr after SequentialLR, come to share, so that
        # a schedule that sets one rate in place sets them all
        return "documented", [("one lr tensor shared", key)]
    starts = {v for k, v in mine.items() if k.endswith("['initial_accumulator_value']")}
    starts.add(mine.get("defaults", {}).get("initial_accumulator_value"))
    if run.optimizer_name() == "Adagrad" and len(starts) > 1:
        # porting.md (Optimizers): Adagrad starts a group's accumulator at the group's own
        # initial_accumulator_value, PyTorch at the constructor's (its defaults')
        return "documented", [("Adagrad group initial_accumulator_value", key)]
    return None


def _documented_refusal(run: Run, theirs, ours, ours_first: bool):
    """A refusal at another event, or by one library only, that docs/porting.md writes down."""
    added = any(e.kind == "add_group" for e in run.events)
    if ours is not None and ("no initial rate for a group added since" in str(ours) or (
            added and "load_state_dict" in str(ours) and "values, the optimizer has" in str(ours))):
        # porting.md (Optimizers): a schedule that needs each group's initial rate refuses to step
        # over a group added after it was made; PyTorch's go on (leaving the group's rate alone, or
        # failing steps later where they read base_lrs)
        return "documented", [("schedule over an added group", _describe(ours))]
    if ours_first and re.search(r"\((loaded )?parameter group \d+\)$", str(ours)):
        # porting.md (Optimizers): every group's options are checked, PyTorch checks the constructor's
        return "documented", [("a group's option checked", _describe(ours))]
    changed = any(e.kind == "set_option" for e in run.events)
    if changed and isinstance(theirs, KeyError) and "max_exp_avg_sq" in str(theirs):
        # porting.md (Optimizers): amsgrad switched on by hand mid-run starts its maximum at the
        # current second moment; PyTorch's step fails (KeyError)
        return "documented", [("amsgrad switched on mid-run", _describe(theirs))]
    if changed and ours is not None and "load_state_dict" in str(ours) and "lacks the array" in str(ours) and (
            theirs is None or isinstance(theirs, KeyError)):
        # porting.md (Optimizers): a loaded state that lacks what a step of its options reads (a
        # momentum switched on by hand since it was made) is refused at the load, PyTorch's at the step
        return "documented", [("a state lacking an entry refused at the load", _describe(ours))]
    if ours is not None and "Muon updates matrices (2-d) only" in str(ours):
        # porting.md (Optimizers): Muon refuses a parameter that is not a matrix when it is given
        # one (add_param_group included), PyTorch's add_param_group at the step
        return "documented", [("Muon's matrices checked early", _describe(ours))]
    if ours is not None and "line_search_fn must be one of" in str(ours) and (
            theirs is None or "only 'strong_wolfe' is supported" in str(theirs)):
        # porting.md (Optimizers): LBFGS refuses an unknown line_search_fn when it is made, PyTorch
        # at the first step
        return "documented", [("LBFGS line_search_fn refused early", _describe(ours))]
    return None


def shrink(run: Run, lib, kind: str) -> Run:
    """Drop events, then keyword arguments, one at a time while the same kind of mismatch remains."""
    from optim_runs import Event, without_keyword

    def still(candidate):
        return same_mismatch(compare, candidate, lib, kind)

    current = run
    changed = True
    while changed:
        changed = False
        for index in reversed(range(len(current.events))):
            candidate = dataclasses.replace(current, events=current.events[:index] + current.events[index + 1:])
            if still(candidate):
                current, changed = candidate, True
        for index in range(len(current.events)):
            for text in without_keyword(current.events[index].text):
                events = list(current.events)
                events[index] = Event(events[index].kind, text)
                candidate = dataclasses.replace(current, events=events)
                if still(candidate):
                    current, changed = candidate, True
                    break
    return current


def reproducer(run: Run) -> str:
    """The run as a script for PyTorch (for deltaprop: import deltaprop as T, and G gives an array)."""
    text = run.source("torch")
    if any(e.kind == "crossload" for e in run.events):
        text += ("\n# (crossload: under deltaprop, 'saved' and 'saved_schedule' are PyTorch's state dicts at that"
                 " point, every tensor made a NumPy array)")
    return text
