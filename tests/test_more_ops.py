"""The ops beginner code reaches for after the basics (prod, cumsum, norms, einsum, unique, bitwise and logical
ops, diag, roll, meshgrid, torch.linalg), run the same way under both libraries: values, dtypes, gradients at
the awkward points (zeros in a product, a zero vector's norm, ties) and the errors."""
import math

import numpy as np
import pytest

import tinygrad_tutorial as tt

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch to run these tests")


def same(ours, theirs, rtol=1e-5, atol=1e-6):
    """Same shape, dtype and values (a tuple of results compared entry by entry)."""
    if isinstance(theirs, (tuple, list)):
        assert type(ours) is tuple and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            same(a, b, rtol, atol)
        return
    assert tuple(ours.shape) == tuple(theirs.shape), (ours.shape, theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours.detach().cpu().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def both(fn, *arrays, device="cpu", grad=True):
    """``fn(m, *tensors)`` under both libraries; with ``grad``, backpropagate one random direction and compare
    the gradients too. Returns our output."""
    ours = [tt.tensor(a, device=device, requires_grad=grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad) for a in arrays]
    out, expected = fn(tt, *ours), fn(torch, *theirs)
    same(out, expected)
    if grad:
        direction = np.random.default_rng(0).standard_normal(tuple(expected.shape)).astype(np.float32)
        out.backward(tt.tensor(direction, device=device))
        expected.backward(torch.tensor(direction))
        for x, y in zip(ours, theirs):
            if y.grad is None:  # torch's way of saying zero (its ord=0 norm, for one)
                assert x.grad is None or not x.grad.array.any()
            else:
                same(x.grad, y.grad, rtol=1e-4, atol=1e-5)
    return out


def f32(values):
    return np.array(values, np.float32)


def raises_like_torch(fn, *arrays, device="cpu", match=None):
    """Both libraries raise; ours with a message that matches ``match``."""
    with pytest.raises(Exception):
        fn(torch, *[torch.tensor(a) for a in arrays])
    with pytest.raises((RuntimeError, TypeError, NotImplementedError, IndexError), match=match):
        fn(tt, *[tt.tensor(a, device=device) for a in arrays])


# ---------------------------------------------------------------- prod, cumsum, cumprod
@pytest.mark.parametrize("values", [
    [[1.5, 2.0, -3.0], [0.5, 4.0, 2.0]],  # no zero
    [[1.5, 0.0, -3.0], [0.5, 4.0, 2.0]],  # one zero in a row
    [[0.0, 0.0, -3.0], [0.5, 4.0, 0.0]],  # two zeros in a row, one in the other
    [[0.0, 0.0, 0.0], [0.0, 1.0, 2.0]],   # a row of zeros
], ids=["no_zero", "one_zero", "two_zeros", "all_zeros"])
@pytest.mark.parametrize("reduce", [
    lambda m, a: a.prod(),
    lambda m, a: a.prod(1),
    lambda m, a: m.prod(a, 0, keepdim=True),
    lambda m, a: a.prod(-1, keepdim=True),
], ids=["all", "dim1", "dim0_keepdim", "dim-1_keepdim"])
def test_prod_values_and_gradients_with_zeros(values, reduce, device):
    both(reduce, f32(values), device=device)


def test_prod_gradient_with_zeros_is_the_product_of_the_others(device):
    x = tt.tensor([2.0, 0.0, 3.0, 5.0], device=device, requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 30.0, 0.0, 0.0]  # only the zero's gradient survives: 2·3·5
    x = tt.tensor([2.0, 0.0, 3.0, 0.0], device=device, requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]  # two zeros: every product of the others has a zero


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool", "float64"])
def test_prod_cumsum_cumprod_dtypes(dtype, device):
    values = np.array([[1, 2, 0], [3, 1, 2]]).astype(dtype)
    for fn in (lambda m, a: a.prod(), lambda m, a: a.prod(0), lambda m, a: m.prod(a, 1, keepdim=True),
               lambda m, a: a.cumsum(1), lambda m, a: m.cumsum(a, dim=0), lambda m, a: a.cumprod(-1),
               lambda m, a: a.prod(dtype=m.float64), lambda m, a: a.cumsum(0, dtype=m.float32)):
        both(fn, values, device=device, grad=False)


def test_prod_and_cumsum_take_one_dim(device):
    x = np.ones((2, 3), np.float32)
    raises_like_torch(lambda m, a: a.prod((0, 1)), x, device=device, match="'dim' must be int, not tuple")
    raises_like_torch(lambda m, a: a.cumsum(2), x, device=device, match="Dimension out of range")


def test_cumsum_and_cumprod_gradients(device):
    values = f32([[1.0, 0.0, 2.0, -3.0], [0.0, 2.0, 0.0, 1.5]])  # zeros: cumprod must not divide by them
    both(lambda m, a: a.cumsum(1), values, device=device)
    both(lambda m, a: a.cumsum(0), values, device=device)
    both(lambda m, a: m.cumprod(a, 1), values, device=device)
    both(lambda m, a: a.cumprod(0), values, device=device)
    both(lambda m, a: a.cumsum(0) + a.cumprod(-1), f32(2.5), device=device)  # a 0-d tensor


# ---------------------------------------------------------------- norms
@pytest.mark.parametrize("fn", [
    lambda m, a: a.norm(),
    lambda m, a: m.norm(a, dim=1),
    lambda m, a: a.norm(p=3, dim=1, keepdim=True),
    lambda m, a: m.norm(a, 1, dim=0),
    lambda m, a: m.linalg.norm(a),
    lambda m, a: m.linalg.vector_norm(a, dim=-1),
    lambda m, a: m.linalg.vector_norm(a, ord=0.5, dim=0),
    lambda m, a: m.linalg.vector_norm(a, float("inf"), dim=1),
    lambda m, a: m.linalg.vector_norm(a, 0, dim=1),
    lambda m, a: m.linalg.matrix_norm(a),
    lambda m, a: m.linalg.norm(a, "fro"),
], ids=["fro", "dim", "p3_keepdim", "p1", "linalg_norm", "vector_norm", "p0.5", "inf", "p0", "matrix_fro",
        "linalg_fro"])
def test_norm_gradient_at_a_zero_vector_is_zero(fn, device):
    rows = f32([[0.0, 0.0, 0.0], [3.0, -4.0, 1.0], [0.0, 0.0, 0.0]])  # zero rows, zero columns
    out = both(fn, rows, device=device)
    assert np.isfinite(out.detach().cpu().numpy()).all()
    whole = tt.zeros(2, 3, device=device, requires_grad=True)  # and all zeros: 0, not nan
    fn(tt, whole).sum().backward()
    assert whole.grad.tolist() == [[0.0] * 3] * 2


def test_inf_norm_and_amax_share_ties_as_torch(device):
    values = f32([[3.0, -3.0, 1.0], [2.0, 2.0, 2.0]])
    both(lambda m, a: m.linalg.vector_norm(a, float("inf")), values, device=device)
    both(lambda m, a: m.linalg.vector_norm(a, -math.inf, dim=0), values, device=device)
    both(lambda m, a: a.amax(1), values, device=device)
    both(lambda m, a: m.amin(a, dim=(0, 1), keepdim=True), values, device=device)
    both(lambda m, a: a.amax(), values, device=device)
    both(lambda m, a: a.max(), values, device=device)


@pytest.mark.parametrize("ord", [1, -1, math.inf, -math.inf, "fro"])
def test_matrix_norms(ord, device):
    batch = np.random.default_rng(3).standard_normal((2, 3, 4)).astype(np.float32)
    both(lambda m, a: m.linalg.matrix_norm(a, ord), batch, device=device)
    both(lambda m, a: m.linalg.matrix_norm(a, ord, dim=(0, 2), keepdim=True), batch, device=device)
    both(lambda m, a: m.linalg.norm(a[0], ord), batch, device=device)


def test_norm_errors(device):
    raises_like_torch(lambda m, a: m.norm(a), np.array([3, 4]), device=device, match="floating point.*int64")
    raises_like_torch(lambda m, a: m.linalg.norm(a, 2), np.ones((2, 2, 2), np.float32), device=device,
                      match="must be 1D or 2D. Got 3D")
    raises_like_torch(lambda m, a: m.linalg.matrix_norm(a), np.ones(3, np.float32), device=device,
                      match="at least 2 dimensions")
    with pytest.raises(NotImplementedError, match="SVD"):
        tt.linalg.matrix_norm(tt.ones(2, 2, device=device), "nuc")


def test_cdist_matches_torch_and_is_flat_at_zero_distance(device):
    x1 = f32([[0.0, 0.0], [1.0, 2.0], [3.0, -1.0]])
    x2 = f32([[1.0, 2.0], [0.5, 0.5]])  # x1[1] == x2[0]: distance 0, whose gradient torch sets to 0
    for p in (2.0, 1.0, 3.0):
        out = both(lambda m, a, b: m.cdist(a, b, p=p), x1, x2, device=device)
        assert out[1, 0].item() == 0


# ---------------------------------------------------------------- einsum
EINSUMS = [
    ("ij,jk->ik", [(3, 4), (4, 2)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ii->i", [(3, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij->", [(3, 4)]),
    ("ii", [(4, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),
    ("i,i", [(5,), (5,)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 2)]),
    ("b...,b->...", [(2, 3, 4), (2,)]),
    ("iij->j", [(3, 3, 2)]),
    ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]),
    ("bi, bj -> bij", [(2, 3), (2, 4)]),
]


@pytest.mark.parametrize("equation, shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_values_and_gradients(equation, shapes, device):
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    both(lambda m, *xs: m.einsum(equation, *xs), *arrays, device=device)


def test_einsum_of_integers_and_a_list_of_operands(device):
    a, b = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
    both(lambda m, x, y: m.einsum("ij,jk", [x, y]), a, b, device=device, grad=False)
    both(lambda m, x: m.einsum("ii", x), np.arange(9).reshape(3, 3), device=device, grad=False)


def test_einsum_errors(device):
    a, b = np.ones((2, 3), np.float32), np.ones((4, 2), np.float32)
    raises_like_torch(lambda m, x, y: m.einsum("ij,jk->ik", x, y), a, b, device=device,
                      match="subscript j has size 4.*shape \\(4, 2\\).*size 3")
    raises_like_torch(lambda m, x: m.einsum("ij,jk->ik", x), a, device=device, match="names 2 operands but 1")
    raises_like_torch(lambda m, x: m.einsum("ijk->i", x), a, device=device, match="'ijk' do not fit operand 0")
    raises_like_torch(lambda m, x: m.einsum("ij->ik", x), a, device=device, match="output subscripts 'ik'")
    raises_like_torch(lambda m, x, y: m.einsum("ij,jk->ik", x, y), a, np.ones((3, 2)), device=device,
                      match="same dtype")


# ---------------------------------------------------------------- unique, nonzero, counting, any/all
@pytest.mark.parametrize("values", [np.array([3, 1, 3, 2, 1, 3]), np.array([[2.5, -1.0], [2.5, 0.0]], np.float32),
                                    np.array([True, False, True]), np.array([7], np.int32)])
def test_unique(values, device):
    for options in ({}, {"return_inverse": True}, {"return_counts": True},
                    {"return_inverse": True, "return_counts": True}):
        both(lambda m, a: m.unique(a, **options), values, device=device, grad=False)
        both(lambda m, a: a.unique(sorted=True, **options), values, device=device, grad=False)


def test_unique_carries_no_gradient(device):
    x = tt.tensor([1.0, 2.0, 1.0], device=device, requires_grad=True)
    assert not x.unique().requires_grad and x.unique().grad_fn is None


@pytest.mark.parametrize("values", [np.array([[0, 3, 0], [1, 0, 0]]), np.array([0.0, 1.5, -2.0], np.float32),
                                    np.array(5), np.array(0.0, np.float32), np.zeros((2, 0), np.int32)])
def test_nonzero_count_nonzero_any_all(values, device):
    for fn in (lambda m, a: a.nonzero(), lambda m, a: m.nonzero(a, as_tuple=True), lambda m, a: a.count_nonzero(),
               lambda m, a: m.any(a), lambda m, a: a.all(), lambda m, a: m.logical_not(a)):
        both(fn, values, device=device, grad=False)
    if values.ndim == 2:
        for fn in (lambda m, a: m.count_nonzero(a, dim=0), lambda m, a: a.any(-1), lambda m, a: m.all(a, 0),
                   lambda m, a: a.any(dim=0, keepdim=True), lambda m, a: m.count_nonzero(a, (0, -1))):
            both(fn, values, device=device, grad=False)


# ---------------------------------------------------------------- bitwise and logical
@pytest.mark.parametrize("fn", [
    lambda m, a, b: a & b, lambda m, a, b: a | b, lambda m, a, b: a ^ b, lambda m, a, b: ~a,
    lambda m, a, b: m.bitwise_and(a, b), lambda m, a, b: m.bitwise_or(a, 6), lambda m, a, b: a.bitwise_xor(b),
    lambda m, a, b: m.bitwise_not(b), lambda m, a, b: 5 & a, lambda m, a, b: 3 | b, lambda m, a, b: 1 ^ a,
    lambda m, a, b: m.logical_and(a, b), lambda m, a, b: a.logical_or(b), lambda m, a, b: m.logical_xor(a, b),
], ids=["and", "or", "xor", "not", "bitwise_and", "bitwise_or_scalar", "bitwise_xor", "bitwise_not", "rand",
        "ror", "rxor", "logical_and", "logical_or", "logical_xor"])
@pytest.mark.parametrize("dtypes", [("int64", "int64"), ("int32", "int64"), ("uint8", "int16"), ("bool", "bool"),
                                    ("bool", "int32"), ("int8", "bool")])
def test_bitwise_and_logical_ops(fn, dtypes, device):
    a = np.array([[0, 1, 5, 12], [3, 0, 7, 9]]).astype(dtypes[0])
    b = np.array([1, 3, 0, 10]).astype(dtypes[1])
    both(fn, a, b, device=device, grad=False)


def test_bitwise_in_place_and_masks(device):
    x = tt.tensor([12, 10, 7], device=device)
    x &= 6
    x |= tt.tensor([1, 0, 0], device=device)
    x ^= 3
    y = torch.tensor([12, 10, 7])
    y &= 6
    y |= torch.tensor([1, 0, 0])
    y ^= 3
    same(x, y)
    values = tt.tensor([-2.0, 0.5, 3.0], device=device)
    mask = (values > 0) & ~(values > 2)  # the everyday use: combine bool masks
    assert mask.tolist() == [False, True, False]


def test_bitwise_ops_refuse_floats_and_logical_ops_take_them(device):
    floats = np.array([1.0, 0.0], np.float32)
    raises_like_torch(lambda m, a: a & a, floats, device=device, match="integer and bool.*float32")
    raises_like_torch(lambda m, a: ~a, floats, device=device, match="integer and bool.*float32")
    raises_like_torch(lambda m, a: m.bitwise_or(a, 1), floats, device=device, match="float32")
    both(lambda m, a: m.logical_and(a, a * 0 + 2.5), floats, device=device, grad=False)


# ---------------------------------------------------------------- elementwise functions
@pytest.mark.parametrize("name", ["asin", "acos", "atan", "sinh", "cosh", "log2", "log10", "log1p", "expm1",
                                  "arcsin", "arccos", "arctan"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
def test_unary_functions_values_and_dtypes(name, dtype, device):
    values = np.array([0.0, 0.25, 1.0, 0.75]).astype(dtype)  # in the domain of all of them (log: 0 gives -inf)
    with np.errstate(divide="ignore"):
        both(lambda m, a: getattr(m, name)(a), values, device=device, grad=False)
        both(lambda m, a: getattr(a, name)(), values, device=device, grad=False)


def test_log1p_and_expm1_are_accurate_near_zero(device):
    tiny = tt.tensor([1e-10], dtype=tt.float64, device=device)
    assert tiny.log1p().item() == pytest.approx(1e-10, rel=1e-12)  # ln(1 + 1e-10) via log would give ~1.00000008e-10
    assert tiny.expm1().item() == pytest.approx(1e-10, rel=1e-12)
    assert tt.log2(tt.tensor([8.0, 1024.0], device=device)).tolist() == [3.0, 10.0]


@pytest.mark.parametrize("dtypes", [("float32", "float32"), ("int64", "int64"), ("int32", "float64"),
                                    ("float32", "float64")])
def test_atan2_and_hypot(dtypes, device):
    y = np.array([[1.0, -1.0, 0.0], [2.0, -3.0, 0.5]]).astype(dtypes[0])
    x = np.array([-2.0, -1.0, 3.0]).astype(dtypes[1])
    both(lambda m, a, b: m.atan2(a, b), y, x, device=device, grad=False)
    both(lambda m, a, b: a.arctan2(b), y, x, device=device, grad=False)
    if all(d.startswith("float") for d in dtypes):
        both(lambda m, a, b: m.hypot(a, b), y, x, device=device, grad=False)
    else:
        raises_like_torch(lambda m, a, b: m.hypot(a, b), y.astype(np.int64), x.astype(np.int64), device=device,
                          match="floating point")


# ---------------------------------------------------------------- diag, diagonal, trace, roll, meshgrid
@pytest.mark.parametrize("fn", [
    lambda m, a: m.diag(a), lambda m, a: a.diag(1), lambda m, a: m.diag(a, -2),
], ids=["diag", "diag_above", "diag_below"])
@pytest.mark.parametrize("shape", [(4,), (3, 4), (4, 3), (1,)])
def test_diag(fn, shape, device):
    both(fn, np.arange(np.prod(shape), dtype=np.float32).reshape(shape) + 1, device=device)
    both(fn, np.arange(np.prod(shape)).reshape(shape), device=device, grad=False)


@pytest.mark.parametrize("offset, dim1, dim2", [(0, 0, 1), (1, 0, 1), (-1, 1, 0), (2, -1, 0), (-3, 0, 2), (9, 0, 1)])
def test_diagonal_and_trace(offset, dim1, dim2, device):
    cube = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    both(lambda m, a: a.diagonal(offset, dim1, dim2), cube, device=device)
    both(lambda m, a: m.diagonal(a, offset=offset, dim1=dim1, dim2=dim2), cube, device=device)
    both(lambda m, a: m.trace(a[0]), cube, device=device)
    both(lambda m, a: a.trace(), np.arange(12, dtype=np.int32).reshape(3, 4), device=device, grad=False)


def test_diag_diagonal_trace_errors(device):
    raises_like_torch(lambda m, a: m.diag(a), np.ones((2, 2, 2)), device=device, match="1D or 2D.*3D")
    raises_like_torch(lambda m, a: a.diagonal(0, 1, -1), np.ones((2, 2)), device=device,
                      match="cannot be identical 1, 1")
    raises_like_torch(lambda m, a: m.trace(a), np.ones(3), device=device, match="expected a matrix")


@pytest.mark.parametrize("fn", [
    lambda m, a: a.roll(1, 1), lambda m, a: m.roll(a, -1, 0), lambda m, a: a.roll(7), lambda m, a: a.roll(-3),
    lambda m, a: m.roll(a, (1, -2), (0, 1)), lambda m, a: a.roll(shifts=(2, 1), dims=(1, 1)),
    lambda m, a: a.roll(4, -1), lambda m, a: a.roll(0, 0),
], ids=["dim1", "negative", "flat", "flat_negative", "two_dims", "same_dim_twice", "full_turn", "zero"])
def test_roll(fn, device):
    both(fn, np.arange(12, dtype=np.float32).reshape(3, 4), device=device)


def test_roll_error(device):
    raises_like_torch(lambda m, a: a.roll((1, 2), (0,)), np.ones((2, 2)), device=device, match="same length")


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing, device):
    x, y, z = f32([1.0, 2.0, 3.0]), f32([-1.0, 0.5]), f32([4.0, 5.0, 6.0, 7.0])
    for arrays in ((x, y), (x, y, z), (x,)):
        ours = tt.meshgrid(*[tt.tensor(a, device=device) for a in arrays], indexing=indexing)
        theirs = torch.meshgrid(*[torch.tensor(a) for a in arrays], indexing=indexing)
        same(ours, theirs)
    same(tt.meshgrid([tt.tensor(x, device=device), tt.tensor(y, device=device)], indexing=indexing),
         torch.meshgrid([torch.tensor(x), torch.tensor(y)], indexing=indexing))
    both(lambda m, a, b: m.meshgrid(a, b, indexing=indexing)[0] * m.meshgrid(a, b, indexing=indexing)[1], x, y,
         device=device)


# ---------------------------------------------------------------- torch.linalg: inv, solve, det
def well_conditioned(shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) + 4 * np.eye(shape[-1])).astype(np.float32)


def test_inv_det_solve_values_and_gradients(device):
    A, batch = well_conditioned((3, 3)), well_conditioned((2, 3, 3), 1)
    b, B = f32([1.0, -2.0, 0.5]), np.random.default_rng(2).standard_normal((2, 3, 2)).astype(np.float32)
    both(lambda m, a: m.linalg.inv(a), A, device=device)
    both(lambda m, a: m.linalg.inv(a), batch, device=device)
    both(lambda m, a: m.linalg.det(a), A, device=device)
    both(lambda m, a: m.linalg.det(a), batch, device=device)
    both(lambda m, a, v: m.linalg.solve(a, v), A, b, device=device)  # a vector right-hand side
    both(lambda m, a, v: m.linalg.solve(a, v), batch, B, device=device)
    both(lambda m, a, v: m.linalg.solve(a, v), A, B, device=device)  # one A, broadcast over the batch of B
    both(lambda m, a, v: m.linalg.solve(a, v), batch, f32([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]), device=device)


def test_linalg_errors(device):
    raises_like_torch(lambda m, a: m.linalg.inv(a), np.zeros((2, 2), np.float32), device="cpu", match="singular")
    raises_like_torch(lambda m, a: m.linalg.inv(a), np.ones((2, 3), np.float32), device=device,
                      match="square matrices, but they are 2 by 3")
    raises_like_torch(lambda m, a: m.linalg.det(a), np.eye(2, dtype=np.int64), device=device,
                      match="floating point.*int64")
    raises_like_torch(lambda m, a, b: m.linalg.solve(a, b), np.eye(2, dtype=np.float32), np.ones(3, np.float32),
                      device=device, match="Incompatible shapes.*2x2 and 3")
    raises_like_torch(lambda m, a, b: m.linalg.solve(a, b), np.eye(2, dtype=np.float32), np.ones(2),
                      device=device, match="same dtype")
