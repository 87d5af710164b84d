"""Random configurations of ``nn`` layers with their inputs, to run under PyTorch and deltaprop.

Shared by ``scripts/fuzz_layers.py`` (thousands of cases) and ``tests/test_fuzz_layers.py`` (a
seeded slice). A case is drawn from a seed as a *spec*, a flat dict of plain choices (the layer's
options, the input's sizes, train or eval, float64 or float32, one call or two); ``build`` turns a
spec into Python text in which ``nn`` and ``T`` name the library: the layer's constructor, the
inputs, and the call, a statement block that binds ``out``. The shrinker in ``layer_oracle.py``
edits the spec (an option back to its default, a size one smaller) and builds it again.

The draws are free, not fitted to what PyTorch takes: a kernel larger than the input, groups that do
not divide the channels, ``padding='same'`` with a stride, a mask of the wrong shape, now and then
an input one size too long or short on some axis. PyTorch refuses some of them, and deltaprop must
refuse the same ones. Across the families, now and then: ``device=``/``dtype=`` given to the
constructor, inputs of magnitude 30 or 0.001 (float64 only), and a second call on an input one
longer on its first axis (or, for the recurrent layers, from the state the first call left).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

import numpy as np

# Runs first in both libraries. ``weights`` is the fixed weighting that reduces an output to a
# scalar for backward(); ``fresh_state`` gives a layer's state dict new values drawn from the seed
# (parameters, running means N(0, 0.5); running variances in [0.5, 1.5]; a counter of 2), so that
# no parameter keeps a value (1 or 0) under which a wrong rule would pass.
PRELUDE = (
    "def weights(v):\n"
    "    n = int(np.prod(tuple(v.shape)))\n"
    "    return T.tensor(np.sin(np.arange(n) * 1.7 + 0.3).reshape(tuple(v.shape)), dtype=v.dtype)\n"
    "def fresh_state(state, seed):\n"
    "    rng, fresh = np.random.default_rng(seed), {}\n"
    "    for name, value in state.items():\n"
    "        value = np.array(value)\n"
    "        if name.endswith('num_batches_tracked'):\n"
    "            fresh[name] = np.full_like(value, 2)\n"
    "        elif name.endswith('_random_samples'):\n"
    "            fresh[name] = value\n"
    "        elif name.endswith('running_var'):\n"
    "            fresh[name] = (0.5 + rng.random(value.shape)).astype(value.dtype)\n"
    "        else:\n"
    "            fresh[name] = (0.5 * rng.standard_normal(value.shape)).astype(value.dtype)\n"
    "    return fresh\n"
    "def tensors(value):\n"
    "    if isinstance(value, (tuple, list)):\n"
    "        return [t for v in value for t in tensors(v)]\n"
    "    return [] if value is None else [value]\n"
    "def loss_of(outs):\n"
    "    terms = [(o * weights(o)).sum() for o in tensors(outs) if o.requires_grad]\n"
    "    return sum(terms[1:], terms[0]) if terms else None\n"
)


@dataclass
class Case:
    family: str
    spec: dict
    ctor: str  # the layer's constructor, an expression in ``nn``
    inputs: list  # (name, array, kind): kind 'x' float that requires grad, 'f' float, 'i' int64, 'b' bool
    call: str  # statements that bind ``out``; run once, or twice with ``spec['twice']``
    notes: set = field(default_factory=set)  # what the oracle must know (documented differences)
    second: str | None = None  # the second call's statements, where they differ from the first's

    @property
    def dtype(self) -> str:
        return self.spec.get("dtype", "float64")

    def input_lines(self) -> list:
        lines = []
        for name, array, kind in self.inputs:
            if kind in "xf":
                numbers = re.sub(r"\b(inf|nan)\b", r"np.\1", repr(array.tolist()))
                lines.append(f"{name} = T.tensor(np.array({numbers}), dtype=T.{self.dtype}"
                             + (", requires_grad=True)" if kind == "x" else ")"))
            elif kind == "i":
                lines.append(f"{name} = T.tensor(np.array({array.tolist()!r}, dtype=np.int64))")
            else:
                lines.append(f"{name} = T.tensor(np.array({array.tolist()!r}, dtype=bool))")
        return lines

    def stages(self) -> list:
        """(stage name, statements) in order; ``state`` (a dict of arrays) must be bound before 'load'."""
        make = f"m = {self.ctor}" + ("\nm = m.double()" if self.dtype == "float64" else "")
        mode = f"m.train({bool(self.spec.get('train', False))})"
        stages = [("build", make),
                  ("load", "m.load_state_dict({k: T.from_numpy(v.copy()) for k, v in state.items()})"),
                  ("inputs", "\n".join([mode] + self.input_lines())),
                  ("call", self.call + "\nouts = [out]")]
        if self.spec.get("twice"):
            stages.append(("second call", (self.second or self.call) + "\nouts.append(out)"))
        stages.append(("backward", "loss = loss_of(outs)\nif loss is not None:\n    loss.backward()"))
        return stages


# -- helpers -----------------------------------------------------------------------------------------------------


def text(name: str, args=(), kwargs=None, defaults=None) -> str:
    """``name(args, key=value, ...)``, leaving out the keywords whose value is their default."""
    defaults = defaults or {}
    parts = [repr(a) for a in args]
    for key, value in (kwargs or {}).items():
        if key in defaults and defaults[key] == value and type(defaults[key]) is type(value):
            continue
        parts.append(f"{key}={value!r}")
    return f"{name}({', '.join(parts)})"


def one_or_tuple(r: random.Random, sizes: list, as_int: bool):
    """One int (the first size) or the tuple of them."""
    return sizes[0] if as_int or len(set(sizes)) == 1 and r.random() < 0.5 else tuple(sizes)


def common(r: random.Random, spec: dict) -> dict:
    spec.setdefault("train", r.random() < 0.5)
    spec["dtype"] = "float32" if r.random() < 0.12 else "float64"
    spec["twice"] = r.random() < 0.25
    spec["seed"] = r.randrange(10 ** 6)
    # (float32 keeps unit inputs: a softmax saturated by large ones leaves gradients of rounding noise)
    spec["scale"] = r.choice([1.0] * 8 + [30.0, 1e-3]) if spec["dtype"] == "float64" else 1.0
    return spec


def values(spec: dict, shape, salt: int = 0) -> np.ndarray:
    """Normal draws, times the spec's ``scale`` (large inputs test the stable forms, tiny ones eps)."""
    rng = np.random.default_rng(spec["seed"] * 7 + salt)
    return spec.get("scale", 1.0) * rng.standard_normal(tuple(shape))


def batched(spec: dict, *rest) -> list:
    return ([spec["batch"]] if spec.get("batch") else []) + list(rest)


def tup(v, d):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * d


# -- convolutions ------------------------------------------------------------------------------------------------

CONV_DEFAULTS = dict(extra=None, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode="zeros", output_padding=0,
                     transpose=False, batch=2, cin=1, cout=1, train=False, twice=False, dtype="float64")


def draw_conv(r: random.Random) -> dict:
    d = r.choice([1, 1, 2, 2, 2, 3])
    big = r.random() < 0.15  # now and then larger sizes, kernels and groups
    top = {1: 9, 2: 6, 3: 4}[d] * (2 if big else 1)
    spec = dict(d=d, transpose=r.random() < 0.4, cin=r.randint(1, 3), cout=r.randint(1, 3),
                groups=r.choice([1, 1, 1, 2, 3] + ([4, 5] if big else [])), batch=r.choice([None, 1, 2, 2, 3]))
    spec["kernel_size"] = one_or_tuple(r, [r.randint(1, 5 if big else 3) for _ in range(d)], r.random() < 0.4)
    spec["stride"] = one_or_tuple(r, [r.choice([1, 1, 2, 3]) for _ in range(d)], r.random() < 0.6)
    spec["dilation"] = one_or_tuple(r, [r.choice([1, 1, 1, 2]) for _ in range(d)], r.random() < 0.7)
    p = r.random()
    spec["padding"] = ("same" if p < 0.15 else "valid" if p < 0.25 else
                       one_or_tuple(r, [r.randint(0, 2) for _ in range(d)], r.random() < 0.5))
    spec["bias"] = r.random() < 0.7
    spec["padding_mode"] = r.choice(["zeros"] * 4 + ["reflect", "replicate", "circular"])
    if spec["transpose"]:
        spec["padding_mode"] = "zeros" if r.random() < 0.95 else spec["padding_mode"]
        if isinstance(spec["padding"], str) and r.random() < 0.8:
            spec["padding"] = 0
        spec["output_padding"] = r.choice([0, 0, 1]) if r.random() < 0.9 else 2
        spec["extra"] = r.choice([None, None, 0, 1, 2])  # forward's output_size: the default's + extra
    if spec["padding"] == "same" and r.random() < 0.8:
        spec["stride"] = 1
    spec["size"] = [r.randint(1, top) for _ in range(d)]
    return common(r, spec)


def build_conv(spec: dict) -> Case:
    d, g = spec["d"], spec["groups"]
    name = f"nn.ConvTranspose{d}d" if spec["transpose"] else f"nn.Conv{d}d"
    kw = dict(stride=spec["stride"], padding=spec["padding"], dilation=spec["dilation"], groups=g,
              bias=spec["bias"], padding_mode=spec["padding_mode"])
    if spec["transpose"]:
        kw["output_padding"] = spec.get("output_padding", 0)
    ctor = text(name, (spec["cin"] * g, spec["cout"] * g, spec["kernel_size"]), kw, CONV_DEFAULTS)
    x = values(spec, batched(spec, spec["cin"] * g, *spec["size"]))
    call = "out = m(x)"
    if spec["transpose"] and spec.get("extra") is not None and not isinstance(spec["padding"], str):
        sizes = []
        for n, k, s, p, dd in zip(spec["size"], tup(spec["kernel_size"], d), tup(spec["stride"], d),
                                  tup(spec["padding"], d), tup(spec["dilation"], d)):
            sizes.append((n - 1) * s - 2 * p + dd * (k - 1) + 1 + spec["extra"])
        call = f"out = m(x, output_size={sizes})"
    return Case("conv", spec, ctor, [("x", x, "x")], call)


# -- pooling -----------------------------------------------------------------------------------------------------

POOL_DEFAULTS = dict(stride=None, padding=0, dilation=1, ceil_mode=False, count_include_pad=True,
                     divisor_override=None, return_indices=False, batch=2, channels=1, with_size=False,
                     train=False, twice=False, dtype="float64")


def draw_pool(r: random.Random) -> dict:
    kind = r.choice(["max", "max", "avg", "avg", "adaptive_avg", "adaptive_max", "lp", "unpool", "fractional"])
    d = r.choice([1, 2, 2, 3])
    top = {1: 10, 2: 7, 3: 5}[d] * (2 if r.random() < 0.15 else 1)
    spec = dict(kind=kind, d=d, batch=r.choice([None, 1, 2, 3]), channels=r.randint(1, 3),
                size=[r.randint(1, top) for _ in range(d)])
    spec["kernel_size"] = one_or_tuple(r, [r.randint(1, 3) for _ in range(d)], r.random() < 0.5)
    spec["stride"] = None if r.random() < 0.4 else one_or_tuple(r, [r.randint(1, 3) for _ in range(d)], r.random() < 0.5)
    if kind in ("max", "avg", "unpool"):
        spec["padding"] = one_or_tuple(r, [r.choice([0, 0, 1]) for _ in range(d)], r.random() < 0.6)
    if kind in ("max", "avg", "lp"):
        spec["ceil_mode"] = r.random() < 0.3
    if kind == "max":
        spec["dilation"] = one_or_tuple(r, [r.choice([1, 1, 2]) for _ in range(d)], r.random() < 0.6)
    if kind in ("max", "adaptive_max"):
        spec["return_indices"] = r.random() < 0.4
    if kind == "avg":
        spec["count_include_pad"] = r.random() < 0.5
        if d > 1 and r.random() < 0.25:
            spec["divisor_override"] = r.randint(1, 5)
    if kind.startswith("adaptive"):
        sizes = [r.choice([1, 2, 3, 4, None if r.random() < 0.15 else 2]) for _ in range(d)]
        spec["output_size"] = sizes[0] if r.random() < 0.3 and sizes[0] is not None else tuple(sizes)
    if kind == "lp":
        spec["norm_type"] = r.choice([1, 2, 2, 3, 1.5])
    if kind == "unpool":
        spec["with_size"] = r.random() < 0.4
    if kind == "fractional":  # its windows placed by fixed _random_samples, not drawn
        spec["d"] = d = r.choice([2, 3])
        spec["batch"] = spec["batch"] or 1
        spec["size"] = [r.randint(2, {2: 8, 3: 5}[d]) for _ in range(d)]
        spec["kernel_size"] = one_or_tuple(r, [r.randint(1, 3) for _ in range(d)], r.random() < 0.5)
        if r.random() < 0.5:
            spec["output_size"] = one_or_tuple(r, [r.randint(1, 4) for _ in range(d)], r.random() < 0.4)
        else:
            spec["output_ratio"] = r.choice([0.5, 0.7, 0.3])
        spec["return_indices"] = r.random() < 0.4
    return common(r, spec)


def window_in_padding(spec: dict, sizes) -> bool:
    """Whether a max pool's window lies wholly in the padding on some axis (dilation makes it
    possible): PyTorch 2.13 then writes its gradient outside the plane, corrupting its heap."""
    d = spec["d"]
    stride = spec["stride"] if spec["stride"] is not None else spec["kernel_size"]
    for size, k, s, p, dd in zip(sizes, tup(spec["kernel_size"], d), tup(stride, d), tup(spec["padding"], d),
                                 tup(spec["dilation"], d)):
        span = size + 2 * p - dd * (k - 1) - 1
        if s < 1 or p > (dd * (k - 1) + 1) // 2:
            return False  # refused by both
        out = (-(-span // s) if spec["ceil_mode"] else span // s) + 1
        if spec["ceil_mode"] and (out - 1) * s >= size + p:
            out -= 1
        for o in range(out):
            if all(not 0 <= o * s - p + j * dd < size for j in range(k)):
                return True
    return False


def build_pool(spec: dict) -> Case:
    kind, d = spec["kind"], spec["d"]
    x = values(spec, batched(spec, spec["channels"], *spec["size"]))
    call = "out = m(x)"
    k = spec["kernel_size"]
    if kind == "max":
        ctor = text(f"nn.MaxPool{d}d", (k,), dict(stride=spec["stride"], padding=spec["padding"],
                    dilation=spec["dilation"], return_indices=spec["return_indices"], ceil_mode=spec["ceil_mode"]),
                    POOL_DEFAULTS)
    elif kind == "avg":
        kw = dict(stride=spec["stride"], padding=spec["padding"], ceil_mode=spec["ceil_mode"],
                  count_include_pad=spec["count_include_pad"])
        if d > 1:
            kw["divisor_override"] = spec.get("divisor_override")
        ctor = text(f"nn.AvgPool{d}d", (k,), kw, POOL_DEFAULTS)
    elif kind == "adaptive_avg":
        ctor = text(f"nn.AdaptiveAvgPool{d}d", (spec["output_size"],))
    elif kind == "adaptive_max":
        ctor = text(f"nn.AdaptiveMaxPool{d}d", (spec["output_size"],), dict(return_indices=spec["return_indices"]),
                    POOL_DEFAULTS)
    elif kind == "fractional":
        samples = np.random.default_rng(spec["seed"] + 3).random((spec["batch"], spec["channels"], d)).round(4)
        kw = dict(output_size=spec.get("output_size"), output_ratio=spec.get("output_ratio"),
                  return_indices=spec["return_indices"])
        ctor = text(f"nn.FractionalMaxPool{d}d", (k,), kw, dict(POOL_DEFAULTS, output_size=None, output_ratio=None))
        ctor = ctor[:-1] + f", _random_samples=T.tensor(np.array({samples.tolist()}), dtype=T.{spec['dtype']}))"
    elif kind == "lp":
        ctor = text(f"nn.LPPool{d}d", (spec["norm_type"], k), dict(stride=spec["stride"], ceil_mode=spec["ceil_mode"]),
                    POOL_DEFAULTS)
    else:
        kw = dict(stride=spec["stride"], padding=spec["padding"])
        ctor = text(f"nn.MaxUnpool{d}d", (k,), kw, POOL_DEFAULTS)
        pool = text(f"nn.MaxPool{d}d", (k,), dict(kw, return_indices=True), POOL_DEFAULTS)
        size = f", output_size=x.shape[-{d}:]" if spec["with_size"] else ""
        call = f"pooled, where = {pool}(x)\nout = m(pooled, where{size})"
    return Case("pool", spec, ctor, [("x", x, "x")], call)


# -- normalisation -----------------------------------------------------------------------------------------------

NORM_DEFAULTS = dict(eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, elementwise_affine=True,
                     bias=True, batch=2, channels=2, train=False, twice=False, dtype="float64")


def draw_norm(r: random.Random) -> dict:
    kind = r.choice(["batch", "batch", "batch", "layer", "group", "instance", "instance", "lrn", "rms"])
    spec = dict(kind=kind, batch=r.choice([None, 1, 2, 3, 4]) if kind != "batch" else r.choice([1, 2, 3, 4]),
                channels=r.randint(1, 4), d=r.choice([1, 2, 3]))
    spec["size"] = [r.randint(1, {1: 6, 2: 4, 3: 3}[spec["d"]]) for _ in range(spec["d"])]
    if kind == "batch" and spec["d"] == 1 and r.random() < 0.4:
        spec["size"] = []  # (N, C)
    spec["eps"] = r.choice([1e-5, 1e-5, 1e-3, 0.1])
    if kind in ("batch", "instance"):
        spec["momentum"] = r.choice([0.1, 0.1, 0.5, None])
        spec["affine"] = r.random() < (0.7 if kind == "batch" else 0.5)
        spec["track_running_stats"] = r.random() < (0.8 if kind == "batch" else 0.4)
    if kind in ("layer", "rms"):
        spec["trailing"] = r.randint(1, 2)
        spec["elementwise_affine"] = r.random() < 0.7
        spec["bias"] = r.random() < 0.7
        if kind == "rms" and r.random() < 0.3:
            spec["eps"] = None
    if kind == "group":
        spec["groups"] = r.choice([1, 2, 3])
        spec["affine"] = r.random() < 0.7
    if kind == "lrn":
        spec.update(lrn_size=r.randint(1, 4), alpha=r.choice([1e-4, 0.1, 1.0]), beta=r.choice([0.75, 0.5, 1.5]),
                    k=r.choice([1.0, 2.0, 0.5]))
    return common(r, spec)


def build_norm(spec: dict) -> Case:
    kind, d, c = spec["kind"], spec["d"], spec["channels"]
    shape = batched(spec, c, *spec["size"])
    if kind == "batch":
        ctor = text(f"nn.BatchNorm{d}d", (c,), dict(eps=spec["eps"], momentum=spec["momentum"], affine=spec["affine"],
                    track_running_stats=spec["track_running_stats"]), NORM_DEFAULTS)
    elif kind == "instance":
        ctor = text(f"nn.InstanceNorm{d}d", (c,), dict(eps=spec["eps"], momentum=spec["momentum"],
                    affine=spec["affine"], track_running_stats=spec["track_running_stats"]),
                    dict(NORM_DEFAULTS, affine=False, track_running_stats=False))
    elif kind in ("layer", "rms"):
        trailing = tuple(shape[-spec["trailing"]:]) if len(shape) >= spec["trailing"] else tuple(shape)
        normalized = trailing[0] if len(trailing) == 1 and spec["trailing"] == 1 else list(trailing)
        kw = dict(eps=spec["eps"], elementwise_affine=spec["elementwise_affine"])
        if kind == "layer":
            kw["bias"] = spec["bias"]
        ctor = text("nn.LayerNorm" if kind == "layer" else "nn.RMSNorm", (normalized,), kw,
                    dict(NORM_DEFAULTS, eps=1e-5 if kind == "layer" else None))
    elif kind == "group":
        ctor = text("nn.GroupNorm", (spec["groups"], c), dict(eps=spec["eps"], affine=spec["affine"]), NORM_DEFAULTS)
    else:
        ctor = text("nn.LocalResponseNorm", (spec["lrn_size"],), dict(alpha=spec["alpha"], beta=spec["beta"],
                    k=spec["k"]), dict(alpha=1e-4, beta=0.75, k=1.0))
    return Case("norm", spec, ctor, [("x", values(spec, shape), "x")], "out = m(x)")


# -- recurrent layers --------------------------------------------------------------------------------------------

RNN_DEFAULTS = dict(packed=False, sorted=False, num_layers=1, bias=True, batch_first=False, bidirectional=False, nonlinearity="tanh",
                    proj_size=0, initial=False, batch=2, length=2, train=False, twice=False, dtype="float64")


def draw_rnn(r: random.Random) -> dict:
    kind = r.choice(["RNN", "LSTM", "GRU", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
    spec = dict(kind=kind, input_size=r.randint(1, 4), hidden_size=r.randint(1, 4), bias=r.random() < 0.8,
                batch=r.choice([None, 1, 2, 3]), length=r.randint(1, 4), initial=r.random() < 0.5)
    if not kind.endswith("Cell"):
        spec.update(num_layers=r.choice([1, 1, 2, 3]), batch_first=r.random() < 0.4, bidirectional=r.random() < 0.4)
    if kind.startswith("RNN"):
        spec["nonlinearity"] = r.choice(["tanh", "relu"])
    if kind == "LSTM" and r.random() < 0.3:
        spec["proj_size"] = r.randint(1, 3)
    if not kind.endswith("Cell") and spec["batch"] and r.random() < 0.3:
        spec["packed"] = True  # sequences of different lengths, packed (sorted or not)
        spec["sorted"] = r.random() < 0.3
    return common(r, spec)


def build_rnn(spec: dict) -> Case:
    kind, n, h = spec["kind"], spec["batch"], spec["hidden_size"]
    kw = dict(bias=spec["bias"])
    if kind.startswith("RNN"):
        kw["nonlinearity"] = spec["nonlinearity"]
    if kind.endswith("Cell"):
        ctor = text(f"nn.{kind}", (spec["input_size"], h), kw, RNN_DEFAULTS)
        inputs = [("x", values(spec, batched(spec, spec["input_size"])), "x")]
        call = "out = m(x)"
        if spec["initial"]:
            inputs.append(("h0", values(spec, batched(spec, h), 1), "x"))
            if kind == "LSTMCell":
                inputs.append(("c0", values(spec, batched(spec, h), 2), "x"))
                call = "out = m(x, (h0, c0))"
            else:
                call = "out = m(x, h0)"
        # a second call starts from the state the first left: a cell's output is its state
        return Case("rnn", spec, ctor, inputs, call, second="out = m(x, out)")
    kw.update(num_layers=spec["num_layers"], batch_first=spec["batch_first"], bidirectional=spec["bidirectional"])
    if kind == "LSTM":
        kw["proj_size"] = spec["proj_size"]
    kw["dropout"] = 0.0
    ctor = text(f"nn.{kind}", (spec["input_size"], h), kw, dict(RNN_DEFAULTS, dropout=0.0))
    seq = [spec["length"], spec["input_size"]]
    if n:
        seq.insert(0 if spec["batch_first"] else 1, n)
    inputs = [("x", values(spec, seq), "x")]
    call = "out = m(x)"
    source = "x"
    if spec.get("packed") and n:
        rng = np.random.default_rng(spec["seed"] + 5)
        lengths = sorted(rng.integers(1, spec["length"] + 1, size=n).tolist(), reverse=bool(spec.get("sorted")))
        lengths[0 if spec.get("sorted") else -1] = spec["length"]
        source = "packed"
        call = (f"packed = nn.utils.rnn.pack_padded_sequence(x, {lengths}, batch_first={spec['batch_first']}, "
                f"enforce_sorted={bool(spec.get('sorted'))})\n")
    if spec["initial"]:
        layers = spec["num_layers"] * (2 if spec["bidirectional"] else 1)
        out_size = spec["proj_size"] or h
        inputs.append(("h0", values(spec, [layers] + ([n] if n else []) + [out_size], 1), "x"))
        if kind == "LSTM":
            inputs.append(("c0", values(spec, [layers] + ([n] if n else []) + [h], 2), "x"))
            state = "(h0, c0)"
        else:
            state = "h0"
    else:
        state = None
    if source == "x":
        return Case("rnn", spec, ctor, inputs, f"out = m(x, {state})" if state else call,
                    second="out = m(x, out[1])")
    unpack = f"\nout = (nn.utils.rnn.pad_packed_sequence(out[0], batch_first={spec['batch_first']})[0], out[1])"
    return Case("rnn", spec, ctor, inputs, call + (f"out = m(packed, {state})" if state else "out = m(packed)") + unpack,
                second=call + "out = m(packed, out[1])" + unpack)


# -- embeddings --------------------------------------------------------------------------------------------------

EMB_DEFAULTS = dict(padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, mode="mean",
                    include_last_offset=False, per_sample_weights=False, offsets=False, train=False, twice=False,
                    dtype="float64")


def draw_embedding(r: random.Random) -> dict:
    bag = r.random() < 0.5
    rows = r.randint(1, 6)
    spec = dict(bag=bag, rows=rows, dim=r.randint(1, 4), scale_grad_by_freq=r.random() < 0.3,
                padding_idx=r.choice([None, None, 0, rows - 1, -1]) if rows > 1 else None,
                max_norm=r.choice([None, None, None, 1.0, 0.5]), shape=[r.randint(1, 4), r.randint(1, 5)])
    if spec["max_norm"] is not None:
        spec["norm_type"] = r.choice([2.0, 1.0, 3.0])
    if r.random() < 0.3:
        spec["shape"] = spec["shape"][1:]
    if bag:
        spec["mode"] = r.choice(["sum", "mean", "max"])
        spec["offsets"] = r.random() < 0.5
        spec["include_last_offset"] = spec["offsets"] and r.random() < 0.4
        spec["per_sample_weights"] = r.random() < (0.4 if spec["mode"] == "sum" else 0.05)
        spec["bags"] = r.randint(1, 4)
    return common(r, spec)


def build_embedding(spec: dict) -> Case:
    rng = np.random.default_rng(spec["seed"])
    kw = dict(padding_idx=spec["padding_idx"], max_norm=spec["max_norm"], norm_type=spec.get("norm_type", 2.0),
              scale_grad_by_freq=spec["scale_grad_by_freq"])
    if not spec["bag"]:
        ctor = text("nn.Embedding", (spec["rows"], spec["dim"]), kw, EMB_DEFAULTS)
        index = rng.integers(0, spec["rows"], size=spec["shape"])
        return Case("embedding", spec, ctor, [("i", index, "i")], "out = m(i)")
    kw.update(mode=spec["mode"], include_last_offset=spec["include_last_offset"])
    ctor = text("nn.EmbeddingBag", (spec["rows"], spec["dim"]), kw, EMB_DEFAULTS)
    shape = spec["shape"] if not spec["offsets"] else [int(np.prod(spec["shape"]))]
    index = rng.integers(0, spec["rows"], size=shape)
    inputs, args = [("i", index, "i")], ["i"]
    if spec["offsets"]:
        cuts = np.sort(rng.integers(0, len(index) + 1, size=spec["bags"] - 1))
        offsets = np.concatenate([[0], cuts] + ([[len(index)]] if spec["include_last_offset"] else []))
        inputs.append(("offsets", offsets.astype(np.int64), "i"))
        args.append("offsets=offsets")
    if spec["per_sample_weights"]:
        inputs.append(("psw", values(spec, shape, 3), "x"))
        args.append("per_sample_weights=psw")
    return Case("embedding", spec, ctor, inputs, f"out = m({', '.join(args)})")


# -- attention and transformer layers ----------------------------------------------------------------------------

ATT_DEFAULTS = dict(self=False, no_grad=False, bias=True, add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False,
                    key_padding_mask=None, attn_mask=None, need_weights=True, average_attn_weights=True,
                    is_causal=False, norm_first=False, activation="relu", layer_norm_eps=1e-5, memory_mask=None,
                    memory_key_padding_mask=None, batch=2, heads=1, train=False, twice=False, dtype="float64")


def draw_attention(r: random.Random) -> dict:
    kind = r.choice(["mha", "mha", "mha", "encoder", "decoder", "stack"])
    heads = r.choice([1, 1, 2, 3])
    spec = dict(kind=kind, heads=heads, head_dim=r.randint(1, 3), batch=r.choice([None, 1, 2, 3]),
                length=r.randint(1, 4), source=r.randint(1, 4), batch_first=r.random() < 0.4, bias=r.random() < 0.8)
    masks = ["bool", "float", None, None]
    spec["attn_mask"] = r.choice(masks)
    spec["key_padding_mask"] = r.choice(masks)
    spec["mask_3d"] = spec["attn_mask"] is not None and r.random() < 0.25
    spec["is_causal"] = spec["attn_mask"] is not None and r.random() < 0.2
    spec["self"] = r.random() < 0.3  # query, key and value one tensor (PyTorch's fast path in evaluation)
    spec["no_grad"] = r.random() < 0.25  # evaluation under no_grad: PyTorch's fused kernels
    if kind == "mha":
        spec.update(kdim=r.choice([None, None, r.randint(1, 4)]), vdim=r.choice([None, None, r.randint(1, 4)]),
                    add_bias_kv=r.random() < 0.3, add_zero_attn=r.random() < 0.3, need_weights=r.random() < 0.7,
                    average_attn_weights=r.random() < 0.6)
        spec["self"] = spec["self"] and not spec["kdim"] and not spec["vdim"]
    else:
        spec.update(norm_first=r.random() < 0.5, activation=r.choice(["relu", "gelu"]), ffn=r.randint(1, 5),
                    layer_norm_eps=r.choice([1e-5, 1e-3]))
        if kind == "stack":
            spec.update(layers=r.randint(1, 3), nested=r.random() < 0.7)
        if kind == "decoder":
            spec["memory_mask"] = r.choice(masks)
            spec["memory_key_padding_mask"] = r.choice(masks)
    return common(r, spec)


def _mask(spec: dict, kind, shape, salt) -> tuple:
    rng = np.random.default_rng(spec["seed"] * 11 + salt)
    hidden = rng.random(shape) < 0.3
    if kind == "bool":
        return hidden, "b"
    return np.where(hidden, -np.inf if rng.random() < 0.5 else -3.0, rng.standard_normal(shape) * 0.3), "f"


def build_attention(spec: dict) -> Case:
    kind, heads, n = spec["kind"], spec["heads"], spec["batch"]
    e = heads * spec["head_dim"]
    L, S = spec["length"], spec["source"]

    def seq(length, width):
        if not n:
            return [length, width]
        return [n, length, width] if spec["batch_first"] else [length, n, width]

    inputs, args = [], []
    if kind == "mha":
        ctor = text("nn.MultiheadAttention", (e, heads), dict(bias=spec["bias"], add_bias_kv=spec["add_bias_kv"],
                    add_zero_attn=spec["add_zero_attn"], kdim=spec["kdim"], vdim=spec["vdim"],
                    batch_first=spec["batch_first"]), ATT_DEFAULTS)
        if spec["self"]:
            inputs, args, mask_len = [("q", values(spec, seq(L, e)), "x")], ["q", "q", "q"], L
        else:
            inputs = [("q", values(spec, seq(L, e)), "x"), ("k", values(spec, seq(S, spec["kdim"] or e), 1), "x"),
                      ("v", values(spec, seq(S, spec["vdim"] or e), 2), "x")]
            args, mask_len = ["q", "k", "v"], S
    else:
        kw = dict(dim_feedforward=spec["ffn"], dropout=0.0, activation=spec["activation"],
                  layer_norm_eps=spec["layer_norm_eps"], batch_first=spec["batch_first"], norm_first=spec["norm_first"],
                  bias=spec["bias"])
        if kind == "encoder":
            ctor = text("nn.TransformerEncoderLayer", (e, heads), kw, ATT_DEFAULTS)
            inputs, args, mask_len = [("src", values(spec, seq(L, e)), "x")], ["src"], L
        elif kind == "stack":  # TransformerEncoder: its nested-tensor path in evaluation without grad
            layer = text("nn.TransformerEncoderLayer", (e, heads), kw, ATT_DEFAULTS)
            norm = f", norm=nn.LayerNorm({e})" if spec["ffn"] % 2 else ""
            ctor = f"nn.TransformerEncoder({layer}, {spec['layers']}{norm}, enable_nested_tensor={spec['nested']})"
            inputs, args, mask_len = [("src", values(spec, seq(L, e)), "x")], ["src"], L
        else:
            ctor = text("nn.TransformerDecoderLayer", (e, heads), kw, ATT_DEFAULTS)
            inputs = [("tgt", values(spec, seq(L, e)), "x"), ("memory", values(spec, seq(S, e), 1), "x")]
            args, mask_len = ["tgt", "memory"], L
    names = {"mha": ("attn_mask", "key_padding_mask", "is_causal"),
             "encoder": ("src_mask", "src_key_padding_mask", "is_causal"),
             "stack": ("mask", "src_key_padding_mask", "is_causal"),
             "decoder": ("tgt_mask", "tgt_key_padding_mask", "tgt_is_causal")}[kind]
    if spec["attn_mask"]:
        shape = [(n or 1) * heads, L, mask_len] if spec["mask_3d"] else [L, mask_len]
        array, k = _mask(spec, spec["attn_mask"], shape, 1)
        if spec["is_causal"]:  # the hint says the mask is the causal one: PyTorch may use either
            future = np.broadcast_to(np.triu(np.ones((L, mask_len), dtype=bool), 1), shape)
            array = future.copy() if k == "b" else np.where(future, -np.inf, 0.0)
        inputs.append(("attn_mask", array, k))
        args.append(f"{names[0]}=attn_mask")
    if spec["key_padding_mask"]:
        array, k = _mask(spec, spec["key_padding_mask"], [n, mask_len] if n else [mask_len], 2)
        inputs.append(("padding_mask", array, k))
        args.append(f"{names[1]}=padding_mask")
    if spec["is_causal"]:
        args.append(f"{names[2]}=True")
    if kind == "decoder":
        if spec["memory_mask"]:
            array, k = _mask(spec, spec["memory_mask"], [L, S], 3)
            inputs.append(("memory_mask", array, k))
            args.append("memory_mask=memory_mask")
        if spec["memory_key_padding_mask"]:
            array, k = _mask(spec, spec["memory_key_padding_mask"], [n, S] if n else [S], 4)
            inputs.append(("memory_padding", array, k))
            args.append("memory_key_padding_mask=memory_padding")
    if kind == "mha":
        if not spec["need_weights"]:
            args.append("need_weights=False")
        if not spec["average_attn_weights"]:
            args.append("average_attn_weights=False")
    call = f"out = m({', '.join(args)})"
    if spec["no_grad"]:
        call = f"with T.no_grad():\n    {call}"
        inputs = [(name, array, "f" if kind == "x" else kind) for name, array, kind in inputs]
    return Case("attention", spec, ctor, inputs, call, {"masked rows"})


# -- shape and resampling layers ---------------------------------------------------------------------------------

SHAPE_DEFAULTS = dict(align_corners=None, recompute_scale_factor=None, antialias=False, dilation=1, padding=0, stride=1, batch=2,
                      channels=1, train=False, twice=False, dtype="float64")


def draw_shape(r: random.Random) -> dict:
    kind = r.choice(["upsample", "upsample", "interpolate", "pixel_shuffle", "pixel_unshuffle", "fold", "unfold", "pad", "pad",
                     "pad", "flatten", "unflatten", "channel_shuffle"])
    spec = dict(kind=kind, batch=r.choice([None, 1, 2, 2, 3]), channels=r.randint(1, 3))
    if kind == "interpolate":  # F.interpolate's options beyond Upsample's: antialias, scale factors and size
        mode = r.choice(["bilinear", "bicubic", "nearest", "nearest-exact"])
        spec.update(mode=mode, d=2, size=[r.randint(1, 7), r.randint(1, 7)], antialias=mode.startswith("bi")
                    and r.random() < 0.6, align_corners=mode.startswith("bi") and r.random() < 0.4)
        if r.random() < 0.5:
            spec["out_size"] = (r.randint(1, 8), r.randint(1, 8))
        else:
            spec["scale_factor"] = (r.choice([2.0, 0.5, 3.0, 0.4, 1.5]), r.choice([2.0, 0.5, 0.75, 2.5]))
    elif kind == "upsample":
        mode = r.choice(["nearest", "nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear"])
        d = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}.get(mode, r.choice([1, 2, 3]))
        if r.random() < 0.05:
            d = r.choice([1, 2, 3])
        spec.update(mode=mode, d=d, size=[r.randint(1, {1: 6, 2: 5, 3: 3}[d]) for _ in range(d)])
        if r.random() < 0.5:
            spec["out_size"] = one_or_tuple(r, [r.randint(1, 7) for _ in range(d)], r.random() < 0.4)
        else:
            spec["scale_factor"] = one_or_tuple(r, [r.choice([2.0, 0.5, 1.5, 3.0, 1.7, 2.5]) for _ in range(d)],
                                                r.random() < 0.5)
            spec["recompute_scale_factor"] = r.choice([None, None, True, False])
        if mode in ("linear", "bilinear", "bicubic", "trilinear") and r.random() < 0.6 or r.random() < 0.03:
            spec["align_corners"] = r.random() < 0.5
    elif kind in ("pixel_shuffle", "pixel_unshuffle"):
        spec.update(factor=r.randint(1, 3), h=r.randint(1, 3), w=r.randint(1, 3))
    elif kind in ("fold", "unfold"):
        spec.update(kernel_size=one_or_tuple(r, [r.randint(1, 3), r.randint(1, 3)], r.random() < 0.5),
                    dilation=one_or_tuple(r, [r.choice([1, 1, 2]), r.choice([1, 1, 2])], r.random() < 0.6),
                    padding=one_or_tuple(r, [r.choice([0, 0, 1]), r.choice([0, 0, 1])], r.random() < 0.6),
                    stride=one_or_tuple(r, [r.choice([1, 1, 2]), r.choice([1, 1, 2])], r.random() < 0.6),
                    size=[r.randint(1, 6), r.randint(1, 6)], wrong_blocks=r.random() < 0.05)
    elif kind == "pad":
        d = r.choice([1, 2, 3])
        spec.update(pad=r.choice(["Zero", "Constant", "Reflection", "Replication", "Circular"]), d=d,
                    size=[r.randint(1, {1: 6, 2: 4, 3: 3}[d]) for _ in range(d)], value=r.choice([0.0, 1.5, -2.0]))
        amounts = [r.choice([0, 1, 1, 2, 3] + ([-1] if spec["pad"] in ("Zero", "Constant", "Circular") else []))
                   for _ in range(2 * d)]
        spec["padding"] = amounts[0] if r.random() < 0.3 else tuple(amounts)
    elif kind in ("flatten", "unflatten"):
        spec["shape"] = [r.randint(1, 4) for _ in range(r.randint(1, 4))]
        rank = len(spec["shape"])
        spec["start"] = r.randint(-rank, rank - 1)
        spec["end"] = r.randint(-rank, rank - 1)
    else:
        spec.update(groups=r.randint(1, 3), h=r.randint(1, 3))
    return common(r, spec)


def build_shape(spec: dict) -> Case:
    kind, c = spec["kind"], spec["channels"]
    notes = set()
    call = "out = m(x)"
    if kind == "upsample":
        kw = dict(size=spec.get("out_size"), scale_factor=spec.get("scale_factor"), mode=spec["mode"],
                  align_corners=spec.get("align_corners"), recompute_scale_factor=spec.get("recompute_scale_factor"))
        ctor = text("nn.Upsample", (), kw, dict(SHAPE_DEFAULTS, size=None, scale_factor=None, mode="nearest"))
        shape = batched(spec, c, *spec["size"])
        if spec["mode"] == "nearest" and spec.get("scale_factor") is not None and spec["d"] in (1, 3):
            notes.add("nearest keeps length")
    elif kind == "interpolate":
        ctor, shape = "nn.Identity()", [spec["batch"] or 1, c, *spec["size"]]
        kw = dict(size=spec.get("out_size"), scale_factor=spec.get("scale_factor"), mode=spec["mode"],
                  align_corners=spec["align_corners"] or None, antialias=spec["antialias"])
        call = "out = " + text("nn.functional.interpolate", (), kw, dict(size=None, scale_factor=None,
                                                                          align_corners=None, antialias=False))
        call = call.replace("interpolate(", "interpolate(m(x), ", 1)
        scales = spec.get("scale_factor")
        out = spec.get("out_size") or tuple(int(n * f) for n, f in zip(spec["size"], scales))
        kept = scales is not None and any(o == n and f != 1 for o, n, f in zip(out, spec["size"], scales))
        if kept or (spec["antialias"] and out[1] == 1 and out[0] != spec["size"][0]):
            notes.add("resampling edge")  # porting.md, interpolate: the scale that keeps a length, one pixel wide
    elif kind in ("pixel_shuffle", "pixel_unshuffle"):
        r = spec["factor"]
        if kind == "pixel_shuffle":
            ctor, shape = f"nn.PixelShuffle({r})", batched(spec, c * r * r, spec["h"], spec["w"])
        else:
            ctor, shape = f"nn.PixelUnshuffle({r})", batched(spec, c, spec["h"] * r, spec["w"] * r)
    elif kind in ("fold", "unfold"):
        kw = dict(dilation=spec["dilation"], padding=spec["padding"], stride=spec["stride"])
        k = tup(spec["kernel_size"], 2)
        if kind == "unfold":
            ctor = text("nn.Unfold", (spec["kernel_size"],), kw, SHAPE_DEFAULTS)
            shape = batched(spec, c, *spec["size"])
        else:
            ctor = text("nn.Fold", (tuple(spec["size"]), spec["kernel_size"]), kw, SHAPE_DEFAULTS)
            blocks = 1
            for size, kk, dd, pp, ss in zip(spec["size"], k, tup(spec["dilation"], 2), tup(spec["padding"], 2),
                                            tup(spec["stride"], 2)):
                blocks *= max((size + 2 * pp - dd * (kk - 1) - 1) // ss + 1, 0)
            shape = batched(spec, c * k[0] * k[1], max(blocks + (1 if spec["wrong_blocks"] else 0), 1))
    elif kind == "pad":
        d, name = spec["d"], spec["pad"]
        args = (spec["padding"], spec["value"]) if name == "Constant" else (spec["padding"],)
        ctor = text(f"nn.{name}Pad{d}d", args)
        shape = batched(spec, c, *spec["size"])
    elif kind == "flatten":
        ctor, shape = f"nn.Flatten({spec['start']}, {spec['end']})", spec["shape"]
    elif kind == "unflatten":
        size = spec["shape"][spec["start"]]
        parts = [p for p in (1, 2, 3, 4) if size % p == 0]
        first = parts[spec["end"] % len(parts)]
        ctor, shape = f"nn.Unflatten({spec['start']}, ({first}, {size // first}))", spec["shape"]
    else:
        ctor, shape = f"nn.ChannelShuffle({spec['groups']})", batched(spec, c * 2, spec["h"], 2)
    return Case("shape", spec, ctor, [("x", values(spec, shape), "x")], call, notes)


# -- activations and small layers --------------------------------------------------------------------------------

def draw_activation(r: random.Random) -> dict:
    n = r.randint(1, 4)
    spec = dict(shape=[r.randint(1, 4) for _ in range(n)])
    c = r.choice([0.5, 1.0, 2.0, -0.5, 0.1])
    choices = [
        f"nn.ELU(alpha={c})", f"nn.CELU(alpha={abs(c) or 1.0})", "nn.SELU()", "nn.GELU()", "nn.GELU(approximate='tanh')",
        f"nn.Hardtanh({-abs(c)}, {abs(c) + 0.5})", f"nn.Hardtanh(min_val={c}, max_val={c - 1})",
        f"nn.Softplus(beta={c}, threshold={r.choice([20.0, 1.0, 0.5])})", f"nn.Threshold({c}, {r.choice([-1.0, 0.0, 2.0])})",
        f"nn.PReLU(init={c})", "nn.PReLU(num_parameters={channels})", "nn.Softmax(dim={dim})", "nn.LogSoftmax(dim={dim})",
        "nn.Softmin(dim={dim})", "nn.GLU(dim={dim})", f"nn.Hardshrink(lambd={abs(c)})", f"nn.Softshrink(lambd={abs(c)})",
        "nn.RReLU(0.1, 0.4)", "nn.RReLU()", f"nn.LeakyReLU({c})", "nn.ReLU6()", "nn.ReLU()", "nn.Sigmoid()", "nn.Tanh()",
        "nn.SiLU()", "nn.Mish()", "nn.Hardsigmoid()", "nn.Hardswish()", "nn.LogSigmoid()", "nn.Softsign()",
        "nn.Tanhshrink()", "nn.Softmax2d()", "nn.Identity(3, k=2)", f"nn.Dropout({r.choice([0.0, 0.3, 1.0])})",
        f"nn.AlphaDropout({r.choice([0.0, 0.3])})", f"nn.FeatureAlphaDropout({r.choice([0.0, 0.3])})",
        f"nn.Dropout1d({r.choice([0.0, 0.3, 1.0])})", f"nn.Dropout2d({r.choice([0.0, 0.3, 1.0])})",
        f"nn.Dropout3d({r.choice([0.0, 0.3, 1.0])})", f"nn.Linear({{features}}, {r.randint(1, 3)}, bias={r.random() < 0.7})",
        f"nn.Bilinear({{features}}, {{features2}}, {r.randint(1, 3)}, bias={r.random() < 0.7})",
        f"nn.CosineSimilarity(dim={{dim}}, eps={r.choice([1e-8, 0.5])})",
        f"nn.PairwiseDistance(p={r.choice([2.0, 1.0, 3.0])}, keepdim={r.random() < 0.5})",
    ]
    spec["layer"] = r.choice(choices)
    spec["dim"] = r.randint(-n, n - 1)
    # Random layers and dropout in training draw their masks: only p of 0 or 1 are compared there
    random_in_training = spec["layer"].startswith(("nn.RReLU", "nn.AlphaDropout", "nn.FeatureAlphaDropout")) or (
        "Dropout" in spec["layer"] and not any(f"({p})" in spec["layer"] for p in ("0.0", "1.0")))
    spec["train"] = r.random() < 0.5 and not random_in_training
    return common(r, spec)


def build_activation(spec: dict) -> Case:
    shape = list(spec["shape"])
    layer = spec["layer"]
    ctor = layer.format(channels=shape[1] if len(shape) > 1 else shape[0], dim=spec["dim"], features=shape[-1],
                        features2=shape[-1] % 3 + 1)
    inputs = [("x", values(spec, shape), "x")]
    call = "out = m(x)"
    if layer.startswith("nn.Bilinear"):
        inputs.append(("x2", values(spec, shape[:-1] + [shape[-1] % 3 + 1], 1), "x"))
        call = "out = m(x, x2)"
    elif layer.startswith(("nn.CosineSimilarity", "nn.PairwiseDistance")):
        inputs.append(("x2", values(spec, shape, 1), "x"))
        call = "out = m(x, x2)"
    notes = {"float32 constant"} if layer.startswith(("nn.Hardsigmoid", "nn.CELU")) else set()
    return Case("activation", spec, ctor, inputs, call, notes)


ACT_DEFAULTS = dict(train=False, twice=False, dtype="float64")

# family -> (weight, draw, build, defaults for shrinking)
FAMILIES = {
    "conv": (5, draw_conv, build_conv, CONV_DEFAULTS),
    "pool": (4, draw_pool, build_pool, POOL_DEFAULTS),
    "norm": (4, draw_norm, build_norm, NORM_DEFAULTS),
    "rnn": (3, draw_rnn, build_rnn, RNN_DEFAULTS),
    "embedding": (2, draw_embedding, build_embedding, EMB_DEFAULTS),
    "attention": (3, draw_attention, build_attention, ATT_DEFAULTS),
    "shape": (4, draw_shape, build_shape, SHAPE_DEFAULTS),
    "activation": (3, draw_activation, build_activation, ACT_DEFAULTS),
}


def draw_case(seed: int, family: str | None = None) -> Case:
    r = random.Random(seed)
    if family is None:
        family = r.choices(list(FAMILIES), weights=[w for w, *_ in FAMILIES.values()])[0]
    spec = FAMILIES[family][1](r)
    spec = {**FAMILIES[family][3], **spec, "family": family}  # every option named, at its default if not drawn
    spec["grow"] = r.randrange(1, 4) * (1 if r.random() < 0.5 else -1) if r.random() < 0.06 else 0
    spec["regrow"] = spec["twice"] and r.random() < 0.5
    # device= and dtype= given to the constructor (of layers with parameters; others refuse them)
    spec["factory"] = r.random() < (0.2 if family in ("conv", "norm", "rnn", "embedding", "attention") else 0.02)
    return build(spec)


def build(spec: dict) -> Case:
    case = FAMILIES[spec["family"]][2](spec)
    if spec.get("factory"):  # PyTorch's layers with parameters or buffers take them; others refuse
        case.ctor = case.ctor[:-1] + ("" if case.ctor.endswith("()") else ", ") + \
            f"device='cpu', dtype=T.{case.dtype})"
    if spec.get("grow"):  # a wrong input now and then: one axis of the first float input a size longer
        for index, (name, array, kind) in enumerate(case.inputs):
            if kind == "x" and array.ndim:
                shape = list(array.shape)
                shape[spec["grow"] % array.ndim] += 1
                case.inputs[index] = (name, values(spec, shape, 9), kind)
                break
    if spec.get("regrow") and spec["twice"] and len(case.inputs) == 1 and case.second is None:
        # the second call on an input one longer on its first axis (a batch, a sequence, a channel):
        # nothing the first call left may be kept for the shape it saw
        name, array, kind = case.inputs[0]
        if kind == "x" and name == "x" and array.ndim:
            case.inputs.append(("x2", values(spec, (array.shape[0] + 1,) + array.shape[1:], 8), "x"))
            case.second = re.sub(r"\bx\b", "x2", case.call)
    if spec.get("kind") in ("max", "unpool") and any(
            window_in_padding(spec, array.shape[-spec["d"]:]) for _, array, _ in case.inputs if array.ndim >= spec["d"]):
        case.notes.add("not run")
    return case


def simpler_specs(spec: dict):
    """Specs one step simpler than ``spec``: an option at its default, a number or a size one smaller."""
    defaults = FAMILIES[spec["family"]][3]
    for key, value in spec.items():
        if key in ("family", "kind", "seed", "d", "layer", "grow", "regrow", "factory", "scale"):
            if key in ("grow", "regrow", "factory") and value:
                yield dict(spec, **{key: 0})
            if key == "scale" and value != 1.0:
                yield dict(spec, scale=1.0)
            continue
        if key in defaults and defaults[key] != value:
            yield dict(spec, **{key: defaults[key]})
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int) and value > 1:
            yield dict(spec, **{key: value - 1})
        if isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            for i, v in enumerate(value):
                if v > 1:
                    smaller = list(value)
                    smaller[i] = v - 1
                    yield dict(spec, **{key: type(value)(smaller)})
