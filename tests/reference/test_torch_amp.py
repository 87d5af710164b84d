"""Mixed-precision set-up as scripts write it (``torch.amp.GradScaler``, ``torch.autocast``,
``torch.cuda.amp``, ``torch.compile``, ``torch.backends.cuda``), compared with PyTorch on a machine
without a GPU: a CPU ``GradScaler`` scales, skips and grows as PyTorch's; the GPU forms are disabled
with a warning in both."""

import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn

torch = pytest.importorskip("torch")


def _twins():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _run(lib, model, optimizer, scaler, x, y, poisoned):
    """A loop of scaled steps; at the steps in ``poisoned`` one gradient is made infinite after backward.
    Gives the scale after each step, whether each step was skipped, and the losses."""
    scales, results, losses = [], [], []
    for step in range(len(x)):
        optimizer.zero_grad()
        loss = ((model(lib.tensor(x[step])) - lib.tensor(y[step])) ** 2).mean()
        scaler.scale(loss).backward()
        if step in poisoned:
            first = next(iter(model.parameters()))
            first.grad[0, 0] = np.inf
        scaler.unscale_(optimizer)
        last = list(model.parameters())[-1]
        before = np.array(last.detach().numpy() if lib is torch else last.data)
        scaler.step(optimizer)
        results.append(np.array_equal(before, last.detach().numpy() if lib is torch else last.data))  # skipped?
        scaler.update()
        scales.append(scaler.get_scale())
        losses.append(loss.item())
    return scales, results, losses


@pytest.mark.parametrize("make", [
    lambda lib, params: lib.optim.SGD(params, lr=0.1, momentum=0.9),
    lambda lib, params: lib.optim.AdamW(params, lr=0.01),
], ids=["sgd", "adamw"])
def test_a_cpu_grad_scaler_scales_skips_and_grows_as_pytorchs(make):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((9, 5, 3)).astype(np.float32), rng.standard_normal((9, 5, 1)).astype(np.float32)
    ours, theirs = _twins()
    runs = []
    for lib, model in ((dp, ours), (torch, theirs)):
        scaler = lib.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2)
        optimizer = make(lib, model.parameters())
        runs.append(_run(lib, model, optimizer, scaler, x, y, poisoned={3, 4}))
        runs[-1] += (scaler.state_dict(),)
    (our_scales, our_skips, our_losses, our_state), (their_scales, their_skips, their_losses, their_state) = runs
    assert our_scales == their_scales and our_skips == their_skips
    assert our_skips.count(True) == 2 and len(set(our_scales)) >= 3  # skipped twice, backed off and grew
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-5, atol=1e-6)
    assert our_state == their_state
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_a_scaled_loss_and_its_unscaled_gradients_are_pytorchs():
    ours, theirs = _twins()
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    grads = []
    for lib, model in ((dp, ours), (torch, theirs)):
        scaler, optimizer = lib.amp.GradScaler("cpu"), lib.optim.SGD(model.parameters(), lr=0.1)
        scaled = scaler.scale(model(lib.tensor(x)).sum())
        assert scaled.item() == pytest.approx(65536.0 * model(lib.tensor(x)).sum().item(), rel=1e-6)
        scaled.backward()
        scaler.unscale_(optimizer)
        grads.append([np.asarray(p.grad) for p in model.parameters()])
    for g, h in zip(*grads):
        np.testing.assert_allclose(g, h, rtol=1e-6, atol=1e-7)


def test_a_disabled_scaler_passes_everything_through_as_pytorchs():
    for lib in (dp, torch):
        model = lib.nn.Linear(2, 1)
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
        scaler = lib.amp.GradScaler(enabled=False)
        loss = model(lib.ones(1, 2)).sum()
        assert scaler.scale(loss) is loss and not scaler.is_enabled()
        loss.backward()
        before = model.weight.detach().numpy().copy() if lib is torch else model.weight.data.copy()
        assert scaler.step(optimizer) is None
        after = model.weight.detach().numpy() if lib is torch else model.weight.data
        assert not np.allclose(before, after)  # the step was taken
        scaler.update()
        assert scaler.get_scale() == 1.0 and scaler.state_dict() == {}


@pytest.mark.parametrize("make", [lambda lib: lib.amp.GradScaler(), lambda lib: lib.amp.GradScaler("cuda"),
                                  lambda lib: lib.cuda.amp.GradScaler()], ids=["default", "cuda", "cuda.amp"])
def test_a_gpu_grad_scaler_is_disabled_with_a_warning_as_pytorchs_without_a_gpu(make):
    for lib in (torch, dp):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scaler = make(lib)
        assert not scaler.is_enabled()
        assert any(issubclass(w.category, UserWarning) and "Disabling" in str(w.message) for w in caught)


@pytest.mark.parametrize("device_type, dtype", [("cuda", None), ("cpu", None), ("cpu", "bfloat16"), ("cpu", "float16")])
def test_autocast_enabled_computes_in_full_precision_with_a_warning(device_type, dtype):
    x = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    layer = nn.Linear(4, 2)
    with pytest.warns(UserWarning, match="autocast is disabled"):
        with dp.autocast(device_type=device_type, dtype=None if dtype is None else getattr(dp, dtype)):
            out = layer(dp.tensor(x))
    assert out.dtype == np.float32  # (PyTorch's CPU autocast would give bfloat16 or float16 here)
    np.testing.assert_allclose(out.data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-6)


def test_autocast_disabled_is_silent_in_both():
    for lib in (torch, dp):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with lib.autocast(device_type="cpu", dtype=lib.bfloat16, enabled=False):
                y = lib.ones(2) * 2
            with lib.amp.autocast("cuda", enabled=False):
                y = y + 1
        assert y.sum().item() == 6.0


def test_autocast_checks_its_arguments_as_pytorchs():
    for lib in (torch, dp):
        with pytest.raises(ValueError):
            lib.autocast(device_type=3)
        with pytest.raises(TypeError):
            with lib.autocast("cpu", enabled="yes"):
                pass


def test_autocast_decorates_a_function():
    @dp.autocast(device_type="cpu", enabled=False)
    def double(x):
        return x * 2

    assert double(dp.tensor([1.5])).item() == 3.0 and double.__name__ == "double"


def test_compile_returns_what_pytorchs_computes_the_same_as():
    ours, theirs = _twins()
    assert dp.compile(ours) is ours
    x = np.ones((2, 3), dtype=np.float32)
    np.testing.assert_allclose(dp.compile(ours, mode="max-autotune")(dp.tensor(x)).data,
                               torch.compile(theirs)(torch.tensor(x)).detach().numpy(), rtol=1e-6)

    @dp.compile(fullgraph=True)
    def f(x):
        return x.sin() + 1

    assert f(dp.tensor([0.0])).item() == 1.0


def test_compile_refuses_what_pytorch_refuses():
    for lib, errors in ((torch, (RuntimeError, AssertionError)), (dp, (ValueError, TypeError))):
        model = lib.nn.Linear(1, 1)
        with pytest.raises(errors):
            lib.compile(model, mode="fast")
        with pytest.raises(errors):
            lib.compile(model, mode="default", options={})
        with pytest.raises(errors):
            lib.compile(3)


def test_the_cuda_backend_switches_and_bfloat16_question_are_pytorchs():
    assert dp.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    assert dp.backends.cuda.is_built() == torch.backends.cuda.is_built()
    assert dp.cuda.is_bf16_supported() == torch.cuda.is_bf16_supported()
    dp.backends.cuda.matmul.allow_tf32 = True  # nanoGPT's line: kept, changing nothing
    assert dp.backends.cuda.matmul.allow_tf32
    dp.backends.cuda.matmul.allow_tf32 = False
