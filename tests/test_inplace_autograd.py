"""In-place writes inside the graph follow PyTorch: a value that requires grad written into a tensor
makes the tensor part of the graph, a non-leaf tensor may be written in place (its grad_fn becomes the
write's node, earlier consumers keep the old one), writes through views update the tensor viewed, and
the version check raises only where backward needs an overwritten value. Each case runs the same
program on this package and on PyTorch and compares values, gradients, requires_grad, is_leaf and
the grad_fn's name."""
import numpy as np
import pytest

import tinygrad_tutorial as tt

torch = pytest.importorskip("torch")

MODIFIED = "one of the variables needed for gradient computation has been modified by an inplace operation"
RNG = np.random.default_rng(0)
X = RNG.uniform(0.5, 2.0, (3, 4))  # positive, away from the kinks of relu, abs and clamp's bounds
W = RNG.uniform(0.5, 2.0, (3, 4))
H0 = RNG.standard_normal(4) * 0.5
STEP = RNG.standard_normal((4, 4)) * 0.5


def rnn_buffer(m, x, w, h0, step):  # the output buffer of an RNN, filled one step at a time
    out = m.zeros(3, 4, dtype=m.float64)
    h = h0
    for t in range(3):
        h = (h @ step + x[t]).tanh()
        out[t] = h
    return out


def rnn_buffer_accumulated(m, x, w, h0, step):  # out[t] += h: a getitem, an iadd on the view, a setitem
    out = m.ones(3, 4, dtype=m.float64)
    h = h0
    for t in range(3):
        h = (h @ step + x[t]).tanh()
        out[t] += h * w[t]
    return out


def view_without_graph(m, x, w, h0, step):  # the view's base is not in the graph before the write
    out = m.zeros(4, 3, dtype=m.float64)
    column = out[:, 1]
    column += w[0]
    return out


def view_of_a_view(m, x, w, h0, step):
    y = x * 2
    y.t()[1:3].mul_(w[:2, :3])
    return y


def masked_setitem_of_a_tensor(m, x, w, h0, step):
    y = x * 1
    y[x > 1] = w[x > 1] * 3
    return y


def setitem_of_a_view(m, x, w, h0, step):
    y = x * 2
    row = y[1]
    row[1:3] = w[0, :2]
    return y


def unsqueeze_in_place(m, x, w, h0, step):
    y = x * w
    y.unsqueeze_(0)
    return y * x


PROGRAMS = {
    # a value that requires grad written into a tensor that does not
    "h += w": lambda m, x, w, h0, step: m.zeros(3, 4, dtype=m.float64).__iadd__(w),
    "h.add_(w, alpha=2)": lambda m, x, w, h0, step: m.ones(3, 4, dtype=m.float64).add_(w, alpha=2),
    "h.sub_(w)": lambda m, x, w, h0, step: m.ones(3, 4, dtype=m.float64).sub_(w),
    "h.mul_(w)": lambda m, x, w, h0, step: m.full((3, 4), 3.0, dtype=m.float64).mul_(w),
    "h.div_(w)": lambda m, x, w, h0, step: m.full((3, 4), 3.0, dtype=m.float64).div_(w),
    "h.copy_(w)": lambda m, x, w, h0, step: m.zeros(3, 4, dtype=m.float64).copy_(w),
    "h.copy_(broadcast w)": lambda m, x, w, h0, step: m.zeros(3, 4, dtype=m.float64).copy_(w[0]),
    "out[t] = h (RNN)": rnn_buffer,
    "out[t] += h (RNN)": rnn_buffer_accumulated,
    "out[idx] = w": lambda m, x, w, h0, step: _set(m.zeros(5, 4, dtype=m.float64), m.tensor([3, 0]), w[:2]),
    "h[mask] = w": masked_setitem_of_a_tensor,
    "h.masked_fill_(mask, w.sum())": lambda m, x, w, h0, step: m.zeros(3, 4, dtype=m.float64).masked_fill_(
        m.tensor(X > 1), w.sum()),
    "h.scatter_(0, index, w)": lambda m, x, w, h0, step: m.zeros(3, 4, dtype=m.float64).scatter_(
        0, m.tensor([[2, 0, 1, 2], [1, 2, 0, 0]]), w[:2]),
    "h.fill_(w[0, 0])": lambda m, x, w, h0, step: m.zeros(3, 4, dtype=m.float64).fill_(w[0, 0]),
    "view of a constant += w": view_without_graph,
    # in-place ops on non-leaf tensors
    "y += 1": lambda m, x, w, h0, step: (x * 2).__iadd__(1),
    "y *= w": lambda m, x, w, h0, step: (x * 2).__imul__(w),
    "y.sub_(w, alpha=0.5)": lambda m, x, w, h0, step: (x * 2).sub_(w, alpha=0.5),
    "y.div_(w)": lambda m, x, w, h0, step: (x * 2).div_(w),
    "y += y": lambda m, x, w, h0, step: (lambda y: y.__iadd__(y))(x * w),
    "y.relu_()": lambda m, x, w, h0, step: (x - 1).relu_(),
    "F.relu(inplace=True)": lambda m, x, w, h0, step: m.nn.functional.relu(x - 1, inplace=True),
    "nn.ReLU(inplace=True)": lambda m, x, w, h0, step: m.nn.ReLU(inplace=True)(x - 1),
    "y.clamp_(0.8, 1.5)": lambda m, x, w, h0, step: (x * 1).clamp_(0.8, 1.5),
    "y.exp_()": lambda m, x, w, h0, step: (x * w).exp_(),
    "y.log_()": lambda m, x, w, h0, step: (x * w).log_(),
    "y.sigmoid_()": lambda m, x, w, h0, step: (x * w).sigmoid_(),
    "y.tanh_()": lambda m, x, w, h0, step: (x * w).tanh_(),
    "y.sqrt_()": lambda m, x, w, h0, step: (x * w).sqrt_(),
    "y.sin_()": lambda m, x, w, h0, step: (x * w).sin_(),
    "y.pow_(3)": lambda m, x, w, h0, step: (x * w).pow_(3),
    "y.abs_()": lambda m, x, w, h0, step: (x - 1.2).abs_(),
    "y.neg_()": lambda m, x, w, h0, step: (x * w).neg_(),
    "y.cumsum_(1)": lambda m, x, w, h0, step: (x * w).cumsum_(1),
    "y.floor_()": lambda m, x, w, h0, step: (x * w).floor_(),
    "y.masked_fill_(y > 2, 0)": lambda m, x, w, h0, step: (lambda y: y.masked_fill_(y > 2, 0.0))(x * w),
    "y[mask] = 0": lambda m, x, w, h0, step: _set(x * w, m.tensor(X > 1), 0.0),
    "y[1] = 5": lambda m, x, w, h0, step: _set(x * w, 1, 5.0),
    "y.fill_(1)": lambda m, x, w, h0, step: (x * w).fill_(1.0),
    "y.zero_()": lambda m, x, w, h0, step: (x * w).zero_(),
    "y.copy_(constant)": lambda m, x, w, h0, step: (x * w).copy_(m.ones(3, 4, dtype=m.float64)),
    "y.unsqueeze_(0)": unsqueeze_in_place,
    # writes through views
    "y[0] += 1": lambda m, x, w, h0, step: _iadd_item(x * 2, 0, 1.0),
    "y[1] *= w[1]": lambda m, x, w, h0, step: _imul_item(x * 2, 1, w[1]),
    "y[0].mul_(3)": lambda m, x, w, h0, step: (lambda y: (y[0].mul_(3), y)[1])(x * 2),
    "y[:, 0] += w[0, 0]": lambda m, x, w, h0, step: (lambda y: (y[:, 0].__iadd__(w[0, 0]), y)[1])(x * w),
    "y.reshape(12)[3:5].exp_()": lambda m, x, w, h0, step: (lambda y: (y.reshape(12)[3:5].exp_(), y)[1])(x * w),
    "y.t()[1:3].mul_(w)": view_of_a_view,
    "y[1][1:3] = w": setitem_of_a_view,
}


def _set(tensor, index, value):
    tensor[index] = value
    return tensor


def _iadd_item(tensor, index, value):
    tensor[index] += value
    return tensor


def _imul_item(tensor, index, value):
    tensor[index] *= value
    return tensor


def _name(node):
    """A grad_fn's name without PyTorch's namespace and version suffix (AddBackward0 -> AddBackward)."""
    return None if node is None else node.name().removeprefix("torch::autograd::").rstrip("0123456789")


def run(program, m, device="cpu"):
    """Values, flags, grad_fn name and every input's gradient of ``program`` run with module ``m``."""
    inputs = [m.tensor(a, dtype=m.float64, device=device, requires_grad=True) for a in (X, W, H0, STEP)]
    m.set_default_device(device)  # for the tensors the program makes
    try:
        out = program(m, *inputs)
    finally:
        m.set_default_device(None)
    result = {"value": out.detach().cpu().numpy().copy(), "requires_grad": out.requires_grad,
              "is_leaf": out.is_leaf, "grad_fn": _name(out.grad_fn)}
    projection = np.linspace(-1.0, 2.0, out.numel()).reshape(tuple(out.shape))
    (out * m.tensor(projection, dtype=m.float64, device=device)).sum().backward()
    result["grads"] = [None if x.grad is None else x.grad.cpu().numpy() for x in inputs]
    return result


# grad_fn names of ops that the package names differently from PyTorch out of place too
OWN_NAMES = {"MaskedFillBackward": "WhereBackward", "ReluBackward": "ReLUBackward", "PowBackward": "PowScalarBackward",
             "UnsqueezeBackward": "ReshapeBackward", "CumsumBackward": "CumSumBackward",
             "FloorBackward": "RoundingBackward"}


@pytest.mark.parametrize("program", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_in_place_writes_give_pytorchs_values_flags_and_gradients(program, device):
    ours, theirs = run(program, tt, device), run(program, torch)
    np.testing.assert_allclose(ours["value"], theirs["value"], rtol=1e-12, atol=1e-12)
    assert (ours["requires_grad"], ours["is_leaf"]) == (theirs["requires_grad"], theirs["is_leaf"]) == (True, False)
    assert ours["grad_fn"] == OWN_NAMES.get(theirs["grad_fn"], theirs["grad_fn"])
    for i, (g_ours, g_theirs) in enumerate(zip(ours["grads"], theirs["grads"])):
        if g_theirs is None:
            assert g_ours is None or not g_ours.any(), f"input {i}"  # (an unused input: None or zeros)
        else:
            assert g_ours is not None, f"input {i} got no gradient"
            np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-10, atol=1e-12, err_msg=f"input {i}")


def test_consumers_recorded_before_a_write_backpropagate_into_the_old_node():
    def program(m):
        x = m.tensor([1.0, 2.0, 3.0], dtype=m.float64, requires_grad=True)
        y = x * 2
        before = y.sum() * 10  # uses y before the write: its gradient goes to y's old node
        y += x * x
        (before + (y * y).sum()).backward()
        return x.grad.tolist(), y.grad_fn is not None

    assert program(tt) == program(torch)


def test_a_written_tensor_shows_its_new_node_in_next_functions():
    x = tt.ones(3, requires_grad=True)
    y = x * 2
    old_node = y.grad_fn
    y += 1
    assert y.grad_fn.name() == "AddBackward" and y.grad_fn.next_functions[0][0] is old_node
    z = torch.ones(3, requires_grad=True) * 2
    old = z.grad_fn
    z += 1
    assert z.grad_fn.next_functions[0][0] is old


# ---------------------------------------------------------------- what stays refused
def _error(program, m):
    with pytest.raises(RuntimeError) as error:
        program(m)
    return str(error.value)


REFUSED = {
    "leaf += 1": lambda m, a: a.__iadd__(1),
    "leaf.add_(w)": lambda m, a: a.add_(m.ones(3)),
    "leaf.fill_(1)": lambda m, a: a.fill_(1.0),
    "leaf.zero_()": lambda m, a: a.zero_(),
    "leaf.relu_()": lambda m, a: a.relu_(),
    "leaf.unsqueeze_(0)": lambda m, a: a.unsqueeze_(0),
    "leaf[0] = 1": lambda m, a: a.__setitem__(0, 1.0),
    "leaf[0] += 1": lambda m, a: _iadd_item(a, 0, 1.0),
    "leaf[1:].mul_(2)": lambda m, a: a[1:].mul_(2),
    "nn.ReLU(inplace=True)(leaf)": lambda m, a: m.nn.ReLU(inplace=True)(a),
}


@pytest.mark.parametrize("write", REFUSED.values(), ids=REFUSED.keys())
def test_a_leaf_that_requires_grad_is_refused_with_pytorchs_message(write):
    ours = _error(lambda m: write(m, m.ones(3, requires_grad=True)), tt)
    theirs = _error(lambda m: write(m, m.ones(3, requires_grad=True)), torch)
    assert ours.startswith(theirs), (ours, theirs)


@pytest.mark.parametrize("write", REFUSED.values(), ids=REFUSED.keys())
def test_under_no_grad_a_leaf_is_written_without_a_node(write):
    def run_it(m):
        a = m.ones(3, requires_grad=True)
        with m.no_grad():
            write(m, a)
        return a.is_leaf, a.requires_grad, a.grad_fn is None, a._version, a.tolist()

    assert run_it(tt) == run_it(torch)


def test_a_float_written_into_an_integer_tensor_is_refused_as_in_pytorch():
    def program(m):
        h = m.zeros(2, dtype=m.int64)
        h += m.ones(2, requires_grad=True)

    for m in (tt, torch):
        assert "result type Float" in _error(program, torch) and "can't be cast to the desired output type" in \
            _error(program, m)


# ---------------------------------------------------------------- the version check: only when needed
VERSION_CASES = {  # program -> whether backward needs an overwritten value (then both raise)
    "exp then += 1": (lambda m, x: (lambda y: (y.__iadd__(1), y)[1])(x.exp()), True),
    "sigmoid then *= 2": (lambda m, x: (lambda y: (y.mul_(2), y)[1])(x.sigmoid()), True),
    "tanh then y[0] = 0": (lambda m, x: _set(x.tanh(), 0, 0.0), True),
    "x * 2 then += 1": (lambda m, x: (x * 2).__iadd__(1), False),
    "x * 2 then relu_": (lambda m, x: (x * 2 - 3).relu_(), False),
    "y * y saved y, then y += 1": (lambda m, x: (lambda y: (y * y, y.__iadd__(1))[0])(x * 2), True),
    "y + 1 used y, then y *= 3": (lambda m, x: (lambda y: (y + 1, y.mul_(3))[0] * 1)(x * 2), False),
}


@pytest.mark.parametrize("program, raises", VERSION_CASES.values(), ids=VERSION_CASES.keys())
def test_the_version_check_raises_only_where_backward_needs_the_old_values(program, raises):
    def run_it(m):
        x = m.tensor([0.5, 1.0, 2.0], requires_grad=True)
        try:
            program(m, x).sum().backward()
        except RuntimeError as error:
            assert MODIFIED in str(error)
            return "raised"
        return x.grad.tolist()

    ours, theirs = run_it(tt), run_it(torch)
    assert (theirs == "raised") == raises
    if raises:
        assert ours == "raised"
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("write", [lambda y: y.exp_(), lambda y: y.__iadd__(1)], ids=["exp_", "+= 1"])
def test_a_write_after_an_in_place_exp_keeps_the_exps_own_copy_where_pytorch_raises(write):
    # x.exp_() saves its result before writing it into x's memory: the next write cannot spoil it
    x = tt.tensor([0.5, 1.0, 2.0], requires_grad=True)
    write((x * 1).exp_()).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.detach().numpy()) * np.exp(np.exp(
        x.detach().numpy())) if write(tt.ones(1)).item() > 2 else np.exp(x.detach().numpy()), rtol=1e-6)
    x_pt = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=MODIFIED):
        write((x_pt * 1).exp_()).sum().backward()


# ---------------------------------------------------------------- views that are not supported: a clear error
def test_a_view_taken_before_a_write_to_its_base_and_used_after_it_is_refused():
    # PyTorch takes the view again from its base; here that would be a silently stale gradient: refused
    x = tt.ones(4, requires_grad=True)
    y = x * 2
    early = y[:2]
    y.mul_(3)
    loss = (early * 1).sum()
    with pytest.raises(RuntimeError, match="view of shape \\[2\\] was used after an in-place write into the "
                                           "tensor it is a view of"):
        loss.backward()


def test_a_view_taken_before_a_write_and_used_before_it_is_fine():
    def program(m):
        x = m.ones(4, requires_grad=True)
        y = x * 2
        early = y[:2]
        used = (early * 5).sum()  # recorded before the write: y's old values
        y.mul_(3)
        (used + y.sum()).backward()
        return x.grad.tolist()

    assert program(tt) == program(torch)


def test_writing_into_an_expanded_view_is_refused():
    y = tt.ones(3, 1, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="view made by Expand .* not supported; clone"):
        y.expand(3, 4).mul_(2)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        (torch.ones(3, 1, requires_grad=True) * 2).expand(3, 4).mul_(2)


# ---------------------------------------------------------------- gradcheck and the optimizer path
def test_gradcheck_of_a_function_built_with_in_place_ops():
    def f(x, w):
        y = x * 2
        y += w
        y[0] = y[0] + w[1] * x[2]
        y.sigmoid_()
        out = tt.zeros(3, 4, dtype=tt.float64)
        for t in range(3):
            out[t] = y[t] * (t + 1)
        out[:, 1].mul_(w[:, 2])
        out[1] += x[0]
        return out

    x = tt.tensor(X, dtype=tt.float64, requires_grad=True)
    w = tt.tensor(W, dtype=tt.float64, requires_grad=True)
    assert tt.autograd.gradcheck(f, (x, w))


def test_parameter_updates_under_no_grad_record_nothing():
    w = tt.ones(3, requires_grad=True)
    (w * w).sum().backward()
    with tt.no_grad():
        w -= 0.1 * w.grad
        w[0] = 2.0
    assert w.is_leaf and w.grad_fn is None and w.tolist() == pytest.approx([2.0, 0.8, 0.8])
