"""Classic PyTorch tutorial programs, written once for either library.

Each function takes the library as its first argument, named ``torch`` as in the tutorial, so its
body is the tutorial's code as its authors wrote it: the port is ``import deltaprop as torch``.
Sizes are small and the data synthetic (nothing is downloaded); where a tutorial draws its
starting weights or its noise inside the code, the caller passes them in, so that the reference
tests can start both libraries from the same numbers. The only other change is where
docs/porting.md documents a difference: ``w.grad.zero_()`` is written ``w.grad = None`` (``.grad``
is a NumPy array here), and ``torch.set_num_threads`` is left out.

The programs:

- "Learning PyTorch with Examples": the polynomial fit of sin(x) with manual gradients, with
  autograd, with a custom ``autograd.Function``, with ``nn.Sequential``, with ``optim.RMSprop``,
  as a custom ``nn.Module`` and as a dynamic network sharing a weight;
- "What is torch.nn really?": logistic regression by hand, then ``F.cross_entropy``,
  ``nn.Module``, ``nn.Linear``, ``optim``, ``TensorDataset``, ``DataLoader``, validation, the
  ``fit``/``loss_batch``/``get_data`` helpers, the CNN, ``Lambda`` and ``WrappedDataLoader``;
- "Training a classifier": the CIFAR-10 LeNet, saved, reloaded and scored per class;
- the VAE of pytorch/examples;
- the DCGAN tutorial's networks and training step;
- a regression with ``ReduceLROnPlateau`` and early stopping, and a denoising autoencoder.
"""

from __future__ import annotations

import copy
import math
import random

import numpy as np

# -- Learning PyTorch with Examples ------------------------------------------------------------------------


def polynomial_with_tensors(torch, a, b, c, d, steps):
    """Gradients by hand; ``a`` .. ``d`` are the 0-d tensors the tutorial draws with
    ``torch.randn((), device=device, dtype=dtype)``. Returns the losses and the coefficients."""
    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum().item()
        losses.append(loss)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    return losses, [a.item(), b.item(), c.item(), d.item()]


def polynomial_with_autograd(torch, start, steps):
    """Autograd, updates under ``no_grad()``, ``a.grad = None``; ``start`` holds the four
    starting values the tutorial draws with ``torch.randn((), dtype=dtype, requires_grad=True)``."""
    dtype = torch.float
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_default_device(device)
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    a, b, c, d = (torch.tensor(value, dtype=dtype, requires_grad=True) for value in start)
    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return losses, [a.item(), b.item(), c.item(), d.item()]


def polynomial_with_a_function(torch, steps):
    """The custom ``autograd.Function`` LegendrePolynomial3, from the tutorial's fixed start."""

    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    losses = []
    for t in range(steps):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return losses, [a.item(), b.item(), c.item(), d.item()]


def polynomial_features(torch):
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    return xx, y


def polynomial_sequential(torch):
    return torch.nn.Sequential(
        torch.nn.Linear(3, 1),
        torch.nn.Flatten(0, 1)
    )


def train_sequential_by_hand(torch, model, steps):
    """``model.zero_grad()``, then ``param -= learning_rate * param.grad`` under ``no_grad()``."""
    xx, y = polynomial_features(torch)
    loss_fn = torch.nn.MSELoss(reduction='sum')
    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    linear_layer = model[0]
    return losses, [linear_layer.bias.item(), linear_layer.weight[:, 0].item(), linear_layer.weight[:, 1].item(),
                    linear_layer.weight[:, 2].item()]


def train_with_an_optimizer(torch, model, optimizer_class, steps, features=True, **options):
    """``optimizer.zero_grad()``, ``loss.backward()``, ``optimizer.step()`` with
    ``optimizer_class(model.parameters(), **options)``, on the polynomial features (the nn
    tutorial's Sequential) or on x itself (its custom modules)."""
    xx, y = polynomial_features(torch)
    inputs = xx if features else torch.linspace(-math.pi, math.pi, 2000)
    criterion = torch.nn.MSELoss(reduction='sum')
    optimizer = optimizer_class(model.parameters(), **options)
    losses = []
    for t in range(steps):
        y_pred = model(inputs)
        loss = criterion(y_pred, y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses


def polynomial_module(torch):
    """The tutorial's Polynomial3 (four scalar parameters, a ``string()`` method) and DynamicNet
    (a fifth one shared by the x^4 and x^5 terms, used a random number of times per forward)."""

    class Polynomial3(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn(()))
            self.b = torch.nn.Parameter(torch.randn(()))
            self.c = torch.nn.Parameter(torch.randn(()))
            self.d = torch.nn.Parameter(torch.randn(()))

        def forward(self, x):
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

        def string(self):
            return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3'

    class DynamicNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn(()))
            self.b = torch.nn.Parameter(torch.randn(()))
            self.c = torch.nn.Parameter(torch.randn(()))
            self.d = torch.nn.Parameter(torch.randn(()))
            self.e = torch.nn.Parameter(torch.randn(()))

        def forward(self, x):
            y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
            for exp in range(4, random.randint(4, 6)):
                y = y + self.e * x ** exp
            return y

        def string(self):
            return (f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3 + '
                    f'{self.e.item()} x^4 ? + {self.e.item()} x^5 ?')

    return Polynomial3, DynamicNet


# -- What is torch.nn really? ------------------------------------------------------------------------------


def mnist_like(n_train, n_valid, seed=0, noise=0.3):
    """MNIST-shaped arrays as the tutorial's pickle holds them: float32 images of 784 values in
    [0, 1], int64 labels; each class is a noisy copy of its own pattern of bright pixels (a fifth
    of them) on a dark ground."""
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((10, 784)) < 0.2) * rng.uniform(0.5, 1.0, (10, 784))

    def draw(n):
        labels = rng.integers(0, 10, n)
        images = np.clip(prototypes[labels] + noise * rng.standard_normal((n, 784)), 0, 1)
        return images.astype(np.float32), labels.astype(np.int64)

    (x_train, y_train), (x_valid, y_valid) = draw(n_train), draw(n_valid)
    return x_train, y_train, x_valid, y_valid


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(torch, out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


def logistic_by_hand(torch, x_train, y_train, weights, bias, epochs=2, bs=64, lr=0.5):
    """The first model: ``xb @ weights + bias`` through the hand-written log_softmax and nll,
    the update by hand. Returns the losses and the accuracies of the last batch before and after."""

    def model(xb):
        return log_softmax(xb @ weights + bias)

    loss_func = nll
    n, c = x_train.shape
    xb, yb = x_train[0:bs], y_train[0:bs]
    before = (loss_func(model(xb), yb).item(), accuracy(torch, model(xb), yb).item())
    losses = []
    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)
            losses.append(loss.item())
            loss.backward()
            with torch.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad = None  # the tutorial's weights.grad.zero_() (docs/porting.md)
                bias.grad = None
    after = (loss_func(model(xb), yb).item(), accuracy(torch, model(xb), yb).item())
    # the same weights through F.cross_entropy, as the tutorial's next step checks
    F = torch.nn.functional
    fused = F.cross_entropy(xb @ weights + bias, yb).item()
    return losses, before, after, fused


def mnist_logistic(torch):
    """The tutorial's Mnist_Logistic with its own parameters, and the one with nn.Linear."""
    nn = torch.nn

    class Mnist_Logistic(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.Parameter(torch.randn(784, 10) / math.sqrt(784))
            self.bias = nn.Parameter(torch.zeros(10))

        def forward(self, xb):
            return xb @ self.weights + self.bias

    class Mnist_Linear(nn.Module):  # the tutorial calls it Mnist_Logistic too
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(784, 10)

        def forward(self, xb):
            return self.lin(xb)

    return Mnist_Logistic, Mnist_Linear


def fit_by_hand(torch, model, x_train, y_train, epochs=2, bs=64, lr=0.5):
    """The tutorial's first ``fit()``: ``p -= p.grad * lr`` for every parameter, ``model.zero_grad()``."""
    loss_func = torch.nn.functional.cross_entropy
    n = x_train.shape[0]
    losses = []
    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)
            losses.append(loss.item())
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= p.grad * lr
                model.zero_grad()
    return losses


def fit_on_dataset_slices(torch, model, opt, x_train, y_train, epochs=2, bs=64):
    """``optim`` and a ``TensorDataset`` sliced by hand: ``xb, yb = train_ds[i * bs: i * bs + bs]``."""
    train_ds = torch.utils.data.TensorDataset(x_train, y_train)
    loss_func = torch.nn.functional.cross_entropy
    n = len(train_ds)
    losses = []
    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            xb, yb = train_ds[i * bs: i * bs + bs]
            pred = model(xb)
            loss = loss_func(pred, yb)
            losses.append(loss.item())
            loss.backward()
            opt.step()
            opt.zero_grad()
    return losses


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(torch, epochs, model, loss_func, opt, train_dl, valid_dl):
    """The tutorial's final ``fit``: a training pass, then the validation loss under ``model.eval()``
    and ``no_grad()``, weighted by batch sizes. Returns the validation losses."""
    val_losses = []
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(
                *[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl]
            )
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
        val_losses.append(val_loss)
    return val_losses


def get_data(torch, train_ds, valid_ds, bs, shuffle=True):
    """The tutorial's get_data (shuffle=False for the comparisons with PyTorch, whose shuffles differ)."""
    DataLoader = torch.utils.data.DataLoader
    return (
        DataLoader(train_ds, batch_size=bs, shuffle=shuffle),
        DataLoader(valid_ds, batch_size=bs * 2),
    )


def mnist_cnns(torch):
    """The tutorial's three CNNs: Mnist_CNN (``xb.view(-1, 1, 28, 28)``, ``F.avg_pool2d``), the
    Sequential with ``Lambda`` layers and ``AvgPool2d``, and the one with ``AdaptiveAvgPool2d`` for a
    WrappedDataLoader. Returns (Mnist_CNN, sequential_cnn, adaptive_cnn, Lambda, WrappedDataLoader)."""
    nn = torch.nn
    F = torch.nn.functional

    class Mnist_CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
            self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
            self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

        def forward(self, xb):
            xb = xb.view(-1, 1, 28, 28)
            xb = F.relu(self.conv1(xb))
            xb = F.relu(self.conv2(xb))
            xb = F.relu(self.conv3(xb))
            xb = F.avg_pool2d(xb, 4)
            return xb.view(-1, xb.size(1))

    class Lambda(nn.Module):
        def __init__(self, func):
            super().__init__()
            self.func = func

        def forward(self, x):
            return self.func(x)

    def preprocess(x):
        return x.view(-1, 1, 28, 28)

    def sequential_cnn():
        return nn.Sequential(
            Lambda(preprocess),
            nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.AvgPool2d(4),
            Lambda(lambda x: x.view(x.size(0), -1)),
        )

    def adaptive_cnn():
        return nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            Lambda(lambda x: x.view(x.size(0), -1)),
        )

    class WrappedDataLoader:
        def __init__(self, dl, func):
            self.dl = dl
            self.func = func

        def __len__(self):
            return len(self.dl)

        def __iter__(self):
            for b in self.dl:
                yield (self.func(*b))

    return Mnist_CNN, sequential_cnn, adaptive_cnn, Lambda, WrappedDataLoader


def to_device_preprocess(torch):
    """The tutorial's last preprocess: reshape, and move to the GPU if there is one."""
    dev = torch.device(
        "cuda") if torch.cuda.is_available() else torch.device("cpu")

    def preprocess(x, y):
        return x.view(-1, 1, 28, 28).to(dev), y.to(dev)

    return dev, preprocess


# -- Training a classifier ---------------------------------------------------------------------------------

CLASSES = ('plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')


def cifar_like(torch, n, seed):
    """A dataset standing for torchvision's CIFAR10 with ToTensor and Normalize((0.5,)*3, (0.5,)*3):
    (3, 32, 32) image tensors in [-1, 1] and int labels, as its ``__getitem__`` gives them."""

    class FakeCIFAR10(torch.utils.data.Dataset):
        def __init__(self):
            rng = np.random.default_rng(seed)
            patterns = np.random.default_rng(123).random((10, 3, 32, 32))
            self.targets = rng.integers(0, 10, n).tolist()
            noisy = patterns[self.targets] + 0.25 * rng.standard_normal((n, 3, 32, 32))
            self.data = np.clip(noisy, 0, 1).astype(np.float32)

        def __len__(self):
            return len(self.targets)

        def __getitem__(self, index):
            img, target = self.data[index], self.targets[index]
            img = torch.from_numpy(img)  # ToTensor
            img = (img - 0.5) / 0.5  # Normalize
            return img, target

    return FakeCIFAR10()


def cifar_net(torch):
    nn = torch.nn
    F = torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)  # flatten all dimensions except batch
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x

    return Net


def train_classifier(torch, net, trainloader, epochs=2, lr=0.001, every=8):
    """The tutorial's loop: SGD with momentum, ``running_loss`` averaged and reset every ``every``
    mini-batches (2000 in the tutorial). Returns those averages."""
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    printed = []
    for epoch in range(epochs):
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            inputs, labels = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            if i % every == every - 1:
                printed.append(running_loss / every)
                running_loss = 0.0
    return printed


def score_classifier(torch, net, testloader):
    """The tutorial's overall accuracy (``torch.max(outputs.data, 1)``, ``labels.size(0)``) and
    per-class accuracy (``label == prediction`` over ``zip(labels, predictions)``)."""
    correct = 0
    total = 0
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            outputs = net(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    correct_pred = {classname: 0 for classname in CLASSES}
    total_pred = {classname: 0 for classname in CLASSES}
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            outputs = net(images)
            _, predictions = torch.max(outputs, 1)
            for label, prediction in zip(labels, predictions):
                if label == prediction:
                    correct_pred[CLASSES[label]] += 1
                total_pred[CLASSES[label]] += 1
    return 100 * correct // total, correct, total, correct_pred, total_pred


# -- VAE (pytorch/examples vae/main.py) ----------------------------------------------------------------------


def mnist_images(torch, n, seed):
    """A dataset standing for MNIST with transforms.ToTensor(): (1, 28, 28) images in [0, 1], int labels."""

    class FakeMNIST(torch.utils.data.Dataset):
        def __init__(self):
            rng = np.random.default_rng(seed)
            strokes = np.random.default_rng(7).random((10, 28, 28)) > 0.7
            self.targets = rng.integers(0, 10, n)
            self.data = (strokes[self.targets] ^ (rng.random((n, 28, 28)) < 0.05)).astype(np.float32)

        def __len__(self):
            return len(self.targets)

        def __getitem__(self, index):
            return torch.from_numpy(self.data[index]).unsqueeze(0), int(self.targets[index])

    return FakeMNIST()


def vae_class(torch):
    nn = torch.nn
    F = torch.nn.functional

    class VAE(nn.Module):
        def __init__(self):
            super(VAE, self).__init__()
            self.fc1 = nn.Linear(784, 400)
            self.fc21 = nn.Linear(400, 20)
            self.fc22 = nn.Linear(400, 20)
            self.fc3 = nn.Linear(20, 400)
            self.fc4 = nn.Linear(400, 784)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar):
            std = torch.exp(0.5*logvar)
            eps = torch.randn_like(std)
            return mu + eps*std

        def decode(self, z):
            h3 = F.relu(self.fc3(z))
            return torch.sigmoid(self.fc4(h3))

        def forward(self, x):
            mu, logvar = self.encode(x.view(-1, 784))
            z = self.reparameterize(mu, logvar)
            return self.decode(z), mu, logvar

    return VAE


def vae_loss_function(torch, recon_x, x, mu, logvar):
    """Reconstruction + KL divergence losses summed over all elements and batch."""
    F = torch.nn.functional
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def train_vae(torch, model, train_loader, test_loader, epochs):
    """The example's train and test epochs: returns (average train losses, test losses, the
    comparison tensor of its first test batch)."""
    device = torch.device("cpu")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_losses, test_losses, comparison = [], [], None
    for epoch in range(1, epochs + 1):
        model.train()
        train_loss = 0
        for batch_idx, (data, _) in enumerate(train_loader):
            data = data.to(device)
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(data)
            loss = vae_loss_function(torch, recon_batch, data, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        train_losses.append(train_loss / len(train_loader.dataset))
        model.eval()
        test_loss = 0
        with torch.no_grad():
            for i, (data, _) in enumerate(test_loader):
                data = data.to(device)
                recon_batch, mu, logvar = model(data)
                test_loss += vae_loss_function(torch, recon_batch, data, mu, logvar).item()
                if i == 0:
                    n = min(data.size(0), 8)
                    comparison = torch.cat([data[:n],
                                            recon_batch.view(test_loader.batch_size, 1, 28, 28)[:n]])
        test_losses.append(test_loss / len(test_loader.dataset))
    return train_losses, test_losses, comparison


# -- DCGAN ---------------------------------------------------------------------------------------------------


def weights_init(torch):
    nn = torch.nn

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find('Conv') != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find('BatchNorm') != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    return weights_init


def dcgan_networks(torch, nz, ngf, ndf, nc=3):
    """The tutorial's Generator and Discriminator, three layers each side for 32x32 images."""
    nn = torch.nn

    class Generator(nn.Module):
        def __init__(self, ngpu):
            super(Generator, self).__init__()
            self.ngpu = ngpu
            self.main = nn.Sequential(
                nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
                nn.BatchNorm2d(ngf * 4),
                nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf * 2),
                nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf),
                nn.ReLU(True),
                nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
                nn.Tanh()
            )

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self, ngpu):
            super(Discriminator, self).__init__()
            self.ngpu = ngpu
            self.main = nn.Sequential(
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * 2),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * 4),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),
                nn.Sigmoid()
            )

        def forward(self, input):
            return self.main(input)

    return Generator, Discriminator


def dcgan_networks_on_device(torch, nz, ngf, ndf, ngpu=1):
    """The tutorial's set-up: the networks moved to the device, wrapped in nn.DataParallel when
    there are GPUs, initialised with weights_init; BCELoss and the two Adams with betas (0.5, 0.999)."""
    device = torch.device("cuda:0" if (torch.cuda.is_available() and ngpu > 0) else "cpu")
    Generator, Discriminator = dcgan_networks(torch, nz, ngf, ndf)
    netG = Generator(ngpu).to(device)
    if (device.type == 'cuda') and (ngpu > 1):
        netG = torch.nn.DataParallel(netG, list(range(ngpu)))
    netG.apply(weights_init(torch))
    netD = Discriminator(ngpu).to(device)
    if (device.type == 'cuda') and (ngpu > 1):
        netD = torch.nn.DataParallel(netD, list(range(ngpu)))
    netD.apply(weights_init(torch))
    return device, netG, netD


def dcgan_optimizers(torch, netG, netD, lr=0.0002, beta1=0.5):
    optimizerD = torch.optim.Adam(netD.parameters(), lr=lr, betas=(beta1, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=lr, betas=(beta1, 0.999))
    return optimizerD, optimizerG


def dcgan_step(torch, netD, netG, optimizerD, optimizerG, criterion, data, noise, device):
    """One pass of the tutorial's inner loop (``noise`` is its ``torch.randn(b_size, nz, 1, 1)``).
    Returns errD, errG, D(x), D(G(z)) before and after D's step."""
    real_label = 1.
    fake_label = 0.
    # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
    netD.zero_grad()
    real_cpu = data[0].to(device)
    b_size = real_cpu.size(0)
    label = torch.full((b_size,), real_label, dtype=torch.float, device=device)
    output = netD(real_cpu).view(-1)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().item()
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach()).view(-1)
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = output.mean().item()
    errD = errD_real + errD_fake
    optimizerD.step()
    # (2) Update G network: maximize log(D(G(z)))
    netG.zero_grad()
    label.fill_(real_label)  # fake labels are real for generator cost
    output = netD(fake).view(-1)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = output.mean().item()
    optimizerG.step()
    return errD.item(), errG.item(), D_x, D_G_z1, D_G_z2


def blob_images(torch, n, seed, image_size=32):
    """A dataset standing for the tutorial's ImageFolder: (3, 32, 32) images in [-1, 1], label 0."""

    class Blobs(torch.utils.data.Dataset):
        def __init__(self):
            rng = np.random.default_rng(seed)
            yy, xx = np.mgrid[0:image_size, 0:image_size] / image_size
            centres, colours = rng.random((n, 2, 1, 1)), rng.random((n, 3, 1, 1))
            blob = np.exp(-((xx - centres[:, :1]) ** 2 + (yy - centres[:, 1:]) ** 2) / 0.05)
            self.images = (2 * colours * blob - 1).astype(np.float32)

        def __len__(self):
            return len(self.images)

        def __getitem__(self, index):
            return torch.from_numpy(self.images[index]), 0

    return Blobs()


# -- Regression with ReduceLROnPlateau and early stopping; a denoising autoencoder ------------------------------


def regression_data(torch, n=400):
    """y = sin(x0) + x1·x2 + noise, drawn with the library's generator after ``torch.manual_seed``."""
    X = torch.randn(n, 8)
    y = (torch.sin(X[:, 0]) + X[:, 1] * X[:, 2]).unsqueeze(1) + 0.05 * torch.randn(n, 1)
    return X, y


def regression_model(torch):
    nn = torch.nn
    return nn.Sequential(
        nn.Linear(8, 32),
        nn.ReLU(),
        nn.Linear(32, 1),
    )


def train_with_plateau_and_early_stopping(torch, model, train_loader, val_loader, path, epochs=40, patience=4,
                                          lr=1e-2):
    """MSELoss, Adam, ``ReduceLROnPlateau(optimizer, 'min')`` stepped on the validation loss, the
    best weights kept (``copy.deepcopy(model.state_dict())`` and ``torch.save``) and training
    stopped after ``patience`` epochs without improvement; the saved weights reloaded with
    ``torch.load(path, weights_only=True)``. Returns the history of (train, val, lr), the best
    validation loss and the reloaded model's."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = model.to(device)
    criterion = torch.nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, 'min', factor=0.5, patience=1)
    best_val_loss = float('inf')
    best_model_wts = copy.deepcopy(model.state_dict())
    epochs_without_improvement = 0
    history = []
    for epoch in range(epochs):
        model.train()
        running_loss = 0.0
        for inputs, targets in train_loader:
            inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            running_loss += loss.item() * inputs.size(0)
        train_loss = running_loss / len(train_loader.dataset)
        model.eval()
        val_loss = 0.0
        with torch.no_grad():
            for inputs, targets in val_loader:
                inputs, targets = inputs.to(device), targets.to(device)
                val_loss += criterion(model(inputs), targets).item() * inputs.size(0)
        val_loss /= len(val_loader.dataset)
        scheduler.step(val_loss)
        history.append((train_loss, val_loss, optimizer.param_groups[0]['lr'], scheduler.get_last_lr()[0]))
        if val_loss < best_val_loss:
            best_val_loss = val_loss
            best_model_wts = copy.deepcopy(model.state_dict())
            torch.save(model.state_dict(), path)
            epochs_without_improvement = 0
        else:
            epochs_without_improvement += 1
            if epochs_without_improvement >= patience:
                break
    model.load_state_dict(best_model_wts)
    model.load_state_dict(torch.load(path, weights_only=True))
    model.eval()
    with torch.no_grad():
        reloaded = sum(criterion(model(x), t).item() * x.size(0) for x, t in val_loader) / len(val_loader.dataset)
    return history, best_val_loss, reloaded


def denoising_autoencoder(torch):
    nn = torch.nn

    class DenoisingAutoencoder(nn.Module):
        def __init__(self):
            super(DenoisingAutoencoder, self).__init__()
            self.encoder = nn.Sequential(
                nn.Linear(28 * 28, 128),
                nn.ReLU(True),
                nn.Linear(128, 12))
            self.decoder = nn.Sequential(
                nn.Linear(12, 128),
                nn.ReLU(True),
                nn.Linear(128, 28 * 28),
                nn.Sigmoid())

        def forward(self, x):
            x = self.encoder(x)
            x = self.decoder(x)
            return x

    return DenoisingAutoencoder


def train_denoiser(torch, model, train_loader, noises, epochs, noise_factor=0.3):
    """The denoising loop: ``img.view(img.size(0), -1)``, noise added and ``torch.clamp``ed to
    [0, 1], MSELoss against the clean image, Adam with weight decay. ``noises`` gives each step's
    noise (the program's ``torch.randn(img.shape)``). Returns each epoch's last loss."""
    criterion = torch.nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    losses = []
    for epoch in range(epochs):
        for data in train_loader:
            img, _ = data
            img = img.view(img.size(0), -1)
            noisy_img = img + noise_factor * noises(img.shape)
            noisy_img = torch.clamp(noisy_img, 0., 1.)
            output = model(noisy_img)
            loss = criterion(output, img)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(loss.item())
    return losses
