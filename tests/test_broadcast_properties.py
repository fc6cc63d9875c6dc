"""Property tests: every binary op's gradient is right for random broadcast-compatible shape pairs.

Each example is checked against float64 central differences and, when torch is installed, against
PyTorch's float32 gradients. Shapes stay tiny and examples few so the suite stays fast.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import tinygrad_tutorial as tt

try:
    import torch
except ImportError:  # the float64 gradient check still runs
    torch = None

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SHAPE_PAIRS = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)

BINARY = {
    "add": (lambda m, a, b: a + b, (-2, 2), (-2, 2)),
    "sub": (lambda m, a, b: a - b, (-2, 2), (-2, 2)),
    "mul": (lambda m, a, b: a * b, (-2, 2), (-2, 2)),
    "div": (lambda m, a, b: a / b, (-2, 2), (0.5, 2)),
    "pow": (lambda m, a, b: a ** b, (0.5, 2), (-2, 2)),
    "maximum": (lambda m, a, b: m.maximum(a, b), (-2, 2), (-2, 2)),
    "minimum": (lambda m, a, b: m.minimum(a, b), (-2, 2), (-2, 2)),
    "where": (lambda m, a, b: m.where(a > b, a * 2, b), (-2, 2), (-2, 2)),
}


def check_gradients(fn, arrays, device):
    """fn's gradients against central differences (float64) and, when available, PyTorch (float32)."""
    inputs = [tt.tensor(x, dtype=tt.float64, device=device, requires_grad=True) for x in arrays]
    assert tt.gradcheck(lambda *xs: fn(tt, *xs), inputs)
    if torch is None:
        return
    ours = [tt.tensor(x, dtype=tt.float32, device=device, requires_grad=True) for x in arrays]
    theirs = [torch.tensor(x, dtype=torch.float32, requires_grad=True) for x in arrays]
    out_ours, out_theirs = fn(tt, *ours), fn(torch, *theirs)
    assert tuple(out_ours.shape) == tuple(out_theirs.shape) and out_ours.dtype == tt.float32
    direction = np.random.default_rng(0).standard_normal(tuple(out_theirs.shape)).astype(np.float32)
    out_ours.backward(tt.tensor(direction, device=device))
    out_theirs.backward(torch.tensor(direction))
    for x, y in zip(ours, theirs):
        assert x.grad.shape == x.shape and x.grad.dtype == tt.float32
        np.testing.assert_allclose(x.grad.cpu().numpy(), y.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", BINARY)
@SETTINGS
@given(shapes=SHAPE_PAIRS, seed=st.integers(0, 2**32 - 1))
def test_binary_op_gradients_for_broadcast_shapes(name, shapes, seed, device):
    fn, (a_low, a_high), (b_low, b_high) = BINARY[name]
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(a_low, a_high, shapes.input_shapes[0]), rng.uniform(b_low, b_high, shapes.input_shapes[1])
    assume(np.abs(a - b).min(initial=1.0) > 1e-3)  # no ties: maximum, minimum and where have no gradient there
    check_gradients(fn, [a, b], device)


@st.composite
def matmul_shapes(draw_):
    """(..., m, k) @ (..., k, n) with broadcast-compatible batch dims, or a 1-D operand on either side."""
    batch = draw_(mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2)).input_shapes
    m, k, n = draw_(st.integers(1, 3)), draw_(st.integers(1, 3)), draw_(st.integers(1, 3))
    a_shape = (k,) if draw_(st.booleans()) and not batch[0] else batch[0] + (m, k)
    b_shape = (k,) if draw_(st.booleans()) and not batch[1] else batch[1] + (k, n)
    return a_shape, b_shape


@SETTINGS
@given(shapes=matmul_shapes(), seed=st.integers(0, 2**32 - 1))
def test_matmul_gradients_for_broadcast_batches(shapes, seed, device):
    rng = np.random.default_rng(seed)
    a, b = (rng.uniform(-2, 2, s) for s in shapes)
    check_gradients(lambda m, x, y: x @ y, [a, b], device)
