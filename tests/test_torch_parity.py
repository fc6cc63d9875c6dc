"""Same code, two modules: every op gives PyTorch's values, shapes, dtypes and gradients (float32).

Skipped as a whole when torch is not installed (CI installs it as the test oracle).
"""
import numpy as np
import pytest

import tinygrad_tutorial as tt
from op_cases import CASES

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch to run the parity tests")


def same_dtype(ours, theirs):
    return ours.name == str(theirs).removeprefix("torch.")


def assert_like_torch(ours, theirs, rtol=1e-5, atol=1e-6):
    """Same shape, dtype and values (NaN where torch has NaN)."""
    assert tuple(ours.shape) == tuple(theirs.shape), (ours.shape, theirs.shape)
    assert same_dtype(ours.dtype, theirs.dtype), (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours.detach().cpu().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def run_both(fn, arrays, device, dtypes=None):
    """``fn(m, *inputs)`` with ``m`` = tinygrad_tutorial and torch, backpropagating the same random direction."""
    ours = [tt.tensor(a, device=device, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float32, requires_grad=True) for a in arrays]
    out_ours, out_theirs = fn(tt, *ours), fn(torch, *theirs)
    direction = np.random.default_rng(1).standard_normal(tuple(out_theirs.shape)).astype(np.float32)
    out_ours.backward(tt.tensor(direction, device=device).to(out_ours.dtype))
    out_theirs.backward(torch.tensor(direction).to(out_theirs.dtype))
    return out_ours, out_theirs, ours, theirs


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_forward_and_gradients_match_torch(case, device):
    arrays = [a.astype(np.float32) for a in case.draw()]
    out_ours, out_theirs, ours, theirs = run_both(case.fn, arrays, device)
    assert_like_torch(out_ours, out_theirs)
    assert out_ours.requires_grad and out_ours.grad_fn is not None
    for x, y in zip(ours, theirs):
        if y.grad is None:
            assert x.grad is None
        else:
            assert_like_torch(x.grad, y.grad, rtol=1e-4, atol=1e-5)
            assert x.grad.dtype == tt.float32 and x.grad.device == x.device


def test_relu_gradient_at_zero_is_zero(device):
    x = tt.tensor([-1.0, 0.0, 2.0], device=device, requires_grad=True)
    x.relu().sum().backward()
    y = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y.relu().sum().backward()
    assert x.grad.tolist() == y.grad.tolist() == [0.0, 0.0, 1.0]


def test_abs_and_clamp_gradients_at_their_kinks(device):
    values = [-1.0, 0.0, 1.0, 2.0]
    for fn in (lambda m, a: a.abs(), lambda m, a: a.clamp(0.0, 1.0), lambda m, a: m.maximum(a, m.zeros_like(a))):
        _, _, ours, theirs = run_both(fn, [np.array(values, np.float32)], device)
        assert ours[0].grad.tolist() == theirs[0].grad.tolist()


def test_clamp_with_tensor_bounds_matches_torch(device):
    """Bounds per element (broadcast), with gradients for the bounds too; on cuda they used to reach CuPy as
    Tensor objects and fail. Ties included: x on a bound keeps its gradient, as in PyTorch."""
    x, low, high = np.array([[-2, 0.5, 1, 3], [0, 1, 2, 2.5]], np.float32), np.float32([[0], [0.5]]), np.float32(
        [1, 1, 2, 2.25])
    out_ours, out_theirs, ours, theirs = run_both(lambda m, a, lo, hi: a.clamp(lo, hi), [x, low, high], device)
    assert_like_torch(out_ours, out_theirs)
    for a, b in zip(ours, theirs):
        assert_like_torch(a.grad, b.grad)
    out_ours, out_theirs, _, _ = run_both(lambda m, a, hi: a.clamp(max=hi), [x, np.float32(0.7)], device)
    assert_like_torch(out_ours, out_theirs)


@pytest.mark.parametrize("fn", [
    lambda m, a: a ** 0,
    lambda m, a: a ** 2,
    lambda m, a: a ** 0.5,
    lambda m, a: a ** (a * 0),
    lambda m, a: m.zeros_like(a) ** a,
    lambda m, a: 0.0 ** a,
], ids=["x**0", "x**2", "x**0.5", "x**zeros", "zeros**x", "0.0**x"])
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # d√x/dx at 0 is inf, as in torch
def test_pow_gradients_at_zero_match_torch(fn, device):
    out_ours, out_theirs, ours, theirs = run_both(fn, [np.array([0.0, 0.0, 2.0], np.float32)], device)
    assert_like_torch(out_ours, out_theirs)
    assert_like_torch(ours[0].grad, theirs[0].grad)


@pytest.mark.parametrize("name, fn", [
    ("max", lambda m, a: a.max()),
    ("min", lambda m, a: a.min()),
    ("max_dim", lambda m, a: a.max(1).values),
    ("min_dim", lambda m, a: a.min(dim=0).values),
    ("max_dim_keepdim", lambda m, a: a.max(-1, keepdim=True)[0]),
    ("maximum", lambda m, a: m.maximum(a, m.full_like(a, 2.0))),  # ties where a == 2
    ("minimum", lambda m, a: m.minimum(m.full_like(a, 3.0), a)),
])
def test_ties_share_or_pick_the_gradient_as_torch(name, fn, device):
    tied = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [3.0, 3.0, 3.0]], np.float32)
    out_ours, out_theirs, ours, theirs = run_both(fn, [tied], device)
    assert_like_torch(out_ours, out_theirs)
    assert_like_torch(ours[0].grad, theirs[0].grad)


def test_max_and_min_with_dim_return_torch_values_and_indices(device):
    tied = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], np.float32)
    for dim in (0, 1, -1):
        for name in ("max", "min"):
            ours = getattr(tt.tensor(tied, device=device), name)(dim)
            theirs = getattr(torch.tensor(tied), name)(dim)
            assert_like_torch(ours.values, theirs.values)
            assert_like_torch(ours.indices, theirs.indices)
            values, indices = ours  # unpacks like torch's namedtuple
            assert values is ours.values and indices is ours.indices


@pytest.mark.parametrize("scale", [1.0, 1000.0, -1000.0])
def test_softmax_and_log_softmax_are_stable_for_huge_logits(scale, device):
    logits = np.array([[1.0, -1.0, 0.5], [1.0, 1.0, -1.0]], np.float32) * scale
    for fn in (lambda m, a: a.softmax(-1), lambda m, a: a.log_softmax(-1), lambda m, a: m.log_softmax(a, 0)):
        out_ours, out_theirs, ours, theirs = run_both(fn, [logits], device)
        assert np.isfinite(out_ours.detach().cpu().numpy()).all()
        assert np.isfinite(ours[0].grad.cpu().numpy()).all()
        assert_like_torch(out_ours, out_theirs, rtol=1e-5, atol=1e-5)
        assert_like_torch(ours[0].grad, theirs[0].grad, rtol=1e-5, atol=1e-5)


def test_sigmoid_and_tanh_saturate_without_overflow(device):
    big = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], np.float32)
    for fn in (lambda m, a: a.sigmoid(), lambda m, a: m.tanh(a), lambda m, a: m.exp(-a.abs())):
        out_ours, out_theirs, ours, theirs = run_both(fn, [big], device)
        assert_like_torch(out_ours, out_theirs)
        assert_like_torch(ours[0].grad, theirs[0].grad)


# ---------------------------------------------------------------- dtypes of results without gradients
INT, FLOAT, BOOL = [[1, 2], [3, 4]], [[1.5, -2.0], [0.5, 4.0]], [[True, False], [True, True]]


@pytest.mark.parametrize("name, fn", [
    ("int_truediv_int", lambda m: m.tensor(INT) / m.tensor([[2, 2], [4, 4]])),
    ("int_truediv_scalar", lambda m: m.tensor(INT) / 2),
    ("scalar_truediv_int", lambda m: 3 / m.tensor(INT)),
    ("int_plus_float_scalar", lambda m: m.tensor(INT) + 1.5),
    ("int_times_int_scalar", lambda m: m.tensor(INT) * 3),
    ("int_plus_float_tensor", lambda m: m.tensor(INT) + m.tensor(FLOAT)),
    ("int_plus_0d_float", lambda m: m.tensor(INT) + m.tensor(2.5)),
    ("float32_plus_0d_float64", lambda m: m.tensor(FLOAT) + m.tensor(2.5, dtype=m.float64)),
    ("float32_times_float64_tensor", lambda m: m.tensor(FLOAT) * m.tensor(FLOAT, dtype=m.float64)),
    ("float32_times_numpy_float64", lambda m: m.tensor(FLOAT) * np.float64(3.0)),
    ("float32_times_python_float", lambda m: m.tensor(FLOAT) * 1e-3),
    ("float32_pow_numpy_float64", lambda m: m.tensor(FLOAT).abs() ** np.float64(2.5)),
    ("float32_pow_numpy_int64", lambda m: m.tensor(FLOAT) ** np.int64(2)),
    ("int_pow_numpy_int64", lambda m: m.tensor(INT) ** np.int64(3)),
    ("int_pow_numpy_float64", lambda m: m.tensor(INT) ** np.float64(0.5)),
    ("numpy_float64_rpow_float32", lambda m: np.float64(2.0) ** m.tensor(FLOAT)),
    ("numpy_float64_minus_float32", lambda m: np.float64(2.0) - m.tensor(FLOAT)),
    ("numpy_float64_over_float32", lambda m: np.float64(2.0) / m.tensor(FLOAT)),
    ("float32_clamp_numpy_bounds", lambda m: m.tensor(FLOAT).clamp(np.float64(-1.0), np.float64(1.0))),
    ("bool_plus_bool", lambda m: m.tensor(BOOL) + m.tensor(BOOL)),
    ("bool_plus_int", lambda m: m.tensor(BOOL) + 1),
    ("bool_times_float", lambda m: m.tensor(BOOL) * 0.5),
    ("bool_sum", lambda m: m.tensor(BOOL).sum()),
    ("int_sum_dim", lambda m: m.tensor(INT).sum(0)),
    ("uint8_sum_no_overflow", lambda m: m.tensor([200, 100], dtype=m.uint8).sum()),
    ("int32_sum_dim", lambda m: m.tensor(INT, dtype=m.int32).sum(1)),
    ("int_clamp_float_bound", lambda m: m.tensor(INT).clamp(1.5)),
    ("bool_clamp", lambda m: m.tensor(BOOL).clamp(0, 1)),
    ("int_pow_int", lambda m: m.tensor(INT) ** 2),
    ("int_pow_float", lambda m: m.tensor(INT) ** 0.5),
    ("int_rpow", lambda m: 2 ** m.tensor(INT)),
    ("float_rpow_int", lambda m: 2.0 ** m.tensor(INT)),
    ("int_neg", lambda m: -m.tensor(INT)),
    ("int_abs", lambda m: m.tensor([[-1, 2]]).abs()),
    ("int_exp", lambda m: m.tensor(INT).exp()),
    ("int_sqrt", lambda m: m.sqrt(m.tensor(INT))),
    ("int_sigmoid", lambda m: m.tensor(INT).sigmoid()),
    ("int_max", lambda m: m.tensor(INT).max()),
    ("int_max_dim", lambda m: m.tensor(INT).max(1).values),
    ("int_argmax", lambda m: m.tensor(INT).argmax()),
    ("float_argmax_dim", lambda m: m.tensor(FLOAT).argmax(1)),
    ("float_argmin_keepdim", lambda m: m.tensor(FLOAT).argmin(0, keepdim=True)),
    ("int_clamp", lambda m: m.tensor(INT).clamp(2, 3)),
    ("int_relu", lambda m: m.tensor([[-1, 2]]).relu()),
    ("int_matmul", lambda m: m.tensor(INT) @ m.tensor(INT)),
    ("int_maximum_float", lambda m: m.maximum(m.tensor(INT), m.tensor(FLOAT))),
    ("int_where_float", lambda m: m.where(m.tensor(BOOL), m.tensor(INT), m.tensor(FLOAT))),
    ("where_scalars", lambda m: m.where(m.tensor(BOOL), m.tensor(FLOAT), 0.0)),
    ("cat_int_float", lambda m: m.cat([m.tensor(INT), m.tensor(FLOAT)])),
    ("stack_int", lambda m: m.stack([m.tensor(INT), m.tensor(INT)], dim=1)),
    ("compare_float_int", lambda m: m.tensor(FLOAT) > m.tensor(INT)),
    ("compare_scalar", lambda m: m.tensor(FLOAT) <= 0.5),
    ("eq", lambda m: m.tensor(INT) == 2),
    ("ne", lambda m: m.tensor(INT).ne(m.tensor(INT).T)),
    ("and_or", lambda m: (m.tensor(BOOL) & m.tensor(INT).gt(1)) | ~m.tensor(BOOL)),
    ("all", lambda m: m.tensor(BOOL).all()),
    ("all_dim", lambda m: m.tensor(BOOL).all(1)),
    ("all_dim_keepdim", lambda m: m.tensor(FLOAT).all(dim=-1, keepdim=True)),
    ("any_float", lambda m: m.tensor(FLOAT).gt(3).any()),
    ("any_dim", lambda m: m.tensor(INT).gt(2).any(0)),
    ("any_dim_keepdim", lambda m: (~m.tensor(BOOL)).any(0, keepdim=True)),
    ("flip_int", lambda m: m.tensor(INT).flip(0, 1)),
    ("float_to_long", lambda m: m.tensor(FLOAT).long()),
    ("int_float", lambda m: m.tensor(INT).float()),
    ("to_float64", lambda m: m.tensor(FLOAT).to(m.float64)),
    ("arange", lambda m: m.arange(5)),
    ("arange_float", lambda m: m.arange(0, 1, 0.25)),
    ("arange_dtype", lambda m: m.arange(1, 7, 2, dtype=m.float32)),
    ("linspace", lambda m: m.linspace(0, 1, 5)),
    ("eye", lambda m: m.eye(3)),
    ("eye_rect", lambda m: m.eye(2, 3)),
    ("full_float", lambda m: m.full((2, 3), 1.5)),
    ("full_int", lambda m: m.full((2,), 7)),
    ("full_bool", lambda m: m.full((2,), True)),
    ("zeros_like_int", lambda m: m.zeros_like(m.tensor(INT))),
    ("ones_like_dtype", lambda m: m.ones_like(m.tensor(INT), dtype=m.float64)),
    ("mean_dims", lambda m: m.tensor(FLOAT).mean((0, 1))),
    ("var_all", lambda m: m.tensor(FLOAT).var()),
    ("std_one_element_dim", lambda m: m.tensor(FLOAT).std(0, correction=0)),
    ("float_list_mixed_int", lambda m: m.tensor([1, 2.5, 3])),
    ("nested_bool", lambda m: m.tensor([[True], [False]])),
    ("scalar_int", lambda m: m.tensor(7)),
    ("scalar_float", lambda m: m.tensor(-0.25)),
    ("empty_list", lambda m: m.tensor([])),
])
def test_results_and_dtypes_match_torch(name, fn):
    assert_like_torch(fn(tt), fn(torch))


DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
PYTHON_SCALARS = {"bool": True, "int64": 3, "float32": 1.5}


def operand(m, kind, dtype):
    """A tensor with dimensions, a 0-d tensor or a Python scalar of the given dtype."""
    if kind == "python":
        return PYTHON_SCALARS[dtype]
    values = [True, True] if dtype == "bool" else [1, 2]  # no zeros: x / 0 would warn
    return m.tensor(values if kind == "dims" else values[0], dtype=getattr(m, dtype))


@pytest.mark.parametrize("kinds", [("dims", "dims"), ("dims", "0d"), ("0d", "dims"), ("0d", "0d"),
                                   ("dims", "python"), ("python", "dims"), ("0d", "python")])
def test_type_promotion_matches_torch_for_every_dtype_pair(kinds):
    """PyTorch's promotion table, all of it: dimensions outrank 0-d tensors, which outrank Python scalars."""
    ops = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
           "pow": lambda a, b: a ** b}
    for left in DTYPES if kinds[0] != "python" else PYTHON_SCALARS:
        for right in DTYPES if kinds[1] != "python" else PYTHON_SCALARS:
            for name, op in ops.items():
                if name == "pow" and ("python" in kinds and kinds[1] != "python" or left == right == "bool"):
                    continue  # number ** tensor is covered above; bool ** bool (int8 in NumPy) nobody writes
                try:
                    expected = op(operand(torch, kinds[0], left), operand(torch, kinds[1], right)).dtype
                except RuntimeError:
                    continue  # torch refuses some (e.g. integer ** negative); our behaviour there is NumPy's
                ours = op(operand(tt, kinds[0], left), operand(tt, kinds[1], right)).dtype
                assert same_dtype(ours, expected), (kinds, left, right, name, ours, expected)


def test_reprs_match_torch():
    x = tt.tensor([[1.0, 2.5], [3.0, 4.0]], requires_grad=True)
    y = torch.tensor([[1.0, 2.5], [3.0, 4.0]], requires_grad=True)
    pairs = [
        (tt.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])),
        (tt.tensor([1.5, 2.0]), torch.tensor([1.5, 2.0])),
        (tt.tensor([1, 2]), torch.tensor([1, 2])),
        (tt.tensor([True, False]), torch.tensor([True, False])),
        (tt.tensor(3.5), torch.tensor(3.5)),
        (tt.tensor(3), torch.tensor(3)),
        (tt.tensor([1e-5, 1.0]), torch.tensor([1e-5, 1.0])),
        (tt.zeros(2, 3), torch.zeros(2, 3)),
        (tt.tensor([]), torch.tensor([])),
        (tt.tensor([], dtype=tt.int64), torch.tensor([], dtype=torch.int64)),
        (tt.zeros(0, 3), torch.zeros(0, 3)),
        (tt.tensor([float("nan"), 1.0]), torch.tensor([float("nan"), 1.0])),
        (tt.tensor([float("-inf"), 0.5, 0.0]), torch.tensor([float("-inf"), 0.5, 0.0])),
        (tt.tensor([-0.0, 1.0]), torch.tensor([-0.0, 1.0])),
        (tt.tensor([-1.5, 20.0]), torch.tensor([-1.5, 20.0])),
        (tt.tensor([1e10, 1.0]), torch.tensor([1e10, 1.0])),
        (tt.arange(2000), torch.arange(2000)),
        (tt.ones(40, 40), torch.ones(40, 40)),
        (tt.zeros(2, 0, dtype=tt.float64), torch.zeros(2, 0, dtype=torch.float64)),
        (x, y),
        (x * 2, y * 2),
        ((x * 2).sum(), (y * 2).sum()),
    ]
    for ours, theirs in pairs:
        expected = repr(theirs).replace("torch.", "tinygrad_tutorial.")
        expected = expected.replace("MulBackward0", "MulBackward").replace("SumBackward0", "SumBackward")
        assert repr(ours) == expected


def test_reprs_wrap_and_summarize_like_torch():
    """80-column rows, the number format chosen from the values shown (a summarized tensor's corners),
    and a grad_fn moved to its own line when it does not fit: PyTorch's "Build the Neural Network"
    tutorial prints such tensors."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 20)), rng.standard_normal((2, 784)) * 0.03, rng.standard_normal(2000),
              rng.standard_normal((4, 5, 6)), rng.standard_normal((50, 50, 3)), rng.standard_normal((1, 1001)),
              rng.integers(-1000, 1000, (12, 40)), np.abs(rng.standard_normal((3, 10)))]
    for array in arrays:
        array = array.astype(np.float32) if array.dtype.kind == "f" else array
        for requires_grad in (False, True) if array.dtype.kind == "f" else (False,):
            ours = tt.tensor(array, requires_grad=requires_grad)
            theirs = torch.tensor(array, requires_grad=requires_grad)
            for a, b in ((ours, theirs), (ours[:2], theirs[:2])):
                expected = repr(b).replace("torch.", "tinygrad_tutorial.").replace("SliceBackward0", "GetItemBackward")
                assert repr(a) == expected


def test_out_argument_writes_into_the_given_tensor_as_torch():
    """The "Tensors" tutorial's ``torch.matmul(tensor, tensor.T, out=y3)`` and ``torch.mul(tensor, tensor, out=z3)``."""
    array = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    for name, args in [("matmul", lambda m, t: (t, t.T)), ("mul", lambda m, t: (t, t)), ("add", lambda m, t: (t, 2)),
                       ("exp", lambda m, t: (t,)), ("sum", lambda m, t: (t, 1)), ("gt", lambda m, t: (t, 0.0))]:
        results = []
        for m in (tt, torch):
            t = m.tensor(array)
            expected = getattr(m, name)(*args(m, t))
            out = m.zeros(tuple(expected.shape), dtype=expected.dtype)
            memory = out.numpy()
            assert getattr(m, name)(*args(m, t), out=out) is out
            results.append(memory.copy())  # written in place: the memory seen before the call holds the result
        np.testing.assert_allclose(results[0], results[1], rtol=1e-6, err_msg=name)
    x = tt.ones(2, 2)
    assert tt.mul(x, x, out=tt.zeros(2, 2, dtype=tt.float64)).dtype == tt.float64  # float32 fits in float64
    with pytest.raises(RuntimeError, match="result type tinygrad_tutorial.float32 can't be cast to the desired"):
        tt.mul(x, x, out=tt.zeros(2, 2, dtype=tt.int64))
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 2\]"):
        tt.mul(x, x, out=tt.zeros(3))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tt.mul(x.requires_grad_(), x, out=tt.zeros(2, 2))


@pytest.mark.parametrize("dim, index", [(0, [[0, 1, 2, 0], [2, 2, 1, 0]]), (1, [[1, 1], [0, 3], [2, 2]]),
                                        (-1, [[3], [0], [1]]), (1, [[0, 1, 2, 3, 3]])])
def test_gather_values_and_gradients_match_torch(dim, index, device):
    """``gather`` (repeated indices add their gradients up) and ``scatter_``, its in-place reverse."""
    array = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    ours = tt.tensor(array, device=device, requires_grad=True)
    theirs = torch.tensor(array, requires_grad=True)
    out_ours = tt.gather(ours, dim, tt.tensor(index, device=device))
    out_theirs = torch.gather(theirs, dim, torch.tensor(index))
    assert_like_torch(out_ours, out_theirs)
    weights = np.arange(out_theirs.numel(), dtype=np.float32).reshape(tuple(out_theirs.shape))
    (out_ours * tt.tensor(weights, device=device)).sum().backward()
    (out_theirs * torch.tensor(weights)).sum().backward()
    assert_like_torch(ours.grad, theirs.grad)
    if dim == 1 and len(index) == 3:  # scatter_ with distinct positions per row (repeats: torch picks any)
        source = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
        scattered = tt.zeros(3, 4, device=device).scatter_(dim, tt.tensor([[1, 2], [0, 3], [3, 2]], device=device),
                                                           tt.tensor(source, device=device))
        expected = torch.zeros(3, 4).scatter_(dim, torch.tensor([[1, 2], [0, 3], [3, 2]]), torch.tensor(source))
        assert_like_torch(scattered, expected)


def test_scatter_one_hot_as_the_transforms_tutorial():
    """``Lambda(lambda y: torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1))``"""
    for m in (tt, torch):
        one_hot = m.zeros(10, dtype=m.float).scatter_(0, m.tensor(3), value=1)
        assert one_hot.tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        assert m.zeros(2, 3).scatter_(1, m.tensor([[2], [0]]), 7.0).tolist() == [[0, 0, 7], [7, 0, 0]]
        assert m.arange(5.0).gather(0, m.tensor(2)).shape == ()
    x = tt.zeros(2, 3)
    with pytest.raises(RuntimeError, match="Expected dtype int32/int64 for index"):
        x.gather(1, tt.tensor([[1.0]]))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.scatter_(1, tt.tensor([1]), value=1)
    with pytest.raises(RuntimeError, match="Size does not match at dimension 0"):
        x.gather(1, tt.tensor([[0], [1], [2]]))
    with pytest.raises(RuntimeError, match="in-place operation"):
        tt.zeros(3, requires_grad=True).scatter_(0, tt.tensor([1]), value=1)


def test_zero_dim_tensors_format_as_numbers_like_torch():
    """``f"Label: {label}"`` in the Datasets tutorial prints ``Label: 5``; ``f"{loss:.4f}"`` works."""
    for make in (lambda m: m.tensor(5), lambda m: m.tensor(0.123456), lambda m: m.tensor(True)):
        ours, theirs = make(tt), make(torch)
        assert f"{ours}" == f"{theirs}" and f"{ours:>8}" == f"{theirs:>8}"
    assert f"{tt.tensor(0.123456):.3f}" == f"{torch.tensor(0.123456):.3f}" == "0.123"
    assert f"{tt.tensor(7):>4d}" == "   7"
    assert f"{tt.tensor([1.0, 2.0])}" == repr(tt.tensor([1.0, 2.0]))  # more than one number: the repr
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{tt.tensor([1.0, 2.0]):.3f}"


def test_floor_division_and_remainder_match_torch(device):
    """``//`` and ``%`` round toward minus infinity (the remainder takes the divisor's sign), for ints and floats;
    ``%`` passes the gradient 1 to its left operand, as PyTorch's remainder."""
    for a, b in [([7, -7, 6, 0], [2, 2, -4, 3]), ([7.5, -7.5, 1.0], [2.0, 2.0, -0.75])]:
        for m, dev in ((tt, device), (torch, "cpu")):
            x, y = m.tensor(a, device=dev), m.tensor(b, device=dev)
            results = [x // y, x % y, x // 2, x % 3, 5 // y, 5 % y]
            if m is tt:
                ours = results
            else:
                for o, t in zip(ours, results):
                    assert_like_torch(o, t)
    x = tt.tensor([5.5, -3.0], device=device, requires_grad=True)
    (x % 2).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and (x // 2).grad_fn is None


def test_add_and_sub_take_alpha_like_torch():
    for m in (tt, torch):
        x, y = m.tensor([1.0, 2.0]), m.tensor([1.0, 1.0])
        assert x.add(y, alpha=2).tolist() == [3.0, 4.0] and m.add(x, y, alpha=3).tolist() == [4.0, 5.0]
        assert x.sub(y, alpha=2).tolist() == [-1.0, 0.0] and x.add_(y, alpha=2).tolist() == [3.0, 4.0]


@pytest.mark.parametrize("name, fn", [
    ("split", lambda m, x: x.split(2)), ("split sizes", lambda m, x: x.split([1, 4], dim=0)),
    ("split dim", lambda m, x: m.split(x, 2, dim=1)), ("chunk", lambda m, x: x.chunk(2)),
    ("chunk dim", lambda m, x: m.chunk(x, 3, dim=-1)),
    ("repeat", lambda m, x: (x.repeat(2, 1),)), ("repeat new dims", lambda m, x: (x.repeat(2, 1, 2),)),
    ("contiguous", lambda m, x: (x.t().contiguous(),)),
    ("mm", lambda m, x: (m.mm(x, x.t()),)), ("bmm", lambda m, x: (m.bmm(x.unsqueeze(0), x.t().unsqueeze(0)),)),
    ("dot", lambda m, x: (m.dot(x[0], x[1]),))])
def test_pieces_tiles_and_products_match_torch(name, fn, device):
    array = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    ours = tt.tensor(array, device=device, requires_grad=True)
    theirs = torch.tensor(array, requires_grad=True)
    pieces_ours, pieces_theirs = fn(tt, ours), fn(torch, theirs)
    assert len(pieces_ours) == len(pieces_theirs)
    for o, t in zip(pieces_ours, pieces_theirs):
        assert_like_torch(o, t)
    weights = [np.random.default_rng(i).standard_normal(tuple(t.shape)).astype(np.float32)
               for i, t in enumerate(pieces_theirs)]
    sum((o * tt.tensor(w, device=device)).sum() for o, w in zip(pieces_ours, weights)).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(pieces_theirs, weights)).backward()
    assert_like_torch(ours.grad, theirs.grad)


def test_new_tensors_and_contiguity_like_torch():
    for m in (tt, torch):
        x = m.tensor([1.0, 2.0], dtype=m.float64)
        made = [x.new_zeros(2, 3), x.new_ones((2,)), x.new_full((2,), 7.0), x.new_empty(3), x.new_tensor([1, 2])]
        assert [str(t.dtype).split(".")[-1] for t in made] == ["float64"] * 5
        assert [tuple(t.shape) for t in made] == [(2, 3), (2,), (2,), (3,), (2,)]
        assert made[2].tolist() == [7.0, 7.0] and x.new_zeros(2, dtype=m.int64).dtype == m.int64
        y = m.ones(2, 3)
        assert y.is_contiguous() and not y.t().is_contiguous() and y.t().contiguous().is_contiguous()
        assert y.contiguous() is y
    with pytest.raises(RuntimeError, match="mm: expected 2D tensors, but got a 1D one"):
        tt.mm(tt.ones(2), tt.ones(2, 2))
    with pytest.raises(RuntimeError, match="split: sizes"):
        tt.ones(5).split([2, 2])
    with pytest.raises(RuntimeError, match="can not be smaller than"):
        tt.ones(2, 2).repeat(2)


@pytest.mark.parametrize("name, fn", [
    ("floor", lambda m, x: (m.floor(x),)), ("ceil", lambda m, x: (x.ceil(),)), ("trunc", lambda m, x: (x.trunc(),)),
    ("round", lambda m, x: (m.round(x * 2),)), ("round decimals", lambda m, x: (x.round(decimals=1),)),
    ("sign", lambda m, x: (m.sign(x),)), ("sort", lambda m, x: tuple(x.sort())),
    ("sort descending dim 0", lambda m, x: tuple(m.sort(x, dim=0, descending=True))),
    ("argsort", lambda m, x: (x.argsort(dim=0),)), ("topk", lambda m, x: tuple(x.topk(2))),
    ("topk smallest dim 0", lambda m, x: tuple(m.topk(x, 3, dim=0, largest=False))),
    ("max dim", lambda m, x: tuple(m.max(x, 1)))])
def test_rounding_sorting_and_topk_match_torch(name, fn, device):
    """Rounding has zero gradient (a step function); sorted values carry their gradients back to their places."""
    array = (np.random.default_rng(0).standard_normal((4, 5)) * 3).astype(np.float32)
    array[0, :2] = [0.5, 2.5]  # halves round to even
    ours = tt.tensor(array, device=device, requires_grad=True)
    theirs = torch.tensor(array, requires_grad=True)
    results_ours, results_theirs = fn(tt, ours), fn(torch, theirs)
    for o, t in zip(results_ours, results_theirs):
        assert_like_torch(o, t)
    floating = [(o, t) for o, t in zip(results_ours, results_theirs) if t.is_floating_point()]
    if not floating:  # argsort: indices only
        return
    sum((o * (1 + tt.arange(o.numel(), device=device).reshape(o.shape))).sum() for o, _ in floating).backward()
    sum((t * (1 + torch.arange(t.numel()).reshape(t.shape))).sum() for _, t in floating).backward()
    assert_like_torch(ours.grad, theirs.grad)


def test_integer_rounding_sorting_and_return_type_reprs_like_torch():
    for m in (tt, torch):
        x = m.tensor([3, -1, 2, 3])
        assert m.floor(x).tolist() == [3, -1, 2, 3] and m.floor(x).dtype == m.int64
        assert m.sign(x).tolist() == [1, -1, 1, 1]
        assert x.sort(descending=True).indices.tolist() == [0, 3, 2, 1]  # ties in order
        assert m.tensor([True, False, True]).sort(descending=True).indices.tolist() == [0, 2, 1]
        assert m.tensor([1, 250, 7], dtype=m.uint8).sort(descending=True).values.tolist() == [250, 7, 1]
    expected = repr(torch.max(torch.tensor([[1.0, 5.0], [3.0, 2.0]]), 1)).replace("torch.", "tinygrad_tutorial.")
    assert repr(tt.max(tt.tensor([[1.0, 5.0], [3.0, 2.0]]), 1)) == expected
    values, indices = tt.tensor([1.0, 3.0, 2.0]).topk(2)
    assert values.tolist() == [3.0, 2.0] and indices.tolist() == [1, 2]
    with pytest.raises(RuntimeError, match=r"topk: k \(4\) is out of range"):
        tt.ones(3).topk(4)


@pytest.mark.parametrize("name, args", [("exp_", ()), ("log_", ()), ("sqrt_", ()), ("abs_", ()), ("neg_", ()),
                                        ("pow_", (2,)), ("sigmoid_", ()), ("tanh_", ()), ("relu_", ()),
                                        ("sin_", ()), ("cos_", ()), ("floor_", ()), ("ceil_", ()), ("round_", ()),
                                        ("trunc_", ()), ("sign_", ()), ("square_", ())])
def test_inplace_elementwise_versions_match_torch(name, args, device):
    """``x.exp_()`` writes exp(x) into x's own memory: an alias (a view, a NumPy array) sees the change."""
    array = np.array([[0.3, 1.7], [2.5, 0.9]], dtype=np.float32)
    ours, theirs = tt.tensor(array, device=device), torch.tensor(array)
    alias = ours[0]
    assert getattr(ours, name)(*args) is ours and getattr(theirs, name)(*args) is theirs
    assert_like_torch(ours, theirs)
    assert_like_torch(alias, theirs[0])


def test_inplace_results_must_fit_the_dtype_like_torch():
    for m in (tt, torch):
        x = m.tensor([1, 2])
        with pytest.raises(RuntimeError, match="result type .*(Float|float32) can't be cast to the desired output"):
            x.add_(1.5)
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            x.exp_()
        assert x.add_(1).tolist() == [2, 3] and m.ones(2, dtype=m.float64).add_(m.ones(2)).dtype == m.float64
        y = m.tensor([1.0, -2.0])
        assert y.masked_fill_(y < 0, 0.0).tolist() == [1.0, 0.0]


def test_one_element_picked_by_indexing_is_a_view_like_torch():
    """``a[0][1]`` is a 0-d view in PyTorch: writing through it changes ``a``, and it sees later writes to ``a``."""
    for m in (tt, torch):
        a = m.ones(2, 2)
        a[0][1].fill_(561)
        element = a[1, 1]
        a.add_(1)
        assert a.tolist() == [[2.0, 562.0], [2.0, 2.0]] and element.item() == 2.0


def test_shape_changes_in_place_and_small_compositions_match_torch():
    for m in (tt, torch):
        batch_me = m.rand(3, 4, 4)
        memory = batch_me.numpy()
        assert batch_me.unsqueeze_(0) is batch_me and tuple(batch_me.shape) == (1, 3, 4, 4)
        assert tuple(batch_me.squeeze_().shape) == (3, 4, 4) and tuple(m.ones(1, 2).squeeze_(0).shape) == (2,)
        batch_me.zero_()
        assert not memory.any()  # still the same memory
        mask = m.triu(m.ones(3, 3) * float("-inf"), diagonal=1)  # PyTorch's causal attention mask
        assert mask.tolist() == [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]]
        assert m.tril(m.ones(2, 3, dtype=m.int64)).tolist() == [[1, 0, 0], [1, 1, 0]]
        var, mean = m.var_mean(m.tensor([1.0, 2.0, 4.0]))
        std, mean_again = m.std_mean(m.tensor([[1.0, 2.0], [4.0, 8.0]]), 1, keepdim=True)
        assert abs(var.item() - 7 / 3) < 1e-6 and abs(mean.item() - 7 / 3) < 1e-6
        assert tuple(std.shape) == (2, 1) and mean_again.flatten().tolist() == [1.5, 6.0]
        assert m.is_floating_point(m.ones(1)) and not m.is_floating_point(m.ones(1, dtype=m.int64))
    with pytest.raises(RuntimeError, match="in-place operation"):
        tt.ones(1, 3, requires_grad=True).squeeze_()
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        tt.ones(3).triu()
    with pytest.raises(RuntimeError, match="outer: expected 1D tensors"):
        tt.outer(tt.ones(2, 2), tt.ones(2))


def test_triangles_keep_the_dtype_as_in_torch(device):
    """A bool causal mask, ones(L, L, dtype=bool).triu(1), must stay bool for masked_fill and ~."""
    for dtype in ("bool", "int64", "float32"):
        ours = tt.ones(3, 4, dtype=getattr(tt, dtype), device=device)
        theirs = torch.ones(3, 4, dtype=getattr(torch, dtype))
        for name, diagonal in (("tril", 0), ("triu", 1), ("tril", -1)):
            got, expected = getattr(ours, name)(diagonal), getattr(theirs, name)(diagonal)
            assert str(got.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
            assert got.tolist() == expected.tolist()
    future = tt.ones(3, 3, dtype=tt.bool, device=device).triu(1)
    assert (~future).tolist() == torch.ones(3, 3, dtype=torch.bool).tril().tolist()
