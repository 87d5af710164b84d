"""The Transformer: its encoder and decoder layers, their stacks and the whole encoder-decoder
model, as PyTorch's ``TransformerEncoderLayer``, ``TransformerDecoderLayer``, ``TransformerEncoder``,
``TransformerDecoder`` and ``Transformer``.

A layer is a chain of residual blocks, block i with its own ``norm{i}`` and ``dropout{i}``: the
encoder's are self-attention and the feed-forward network, the decoder's self-attention, attention
to the encoder's output (``memory``) and the feed-forward network. Post-norm (the original
Transformer, PyTorch's default) and pre-norm (``norm_first=True``, easier to train deep):
    x = norm_i(x + block_i(x))            x = x + block_i(norm_i(x))
with block(x) = dropout_i(attention(x, ...)) or dropout_last(linear2(dropout(activation(linear1(x))))).
"""

from __future__ import annotations

import copy
import numbers

import numpy as np

from ..devices import on_cpu
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor, get_default_dtype
from . import functional as F
from . import init
from .attention import Composite, MultiheadAttention, _layout, as_input, positive_integer, probability
from .container import ModuleList
from .layers import Dropout, Linear
from .module import Module, floating_dtype
from .normalization import LayerNorm

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _norm_spec(d_model: int, eps: float, bias: bool, dtype: str) -> tuple:
    return ("LayerNorm", {"normalized_shape": [d_model], "eps": eps, "elementwise_affine": True, "bias": bias,
                          "dtype": dtype})


def _layer_settings(owner: str, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, bias) -> dict:
    """The arguments of the Transformer's layers, checked (``owner`` names the layer the user made) and
    as the layers keep them: d_model, nhead, dim_feedforward, dropout, layer_norm_eps and bias."""
    d_model = positive_integer(owner, "d_model", d_model)
    nhead = positive_integer(owner, "nhead", nhead)
    dim_feedforward = positive_integer(owner, "dim_feedforward", dim_feedforward)
    dropout = probability(owner, "dropout", dropout)
    known = activation in _ACTIVATIONS if isinstance(activation, str) else callable(activation)
    if not known:
        raise ConfigError(f"{owner}: activation must be 'relu', 'gelu' or a function, got {activation!r}")
    if isinstance(layer_norm_eps, bool) or not isinstance(layer_norm_eps, numbers.Real) or not layer_norm_eps > 0:
        raise ConfigError(f"{owner}: layer_norm_eps must be a positive number, got {layer_norm_eps!r}")
    if d_model % nhead:
        raise ConfigError(f"{owner}: d_model ({d_model}) must be divisible by nhead ({nhead}), each head taking "
                          "d_model / nhead features")
    return {"d_model": d_model, "nhead": nhead, "dim_feedforward": dim_feedforward, "dropout": dropout,
            "layer_norm_eps": float(layer_norm_eps), "bias": bool(bias)}


def _check_causal_hint(owner: str, hint: str, is_causal, option: str, mask) -> None:
    """A causal hint is about a mask, and PyTorch refuses it without one: so do we, naming the layer's options."""
    if is_causal and mask is None:
        square = ("" if option == "memory_mask"
                  else f"; pass {option}=nn.Transformer.generate_square_subsequent_mask(L) with it")
        raise ConfigError(f"{owner}: {hint}=True needs {option}, the causal mask it is a hint about (as in PyTorch)"
                          f"{square}")


def _check_sequences(owner: str, d_model: int, batch_first: bool, **sequences) -> None:
    """The inputs are all batched (3-d) or all unbatched (2-d), with d_model features and one batch size."""
    shapes = {name: tuple(np.shape(x.data if isinstance(x, Tensor) else x)) for name, x in sequences.items()}
    ranks = {len(shape) for shape in shapes.values()}
    batch_axis = 0 if batch_first else 1
    if (len(ranks) != 1 or ranks.pop() not in (2, 3) or any(shape[-1] != d_model for shape in shapes.values())
            or len({shape[batch_axis] for shape in shapes.values() if len(shape) == 3}) > 1):
        layout = "(N, length, E)" if batch_first else "(length, N, E)"
        got = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ShapeError(f"{owner} expected {' and '.join(shapes)} of shapes {layout} with one batch size N and "
                         f"E = d_model = {d_model} (or all unbatched (length, E)), got {got}")


class _TransformerLayer(Composite):
    """What the encoder's and the decoder's layers share: arguments, children, blocks and description.

    A subclass names its attention children in ``_attentions``; the children are built in PyTorch's
    order: the attentions, ``linear1``, ``dropout``, ``linear2``, ``norm1`` … ``norm{k}``,
    ``dropout1`` … ``dropout{k}``, k = one block per attention and one for the feed-forward network.
    """

    _attentions: tuple = ()

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation="relu", layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        on_cpu(name, device)
        # The arguments the children were built from (config() and the check of a model file's layers).
        self._settings = _layer_settings(name, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                         bias)
        d_model, nhead, dim_feedforward, dropout = (self._settings[key] for key in ("d_model", "nhead",
                                                                                  "dim_feedforward", "dropout"))
        dtype = floating_dtype(name, get_default_dtype() if dtype is None else dtype)
        for attention in self._attentions:
            setattr(self, attention, MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                        batch_first=batch_first, dtype=dtype))
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = bool(norm_first)
        blocks = range(1, len(self._attentions) + 2)
        for index in blocks:
            setattr(self, f"norm{index}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        for index in blocks:
            setattr(self, f"dropout{index}", Dropout(dropout))
        self.activation = _ACTIVATIONS.get(activation, activation) if isinstance(activation, str) else activation
        self.batch_first = bool(batch_first)

    def _residual_blocks(self, x, blocks):
        """x through each block with its residual connection and ``norm{i}``, before (pre-norm) or after."""
        for index, block in enumerate(blocks, 1):
            norm = getattr(self, f"norm{index}")
            x = x + block(norm(x)) if self.norm_first else norm(x + block(x))
        return x

    @staticmethod
    def _attention_block(attention, dropout, x, source, attn_mask, key_padding_mask, is_causal):
        # self-attention passes x as source: one tensor for query, key and value takes MultiheadAttention's
        # single-product projection
        out, _ = attention(x, source, source, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)
        return dropout(out)

    def _feed_forward_block(self, x):
        last = getattr(self, f"dropout{len(self._attentions) + 1}")
        return last(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    # -- description ---------------------------------------------------------------------------------

    @property
    def _activation_name(self):
        return next((name for name, function in _ACTIVATIONS.items() if function is self.activation), None)

    def _part_specs(self) -> dict:
        settings, dtype = self._settings, self.linear1.weight.dtype.name
        d_model, width, bias = settings["d_model"], settings["dim_feedforward"], settings["bias"]
        attention = ("MultiheadAttention", {"embed_dim": d_model, "num_heads": settings["nhead"],
                                            "dropout": settings["dropout"], "bias": bias, "add_bias_kv": False,
                                            "add_zero_attn": False, "kdim": d_model,
                                            "vdim": d_model, "batch_first": self.batch_first, "dtype": dtype})
        blocks = range(1, len(self._attentions) + 2)
        return {
            **{name: attention for name in self._attentions},
            "linear1": ("Linear", {"in_features": d_model, "out_features": width, "bias": bias, "dtype": dtype}),
            "dropout": ("Dropout", {"p": settings["dropout"]}),
            "linear2": ("Linear", {"in_features": width, "out_features": d_model, "bias": bias, "dtype": dtype}),
            **{f"norm{i}": _norm_spec(d_model, settings["layer_norm_eps"], bias, dtype) for i in blocks},
            **{f"dropout{i}": ("Dropout", {"p": settings["dropout"]}) for i in blocks},
        }

    def describe(self) -> str:
        return f"{type(self).__name__}(d_model={self._settings['d_model']}, nhead={self._settings['nhead']})"

    def config(self) -> dict:
        name = self._activation_name
        if name is None:
            raise NotImplementedError(f"{type(self).__name__} with an activation function of its own does not "
                                      "describe its constructor arguments (config())")
        return {**self._settings, "activation": name, "batch_first": self.batch_first, "norm_first": self.norm_first,
                "dtype": self.linear1.weight.dtype.name}

    def extra_repr(self) -> str:
        name = self._activation_name or getattr(self.activation, "__name__", repr(self.activation))
        text = f"activation={name}"
        if self.norm_first:
            text += ", norm_first=True"
        return text


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention then a two-layer feed-forward network, PyTorch's layer of the same name.

    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``: ``src`` (L, N,
    d_model) ((N, L, d_model) with ``batch_first``) or (L, d_model); the masks are those of
    :class:`MultiheadAttention`. ``activation`` is "relu", "gelu" or a function (a layer with a
    function of one's own saves its weights, not its architecture). Children and state-dict keys as
    in PyTorch: ``self_attn``, ``linear1``, ``dropout``, ``linear2``, ``norm1``, ``norm2``,
    ``dropout1``, ``dropout2``.
    """

    _attentions = ("self_attn",)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        _check_sequences(self.describe(), self._settings["d_model"], self.batch_first, src=src)
        _check_causal_hint(self.describe(), "is_causal", is_causal, "src_mask", src_mask)
        x = as_input(src, self.linear1.weight.dtype)

        def self_attention(h):
            return self._attention_block(self.self_attn, self.dropout1, h, h, src_mask, src_key_padding_mask,
                                         is_causal)

        return self._residual_blocks(x, (self_attention, self._feed_forward_block))


class TransformerDecoderLayer(_TransformerLayer):
    """Self-attention, attention to the encoder's output, then a feed-forward network, PyTorch's layer
    of the same name.

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``: ``tgt`` (T, N,
    d_model) and ``memory`` (S, N, d_model) ((N, T, d_model) and (N, S, d_model) with
    ``batch_first``), or both unbatched; ``tgt_mask`` (T, T) and ``memory_mask`` (T, S) and the
    padding masks as :class:`MultiheadAttention` takes them. Arguments as the encoder's layer.
    Children and state-dict keys as in PyTorch: ``self_attn``, ``multihead_attn``, ``linear1``,
    ``dropout``, ``linear2``, ``norm1`` to ``norm3``, ``dropout1`` to ``dropout3``.
    """

    _attentions = ("self_attn", "multihead_attn")

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False, memory_is_causal: bool = False):
        _check_sequences(self.describe(), self._settings["d_model"], self.batch_first, tgt=tgt, memory=memory)
        _check_causal_hint(self.describe(), "tgt_is_causal", tgt_is_causal, "tgt_mask", tgt_mask)
        _check_causal_hint(self.describe(), "memory_is_causal", memory_is_causal, "memory_mask", memory_mask)
        dtype = self.linear1.weight.dtype
        x, memory = as_input(tgt, dtype), as_input(memory, dtype)

        def self_attention(h):
            return self._attention_block(self.self_attn, self.dropout1, h, h, tgt_mask, tgt_key_padding_mask,
                                         tgt_is_causal)

        def memory_attention(h):
            return self._attention_block(self.multihead_attn, self.dropout2, h, memory, memory_mask,
                                         memory_key_padding_mask, memory_is_causal)

        return self._residual_blocks(x, (self_attention, memory_attention, self._feed_forward_block))


class _LayerStack(Module):
    """``num_layers`` deep copies of a layer one after the other, then ``norm`` if given: what
    TransformerEncoder and TransformerDecoder share. The copies are made as PyTorch makes them
    (``copy.deepcopy``): each has weights of its own, initialised as the given layer was."""

    def __init__(self, layer, num_layers: int, norm, argument: str):
        super().__init__()
        name = type(self).__name__
        if not isinstance(layer, Module):
            raise ConfigError(f"{name}: {argument} must be a layer (a Module), got {type(layer).__name__}")
        if norm is not None and not isinstance(norm, Module):
            raise ConfigError(f"{name}: norm must be a layer (a Module) or None, got {type(norm).__name__}")
        self.num_layers = positive_integer(name, "num_layers", num_layers)
        self.layers = ModuleList([copy.deepcopy(layer) for _ in range(self.num_layers)])
        self.norm = norm

    def _finish(self, output):
        return output if self.norm is None else self.norm(output)

    def config(self) -> dict:
        return {"num_layers": self.num_layers}

    def _parts_fit(self) -> bool:
        return isinstance(self.layers, ModuleList) and len(self.layers) == self.num_layers

    @classmethod
    def _from_parts(cls, parts: dict, num_layers: int):
        layers, norm = parts.get("layers"), parts.get("norm")
        positive_integer(cls.__name__, "num_layers", num_layers)  # (the constructor below is given 1)
        if set(parts) - {"layers", "norm"} or not isinstance(layers, ModuleList) or len(layers) != num_layers:
            raise ConfigError(f"{cls.__name__}: expected its num_layers={num_layers!r} layers in a ModuleList and an "
                              f"optional norm, got the layers {sorted(parts)}")
        module = cls(layers[0], 1, norm)  # one copy made and dropped: the stored layers take its place
        module.layers = layers
        module.num_layers = len(layers)
        return module


class TransformerEncoder(_LayerStack):
    """``num_layers`` copies of ``encoder_layer`` one after the other, then ``norm`` if given.

    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)`` hands the masks to every
    layer. PyTorch's ``enable_nested_tensor`` and ``mask_check`` (a speed path for padded batches)
    are accepted and change nothing.
    """

    def __init__(self, encoder_layer, num_layers: int, norm=None, enable_nested_tensor: bool = True,
                 mask_check: bool = True):
        super().__init__(encoder_layer, num_layers, norm, "encoder_layer")

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return self._finish(output)


class TransformerDecoder(_LayerStack):
    """``num_layers`` copies of ``decoder_layer`` one after the other, then ``norm`` if given.

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)`` hands ``memory`` and
    the masks to every layer.
    """

    def __init__(self, decoder_layer, num_layers: int, norm=None):
        super().__init__(decoder_layer, num_layers, norm, "decoder_layer")

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal: bool = False):
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=bool(tgt_is_causal), memory_is_causal=bool(memory_is_causal))
        return self._finish(output)


class Transformer(Composite):
    """The encoder-decoder Transformer (Vaswani et al., 2017), PyTorch's ``nn.Transformer``.

    ``encoder``: a TransformerEncoder of ``num_encoder_layers`` layers and a final LayerNorm;
    ``decoder``: a TransformerDecoder of ``num_decoder_layers`` layers and a final LayerNorm; the
    layers take the other arguments. ``forward(src, tgt, src_mask=None, tgt_mask=None,
    memory_mask=None, src_key_padding_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None, memory_is_causal=False)``
    encodes ``src`` (S, N, d_model) and decodes ``tgt`` (T, N, d_model) against it ((N, S, d_model)
    and (N, T, d_model) with ``batch_first``); the output has ``tgt``'s shape. Initialised as
    PyTorch does: Glorot uniform for every parameter of two or more dimensions, after the layers'
    own initialisation.

    ``custom_encoder`` and ``custom_decoder``, as in PyTorch: a layer (or function) that takes the
    place of the encoder or decoder the Transformer would build, called as
    ``encoder(src, mask=, src_key_padding_mask=, is_causal=)`` and ``decoder(tgt, memory, tgt_mask=,
    memory_mask=, tgt_key_padding_mask=, memory_key_padding_mask=, tgt_is_causal=,
    memory_is_causal=)``; its parameters are initialised with the others (Glorot uniform for the
    matrices). The layer arguments are checked even where both are given and no layer is built
    from them (PyTorch then ignores them). A model file keeps a custom part built from deltaprop's
    layers; one of a class of one's own stores the weights alone.
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6, num_decoder_layers: int = 6,
                 dim_feedforward: int = 2048, dropout: float = 0.1, activation="relu", custom_encoder=None,
                 custom_decoder=None, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device=None, dtype=None):
        super().__init__()
        on_cpu("Transformer", device)
        settings = _layer_settings("Transformer", d_model, nhead, dim_feedforward, dropout, activation,
                                   layer_norm_eps, bias)
        dtype = floating_dtype("Transformer", get_default_dtype() if dtype is None else dtype)
        self._num_layers = {"encoder": positive_integer("Transformer", "num_encoder_layers", num_encoder_layers),
                            "decoder": positive_integer("Transformer", "num_decoder_layers", num_decoder_layers)}
        _check_custom_part("custom_encoder", custom_encoder)
        _check_custom_part("custom_decoder", custom_decoder)
        self._custom = {"encoder": custom_encoder is not None, "decoder": custom_decoder is not None}
        arguments = dict(d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward, dropout=dropout,
                         activation=activation, layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                         norm_first=norm_first, bias=bias, dtype=dtype)
        for stack, custom, stack_class, layer_class in (
                ("encoder", custom_encoder, TransformerEncoder, TransformerEncoderLayer),
                ("decoder", custom_decoder, TransformerDecoder, TransformerDecoderLayer)):
            setattr(self, stack, custom if custom is not None else stack_class(
                layer_class(**arguments), self._num_layers[stack],
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)))
        self.reset_parameters()
        self.d_model = settings["d_model"]
        self.nhead = settings["nhead"]
        self.batch_first = bool(batch_first)
        # What config() and the check of a model file's layers need (None: an activation of one's own).
        name = next((key for key, function in _ACTIVATIONS.items() if activation in (key, function)), None)
        self._layer_config = None if name is None else {
            **settings, "activation": name, "batch_first": self.batch_first, "norm_first": bool(norm_first),
            "dtype": np.dtype(dtype).name}

    def reset_parameters(self) -> None:
        # PyTorch's _reset_parameters: Glorot uniform for every matrix (the attention projections and
        # the feed-forward weights, and those of a custom encoder or decoder), replacing the layers'
        # own initialisation of them.
        for parameter in self.parameters():
            if parameter.data.ndim > 1:
                init.xavier_uniform_(parameter)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal: bool = False):
        _check_sequences(self.describe(), self.d_model, self.batch_first, src=src, tgt=tgt)
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @classmethod
    def _from_parts(cls, parts: dict, custom_encoder=False, custom_decoder=False, **config):
        # A file's custom_encoder/custom_decoder is true where the stored encoder/decoder is one of the
        # model's own: it is given to the constructor as it is. The stored stacks the arguments build are
        # counted before the Transformer is built: within the size bound, a big hostile file could
        # otherwise have tens of thousands of tiny layers built (seconds to minutes) only to be refused.
        given = {}
        for stack, custom in (("encoder", custom_encoder), ("decoder", custom_decoder)):
            if not isinstance(custom, bool):
                raise ConfigError(f"{cls.__name__}: custom_{stack} in a model file says whether the stored {stack} is "
                                  f"one of the model's own, true or false, got {custom!r}")
            if custom:
                given[f"custom_{stack}"] = parts.get(stack)
                continue
            count, layers = config.get(f"num_{stack}_layers", 6), getattr(parts.get(stack), "layers", None)
            if isinstance(count, int) and count > 0 and not (isinstance(layers, ModuleList) and len(layers) == count):
                raise ConfigError(f"{cls.__name__}: the stored layers {sorted(parts)} do not match the ones its "
                                  "arguments build")
        module = cls(**config, **given)
        module._take_parts(parts)
        return module

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """The causal mask of ``sz`` steps: 0 on and below the diagonal, −inf above (step i sees steps ≤ i).
        ``device`` can only be the CPU, as everywhere here; ``sz=0`` gives an empty mask, as in PyTorch."""
        owner = "Transformer.generate_square_subsequent_mask"
        on_cpu(owner, device)
        if not isinstance(sz, bool) and isinstance(sz, (int, np.integer)) and sz == 0:
            sz = 0
        else:
            sz = positive_integer(owner, "sz", sz)
        dtype = floating_dtype(owner, get_default_dtype() if dtype is None else dtype)
        return Tensor._wrap(np.triu(np.full((sz, sz), -np.inf, dtype=dtype), 1))

    # -- description ---------------------------------------------------------------------------------

    def _current_layer_config(self) -> dict:
        """The layers' arguments, with the dtype the weights have now (``.to(float64)``/``.double()``
        after construction changes it)."""
        layer = dict(self._layer_config)
        built = next((getattr(self, stack) for stack, custom in self._custom.items() if not custom), None)
        weights = built.layers[0].linear1.weight if built is not None else next(self.parameters(), None)
        if weights is not None:
            layer["dtype"] = weights.dtype.name
        return layer

    def _part_specs(self) -> dict:
        if self._layer_config is None:
            raise NotImplementedError("Transformer with an activation function of its own")
        layer, specs = self._current_layer_config(), {}
        for stack, count in self._num_layers.items():
            if self._custom[stack]:
                specs.update(_custom_layout(stack, getattr(self, stack)))
                continue
            kind = stack.capitalize()
            specs[stack] = (f"Transformer{kind}", {"num_layers": count})
            specs[f"{stack}.layers"] = ("ModuleList", {})
            specs.update({f"{stack}.layers.{i}": (f"Transformer{kind}Layer", layer) for i in range(count)})
            specs[f"{stack}.norm"] = _norm_spec(layer["d_model"], layer["layer_norm_eps"], layer["bias"],
                                                layer["dtype"])
        return specs

    def describe(self) -> str:
        return f"Transformer(d_model={self.d_model}, nhead={self.nhead})"

    def config(self) -> dict:
        if self._layer_config is None:
            raise NotImplementedError("Transformer with an activation function of its own does not describe its "
                                      "constructor arguments (config())")
        layer = self._current_layer_config()
        custom = {f"custom_{stack}": True for stack, given in self._custom.items() if given}
        return {"d_model": layer.pop("d_model"), "nhead": layer.pop("nhead"),
                "num_encoder_layers": self._num_layers["encoder"], "num_decoder_layers": self._num_layers["decoder"],
                **layer, **custom}


def _check_custom_part(option: str, part) -> None:
    """A custom encoder or decoder is None, a layer, or anything else that can be called."""
    if part is not None and not callable(part):
        raise ConfigError(f"Transformer: {option} must be a layer (a Module) or a function to call in its place, got "
                          f"{type(part).__name__}")


def _custom_layout(stack: str, part) -> dict:
    """A custom encoder's or decoder's description: the part as it is, since any part fits (a model
    file stores it and gives it back as it is). A function, or a layer that cannot describe itself,
    has none: the model file then holds the weights alone."""
    if not isinstance(part, Module):
        raise NotImplementedError(f"Transformer with a custom {stack} that is no layer")
    return _layout({stack: part})
