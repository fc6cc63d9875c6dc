"""Stochastic gradient descent (SGD), with PyTorch's momentum, dampening, Nesterov
momentum and weight decay."""
from ..autograd import no_grad
from .optimizer import Optimizer, evaluate_closure


class SGD(Optimizer):
    """For each parameter p with gradient g (PyTorch's update rule, step for step)::

        g ← g + weight_decay·p
        b ← g                               on the first step
        b ← momentum·b + (1 - dampening)·g  afterwards
        g ← g + momentum·b  (nesterov)  or  g ← b
        p ← p - lr·g
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            lr, momentum = float(group["lr"]), float(group["momentum"])
            dampening = float(group["dampening"])
            weight_decay = float(group["weight_decay"])
            for param, grad, state in self._params_with_grad(group):
                p = param.array
                if weight_decay != 0:
                    grad = grad + weight_decay * p
                if momentum != 0:
                    buffer = state.get("momentum_buffer")
                    if buffer is None:
                        buffer = state["momentum_buffer"] = grad.copy()
                    else:
                        buffer *= momentum
                        buffer += (1 - dampening) * grad
                    grad = grad + momentum * buffer if group["nesterov"] else buffer
                p -= lr * grad
                # written in place: a graph that saved the old values may not use them
                param._bump_version()
        return loss

