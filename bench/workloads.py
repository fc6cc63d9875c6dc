"""The four workloads, each in three implementations timed the same way.

The framework versions are written once against a module named ``torch``:
the same lines run with PyTorch and with ``tinygrad_tutorial`` (which is the
point of the package). The ``numpy`` versions use :mod:`floor`. Every function
returns a dict of measurements; timings are medians over repeats, in seconds.
"""
import statistics
import time
import timeit

import numpy as np

import floor


def median_seconds(run_once, repeats, warmup, sync):
    """Median wall time of ``run_once()`` over ``repeats`` calls, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        run_once()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run_once()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_call_seconds(statement, namespace, number, repeats, sync):
    """Median time of one execution of ``statement``, timed in loops of ``number``."""
    timer = timeit.Timer(statement, globals=namespace)
    timer.timeit(number)  # warm-up
    return median_seconds(lambda: timer.timeit(number), repeats, 0, sync) / number


class Impl:
    """One implementation under test: its name, its array/tensor module, and its device."""

    def __init__(self, name, module, device, sync):
        self.name, self.module, self.device, self.sync = name, module, device, sync

    @property
    def is_framework(self):
        return self.name != "numpy"

    def tensor(self, array):
        """A framework tensor (or a floor array) on this implementation's device."""
        if self.is_framework:
            return self.module.tensor(array, device=self.device)
        return self.module.asarray(array)


# ---------------------------------------------------------------- data (NumPy, shared by all three)
def seed_data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((100, 2), dtype=np.float32), rng.standard_normal((100, 1), dtype=np.float32)


def digits_data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16).astype(np.float32)
    return train_test_split(x, digits.target.astype(np.int64), test_size=0.25, random_state=0,
                            stratify=digits.target)


def synthetic_data(batch=512):
    rng = np.random.default_rng(0)
    return rng.standard_normal((batch, 784), dtype=np.float32), rng.integers(0, 10, batch)


def mlp(torch, sizes, device):
    nn = torch.nn
    layers = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1]).to(device)


# ---------------------------------------------------------------- W1: the seed's network
def w1_seed_network(impl, repeats, epochs=100):
    """The seed's §4 program: 2-5-1, full batch of 100, MSELoss, SGD(lr=0.01), 100 epochs."""
    x, y = seed_data()
    x_train, y_train = impl.tensor(x), impl.tensor(y)
    losses = []

    if impl.is_framework:
        torch = impl.module
        nn, optim = torch.nn, torch.optim

        class SimpleNet(nn.Module):
            def __init__(self):
                super(SimpleNet, self).__init__()
                self.fc1 = nn.Linear(2, 5)
                self.fc2 = nn.Linear(5, 1)

            def forward(self, x):
                x = self.fc1(x)
                x = torch.relu(x)
                x = self.fc2(x)
                return x

        def train():
            torch.manual_seed(0)
            model = SimpleNet().to(impl.device)
            criterion = nn.MSELoss()
            optimizer = optim.SGD(model.parameters(), lr=0.01)
            for epoch in range(epochs):
                optimizer.zero_grad()
                outputs = model(x_train)
                loss = criterion(outputs, y_train)
                loss.backward()
                optimizer.step()
            losses.append(loss.item())
    else:
        xp = impl.module

        def train():
            model = floor.MLP(xp, (2, 5, 1), np.random.default_rng(0))
            optimizer = floor.SGD(model.params, lr=0.01)
            for epoch in range(epochs):
                loss, grad = floor.mse_loss(xp, model.forward(x_train), y_train)
                optimizer.step(model.backward(grad))
            losses.append(loss)

    seconds = median_seconds(train, repeats, 1, impl.sync)
    return {"ms_per_epoch": seconds / epochs * 1e3, "final_loss": losses[-1]}


# ---------------------------------------------------------------- W2: digits
def w2_digits(impl, epochs, batch_size=64):
    """MLP 64-128-64-10 on scikit-learn's digits, Adam, batch 64: time per epoch, test accuracy."""
    x_train, x_test, y_train, y_test = digits_data()
    sizes = (64, 128, 64, 10)
    epoch_times = []

    if impl.is_framework:
        torch = impl.module
        from_data = torch.utils.data
        torch.manual_seed(0)
        model = mlp(torch, sizes, impl.device)
        criterion = torch.nn.CrossEntropyLoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        train_set = from_data.TensorDataset(impl.tensor(x_train), impl.tensor(y_train))
        loader = from_data.DataLoader(train_set, batch_size=batch_size, shuffle=True)
        for epoch in range(epochs):
            start = time.perf_counter()
            model.train()
            for inputs, labels in loader:
                optimizer.zero_grad()
                loss = criterion(model(inputs), labels)
                loss.backward()
                optimizer.step()
            impl.sync()
            epoch_times.append(time.perf_counter() - start)
        model.eval()
        with torch.no_grad():
            predicted = model(impl.tensor(x_test)).argmax(dim=1)
            accuracy = (predicted == impl.tensor(y_test)).float().mean().item()
    else:
        xp = impl.module
        rng = np.random.default_rng(0)
        model = floor.MLP(xp, sizes, rng)
        optimizer = floor.Adam(xp, model.params, lr=1e-3)
        inputs_all, labels_all = impl.tensor(x_train), impl.tensor(y_train)
        for epoch in range(epochs):
            start = time.perf_counter()
            order = xp.asarray(rng.permutation(len(x_train)))
            for first in range(0, len(order), batch_size):
                batch = order[first:first + batch_size]
                loss, grad = floor.cross_entropy(xp, model.forward(inputs_all[batch]), labels_all[batch])
                optimizer.step(model.backward(grad))
            impl.sync()
            epoch_times.append(time.perf_counter() - start)
        predicted = model.forward(impl.tensor(x_test)).argmax(axis=1)
        accuracy = float((predicted == impl.tensor(y_test)).mean())

    warm = epoch_times[1:] or epoch_times  # the first epoch pays for one-time setup
    return {"ms_per_epoch": statistics.median(warm) * 1e3, "test_accuracy": accuracy, "epochs": epochs}


# ---------------------------------------------------------------- W3: a big MLP
def w3_big_mlp(impl, repeats, batch_size=512):
    """MLP 784-1024-1024-10 on one synthetic batch of 512, cross-entropy, SGD: samples per second."""
    x, y = synthetic_data(batch_size)
    inputs, labels = impl.tensor(x), impl.tensor(y)
    sizes = (784, 1024, 1024, 10)

    if impl.is_framework:
        torch = impl.module
        torch.manual_seed(0)
        model = mlp(torch, sizes, impl.device)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        functional = torch.nn.functional

        def step():
            optimizer.zero_grad()
            loss = functional.cross_entropy(model(inputs), labels)
            loss.backward()
            optimizer.step()
    else:
        xp = impl.module
        model = floor.MLP(xp, sizes, np.random.default_rng(0))
        optimizer = floor.SGD(model.params, lr=0.01)

        def step():
            loss, grad = floor.cross_entropy(xp, model.forward(inputs), labels)
            optimizer.step(model.backward(grad))

    seconds = median_seconds(step, repeats, 2, impl.sync)
    return {"samples_per_s": batch_size / seconds, "ms_per_step": seconds * 1e3}


# ---------------------------------------------------------------- W4: per-op overhead
def w4_op_overhead(impl, number, repeats):
    """``a + b`` on 8-element float32 tensors that require grad: the forward call, and the
    backward call that accumulates the gradient into both leaves, each timed on its own."""
    ones = np.ones(8, dtype=np.float32)
    a, b, g = impl.tensor(ones), impl.tensor(ones), impl.tensor(ones)
    if impl.is_framework:
        a.requires_grad_(), b.requires_grad_()

        def backward_all(outputs):
            for c in outputs:
                c.backward(g)
    else:  # the floor: no graph; backward is adding the incoming gradient into both leaves' grads
        grad_a, grad_b, add = impl.tensor(ones * 0), impl.tensor(ones * 0), impl.module.add

        def backward_all(outputs):
            for c in outputs:
                add(grad_a, g, out=grad_a)
                add(grad_b, g, out=grad_b)

    forward_s = per_call_seconds("a + b", {"a": a, "b": b}, number, repeats, impl.sync)
    backward_times = []
    for _ in range(repeats + 1):  # the first is a warm-up
        outputs = [a + b for _ in range(number)]  # graphs to walk, built outside the timing
        impl.sync()
        start = time.perf_counter()
        backward_all(outputs)
        impl.sync()
        backward_times.append(time.perf_counter() - start)
    return {"forward_us": forward_s * 1e6, "backward_us": statistics.median(backward_times[1:]) / number * 1e6}
