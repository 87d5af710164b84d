"""``deltaprop.nn.modules``'s submodules against PyTorch 2.13's ``torch.nn.modules``: every name
deltaprop lists is one PyTorch's file of that name holds, and whether a listed class derives from
a listed private base class (what ported code subclasses and tests with isinstance) is PyTorch's.
(Between public classes deltaprop's tree differs in places: its ZeroPad1d derives from no
ConstantPad1d, its Fold from Unfold.) The differences below are deltaprop's class tree as it is,
checked to be there so that this list stays true; the lazy layers are left out, deltaprop's
deriving from their own lazy base until their first call, not from the layer they become."""

import importlib
import inspect

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

SUBMODULES = ["activation", "adaptive", "batchnorm", "channelshuffle", "container", "conv", "distance", "dropout",
              "flatten", "fold", "instancenorm", "linear", "loss", "module", "normalization", "padding",
              "pixelshuffle", "pooling", "rnn", "sparse", "transformer", "upsampling"]


def classes(module) -> dict:
    return {name: value for name, value in vars(module).items() if inspect.isclass(value) and not name.startswith("__")}


def known_difference(name, a, b) -> bool:
    # PyTorch's transposed convolutions are _ConvNd too; deltaprop's BCEWithLogitsLoss keeps its
    # weight as the weighted losses do
    return (name, b) == ("conv", "_ConvNd") and "Transpose" in a or (name, a, b) == ("loss", "BCEWithLogitsLoss",
                                                                                     "_WeightedLoss")


@pytest.mark.parametrize("name", SUBMODULES)
def test_names_and_subclass_relations_are_pytorchs(name):
    ours = classes(importlib.import_module(f"deltaprop.nn.modules.{name}"))
    theirs = classes(importlib.import_module(f"torch.nn.modules.{name}"))
    assert ours, name
    assert set(ours) <= set(theirs), sorted(set(ours) - set(theirs))
    for a in [a for a in ours if not a.startswith("Lazy")]:
        for b in [b for b in ours if b.startswith("_")]:
            same = issubclass(ours[a], ours[b]) == issubclass(theirs[a], theirs[b])
            assert same != known_difference(name, a, b), (name, a, b)


def test_the_bases_named_are_all_there():
    wanted = {"loss": ["_Loss", "_WeightedLoss"], "batchnorm": ["_BatchNorm", "_NormBase"],
              "conv": ["_ConvNd", "_ConvTransposeNd"], "pooling": ["_MaxPoolNd", "_AvgPoolNd"],
              "dropout": ["_DropoutNd"], "instancenorm": ["_InstanceNorm"]}
    for name, bases in wanted.items():
        module = importlib.import_module(f"deltaprop.nn.modules.{name}")
        for base in bases:
            assert inspect.isclass(getattr(module, base)), (name, base)


def test_the_public_names_of_nn_modules_are_pytorchs():
    import deltaprop.nn.modules as ours

    missing = {n for n in dir(ours) if not n.startswith("_") and inspect.isclass(getattr(ours, n))} - set(dir(torch.nn.modules))
    assert not missing, sorted(missing)
