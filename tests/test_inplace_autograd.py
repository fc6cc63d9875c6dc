"""In-place writes inside the graph follow PyTorch: a value that requires grad written
into a tensor makes the tensor part of the graph; a non-leaf tensor may be written in
place (its grad_fn becomes the write's node, earlier consumers keep the old one); writes
through views update the tensor viewed; the version check raises only where backward
needs an overwritten value. Each case runs the same program on this package and on
PyTorch and compares values, gradients, requires_grad, is_leaf and grad_fn's name."""
import numpy as np
import pytest

import tinygrad_tutorial as tt

torch = pytest.importorskip("torch")

MODIFIED = ("one of the variables needed for gradient computation has been modified "
            "by an inplace operation")
RNG = np.random.default_rng(0)
X = RNG.uniform(0.5, 2.0, (3, 4))  # positive, away from the kinks of relu, abs, clamp
W = RNG.uniform(0.5, 2.0, (3, 4))
H0 = RNG.standard_normal(4) * 0.5
STEP = RNG.standard_normal((4, 4)) * 0.5


class Program:
    """What a program gets: the module ``m`` (tinygrad_tutorial or torch), four float64
    leaves that require grad, and new float64 tensors on request."""

    def __init__(self, m, device):
        self.m = m
        self.x, self.w, self.h0, self.step = self.leaves = [
            m.tensor(a, dtype=m.float64, device=device, requires_grad=True)
            for a in (X, W, H0, STEP)]

    def zeros(self, *shape):
        return self.m.zeros(*(shape or (3, 4)), dtype=self.m.float64)

    def full(self, value):
        return self.m.full((3, 4), value, dtype=self.m.float64)

    def mask(self):
        return self.m.tensor(X > 1)


def rnn_buffer(p):  # the output buffer of an RNN, filled one step at a time
    out, h = p.zeros(), p.h0
    for t in range(3):
        h = (h @ p.step + p.x[t]).tanh()
        out[t] = h
    return out


def rnn_buffer_accumulated(p):  # out[t] += h runs a getitem, an iadd on it, a setitem
    out, h = p.full(1.0), p.h0
    for t in range(3):
        h = (h @ p.step + p.x[t]).tanh()
        out[t] += h * p.w[t]
    return out


def view_of_a_constant(p):  # the view's base is not in the graph before the write
    out = p.zeros(4, 3)
    column = out[:, 1]
    column += p.w[0]
    return out


def setitem(tensor, index, value):
    tensor[index] = value
    return tensor


def iadd_item(tensor, index, value):
    tensor[index] += value
    return tensor


def imul_item(tensor, index, value):
    tensor[index] *= value
    return tensor


def through(view_of, write):
    """y with ``write`` done on the view ``view_of(y)``; y = x * w."""
    def program(p):
        y = p.x * p.w
        write(view_of(y), p)
        return y

    return program


PROGRAMS = {
    # a value that requires grad written into a tensor that does not
    "h += w": lambda p: p.zeros().__iadd__(p.w),
    "h.add_(w, alpha=2)": lambda p: p.full(1.0).add_(p.w, alpha=2),
    "h.sub_(w)": lambda p: p.full(1.0).sub_(p.w),
    "h.mul_(w)": lambda p: p.full(3.0).mul_(p.w),
    "h.div_(w)": lambda p: p.full(3.0).div_(p.w),
    "h.copy_(w)": lambda p: p.zeros().copy_(p.w),
    "h.copy_(broadcast w)": lambda p: p.zeros().copy_(p.w[0]),
    "out[t] = h (RNN)": rnn_buffer,
    "out[t] += h (RNN)": rnn_buffer_accumulated,
    "out[idx] = w": lambda p: setitem(p.zeros(5, 4), p.m.tensor([3, 0]), p.w[:2]),
    "h[mask] = w": lambda p: setitem(p.x * 1, p.mask(), p.w[p.mask()] * 3),
    "h.masked_fill_(mask, w.sum())":
        lambda p: p.zeros().masked_fill_(p.mask(), p.w.sum()),
    "h.scatter_(0, index, w)": lambda p: p.zeros().scatter_(
        0, p.m.tensor([[2, 0, 1, 2], [1, 2, 0, 0]]), p.w[:2]),
    "h.fill_(w[0, 0])": lambda p: p.zeros().fill_(p.w[0, 0]),
    "view of a constant += w": view_of_a_constant,
    # in-place ops on non-leaf tensors
    "y += 1": lambda p: (p.x * 2).__iadd__(1),
    "y *= w": lambda p: (p.x * 2).__imul__(p.w),
    "y.sub_(w, alpha=0.5)": lambda p: (p.x * 2).sub_(p.w, alpha=0.5),
    "y.div_(w)": lambda p: (p.x * 2).div_(p.w),
    "y += y": lambda p: (lambda y: y.__iadd__(y))(p.x * p.w),
    "y.relu_()": lambda p: (p.x - 1).relu_(),
    "F.relu(inplace=True)": lambda p: p.m.nn.functional.relu(p.x - 1, inplace=True),
    "nn.ReLU(inplace=True)": lambda p: p.m.nn.ReLU(inplace=True)(p.x - 1),
    "y.clamp_(0.8, 1.5)": lambda p: (p.x * 1).clamp_(0.8, 1.5),
    "y.exp_()": lambda p: (p.x * p.w).exp_(),
    "y.log_()": lambda p: (p.x * p.w).log_(),
    "y.sigmoid_()": lambda p: (p.x * p.w).sigmoid_(),
    "y.tanh_()": lambda p: (p.x * p.w).tanh_(),
    "y.sqrt_()": lambda p: (p.x * p.w).sqrt_(),
    "y.sin_()": lambda p: (p.x * p.w).sin_(),
    "y.pow_(3)": lambda p: (p.x * p.w).pow_(3),
    "y.abs_()": lambda p: (p.x - 1.2).abs_(),
    "y.neg_()": lambda p: (p.x * p.w).neg_(),
    "y.cumsum_(1)": lambda p: (p.x * p.w).cumsum_(1),
    "y.floor_()": lambda p: (p.x * p.w).floor_(),
    "y.masked_fill_(y > 2, 0)":
        lambda p: (lambda y: y.masked_fill_(y > 2, 0.0))(p.x * p.w),
    "y[mask] = 0": lambda p: setitem(p.x * p.w, p.mask(), 0.0),
    "y[1] = 5": lambda p: setitem(p.x * p.w, 1, 5.0),
    "y.fill_(1)": lambda p: (p.x * p.w).fill_(1.0),
    "y.zero_()": lambda p: (p.x * p.w).zero_(),
    "y.copy_(constant)": lambda p: (p.x * p.w).copy_(p.full(1.0)),
    "y.unsqueeze_(0)": lambda p: (lambda y: y.unsqueeze_(0) * p.x)(p.x * p.w),
    # writes through views
    "y[0] += 1": lambda p: iadd_item(p.x * 2, 0, 1.0),
    "y[1] *= w[1]": lambda p: imul_item(p.x * 2, 1, p.w[1]),
    "y[0].mul_(3)": through(lambda y: y[0], lambda v, p: v.mul_(3)),
    "y[:, 0] += w[0, 0]":
        through(lambda y: y[:, 0], lambda v, p: v.__iadd__(p.w[0, 0])),
    "y.reshape(12)[3:5].exp_()":
        through(lambda y: y.reshape(12)[3:5], lambda v, p: v.exp_()),
    "y.t()[1:3].mul_(w)":
        through(lambda y: y.t()[1:3], lambda v, p: v.mul_(p.w[:2, :3])),
    "y[1][1:3] = w":
        through(lambda y: y[1], lambda v, p: setitem(v, slice(1, 3), p.w[0, :2])),
}


def name(node):
    """A grad_fn's name without PyTorch's namespace and version suffix (AddBackward0 ->
    AddBackward, torch::autograd::CopySlices -> CopySlices)."""
    if node is None:
        return None
    return node.name().removeprefix("torch::autograd::").rstrip("0123456789")


def run(program, m, device="cpu"):
    """Values, flags, grad_fn name and the inputs' gradients of ``program`` on ``m``."""
    p = Program(m, device)
    m.set_default_device(device)  # for the tensors the program makes
    try:
        out = program(p)
    finally:
        m.set_default_device(None)
    result = {"value": out.detach().cpu().numpy().copy(), "grad_fn": name(out.grad_fn),
              "requires_grad": out.requires_grad, "is_leaf": out.is_leaf}
    projection = np.linspace(-1.0, 2.0, out.numel()).reshape(tuple(out.shape))
    (out * m.tensor(projection, dtype=m.float64, device=device)).sum().backward()
    result["grads"] = [None if x.grad is None else x.grad.cpu().numpy()
                       for x in p.leaves]
    return result


# PyTorch's grad_fn names of ops that the package names differently out of place too
OWN_NAMES = {"MaskedFillBackward": "WhereBackward", "ReluBackward": "ReLUBackward",
             "PowBackward": "PowScalarBackward", "UnsqueezeBackward": "ReshapeBackward",
             "CumsumBackward": "CumSumBackward", "FloorBackward": "RoundingBackward"}


@pytest.mark.parametrize("program", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_in_place_writes_give_pytorchs_values_flags_and_gradients(program, device):
    ours, theirs = run(program, tt, device), run(program, torch)
    np.testing.assert_allclose(ours["value"], theirs["value"], rtol=1e-12, atol=1e-12)
    assert ours["requires_grad"] is theirs["requires_grad"] is True
    assert ours["is_leaf"] is theirs["is_leaf"] is False
    assert ours["grad_fn"] == OWN_NAMES.get(theirs["grad_fn"], theirs["grad_fn"])
    for i, (g_ours, g_theirs) in enumerate(zip(ours["grads"], theirs["grads"])):
        if g_theirs is None:  # an input the program does not use
            assert g_ours is None or not g_ours.any(), f"input {i}"
        else:
            assert g_ours is not None, f"input {i} got no gradient"
            np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-10, atol=1e-12,
                                       err_msg=f"input {i}")


def test_consumers_recorded_before_a_write_backpropagate_into_the_old_node():
    def program(m):
        x = m.tensor([1.0, 2.0, 3.0], dtype=m.float64, requires_grad=True)
        y = x * 2
        before = y.sum() * 10  # y before the write: its gradient goes to y's old node
        y += x * x
        (before + (y * y).sum()).backward()
        return x.grad.tolist()

    assert program(tt) == program(torch)


def test_the_write_node_leads_to_the_old_node_and_keeps_its_name_after_backward():
    for m in (tt, torch):
        y = m.ones(3, requires_grad=True) * 2
        old_node = y.grad_fn
        y += 1
        assert y.grad_fn.next_functions[0][0] is old_node
        out = m.zeros(2, 3)
        out[0] = y
        out.sum().backward()
        assert name(y.grad_fn) == "AddBackward" and name(out.grad_fn) == "CopySlices"


# ---------------------------------------------------------------- what stays refused
def error_of(program, m):
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
    "leaf[0] += 1": lambda m, a: iadd_item(a, 0, 1.0),
    "leaf[1:].mul_(2)": lambda m, a: a[1:].mul_(2),
    "nn.ReLU(inplace=True)(leaf)": lambda m, a: m.nn.ReLU(inplace=True)(a),
}


@pytest.mark.parametrize("write", REFUSED.values(), ids=REFUSED.keys())
def test_a_leaf_that_requires_grad_is_refused_with_pytorchs_message(write):
    ours = error_of(lambda m: write(m, m.ones(3, requires_grad=True)), tt)
    theirs = error_of(lambda m: write(m, m.ones(3, requires_grad=True)), torch)
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

    message = "can't be cast to the desired output type"
    assert message in error_of(program, torch) and message in error_of(program, tt)


# ---------------------------------------------------------------- version check
VERSION_CASES = {  # program -> whether backward needs an overwritten value (both raise)
    "exp then += 1": (lambda x: (lambda y: (y.__iadd__(1), y)[1])(x.exp()), True),
    "sigmoid then *= 2": (lambda x: (lambda y: (y.mul_(2), y)[1])(x.sigmoid()), True),
    "tanh then y[0] = 0": (lambda x: setitem(x.tanh(), 0, 0.0), True),
    "x * 2 then += 1": (lambda x: (x * 2).__iadd__(1), False),
    "x * 2 - 3 then relu_": (lambda x: (x * 2 - 3).relu_(), False),
    "y * y saved y, then y += 1":
        (lambda x: (lambda y: (y * y, y.__iadd__(1))[0])(x * 2), True),
    "y + 1 used y, then y *= 3":
        (lambda x: (lambda y: (y + 1, y.mul_(3))[0] * 1)(x * 2), False),
}


@pytest.mark.parametrize("program, raises", VERSION_CASES.values(),
                         ids=VERSION_CASES.keys())
def test_the_version_check_raises_only_where_backward_needs_old_values(program, raises):
    def run_it(m):
        x = m.tensor([0.5, 1.0, 2.0], requires_grad=True)
        try:
            program(x).sum().backward()
        except RuntimeError as error:
            assert MODIFIED in str(error)
            return "raised"
        return x.grad.tolist()

    ours, theirs = run_it(tt), run_it(torch)
    assert (theirs == "raised") is raises
    if raises:
        assert ours == "raised"
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("second_write", ["exp_", "add_"])
def test_a_write_after_an_in_place_exp_is_harmless_where_pytorch_raises(second_write):
    # x.exp_() keeps its own copy of the result for backward, apart from x's memory, so
    # a later write cannot spoil it: the gradient is right (PyTorch raises instead)
    def run_it(m):
        x = m.tensor([0.5, 1.0, 2.0], dtype=m.float64, requires_grad=True)
        y = (x * 1).exp_()
        y.exp_() if second_write == "exp_" else y.add_(1)
        y.sum().backward()
        return x.grad.numpy()

    x = np.array([0.5, 1.0, 2.0])
    expected = np.exp(x) * np.exp(np.exp(x)) if second_write == "exp_" else np.exp(x)
    np.testing.assert_allclose(run_it(tt), expected, rtol=1e-12)
    with pytest.raises(RuntimeError, match=MODIFIED):
        run_it(torch)


# ---------------------------------------------------------------- views: a clear error
def test_a_view_taken_before_a_write_to_its_base_and_used_after_it_is_refused():
    # PyTorch takes the view again from its base; here its gradient would be stale
    x = tt.ones(4, requires_grad=True)
    y = x * 2
    early = y[:2]
    y.mul_(3)
    loss = (early * 1).sum()
    expected = r"a view of shape \[2\] was used after an in-place write into the tensor"
    with pytest.raises(RuntimeError, match=expected):
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
    with pytest.raises(RuntimeError, match="view made by Expand .* not supported"):
        y.expand(3, 4).mul_(2)
    with pytest.raises(RuntimeError, match="more than one element of the written-to"):
        (torch.ones(3, 1, requires_grad=True) * 2).expand(3, 4).mul_(2)


# ---------------------------------------------------------------- gradcheck, optimizers
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
    assert w.is_leaf and w.grad_fn is None
    assert w.tolist() == pytest.approx([2.0, 0.8, 0.8])
