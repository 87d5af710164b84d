"""The convolution and pooling options beyond the basic ones, against PyTorch: ``padding_mode``,
MaxPool's ``return_indices`` with MaxUnpool, AvgPool's ``divisor_override``.

As in test_torch_conv.py: the deltaprop layer and its PyTorch twin get the same weights and the
same input; outputs, the input's gradient and every parameter's gradient are compared, float64
tightly and float32 loosely.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these options are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, TORCH_DTYPES, forward_backward_agree, sample, twins  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")

TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}


def compare(ours, theirs, x, dtype, seed=1):
    forward_backward_agree(ours, theirs, x, dtype, TOLERANCES[dtype], seed)


# -- padding_mode ------------------------------------------------------------------------------------

PADDED_CONVS = [
    ("Conv1d", dict(in_channels=3, out_channels=4, kernel_size=3, padding=1), (2, 3, 9)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=2), (2, 2, 10)),
    ("Conv1d", dict(in_channels=2, out_channels=4, kernel_size=4, padding="same", groups=2), (2, 2, 7)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=2, dilation=2, padding="same", bias=False), (2, 6)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=3, padding="valid"), (2, 2, 6)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=3), (2, 2, 6)),  # padding 0
    ("Conv2d", dict(in_channels=3, out_channels=4, kernel_size=3, padding=1), (2, 3, 6, 5)),
    ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=(3, 2), padding=(2, 1), stride=(2, 1)), (2, 2, 7, 6)),
    ("Conv2d", dict(in_channels=2, out_channels=2, kernel_size=3, dilation=2, padding="same", groups=2), (2, 2, 6, 7)),
    ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=(2, 4), padding="same", bias=False), (2, 5, 6)),
    ("Conv2d", dict(in_channels=4, out_channels=4, kernel_size=3, stride=2, padding=1, groups=4), (2, 4, 7, 7)),
]
MODES = ["reflect", "replicate", "circular", "zeros"]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, kwargs, shape", PADDED_CONVS, ids=[f"{c[0]}-{i}" for i, c in enumerate(PADDED_CONVS)])
def test_padding_mode_matches_pytorch(name, kwargs, shape, mode, dtype):
    ours, theirs = twins(name, dict(kwargs, padding_mode=mode), dtype, check_repr=True)
    assert ours.padding_mode == mode
    compare(ours, theirs, sample(shape), dtype)


@pytest.mark.parametrize("name, kwargs", [
    ("Conv2d", dict(in_channels=1, out_channels=2, kernel_size=3, padding=1, padding_mode="reflect")),
    ("Conv1d", dict(in_channels=1, out_channels=2, kernel_size=3, padding="same", padding_mode="circular", bias=False)),
    ("Conv2d", dict(in_channels=2, out_channels=2, kernel_size=3, padding=(1, 0), groups=2, padding_mode="replicate")),
    ("Conv2d", dict(in_channels=1, out_channels=2, kernel_size=3, padding_mode="zeros")),
])
def test_padding_mode_prints_as_pytorch(name, kwargs):
    assert repr(getattr(nn, name)(**kwargs)) == repr(getattr(torch.nn, name)(**kwargs))


@pytest.mark.parametrize("name", ["ConvTranspose1d", "ConvTranspose2d"])
def test_transposed_convolutions_take_zeros_padding_mode_only_as_pytorch(name):
    ours, theirs = twins(name, dict(in_channels=2, out_channels=3, kernel_size=3, padding_mode="zeros"), np.float64)
    compare(ours, theirs, sample((2, 2, 5) if name.endswith("1d") else (2, 2, 5, 4)), np.float64)
    with pytest.raises(ValueError):
        getattr(torch.nn, name)(2, 3, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=f"{name}: padding_mode must be 'zeros'"):
        getattr(nn, name)(2, 3, 3, padding_mode="reflect")


def test_a_reflect_padding_wider_than_the_input_is_refused_by_both():
    x = sample((1, 1, 2, 5))
    with pytest.raises(RuntimeError):
        torch.nn.Conv2d(1, 1, 5, padding=2, padding_mode="reflect")(torch.tensor(x))
    with pytest.raises(ValueError, match=r"Conv2d\(1 -> 1, kernel 5\): pad: mode='reflect' needs padding amounts of at most 1"):
        nn.Conv2d(1, 1, 5, padding=2, padding_mode="reflect")(dp.tensor(x))


# -- MaxPool's return_indices and MaxUnpool ----------------------------------------------------------

POOLS = [
    ("MaxPool1d", dict(kernel_size=2), (2, 3, 8)),
    ("MaxPool1d", dict(kernel_size=3, stride=2, padding=1), (2, 3, 9)),
    ("MaxPool1d", dict(kernel_size=2, dilation=2, ceil_mode=True), (2, 3, 10)),
    ("MaxPool1d", dict(kernel_size=3, stride=1, padding=1), (3, 7)),  # unbatched, overlapping windows
    ("MaxPool2d", dict(kernel_size=2), (2, 3, 8, 6)),
    ("MaxPool2d", dict(kernel_size=2), (2, 3, 7, 9)),  # the last row and column are dropped
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1), (2, 3, 9, 8)),
    ("MaxPool2d", dict(kernel_size=(3, 2), stride=(2, 1), dilation=(1, 2), ceil_mode=True), (2, 2, 9, 8)),
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 5, 6)),  # unbatched
    ("MaxPool2d", dict(kernel_size=1), (2, 2, 3, 3)),  # one offset
]


def masked(x):
    """``x`` with ties and windows of −∞ only, where the choice of index is PyTorch's rule."""
    x = x.copy()
    x[..., 1::3] = x[..., 0::3][..., :x[..., 1::3].shape[-1]]
    x[0, 0] = -np.inf
    return x


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", POOLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(POOLS)])
def test_max_pool_indices_match_pytorch(name, kwargs, shape, dtype):
    x = masked(sample(shape))
    ours, theirs = twins(name, dict(kwargs, return_indices=True), dtype, check_repr=True)
    xd = dp.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    (out, index), (expected, expected_index) = ours(xd), theirs(xt)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    np.testing.assert_array_equal(index.data, expected_index.numpy())
    assert index.dtype == np.int64 and not index.requires_grad
    upstream = sample(out.shape, seed=2).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    # (overlapping windows add their shares in another order)
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), **TOLERANCES[dtype])
    # without a gradient to record, and from the functional form with PyTorch's positional order
    function = getattr(F, name.replace("MaxPool", "max_pool"))
    options = [kwargs["kernel_size"], kwargs.get("stride"), kwargs.get("padding", 0), kwargs.get("dilation", 1),
               kwargs.get("ceil_mode", False), True]
    with dp.no_grad():
        plain_out, plain_index = function(dp.tensor(x, dtype=dtype), *options)
    np.testing.assert_array_equal(plain_out.data, expected.detach().numpy())
    np.testing.assert_array_equal(plain_index.data, expected_index.numpy())


UNPOOLS = [
    ("MaxUnpool1d", dict(kernel_size=2), (2, 3, 8), None),
    ("MaxUnpool1d", dict(kernel_size=3, stride=2, padding=1), (2, 3, 9), None),
    ("MaxUnpool1d", dict(kernel_size=2), (2, 3, 9), (9,)),  # the length pooling rounded away
    ("MaxUnpool1d", dict(kernel_size=2), (3, 8), None),  # unbatched
    ("MaxUnpool2d", dict(kernel_size=2), (2, 3, 8, 6), None),
    ("MaxUnpool2d", dict(kernel_size=2), (2, 3, 7, 9), (2, 3, 7, 9)),  # output_size with N and C
    ("MaxUnpool2d", dict(kernel_size=3, stride=2, padding=1), (2, 3, 9, 8), [9, 8]),
    ("MaxUnpool2d", dict(kernel_size=(2, 3), stride=(2, 1)), (2, 2, 6, 7), None),
    ("MaxUnpool2d", dict(kernel_size=2, stride=1), (2, 5, 4), None),  # unbatched, overlapping windows
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape, output_size", UNPOOLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(UNPOOLS)])
def test_max_unpool_matches_pytorch(name, kwargs, shape, output_size, dtype):
    pool = name.replace("MaxUnpool", "MaxPool")
    x = sample(shape)
    tol = TOLERANCES[dtype]
    xd = dp.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    pooled, index = getattr(nn, pool)(**kwargs, return_indices=True)(xd)
    expected_pooled, expected_index = getattr(torch.nn, pool)(**kwargs, return_indices=True)(xt)
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    out, expected = ours(pooled, index, output_size=output_size), theirs(expected_pooled, expected_index, output_size=output_size)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    upstream = sample(out.shape, seed=3).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), **tol)
    # the functional form, on values that need no pooling before them
    function = getattr(F, name.replace("MaxUnpool", "max_unpool"))
    values = sample(tuple(index.shape), seed=4)
    vd = dp.tensor(values, dtype=dtype, requires_grad=True)
    vt = torch.tensor(values, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    out = function(vd, index, output_size=output_size, **kwargs)
    expected = getattr(torch.nn.functional, name.replace("MaxUnpool", "max_unpool"))(
        vt, expected_index, output_size=output_size, **kwargs)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(vd.grad, vt.grad.numpy(), **tol)


@pytest.mark.parametrize("name, kwargs, shape, output_size", [
    ("MaxUnpool1d", dict(kernel_size=2), (1, 1, 4), (6,)),  # above the largest size
    ("MaxUnpool1d", dict(kernel_size=2), (1, 1, 4), (2,)),  # below the smallest
    ("MaxUnpool2d", dict(kernel_size=2), (1, 1, 4, 4), (8,)),  # too few sizes
])
def test_an_output_size_out_of_reach_is_refused_by_both(name, kwargs, shape, output_size):
    index = torch.zeros(shape, dtype=torch.int64)
    with pytest.raises(ValueError):
        getattr(torch.nn, name)(**kwargs)(torch.zeros(shape), index, output_size=output_size)
    with pytest.raises(ValueError, match=f"^{name}.*output_size"):
        getattr(nn, name)(**kwargs)(dp.zeros(*shape), dp.tensor(index.numpy()), output_size=output_size)


# -- AvgPool2d's divisor_override --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs, shape", [
    (dict(kernel_size=2, divisor_override=3), (2, 3, 6, 6)),
    (dict(kernel_size=3, stride=2, padding=1, divisor_override=2), (2, 3, 7, 6)),
    (dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False, divisor_override=5), (2, 2, 8, 7)),
    (dict(kernel_size=(2, 3), stride=1, divisor_override=-4), (3, 5, 6)),  # unbatched; PyTorch takes a negative one
    (dict(kernel_size=2, divisor_override=None), (2, 3, 5, 5)),
], ids=str)
def test_divisor_override_matches_pytorch(kwargs, shape, dtype):
    ours, theirs = twins("AvgPool2d", kwargs, dtype)
    compare(ours, theirs, sample(shape), dtype)
    x = sample(shape)
    expected = torch.nn.functional.avg_pool2d(torch.tensor(x, dtype=TORCH_DTYPES[dtype]), **kwargs)
    np.testing.assert_allclose(F.avg_pool2d(dp.tensor(x, dtype=dtype), **kwargs).data, expected.numpy(),
                               **TOLERANCES[dtype])


@pytest.mark.parametrize("value", [0, 2.5, True])
def test_a_bad_divisor_override_is_refused_by_both(value):
    x = torch.zeros(1, 1, 4, 4)
    with pytest.raises((RuntimeError, TypeError)):
        torch.nn.AvgPool2d(2, divisor_override=value)(x)
    with pytest.raises(ValueError, match=f"^AvgPool2d: divisor_override must be a nonzero integer or None, got {value!r}$"):
        nn.AvgPool2d(2, divisor_override=value)


# -- BatchNorm's bias, and every PyTorch option of these layers taken or refused ----------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", [
    ("BatchNorm1d", dict(num_features=3, bias=False), (6, 3)),
    ("BatchNorm1d", dict(num_features=3, bias=False, momentum=None), (6, 3, 4)),
    ("BatchNorm2d", dict(num_features=4, bias=False), (5, 4, 3, 3)),
    ("BatchNorm2d", dict(num_features=4, affine=False, bias=False), (5, 4, 3, 3)),
    ("BatchNorm2d", dict(num_features=4), (5, 4, 3, 3)),
])
def test_batch_norm_bias_matches_pytorch(name, kwargs, shape, dtype):
    ours, theirs = twins(name, kwargs, dtype, check_repr=True, check_state_dict=True)
    for step in range(2):  # training, which moves the running statistics
        compare(ours, theirs, sample(shape, seed=step), dtype)
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), **TOLERANCES[dtype])
    ours.eval(), theirs.eval()
    compare(ours, theirs, sample(shape, seed=5), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", [
    ("BatchNorm1d", dict(num_features=3), (6, 3)),
    ("BatchNorm2d", dict(num_features=4, momentum=None), (5, 4, 3, 3)),
    ("BatchNorm2d", dict(num_features=4, track_running_stats=False), (5, 4, 3, 3)),
])
def test_batch_norm_with_track_running_stats_switched_after_construction_matches_pytorch(name, kwargs, shape, dtype):
    """track_running_stats switched off later keeps the buffers: training leaves them alone and eval()
    still normalises with them; switched on later, a layer without buffers goes on with batch statistics."""
    ours, theirs = twins(name, kwargs, dtype, check_state_dict=True)
    compare(ours, theirs, sample(shape, seed=0), dtype)
    for flag in (not ours.track_running_stats, ours.track_running_stats):
        ours.track_running_stats = theirs.track_running_stats = flag
        for mode in ("train", "eval"):
            getattr(ours, mode)(), getattr(theirs, mode)()
            compare(ours, theirs, sample(shape, seed=3), dtype)
            assert list(ours.state_dict()) == list(theirs.state_dict())
            for key, value in theirs.state_dict().items():
                np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), err_msg=key, **TOLERANCES[dtype])
        ours.train(), theirs.train()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", [
    ("BatchNorm1d", dict(num_features=3), (0, 3)),
    ("BatchNorm1d", dict(num_features=3, momentum=None), (0, 3, 4)),
    ("BatchNorm1d", dict(num_features=3, affine=False), (2, 3, 0)),
    ("BatchNorm2d", dict(num_features=4), (0, 4, 3, 3)),
])
def test_batch_norm_of_an_empty_batch_matches_pytorch(name, kwargs, shape, dtype):
    """An empty batch in training: an empty output, zero gradients for γ and β, the running statistics
    where they were and the batch counted, as in PyTorch (it was refused as one value per channel)."""
    ours, theirs = twins(name, kwargs, dtype, check_state_dict=True)
    compare(ours, theirs, np.zeros(shape), dtype)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), err_msg=key)
    ours.eval(), theirs.eval()
    compare(ours, theirs, np.zeros(shape), dtype)


def torch_options(name):
    """The constructor options of ``torch.nn.<name>``; the recurrent layers take *args, **kwargs, so
    theirs are RNNBase's (with RNN's nonlinearity; proj_size is LSTM's alone, PyTorch refuses it elsewhere)."""
    import inspect

    if name in ("RNN", "LSTM", "GRU"):
        options = [p for p in inspect.signature(torch.nn.RNNBase.__init__).parameters if p not in ("self", "mode")]
        options += ["nonlinearity"] if name == "RNN" else []
        return [p for p in options if p != "proj_size" or name == "LSTM"]
    return [p for p in inspect.signature(getattr(torch.nn, name).__init__).parameters if p != "self"]


# the layers whose every PyTorch option is either taken or refused, with arguments to build them
LAYERS = {
    "Conv1d": (2, 2, 3), "Conv2d": (2, 2, 3), "ConvTranspose1d": (2, 2, 3), "ConvTranspose2d": (2, 2, 3),
    "MaxPool1d": (2,), "MaxPool2d": (2,), "AvgPool1d": (2,), "AvgPool2d": (2,),
    "AdaptiveAvgPool1d": (2,), "AdaptiveAvgPool2d": (2,), "AdaptiveMaxPool1d": (2,), "AdaptiveMaxPool2d": (2,),
    "MaxUnpool1d": (2,), "MaxUnpool2d": (2,),
    "BatchNorm1d": (3,), "BatchNorm2d": (3,), "LayerNorm": (3,), "GroupNorm": (1, 3),
    "InstanceNorm1d": (3,), "InstanceNorm2d": (3,), "Dropout": (), "Dropout1d": (), "Dropout2d": (), "AlphaDropout": (),
    "Embedding": (5, 3), "Linear": (2, 3), "Bilinear": (2, 2, 3),
    "RNN": (3, 4), "LSTM": (3, 4), "GRU": (3, 4), "RNNCell": (3, 4), "LSTMCell": (3, 4), "GRUCell": (3, 4),
    "MultiheadAttention": (4, 2), "TransformerEncoderLayer": (4, 2, 8), "TransformerDecoderLayer": (4, 2, 8),
    "Transformer": (4, 2, 1, 1, 8), "PReLU": (),
}
# what deltaprop refuses, with the value that asks for it and what the sentence says
REFUSED = {
}  # (Embedding's sparse=True is taken since SparseAdam: tests/reference/test_torch_optim_muon_sparse.py; its
#   max_norm since tests/reference/test_torch_embedding_max_norm.py)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_pytorch_option_is_taken_or_refused_in_one_sentence(name):
    import inspect

    ours = inspect.signature(getattr(nn, name).__init__).parameters
    missing = [option for option in torch_options(name) if option not in ours]
    assert not missing, f"nn.{name} lacks PyTorch's {', '.join(missing)}"
    for (layer, option), (value, message) in REFUSED.items():
        if layer == name:
            with pytest.raises(ValueError, match=f"^{message}"):
                getattr(nn, name)(*LAYERS[name], **{option: value})
    # the one device there is is taken; another is refused, naming the layer
    if "device" in torch_options(name):
        layer = getattr(nn, name)(*LAYERS[name], device="cpu")
        assert repr(layer) == repr(getattr(nn, name)(*LAYERS[name]))
        with pytest.raises(ValueError, match=f"^{name}: .*'cuda'"):
            getattr(nn, name)(*LAYERS[name], device="cuda:0")
