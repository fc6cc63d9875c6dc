"""Tracing: turn a function of tensors into a static graph.

Everywhere else in this package the graph is dynamic: it is rebuilt by running
Python on every call, so an ``if`` or a loop can depend on the data. A static-graph
framework (``torch.jit.trace``, TensorFlow's ``tf.function``) runs the function
once on example inputs, records the ops it performed, and from then on replays
that list without running the function's Python again.

``trace(fn, example_inputs)`` does this with one hook: while it records, every
``Function.apply`` reports (op, inputs, options, output) to it. Replaying goes
through ``Function.apply`` again, so gradients flow through a replay as usual.

What a trace cannot see is frozen at trace time: the branch an ``if`` took, a
Python number read with ``.item()``, a comparison or a random mask (dropout)
computed outside the recorded ops. The tracer warns (``TracerWarning``) when a
tensor becomes a Python value while it records, and when an op takes an array
option (a mask or an index), since replays will reuse that array as it was.
"""
import warnings
from typing import NamedTuple

import numpy as np

from . import autograd, backend
from .tensor import Tensor


class TracerWarning(UserWarning):
    """Something the traced function did will not follow new inputs: it is frozen into
    the trace."""


class TracedOp(NamedTuple):
    """One recorded op. Each entry of ``inputs`` is either the index of an earlier value
    (the traced function's inputs come first, then each op's output) or a constant
    tensor captured as it is, such as a parameter: replays read its current values, and
    its gradient still accumulates."""

    function: type
    inputs: tuple
    options: dict


class TracedFunction:
    """A recorded list of ops, replayed on new inputs of the traced shapes:
    ``traced(*inputs)``."""

    def __init__(self, graph, example_inputs, outputs, returns_tuple, constant_names):
        self.graph = graph
        self.input_specs = [(tuple(x.shape), x.dtype, x.device) for x in example_inputs]
        # value indices (or constant tensors) of what the function returned
        self.outputs = outputs
        constants = {id(i): i for op in graph for i in op.inputs if type(i) is not int}
        self.constants = tuple(constants.values())
        self.returns_tuple = returns_tuple
        self.constant_names = constant_names

    def __call__(self, *inputs):
        self._check(inputs)
        if autograd.is_grad_enabled() and any(x.requires_grad
                                              for x in inputs + self.constants):
            outputs = self._replay_recording_graph(inputs)
        else:
            outputs = self._replay_on_arrays(inputs)
        return outputs if self.returns_tuple else outputs[0]

    def _replay_recording_graph(self, inputs):
        """Each op through ``Function.apply``, which records the graph that
        ``backward()`` walks."""
        values = list(inputs)
        for op in self.graph:
            args = [values[i] if type(i) is int else i for i in op.inputs]
            values.append(op.function.apply(*args, **op.options))
        return tuple(values[i] if type(i) is int else i for i in self.outputs)

    def _replay_on_arrays(self, inputs):
        """No gradients wanted: run each op's ``forward`` on raw arrays, with no tensors
        or graph nodes in between (the shapes, dtypes and devices were checked once,
        when tracing)."""
        values = [x.array for x in inputs]
        for op in self.graph:
            args = [values[i] if type(i) is int else i.array for i in op.inputs]
            values.append(op.function().forward(*args, **op.options))
        return tuple(Tensor(values[i]) if type(i) is int else i for i in self.outputs)

    def _check(self, inputs):
        expected = [spec[0] for spec in self.input_specs]
        if len(inputs) != len(expected):
            raise TypeError(f"the traced function takes {len(expected)} input(s), of "
                            f"shapes {expected}; got {len(inputs)}")
        for i, (x, (shape, dtype, device)) in enumerate(zip(inputs, self.input_specs)):
            if not isinstance(x, Tensor):
                raise TypeError(f"input {i} of the traced function must be a Tensor, "
                                f"got {type(x).__name__}")
            if tuple(x.shape) != shape:
                raise RuntimeError(
                    f"input {i} has shape {tuple(x.shape)} but the function was traced "
                    f"with shape {shape}; a traced graph is fixed to its shapes: trace "
                    "again for new ones")
            if x.dtype != dtype or x.device != device:
                raise RuntimeError(f"input {i} is {x.dtype} on {x.device} but the "
                                   f"function was traced with {dtype} on {device}")

    @property
    def code(self):
        """The recorded graph as Python-like text: one line per op."""
        inputs = [f"x{i}" for i in range(len(self.input_specs))]
        lines = [f"def traced({', '.join(inputs)}):"]
        for index, op in enumerate(self.graph, start=len(inputs)):
            args = [self._name(i) for i in op.inputs]
            args += [f"{k}={_short(v)}" for k, v in op.options.items()]
            lines.append(f"    v{index} = {op.function.__name__}({', '.join(args)})")
        lines.append(f"    return {', '.join(self._name(i) for i in self.outputs)}")
        return "\n".join(lines)

    def _name(self, ref):
        # a constant: a parameter's name, a number, or its shape
        if type(ref) is not int:
            default = (repr(ref.item()) if ref.ndim == 0
                       else f"<constant {tuple(ref.shape)}>")
            return self.constant_names.get(id(ref), default)
        return f"x{ref}" if ref < len(self.input_specs) else f"v{ref}"

    def __repr__(self):
        return self.code


def trace(fn, example_inputs, check_inputs=()):
    """Run ``fn(*example_inputs)`` once, recording every op, and return a
    :class:`TracedFunction` that replays them. ``fn`` returns a tensor or a tuple/list
    of tensors; a Module works as ``fn``.

    ``check_inputs``, a list of input tuples, are run both ways after tracing (as in
    ``torch.jit.trace``): where the replay disagrees with ``fn``, something was frozen,
    and a ``TracerWarning`` says which output differs.
    """
    example_inputs = _as_tuple(example_inputs)
    for i, x in enumerate(example_inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"example input {i} must be a Tensor, got "
                            f"{type(x).__name__}")
    if autograd._tracer is not None:
        raise RuntimeError("trace() was called while another trace is recording; "
                           "nested tracing is not supported")
    recorder = _Recorder(example_inputs)
    untraced_apply = autograd.Function.__dict__["apply"]
    autograd._tracer = recorder

    def traced_apply(cls, *inputs, **options):  # every op, as it runs, is recorded
        out = untraced_apply.__func__(cls, *inputs, **options)
        recorder.record(cls, inputs, options, out)
        return out

    autograd.Function.apply = classmethod(traced_apply)
    try:
        # the example run only needs to be recorded, not differentiated
        with autograd.no_grad():
            result = fn(*example_inputs)
    finally:
        autograd.Function.apply = untraced_apply
        autograd._tracer = None
    returns_tuple = isinstance(result, (tuple, list))
    results = tuple(result) if returns_tuple else (result,)
    for i, out in enumerate(results):
        if not isinstance(out, Tensor):
            raise TypeError("the traced function must return a Tensor or a tuple of "
                            f"Tensors; output {i} is a {type(out).__name__}")
    refs = tuple(recorder.ref(out) for out in results)
    graph, outputs = _prune(recorder.graph, len(example_inputs), refs)
    traced = TracedFunction(graph, example_inputs, outputs, returns_tuple,
                            _parameter_names(fn))
    for inputs in check_inputs:
        _check_against_eager(fn, traced, _as_tuple(inputs))
    return traced


def _as_tuple(inputs):
    return (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)


def _check_against_eager(fn, traced, inputs):
    with autograd.no_grad():
        expected, replayed = _as_tuple(fn(*inputs)), _as_tuple(traced(*inputs))
    for i, (a, b) in enumerate(zip(expected, replayed)):
        a = backend.to_device(a.array, backend.CPU)
        b = backend.to_device(b.array, backend.CPU)
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-4, atol=1e-5,
                                                 equal_nan=True):
            shapes = [tuple(x.shape) for x in inputs]
            warnings.warn(f"output {i} of the traced function does not match the "
                          f"Python function on check input shapes {shapes}: something "
                          "the function did was frozen at trace time (see the "
                          "TracerWarnings above, if any)", TracerWarning, stacklevel=3)


def _prune(graph, n_inputs, outputs):
    """Drop the ops no output depends on (dead code, such as the test of a frozen
    ``if``) and renumber the values that remain."""
    needed = {i for i in outputs if type(i) is int}
    # from the last op back
    for index in range(n_inputs + len(graph) - 1, n_inputs - 1, -1):
        if index in needed:
            needed.update(i for i in graph[index - n_inputs].inputs if type(i) is int)
    renumber, kept = {i: i for i in range(n_inputs)}, []
    for index, op in enumerate(graph, start=n_inputs):
        if index in needed:
            renumber[index] = n_inputs + len(kept)
            inputs = tuple(renumber[i] if type(i) is int else i for i in op.inputs)
            kept.append(op._replace(inputs=inputs))
    return kept, tuple(renumber[i] if type(i) is int else i for i in outputs)


class _Recorder:
    """Receives every op while ``trace`` runs the function (installed as
    ``autograd._tracer``)."""

    def __init__(self, inputs):
        # keeps every value alive, so no id() is reused while recording
        self.values = list(inputs)
        self.index = {id(x): i for i, x in enumerate(inputs)}
        self.graph = []

    def ref(self, tensor):
        """An earlier value's index, or the tensor itself when it did not come from the
        recorded ops."""
        return self.index.get(id(tensor), tensor)

    def record(self, function, inputs, options, out):
        for name, value in options.items():
            if _holds_array(value):
                warnings.warn(f"{function.__name__} takes an array as its option "
                              f"{name!r}; the trace freezes its current values, so "
                              "replays will not recompute it from new inputs",
                              TracerWarning, stacklevel=3)
        refs = tuple(self.ref(x) for x in inputs)
        self.graph.append(TracedOp(function, refs, options))
        self.index[id(out)] = len(self.values)
        self.values.append(out)

    def python_value(self, tensor):
        warnings.warn(f"converting a tensor of shape {tuple(tensor.shape)} to a Python "
                      "value while tracing: the trace treats it as a constant, so code "
                      "that depends on it (an if, a loop, a size) is frozen and the "
                      "trace might not generalize to other inputs", TracerWarning,
                      stacklevel=4)


def _holds_array(value):
    if isinstance(value, (tuple, list)):
        return any(_holds_array(v) for v in value)
    return isinstance(value, np.ndarray) or backend.is_gpu_array(value)


def _short(value):
    """Options as text, with arrays summarised by shape."""
    if isinstance(value, (tuple, list)) and _holds_array(value):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return f"<array {tuple(value.shape)}>" if _holds_array(value) else repr(value)


def _parameter_names(fn):
    """For a Module, its parameters' names, so the printed graph says ``fc1.weight``,
    not ``<constant>``."""
    named = getattr(fn, "named_parameters", None)
    return {id(p): name for name, p in named()} if callable(named) else {}
