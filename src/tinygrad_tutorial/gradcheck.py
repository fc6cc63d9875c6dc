"""Checking a backward pass against the definition of the derivative.

``backward()`` gives the vector-Jacobian product vᵀJ of an op. The same number can
be measured without any calculus: nudge one input element by ±eps and watch how
⟨v, f(x)⟩ moves. A random v (not all ones, which is what ``sum()`` would use) keeps
errors that cancel out under a plain sum from hiding.
"""
import numpy as np

from . import autograd, backend
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """The analytic and numeric gradients of some input disagree."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True when ``fn``'s backward agrees with float64 central differences for every input
    that requires grad; otherwise raise (or return False) naming the input and both gradients."""
    inputs = [_float64_copy(x) for x in (inputs if isinstance(inputs, (tuple, list)) else [inputs])]
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    with autograd.enable_grad():
        out = fn(*inputs)
    v = np.random.default_rng(0).standard_normal(out.shape)  # the random direction to project on
    out.backward(Tensor(backend.to_device(v.astype(out.array.dtype), out.device)))

    for i in checked:
        x = inputs[i]
        analytic = np.zeros(x.shape) if x.grad is None else x.grad.cpu().numpy()
        numeric = _numeric_grad(fn, inputs, x, v, eps)
        if not np.allclose(analytic, numeric, rtol=rtol, atol=atol):
            if not raise_exception:
                return False
            raise GradcheckError(f"Jacobian mismatch for input {i} (shape {tuple(x.shape)}):\n"
                                 f"analytic:\n{analytic}\nnumeric:\n{numeric}")
    return True


def _float64_copy(x):
    """A fresh float64 leaf (our own memory, so it can be nudged in place); other inputs pass through."""
    if isinstance(x, Tensor) and x.is_floating_point():
        return Tensor(x.array.astype(np.float64), requires_grad=x.requires_grad)
    return x


def _numeric_grad(fn, inputs, x, v, eps):
    """d⟨v, fn(inputs)⟩/dx, one element at a time: (f(x + eps) - f(x - eps)) / 2eps."""
    flat = x.array.reshape(-1)  # a view: writing into it changes x
    grad = np.zeros(flat.size)
    with autograd.no_grad():
        for j in range(flat.size):
            original = flat[j].item()
            flat[j] = original + eps
            plus = _project(fn(*inputs), v)
            flat[j] = original - eps
            minus = _project(fn(*inputs), v)
            flat[j] = original
            grad[j] = (plus - minus) / (2 * eps)
    return grad.reshape(x.shape)


def _project(out, v):
    """⟨v, out⟩ as a Python float."""
    return float((backend.to_device(out.array, backend.CPU) * v).sum())
