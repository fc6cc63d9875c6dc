"""Custom Functions in PyTorch's ctx style, as ``torch.autograd.Function`` users write
them.

The package's own ops (``ops.py``) compute on raw arrays. Code written for PyTorch
instead subclasses ``autograd.Function`` with static methods that take a ``ctx`` and
work on tensors::

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            return grad_output * 3 * x ** 2

``Function.__init_subclass__`` notices the staticmethod and gives such a class
:func:`apply_ctx_style` as its ``apply``: forward runs with recording off, and one
:class:`CustomFunctionNode` stands in the graph for all it did.
"""
import inspect
import warnings
import weakref

from . import autograd, inplace
from .autograd import Function, _modified_in_place, no_grad, set_grad_enabled
from .ops import unbroadcast
from .tensor import Tensor, broadcast_shape, zeros


def apply_ctx_style(cls, *args, **kwargs):
    """``apply`` of a Function written in PyTorch's ctx style: ``forward(ctx, *args)``
    runs on tensors with recording off; when an argument requires grad, one
    :class:`CustomFunctionNode` becomes the ``grad_fn`` of every output, and
    ``backward(ctx, *grad_outputs)`` will run in place of autograd through
    ``forward``."""
    # PyTorch 2's other spelling: forward(*args), without ctx
    separate_setup = hasattr(cls, "setup_context")
    if kwargs or separate_setup:
        args, kwargs = _bound_arguments(cls.forward, args, kwargs, separate_setup)
    ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
    with no_grad():
        if separate_setup:
            result = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, result)
        else:
            result = cls.forward(ctx, *args, **kwargs)
    # the ops inside forward recorded themselves; this Function as a whole is not
    if autograd._tracer is not None:
        from .jit import TracerWarning

        warnings.warn(f"{cls.__name__} is a custom Function: the trace records the ops "
                      "its forward ran, so replays compute the same values, but "
                      "gradients through a replay follow those ops, not "
                      f"{cls.__name__}.backward", TracerWarning, stacklevel=2)
    if not (autograd.is_grad_enabled() and any(ctx.needs_input_grad)):
        return result
    originals = result if isinstance(result, tuple) else (result,)
    outputs = tuple(_own_output(out, args) for out in originals)
    node = CustomFunctionNode(cls, ctx, args, outputs)
    for out, original in zip(outputs, originals):
        # integers carry no gradient
        if (isinstance(out, Tensor) and out.array.dtype.kind == "f"
                and not any(original is t for t in ctx.non_differentiable)):
            out._requires_grad, out.grad_fn = True, node
    return outputs if isinstance(result, tuple) else outputs[0]


def _bound_arguments(forward, args, kwargs, separate_setup):
    """Keyword arguments bound to forward's parameters, so that each has its slot in
    backward's return (as PyTorch does); with ``setup_context``, defaults are filled in
    too, as PyTorch passes them to it."""
    if separate_setup:
        bound = inspect.signature(forward).bind(*args, **kwargs)
        bound.apply_defaults()
        return bound.args, bound.kwargs
    bound = inspect.signature(forward).bind(None, *args, **kwargs)  # None for ctx
    return bound.args[1:], bound.kwargs


def _own_output(out, args):
    """An output of forward, ready to take the node as its grad_fn. A tensor that
    already has a place in the graph (an argument returned as is, say) is left alone:
    the output is an alias of it (PyTorch makes a view)."""
    if isinstance(out, Tensor) and (out._requires_grad or any(out is a for a in args)):
        return out.detach()
    return out


class FunctionCtx:
    """The ``ctx`` that a ctx-style ``forward`` fills and its ``backward`` reads; any
    attribute may be set on it (``ctx.k = 3``). Tensors go through
    ``save_for_backward``, so that in-place writes to them are caught."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad  # one bool per argument of forward
        self.to_save, self.non_differentiable, self.materialize_grads = (), (), True
        # (tensor, version, which) for each saved tensor, set once forward has returned
        self.saved = ()

    def save_for_backward(self, *tensors):
        self.to_save = tensors

    def mark_non_differentiable(self, *outputs):
        self.non_differentiable = outputs

    def set_materialize_grads(self, value):
        """False: backward gets None, not zeros, for an output that received no
        gradient."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self):
        """What forward saved; raises, as PyTorch does at this point, if one was written
        in place since."""
        for tensor, version, which in self.saved:
            if tensor is not None and tensor._version != version:
                raise _modified_in_place(tensor.array, which, tensor._version, version)
        return tuple(tensor for tensor, _, _ in self.saved)


class CustomFunctionNode(Function):
    """The graph node of a ctx-style Function: it holds the ``ctx`` and, in backward,
    calls the Function's own ``backward`` on tensors, then checks that it returned one
    gradient per argument, each of its shape."""

    # the saved tensors are checked when backward reads ctx.saved_tensors, as in PyTorch
    saves_inputs = False
    outputs_several = True  # one gradient per output, even when there is only one

    def __init__(self, function, ctx, args, outputs):
        self.function, self.ctx = function, ctx
        self.inputs = tuple(a for a in args if isinstance(a, Tensor))
        self.rebase_count = inplace.rebases  # see inplace.note_versions
        self.argument_is_tensor = [isinstance(a, Tensor) for a in args]
        self.outputs = [weakref.ref(out) if isinstance(out, Tensor) else None
                        for out in outputs]
        # what a missing output gradient is made of: zeros of the output's shape
        # (None for a non-tensor)
        self.output_specs = [(out.shape, out.dtype, out.device)
                             if isinstance(out, Tensor) else None for out in outputs]
        ctx.saved = [self._saved_entry(tensor, outputs) for tensor in ctx.to_save]
        # it may hold outputs, whose grad_fn is this node: a reference cycle
        ctx.to_save = ()

    def _saved_entry(self, tensor, outputs):
        """(tensor, its version now, how an error names it). A saved output is kept as
        an alias without grad_fn, so that the node does not keep itself alive through
        it."""
        for i, out in enumerate(outputs):
            if tensor is not None and out is tensor:
                which = f", which is output {i} of {self.function.__name__},"
                return tensor.detach(), tensor._version, which
        return tensor, (tensor._version if tensor is not None else 0), ""

    def name(self):
        return f"{self.function.__name__}Backward"

    def release(self):
        function = self.function  # kept, so that a freed node still prints its name
        super().release()
        self.function = function

    def output_index(self, tensor):
        return next(i for i, ref in enumerate(self.outputs)
                    if ref is not None and ref() is tensor)

    def in_output_slot(self, output, grad):
        """``grad``, the gradient of one of the outputs, in that output's slot."""
        slots = OutputGrads([None] * len(self.outputs))
        slots[self.output_index(output)] = grad
        return slots

    def each_output_grad(self, grads, hooks):
        """Each output's gradient after its own hooks (``hooks``: index -> hooks)."""
        return OutputGrads([hooks[i](g) if g is not None and i in hooks else g
                            for i, g in enumerate(grads)])

    def tensor_backward(self, grads):
        """With ``create_graph``: the Function's ``backward`` runs recorded (its ops on
        tensors are in the graph), so its gradients can be differentiated again."""
        return self.backward(grads, recorded=True)

    def backward(self, grads, recorded=False):
        """The Function's own ``backward`` on tensors, and its answer checked: one
        gradient per argument (arrays, or with ``recorded`` tensors)."""
        grad_outputs = [self._grad_output(spec, g)
                        for spec, g in zip(self.output_specs, grads)]
        with set_grad_enabled(recorded):
            returned = self.function.backward(self.ctx, *grad_outputs)
        returned = returned if isinstance(returned, tuple) else (returned,)
        expected = len(self.argument_is_tensor)
        if len(returned) > expected and all(g is None for g in returned[expected:]):
            returned = returned[:expected]  # trailing Nones are forgiven, as in PyTorch
        if len(returned) != expected:
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {expected}, got {len(returned)})")
        inputs, input_grads = iter(self.inputs), []
        pairs = zip(self.argument_is_tensor, returned)
        for position, (is_tensor, grad) in enumerate(pairs):
            if not is_tensor:
                if grad is not None:
                    raise RuntimeError(
                        f"function {self.name()} returned a gradient different than "
                        f"None at position {position + 1}, but the corresponding "
                        "forward input was not a Tensor")
                continue
            x = next(inputs)
            grad = (self._checked_grad(position, x, grad, recorded)
                    if grad is not None else None)
            input_grads.append(grad)
        return tuple(input_grads)

    def _grad_output(self, spec, grad):
        """The gradient backward receives for one output: zeros (or None) where none
        arrived."""
        if spec is None:  # a non-tensor output
            return None
        if grad is None:
            return (zeros(spec[0], dtype=spec[1], device=spec[2])
                    if self.ctx.materialize_grads else None)
        return grad if isinstance(grad, Tensor) else Tensor(grad)

    def _checked_grad(self, position, x, grad, recorded):
        """A returned gradient, summed down to the input's shape if it was broadcast:
        its array, or the tensor itself when ``recorded``."""
        if not isinstance(grad, Tensor):
            raise RuntimeError(
                f"function {self.name()} returned {type(grad).__name__} as the "
                f"gradient at index {position}: expected Tensor or None")
        # nobody will read it (PyTorch does not check its shape either)
        if not x.requires_grad:
            return None
        if grad.device != x.device:
            raise RuntimeError(
                f"Function {self.name()} returned an invalid gradient at index "
                f"{position} - expected device {x.device} but got {grad.device}")
        if grad.shape != x.shape:
            try:
                expandable = broadcast_shape(x.shape, grad.shape) == tuple(grad.shape)
            except RuntimeError:
                expandable = False
            if not expandable:
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index "
                    f"{position} - got {list(grad.shape)} but expected shape "
                    f"compatible with {list(x.shape)}")
            return (grad.sum_to_size(x.shape) if recorded
                    else unbroadcast(grad.array, x.array.shape))
        return grad if recorded else grad.array


class OutputGrads(list):
    """The gradients of a custom Function's outputs, one slot each (None: none yet);
    two such lists add up slot by slot, as the backward pass sums them."""

    def __add__(self, other):
        return OutputGrads([b if a is None else a if b is None else a + b
                            for a, b in zip(self, other)])
