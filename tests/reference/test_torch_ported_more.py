"""The tutorials of ported_more.py run on PyTorch and on deltaprop from the same weights and data:
what the Blitz computes, FGSM's accuracies and adversarial images, the spatial transformer's
outputs and gradients, neural transfer's LBFGS scores, the DQN's episodes and losses, and REINFORCE's
and actor-critic's episodes, losses and weights (their actions drawn from shared uniforms, as each
library's generator draws its own numbers) agree to float32 tolerance."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these ports are compared with")

import deltaprop as dp  # noqa: E402

import ported_more as programs  # noqa: E402
from torch_twins import load_into  # noqa: E402

LIBRARIES = (dp, torch)


def _both(make):
    """``make(dp)`` and ``make(torch)``, PyTorch's initial weights loaded into deltaprop's."""
    torch.manual_seed(0)
    ours, theirs = make(dp), make(torch)
    load_into(ours, theirs)
    return ours, theirs


def test_the_blitz_tensors_section_is_pytorchs():
    ours, theirs = (programs.blitz_tensors(lib) for lib in LIBRARIES)
    for key in ("tensor", "t1", "added", "t_to_n", "n_to_t"):
        np.testing.assert_array_equal(ours[key], theirs[key])
        assert ours[key].dtype == theirs[key].dtype
    for key in ("y", "z", "rows"):
        np.testing.assert_allclose(ours[key], theirs[key])
    assert ours["agg"] == theirs["agg"]
    np.testing.assert_array_equal(ours["made"][0], theirs["made"][0])


def test_the_blitz_gradients_are_pytorchs():
    ours, theirs = (programs.blitz_gradients(lib) for lib in LIBRARIES)
    np.testing.assert_allclose(ours[0], theirs[0])
    assert ours[1:] == theirs[1:]


def test_the_blitz_training_step_and_fine_tuning_are_pytorchs():
    rng = np.random.default_rng(0)
    data, labels, labels10 = (rng.random(shape).astype(np.float32) for shape in ((1, 3, 8, 8), (1, 1000), (1, 10)))
    models = _both(lambda lib: programs.blitz_network(lib)())
    steps = [programs.blitz_training_step(lib, model, lib.tensor(data), lib.tensor(labels))
             for lib, model in zip(LIBRARIES, models)]
    np.testing.assert_allclose(steps[0][0], steps[1][0], rtol=1e-5, atol=1e-6)
    for mine, reference in zip(steps[0][1], steps[1][1]):
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)
    models = _both(lambda lib: programs.blitz_network(lib)())
    heads = _both(lambda lib: lib.nn.Linear(4, 10))
    tuned = [programs.blitz_fine_tuning(lib, model, fc, lib.tensor(data), lib.tensor(labels10))
             for lib, model, fc in zip(LIBRARIES, models, heads)]
    np.testing.assert_allclose(tuned[0][0], tuned[1][0], rtol=1e-5, atol=1e-6)
    for mine, reference in zip(tuned[0][1], tuned[1][1]):
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)
    assert tuned[0][2] == tuned[1][2] == [True, True]


def test_fgsm_is_pytorchs():
    models = _both(lambda lib: programs.fgsm_net(lib)())
    X = ((np.random.default_rng(1).random((8, 1, 12, 12)) - 0.1307) / 0.3081).astype(np.float32)
    with torch.no_grad():
        y = models[1].eval()(torch.tensor(X)).argmax(1).numpy()
    results = []
    for lib, model in zip(LIBRARIES, models):
        model.eval()
        dataset = lib.utils.data.TensorDataset(lib.tensor(X), lib.tensor(y))
        loader = lib.utils.data.DataLoader(dataset, batch_size=1)
        results.append([programs.fgsm_test(lib, model, "cpu", loader, eps) for eps in (0, 0.05, 0.3)])
    for (accuracy, examples), (same, references) in zip(*results):
        assert accuracy == same
        assert [e[:2] for e in examples] == [r[:2] for r in references]
        for e, r in zip(examples, references):
            np.testing.assert_allclose(e[2], r[2], rtol=1e-5, atol=1e-6)


def test_the_spatial_transformer_is_pytorchs():
    models = _both(lambda lib: programs.stn_net(lib)())
    rng = np.random.default_rng(2)
    X = rng.random((4, 1, 28, 28)).astype(np.float32)
    # a map other than the identity, whose points fall on no pixel centre: there the bilinear surface has
    # a kink, and float32 rounding decides which side's slope each library takes
    bias = np.float32([0.93, 0.17, 0.013, -0.11, 1.07, -0.037])
    results = []
    for lib, model in zip(LIBRARIES, models):
        model.eval()  # no dropout: the same numbers in both
        with lib.no_grad():
            model.fc_loc[2].bias.copy_(lib.tensor(bias))
            model.fc_loc[2].weight.fill_(0.01)
        x = lib.tensor(X, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out = model(x)
            shown, transformed = programs.stn_transformed(lib, model, lib.tensor(X))
        lib.nn.functional.nll_loss(out, lib.tensor([0, 1, 2, 3])).backward()
        results.append([out.detach().numpy(), transformed, np.asarray(x.grad),
                        np.asarray(model.fc_loc[2].weight.grad), np.asarray(model.localization[0].weight.grad)])
    for mine, reference in zip(*results):
        np.testing.assert_allclose(mine, reference, rtol=2e-4, atol=2e-6)


def test_neural_transfer_is_pytorchs():
    features = _both(programs.small_features)
    rng = np.random.default_rng(3)
    content, style = (rng.random((1, 3, 12, 12)).astype(np.float32) for _ in range(2))
    runs = [programs.style_transfer(lib, lib.tensor(content), lib.tensor(style), net)
            for lib, net in zip(LIBRARIES, features)]
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=2e-3, atol=1e-6)
    np.testing.assert_allclose(runs[0][0].detach().numpy(), runs[1][0].detach().numpy(), atol=1e-3)


def test_the_dqn_loop_is_pytorchs():
    torch.manual_seed(0)
    theirs = [programs.dqn_class(torch)(4, 2) for _ in range(2)]
    ours = [programs.dqn_class(dp)(4, 2) for _ in range(2)]
    for mine, reference in zip(ours, theirs):
        load_into(mine, reference)
    runs = [programs.dqn_training(lib, *nets, programs.LineWorld(seed=0), num_episodes=10)
            for lib, nets in ((dp, ours), (torch, theirs))]
    assert runs[0][0] == runs[1][0]
    np.testing.assert_allclose(runs[0][1], runs[1][1], rtol=1e-4, atol=1e-6)
    for key, value in theirs[1].state_dict().items():
        np.testing.assert_allclose(ours[1].state_dict()[key], value.numpy(), rtol=1e-4, atol=1e-6)


def test_the_dqn_plots_moving_average_is_pytorchs():
    durations = list(np.random.default_rng(4).integers(1, 200, 130))
    ours, theirs = (programs.dqn_durations_plotted(lib, durations) for lib in LIBRARIES)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)
    np.testing.assert_array_equal(ours[0], theirs[0])


def _draws_from(lib, uniforms):
    """``Categorical.sample`` by the inverse distribution function of shared uniforms: the two
    libraries' generators differ, so each is given the same numbers to draw with."""
    def sample(self, sample_shape=()):
        probs = self.probs.detach().numpy()
        cumulative = np.cumsum(probs, axis=-1)
        u = next(uniforms)
        return lib.tensor(np.minimum((u > cumulative).sum(-1), probs.shape[-1] - 1).astype(np.int64))
    return sample


@pytest.mark.parametrize("program, make_policy", [
    (programs.reinforce, programs.reinforce_policy), (programs.actor_critic, programs.actor_critic_policy),
])
def test_the_policy_gradient_examples_are_pytorchs_on_the_same_draws(monkeypatch, program, make_policy):
    """Actions drawn from the same uniforms; REINFORCE's policy in eval mode, so that its dropout
    draws nothing (the actor-critic has none): the episodes, losses and final weights agree."""
    runs = []
    policies = _both(lambda lib: make_policy(lib)())
    for lib, policy in zip(LIBRARIES, policies):
        uniforms = iter(np.random.default_rng(5).random(10_000))
        monkeypatch.setattr(lib.distributions.Categorical, "sample", _draws_from(lib, uniforms))
        if program is programs.reinforce:
            policy.eval()
        runs.append(program(lib, policy, programs.LineWorld(seed=0), episodes=12))
    (losses, rewards, running), (their_losses, their_rewards, their_running) = runs
    assert rewards == their_rewards and running == pytest.approx(their_running)
    np.testing.assert_allclose(losses, their_losses, rtol=1e-4, atol=1e-5)
    for key, value in policies[1].state_dict().items():
        np.testing.assert_allclose(policies[0].state_dict()[key], value.numpy(), rtol=1e-4, atol=1e-5)
