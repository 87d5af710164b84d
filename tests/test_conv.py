"""Convolution, pooling and normalization: finite differences, worked examples, layouts, state, errors.

Every primitive and layer goes through ``deltaprop.gradcheck`` (float64 central differences) over
strides, paddings and dilations; the comparison with PyTorch lives in
tests/reference/test_torch_conv.py.
"""

import json
import re
import sys
import threading

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, ShapeError
from deltaprop.nn import functional as F
from deltaprop.ops import conv as conv_ops


def tensor(array, requires_grad=True):
    return dp.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad, dtype=np.float64)


def randn(*shape, seed=0, requires_grad=True):
    return tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad)


def check_module(layer, x):
    """gradcheck of ``layer`` with respect to its input and every parameter in its tree."""
    slots = [(module, name) for module in layer.modules() for name, p in module._parameters.items() if p is not None]
    originals = [getattr(module, name) for module, name in slots]

    def run(x, *parameters):
        for (module, name), value in zip(slots, parameters):
            object.__setattr__(module, name, value)  # gradcheck's float64 copies, where forward reads them
        try:
            return layer(x)
        finally:
            for (module, name), value in zip(slots, originals):
                object.__setattr__(module, name, value)

    assert dp.gradcheck(run, [x, *[tensor(p.data) for p in originals]])


# -- convolution -------------------------------------------------------------------------------------

CONV1D_OPTIONS = [
    dict(),
    dict(stride=2),
    dict(padding=2),
    dict(dilation=2),
    dict(stride=3, padding=1, dilation=2),
    dict(padding="same", dilation=2),
    dict(padding="valid", stride=2),
]


@pytest.mark.parametrize("options", CONV1D_OPTIONS, ids=str)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_conv1d_gradients(options, bias):
    x, w = randn(2, 3, 9), randn(4, 3, 3, seed=1)
    inputs = [x, w] + ([randn(4, seed=2)] if bias else [])
    assert dp.gradcheck(lambda *a: F.conv1d(*a, **options), inputs)


CONV2D_OPTIONS = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2)),
    dict(dilation=2, padding=2),
    dict(padding="same"),  # kernel 2x3: the odd padding goes after, as in PyTorch
    dict(stride=3),  # windows do not overlap and some input is never read
]


@pytest.mark.parametrize("options", CONV2D_OPTIONS, ids=str)
def test_conv2d_gradients(options):
    x, w, b = randn(2, 2, 6, 7), randn(3, 2, 2, 3, seed=1), randn(3, seed=2)
    assert dp.gradcheck(lambda *a: F.conv2d(*a, **options), [x, w, b])


@pytest.mark.parametrize("block_bytes", [1, 2000, 3000], ids=lambda b: f"{b}B")
@pytest.mark.parametrize("options", [CONV2D_OPTIONS[1], CONV2D_OPTIONS[2], CONV2D_OPTIONS[3]], ids=str)
def test_conv_in_blocks_of_rows_equals_conv_at_once(monkeypatch, options, block_bytes):
    """Large convolutions unfold a few output rows at a time; force small blocks here: one row per
    block (1 byte), or one to three rows with a shorter last block for some of the options."""
    from deltaprop.ops import conv

    x, w, b = randn(2, 2, 6, 7), randn(3, 2, 2, 3, seed=1), randn(3, seed=2)
    whole = F.conv2d(x, w, b, **options)
    whole.backward(np.ones(whole.shape))
    grads = [t.grad.copy() for t in (x, w, b)]
    for t in (x, w, b):
        t.grad = None
    monkeypatch.setattr(conv, "_BLOCK_BYTES", block_bytes)
    blocked = F.conv2d(x, w, b, **options)
    blocked.backward(np.ones(blocked.shape))
    np.testing.assert_allclose(blocked.data, whole.data, rtol=1e-12)
    for t, expected in zip((x, w, b), grads):
        np.testing.assert_allclose(t.grad, expected, rtol=1e-12, atol=1e-12)
    blocked.backward(np.ones(blocked.shape))  # the rule may run again: gradients accumulate
    for t, expected in zip((x, w, b), grads):
        np.testing.assert_allclose(t.grad, 2 * expected, rtol=1e-12, atol=1e-12)
    assert dp.gradcheck(lambda *a: F.conv2d(*a, **options), [x, w, b])
    assert dp.gradcheck(lambda x, w: F.conv1d(x, w, stride=2, padding=1), [randn(2, 2, 9), randn(3, 2, 3, seed=1)])


def conv_and_gradients(x, w, b, **options):
    """Output and (x, w, b) gradients of conv2d with fresh leaves, for an upstream gradient of ones."""
    leaves = [tensor(t.data) for t in (x, w, b)]
    out = F.conv2d(*leaves, **options)
    out.backward(np.ones(out.shape))
    return out.data, [t.grad for t in leaves]


@pytest.mark.parametrize("n, shape, layer", [
    (50, (4, 100), lambda: nn.Conv1d(4, 8, 3)),  # the input gradient's runs hold 4,900 numbers
    (10, (3, 7, 7), lambda: nn.Conv2d(3, 4, 1)),  # 490
    (301, (3, 8, 8), lambda: nn.Conv2d(3, 4, 3, padding=1)),  # 301
    (33, (2, 9, 9), lambda: nn.Conv2d(2, 3, 3)),  # 33 * 9 = 297
])
def test_conv_input_gradient_with_runs_of_any_length(n, shape, layer):
    """The fold sums runs of numbers whose length depends on the batch and the output width; NumPy
    takes only multiples of 16 as its buffer size (the backward crashed for 4,900, 490, 301...).
    Each sample's gradient must equal that sample's gradient computed alone."""
    dp.manual_seed(0)
    conv = layer().double()
    x = randn(n, *shape)
    out = conv(x)
    out.backward(np.ones(out.shape))
    for i in (0, n // 2, n - 1):
        alone = tensor(x.data[i:i + 1])
        single = conv(alone)
        single.backward(np.ones(single.shape))
        np.testing.assert_allclose(x.grad[i:i + 1], alone.grad, rtol=1e-12, atol=1e-12)


def test_conv_pooled_memory_is_reused_safely(monkeypatch):
    """Column blocks, outputs and gradients come from the memory pool (ops/_memory.py), here for
    arrays of every size: another convolution between a forward and its backward, or one in
    another thread, must change nothing, and a result must keep its values while later calls reuse
    the pool."""
    from deltaprop.ops import _memory, conv

    monkeypatch.setattr(conv, "_BLOCK_BYTES", 1)  # several blocks, so blocks are reused within a call
    monkeypatch.setattr(_memory, "MIN_BYTES", 0)
    a = randn(2, 3, 7, 6), randn(4, 3, 3, 3, seed=1), randn(4, seed=2)
    b = randn(3, 2, 9, 9, seed=3), randn(5, 2, 2, 2, seed=4), randn(5, seed=5)
    expected = conv_and_gradients(*a, padding=1), conv_and_gradients(*b, stride=2)

    first, second = [[tensor(t.data) for t in inputs] for inputs in (a, b)]
    out_a = F.conv2d(*first, padding=1)
    out_b = F.conv2d(*second, stride=2)  # draws from the pool before out_a's backward
    out_a.backward(np.ones(out_a.shape))
    out_b.backward(np.ones(out_b.shape))
    for _ in range(3):  # more calls, which reuse every block that is free
        conv_and_gradients(*a, padding=1), conv_and_gradients(*b, stride=2)
    for out, leaves, (data, grads) in zip((out_a, out_b), (first, second), expected):
        np.testing.assert_allclose(out.data, data, rtol=1e-12)
        for t, g in zip(leaves, grads):
            np.testing.assert_allclose(t.grad, g, rtol=1e-12, atol=1e-12)

    def worker(inputs, options, reference, failures):
        for _ in range(20):
            data, grads = conv_and_gradients(*inputs, **options)
            same = np.allclose(data, reference[0], rtol=1e-12)
            same &= all(np.allclose(g, r, rtol=1e-12, atol=1e-12) for g, r in zip(grads, reference[1]))
            if not same:
                failures.append(options)

    failures = []
    threads = [threading.Thread(target=worker, args=(inputs, options, reference, failures))
               for inputs, options, reference in ((a, dict(padding=1), expected[0]), (b, dict(stride=2), expected[1]))]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so a shared buffer would be overwritten mid-use
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures


def test_conv_of_an_unbatched_input():
    x, w = randn(2, 5, 5), randn(3, 2, 3, 3, seed=1)
    assert F.conv2d(x, w, padding=1).shape == (3, 5, 5)
    assert dp.gradcheck(lambda x, w: F.conv2d(x, w, stride=2), [x, w])
    assert dp.gradcheck(lambda x, w: F.conv1d(x, w), [randn(2, 6), randn(3, 2, 2, seed=1)])


def test_conv1d_worked_example():
    # A difference kernel: out[l] = x[l] − x[l + 2], and each x[i] gets +g at l = i, −g at l = i − 2.
    x = tensor([[[1.0, 2.0, 4.0, 8.0, 16.0]]])
    w = tensor([[[1.0, 0.0, -1.0]]])
    out = F.conv1d(x, w, tensor([0.5]))
    np.testing.assert_allclose(out.data, [[[-2.5, -5.5, -11.5]]])
    out.sum().backward()
    np.testing.assert_allclose(x.grad, [[[1, 1, 0, -1, -1]]])
    np.testing.assert_allclose(w.grad, [[[7, 14, 28]]])


def test_conv2d_equals_a_sum_over_windows():
    x, w, b = randn(2, 3, 6, 5, requires_grad=False), randn(4, 3, 3, 2, seed=1), randn(4, seed=2)
    out = F.conv2d(x, w, b, stride=(2, 1), padding=1)
    padded = np.pad(x.data, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.empty(out.shape)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            window = padded[:, :, 2 * i: 2 * i + 3, j: j + 2]
            expected[:, :, i, j] = np.einsum("nckl,ockl->no", window, w.data) + b.data
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


def test_convolution_output_is_batch_last_and_any_layout_is_accepted():
    """The product comes out (C, *positions, N) in memory; the next layer reads any layout the same."""
    x, w = randn(3, 2, 6, 6, requires_grad=False), randn(4, 2, 3, 3, seed=1)
    first = F.conv2d(x, w)
    assert first.data.strides[0] == first.data.itemsize  # the batch axis is innermost: a view
    w2 = randn(5, 4, 3, 3, seed=2)
    batch_last = F.conv2d(first, w2, padding=1)
    standard = F.conv2d(tensor(np.ascontiguousarray(first.data)), w2, padding=1)
    np.testing.assert_allclose(batch_last.data, standard.data, rtol=1e-12)
    pooled = [F.max_pool2d(t, 2).data for t in (first, tensor(np.ascontiguousarray(first.data)))]
    np.testing.assert_array_equal(*pooled)


def test_conv_data_input_gets_no_gradient_and_is_cast_to_the_weight_dtype():
    layer = nn.Conv1d(2, 3, 2)
    x = dp.tensor(np.ones((1, 2, 4)), dtype=np.float64)
    out = layer(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad is None and layer.weight.grad.shape == (3, 2, 2)


# -- pooling -----------------------------------------------------------------------------------------

POOL2D_OPTIONS = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2)),
    dict(kernel_size=2, stride=1, dilation=2),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
]


@pytest.mark.parametrize("options", POOL2D_OPTIONS, ids=str)
def test_max_pool2d_gradients(options):
    # Distinct values far apart: a ±eps step never changes which element is the maximum.
    x = tensor(np.random.default_rng(0).permutation(2 * 2 * 7 * 7).reshape(2, 2, 7, 7) * 0.1)
    assert dp.gradcheck(lambda x: F.max_pool2d(x, **options), [x])


@pytest.mark.parametrize("kernel_size", [1, 17], ids=["one-offset", "289-offsets"])
def test_max_pool2d_gradients_with_one_or_many_kernel_offsets(kernel_size):
    # The winning offset is stored as uint8 up to 256 offsets and as uint16 beyond (17x17 = 289).
    x = tensor(np.random.default_rng(0).permutation(2 * 18 * 18).reshape(1, 2, 18, 18) * 0.1)
    assert dp.gradcheck(lambda x: F.max_pool2d(x, kernel_size), [x])


@pytest.mark.parametrize("options", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, dilation=1),
                                     dict(kernel_size=2, dilation=3, stride=1), dict(kernel_size=2, ceil_mode=True)], ids=str)
def test_max_pool1d_gradients(options):
    x = tensor(np.random.default_rng(0).permutation(2 * 3 * 9).reshape(2, 3, 9) * 0.1)
    assert dp.gradcheck(lambda x: F.max_pool1d(x, **options), [x])


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("options", [o for o in POOL2D_OPTIONS if "dilation" not in o], ids=str)
def test_avg_pool2d_gradients(options, count_include_pad):
    assert dp.gradcheck(lambda x: F.avg_pool2d(x, count_include_pad=count_include_pad, **options), [randn(2, 2, 7, 7)])


@pytest.mark.parametrize("options", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, ceil_mode=True)], ids=str)
def test_avg_pool1d_gradients(options):
    assert dp.gradcheck(lambda x: F.avg_pool1d(x, **options), [randn(2, 3, 9)])


@pytest.mark.parametrize("output_size", [1, (3, 2), (4, 3), (None, 2), 5])
def test_adaptive_avg_pool2d_gradients(output_size):
    # (3, 2) divides 6x4 (an ordinary average pooling); (4, 3) and 5 need overlapping bins.
    assert dp.gradcheck(lambda x: F.adaptive_avg_pool2d(x, output_size), [randn(2, 3, 6, 4)])


def test_max_pool_worked_example_and_ties():
    x = tensor([[[[1.0, 5.0, 2.0, 2.0],
                  [3.0, 4.0, 2.0, 2.0]]]])
    out = F.max_pool2d(x, 2)
    np.testing.assert_array_equal(out.data, [[[[5.0, 2.0]]]])
    out.backward(np.array([[[[10.0, 20.0]]]]))
    # The gradient of a max goes to its argmax; among ties (the 2s) only to the first, once.
    np.testing.assert_array_equal(x.grad, [[[[0, 10, 20, 0], [0, 0, 0, 0]]]])


def test_max_pool_after_relu_sends_each_window_gradient_once():
    x = tensor(np.zeros((1, 2, 4, 4)))
    F.max_pool2d(F.relu(x), 2).sum().backward()
    assert x.grad.sum() == 0  # relu' = 0 at 0 ...
    y = tensor(np.zeros((1, 2, 4, 4)))
    F.max_pool2d(y, 2).sum().backward()
    assert y.grad.sum() == 8  # ... but the pooling itself passes exactly one gradient per window


def test_avg_pool_worked_example_with_padding():
    x = tensor([[[1.0, 2.0, 3.0]]])
    np.testing.assert_allclose(F.avg_pool1d(x, 2, padding=1).data, [[[0.5, 2.5]]])
    np.testing.assert_allclose(F.avg_pool1d(x, 2, padding=1, count_include_pad=False).data, [[[1.0, 2.5]]])


def test_adaptive_avg_pool_to_one_is_the_global_mean():
    x = randn(2, 3, 5, 4, requires_grad=False)
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d(1)(x).data, x.data.mean(axis=(2, 3), keepdims=True))


# -- normalization -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2), (3, 3, 2, 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_gradients(shape, affine):
    weight, bias = (randn(3, seed=1), randn(3, seed=2)) if affine else (None, None)
    inputs = [randn(*shape)] + ([weight, bias] if affine else [])

    def run(x, *parameters):
        return F.batch_norm(x, np.zeros(3), np.ones(3), *parameters, training=True)

    assert dp.gradcheck(run, inputs)


def test_batch_norm_eval_gradients():
    mean, var = np.array([0.5, -1.0, 0.0]), np.array([2.0, 0.5, 1.0])
    inputs = [randn(4, 3, 5), randn(3, seed=1), randn(3, seed=2)]
    assert dp.gradcheck(lambda x, w, b: F.batch_norm(x, mean, var, w, b, training=False), inputs)


@pytest.mark.parametrize("normalized_shape", [4, (3, 4)])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_gradients(normalized_shape, affine):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    parameters = {"both": [randn(*shape, seed=1), randn(*shape, seed=2)], "weight": [randn(*shape, seed=1)], "none": []}[affine]
    assert dp.gradcheck(lambda x, *p: F.layer_norm(x, normalized_shape, *p), [randn(2, 3, 4), *parameters])


def test_batch_norm_worked_example():
    layer = nn.BatchNorm1d(1, momentum=0.5)
    x = dp.tensor([[1.0], [3.0]])
    np.testing.assert_allclose(layer(x).data, [[-1], [1]], atol=1e-4)  # (x − 2) / √(1 + ε)
    np.testing.assert_allclose(layer.running_mean, [1.0])  # 0.5·0 + 0.5·2
    np.testing.assert_allclose(layer.running_var, [1.5])  # 0.5·1 + 0.5·2 (unbiased variance 2)
    assert int(layer.num_batches_tracked) == 1
    layer.eval()
    np.testing.assert_allclose(layer(dp.tensor([[1.0]])).data, [[0.0]], atol=1e-6)


def test_batch_norm_cumulative_average_and_untracked_statistics():
    layer = nn.BatchNorm1d(2, momentum=None)
    batches = [np.random.default_rng(i).standard_normal((6, 2)).astype(np.float32) + i for i in range(3)]
    for batch in batches:
        layer(dp.tensor(batch))
    np.testing.assert_allclose(layer.running_mean, np.mean([b.mean(axis=0) for b in batches], axis=0), rtol=1e-5)
    untracked = nn.BatchNorm2d(2, track_running_stats=False).eval()
    assert dict(untracked.named_buffers()) == {}
    x = dp.randn(3, 2, 2, 2)
    out = untracked(x).data  # batch statistics even in eval mode
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)


# -- layers: gradients, state, config ---------------------------------------------------------------

LAYERS = [
    (nn.Conv1d(2, 3, 3, stride=2, padding=1, dtype=np.float64), (2, 2, 7)),
    (nn.Conv1d(2, 2, 2, dilation=2, bias=False, dtype=np.float64), (2, 2, 6)),
    (nn.Conv2d(2, 3, 3, padding=1, dtype=np.float64), (2, 2, 4, 5)),
    (nn.Conv2d(1, 2, (2, 3), stride=(2, 1), dilation=(1, 2), dtype=np.float64), (2, 1, 5, 6)),
    (nn.BatchNorm1d(3, dtype=np.float64), (4, 3)),
    (nn.BatchNorm1d(3, dtype=np.float64), (4, 3, 2)),
    (nn.BatchNorm2d(2, dtype=np.float64), (3, 2, 2, 2)),
    (nn.BatchNorm2d(2, dtype=np.float64).eval(), (3, 2, 2, 2)),
    (nn.LayerNorm((2, 3), dtype=np.float64), (2, 2, 3)),
    (nn.MaxPool2d(2), (2, 2, 4, 4)),
    (nn.AvgPool1d(3, stride=2, padding=1), (2, 2, 7)),
    (nn.AdaptiveAvgPool2d((2, 3)), (2, 2, 5, 5)),
]


@pytest.mark.parametrize("layer, shape", LAYERS, ids=lambda v: repr(v) if isinstance(v, nn.Module) else str(v))
def test_layer_gradients(layer, shape):
    check_module(layer, randn(*shape))


def test_small_cnn_gradients():
    dp.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(2, 3, 2), nn.Flatten(), nn.Linear(3, 2),
    ).double()
    check_module(model, randn(3, 1, 4, 4))


CONFIG_LAYERS = [
    nn.Conv1d(3, 4, 5, stride=2, padding=1, dilation=2, bias=False),
    nn.Conv2d(1, 8, (3, 2), padding="same", dtype=np.float64),
    nn.Conv2d(2, 2, 1, padding=(0, 1)),
    nn.Conv2d(4, 8, 3, stride=2, groups=4, bias=False),
    nn.Conv1d(6, 9, 2, padding="same", groups=3, dtype=np.float64),
    nn.MaxPool1d(3, stride=1, padding=1, dilation=1, ceil_mode=True),
    nn.MaxPool2d((2, 3)),
    nn.MaxPool2d(3, stride=2, padding=1, return_indices=True),
    nn.MaxUnpool1d(3, stride=2, padding=1),
    nn.MaxUnpool2d((2, 3)),
    nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"),
    nn.AvgPool1d(2),
    nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    nn.AdaptiveAvgPool2d((None, 3)),
    nn.AdaptiveMaxPool1d(4, return_indices=True),
    nn.AdaptiveMaxPool2d((None, 2)),
    nn.InstanceNorm1d(3, momentum=None, affine=True, bias=False),
    nn.InstanceNorm2d(4, eps=1e-3, track_running_stats=True, dtype=np.float64),
    nn.BatchNorm1d(5, eps=1e-3, momentum=None),
    nn.BatchNorm2d(4, affine=False, track_running_stats=False),
    nn.LayerNorm((3, 4), eps=1e-6, elementwise_affine=False),
    nn.LayerNorm(6, bias=False, dtype=np.float64),
    nn.RMSNorm((3, 4), eps=1e-6, elementwise_affine=False),
    nn.RMSNorm(6, dtype=np.float64),
    nn.GroupNorm(2, 6, eps=1e-3), nn.GroupNorm(3, 3, affine=False), nn.GroupNorm(1, 4, bias=False, dtype=np.float64),
    nn.AdaptiveAvgPool1d(3), nn.AdaptiveAvgPool1d((2,)),
    nn.LocalResponseNorm(3, alpha=0.5, beta=0.6, k=2.0), nn.LPPool1d(2, 3), nn.LPPool2d(1.5, (2, 3), stride=[1, 2], ceil_mode=True),
    nn.LPPool1d(float("inf"), 2, stride=1),
    nn.Conv3d(2, 4, (3, 1, 2), stride=(1, 2, 1), padding=(1, 0, 1), dilation=(2, 1, 1), groups=2,
              padding_mode="circular", dtype=np.float64),
    nn.Conv3d(1, 2, 3, padding="same", bias=False),
    nn.MaxPool3d((2, 3, 2), stride=(1, 2, 1), padding=1, dilation=(1, 1, 2), ceil_mode=True, return_indices=True),
    nn.AvgPool3d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False, divisor_override=4),
    nn.AdaptiveAvgPool3d((2, None, 3)), nn.AdaptiveMaxPool3d(2, return_indices=True),
    nn.MaxUnpool3d((2, 1, 2), stride=(2, 1, 1), padding=(1, 0, 0)),
    nn.BatchNorm3d(4, eps=1e-3, momentum=None, bias=False), nn.InstanceNorm3d(3, affine=True, track_running_stats=True),
    nn.LPPool3d(2, (2, 1, 3), stride=[1, 2, 1], ceil_mode=True),
    nn.SyncBatchNorm(3, momentum=None, affine=False), nn.SyncBatchNorm(4, eps=1e-3, bias=False, dtype=np.float64),
    nn.CrossMapLRN2d(5, alpha=0.5, beta=0.6, k=2), nn.FractionalMaxPool2d(2, output_ratio=0.5),
    nn.FractionalMaxPool2d((2, 3), output_size=(4, 3), return_indices=True),
    nn.FractionalMaxPool3d((1, 2, 2), output_ratio=(0.5, 0.6, 0.7)),
    nn.FractionalMaxPool2d(2, output_size=3, _random_samples=np.full((1, 2, 2), 0.5, np.float32)),
]


@pytest.mark.parametrize("layer", CONFIG_LAYERS, ids=repr)
def test_config_rebuilds_an_equal_layer(layer):
    config = json.loads(json.dumps(layer.config()))  # what a saved architecture holds
    rebuilt = type(layer)._from_config(**config) if hasattr(type(layer), "_from_config") else type(layer)(**config)
    assert rebuilt.config() == layer.config()
    assert repr(rebuilt) == repr(layer)
    ours, theirs = layer.state_dict(), rebuilt.state_dict()
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == theirs[k].shape and ours[k].dtype == theirs[k].dtype for k in ours)


def test_every_new_layer_is_covered_by_the_config_test():
    mine = {"deltaprop.nn.conv", "deltaprop.nn.pooling", "deltaprop.nn.normalization"}
    classes = {getattr(nn, name) for name in nn.__all__}
    assert {c for c in classes if isinstance(c, type) and c.__module__ in mine} == {type(layer) for layer in CONFIG_LAYERS}


@pytest.mark.parametrize("n", [2, 3])
def test_fractional_pooling_with_its_samples_comes_back_from_a_model_file(n, tmp_path):
    dp.manual_seed(0)
    samples = np.random.default_rng(0).random((1, 2, n)).astype(np.float32)  # (the model's dtype, as PyTorch wants it)
    conv = nn.Conv2d(1, 2, 3) if n == 2 else nn.Conv3d(1, 2, 3)
    model = nn.Sequential(conv, getattr(nn, f"FractionalMaxPool{n}d")(2, output_size=3, _random_samples=samples))
    dp.save(model, tmp_path / "pool.safetensors")
    loaded = dp.load(tmp_path / "pool.safetensors")
    np.testing.assert_array_equal(loaded[1]._random_samples, samples)
    x = dp.randn(1, 1, *(8,) * n)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)  # the same windows, not new draws


def test_batch_norm_statistics_are_buffers_in_the_state_dict():
    dp.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    assert list(model.state_dict()) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
    ]
    for seed in range(3):
        model(dp.tensor(np.random.default_rng(seed).standard_normal((4, 1, 5, 5)).astype(np.float32)))
    state = model.state_dict()
    assert int(state["1.num_batches_tracked"]) == 3
    fresh = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    fresh.load_state_dict(state)
    x = dp.randn(2, 1, 5, 5)
    np.testing.assert_array_equal(fresh.eval()(x).data, model.eval()(x).data)
    fresh.train()(x)  # training goes on counting from the loaded state
    assert int(fresh[1].num_batches_tracked) == 4 and int(model[1].num_batches_tracked) == 3


def test_model_with_conv_layers_saves_and_loads(tmp_path):
    serialization = pytest.importorskip("deltaprop.serialization", reason="model files are another module's")
    dp.manual_seed(0)
    model = nn.models.digits_cnn()
    model(dp.rand(8, 1, 8, 8))  # move the running statistics away from their initial values
    model.eval()
    serialization.save(model, tmp_path / "cnn.dp")
    loaded = serialization.load(tmp_path / "cnn.dp")
    x = dp.rand(4, 1, 8, 8)
    np.testing.assert_array_equal(loaded.eval()(x).data, model(x).data)
    assert int(loaded[1].num_batches_tracked) == 1


def test_functional_forms_equal_the_layers():
    x = dp.randn(2, 3, 6, 6)
    assert np.array_equal(F.max_pool2d(x, **nn.MaxPool2d(3, 2, 1).config()).data, nn.MaxPool2d(3, 2, 1)(x).data)
    assert np.array_equal(F.avg_pool2d(x, **nn.AvgPool2d(2).config()).data, nn.AvgPool2d(2)(x).data)
    conv = nn.Conv2d(3, 2, 3, padding=1)
    assert np.array_equal(F.conv2d(x, conv.weight, conv.bias, padding=1).data, conv(x).data)
    norm = nn.LayerNorm(6)
    assert np.array_equal(F.layer_norm(x, (6,), norm.weight, norm.bias).data, norm(x).data)


# -- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layer, shape, expected, received", [
    (nn.Conv2d(1, 16, 3), (64, 3, 28, 28), "Conv2d(1 -> 16, kernel 3) expected input of shape (N, 1, H, W)", "(64, 3, 28, 28)"),
    (nn.Conv2d(1, 16, 3), (28, 28), "Conv2d(1 -> 16, kernel 3) expected input of shape (N, 1, H, W)", "(28, 28)"),
    (nn.Conv1d(2, 4, (5,)), (8, 3, 10), "Conv1d(2 -> 4, kernel 5) expected input of shape (N, 2, L)", "(8, 3, 10)"),
    (nn.Conv2d(1, 2, (3, 5)), (1, 1, 2, 9), "Conv2d(1 -> 2, kernel 3x5): conv2d: the input's spatial size", "2x9"),
    (nn.MaxPool2d(2), (4, 8), "MaxPool2d(kernel 2) expected input of shape (N, C, H, W)", "(4, 8)"),
    (nn.MaxPool2d(4), (1, 1, 3, 3), "MaxPool2d(kernel 4): max_pool2d: the input's spatial size", "3x3"),
    (nn.BatchNorm2d(3), (4, 2, 5, 5), "BatchNorm2d(3) expected input of shape (N, 3, H, W)", "(4, 2, 5, 5)"),
    (nn.BatchNorm1d(3), (4, 3, 2, 2), "BatchNorm1d(3) expected input of shape (N, 3) or (N, 3, L)", "(4, 3, 2, 2)"),
    (nn.BatchNorm1d(3), (1, 3), "BatchNorm1d(3): batch_norm: training needs more than one value per channel", "(1, 3)"),
    (nn.LayerNorm(4), (2, 3), "LayerNorm((4,)) expected input of shape (..., 4)", "(2, 3)"),
    (nn.AdaptiveAvgPool2d(1), (3, 3), "AdaptiveAvgPool2d(1) expected input of shape (N, C, H, W)", "(3, 3)"),
])
def test_bad_input_shape_names_the_layer_and_both_shapes(layer, shape, expected, received):
    with pytest.raises(ShapeError) as error:
        layer(dp.randn(*shape))
    assert expected in str(error.value) and received in str(error.value)


def test_shape_errors_inside_sequential_name_position_and_layer():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(8, 4, 3))
    with pytest.raises(ShapeError, match=re.escape("layer 2 of Sequential: Conv2d(8 -> 4, kernel 3)")):
        model(dp.randn(2, 1, 8, 8))


@pytest.mark.parametrize("build, option", [
    (lambda: nn.Conv2d(0, 4, 3), "in_channels"),
    (lambda: nn.Conv2d(1, 4.0, 3), "out_channels"),
    (lambda: nn.Conv2d(1, 4, 0), "kernel_size"),
    (lambda: nn.Conv2d(1, 4, (3, 3, 3)), "kernel_size"),
    (lambda: nn.Conv1d(1, 4, 3, stride=0), "stride"),
    (lambda: nn.Conv2d(1, 4, 3, padding=-1), "padding"),
    (lambda: nn.Conv2d(1, 4, 3, padding="full"), "padding"),
    (lambda: nn.Conv2d(1, 4, 3, padding="same", stride=2), "padding='same'"),
    (lambda: nn.Conv2d(1, 4, 3, dilation=0), "dilation"),
    (lambda: nn.Conv2d(1, 4, 3, dtype=np.int32), "dtype"),
    (lambda: nn.MaxPool2d(2, padding=2), "padding"),
    (lambda: nn.MaxPool1d(0), "kernel_size"),
    (lambda: nn.AvgPool2d(2, stride=0), "stride"),
    (lambda: nn.AdaptiveAvgPool2d(-1), "output_size"),
    (lambda: nn.BatchNorm2d(0), "num_features"),
    (lambda: nn.BatchNorm2d(3, momentum=1.5), "momentum"),
    (lambda: nn.BatchNorm1d(3, eps=0), "eps"),
    (lambda: nn.LayerNorm(()), "normalized_shape"),
    (lambda: nn.LayerNorm(4, eps=-1), "eps"),
    (lambda: F.conv2d(dp.randn(1, 1, 4, 4), dp.randn(1, 1, 2, 2), stride=(1, 0)), "stride"),
    (lambda: F.max_pool2d(dp.randn(1, 1, 4, 4), 2, padding=3), "padding"),
])
def test_bad_options_raise_config_error_naming_the_option(build, option):
    with pytest.raises(ConfigError, match=re.escape(option)):
        build()


def test_functional_conv_checks_weight_and_bias_shapes():
    with pytest.raises(ShapeError, match=re.escape("conv2d: weight must have shape (out_channels, in_channels, kh, kw), got shape (2, 1, 3)")):
        F.conv2d(dp.randn(1, 1, 4, 4), dp.randn(2, 1, 3))
    with pytest.raises(ShapeError, match=re.escape("conv1d: bias must have shape (2,), got shape (3,)")):
        F.conv1d(dp.randn(1, 1, 4), dp.randn(2, 1, 3), dp.randn(3))
    with pytest.raises(ShapeError, match=re.escape("conv1d: expected input of shape (N, 1, L) or (1, L), got shape (1, 2, 4)")):
        F.conv1d(dp.randn(1, 2, 4), dp.randn(2, 1, 3))


def test_digits_cnn_shapes_and_options():
    dp.manual_seed(0)
    model = nn.models.digits_cnn()
    assert model(dp.rand(5, 1, 8, 8)).shape == (5, 10)
    assert nn.models.digits_cnn(channels=(4, 6), num_classes=3)(dp.rand(2, 1, 8, 8)).shape == (2, 3)
    with pytest.raises(ConfigError, match="channels"):
        nn.models.digits_cnn(channels=(4,))


# -- grouped convolution -----------------------------------------------------------------------------

# (input shape, weight shape, groups): two groups; depthwise with one filter per channel; depthwise
# with a channel multiplier (out = 2 · in); three groups of two channels each, out = 3 · groups.
GROUPED_1D = [((2, 4, 9), (6, 2, 3), 2), ((2, 3, 9), (3, 1, 3), 3), ((2, 3, 9), (6, 1, 3), 3), ((2, 6, 9), (9, 2, 2), 3)]
GROUPED_2D = [((2, 4, 6, 7), (4, 2, 2, 3), 2), ((2, 3, 6, 7), (3, 1, 2, 3), 3), ((2, 3, 6, 7), (6, 1, 2, 3), 3),
              ((1, 6, 5, 6), (9, 2, 3, 2), 3)]


@pytest.mark.parametrize("options", CONV1D_OPTIONS, ids=str)
@pytest.mark.parametrize("x_shape, w_shape, groups", GROUPED_1D, ids=str)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_grouped_conv1d_gradients(x_shape, w_shape, groups, options, bias):
    inputs = [randn(*x_shape), randn(*w_shape, seed=1)] + ([randn(w_shape[0], seed=2)] if bias else [])
    assert dp.gradcheck(lambda *a: F.conv1d(*a, groups=groups, **options), inputs)


@pytest.mark.parametrize("options", CONV2D_OPTIONS, ids=str)
@pytest.mark.parametrize("x_shape, w_shape, groups", GROUPED_2D, ids=str)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_grouped_conv2d_gradients(x_shape, w_shape, groups, options, bias):
    inputs = [randn(*x_shape), randn(*w_shape, seed=1)] + ([randn(w_shape[0], seed=2)] if bias else [])
    assert dp.gradcheck(lambda *a: F.conv2d(*a, groups=groups, **options), inputs)


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
def test_grouped_conv_is_each_group_convolved_alone(batched):
    """The definition: output group g is the ordinary convolution of input group g with its filters."""
    x, w, b = randn(2, 6, 7, 8), randn(9, 2, 3, 3, seed=1), randn(9, seed=2)
    if not batched:
        x = tensor(x.data[1])
    out = F.conv2d(x, w, b, groups=3, stride=(1, 2), padding=1)
    out.backward(np.arange(out.data.size).reshape(out.shape) % 7 - 3.0)
    channel = 1 if batched else 0
    for g in range(3):
        xg, wg, bg = (tensor(np.take(x.data, range(2 * g, 2 * g + 2), channel)), tensor(w.data[3 * g:3 * g + 3]),
                      tensor(b.data[3 * g:3 * g + 3]))
        alone = F.conv2d(xg, wg, bg, stride=(1, 2), padding=1)
        upstream = np.take(np.arange(out.data.size).reshape(out.shape) % 7 - 3.0, range(3 * g, 3 * g + 3), channel)
        alone.backward(upstream)
        np.testing.assert_allclose(np.take(out.data, range(3 * g, 3 * g + 3), channel), alone.data, rtol=1e-12)
        np.testing.assert_allclose(np.take(x.grad, range(2 * g, 2 * g + 2), channel), xg.grad, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(w.grad[3 * g:3 * g + 3], wg.grad, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(b.grad[3 * g:3 * g + 3], bg.grad, rtol=1e-12, atol=1e-12)


def test_grouped_conv_output_is_batch_last_and_gradients_flow_to_what_needs_them():
    x = dp.tensor(np.random.default_rng(0).standard_normal((3, 4, 6, 6)))  # float64 data, float32 weight
    w = dp.randn(8, 1, 3, 3, requires_grad=True)
    out = F.conv2d(x, w, groups=4)
    assert out.dtype == np.float32 and out.shape == (3, 8, 4, 4)
    assert out.data.transpose(1, 2, 3, 0).flags.c_contiguous  # stored (C, H, W, N), as ungrouped outputs are
    F.relu(out).sum().backward()
    assert x.grad is None and w.grad.shape == (8, 1, 3, 3) and w.grad.dtype == np.float32
    with dp.no_grad():
        assert not F.conv2d(x, w, groups=4).requires_grad
    assert np.array_equal(F.conv2d(x, w, groups=np.int64(4)).data, out.data)
    same = F.conv2d(x, dp.tensor(w.data[:, :1].repeat(4, 1) * (np.arange(8)[:, None] // 2 == np.arange(4))[:, :, None, None]))
    np.testing.assert_allclose(same.data, out.data, rtol=1e-5, atol=1e-5)  # groups as a block-diagonal weight


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.conv2d(dp.randn(1, 4, 5, 5), dp.randn(4, 2, 3, 3), groups=0), ConfigError,
     "conv2d: groups must be a positive integer, got 0"),
    (lambda: F.conv1d(dp.randn(1, 4, 5), dp.randn(4, 2, 3), groups=2.0), ConfigError,
     "conv1d: groups must be a positive integer, got 2.0"),
    (lambda: F.conv1d(dp.randn(1, 4, 5), dp.randn(4, 2, 3), groups=True), ConfigError,
     "conv1d: groups must be a positive integer, got True"),
    (lambda: F.conv2d(dp.randn(1, 4, 5, 5), dp.randn(3, 2, 3, 3), groups=2), ShapeError,
     "conv2d: the weight's 3 output channels (its first axis) are not divisible by groups=2"),
    (lambda: F.conv2d(dp.randn(1, 4, 5, 5), dp.randn(4, 2, 3, 3), groups=4), ShapeError,
     "conv2d: expected input of shape (N, 8, H, W) or (8, H, W) (2 input channels per group, as the weight has, "
     "times groups=4), got shape (1, 4, 5, 5)"),
    (lambda: F.conv1d(dp.randn(1, 4, 5), dp.randn(4, 2), groups=2), ShapeError,
     "conv1d: weight must have shape (out_channels, in_channels / groups, k), got shape (4, 2)"),
    (lambda: F.conv1d(dp.randn(1, 4, 5), dp.randn(4, 2, 3), dp.randn(2), groups=2), ShapeError,
     "conv1d: bias must have shape (4,), got shape (2,)"),
    (lambda: nn.Conv2d(6, 8, 3, groups=4), ConfigError, "Conv2d: in_channels=6 is not divisible by groups=4"),
    (lambda: nn.Conv1d(6, 8, 3, groups=3), ConfigError, "Conv1d: out_channels=8 is not divisible by groups=3"),
    (lambda: nn.Conv1d(6, 6, 3, groups=-1), ConfigError, "Conv1d: groups must be a positive integer, got -1"),
    (lambda: nn.Conv2d(4, 4, 3, groups=2)(dp.randn(1, 2, 5, 5)), ShapeError,
     "Conv2d(4 -> 4, kernel 3, groups 2) expected input of shape (N, 4, H, W) or (4, H, W), got shape (1, 2, 5, 5)"),
])
def test_grouped_conv_errors_name_the_option_and_the_numbers(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


@pytest.mark.parametrize("groups", [1, np.int64(1), 2], ids=["1", "numpy-1", "2"])
@pytest.mark.parametrize("conv, shape", [(F.conv1d, (1, 4, 5)), (F.conv2d, (1, 4, 5, 5))], ids=["1d", "2d"])
def test_the_bias_is_checked_once_with_the_same_sentence_for_any_groups(conv, shape, groups, monkeypatch):
    # groups=1 given as a NumPy integer goes through the grouped checks to the ungrouped kernel,
    # which checked the bias a second time
    n = len(shape) - 2
    weight = dp.randn(4, 4 // int(groups), *(3,) * n)
    with pytest.raises(ShapeError, match=rf"^{conv.__name__}: bias must have shape \(4,\), got shape \(2,\)$"):
        conv(dp.randn(*shape), weight, dp.randn(2), groups=groups)
    bias, seen = dp.randn(4), []
    read = conv_ops.operand
    monkeypatch.setattr(conv_ops, "operand", lambda a: seen.append(a is bias) or read(a))
    x = dp.randn(*shape)
    out = conv(x, weight, bias, groups=groups)
    assert seen.count(True) == 1
    expected = conv(x, weight, None, groups=int(groups)).data + bias.data.reshape(4, *(1,) * n)
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-6)


def test_grouped_layer_weight_shape_repr_and_fan_in():
    dp.manual_seed(0)
    layer = nn.Conv2d(8, 64, 3, padding=1, groups=8)
    assert layer.weight.shape == (64, 1, 3, 3) and layer.bias.shape == (64,)
    assert repr(layer) == "Conv2d(8, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=8)"
    assert "groups" not in repr(nn.Conv2d(8, 64, 3)) and "groups" not in nn.Conv2d(8, 64, 3).config()
    # fan_in is what one output sees: 8 / 8 channels x 9 positions, so both bounds are 1/3 (in_channels
    # x 9 would give 0.118, which 576 and 64 uniform draws would not come near)
    for values in (layer.weight.data, layer.bias.data):
        assert 0.3 < np.abs(values).max() <= 1 / 3
    assert layer(dp.randn(2, 8, 5, 5)).shape == (2, 64, 5, 5)
    assert nn.Conv1d(4, 4, 3, groups=2, bias=False)(dp.randn(4, 7)).shape == (4, 5)  # unbatched
