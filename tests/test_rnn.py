"""RNN, LSTM, GRU and their cells: a PyTorch state_dict loads (same names, shapes and
order) and gives PyTorch's outputs, final states and gradients, padded or packed;
nn.utils.rnn packs and pads as PyTorch does; gradcheck of the cells and of a 2-layer
bidirectional LSTM; errors as PyTorch's; clip_grad_norm_."""
import math
import warnings

import numpy as np
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial import nn
from tinygrad_tutorial.nn import rnn as recurrent

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch "
                            "to run the parity tests")
rnn_utils, torch_rnn_utils = nn.utils.rnn, torch.nn.utils.rnn

TOLERANCE = {tt.float64: dict(rtol=1e-10, atol=1e-12),
             tt.float32: dict(rtol=1e-4, atol=1e-5)}


def assert_close(ours, theirs, dtype=tt.float64):
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().cpu().numpy(), theirs.detach().numpy(),
                               **TOLERANCE[dtype])


def twins(kind, dtype, device, *args, **kwargs):
    """A torch layer and ours, with torch's state_dict loaded into ours."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, kind)(*args, **kwargs)
    theirs = theirs.to(getattr(torch, dtype.numpy.name))
    ours = getattr(nn, kind)(*args, **kwargs).to(dtype)
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict({k: v.numpy() for k, v in state.items()})
    return ours.to(device), theirs


def leaves(shape, dtype, device, seed):
    """The same random values as our leaf on ``device`` and as a torch leaf."""
    values = np.random.default_rng(seed).standard_normal(shape).astype(dtype.numpy)
    return tt.tensor(values, device=device, requires_grad=True), torch.tensor(
        values, requires_grad=True)


def initial_states(lstm, shape, dtype, device):
    """h0 (or (h0, c0) for an LSTM) for us and for torch."""
    pairs = [leaves(shape, dtype, device, seed) for seed in (2, 3)]
    if lstm:
        return (pairs[0][0], pairs[1][0]), (pairs[0][1], pairs[1][1])
    return pairs[0]


def flat(state):
    return [] if state is None else list(state) if isinstance(state, tuple) else [state]


def backward_both(ours, theirs, device, seed=100):
    """Backpropagate the same random direction from each pair of outputs at once."""
    total, their_total = 0, 0
    for i, (o, t) in enumerate(zip(ours, theirs)):
        direction = np.random.default_rng(seed + i).standard_normal(tuple(t.shape))
        direction = direction.astype(o.array.dtype)
        total = total + (o * tt.tensor(direction, device=device)).sum()
        their_total = their_total + (t * torch.tensor(direction)).sum()
    total.backward()
    their_total.backward()


def assert_all_close(ours, theirs, dtype=tt.float64):
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert_close(o, t, dtype)


def assert_gradients_close(ours, theirs, inputs, their_inputs, dtype=tt.float64):
    """Gradients of the inputs and of every parameter, in torch's order."""
    assert_all_close([x.grad for x in inputs], [x.grad for x in their_inputs], dtype)
    names = [name for name, _ in ours.named_parameters()]
    assert names == [name for name, _ in theirs.named_parameters()]
    assert all(p.grad.dtype == dtype for p in ours.parameters())
    assert_all_close([p.grad for p in ours.parameters()],
                     [p.grad for p in theirs.parameters()], dtype)


GRID = [dict(kind="LSTM"),
        dict(kind="LSTM", num_layers=2, bidirectional=True, batch_first=True, hx=True),
        dict(kind="LSTM", bias=False, hx=True),
        dict(kind="GRU", num_layers=2, bias=False, hx=True),
        dict(kind="GRU", bidirectional=True, batch_first=True),
        dict(kind="RNN", nonlinearity="relu", num_layers=2, bidirectional=True,
             hx=True),
        dict(kind="RNN", bias=False, batch_first=True)]


@pytest.mark.parametrize("dtype", [tt.float64, tt.float32], ids=str)
@pytest.mark.parametrize("config", GRID, ids=lambda c: ",".join(f"{k}={v}"
                                                                for k, v in c.items()))
def test_layer_matches_torch(device, config, dtype):
    config = dict(config)
    kind, given_hx = config.pop("kind"), config.pop("hx", False)
    ours, theirs = twins(kind, dtype, device, 3, 4, **config)
    length, batch = 5, 2
    states = (2 if config.get("bidirectional") else 1) * config.get("num_layers", 1)
    shape = (batch, length, 3) if config.get("batch_first") else (length, batch, 3)
    x, their_x = leaves(shape, dtype, device, 1)
    hx, their_hx = (initial_states(kind == "LSTM", (states, batch, 4), dtype, device)
                    if given_hx else (None, None))
    out, state = ours(x, hx)
    their_out, their_state = theirs(their_x, their_hx)
    assert out.dtype == dtype
    assert_all_close([out] + flat(state), [their_out] + flat(their_state), dtype)
    backward_both([out] + flat(state), [their_out] + flat(their_state), device)
    assert_gradients_close(ours, theirs, [x] + flat(hx), [their_x] + flat(their_hx),
                           dtype)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_unbatched_input_with_and_without_initial_state(kind):
    ours, theirs = twins(kind, tt.float64, "cpu", 3, 4, num_layers=2,
                         bidirectional=True, batch_first=True)
    x, their_x = leaves((5, 3), tt.float64, "cpu", 1)  # one sequence: (T, input_size)
    out, state = ours(x)
    their_out, their_state = theirs(their_x)
    assert tuple(out.shape) == (5, 8) and tuple(flat(state)[0].shape) == (4, 4)
    assert_all_close([out] + flat(state), [their_out] + flat(their_state))
    hx, their_hx = initial_states(kind == "LSTM", (4, 4), tt.float64, "cpu")
    out, state = ours(x, hx)
    their_out, their_state = theirs(their_x, their_hx)
    assert_all_close([out] + flat(state), [their_out] + flat(their_state))


CELLS = [("RNNCell", dict()), ("RNNCell", dict(nonlinearity="relu", bias=False)),
         ("LSTMCell", dict()), ("LSTMCell", dict(bias=False)), ("GRUCell", dict()),
         ("GRUCell", dict(bias=False))]


@pytest.mark.parametrize("kind,config", CELLS, ids=str)
def test_cell_matches_torch(device, kind, config):
    ours, theirs = twins(kind, tt.float64, device, 3, 4, **config)
    for batch_shape, given_hx in [((2,), True), ((2,), False), ((), True)]:
        x, their_x = leaves(batch_shape + (3,), tt.float64, device, 1)
        hx, their_hx = (initial_states(kind == "LSTMCell", batch_shape + (4,),
                                       tt.float64, device)
                        if given_hx else (None, None))
        ours.zero_grad(), theirs.zero_grad()
        state, their_state = ours(x, hx), theirs(their_x, their_hx)
        assert_all_close(flat(state), flat(their_state))
        backward_both(flat(state), flat(their_state), device)
        assert_gradients_close(ours, theirs, [x] + flat(hx), [their_x] + flat(their_hx))


# ---------------------------------------------------------------- packing
def test_pack_and_pad_round_trip_match_torch(device):
    for lengths, batch_first, enforce_sorted in [([4, 3, 1], False, True),
                                                 ([2, 4, 2], False, False),
                                                 ([3, 1, 3, 2], True, False)]:
        shape = (len(lengths), 4, 2) if batch_first else (4, len(lengths), 2)
        x, their_x = leaves(shape, tt.float32, device, len(lengths))
        packed = rnn_utils.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
        theirs = torch_rnn_utils.pack_padded_sequence(their_x, lengths, batch_first,
                                                      enforce_sorted)
        assert_close(packed.data, theirs.data, tt.float32)
        assert packed.batch_sizes.tolist() == theirs.batch_sizes.tolist()
        assert packed.batch_sizes.dtype == tt.int64
        assert packed.batch_sizes.device == tt.device("cpu")
        for ours_indices, their_indices in zip(packed[2:], theirs[2:]):
            assert (ours_indices is None) == (their_indices is None) == enforce_sorted
            assert enforce_sorted or ours_indices.tolist() == their_indices.tolist()
        padded, padded_lengths = rnn_utils.pad_packed_sequence(
            packed, batch_first, -1.0, total_length=5)
        their_padded, their_lengths = torch_rnn_utils.pad_packed_sequence(
            theirs, batch_first, -1.0, 5)
        assert_close(padded, their_padded, tt.float32)
        assert padded_lengths.tolist() == their_lengths.tolist() == lengths
        backward_both([padded], [their_padded], device)
        assert_close(x.grad, their_x.grad, tt.float32)


def test_pad_sequence_and_pack_sequence_match_torch():
    sequences = [np.random.default_rng(i).standard_normal((n, 2))
                 for i, n in enumerate([2, 4, 3])]
    ours = [tt.tensor(s) for s in sequences]
    theirs = [torch.tensor(s) for s in sequences]
    for batch_first, side in [(False, "right"), (True, "left")]:
        assert_close(rnn_utils.pad_sequence(ours, batch_first, 7.0, side),
                     torch_rnn_utils.pad_sequence(theirs, batch_first, 7.0, side))
    packed = rnn_utils.pack_sequence(ours, enforce_sorted=False)
    their_packed = torch_rnn_utils.pack_sequence(theirs, enforce_sorted=False)
    assert_close(packed.data, their_packed.data)
    assert packed.sorted_indices.tolist() == their_packed.sorted_indices.tolist()
    assert packed.to(tt.float32).data.dtype == tt.float32
    assert packed.to(tt.float64) is packed


PACKED = [("LSTM", dict(num_layers=2, bidirectional=True)),
          ("GRU", dict(batch_first=True)),
          ("RNN", dict(bidirectional=True, nonlinearity="relu"))]


@pytest.mark.parametrize("kind,config", PACKED, ids=str)
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_forward_and_backward_match_torch(device, kind, config, enforce_sorted):
    ours, theirs = twins(kind, tt.float64, device, 3, 4, **config)
    lengths = [5, 3, 2, 2] if enforce_sorted else [2, 5, 2, 3]
    batch_first = config.get("batch_first", False)
    x, their_x = leaves((4, 5, 3) if batch_first else (5, 4, 3), tt.float64, device, 1)
    states = (2 if config.get("bidirectional") else 1) * config.get("num_layers", 1)
    hx, their_hx = initial_states(kind == "LSTM", (states, 4, 4), tt.float64, device)
    out, state = ours(rnn_utils.pack_padded_sequence(x, lengths, batch_first,
                                                     enforce_sorted), hx)
    their_out, their_state = theirs(torch_rnn_utils.pack_padded_sequence(
        their_x, lengths, batch_first, enforce_sorted), their_hx)
    assert isinstance(out, rnn_utils.PackedSequence)
    assert out.batch_sizes.tolist() == their_out.batch_sizes.tolist()
    assert (out.sorted_indices is None) == enforce_sorted
    padded, padded_lengths = rnn_utils.pad_packed_sequence(out, batch_first)
    their_padded, _ = torch_rnn_utils.pad_packed_sequence(their_out, batch_first)
    assert padded_lengths.tolist() == lengths
    # the final states: at each sequence's own last step, in the caller's order
    assert_all_close([padded] + flat(state), [their_padded] + flat(their_state))
    backward_both([padded] + flat(state), [their_padded] + flat(their_state), device)
    assert_gradients_close(ours, theirs, [x] + flat(hx), [their_x] + flat(their_hx))


# ---------------------------------------------------------------- gradcheck
@pytest.mark.parametrize("cell,gates", [(recurrent.rnn_tanh_cell, 1),
                                        (recurrent.rnn_relu_cell, 1),
                                        (recurrent.lstm_cell, 4),
                                        (recurrent.gru_cell, 3)],
                         ids=lambda c: getattr(c, "__name__", str(c)))
def test_cell_gradcheck(cell, gates):
    # x, h, w_ih, w_hh, b_ih, b_hh (and c for the LSTM)
    rows = 2 * gates  # hidden_size 2
    shapes = [(2, 3), (2, 2), (rows, 3), (rows, 2), (rows,), (rows,)]
    inputs = [tt.randn(*shape, dtype=tt.float64, requires_grad=True)
              for shape in shapes]
    if cell is recurrent.lstm_cell:
        c = tt.randn(2, 2, dtype=tt.float64, requires_grad=True)
        assert tt.gradcheck(lambda x, h, c, *w: tt.cat(cell(x, (h, c), *w), 1),
                            inputs[:2] + [c] + inputs[2:])
    else:
        assert tt.gradcheck(cell, inputs)


def test_two_layer_bidirectional_lstm_gradcheck():
    lstm = nn.LSTM(2, 2, num_layers=2, bidirectional=True).double()
    x = tt.randn(3, 2, 2, dtype=tt.float64, requires_grad=True)
    h0, c0 = (tt.randn(4, 2, 2, dtype=tt.float64, requires_grad=True) for _ in range(2))
    weights = [w.detach().requires_grad_() for w in lstm.parameters()]

    def run(x, h0, c0, *weights):
        outputs, (h_n, c_n) = recurrent.run_layers(
            recurrent.lstm_cell, list(x.unbind(0)), (h0, c0), weights, 2,
            bidirectional=True)
        return tt.cat([tt.stack(outputs).flatten(), h_n.flatten(), c_n.flatten()])

    assert tt.gradcheck(run, [x, h0, c0] + weights)


# ---------------------------------------------------------------- construction, dropout
def test_repr_parameters_and_initialisation():
    lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True)
    assert repr(lstm) == "LSTM(10, 20, num_layers=2, batch_first=True)"
    pairs = [lambda m: m.LSTM(10, 20, num_layers=2, batch_first=True),
             lambda m: m.RNN(2, 3, nonlinearity="relu", bias=False),
             lambda m: m.GRU(3, 4, 2, dropout=0.5, bidirectional=True),
             lambda m: m.RNNCell(2, 3, bias=False, nonlinearity="relu"),
             lambda m: m.LSTMCell(2, 3), lambda m: m.GRUCell(2, 3)]
    for make in pairs:
        ours, theirs = make(nn), make(torch.nn)
        assert repr(ours) == repr(theirs)
        assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    bound = 1 / math.sqrt(20)  # every parameter ~ U(±1/√hidden_size)
    values = np.concatenate([p.detach().numpy().ravel() for p in lstm.parameters()])
    assert 0.95 * bound < np.abs(values).max() <= bound and abs(values.mean()) < 0.01
    lstm.flatten_parameters()  # a no-op, called by programs written for cuDNN
    assert [len(w) for w in lstm.all_weights] == [4, 4]
    assert lstm.all_weights[1][0] is lstm.weight_ih_l1


def test_dropout_between_layers_only_while_training():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater"):
        nn.GRU(3, 4, dropout=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.GRU(3, 4, num_layers=2, dropout=0.5)
    lstm, plain = nn.LSTM(3, 4, num_layers=2, dropout=0.5), nn.LSTM(3, 4, num_layers=2)
    plain.load_state_dict(lstm.state_dict())
    x = tt.randn(5, 2, 3)
    first, second = lstm(x)[0], lstm(x)[0]
    assert not tt.allclose(first, second)  # a fresh mask on each call
    assert not tt.allclose(first, plain(x)[0])
    lstm.eval()
    assert tt.equal(lstm(x)[0], plain(x)[0])


# ---------------------------------------------------------------- errors
def assert_same_error(call, module, their_module):
    """``call(module)`` raises what ``call(their_module)`` raises: type and message."""
    with pytest.raises(Exception) as theirs:
        call(their_module)
    with pytest.raises(type(theirs.value)) as ours:
        call(module)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_layer_errors_match_torch(kind):
    layers = {tt: getattr(nn, kind)(3, 4, 2), torch: getattr(torch.nn, kind)(3, 4, 2)}

    def call(t, input_shape, *state_shapes):
        states = [t.zeros(*shape) for shape in state_shapes]
        hx = None if not states else tuple(states) if kind == "LSTM" else states[0]
        return layers[t](t.zeros(*input_shape), hx)

    cases = [[(5, 2, 2)],  # wrong input size
             [(5, 2, 3), (1, 2, 4), (2, 2, 4)],  # one layer's hidden state
             [(5, 2, 3), (2, 3, 4), (2, 3, 4)],  # a batch of 3
             [(5, 2, 3), (2, 4), (2, 2, 4)],  # 2-D hidden, batched input
             [(5, 3), (2, 1, 4), (2, 1, 4)]]  # 3-D hidden, one sequence
    if kind == "LSTM":
        cases += [[(5, 2, 3), (2, 2, 4), (2, 2, 5)], [(5, 2, 3, 1)]]  # c0's size; 4-D
    for shapes in cases:
        assert_same_error(lambda t: call(t, *shapes), tt, torch)
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        layers[tt](tt.zeros(5, 2, 3, 1))
    with pytest.raises(ValueError, match=r"input dtype \(tinygrad_tutorial.float64\) "
                                         r"does not match weight dtype"):
        layers[tt](tt.zeros(5, 2, 3, dtype=tt.float64))


def test_constructor_cell_and_packing_errors_match_torch():
    constructors = [lambda m: m.RNN(3, 4, nonlinearity="sigmoid"),
                    lambda m: m.LSTM(3, 0), lambda m: m.GRU(3, 4, num_layers=0),
                    lambda m: m.RNN(3, 4.0), lambda m: m.LSTM(3, 4, dropout=1.5)]
    for make in constructors:
        assert_same_error(make, nn, torch.nn)
    with pytest.raises(NotImplementedError, match="proj_size=2"):
        nn.LSTM(3, 4, proj_size=2)
    modules = {tt: nn, torch: torch.nn}

    def cell(t, kind, input_shape, *state_shapes):
        states = [t.zeros(*shape) for shape in state_shapes]
        hx = None if not states else tuple(states) if kind == "LSTMCell" else states[0]
        return getattr(modules[t], kind)(3, 4)(t.zeros(*input_shape), hx)

    for args in [("LSTMCell", (2, 5)), ("LSTMCell", (2, 3), (3, 4), (2, 4)),
                 ("LSTMCell", (2, 3), (2, 4), (2, 5)), ("LSTMCell", (2, 3, 1)),
                 ("LSTMCell", (2, 3), (2, 4, 1), (2, 4)),
                 ("GRUCell", (2, 3), (2, 4, 1)), ("RNNCell", (2, 3), (2, 5))]:
        assert_same_error(lambda t: cell(t, *args), tt, torch)
    utils = {tt: rnn_utils, torch: torch_rnn_utils}
    packing = [lambda t: utils[t].pack_padded_sequence(t.zeros(4, 3, 2), [2, 3, 1]),
               lambda t: utils[t].pack_padded_sequence(t.zeros(4, 3, 2), [2, 3]),
               lambda t: utils[t].pack_padded_sequence(t.zeros(4, 3, 2), [3, 2, 0],
                                                       enforce_sorted=False),
               lambda t: utils[t].pad_packed_sequence(
                   utils[t].pack_padded_sequence(t.zeros(4, 3, 2), [3, 2, 1]),
                   total_length=2),
               lambda t: utils[t].pad_sequence([])]
    for call in packing:
        assert_same_error(call, tt, torch)
    with pytest.raises(RuntimeError, match=r"lengths \[5, 3, 1\] include one longer "
                                           r"than the padded sequences, of 4 steps"):
        rnn_utils.pack_padded_sequence(tt.zeros(4, 3, 2), [5, 3, 1])


# ---------------------------------------------------------------- clipping
@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf])
def test_clip_grad_norm_matches_torch(norm_type):
    grads = [np.random.default_rng(i).standard_normal(shape)
             for i, shape in enumerate([(3, 2), (4,)])]
    for max_norm in (0.5, 100.0):
        ours = [tt.zeros(g.shape, dtype=tt.float64, requires_grad=True) for g in grads]
        theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
                  for g in grads]
        for p, t, g in zip(ours, theirs, grads):
            p.grad, t.grad = tt.tensor(g), torch.tensor(g)
        no_grad = tt.zeros(2, requires_grad=True)  # skipped: it has no gradient
        total = nn.utils.clip_grad_norm_(ours + [no_grad], max_norm, norm_type)
        assert_close(total, torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type))
        assert_all_close([p.grad for p in ours], [t.grad for t in theirs])
    ours[0].grad = tt.tensor([[math.inf, 0.0]] * 3, dtype=tt.float64)  # p's shape
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_(ours[0], 1.0, error_if_nonfinite=True)
    nn.utils.clip_grad_value_(ours[1], 0.1)
    assert ours[1].grad.abs().max().item() == pytest.approx(0.1)
