"""The smaller nn names code written for PyTorch uses, against PyTorch: nn.Buffer, the lazy layers'
UninitializedParameter, the recurrent base classes, SyncBatchNorm and convert_sync_batchnorm,
CrossMapLRN2d, the deprecated NLLLoss2d, Container and F.upsample*."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.errors import ConfigError, ShapeError  # noqa: E402

RNG = np.random.default_rng(5)


def _f64(x, requires_grad=False):
    return dp.tensor(x, dtype=np.float64, requires_grad=requires_grad)


# -- nn.Buffer -------------------------------------------------------------------------------------


def _with_buffers(lib):
    class Model(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.kept = lib.nn.Buffer(lib.zeros(3))
            self.scratch = lib.nn.Buffer(lib.ones(1), persistent=False)
            self.empty = lib.nn.Buffer()
            self.weight = lib.nn.Parameter(lib.ones(2))

    return Model()


def test_an_assigned_buffer_registers_as_pytorchs():
    ours, theirs = _with_buffers(dp), _with_buffers(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "kept", "empty"]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert ours.empty.shape == tuple(theirs.empty.shape) == (0,)
    # a Buffer for an existing buffer takes its place and its persistence
    ours.kept = nn.Buffer(dp.ones(3), persistent=False)
    theirs.kept = torch.nn.Buffer(torch.ones(3), persistent=False)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "empty"]
    np.testing.assert_array_equal(ours.kept, np.ones(3))
    loaded = _with_buffers(dp)
    loaded.load_state_dict({"weight": np.full(2, 3.0), "kept": np.arange(3.0), "empty": np.zeros(0)})
    np.testing.assert_array_equal(loaded.kept, [0.0, 1.0, 2.0])


def test_a_buffer_is_a_tensor_with_its_persistence():
    b = nn.Buffer(dp.tensor([1.0, 2.0]), persistent=False)
    assert isinstance(b, dp.Tensor) and b.persistent is False and not b.requires_grad
    assert repr(b) == repr(dp.tensor([1.0, 2.0]))
    assert nn.Buffer(np.arange(3)).dtype == np.int64  # integer data stays integer, as in PyTorch


@pytest.mark.parametrize("lib_error, ours_error, words", [
    ("weight", TypeError, "cannot assign a Buffer as parameter 'weight'"),
    ("plain", KeyError, "attribute 'plain' already exists"),
])
def test_a_buffer_where_a_parameter_or_an_attribute_is_refused_as_in_pytorch(lib_error, ours_error, words):
    ours, theirs = _with_buffers(dp), _with_buffers(torch)
    ours.plain, theirs.plain = 5, 5
    with pytest.raises(ours_error):
        setattr(theirs, lib_error, torch.nn.Buffer(torch.ones(2)))
    with pytest.raises(ours_error, match=words):
        setattr(ours, lib_error, nn.Buffer(dp.ones(2)))


def test_a_buffer_before_module_init_is_refused():
    class Early(nn.Module):
        def __init__(self):
            self.x = nn.Buffer(dp.ones(1))

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) before"):
        Early()


# -- UninitializedParameter ----------------------------------------------------------------------------


def test_the_lazy_layers_placeholders_are_uninitialized_parameters():
    ours, theirs = nn.LazyLinear(3), torch.nn.LazyLinear(3)
    for lib, layer in ((nn, ours), (torch.nn, theirs)):
        assert all(isinstance(p, lib.UninitializedParameter) for p in layer.parameters())
        assert all(isinstance(p, lib.Parameter) for p in layer.parameters())
        assert all(lib.parameter.is_lazy(p) for p in layer.parameters())
    ours(dp.ones((2, 4)))
    theirs(torch.ones(2, 4))
    assert not any(isinstance(p, nn.UninitializedParameter) for p in ours.parameters())
    assert not any(isinstance(p, torch.nn.UninitializedParameter) for p in theirs.parameters())


def test_an_uninitialized_parameter_is_made_as_pytorchs():
    p, q = nn.UninitializedParameter(), torch.nn.UninitializedParameter()
    assert p.requires_grad == q.requires_grad and p.dtype == np.float32 and q.dtype == torch.float32
    assert nn.UninitializedParameter(requires_grad=False, dtype=dp.float64).dtype == np.float64
    with pytest.raises(ConfigError, match="not a device"):
        nn.UninitializedParameter(device="gpu")


# -- RNNBase and RNNCellBase -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_the_recurrent_layers_are_rnnbases_and_cells_rnncellbases(name):
    assert isinstance(getattr(nn, name)(3, 4), nn.RNNBase) == isinstance(getattr(torch.nn, name)(3, 4), torch.nn.RNNBase)
    assert isinstance(getattr(nn, name)(3, 4), nn.RNNBase)
    cell = getattr(nn, name + "Cell")(3, 4)
    assert isinstance(cell, nn.RNNCellBase) and isinstance(getattr(torch.nn, name + "Cell")(3, 4), torch.nn.RNNCellBase)


@pytest.mark.parametrize("mode", ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"])
def test_the_bases_build_pytorchs_weights(mode):
    ours, theirs = nn.RNNBase(mode, 3, 5, num_layers=2, bidirectional=True), torch.nn.RNNBase(mode, 3, 5, 2,
                                                                                               bidirectional=True)
    assert [(k, p.shape) for k, p in ours.named_parameters()] == [(k, tuple(p.shape)) for k, p in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    chunks = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}[mode]
    cell, reference = nn.RNNCellBase(3, 5, True, chunks), torch.nn.RNNCellBase(3, 5, True, chunks)
    assert [(k, p.shape) for k, p in cell.named_parameters()] == [(k, tuple(p.shape)) for k, p in reference.named_parameters()]
    assert repr(cell) == repr(reference)
    bound = 1 / np.sqrt(5)
    assert all(np.abs(p.data).max() <= bound for p in cell.parameters())


def test_a_cell_of_ones_own_subclasses_the_cell_base():
    class Minimal(nn.RNNCellBase):
        def __init__(self, inputs, hidden):
            super().__init__(inputs, hidden, bias=False, num_chunks=1)

        def forward(self, x, h):
            return dp.tanh(x @ self.weight_ih.T + h @ self.weight_hh.T)

    cell = Minimal(2, 3)
    assert [k for k, _ in cell.named_parameters()] == ["weight_ih", "weight_hh"]
    assert cell(dp.ones((4, 2)), dp.zeros((4, 3))).shape == (4, 3)
    with pytest.raises(NotImplementedError):
        nn.RNNCellBase(2, 3, True, 1)(dp.ones((1, 2)))


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        torch.nn.RNNBase("FOO", 3, 4)
    with pytest.raises(ConfigError, match="^RNNBase: mode must be one of 'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU', got 'FOO'"):
        nn.RNNBase("FOO", 3, 4)


def test_a_model_with_a_base_class_layer_saves_its_weights_only(tmp_path):
    model = nn.Sequential(nn.RNNBase("GRU", 2, 3))
    dp.save(model, tmp_path / "m.dp")
    back = dp.load(tmp_path / "m.dp", model=nn.Sequential(nn.RNNBase("GRU", 2, 3)))
    np.testing.assert_array_equal(back[0].weight_hh_l0.data, model[0].weight_hh_l0.data)
    assert dp.load(tmp_path / "m.dp", model=nn.Sequential(nn.GRU(2, 3)))[0].weight_ih_l0.shape == (9, 2)


# -- SyncBatchNorm ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 3), (5, 3, 4), (4, 3, 2, 3), (3, 3, 2, 2, 2), (2, 3, 2, 1, 2, 2)])
def test_sync_batch_norm_is_batch_norm_in_one_process(shape):
    ours, theirs = nn.SyncBatchNorm(3, momentum=0.3).double(), torch.nn.SyncBatchNorm(3, momentum=0.3).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([0.5, 2.0, -1.0]))
        theirs.bias.copy_(torch.tensor([0.1, 0.0, 0.3]))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert repr(ours) == repr(theirs)
    x = RNG.standard_normal(shape) * 2 + 1
    a, b = _f64(x, True), torch.tensor(x, requires_grad=True)
    out, expected = ours(a), theirs(b)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = RNG.standard_normal(shape)
    out.backward(g)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-9, atol=1e-12)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-12, err_msg=key)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(_f64(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_sync_batch_norm_refuses_what_pytorchs_refuses():
    with pytest.raises(ValueError):
        torch.nn.SyncBatchNorm(3)(torch.ones(3))
    with pytest.raises(ShapeError, match=r"^SyncBatchNorm\(3\) expected input of shape \(N, 3, \*\), got shape \(3,\)"):
        nn.SyncBatchNorm(3)(dp.ones(3))
    with pytest.raises(ConfigError, match="^SyncBatchNorm: process_group must be None"):
        nn.SyncBatchNorm(3, process_group=object())


def _norm_model(lib):
    nn_ = lib.nn
    return nn_.Sequential(nn_.Conv2d(2, 4, 1), nn_.BatchNorm2d(4, momentum=0.3),
                          nn_.Sequential(nn_.BatchNorm1d(4, affine=False), nn_.ReLU()), nn_.InstanceNorm2d(4),
                          nn_.BatchNorm3d(4, eps=1e-3, track_running_stats=False))


def test_convert_sync_batchnorm_converts_as_pytorchs():
    ours, theirs = _norm_model(dp), _norm_model(torch)
    ours[1].running_mean[...] = 2.0
    ours[4].eval()
    theirs[4].eval()
    weight = ours[1].weight
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(ours)
    reference = torch.nn.SyncBatchNorm.convert_sync_batchnorm(theirs)
    assert converted is ours and repr(converted) == repr(reference)
    assert converted[1].weight is weight and converted[1].running_mean[0] == 2.0
    assert [m.training for m in converted.modules()] == [m.training for m in reference.modules()]
    assert list(converted.state_dict()) == list(reference.state_dict())
    lone = nn.BatchNorm1d(3, bias=False).eval()
    single = nn.SyncBatchNorm.convert_sync_batchnorm(lone)
    assert type(single) is nn.SyncBatchNorm and not single.training and single.bias is None
    assert single.weight is lone.weight and single.running_var is lone.running_var


# -- CrossMapLRN2d ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 8])
@pytest.mark.parametrize("channels", [1, 3, 7])
def test_cross_map_lrn2d_gives_pytorchs_values(size, channels):
    x = RNG.standard_normal((2, channels, 3, 4)) * 2
    for options in ({}, {"alpha": 0.5, "beta": 0.6, "k": 2.0}):
        ours, theirs = nn.CrossMapLRN2d(size, **options), torch.nn.CrossMapLRN2d(size, **options)
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(ours(_f64(x)).data, theirs(torch.tensor(x)).numpy(), rtol=1e-12, atol=1e-15)


def test_cross_map_lrn2d_differentiates_its_own_values():
    x = _f64(RNG.standard_normal((2, 5, 2, 3)), True)
    layer = nn.CrossMapLRN2d(3, alpha=0.5, beta=0.7, k=1.5)
    assert dp.gradcheck(layer, (x,))
    assert dp.gradgradcheck(layer, (x,))
    # (PyTorch's own backward disagrees with its forward: its gradcheck fails, which is why this
    # gradient is checked against finite differences and not against PyTorch's)
    t = torch.tensor(x.data, requires_grad=True)
    assert not torch.autograd.gradcheck(torch.nn.CrossMapLRN2d(3, 0.5, 0.7, 1.5), (t,), raise_exception=False)


def test_cross_map_lrn2d_takes_four_dimensional_input_only():
    with pytest.raises(ValueError):
        torch.nn.CrossMapLRN2d(3)(torch.ones(2, 3, 4))
    with pytest.raises(ShapeError, match=r"^CrossMapLRN2d: expected input of shape \(N, C, H, W\), got shape \(2, 3, 4\)"):
        nn.CrossMapLRN2d(3)(dp.ones((2, 3, 4)))
    with pytest.raises(ConfigError, match="^CrossMapLRN2d: size must be a positive integer, got 0"):
        nn.CrossMapLRN2d(0)


# -- NLLLoss2d and Container -------------------------------------------------------------------------------


@pytest.mark.parametrize("options", [{}, {"ignore_index": 1}, {"reduction": "sum"}])
def test_nll_loss_2d_is_nll_loss_with_a_future_warning(options):
    x = np.ascontiguousarray(np.log(np.random.default_rng(0).dirichlet(np.ones(3), size=(2, 4, 5))).transpose(0, 3, 1, 2))
    target = RNG.integers(0, 3, (2, 4, 5))
    weight = [1.0, 2.0, 0.5]
    with pytest.warns(FutureWarning):
        theirs = torch.nn.NLLLoss2d(weight=torch.tensor(weight, dtype=torch.float64), **options)
    with pytest.warns(FutureWarning, match="^nn.NLLLoss2d is deprecated"):
        ours = nn.NLLLoss2d(weight=weight, **options)
    assert isinstance(ours, nn.NLLLoss) and (repr(ours) == repr(theirs) or options)  # (NLLLoss's repr shows options)
    a, b = _f64(x, True), torch.tensor(x, requires_grad=True)
    out, expected = ours(a, dp.tensor(target)), theirs(b, torch.tensor(target))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    out.backward()
    expected.backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12)


def test_container_registers_its_keywords_with_a_future_warning():
    with pytest.warns(FutureWarning):
        theirs = torch.nn.Container(encoder=torch.nn.Linear(2, 3), act=torch.nn.ReLU())
    with pytest.warns(FutureWarning, match="^nn.Container is deprecated"):
        ours = nn.Container(encoder=nn.Linear(2, 3), act=nn.ReLU())
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    with pytest.raises(NotImplementedError):
        ours(dp.ones(2))
    with pytest.raises(TypeError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            nn.Container(bad=3)


# -- F.upsample, upsample_nearest, upsample_bilinear ----------------------------------------------------


@pytest.mark.parametrize("name, shape, kwargs", [
    ("upsample", (1, 2, 3, 4), {"scale_factor": 2}),
    ("upsample", (1, 2, 5), {"size": 8, "mode": "linear", "align_corners": False}),
    ("upsample", (1, 1, 3, 3), {"scale_factor": 1.5, "mode": "bilinear", "align_corners": True}),
    ("upsample_nearest", (2, 1, 3, 2), {"size": (5, 4)}),
    ("upsample_nearest", (1, 2, 4), {"scale_factor": 2}),
    ("upsample_bilinear", (1, 2, 3, 3), {"size": (5, 6)}),
    ("upsample_bilinear", (1, 1, 2, 3), {"scale_factor": 2}),
])
def test_the_upsample_names_are_interpolate_with_a_warning(name, shape, kwargs):
    x = RNG.standard_normal(shape)
    a, b = _f64(x, True), torch.tensor(x, requires_grad=True)
    with pytest.warns(UserWarning):
        expected = getattr(torch.nn.functional, name)(b, **kwargs)
    with pytest.warns(UserWarning, match=rf"^nn.functional.{name} is deprecated"):
        out = getattr(nn.functional, name)(a, **kwargs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    g = RNG.standard_normal(expected.shape)
    out.backward(g)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_upsample_bilinear_refuses_what_bilinear_resampling_refuses():
    with pytest.warns(UserWarning), pytest.raises(NotImplementedError):
        torch.nn.functional.upsample_bilinear(torch.ones(1, 2, 3), scale_factor=2)
    with pytest.warns(UserWarning), pytest.raises((ShapeError, ConfigError), match="bilinear"):
        nn.functional.upsample_bilinear(dp.ones((1, 2, 3)), scale_factor=2)
