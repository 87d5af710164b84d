"""More PyTorch tutorials, ported by ``import deltaprop as torch``, run and learn.

The programs are in ported_more.py, written once for either library; here they run on deltaprop
with its own random draws, and the tests check what the tutorials print or promise: the Blitz's
values, the NumPy bridge's shared memory and the gradients of ``Q``; FGSM's accuracy falling as ε
grows; the spatial transformer starting at the identity and learning; neural transfer's style
score falling; the DQN, REINFORCE and actor-critic loops running, the last learning.
tests/reference/test_torch_ported_more.py runs the deterministic ones on PyTorch from the same
weights and compares.
"""

import warnings

import numpy as np
import pytest

import deltaprop as torch  # the port
import ported_more as programs


@pytest.fixture(autouse=True)
def _seeded():
    torch.manual_seed(0)


# -- A 60 Minute Blitz ------------------------------------------------------------------------------------


def test_the_blitz_tensors_section_computes_what_it_prints():
    out = programs.blitz_tensors(torch)
    x_np, x_ones, rand_dtype = out["made"]
    np.testing.assert_array_equal(x_np, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(x_ones, np.ones((2, 2)))
    assert x_ones.dtype == np.int64 and rand_dtype == torch.float
    assert out["attributes"] == ((3, 4), torch.float32, "cpu")
    assert out["rows"] == ([1.0] * 4, [1.0] * 4, [1.0] * 4)
    expected = np.ones((4, 4), dtype=np.float32)
    expected[:, 1] = 0
    np.testing.assert_array_equal(out["tensor"], expected)
    np.testing.assert_array_equal(out["t1"], np.concatenate([expected] * 3, axis=1))
    for y in out["y"]:  # y3 was written by matmul(..., out=y3)
        np.testing.assert_allclose(y, expected @ expected.T)
    for z in out["z"]:
        np.testing.assert_allclose(z, expected * expected)
    assert out["agg"] == (12.0, float)
    np.testing.assert_array_equal(out["added"], expected + 5)
    np.testing.assert_array_equal(out["t_to_n"], np.full(5, 2.0))  # t.add_(1) changed n
    np.testing.assert_array_equal(out["n_to_t"], np.full(5, 2.0))  # np.add(n, 1, out=n) changed t
    assert out["n_to_t"].dtype == np.float64  # from_numpy keeps the dtype


def test_the_blitz_gradients_are_dq_da_and_dq_db():
    Q, checks, flags = programs.blitz_gradients(torch)
    np.testing.assert_allclose(Q, [3 * 8 - 36, 3 * 27 - 16])
    assert checks == ([True, True], [True, True])
    assert flags == (False, True)


def test_a_frozen_network_trains_only_its_new_classifier():
    model = programs.blitz_network(torch)()
    data, labels = torch.rand(1, 3, 8, 8), torch.rand(1, 1000)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    prediction, after = programs.blitz_training_step(torch, model, data, labels)
    assert prediction.shape == (1, 1000)
    # d loss / d fc.bias is 1 for every class: SGD's first step moves each bias by -lr
    np.testing.assert_allclose(after[-1], before[-1] - 1e-2, rtol=1e-5, atol=1e-6)
    model = programs.blitz_network(torch)()  # a fresh one, as the tutorial loads resnet18 again
    fc = torch.nn.Linear(4, 10)
    fc_before = [p.detach().numpy().copy() for p in fc.parameters()]
    frozen_before = [p.detach().numpy().copy() for p in model.conv.parameters()]
    prediction, fc_after, frozen = programs.blitz_fine_tuning(torch, model, fc, data, torch.rand(1, 10))
    assert prediction.shape == (1, 10) and frozen == [True, True]
    np.testing.assert_allclose(fc_after[1], fc_before[1] - 1e-2, rtol=1e-5, atol=1e-6)
    assert not np.allclose(fc_after[0], fc_before[0])
    for p, start in zip(model.conv.parameters(), frozen_before):
        np.testing.assert_array_equal(p.detach().numpy(), start)


# -- Adversarial Example Generation -----------------------------------------------------------------------


def _fgsm_loader(model, n=8, seed=0):
    """Images labelled by the model's own predictions, so every one is correct before the attack."""
    X = np.random.default_rng(seed).random((n, 1, 12, 12)).astype(np.float32)
    X = (X - 0.1307) / 0.3081
    with torch.no_grad():
        y = model(torch.tensor(X)).argmax(1)
    dataset = torch.utils.data.TensorDataset(torch.tensor(X), y)
    return torch.utils.data.DataLoader(dataset, batch_size=1, shuffle=False)


def test_fgsm_accuracy_falls_as_epsilon_grows():
    model = programs.fgsm_net(torch)()
    model.eval()
    loader = _fgsm_loader(model)
    accuracies = []
    for epsilon in (0, 0.05, 0.3):
        accuracy, examples = programs.fgsm_test(torch, model, "cpu", loader, epsilon)
        accuracies.append(accuracy)
        assert all(ex.shape == (12, 12) and isinstance(ex, np.ndarray) for _, _, ex in examples)
        assert all(0 <= ex.min() and ex.max() <= 1 for _, _, ex in examples)  # clamped to [0, 1]
    assert accuracies[0] == 1.0 and accuracies[2] < accuracies[0]
    assert accuracies == sorted(accuracies, reverse=True)


def test_fgsm_moves_every_pixel_by_epsilon_along_the_gradients_sign():
    image = torch.tensor([[[[0.5, 0.5, 0.99]]]])
    gradient = torch.tensor([[[[2.0, -0.1, 3.0]]]])
    perturbed = programs.fgsm_attack(torch, image, 0.1, gradient)
    np.testing.assert_allclose(perturbed.numpy().ravel(), [0.6, 0.4, 1.0], rtol=1e-6)


# -- Spatial Transformer Networks -------------------------------------------------------------------------


def _digits(n, seed):
    """28 × 28 images of a bar, horizontal (class 0) or vertical (class 1), shifted at random."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 2, n)
    for image, label, (a, b) in zip(X, y, rng.integers(6, 22, (n, 2))):
        if label:
            image[0, a - 5:a + 5, b - 1:b + 2] = 1
        else:
            image[0, a - 1:a + 2, b - 5:b + 5] = 1
    return torch.tensor((X - 0.1307) / 0.3081), torch.tensor(y)


def test_the_spatial_transformer_starts_at_the_identity_and_learns():
    model = programs.stn_net(torch)()
    X, y = _digits(64, seed=0)
    with pytest.warns(UserWarning, match="align_corners was not given"):  # as PyTorch warns for the tutorial's calls
        shown, transformed = programs.stn_transformed(torch, model, X[:4])
    np.testing.assert_allclose(transformed, shown, atol=1e-5)  # theta starts at [1, 0, 0, 0, 1, 0]
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=16, shuffle=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        before, _ = programs.stn_test(torch, model, loader)
        losses = programs.stn_train(torch, model, loader, epochs=30, lr=0.05)
        after, accuracy = programs.stn_test(torch, model, loader)
    assert after < 0.25 * before and accuracy > 0.85 and len(losses) == 30 * 4
    assert any(p.grad is not None and np.abs(p.grad).sum() > 0 for p in model.fc_loc.parameters())


# -- Neural Transfer --------------------------------------------------------------------------------------


def test_neural_transfer_lowers_the_style_score_and_keeps_the_image_in_range():
    rng = np.random.default_rng(0)
    content, style = (torch.tensor(rng.random((1, 3, 12, 12)).astype(np.float32)) for _ in range(2))
    output, history, model = programs.style_transfer(torch, content, style, programs.small_features(torch))
    assert len(history) > 6 and history[0][1] == 0.0  # from the content image: no content loss yet
    assert history[-1][0] < 0.05 * history[0][0]
    assert 0 <= output.min().item() and output.max().item() <= 1
    assert output.requires_grad and not any(p.requires_grad for p in model.parameters())
    assert type(model[-1]).__name__ == "StyleLoss"  # sliced after the last loss: model[:(i + 1)]


# -- Reinforcement learning -------------------------------------------------------------------------------


def test_the_dqn_loop_runs_and_soft_updates_the_target_network():
    DQN = programs.dqn_class(torch)
    policy_net, target_net = DQN(4, 2), DQN(4, 2)
    durations, losses = programs.dqn_training(torch, policy_net, target_net, programs.LineWorld(seed=0),
                                              num_episodes=8)
    assert len(durations) == 8 and len(losses) > 0 and np.all(np.isfinite(losses))
    # the target follows the policy at rate TAU: near it, but not equal
    for key, value in policy_net.state_dict().items():
        gap = np.abs(target_net.state_dict()[key] - value).max()
        assert 0 < gap < 0.05


def test_the_dqn_plots_moving_average():
    durations, means = programs.dqn_durations_plotted(torch, [3, 5, 7, 9, 11], window=3)
    np.testing.assert_allclose(means, [0, 0, 5, 7, 9])
    assert durations.dtype == np.float32
    assert programs.dqn_durations_plotted(torch, [3, 5], window=3)[1] is None


def test_reinforce_runs_its_episodes():
    policy = programs.reinforce_policy(torch)()
    losses, rewards, running = programs.reinforce(torch, policy, programs.LineWorld(seed=0), episodes=20)
    assert len(losses) == len(rewards) == 20 and np.all(np.isfinite(losses))
    assert all(0 <= r <= 20 for r in rewards)  # a reward for each step off the edges, 20 at most


def test_actor_critic_learns_to_stay_off_the_edges():
    model = programs.actor_critic_policy(torch)()
    losses, rewards, running = programs.actor_critic(torch, model, programs.LineWorld(seed=0), episodes=80)
    assert np.all(np.isfinite(losses))
    assert np.mean(rewards[-20:]) > np.mean(rewards[:20]) + 3
