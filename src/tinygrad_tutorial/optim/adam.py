"""Adam and AdamW: per-parameter step sizes from running moments of the gradient."""
from .. import backend
from ..autograd import no_grad
from .hyperparameters import check_adam_options
from .optimizer import Optimizer, decay_weight, evaluate_closure


class Adam(Optimizer):
    """For each parameter p with gradient g, at step t (PyTorch's formulas)::

        g ← g + weight_decay·p     (Adam; AdamW decays p directly instead)
        m ← β1·m + (1-β1)·g        running mean of gradients
        v ← β2·v + (1-β2)·g²       running mean of squared gradients
        p ← p - lr/(1-β1ᵗ) · m / (√v / √(1-β2ᵗ) + eps)

    The (1-βᵗ) factors undo the bias of m and v toward their zero start. With
    ``amsgrad``, the largest v seen so far is used instead of v.
    """

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False):
        check_adam_options(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
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
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = xp.zeros_like(p)
                state["step"] += 1
                step = state["step"]
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                grad = decay_weight(p, grad, lr, weight_decay,
                                    self.decoupled_weight_decay)
                _lerp_(exp_avg, grad, 1 - beta1)
                exp_avg_sq *= beta2
                squared = grad * grad  # temporaries reused in place: fewer allocations
                squared *= 1 - beta2
                exp_avg_sq += squared
                if group["amsgrad"]:
                    max_exp_avg_sq = state["max_exp_avg_sq"]
                    xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                    exp_avg_sq = max_exp_avg_sq
                step_size = lr / (1 - beta1 ** step)
                denom = xp.sqrt(exp_avg_sq)
                denom /= (1 - beta2 ** step) ** 0.5
                denom += eps
                update = exp_avg / denom  # step_size·m/denom, as PyTorch's addcdiv
                update *= step_size
                p -= update
                # written in place: a graph that saved the old values may not use them
                param._bump_version()
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay: p ← p·(1 - lr·weight_decay) before the Adam
    step, instead of adding weight_decay·p to the gradient (Loshchilov & Hutter)."""

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad,
                         maximize=maximize)


def _lerp_(start, end, weight):
    """In place, start ← start + weight·(end - start), computed as PyTorch's lerp."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)
