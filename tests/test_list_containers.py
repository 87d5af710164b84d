"""Sequential and ModuleList as lists, as in PyTorch: assignment, deletion, insertion and popping by
position, extend/+=, + and * (Sequential). After each edit the names (and so the state_dict keys and
the parameters' order) and the forward pass must be PyTorch's for the same edits."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn

torch = pytest.importorskip("torch", reason="PyTorch's containers are the reference")


def _pair(size):
    """The same Linear layer in both libraries."""
    theirs = torch.nn.Linear(size, size, dtype=torch.float64)
    ours = nn.Linear(size, size, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours, theirs


EDITS = {
    "set": lambda c, layer: c.__setitem__(1, layer),
    "set negative": lambda c, layer: c.__setitem__(-1, layer),
    "delete": lambda c, layer: c.__delitem__(0),
    "delete negative": lambda c, layer: c.__delitem__(-2),
    "delete slice": lambda c, layer: c.__delitem__(slice(0, 2)),
    "insert front": lambda c, layer: c.insert(0, layer),
    "insert middle": lambda c, layer: c.insert(2, layer),
    "insert at the end": lambda c, layer: c.insert(len(c), layer),
    "pop": lambda c, layer: c.pop(1),
    "append": lambda c, layer: c.append(layer),
    "extend": lambda c, layer: c.extend([layer]),
}


@pytest.mark.parametrize("kind", ["Sequential", "ModuleList"])
@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edit_gives_pytorchs_names_and_forward(kind, edit):
    layers = [_pair(3) for _ in range(3)]
    extra = _pair(3)
    if kind == "Sequential":
        ours, theirs = nn.Sequential(*(a for a, _ in layers)), torch.nn.Sequential(*(b for _, b in layers))
    else:
        ours, theirs = nn.ModuleList([a for a, _ in layers]), torch.nn.ModuleList([b for _, b in layers])
    EDITS[edit](ours, extra[0])
    EDITS[edit](theirs, extra[1])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert len(ours) == len(theirs)
    x = np.random.default_rng(0).standard_normal((2, 3))
    out, expected = dp.tensor(x, dtype=np.float64), torch.tensor(x)
    for a, b in zip(ours, theirs):
        out, expected = a(out), b(expected)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)


def test_sequential_add_and_multiply_share_the_layers_as_in_pytorch():
    a, b = nn.Linear(2, 2), nn.ReLU()
    stack = nn.Sequential(a, b)
    assert list(stack + nn.Sequential(a)) == [a, b, a]
    assert list(stack * 2) == [a, b, a, b] and list(2 * stack) == [a, b, a, b]
    stack *= 2
    assert list(stack) == [a, b, a, b] and list(stack._modules) == ["0", "1", "2", "3"]
    stack += [b]
    assert len(stack) == 5
    # the shared layer's weight counts once, as in PyTorch
    assert len(list(stack.parameters())) == 2
    assert list(nn.ModuleList([a]) + [b]) == [a, b]


def test_an_optimizer_made_after_an_edit_trains_the_new_layer():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    model[2] = nn.Linear(4, 3)
    assert model(dp.ones((5, 2))).shape == (5, 3)
    assert [tuple(p.shape) for p in model.parameters()] == [(4, 2), (4,), (3, 4), (3,)]


@pytest.mark.parametrize("bad, error", [
    (lambda c: c.__setitem__(3, nn.ReLU()), IndexError),
    (lambda c: c.__delitem__(-4), IndexError),
    (lambda c: c.insert(5, nn.ReLU()), IndexError),
    (lambda c: c.__setitem__(0, "relu"), TypeError),
    (lambda c: c.__setitem__("0", nn.ReLU()), TypeError),
    (lambda c: c * 0, ValueError),
])
def test_bad_positions_and_items_are_refused_and_change_nothing(bad, error):
    stack = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    before = list(stack)
    with pytest.raises(error, match="Sequential"):
        bad(stack)
    assert list(stack) == before
