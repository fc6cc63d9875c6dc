"""The dynamic graph and reverse-mode automatic differentiation: the core.

Every op is a :class:`Function`. ``SomeOp.apply(x, y)`` runs its ``forward`` on the
raw arrays and, when a gradient is wanted, records the op as a node of the graph: the
output's ``grad_fn``, which holds the inputs and what ``forward`` saved.
:func:`backpropagate` walks the nodes from the output back to the leaves; each turns
the gradient of its output into gradients of its inputs (its ``backward``, the op's
vector-Jacobian product). A leaf's gradients go to its :class:`AccumulateGrad` node,
which adds them into ``.grad``. :func:`backward` and :func:`grad` are the public calls.

Features attach from their own modules, not as branches in here: hooks on gradients
(``hooks.py``) wrap the ``backward_step`` of a node; in-place writes and the version
checks live in ``inplace.py``; ctx-style Functions in ``custom_function.py``; the
tracer in ``jit.py`` wraps ``apply``; ``create_graph=True`` runs each op's
``tensor_backward``, its backward written in tensor ops, so it is recorded too.
"""
import functools
import weakref

from . import backend
from .dtypes import from_numpy_dtype

_grad_enabled = True
_tracer = None  # the jit.trace recorder while it records (jit.py)


def is_grad_enabled():
    return _grad_enabled


class _GradMode:
    """Sets the grad mode inside a ``with`` block or a decorated function, and restores
    the previous mode on exit, even when an exception escapes."""

    mode = True

    def __new__(cls, *args):
        if len(args) == 1 and callable(args[0]):  # bare, as ``@no_grad``: decorate now
            return cls()(args[0])
        return super().__new__(cls)

    def __init__(self):
        self._previous = []  # a stack: the same object may be entered again (recursion)

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
    """``with no_grad():`` nothing inside is recorded, so nothing can be
    differentiated."""

    mode = False


class enable_grad(_GradMode):
    """``with enable_grad():`` record again, even inside ``no_grad``."""

    mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` switches recording off at once; as a context manager
    it switches back on exit; as a decorator it switches only while the function
    runs."""

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
        _grad_enabled = self._before  # decorating switches nothing; each call does
        return (enable_grad() if self.mode else no_grad())(function)


class Function:
    """One op: ``forward`` computes on arrays, ``backward`` maps the gradient of the
    output to one gradient per input (the vector-Jacobian product). The instance is
    also the node of the graph: it holds the inputs and what ``forward`` saved."""

    inputs = ()  # the input tensors, set when the node is recorded
    freed = False  # True once a backward pass has let go of what the node saved
    saves_inputs = True  # backward reads the inputs' values (so inplace.py checks them)
    saves_output = False  # backward reads the output's values (e^a, tanh a, softmax)
    outputs_several = False  # one gradient per output (custom_function.py)

    @classmethod
    def apply(cls, *inputs, **options):
        """Run the op on tensors. Record it when a gradient is wanted: grad mode is on,
        an input requires grad, and the output is floating point (``x.long()`` is cut
        from the graph, as in PyTorch)."""
        node = cls()
        out = node.output(inputs, options)
        if (_grad_enabled and any([x._requires_grad for x in inputs])
                and out.array.dtype.kind == "f"):
            node.record(inputs, out)
        return out

    def output(self, inputs, options):
        """``forward`` on the inputs' arrays (all on one device), as a tensor."""
        arrays = [x.array for x in inputs]
        if len(arrays) > 1:
            backend.check_same_device(arrays, self)
        return _tensor.Tensor(self.forward(*arrays, **options))

    def record(self, inputs, out):
        """Put the node in the graph, as the maker of ``out``."""
        self.inputs = inputs
        if self.saves_inputs or self.saves_output or _inplace.rebases:
            _inplace.note_versions(self, inputs, out)  # what backward will check
        out.grad_fn, out._requires_grad = self, True

    def backward_step(self, grad, create_graph=False):
        """The node's part of a backward pass: from the gradient of its output, one
        gradient per input (None for an input that gets none)."""
        if self.freed:
            raise RuntimeError(_FREED)
        if self.saves_inputs or self.saves_output:  # still as forward left them?
            _inplace.check_saved_versions(self)
        grads = self.tensor_backward(grad) if create_graph else self.backward(grad)
        return grads if type(grads) is tuple else (grads,)

    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def tensor_backward(self, grad):
        """``backward`` written in tensor ops, for ``create_graph=True``: ``grad`` and
        the gradients returned are tensors, recorded like any result, so they can be
        differentiated again. The inputs are ``self.inputs``."""
        raise NotImplementedError(
            f"{self.name()} has no backward written in tensor ops, so "
            f"create_graph=True cannot record its gradient (differentiate twice "
            f"through it)")

    def output_in_graph(self):
        """The output that ``backward`` reads (``saves_output``), as a tensor made by
        this node, for ``tensor_backward``: the gradient of the gradient then flows
        through the op again, and an in-place write into the input after forward
        cannot change it (PyTorch saves such outputs the same way)."""
        out = _tensor.Tensor(self.saved_output[0])
        out.grad_fn, out._requires_grad = self, True
        return out

    def release(self):
        """Drop what the node saved, so its arrays can be freed."""
        self.__dict__.clear()
        self.inputs, self.freed = (), True

    @property
    def needs_input_grad(self):
        """One bool per input, as PyTorch's ``ctx.needs_input_grad``: ``backward`` may
        skip the gradients nobody will use (a constant's, the input data's)."""
        return [x.requires_grad for x in self.inputs]

    def read_inputs(self):
        """Positions of the inputs whose values ``backward`` reads: all of them, unless
        an op knows better (a product reads each factor only for the other's gradient,
        so x * 2 never reads x)."""
        return range(len(self.inputs))

    def output_index(self, tensor):
        return 0  # an op has one output

    def name(self):
        return f"{type(self).__name__}Backward"

    @property
    def next_functions(self):
        """PyTorch's edges of the graph, one ``(node, output index)`` per input: the
        node its gradient goes to (:func:`node_of`), or ``None`` for an input that needs
        no gradient. A node freed by a backward pass has no edges left."""
        return tuple([_edge(x) for x in _inplace.inputs_as_recorded(self)])

    def __init_subclass__(cls, **kwargs):
        """A subclass whose ``forward`` is a staticmethod is written in PyTorch's ctx
        style: its ``apply`` becomes ``custom_function.apply_ctx_style``."""
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("forward"), staticmethod):
            from .custom_function import apply_ctx_style

            cls.apply = classmethod(apply_ctx_style)

    def __repr__(self):
        return f"<{self.name()}>"


_FREED = ("Trying to backward through the graph a second time (or directly access "
          "saved tensors after they have already been freed). Saved intermediate "
          "values of the graph are freed when you call .backward() or autograd.grad(). "
          "Specify retain_graph=True if you need to backward through the graph a "
          "second time.")


class AccumulateGrad:
    """The node of a leaf that requires grad, as in PyTorch: the leaf's gradients flow
    into it, and its step adds their sum into the leaf's ``.grad``. The leaf keeps it
    (so hooks on the leaf can live on it); it holds the leaf weakly, so neither keeps
    the other alive."""

    inputs = next_functions = ()
    freed = outputs_several = False

    def __init__(self, leaf):
        self._leaf = weakref.ref(leaf)

    @property
    def variable(self):
        return self._leaf()

    def backward_step(self, grad, create_graph=False):
        leaf = self._leaf()
        if leaf is not None:  # (else nobody can read its .grad any more)
            accumulate_grad(leaf, grad)
        return ()

    def release(self):
        pass  # nothing saved

    def output_index(self, tensor):
        return 0

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad>"


def node_of(x):
    """The node that tensor ``x``'s gradient goes to: the op that made it, or, for a
    leaf, its AccumulateGrad (made on first need)."""
    node = x.grad_fn
    if node is None:
        try:
            node = x._grad_accumulator
        except AttributeError:  # (unset until needed: most tensors are no leaves)
            node = x._grad_accumulator = AccumulateGrad(x)
    return node


def _edge(x):
    if not x._requires_grad:
        return None, 0
    node = node_of(x)
    return node, node.output_index(x)


def accumulate_grad(tensor, grad):
    """Add ``grad`` into ``tensor.grad``: a copy the first time, since ``grad`` may also
    flow elsewhere. A tensor gradient (``create_graph``) is added out of place, so the
    sum stays in the graph."""
    # ``_grad``, not ``grad``: the property's checks are for users; the backward pass
    # has given ``grad`` the tensor's shape, dtype and device already
    if type(grad) is _tensor.Tensor:
        tensor._grad = grad if tensor._grad is None else tensor._grad + grad
    elif tensor._grad is None:
        tensor._grad = _tensor.Tensor(grad.copy())
    else:
        total = tensor._grad.array + grad
        if not total.ndim:  # NumPy makes a 0-d sum a scalar: an array again
            total = backend.get_array_module(grad).asarray(total)
        tensor._grad.array = total


# ---------------------------------------------------------------- the backward pass
def topological_order(*roots):
    """The op nodes reachable from the ``roots``, each after all the nodes that consume
    its output. An explicit stack instead of recursion, so a chain of 100,000 ops is
    fine."""
    order, visited = [], set()
    stack = [(root, False) for root in roots]
    rebased = _inplace.rebases  # (in-place writes in a graph may move inputs: ch. 14)
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif node not in visited:  # (pushed twice, by two consumers: expanded once)
            visited.add(node)  # marked when expanded, so it lands after every consumer
            stack.append((node, True))
            for x in _inplace.inputs_as_recorded(node) if rebased else node.inputs:
                producer = x.grad_fn
                if producer is not None and producer not in visited:
                    stack.append((producer, False))
    order.reverse()  # post-order reversed: consumers before producers
    return order


def backpropagate(grads, retain_graph=False, create_graph=False, keep=None):
    """The backward pass from ``grads``, {node: the gradient of its output}.

    Each op node, consumers first, turns the gradient of its output (complete, since
    all its consumers ran) into one gradient per input, added into what has reached the
    input's node; unless ``retain_graph``, it then lets go of what it saved. What is
    left at the end is the leaves' gradients, for their AccumulateGrad nodes. ``keep``
    may cut the nodes down to the part a call needs (``grad``'s inputs).
    """
    # (a leaf among several seeds must wait for the others: its node runs at the end)
    roots = grads if len(grads) == 1 else [n for n in grads if isinstance(n, Function)]
    order = topological_order(*roots)
    for node in order if keep is None else keep(order):
        grad = grads.pop(node, None)
        if grad is not None:  # (None: no consumer passed a gradient to it)
            for x, g in zip(node.inputs, node.backward_step(grad, create_graph)):
                if g is not None and x._requires_grad:
                    add_gradient(grads, x, g)
        if not retain_graph:
            node.release()
    leaves = grads if keep is None else {n: grads[n] for n in keep(list(grads))}
    for node, grad in leaves.items():  # what is left: the leaves' complete gradients
        node.backward_step(grad, create_graph)


def add_gradient(grads, x, g):
    """Add ``g``, a gradient of tensor ``x``, into what has reached x's node."""
    node = x.grad_fn or node_of(x)  # (the call only for a leaf)
    if node.outputs_several:  # one of a custom Function's outputs: into its slot
        g = node.in_output_slot(x, g)
    elif g.dtype is not x.array.dtype and g.dtype != x.array.dtype:
        g = _in_dtype(g, x.array.dtype)  # (a float32 x, a float64 result)
    grads[node] = grads[node] + g if node in grads else g


def _in_dtype(g, dtype):
    if isinstance(g, _tensor.Tensor):
        return g if g.array.dtype == dtype else g.to(from_numpy_dtype(dtype))
    return g.astype(dtype)


# ---------------------------------------------------------------- the public calls
def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad``
    (``torch.autograd.backward``; ``Tensor.backward`` calls it). Each tensor is
    weighted by its gradient in ``grad_tensors`` (which a scalar may leave out); with
    ``inputs``, only those tensors' ``.grad`` is filled, and they may be intermediate
    tensors."""
    grads = _seeds(tensors, grad_tensors, create_graph)
    if retain_graph is None:
        retain_graph = create_graph  # (as PyTorch: a recorded backward may run again)
    if inputs is not None:
        inputs = _as_tuple(inputs, "inputs")
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        _capture.backpropagate_to(inputs, grads, accumulate_grad, retain_graph,
                                  create_graph)
    elif create_graph:
        with enable_grad():
            backpropagate(grads, retain_graph, create_graph)
    else:
        backpropagate(grads, retain_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned as a tuple
    (``torch.autograd.grad``): the backward pass of ``backward()``, but no ``.grad`` is
    touched. An input may be an intermediate tensor: its gradient is taken as it
    reaches the node that made it. ``allow_unused`` gives None (``materialize_grads``:
    zeros) for an input the outputs do not depend on, instead of an error. With
    ``create_graph``, the gradients are recorded: differentiate them again."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    inputs = _as_tuple(inputs, "inputs")
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if not all(x.requires_grad for x in inputs):
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    collected = {}  # id(input) -> its gradient

    def collect(x, g):
        collected[id(x)] = collected[id(x)] + g if id(x) in collected else g

    grads = _seeds(outputs, grad_outputs, create_graph)
    _capture.backpropagate_to(inputs, grads, collect, retain_graph, create_graph)
    results = []
    for i, x in enumerate(inputs):
        g = collected.get(id(x))
        if g is not None:
            results.append(g if create_graph else _tensor.Tensor(g))
        elif materialize_grads:
            results.append(_tensor.zeros_like(x))
        elif allow_unused:
            results.append(None)
        else:
            raise RuntimeError(
                f"The differentiated Tensor at index {i} appears to not have been used "
                f"in the graph. Set allow_unused=True if this is the desired behavior.")
    return tuple(results)


def _as_tuple(values, what, none_allowed=False):
    """One tensor or a sequence of them (and Nones, where allowed), as a tuple."""
    if isinstance(values, _tensor.Tensor):
        return (values,)
    values = tuple(values) if isinstance(values, (tuple, list)) else (values,)
    for v in values:
        if not (isinstance(v, _tensor.Tensor) or none_allowed and v is None):
            expected = ("can be either Tensors or None" if none_allowed
                        else "must be Tensors")
            raise TypeError(f"{what} {expected}, but got {type(v).__name__}")
    return values


def _seeds(tensors, gradients, create_graph):
    """Where a backward pass starts, {node: gradient}: each tensor's gradient (1 where
    none is given, for scalars only) at its node; tensors with ``create_graph``."""
    grads = {}
    if isinstance(tensors, _tensor.Tensor) and (
            gradients is None or isinstance(gradients, _tensor.Tensor)):
        add_gradient(grads, tensors, _seed(0, tensors, gradients, create_graph))
        return grads  # loss.backward(), the usual call, spared the sequences
    else:
        tensors = _as_tuple(tensors, "outputs")
        gradients = ((None,) * len(tensors) if gradients is None
                     else _as_tuple(gradients, "gradients", True))
        if len(gradients) != len(tensors):
            raise RuntimeError(f"got {len(tensors)} tensors and {len(gradients)} "
                               f"gradients")
        pairs = list(zip(tensors, gradients))
    for i, (tensor, gradient) in enumerate(pairs):
        add_gradient(grads, tensor, _seed(i, tensor, gradient, create_graph))
    return grads


def _seed(i, tensor, gradient, create_graph):
    """The gradient output ``i`` starts with, checked against the output: an array, or
    with ``create_graph`` a tensor (the one given, which may itself require grad)."""
    array = tensor.array
    if not tensor._requires_grad:
        raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                           f"have a grad_fn")
    if gradient is None:
        if array.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs, but output "
                f"{i} has shape {array.shape}; pass a gradient of that shape "
                f"(gradient= to backward(), grad_outputs= to autograd.grad())")
        ones = backend.get_array_module(array).ones_like(array)
        return _tensor.Tensor(ones) if create_graph else ones
    if gradient.array.shape != array.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                           f"{gradient.array.shape} and output[{i}] has a shape of "
                           f"{array.shape}")
    if type(gradient.array) is not type(array):  # NumPy for a CuPy output, or back
        backend.check_same_device((array, gradient.array), "backward")
    if create_graph:
        return gradient
    if gradient.array.dtype is array.dtype or gradient.array.dtype == array.dtype:
        return gradient.array
    return gradient.array.astype(array.dtype)


def zero_grads(params, set_to_none=True):
    """Forget the gradients of the last ``backward()`` (they would otherwise add up):
    drop each ``.grad``, or fill it with zeros. ``Module.zero_grad`` and
    ``Optimizer.zero_grad`` both do this."""
    for param in params:  # (``_grad``: setting None needs none of the setter's checks)
        if param._grad is None:
            continue
        if set_to_none:
            param._grad = None
        else:
            param._grad.zero_()


def _modified_in_place(array, which, version, expected):
    shape = list(array.shape)
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{from_numpy_dtype(array.dtype)!r} {shape}]{which} is at "
        f"version {version}; expected version {expected} instead. Make the change out "
        f"of place (y = x * 2 instead of x.mul_(2)), or after backward()")


# tensor.py imports this module: these are looked up at call time
from . import tensor as _tensor  # noqa: E402
from . import inplace as _inplace  # noqa: E402
from . import capture as _capture  # noqa: E402
from .gradcheck import gradcheck, gradgradcheck  # noqa: E402,F401  (torch.autograd's)
from .hooks import RemovableHandle  # noqa: E402,F401  (autograd.graph.s)


def __getattr__(name):  # torch.autograd.Variable, from before Variables became tensors
    if name == "Variable":
        from .legacy import Variable

        return Variable
    raise AttributeError(f"module 'tinygrad_tutorial.autograd' has no attribute "
                         f"{name!r}")
