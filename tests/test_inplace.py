"""Version counters: an in-place write to a tensor that a graph node saved for backward makes
backward raise (PyTorch's check) instead of computing gradients from the modified values;
writes to tensors no node saved stay allowed, as in PyTorch."""
import numpy as np
import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.nn as nn
import tinygrad_tutorial.optim as optim

MODIFIED = "one of the variables needed for gradient computation has been modified by an inplace operation"

# every way to write into a tensor's memory in place; each is used on a tensor that Mul saved
IN_PLACE_WRITES = {
    "add_": lambda t: t.add_(1.0),
    "sub_": lambda t: t.sub_(1.0, alpha=2),
    "mul_": lambda t: t.mul_(2.0),
    "div_": lambda t: t.div_(2.0),
    "clamp_": lambda t: t.clamp_(max=0.5),
    "copy_": lambda t: t.copy_(tt.zeros(3)),
    "fill_": lambda t: t.fill_(7.0),
    "zero_": lambda t: t.zero_(),
    "normal_": lambda t: t.normal_(),
    "uniform_": lambda t: t.uniform_(),
    "setitem": lambda t: t.__setitem__(0, 5.0),
    "+=": lambda t: t.__iadd__(1.0),
    "*=": lambda t: t.__imul__(2.0),
    "init.uniform_": lambda t: nn.init.uniform_(t),
    "init.normal_": lambda t: nn.init.normal_(t),
    "init.constant_": lambda t: nn.init.constant_(t, 0.3),
    "init.zeros_": lambda t: nn.init.zeros_(t),
}


@pytest.mark.parametrize("write", IN_PLACE_WRITES.values(), ids=IN_PLACE_WRITES.keys())
def test_every_in_place_write_to_a_saved_input_makes_backward_raise(write):
    w = tt.ones(3, requires_grad=True)
    x = tt.tensor([1.0, 2.0, 3.0])  # Mul saves x to compute w's gradient
    y = (w * x).sum()
    write(x)
    assert x._version == 1
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


@pytest.mark.parametrize("write", IN_PLACE_WRITES.values(), ids=IN_PLACE_WRITES.keys())
def test_every_in_place_write_to_a_saved_parameter_under_no_grad_makes_backward_raise(write):
    w = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (w * w).sum()  # w's gradient reads w
    with tt.no_grad():
        write(w)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()
    assert w.grad is None  # nothing was accumulated from the wrong values


def test_the_message_names_dtype_shape_and_versions_as_pytorch():
    w = tt.ones(2, 3, dtype=tt.float64, requires_grad=True)
    y = (w * w).sum()
    with tt.no_grad():
        w.mul_(2)
        w.add_(1)
    with pytest.raises(RuntimeError) as ours:
        y.backward()
    assert str(ours.value).startswith(MODIFIED + ": [tinygrad_tutorial.float64 [2, 3]] is at version 2; "
                                      "expected version 0 instead.")
    torch = pytest.importorskip("torch")
    w = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    y = (w * w).sum()
    with torch.no_grad():
        w.mul_(2)
        w.add_(1)
    with pytest.raises(RuntimeError) as theirs:
        y.backward()
    assert "is at version 2; expected version 0 instead." in str(theirs.value)


def test_a_saved_output_written_in_place_makes_backward_raise_naming_the_op():
    x = tt.tensor([0.5, 1.0, 2.0], requires_grad=True)
    y = x.exp()  # Exp's backward reads its output
    with tt.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match=MODIFIED + r": \[tinygrad_tutorial.float32 \[3\]\], which is output 0 "
                                       r"of Exp, is at version 1; expected version 0 instead"):
        y.sum().backward()


def test_a_write_through_detach_is_seen_by_the_original():
    x = tt.tensor([1.0, 2.0, 3.0])
    alias = x.detach()
    y = (tt.ones(3, requires_grad=True) * x).sum()
    alias[1] = 0.0
    assert x._version == alias._version == 1
    assert x.tolist() == [1.0, 0.0, 3.0]  # the same memory
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_a_write_through_data_is_not_counted_as_in_pytorch():
    # .data has a counter of its own, as PyTorch's: the write goes unnoticed and the
    # gradient is computed with the new values (detach() shares the counter: caught)
    torch = pytest.importorskip("torch")
    for lib in (tt, torch):
        w = lib.ones(3, requires_grad=True)
        y = (w * w).sum()
        w.data.mul_(3)
        assert w._version == 0 and w.data._version == 0
        assert w.tolist() == [3.0, 3.0, 3.0]
        y.backward()
        assert w.grad.tolist() == [6.0, 6.0, 6.0]


def test_a_parameter_shares_the_counter_of_the_tensor_it_wraps():
    data = tt.zeros(3)
    param = nn.Parameter(data)
    data.fill_(1.0)
    assert param._version == 1 and param.tolist() == [1.0, 1.0, 1.0]


def test_versions_count_like_pytorchs():
    torch = pytest.importorskip("torch")

    def writes(lib):
        x = lib.zeros(4)
        counts = [x._version]
        for write in (lambda: x.add_(1), lambda: x.mul_(2), lambda: x.__setitem__(0, 3.0), lambda: x.fill_(1),
                      lambda: x.zero_(), lambda: x.copy_(lib.ones(4)), lambda: x.detach().add_(1)):
            write()
            counts.append(x._version)
        return counts

    assert writes(tt) == writes(torch)


# ---------------------------------------------------------------- what PyTorch allows stays allowed
UNARY_OPS = {
    "neg": lambda a: -a, "exp": lambda a: a.exp(), "log": lambda a: a.log(), "sqrt": lambda a: a.sqrt(),
    "abs": lambda a: a.abs(), "tanh": lambda a: a.tanh(), "sin": lambda a: a.sin(), "cos": lambda a: a.cos(),
    "sigmoid": lambda a: a.sigmoid(), "relu": lambda a: a.relu(), "clamp": lambda a: a.clamp(0.5, 1.5),
    "double": lambda a: a.double(), "sum": lambda a: a.sum(0), "max": lambda a: a.max(), "max(dim)": lambda a: a.max(0)[0],
    "reshape": lambda a: a.reshape(6), "permute": lambda a: a.t(), "expand": lambda a: a[None].expand(2, 2, 3),
    "getitem": lambda a: a[1:], "softmax": lambda a: a.softmax(1),
    "log_softmax": lambda a: a.log_softmax(1), "pow 2": lambda a: a ** 2, "square": lambda a: a * a,
    "matmul": lambda a: a @ a.t(), "mean": lambda a: a.mean(), "var": lambda a: a.var(),
    "flip": lambda a: a.flip(0), "masked_fill": lambda a: a.masked_fill(a > 1, 0.0),
}


@pytest.mark.parametrize("op", UNARY_OPS.values(), ids=UNARY_OPS.keys())
def test_writing_an_input_raises_only_when_pytorch_raises_and_never_gives_wrong_gradients(op):
    """Write into the input after forward: either both frameworks raise, or this one does not raise
    and its gradient is the one of the values forward saw (a node that kept its own copy)."""
    torch = pytest.importorskip("torch")
    values = np.array([[0.5, 1.0, 2.0], [1.5, 0.25, 3.0]], np.float32)
    projection = np.random.default_rng(0).standard_normal(op(tt.tensor(values)).shape).astype(np.float32)

    def run(lib):
        a = lib.tensor(values, requires_grad=True)
        y = (op(a) * lib.tensor(projection, dtype=op(a).dtype)).sum()
        with lib.no_grad():
            a.mul_(3)
        try:
            y.backward()
        except RuntimeError as error:
            assert MODIFIED in str(error)
            return None
        return a.grad.numpy()

    ours, theirs = run(tt), run(torch)
    if theirs is not None:
        assert ours is not None, "raised where PyTorch computes the gradient"
    if ours is not None:
        expected = tt.tensor(values, requires_grad=True)
        (op(expected) * tt.tensor(projection, dtype=op(expected).dtype)).sum().backward()
        np.testing.assert_allclose(ours, expected.grad.numpy(), rtol=1e-6)


def test_writing_a_tensor_only_added_is_fine_as_in_pytorch():
    a, b = tt.ones(3, requires_grad=True), tt.ones(3)
    y = (a + b - b).sum()
    b.add_(1)
    y.backward()
    assert a.grad.tolist() == [1.0, 1.0, 1.0]


def test_writing_after_backward_is_fine_and_a_new_forward_sees_the_new_version():
    w = tt.ones(3, requires_grad=True)
    for _ in range(3):
        (w * w).sum().backward()
        with tt.no_grad():
            w.sub_(0.1 * w.grad)
        w.grad = None
    assert w._version == 3
    np.testing.assert_allclose(w.detach().numpy(), 0.8 ** 3, rtol=1e-6)


def test_retain_graph_then_write_then_second_backward_raises():
    w = tt.ones(3, requires_grad=True)
    y = (w * w).sum()
    y.backward(retain_graph=True)
    with tt.no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


# ---------------------------------------------------------------- optimizers
@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1), lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: optim.Adam(p), lambda p: optim.AdamW(p)],
                         ids=["SGD", "SGD momentum", "Adam", "AdamW"])
def test_an_optimizer_step_between_forward_and_a_retained_backward_raises(make):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    optimizer = make(model.parameters())
    loss = model(tt.ones(4, 3)).sum()
    loss.backward(retain_graph=True)
    before = model[2].weight._version
    optimizer.step()
    assert model[2].weight._version == before + 1
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_an_optimizer_step_between_forward_and_retained_backward_raises_in_pytorch_too():
    torch = pytest.importorskip("torch")
    # (two layers: the second weight is saved because the hidden values need a gradient)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = model(torch.ones(4, 3)).sum()
    loss.backward(retain_graph=True)
    optimizer.step()
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


@pytest.mark.parametrize("lib_name", ["tinygrad_tutorial", "torch"])
def test_a_step_before_a_retained_backward_is_fine_when_no_weight_value_is_needed(lib_name):
    # one Linear layer on data: the weight's gradient reads the data, and nothing reads the weight
    lib = tt if lib_name == "tinygrad_tutorial" else pytest.importorskip("torch")
    model = lib.nn.Linear(3, 2)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    loss = model(lib.ones(4, 3)).sum()
    loss.backward(retain_graph=True)
    optimizer.step()
    loss.backward()
    assert model.weight.grad.tolist() == [[8.0] * 3] * 2  # 4 rows of ones, twice


def test_an_ordinary_training_loop_never_raises():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    x, y = tt.randn(8, 3), tt.randn(8, 1)
    before = [p._version for p in model.parameters()]  # (initialising wrote them once)
    for step in range(5):
        optimizer.zero_grad(set_to_none=step % 2 == 0)  # both ways of forgetting gradients
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    assert [p._version for p in model.parameters()] == [v + 5 for v in before]


def test_zero_grad_without_none_writes_the_gradient_in_place():
    w = tt.ones(3, requires_grad=True)
    (w * w).sum().backward()
    grad = w.grad
    optim.SGD([w], lr=0.1).zero_grad(set_to_none=False)
    assert w.grad is grad and grad._version == 1 and grad.tolist() == [0.0, 0.0, 0.0]


def test_no_versions_are_recorded_when_no_graph_is_built():
    x = tt.ones(3, requires_grad=True)
    with tt.no_grad():
        y = x * x
    assert y.grad_fn is None
    node = (x * x).grad_fn
    assert node.input_versions == [0, 0] and list(node.read_inputs()) == [0, 1]
    assert list((x * 2.0).grad_fn.read_inputs()) == [1]  # only the 2: x's gradient is 2·grad
    assert (x + x).grad_fn.__dict__.get("input_versions") is None  # Add saves no inputs: nothing to check


# ---------------------------------------------------------------- views share the counter, copies do not
DERIVED = {  # (how to derive the tensor that Mul saves from x, whether it shares x's memory)
    "reshape": (lambda x, lib: x.reshape(3, 2), True),
    "view": (lambda x, lib: x.view(-1), True),
    "slice": (lambda x, lib: x[1:], True),
    "transpose": (lambda x, lib: x.t(), True),
    "unsqueeze": (lambda x, lib: x.unsqueeze(0), True),
    "reshape of a transpose: a copy": (lambda x, lib: x.t().reshape(6), False),
    "index with a tensor: a copy": (lambda x, lib: x[lib.tensor([1, 0])], False),
    "flip: a copy": (lambda x, lib: x.flip(0), False),
    "clone: a copy": (lambda x, lib: x.clone(), False),
}


@pytest.mark.parametrize("derive, is_view", DERIVED.values(), ids=DERIVED.keys())
@pytest.mark.parametrize("write_to", ["x", "derived"])
def test_writes_through_views_are_seen_and_copies_are_independent_as_in_pytorch(derive, is_view, write_to):
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.arange(6.0).reshape(2, 3)
        derived = derive(x, lib)
        y = (lib.ones(derived.shape, requires_grad=True) * derived).sum()  # Mul saves ``derived``
        (x if write_to == "x" else derived)[0] = -1.0
        try:
            y.backward()
        except RuntimeError as error:
            assert MODIFIED in str(error)
            return "raised"
        return "computed"

    expected = "raised" if is_view or write_to == "derived" else "computed"
    assert run(torch) == expected
    assert run(tt) == expected


def test_an_expanded_view_shares_the_counter_of_its_source():
    x = tt.zeros(3, 1)
    wide = x.expand(3, 4)
    x.fill_(1.0)
    assert wide._version == x._version == 1 and wide.tolist() == [[1.0] * 4] * 3


@pytest.mark.parametrize("lib_name", ["tinygrad_tutorial", "torch"])
def test_embedding_reads_its_indices_not_its_weight(lib_name):
    lib = tt if lib_name == "tinygrad_tutorial" else pytest.importorskip("torch")
    table = lib.nn.Embedding(5, 2)
    ids = lib.tensor([1, 3, 1])
    loss = table(ids).sum()
    with lib.no_grad():
        table.weight.mul_(2)  # the gradient does not depend on the weight: fine
    loss.backward(retain_graph=True)
    assert table.weight.grad[1].tolist() == [2.0, 2.0]
    ids[0] = 4  # but it does depend on where the rows came from
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


@pytest.mark.parametrize("case", ["where condition", "index tensor", "index array"])
def test_conditions_and_indices_are_kept_as_they_were_in_forward(case):
    # PyTorch raises here (it saved them); these ops keep their own copy, so the gradient stays right
    a = tt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    weights = tt.tensor([1.0, 2.0, 3.0])
    if case == "where condition":
        picker = tt.tensor([True, False, True])
        y = (tt.where(picker, a, tt.zeros(3)) * weights).sum()
        expected = [1.0, 0.0, 3.0]
    else:
        picker = tt.tensor([0, 0, 2]) if case == "index tensor" else np.array([0, 0, 2])
        y = (a[picker] * weights).sum()
        expected = [3.0, 0.0, 3.0]
    picker[1] = 1
    y.backward()
    assert a.grad.tolist() == expected
