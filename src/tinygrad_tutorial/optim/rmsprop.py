"""RMSprop: divide each gradient by a running root-mean-square of its recent values."""
from .. import backend
from ..autograd import no_grad
from .adam import _lerp_
from .hyperparameters import check_non_negative
from .optimizer import Optimizer, evaluate_closure


class RMSprop(Optimizer):
    """For each parameter p with gradient g (PyTorch's update rule, step for step)::

        g ← g + weight_decay·p
        v ← α·v + (1-α)·g²                    running mean of squared gradients
        m ← α·m + (1-α)·g;  v̂ ← v - m²       centered: minus the squared mean
        d ← √v (or √v̂) + eps
        b ← momentum·b + g/d;  p ← p - lr·b   with momentum
        p ← p - lr·g/d                        without

    Large gradients are damped and small ones boosted, so every weight moves at a
    similar pace.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0,
                 momentum=0, centered=False, *, maximize=False):
        check_non_negative(("learning rate", lr), ("epsilon value", eps),
                           ("momentum value", momentum),
                           ("weight_decay value", weight_decay), ("alpha value", alpha))
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps,
                                      weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            lr, alpha = float(group["lr"]), float(group["alpha"])
            eps, momentum = float(group["eps"]), float(group["momentum"])
            weight_decay = float(group["weight_decay"])
            for param, grad, state in self._params_with_grad(group):
                p = param.array
                xp = backend.get_array_module(p)
                if not state:
                    state["step"] = 0
                    state["square_avg"] = xp.zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = xp.zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = xp.zeros_like(p)
                state["step"] += 1
                if weight_decay != 0:
                    grad = grad + weight_decay * p
                square_avg = state["square_avg"]
                square_avg *= alpha
                square_avg += (1 - alpha) * grad * grad
                if group["centered"]:
                    grad_avg = state["grad_avg"]
                    _lerp_(grad_avg, grad, 1 - alpha)
                    avg = xp.sqrt(square_avg - grad_avg * grad_avg) + eps
                else:
                    avg = xp.sqrt(square_avg) + eps
                if momentum > 0:
                    buffer = state["momentum_buffer"]
                    buffer *= momentum
                    buffer += grad / avg
                    p -= lr * buffer
                else:
                    p -= lr * (grad / avg)
                # written in place: a graph that saved the old values may not use them
                param._bump_version()
        return loss
