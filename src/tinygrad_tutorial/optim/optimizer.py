"""``Optimizer``: parameter groups and per-parameter state; subclasses add ``step()``.

Steps update ``param.array`` in place, on raw arrays: nothing is recorded in the graph,
and every Tensor, Module or state_dict that shares the parameter sees the new values.
Hyperparameters stay Python floats, so a float32 parameter stays float32 (a NumPy
float64 scalar would promote it).
"""
import copy

import numpy as np

from .. import backend
from ..autograd import enable_grad, zero_grads
from ..tensor import Tensor


class Optimizer:
    """Base class: ``params`` is an iterable of tensors, or of dicts (parameter groups)
    that override the ``defaults`` for their own parameters."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        # parameter -> dict of its running values (momentum buffers, moments, step)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an "
                            "iterable of Tensors or dicts, but got "
                            f"{type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a dict ``{"params": [...], "lr": ...}``; options it leaves out come from
        the defaults."""
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for param in group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the "
                                f"params is {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (one computed from "
                                 "others); optimize the leaves it was computed from")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget the last ``backward()``'s gradients (they would otherwise add up)."""
        params = (param for group in self.param_groups for param in group["params"])
        zero_grads(params, set_to_none)

    def step(self, closure=None):
        raise NotImplementedError(f"{type(self).__name__} does not define step()")

    def _params_with_grad(self, group):
        """Each parameter of ``group`` that has a gradient (None: skipped), with the
        gradient's array (negated when the group has ``maximize``) and its state. Steps
        visit the groups in order, and the first group's call checks every group's
        gradients before any update (a step that raises has changed nothing)."""
        if group is self.param_groups[0]:
            self._groups_to_update = iter([self._checked_grads(g)
                                           for g in self.param_groups])
        return next(self._groups_to_update)

    def _checked_grads(self, group):
        """``group``'s (param, gradient array, state) triples, each gradient checked:
        one that got past the ``.grad`` setter (through ``.data``, or a parameter
        reshaped after ``backward()``) must not fail a step half-way. Two comparisons
        per parameter decide the usual case (NumPy arrays of one shape)."""
        found, ascend = [], group.get("maximize")  # ascend: every optimizer steps on -g
        for param in group["params"]:
            grad = param._grad
            if grad is None:
                continue
            g, p = grad.array, param.array
            if g.shape != p.shape or not (type(g) is type(p) is np.ndarray
                                          or backend.same_device(g, p)):
                self._refuse_grad_of(param)
            if ascend:
                g = -g
            found.append((param, g, self.state.setdefault(param, {})))
        return found

    def _refuse_grad_of(self, param):
        for g, group in enumerate(self.param_groups):
            for i, p in enumerate(group["params"]):
                if p is param:
                    grad = param.grad
                    raise RuntimeError(
                        f"{type(self).__name__}.step(): the gradient of parameter {i} "
                        f"of group {g} has shape {list(grad.shape)} on {grad.device}, "
                        f"but the parameter has shape {list(param.shape)} on "
                        f"{param.device}; no parameter was changed")

    def state_dict(self):
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``,
        as PyTorch's: parameters are replaced by their position, so it can be loaded
        into a fresh optimizer."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index))
                                for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: {k: Tensor(v) if _is_array(v) else v
                                for k, v in s.items()}
                 for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups, saved_groups = self.param_groups, state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter "
                             f"groups, the optimizer has {len(groups)}")
        for group, saved in zip(groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group with "
                                 f"{len(saved['params'])} parameters, which doesn't "
                                 "match the size of optimizer's group "
                                 f"({len(group['params'])})")
        by_index = {i: p for group, saved in zip(groups, saved_groups)
                    for i, p in zip(saved["params"], group["params"])}
        self.state = {}
        for i, saved_state in state_dict["state"].items():
            param = by_index[int(i)]
            self.state[param] = {k: _array_like(v, param)
                                 for k, v in saved_state.items()}
        for group, saved in zip(groups, saved_groups):
            group.update({k: copy.deepcopy(v)
                          for k, v in saved.items() if k != "params"})

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}"
                      for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"


def evaluate_closure(closure):
    """``step(closure)`` re-evaluates the loss (with gradients on, though the step
    itself runs under no_grad)."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def _is_array(value):
    return (hasattr(value, "shape") and hasattr(value, "dtype")
            and not isinstance(value, Tensor))


def _array_like(value, param):
    """A saved state value as a fresh array on ``param``'s device (floats in
    ``param``'s dtype)."""
    if isinstance(value, Tensor):
        value = value.array
    if not _is_array(value):
        return copy.deepcopy(value)
    array = backend.to_device(value, param.device).copy()
    return array.astype(param.array.dtype) if array.dtype.kind == "f" else array


def decay_weight(p, grad, lr, weight_decay, decoupled):
    """Weight decay: an L2 penalty added to the gradient, or (decoupled, as AdamW) p
    shrunk directly by lr·weight_decay; the gradient to step on is returned."""
    if weight_decay == 0:
        return grad
    if decoupled:
        p *= 1 - lr * weight_decay
        return grad
    return grad + weight_decay * p
