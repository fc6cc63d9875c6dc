"""Gradients where they are easy to get wrong: at kinks and ties, behind masks, next to
inf and NaN.

Each case runs the same lambda on tinygrad_tutorial and on torch, in float64 and
float32, and compares the values and the gradients of every input, NaN for NaN: a
branch not taken gets exactly 0 (not 0 · inf = nan), a tie is broken as PyTorch breaks
it, and where PyTorch itself gives NaN, so must we.
"""
import math

import numpy as np
import pytest

import tinygrad_tutorial as tt

torch = pytest.importorskip(
    "torch", reason="PyTorch is the test oracle; install torch to run the parity tests")

inf, nan = math.inf, math.nan
SPECIAL = [-1.0, 0.0, 2.0, 2.0, -inf, inf, nan]  # a kink at 0, a tie at 2, inf, NaN
ROWS = [[0.0, -inf, 1.0], [-inf, -inf, 2.0], [3.0, 1.0, -inf]]  # masked logits
ZEROS = [0.0] * 7


def F(m):
    return m.nn.functional


def on(x, values, dtype=None):
    """``values`` as a tensor of x's module on x's device, in x's dtype or ``dtype``."""
    m = tt if isinstance(x, tt.Tensor) else torch
    dtype = getattr(m, dtype) if dtype else x.dtype
    return m.tensor(values, device=x.device, dtype=dtype)


def labels(x, values):
    return on(x, values, "int64")


def mask_like(x, mask):
    """A bool mask as it is, a float one (0 / -inf) in x's dtype."""
    return on(x, mask, "bool" if mask.dtype == bool else None)


def sdpa(mask):
    def fn(m, q, k, v):
        return F(m).scaled_dot_product_attention(q, k, v, attn_mask=mask_like(q, mask))
    return fn


MHA_PARAMS = [np.random.default_rng(5).standard_normal(s) * 0.5
              for s in [(12, 4), (12,), (4, 4), (4,)]]


def mha(key_padding_mask=None, attn_mask=None, need_weights=True):
    """MultiheadAttention(4, 2) with fixed parameters, on query x and key = value y."""
    def fn(m, x, y):
        layer = m.nn.MultiheadAttention(4, 2, batch_first=True, device=x.device,
                                        dtype=x.dtype)
        with m.no_grad():
            for p, w in zip(layer.parameters(), MHA_PARAMS):
                p.copy_(on(x, w))
        masks = [None if mask is None else mask_like(x, mask)
                 for mask in (key_padding_mask, attn_mask)]
        out, weights = layer(x, y, y, key_padding_mask=masks[0], attn_mask=masks[1],
                             need_weights=need_weights)
        return out if weights is None else out + weights.sum()
    return fn


RNG = np.random.default_rng(3)
Q, K, V = (RNG.standard_normal(shape) for shape in [(2, 3, 4), (2, 5, 4), (2, 5, 4)])
ALLOWED = np.array([[True, False, True, True, False],  # SDPA's: True may attend
                    [True, False, False, False, False],
                    [False, True, False, True, True]])
NO_KEY = ALLOWED.copy()
NO_KEY[1] = False  # a query that may attend to no key at all
PADDING = np.array([[False, False, True, True, False], [False, True, True, True, True]])
ALL_PADDING = np.array([[False, False, True, True, False], [True] * 5])
FUTURE = np.triu(np.ones((3, 5), bool), 1)  # MultiheadAttention's: True may not attend
MINUS_INF_WHERE = {name: np.where(mask, -inf, 0.0) for name, mask in
                   [("blocked", ~ALLOWED), ("no_key", ~NO_KEY), ("future", FUTURE)]}
BIG = [[0.0, 1.0, 2.0], [3.0, -4.0, 5.0], [1.0, -inf, 1.0]]  # times 1e5 below

CASES = [
    # 1. a branch not taken gets exactly 0; ties go where PyTorch sends them
    ("relu", lambda m, a: m.relu(a), [SPECIAL]),
    ("relu_then_sqrt", lambda m, a: m.relu(a).sqrt(), [SPECIAL]),
    ("clamp_numbers", lambda m, a: a.clamp(0.0, 2.0), [SPECIAL]),
    ("clamp_min_then_sqrt", lambda m, a: a.clamp(min=0).sqrt(), [SPECIAL]),
    ("clamp_max_then_sqrt", lambda m, a: (-a.clamp(max=0)).sqrt(), [SPECIAL]),
    ("clamp_tensors", lambda m, a, low, high: a.clamp(low, high),  # ties, low >= high
     [[-1.0, 0.0, 2.0, 5.0, nan, 1.0, 0.5, -3.0],
      [0.0, 0.0, 0.0, 1.0, 0.0, 2.0, 1.0, 1.0], [1.0] * 8]),
    ("clamp_tensor_min_then_sqrt", lambda m, a, low: a.clamp(min=low).sqrt(),
     [SPECIAL, ZEROS]),
    ("clamp_tensor_max", lambda m, a, high: a.clamp(max=high),
     [SPECIAL, [0.0, 0.0, 2.0, 3.0, 0.0, 0.0, 0.0]]),
    ("clamp_tensor_broadcast", lambda m, a, low: m.clamp(a, low, on(a, 1.5)),
     [SPECIAL, [-2.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0]]),
    ("max_ties_split", lambda m, a: a.max(), [[1.0, 3.0, 3.0, 2.0, 3.0]]),
    ("max_of_zeros_then_sqrt", lambda m, a: a.max().sqrt(), [[-1.0, 0.0, 0.0]]),
    ("max_nan", lambda m, a: a.max() + m.min(a), [[nan, 1.0, nan, -2.0]]),
    ("min_ties_then_sqrt", lambda m, a: (-a.min()).sqrt(), [[1.0, 0.0, 0.0]]),
    ("max_dim_ties_to_index",
     lambda m, a: a.max(1).values[:, None] * a.min(dim=0, keepdim=True).values,
     [[[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, 5.0], [1.0, nan, 0.0, 0.0]]]),
    ("max_dim_then_sqrt", lambda m, a: a.max(1).values.sqrt() + (-a).max(0)[0].sqrt(),
     [[[-1.0, 0.0], [2.0, 1.0]]]),
    ("amax_ties_split", lambda m, a: a.amax(1) + m.amin(a, 0).sum(),
     [[[1.0, 3.0, 3.0], [-inf, -inf, 5.0]]]),
    ("amax_then_sqrt", lambda m, a: a.amax(1).sqrt(), [[[-1.0, 0.0], [2.0, 1.0]]]),
    ("amax_nan", lambda m, a: a.amax(0), [[1.0, nan, 2.0]]),
    ("maximum_ties_and_nan", lambda m, a, b: m.maximum(a, b) * 2 + m.minimum(a, b),
     [[1.0, 2.0, 3.0, inf, -inf, nan, 0.0], [1.0, 3.0, 2.0, inf, -inf, 1.0, nan]]),
    ("maximum_then_sqrt", lambda m, a: m.maximum(a, m.zeros_like(a)).sqrt(), [SPECIAL]),
    ("minimum_broadcast_then_sqrt", lambda m, a, b: (-a.minimum(b)).sqrt(),
     [[[1.0], [0.0], [-2.0]], [0.0, 1.0]]),
    ("elu_leaky_relu", lambda m, a: F(m).elu(a) + F(m).leaky_relu(a, 0.1), [SPECIAL]),
    # no NaN: PyTorch's hardtanh passes its gradient in the scalar kernel, not in the
    # vectorized one
    ("relu6_hardtanh_at_bounds", lambda m, a: F(m).relu6(a) + F(m).hardtanh(a, -1, 2),
     [[-1.0, 0.0, 2.0, 6.0, 7.0, -inf, inf]]),
    ("abs", lambda m, a: a.abs(), [SPECIAL]),
    ("abs_then_sqrt", lambda m, a: abs(a).sqrt(), [SPECIAL]),  # inf · sign 0 = nan at 0
    ("where_sqrt", lambda m, a: m.where(a > 0, a.sqrt(), 0.0), [SPECIAL]),  # a < 0: nan
    ("where_log_or_self", lambda m, a: m.where(a > 0, a.log(), a), [SPECIAL]),
    ("where_other_side_infinite", lambda m, a, b: m.where(a > 0, a, b) * 3,
     [SPECIAL, [inf, nan, -inf, 1.0, 2.0, 3.0, 4.0]]),
    ("masked_fill_then_sqrt", lambda m, a: a.masked_fill(a < 0, 0.0).sqrt(), [SPECIAL]),
    ("masked_fill_minus_inf_exp", lambda m, a: a.masked_fill(a < 0, -inf).exp(),
     [SPECIAL]),
    ("std_var_no_spread",
     lambda m, a: a.std() + a.var() + m.std(a, 1).sum() + a.std(0, correction=0).sum(),
     [[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]),
    ("std_one_row_flat", lambda m, a: a.std(1) * 2 + m.std_mean(a, 1, correction=0)[0],
     [[[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]]),
    ("std_single_entry", lambda m, a: a.std() + a.var(0), [[1.5]]),  # n - 1 = 0: nan
    ("std_nan", lambda m, a: a.std(), [[2.0, nan]]),
    ("norms_at_zero", lambda m, a: a.norm() + m.linalg.vector_norm(a, 3)
     + m.linalg.vector_norm(a, 0.5) + m.linalg.vector_norm(a, 1)
     + m.linalg.vector_norm(a, inf), [[0.0, 0.0, 0.0]]),
    ("norms_with_a_zero_entry", lambda m, a: a.norm(dim=1) + m.linalg.vector_norm(a, -1)
     + m.linalg.vector_norm(a, -2, 1) + m.linalg.vector_norm(a, 0.5, dim=-1)
     + m.linalg.vector_norm(a, -inf, 1), [[[0.0, 3.0, -4.0], [0.0, 0.0, 0.0]]]),
    ("norm_nan", lambda m, a: a.norm() + m.linalg.vector_norm(a, 3)
     + m.linalg.vector_norm(a, 1), [[nan, 1.0]]),
    ("norm_squared_at_zero", lambda m, a: a.norm() ** 2 + m.linalg.matrix_norm(a),
     [[[0.0, 0.0], [0.0, 0.0]]]),
    ("cdist_identical_rows", lambda m, a, b: m.cdist(a, b),
     [[[0.0, 1.0]], [[0.0, 1.0], [1.0, 1.0]]]),
    ("pow_zero_exponent", lambda m, a: a ** 0 + a ** 0.0, [SPECIAL]),
    ("pow_half_at_zero", lambda m, a: a ** 0.5, [[0.0, 1.0, -1.0, inf]]),
    ("pow_negative_at_zero", lambda m, a: a ** -1 + a ** -0.5, [[0.0, 1.0, -1.0]]),
    ("pow_one_two", lambda m, a: a ** 1 + a ** 2, [SPECIAL]),
    ("pow_tensor_zero_base_or_exponent", lambda m, a, b: a ** b,
     [[0.0, 0.0, 0.0, 2.0, -1.0, 0.0], [0.0, 2.0, 0.5, 0.0, 2.0, -1.0]]),
    ("rpow_zero_and_inf", lambda m, a: 0.0 ** a + 2.0 ** a,
     [[0.0, 1.0, 2.0, -1.0, -inf, inf]]),
    # 2. masked logits: -inf entries give PyTorch's finite losses and gradients
    ("softmax_masked", lambda m, a: a.softmax(-1) + m.log_softmax(a, 1), [ROWS]),
    ("softmax_row_all_minus_inf", lambda m, a: a.softmax(-1) + a.log_softmax(-1),
     [[[0.0, -inf], [-inf, -inf]]]),
    ("softmax_plus_inf", lambda m, a: a.softmax(-1), [[[0.0, inf, 1.0]]]),
    ("cross_entropy_masked", lambda m, a: F(m).cross_entropy(a, labels(a, [0, 2, 1])),
     [ROWS]),
    ("cross_entropy_masked_none", lambda m, a: F(m).cross_entropy(
        a, labels(a, [0, 2, 0]), reduction="none"), [ROWS]),
    ("cross_entropy_target_masked", lambda m, a: F(m).cross_entropy(  # -log 0 = inf
        a, labels(a, [1, 2, 0]), reduction="sum"), [ROWS]),
    ("cross_entropy_masked_weighted", lambda m, a: F(m).cross_entropy(
        a, labels(a, [0, 2, 1]), weight=on(a, [1.0, 2.0, 3.0])), [ROWS]),
    ("cross_entropy_zero_weight_masked_target", lambda m, a: F(m).cross_entropy(  # nan
        a, labels(a, [1, 2, 1]), weight=on(a, [1.0, 0.0, 3.0])), [ROWS]),
    ("cross_entropy_masked_label_smoothing", lambda m, a: F(m).cross_entropy(  # inf
        a, labels(a, [0, 2, 1]), label_smoothing=0.1), [ROWS]),
    ("cross_entropy_ignored_row_all_minus_inf", lambda m, a: F(m).cross_entropy(
        a, labels(a, [0, -100]), label_smoothing=0.2, reduction="none"),
     [[[0.0, -inf, 1.0], [-inf] * 3]]),
    ("cross_entropy_masked_spatial",
     lambda m, a: F(m).cross_entropy(a, labels(a, [[0, 1]])),
     [[[[0.0, -inf], [-inf, 1.0], [1.0, 2.0]]]]),
    ("cross_entropy_masked_probabilities", lambda m, a, p: F(m).cross_entropy(a, p),
     [ROWS, [[0.5, 0.0, 0.5], [0.0, 0.0, 1.0], [0.7, 0.3, 0.0]]]),
    ("nll_after_log_softmax_masked",
     lambda m, a: F(m).nll_loss(a.log_softmax(1), labels(a, [0, 2, 1])), [ROWS]),
    ("sdpa_bool_mask", sdpa(ALLOWED), [Q, K, V]),
    ("sdpa_float_mask", sdpa(MINUS_INF_WHERE["blocked"]), [Q, K, V]),
    ("sdpa_bool_mask_query_sees_nothing", sdpa(NO_KEY), [Q, K, V]),  # zero weights
    ("sdpa_float_mask_query_sees_nothing", sdpa(MINUS_INF_WHERE["no_key"]), [Q, K, V]),
    ("mha_key_padding_mask", mha(PADDING), [Q, K]),
    ("mha_bool_attn_mask", mha(attn_mask=FUTURE), [Q, K]),
    ("mha_float_attn_mask_and_padding", mha(PADDING, MINUS_INF_WHERE["future"]),
     [Q, K]),
    ("mha_all_padding_no_weights", mha(ALL_PADDING, need_weights=False), [Q, K]),
    ("mha_all_padding_with_weights", mha(ALL_PADDING), [Q, K]),  # a plain softmax: nan
    # 3. logsumexp: stable for large and -inf inputs, with the softmax as its gradient
    ("logsumexp", lambda m, a: m.logsumexp(a, 1) + a.logsumexp((0, 1), keepdim=True),
     [[[0.0, 1.0, 2.0], [-inf, -inf, 1.0], [1e4, 2e4, -1e4]]]),
    ("logsumexp_all_minus_inf_and_inf", lambda m, a: m.logsumexp(a, -1, keepdim=True),
     [[[-inf, -inf, -inf], [inf, 0.0, 1.0], [inf, -inf, inf], [nan, 0.0, 1.0]]]),
    ("logsumexp_0d", lambda m, a: a.logsumexp(0) * m.logsumexp(a, -1), [2.5]),
    # stability: logits · 1e5, also with -inf entries
    ("logits_times_1e5", lambda m, a: (a * 1e5).softmax(1)
     + (a * 1e5).log_softmax(1) / 1e5 + (a * 1e5).logsumexp(1, keepdim=True) / 1e5,
     [BIG]),
    ("cross_entropy_logits_times_1e5",
     lambda m, a: F(m).cross_entropy(a * 1e5, labels(a, [0, 2, 1])) / 1e5, [BIG]),
]


def run(m, fn, arrays, dtype, device):
    """fn on m's tensors, backpropagating a fixed random direction: (out, grads)."""
    inputs = [m.tensor(a, dtype=dtype, device=device, requires_grad=True)
              for a in arrays]
    out = fn(m, *inputs)
    direction = np.random.default_rng(0).standard_normal(tuple(out.shape))
    out.backward(m.tensor(direction, dtype=out.dtype, device=device))
    return out, [x.grad for x in inputs]


def as_numpy(t):
    return t.detach().cpu().numpy()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, fn, arrays", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_torch(name, fn, arrays, dtype, device):
    if dtype == "float64":
        close = dict(rtol=1e-10, atol=1e-12)
    else:
        close = dict(rtol=1e-4, atol=1e-5)
    with np.errstate(all="ignore"):
        out, grads = run(tt, fn, arrays, getattr(tt, dtype), device)
    expected_out, expected_grads = run(torch, fn, arrays, getattr(torch, dtype), "cpu")
    assert out.dtype == getattr(tt, dtype) and out.shape == tuple(expected_out.shape)
    np.testing.assert_allclose(as_numpy(out), as_numpy(expected_out), equal_nan=True,
                               **close)
    for i, (grad, expected) in enumerate(zip(grads, expected_grads)):
        assert grad is not None and grad.device == out.device, f"input {i}"
        np.testing.assert_allclose(as_numpy(grad), as_numpy(expected), equal_nan=True,
                                   err_msg=f"input {i}", **close)


def test_logsumexp_function_promotes_integers_and_writes_out(device):
    x = tt.tensor([[1, 2], [3, 4]], device=device)
    expected = torch.logsumexp(torch.tensor([[1, 2], [3, 4]]), 1)
    assert tt.logsumexp(x, 1).dtype == tt.float32
    np.testing.assert_allclose(as_numpy(tt.logsumexp(x, 1)), expected.numpy(),
                               rtol=1e-6)
    out = tt.empty(2, device=device)
    assert tt.logsumexp(x.float(), 0, out=out) is out
    np.testing.assert_allclose(as_numpy(out), np.log(np.exp([1, 2]) + np.exp([3, 4])),
                               rtol=1e-6)


def test_logsumexp_needs_a_dim():  # as PyTorch's
    with pytest.raises(TypeError, match="dim"):
        tt.logsumexp(tt.ones(3))


def test_selected_gradients_of_empty_tensors(device):
    x = tt.zeros(0, 3, device=device, requires_grad=True)
    (x.relu() + x.clamp(0, 1) + x.max(1).values[:, None]).sum().backward()
    assert x.grad.shape == (0, 3) and x.grad.device == x.device
