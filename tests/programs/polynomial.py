"""Fitting a cubic to cos(x) on [-2, 2] in five styles, raw tensors to a custom Module.

Every style minimises the same least-squares loss, so its end point can be checked
against NumPy's least-squares solution (``least_squares_loss``), not only against
PyTorch's run."""

import random

import numpy as np

from . import NumpyDraws, accelerator_or_cpu

N_POINTS = 500
# The loss's Hessian 2·PᵀP (P: the powers of x) has its largest eigenvalue near 1.04e4:
# plain gradient descent is stable for learning rates under 2 / 1.04e4 ≈ 1.9e-4.
LEARNING_RATE = 1e-4


def data(torch):
    x = torch.linspace(-2, 2, N_POINTS)
    return x, torch.cos(x)


def least_squares_loss():
    """The smallest summed squared error any cubic reaches on the data (the minimum each
    style seeks)."""
    x = np.linspace(-2, 2, N_POINTS)
    powers = np.stack([x**k for k in range(4)], axis=1)
    _, residual, _, _ = np.linalg.lstsq(powers, np.cos(x), rcond=None)
    return float(residual[0])


def by_hand(torch, print, steps=600, dtype="float64"):
    """Raw tensors, gradients worked out by hand, no autograd."""
    torch.set_default_dtype(getattr(torch, dtype))
    draws = NumpyDraws(torch)
    x, y = data(torch)
    coefficients = draws.randn(4)  # a + b x + c x² + d x³
    powers = torch.stack([torch.ones_like(x), x, x * x, x**3])  # (4, N)
    for step in range(steps):
        prediction = coefficients @ powers
        residual = prediction - y
        loss = (residual**2).sum()
        if step % 100 == 0:
            print(step, f"{loss.item():.10g}")
        gradient = 2 * powers @ residual  # d loss / d coefficients
        coefficients -= LEARNING_RATE * gradient
    print("by hand:", [f"{c:.8f}" for c in coefficients.tolist()])
    return loss.item()


def with_autograd(torch, print, steps=600, dtype="float64"):
    """The same fit with requires_grad, backward and an update under no_grad, on the
    accelerator."""
    device = accelerator_or_cpu(torch)
    print(f"Using {device} device")
    torch.set_default_device(device)
    torch.set_default_dtype(getattr(torch, dtype))
    draws = NumpyDraws(torch)
    x, y = data(torch)
    a, b, c, d = (draws.randn(requires_grad=True) for _ in range(4))
    for step in range(steps):
        loss = (a + b * x + c * x**2 + d * x.pow(3) - y).pow(2).sum()
        if step % 100 == 0:
            print(step, f"{loss.item():.10g}", a.grad)  # None before the first backward
        loss.backward()
        with torch.no_grad():
            for coefficient in (a, b, c, d):
                coefficient -= LEARNING_RATE * coefficient.grad
                coefficient.grad = None
    print(
        f"autograd: y = {a.item():.8f} + {b.item():.8f} x + {c.item():.8f} x^2"
        f" + {d.item():.8f} x^3"
    )
    return loss.item()


def with_optimizer(torch, print, optimizer="SGD", steps=300):
    """nn.Sequential(Linear, Flatten) on the powers of x, a loss module and an
    optimizer."""
    torch.set_default_dtype(torch.float64)
    x, y = data(torch)
    powers = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))  # (N, 3): x, x², x³
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    with torch.no_grad():  # the same start in both runs
        model[0].weight.copy_(torch.tensor([[0.5, -0.3, 0.1]]))
        model[0].bias.fill_(0.2)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizers = {
        "SGD": lambda p: torch.optim.SGD(p, lr=1e-4, momentum=0.9),
        "RMSprop": lambda p: torch.optim.RMSprop(p, lr=1e-2),
        "Adam": lambda p: torch.optim.Adam(p, lr=5e-2),
    }
    opt = optimizers[optimizer](model.parameters())
    for step in range(steps):
        loss = loss_fn(model(powers), y)
        if step % 50 == 0:
            print(step, f"{loss.item():.10g}")
        opt.zero_grad()
        loss.backward()
        opt.step()
    linear = model[0]
    print(
        f"{optimizer}: y = {linear.bias.item():.6f}"
        f" + {linear.weight[:, 0].item():.6f} x + "
        f"{linear.weight[0, 1].item():.6f} x^2 + {linear.weight[0, 2].item():.6f} x^3"
    )
    return loss_fn(model(powers), y).item()


def with_custom_function(torch, print, steps=600):
    """A cubic written as one autograd.Function with its own backward (ctx style), for x
    and the coefficients at once."""
    torch.set_default_dtype(torch.float64)

    class Cubic(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, coefficients):
            powers = torch.stack([torch.ones_like(x), x, x * x, x * x * x])
            ctx.save_for_backward(x, coefficients, powers)
            return coefficients @ powers

        @staticmethod
        def backward(ctx, grad_output):
            x, coefficients, powers = ctx.saved_tensors
            a, b, c, d = coefficients
            slope = b + 2 * c * x + 3 * d * x * x
            return grad_output * slope, powers @ grad_output

    x, y = data(torch)
    coefficients = torch.tensor([0.1, 0.2, -0.3, 0.05], requires_grad=True)
    for step in range(steps):
        loss = (Cubic.apply(x, coefficients) - y).pow(2).sum()
        if step % 100 == 0:
            print(step, f"{loss.item():.10g}", loss.grad_fn)
        loss.backward()
        with torch.no_grad():
            coefficients -= LEARNING_RATE * coefficients.grad
        coefficients.grad.zero_()
    # the slope at 0.5 through the custom backward
    probe = torch.tensor([0.5], requires_grad=True)
    Cubic.apply(probe, coefficients.detach()).sum().backward()
    print(
        "custom Function:",
        [f"{c:.8f}" for c in coefficients.tolist()],
        f"{probe.grad.item():.8f}",
    )
    return loss.item()


def with_dynamic_module(torch, print, steps=400, seed=3):
    """A custom Module whose forward draws how many odd terms to add, all sharing one
    weight."""
    torch.set_default_dtype(torch.float64)
    # Python's own generator: both runs draw the same depths
    depths = random.Random(seed)
    draws = NumpyDraws(torch, seed)

    class OddTail(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.cubic = torch.nn.Parameter(draws.randn(4) * 0.1)
            self.tail = torch.nn.Parameter(torch.zeros(()))  # reused for x^5, x^7, ...

        def forward(self, x):
            y = sum(self.cubic[k] * x**k for k in range(4))
            for power in range(5, 5 + 2 * depths.randint(0, 2), 2):
                y = y + self.tail * x**power / 100
            return y

    x, y = data(torch)
    model = OddTail()
    print(model, [name for name, _ in model.named_parameters()])
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=5e-5, momentum=0.9)
    for step in range(steps):
        loss = criterion(model(x), y)
        if step % 50 == 0:
            print(step, f"{loss.item():.10g}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(
        "dynamic:",
        [f"{c:.8f}" for c in model.cubic.tolist()],
        f"{model.tail.item():.8f}",
    )
    return loss.item()
