"""Every differentiable op of the core, as a table shared by the gradient checks and the PyTorch parity tests.

Each case is written once against a module ``m``: the same lambda runs with ``m = tinygrad_tutorial`` and
with ``m = torch``, which is exactly the promise of ``import tinygrad_tutorial as torch``. Inputs are drawn
away from kinks (|x|, relu, clamp bounds, max ties) so central differences are valid there.
"""
from dataclasses import dataclass, field

import numpy as np

MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])


@dataclass
class Inp:
    """How to draw one input: a shape and a range; ``|x|`` is drawn in [low, high], the sign at random
    unless ``positive``."""
    shape: tuple
    low: float = 0.2
    high: float = 2.0
    positive: bool = False
    distinct: bool = False  # values 0.1 apart in random order: no ties for max and min

    def draw(self, rng):
        if self.distinct:
            n = int(np.prod(self.shape))
            return (rng.permutation(n) * 0.1 - n * 0.05 + 0.03).reshape(self.shape)
        magnitude = rng.uniform(self.low, self.high, self.shape)
        return magnitude if self.positive else magnitude * rng.choice([-1.0, 1.0], self.shape)


@dataclass
class Case:
    name: str
    fn: object  # fn(m, *tensors) -> tensor
    inputs: list
    gradcheck: dict = field(default_factory=dict)  # extra options for gradcheck (eps, tolerances)

    def draw(self, seed=0):
        rng = np.random.default_rng(seed)
        return [i.draw(rng) for i in self.inputs]


A, B, V = Inp((3, 4)), Inp((4,)), Inp((4,))
POS = Inp((3, 4), positive=True)

CASES = [
    # arithmetic, including broadcasting and reflected forms with Python numbers
    Case("add", lambda m, a, b: a + b, [A, B]),
    Case("add_function", lambda m, a, b: m.add(a, b), [Inp((2, 1, 4)), Inp((3, 1))]),
    Case("radd", lambda m, a: 2.5 + a, [A]),
    Case("sub", lambda m, a, b: a - b, [Inp((3, 1)), B]),
    Case("rsub", lambda m, a: 1.5 - a, [A]),
    Case("mul", lambda m, a, b: a * b, [A, Inp((3, 1))]),
    Case("rmul", lambda m, a: 3 * a, [A]),
    Case("div", lambda m, a, b: a / b, [A, Inp((4,), 0.5, 2.0)]),
    Case("rdiv", lambda m, a: 2.0 / a, [Inp((3, 4), 0.5, 2.0)]),
    Case("pow_tensor", lambda m, a, b: a ** b, [POS, Inp((4,))]),
    Case("pow_function", lambda m, a, b: m.pow(a, b), [Inp((2, 3), positive=True), Inp((2, 1))]),
    Case("pow_int", lambda m, a: a ** 3, [A]),
    Case("pow_float", lambda m, a: a ** 0.5, [POS]),
    Case("pow_negative", lambda m, a: a ** -1.5, [POS]),
    Case("rpow", lambda m, a: 2.5 ** a, [A]),
    Case("neg", lambda m, a: -a, [A]),
    Case("square", lambda m, a: a.square(), [A]),
    # elementwise functions
    Case("exp", lambda m, a: m.exp(a), [A]),
    Case("log", lambda m, a: a.log(), [POS]),
    Case("sqrt", lambda m, a: m.sqrt(a), [POS]),
    Case("abs", lambda m, a: a.abs(), [A]),
    Case("abs_builtin", lambda m, a: abs(a), [A]),
    Case("tanh", lambda m, a: m.tanh(a), [A]),
    Case("sin", lambda m, a: m.sin(a), [A]),
    Case("cos", lambda m, a: a.cos(), [A]),
    Case("sigmoid", lambda m, a: a.sigmoid(), [Inp((3, 4), 0.1, 6.0)]),
    Case("relu", lambda m, a: m.relu(a), [A]),
    Case("erf", lambda m, a: m.erf(a), [A]),
    Case("gelu", lambda m, a: m.nn.functional.gelu(a), [Inp((3, 4), 0.2, 4.0)]),
    Case("gelu_tanh", lambda m, a: m.nn.functional.gelu(a, approximate="tanh"), [Inp((3, 4), 0.2, 4.0)]),
    Case("silu", lambda m, a: m.nn.functional.silu(a), [Inp((3, 4), 0.2, 6.0)]),
    Case("leaky_relu", lambda m, a: m.nn.functional.leaky_relu(a, 0.2), [A]),
    Case("elu", lambda m, a: m.nn.functional.elu(a, alpha=0.7), [A]),
    Case("softplus", lambda m, a: m.nn.functional.softplus(a, beta=2.0, threshold=5.0), [Inp((3, 4), 0.2, 2.2)]),
    Case("hardtanh", lambda m, a: m.nn.functional.hardtanh(a, -0.5, 0.9), [Inp((3, 4), 0.6, 2.0)]),
    Case("relu6", lambda m, a: m.nn.functional.relu6(a * 4), [Inp((3, 4), 0.1, 1.4)]),
    Case("clamp_both", lambda m, a: a.clamp(-1.0, 1.0), [Inp((3, 4), 0.1, 1.9)]),
    Case("clamp_min", lambda m, a: m.clamp(a, min=0.5), [Inp((3, 4), 0.1, 0.45)]),
    Case("clamp_max", lambda m, a: a.clamp(max=-0.3), [Inp((3, 4), 0.35, 2.0)]),
    Case("maximum", lambda m, a, b: m.maximum(a, b), [A, Inp((3, 4), 0.1, 1.9)]),
    Case("maximum_broadcast", lambda m, a, b: a.maximum(b), [A, Inp((3, 1))]),
    Case("minimum", lambda m, a, b: m.minimum(a, b), [A, B]),
    Case("max_elementwise", lambda m, a, b: a.max(b), [A, Inp((3, 4), 0.1, 1.9)]),
    Case("where", lambda m, a, b: m.where(m.tensor(MASK, device=a.device), a, b), [A, B]),
    Case("masked_fill", lambda m, a: a.masked_fill(m.tensor(MASK, device=a.device), 0.5), [A]),
    # reductions
    Case("sum", lambda m, a: a.sum(), [A]),
    Case("sum_dim", lambda m, a: m.sum(a, 1), [Inp((2, 3, 4))]),
    Case("sum_dims_keepdim", lambda m, a: a.sum((0, 2), keepdim=True), [Inp((2, 3, 4))]),
    Case("sum_negative_dim", lambda m, a: a.sum(dim=-2), [Inp((2, 3, 4))]),
    Case("mean", lambda m, a: a.mean(), [A]),
    Case("mean_dim_keepdim", lambda m, a: m.mean(a, dim=-1, keepdim=True), [Inp((2, 3, 4))]),
    Case("mean_dims", lambda m, a: a.mean((0, -1)), [Inp((2, 3, 4))]),
    Case("var", lambda m, a: a.var(), [A]),
    Case("var_dim_biased", lambda m, a: m.var(a, 0, correction=0), [A]),
    Case("var_negative_dim_keepdim", lambda m, a: a.var(-1, keepdim=True), [Inp((2, 3, 4))]),
    Case("std", lambda m, a: a.std(), [A]),
    Case("std_dim", lambda m, a: m.std(a, dim=1, keepdim=True), [A]),
    Case("std_unbiased_false", lambda m, a: a.std(dim=(0, 1), unbiased=False), [Inp((2, 3, 4))]),
    Case("max", lambda m, a: a.max(), [Inp((3, 4), distinct=True)]),
    Case("max_dim", lambda m, a: a.max(1).values, [Inp((3, 4), distinct=True)]),
    Case("max_negative_dim_keepdim", lambda m, a: m.max(a, dim=-3, keepdim=True)[0], [Inp((2, 3, 4), distinct=True)]),
    Case("min", lambda m, a: m.min(a), [Inp((3, 4), distinct=True)]),
    Case("min_dim", lambda m, a: a.min(0).values, [Inp((3, 4), distinct=True)]),
    Case("min_dim_keepdim", lambda m, a: a.min(-1, keepdim=True).values, [Inp((2, 3, 4), distinct=True)]),
    Case("softmax", lambda m, a: a.softmax(-1), [A]),
    Case("softmax_dim0", lambda m, a: m.softmax(a, 0), [Inp((3, 2, 4))]),
    Case("log_softmax", lambda m, a: a.log_softmax(dim=1), [A]),
    Case("log_softmax_3d", lambda m, a: m.log_softmax(a, -2), [Inp((2, 3, 4))]),
    Case("logsumexp", lambda m, a: m.logsumexp(a, 1) * a.logsumexp((0, 1), True), [A]),
    Case("logsumexp_3d_keepdim", lambda m, a: a.logsumexp(-2, keepdim=True)
         + m.logsumexp(a, (0, 1)), [Inp((2, 3, 4))]),
    # a 0-d tensor's only dim is 0 (or -1): reducing over it keeps the value
    Case("sum_0d_dim", lambda m, a: a.sum(0) * a.sum(-1, keepdim=True), [Inp(())]),
    Case("mean_0d_dim", lambda m, a: m.mean(a, dim=-1), [Inp(())]),
    Case("max_0d_dim", lambda m, a: a.max(0).values + a.min(-1, keepdim=True).values, [Inp(())]),
    Case("log_softmax_0d", lambda m, a: a.log_softmax(0) + a.softmax(-1) * a, [Inp(())]),
    # movement
    Case("reshape", lambda m, a: a.reshape(2, 6), [A]),
    Case("reshape_tuple_infer", lambda m, a: m.reshape(a, (-1, 3)), [A]),
    Case("view", lambda m, a: a.view(4, 3), [A]),
    Case("view_as", lambda m, a, b: a.view_as(b), [A, Inp((2, 6))]),
    Case("flatten", lambda m, a: a.flatten(), [Inp((2, 3, 2))]),
    Case("flatten_range", lambda m, a: m.flatten(a, 1, -1), [Inp((2, 3, 2))]),
    Case("squeeze", lambda m, a: a.squeeze(), [Inp((1, 3, 1, 2))]),
    Case("squeeze_dim", lambda m, a: m.squeeze(a, -2), [Inp((1, 3, 1, 2))]),
    Case("unsqueeze", lambda m, a: a.unsqueeze(0), [A]),
    Case("unsqueeze_negative", lambda m, a: m.unsqueeze(a, -1), [A]),
    Case("transpose", lambda m, a: a.transpose(0, 2), [Inp((2, 3, 4))]),
    Case("transpose_negative", lambda m, a: m.transpose(a, -1, -2), [Inp((2, 3, 4))]),
    Case("permute", lambda m, a: a.permute(2, 0, 1), [Inp((2, 3, 4))]),
    Case("permute_function", lambda m, a: m.permute(a, (1, -1, 0)), [Inp((2, 3, 4))]),
    Case("T", lambda m, a: a.T, [A]),
    Case("t", lambda m, a: a.t(), [A]),
    Case("mT", lambda m, a: a.mT, [Inp((2, 3, 4))]),
    Case("flip", lambda m, a: a.flip(0), [A]),
    Case("flip_dims", lambda m, a: a.flip((-1, 0)), [Inp((2, 3, 4))]),
    Case("flip_function", lambda m, a: m.flip(a, [1]), [Inp((2, 3, 4))]),
    Case("flip_0d", lambda m, a: a.flip(()), [Inp(())]),
    Case("expand", lambda m, a: a.expand(2, 3, 4), [Inp((3, 1))]),
    Case("expand_keep", lambda m, a: a.expand(-1, 5), [Inp((3, 1))]),
    Case("expand_as", lambda m, a, b: a.expand_as(b), [B, A]),
    Case("expand_0d", lambda m, a: a.expand(2, 3), [Inp(())]),
    Case("flatten_unsqueeze_0d", lambda m, a: a.flatten() * a.unsqueeze(-1), [Inp(())]),
    # indexing
    Case("getitem_int", lambda m, a: a[1], [A]),
    Case("getitem_negative", lambda m, a: a[-1, -2], [A]),
    Case("getitem_slice", lambda m, a: a[1:, ::2], [A]),
    Case("getitem_negative_slice", lambda m, a: a[:, -3:-1], [A]),
    Case("getitem_ellipsis_none", lambda m, a: a[..., None, 1], [Inp((2, 3, 4))]),
    Case("getitem_bool_mask", lambda m, a: a[m.tensor(MASK, device=a.device)], [A]),
    Case("getitem_bool_rows", lambda m, a: a[m.tensor([True, False, True], device=a.device)], [A]),
    Case("getitem_int_array_repeated", lambda m, a: a[m.tensor([0, 2, 0, 0], device=a.device)], [A]),
    Case("getitem_list_repeated", lambda m, a: a[[1, 1, -1]], [A]),
    Case("getitem_int_arrays_pairs", lambda m, a: a[m.tensor([0, 2, 0], device=a.device),
                                                    m.tensor([1, 1, 1], device=a.device)], [A]),
    Case("getitem_slice_and_array", lambda m, a: a[:, m.tensor([3, 0, 3], device=a.device)], [A]),
    Case("gather", lambda m, a: a.gather(1, m.tensor([[0, 0, 3], [2, 1, 1], [3, 3, 3]], device=a.device)), [A]),
    Case("gather_dim0", lambda m, a: m.gather(a, 0, m.tensor([[2, 0, 1, 1]], device=a.device)), [A]),
    Case("sort_descending", lambda m, a: a.sort(dim=1, descending=True).values, [Inp((3, 4), distinct=True)]),
    Case("topk", lambda m, a: m.topk(a, 2, dim=0).values, [Inp((3, 4), distinct=True)]),
    # splitting and tiling
    Case("split_then_cat", lambda m, a: m.cat(a.split([1, 3], dim=1)[::-1], 1), [A]),
    Case("chunk", lambda m, a: a.chunk(2)[1], [A]),
    Case("repeat", lambda m, a: a.repeat(2, 1, 3), [A]),
    Case("remainder", lambda m, a: a % 0.7 - (a * 3) % -1.1, [A]),
    Case("tril", lambda m, a: a.tril() + m.tril(a, diagonal=-1) * 2, [A]),
    Case("triu_batched", lambda m, a: m.triu(a, 1) - a.triu(diagonal=-1), [Inp((2, 3, 4))]),
    Case("reciprocal_rsqrt", lambda m, a: m.reciprocal(a) + a.abs().rsqrt(), [A]),
    Case("outer", lambda m, a, b: m.outer(a, b), [Inp((3,)), B]),
    # joining
    Case("cat", lambda m, a, b: m.cat([a, b]), [A, Inp((2, 4))]),
    Case("cat_dim1", lambda m, a, b, c: m.cat((a, b, c), dim=1), [A, Inp((3, 1)), Inp((3, 2))]),
    Case("cat_negative_dim", lambda m, a, b: m.cat([a, b], -1), [Inp((2, 2, 3)), Inp((2, 2, 1))]),
    Case("stack", lambda m, a, b: m.stack([a, b]), [A, A]),
    Case("stack_last", lambda m, a, b, c: m.stack((a, b, c), dim=-1), [B, B, B]),
    Case("stack_0d", lambda m, a, b: m.stack([a, b, a]), [Inp(()), Inp(())]),
    Case("stack_same_tensor", lambda m, a: m.stack([a, a * 2], dim=1), [A]),
    # matrix products
    Case("matmul_1d_1d", lambda m, a, b: a @ b, [V, B]),
    Case("matmul_2d_1d", lambda m, a, b: a @ b, [A, B]),
    Case("matmul_1d_2d", lambda m, a, b: m.matmul(a, b), [Inp((3,)), A]),
    Case("matmul_2d_2d", lambda m, a, b: a @ b, [A, Inp((4, 2))]),
    Case("matmul_3d_3d", lambda m, a, b: a.matmul(b), [Inp((2, 3, 4)), Inp((2, 4, 2))]),
    Case("matmul_3d_2d", lambda m, a, b: a @ b, [Inp((2, 3, 4)), Inp((4, 2))]),
    Case("matmul_2d_3d", lambda m, a, b: a @ b, [A, Inp((2, 4, 2))]),
    Case("matmul_broadcast_batch", lambda m, a, b: a @ b, [Inp((2, 1, 3, 4)), Inp((3, 4, 2))]),
    Case("matmul_1d_3d", lambda m, a, b: a @ b, [Inp((3,)), Inp((2, 3, 2))]),
    Case("matmul_3d_1d", lambda m, a, b: a @ b, [Inp((2, 3, 4)), B]),
    # more elementwise functions, reductions and linear algebra
    Case("asin_acos", lambda m, a: m.asin(a) + a.acos() * 2, [Inp((3, 4), 0.05, 0.9)]),
    Case("atan", lambda m, a: m.atan(a * 3), [A]),
    Case("sinh_cosh", lambda m, a: a.sinh() + m.cosh(a) * a, [A]),
    Case("log2_log10", lambda m, a: m.log2(a) - a.log10() * 3, [POS]),
    Case("log1p_expm1", lambda m, a: m.log1p(a) + m.expm1(-a), [POS]),
    Case("atan2", lambda m, a, b: m.atan2(a, b), [A, B]),
    Case("hypot", lambda m, a, b: m.hypot(a, b), [A, Inp((3, 1))]),
    Case("prod", lambda m, a: a.prod(), [A]),
    Case("prod_dim_keepdim", lambda m, a: m.prod(a, 1, keepdim=True) + a.prod(dim=-3), [Inp((2, 3, 4))]),
    Case("cumsum", lambda m, a: a.cumsum(1) * m.cumsum(a, dim=0), [A]),
    Case("cumprod", lambda m, a: m.cumprod(a, -1) + a.cumprod(dim=0), [Inp((3, 4), 0.5, 1.5)]),
    Case("amax_amin", lambda m, a: a.amax(1) * m.amin(a, (0, 2), keepdim=True).sum(), [Inp((2, 3, 4), distinct=True)]),
    Case("norm", lambda m, a: a.norm() + m.norm(a, 1, dim=1).sum(), [A]),
    Case("norm_p3_keepdim", lambda m, a: a.norm(p=3, dim=-1, keepdim=True), [Inp((2, 3, 4))]),
    Case("vector_norm_inf", lambda m, a: m.linalg.vector_norm(a, float("inf"), dim=0)
         - m.linalg.vector_norm(a, -float("inf")), [Inp((3, 4), distinct=True)]),
    Case("matrix_norms", lambda m, a: m.linalg.matrix_norm(a) + m.linalg.matrix_norm(a, 1)
         + m.linalg.norm(a, float("inf")) - m.linalg.norm(a, -1), [Inp((3, 4), distinct=True)]),
    Case("linalg_norm_dims", lambda m, a: m.linalg.norm(a, dim=(0, 2)) + m.linalg.norm(a, 3, dim=-1).sum(),
         [Inp((2, 3, 4))]),
    Case("cdist", lambda m, a, b: m.cdist(a, b), [Inp((3, 2)), Inp((4, 2))]),
    Case("diag_vector", lambda m, a: m.diag(a) + a.diag(1)[1:, :-1], [B]),
    Case("diag_matrix_trace", lambda m, a: a.diag(-1) * m.trace(a), [A]),
    Case("diagonal_dims", lambda m, a: m.diagonal(a, 1, 0, 2) + a.diagonal(offset=-1, dim1=-1, dim2=0),
         [Inp((4, 3, 5))]),
    Case("roll", lambda m, a: a.roll(1, 1) + m.roll(a, (-1, 5), (0, 1)) * a.roll(2), [A]),
    Case("meshgrid", lambda m, a, b: sum(g * g for g in m.meshgrid(a, b, indexing="xy"))
         + m.meshgrid(a, b, indexing="ij")[0].T, [Inp((3,)), B]),
    Case("einsum_matmul", lambda m, a, b: m.einsum("ij,jk->ik", a, b), [A, Inp((4, 2))]),
    Case("einsum_batched", lambda m, a, b: m.einsum("bij,bjk->bik", a, b), [Inp((2, 3, 4)), Inp((2, 4, 2))]),
    Case("einsum_diagonal", lambda m, a: m.einsum("ii->i", a) + m.einsum("ii", a), [Inp((3, 3))]),
    Case("einsum_outer_total", lambda m, a, b: m.einsum("i,j->ij", a, b) * m.einsum("ij->", m.outer(a, b)),
         [Inp((3,)), B]),
    Case("einsum_ellipsis_implicit", lambda m, a, b: m.einsum("...ij,jk", a, b) + m.einsum("b...->...", a),
         [Inp((2, 3, 4)), Inp((4, 4))]),
    Case("einsum_three_operands", lambda m, a, b, c: m.einsum("ij,jk,ki->", a, b, c), [A, Inp((4, 2)), Inp((2, 3))]),
    Case("linalg_inv", lambda m, a: m.linalg.inv(a + 3 * m.eye(3, dtype=a.dtype, device=a.device)), [Inp((2, 3, 3))]),
    Case("linalg_det", lambda m, a: m.linalg.det(a + 3 * m.eye(3, dtype=a.dtype, device=a.device)), [Inp((2, 3, 3))]),
    Case("linalg_solve", lambda m, a, b, v: m.linalg.solve(a + 3 * m.eye(3, dtype=a.dtype, device=a.device), b)
         .sum(-1) + m.linalg.solve(a.T + 2 * m.eye(3, dtype=a.dtype, device=a.device), v), [Inp((3, 3)), Inp((3, 2)),
                                                                                             Inp((3,))]),
    # dtype and copies
    Case("to_float32_and_back", lambda m, a: (a.to(m.float32) * 2).to(m.float64), [A],
         gradcheck=dict(eps=1e-2)),  # linear, so a large step is exact and float32 rounding stays small
    Case("float_double", lambda m, a: a.float().double() * a, [A], gradcheck=dict(eps=1e-2, atol=1e-4)),
    Case("clone", lambda m, a: a.clone() * a, [A]),
    # a composite expression: the graph reuses ``a`` through several paths
    Case("composite", lambda m, a, b: ((a * b).tanh() + a.exp() / (1 + b * b)).log_softmax(-1), [A, B]),
]
