"""In-place writes inside the graph, as PyTorch records them.

``h += w`` writes the sum into h's memory, so that every alias of h sees it. When a
gradient is wanted (h or w requires grad), the write is also recorded like any op: h's
``grad_fn`` becomes the write's node (here ``AddBackward``), whose inputs are ``w`` and
h *as it was before the write* (a tensor of its own, with a copy of the old values and
h's old grad_fn), so the gradient reaches both. Moving h onto the new node is what
PyTorch calls rebasing its history. Nodes recorded before the write still hold h itself;
:func:`inputs_as_recorded` sends their gradients to h's old grad_fn.

A write through a view (``y[0].mul_(3)``, or ``y[0] += 1``, which Python runs as a
getitem, an in-place add on the view and a setitem back into y) changes the memory of
the tensor the view was taken from too. That tensor (the view's root) is rebased onto a
:class:`CopySlices` node, which sends the gradient of the written part to the write and
the rest to the root's old value; the view is then taken again from the new root.
"""
from . import autograd, backend, ops
from .autograd import Function, _modified_in_place
from .ops import unbroadcast

rebases = 0  # how many writes moved a tensor onto a new node (see rebase)


# ---------------------------------------------------------------- version checks
def note_versions(node, inputs, out):
    """What :func:`check_saved_versions` will compare with, noted as ``node`` is
    recorded (``Function.record``): the versions of the inputs and the output's version
    counter, where backward reads them; and how many rebases came before it."""
    if rebases:
        node.rebase_count = rebases
    if node.saves_inputs:
        node.input_versions = [x._version_counter[0] for x in inputs]
    if node.saves_output:
        node.saved_output = out.array, out.shared_version_counter()  # (at version 0)


def check_saved_versions(node):
    """Raise if a tensor that ``node``'s backward is about to read was written in place
    after the node was recorded.

    Every in-place write bumps the tensor's version counter (shared by its aliases, see
    ``Tensor._version``); the node noted the versions it saw. A mismatch means the saved
    values are no longer the ones the output was computed from, as in PyTorch.
    """
    if node.saves_inputs:
        versions = [x._version_counter[0] for x in node.inputs]
        if versions != node.input_versions:  # something was written: is it read?
            for i in node.read_inputs():
                x, expected = node.inputs[i], node.input_versions[i]
                if versions[i] != expected:
                    raise _modified_in_place(x.array, "", versions[i], expected)
    if node.saves_output:
        array, counter = node.saved_output
        if counter[0] != 0:
            raise _modified_in_place(
                array, f", which is output 0 of {type(node).__name__},", counter[0], 0)


def _rebase_count(node):
    """How many rebases came before ``node`` was recorded (0 unless noted)."""
    return getattr(node, "rebase_count", 0)


def note_view(node, source, out):
    """If ``out``, made by the view op ``node`` (``ops.View``), shares ``source``'s
    memory: one memory, one version counter; and the node is what an in-place write
    through the view must replay on the source."""
    if backend.is_view_of(out.array, source.array):
        out._version_counter = source.shared_version_counter()
        out._view_of, node.source, node.rebase_count = node, source, rebases


def inputs_as_recorded(node):
    """``node.inputs`` as the node saw them when it was recorded (and from now on).

    An in-place write moves a tensor onto a new node (after ``y += 1``, y's grad_fn is
    that Add), and the write's node keeps, as ``overwritten``, a tensor standing for y
    as it was. A node recorded before the write still holds y itself, and its gradient
    must go to y's old grad_fn: each such input is replaced by the tensor it was then. A
    write's node counts as recorded after every node before it (``rebase_count``), so
    telling them apart is one comparison.
    """
    inputs = node.inputs
    if not rebases:  # nothing was ever written in place inside a graph
        return inputs
    for i, x in enumerate(inputs):
        if x._version_counter is _tensor.NEVER_WRITTEN:  # not written, not aliased
            continue
        recorded = x
        written = recorded.grad_fn
        while written is not None and _rebase_count(written) > _rebase_count(node):
            recorded = written.overwritten  # (a write recorded after the node)
            written = recorded.grad_fn
        check_view_is_current(node, recorded)
        if recorded is not x:
            inputs = inputs[:i] + (recorded,) + inputs[i + 1:]
    if inputs is not node.inputs:
        node.inputs = inputs
    return inputs


def is_recorded(target, operands):
    """Whether an in-place write into ``target`` goes into the graph: gradients are on,
    and the target or one of the tensors among ``operands`` requires grad."""
    return autograd.is_grad_enabled() and (target._requires_grad or any(
        [isinstance(x, _tensor.Tensor) and x._requires_grad for x in operands]))


def write(target, compute, operands, reads_old_values=True):
    """Write ``compute(old, *operands)`` into ``target``'s memory and record the write;
    returns the target.

    ``old`` stands for the target as it is before the write, also where the target is
    one of the ``operands`` (``y.mul_(y)``). When ``reads_old_values``, it holds a copy
    of the values, since the nodes that ``compute`` records may read them in backward
    and the write overwrites them (PyTorch keeps the original ``self`` the same way);
    otherwise ``old`` is the target's own memory (a setitem writes into it; its backward
    reads no values).
    """
    root, view_ops = _root_of_view(target)
    if root is None:
        old = _snapshot(target, copy=reads_old_values)
    else:
        if root._requires_grad and root.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being "
                               "used in an in-place operation.")
        # the view as the root is now (its own grad_fn may predate writes into the root)
        old = _snapshot(_view_from(root, view_ops), copy=reads_old_values)
    result = compute(old, *[old if x is target else x for x in operands])
    target._write(result)
    if result.grad_fn is None:  # nothing needs a gradient after all (an integer result)
        return target
    if root is None:
        rebase(target, result.grad_fn)
        return target
    rebase(root, CopySlices.apply(root, result, view_ops=view_ops).grad_fn)
    view = _view_from(root, view_ops)  # the view again, now from the root's new node
    target.grad_fn, target._requires_grad = view.grad_fn, True
    target._view_of = view._view_of
    return target


def set_values(target, node, index, value):
    """``target[index] = value`` recorded with the SetItem-like ``node``."""
    return write(target, lambda old, value: node.apply(old, value, index=index),
                 (value,), reads_old_values=False)


def rebase(tensor, node):
    """Make ``node``, recorded on ``tensor``'s old values, the tensor's grad_fn.

    The node keeps, as ``overwritten``, a tensor standing for ``tensor`` before the
    write (the same memory and version counter, the old grad_fn), which is where nodes
    recorded earlier send their gradients; it counts as recorded after all of them. An
    input of the node that is ``tensor`` itself is the old one too.
    """
    global rebases
    overwritten = _snapshot(tensor, copy=False)
    rebases += 1
    node.rebase_count, node.overwritten = rebases, overwritten
    node.inputs = tuple([overwritten if x is tensor else x for x in node.inputs])
    tensor.grad_fn, tensor._requires_grad = node, True


def _snapshot(tensor, copy):
    """A new tensor with ``tensor``'s place in the graph (grad_fn, requires_grad) and
    either a copy of its values or its memory and version counter."""
    snapshot = _tensor.Tensor(tensor.array.copy() if copy else tensor.array)
    if not copy:
        snapshot._version_counter = tensor.shared_version_counter()
    snapshot.grad_fn, snapshot._requires_grad = tensor.grad_fn, tensor._requires_grad
    return snapshot


# ---------------------------------------------------------------- views
def _root_of_view(target):
    """``(root, view_ops)`` when ``target`` is a view of another tensor's memory: the
    tensor at the end of the chain of views, and the ops that take the view from it,
    root first, as ``(op, options)``; ``(None, None)`` when the target is no view."""
    view_ops, tensor = [], target
    node = getattr(tensor, "_view_of", None)
    while node is not None and not node.freed:  # a freed node has let go of its source
        view_ops.append(_view_op(node, tensor))
        tensor = node.source
        node = getattr(tensor, "_view_of", None)
    if not view_ops:
        return None, None
    view_ops.reverse()
    return tensor, view_ops


def _view_op(node, view):
    """``(op, options)`` that make ``view`` again from the tensor it was taken from."""
    if type(node) is ops.GetItem:
        return ops.GetItem, {"index": node.index, "advanced": node.advanced}
    if type(node) is ops.Reshape:
        return ops.Reshape, {"shape": tuple(view.shape)}
    if type(node) is ops.Permute:
        return ops.Permute, {"dims": node.dims}
    raise RuntimeError(f"an in-place write into a view made by {type(node).__name__} "
                       f"(several elements may share one memory location) is not "
                       f"supported; clone() the tensor first")


def _view_from(source, view_ops):
    """The view that ``view_ops`` take from ``source``: a tensor (recorded), or an
    array."""
    for op, options in view_ops:
        if isinstance(source, _tensor.Tensor):
            source = op.apply(source, **options)
        else:
            source = op().forward(source, **options)
    return source


def check_view_is_current(node, x):
    """Raise if ``x``, an input of ``node``, is a view whose memory was written in place
    through another tensor (its root, or another view of it) after the view was taken
    and before ``node`` used it: x's grad_fn still leads to the values before that
    write. (PyTorch takes such a view again from its root; here the program must.)"""
    view = getattr(x, "_view_of", None)
    if view is None:
        return
    taken = _rebase_count(view)
    while view is not None and not view.freed:
        source = view.source
        written = source.grad_fn  # the nodes of writes into the source, newest first
        while written is not None and _rebase_count(written) > taken:
            if written is not node and _rebase_count(written) <= _rebase_count(node):
                raise RuntimeError(
                    f"a view of shape {list(x.shape)} was used after an in-place write "
                    f"into the tensor it is a view of (shape {list(source.shape)}, now "
                    f"{written.name()}), made after the view was taken: its gradient "
                    f"would miss that write. Not supported: take the view again after "
                    f"the write, or write through the view itself")
            written = written.overwritten.grad_fn
        view = getattr(source, "_view_of", None)


class CopySlices(Function):
    """The node of a tensor written in place through one of its views (PyTorch's
    ``CopySlices``); its inputs: the tensor before the write and the view's new
    value."""

    saves_inputs = False

    def forward(self, root, written, view_ops):  # the values are in the root's memory
        self.view_ops = view_ops
        return root

    def backward(self, grad):  # the written part's gradient to the write, the rest back
        positions = self.positions(grad)
        rest = grad.flatten()  # a copy
        written = rest[positions]
        rest[positions] = 0
        return rest.reshape(grad.shape), written

    def tensor_backward(self, grad):
        positions = self.positions(grad.array)
        flat = grad.reshape(-1)
        rest = _zeroed(flat, IndexPut, (positions,))
        return rest.reshape(grad.shape), flat[positions]

    def positions(self, grad):
        """Where the view's elements are in the flattened root."""
        flat_positions = backend.get_array_module(grad).arange(grad.size)
        return _view_from(flat_positions.reshape(grad.shape), self.view_ops)

    def name(self):
        return "CopySlices"


class SetItem(Function):
    """``a[index] = value`` in the graph. ``forward`` writes into ``a``, which is the
    target's own memory (``write(..., reads_old_values=False)``); backward reads no
    values."""

    saves_inputs = False
    advanced = False  # whether the index holds index arrays (see ops.GetItem)

    def forward(self, a, value, index):
        self.index, self.value_shape = index, value.shape
        view, where = self.place(a)
        view[where] = value
        return a

    def backward(self, grad):  # overwritten elements get no gradient, the value theirs
        rest = grad.copy()
        view, where = self.place(rest)
        view[where] = 0
        view, where = self.place(grad)
        if not any([item is Ellipsis for item in where]):
            where += (Ellipsis,)  # one element as a 0-d array, not a NumPy scalar
        written = view[where]
        return rest, unbroadcast(written, self.value_shape)

    def tensor_backward(self, grad):
        written = ops.GetItem.apply(grad, index=self.index, advanced=self.advanced)
        return (_zeroed(grad, type(self), self.index),
                written.sum_to_size(self.value_shape))

    def place(self, array):
        """``(view, where)``: ``view[where]`` are the elements the index selects."""
        return array, self.index

    def name(self):  # PyTorch's name: a[1:] = v writes through the view a[1:]
        return "CopySlices"


class IndexPut(SetItem):  # a[mask] = v, a[[0, 2]] = v: an index_put_ in PyTorch
    name = Function.name
    advanced = True

    def place(self, array):  # x[0, :, idx] = v: v has the shape that x[0, :, idx] has
        return ops.in_torch_layout(array, self.index)


class Fill(SetItem):  # x.fill_(value): x[...] = value
    name = Function.name


class Zero(Fill):
    pass


class Scatter(SetItem):  # x.scatter_(dim, index, src): x[positions] = src
    name = Function.name
    advanced = True


class Copy(SetItem):  # x.copy_(source): x[...] = source
    def name(self):
        return "CopyBackwards"


def _zeroed(grad, setitem, index):
    """``grad`` with zeros where the SetItem op ``setitem`` writes at ``index``: the
    write done on a copy and recorded (so it can be differentiated again: it is its
    own backward), as PyTorch's out-of-place ``index_put``."""
    return setitem.apply(grad.clone(), grad.new_zeros(()), index=index)


from . import tensor as _tensor  # noqa: E402  (last: tensor.py imports this module)
