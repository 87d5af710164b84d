"""A checkpoint dict saved and loaded, as PyTorch scripts write it, against torch.save/torch.load of
the same dict: the same keys at every level, the same numbers and text, the same arrays (tuples
come back as lists, tensors as arrays: deltaprop's files hold no pickles)."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, optim

torch = pytest.importorskip("torch")


def _plain(obj):
    """``obj`` with tensors as arrays and tuples as lists: what a deltaprop file gives back."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().numpy()
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _same(ours, theirs, where="checkpoint"):
    if isinstance(theirs, np.ndarray):
        ours = np.asarray(ours)
        assert ours.shape == theirs.shape, where
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-7, err_msg=where)  # (float32 steps)
    elif isinstance(theirs, dict):
        assert list(ours) == list(theirs), where
        for key in theirs:
            _same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _same(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs and type(ours) is type(theirs), where


def test_a_checkpoint_dict_comes_back_as_torch_load_gives_it(tmp_path):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    torch_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    our_opt = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    t = np.array([0, 1, 1, 0, 1, 0])
    for _ in range(2):
        torch_opt.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(t)).backward()
        torch_opt.step()
        our_opt.zero_grad()
        nn.functional.cross_entropy(ours(x), t).backward()
        our_opt.step()

    def checkpoint(model, opt):
        return {"epoch": 2, "model": model.state_dict(), "optimizer": opt.state_dict(), "losses": [0.5, 0.25],
                "name": "run-1", "best": None}

    torch.save(checkpoint(theirs, torch_opt), tmp_path / "theirs.pt")
    dp.save(checkpoint(ours, our_opt), tmp_path / "ours.pt")
    expected = _plain(torch.load(tmp_path / "theirs.pt", weights_only=True))
    got = dp.load(tmp_path / "ours.pt", map_location="cpu", weights_only=True)
    # the optimizer's groups carry PyTorch's keys and values: compare the keys deltaprop shares
    got_groups, expected_groups = got["optimizer"]["param_groups"], expected["optimizer"]["param_groups"]
    assert set(got_groups[0]) >= {"lr", "momentum", "dampening", "weight_decay", "nesterov", "params"}
    for mine, reference in zip(got_groups, expected_groups):
        for key in mine:
            if key in reference:
                _same(mine[key], reference[key], f"param_groups[{key!r}]")
    for part in ("epoch", "model", "losses", "name", "best"):
        _same(got[part], expected[part], part)
    _same(got["optimizer"]["state"], expected["optimizer"]["state"], "optimizer state")
