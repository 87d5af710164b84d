"""Forward hooks of modules against PyTorch's: what each hook sees, what its result replaces, the
order (registration, prepend), removal, keyword arguments, hooks on layers inside a Sequential, and
gradients through an output a hook changed."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn

torch = pytest.importorskip("torch", reason="PyTorch's hooks are the reference")


def _models():
    """The same 3-4-2 network in both libraries (float64)."""
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    ours = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Tanh(), nn.Linear(4, 2, dtype=np.float64))
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours, theirs


X = np.random.default_rng(0).standard_normal((5, 3))


def _run(model, lib):
    x = dp.tensor(X, dtype=np.float64, requires_grad=True) if lib is dp else torch.tensor(X, requires_grad=True)
    out = model(x)
    out.sum().backward()
    grads = [p.grad if lib is dp else p.grad.numpy() for p in model.parameters()]
    return (out.data if lib is dp else out.detach().numpy()), grads, (x.grad if lib is dp else x.grad.numpy())


def _as_array(value):
    return value.data if isinstance(value, dp.Tensor) else value.detach().numpy()


def _same(ours, theirs):
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-10, atol=1e-14)


def test_hooks_see_the_inputs_and_outputs_of_layers_inside_a_sequential():
    ours, theirs = _models()
    seen = {"ours": [], "theirs": []}
    for model, key in ((ours, "ours"), (theirs, "theirs")):
        for index in range(3):
            model[index].register_forward_pre_hook(lambda m, args, k=key, i=index: seen[k].append(("pre", i, _as_array(args[0]).copy())))
            model[index].register_forward_hook(lambda m, args, out, k=key, i=index: seen[k].append(("post", i, _as_array(out).copy())))
    _same(_run(ours, dp), _run(theirs, torch))
    assert [s[:2] for s in seen["ours"]] == [s[:2] for s in seen["theirs"]]
    for a, b in zip(seen["ours"], seen["theirs"]):
        np.testing.assert_allclose(a[2], b[2], rtol=1e-12)


def test_results_replace_arguments_and_outputs_and_gradients_follow():
    ours, theirs = _models()
    for model in (ours, theirs):
        model[0].register_forward_pre_hook(lambda m, args: args[0] * 2)  # one value: wrapped in a tuple
        model[1].register_forward_hook(lambda m, args, out: out * out)
        model.register_forward_hook(lambda m, args, out: out - 1)
    _same(_run(ours, dp), _run(theirs, torch))


def test_order_prepend_remove_and_context_manager():
    for lib, layer in ((dp, nn.Identity()), (torch, torch.nn.Identity())):
        order = []
        first = layer.register_forward_hook(lambda m, a, o: order.append("first"))
        layer.register_forward_hook(lambda m, a, o: order.append("second"))
        layer.register_forward_hook(lambda m, a, o: order.append("prepended"), prepend=True)
        layer((dp.ones(2) if lib is dp else torch.ones(2)))
        first.remove()
        first.remove()  # a second remove does nothing
        with layer.register_forward_pre_hook(lambda m, a: order.append("pre")):
            layer((dp.ones(2) if lib is dp else torch.ones(2)))
        layer((dp.ones(2) if lib is dp else torch.ones(2)))
        if lib is dp:
            ours = order
        else:
            assert ours == order == ["prepended", "first", "second", "pre", "prepended", "second", "prepended", "second"]


def test_hooks_with_keyword_arguments():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    class TorchScale(torch.nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    results = []
    for layer, x in ((Scale(), dp.ones(2)), (TorchScale(), torch.ones(2))):
        layer.register_forward_pre_hook(lambda m, args, kwargs: (args, {"factor": kwargs["factor"] * 10}), with_kwargs=True)
        layer.register_forward_hook(lambda m, args, kwargs, out: out + kwargs["factor"], with_kwargs=True)
        results.append(_as_array(layer(x, factor=2.0)))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], [40.0, 40.0])


def test_a_module_without_hooks_keeps_its_direct_call_and_a_bad_hook_is_refused():
    assert nn.GELU.__call__ is nn.GELU.forward  # (no instance of GELU has registered a hook)
    with pytest.raises(TypeError, match="hook must be callable"):
        nn.GELU().register_forward_hook("print")
    # other instances of a class whose instance has hooks run without them
    hooked, plain = nn.Softsign(), nn.Softsign()
    calls = []
    hooked.register_forward_hook(lambda m, a, o: calls.append(1))
    plain(dp.ones(2))
    hooked(dp.ones(2))
    assert calls == [1]
