"""Adagrad and Adadelta: step sizes from accumulated squared gradients."""
from .. import backend
from ..autograd import no_grad
from .hyperparameters import check_non_negative
from .optimizer import Optimizer, evaluate_closure


class Adagrad(Optimizer):
    """For each parameter p with gradient g, at step t (PyTorch's formulas)::

        g ← g + weight_decay·p
        s ← s + g²                          sum of every squared gradient so far
        p ← p - lr/(1 + (t-1)·lr_decay) · g / (√s + eps)

    Weights with large past gradients take ever smaller steps; the sum never forgets,
    so the steps only shrink.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *,
                 maximize=False):
        check_non_negative(
            ("learning rate", lr), ("lr_decay value", lr_decay),
            ("weight_decay value", weight_decay),
            ("initial_accumulator_value value", initial_accumulator_value),
            ("epsilon value", eps))
        super().__init__(
            params,
            dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                 initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                 maximize=maximize))
        for group in self.param_groups:  # PyTorch makes the sums now, not at step 1
            for param in group["params"]:
                self._init_state(param, self.state.setdefault(param, {}))

    def _init_state(self, param, state):
        state["step"] = 0
        state["sum"] = backend.get_array_module(param.array).full_like(
            param.array, self.defaults["initial_accumulator_value"])

    @no_grad()
    def step(self, closure=None):
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            lr, lr_decay = float(group["lr"]), float(group["lr_decay"])
            eps = float(group["eps"])
            weight_decay = float(group["weight_decay"])
            for param, grad, state in self._params_with_grad(group):
                p = param.array
                if not state:  # a parameter group added after construction
                    self._init_state(param, state)
                state["step"] += 1
                if weight_decay != 0:
                    grad = grad + weight_decay * p
                state["sum"] += grad * grad
                decayed_lr = lr / (1 + (state["step"] - 1) * lr_decay)
                std = backend.get_array_module(p).sqrt(state["sum"]) + eps
                p -= decayed_lr * grad / std
                param._bump_version()  # graphs that saved the old values may not use it
        return loss


class Adadelta(Optimizer):
    """For each parameter p with gradient g (PyTorch's formulas)::

        g ← g + weight_decay·p
        v ← ρ·v + (1-ρ)·g²                mean of squared gradients (square_avg)
        Δ ← √(u + eps) / √(v + eps) · g   the step, in the units of p
        u ← ρ·u + (1-ρ)·Δ²                mean of squared steps (acc_delta)
        p ← p - lr·Δ

    The ratio of the two running means sets the step size, hence lr=1 by default.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None,
                 *, maximize=False):
        check_non_negative(("learning rate", lr))
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_non_negative(("epsilon value", eps), ("weight_decay value", weight_decay))
        super().__init__(
            params,
            dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach,
                 maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            lr, rho, eps = (float(group[key]) for key in ("lr", "rho", "eps"))
            weight_decay = float(group["weight_decay"])
            for param, grad, state in self._params_with_grad(group):
                p = param.array
                xp = backend.get_array_module(p)
                if not state:
                    state["step"] = 0
                    state["square_avg"] = xp.zeros_like(p)
                    state["acc_delta"] = xp.zeros_like(p)
                state["step"] += 1
                if weight_decay != 0:
                    grad = grad + weight_decay * p
                square_avg, acc_delta = state["square_avg"], state["acc_delta"]
                square_avg *= rho
                square_avg += (1 - rho) * grad * grad
                delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * grad
                acc_delta *= rho
                acc_delta += (1 - rho) * delta * delta
                p -= lr * delta
                param._bump_version()
        return loss
