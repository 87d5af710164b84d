"""nn.Transformer with custom_encoder and custom_decoder against PyTorch 2.13's: the same weights
(PyTorch's state dict loaded into ours), the same outputs and gradients of every parameter and input,
float32 and float64, batch_first either way, with and without masks; the arguments a custom part is
called with; the initialisation of its parameters; and model files holding a custom part."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn, serialization  # noqa: E402
from deltaprop.errors import ModelFileError  # noqa: E402
from torch_twins import DTYPES, TORCH_DTYPES, load_into, sample  # noqa: E402

TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=2e-5)}
# PyTorch warns of a boolean padding mask beside a floating attention mask (given on purpose), and
# that its nested-tensor speed path is off without batch_first.
pytestmark = [pytest.mark.filterwarnings("ignore:Support for mismatched"),
              pytest.mark.filterwarnings("ignore:enable_nested_tensor")]
D_MODEL, NHEAD, WIDTH, SOURCE, TARGET, BATCH = 8, 2, 12, 5, 4, 3


def gated_decoder_class(library):
    """A decoder of one's own class, in deltaprop's ``nn`` or PyTorch's: one decoder layer, then a
    ReLU-gated linear map added to its output. It takes the Transformer's keyword arguments."""
    class GatedDecoder(library.Module):
        def __init__(self, batch_first):
            super().__init__()
            self.layer = library.TransformerDecoderLayer(D_MODEL, NHEAD, WIDTH, batch_first=batch_first)
            self.gate = library.Linear(D_MODEL, D_MODEL)

        def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
            x = self.layer(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
            return x + library.functional.relu(self.gate(x))

    return GatedDecoder


def custom_parts(library, parts, batch_first):
    """The Transformer's keyword arguments for the custom ``parts``: an encoder of two layers with a
    final norm, and the gated decoder."""
    given = {}
    if "encoder" in parts:
        layer = library.TransformerEncoderLayer(D_MODEL, NHEAD, WIDTH, batch_first=batch_first, norm_first=True)
        extra = {} if library is nn else {"enable_nested_tensor": False}
        given["custom_encoder"] = library.TransformerEncoder(layer, 2, norm=library.LayerNorm(D_MODEL), **extra)
    if "decoder" in parts:
        given["custom_decoder"] = gated_decoder_class(library)(batch_first)
    return given


def transformer_twins(parts, batch_first, dtype):
    """Ours and PyTorch's Transformer with the same custom parts and PyTorch's random weights, in eval mode."""
    arguments = dict(d_model=D_MODEL, nhead=NHEAD, num_encoder_layers=1, num_decoder_layers=2,
                     dim_feedforward=WIDTH, batch_first=batch_first)
    torch.manual_seed(7)
    theirs = torch.nn.Transformer(**arguments, **custom_parts(torch.nn, parts, batch_first)).to(TORCH_DTYPES[dtype])
    with torch.no_grad():
        for parameter in theirs.parameters():
            parameter.copy_(torch.randn_like(parameter) * 0.5)
    dp.manual_seed(0)
    ours = nn.Transformer(**arguments, **custom_parts(nn, parts, batch_first)).to(dtype)
    load_into(ours, theirs)  # the same state-dict keys, in order
    return ours.eval(), theirs.eval()


def pair(array, dtype, requires_grad=True):
    return (dp.tensor(array, dtype=dtype, requires_grad=requires_grad),
            torch.tensor(array, dtype=TORCH_DTYPES[dtype], requires_grad=requires_grad))


def inputs(batch_first, masks, dtype):
    """src and tgt as (ours, theirs) pairs, and the forward's mask arguments for each."""
    def shape(length):
        return (BATCH, length, D_MODEL) if batch_first else (length, BATCH, D_MODEL)

    src, tgt = pair(sample(shape(SOURCE), 1), dtype), pair(sample(shape(TARGET), 2), dtype)
    ours, theirs = {}, {}
    if masks:
        padding = np.zeros((BATCH, SOURCE), dtype=bool)
        padding[1, -2:] = True
        target_padding = np.zeros((BATCH, TARGET), dtype=bool)
        target_padding[2, -1] = True
        arrays = {"src_mask": sample((SOURCE, SOURCE), 3).astype(dtype),
                  "tgt_mask": np.triu(np.full((TARGET, TARGET), -np.inf, dtype=dtype), 1),
                  "memory_mask": sample((TARGET, SOURCE), 4).astype(dtype),
                  "src_key_padding_mask": padding, "tgt_key_padding_mask": target_padding,
                  "memory_key_padding_mask": padding}
        ours = {**arrays, "tgt_is_causal": True}
        theirs = {**{key: torch.from_numpy(value) for key, value in arrays.items()}, "tgt_is_causal": True}
    return src, tgt, ours, theirs


def assert_agree(ours_out, theirs_out, pairs, dtype):
    """The same output, and after Σ g·out the same gradient of every parameter and input in ``pairs``."""
    tolerance = TOLERANCES[dtype]
    np.testing.assert_allclose(ours_out.data, theirs_out.detach().numpy(), **tolerance)
    g = sample(tuple(theirs_out.shape), 9)
    (ours_out * dp.tensor(g, dtype=dtype)).sum().backward()
    (theirs_out * torch.tensor(g, dtype=TORCH_DTYPES[dtype])).sum().backward()
    for name, (a, b) in pairs.items():
        assert a.grad is not None and b.grad is not None, name
        np.testing.assert_allclose(a.grad, b.grad.numpy(), err_msg=name, **tolerance)


PARTS = {"encoder": ("encoder",), "decoder": ("decoder",), "both": ("encoder", "decoder")}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("masks", [False, True], ids=["plain", "masks"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq-first", "batch-first"])
@pytest.mark.parametrize("parts", PARTS)
def test_outputs_and_gradients_equal_pytorchs(parts, batch_first, masks, dtype):
    ours, theirs = transformer_twins(PARTS[parts], batch_first, dtype)
    src, tgt, ours_kw, theirs_kw = inputs(batch_first, masks, dtype)
    out, expected = ours(src[0], tgt[0], **ours_kw), theirs(src[1], tgt[1], **theirs_kw)
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    reference = dict(theirs.named_parameters())
    parameters = {name: (p, reference[name]) for name, p in ours.named_parameters()}
    assert len(parameters) == len(reference)
    assert_agree(out, expected, {"src": src, "tgt": tgt, **parameters}, dtype)


def recorder_class(library):
    """A custom part that records what it is called with and gives its first argument back."""
    class Recorder(library.Module):
        def __init__(self):
            super().__init__()
            self.calls = []

        def forward(self, *args, **kwargs):
            self.calls.append((args, kwargs))
            return args[0]

    return Recorder


CALLS = {
    "defaults": lambda mask: {},
    "masks-and-hints": lambda mask: dict(src_mask=mask(SOURCE, SOURCE), tgt_mask=mask(TARGET, TARGET),
                                         memory_mask=mask(TARGET, SOURCE), src_key_padding_mask=mask(BATCH, SOURCE),
                                         tgt_key_padding_mask=mask(BATCH, TARGET),
                                         memory_key_padding_mask=mask(BATCH, SOURCE), src_is_causal=True,
                                         tgt_is_causal=False, memory_is_causal=True),
    "hints-false": lambda mask: dict(src_is_causal=False, tgt_is_causal=None, memory_is_causal=False),
}


def recorded_calls(library, zeros, options):
    """The calls the Transformer makes to its custom encoder and decoder, with each argument named
    by what it is (src, tgt, a mask given to the Transformer, the memory) or given as its value."""
    recorder = recorder_class(library)
    encoder, decoder = recorder(), recorder()
    model = library.Transformer(D_MODEL, NHEAD, custom_encoder=encoder, custom_decoder=decoder)
    src, tgt = zeros(SOURCE, BATCH, D_MODEL), zeros(TARGET, BATCH, D_MODEL)
    given = options(zeros)
    model(src, tgt, **given)
    names = {id(src): "src", id(tgt): "tgt", **{id(value): name for name, value in given.items()
                                               if not isinstance(value, (bool, type(None)))}}

    def named(value):
        return names.get(id(value), value)

    return [([named(a) for a in args], {key: named(value) for key, value in kwargs.items()})
            for part in (encoder, decoder) for args, kwargs in part.calls]


@pytest.mark.parametrize("options", CALLS)
def test_the_custom_parts_are_called_with_pytorchs_arguments(options):
    ours = recorded_calls(nn, lambda *shape: dp.zeros(*shape), CALLS[options])
    theirs = recorded_calls(torch.nn, lambda *shape: torch.zeros(*shape), CALLS[options])
    assert ours == theirs
    # the encoder once with src, the decoder once with tgt and the encoder's output (src, given back)
    assert [args for args, _ in ours] == [["src"], ["tgt", "src"]]
    assert list(ours[1][1]) == ["tgt_mask", "memory_mask", "tgt_key_padding_mask", "memory_key_padding_mask",
                                "tgt_is_causal", "memory_is_causal"]


def probe_class(library, parameter):
    """A custom encoder with parameters of one, two and three dimensions."""
    class Probe(library.Module):
        def __init__(self):
            super().__init__()
            self.linear = library.Linear(D_MODEL, 6)
            self.norm = library.LayerNorm(D_MODEL)
            self.cube = parameter((2, 3, 4))

        def forward(self, src, **kwargs):
            return src

    return Probe


def redrawn(library, parameter):
    """The names of a custom encoder's parameters that building the Transformer around it changed."""
    probe = probe_class(library, parameter)()
    before = {name: np.array(p.detach().numpy() if library is torch.nn else p.data) for name, p in
              probe.named_parameters()}
    library.Transformer(D_MODEL, NHEAD, 1, 1, WIDTH, custom_encoder=probe)
    after = {name: p.detach().numpy() if library is torch.nn else p.data for name, p in probe.named_parameters()}
    return sorted(name for name in before if not np.array_equal(before[name], after[name])), after


def test_the_custom_parts_parameters_are_initialised_as_pytorchs():
    """Glorot uniform for each matrix of a custom part (and for a three-dimensional one), as PyTorch's
    _reset_parameters does over every parameter; vectors are left as they are."""
    dp.manual_seed(0)
    torch.manual_seed(0)
    ours, values = redrawn(nn, lambda shape: nn.Parameter(np.zeros(shape, np.float32)))
    theirs, _ = redrawn(torch.nn, lambda shape: torch.nn.Parameter(torch.zeros(shape)))
    assert ours == theirs == ["cube", "linear.weight"]
    for name, (fan_in, fan_out) in {"linear.weight": (D_MODEL, 6), "cube": (3 * 4, 2 * 4)}.items():
        bound = np.sqrt(6 / (fan_in + fan_out))
        assert 0.7 * bound < np.abs(values[name]).max() <= bound, name


# -- model files -------------------------------------------------------------------------------------


def saved_and_loaded(model, tmp_path, **load_options):
    path = tmp_path / "transformer.safetensors"
    dp.save(model, path)
    return path, dp.load(path, **load_options)


@pytest.mark.parametrize("parts", PARTS)
def test_a_custom_part_of_deltaprops_layers_comes_back_from_a_model_file(parts, tmp_path):
    dp.manual_seed(0)
    given = custom_parts(nn, PARTS[parts], batch_first=True)
    if "custom_decoder" in given:  # (the gated decoder is a class of this file's own: a TransformerDecoder here)
        given["custom_decoder"] = nn.TransformerDecoder(nn.TransformerDecoderLayer(D_MODEL, NHEAD, 6, batch_first=True),
                                                        3, norm=nn.LayerNorm(D_MODEL))
    model = nn.Transformer(D_MODEL, NHEAD, 1, 1, WIDTH, batch_first=True, **given).eval()
    path, loaded = saved_and_loaded(model, tmp_path)
    assert loaded.config() == model.config()
    assert all(loaded.config()[option] is True for option in given)
    for stack in ("encoder", "decoder"):
        assert type(getattr(loaded, stack)) is type(getattr(model, stack))
        assert serialization.architecture_of(getattr(loaded, stack)) == serialization.architecture_of(
            getattr(model, stack))
    src, tgt = sample((BATCH, SOURCE, D_MODEL), 1), sample((BATCH, TARGET, D_MODEL), 2)
    np.testing.assert_array_equal(loaded(src, tgt).data, model(src, tgt).data)


def test_a_custom_part_keeps_its_training_mode_in_a_model_file(tmp_path):
    dp.manual_seed(0)
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(D_MODEL, NHEAD, WIDTH), 1)
    model = nn.Transformer(D_MODEL, NHEAD, 1, 1, WIDTH, custom_encoder=encoder)
    encoder.eval()  # the encoder alone, the decoder training
    _, loaded = saved_and_loaded(model, tmp_path)
    assert loaded.training and loaded.decoder.training and not loaded.encoder.training
    assert not loaded.encoder.layers[0].self_attn.training


@pytest.mark.parametrize("custom", ["class", "function"])
def test_a_custom_part_of_ones_own_class_saves_the_weights_alone(custom, tmp_path):
    def build():
        dp.manual_seed(0)
        if custom == "class":
            return nn.Transformer(D_MODEL, NHEAD, 1, 1, WIDTH, custom_decoder=gated_decoder_class(nn)(False))
        return nn.Transformer(D_MODEL, NHEAD, 1, 1, WIDTH, custom_encoder=lambda src, **kwargs: src * 2)

    model = build()
    for parameter in model.parameters():  # weights of its own, not those a fresh model starts with
        parameter.data += 0.25
    path = tmp_path / "transformer.safetensors"
    dp.save(model, path)
    with pytest.raises(ModelFileError, match="the model is of a custom class .*load\\(path, model=YourModel\\(\\)\\)"):
        dp.load(path)
    loaded = dp.load(path, model=build())
    src, tgt = sample((SOURCE, BATCH, D_MODEL), 1), sample((TARGET, BATCH, D_MODEL), 2)
    model.eval(), loaded.eval()
    np.testing.assert_array_equal(loaded(src, tgt).data, model(src, tgt).data)


def test_a_file_whose_custom_encoder_is_no_longer_marked_custom_is_refused(tmp_path):
    """Without custom_encoder the stored encoder must be the one the arguments build: a two-layer
    encoder where num_encoder_layers is 1 is refused."""
    dp.manual_seed(0)
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(D_MODEL, NHEAD, WIDTH), 2, norm=nn.LayerNorm(D_MODEL))
    path = tmp_path / "transformer.safetensors"
    dp.save(nn.Transformer(D_MODEL, NHEAD, 1, 1, WIDTH, custom_encoder=encoder), path)
    tensors, info = serialization._read(path)
    assert info["architecture"]["config"].pop("custom_encoder") is True
    serialization._write(path, tensors, info)
    with pytest.raises(ModelFileError, match=r"Transformer: the stored layers \['decoder', 'encoder'\] do not match "
                                             "the ones its arguments build"):
        dp.load(path)
