"""Hooks on gradients: ``Tensor.register_hook`` and ``Tensor.retain_grad``.

A tensor's hooks are kept by the node its gradient goes to (``autograd.node_of``: the
op that made it, or a leaf's AccumulateGrad), one set per output of that node. The
first hook wraps the node's ``backward_step``, so that the hooks run on the complete
gradient before the node uses it: the backward pass itself never looks for hooks.
"""
import weakref

from . import autograd, backend
from .dtypes import from_numpy_dtype


def register_hook(tensor, hook):
    """``hook(grad)`` runs when ``tensor``'s gradient is complete; a tensor it returns
    replaces the gradient."""
    return RemovableHandle(_hooks_of(tensor).hooks, hook)


def retain_grad(tensor):
    """Keep the gradient of a non-leaf tensor in its ``.grad``, as a leaf's is kept."""
    _hooks_of(tensor).retained = weakref.ref(tensor)


def _hooks_of(tensor):
    node = autograd.node_of(tensor)
    table = node.__dict__.get("tensor_hooks")
    if table is None:
        table = node.tensor_hooks = {}  # output index -> TensorHooks
        node.backward_step = _HooksFirst(node, node.backward_step)
    return table.setdefault(node.output_index(tensor), TensorHooks())


class _HooksFirst:
    """A node's ``backward_step`` that runs the hooks on the gradient first."""

    def __init__(self, node, step):
        self.node, self.step = node, step

    def __call__(self, grad, create_graph=False):
        return self.step(hooked(self.node, grad), create_graph)


def hooked(node, grad):
    """``grad``, the gradient of ``node``'s output(s), after the hooks ran on it."""
    table = node.__dict__.get("tensor_hooks")
    if not table:
        return grad
    if node.outputs_several:  # one gradient per output, each with its own hooks
        return node.each_output_grad(grad, table)
    return table[0](grad) if 0 in table else grad


class TensorHooks:
    """What runs on one tensor's complete gradient: the ``register_hook`` hooks in order
    (a tensor one returns replaces the gradient), then ``retain_grad``'s copy into
    ``.grad``, last, so it keeps the final gradient (as in PyTorch)."""

    def __init__(self):
        self.hooks = {}  # handle -> hook, in the order registered
        self.retained = None  # a weak reference to the tensor whose .grad keeps it

    def __call__(self, grad):
        recorded = isinstance(grad, autograd._tensor.Tensor)  # (create_graph)
        for hook in list(self.hooks.values()):
            if recorded:
                result = hook(grad)
            else:
                with autograd.no_grad():
                    result = hook(autograd._tensor.Tensor(grad))
            if result is not None:
                grad = _checked_hook_result(hook, result, grad, recorded)
        retained = self.retained() if self.retained is not None else None
        if retained is not None:
            autograd.accumulate_grad(retained, grad)
        return grad


def _checked_hook_result(hook, result, grad, recorded):
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(result, autograd._tensor.Tensor):
        raise TypeError(f"expected Tensor, but hook returned '{type(result).__name__}'")
    array = grad.array if recorded else grad
    if tuple(result.shape) != tuple(array.shape):
        raise RuntimeError(f"hook '{name}' has changed the size of value: the gradient "
                           f"has shape {tuple(array.shape)}, the hook returned shape "
                           f"{tuple(result.shape)}")
    if (result.array.dtype != array.dtype
            or result.device != backend.device_of(array)):
        raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                           f"{from_numpy_dtype(array.dtype)!r} on "
                           f"{backend.device_of(array)} got {result.dtype!r} on "
                           f"{result.device})")
    return result if recorded else result.array


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook out again."""

    def __init__(self, hooks, hook):
        self.hooks = hooks
        hooks[self] = hook

    def remove(self):
        self.hooks.pop(self, None)
