"""More PyTorch tutorial programs, written once for either library (as tests/ported_classic.py).

Each function takes the library as its first argument, named ``torch``, so its body is the
tutorial's code as its authors wrote it; sizes are small, data synthetic, and the environments of the
reinforcement-learning programs are a tiny hand-written walk instead of gym. Where docs/porting.md
documents a difference the port follows it, and says so in a comment: ``.data`` and ``.grad`` are
NumPy arrays (``w.data.zero_()`` is ``w.zero_()`` under ``no_grad()``; ``data.grad.data.sign()`` is
read through ``torch.as_tensor(data.grad)``), and a loss's deprecated ``size_average=False`` is
``reduction='sum'``.

The programs:

- "A 60 Minute Blitz", its tensors and autograd sections: making tensors, indexing, ``cat``, the
  products with ``out=``, in-place ``add_``, the NumPy bridge, ``Q.backward(gradient=...)``,
  freezing a network and replacing its ``fc``;
- "Adversarial Example Generation" (FGSM);
- "Spatial Transformer Networks" (``affine_grid``, ``grid_sample``);
- "Neural Transfer" with a small convolutional feature extractor instead of VGG, and ``LBFGS``;
- "Reinforcement Learning (DQN)";
- REINFORCE and actor-critic of pytorch/examples.
"""

from __future__ import annotations

import math
import random
from collections import deque, namedtuple
from itertools import count

import numpy as np

# -- A 60 Minute Blitz --------------------------------------------------------------------------------------


def blitz_tensors(torch):
    """The tensors section; returns what it prints, as arrays and numbers."""
    out = {}
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    np_array = np.array(data)
    x_np = torch.from_numpy(np_array)
    x_ones = torch.ones_like(x_data)  # retains the properties of x_data
    x_rand = torch.rand_like(x_data, dtype=torch.float)  # overrides the datatype of x_data
    out["made"] = (x_np.numpy().copy(), x_ones.numpy().copy(), x_rand.dtype)
    shape = (2, 3,)
    rand_tensor = torch.rand(shape)
    ones_tensor = torch.ones(shape)
    zeros_tensor = torch.zeros(shape)
    out["shapes"] = (tuple(rand_tensor.shape), ones_tensor.numpy().copy(), zeros_tensor.numpy().copy())
    tensor = torch.rand(3, 4)
    out["attributes"] = (tuple(tensor.shape), tensor.dtype, str(tensor.device))
    # We move our tensor to the current accelerator if available (the tutorial's 2.6+ wording)
    if torch.accelerator.is_available():
        tensor = tensor.to(torch.accelerator.current_accelerator())
    tensor = torch.ones(4, 4)
    out["rows"] = (tensor[0].tolist(), tensor[:, 0].tolist(), tensor[..., -1].tolist())
    tensor[:, 1] = 0
    out["tensor"] = tensor.numpy().copy()
    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    out["t1"] = t1.numpy().copy()
    # matrix products; y1, y2, y3 have the same value
    y1 = tensor @ tensor.T
    y2 = tensor.matmul(tensor.T)
    y3 = torch.rand_like(y1)
    torch.matmul(tensor, tensor.T, out=y3)
    out["y"] = (y1.numpy().copy(), y2.numpy().copy(), y3.numpy().copy())
    # element-wise products; z1, z2, z3 have the same value
    z1 = tensor * tensor
    z2 = tensor.mul(tensor)
    z3 = torch.rand_like(tensor)
    torch.mul(tensor, tensor, out=z3)
    out["z"] = (z1.numpy().copy(), z2.numpy().copy(), z3.numpy().copy())
    agg = tensor.sum()
    agg_item = agg.item()
    out["agg"] = (agg_item, type(agg_item))
    tensor.add_(5)
    out["added"] = tensor.numpy().copy()
    # the bridge: a change in the tensor reflects in the NumPy array, and back
    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)
    out["t_to_n"] = n.copy()
    n = np.ones(5)
    t = torch.from_numpy(n)
    np.add(n, 1, out=n)
    out["n_to_t"] = t.numpy().copy()
    return out


def blitz_gradients(torch):
    """The autograd section's ``Q = 3a³ − b²`` with ``Q.backward(gradient=external_grad)``, and which
    tensors require a gradient; returns Q, the two checks it prints, and the two flags."""
    a = torch.tensor([2., 3.], requires_grad=True)
    b = torch.tensor([6., 4.], requires_grad=True)
    Q = 3*a**3 - b**2
    external_grad = torch.tensor([1., 1.])
    Q.backward(gradient=external_grad)
    checks = ((9*a**2 == a.grad).tolist(), (-2*b == b.grad).tolist())
    x = torch.rand(5, 5)
    y = torch.rand(5, 5)
    z = torch.rand((5, 5), requires_grad=True)
    a = x + y
    b = x + z
    return Q.detach().numpy(), checks, (a.requires_grad, b.requires_grad)


def blitz_network(torch):
    """A small stand-in for ``resnet18`` with the same last layer's name, ``fc`` (1000 classes)."""
    nn = torch.nn

    class Small(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.pool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(4, 1000)

        def forward(self, x):
            return self.fc(torch.flatten(self.pool(torch.relu(self.conv(x))), 1))

    return Small


def blitz_training_step(torch, model, data, labels):
    """The autograd section's one step: ``(prediction - labels).sum()``, backward, SGD with momentum.
    Returns the prediction and the parameters after the step."""
    prediction = model(data)  # forward pass
    loss = (prediction - labels).sum()
    loss.backward()  # backward pass
    optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    optim.step()  # gradient descent
    return prediction.detach().numpy(), [p.detach().numpy().copy() for p in model.parameters()]


def blitz_fine_tuning(torch, model, fc, data, labels):
    """Frozen parameters: every ``requires_grad = False``, ``model.fc`` replaced by ``fc`` (the
    tutorial's ``nn.Linear(512, 10)``, made by the caller so both libraries start alike), one step.
    Returns the prediction, the new fc's parameters after the step, and which others have no gradient."""
    optim = torch.optim  # from torch import nn, optim (nn made the new fc, given here)
    for param in model.parameters():
        param.requires_grad = False
    model.fc = fc
    optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    prediction = model(data)
    loss = (prediction - labels).sum()
    loss.backward()
    optimizer.step()
    frozen = [param.grad is None for name, param in model.named_parameters() if not name.startswith("fc.")]
    return prediction.detach().numpy(), [p.detach().numpy().copy() for p in model.fc.parameters()], frozen


# -- Adversarial Example Generation ---------------------------------------------------------------------


def fgsm_net(torch):
    """The tutorial's ``Net`` (pytorch/examples' MNIST network), narrower, for 12 × 12 images."""
    nn = torch.nn
    F = torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(8 * 4 * 4, 16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = F.relu(x)
            x = self.conv2(x)
            x = F.relu(x)
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.dropout2(x)
            x = self.fc2(x)
            output = F.log_softmax(x, dim=1)
            return output
    return Net


def fgsm_attack(torch, image, epsilon, data_grad):
    """The perturbed image: each pixel moved by ``epsilon`` along the sign of the loss's gradient."""
    sign_data_grad = data_grad.sign()
    perturbed_image = image + epsilon*sign_data_grad
    perturbed_image = torch.clamp(perturbed_image, 0, 1)
    return perturbed_image


def denorm(torch, batch, mean=[0.1307], std=[0.3081]):  # noqa: B006  (the tutorial's defaults)
    """Undoes the normalisation of MNIST's loader."""
    device = "cpu"
    if isinstance(mean, list):
        mean = torch.tensor(mean).to(device)
    if isinstance(std, list):
        std = torch.tensor(std).to(device)
    return batch * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)


def fgsm_test(torch, model, device, test_loader, epsilon):
    """The tutorial's ``test``, ``transforms.Normalize((0.1307,), (0.3081,))`` written out; returns the
    accuracy under attack and up to five examples."""
    F = torch.nn.functional
    correct = 0
    adv_examples = []
    for data, target in test_loader:
        data, target = data.to(device), target.to(device)
        data.requires_grad = True
        output = model(data)
        init_pred = output.max(1, keepdim=True)[1]
        if init_pred.item() != target.item():
            continue
        loss = F.nll_loss(output, target)
        model.zero_grad()
        loss.backward()
        data_grad = torch.as_tensor(data.grad)  # data.grad.data: .grad is an array here (docs/porting.md)
        data_denorm = denorm(torch, data)
        perturbed_data = fgsm_attack(torch, data_denorm, epsilon, data_grad)
        perturbed_data_normalized = (perturbed_data - 0.1307) / 0.3081
        output = model(perturbed_data_normalized)
        final_pred = output.max(1, keepdim=True)[1]
        if final_pred.item() == target.item():
            correct += 1
            if epsilon == 0 and len(adv_examples) < 5:
                adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
                adv_examples.append((init_pred.item(), final_pred.item(), adv_ex))
        else:
            if len(adv_examples) < 5:
                adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
                adv_examples.append((init_pred.item(), final_pred.item(), adv_ex))
    final_acc = correct / float(len(test_loader))
    return final_acc, adv_examples


# -- Spatial Transformer Networks ---------------------------------------------------------------------------


def stn_net(torch):
    """The tutorial's ``Net``: a localisation network whose last layer starts at the identity map."""
    nn = torch.nn
    F = torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
            self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
            self.conv2_drop = nn.Dropout2d()
            self.fc1 = nn.Linear(320, 50)
            self.fc2 = nn.Linear(50, 10)
            self.localization = nn.Sequential(
                nn.Conv2d(1, 8, kernel_size=7),
                nn.MaxPool2d(2, stride=2),
                nn.ReLU(True),
                nn.Conv2d(8, 10, kernel_size=5),
                nn.MaxPool2d(2, stride=2),
                nn.ReLU(True)
            )
            self.fc_loc = nn.Sequential(
                nn.Linear(10 * 3 * 3, 32),
                nn.ReLU(True),
                nn.Linear(32, 3 * 2)
            )
            with torch.no_grad():  # .data is an array here (docs/porting.md): .data.zero_(), .data.copy_(...)
                self.fc_loc[2].weight.zero_()
                self.fc_loc[2].bias.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

        def stn(self, x):
            xs = self.localization(x)
            xs = xs.view(-1, 10 * 3 * 3)
            theta = self.fc_loc(xs)
            theta = theta.view(-1, 2, 3)
            grid = F.affine_grid(theta, x.size())
            x = F.grid_sample(x, grid)
            return x

        def forward(self, x):
            x = self.stn(x)
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
            x = x.view(-1, 320)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)
    return Net


def stn_train(torch, model, train_loader, epochs, lr=0.01):
    """The tutorial's ``train``, for ``epochs`` epochs; returns every batch's loss."""
    F = torch.nn.functional
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        for batch_idx, (data, target) in enumerate(train_loader):
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def stn_test(torch, model, test_loader):
    """The tutorial's ``test`` (``size_average=False`` is ``reduction='sum'``, docs/porting.md); returns
    the mean loss and the accuracy."""
    F = torch.nn.functional
    with torch.no_grad():
        model.eval()
        test_loss = 0
        correct = 0
        for data, target in test_loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            pred = output.max(1, keepdim=True)[1]
            correct += pred.eq(target.view_as(pred)).sum().item()
        test_loss /= len(test_loader.dataset)
        return test_loss, correct / len(test_loader.dataset)


def stn_transformed(torch, model, data):
    """``visualize_stn``'s tensors: the input and what the transformer makes of it, as images (H, W, C)."""
    with torch.no_grad():
        input_tensor = data.cpu()
        transformed_input_tensor = model.stn(data).cpu()
    return input_tensor.numpy().transpose((0, 2, 3, 1)), transformed_input_tensor.numpy().transpose((0, 2, 3, 1))


# -- Neural Transfer ----------------------------------------------------------------------------------------


def style_transfer(torch, content_img, style_img, features, num_steps=6, style_weight=1000000, content_weight=1):
    """The tutorial's losses, model builder and ``run_style_transfer`` on ``features`` (VGG's stand-in),
    from ``content_img``; returns the image, each closure call's (style, content) scores, and the model."""
    nn = torch.nn
    F = torch.nn.functional
    optim = torch.optim

    class ContentLoss(nn.Module):
        def __init__(self, target,):
            super(ContentLoss, self).__init__()
            self.target = target.detach()

        def forward(self, input):
            self.loss = F.mse_loss(input, self.target)
            return input

    def gram_matrix(input):
        a, b, c, d = input.size()
        features = input.view(a * b, c * d)
        G = torch.mm(features, features.t())
        return G.div(a * b * c * d)

    class StyleLoss(nn.Module):
        def __init__(self, target_feature):
            super(StyleLoss, self).__init__()
            self.target = gram_matrix(target_feature).detach()

        def forward(self, input):
            G = gram_matrix(input)
            self.loss = F.mse_loss(G, self.target)
            return input

    cnn_normalization_mean = torch.tensor([0.485, 0.456, 0.406])
    cnn_normalization_std = torch.tensor([0.229, 0.224, 0.225])

    class Normalization(nn.Module):
        def __init__(self, mean, std):
            super(Normalization, self).__init__()
            self.mean = torch.tensor(mean).view(-1, 1, 1)
            self.std = torch.tensor(std).view(-1, 1, 1)

        def forward(self, img):
            return (img - self.mean) / self.std

    content_layers_default = ['conv_4']
    style_layers_default = ['conv_1', 'conv_2', 'conv_3', 'conv_4', 'conv_5']

    def get_style_model_and_losses(cnn, normalization_mean, normalization_std,
                                   style_img, content_img,
                                   content_layers=content_layers_default,
                                   style_layers=style_layers_default):
        normalization = Normalization(normalization_mean, normalization_std)
        content_losses = []
        style_losses = []
        model = nn.Sequential(normalization)
        i = 0
        for layer in cnn.children():
            if isinstance(layer, nn.Conv2d):
                i += 1
                name = 'conv_{}'.format(i)
            elif isinstance(layer, nn.ReLU):
                name = 'relu_{}'.format(i)
                layer = nn.ReLU(inplace=False)
            elif isinstance(layer, nn.MaxPool2d):
                name = 'pool_{}'.format(i)
            elif isinstance(layer, nn.BatchNorm2d):
                name = 'bn_{}'.format(i)
            else:
                raise RuntimeError('Unrecognized layer: {}'.format(layer.__class__.__name__))
            model.add_module(name, layer)
            if name in content_layers:
                target = model(content_img).detach()
                content_loss = ContentLoss(target)
                model.add_module("content_loss_{}".format(i), content_loss)
                content_losses.append(content_loss)
            if name in style_layers:
                target_feature = model(style_img).detach()
                style_loss = StyleLoss(target_feature)
                model.add_module("style_loss_{}".format(i), style_loss)
                style_losses.append(style_loss)
        for i in range(len(model) - 1, -1, -1):
            if isinstance(model[i], ContentLoss) or isinstance(model[i], StyleLoss):
                break
        model = model[:(i + 1)]
        return model, style_losses, content_losses

    def get_input_optimizer(input_img):
        optimizer = optim.LBFGS([input_img])
        return optimizer

    def run_style_transfer(cnn, normalization_mean, normalization_std,
                           content_img, style_img, input_img, num_steps=300,
                           style_weight=1000000, content_weight=1):
        model, style_losses, content_losses = get_style_model_and_losses(cnn,
            normalization_mean, normalization_std, style_img, content_img)
        input_img.requires_grad_(True)
        model.eval()
        model.requires_grad_(False)
        optimizer = get_input_optimizer(input_img)
        history = []
        run = [0]
        while run[0] <= num_steps:
            def closure():
                with torch.no_grad():
                    input_img.clamp_(0, 1)
                optimizer.zero_grad()
                model(input_img)
                style_score = 0
                content_score = 0
                for sl in style_losses:
                    style_score += sl.loss
                for cl in content_losses:
                    content_score += cl.loss
                style_score *= style_weight
                content_score *= content_weight
                loss = style_score + content_score
                loss.backward()
                run[0] += 1
                history.append((style_score.item(), content_score.item()))
                return style_score + content_score
            optimizer.step(closure)
        with torch.no_grad():
            input_img.clamp_(0, 1)
        return input_img, history, model

    input_img = content_img.clone()
    output, history, model = run_style_transfer(features, cnn_normalization_mean, cnn_normalization_std,
                                                content_img, style_img, input_img, num_steps=num_steps,
                                                style_weight=style_weight, content_weight=content_weight)
    return output, history, model


def small_features(torch):
    """Five convolutions with ReLUs and pools: the layers ``conv_1`` .. ``conv_5`` the losses watch."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
        nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(6, 6, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(8, 8, 3, padding=1),
    ).eval()


# -- Reinforcement Learning (DQN) ----------------------------------------------------------------------------


class ActionSpace:
    """gym's ``Discrete(n)``: ``sample()`` draws an action."""

    def __init__(self, n, rng):
        self.n, self.rng = n, rng

    def sample(self):
        return int(self.rng.integers(self.n))


class LineWorld:
    """gym's interface on a walk over 0 .. size − 1 from the middle: action 1 steps right, 0 left; the
    reward is 1 for every step that stays off the edges, and the episode ends at an edge or after
    ``limit`` steps (``step`` returns gym's (state, reward, terminated, truncated, info); a walk
    that lasts is terminated, so that the examples' loops, which read ``terminated`` alone, end)."""

    def __init__(self, size=7, limit=20, seed=0):
        self.size, self.limit = size, limit
        self.rng = np.random.default_rng(seed)
        self.action_space = ActionSpace(2, self.rng)
        self.observation_space_shape = (4,)

    def _obs(self):
        x = self.position / (self.size - 1)
        return np.array([x, 1 - x, self.steps / self.limit, 1.0], dtype=np.float32)

    def reset(self):
        self.position, self.steps = self.size // 2, 0
        return self._obs(), {}

    def step(self, action):
        self.position += 1 if action == 1 else -1
        self.steps += 1
        at_edge = self.position in (0, self.size - 1)
        terminated = at_edge or self.steps >= self.limit
        return self._obs(), (0.0 if at_edge else 1.0), terminated, False, {}


Transition = namedtuple('Transition', ('state', 'action', 'next_state', 'reward'))


class ReplayMemory(object):
    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)

    def push(self, *args):
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)

    def __len__(self):
        return len(self.memory)


def dqn_class(torch):
    nn = torch.nn
    F = torch.nn.functional

    class DQN(nn.Module):
        def __init__(self, n_observations, n_actions):
            super(DQN, self).__init__()
            self.layer1 = nn.Linear(n_observations, 16)
            self.layer2 = nn.Linear(16, 16)
            self.layer3 = nn.Linear(16, n_actions)

        def forward(self, x):
            x = F.relu(self.layer1(x))
            x = F.relu(self.layer2(x))
            return self.layer3(x)
    return DQN


def dqn_training(torch, policy_net, target_net, env, num_episodes=6, seed=0):
    """The tutorial's training loop (``select_action``, ``optimize_model``, the soft update), with a
    smaller network and batch; returns the episodes' durations and the losses."""
    nn, optim = torch.nn, torch.optim
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    BATCH_SIZE = 16
    GAMMA = 0.99
    EPS_START = 0.9
    EPS_END = 0.05
    EPS_DECAY = 50
    TAU = 0.005
    LR = 1e-3
    target_net.load_state_dict(policy_net.state_dict())
    optimizer = optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
    memory = ReplayMemory(1000)
    random.seed(seed)
    steps_done = 0

    def select_action(state):
        nonlocal steps_done
        sample = random.random()
        eps_threshold = EPS_END + (EPS_START - EPS_END) * math.exp(-1. * steps_done / EPS_DECAY)
        steps_done += 1
        if sample > eps_threshold:
            with torch.no_grad():
                return policy_net(state).max(1).indices.view(1, 1)
        else:
            return torch.tensor([[env.action_space.sample()]], device=device, dtype=torch.long)

    losses = []

    def optimize_model():
        if len(memory) < BATCH_SIZE:
            return
        transitions = memory.sample(BATCH_SIZE)
        batch = Transition(*zip(*transitions))
        non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)),
                                      device=device, dtype=torch.bool)
        non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
        state_batch = torch.cat(batch.state)
        action_batch = torch.cat(batch.action)
        reward_batch = torch.cat(batch.reward)
        state_action_values = policy_net(state_batch).gather(1, action_batch)
        next_state_values = torch.zeros(BATCH_SIZE, device=device)
        with torch.no_grad():
            next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
        expected_state_action_values = (next_state_values * GAMMA) + reward_batch
        criterion = nn.SmoothL1Loss()
        loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
        optimizer.step()

    episode_durations = []
    for i_episode in range(num_episodes):
        state, info = env.reset()
        state = torch.tensor(state, dtype=torch.float32, device=device).unsqueeze(0)
        for t in count():
            action = select_action(state)
            observation, reward, terminated, truncated, _ = env.step(action.item())
            reward = torch.tensor([reward], device=device)
            done = terminated or truncated
            if terminated:
                next_state = None
            else:
                next_state = torch.tensor(observation, dtype=torch.float32, device=device).unsqueeze(0)
            memory.push(state, action, next_state, reward)
            state = next_state
            optimize_model()
            target_net_state_dict = target_net.state_dict()
            policy_net_state_dict = policy_net.state_dict()
            for key in policy_net_state_dict:
                target_net_state_dict[key] = policy_net_state_dict[key]*TAU + target_net_state_dict[key]*(1-TAU)
            target_net.load_state_dict(target_net_state_dict)
            if done:
                episode_durations.append(t + 1)
                break
    return episode_durations, losses



def dqn_durations_plotted(torch, episode_durations, window=100):
    """``plot_durations``'s tensors: the durations and their moving average over ``window`` episodes
    (the tutorial's 100), padded with zeros in front."""
    durations_t = torch.tensor(episode_durations, dtype=torch.float)
    means = None
    if len(durations_t) >= window:
        means = durations_t.unfold(0, window, 1).mean(1).view(-1)
        means = torch.cat((torch.zeros(window - 1), means))
    return durations_t.numpy(), None if means is None else means.numpy()


# -- REINFORCE and actor-critic (pytorch/examples) ------------------------------------------------------------


def reinforce_policy(torch):
    """pytorch/examples' REINFORCE ``Policy`` (16 hidden units for 128)."""
    nn = torch.nn
    F = torch.nn.functional

    class Policy(nn.Module):
        def __init__(self):
            super(Policy, self).__init__()
            self.affine1 = nn.Linear(4, 16)
            self.dropout = nn.Dropout(p=0.6)
            self.affine2 = nn.Linear(16, 2)
            self.saved_log_probs = []
            self.rewards = []

        def forward(self, x):
            x = self.affine1(x)
            x = self.dropout(x)
            x = F.relu(x)
            action_scores = self.affine2(x)
            return F.softmax(action_scores, dim=1)

    return Policy


def reinforce(torch, policy, env, episodes=5, gamma=0.99):
    """pytorch/examples' ``reinforce.py`` with ``policy`` (a ``reinforce_policy``); returns each
    episode's loss and reward, and the running reward."""
    optim = torch.optim
    Categorical = torch.distributions.Categorical  # from torch.distributions import Categorical
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    eps = np.finfo(np.float32).eps.item()

    def select_action(state):
        state = torch.from_numpy(state).float().unsqueeze(0)
        probs = policy(state)
        m = Categorical(probs)
        action = m.sample()
        policy.saved_log_probs.append(m.log_prob(action))
        return action.item()

    def finish_episode():
        R = 0
        policy_loss = []
        returns = deque()
        for r in policy.rewards[::-1]:
            R = r + gamma * R
            returns.appendleft(R)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        for log_prob, R in zip(policy.saved_log_probs, returns):
            policy_loss.append(-log_prob * R)
        optimizer.zero_grad()
        policy_loss = torch.cat(policy_loss).sum()
        policy_loss.backward()
        optimizer.step()
        del policy.rewards[:]
        del policy.saved_log_probs[:]
        return policy_loss.item()

    running_reward = 10
    losses, rewards = [], []
    for i_episode in range(episodes):
        state, _ = env.reset()
        ep_reward = 0
        for t in range(1, 10000):
            action = select_action(state)
            state, reward, done, _, _ = env.step(action)
            policy.rewards.append(reward)
            ep_reward += reward
            if done:
                break
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        losses.append(finish_episode())
        rewards.append(ep_reward)
    return losses, rewards, running_reward


SavedAction = namedtuple('SavedAction', ['log_prob', 'value'])


def actor_critic_policy(torch):
    """pytorch/examples' actor-critic ``Policy`` (16 hidden units for 128): action probabilities and
    the state's value."""
    nn = torch.nn
    F = torch.nn.functional

    class Policy(nn.Module):
        def __init__(self):
            super(Policy, self).__init__()
            self.affine1 = nn.Linear(4, 16)
            self.action_head = nn.Linear(16, 2)
            self.value_head = nn.Linear(16, 1)
            self.saved_actions = []
            self.rewards = []

        def forward(self, x):
            x = F.relu(self.affine1(x))
            action_prob = F.softmax(self.action_head(x), dim=-1)
            state_values = self.value_head(x)
            return action_prob, state_values

    return Policy


def actor_critic(torch, model, env, episodes=5, gamma=0.99):
    """pytorch/examples' ``actor_critic.py`` with ``model`` (an ``actor_critic_policy``); returns each
    episode's loss and reward, and the running reward."""
    F = torch.nn.functional
    Categorical = torch.distributions.Categorical  # from torch.distributions import Categorical
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-2)
    eps = np.finfo(np.float32).eps.item()

    def select_action(state):
        state = torch.from_numpy(state).float()
        probs, state_value = model(state)
        m = Categorical(probs)
        action = m.sample()
        model.saved_actions.append(SavedAction(m.log_prob(action), state_value))
        return action.item()

    def finish_episode():
        R = 0
        saved_actions = model.saved_actions
        policy_losses = []
        value_losses = []
        returns = []
        for r in model.rewards[::-1]:
            R = r + gamma * R
            returns.insert(0, R)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        for (log_prob, value), R in zip(saved_actions, returns):
            advantage = R - value.item()
            policy_losses.append(-log_prob * advantage)
            value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))
        optimizer.zero_grad()
        loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
        loss.backward()
        optimizer.step()
        del model.rewards[:]
        del model.saved_actions[:]
        return loss.item()

    running_reward = 10
    losses, rewards = [], []
    for i_episode in range(episodes):
        state, _ = env.reset()
        ep_reward = 0
        for t in range(1, 10000):
            action = select_action(state)
            state, reward, done, _, _ = env.step(action)
            model.rewards.append(reward)
            ep_reward += reward
            if done:
                break
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        losses.append(finish_episode())
        rewards.append(ep_reward)
    return losses, rewards, running_reward
