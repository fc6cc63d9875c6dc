"""Backward passes that stop at chosen tensors: ``autograd.grad(outputs, inputs)`` and
``backward(inputs=...)``.

Each input's gradient is taken where it reaches the input's node (``node_of``: the op
that made it, or a leaf's AccumulateGrad), by wrapping that node's ``backward_step``
for the length of the pass. Only the part of the graph that leads to an input runs,
as in PyTorch: hooks elsewhere stay silent, and nodes elsewhere are not freed.
"""
from . import autograd, hooks


def backpropagate_to(inputs, grads, deliver, retain_graph, create_graph):
    """Backpropagate from ``grads`` and call ``deliver(x, gradient)`` for each input
    ``x`` its gradient reaches, instead of accumulating into the leaves' ``.grad``."""
    order = autograd.topological_order(*grads)
    targets = {}  # node -> the inputs whose gradient it receives (an input given twice
    for x in inputs:  # counts once)
        targets.setdefault(autograd.node_of(x), {})[id(x)] = x
    runs = _nodes_leading_to(order, targets)
    wrapped = []
    try:
        for node, captured in targets.items():
            wrapped.append((node, node.__dict__.get("backward_step")))
            node.backward_step = _Capture(node, captured, deliver, node in runs)
            if node not in runs:  # its backward does not run: it keeps what it saved
                node.release = _keep
        with autograd.set_grad_enabled(create_graph):
            autograd.backpropagate(
                grads, retain_graph, create_graph,
                keep=lambda nodes: [n for n in nodes if n in runs or n in targets])
    finally:
        for node, step in reversed(wrapped):  # as they were (a freed node: cleared)
            if node.freed:
                continue
            node.__dict__.pop("release", None)
            if step is None:
                node.__dict__.pop("backward_step", None)
            else:
                node.backward_step = step


def _keep():
    pass


def _nodes_leading_to(order, targets):
    """The nodes of ``order`` whose backward must run for a gradient to reach a target
    node: those with an input whose node is a target or runs itself."""
    runs = set()
    for node in reversed(order):  # producers first: whether inputs' nodes run is known
        # a freed node has let go of its inputs: it runs, to raise that it is freed
        inputs_nodes = [autograd.node_of(x) for x in node.inputs if x._requires_grad]
        if node.freed or any([n in targets or n in runs for n in inputs_nodes]):
            runs.add(node)
    return runs


class _Capture:
    """The ``backward_step`` of an input's node during the pass: it hands the gradient
    of each captured input to ``deliver``. As in PyTorch's engine, that is before the
    tensor's hooks when the node runs on (they run with its backward), after them when
    it does not (the input is a leaf, or nothing beyond it is wanted)."""

    def __init__(self, node, captured, deliver, runs_on):
        self.node, self.captured, self.deliver = node, captured, deliver
        self.step, self.runs_on = node.backward_step, runs_on

    def __call__(self, grad, create_graph=False):
        if self.runs_on:
            self._deliver(grad)
            return self.step(grad, create_graph)
        self._deliver(hooks.hooked(self.node, grad))
        return ()

    def _deliver(self, grad):
        for x in self.captured.values():
            g = grad[self.node.output_index(x)] if self.node.outputs_several else grad
            if g is not None:
                self.deliver(x, g)
