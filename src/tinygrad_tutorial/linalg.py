"""``torch.linalg``: norms, and the inverse, solve and determinant with their gradients.

The norms are composed from the elementwise ops and reductions. ``inv``, ``solve`` and
``det`` are primitives: each forward calls the array module's ``linalg``, each backward
is the matrix calculus identity it is named after, written on arrays (``.mT`` below is
``swapaxes(-1, -2)``) and in tensor ops.
"""
import math

import numpy as np

from . import backend
from .autograd import Function
from .tensor import Tensor, _dim, broadcast_shape, where


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """(Σ |x_i|^ord)^(1/ord) over ``dim`` (every element when None); ord=inf is max
    |x_i|, ord=0 counts the nonzero entries. At a zero vector the gradient is 0, as in
    PyTorch (a subgradient)."""
    x = x if dtype is None else x.to(dtype)
    if not x.is_floating_point():
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex "
                           f"tensor as input. Got {x.dtype}")
    magnitude = x.abs()
    if ord == math.inf:
        return magnitude.amax(() if dim is None else dim, keepdim)
    if ord == -math.inf:
        return magnitude.amin(() if dim is None else dim, keepdim)
    # the number of nonzero entries: Σ |x_i|^0, 0^0 taken as 0 (and a zero gradient)
    if ord == 0:
        return _power_flat_at_zero(magnitude, 0).sum(dim, keepdim)
    if ord == 1:
        return magnitude.sum(dim, keepdim)
    powered = _power_flat_at_zero(magnitude, ord)
    return _power_flat_at_zero(powered.sum(dim, keepdim), 1 / ord)


def _power_flat_at_zero(t, exponent):
    """t^exponent for t ≥ 0 (0^-p = inf), with gradient 0 where t is 0 (PyTorch's
    choice) instead of ∞ or 0·∞ = nan. The inner where keeps the power's own derivative
    finite there (it sees 1, not 0); the outer one sends no gradient into it. A NaN is
    not 0: it goes through the power and stays NaN."""
    nonzero = t != 0
    at_zero = 0.0 if exponent >= 0 else math.inf
    return where(nonzero, where(nonzero, t, 1.0) ** exponent, at_zero)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """A norm of the matrices in the ``dim`` planes: "fro" (√ of the sum of squares),
    1 / inf (the largest absolute column / row sum), -1 / -inf (the smallest)."""
    A = A if dtype is None else A.to(dtype)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least "
                           f"2 dimensions, got {A.ndim}")
    rows, cols = (_dim(d, A.ndim) for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (rows, cols), keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        # column sums for 1, row sums for inf
        summed, across = (rows, cols) if abs(ord) == 1 else (cols, rows)
        sums = vector_norm(A, 1, summed, keepdim=True)
        out = (sums.amax(across, keepdim=True) if ord > 0
               else sums.amin(across, keepdim=True))
        return out if keepdim else out.squeeze((rows, cols))
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} needs singular "
                                  "values (an SVD), which this package does not "
                                  "implement")
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm when ``dim`` is an int (or A is 1-D), a matrix norm when ``dim``
    is a pair (or A is 2-D); without ``ord`` nor ``dim``, the 2-norm of all the
    elements."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the "
                               f"input must be 1D or 2D. Got {A.ndim}D.")
        dim = tuple(range(A.ndim))
    if len(dim) == 1:
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.vector_norm: ord {ord!r} is a matrix norm; "
                               "give dim as a pair")
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    return matrix_norm(A, ord, dim, keepdim, dtype=dtype)


# ------------------------------------------------------ inverse, solve, determinant
class Inv(Function):
    saves_inputs, saves_output = False, True

    def forward(self, a):  # A⁻¹
        self.out = backend.get_array_module(a).linalg.inv(a)
        return self.out

    def backward(self, grad):  # d(A⁻¹) = -A⁻¹ dA A⁻¹, so dL/dA = -A⁻ᵀ G A⁻ᵀ
        inverse_t = self.out.swapaxes(-1, -2)
        return -inverse_t @ grad @ inverse_t

    def tensor_backward(self, grad):
        inverse_t = self.output_in_graph().mT
        return -inverse_t @ grad @ inverse_t


class Solve(Function):
    saves_output = True

    # X with AX = B, i.e. A⁻¹B, without forming A⁻¹ (same batch shape for A and B)
    def forward(self, a, b):
        self.a, self.x = a, backend.get_array_module(a).linalg.solve(a, b)
        return self.x

    # X = A⁻¹B: dL/dB = A⁻ᵀG (one more solve), dL/dA = -dL/dB Xᵀ (from inv's rule)
    def backward(self, grad):
        xp = backend.get_array_module(grad)
        grad_b = xp.linalg.solve(self.a.swapaxes(-1, -2), grad)
        return -grad_b @ self.x.swapaxes(-1, -2), grad_b

    def tensor_backward(self, grad):
        a, b = self.inputs
        grad_b = Solve.apply(a.mT, grad)
        return -grad_b @ Solve.apply(a, b).mT, grad_b


class Det(Function):
    saves_output = True

    def forward(self, a):  # det A
        self.a = a
        self.out = backend.get_array_module(a).linalg.det(a)
        return self.out

    # d det A = det A · tr(A⁻¹ dA), so dL/dA = g · det A · A⁻ᵀ (for an invertible A)
    def backward(self, grad):
        inverse_t = backend.get_array_module(grad).linalg.inv(self.a).swapaxes(-1, -2)
        return (grad * self.out)[..., None, None] * inverse_t

    def tensor_backward(self, grad):
        a = self.inputs[0]
        return (grad * Det.apply(a))[..., None, None] * Inv.apply(a).mT


def inv(A):
    _check_square("linalg.inv", A)
    return _singular_as_error("linalg.inv", Inv.apply, A)


def det(A):
    _check_square("linalg.det", A)
    return Det.apply(A)


def solve(A, B):
    """X with A X = B. B is a vector (or a batch of them) when it has one dimension
    less than A."""
    _check_square("linalg.solve", A)
    if not isinstance(B, Tensor) or B.dtype != A.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, "
                           f"but found A of type {A.dtype} and B of type "
                           f"{getattr(B, 'dtype', type(B).__name__)} instead")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    matrix_b = B.unsqueeze(-1) if vector else B
    if matrix_b.ndim < 2 or matrix_b.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the "
                           f"equation AX = B ({'x'.join(map(str, A.shape))} and "
                           f"{'x'.join(map(str, B.shape))})")
    # expanded here, so the gradients sum back
    batch = broadcast_shape(A.shape[:-2], matrix_b.shape[:-2])
    A = A.expand(batch + tuple(A.shape[-2:]))
    matrix_b = matrix_b.expand(batch + tuple(matrix_b.shape[-2:]))
    X = _singular_as_error("linalg.solve", Solve.apply, A, matrix_b)
    return X.squeeze(-1) if vector else X


def _check_square(name, A):
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(A).__name__}")
    if not A.is_floating_point():
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as "
                           f"input. Got {A.dtype}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they "
                           f"are {' by '.join(map(str, A.shape[-2:]))} matrices")


def _singular_as_error(name, apply, *tensors):
    """NumPy says "Singular matrix" (LinAlgError); say it as PyTorch does, with the
    function's name."""
    try:
        return apply(*tensors)
    except np.linalg.LinAlgError:
        raise RuntimeError(f"{name}: The input matrix is singular, so it has no "
                           "inverse") from None
