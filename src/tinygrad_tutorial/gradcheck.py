"""Checking a backward pass against the definition of the derivative.

``backward()`` gives the vector-Jacobian product vᵀJ of an op. The same number can
be measured without any calculus: nudge one input element by ±eps and watch how
⟨v, f(x)⟩ moves. A random v (not all ones, which is what ``sum()`` would use) keeps
errors that cancel out under a plain sum from hiding.
"""
import numpy as np

from . import autograd, backend
from .tensor import Tensor, cat


class GradcheckError(RuntimeError):
    """The analytic and numeric gradients of some input disagree."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True when ``fn``'s backward agrees with float64 central differences for every
    input that requires grad; otherwise raise (or return False) naming the input and
    both gradients."""
    inputs = _float64_copies(inputs)
    checked = [i for i, x in enumerate(inputs)
               if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to "
                         "check")
    with autograd.enable_grad():
        out = fn(*inputs)
    # the random direction to project on
    v = np.random.default_rng(0).standard_normal(out.shape)
    if out.requires_grad:  # (else fn is constant in its inputs: every gradient is 0)
        out.backward(Tensor(backend.to_device(v.astype(out.array.dtype), out.device)))

    for i in checked:
        x = inputs[i]
        analytic = np.zeros(x.shape) if x.grad is None else x.grad.cpu().numpy()
        numeric = _numeric_grad(fn, inputs, x, v, eps)
        if not np.allclose(analytic, numeric, rtol=rtol, atol=atol):
            if not raise_exception:
                return False
            raise GradcheckError(f"Jacobian mismatch for input {i} (shape "
                                 f"{tuple(x.shape)}):\nanalytic:\n{analytic}\n"
                                 f"numeric:\n{numeric}")
    return True


def _float64_copies(inputs):
    """The inputs (one, or a tuple or list), each floating-point tensor as a fresh
    float64 leaf (our own memory, so it can be nudged in place); the others as they
    are."""
    return [_float64_copy(x) for x in (inputs if isinstance(inputs, (tuple, list))
                                       else [inputs])]


def _float64_copy(x):
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


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True):
    """True when the backward pass that ``create_graph=True`` records is itself right:
    :func:`gradcheck` of the function that maps the inputs to their gradients, the
    vector-Jacobian product with ``grad_outputs`` (random if not given) taken with
    ``create_graph=True`` (``torch.autograd.gradgradcheck``)."""
    inputs = _float64_copies(inputs)
    with autograd.enable_grad():
        out = fn(*inputs)
    if grad_outputs is None:
        v = np.random.default_rng(1).standard_normal(out.shape)
        grad_outputs = Tensor(backend.to_device(v, out.device))

    def gradients(*xs):
        with autograd.enable_grad():
            wanted = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
            grads = autograd.grad(fn(*xs), wanted, grad_outputs.to(out.dtype),
                                  create_graph=True, materialize_grads=True)
        return cat([g.reshape(-1) for g in grads])

    return gradcheck(gradients, inputs, eps, atol, rtol, raise_exception)
