"""Random training runs of an optimizer (and now and then a learning-rate schedule), as text.

Shared by ``scripts/fuzz_optim.py`` (thousands of runs) and ``tests/test_fuzz_optim.py`` (a seeded
slice). A run is drawn from a seed and is a list of events, each a few lines of Python in which ``T``
names the library and ``G(values)`` makes a gradient (a float64 tensor in PyTorch, a NumPy array in
deltaprop, whose ``.grad`` is an array): the same text runs under ``torch`` and ``deltaprop`` and
prints as a reproducer. The oracle (``optim_oracle.py``) runs both and compares after every event.

An optimizer run makes 1-3 float64 parameters of small shapes (a scalar among them now and then, and
a spare one for ``add_param_group``), one or two parameter groups with their own options, builds one
of the optimizers both libraries offer with options drawn over their legal ranges (and now and then
outside them, or a parameter listed in two groups: both must refuse), maybe a schedule, then takes
1-12 steps: each sets the gradients (random, zero, None, or the last ones kept), steps the
optimizer and the schedule, and now and then zeroes the gradients, changes a group's lr by hand,
saves the optimizer's (and the schedule's) state and loads it into fresh ones, or adds a group. An
LBFGS run minimises a small quadratic or logistic loss with a closure.
"""

from __future__ import annotations

import ast
import random
import re
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Event:
    kind: str  # what drew it: 'params', 'optimizer', 'scheduler', 'grad', 'step', 'sched_step', ...
    text: str  # Python statements (``T`` the library, ``G`` a gradient's maker)


@dataclass
class Run:
    events: list = field(default_factory=list)
    lbfgs: bool = False
    float32: bool = False  # the parameters' dtype (else float64)
    params: list = field(default_factory=list)  # the parameters' names, observed after every event

    def source(self, library: str = "torch") -> str:
        return "\n".join([prelude(library).rstrip()] + [e.text for e in self.events])

    def optimizer_name(self) -> str:
        for e in self.events:
            if e.kind == "optimizer":
                return e.text.split("T.optim.", 1)[1].split("(", 1)[0]
        return "?"

    def scheduler_name(self) -> str | None:
        names = [re.findall(r"\.(\w+)\(", e.text)[-1] for e in self.events if e.kind == "scheduler"]
        return names[0] if names else None


def prelude(library: str) -> str:
    grad = ("T.tensor(np.array(values), dtype=dtype)" if library == "torch"
            else "np.array(values, dtype=dtype)")
    return (f"import io\nimport numpy as np\nimport {library} as T\n"
            "T.set_default_dtype(T.float64)  # PyTorch keeps step counts and NAdam's, ASGD's numbers in it\n"
            f"def G(values, dtype=T.float64):\n    return {grad}\n")


class Lit(str):
    """Option text written as it is (``T.tensor(0.01)``), not as a repr."""

    def __repr__(self) -> str:
        return str(self)


def call_text(function: str, first: str, options: dict) -> str:
    args = [first] + [f"{k}={v!r}" for k, v in options.items()]
    return f"{function}({', '.join(args)})"


def array_text(a: np.ndarray) -> str:
    return repr(a.tolist()) if a.ndim else repr(float(a))


# -- the optimizers' options: (legal draw, illegal draws PyTorch refuses) -------------------------------------

def _common(d, o, decay=True, maximize=True):
    if decay and d.chance(0.3):
        # (not 0.1 or 0.01: with gradients of three decimals, g + λθ is then exactly 0 now and
        # then, its rounding a matter of whether the library fuses the multiply-add, and Adagrad's
        # or Adam's g/(|g| + ε) makes that rounding a step of 1e-10)
        o["weight_decay"] = d.pick([0.0137, 0.113, 0.5])
    if maximize and d.chance(0.2):
        o["maximize"] = True
    return o


def _sgd(d):
    o = {"lr": d.pick([0.001, 0.01, 0.1, 0.5])}
    if d.chance(0.6):
        o["momentum"] = d.pick([0.5, 0.9, 0.99])
        if d.chance(0.3):
            o["dampening"] = d.pick([0.1, 0.5, 1.0])
        elif d.chance(0.5):
            o["nesterov"] = True
    return _common(d, o)


def _betas(d, low2=0.9):
    return (d.pick([0.0, 0.5, 0.9, 0.95]), d.pick([low2, 0.99, 0.999]))


def _adam(d):
    o = {"lr": d.pick([0.001, 0.01, 0.1]), "betas": _betas(d)}
    if d.chance(0.3):
        o["eps"] = d.pick([1e-3, 0.1, 0.0])
    if d.chance(0.3):
        o["amsgrad"] = True
    if d.chance(0.1):
        o["lr"] = Lit(f"T.tensor({d.pick([0.01, 0.05])})")
    return _common(d, o)


def _nadam(d):
    o = {"lr": d.pick([0.002, 0.01, 0.1]), "betas": _betas(d)}
    if d.chance(0.4):
        o["momentum_decay"] = d.pick([0.0, 0.004, 0.1, 1.0])
    if d.chance(0.3):
        o["decoupled_weight_decay"] = True
    return _common(d, o)


def _radam(d):
    o = {"lr": d.pick([0.001, 0.01, 0.1]), "betas": _betas(d, low2=0.5)}
    if d.chance(0.3):
        o["decoupled_weight_decay"] = True
    if d.chance(0.2):
        o["eps"] = d.pick([1e-3, 0.1])
    return _common(d, o)


def _adamax(d):
    o = {"lr": d.pick([0.002, 0.01, 0.1]), "betas": _betas(d)}
    if d.chance(0.2):
        o["eps"] = d.pick([1e-3, 0.1])
    return _common(d, o)


def _adagrad(d):
    o = {"lr": d.pick([0.01, 0.1, 0.5])}
    if d.chance(0.4):
        o["lr_decay"] = d.pick([0.01, 0.5])
    if d.chance(0.4):
        o["initial_accumulator_value"] = d.pick([0.1, 1.0])
    if d.chance(0.2):
        o["eps"] = d.pick([1e-3, 0.1])
    return _common(d, o)


def _adadelta(d):
    o = {"lr": d.pick([1.0, 0.5, 0.1])}
    if d.chance(0.5):
        o["rho"] = d.pick([0.0, 0.5, 0.9, 0.99, 1.0])
    if d.chance(0.3):
        o["eps"] = d.pick([1e-3, 0.1])
    return _common(d, o)


def _rmsprop(d):
    o = {"lr": d.pick([0.001, 0.01, 0.1])}
    if d.chance(0.5):
        o["alpha"] = d.pick([0.1, 0.5, 0.9, 0.99])
    if d.chance(0.4):
        o["momentum"] = d.pick([0.5, 0.9])
    if d.chance(0.4):
        # (not alpha 0: centered, it takes the root of g² − g·g, 0 here and a rounding below it,
        # NaN, in PyTorch, whose g² comes out of an addcmul: a degenerate point, not drawn)
        o["centered"] = True
    if d.chance(0.2):
        o["eps"] = d.pick([1e-3, 0.1])
    return _common(d, o)


def _rprop(d):
    o = {"lr": d.pick([0.001, 0.01, 0.1])}
    if d.chance(0.4):
        o["etas"] = d.pick([(0.5, 1.2), (0.3, 1.5), (0.9, 1.1)])
    if d.chance(0.4):
        o["step_sizes"] = d.pick([(1e-6, 50.0), (0.001, 0.05), (0.005, 0.02)])
    return _common(d, o, decay=False)


def _asgd(d):
    o = {"lr": d.pick([0.01, 0.1, 0.5])}
    if d.chance(0.5):
        o["lambd"] = d.pick([1e-4, 0.01, 0.1])
    if d.chance(0.5):
        o["alpha"] = d.pick([0.5, 0.75, 1.0])
    if d.chance(0.5):
        o["t0"] = d.pick([0.0, 2.0, 5.0])
    return _common(d, o)


def _adafactor(d):
    o = {"lr": d.pick([0.01, 0.1, 0.5])}
    if d.chance(0.4):
        o["beta2_decay"] = d.pick([-0.8, -0.5, -1.0, 0.0])
    if d.chance(0.3):
        o["eps"] = d.pick([(None, 1e-3), (1e-30, 1e-3), (1e-3, 0.01)])
    if d.chance(0.3):
        o["d"] = d.pick([1.0, 2.0, 1.5])
    return _common(d, o)


def _muon(d):
    o = {"lr": d.pick([0.001, 0.02, 0.1])}
    if d.chance(0.4):
        o["momentum"] = d.pick([0.0, 0.5, 0.9])
    if d.chance(0.3):
        o["nesterov"] = False
    if d.chance(0.3):
        o["adjust_lr_fn"] = d.pick(["original", "match_rms_adamw"])
    if d.chance(0.2):
        o["ns_steps"], o["eps"] = d.pick([1, 3, 6]), d.pick([1e-7, 1e-3])
    if d.chance(0.5):
        o["weight_decay"] = d.pick([0.0, 0.01, 0.5])
    return o


# (option, value): values PyTorch's constructors refuse
_BAD_LR = [("lr", -0.01)]
_BAD_DECAY = [("weight_decay", -0.1)]
_BAD_BETAS = [("betas", (1.0, 0.999)), ("betas", (0.9, 1.0)), ("betas", (-0.1, 0.99)), ("betas", (0.9, 1.5))]
_BAD_EPS = [("eps", -1e-8)]

OPTIMIZERS = {
    "SGD": (_sgd, _BAD_LR + _BAD_DECAY + [("momentum", -0.5), ("nesterov", True)]),
    "Adam": (_adam, _BAD_LR + _BAD_DECAY + _BAD_BETAS + _BAD_EPS),
    "AdamW": (_adam, _BAD_LR + _BAD_DECAY + _BAD_BETAS + _BAD_EPS),
    "NAdam": (_nadam, _BAD_LR + _BAD_DECAY + _BAD_BETAS + _BAD_EPS + [("momentum_decay", -0.1)]),
    "RAdam": (_radam, _BAD_LR + _BAD_DECAY + _BAD_BETAS + _BAD_EPS),
    "Adamax": (_adamax, _BAD_LR + _BAD_DECAY + _BAD_BETAS + _BAD_EPS),
    "Adagrad": (_adagrad, _BAD_LR + _BAD_DECAY + _BAD_EPS + [("lr_decay", -0.1), ("initial_accumulator_value", -1.0)]),
    "Adadelta": (_adadelta, _BAD_LR + _BAD_DECAY + _BAD_EPS + [("rho", 1.5), ("rho", -0.1)]),
    "RMSprop": (_rmsprop, _BAD_LR + _BAD_DECAY + _BAD_EPS + [("alpha", -0.1), ("momentum", -0.5)]),
    "Rprop": (_rprop, _BAD_LR + [("etas", (1.2, 0.5)), ("etas", (0.5, 0.9)), ("etas", (1.5, 2.0))]),
    "ASGD": (_asgd, _BAD_LR + _BAD_DECAY),
    "Adafactor": (_adafactor, _BAD_LR + _BAD_DECAY + [("beta2_decay", 0.5), ("eps", (-1.0, 1e-3)), ("eps", (None, -1.0)), ("d", 0.5)]),
    # (the oracle runs PyTorch's Newton–Schulz iteration in float64 for it, not bfloat16: porting.md)
    "Muon": (_muon, _BAD_LR + _BAD_DECAY + [("momentum", -0.5), ("adjust_lr_fn", "sqrt")]),
}

# Options a second parameter group may set for itself
_GROUP_OPTIONS = {
    "SGD": ["lr", "momentum", "weight_decay", "dampening"],
    "Adam": ["lr", "betas", "eps", "weight_decay", "amsgrad"],
    "AdamW": ["lr", "betas", "eps", "weight_decay", "amsgrad"],
    "NAdam": ["lr", "betas", "momentum_decay", "weight_decay"],
    "RAdam": ["lr", "betas", "weight_decay"],
    "Adamax": ["lr", "betas", "weight_decay"],
    "Adagrad": ["lr", "lr_decay", "weight_decay", "initial_accumulator_value"],
    "Adadelta": ["lr", "rho", "weight_decay"],
    "RMSprop": ["lr", "alpha", "momentum", "centered", "weight_decay"],
    "Rprop": ["lr", "etas", "step_sizes"],
    "ASGD": ["lr", "lambd", "alpha", "t0"],
    "Adafactor": ["lr", "beta2_decay", "d", "weight_decay"],
    "Muon": ["lr", "momentum", "nesterov", "weight_decay", "adjust_lr_fn"],
}

_SHAPES = [(), (3,), (2, 3), (1,), (2, 2, 2), (4, 1), (1, 3), (5,)]
_MATRICES = [(2, 3), (4, 1), (1, 3), (3, 3), (5, 2)]  # (Muon's; a vector now and then, which both refuse)

_LAMBDAS = ["lambda e: 0.9 ** e", "lambda e: 1.0 / (e + 1)", "lambda e: 0.5 if e >= 2 else 1.0", "lambda e: e + 1"]
_FACTORS = ["lambda e: 0.95", "lambda e: 0.5 if e % 2 else 1.0", "lambda e: 1.0 / (e + 1)"]
_SIMPLE = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "ConstantLR", "PolynomialLR",
           "LambdaLR", "MultiplicativeLR"]


class Drawer:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.numbers = np.random.default_rng(seed)
        self.run = Run()
        self.shapes: dict[str, tuple] = {}

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, options):
        return options[self.rng.randrange(len(options))]

    def values(self, shape, scale=1.0) -> np.ndarray:
        """Normal numbers times ``scale``, each of three or four significant digits (short to print)."""
        drawn = np.round(self.numbers.standard_normal(shape), 3) * scale
        return np.array([float(f"{v:.4g}") for v in drawn.ravel()]).reshape(drawn.shape)

    def add(self, kind, text):
        self.run.events.append(Event(kind, text))

    # -- parameters and groups --------------------------------------------------------------------------------------

    def parameters(self, count: int, spare: bool, shapes=_SHAPES):
        dtype = "float32" if self.run.float32 else "float64"
        lines = []
        names = [f"p{i}" for i in range(count)] + (["spare"] if spare else [])
        for name in names:
            shape = self.pick(shapes)
            self.shapes[name] = shape
            lines.append(f"{name} = T.tensor(np.array({array_text(self.values(shape))}), dtype=T.{dtype}, "
                         "requires_grad=True)")
        self.run.params = names
        self.add("params", "\n".join(lines))

    def options(self, name: str, bad: bool) -> dict:
        draw, refused = OPTIMIZERS[name]
        o = draw(self)
        if "lr" in o and not isinstance(o["lr"], Lit) and self.chance(0.03):
            o["lr"] = Lit(f"T.tensor({o['lr']})")  # PyTorch takes a 0-d tensor (and keeps it so)
        if bad:
            key, value = self.pick(refused)
            o[key] = value
            if name == "SGD" and key == "nesterov":  # nesterov without momentum, or with dampening
                if self.chance(0.5):
                    o.pop("momentum", None)
                else:
                    o["momentum"], o["dampening"] = 0.9, 0.5
        return o

    def groups_text(self, groups: list, group_options: list) -> str:
        if len(groups) == 1 and not group_options[0]:
            return "[" + ", ".join(groups[0]) + "]"
        parts = []
        for params, options in zip(groups, group_options):
            extra = "".join(f", {k!r}: {v!r}" for k, v in options.items())
            parts.append(f"{{'params': [{', '.join(params)}]{extra}}}")
        return "[" + ", ".join(parts) + "]"

    # -- the run ----------------------------------------------------------------------------------------------------

    def draw(self) -> Run:
        if self.chance(0.07):
            return self.draw_lbfgs()
        name = self.pick(list(OPTIMIZERS))
        self.scale = self.pick([1.0, 1.0, 1.0, 1e-3, 100.0])  # the gradients' size
        self.run.float32 = self.chance(0.1)
        count = self.rng.randint(1, 3)
        spare = self.chance(0.25)
        self.parameters(count, spare, _MATRICES + ([(3,)] if self.chance(0.1) else []) if name == "Muon" else _SHAPES)
        names = [f"p{i}" for i in range(count)]
        if count > 1 and self.chance(0.4):
            cut = self.rng.randint(1, count - 1)
            groups = [names[:cut], names[cut:]]
        else:
            groups = [names]
        if self.chance(0.04):  # a parameter in two groups: both refuse
            groups.append([self.pick(names)])
        group_options = [{} for _ in groups]
        if len(groups) > 1:
            for options in group_options[1:]:
                drawn = self.options(name, False)
                for key in self.rng.sample(_GROUP_OPTIONS[name], self.rng.randint(1, 2)):
                    if key in drawn:
                        options[key] = drawn[key]
                if name == "SGD" and options.get("dampening"):
                    options["nesterov"] = False
        bad = self.chance(0.08)
        defaults = self.options(name, bad)
        if name == "SGD" and len(groups) > 1 and defaults.get("nesterov"):
            for options in group_options[1:]:
                options.pop("dampening", None)
                if "momentum" in options:
                    options["momentum"] = 0.9
        self.name, self.groups, self.group_options = name, groups, group_options
        self.add("optimizer", f"opt = {call_text('T.optim.' + name, self.groups_text(groups, group_options), defaults)}")
        momentum = "momentum" in defaults or name in ("Adam", "AdamW", "NAdam", "RAdam", "Adamax")
        steps = self.rng.randint(1, 12)
        scheduler = self.scheduler(momentum, steps) if self.chance(0.5) else None
        self.added = False
        for _ in range(steps):
            self.gradients()
            if self.chance(0.08):
                self.add("zero_grad", f"opt.zero_grad(set_to_none={self.chance(0.5)})")
            if scheduler is not None and self.chance(0.05):
                self.scheduler_step(scheduler)  # before the optimizer's (both warn)
            self.add("step", "opt.step()")
            if scheduler is not None:
                self.scheduler_step(scheduler)
            self.extras(scheduler)
        return self.run

    def gradients(self):
        if self.chance(0.1):
            return  # the last gradients are kept
        for p in self.run.params:
            if p == "spare" and not self.added:
                continue
            r = self.rng.random()
            if r < 0.08:
                text = f"{p}.grad = None"
            elif r < 0.14:
                text = f"{p}.grad = G(np.zeros({self.shapes[p]!r}){', T.float32' if self.run.float32 else ''})"
            else:
                text = (f"{p}.grad = G({array_text(self.values(self.shapes[p], self.scale))}"
                        f"{', T.float32' if self.run.float32 else ''})")
            self.add("grad", text)

    def extras(self, scheduler):
        if self.chance(0.08):
            g = self.rng.randrange(len(self.groups))
            self.add("set_lr", f"opt.param_groups[{g}]['lr'] = {self.pick([0.001, 0.05, 0.2])}")
        elif self.chance(0.04):  # another option changed by hand, mid-run
            g = self.rng.randrange(len(self.groups))
            drawn = self.options(self.name, False)
            keys = [k for k in _GROUP_OPTIONS[self.name] if k in drawn and k != "lr"]
            if keys:
                key = self.pick(keys)
                self.add("set_option", f"opt.param_groups[{g}][{key!r}] = {drawn[key]!r}")
        if self.chance(0.1):
            new = self.options(self.name, False)
            groups = self.groups
            flat = [p for group in groups for p in group]
            if self.chance(0.08) and len(flat) > 1:  # other groups than the saved ones: both refuse
                groups = [flat] if len(groups) > 1 else [flat[:1], flat[1:]]
            text = (f"saved = opt.state_dict()\n"
                    f"opt = {call_text('T.optim.' + self.name, self.groups_text(groups, [{}] * len(groups)), new)}\n"
                    "opt.load_state_dict(saved)")
            if scheduler is not None:
                text += "\n" + self.scheduler_reload(scheduler)
            # now and then deltaprop loads PyTorch's state dicts instead of its own (a checkpoint
            # ported with its tensors made NumPy arrays), which porting.md says it reads; now and
            # then the state goes through a file (T.save, T.load: safetensors and JSON here)
            kind = "crossload" if self.chance(0.4) else "reload"
            if kind == "reload" and self.chance(0.3):
                text = text.replace("saved = opt.state_dict()\n", "saved = opt.state_dict()\nfile = io.BytesIO()\n"
                                    "T.save(saved, file)\nfile.seek(0)\nsaved = T.load(file)\n")
            self.add(kind, text)
        elif scheduler is not None and self.chance(0.08):
            self.add("crossload" if self.chance(0.3) else "sched_reload", self.scheduler_reload(scheduler))
        if not self.added and "spare" in self.run.params and self.chance(0.15):
            self.added = True
            options = {k: v for k, v in self.options(self.name, False).items()
                       if k in _GROUP_OPTIONS[self.name] and self.chance(0.5)}
            if self.name == "SGD":
                options.pop("dampening", None)
            param = "spare" if self.chance(0.9) else self.pick(self.groups[0])  # one already held: both refuse
            self.groups.append([param])
            extra = "".join(f", {k!r}: {v!r}" for k, v in options.items())
            self.add("add_group", f"opt.add_param_group({{'params': [{param}]{extra}}})")

    # -- schedules --------------------------------------------------------------------------------------------------

    def simple_scheduler(self, kind: str, steps: int, bad: bool) -> str:
        groups = len(self.groups)
        o: dict = {}
        if kind == "StepLR":
            o = {"step_size": self.pick([1, 2, 3]), "gamma": self.pick([0.1, 0.5, 0.9])}
        elif kind == "MultiStepLR":
            o = {"milestones": sorted(self.rng.sample(range(1, 10), self.rng.randint(1, 3))),
                 "gamma": self.pick([0.1, 0.5])}
        elif kind == "ExponentialLR":
            o = {"gamma": self.pick([0.5, 0.9, 0.99])}
        elif kind == "CosineAnnealingLR":
            o = {"T_max": self.pick([1, 2, 3, 5, 10])}
            if self.chance(0.4):
                o["eta_min"] = self.pick([0.001, 0.0001])
        elif kind == "LinearLR":
            o = {"start_factor": self.pick([0.1, 0.25, 0.5, 1.0]), "end_factor": self.pick([1.0, 0.5, 0.1]),
                 "total_iters": self.pick([1, 2, 4, 6])}
            if bad:
                o[self.pick(["start_factor", "end_factor"])] = self.pick([1.5, -0.5])
                if self.chance(0.5):
                    o["start_factor"] = 0.0
        elif kind == "ConstantLR":
            o = {"factor": self.pick([0.1, 0.5, 1.0]), "total_iters": self.pick([0, 1, 3, 5])}
            if bad:
                o["factor"] = self.pick([1.5, -0.1])
        elif kind == "PolynomialLR":
            o = {"total_iters": self.pick([1, 3, 5, 8]), "power": self.pick([1.0, 2.0, 0.5])}
        elif kind == "LambdaLR":
            lam = self.pick(_LAMBDAS)
            o = {"lr_lambda": Lit(lam if groups == 1 or self.chance(0.5)
                                  else "[" + ", ".join(self.pick(_LAMBDAS) for _ in range(groups)) + "]")}
        elif kind == "MultiplicativeLR":
            o = {"lr_lambda": Lit(self.pick(_FACTORS))}
        elif kind == "CosineAnnealingWarmRestarts":  # (inside SequentialLR: a warm-up, then restarts)
            o = {"T_0": self.pick([1, 2, 3]), "T_mult": self.pick([1, 2])}
        return call_text("T.optim.lr_scheduler." + kind, "opt", o)

    def scheduler(self, momentum: bool, steps: int) -> str:
        bad = self.chance(0.06)
        kind = self.pick(_SIMPLE + ["CosineAnnealingWarmRestarts", "OneCycleLR", "CyclicLR", "SequentialLR",
                                    "ChainedScheduler", "ReduceLROnPlateau", "ReduceLROnPlateau", "SWALR"])
        groups = len(self.groups)
        self.plateau = kind == "ReduceLROnPlateau"
        if kind in _SIMPLE:
            text = "sched = " + self.simple_scheduler(kind, steps, bad)
        elif kind == "SWALR":  # (torch.optim.swa_utils': the rate annealed to swa_lr, then kept)
            o = {"swa_lr": self.pick([0.05, [0.05] * groups] if groups > 1 else [0.05, 0.5])}
            if self.chance(0.6):
                o["anneal_epochs"] = self.pick([0, 1, 3, 5])
            if self.chance(0.5):
                o["anneal_strategy"] = "linear"
            if bad:
                o[self.pick(["anneal_strategy", "anneal_epochs"])] = self.pick(["square", -1])
            text = "sched = " + call_text("T.optim.swa_utils.SWALR", "opt", o)
        elif kind == "CosineAnnealingWarmRestarts":
            o = {"T_0": self.pick([1, 2, 3, 5]), "T_mult": self.pick([1, 2, 3])}
            if self.chance(0.4):
                o["eta_min"] = self.pick([0.001, 0.0001])
            if bad:
                o[self.pick(["T_0", "T_mult"])] = self.pick([0, -1])
            text = "sched = " + call_text("T.optim.lr_scheduler." + kind, "opt", o)
        elif kind == "OneCycleLR":
            o = {"max_lr": self.pick([0.1, 1.0]) if groups == 1 or self.chance(0.5)
                 else [self.pick([0.1, 0.5]) for _ in range(groups)]}
            if self.chance(0.8):
                o["total_steps"] = max(1, steps + self.pick([0, 0, 2, 5, -1]))
            else:
                o["epochs"], o["steps_per_epoch"] = self.pick([1, 2, 3]), self.pick([2, 4, 5])
            if self.chance(0.5):
                o["pct_start"] = self.pick([0.25, 0.5, 0.3, 0.4])
            if self.chance(0.4):
                o["anneal_strategy"] = "linear"
            if self.chance(0.3):
                o["three_phase"] = True
            if not momentum or self.chance(0.3):
                o["cycle_momentum"] = False if not momentum or self.chance(0.8) else True
            if self.chance(0.3):
                o["div_factor"], o["final_div_factor"] = self.pick([5.0, 25.0]), self.pick([10.0, 1e4])
            if self.chance(0.3) and o.get("cycle_momentum", True):
                o["base_momentum"], o["max_momentum"] = self.pick([(0.8, 0.9), (0.5, 0.95)])
            if bad:
                key, value = self.pick([("pct_start", 1.5), ("pct_start", -0.25), ("anneal_strategy", "square"),
                                        ("total_steps", 0)])
                o[key] = value
            text = "sched = " + call_text("T.optim.lr_scheduler." + kind, "opt", o)
        elif kind == "CyclicLR":
            o = {"base_lr": self.pick([0.001, 0.01]), "max_lr": self.pick([0.1, 0.5]),
                 "step_size_up": self.pick([1, 2, 3])}
            if self.chance(0.4):
                o["step_size_down"] = self.pick([1, 2, 4])
            if self.chance(0.6):
                o["mode"] = self.pick(["triangular", "triangular2", "exp_range"])
                if o["mode"] == "exp_range":
                    o["gamma"] = self.pick([0.9, 0.99])
            if not momentum or self.chance(0.4):
                o["cycle_momentum"] = False
            elif self.chance(0.4):
                o["base_momentum"], o["max_momentum"] = self.pick([(0.8, 0.9), (0.5, 0.95)])
            if self.chance(0.15):
                o["scale_fn"] = Lit(self.pick(["lambda x: 0.5 ** x", "lambda x: 1.0 / (x + 1)"]))
                if self.chance(0.5):
                    o["scale_mode"] = "iterations"
            if bad:
                o["mode"] = "sawtooth"
                o.pop("scale_fn", None)
            text = "sched = " + call_text("T.optim.lr_scheduler." + kind, "opt", o)
        elif kind in ("SequentialLR", "ChainedScheduler"):
            count = self.rng.randint(1, 3)
            kinds = _SIMPLE + (["CosineAnnealingWarmRestarts"] if kind == "SequentialLR" else [])
            inner = [self.simple_scheduler(self.pick(kinds), steps, False) for _ in range(count)]
            lines = [f"s{i} = {t}" for i, t in enumerate(inner)]
            listed = "[" + ", ".join(f"s{i}" for i in range(count)) + "]"
            if kind == "SequentialLR":
                milestones = sorted(self.rng.sample(range(1, 8), count - 1))
                if bad:
                    milestones = milestones[::-1] + [1]
                lines.append(f"sched = T.optim.lr_scheduler.SequentialLR(opt, {listed}, milestones={milestones})")
            else:
                lines.append(f"sched = T.optim.lr_scheduler.ChainedScheduler({listed})")
            text = "\n".join(lines)
        else:
            o = {}
            if self.chance(0.5):
                o["mode"] = "max"
            o["factor"] = self.pick([0.1, 0.5])
            o["patience"] = self.pick([0, 1, 2])
            if self.chance(0.5):
                o["threshold"] = self.pick([0.0, 0.01, 0.1])
            if self.chance(0.5):
                o["threshold_mode"] = "abs"
            if self.chance(0.4):
                o["cooldown"] = self.pick([1, 2])
            if self.chance(0.4):
                o["min_lr"] = self.pick([0.001, 0.0001]) if groups == 1 or self.chance(0.5) else [0.001] * groups
            if self.chance(0.2):
                o["eps"] = self.pick([0.01, 0.001])
            if bad:
                o[self.pick(["factor", "mode", "threshold_mode"])] = self.pick([1.0, "median", 2.0])
            text = "sched = " + call_text("T.optim.lr_scheduler." + kind, "opt", o)
        self.scheduler_text = text
        self.add("scheduler", text)
        return text

    def scheduler_step(self, text):
        if self.plateau:
            metric = round(float(self.numbers.uniform(-1, 2)), 3) if self.chance(0.7) else 1.0
            self.add("sched_step", f"sched.step({metric})" if self.chance(0.8) else f"sched.step(T.tensor({metric}))")
        elif "CosineAnnealingWarmRestarts" in text and self.chance(0.3):
            # a fraction of an epoch (its documented per-batch use), or a jump
            self.add("sched_step", f"sched.step({self.pick([0.5, 1.25, 2.0, 3.5, 7.0, 0])})")
        elif "\n" not in text and self.chance(0.03):
            # the deprecated step(epoch): to the schedule's closed form there where it has one
            self.add("sched_step", f"sched.step({self.rng.randint(0, 8)})")
        else:
            self.add("sched_step", "sched.step()")
        if self.chance(0.5):
            self.add("last_lr", "last_lr = sched.get_last_lr()")

    def scheduler_reload(self, text) -> str:
        if "\n" not in text and not self.plateau and text.endswith(")") and self.chance(0.4):
            # resumed as a checkpoint is: the schedule made at the epoch it had reached
            return text[:-1] + ", last_epoch=sched.last_epoch)" if "(opt)" not in text else \
                text[:-1] + "last_epoch=sched.last_epoch)"
        return f"saved_schedule = sched.state_dict()\n{text}\nsched.load_state_dict(saved_schedule)"

    # -- LBFGS ------------------------------------------------------------------------------------------------------

    def draw_lbfgs(self) -> Run:
        run = self.run
        run.lbfgs = True
        n = self.rng.randint(2, 4)
        logistic = self.chance(0.5)
        lines = [f"p0 = T.tensor(np.array({array_text(self.values(n, 0.5))}), dtype=T.float64, requires_grad=True)"]
        names = ["p0"]
        if logistic:
            m = self.rng.randint(4, 8)
            x = self.values((m, n))
            y = np.where(self.numbers.standard_normal(m) > 0, 1.0, -1.0)
            y[:2] = [1.0, -1.0]  # both classes: with one, the bias has no minimum and L-BFGS wanders
            lines += [f"X = T.tensor(np.array({x.tolist()!r}), dtype=T.float64)",
                      f"y = T.tensor(np.array({y.tolist()!r}), dtype=T.float64)"]
            if self.chance(0.6):
                lines.append("p1 = T.tensor(np.array(0.0), dtype=T.float64, requires_grad=True)")
                names.append("p1")
            bias = " + p1" if len(names) > 1 else ""
            loss = f"T.log1p(T.exp(-y * (X @ p0{bias}))).mean() + 0.01 * (p0 * p0).sum()"
        else:
            m = self.values((n, n))
            a = m @ m.T + np.eye(n) * self.pick([0.1, 1.0])
            lines += [f"A = T.tensor(np.array({np.round(a, 4).tolist()!r}), dtype=T.float64)",
                      f"b = T.tensor(np.array({array_text(self.values(n))}), dtype=T.float64)"]
            loss = "0.5 * (p0 * (A @ p0)).sum() - (b * p0).sum()"
        run.params = names
        self.add("params", "\n".join(lines))
        # (not lr 0.1: once L-BFGS' direction is Newton's on a quadratic, the slope at t = lr is
        # (1 − lr) times the slope at 0, and 0.9 is the curvature test's c₂ exactly: which side of it
        # a trial falls on is then the last bit, and the two libraries' line searches part ways)
        o = {"lr": self.pick([1.0, 0.5, 0.25])}
        if self.chance(0.5):
            o["max_iter"] = self.pick([1, 2, 5, 20])
        if self.chance(0.4):
            o["history_size"] = self.pick([1, 2, 5])
        if self.chance(0.5):
            o["line_search_fn"] = "strong_wolfe"
        if self.chance(0.3):
            o["tolerance_grad"] = self.pick([1e-5, 1e-3])
        if self.chance(0.2):
            o["tolerance_change"] = self.pick([1e-6, 1e-3])
        if self.chance(0.2):
            o["max_eval"] = self.pick([3, 10, 30])
        if self.chance(0.05):
            o["line_search_fn"] = "armijo"  # both refuse
        made = f"opt = {call_text('T.optim.LBFGS', '[' + ', '.join(names) + ']', o)}"
        self.add("optimizer", made)
        self.add("closure", "def closure():\n    opt.zero_grad()\n"
                            f"    loss = {loss}\n    loss.backward()\n    return loss")
        for _ in range(self.rng.randint(1, 5)):
            self.add("lbfgs_step", "loss = opt.step(closure)")
            if self.chance(0.2):  # its history and direction saved and loaded into a fresh one
                self.add(self.pick(["reload", "crossload"]), f"saved = opt.state_dict()\n{made}\nopt.load_state_dict(saved)")
        return run


def draw_run(seed: int) -> Run:
    return Drawer(seed).draw()


# -- smaller runs, for shrinking ----------------------------------------------------------------------------------

def without_keyword(text: str) -> list[str]:
    """``text`` with one keyword argument of one call taken out, each way of doing so."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and node.keywords
             and not ast.unparse(node.func).startswith(("T.tensor", "np."))]
    out = []
    for c, call in enumerate(calls):
        for k in range(len(call.keywords)):
            copy = ast.parse(text)
            target = [node for node in ast.walk(copy) if isinstance(node, ast.Call) and node.keywords
                      and not ast.unparse(node.func).startswith(("T.tensor", "np."))][c]
            del target.keywords[k]
            out.append(ast.unparse(copy))
    return out
