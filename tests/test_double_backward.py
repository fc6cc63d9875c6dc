"""Gradients of gradients (``create_graph=True``) for every op of ``op_cases.CASES``.

For each case: :func:`autograd.gradgradcheck` (the recorded backward against central
differences), and the second-order vector-Jacobian product against PyTorch's, in
float64. With random ``v`` and ``u``, ``g = grad(f(x), xs, v, create_graph=True)`` and
then ``grad(Σ_i ⟨u_i, g_i⟩, xs)``: the same two calls in both modules. The first-order
``g`` must also equal, exactly, what the plain backward (no ``create_graph``) gives: the
two are the same product, written once on arrays and once in tensor ops.
"""
import numpy as np
import pytest

import tinygrad_tutorial as tt
from op_cases import CASES


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch is the test oracle; install "
                                               "torch to run the parity tests")


def leaves(m, arrays, device):
    """float64 leaves of module ``m`` (ours on ``device``, PyTorch's on the CPU)."""
    if m is tt:
        return [tt.tensor(a, dtype=tt.float64, device=device, requires_grad=True)
                for a in arrays]
    return [m.tensor(a, dtype=m.float64, requires_grad=True) for a in arrays]


def as_array(t):
    if t is None:
        return None
    if getattr(t, "_is_zerotensor", lambda: False)():  # PyTorch's zeros, not filled in
        return np.zeros(tuple(t.shape))
    return t.detach().cpu().numpy()


def first_and_second(m, fn, arrays, v, u, device):
    """``g = grad(fn(xs), xs, v, create_graph=True)`` and ``grad(Σ ⟨u_i, g_i⟩, xs)``, as
    arrays (None where a gradient is None: an input the result does not depend on)."""
    xs = leaves(m, arrays, device)
    out = fn(m, *xs)
    direction = m.tensor(v, dtype=out.dtype, device=out.device)
    g = m.autograd.grad(out, xs, direction, create_graph=True, allow_unused=True)
    inner = sum((gi * m.tensor(ui, dtype=gi.dtype, device=gi.device)).sum()
                for gi, ui in zip(g, u) if gi is not None)
    if isinstance(inner, int) or not inner.requires_grad:  # no g_i depends on xs
        second = [None] * len(xs)
    else:
        second = m.autograd.grad(inner, xs, allow_unused=True)
    return [as_array(gi) for gi in g], [as_array(h) for h in second]


def plain_first(fn, arrays, v, device):
    """The first-order gradients from the array backward (no ``create_graph``)."""
    xs = leaves(tt, arrays, device)
    out = fn(tt, *xs)
    direction = tt.tensor(v, dtype=out.dtype, device=out.device)
    grads = tt.autograd.grad(out, xs, direction, allow_unused=True)
    return [as_array(g) for g in grads]


def random_directions(fn, arrays, seed):
    """``v``, shaped like ``fn``'s output, and one ``u`` per input."""
    rng = np.random.default_rng(seed)
    with tt.no_grad():
        out_shape = tuple(fn(tt, *[tt.tensor(a) for a in arrays]).shape)
    return (rng.standard_normal(out_shape),
            [rng.standard_normal(a.shape) for a in arrays])


def assert_same_or_both_zero(ours, theirs):
    """Same values and shapes; a None (no dependence) on one side may face zeros (a
    dependence whose derivative is 0) on the other."""
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a is None or b is None:
            other = b if a is None else a
            assert other is None or not other.any(), (i, ours, theirs)
        else:
            assert a.shape == b.shape, (i, a.shape, b.shape)
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10,
                                       err_msg=f"input {i}")


def assert_like_torch(fn, arrays, device, torch, torch_fn=None, seed=2):
    """Both orders of ``fn`` as PyTorch's (of ``torch_fn`` when given), and the first
    order as the plain backward's, exactly. Returns the first-order gradients."""
    v, u = random_directions(fn, arrays, seed)
    first, second = first_and_second(tt, fn, arrays, v, u, device)
    first_torch, second_torch = first_and_second(torch, torch_fn or fn, arrays, v, u,
                                                 device)
    assert_same_or_both_zero(first, first_torch)
    assert_same_or_both_zero(second, second_torch)
    for recorded, plain in zip(first, plain_first(fn, arrays, v, device)):
        assert (recorded is None) == (plain is None)
        if plain is not None:  # the same product, to the last bit
            np.testing.assert_array_equal(recorded, plain)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradgradcheck(case, device):
    inputs = leaves(tt, case.draw(), device)
    assert tt.autograd.gradgradcheck(lambda *xs: case.fn(tt, *xs), inputs,
                                     **case.gradcheck)


def distances_through_vector_norm(m, a, b):
    return m.linalg.vector_norm(a.unsqueeze(-2) - b.unsqueeze(-3), dim=-1)


# PyTorch's cdist has no double backward ("the derivative for '_cdist_backward' is not
# implemented"): its second order is taken of the same distances through vector_norm
IN_TORCH = {"cdist": distances_through_vector_norm}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_second_order_matches_torch(case, device, torch):
    assert_like_torch(case.fn, case.draw(), device, torch, IN_TORCH.get(case.name))


def nth_derivative(m, fn, x, n):
    """dⁿ fn / dxⁿ, elementwise (fn acts on each element alone), by n nested grads."""
    y = fn(m, x)
    for _ in range(n):
        (y,) = m.autograd.grad(y.sum(), x, create_graph=True)
    return y


POINTS = np.array([-1.5, -0.2, 0.0, 0.7, 2.0])


@pytest.mark.parametrize("fn", [
    lambda m, a: a.tanh(),
    lambda m, a: m.sin(a.tanh() * 2),
    lambda m, a: (a.sin() * a).tanh(),
], ids=["tanh", "sin_tanh", "tanh_sin"])
def test_third_derivatives_match_torch(fn, device, torch):
    ours = nth_derivative(tt, fn, leaves(tt, [POINTS], device)[0], 3)
    theirs = nth_derivative(torch, fn, leaves(torch, [POINTS], device)[0], 3)
    np.testing.assert_allclose(as_array(ours), as_array(theirs), rtol=1e-10, atol=1e-12)


def test_third_derivative_of_tanh_is_the_formula(device):
    x = leaves(tt, [POINTS], device)[0]
    third = nth_derivative(tt, lambda m, a: a.tanh(), x, 3)
    t = np.tanh(POINTS)
    expected = (1 - t * t) * (6 * t * t - 2)  # d³/dx³ tanh, from tanh' = 1 - tanh²
    np.testing.assert_allclose(as_array(third), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["relu", "abs"])
def test_relu_and_abs_have_second_derivative_exactly_zero_at_the_kink_too(
        name, device, torch):
    kinked = np.array([-1.0, 0.0, 2.0])
    results = {}
    for m in (tt, torch):
        x = leaves(m, [kinked], device)[0]
        v = m.ones_like(x, requires_grad=True)  # so g = v·f'(x) is in the graph
        (g,) = m.autograd.grad(getattr(x, name)(), x, v, create_graph=True)
        d_x, d_v = m.autograd.grad(g.sum(), [x, v], allow_unused=True)
        results[m] = [as_array(t) for t in (g, d_x, d_v)]
    (g, d_x, d_v), (g_torch, d_x_torch, d_v_torch) = results[tt], results[torch]
    assert d_x is None or not d_x.any()  # ours: no dependence on x, so exactly 0
    assert d_x_torch.tolist() == [0.0, 0.0, 0.0]
    assert g.tolist() == g_torch.tolist()  # f'(0) = 0, as in torch
    assert d_v.tolist() == d_v_torch.tolist()


@pytest.mark.parametrize("name", ["relu", "abs"])
def test_second_derivative_through_the_kink_matches_torch(name, device, torch):
    def cubic(m, a):  # f(a)·a², whose second derivative reads f' and f'' at the kink
        return getattr(a, name)() * a * a

    ours = nth_derivative(tt, cubic, leaves(tt, [POINTS], device)[0], 2)
    theirs = nth_derivative(torch, cubic, leaves(torch, [POINTS], device)[0], 2)
    assert as_array(ours).tolist() == as_array(theirs).tolist()


TIED = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 0.5, 2.0], [-1.0, 1.0, 0.0, 1.0]])
TIES_A_AT_3 = np.where(TIED == 3.0, 3.0, TIED.T.reshape(3, 4))  # == TIED where it is 3


@pytest.mark.parametrize("fn", [
    lambda m, a, b: m.maximum(a, b) ** 3,
    lambda m, a, b: m.minimum(a, b) ** 3 * a,
    lambda m, a, b: m.where(a >= b, a, b) ** 3,
    lambda m, a, b: a.clamp(-1.0, 1.0) ** 3 * b,
    lambda m, a, b: a.clamp(min=2.0) ** 2 * a + a.clamp(max=-1.0) * b,
    lambda m, a, b: a.max(1).values ** 3 * a.min(0).values.sum(),
    lambda m, a, b: a.amax(1) ** 3 * b.amax(),
    lambda m, a, b: a.max() ** 3 * b.min(),
], ids=["maximum", "minimum", "where", "clamp", "clamp_one_bound", "max_dim", "amax",
        "max_all"])
def test_second_order_at_ties_matches_torch(fn, device, torch):
    """Ties between the two inputs, at the clamp bounds and among maxima: the split or
    pick of the first-order gradient carries over to the second order."""
    assert_like_torch(fn, [TIED, TIES_A_AT_3], device, torch, seed=5)


@pytest.mark.parametrize("fn", [
    lambda m, a: a.prod(1),
    lambda m, a: a.prod(),
    lambda m, a: a.prod(0, keepdim=True) ** 2,
], ids=["dim", "all", "dim0_keepdim"])
@pytest.mark.parametrize("values", [
    [[2.0, 0.0, 3.0, -1.5], [0.5, 1.5, 2.0, -1.0], [0.0, 0.0, 1.5, 2.0]],  # 1, 0, 2 0s
    [[0.0, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [3.0, 0.5, -1.0, 2.0]],
], ids=["rows", "columns"])
def test_prod_second_order_with_zeros_matches_torch(values, fn, device, torch):
    """Π_{j≠i} a_j still moves with a zero a_j: the first-order gradient of the others
    is 0 at such a product, yet its own gradient is not."""
    assert_like_torch(fn, [np.array(values)], device, torch, seed=3)
    assert tt.autograd.gradgradcheck(lambda a: fn(tt, a), leaves(tt, [values], device))


SAVES_ITS_OUTPUT = {  # ops whose backward reads their output (kept, as in PyTorch)
    "exp": lambda m, x: x.exp(), "sqrt": lambda m, x: x.sqrt(),
    "tanh": lambda m, x: x.tanh(), "sigmoid": lambda m, x: x.sigmoid(),
    "expm1": lambda m, x: x.expm1(), "softmax": lambda m, x: x.softmax(-1),
    "log_softmax": lambda m, x: x.log_softmax(-1), "inv": lambda m, x: m.linalg.inv(x),
}


@pytest.mark.parametrize("name", SAVES_ITS_OUTPUT)
def test_writing_the_input_after_forward_leaves_the_recorded_gradient_right(
        name, device, torch):
    """Such an op keeps no copy of its input: its recorded backward is written with the
    output too, so a write into the input after forward changes nothing, as in
    PyTorch (recomputing the output from the input would silently use new values)."""
    fn = SAVES_ITS_OUTPUT[name]
    start = np.array([[0.9, 0.3, 0.5], [0.2, 1.1, 0.4], [0.1, 0.6, 1.3]])
    results = []
    for m in (tt, torch):
        (leaf,) = leaves(m, [start], device if m is tt else None)
        x = leaf * 1  # a non-leaf, so it may be written in place
        y = fn(m, x)
        x.mul_(3)
        (g,) = m.autograd.grad((y * y).sum(), leaf, create_graph=True)
        (h,) = m.autograd.grad(g.sum(), leaf)
        results.append((as_array(g), as_array(h)))
    (g, h), (g_torch, h_torch) = results
    np.testing.assert_allclose(g, g_torch, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h, h_torch, rtol=1e-12, atol=1e-12)
