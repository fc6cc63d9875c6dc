"""``grad_fn.next_functions``, ``torch.autograd.grad`` and ``torch.autograd.backward``, against PyTorch.

Each scenario is written once, against a module ``lib`` (``tinygrad_tutorial`` or ``torch``), and run in both;
our tensors live on the test's device, PyTorch's on the CPU.
"""
import re

import numpy as np
import pytest

import tinygrad_tutorial as tt


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch to run the parity tests")


def on(lib, values, device, requires_grad=False):
    """A float32 tensor of ``lib``; ``device`` is ours only."""
    if lib is tt:
        return tt.tensor(values, dtype=tt.float32, device=device, requires_grad=requires_grad)
    return lib.tensor(values, dtype=lib.float32, requires_grad=requires_grad)


def as_list(t):
    return None if t is None else t.detach().cpu().tolist()


def as_lists(grads):
    return [as_list(g) for g in grads]


def node_name(node):
    """A node's type without PyTorch's version suffix (MulBackward0 -> MulBackward)."""
    return None if node is None else re.sub(r"\d+$", "", type(node).__name__ if type(node).__name__ ==
                                            "AccumulateGrad" else node.name())


def structure(node, depth=3):
    """The graph below ``node`` as nested (name, output index, children) tuples, walked through next_functions."""
    if node is None or depth == 0:
        return node_name(node)
    return node_name(node), tuple((structure(child, depth - 1), index) for child, index in node.next_functions)


def run_both(torch, scenario, device):
    return scenario(tt, device), scenario(torch, "cpu")


def assert_close(ours, theirs):
    np.testing.assert_allclose(np.array(ours, dtype=float), np.array(theirs, dtype=float), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- next_functions
def test_next_functions_has_one_edge_per_input(torch, device):
    def scenario(lib, device):
        x = on(lib, [1.0, 2.0, 3.0], device, requires_grad=True)
        c = on(lib, [4.0, 5.0, 6.0], device)
        y = (x * c + x.exp()).sum()
        mul = y.grad_fn.next_functions[0][0].next_functions[0][0]
        accumulate = mul.next_functions[0][0]
        assert accumulate.variable is x  # the leaf itself, not a copy
        assert accumulate.next_functions == ()
        return structure(y.grad_fn), mul.next_functions[1]

    ours, theirs = run_both(torch, scenario, device)
    assert ours == theirs
    assert ours[0] == ("SumBackward", ((("AddBackward", (
        (("MulBackward", (("AccumulateGrad", 0), (None, 0))), 0),
        (("ExpBackward", (("AccumulateGrad", 0),)), 0))), 0),))
    assert ours[1] == (None, 0)  # the constant c needs no gradient


def test_a_leaf_has_one_accumulate_grad(torch, device):
    def scenario(lib, device):
        x = on(lib, [1.0, 2.0], device, requires_grad=True)
        edges = (x + x).grad_fn.next_functions
        return edges[0][0] is edges[1][0], edges[0][0].variable is x, x.grad_fn

    assert run_both(torch, scenario, device) == ((True, True, None), (True, True, None))


def test_accumulate_grad_prints_its_name(device):
    x = tt.ones(2, device=device, requires_grad=True)
    accumulate = (x * 2).grad_fn.next_functions[0][0]
    assert repr(accumulate) == "<AccumulateGrad>" and accumulate.name() == "AccumulateGrad"
    assert repr((x * 2).grad_fn.next_functions) == "((<AccumulateGrad>, 0), (None, 0))"


def test_next_functions_of_a_custom_function_name_the_output_index(torch, device):
    def scenario(lib, device):
        class TwoOutputs(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, k, b):
                return a * k + b, a * 2

            @staticmethod
            def backward(ctx, grad_first, grad_second):
                return grad_first + 2 * grad_second, None, grad_first

        x = on(lib, [1.0, 2.0], device, requires_grad=True)
        first, second = TwoOutputs.apply(x, 3.0, on(lib, [1.0, 1.0], device))
        edge = (second * 1).grad_fn.next_functions[0]
        return edge[1], node_name(edge[0]), structure(first.grad_fn)  # the number 3.0 has no edge

    ours, theirs = run_both(torch, scenario, device)
    assert ours == theirs == (1, "TwoOutputsBackward",
                              ("TwoOutputsBackward", ((("AccumulateGrad", ()), 0), (None, 0))))


# ---------------------------------------------------------------- autograd.grad: values
def test_grad_with_shared_subexpressions_leaves_grad_untouched(torch, device):
    def scenario(lib, device):
        x = on(lib, [0.5, -1.0, 2.0], device, requires_grad=True)
        w = on(lib, [1.5, 0.25, -0.5], device, requires_grad=True)
        w.grad = on(lib, [7.0, 7.0, 7.0], device)  # an earlier gradient: grad() must neither read nor change it
        z = x * w  # used three times
        y = (z * z + z.exp() - z).sum()
        gx, gw = lib.autograd.grad(y, [x, w])
        assert x.grad is None and as_list(w.grad) == [7.0, 7.0, 7.0]
        assert gx.dtype == lib.float32 and not gx.requires_grad and gx.grad_fn is None
        return as_list(gx), as_list(gw)

    ours, theirs = run_both(torch, scenario, device)
    assert_close(ours, theirs)


def test_grad_of_several_outputs_weighted_by_grad_outputs(torch, device):
    def scenario(lib, device):
        x = on(lib, [[1.0, 2.0], [3.0, 4.0]], device, requires_grad=True)
        a, b = x.exp(), (x * x).sum(dim=1)
        weights_a = on(lib, [[1.0, -1.0], [0.5, 2.0]], device)
        return as_lists(lib.autograd.grad([a, b, b.sum()], x, [weights_a, on(lib, [3.0, -2.0], device), None]))

    ours, theirs = run_both(torch, scenario, device)
    assert_close(ours, theirs)


def test_grad_with_respect_to_an_intermediate_tensor(torch, device):
    def scenario(lib, device):
        x = on(lib, [1.0, 2.0, 3.0], device, requires_grad=True)
        hidden = x.tanh()
        y = (hidden * hidden * x).sum()
        g_hidden, g_x = lib.autograd.grad(y, [hidden, x], retain_graph=True)
        (g_hidden_alone,) = lib.autograd.grad(y, hidden)
        return as_list(g_hidden), as_list(g_x), as_list(g_hidden_alone), x.grad

    ours, theirs = run_both(torch, scenario, device)
    assert ours[3] is None and theirs[3] is None
    assert_close(ours[:3], theirs[:3])


def test_grad_with_respect_to_an_output_of_a_custom_function(torch, device):
    def scenario(lib, device):
        class Split(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2, a * 3

            @staticmethod
            def backward(ctx, grad_first, grad_second):
                return 2 * grad_first + 3 * grad_second

        x = on(lib, [1.0, -2.0], device, requires_grad=True)
        first, second = Split.apply(x)
        y = (first * second).sum() + second.sum()
        return as_lists(lib.autograd.grad(y, [second, x, first]))

    ours, theirs = run_both(torch, scenario, device)
    assert_close(ours, theirs)


def test_grad_of_a_leaf_and_repeated_inputs(torch, device):
    def scenario(lib, device):
        x = on(lib, [1.0, 2.0], device, requires_grad=True)
        y = (x * x).sum()
        seed = on(lib, [2.0, 3.0], device).double()  # a float64 gradient for a float32 output is converted
        (g_leaf,) = lib.autograd.grad(x, x, seed)
        twice = lib.autograd.grad(y, [x, x])
        return as_list(g_leaf), g_leaf.dtype == lib.float32, as_lists(twice)

    assert run_both(torch, scenario, device) == (([2.0, 3.0], True, [[2.0, 4.0], [2.0, 4.0]]),) * 2


def test_allow_unused_and_materialize_grads(torch, device):
    def scenario(lib, device):
        x = on(lib, [1.0, 2.0], device, requires_grad=True)
        unused = on(lib, [5.0, 6.0, 7.0], device, requires_grad=True)
        y = (x * 3).sum()
        with pytest.raises(RuntimeError) as error:
            lib.autograd.grad(y, [x, unused], retain_graph=True)
        with_none = lib.autograd.grad(y, [x, unused], allow_unused=True, retain_graph=True)
        with_zeros = lib.autograd.grad(y, [x, unused], materialize_grads=True)
        return str(error.value), as_lists(with_none), as_lists(with_zeros)

    ours, theirs = run_both(torch, scenario, device)
    assert ours == theirs
    assert ours[0] == ("The differentiated Tensor at index 1 appears to not have been used in the graph. "
                       "Set allow_unused=True if this is the desired behavior.")
    assert ours[2] == [[3.0, 3.0], [0.0, 0.0, 0.0]]


# ---------------------------------------------------------------- autograd.grad: the graph and hooks
def test_retain_graph(torch, device):
    def scenario(lib, device):
        x = on(lib, [1.0, 2.0], device, requires_grad=True)
        y = (x.exp() * x).sum()
        first = lib.autograd.grad(y, x, retain_graph=True)
        second = lib.autograd.grad(y, x)  # retain_graph defaults to False: this call frees the graph
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            lib.autograd.grad(y, x)
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()
        return as_lists(first), as_lists(second)

    ours, theirs = run_both(torch, scenario, device)
    assert ours[0] == ours[1]
    assert_close(ours, theirs)


def test_grad_runs_and_frees_only_the_part_of_the_graph_that_leads_to_the_inputs(torch, device):
    def scenario(lib, device):
        x = on(lib, [1.0, 2.0], device, requires_grad=True)
        w = on(lib, [3.0, 4.0], device, requires_grad=True)
        z, u = x.exp(), w * 3
        y = (z * u).sum()
        lib.autograd.grad(y, z)  # z's and u's own nodes did not run, so they were not freed
        z.sum().backward()
        u.sum().backward()
        return as_list(x.grad), as_list(w.grad)

    ours, theirs = run_both(torch, scenario, device)
    assert_close(ours, theirs)


def test_hooks_fire_for_grad_as_in_pytorch(torch, device):
    """Hooks run on the part of the graph that grad() runs; retain_grad fills .grad there (PyTorch 2.13 does);
    the gradient of an intermediate input is taken after its hooks when its node need not run on, before
    them when it does (PyTorch's engine order)."""
    def scenario(lib, device):
        seen = []
        x = on(lib, [1.0, 2.0, 3.0], device, requires_grad=True)
        w = on(lib, [1.0, 1.0, 1.0], device, requires_grad=True)
        x.register_hook(lambda g: seen.append(("x", as_list(g))))
        w.register_hook(lambda g: seen.append(("w", as_list(g))))
        z, u = x * 2, w * 3
        z.retain_grad()
        u.retain_grad()
        z.register_hook(lambda g: g * 10)
        u.register_hook(lambda g: seen.append(("u", as_list(g))))
        y = (z * u).sum()
        results = []
        for inputs in ([x], [z], [z, x], [x, z]):
            seen.clear()
            grads = lib.autograd.grad(y, inputs, retain_graph=True)
            results.append((as_lists(grads), list(seen), as_list(z.grad), as_list(u.grad)))
        x.register_hook(lambda g: g * 100)
        results.append(as_lists(lib.autograd.grad(y, x, retain_graph=True)))
        return results, x.grad, w.grad

    ours, theirs = run_both(torch, scenario, device)
    assert ours == theirs
    results = ours[0]
    assert results[0][:2] == ([[60.0] * 3], [("x", [60.0] * 3)]) and results[0][3] is None  # u's part did not run
    assert results[1][:2] == ([[30.0] * 3], [])  # z's gradient as its hook left it; nothing below z ran
    assert results[2][0] == [[3.0] * 3, [60.0] * 3]  # z's node ran on: its gradient was taken before the hook


# ---------------------------------------------------------------- autograd.backward and inputs=
def test_autograd_backward_of_several_tensors(torch, device):
    def scenario(lib, device):
        x = on(lib, [1.0, 2.0], device, requires_grad=True)
        lib.autograd.backward([x * x, x.sum()], [on(lib, [1.0, -1.0], device), None])
        lib.autograd.backward((x * 3).sum(), on(lib, 2.0, device))
        return as_list(x.grad)

    assert run_both(torch, scenario, device) == ([9.0, 3.0], [9.0, 3.0])


def test_backward_with_inputs_fills_only_their_grad(torch, device):
    def scenario(lib, device):
        x = on(lib, [1.0, 2.0], device, requires_grad=True)
        w = on(lib, [3.0, 4.0], device, requires_grad=True)
        z = x * w
        (z * z).sum().backward(inputs=[z])
        (x * w).sum().backward(inputs=[w])
        return x.grad, as_list(z.grad), as_list(w.grad)

    assert run_both(torch, scenario, device) == ((None, [6.0, 16.0], [1.0, 2.0]),) * 2


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("call, message", [
    (lambda lib, x, c: lib.autograd.grad((x * c).sum(), c), "One of the differentiated Tensors does not require grad"),
    (lambda lib, x, c: lib.autograd.grad(x * c, x), "grad can be implicitly created only for scalar outputs"),
    (lambda lib, x, c: lib.autograd.grad([x.sum(), c.sum()], x),
     "element 1 of tensors does not require grad and does not have a grad_fn"),
    (lambda lib, x, c: lib.autograd.grad(x.sum(), []), r"`inputs` argument to `grad\(\)` cannot be empty"),
    (lambda lib, x, c: lib.autograd.grad(x * c, x, c[:2]),
     r"Mismatch in shape: grad_output\[0\] has a shape of .*2.* and output\[0\] has a shape of .*3"),
    (lambda lib, x, c: lib.autograd.grad([x * c, x.sum()], x, [c]), "got 2 tensors and 1 gradients"),
    (lambda lib, x, c: x.sum().backward(inputs=[]), r"`inputs` argument to `backward\(\)` cannot be empty"),
])
def test_errors_in_pytorch_words(torch, device, call, message):
    for lib, dev in ((tt, device), (torch, "cpu")):
        x, c = on(lib, [1.0, 2.0, 3.0], dev, requires_grad=True), on(lib, [1.0, 1.0, 1.0], dev)
        with pytest.raises(RuntimeError, match=message):
            call(lib, x, c)


def test_type_and_value_errors(torch, device):
    for lib, dev in ((tt, device), (torch, "cpu")):
        x = on(lib, [1.0, 2.0], dev, requires_grad=True)
        with pytest.raises(TypeError, match="gradients can be either Tensors or None, but got float"):
            lib.autograd.grad(x.sum(), x, grad_outputs=[2.0])
        with pytest.raises(ValueError, match="allow_unused to be True or not passed when materialize_grads=True"):
            lib.autograd.grad(x.sum(), x, allow_unused=False, materialize_grads=True)


def test_outputs_and_inputs_must_be_tensors(device):
    x = tt.tensor([1.0, 2.0], device=device, requires_grad=True)
    with pytest.raises(TypeError, match="outputs must be Tensors, but got int"):
        tt.autograd.grad(3, x)
    with pytest.raises(TypeError, match="inputs must be Tensors, but got list"):
        tt.autograd.grad(x.sum(), [[x]])


def test_create_graph_records_the_backward_pass(device):
    x = tt.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x * x * x).sum()
    (dy,) = tt.autograd.grad(y, x, create_graph=True)  # 3x², recorded
    assert dy.grad_fn is not None and dy.tolist() == [3.0, 12.0]
    (d2y,) = tt.autograd.grad(dy.sum(), x)  # 6x
    assert d2y.tolist() == [6.0, 12.0] and d2y.grad_fn is None
    y = (x * x).sum()
    y.backward(create_graph=True)  # .grad = 2x, in the graph
    assert x.grad.grad_fn is not None
    first = x.grad
    x.grad = None
    first.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


class Doubled(tt.autograd.Function):
    """2x, with a backward on arrays only (no ``tensor_backward``)."""

    def forward(self, a):
        return a * 2

    def backward(self, grad):
        return grad * 2


def test_create_graph_names_an_op_without_a_tensor_backward(device):
    x = tt.tensor([0.5, 2.0], device=device, requires_grad=True)
    with pytest.raises(NotImplementedError, match="DoubledBackward has no backward written"):
        tt.autograd.grad(Doubled.apply(x).sum(), x, create_graph=True)
