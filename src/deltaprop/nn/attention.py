"""Multi-head attention, with PyTorch's names, shapes, masks and initialisation.

Each head h looks at the sequence through its own slice of three projections, q = x·W_qᵀ + b_q,
k = x·W_kᵀ + b_k, v = x·W_vᵀ + b_v (``in_proj_weight`` holds W_q, W_k, W_v one under the other),
and computes softmax(q·kᵀ/√d + mask)·v, d = embed_dim / num_heads; the heads' outputs side by
side go through ``out_proj``. All of it is made of primitives (linear, reshape, permute, matmul,
safe_softmax), so backward() needs no rule of its own here.

Shapes follow PyTorch: query (L, N, E) ((N, L, E) with ``batch_first``) or (L, E) unbatched, key
and value (S, N, kdim) and (S, N, vdim). Masks follow PyTorch's MultiheadAttention, where True
means *not allowed* (the opposite of scaled_dot_product_attention): ``attn_mask`` (L, S) or
(N·num_heads, L, S), ``key_padding_mask`` (N, S), both boolean or floating (added to the scores).
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import ops
from ..devices import on_cpu
from ..errors import ConfigError, DataError, ShapeError
from ..tensor import Tensor, get_default_dtype
from . import functional as F
from . import init
from ._options import plain_number
from .layers import Linear
from .module import Module, Parameter, floating_dtype


def positive_integer(owner: str, option: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ConfigError(f"{owner}: {option} must be a positive integer, got {value!r}")
    return int(value)


def probability(owner: str, option: str, value):
    """``value`` as given (an int stays an int, as PyTorch keeps it), once it is in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{owner}: {option} must be a probability in [0, 1], got {value!r}")
    return plain_number(value)


def as_input(x, dtype) -> Tensor:
    """The input as a tensor: one that requires a gradient as it is, data in the layer's dtype."""
    if isinstance(x, Tensor) and x.requires_grad:
        return x
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    return Tensor._wrap(data if data.dtype == dtype else data.astype(dtype))


class Composite(Module):
    """A layer made of layers it builds itself from its arguments (``MultiheadAttention`` and its
    ``out_proj``). A model file describes its children too, so each comes back in its own
    training mode; :meth:`_from_parts` rebuilds the layer from its arguments and puts the stored
    children in place, after checking that they are what those arguments build."""

    def _part_specs(self) -> dict:
        """{child name: (class name, config)} of the children this layer's arguments build (dotted
        names for the layers inside a child that is no Composite, as :func:`_layout` lists them)."""
        raise NotImplementedError

    def _parts_fit(self) -> bool:
        """Whether the children are still those the arguments build (none replaced by another layer)."""
        parts = {name: child for name, child in self._modules.items() if child is not None}
        try:
            return _layout(parts) == self._part_specs()
        except NotImplementedError:
            return False

    @classmethod
    def _from_parts(cls, parts: dict, **config):
        module = cls(**config)
        module._take_parts(parts)
        return module

    def _take_parts(self, parts: dict) -> None:
        """Put the stored children in place of those built, once they are found to be what was built."""
        stored, built = _layout(parts), self._part_specs()
        if stored != built:
            raise _mismatch(type(self).__name__, stored, built)
        for name, child in parts.items():
            setattr(self, name, child)


def _mismatch(owner: str, stored: dict, built: dict) -> ConfigError:
    """The error for stored layers that differ from those a composite's arguments build, naming the
    first layer that differs and, where it is of the right class, the first argument; ``part`` (its
    name and class) and ``argument`` say which, so a model file's loader can name the layer by its
    place in the model."""
    error = ConfigError(f"{owner}: the stored layers {sorted(n for n in stored if '.' not in n)} do not match the ones "
                        "its arguments build")
    error.part = error.argument = None
    for name in [*built, *(n for n in stored if n not in built)]:
        if stored.get(name) == built.get(name):
            continue
        if name in stored and name in built and stored[name][0] == built[name][0]:
            error.part = (name, stored[name][0])
            mine, theirs = stored[name][1], built[name][1]
            key = next((k for k in [*theirs, *mine] if mine.get(k, ...) != theirs.get(k, ...)), None)
            error.argument = key
            error.args = (f"{owner}: its layer {name!r} ({stored[name][0]}) holds {key}={mine.get(key)!r} where its "
                          f"arguments build {key}={theirs.get(key)!r}",)
        break
    return error


def _layout(parts: dict, prefix: str = "") -> dict:
    """{dotted name: (class name, config)} of ``parts`` and of the layers inside each that is not a
    Composite (a TransformerEncoder's ModuleList and its layers); a Composite checks its own parts."""
    layout = {}
    for name, child in parts.items():
        layout[prefix + name] = (type(child).__name__, child.config())
        if not isinstance(child, Composite):
            inner = {key: module for key, module in child._modules.items() if module is not None}
            layout.update(_layout(inner, f"{prefix}{name}."))
    return layout


class MultiheadAttention(Composite):
    """Attention of a query sequence to a key/value sequence through ``num_heads`` heads.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)``: the output has the
    query's shape, with embed_dim features; the weights (N, L, S), averaged over the heads, or
    (N, num_heads, L, S), or None unless ``need_weights``. Self-attention is ``mha(x, x, x)``.

    Parameters as PyTorch names them: ``in_proj_weight`` (3·E, E) and ``in_proj_bias`` (3·E,), or,
    when kdim or vdim differ from E, ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim) and
    ``v_proj_weight`` (E, vdim); ``out_proj`` a Linear(E, E). Initialised as PyTorch does: Glorot
    uniform projections, zero biases. ``dropout`` drops attention weights in training mode.

    ``add_bias_kv=True`` appends one learned key and value, ``bias_k`` and ``bias_v`` (1, 1, E),
    Glorot normal, to every projected key and value sequence; ``add_zero_attn=True`` then appends a
    key and value of zeros. Either makes S one longer in the weights, and the masks allow the
    appended keys. A query that may attend to no key gets zero weights and a zero output (PyTorch's
    own fast path gives zeros too, its ``need_weights=True`` path NaN). ``is_causal`` is a hint that
    ``attn_mask`` is the causal mask, and, as in PyTorch, it needs the mask itself.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        name = "MultiheadAttention"
        on_cpu(name, device)
        for option, value in (("add_bias_kv", add_bias_kv), ("add_zero_attn", add_zero_attn)):
            if not isinstance(value, (bool, np.bool_)):
                raise ConfigError(f"{name}: {option} must be True or False, got {value!r}")
        self.add_zero_attn = bool(add_zero_attn)
        self.embed_dim = positive_integer(name, "embed_dim", embed_dim)
        self.num_heads = positive_integer(name, "num_heads", num_heads)
        if self.embed_dim % self.num_heads:
            raise ConfigError(f"{name}: embed_dim ({self.embed_dim}) must be divisible by num_heads "
                              f"({self.num_heads}), each head taking embed_dim / num_heads features")
        self.kdim = self.embed_dim if kdim is None else positive_integer(name, "kdim", kdim)
        self.vdim = self.embed_dim if vdim is None else positive_integer(name, "vdim", vdim)
        self.dropout = probability(name, "dropout", dropout)
        self.batch_first = bool(batch_first)
        self.head_dim = self.embed_dim // self.num_heads
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        dtype = floating_dtype(name, get_default_dtype() if dtype is None else dtype)
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * E, E), dtype=dtype))
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = Parameter(np.empty((E, E), dtype=dtype))
            self.k_proj_weight = Parameter(np.empty((E, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(np.empty((E, self.vdim), dtype=dtype))
        self.register_parameter("in_proj_bias", Parameter(np.empty(3 * E, dtype=dtype)) if bias else None)
        for key in ("bias_k", "bias_v"):
            self.register_parameter(key, Parameter(np.empty((1, 1, E), dtype=dtype)) if add_bias_kv else None)
        self.out_proj = Linear(E, E, bias=bias, dtype=dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # PyTorch's _reset_parameters: Glorot uniform for the input projections (over the stacked
        # (3E, E) matrix when there is one), zeros for both biases; out_proj keeps Linear's weight.
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    # -- forward -----------------------------------------------------------------------------------

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True, attn_mask=None,
                average_attn_weights: bool = True, is_causal: bool = False):
        return self._attend(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights,
                            is_causal)

    def _attend(self, query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal,
                static_k=None, static_v=None):
        """forward's computation; ``static_k`` and ``static_v`` (N·num_heads, S, head_dim), which the
        functional form takes (checked there), replace the projected keys and values."""
        if is_causal and attn_mask is None:
            raise ConfigError(f"{self.describe()}: is_causal=True needs attn_mask, the causal mask it is a hint about "
                              "(as in PyTorch); pass attn_mask=nn.Transformer.generate_square_subsequent_mask(L) with it")
        q, k, v, unbatched = self._inputs(query, key, value)  # (N, L, E), (N, S, kdim), (N, S, vdim)
        batch, length = q.shape[0], q.shape[1]
        source = k.shape[1] if static_k is None else _mask_shape(static_k)[1]
        bias = self._mask_bias(attn_mask, key_padding_mask, batch, length, source, unbatched)
        q, k, v = self._project(q, k, v, query is key and key is value)
        # (the projections static_k and static_v replace are made all the same, as PyTorch makes them)
        k = k if static_k is None else self._joined_heads(static_k, batch)
        v = v if static_v is None else self._joined_heads(static_v, batch)
        k, v = self._appended_keys(k, v)
        q, k, v = (self._heads(x) for x in (q, k, v))  # (N, heads, L or S, head_dim)
        out, weights = F.attention._attention(self.describe(), q, k, v, bias, self.dropout if self.training else 0.0)
        out = ops.reshape(ops.permute(out, (0, 2, 1, 3)), (batch, length, self.embed_dim))
        out = self.out_proj(out)
        if unbatched:
            out = ops.reshape(out, (length, self.embed_dim))
        elif not self.batch_first:
            out = ops.permute(out, (1, 0, 2))
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = ops.mean(weights, axis=1)
        return out, (ops.reshape(weights, weights.shape[1:]) if unbatched else weights)

    def _inputs(self, query, key, value):
        """query, key and value as batch-first tensors in the layer's dtype, checked, and whether unbatched."""
        shapes = [tuple(np.shape(x.data if isinstance(x, Tensor) else x)) for x in (query, key, value)]
        layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
        (qs, ks, vs), dims = shapes, (self.embed_dim, self.kdim, self.vdim)
        if len(qs) not in (2, 3) or any(len(s) != len(qs) for s in (ks, vs)) or [s[-1] for s in shapes] != list(dims):
            raise ShapeError(f"{self.describe()} expected query, key and value of shapes {layout} with E = "
                             f"{self.embed_dim}, {self.kdim}, {self.vdim} (or unbatched (L, E)), got shapes "
                             f"{qs}, {ks} and {vs}")
        unbatched = len(qs) == 2
        batch_axis = 0 if self.batch_first else 1
        if ks[:-1] != vs[:-1] or (not unbatched and qs[batch_axis] != ks[batch_axis]):
            raise ShapeError(f"{self.describe()}: key and value must have the same length and batch size, and the "
                             f"query the same batch size, got shapes {qs}, {ks} and {vs}")
        dtype = self.out_proj.weight.dtype
        tensors = []
        for x, shape in zip((query, key, value), shapes):
            x = as_input(x, dtype)
            if unbatched:
                x = ops.reshape(x, (1, *shape))
            elif not self.batch_first:
                x = ops.permute(x, (1, 0, 2))
            tensors.append(x)
        return (*tensors, unbatched)

    def _project(self, q, k, v, self_attention: bool):
        E, b = self.embed_dim, self.in_proj_bias
        biases = (None,) * 3 if b is None else tuple(ops.getitem(b, slice(i * E, (i + 1) * E)) for i in range(3))
        if self._qkv_same_embed_dim and self_attention:
            # One product for the three projections, as PyTorch does when query, key and value are one tensor.
            return tuple(ops.chunk(F.linear(q, self.in_proj_weight, b), 3, -1))
        if self._qkv_same_embed_dim:
            weights = tuple(ops.getitem(self.in_proj_weight, slice(i * E, (i + 1) * E)) for i in range(3))
        else:
            weights = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return tuple(F.linear(x, w, bias) for x, w, bias in zip((q, k, v), weights, biases))

    def _appended_keys(self, k, v):
        """k and v (N, S, E) with add_bias_kv's learned key and value, then add_zero_attn's zeros,
        appended to every sequence (PyTorch's order)."""
        extra_k, extra_v = [], []
        if self.bias_k is not None:
            extra_k.append(ops.expand(self.bias_k, k.shape[0], 1, self.embed_dim))
            extra_v.append(ops.expand(self.bias_v, v.shape[0], 1, self.embed_dim))
        if self.add_zero_attn:
            zeros = np.zeros((k.shape[0], 1, self.embed_dim), dtype=self.out_proj.weight.dtype)
            extra_k.append(zeros)
            extra_v.append(zeros)
        if not extra_k:
            return k, v
        return ops.concatenate([k, *extra_k], axis=1), ops.concatenate([v, *extra_v], axis=1)

    def _joined_heads(self, x, batch: int):
        """(N·heads, T, head_dim) → (N, T, E), the layout of the projections: _heads undone."""
        x = ops.reshape(as_input(x, self.out_proj.weight.dtype), (batch, self.num_heads, -1, self.head_dim))
        return ops.reshape(ops.permute(x, (0, 2, 1, 3)), (batch, x.shape[2], self.embed_dim))

    def _heads(self, x):
        """(N, T, E) → (N, heads, T, head_dim): head h holds features h·head_dim .. (h + 1)·head_dim − 1."""
        batch, steps = x.shape[0], x.shape[1]
        return ops.permute(ops.reshape(x, (batch, steps, self.num_heads, self.head_dim)), (0, 2, 1, 3))

    def _mask_bias(self, attn_mask, key_padding_mask, batch, length, source, unbatched):
        """The masks as one term added to the scores, of a shape that broadcasts to (N, heads, L, S), or None.

        A boolean mask's True ("not allowed") becomes −inf; a floating mask is added as it is. The
        keys add_bias_kv and add_zero_attn append get 0 (allowed), as PyTorch pads its masks.
        """
        terms = []
        if attn_mask is not None:
            shape = _mask_shape(attn_mask)
            heads = self.num_heads * (1 if unbatched else batch)
            if shape not in ((length, source), (heads, length, source)):
                raise ShapeError(f"{self.describe()}: attn_mask must have shape (L, S) = {(length, source)} or "
                                 f"(N·num_heads, L, S) = {(heads, length, source)}, got shape {shape}")
            term = self._bias("attn_mask", attn_mask)
            terms.append(term if len(shape) == 2 else ops.reshape(term, (batch, self.num_heads, length, source)))
        if key_padding_mask is not None:
            shape = _mask_shape(key_padding_mask)
            expected = (source,) if unbatched else (batch, source)
            if shape != expected:
                layout = "(S,)" if unbatched else "(N, S)"
                raise ShapeError(f"{self.describe()}: key_padding_mask must have shape {layout} = {expected}, got "
                                 f"shape {shape}")
            term = self._bias("key_padding_mask", key_padding_mask)
            terms.append(ops.reshape(term, (batch, 1, 1, source)))
        if not terms:
            return None
        total = terms[0]
        for term in terms[1:]:
            total = ops.add(total, term)
        appended = (self.bias_k is not None) + self.add_zero_attn
        return ops.pad(total, (0, appended)) if appended else total

    def _bias(self, option: str, mask):
        data = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
        dtype = self.out_proj.weight.dtype
        if data.dtype == np.bool_:
            return np.where(data, dtype.type(-np.inf), dtype.type(0))
        if data.dtype.kind != "f":
            raise DataError(f"{self.describe()}: {option} must be boolean (True: not allowed) or floating point (added "
                            f"to the scores), got dtype {data.dtype}")
        if isinstance(mask, Tensor) and mask.requires_grad:
            return mask
        return data.astype(dtype, copy=False)

    # -- description ---------------------------------------------------------------------------------

    def _part_specs(self) -> dict:
        E = self.embed_dim
        linear = {"in_features": E, "out_features": E, "bias": self.in_proj_bias is not None,
                  "dtype": self.out_proj.weight.dtype.name}
        return {"out_proj": ("Linear", linear)}

    def describe(self) -> str:
        return f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"

    def config(self) -> dict:
        return {
            "embed_dim": self.embed_dim,
            "num_heads": self.num_heads,
            "dropout": self.dropout,
            "bias": self.in_proj_bias is not None,
            "add_bias_kv": self.bias_k is not None,
            "add_zero_attn": self.add_zero_attn,
            "kdim": self.kdim,
            "vdim": self.vdim,
            "batch_first": self.batch_first,
            "dtype": self.out_proj.weight.dtype.name,
        }

    def extra_repr(self) -> str:
        text = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.in_proj_bias is None:
            text += ", bias=False"
        if self.bias_k is not None:
            text += ", add_bias_kv=True"
        if self.add_zero_attn:
            text += ", add_zero_attn=True"
        if not self._qkv_same_embed_dim:
            text += f", kdim={self.kdim}, vdim={self.vdim}"
        if self.batch_first:
            text += ", batch_first=True"
        return text


def _mask_shape(mask) -> tuple:
    return tuple(np.shape(mask.data if isinstance(mask, Tensor) else mask))
