"""The bugs scripts/fuzz_functional.py found in the losses and nn.functional, each against PyTorch."""

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.nn.functional as F
from deltaprop.errors import ShapeError

torch = pytest.importorskip("torch", reason="PyTorch is the reference these fixes are compared with")
TF = torch.nn.functional


def both(array, grad=False, dtype=np.float64):
    """The same values as a deltaprop tensor and a torch tensor."""
    array = np.asarray(array, dtype=dtype)
    return (dp.tensor(array, dtype=dtype, requires_grad=grad),
            torch.tensor(array, requires_grad=grad))


LOGITS = [[0.2, 0.5, -1.0], [1.0, 2.0, 0.1]]
LABELS = [0, 2]
BINARY = [[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]]

WEIGHTED_CALLS = {
    "cross_entropy": lambda lib, x, w: lib.cross_entropy(x, _labels(lib), weight=w),
    "cross_entropy smoothing": lambda lib, x, w: lib.cross_entropy(x, _labels(lib), weight=w, label_smoothing=0.1),
    "nll_loss": lambda lib, x, w: lib.nll_loss(x, _labels(lib), weight=w),
    "binary_cross_entropy": lambda lib, x, w: lib.binary_cross_entropy(x.sigmoid(), _binary(lib), weight=w),
    "bce_with_logits weight": lambda lib, x, w: lib.binary_cross_entropy_with_logits(x, _binary(lib), weight=w),
    "bce_with_logits pos_weight": lambda lib, x, w: lib.binary_cross_entropy_with_logits(x, _binary(lib), pos_weight=w),
    "multi_margin_loss": lambda lib, x, w: lib.multi_margin_loss(x, _labels(lib), weight=w),
}


def dp_tensor(array, **options):
    return dp.tensor(array, dtype=array.dtype, **options)  # (dp.tensor of a float64 array is float32 otherwise)


def _labels(lib):
    return (dp if lib is F else torch).tensor(np.array(LABELS))


def _binary(lib):
    return (dp if lib is F else torch).tensor(np.array(BINARY))


@pytest.mark.parametrize("call", WEIGHTED_CALLS)
def test_a_weight_that_requires_grad_is_refused_where_pytorch_refuses_it(call):
    # These losses took such a weight as a constant: its gradient was lost without a word.
    ours_x, theirs_x = both(LOGITS, grad=True)
    ours_w, theirs_w = both([1.0, 2.0, 0.5], grad=True)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument"):
        WEIGHTED_CALLS[call](TF, theirs_x, theirs_w)
    with pytest.raises(dp.errors.GradError, match="requires grad"):
        WEIGHTED_CALLS[call](F, ours_x, ours_w)
    # the same weight as data is taken, and gives PyTorch's loss
    ours = WEIGHTED_CALLS[call](F, ours_x, ours_w.detach())
    theirs = WEIGHTED_CALLS[call](TF, theirs_x, theirs_w.detach())
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_probabilities_gives_the_weight_its_gradient(reduction):
    # The weight got no gradient (None), where PyTorch's composed loss gives it one.
    probabilities = [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]
    grads = []
    for lib, make in ((F, dp_tensor), (TF, torch.tensor)):
        x = make(np.array(LOGITS), requires_grad=True)
        w = make(np.array([1.0, 2.0, 0.5]), requires_grad=True)
        q = make(np.array(probabilities), requires_grad=True)
        loss = lib.cross_entropy(x, q, weight=w, reduction=reduction, label_smoothing=0.2)
        (loss * make(np.linspace(0.5, 1.5, loss.numel()).reshape(tuple(loss.shape)))).sum().backward()
        grads.append([np.asarray(t.grad) for t in (x, w, q)])
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_skips_an_ignored_sample_whatever_its_input(reduction):
    # An ignored sample's -inf log-probability made the loss NaN (−(−inf)·0).
    values = [[-1000.0, -np.inf], [2.0, 2.0], [0.0, -1.0]]
    ours_x, theirs_x = both(values, grad=True)
    ours = F.nll_loss(ours_x, dp.tensor(np.array([1, 0, 1])), ignore_index=1, reduction=reduction)
    theirs = TF.nll_loss(theirs_x, torch.tensor([1, 0, 1]), ignore_index=1, reduction=reduction)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_array_equal(ours_x.grad, theirs_x.grad.numpy())


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_cross_entropy_skips_an_ignored_sample_whose_logits_are_all_minus_inf(reduction):
    # One sample (C,) goes the general path, where the ignored sample's NaN (−inf − max) times 0 stayed NaN.
    ours = F.cross_entropy(dp.tensor(np.array([-np.inf]), dtype=np.float64), dp.tensor(np.array(0)), ignore_index=0,
                           reduction=reduction)
    theirs = TF.cross_entropy(torch.tensor([-np.inf], dtype=torch.float64), torch.tensor(0), ignore_index=0,
                              reduction=reduction)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_nll_loss_mean_of_zero_total_weight_has_pytorchs_gradient():
    # Weights that sum to 0 over the counted samples: the mean is NaN and so is the gradient at their
    # labels (−w/Σw), the ignored sample's 0; deltaprop gave 0 throughout.
    ours_x, theirs_x = both([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5], [0.2, 0.3, 0.4]], grad=True)
    ours_w, theirs_w = both([0.0, 0.0, 1.0])
    ours = F.nll_loss(ours_x, dp.tensor(np.array([0, 1, 2])), weight=ours_w, ignore_index=2)
    theirs = TF.nll_loss(theirs_x, torch.tensor([0, 1, 2]), weight=theirs_w, ignore_index=2)
    ours.backward()
    theirs.backward()
    assert np.isnan(ours.item()) and np.isnan(theirs.item())
    np.testing.assert_array_equal(ours_x.grad, theirs_x.grad.numpy())


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.avg_pool3d(x, kernel_size=2, padding=(0, 1, 1)),
    lambda lib, x: lib.avg_pool3d(x, kernel_size=(2, 2, 1), ceil_mode=True),
    lambda lib, x: lib.lp_pool3d(x, 1.0, kernel_size=(2, 2, 2), ceil_mode=True),
])
def test_3d_average_pooling_refuses_an_input_smaller_than_its_kernel(call):
    # PyTorch's 3-d average pooling checks the input against the kernel before any padding.
    ours_x, theirs_x = both(np.ones((1, 1, 4, 1, 3)))
    with pytest.raises(RuntimeError, match="smaller than kernel size"):
        call(TF, theirs_x)
    with pytest.raises(dp.errors.ShapeError, match="smaller than the kernel"):
        call(F, ours_x)


@pytest.mark.parametrize("shape, groups, refused", [((1, 2), 2, True), ((2, 1), 1, False), ((1, 1, 1), 1, True),
                                                    ((2, 2), 2, False), ((1, 2, 1), 1, False)])
def test_group_norm_refuses_one_value_as_pytorch_does(shape, groups, refused):
    ours_x, theirs_x = both(np.arange(np.prod(shape), dtype=float).reshape(shape) + 0.5)
    if refused:
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            TF.group_norm(theirs_x, groups)
        with pytest.raises(dp.errors.ShapeError, match="more than one value per group"):
            F.group_norm(ours_x, groups)
    else:
        np.testing.assert_allclose(F.group_norm(ours_x, groups).data, TF.group_norm(theirs_x, groups).numpy(),
                                   atol=1e-12)


@pytest.mark.parametrize("shape", [(), (3,)])
def test_feature_alpha_dropout_out_of_training_takes_any_shape(shape):
    ours_x, theirs_x = both(np.full(shape, 0.75))
    np.testing.assert_array_equal(F.feature_alpha_dropout(ours_x, 0.5, training=False).data,
                                  TF.feature_alpha_dropout(theirs_x, 0.5, training=False).numpy())


@pytest.mark.parametrize("p", [0.0, -1.0, -0.5, -np.inf])
@pytest.mark.parametrize("function", ["pairwise_distance", "normalize"])
def test_norms_of_order_zero_and_negative_are_pytorchs(function, p):
    # They were refused ("p must be a positive number"); PyTorch takes any real order.
    a = [[1.0, -0.5, 2.0], [0.3, 0.7, -1.2]]
    results = []
    for lib, make in ((F, dp_tensor), (TF, torch.tensor)):
        x = make(np.array(a), requires_grad=True)
        out = lib.pairwise_distance(x, make(np.array([[1.0, 1.0, 2.0], [0.0, 0.5, 1.0]])), p=p) \
            if function == "pairwise_distance" else lib.normalize(x, p=p, dim=1)
        (out * make(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)))).sum().backward()
        grad = np.zeros(x.shape) if x.grad is None else np.asarray(x.grad)  # (PyTorch's p=0: None)
        results.append((np.asarray(out.detach() if lib is TF else out.data), grad))
    (ours, our_grad), (theirs, their_grad) = results
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-9, atol=1e-12)


def test_binary_cross_entropy_gradient_at_a_certain_input_is_pytorchs():
    # At an input of 0 or 1 the slope (p − y)/max(p(1 − p), ε) takes PyTorch's ε, float32's 1e-12
    # (deltaprop's float64 1e-12 was 4e-9 off, relative).
    ours_p, theirs_p = both([0.0, 1.0, 0.0, 0.5], grad=True)
    ours_y, theirs_y = both([1.0, 0.0, 0.0, 1.0])
    F.binary_cross_entropy(ours_p, ours_y, reduction="sum").backward()
    TF.binary_cross_entropy(theirs_p, theirs_y, reduction="sum").backward()
    np.testing.assert_array_equal(ours_p.grad, theirs_p.grad.numpy())


def test_embedding_rows_of_width_zero_have_a_gradient():
    # The backward reshaped the output gradient with -1 and a width of 0, which NumPy cannot.
    ours_w, theirs_w = both(np.zeros((3, 0)), grad=True)
    F.embedding(dp.tensor(np.array([1, 1])), ours_w, padding_idx=2).sum().backward()
    TF.embedding(torch.tensor([1, 1]), theirs_w, padding_idx=2).sum().backward()
    assert ours_w.grad.shape == tuple(theirs_w.grad.shape) == (3, 0)


@pytest.mark.parametrize("function", ["multi_margin_loss", "multilabel_margin_loss"])
def test_margin_losses_read_a_0d_input_and_refuse_an_empty_class_axis(function):
    # A 0-d input is one sample of one class in PyTorch (deltaprop refused it); an input with no
    # classes PyTorch refuses (deltaprop computed a loss of it).
    ours = getattr(F, function)(dp.tensor(np.array(0.7)), dp.tensor(np.array(0)))
    theirs = getattr(TF, function)(torch.tensor(0.7), torch.tensor(0))
    assert ours.shape == tuple(theirs.shape) == () and ours.item() == theirs.item()
    for shape in [(0,), (2, 0)]:
        target = np.zeros(shape if function == "multilabel_margin_loss" else shape[:-1], dtype=np.int64)
        with pytest.raises(RuntimeError, match="Expected non-empty vector or matrix"):
            getattr(TF, function)(torch.zeros(shape), torch.tensor(target))
        with pytest.raises(dp.errors.ShapeError, match="expected at least one class"):
            getattr(F, function)(dp.tensor(np.zeros(shape)), dp.tensor(target))


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_of_no_channels_has_a_gradient(mode):
    # The backward's block size divided by the channel count, 0.
    ours_x, theirs_x = both(np.zeros((1, 0, 4, 4)), grad=True)
    ours_g, theirs_g = both(np.full((1, 2, 2, 2), 0.25))
    F.grid_sample(ours_x, ours_g, mode=mode, align_corners=True).sum().backward()
    TF.grid_sample(theirs_x, theirs_g, mode=mode, align_corners=True).sum().backward()
    assert ours_x.grad.shape == tuple(theirs_x.grad.shape) == (1, 0, 4, 4)


EMPTY_CALLS = {
    "linear": (lambda lib, a, b, c: lib.linear(a, b, c), [(4, 1, 0), (4, 0), (4,)]),
    "linear of no rows": (lambda lib, a, b, c: lib.linear(a, b, c), [(0, 3, 2), (4, 2), (4,)]),
    "bilinear": (lambda lib, a, b, c: lib.bilinear(a, b, c), [(1,), (4,), (0, 1, 4)]),
    # (no weight or bias of no channels: PyTorch's own batch_norm fails on those)
    "batch_norm": (lambda lib, a, b, c: lib.batch_norm(a, None, None, training=True) * b + c, [(4, 0, 3), (), ()]),
    "grid_sample bicubic": (lambda lib, a, b, c: lib.grid_sample(a, b, mode="bicubic", align_corners=False) + c,
                            [(0, 2, 3, 4), (0, 2, 4, 2), ()]),
}


@pytest.mark.parametrize("call", EMPTY_CALLS)
def test_empty_inputs_have_pytorchs_shapes_and_gradients(call):
    # Each reshaped with a -1 beside an axis of 0 (or divided by a count of 0 channels), and failed.
    function, shapes = EMPTY_CALLS[call]
    results = []
    for lib, make in ((F, dp_tensor), (TF, torch.tensor)):
        tensors = [make(np.full(shape, 0.5), requires_grad=True) for shape in shapes]
        out = function(lib, *tensors)
        out.sum().backward()
        results.append([tuple(out.shape)] + [tuple(np.shape(t.grad)) for t in tensors])
    assert results[0] == results[1]


@pytest.mark.parametrize("n", [1, 2])
def test_a_grouped_convolution_of_no_input_channels_is_the_ungrouped_one(n):
    """Grouped convolutions of an input with no channels failed in a reshape (a -1 beside an axis of
    0); now they give what the ungrouped one gives (porting.md: each output channel its bias, where
    PyTorch's output has no channels), with gradients of the inputs' shapes."""
    conv = getattr(F, f"conv{n}d")
    x = dp.zeros((2, 0) + (5,) * n, dtype=dp.float64, requires_grad=True)
    w = dp.tensor(np.ones((4, 0) + (3,) * n), requires_grad=True)
    b = dp.tensor([0.5, -1.0, 2.0, 3.0], dtype=dp.float64, requires_grad=True)
    grouped = conv(x, w, b, groups=2)
    np.testing.assert_array_equal(grouped.data, conv(x, w, b).data)
    np.testing.assert_array_equal(grouped.data[(slice(None), slice(None)) + (0,) * n], np.tile(b.data, (2, 1)))
    grouped.sum().backward()
    assert x.grad.shape == x.shape and w.grad.shape == w.shape
    np.testing.assert_array_equal(b.grad, np.full(4, 2.0 * 3**n))


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_a_kernel_without_positions_is_refused_as_pytorch_refuses_it(n, groups):
    """A weight with a kernel axis of length 0 was convolved into an output of bias values; PyTorch
    refuses it ("kernel size should be greater than zero"), and so does deltaprop, in one sentence."""
    kernel = (1,) * (n - 1) + (0,)
    x, tx = both(np.ones((1, 2) + (4,) * n))
    w, tw = both(np.ones((2, 2 // groups) + kernel))
    with pytest.raises(RuntimeError, match="kernel size should be greater than zero"):
        getattr(TF, f"conv{n}d")(tx, tw, groups=groups)
    with pytest.raises(ShapeError, match=rf"conv{n}d: the kernel must be at least 1 wide on every axis"):
        getattr(F, f"conv{n}d")(x, w, groups=groups)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("shape", [(0,), (2, 0), (2, 0, 3)])
def test_an_input_without_classes_is_refused_in_one_sentence(loss, shape):
    """An input whose class axis has length 0 met NumPy's errors (a maximum of nothing, an index out of
    bounds); it is refused in one sentence naming its shape (porting.md)."""
    labels = np.zeros(shape[:1] + shape[2:] if len(shape) > 1 else (), dtype=np.int64)
    with pytest.raises(ShapeError, match=rf"{loss}: the input of shape \({shape[0]},.*has no classes"):
        getattr(F, loss)(dp.zeros(shape, dtype=dp.float64), dp.tensor(labels), ignore_index=0)


def test_instance_norm_of_no_channels_is_refused_under_its_own_name():
    """It was refused by group_norm's check, whose sentence named group_norm and num_groups=0."""
    with pytest.raises(ShapeError, match=r"instance_norm: expected an input with at least one channel, got shape \(1, 0, 2\)"):
        F.instance_norm(dp.zeros((1, 0, 2), dtype=dp.float64))
