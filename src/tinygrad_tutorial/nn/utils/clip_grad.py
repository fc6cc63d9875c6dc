"""Gradient clipping: keep one bad batch from throwing the weights far away
(recurrent networks, whose gradients multiply through every time step, are the
classic case)."""
import math

from ...autograd import no_grad
from ...tensor import Tensor, stack, tensor


def _gradients(parameters):
    parameters = [parameters] if isinstance(parameters, Tensor) else parameters
    return [p.grad for p in parameters if p.grad is not None]


@no_grad()
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale all gradients together, in place, so that their joint norm (the norm of
    the vector of every gradient entry) is at most ``max_norm``; return that norm as it
    was before. ``foreach`` (PyTorch's fused kernels) is accepted, and changes
    nothing."""
    grads = _gradients(parameters)
    if not grads:
        return tensor(0.0)
    norm_type = float(norm_type)
    # ‖(‖g_1‖, ‖g_2‖, ...)‖ is the norm of all the entries together
    total = stack([g.norm(norm_type) for g in grads]).norm(norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To "
                           "disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    scale = (float(max_norm) / (total + 1e-6)).clamp(max=1.0)  # only ever shrinks
    for g in grads:
        g.mul_(scale)
    return total


@no_grad()
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry, in place, to [-clip_value, clip_value]."""
    for g in _gradients(parameters):
        g.clamp_(-float(clip_value), float(clip_value))
