"""The dynamic graph and backward(): accumulation, freeing, retain_graph, grad modes."""
import numpy as np
import pytest

import tinygrad_tutorial as tt


def test_every_op_on_a_tensor_that_requires_grad_records_a_node(device):
    x = tt.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x * 3).exp()
    assert y.requires_grad and not y.is_leaf and y.grad_fn.name() == "ExpBackward"
    assert y.grad_fn.inputs[0].grad_fn.name() == "MulBackward"
    assert y.grad_fn.inputs[0].grad_fn.inputs[0] is x
    z = tt.tensor([1.0, 2.0], device=device) * 3
    assert not z.requires_grad and z.grad_fn is None and z.is_leaf


def test_a_10000_deep_chain_backpropagates_without_recursion(device):
    x = tt.tensor(1.0, device=device, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-3)


def test_a_second_backward_accumulates_into_grad(device):
    x = tt.tensor([1.0, 2.0], device=device, requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_backward_twice_through_a_freed_graph_raises_unless_retained(device):
    x = tt.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()
    z = (x.exp() * 2).sum()
    x.grad = None
    z.backward(retain_graph=True)
    first = x.grad.tolist()
    z.backward()
    assert np.allclose(x.grad.tolist(), [2 * g for g in first])


def test_backward_on_a_non_scalar_needs_a_gradient(device):
    x = tt.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"only for scalar outputs.*\(2,\).*gradient="):
        y.backward()
    y.backward(tt.tensor([1.0, 0.5], device=device))
    assert x.grad.tolist() == [2.0, 1.0]
    with pytest.raises(RuntimeError, match=r"Mismatch in shape.*\(3,\).*\(2,\)"):
        (x * 2).backward(tt.ones(3, device=device))


def test_backward_on_something_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tt.tensor(1.0).backward()


def test_backward_on_a_leaf_fills_its_own_grad():
    x = tt.tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_non_leaf_grad_stays_none_unless_retained(device):
    x = tt.tensor([1.0, 2.0], device=device, requires_grad=True)
    hidden = x * 2
    kept = x * 3
    kept.retain_grad()
    (hidden * kept).sum().backward()
    assert hidden.grad is None
    assert kept.grad.tolist() == [2.0, 4.0]  # d(sum(hidden*kept))/d kept = hidden
    assert x.grad.tolist() == [12.0, 24.0]  # d/dx 6x² = 12x


def test_retain_grad_on_a_leaf_is_harmless_and_needs_requires_grad():
    x = tt.tensor([1.0], requires_grad=True)
    x.retain_grad()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0]
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        tt.tensor([1.0]).retain_grad()


def test_reused_nodes_accumulate(device):
    x = tt.tensor(3.0, device=device, requires_grad=True)
    (x * x).backward()
    assert x.grad.item() == 6.0
    # a diamond: a feeds b and c, which meet again in d
    x.grad = None
    a = x * 2
    b, c = a * a, a.exp()
    d = b + c
    d.backward()
    assert x.grad.item() == pytest.approx(2 * (2 * 6.0 + np.exp(6.0)), rel=1e-5)
    # the same tensor used many times in one op and in several ops
    w = tt.tensor([1.0, 2.0], device=device, requires_grad=True)
    (w + w + w * w).sum().backward()
    assert w.grad.tolist() == [4.0, 6.0]


def test_a_node_used_by_a_later_node_and_the_output_gets_both_gradients(device):
    """Skip connections (r = a + f(a)): a's node must run only after every consumer has sent its gradient."""
    x = tt.tensor(1.0, device=device, requires_grad=True)
    a = x * 2
    (a + a * 3).backward()
    assert x.grad.item() == 8.0
    x.grad = None
    c = x * 1.5
    (c * (c * c)).backward()  # d/dx (1.5x)³ = 3 · 1.5³ x²
    assert x.grad.item() == pytest.approx(3 * 1.5 ** 3)


UNARY = [lambda a: a.tanh(), lambda a: a.sigmoid(), lambda a: (a * 0.3).exp(), lambda a: a * 2.5]
BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b, lambda a, b: a * b.tanh()]


@pytest.mark.parametrize("seed", range(12))
def test_random_graphs_with_shared_nodes_backpropagate_correctly(seed, device):
    """Random DAGs, each new value built from random earlier ones, checked against central differences."""
    rng = np.random.default_rng(seed)
    recipe = []
    for step in range(12):
        available = step + 2  # two leaves, then one new value per step
        if rng.random() < 0.6:
            recipe.append((BINARY[rng.integers(len(BINARY))], rng.integers(available, size=2)))
        else:
            recipe.append((UNARY[rng.integers(len(UNARY))], rng.integers(available, size=1)))

    def build(x, y):
        values = [x, y]
        for op, picks in recipe:
            values.append(op(*(values[i] for i in picks)))
        return values[-1] + values[-3] * values[-5]  # several values feed the output

    leaves = [tt.randn(3, dtype=tt.float64, device=device, requires_grad=True) for _ in range(2)]
    assert tt.gradcheck(build, leaves)


def test_gradients_never_alias(device):
    """Two leaves fed the same gradient array must not share it: changing one changes the other otherwise."""
    a = tt.tensor([1.0, 2.0], device=device, requires_grad=True)
    b = tt.tensor([1.0, 2.0], device=device, requires_grad=True)
    (a + b).sum().backward()
    a.grad.array[0] = 100.0
    assert b.grad.tolist() == [1.0, 1.0]
    c = a + b
    (c + c).sum().backward()
    assert b.grad.tolist() == [3.0, 3.0]


# ---------------------------------------------------------------- grad modes
def test_nothing_is_recorded_under_no_grad(device):
    x = tt.tensor([1.0, 2.0], device=device, requires_grad=True)
    with tt.no_grad():
        assert not tt.is_grad_enabled()
        y = (x * 2).exp().sum()
        assert not y.requires_grad and y.grad_fn is None
    assert tt.is_grad_enabled()
    assert (x * 2).requires_grad


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ValueError):
        with tt.no_grad():
            raise ValueError("boom")
    assert tt.is_grad_enabled()

    @tt.no_grad()
    def fails():
        assert not tt.is_grad_enabled()
        raise KeyError

    with pytest.raises(KeyError):
        fails()
    assert tt.is_grad_enabled()


def test_grad_modes_as_decorators_nest_and_restore():
    @tt.no_grad()
    def predict(x):
        return x * 2

    @tt.enable_grad()
    def train(x):
        return x * 2

    x = tt.tensor([1.0], requires_grad=True)
    assert predict.__name__ == "predict"
    assert not predict(x).requires_grad
    with tt.no_grad():
        assert train(x).requires_grad
        with tt.enable_grad():
            assert tt.is_grad_enabled()
            with tt.no_grad():
                assert not tt.is_grad_enabled()
            assert tt.is_grad_enabled()
        assert not tt.is_grad_enabled()
    assert tt.is_grad_enabled()


def test_grad_modes_decorate_without_parentheses_too():
    @tt.no_grad
    def predict(x):
        return x * 2

    @tt.enable_grad
    def train(x):
        return x * 2

    x = tt.tensor([1.0], requires_grad=True)
    assert not predict(x).requires_grad and tt.is_grad_enabled() and predict.__name__ == "predict"
    with tt.no_grad():
        assert train(x).requires_grad


def test_one_no_grad_object_can_be_reentered():
    mode = tt.no_grad()

    @mode
    def recurse(n):
        assert not tt.is_grad_enabled()
        return n if n == 0 else recurse(n - 1)

    with tt.enable_grad():
        recurse(3)
        assert tt.is_grad_enabled()


def test_set_grad_enabled_as_a_call_and_as_a_context_manager():
    x = tt.tensor([1.0], requires_grad=True)
    with tt.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert tt.is_grad_enabled()
    tt.set_grad_enabled(False)
    try:
        assert not tt.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        tt.set_grad_enabled(True)
    assert tt.is_grad_enabled()
    with tt.no_grad():
        with tt.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not tt.is_grad_enabled()


def test_set_grad_enabled_as_a_decorator_switches_only_inside_each_call():
    @tt.set_grad_enabled(False)
    def frozen(x):
        assert not tt.is_grad_enabled()
        return x * 2

    assert tt.is_grad_enabled()  # decorating switched nothing
    x = tt.tensor([1.0], requires_grad=True)
    assert not frozen(x).requires_grad and not frozen(x).requires_grad  # callable more than once
    assert tt.is_grad_enabled() and (x * 2).requires_grad


# ---------------------------------------------------------------- leaves, detach, requires_grad_
def test_requires_grad_and_is_leaf(device):
    x = tt.ones(2, device=device)
    assert not x.requires_grad and x.is_leaf
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    y = x * 2
    assert not y.is_leaf
    with pytest.raises(RuntimeError, match="leaf variables.*detach"):
        y.requires_grad_(False)
    x.requires_grad_(False)
    assert not (x * 2).requires_grad


def test_detach_stops_gradients(device):
    x = tt.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * x.detach()  # the detached factor is a constant
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0]


def test_integer_results_do_not_carry_gradients():
    x = tt.tensor([1.5, 2.5], requires_grad=True)
    assert not x.argmax().requires_grad and not (x > 2).requires_grad and not x.max(0).indices.requires_grad
    assert not x.long().requires_grad


def test_gradients_flow_through_to_and_dtype_changes():
    x = tt.tensor([1.0, 2.0], requires_grad=True)
    (x.to(tt.float64) * 3).sum().backward()
    assert x.grad.dtype == tt.float32 and x.grad.tolist() == [3.0, 3.0]


def test_in_place_updates_belong_in_no_grad():
    w = tt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w -= 0.1
    with tt.no_grad():
        w -= 0.5
    assert w.tolist() == [0.5, 1.5] and w.is_leaf and w.requires_grad
