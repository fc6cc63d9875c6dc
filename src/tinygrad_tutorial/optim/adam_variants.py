"""Adamax, NAdam and RAdam: Adam with an infinity norm, Nesterov momentum or a
rectified (warmed-up) step size."""
from .. import backend
from ..autograd import no_grad
from .adam import _lerp_
from .hyperparameters import check_adam_options, check_non_negative
from .optimizer import Optimizer, decay_weight, evaluate_closure


class Adamax(Optimizer):
    """Adam with the infinity norm in place of the root mean square (as PyTorch)::

        m ← β1·m + (1-β1)·g
        u ← max(β2·u, |g| + eps)            exp_inf: a decaying maximum of |g|
        p ← p - lr/(1-β1ᵗ) · m / u
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False):
        check_adam_options(lr, betas, eps, weight_decay)
        super().__init__(
            params,
            dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                 foreach=foreach, maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            weight_decay = float(group["weight_decay"])
            beta1, beta2 = (float(b) for b in group["betas"])
            for param, grad, state in self._params_with_grad(group):
                p = param.array
                xp = backend.get_array_module(p)
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = xp.zeros_like(p)
                    state["exp_inf"] = xp.zeros_like(p)
                state["step"] += 1
                grad = decay_weight(p, grad, lr, weight_decay, decoupled=False)
                _lerp_(state["exp_avg"], grad, 1 - beta1)
                exp_inf = state["exp_inf"]
                exp_inf *= beta2
                xp.maximum(exp_inf, xp.abs(grad) + eps, out=exp_inf)
                step_size = lr / (1 - beta1 ** state["step"])
                p -= step_size * state["exp_avg"] / exp_inf
                param._bump_version()  # graphs that saved the old values may not use it
        return loss


class NAdam(Optimizer):
    """Adam with Nesterov momentum (Dozat), PyTorch's formulas::

        μₜ = β1·(1 - ½·0.96^(t·momentum_decay))      a momentum that warms up
        m ← β1·m + (1-β1)·g;   v ← β2·v + (1-β2)·g²
        d = √(v/(1-β2ᵗ)) + eps
        p ← p - lr·(1-μₜ)/(1-Πμ) · g/d
              - lr·μₜ₊₁/(1-Πμ·μₜ₊₁) · m/d

    where Πμ = μ₁⋯μₜ is kept in the state as ``mu_product``.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False):
        check_adam_options(lr, betas, eps, weight_decay)
        check_non_negative(("momentum_decay value", momentum_decay))
        super().__init__(
            params,
            dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                 momentum_decay=momentum_decay,
                 decoupled_weight_decay=decoupled_weight_decay, foreach=foreach,
                 maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            weight_decay = float(group["weight_decay"])
            beta1, beta2 = (float(b) for b in group["betas"])
            momentum_decay = float(group["momentum_decay"])
            for param, grad, state in self._params_with_grad(group):
                p = param.array
                xp = backend.get_array_module(p)
                if not state:
                    state["step"] = 0
                    state["mu_product"] = 1.0
                    state["exp_avg"] = xp.zeros_like(p)
                    state["exp_avg_sq"] = xp.zeros_like(p)
                state["step"] += 1
                step = state["step"]
                grad = decay_weight(p, grad, lr, weight_decay,
                                     group["decoupled_weight_decay"])
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
                state["mu_product"] *= mu
                mu_product = state["mu_product"]
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                _lerp_(exp_avg, grad, 1 - beta1)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                denom = xp.sqrt(exp_avg_sq / (1 - beta2 ** step)) + eps
                p += (-lr * (1 - mu) / (1 - mu_product)) * grad / denom
                p += (-lr * mu_next / (1 - mu_product * mu_next)) * exp_avg / denom
                param._bump_version()
        return loss


class RAdam(Optimizer):
    """Adam whose adaptive step is switched on gradually (Liu et al.), as PyTorch::

        m ← β1·m + (1-β1)·g;   v ← β2·v + (1-β2)·g²
        ρ∞ = 2/(1-β2) - 1;     ρₜ = ρ∞ - 2t·β2ᵗ/(1-β2ᵗ)
        r = √((ρₜ-4)(ρₜ-2)ρ∞ / ((ρ∞-4)(ρ∞-2)ρₜ))
        p ← p - lr · m/(1-β1ᵗ) · r·√(1-β2ᵗ)/(√v + eps)     when ρₜ > 5
        p ← p - lr · m/(1-β1ᵗ)                             otherwise

    where ρₜ is the length of the moving average and r the variance rectification;
    the second rule is plain momentum.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False):
        check_adam_options(lr, betas, eps, weight_decay)
        super().__init__(
            params,
            dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                 decoupled_weight_decay=decoupled_weight_decay, foreach=foreach,
                 maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), float(group["eps"])
            weight_decay = float(group["weight_decay"])
            beta1, beta2 = (float(b) for b in group["betas"])
            for param, grad, state in self._params_with_grad(group):
                p = param.array
                xp = backend.get_array_module(p)
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = xp.zeros_like(p)
                    state["exp_avg_sq"] = xp.zeros_like(p)
                state["step"] += 1
                step = state["step"]
                grad = decay_weight(p, grad, lr, weight_decay,
                                     group["decoupled_weight_decay"])
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                _lerp_(exp_avg, grad, 1 - beta1)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                bias_correction2 = 1 - beta2 ** step
                corrected_exp_avg = exp_avg / (1 - beta1 ** step)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    adaptive_lr = bias_correction2 ** 0.5 / (xp.sqrt(exp_avg_sq) + eps)
                    p -= corrected_exp_avg * lr * adaptive_lr * rect
                else:
                    p -= corrected_exp_avg * lr
                param._bump_version()
        return loss
