"""The dynamic graph and reverse-mode automatic differentiation.

Every op is a :class:`Function`. Calling ``SomeOp.apply(x, y)`` runs its
``forward`` on the raw arrays and, when gradients are wanted, returns a tensor
whose ``grad_fn`` is that Function: a node that remembers its inputs and what
it saved. :func:`backward` walks these nodes from the output back to the leaves.
"""
import functools
import weakref

from . import backend
from .dtypes import from_numpy_dtype

_grad_enabled = True
_tracer = None  # set by jit.trace while it records; every op reports itself to it (see Function.apply)


def is_grad_enabled():
    return _grad_enabled


class _GradMode:
    """Sets the grad mode inside a ``with`` block or a decorated function, and restores
    the previous mode on exit, even when an exception escapes."""

    mode = True

    def __new__(cls, *args):
        if len(args) == 1 and callable(args[0]):  # used bare, as ``@no_grad``: decorate at once
            return cls()(args[0])
        return super().__new__(cls)

    def __init__(self):
        self._previous = []  # a stack, so the same object can be entered again (recursion)

    def __enter__(self):
        global _grad_enabled
        self._previous.append(_grad_enabled)
        _grad_enabled = self.mode

    def __exit__(self, *exc_info):
        global _grad_enabled
        _grad_enabled = self._previous.pop()

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """``with no_grad():`` nothing inside is recorded, so nothing can be differentiated."""

    mode = False


class enable_grad(_GradMode):
    """``with enable_grad():`` record again, even inside ``no_grad``."""

    mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` switches recording off at once; as a context manager it
    switches back on exit; as a decorator it switches only while the function runs."""

    def __init__(self, mode):
        global _grad_enabled
        super().__init__()
        self.mode, self._before = bool(mode), _grad_enabled
        _grad_enabled = self.mode

    def __enter__(self):
        pass  # already set by __init__

    def __exit__(self, *exc_info):
        global _grad_enabled
        _grad_enabled = self._before

    def __call__(self, function):
        global _grad_enabled
        _grad_enabled = self._before  # decorating switches nothing: each call of ``function`` does
        return (enable_grad() if self.mode else no_grad())(function)


class Function:
    """One op: ``forward`` computes on arrays, ``backward`` maps the output's gradient
    to one gradient per input (the vector-Jacobian product). The instance is also the
    graph node, holding the inputs and whatever ``forward`` saved."""

    inputs = ()  # set on the instance when the node is recorded
    freed = False
    # What ``backward`` reads, so that an in-place change to it between forward and backward is
    # caught instead of giving silently wrong gradients (see check_saved_versions):
    saves_inputs = True  # the inputs' values (read_inputs says which); False for ops that keep only shapes
    saves_output = False  # the output's values (e^a, tanh a, softmax: the derivative is written with them)
    output_may_be_view = False  # whether the output may reuse the input's memory (see ops.View)

    @classmethod
    def apply(cls, *inputs, **options):
        """Run the op on tensors, recording a node when any input requires grad.

        This runs for every op, so it stays lean: a list instead of a generator for
        ``any``, and the device check skipped when there is one input.
        """
        arrays = [x.array for x in inputs]
        if len(arrays) > 1:
            backend.check_same_device(arrays, cls.__name__)
        node = cls()
        out = _tensor.Tensor(node.forward(*arrays, **options))
        if cls.output_may_be_view and backend.is_view_of(out.array, arrays[0]):
            out._version_counter = inputs[0].shared_version_counter()  # one memory, one version counter
        # only floating-point outputs carry gradients: x.long() is cut from the graph, as in PyTorch
        if _grad_enabled and any([x._requires_grad for x in inputs]) and out.array.dtype.kind == "f":
            node.inputs = inputs
            if cls.saves_inputs:  # the versions now, for backward to compare (binary ops spelled out: hot path)
                node.input_versions = ([inputs[0]._version_counter[0], inputs[1]._version_counter[0]]
                                       if len(inputs) == 2 else [x._version_counter[0] for x in inputs])
            if cls.saves_output:
                node.saved_output = out.array, out.shared_version_counter()  # a fresh output is at version 0
            out._requires_grad = True
            out.grad_fn = node
        if _tracer is not None:
            _tracer.record(cls, inputs, options, out)
        return out

    @property
    def needs_input_grad(self):
        """One bool per input, as PyTorch's ``ctx.needs_input_grad``: ``backward`` may skip the
        gradients nobody will use (a constant's, the input data's)."""
        return [x.requires_grad for x in self.inputs]

    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def read_inputs(self):
        """Positions of the inputs whose values ``backward`` reads: all of them, unless an op knows better
        (a product reads each factor only for the other's gradient, so x * 2 never reads x)."""
        return range(len(self.inputs))

    def check_saved_versions(self):
        """Raise if a tensor ``backward`` is about to read was written in place after ``forward``.

        Every in-place write bumps the tensor's version counter (shared by its aliases, see
        ``Tensor._version``); the node remembered the versions it saw. A mismatch means the
        saved values are no longer the ones the output was computed from, as in PyTorch.
        """
        if self.saves_inputs and [x._version_counter[0] for x in self.inputs] != self.input_versions:
            for i in self.read_inputs():  # something was written: was it an input backward reads?
                x, expected = self.inputs[i], self.input_versions[i]
                if x._version_counter[0] != expected:
                    raise _modified_in_place(x.array, "", x._version_counter[0], expected)
        if self.saves_output:
            array, counter = self.saved_output
            if counter[0] != 0:
                raise _modified_in_place(array, f", which is output 0 of {type(self).__name__},", counter[0], 0)

    def release(self):
        """Drop what the node holds so its arrays can be freed; the node stays as a marker."""
        self.__dict__.clear()
        self.inputs, self.freed = (), True

    def name(self):
        return f"{type(self).__name__}Backward"

    def __repr__(self):
        return f"<{self.name()}>"


def _modified_in_place(array, which, version, expected):
    shape = list(array.shape)
    return RuntimeError(f"one of the variables needed for gradient computation has been modified by an inplace "
                        f"operation: [{from_numpy_dtype(array.dtype)!r} {shape}]{which} is at version "
                        f"{version}; expected version {expected} instead. Make the change out of place "
                        f"(y = x * 2 instead of x.mul_(2)), or after backward()")


def topological_order(root):
    """Nodes reachable from ``root``, each after every node that consumes its output.

    An explicit stack instead of recursion, so a chain of 100,000 ops is fine.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if id(node) in visited:  # pushed twice (two consumers) before it was expanded: expand once
            continue
        visited.add(id(node))  # marked when expanded, not when pushed, so it lands after every consumer
        stack.append((node, True))
        for x in node.inputs:
            parent = x.grad_fn
            if parent is not None and id(parent) not in visited:
                stack.append((parent, False))
    order.reverse()  # post-order reversed: consumers before producers
    return order


def backward(tensor, gradient=None, retain_graph=False):
    """Accumulate d(tensor)/d(leaf) into every leaf's ``.grad``."""
    if not tensor.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if gradient is None:
        if tensor.numel() != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs, but the tensor has shape "
                               f"{tuple(tensor.shape)}; pass gradient= (a tensor of that shape) to backward()")
        gradient = backend.get_array_module(tensor.array).ones_like(tensor.array)
    else:
        gradient = gradient.array if isinstance(gradient, _tensor.Tensor) else gradient
        if tuple(gradient.shape) != tuple(tensor.shape):
            raise RuntimeError(f"Mismatch in shape: gradient has shape {tuple(gradient.shape)} but the output "
                               f"has shape {tuple(tensor.shape)}")
    if tensor.grad_fn is None:  # backward() on a leaf: its gradient is the seed itself
        _accumulate_into_leaf(tensor, gradient)
        return

    grads = {tensor.grad_fn: gradient}  # gradient flowing into each node's output
    for node in topological_order(tensor.grad_fn):
        if node.freed:
            raise RuntimeError("Trying to backward through the graph a second time (or directly access saved "
                               "tensors after they have already been freed). Specify retain_graph=True if you "
                               "need to backward through the graph a second time.")
        grad = grads.pop(node, None)
        if grad is None:  # every consumer of this node's output returned no gradient for it
            if not retain_graph:
                node.release()
            continue
        retained = getattr(node, "retained_output", None)
        if retained is not None and retained() is not None:
            _accumulate_into_leaf(retained(), grad)
        node.check_saved_versions()
        input_grads = node.backward(grad)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for x, g in zip(node.inputs, input_grads):
            if g is None or not x.requires_grad:
                continue
            if g.dtype != x.array.dtype:
                g = g.astype(x.array.dtype)
            if x.grad_fn is None:
                _accumulate_into_leaf(x, g)
            elif x.grad_fn in grads:
                grads[x.grad_fn] = grads[x.grad_fn] + g  # a new array: g may be shared by other inputs
            else:
                grads[x.grad_fn] = g
        if not retain_graph:
            node.release()


def _accumulate_into_leaf(tensor, grad):
    if tensor.grad is None:
        tensor.grad = _tensor.Tensor(grad.copy())  # a copy: ``grad`` may also flow to other inputs
    else:
        tensor.grad.array = tensor.grad.array + grad


def zero_grads(params, set_to_none=True):
    """Forget the gradients of the last ``backward()`` (they would otherwise add up): drop each
    ``.grad``, or fill it with zeros. ``Module.zero_grad`` and ``Optimizer.zero_grad`` both do this."""
    for param in params:
        if param.grad is None:
            continue
        if set_to_none:
            param.grad = None
        else:
            param.grad.zero_()


def retain_grad(tensor):
    tensor.grad_fn.retained_output = weakref.ref(tensor)


from . import tensor as _tensor  # noqa: E402  (last: tensor.py imports this module; Tensor is looked up at call time)
from .gradcheck import gradcheck  # noqa: E402,F401  (torch.autograd.gradcheck's home)
