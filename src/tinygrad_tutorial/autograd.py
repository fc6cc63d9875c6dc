"""The dynamic graph and reverse-mode automatic differentiation.

Every op is a :class:`Function`. Calling ``SomeOp.apply(x, y)`` runs its
``forward`` on the raw arrays and, when gradients are wanted, returns a tensor
whose ``grad_fn`` is that Function: a node that remembers its inputs and what
it saved. :func:`backward` walks these nodes from the output back to the leaves;
:func:`grad` walks them the same way, but returns the gradients instead of
adding them into ``.grad``.

Code written for PyTorch defines its own ops in PyTorch's *ctx style* instead
(``forward(ctx, ...)`` and ``backward(ctx, ...)`` as staticmethods, on tensors);
``Function`` runs those too (``custom_function.py``).
"""
import functools
import weakref

from . import backend
from .dtypes import from_numpy_dtype

_grad_enabled = True
_tracer = None  # set by jit.trace while it records; every op reports itself to it (see Function.apply)
# How many in-place writes have moved a tensor onto a new node (see inplace.py). Each
# node notes the count when it is recorded: a consumer with a lower count than its
# input's grad_fn was recorded before that write.
_rebase_count = 0


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
    gathers_output_grads = False  # True for a node with several outputs: backward() gathers one gradient each
    output_hooks = None  # {output index: _TensorHooks} once register_hook or retain_grad asks for one
    rebase_count = 0  # _rebase_count when recorded (a write's node: the count after it)

    def __init_subclass__(cls, **kwargs):
        """A subclass whose ``forward`` is a staticmethod is written in PyTorch's ctx style: its ``apply``
        becomes ``custom_function.apply_ctx_style``, decided here once per class, so the ops' ``apply`` pays nothing."""
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("forward"), staticmethod):
            from .custom_function import apply_ctx_style

            cls.apply = classmethod(apply_ctx_style)

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
            # what an in-place write through the view must update too (see inplace.py)
            out._view_of, node.source = node, inputs[0]
            node.rebase_count = _rebase_count
        # only floating-point outputs carry gradients: x.long() is cut from the graph, as in PyTorch
        if _grad_enabled and any([x._requires_grad for x in inputs]) and out.array.dtype.kind == "f":
            node.inputs, node.rebase_count = inputs, _rebase_count
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

    def output_index(self, tensor):
        return 0  # an op has one output

    def run_output_hooks(self, grad):
        return self.output_hooks[0](grad)

    def release(self):
        """Drop what the node holds so its arrays can be freed; the node stays as a marker."""
        self.__dict__.clear()
        self.inputs, self.freed = (), True

    def name(self):
        return f"{type(self).__name__}Backward"

    @property
    def next_functions(self):
        """PyTorch's edges of the graph, one ``(node, output index)`` per input: the node that made the input, an
        :class:`AccumulateGrad` for a leaf that requires grad, ``None`` for an input that needs no gradient. Built
        from ``inputs`` when asked for (``apply`` records nothing more); a node freed by ``backward()`` has let go
        of its inputs, so it has no edges left."""
        return tuple([_edge(x) for x in inputs_as_recorded(self)])

    def __repr__(self):
        return f"<{self.name()}>"


def inputs_as_recorded(node):
    """``node.inputs`` as the node saw them when it was recorded.

    An in-place write moves a tensor onto a new node (after ``y += 1``, y's grad_fn is
    that Add), and the write's node keeps, as ``overwritten``, a tensor standing for y
    as it was. A node recorded before the write still holds y itself, and its gradient
    must go to y's old grad_fn: each such input is replaced by the tensor it was then. A
    write's node counts as recorded after every node before it
    (``Function.rebase_count``), so telling them apart is one comparison.
    """
    inputs = node.inputs
    if not _rebase_count:  # nothing was ever written in place inside a graph
        return inputs
    for i, x in enumerate(inputs):
        if x._version_counter is _tensor.NEVER_WRITTEN:  # not written, not aliased
            continue
        recorded = x
        written = recorded.grad_fn
        while written is not None and written.rebase_count > node.rebase_count:
            recorded = written.overwritten  # (a write recorded after the node)
            written = recorded.grad_fn
        _inplace.check_view_is_current(node, recorded)
        if recorded is not x:
            inputs = inputs[:i] + (recorded,) + inputs[i + 1:]
    return inputs


def _modified_in_place(array, which, version, expected):
    shape = list(array.shape)
    return RuntimeError(f"one of the variables needed for gradient computation has been modified by an inplace "
                        f"operation: [{from_numpy_dtype(array.dtype)!r} {shape}]{which} is at version "
                        f"{version}; expected version {expected} instead. Make the change out of place "
                        f"(y = x * 2 instead of x.mul_(2)), or after backward()")


# ---------------------------------------------------------------- the graph as PyTorch shows it
class AccumulateGrad:
    """What PyTorch's ``next_functions`` shows for a leaf that requires grad: the node that adds the leaf's
    gradient into its ``.grad`` (here :func:`backward` does that itself, so this node exists only to be looked
    at). One per leaf, for as long as anybody holds it, so a walk over the graph meets the same one twice."""

    next_functions = ()
    _of_leaf = weakref.WeakValueDictionary()  # id(leaf) -> its AccumulateGrad (which keeps the leaf, and the id, alive)

    def __init__(self, variable):
        self.variable = variable

    @classmethod
    def of(cls, leaf):
        node = cls._of_leaf.get(id(leaf))
        if node is None:
            node = cls._of_leaf[id(leaf)] = cls(leaf)
        return node

    def name(self):
        return "AccumulateGrad"

    def __repr__(self):
        return "<AccumulateGrad>"


def _edge(x):
    """``(node, output index)`` for one input of a node, as in PyTorch's ``next_functions``."""
    node = x.grad_fn
    if node is not None:
        return node, node.output_index(x)
    return (AccumulateGrad.of(x) if x.requires_grad else None), 0


# ---------------------------------------------------------------- the backward pass
def topological_order(*roots):
    """Nodes reachable from the ``roots``, each after every node that consumes its output.

    An explicit stack instead of recursion, so a chain of 100,000 ops is fine.
    """
    order, visited = [], set()
    stack = []
    for root in roots:  # a loop, not a comprehension: this runs at every backward() and costs less
        stack.append((root, False))
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if node in visited:  # pushed twice (two consumers) before it was expanded: expand once
            continue
        visited.add(node)  # marked when expanded, not when pushed, so it lands after every consumer
        stack.append((node, True))
        if _rebase_count:  # some tensor was written in a graph: what did the node see?
            node.inputs = inputs_as_recorded(node)
        for x in node.inputs:
            parent = x.grad_fn
            if parent is not None and parent not in visited:
                stack.append((parent, False))
    order.reverse()  # post-order reversed: consumers before producers
    return order


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (``torch.autograd.backward``; ``Tensor.backward``
    calls it). Each tensor is weighted by its gradient in ``grad_tensors`` (which a scalar may leave out); with
    ``inputs``, only those tensors' ``.grad`` is filled, and they may be intermediate tensors."""
    if create_graph:
        _refuse_create_graph()
    if inputs is not None:
        inputs = _as_tuple(inputs, "inputs")
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    _backpropagate(_seeds(tensors, grad_tensors), retain_graph, _accumulate_into_leaf, inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned as a tuple (``torch.autograd.grad``):
    the backward pass of ``backward()``, but no ``.grad`` is touched. An input may be an intermediate tensor:
    its gradient is taken as it leaves the node that made it. ``allow_unused`` gives None (``materialize_grads``:
    zeros) for an input the outputs do not depend on, instead of an error."""
    if create_graph:
        _refuse_create_graph()
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    inputs = _as_tuple(inputs, "inputs")
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if not all(x.requires_grad for x in inputs):
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    collected = {}  # id(input) -> its gradient

    def collect(x, g):
        collected[id(x)] = collected[id(x)] + g if id(x) in collected else g

    _backpropagate(_seeds(outputs, grad_outputs), retain_graph, collect, inputs)
    grads = []
    for i, x in enumerate(inputs):
        if id(x) in collected:
            grads.append(_tensor.Tensor(collected[id(x)]))
        elif materialize_grads:
            grads.append(_tensor.zeros_like(x))
        elif allow_unused:
            grads.append(None)
        else:
            raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                               f"Set allow_unused=True if this is the desired behavior.")
    return tuple(grads)


def _refuse_create_graph():
    raise NotImplementedError(
        "create_graph=True (recording the backward pass, to differentiate gradients again) is not supported: "
        "every op's backward here computes on raw arrays, so the gradients it returns have no graph; double "
        "backward would need each backward written with differentiable tensor ops")


def _as_tuple(values, what, none_allowed=False):
    """One tensor or a sequence of them (and Nones, where allowed), as a tuple."""
    if isinstance(values, _tensor.Tensor):
        return (values,)
    values = tuple(values) if isinstance(values, (tuple, list)) else (values,)
    for v in values:
        if not (isinstance(v, _tensor.Tensor) or none_allowed and v is None):
            expected = "can be either Tensors or None" if none_allowed else "must be Tensors"
            raise TypeError(f"{what} {expected}, but got {type(v).__name__}")
    return values


def _seeds(tensors, gradients):
    """Where a backward pass starts: [(tensor, gradient array)], the gradient 1 where none is given (scalars only)."""
    if isinstance(tensors, _tensor.Tensor) and (gradients is None or isinstance(gradients, _tensor.Tensor)):
        return [_seed(0, tensors, gradients)]  # loss.backward(), the usual call, spared the sequences
    tensors = _as_tuple(tensors, "outputs")
    gradients = (None,) * len(tensors) if gradients is None else _as_tuple(gradients, "gradients", True)
    if len(gradients) != len(tensors):
        raise RuntimeError(f"got {len(tensors)} tensors and {len(gradients)} gradients")
    return [_seed(i, tensor, gradient) for i, (tensor, gradient) in enumerate(zip(tensors, gradients))]


def _seed(i, tensor, gradient):
    """(output ``i``, its gradient array), checked against the output."""
    array = tensor.array
    if not tensor._requires_grad:
        raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
    if gradient is None:
        if array.size != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs, but output {i} has shape "
                               f"{array.shape}; pass a gradient of that shape (gradient= to backward(), "
                               f"grad_outputs= to autograd.grad())")
        return tensor, backend.get_array_module(array).ones_like(array)
    gradient = gradient.array
    if gradient.shape != array.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {gradient.shape} and output[{i}] "
                           f"has a shape of {array.shape}")
    if type(gradient) is not type(array):  # a NumPy gradient for a CuPy output, or the reverse
        backend.check_same_device((array, gradient), "backward")
    return tensor, (gradient if gradient.dtype == array.dtype else gradient.astype(array.dtype))


def _backpropagate(seeds, retain_graph, deliver, inputs=None):
    """The backward pass that ``backward`` and ``grad`` share.

    From the seeds, [(tensor, its gradient)], the nodes in topological order each turn the gradient of their
    output into gradients of their inputs, and every gradient that reaches a leaf goes to ``deliver(leaf,
    gradient)``: several calls for one leaf add up, except that a leaf with hooks gets one call, with the sum,
    once its hooks have run on it. With ``inputs``, only the part of the graph that leads to them runs, as in
    PyTorch (hooks elsewhere stay silent, nodes elsewhere are not freed), and only they are delivered to; an
    intermediate one gets its gradient as it leaves the node that made it.
    """
    grads = {}  # gradient flowing into each node's output (a list of them for a node that gathers one per output)
    held = {}  # leaf -> its gradient, summed before delivery: a seed leaf, or one whose hooks run once, on the sum
    for tensor, gradient in seeds:
        node = tensor.grad_fn
        if node is None:
            held[tensor] = held[tensor] + gradient if tensor in held else gradient
        elif node.gathers_output_grads:
            node.add_output_grad(grads, tensor, gradient)
        else:
            grads[node] = grads[node] + gradient if node in grads else gradient
    order = topological_order(*grads)  # from the nodes that made the seeds
    wanted = captured_at = None  # None: every leaf is wanted
    if inputs is not None:
        order, wanted, captured_at, runs = _part_leading_to(order, inputs)
        held = {leaf: g for leaf, g in held.items() if id(leaf) in wanted}
    leaf_hooks = _leaf_hooks or None  # None, the usual case, spares a lookup per leaf
    for node in order:
        grad = grads.pop(node, None)
        # an intermediate input of grad() gets its gradient here; as in PyTorch's engine, before the tensor's hooks
        # when the node runs on (they run with its backward), after them when it does not
        captures = captured_at.get(node) if captured_at is not None else None
        if captures and node in runs:
            _deliver_captured(node, grad, captures, deliver)
        if grad is not None and node.output_hooks is not None:  # register_hook, retain_grad: the gradient is complete
            grad = node.run_output_hooks(grad)
        if captures and node not in runs:
            _deliver_captured(node, grad, captures, deliver)
            continue
        if node.freed:
            raise RuntimeError("Trying to backward through the graph a second time (or directly access saved "
                               "tensors after they have already been freed). Saved intermediate values of the graph "
                               "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True "
                               "if you need to backward through the graph a second time.")
        if grad is None:  # every consumer of this node's output returned no gradient for it
            if not retain_graph:
                node.release()
            continue
        node.check_saved_versions()
        input_grads = node.backward(grad)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for x, g in zip(node.inputs, input_grads):
            if g is None or not x._requires_grad:
                continue
            if g.dtype != x.array.dtype:
                g = g.astype(x.array.dtype)
            parent = x.grad_fn
            if parent is None:
                if wanted is not None and id(x) not in wanted:
                    continue  # a leaf that grad() was not asked about
                if leaf_hooks is not None and id(x) in leaf_hooks:
                    held[x] = held[x] + g if x in held else g
                else:
                    deliver(x, g)
            elif parent.gathers_output_grads:  # a custom Function: x is one of its outputs, with a slot each
                parent.add_output_grad(grads, x, g)
            elif parent in grads:
                grads[parent] = grads[parent] + g  # a new array: g may be shared by other inputs
            else:
                grads[parent] = g
        if not retain_graph:
            node.release()
    if held:
        for leaf, g in held.items():
            deliver(leaf, _leaf_hooks[id(leaf)](g) if id(leaf) in _leaf_hooks else g)


def _deliver_captured(node, grad, captures, deliver):
    """The gradient of each intermediate input that ``node`` made (a slot of ``grad`` for a multi-output node)."""
    for x in captures.values():
        g = grad[node.output_index(x)] if node.gathers_output_grads and grad is not None else grad
        if g is not None:
            deliver(x, g)


def _part_leading_to(order, inputs):
    """The part of ``order`` that a backward pass with ``inputs`` runs: the order kept for the nodes with a path
    to an input, and for those that made an intermediate input; also the ids of the inputs, the intermediate
    inputs by the node that made them, and the set of nodes whose backward must run."""
    wanted = {id(x) for x in inputs}
    captured_at = {}
    for x in inputs:
        if x.grad_fn is not None:
            captured_at.setdefault(x.grad_fn, {})[id(x)] = x  # a dict: an input given twice is delivered once
    runs = set()
    for node in reversed(order):  # producers first, so whether a node's parents run is already decided
        # a freed node has let go of its inputs, so where it leads is unknown: it runs, to raise that it is freed
        if node.freed or any([id(x) in wanted or x.grad_fn in runs for x in node.inputs]):
            runs.add(node)
    return [node for node in order if node in runs or node in captured_at], wanted, captured_at, runs


def _accumulate_into_leaf(tensor, grad):
    # ``_grad``, not ``grad``: the assignment checks of the property are for users; the
    # backward pass has given ``grad`` the leaf's shape, dtype and device already
    if tensor._grad is None:
        tensor._grad = _tensor.Tensor(grad.copy())  # a copy: ``grad`` may also flow elsewhere
    else:
        total = tensor._grad.array + grad
        if not total.ndim:  # NumPy makes a 0-d sum a scalar: an array again
            total = backend.get_array_module(grad).asarray(total)
        tensor._grad.array = total


def zero_grads(params, set_to_none=True):
    """Forget the gradients of the last ``backward()`` (they would otherwise add up): drop each
    ``.grad``, or fill it with zeros. ``Module.zero_grad`` and ``Optimizer.zero_grad`` both do this."""
    for param in params:  # (``_grad``: setting None needs none of the setter's checks)
        if param._grad is None:
            continue
        if set_to_none:
            param._grad = None
        else:
            param._grad.zero_()


# ---------------------------------------------------------------- hooks on a tensor's gradient
_leaf_hooks = {}  # id(leaf) -> _TensorHooks (a leaf has no node to hold them); emptied as leaves die


def register_hook(tensor, hook):
    """``Tensor.register_hook``: ``hook(grad)`` runs when ``tensor``'s gradient is complete."""
    return RemovableHandle(_hooks_of(tensor).hooks, hook)


def retain_grad(tensor):
    _hooks_of(tensor).retained = weakref.ref(tensor)


def _hooks_of(tensor):
    """The hooks on ``tensor``'s gradient, made on first need: a computed tensor's live on the node that made
    it (one set per output), a leaf's in ``_leaf_hooks`` until the leaf is garbage."""
    node = tensor.grad_fn
    if node is None:
        key = id(tensor)
        if key not in _leaf_hooks:
            _leaf_hooks[key] = _TensorHooks()
            weakref.finalize(tensor, _leaf_hooks.pop, key, None)
        return _leaf_hooks[key]
    if node.output_hooks is None:
        node.output_hooks = {}
    return node.output_hooks.setdefault(node.output_index(tensor), _TensorHooks())


class _TensorHooks:
    """What runs on one tensor's complete gradient: the ``register_hook`` hooks in order (a tensor one returns
    replaces the gradient), then ``retain_grad``'s copy into ``.grad``, last, so it keeps the final gradient
    (as in PyTorch)."""

    def __init__(self):
        self.hooks = {}  # handle -> hook, in the order registered
        self.retained = None  # a weak reference to the non-leaf tensor whose ``.grad`` keeps the gradient

    def __call__(self, grad):
        for hook in list(self.hooks.values()):
            with no_grad():
                result = hook(_tensor.Tensor(grad))
            if result is not None:
                grad = _checked_hook_result(hook, result, grad)
        retained = self.retained() if self.retained is not None else None
        if retained is not None:
            _accumulate_into_leaf(retained, grad)
        return grad


def _checked_hook_result(hook, result, grad):
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(result, _tensor.Tensor):
        raise TypeError(f"expected Tensor, but hook returned '{type(result).__name__}'")
    if tuple(result.shape) != tuple(grad.shape):
        raise RuntimeError(f"hook '{name}' has changed the size of value: the gradient has shape "
                           f"{tuple(grad.shape)}, the hook returned shape {tuple(result.shape)}")
    if result.array.dtype != grad.dtype or result.device != backend.device_of(grad):
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {from_numpy_dtype(grad.dtype)!r} on "
                           f"{backend.device_of(grad)} got {result.dtype!r} on {result.device})")
    return result.array


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook out again."""

    def __init__(self, hooks, hook):
        self.hooks = hooks
        hooks[self] = hook

    def remove(self):
        self.hooks.pop(self, None)


from . import tensor as _tensor  # noqa: E402  (last: tensor.py imports this module; Tensor is looked up at call time)
from . import inplace as _inplace  # noqa: E402
from .gradcheck import gradcheck  # noqa: E402,F401  (torch.autograd.gradcheck's home)


def __getattr__(name):  # torch.autograd.Variable, from before Variables became tensors
    if name == "Variable":
        from .legacy import Variable

        return Variable
    raise AttributeError(f"module 'tinygrad_tutorial.autograd' has no attribute "
                         f"{name!r}")
