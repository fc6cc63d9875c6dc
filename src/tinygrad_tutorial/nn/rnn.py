"""Recurrent layers: a sequence read one step at a time, a hidden state carrying
what came before.

    h_t = cell(x_t, h_{t-1})    for t = 1 .. T, from h_0 (zeros by default)

The cells differ in how they mix the input with the state: a plain RNN squashes a
weighted sum; an LSTM keeps a second state c, the memory, that gates decide how much
to forget and to add to; a GRU blends the old state with a candidate. Layers stack
(the outputs h_t of one are the inputs x_t of the next), and a bidirectional layer
runs a second cell from the last step back to the first and puts both outputs side
by side. The cells are composed from linear, sigmoid and tanh, so autograd
backpropagates through time by itself. Parameters carry PyTorch's names and gate
order, so a PyTorch state_dict loads as it is.
"""
import math
import warnings

from ..tensor import cat, empty, stack, zeros
from . import functional as F
from . import init
from .module import Module, Parameter
from .utils.rnn import PackedSequence


# ---------------------------------------------------------------- cells: one time step
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh)"""
    return (F.linear(input, w_ih, b_ih) + F.linear(hx, w_hh, b_hh)).tanh()


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = relu(W_ih x + b_ih + W_hh h + b_hh)"""
    return (F.linear(input, w_ih, b_ih) + F.linear(hx, w_hh, b_hh)).relu()


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step on hx = (h, c). Four gates, stacked in the weights in this order:

        i = σ(input gate)   f = σ(forget gate)   g = tanh(candidate)   o = σ(output)
        c' = f * c + i * g                        h' = o * tanh(c')

    c' is a sum, not a squashing: gradients flow back along c while f stays open.
    """
    h, c = hx
    i, f, g, o = (F.linear(input, w_ih, b_ih) + F.linear(h, w_hh, b_hh)).chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step. Three gates, stacked in this order: r (reset), z (update) and
    n (the candidate):

        r = σ(W_ir x + b_ir + W_hr h + b_hr)    z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h
    """
    x_r, x_z, x_n = F.linear(input, w_ih, b_ih).chunk(3, 1)
    h_r, h_z, h_n = F.linear(hx, w_hh, b_hh).chunk(3, 1)
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return (1 - z) * n + z * hx


CELLS = {"RNN_TANH": rnn_tanh_cell, "RNN_RELU": rnn_relu_cell, "LSTM": lstm_cell,
         "GRU": gru_cell}
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _each(fn, *states):
    """``fn`` of the states h, or, for LSTM states (h, c), of the h's then the c's."""
    if isinstance(states[0], tuple):
        return tuple(fn(*parts) for parts in zip(*states))
    return fn(*states)


def _output(state):
    """What a step outputs: h (an LSTM's memory c stays inside)."""
    return state[0] if isinstance(state, tuple) else state


# ---------------------------------------------------------------- the loops
def scan(cell, steps, hx, weights, reverse=False):
    """One layer in one direction: the cell applied step after step, each step's
    state feeding the next.

    ``steps[t]`` holds the inputs of the sequences still running at step t: the
    whole batch for a padded one, the first batch_sizes[t] of a packed one (sorted
    longest first). Going forward, a sequence that has ended leaves the batch keeping
    its last state; going backward, one joins it at its own last step, from its
    initial state. Returns each step's output and every sequence's final state.
    """
    outputs = [None] * len(steps)
    if reverse:
        last = len(steps[-1])
        state = hx if last == len(_output(hx)) else _each(lambda s: s[:last], hx)
        for t in reversed(range(len(steps))):
            running, joined = len(steps[t]), len(_output(state))
            if running > joined:
                state = _each(lambda s, s0: cat([s, s0[joined:running]]), state, hx)
            state = cell(steps[t], state, *weights)
            outputs[t] = _output(state)
        return outputs, state
    state, ended = hx, []  # ended: final states of sequences that stopped, latest first
    for t, x in enumerate(steps):
        running = len(x)
        if running < len(_output(state)):
            ended.insert(0, _each(lambda s: s[running:], state))
            state = _each(lambda s: s[:running], state)
        state = cell(x, state, *weights)
        outputs[t] = _output(state)
    if ended:  # the finished sequences' states below those of the ones still running
        state = _each(lambda *parts: cat(parts), state, *ended)
    return outputs, state


def run_layers(cell, steps, hx, weights, num_layers, bidirectional=False, dropout=0.0,
               training=False):
    """The whole stack: layer after layer, each in one or two directions, ``dropout``
    on the inputs of every layer but the first while training. ``hx`` holds an initial
    state per layer and direction (layer-major: hx[2 * layer + 1] is a layer's backward
    direction), ``weights`` the cells' weights in the same order. Returns the last
    layer's output at each step and the stacked final states."""
    directions = 2 if bidirectional else 1
    per_cell = len(weights) // (num_layers * directions)
    finals = []
    for layer in range(num_layers):
        if layer:
            steps = [F.dropout(x, dropout, training) for x in steps]
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            out, final = scan(cell, steps, _each(lambda s: s[k], hx),
                              weights[k * per_cell:(k + 1) * per_cell],
                              reverse=direction == 1)
            outputs.append(out)
            finals.append(final)
        steps = (outputs[0] if directions == 1 else
                 [cat(both, 1) for both in zip(*outputs)])  # features side by side
    return steps, _each(lambda *parts: stack(parts), *finals)


# ---------------------------------------------------------------- the modules
class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters of every layer and direction, the
    checks, and the input layouts: (T, B, input_size), (B, T, input_size) with
    ``batch_first``, one sequence (T, input_size), or a PackedSequence.

    ``forward(input, hx)`` returns the last layer's output at every step,
    (T, B, D·hidden_size) with D = 2 when bidirectional, and the final state of every
    layer and direction, (num_layers·D, B, hidden_size): h_n, or (h_n, c_n) for an
    LSTM.
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        if (isinstance(dropout, bool) or not isinstance(dropout, (int, float))
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing "
                             "the probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent "
                          "layer, so non-zero dropout expects num_layers greater than "
                          f"1, but got dropout={dropout} and num_layers={num_layers}")
        if not isinstance(hidden_size, int):
            raise TypeError("hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size:
            raise NotImplementedError(f"LSTM with proj_size={proj_size} (projected "
                                      "hidden states) is not implemented here; use "
                                      "proj_size=0")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = 0
        directions, where = 2 if bidirectional else 1, dict(device=device, dtype=dtype)
        gates = GATES[mode] * hidden_size
        self._all_weights = []  # the parameters' names, per layer and direction
        for layer in range(num_layers):
            inputs = input_size if layer == 0 else hidden_size * directions
            for suffix in ["", "_reverse"][:directions]:
                shapes = {f"weight_ih_l{layer}{suffix}": (gates, inputs),
                          f"weight_hh_l{layer}{suffix}": (gates, hidden_size)}
                if bias:
                    shapes[f"bias_ih_l{layer}{suffix}"] = (gates,)
                    shapes[f"bias_hh_l{layer}{suffix}"] = (gates,)
                for name, shape in shapes.items():
                    setattr(self, name, Parameter(empty(*shape, **where)))
                self._all_weights.append(list(shapes))
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's: every weight and bias ~ U(-1/√hidden_size, 1/√hidden_size)."""
        bound = 1 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self):
        """PyTorch packs the weights into one buffer for cuDNN; here: nothing to do."""

    @property
    def all_weights(self):
        """Each layer and direction's parameters: [[w_ih, w_hh, b_ih, b_hh], ...]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self):
        return [weight for weights in self.all_weights for weight in weights]

    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            self._check_input(data, packed)
            steps = list(data.split(batch_sizes.tolist()))  # the ones still running
            batched = True
        else:
            self._check_input(input, packed)
            batched = input.ndim == 3
            if not batched:  # one sequence (T, input_size): a batch of one
                input = input.unsqueeze(1)
            elif self.batch_first:
                input = input.transpose(0, 1)
            steps = list(input.unbind(0))
            sorted_indices = unsorted_indices = None
        hx = self._initial_state(hx, steps[0], batched, sorted_indices)
        outputs, hx = run_layers(CELLS[self.mode], steps, hx, self._flat_weights,
                                 self.num_layers, self.bidirectional, self.dropout,
                                 self.training)
        if packed:
            output = PackedSequence(cat(outputs), batch_sizes, sorted_indices,
                                    unsorted_indices)
            if unsorted_indices is not None:  # the states back in the caller's order
                hx = _each(lambda s: s[:, unsorted_indices], hx)
        elif not batched:
            output, hx = stack(outputs).squeeze(1), _each(lambda s: s.squeeze(1), hx)
        else:
            output = stack(outputs, 1 if self.batch_first else 0)
        return output, hx

    def _check_input(self, input, packed):
        name = type(self).__name__
        if packed and input.ndim != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {input.ndim}")
        if not packed and input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got "
                             f"{input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        weights = self.weight_ih_l0.dtype
        if input.dtype != weights:
            raise ValueError(f"{name} input dtype ({input.dtype}) does not match "
                             f"weight dtype ({weights}). Convert input: "
                             f"input.to({weights}), or convert model: "
                             f"model.to({input.dtype})")

    def _initial_state(self, hx, first_step, batched, sorted_indices):
        """hx checked and shaped (num_layers·D, B, hidden_size), in the packed batch's
        order; zeros when None."""
        lstm = self.mode == "LSTM"
        directions = 2 if self.bidirectional else 1
        shape = (self.num_layers * directions, len(first_step), self.hidden_size)
        if hx is None:
            h0 = zeros(shape, dtype=first_step.dtype, device=first_step.device)
            return (h0, h0) if lstm else h0
        states = tuple(hx) if lstm else (hx,)
        rank = 3 if batched else 2
        if any(s.ndim != rank for s in states):
            got = (f"({states[0].ndim}-D, {states[1].ndim}-D) tensors" if lstm
                   else f"{hx.ndim}-D tensor")
            kind = "batched 3-D" if batched else "unbatched 2-D"
            names = "hx and cx" if lstm else "hx"
            raise RuntimeError(f"For {kind} input, {names} should also be {rank}-D but "
                               f"got {got}")
        if not batched:
            states = tuple(s.unsqueeze(1) for s in states)
        for i, s in enumerate(states):
            if tuple(s.shape) != shape:
                label = f"hidden[{i}]" if lstm else "hidden"
                raise RuntimeError(f"Expected {label} size {shape}, got "
                                   f"{list(s.shape)}")
            if s.dtype != first_step.dtype:
                raise RuntimeError(f"{type(self).__name__}: the initial state is "
                                   f"{s.dtype} but the input is {first_step.dtype}")
        if sorted_indices is not None:  # caller's order -> packed (by length) order
            states = tuple(s[:, sorted_indices] for s in states)
        return states if lstm else states[0]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _check_nonlinearity(nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' "
                         "or 'relu'.")


class RNN(RNNBase):
    """The plain recurrent layer: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),
    or relu."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh",
                 bias=True, batch_first=False, dropout=0.0, bidirectional=False,
                 device=None, dtype=None):
        _check_nonlinearity(nonlinearity)
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory (see ``lstm_cell``): ``forward`` returns the output and
    (h_n, c_n)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit (see ``gru_cell``)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None,
                 dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


class RNNCellBase(Module):
    """One step of a recurrent layer, for writing the loop over time yourself: input
    (B, input_size) or (input_size,), state (B, hidden_size) or (hidden_size,), zeros
    when omitted."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None,
                 dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates, where = num_chunks * hidden_size, dict(device=device, dtype=dtype)
        self.weight_ih = Parameter(empty(gates, input_size, **where))
        self.weight_hh = Parameter(empty(gates, hidden_size, **where))
        for name in ("bias_ih", "bias_hh"):
            if bias:
                setattr(self, name, Parameter(empty(gates, **where)))
            else:
                self.register_parameter(name, None)
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters  # the same rule: U(±1/√hidden_size)

    def _step(self, cell, input, hx, labels):
        """Check input and state(s) (called ``labels`` in errors), give them a batch
        dimension if they have none, and run ``cell``."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got "
                             f"{input.ndim}D instead")
        batched = input.ndim == 2
        states = hx if isinstance(hx, tuple) else (hx,)
        for label, s in zip(labels, states):
            if s.ndim not in (1, 2):
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got "
                                 f"{s.ndim}D instead")
            if s.ndim != input.ndim:
                raise RuntimeError(f"{name}: input of shape {tuple(input.shape)} and "
                                   f"{label} of shape {tuple(s.shape)}: give both a "
                                   "batch dimension, or neither")
        if not batched:
            input, states = input.unsqueeze(0), tuple(s.unsqueeze(0) for s in states)
        if input.shape[1] != self.input_size:
            raise RuntimeError("input has inconsistent input_size: got "
                               f"{input.shape[1]} expected {self.input_size}")
        for i, s in enumerate(states):
            if s.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match "
                                   f"hidden{i} batch size {s.shape[0]}")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got "
                                   f"{s.shape[1]}, expected {self.hidden_size}")
        weights = [self.weight_ih, self.weight_hh] + (
            [self.bias_ih, self.bias_hh] if self.bias else [])
        out = cell(input, states if isinstance(hx, tuple) else states[0], *weights)
        return out if batched else _each(lambda s: s.squeeze(0), out)

    def _zeros(self, input):
        batch = (input.shape[0],) if input.ndim == 2 else ()
        return zeros(batch + (self.hidden_size,), dtype=input.dtype,
                     device=input.device)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh",
                 device=None, dtype=None):
        _check_nonlinearity(nonlinearity)  # PyTorch would only complain in forward
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        cell = rnn_tanh_cell if self.nonlinearity == "tanh" else rnn_relu_cell
        return self._step(cell, input, self._zeros(input) if hx is None else hx,
                          ["hidden"])


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        hx = (self._zeros(input),) * 2 if hx is None else tuple(hx)
        return self._step(lstm_cell, input, hx, ["hx[0]", "hx[1]"])


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        return self._step(gru_cell, input, self._zeros(input) if hx is None else hx,
                          ["hidden"])
