"""Random calls of the losses and of nn.functional, each written once for PyTorch and deltaprop.

Shared by ``scripts/fuzz_functional.py`` (thousands of calls) and ``tests/test_fuzz_functional.py``
(a seeded slice). A case is drawn from a seed: a few inputs (float64 arrays that require grad, now
and then float32 ones, integer class indices, boolean masks) and one call, as Python text in which
``T`` names the library and ``F`` its ``nn.functional``; a loss is called now and then through its
layer (``T.nn.CrossEntropyLoss(weight=x2)(x0, x1)``). The same text runs under both libraries and
prints as a reproducer. The oracle that runs it lives in ``functional_oracle.py``.

Most calls are drawn to be valid; a few carry an option or a shape PyTorch refuses, which
deltaprop must refuse too. The values are small normal numbers, with the edges each function has
(0 and 1 for probabilities, a kink of an activation, a huge logit, inf or NaN where PyTorch defines
the result) put in now and then.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field

import numpy as np

from autograd_programs import PRELUDE
from autograd_programs import leaf_text as _leaf_text


def leaf_text(array: np.ndarray, grad: bool) -> str:
    """autograd_programs' leaf, with its shape kept where it has no elements (a list loses the axes
    after a 0: [[], []] is (2, 0) whatever the array's shape was)."""
    text = _leaf_text(array, grad)
    if array.size == 0:
        text = text.replace("), dtype=", f").reshape({array.shape}), dtype=", 1)
    return text


EMPTY = 0.03  # the share of cases with one axis of length 0 (scripts/fuzz_functional.py --empty)


@dataclass
class Case:
    op: str  # the function (or layer) called, for grouping mismatches
    inputs: dict  # name -> (numpy array, requires_grad)
    args: list  # positional arguments, as text
    kwargs: dict  # keyword arguments, as text
    layer: str | None = None  # a loss layer's class name: kwargs go to its constructor
    float32: bool = False  # compared with float32's tolerances
    tags: set = field(default_factory=set)  # what the oracle needs to know (documented differences)

    def call(self) -> str:
        parts = list(self.args) + [f"{k}={v}" for k, v in self.kwargs.items()]
        if self.layer is not None:
            return f"T.nn.{self.layer}({', '.join(f'{k}={v}' for k, v in self.kwargs.items())})" \
                   f"({', '.join(self.args)})"
        return f"F.{self.op}({', '.join(parts)})"

    def source(self, library: str = "torch") -> str:
        lines = [f"import numpy as np\nimport {library} as T", "F = T.nn.functional", PRELUDE.rstrip()]
        if any(not np.isfinite(a).all() for a, _ in self.inputs.values() if a.dtype.kind == "f"):
            lines.append("inf, nan = float('inf'), float('nan')")
        call = self.call()
        for name, (array, grad) in self.inputs.items():
            if re.search(rf"\b{name}\b", call):  # (an input whose option the shrinker dropped is left out)
                lines.append(f"{name} = {leaf_text(array, grad)}")
        lines.append(f"out = {call}")
        return "\n".join(lines)


def namespace_for(lib) -> dict:
    namespace = {"T": lib, "np": np, "F": lib.nn.functional, "inf": math.inf, "nan": math.nan}
    exec(PRELUDE, namespace)
    return namespace


# -- drawing -----------------------------------------------------------------------------------------------------


class Drawer:
    def __init__(self, seed: int, empty: bool = True):
        self.rng = random.Random(seed)
        self.numbers = np.random.default_rng(seed)
        self.inputs: dict = {}
        self.float32 = self.rng.random() < 0.12
        self.tags: set = set()
        self.empty = self.rng.random() < EMPTY and empty  # one axis of length 0 (an empty batch, say)

    # inputs
    def _name(self):
        return f"x{len(self.inputs)}"

    def add(self, array: np.ndarray, grad: bool | None = None, other_dtype: bool = False) -> str:
        """An input; ``other_dtype``: float64 in a float32 case and the reverse (a target of another dtype)."""
        name = self._name()
        if array.dtype.kind == "f":
            array = array.astype(np.float32 if self.float32 != other_dtype else np.float64)
            grad = True if grad is None else grad
        else:
            grad = False
        self.inputs[name] = (array, grad)
        return name

    def normal(self, shape, scale=1.0, edges=(), grad=None) -> str:
        values = np.round(self.numbers.standard_normal(tuple(shape)) * scale, 6)
        if edges and values.size and self.rng.random() < 0.3:
            flat = values.reshape(-1)
            for _ in range(self.rng.randint(1, max(1, flat.size // 3))):
                flat[self.rng.randrange(flat.size)] = self.rng.choice(list(edges))
        return self.add(values, grad)

    def uniform(self, shape, low, high, edges=(), grad=None) -> str:
        values = np.round(self.numbers.uniform(low, high, tuple(shape)), 6)
        if edges and values.size and self.rng.random() < 0.3:
            flat = values.reshape(-1)
            for _ in range(self.rng.randint(1, max(1, flat.size // 3))):
                flat[self.rng.randrange(flat.size)] = self.rng.choice(list(edges))
        return self.add(values, grad)

    def probs(self, shape, dim=-1, grad=None) -> str:
        """Rows of probabilities along ``dim`` (a softmax), some exactly one-hot now and then."""
        z = self.numbers.standard_normal(tuple(shape)) * 2
        p = np.exp(z - z.max(axis=dim, keepdims=True))
        p = np.round(p / p.sum(axis=dim, keepdims=True), 8)
        return self.add(p, grad)

    def ints(self, shape, low, high, narrow: float = 0.0) -> str:
        """Integers in [low, high), int64 (int32 or uint8 with probability ``narrow``, where they fit)."""
        dtype = np.int64
        if self.maybe(narrow):
            dtype = np.uint8 if low >= 0 and high <= 256 and self.maybe() else np.int32
        # (no class to draw from, where an axis of classes is empty: labels of 0, refused by both)
        return self.add(self.numbers.integers(low, max(high, low + 1), tuple(shape)).astype(dtype))

    def bools(self, shape) -> str:
        return self.add(self.numbers.random(tuple(shape)) < 0.5)

    def size(self, low=1, high=4):
        if self.empty and low <= 1 and self.maybe(0.5):
            self.empty = False
            return 0
        return self.rng.randint(low, high)

    def shape(self, rank_low=0, rank_high=3, low=1, high=4):
        return tuple(self.size(low, high) for _ in range(self.rng.randint(rank_low, rank_high)))

    def maybe(self, p=0.5) -> bool:
        return self.rng.random() < p

    def choice(self, options):
        return self.rng.choice(list(options))

    def reduction(self, extra=()):
        if self.maybe(0.02):
            return repr(self.choice(["avg", "Mean", "batchmean" if not extra else "elementwise_mean"]))  # refused
        return repr(self.choice(("mean", "sum", "none") + tuple(extra)))

    def integer_input(self, shape, p=0.06) -> str | None:
        """Now and then an integer input in place of a floating one (functions that take them)."""
        if self.maybe(p):
            return self.ints(shape, -5, 6, narrow=0.3)
        return None


def other_dtype(d: Drawer, name: str, p: float = 0.1) -> str:
    """Now and then, the input ``name`` (a loss's target) in the other floating dtype."""
    array, grad = d.inputs[name]
    if array.dtype.kind == "f" and d.maybe(p):
        d.inputs[name] = (array.astype(np.float64 if array.dtype == np.float32 else np.float32), grad)
        d.tags.add("mixed")
        d.float32 = True  # compared with float32's tolerances
    return name


def draw_case(seed: int) -> Case:
    drawer = Drawer(seed)
    names = list(TABLE)
    op = drawer.rng.choices(names, weights=[TABLE[n][1] for n in names])[0]
    try:
        drawn = TABLE[op][0](drawer)
    except (ValueError, ZeroDivisionError, IndexError):  # a drawing that an empty axis broke: draw without one
        drawer = Drawer(seed, empty=False)
        drawer.rng.choices(names, weights=[TABLE[n][1] for n in names])
        drawn = TABLE[op][0](drawer)
    fname, args, kwargs = drawn[:3]
    layer = drawn[3] if len(drawn) > 3 else None
    if layer is not None and not drawer.maybe(0.3):
        layer = None
    if layer is not None:  # a layer keeps its weight as a buffer: no gradient for it in either library
        for name in list(kwargs.values()):
            if name in drawer.inputs:
                array, _ = drawer.inputs[name]
                drawer.inputs[name] = (array, False)
    return Case(fname, drawer.inputs, args, kwargs, layer, drawer.float32, drawer.tags)


# -- losses ------------------------------------------------------------------------------------------------------


def _set_label(array: np.ndarray, place: int, label: int) -> None:
    """One label of a target set to ``label``, where its dtype holds it (a uint8 target holds no -100)."""
    if np.can_cast(np.min_scalar_type(label), array.dtype) or array.dtype.kind == "i" and label >= -(2 ** 31):
        array.reshape(-1)[place] = label


def _class_weight(d: Drawer, c: int, kwargs: dict):
    if d.maybe(0.35):
        kwargs["weight"] = d.uniform((c,), 0.1, 2.0, edges=(0.0,), grad=d.maybe(0.15))


def cross_entropy(d: Drawer):
    c = d.size(1, 5)
    layout = d.choice(["batch", "batch", "batch", "unbatched", "spatial"])
    lead = {"batch": (d.size(1, 5),), "unbatched": (), "spatial": (d.size(1, 3),)}[layout]
    rest = (d.size(1, 3), d.size(1, 3)) if layout == "spatial" and d.maybe() else \
        ((d.size(1, 4),) if layout == "spatial" else ())
    shape = lead + (c,) + rest
    target_shape = lead + rest
    scale = d.choice([1.0, 1.0, 3.0, 30.0])
    x = d.normal(shape, scale, edges=(0.0, 60.0, -60.0, 1e3) + ((float("-inf"),) if d.maybe(0.1) else ()))
    kwargs = {}
    if d.maybe(0.3):  # probabilities as targets
        y = d.probs(shape, dim=1 if lead else 0, grad=d.maybe(0.5))
    else:
        y = d.ints(target_shape, 0, c, narrow=0.05)
        if d.maybe(0.35):
            ignore = d.choice([0, c - 1, -100, -1, c])
            kwargs["ignore_index"] = str(ignore)
            array, _ = d.inputs[y]
            if array.size and d.maybe(0.6):
                _set_label(array, d.rng.randrange(array.size), ignore)
        elif d.maybe(0.05):  # a class out of range: refused by both
            array, _ = d.inputs[y]
            if array.size:
                _set_label(array, 0, d.choice([c, -1, c + 3]))
    other_dtype(d, y) if d.inputs[y][0].dtype.kind == "f" else None
    _class_weight(d, c, kwargs)
    if d.maybe(0.4):
        kwargs["label_smoothing"] = str(d.choice([0.0, 0.1, 0.25, 1.0, 0.5, 1.5 if d.maybe(0.1) else 0.1]))
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    return "cross_entropy", [x, y], kwargs, "CrossEntropyLoss"


def nll_loss(d: Drawer):
    c = d.size(1, 5)
    layout = d.choice(["batch", "batch", "unbatched", "spatial"])
    lead = {"batch": (d.size(1, 5),), "unbatched": (), "spatial": (d.size(1, 3),)}[layout]
    rest = tuple(d.size(1, 3) for _ in range(d.rng.randint(1, 2))) if layout == "spatial" else ()
    x = d.normal(lead + (c,) + rest, 1.5, edges=(0.0, -1e3, float("-inf")) if d.maybe(0.1) else (0.0,))
    y = d.ints(lead + rest, 0, c, narrow=0.05)
    kwargs = {}
    if d.maybe(0.35):
        ignore = d.choice([0, c - 1, -100, -1])
        kwargs["ignore_index"] = str(ignore)
        array, _ = d.inputs[y]
        if array.size and d.maybe(0.6):
            _set_label(array, d.rng.randrange(array.size), ignore)
    elif d.maybe(0.05):
        array, _ = d.inputs[y]
        if array.size:
            _set_label(array, 0, d.choice([c, -1]))
    _class_weight(d, c, kwargs)
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    return "nll_loss", [x, y], kwargs, "NLLLoss"


def binary_cross_entropy(d: Drawer):
    shape = d.shape(0, 3)
    x = d.uniform(shape, 0.02, 0.98, edges=(0.0, 1.0, 1e-12))
    y = d.uniform(shape, 0.0, 1.0, edges=(0.0, 1.0), grad=d.maybe(0.3))
    kwargs = {}
    if d.maybe(0.35):
        wshape = shape[d.rng.randint(0, len(shape)):] if d.maybe(0.5) else shape
        kwargs["weight"] = d.uniform(wshape, 0.0, 2.0, grad=d.maybe(0.2))
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    other_dtype(d, y)
    return "binary_cross_entropy", [x, y], kwargs, "BCELoss"


def binary_cross_entropy_with_logits(d: Drawer):
    shape = d.shape(0, 3)
    x = d.normal(shape, d.choice([1.0, 5.0, 40.0]), edges=(0.0, 100.0, -100.0, 1e4))
    y = d.uniform(shape, 0.0, 1.0, edges=(0.0, 1.0), grad=d.maybe(0.3))
    kwargs = {}
    if d.maybe(0.35):
        wshape = shape[d.rng.randint(0, len(shape)):] if d.maybe(0.6) else shape
        kwargs["weight"] = d.uniform(wshape, 0.0, 2.0, grad=d.maybe(0.2))
    if d.maybe(0.4):
        pshape = shape[-1:] if shape and d.maybe(0.7) else (() if d.maybe(0.5) else shape)
        kwargs["pos_weight"] = d.uniform(pshape, 0.1, 3.0, grad=d.maybe(0.3))
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    other_dtype(d, y)
    return "binary_cross_entropy_with_logits", [x, y], kwargs, "BCEWithLogitsLoss"


def regression(d: Drawer):
    which = d.choice(["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
    shape = d.shape(0, 3)
    x = d.normal(shape, edges=(0.0, 1.0, -1.0, 0.5))
    y = d.normal(shape, grad=d.maybe(0.5), edges=(0.0,))
    if d.maybe(0.25):  # same values: the kinks at 0
        d.inputs[y] = (d.inputs[x][0].copy(), d.inputs[y][1])
    kwargs = {}
    if which == "smooth_l1_loss" and d.maybe(0.7):
        kwargs["beta"] = str(d.choice([0.0, 0.5, 1.0, 2.0]))
    if which == "huber_loss" and d.maybe(0.7):
        kwargs["delta"] = str(d.choice([0.5, 1.0, 2.0, 0.1]))
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    layer = {"mse_loss": "MSELoss", "l1_loss": "L1Loss", "smooth_l1_loss": "SmoothL1Loss",
             "huber_loss": "HuberLoss"}[which]
    other_dtype(d, y)
    return which, [x, y], kwargs, layer


def kl_div(d: Drawer):
    shape = (d.size(1, 4), d.size(1, 5)) if d.maybe(0.8) else d.shape(0, 3)
    log_target = d.maybe(0.4)
    x = d.add(np.log(_softmax_rows(d, shape)))
    if log_target:
        y = d.add(np.log(_softmax_rows(d, shape)), grad=d.maybe(0.5))
    else:
        p = _softmax_rows(d, shape)
        if p.size and d.maybe(0.3):
            p.reshape(-1)[0] = 0.0  # 0 · log 0 is 0
        y = d.add(p, grad=d.maybe(0.5))
    kwargs = {"reduction": d.reduction(("batchmean",))} if d.maybe(0.85) else {}
    if log_target or d.maybe(0.3):
        kwargs["log_target"] = str(log_target)
    other_dtype(d, y)
    return "kl_div", [x, y], kwargs, "KLDivLoss"


def _softmax_rows(d: Drawer, shape):
    z = d.numbers.standard_normal(shape)
    if not shape:
        return np.ones(())
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    return np.round(p / p.sum(axis=-1, keepdims=True), 8)


def poisson_nll_loss(d: Drawer):
    shape = d.shape(0, 3)
    log_input = d.maybe(0.6)
    x = d.normal(shape) if log_input else d.uniform(shape, 0.0, 3.0, edges=(0.0,))
    y = d.add(d.numbers.poisson(2.0, shape).astype(np.float64), grad=d.maybe(0.3))
    kwargs = {}
    if not log_input or d.maybe(0.3):
        kwargs["log_input"] = str(log_input)
    if d.maybe(0.4):
        kwargs["full"] = str(d.maybe())
    if d.maybe(0.3):
        kwargs["eps"] = str(d.choice([1e-8, 0.1, 1.0]))
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    other_dtype(d, y)
    return "poisson_nll_loss", [x, y], kwargs, "PoissonNLLLoss"


def gaussian_nll_loss(d: Drawer):
    shape = (d.size(1, 4),) + d.shape(0, 2)
    x = d.normal(shape)
    y = d.normal(shape, grad=d.maybe(0.3))
    form = d.choice(["same", "last1", "drop", "scalar", "bad"])
    if form == "same" or len(shape) < 2 and form in ("last1", "drop"):
        vshape = shape
    elif form == "last1":
        vshape = shape[:-1] + (1,)
    elif form == "drop":
        vshape = shape[:-1]
    elif form == "scalar":
        vshape = ()
    else:
        vshape = shape[:-1] + (shape[-1] + 1,)
    var = d.uniform(vshape, 0.05, 2.0, edges=(0.0, 1e-9) if d.maybe(0.2) else ())
    kwargs = {}
    if d.maybe(0.4):
        kwargs["full"] = str(d.maybe())
    if d.maybe(0.3):
        kwargs["eps"] = str(d.choice([1e-6, 0.1, 0.5]))
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    other_dtype(d, y)
    other_dtype(d, var)
    return "gaussian_nll_loss", [x, y, var], kwargs, "GaussianNLLLoss"


def margin_ranking_loss(d: Drawer):
    shape = d.shape(0, 2)
    a, b = d.normal(shape), d.normal(shape)
    y = d.add(np.where(d.numbers.random(shape) < 0.5, -1.0, 1.0), grad=False)
    kwargs = {}
    if d.maybe(0.6):
        kwargs["margin"] = str(d.choice([0.0, 0.5, 1.0, -0.2]))
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    other_dtype(d, y)
    return "margin_ranking_loss", [a, b, y], kwargs, "MarginRankingLoss"


def hinge_embedding_loss(d: Drawer):
    shape = d.shape(0, 3)
    x = d.normal(shape, edges=(0.0, 1.0))
    y = d.add(np.where(d.numbers.random(shape) < 0.5, -1.0, 1.0), grad=False)
    kwargs = {}
    if d.maybe(0.6):
        kwargs["margin"] = str(d.choice([0.0, 0.5, 1.0, 2.0]))
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    other_dtype(d, y)
    return "hinge_embedding_loss", [x, y], kwargs, "HingeEmbeddingLoss"


def soft_margin_loss(d: Drawer):
    shape = d.shape(0, 3)
    x = d.normal(shape, d.choice([1.0, 50.0]))
    y = d.add(np.where(d.numbers.random(shape) < 0.5, -1.0, 1.0), grad=False)
    kwargs = {"reduction": d.reduction()} if d.maybe(0.8) else {}
    other_dtype(d, y)
    return "soft_margin_loss", [x, y], kwargs, "SoftMarginLoss"


def multilabel_margin_loss(d: Drawer):
    c = d.size(1, 5)
    lead = (d.size(1, 4),) if d.maybe(0.75) else ()
    x = d.normal(lead + (c,))
    rows = []
    for _ in range(lead[0] if lead else 1):
        k = d.rng.randint(0, c)
        labels = d.rng.sample(range(c), k) + [-1] * (c - k)
        if k < c - 1 and d.maybe(0.3):
            labels[k + 1] = d.rng.randrange(c)  # after the -1: not read
        rows.append(labels)
    y = d.add(np.array(rows if lead else rows[0], dtype=np.int64))
    kwargs = {"reduction": d.reduction()} if d.maybe(0.8) else {}
    return "multilabel_margin_loss", [x, y], kwargs, "MultiLabelMarginLoss"


def multilabel_soft_margin_loss(d: Drawer):
    n, c = d.size(1, 4), d.size(1, 5)
    x = d.normal((n, c), d.choice([1.0, 40.0]))
    y = d.add((d.numbers.random((n, c)) < 0.5).astype(np.float64), grad=d.maybe(0.2))
    kwargs = {}
    if d.maybe(0.4):
        kwargs["weight"] = d.uniform((c,) if d.maybe(0.7) else (n, c), 0.1, 2.0, grad=d.maybe(0.2))
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    other_dtype(d, y)
    return "multilabel_soft_margin_loss", [x, y], kwargs, "MultiLabelSoftMarginLoss"


def multi_margin_loss(d: Drawer):
    c = d.size(1, 5)
    lead = (d.size(1, 4),) if d.maybe(0.8) else ()
    x = d.normal(lead + (c,))
    y = d.ints(lead, 0, c)
    kwargs = {}
    if d.maybe(0.5):
        kwargs["p"] = str(d.choice([1, 2, 2, 3]))
    if d.maybe(0.5):
        kwargs["margin"] = str(d.choice([0.5, 1.0, 2.0, 0.0]))
    _class_weight(d, c, kwargs)
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    return "multi_margin_loss", [x, y], kwargs, "MultiMarginLoss"


def cosine_embedding_loss(d: Drawer):
    n, k = d.size(1, 4), d.size(1, 5)
    shape = (n, k) if d.maybe(0.8) else (k,)
    a, b = d.normal(shape), d.normal(shape)
    if d.maybe(0.1):
        d.inputs[b] = (np.zeros_like(d.inputs[b][0]), True)
    y = d.add(np.where(d.numbers.random(shape[:-1]) < 0.5, -1.0, 1.0), grad=False)
    kwargs = {}
    if d.maybe(0.6):
        kwargs["margin"] = str(d.choice([0.0, 0.3, -0.5, 0.9]))
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    return "cosine_embedding_loss", [a, b, y], kwargs, "CosineEmbeddingLoss"


def triplet_margin_loss(d: Drawer):
    n, k = d.size(1, 4), d.size(1, 5)
    shape = (n, k) if d.maybe(0.8) else (k,)
    a, p, q = d.normal(shape), d.normal(shape), d.normal(shape)
    kwargs = {}
    if d.maybe(0.5):
        kwargs["margin"] = str(d.choice([0.0, 0.5, 1.0, 3.0]))
    if d.maybe(0.5):
        kwargs["p"] = str(d.choice([1.0, 2.0, 3.0, 1.5]))
    if d.maybe(0.3):
        kwargs["eps"] = str(d.choice([1e-6, 0.0, 0.1]))
    if d.maybe(0.4):
        kwargs["swap"] = str(d.maybe())
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    return "triplet_margin_loss", [a, p, q], kwargs, "TripletMarginLoss"


def triplet_margin_with_distance_loss(d: Drawer):
    n, k = d.size(1, 4), d.size(1, 5)
    a, p, q = d.normal((n, k)), d.normal((n, k)), d.normal((n, k))
    kwargs = {}
    if d.maybe(0.6):
        kwargs["distance_function"] = d.choice([
            "T.nn.PairwiseDistance()", "lambda u, v: 1 - F.cosine_similarity(u, v)",
            "lambda u, v: (u - v).abs().sum(-1)", "T.nn.PairwiseDistance(p=1.0)"])
    if d.maybe(0.5):
        kwargs["margin"] = str(d.choice([0.0, 0.5, 1.0, 3.0]))
    if d.maybe(0.4):
        kwargs["swap"] = str(d.maybe())
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    return "triplet_margin_with_distance_loss", [a, p, q], kwargs, "TripletMarginWithDistanceLoss"


def ctc_loss(d: Drawer):
    t, n, c = d.size(2, 8), d.size(1, 3), d.size(2, 5)
    blank = d.choice([0, 0, c - 1])
    batched = d.maybe(0.85)
    x = d.normal((t, n, c) if batched else (t, c), 1.5)
    log_probs = f"F.log_softmax({x}, dim={2 if batched else 1})"
    labels = [k for k in range(c) if k != blank]
    lengths = [d.rng.randint(0, min(t, 4) if d.maybe(0.9) else t + 2) for _ in range(n if batched else 1)]
    seqs = [[d.choice(labels) for _ in range(m)] for m in lengths]
    if seqs and seqs[0] and d.maybe(0.3):  # repeats need a blank between them
        seqs[0] = [seqs[0][0]] * len(seqs[0])
    layout = d.choice(["padded", "concatenated"]) if batched else "unbatched"
    if layout == "padded":
        s = max(max(lengths), 1) + d.rng.randint(0, 1)
        y = d.add(np.array([q + [blank if d.maybe() else labels[0]] * (s - len(q)) for q in seqs], dtype=np.int64))
    elif layout == "concatenated":
        y = d.add(np.array([k for q in seqs for k in q], dtype=np.int64))
    else:
        y = d.add(np.array(seqs[0], dtype=np.int64))
    if d.maybe(0.2):  # int32 labels (cuDNN's kind)
        array, _ = d.inputs[y]
        d.inputs[y] = (array.astype(np.int32), False)
    in_lengths = [d.rng.randint(max(1, t - 2), t) for _ in lengths]
    as_tensors = d.maybe(0.7)
    if batched:
        il = d.add(np.array(in_lengths, dtype=np.int64)) if as_tensors else repr(tuple(in_lengths))
        tl = d.add(np.array(lengths, dtype=np.int64)) if as_tensors else repr(tuple(lengths))
    else:
        il = d.add(np.array(in_lengths[0], dtype=np.int64)) if as_tensors else repr((in_lengths[0],))
        tl = d.add(np.array(lengths[0], dtype=np.int64)) if as_tensors else repr((lengths[0],))
    kwargs = {}
    if blank or d.maybe(0.2):
        kwargs["blank"] = str(blank)
    if d.maybe(0.4):
        kwargs["zero_infinity"] = str(d.maybe())
    if d.maybe(0.8):
        kwargs["reduction"] = d.reduction()
    d.tags.add("ctc")
    return "ctc_loss", [log_probs, y, il, tl], kwargs, "CTCLoss"


# -- activations and softmax --------------------------------------------------------------------------------------


ACTIVATIONS = {
    "relu": {}, "relu6": {}, "sigmoid": {}, "tanh": {}, "softsign": {}, "tanhshrink": {}, "silu": {}, "mish": {},
    "hardswish": {}, "hardsigmoid": {}, "logsigmoid": {}, "selu": {},
    "hardtanh": {"min_val": [-1.0, -0.5, 0.0, -2.0], "max_val": [1.0, 0.5, 2.0]},
    "elu": {"alpha": [1.0, 0.5, 2.0, 0.0]}, "celu": {"alpha": [1.0, 0.5, 2.0]},
    "leaky_relu": {"negative_slope": [0.01, 0.2, 0.0, -0.5, 1.5]},
    "rrelu": {"lower": [0.125, 0.1], "upper": [1 / 3, 0.3], "training": [False]},
    "softplus": {"beta": [1.0, 2.0, 0.5, -1.0], "threshold": [20.0, 1.0, 5.0]},
    "softshrink": {"lambd": [0.5, 0.0, 1.0]}, "hardshrink": {"lambd": [0.5, 0.0, 1.0]},
    "threshold": {"threshold": [0.0, 0.5, -1.0], "value": [0.0, -2.0, 3.0]},
    "gelu": {"approximate": ["'none'", "'tanh'"]},
}
INTEGER_OK = {"relu", "relu6", "hardtanh", "threshold"}


def activation(d: Drawer):
    name = d.choice(ACTIVATIONS)
    kwargs = {}
    for key, options in ACTIVATIONS[name].items():
        if d.maybe(0.7) or name in ("threshold", "rrelu"):
            kwargs[key] = str(d.choice(options))
    edges = [0.0, 1.0, -1.0, 3.0, -3.0, 6.0, 0.5, -0.5, 20.0, 40.0, -40.0]
    edges += [float(v) for v in kwargs.values() if _is_number(v)]
    shape = d.shape(0, 4)
    if d.maybe(0.07):
        x = d.ints(shape, -8, 8)
    else:
        x = d.normal(shape, d.choice([1.0, 3.0]), edges=edges + ([float("inf"), float("-inf"), float("nan")]
                                                                    if d.maybe(0.1) else []))
    if name == "threshold" and "threshold" in kwargs:
        args = [x, kwargs.pop("threshold"), kwargs.pop("value")]
        return name, args, kwargs
    return name, [x], kwargs


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def prelu(d: Drawer):
    shape = (d.size(1, 3), d.size(1, 4)) + d.shape(0, 2)
    x = d.normal(shape, edges=(0.0,))
    w = d.normal((shape[1],) if d.maybe(0.6) else (1,), 0.5)
    return "prelu", [x, w], {}


def glu(d: Drawer):
    shape = list(d.shape(1, 3))
    dim = d.rng.randrange(-len(shape), len(shape))
    shape[dim] = 2 * d.size(1, 3) if d.maybe(0.9) else 3
    x = d.normal(shape)
    return "glu", [x], ({"dim": str(dim)} if d.maybe(0.8) else {})


def softmaxes(d: Drawer):
    name = d.choice(["softmax", "log_softmax", "softmin"])
    shape = d.shape(0, 4)
    x = d.integer_input(shape, 0.04) or d.normal(shape, d.choice([1.0, 10.0, 100.0]),
                                                 edges=(float("-inf"), 1e3) if d.maybe(0.1) else ())
    dim = d.rng.randrange(-len(shape), len(shape)) if shape else d.choice([0, -1])
    kwargs = {"dim": str(dim)}
    if d.maybe(0.3):
        kwargs["dtype"] = d.choice(["T.float64", "T.float32"])
        d.float32 = d.float32 or kwargs["dtype"] == "T.float32"
    return name, [x], kwargs


def dropouts(d: Drawer):
    name = d.choice(["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"])
    rank = {"dropout1d": d.choice([2, 3]), "dropout2d": d.choice([3, 4]), "dropout3d": d.choice([4, 5])}.get(
        name, d.rng.randint(0, 4))
    x = d.normal(d.shape(rank, rank, 1, 3))
    return name, [x], {"p": str(d.choice([0.0, 0.3, 0.5])), "training": "False"}


# -- distances ----------------------------------------------------------------------------------------------------


def normalize(d: Drawer):
    shape = d.shape(1, 3)
    x = d.normal(shape, edges=(0.0,))
    if d.maybe(0.15):  # a zero row
        d.inputs[x] = (np.zeros_like(d.inputs[x][0]), True)
    kwargs = {}
    if d.maybe(0.7):
        kwargs["p"] = str(d.choice([1.0, 2.0, 3.0, 0.5, 0.0, -1.0, "float('inf')", "-float('inf')"]))
    if d.maybe(0.7):
        kwargs["dim"] = str(d.rng.randrange(-len(shape), len(shape)))
    if d.maybe(0.3):
        kwargs["eps"] = str(d.choice([1e-12, 0.1, 1.0]))
    return "normalize", [x], kwargs


def cosine_similarity(d: Drawer):
    shape = d.shape(1, 3)
    other = tuple(1 if d.maybe(0.3) else s for s in shape)
    if d.maybe(0.3):
        other = other[d.rng.randint(0, len(other) - 1):]
    a, b = d.normal(shape), d.normal(other)
    if d.maybe(0.1):
        d.inputs[b] = (np.zeros_like(d.inputs[b][0]), True)
    kwargs = {}
    if d.maybe(0.7):
        kwargs["dim"] = str(d.rng.randrange(-min(len(shape), len(other)), 0) if d.maybe(0.5)
                            else d.rng.randrange(0, len(shape)))
    if d.maybe(0.3):
        kwargs["eps"] = str(d.choice([1e-8, 0.5, 2.0]))
    return "cosine_similarity", [a, b], kwargs


def pairwise_distance(d: Drawer):
    k = d.size(1, 5)
    shape = (d.size(1, 4), k) if d.maybe(0.8) else (k,)
    other = shape if d.maybe(0.7) else ((1, k) if d.maybe() else (k,))
    a, b = d.normal(shape), d.normal(other)
    if d.maybe(0.15):
        d.inputs[b] = (d.inputs[a][0].copy()[..., :] if other == shape else d.inputs[b][0], True)
    kwargs = {}
    if d.maybe(0.6):
        kwargs["p"] = str(d.choice([1.0, 2.0, 3.0, 0.5, 0.0, -1.0, "float('inf')"]))
    if d.maybe(0.3):
        kwargs["eps"] = str(d.choice([1e-6, 0.0, 0.5]))
    if d.maybe(0.4):
        kwargs["keepdim"] = str(d.maybe())
    return "pairwise_distance", [a, b], kwargs


def pdist(d: Drawer):
    # (at least one row: PyTorch's backward of pdist of no rows dies of a segmentation fault)
    x = d.normal((d.rng.randint(1, 5), d.size(1, 4)))
    kwargs = {"p": str(d.choice([1.0, 2.0, 3.0, 0.5, 0.0, -1.0, "float('inf')"]))} if d.maybe(0.6) else {}
    return "pdist", [x], kwargs


def one_hot(d: Drawer):
    shape = d.shape(0, 3)
    k = d.size(1, 5)
    x = d.ints(shape, 0, k, narrow=0.1)
    kwargs = {}
    if d.maybe(0.8):
        kwargs["num_classes"] = str(d.choice([-1, k, k + 2, k - 1 if k > 1 and d.maybe(0.2) else k]))
    return "one_hot", [x], kwargs


# -- padding and resampling --------------------------------------------------------------------------------------


def pad(d: Drawer):
    mode = d.choice(["constant", "constant", "reflect", "replicate", "circular"])
    if mode == "constant":
        shape = d.shape(1, 4, 1, 4)
        k = d.rng.randint(1, len(shape))
    else:
        k = d.rng.randint(1, 3)
        shape = d.shape(k + 1, k + 2, 2, 5)
    pads = []
    for axis in range(k):
        n = shape[-1 - axis]
        for _ in range(2):
            if mode == "reflect":
                pads.append(d.rng.randint(-1 if d.maybe(0.2) else 0, n - 1))
            elif mode == "circular":
                pads.append(d.rng.randint(-1 if d.maybe(0.2) else 0, n))
            else:
                pads.append(d.rng.randint(-min(n, 2), 3))
    x = d.integer_input(shape) or d.normal(shape)
    kwargs = {}
    if mode != "constant" or d.maybe(0.3):
        kwargs["mode"] = repr(mode)
    if mode == "constant" and d.maybe(0.4):
        kwargs["value"] = str(d.choice([0.0, 1.5, -2.0]))
    return "pad", [x, repr(tuple(pads))], kwargs


def interpolate(d: Drawer):
    # ('area', which deltaprop does not offer (porting.md), now and then: both must not take it silently)
    mode = "area" if d.maybe(0.03) else d.choice(["nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear"])
    spatial = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode, d.rng.randint(1, 3))
    shape = (d.size(1, 2), d.size(1, 3)) + tuple(d.size(1, 6) for _ in range(spatial))
    x = (d.integer_input(shape) if mode.startswith("nearest") else None) or d.normal(shape)
    kwargs = {}
    if d.maybe(0.5):
        sizes = [d.size(1, 9) for _ in range(spatial)]
        kwargs["size"] = repr(sizes[0] if spatial == 1 and d.maybe() else tuple(sizes))
    else:
        factors = [d.choice([0.5, 2.0, 1.5, 3.0, 0.7, 1.1, 1.0]) for _ in range(spatial)]
        kwargs["scale_factor"] = repr(factors[0] if d.maybe(0.4) else tuple(factors))
        if d.maybe(0.4):
            kwargs["recompute_scale_factor"] = str(d.maybe())
    if mode != "nearest" or d.maybe(0.5):
        kwargs["mode"] = repr(mode)
    if mode in ("linear", "bilinear", "bicubic", "trilinear") and d.maybe(0.7):
        kwargs["align_corners"] = str(d.maybe())
    if mode in ("bilinear", "bicubic") and d.maybe(0.15):
        kwargs["antialias"] = "True"
    return "interpolate", [x], kwargs


def grid_sample(d: Drawer):
    n, c = d.size(1, 2), d.size(1, 3)
    x = d.normal((n, c, d.size(1, 5), d.size(1, 5)))
    mode = d.choice(["bilinear", "nearest", "bicubic"])
    grid = d.uniform((n, d.size(1, 4), d.size(1, 4), 2), -1.3, 1.3, edges=(-1.0, 1.0, 0.0),
                     grad=mode != "nearest")
    kwargs = {"mode": repr(mode)} if mode != "bilinear" or d.maybe() else {}
    if d.maybe(0.7):
        kwargs["padding_mode"] = repr(d.choice(["zeros", "border", "reflection"]))
    kwargs["align_corners"] = str(d.maybe())
    return "grid_sample", [x, grid], kwargs


def affine_grid(d: Drawer):
    n = d.size(1, 3)
    volumetric = d.maybe(0.3)
    theta = d.normal((n, 3, 4) if volumetric else (n, 2, 3), 0.7)
    size = (n, d.size(1, 3)) + tuple(d.size(1, 5) for _ in range(3 if volumetric else 2))
    return "affine_grid", [theta, repr(size)], {"align_corners": str(d.maybe())}


def unfold(d: Drawer):
    shape = ((d.size(1, 2),) if d.maybe(0.8) else ()) + (d.size(1, 3), d.size(2, 6), d.size(2, 6))
    x = d.normal(shape)
    kwargs = {"kernel_size": repr(d.choice([1, 2, 3, (2, 1), (1, 3)]))}
    if d.maybe(0.4):
        kwargs["dilation"] = repr(d.choice([1, 2, (1, 2)]))
    if d.maybe(0.4):
        kwargs["padding"] = repr(d.choice([0, 1, (1, 0)]))
    if d.maybe(0.4):
        kwargs["stride"] = repr(d.choice([1, 2, (2, 1)]))
    return "unfold", [x], kwargs


def fold(d: Drawer):
    c = d.size(1, 3)
    kh, kw = d.choice([(1, 1), (2, 2), (3, 2), (2, 1)])
    sh, sw = d.choice([(1, 1), (2, 2), (1, 2)])
    ph, pw = d.choice([(0, 0), (1, 0), (1, 1)])
    dh, dw = d.choice([(1, 1), (2, 1)])
    oh, ow = d.size(2, 6), d.size(2, 6)
    bh = (oh + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    bw = (ow + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    blocks = max(bh, 0) * max(bw, 0) + (1 if d.maybe(0.05) else 0)
    batched = d.maybe(0.8)
    x = d.normal(((2,) if batched else ()) + (c * kh * kw, max(blocks, 1)))
    kwargs = {"output_size": repr((oh, ow)), "kernel_size": repr((kh, kw))}
    if (dh, dw) != (1, 1) or d.maybe(0.3):
        kwargs["dilation"] = repr((dh, dw))
    if (ph, pw) != (0, 0) or d.maybe(0.3):
        kwargs["padding"] = repr((ph, pw))
    if (sh, sw) != (1, 1) or d.maybe(0.3):
        kwargs["stride"] = repr((sh, sw))
    return "fold", [x], kwargs


def pixel_shuffles(d: Drawer):
    r = d.choice([1, 2, 3])
    if d.maybe():
        shape = d.shape(0, 1, 1, 2) + (d.size(1, 2) * r * r, d.size(1, 3), d.size(1, 3))
        return "pixel_shuffle", [d.integer_input(shape) or d.normal(shape), str(r)], {}
    shape = d.shape(0, 1, 1, 2) + (d.size(1, 2), d.size(1, 3) * r, d.size(1, 3) * r)
    return "pixel_unshuffle", [d.normal(shape), str(r)], {}


def embedding(d: Drawer):
    rows, k = d.size(2, 6), d.size(1, 4)
    idx = d.ints(d.shape(0, 2, 1, 4), 0, rows, narrow=0.15)
    w = d.normal((rows, k), 1.5)
    kwargs = {}
    if d.maybe(0.4):
        kwargs["padding_idx"] = str(d.choice([0, rows - 1, -1]))
    if d.maybe(0.4):
        kwargs["max_norm"] = str(d.choice([1.0, 0.5, 2.0]))
        if d.maybe(0.5):
            kwargs["norm_type"] = str(d.choice([1.0, 2.0, 3.0]))
    if d.maybe(0.15):
        kwargs["scale_grad_by_freq"] = "True"
    return "embedding", [idx, w], kwargs


# -- linear, convolution, pooling ----------------------------------------------------------------------------------


def linear(d: Drawer):
    i, o = d.size(1, 5), d.size(1, 4)
    x = d.normal(d.shape(0, 2) + (i,))
    w = d.normal((o, i) if d.maybe(0.9) else (i,))
    args = [x, w]
    if d.maybe(0.6):
        args.append(d.normal((o,) if d.inputs[w][0].ndim == 2 else ()))
    return "linear", args, {}


def bilinear(d: Drawer):
    i1, i2, o = d.size(1, 4), d.size(1, 4), d.size(1, 3)
    lead = d.shape(0, 2) if d.maybe(0.8) else ()
    args = [d.normal(lead + (i1,)), d.normal(lead + (i2,)), d.normal((o, i1, i2))]
    if d.maybe(0.6):
        args.append(d.normal((o,)))
    return "bilinear", args, {}


def _tuple_or_int(d: Drawer, spatial: int, options):
    if d.maybe(0.6):
        return repr(d.choice(options))
    return repr(tuple(d.choice(options) for _ in range(spatial)))


def conv(d: Drawer):
    spatial = d.choice([1, 2, 2, 3])
    transposed = d.maybe(0.35)
    groups = d.choice([1, 1, 2, 3])
    cin = groups * d.size(1, 2)
    cout = groups * d.size(1, 2)
    batched = d.maybe(0.85)
    sizes = tuple(d.size(2 if spatial < 3 else 2, 6 if spatial < 3 else 4) for _ in range(spatial))
    x = d.normal(((d.size(1, 2),) if batched else ()) + (cin,) + sizes)
    kernel = tuple(d.size(1, 3) for _ in range(spatial))
    kwargs = {}
    if transposed:
        w = d.normal((cin, cout // groups) + kernel)
    else:
        w = d.normal((cout, cin // groups) + kernel)
    args = [x, w]
    if d.maybe(0.6):
        kwargs["bias"] = d.normal((cout,))
    if d.maybe(0.5):
        kwargs["stride"] = _tuple_or_int(d, spatial, [1, 2])
    if d.maybe(0.5):
        if not transposed and d.maybe(0.3):
            kwargs["padding"] = repr(d.choice(["same", "valid"]))
        else:
            kwargs["padding"] = _tuple_or_int(d, spatial, [0, 1, 2])
    if d.maybe(0.4):
        kwargs["dilation"] = _tuple_or_int(d, spatial, [1, 2])
    if transposed and d.maybe(0.3):
        kwargs["output_padding"] = _tuple_or_int(d, spatial, [0, 1])
    if groups > 1 or d.maybe(0.2):
        kwargs["groups"] = str(groups)
    name = f"conv_transpose{spatial}d" if transposed else f"conv{spatial}d"
    return name, args, kwargs


def pool(d: Drawer):
    kind = d.choice(["max", "avg", "lp"])
    spatial = d.choice([1, 2, 2, 3])
    batched = d.maybe(0.8)
    sizes = tuple(d.size(1, 6 if spatial < 3 else 4) for _ in range(spatial))
    shape = ((d.size(1, 2),) if batched else ()) + (d.size(1, 3),) + sizes
    x = (d.integer_input(shape) if kind == "max" else None) or d.normal(shape, edges=(0.0, 1.0) if d.maybe(0.2) else ())
    if d.maybe(0.15):  # ties inside windows
        array, grad = d.inputs[x]
        d.inputs[x] = (np.round(array), grad)
    kwargs = {"kernel_size": _tuple_or_int(d, spatial, [1, 2, 3])}
    if d.maybe(0.5):
        kwargs["stride"] = _tuple_or_int(d, spatial, [1, 2, 3])
    if kind != "lp" and d.maybe(0.4):
        kwargs["padding"] = _tuple_or_int(d, spatial, [0, 1])
    if d.maybe(0.3):
        kwargs["ceil_mode"] = "True"
    if kind == "max":
        if d.maybe(0.3):
            kwargs["dilation"] = _tuple_or_int(d, spatial, [1, 2])
        if d.maybe(0.3):
            kwargs["return_indices"] = "True"
        if "padding" in kwargs and _window_in_padding(d.inputs[x][0].shape[-spatial:], kwargs):
            # PyTorch's max pooling points such a window's index outside its input (a double free
            # in the backward, at times): porting.md
            del kwargs["padding"]
    elif kind == "avg":
        if d.maybe(0.3):
            kwargs["count_include_pad"] = str(d.maybe())
        if spatial > 1 and d.maybe(0.2):
            kwargs["divisor_override"] = str(d.choice([1, 3]))
    else:
        kwargs = {"norm_type": str(d.choice([1.0, 2.0, 3.0, "float('inf')"])), **kwargs}
        if d.inputs[x][0].size:  # an lp pool of values whose sum of powers is 0 has no slope
            array, grad = d.inputs[x]
            d.inputs[x] = (np.where(array == 0, 0.25, array), grad)
    return f"{kind}_pool{spatial}d", [x], kwargs


def _window_in_padding(sizes, kwargs) -> bool:
    """Whether some window of a max pooling reads padding alone (a dilation skipping the input)."""
    n = len(sizes)

    def per_axis(key, default):
        value = eval(kwargs.get(key, repr(default)))
        return value if isinstance(value, tuple) else (value,) * n

    kernel = per_axis("kernel_size", 1)
    stride = per_axis("stride", kernel) if "stride" in kwargs else kernel
    padding, dilation = per_axis("padding", 0), per_axis("dilation", 1)
    ceil = kwargs.get("ceil_mode") == "True"
    for size, k, st, p, dl in zip(sizes, kernel, stride, padding, dilation):
        span = size + 2 * p - dl * (k - 1) - 1  # (negative: no window, or in ceil mode one)
        m = (-(-span // st) if ceil else span // st) + 1
        if ceil and (m - 1) * st >= size + p:
            m -= 1
        for j in range(m):
            if not any(0 <= j * st - p + o * dl < size for o in range(k)):
                return True
    return False


def adaptive_pool(d: Drawer):
    kind = d.choice(["max", "avg"])
    spatial = d.choice([1, 2, 3])
    batched = d.maybe(0.8)
    sizes = tuple(d.size(1, 7 if spatial < 3 else 5) for _ in range(spatial))
    shape = ((d.size(1, 2),) if batched else ()) + (d.size(1, 3),) + sizes
    x = (d.integer_input(shape) if kind == "max" else None) or d.normal(shape)
    out = [d.choice([1, 2, 3, 5, None]) if spatial > 1 else d.size(1, 5) for _ in range(spatial)]
    kwargs = {"output_size": repr(out[0] if spatial == 1 or d.maybe(0.3) and out[0] else tuple(out))}
    if kind == "max" and d.maybe(0.3):
        kwargs["return_indices"] = "True"
    return f"adaptive_{kind}_pool{spatial}d", [x], kwargs


# -- normalization -----------------------------------------------------------------------------------------------


def layer_norm(d: Drawer):
    shape = d.shape(1, 4)
    k = d.rng.randint(1, len(shape))
    normalized = shape[-k:]
    x = d.normal(shape)
    kwargs = {}
    if d.maybe(0.6):
        kwargs["weight"] = d.normal(normalized)
    if d.maybe(0.6):
        kwargs["bias"] = d.normal(normalized)
    if d.maybe(0.3):
        kwargs["eps"] = str(d.choice([1e-5, 0.1, 1.0]))
    return "layer_norm", [x, repr(tuple(normalized))], kwargs


def rms_norm(d: Drawer):
    shape = d.shape(1, 4)
    k = d.rng.randint(1, len(shape))
    normalized = shape[-k:]
    x = d.normal(shape)
    kwargs = {}
    if d.maybe(0.6):
        kwargs["weight"] = d.normal(normalized)
    if d.maybe(0.5):
        kwargs["eps"] = str(d.choice([1e-5, 0.1, 1.0]))
    return "rms_norm", [x, repr(tuple(normalized))], kwargs


def group_norm(d: Drawer):
    groups = d.size(1, 3)
    c = groups * d.size(1, 3)
    x = d.normal((d.size(1, 3), c) + d.shape(0, 2))
    kwargs = {}
    if d.maybe(0.6):
        kwargs["weight"] = d.normal((c,))
    if d.maybe(0.6):
        kwargs["bias"] = d.normal((c,))
    if d.maybe(0.3):
        kwargs["eps"] = str(d.choice([1e-5, 0.1]))
    return "group_norm", [x, str(groups)], kwargs


def batch_norm(d: Drawer):
    c = d.size(1, 4)
    x = d.normal((d.size(1, 4), c) + d.shape(0, 2))
    training = d.maybe(0.6)
    kwargs = {}
    if d.maybe(0.8) or not training:
        rm = d.normal((c,), 0.5, grad=False)
        rv = d.uniform((c,), 0.5, 2.0, grad=False)
    else:
        rm = rv = "None"
    if d.maybe(0.6):
        kwargs["weight"] = d.normal((c,))
    if d.maybe(0.6):
        kwargs["bias"] = d.normal((c,))
    kwargs["training"] = str(training)
    if d.maybe(0.4):
        kwargs["momentum"] = str(d.choice([0.1, 0.5, 1.0, 0.0]))
    if d.maybe(0.3):
        kwargs["eps"] = str(d.choice([1e-5, 0.1]))
    return "batch_norm", [x, rm, rv], kwargs


def instance_norm(d: Drawer):
    c = d.size(1, 4)
    x = d.normal((d.size(1, 3), c, d.size(2, 4)) + d.shape(0, 2, 1, 3))
    kwargs = {}
    if d.maybe(0.5):
        kwargs["running_mean"] = d.normal((c,), 0.5, grad=False)
        kwargs["running_var"] = d.uniform((c,), 0.5, 2.0, grad=False)
        if d.maybe(0.3):
            kwargs["use_input_stats"] = "False"
    if d.maybe(0.5):
        kwargs["weight"] = d.normal((c,))
    if d.maybe(0.5):
        kwargs["bias"] = d.normal((c,))
    if d.maybe(0.4):
        kwargs["momentum"] = str(d.choice([0.1, 0.5]))
    if d.maybe(0.3):
        kwargs["eps"] = str(d.choice([1e-5, 0.1]))
    return "instance_norm", [x], kwargs


def local_response_norm(d: Drawer):
    x = d.normal((d.size(1, 3), d.size(1, 6)) + d.shape(1, 3, 1, 3))
    kwargs = {}
    if d.maybe(0.5):
        kwargs["alpha"] = str(d.choice([1e-4, 0.1, 1.0]))
    if d.maybe(0.5):
        kwargs["beta"] = str(d.choice([0.75, 0.5, 2.0]))
    if d.maybe(0.5):
        kwargs["k"] = str(d.choice([1.0, 2.0, 0.5]))
    return "local_response_norm", [x, str(d.size(1, 5))], kwargs


# -- attention ---------------------------------------------------------------------------------------------------


def attention(d: Drawer):
    lead = d.shape(0, 2, 1, 3)
    hq = d.choice([1, 2, 4])
    gqa = d.maybe(0.2) and hq > 1
    hk = hq // 2 if gqa else hq
    lq, lk, e, ev = d.size(1, 5), d.size(1, 5), d.size(1, 4), d.size(1, 4)
    heads_q, heads_k = ((hq,), (hk,)) if lead or gqa else ((), ())
    q = d.normal(lead + heads_q + (lq, e))
    k = d.normal(lead + heads_k + (lk, e))
    v = d.normal(lead + heads_k + (lk, ev))
    kwargs = {}
    mask = d.choice([None, None, "bool", "float"])
    causal = d.maybe(0.3)
    if mask == "bool":
        kwargs["attn_mask"] = d.bools((lq, lk) if d.maybe(0.7) else (1, lk))
    elif mask == "float":
        kwargs["attn_mask"] = d.normal((lq, lk), grad=d.maybe(0.3), edges=(float("-inf"),))
    if causal:
        kwargs["is_causal"] = "True"
    if d.maybe(0.3):
        kwargs["scale"] = str(d.choice([0.5, 1.0, 2.0]))
    if d.maybe(0.2):
        kwargs["dropout_p"] = "0.0"
    if gqa:
        kwargs["enable_gqa"] = "True"
    return "scaled_dot_product_attention", [q, k, v], kwargs


TABLE = {
    "cross_entropy": (cross_entropy, 10), "nll_loss": (nll_loss, 6), "binary_cross_entropy": (binary_cross_entropy, 4),
    "binary_cross_entropy_with_logits": (binary_cross_entropy_with_logits, 5), "regression": (regression, 6),
    "kl_div": (kl_div, 3), "poisson_nll_loss": (poisson_nll_loss, 3), "gaussian_nll_loss": (gaussian_nll_loss, 4),
    "margin_ranking_loss": (margin_ranking_loss, 2), "hinge_embedding_loss": (hinge_embedding_loss, 2),
    "soft_margin_loss": (soft_margin_loss, 2), "multilabel_margin_loss": (multilabel_margin_loss, 3),
    "multilabel_soft_margin_loss": (multilabel_soft_margin_loss, 2), "multi_margin_loss": (multi_margin_loss, 3),
    "cosine_embedding_loss": (cosine_embedding_loss, 2), "triplet_margin_loss": (triplet_margin_loss, 3),
    "triplet_margin_with_distance_loss": (triplet_margin_with_distance_loss, 2), "ctc_loss": (ctc_loss, 5),
    "activation": (activation, 10), "prelu": (prelu, 1), "glu": (glu, 1), "softmaxes": (softmaxes, 4),
    "dropouts": (dropouts, 1), "normalize": (normalize, 2), "cosine_similarity": (cosine_similarity, 2),
    "pairwise_distance": (pairwise_distance, 2), "pdist": (pdist, 1), "one_hot": (one_hot, 1), "pad": (pad, 4),
    "interpolate": (interpolate, 6), "grid_sample": (grid_sample, 4), "affine_grid": (affine_grid, 2),
    "unfold": (unfold, 2), "fold": (fold, 2), "pixel_shuffles": (pixel_shuffles, 1), "embedding": (embedding, 2),
    "linear": (linear, 2), "bilinear": (bilinear, 1), "conv": (conv, 6), "pool": (pool, 6),
    "adaptive_pool": (adaptive_pool, 3), "layer_norm": (layer_norm, 2), "rms_norm": (rms_norm, 1),
    "group_norm": (group_norm, 2), "batch_norm": (batch_norm, 3), "instance_norm": (instance_norm, 2),
    "local_response_norm": (local_response_norm, 2), "attention": (attention, 4),
}
