"""The Transformer's encoder: self-attention and a feed-forward block, each with a residual
connection and a layer norm, as PyTorch's ``TransformerEncoderLayer`` and ``TransformerEncoder``.

Post-norm (the original Transformer, PyTorch's default):
    x = norm1(x + dropout1(self_attn(x, x, x)))
    x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))
Pre-norm (``norm_first=True``, easier to train deep):
    x = x + dropout1(self_attn(norm1(x), ...))
    x = x + dropout2(linear2(dropout(activation(linear1(norm2(x))))))
"""

from __future__ import annotations

import copy
import numbers

from ..errors import ConfigError
from ..tensor import DEFAULT_DTYPE
from . import functional as F
from .attention import Composite, MultiheadAttention, as_input, positive_integer, probability
from .container import ModuleList
from .layers import Dropout, Linear
from .module import Module, floating_dtype
from .normalization import LayerNorm

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class TransformerEncoderLayer(Composite):
    """Self-attention then a two-layer feed-forward network, PyTorch's layer of the same name.

    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``: ``src`` (L, N,
    d_model) ((N, L, d_model) with ``batch_first``) or (L, d_model); the masks are those of
    :class:`MultiheadAttention`. ``activation`` is "relu", "gelu" or a function (a layer with a
    function of one's own saves its weights, not its architecture). Children and state-dict keys as
    in PyTorch: ``self_attn``, ``linear1``, ``dropout``, ``linear2``, ``norm1``, ``norm2``,
    ``dropout1``, ``dropout2``.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True, dtype=None):
        super().__init__()
        name = "TransformerEncoderLayer"
        d_model = positive_integer(name, "d_model", d_model)
        nhead = positive_integer(name, "nhead", nhead)
        dim_feedforward = positive_integer(name, "dim_feedforward", dim_feedforward)
        dropout = probability(name, "dropout", dropout)
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ConfigError(f"{name}: activation must be 'relu', 'gelu' or a function, got {activation!r}")
        elif not callable(activation):
            raise ConfigError(f"{name}: activation must be 'relu', 'gelu' or a function, got {activation!r}")
        if isinstance(layer_norm_eps, bool) or not isinstance(layer_norm_eps, numbers.Real) or not layer_norm_eps > 0:
            raise ConfigError(f"{name}: layer_norm_eps must be a positive number, got {layer_norm_eps!r}")
        if d_model % nhead:
            raise ConfigError(f"{name}: d_model ({d_model}) must be divisible by nhead ({nhead}), each head taking "
                              "d_model / nhead features")
        dtype = floating_dtype(name, DEFAULT_DTYPE if dtype is None else dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _ACTIVATIONS.get(activation, activation) if isinstance(activation, str) else activation
        self.batch_first = bool(batch_first)
        # The arguments the children were built from (config() and the check of a model file's layers).
        self._settings = {"d_model": d_model, "nhead": nhead, "dim_feedforward": dim_feedforward, "dropout": dropout,
                          "layer_norm_eps": float(layer_norm_eps), "bias": bool(bias)}

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = as_input(src, self.linear1.weight.dtype)
        if self.norm_first:
            x = x + self._attention_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._feed_forward_block(self.norm2(x))
        x = self.norm1(x + self._attention_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward_block(x))

    def _attention_block(self, x, attn_mask, key_padding_mask, is_causal):
        out, _ = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                                is_causal=is_causal)
        return self.dropout1(out)

    def _feed_forward_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    # -- description ---------------------------------------------------------------------------------

    @property
    def _activation_name(self):
        return next((name for name, function in _ACTIVATIONS.items() if function is self.activation), None)

    def _part_specs(self) -> dict:
        settings, dtype = self._settings, self.linear1.weight.dtype.name
        d_model, width, bias = settings["d_model"], settings["dim_feedforward"], settings["bias"]
        dropout = ("Dropout", {"p": settings["dropout"]})
        norm = ("LayerNorm", {"normalized_shape": [d_model], "eps": settings["layer_norm_eps"],
                              "elementwise_affine": True, "bias": bias, "dtype": dtype})
        return {
            "self_attn": ("MultiheadAttention", {"embed_dim": d_model, "num_heads": settings["nhead"],
                                                 "dropout": settings["dropout"], "bias": bias, "kdim": d_model,
                                                 "vdim": d_model, "batch_first": self.batch_first, "dtype": dtype}),
            "linear1": ("Linear", {"in_features": d_model, "out_features": width, "bias": bias, "dtype": dtype}),
            "dropout": dropout,
            "linear2": ("Linear", {"in_features": width, "out_features": d_model, "bias": bias, "dtype": dtype}),
            "norm1": norm,
            "norm2": norm,
            "dropout1": dropout,
            "dropout2": dropout,
        }

    def config(self) -> dict:
        name = self._activation_name
        if name is None:
            raise NotImplementedError("TransformerEncoderLayer with an activation function of its own does not "
                                      "describe its constructor arguments (config())")
        return {**self._settings, "activation": name, "batch_first": self.batch_first, "norm_first": self.norm_first,
                "dtype": self.linear1.weight.dtype.name}

    def extra_repr(self) -> str:
        name = self._activation_name or getattr(self.activation, "__name__", repr(self.activation))
        text = f"activation={name}"
        if self.norm_first:
            text += ", norm_first=True"
        return text


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` one after the other, then ``norm`` if given.

    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)`` hands the masks to every
    layer. The copies are deep (``copy.deepcopy``, as PyTorch makes them): each has weights of its
    own, initialised as ``encoder_layer`` was. PyTorch's ``enable_nested_tensor`` and ``mask_check``
    (a speed path for padded batches) are accepted and change nothing.
    """

    def __init__(self, encoder_layer, num_layers: int, norm=None, enable_nested_tensor: bool = True,
                 mask_check: bool = True):
        super().__init__()
        if not isinstance(encoder_layer, Module):
            raise ConfigError(f"TransformerEncoder: encoder_layer must be a layer (a Module), got "
                              f"{type(encoder_layer).__name__}")
        if norm is not None and not isinstance(norm, Module):
            raise ConfigError(f"TransformerEncoder: norm must be a layer (a Module) or None, got {type(norm).__name__}")
        self.num_layers = positive_integer("TransformerEncoder", "num_layers", num_layers)
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(self.num_layers)])
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return output if self.norm is None else self.norm(output)

    def config(self) -> dict:
        return {"num_layers": self.num_layers}

    def _parts_fit(self) -> bool:
        return isinstance(self.layers, ModuleList) and len(self.layers) == self.num_layers

    @classmethod
    def _from_parts(cls, parts: dict, num_layers: int):
        layers, norm = parts.get("layers"), parts.get("norm")
        if set(parts) - {"layers", "norm"} or not isinstance(layers, ModuleList) or len(layers) != num_layers:
            raise ConfigError(f"TransformerEncoder: expected its {num_layers!r} layers in a ModuleList and an optional "
                              f"norm, got the layers {sorted(parts)}")
        module = cls(layers[0], 1, norm)  # one copy made and dropped: the stored layers take its place
        module.layers = layers
        module.num_layers = len(layers)
        return module
