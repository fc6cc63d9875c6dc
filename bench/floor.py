"""The floor: the benchmark's networks written by hand on raw arrays, with no framework.

Forward, backward and the optimizer update are spelled out on NumPy (or CuPy)
arrays, in place where that saves a copy. No graph, no Tensor objects, no dtype
or device checks: whatever a framework spends beyond this is its overhead.
Layers keep PyTorch's layout (``weight`` is out x in, ``y = x @ weight.T + bias``)
and initialisation, so the arithmetic is the same as in the framework versions.
"""
import math


class MLP:
    """Linear layers with ReLU between them; ``sizes`` like (64, 128, 64, 10)."""

    def __init__(self, xp, sizes, rng):
        self.xp = xp
        self.params = []  # [weight, bias, weight, bias, ...]
        for fan_in, fan_out in zip(sizes, sizes[1:]):
            bound = 1 / math.sqrt(fan_in)  # PyTorch's Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
            for shape in ((fan_out, fan_in), (fan_out,)):
                values = rng.uniform(-bound, bound, shape).astype("float32")
                self.params.append(xp.asarray(values))

    def forward(self, x):
        """The output, remembering each layer's input for ``backward``."""
        self.inputs = []
        layers = len(self.params) // 2
        for i in range(layers):
            weight, bias = self.params[2 * i], self.params[2 * i + 1]
            self.inputs.append(x)
            x = x @ weight.T
            x += bias
            if i < layers - 1:
                self.xp.maximum(x, 0, out=x)  # ReLU
        return x

    def backward(self, grad):
        """Gradients of every parameter, in ``params`` order, from dL/d(output)."""
        grads = [None] * len(self.params)
        for i in reversed(range(len(self.inputs))):
            x, weight = self.inputs[i], self.params[2 * i]
            grads[2 * i] = grad.T @ x
            grads[2 * i + 1] = grad.sum(axis=0)
            if i:
                grad = grad @ weight
                grad *= x > 0  # ReLU's gradient: x is the ReLU's output
        return grads


def mse_loss(xp, output, target):
    """(loss, dL/d(output)) for the mean squared error."""
    diff = output - target
    return float((diff * diff).mean()), diff * (2 / diff.size)


def cross_entropy(xp, logits, labels):
    """(loss, dL/d(logits)) for the mean cross-entropy over class indices, via log-sum-exp."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = xp.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = xp.arange(len(labels))
    loss = float((xp.log(total[:, 0]) - shifted[rows, labels]).mean())
    grad = exp / total  # softmax
    grad[rows, labels] -= 1
    grad /= len(labels)
    return loss, grad


class SGD:
    def __init__(self, params, lr):
        self.params, self.lr = params, lr

    def step(self, grads):
        for p, g in zip(self.params, grads):
            p -= self.lr * g


class Adam:
    """PyTorch's Adam update with bias correction (no weight decay)."""

    def __init__(self, xp, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.xp, self.params, self.lr, self.betas, self.eps = xp, params, lr, betas, eps
        self.m = [xp.zeros_like(p) for p in params]
        self.v = [xp.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        beta1, beta2 = self.betas
        self.t += 1
        step_size = self.lr / (1 - beta1 ** self.t)
        root_correction = math.sqrt(1 - beta2 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            denom = self.xp.sqrt(v)
            denom /= root_correction
            denom += self.eps
            p -= step_size * m / denom
