"""The primitive ops. Each ``forward`` computes on raw arrays (NumPy or CuPy: the
code does not care which); each ``backward`` receives dL/d(output) and returns
dL/d(input) for every input: the vector-Jacobian product of the op, written next
to its forward so the two can be read together. Its ``tensor_backward`` is the same
product in tensor ops, recorded, for ``create_graph=True`` (gradients of gradients).
Everything else in the package (mean, softmax-based losses, layers) is composed
from these.
"""
import math
import string

import numpy as np

from . import backend
from .autograd import Function


def unbroadcast(grad, shape):
    """Sum ``grad`` back to ``shape``: the backward of broadcasting.

    Broadcasting copies an input along new leading axes and along axes of size 1;
    every copy contributed to the output, so their gradients add up.
    """
    if grad.shape == shape:  # nothing was broadcast (the common case)
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


def passed_through(mask, grad):
    """``grad`` where ``mask`` holds, 0 elsewhere: the backward of an op that passes
    some entries on and drops the rest (relu, clamp, max). A dropped entry gets exactly
    0, as in PyTorch, even where ``grad`` is inf (a √ at 0 further on), which a plain
    grad · mask would turn into 0 · inf = nan. On large NumPy arrays that product is
    far faster than ``where`` (a random mask defeats its branches), so it is kept when
    it has no NaN, the only way it can differ (its min is NaN if any entry is: the
    cheapest check); on small ones ``where`` costs less than the product and the
    check."""
    xp = backend.get_array_module(grad)
    if xp is np and grad.size > 1024:  # (where is the faster below about 1,500)
        product = grad * mask
        if product.size == 0 or not math.isnan(product.min()):
            return product
    zero = 0 if xp is np else xp.zeros((), grad.dtype)  # (a Python 0 keeps the dtype)
    return xp.where(mask, grad, zero)


def tensor_passed_through(mask, grad):
    """:func:`passed_through` in tensor ops (``grad`` a tensor, ``mask`` a constant
    array): a ``where``, whose own gradient drops the same entries the same way, so no
    0 · inf appears at any order."""
    return _tensor.where(_tensor.Tensor(mask), grad, 0)


def read_for_the_others_gradient(node):
    """``read_inputs`` of a product: a is read only for b's gradient, b only for a's."""
    needs_a, needs_b = node.needs_input_grad[:2]
    return (0,) * needs_b + (1,) * needs_a


def _kept_dims_shape(shape, axis):
    """``shape`` with the reduced axes (an int, a tuple, None for all) kept as 1s."""
    if axis is None:
        axis = range(len(shape))
    axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


# ---------------------------------------------------------------- elementwise binary
class Add(Function):
    saves_inputs = False  # backward needs only the shapes

    def forward(self, a, b):  # a + b
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, grad):  # d/da = 1, d/db = 1
        return unbroadcast(grad, self.shapes[0]), unbroadcast(grad, self.shapes[1])

    def tensor_backward(self, grad):
        return grad.sum_to_size(self.shapes[0]), grad.sum_to_size(self.shapes[1])


class Sub(Function):
    saves_inputs = False

    def forward(self, a, b):  # a - b
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, grad):  # d/da = 1, d/db = -1
        return unbroadcast(grad, self.shapes[0]), unbroadcast(-grad, self.shapes[1])

    def tensor_backward(self, grad):
        return grad.sum_to_size(self.shapes[0]), (-grad).sum_to_size(self.shapes[1])


class Mul(Function):
    read_inputs = read_for_the_others_gradient

    def forward(self, a, b):  # a * b
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):  # d/da = b, d/db = a
        needs_a, needs_b = self.needs_input_grad  # x * 2 needs no gradient for the 2
        return (unbroadcast(grad * self.b, self.a.shape) if needs_a else None,
                unbroadcast(grad * self.a, self.b.shape) if needs_b else None)

    def tensor_backward(self, grad):
        a, b = self.inputs
        return (grad * b).sum_to_size(a.shape), (grad * a).sum_to_size(b.shape)


class Div(Function):
    def read_inputs(self):  # b for both gradients (a's is grad / b), a only for b's
        return (0, 1) if self.needs_input_grad[1] else (1,)

    def forward(self, a, b):  # a / b
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):  # d/da = 1/b, d/db = -a/b²
        needs_a, needs_b = self.needs_input_grad  # x / n (a mean): no gradient for n
        grad_a = grad / self.b
        return (unbroadcast(grad_a, self.a.shape) if needs_a else None,
                unbroadcast(-grad_a * self.a / self.b, self.b.shape) if needs_b
                else None)

    def tensor_backward(self, grad):
        (a, b), (needs_a, needs_b) = self.inputs, self.needs_input_grad
        grad_a = grad / b
        return (grad_a.sum_to_size(a.shape) if needs_a else None,
                (-grad_a * a / b).sum_to_size(b.shape) if needs_b else None)


class Pow(Function):
    saves_output = True  # a^b·ln a reuses the output

    def forward(self, a, b):  # a ** b
        self.a, self.b = a, b
        if a.dtype.kind == "i":  # NumPy refuses negative integer powers; PyTorch rounds
            xp = backend.get_array_module(a)  # 1/a^|b| to 0, except for a = 1 or -1
            one_over = xp.where(a == 1, 1, xp.where(a == -1, 1 - 2 * (b % 2), 0))
            self.out = xp.where(b < 0, one_over, a ** xp.maximum(b, 0)).astype(a.dtype)
        else:
            self.out = a ** b
        return self.out

    def backward(self, grad):  # d/da = b·a^(b-1), d/db = a^b·ln a
        xp = backend.get_array_module(self.a)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0^(b-1) at b = 0: masked
            grad_a = grad * self.b * self.a ** (self.b - 1)
        grad_a = xp.where(self.b == 0, 0, grad_a)  # a^0 is flat, even at 0
        grad_b = None
        if self.inputs[1].requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):  # ln 0: masked below
                grad_b = grad * self.out * xp.log(self.a)
            grad_b = xp.where((self.a == 0) & (self.b >= 0), 0, grad_b)  # 0^b: b-flat
            grad_b = unbroadcast(grad_b, self.b.shape)
        return unbroadcast(grad_a, self.a.shape), grad_b

    def tensor_backward(self, grad):
        a, b = self.inputs
        with np.errstate(divide="ignore", invalid="ignore"):  # as in backward
            grad_a = tensor_passed_through(self.b != 0, grad * b * a ** (b - 1))
            grad_b = None
            if b.requires_grad:
                grad_b = grad * a ** b * a.log()
                grad_b = tensor_passed_through(~((self.a == 0) & (self.b >= 0)), grad_b)
                grad_b = grad_b.sum_to_size(b.shape)
        return grad_a.sum_to_size(a.shape), grad_b


class PowScalar(Function):
    def forward(self, a, exponent):  # a ** c for a Python number c
        self.a, self.exponent = a, exponent
        return a ** exponent

    def backward(self, grad):  # d/da = c·a^(c-1); a^0 is flat, even at 0 (0^-1 = inf)
        if self.exponent == 0:
            return backend.get_array_module(grad).zeros_like(grad)
        return grad * self.exponent * self.a ** (self.exponent - 1)

    def tensor_backward(self, grad):
        if self.exponent == 0:
            return _tensor.zeros_like(grad)
        return grad * self.exponent * self.inputs[0] ** (self.exponent - 1)


class Maximum(Function):
    def forward(self, a, b):  # max(a, b), elementwise
        self.a, self.b = a, b
        return backend.get_array_module(a).maximum(a, b)

    def backward(self, grad):  # the larger input gets the gradient, a tie splits it
        xp = backend.get_array_module(grad)
        shared = xp.where(self.a == self.b, grad / 2, grad)
        # as PyTorch: a NaN is neither larger nor smaller, so both get the gradient
        return (unbroadcast(passed_through(~(self.a < self.b), shared), self.a.shape),
                unbroadcast(passed_through(~(self.a > self.b), shared), self.b.shape))

    def tensor_backward(self, grad):
        a, b = self.inputs
        shared = _tensor.where(_tensor.Tensor(self.a == self.b), grad / 2, grad)
        return (tensor_passed_through(~(self.a < self.b), shared).sum_to_size(a.shape),
                tensor_passed_through(~(self.a > self.b), shared).sum_to_size(b.shape))


class Where(Function):
    saves_inputs = False  # only the condition

    def forward(self, a, b, condition):  # condition ? a : b
        self.condition, self.shapes = condition, (a.shape, b.shape)
        return backend.get_array_module(a).where(condition, a, b)

    def backward(self, grad):  # the gradient goes to whichever input was picked
        xp = backend.get_array_module(grad)
        zero = xp.zeros((), grad.dtype)
        return (unbroadcast(xp.where(self.condition, grad, zero), self.shapes[0]),
                unbroadcast(xp.where(self.condition, zero, grad), self.shapes[1]))

    def tensor_backward(self, grad):
        picked_a = tensor_passed_through(self.condition, grad)
        picked_b = tensor_passed_through(~self.condition, grad)
        return (picked_a.sum_to_size(self.shapes[0]),
                picked_b.sum_to_size(self.shapes[1]))


class Atan2(Function):
    def forward(self, a, b):  # the angle of (b, a): atan(a / b) in the right quadrant
        self.a, self.b = a, b
        return backend.get_array_module(a).arctan2(a, b)

    def backward(self, grad):  # d/da = b / (a² + b²), d/db = -a / (a² + b²)
        grad = grad / (self.a * self.a + self.b * self.b)
        return (unbroadcast(grad * self.b, self.a.shape),
                unbroadcast(-grad * self.a, self.b.shape))

    def tensor_backward(self, grad):
        a, b = self.inputs
        grad = grad / (a * a + b * b)
        return (grad * b).sum_to_size(a.shape), (-grad * a).sum_to_size(b.shape)


class Hypot(Function):
    saves_output = True

    def forward(self, a, b):  # √(a² + b²), without overflowing in the squares
        self.a, self.b = a, b
        self.out = backend.get_array_module(a).hypot(a, b)
        return self.out

    def backward(self, grad):  # d/da = a / √(a² + b²), d/db = b / √(a² + b²)
        grad = grad / self.out
        return (unbroadcast(grad * self.a, self.a.shape),
                unbroadcast(grad * self.b, self.b.shape))

    def tensor_backward(self, grad):
        a, b = self.inputs
        grad = grad / a.hypot(b)
        return (grad * a).sum_to_size(a.shape), (grad * b).sum_to_size(b.shape)


# ---------------------------------------------------------------- elementwise unary
class Neg(Function):
    saves_inputs = False

    def forward(self, a):  # -a
        return -a

    def backward(self, grad):
        return -grad

    def tensor_backward(self, grad):
        return -grad


class Exp(Function):
    saves_inputs, saves_output = False, True

    def forward(self, a):  # e^a
        self.out = backend.get_array_module(a).exp(a)
        return self.out

    def backward(self, grad):  # d/da e^a = e^a
        return grad * self.out

    def tensor_backward(self, grad):
        return grad * self.output_in_graph()


class Log(Function):
    def forward(self, a):  # ln a
        self.a = a
        return backend.get_array_module(a).log(a)

    def backward(self, grad):  # d/da ln a = 1/a
        return grad / self.a

    def tensor_backward(self, grad):
        return grad / self.inputs[0]


class Sqrt(Function):
    saves_inputs, saves_output = False, True

    def forward(self, a):  # √a
        self.out = backend.get_array_module(a).sqrt(a)
        return self.out

    def backward(self, grad):  # d/da √a = 1/(2√a)
        return grad / (2 * self.out)

    def tensor_backward(self, grad):
        return grad / (2 * self.output_in_graph())


class Abs(Function):
    saves_inputs = False  # only a copy of the signs

    def forward(self, a):  # |a|
        xp = backend.get_array_module(a)
        self.sign = xp.nan_to_num(xp.sign(a), nan=0)  # PyTorch's sign of a NaN is 0
        return abs(a)

    def backward(self, grad):  # d/da |a| = sign(a), 0 at 0 (as PyTorch: 0 · inf = nan)
        return grad * self.sign

    def tensor_backward(self, grad):  # the signs are a constant: |a|'' = 0, at 0 too
        return grad * _tensor.Tensor(self.sign)


class Tanh(Function):
    saves_inputs, saves_output = False, True

    def forward(self, a):
        self.out = backend.get_array_module(a).tanh(a)
        return self.out

    def backward(self, grad):  # d/da tanh a = 1 - tanh² a
        return grad * (1 - self.out * self.out)

    def tensor_backward(self, grad):
        out = self.output_in_graph()
        return grad * (1 - out * out)


class Sin(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).sin(a)

    def backward(self, grad):  # d/da sin a = cos a
        return grad * backend.get_array_module(self.a).cos(self.a)

    def tensor_backward(self, grad):
        return grad * self.inputs[0].cos()


class Cos(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).cos(a)

    def backward(self, grad):  # d/da cos a = -sin a
        return -grad * backend.get_array_module(self.a).sin(self.a)

    def tensor_backward(self, grad):
        return -grad * self.inputs[0].sin()


class Log1p(Function):
    def forward(self, a):  # ln(1 + a), accurate for tiny a where 1 + a rounds to 1
        self.a = a
        return backend.get_array_module(a).log1p(a)

    def backward(self, grad):  # d/da ln(1 + a) = 1/(1 + a)
        return grad / (1 + self.a)

    def tensor_backward(self, grad):
        return grad / (1 + self.inputs[0])


class Expm1(Function):
    saves_inputs, saves_output = False, True

    def forward(self, a):  # e^a - 1, accurate for tiny a
        self.out = backend.get_array_module(a).expm1(a)
        return self.out

    def backward(self, grad):  # d/da (e^a - 1) = e^a
        return grad * (self.out + 1)

    def tensor_backward(self, grad):
        return grad * (self.output_in_graph() + 1)


class Asin(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).arcsin(a)

    def backward(self, grad):  # d/da asin a = 1/√(1 - a²)
        return grad / backend.get_array_module(grad).sqrt(1 - self.a * self.a)

    def tensor_backward(self, grad):
        a = self.inputs[0]
        return grad / (1 - a * a).sqrt()


class Acos(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).arccos(a)

    def backward(self, grad):  # d/da acos a = -1/√(1 - a²)
        return -grad / backend.get_array_module(grad).sqrt(1 - self.a * self.a)

    def tensor_backward(self, grad):
        a = self.inputs[0]
        return -grad / (1 - a * a).sqrt()


class Atan(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).arctan(a)

    def backward(self, grad):  # d/da atan a = 1/(1 + a²)
        return grad / (1 + self.a * self.a)

    def tensor_backward(self, grad):
        a = self.inputs[0]
        return grad / (1 + a * a)


class Sinh(Function):
    def forward(self, a):  # (e^a - e^-a)/2, computed without the cancellation near 0
        self.a = a
        return backend.get_array_module(a).sinh(a)

    def backward(self, grad):  # d/da sinh a = cosh a
        return grad * backend.get_array_module(self.a).cosh(self.a)

    def tensor_backward(self, grad):
        return grad * self.inputs[0].cosh()


class Cosh(Function):
    def forward(self, a):
        self.a = a
        return backend.get_array_module(a).cosh(a)

    def backward(self, grad):  # d/da cosh a = sinh a
        return grad * backend.get_array_module(self.a).sinh(self.a)

    def tensor_backward(self, grad):
        return grad * self.inputs[0].sinh()


class Erf(Function):
    def forward(self, a):  # erf a = 2/√π ∫₀^a e^(-t²) dt
        self.a = a
        return backend.erf(a)

    def backward(self, grad):  # d/da erf a = 2/√π · e^(-a²)
        e = backend.get_array_module(grad).exp(-self.a * self.a)
        return grad * (2 / math.sqrt(math.pi)) * e

    def tensor_backward(self, grad):
        a = self.inputs[0]
        return grad * (2 / math.sqrt(math.pi)) * (-a * a).exp()


class Sigmoid(Function):
    saves_inputs, saves_output = False, True

    def forward(self, a):  # σ(a) = 1 / (1 + e^-a), as exp(-log(1 + e^-a)): no e^1000
        xp = backend.get_array_module(a)
        self.out = xp.exp(-xp.logaddexp(0, -a)).astype(a.dtype, copy=False)
        return self.out

    def backward(self, grad):  # d/da σ(a) = σ(a)(1 - σ(a))
        return grad * self.out * (1 - self.out)

    def tensor_backward(self, grad):
        out = self.output_in_graph()
        return grad * out * (1 - out)


class ReLU(Function):
    saves_inputs = False  # only a copy of the mask

    def forward(self, a):  # max(a, 0)
        out = backend.get_array_module(a).maximum(a, 0)  # 2x faster than a * (a > 0)
        self.passed = out != 0  # a > 0, or a NaN (PyTorch passes its gradient on)
        return out

    def backward(self, grad):  # 1 where a > 0, else 0 (0 at a = 0, as PyTorch)
        return passed_through(self.passed, grad)

    def tensor_backward(self, grad):  # the mask is a constant: relu'' = 0, at 0 too
        return tensor_passed_through(self.passed, grad)


class Rounding(Function):
    saves_inputs = False

    # floor, ceil, round (half to even, as PyTorch), trunc or sign of a
    def forward(self, a, how):
        self.shape, self.dtype = a.shape, a.dtype
        return getattr(backend.get_array_module(a), how)(a).astype(a.dtype, copy=False)

    def backward(self, grad):  # a step function, flat almost everywhere: 0, as PyTorch
        return backend.get_array_module(grad).zeros(self.shape, self.dtype)

    def tensor_backward(self, grad):
        return _tensor.zeros_like(grad)


class Clamp(Function):
    saves_inputs = False

    def forward(self, a, low, high):  # min(max(a, low), high)
        xp = backend.get_array_module(a)
        self.inside = xp.ones(a.shape, bool)
        if low is not None:
            self.inside &= a >= low
        if high is not None:
            self.inside &= a <= high
        return xp.clip(a, low, high).astype(a.dtype, copy=False)

    def backward(self, grad):  # 1 where a was inside [low, high] (bounds included)
        return passed_through(self.inside, grad)

    def tensor_backward(self, grad):
        return tensor_passed_through(self.inside, grad)


class Cast(Function):
    saves_inputs = False

    def forward(self, a, dtype):  # a converted to another dtype (always a new array)
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.dtype)

    def tensor_backward(self, grad):
        return Cast.apply(grad, dtype=self.dtype)


# ---------------------------------------------------------------- reductions
class Sum(Function):
    saves_inputs = False

    def forward(self, a, axis, keepdim):  # Σ over ``axis`` (all axes when None)
        self.shape, self.axis, self.keepdim = a.shape, axis, keepdim
        return a.sum(axis=axis, keepdims=keepdim)

    def backward(self, grad):  # the gradient, broadcast back to every summed element
        xp = backend.get_array_module(grad)
        if not self.keepdim and self.axis is not None:
            grad = xp.expand_dims(grad, self.axis)
        return xp.broadcast_to(grad, self.shape)

    def tensor_backward(self, grad):
        return grad.reshape(_kept_dims_shape(self.shape, self.axis)).expand(self.shape)


class Max(Function):
    # only where the maxima were (a copy), so writing into the input later is harmless
    saves_inputs = False

    # max along ``axis``, as ``max(dim)``, which also returns the index
    def forward(self, a, axis, keepdim):
        xp = backend.get_array_module(a)
        self.shape, self.axis, self.keepdim = a.shape, axis, keepdim
        self.index = a.argmax(axis=axis)
        out = xp.take_along_axis(a, xp.expand_dims(self.index, axis), axis)
        return out if keepdim else out.squeeze(axis)

    def selected(self):
        """The entry of each slice that gets the gradient: the index max(dim) returned
        (the first maximum, as PyTorch)."""
        xp = backend.get_array_module(self.index)
        positions = xp.arange(self.shape[self.axis]).reshape(
            [-1 if i == self.axis else 1 for i in range(len(self.shape))])
        return positions == xp.expand_dims(self.index, self.axis)

    def backward(self, grad):
        if not self.keepdim:
            grad = backend.get_array_module(grad).expand_dims(grad, self.axis)
        return passed_through(self.selected(), grad)

    def tensor_backward(self, grad):
        grad = grad.reshape(_kept_dims_shape(self.shape, self.axis))
        return tensor_passed_through(self.selected(), grad)


class AMax(Function):
    saves_inputs = False  # only where the maxima were

    def forward(self, a, axis, keepdim):  # the largest entry over ``axis`` (None: all)
        self.axis, self.keepdim = axis, keepdim
        out = a.max(axis=axis, keepdims=True)
        self.winners = a == out
        # squeeze(None) drops every dim: all were reduced
        return out if keepdim else out.squeeze(axis)

    def backward(self, grad):  # a tie shares it evenly: grad / count · winners, as
        xp = backend.get_array_module(grad)  # PyTorch's amax (inf gives the others nan)
        if not self.keepdim and self.axis is not None:
            grad = xp.expand_dims(grad, self.axis)
        return grad * self.winners / self.winners.sum(axis=self.axis, keepdims=True)

    def tensor_backward(self, grad):
        grad = grad.reshape(_kept_dims_shape(self.winners.shape, self.axis))
        count = self.winners.sum(axis=self.axis, keepdims=True)
        return grad * _tensor.Tensor(self.winners) / _tensor.Tensor(count)


class MaxAll(Function):
    saves_inputs = False  # only where the maxima were

    def forward(self, a):  # max() of every entry
        xp = backend.get_array_module(a)
        out = a.max()
        self.winners = (a == out) | (xp.isnan(a) & xp.isnan(out))  # a NaN is the max
        return out

    def backward(self, grad):  # the maxima share it evenly, the others get exactly 0
        return passed_through(self.winners, grad / self.winners.sum(dtype=grad.dtype))

    def tensor_backward(self, grad):
        return tensor_passed_through(self.winners, grad / int(self.winners.sum()))


class Prod(Function):
    def forward(self, a, axis, keepdim):  # Π over ``axis`` (all axes when None)
        self.a, self.axis, self.keepdim = a, axis, keepdim
        return a.prod(axis=axis, keepdims=keepdim)

    def backward(self, grad):  # d/da_i = Π_{j≠i} a_j, the others' product: never ÷ 0
        xp = backend.get_array_module(grad)
        if not self.keepdim and self.axis is not None:
            grad = xp.expand_dims(grad, self.axis)
        zero = self.a == 0
        zeros = zero.sum(axis=self.axis, keepdims=True)  # the zeros in each product
        nonzero = xp.where(zero, 1, self.a)
        nonzero_product = nonzero.prod(axis=self.axis, keepdims=True)
        # no zero: Π / a_i. One zero: the others' product at the zero, 0 elsewhere. Two
        # or more: 0 everywhere
        others = xp.where(zeros == 0, nonzero_product / nonzero,
                          zero * (zeros == 1) * nonzero_product)
        return grad * others

    def tensor_backward(self, grad):
        a = self.inputs[0]
        grad = grad.reshape(_kept_dims_shape(self.a.shape, self.axis))
        zero = self.a == 0
        if not zero.any():  # Π / a_i, whose own gradient is right without zeros
            return grad * (a.prod(self.axis, keepdim=True) / a)
        # a product with a zero: the others' products multiplied out, not backward's 0
        # beside the zero (a value that moves with the zero: its gradient is not 0)
        nonzero = _tensor.where(_tensor.Tensor(zero), 1, a)
        no_zero = zero.sum(axis=self.axis, keepdims=True) == 0
        others = _tensor.where(_tensor.Tensor(no_zero),
                               nonzero.prod(self.axis, keepdim=True) / nonzero,
                               _products_of_the_others(a, self.axis))
        return grad * others


def _products_of_the_others(a, axis):
    """Π_{j≠i} a_j along ``axis`` (over every entry when None) for every i, without a
    division: a_i is 1 in its own copy of the entries, whose product it is."""
    if axis is None:
        return _products_of_the_others(a.reshape(-1), 0).reshape(a.shape)
    n, shape = a.shape[axis], tuple(a.shape)
    copies = a.unsqueeze(axis).expand(shape[:axis] + (n,) + shape[axis:])  # [i, j]: a_j
    diagonal = backend.get_array_module(a.array).eye(n, dtype=bool)
    diagonal = diagonal.reshape((n, n) + (1,) * (a.ndim - axis - 1))
    return _tensor.where(_tensor.Tensor(diagonal), 1, copies).prod(axis + 1)


class CumSum(Function):
    saves_inputs = False

    def forward(self, a, axis):  # out_k = Σ_{i≤k} a_i along ``axis``
        self.axis = axis
        return backend.get_array_module(a).cumsum(a, axis=axis)

    def backward(self, grad):  # a_i is in every out_k with k ≥ i: a cumsum from the end
        xp = backend.get_array_module(grad)
        return xp.flip(xp.cumsum(xp.flip(grad, self.axis), axis=self.axis), self.axis)

    def tensor_backward(self, grad):
        return grad.flip(self.axis).cumsum(self.axis).flip(self.axis)


# ---------------------------------------------------------------- movement
class View(Function):
    """An op whose output may reuse its input's memory (NumPy returns a view when it
    can, a copy when it must). A view shares the input's version counter, as PyTorch's
    views do: an in-place write through either tensor is then seen by the nodes that
    saved the other."""

    saves_inputs = False

    def output(self, inputs, options):
        out = super().output(inputs, options)
        _inplace.note_view(self, inputs[0], out)
        return out


class Reshape(View):
    def forward(self, a, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.shape)

    def tensor_backward(self, grad):
        return grad.reshape(self.shape)


class Permute(View):
    def forward(self, a, dims):
        self.dims = dims
        return a.transpose(dims)

    def backward(self, grad):  # undo the permutation
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return grad.transpose(inverse)

    def tensor_backward(self, grad):
        return grad.permute(*[self.dims.index(i) for i in range(len(self.dims))])


class Expand(View):
    def forward(self, a, shape):  # broadcast to ``shape`` without copying
        self.shape = a.shape
        return backend.get_array_module(a).broadcast_to(a, shape)

    def backward(self, grad):
        return unbroadcast(grad, self.shape)

    def tensor_backward(self, grad):
        return grad.sum_to_size(self.shape)


class Flip(Function):
    saves_inputs = False

    # a reversed along ``axes``: a copy, as PyTorch's flip (NumPy's is a view)
    def forward(self, a, axes):
        self.axes = axes
        return backend.get_array_module(a).flip(a, axes).copy()

    # reversing twice gives back the order: the gradient is reversed too
    def backward(self, grad):
        return backend.get_array_module(grad).flip(grad, self.axes)

    def tensor_backward(self, grad):
        return Flip.apply(grad, axes=self.axes)


class GetItem(View):
    def forward(self, a, index, advanced):  # a[index]
        self.shape, self.index, self.advanced = a.shape, index, advanced
        return _picked(a, index, advanced)

    def backward(self, grad):  # the gradient lands where the elements came from
        return _put_in_zeros(grad, self.shape, self.index, self.advanced)

    def tensor_backward(self, grad):
        return ScatterBack.apply(grad, shape=self.shape, index=self.index,
                                 advanced=self.advanced)


class ScatterBack(Function):
    """GetItem's backward as an op, so that it can be differentiated in turn: the
    gradient put where the elements came from, in zeros of the input's shape. It is
    linear, and its own backward is the GetItem again."""

    saves_inputs = False

    def forward(self, grad, shape, index, advanced):
        self.index, self.advanced = index, advanced
        return _put_in_zeros(grad, shape, index, advanced)

    def backward(self, grad):
        return _picked(grad, self.index, self.advanced)

    def tensor_backward(self, grad):
        return GetItem.apply(grad, index=self.index, advanced=self.advanced)


def _picked(a, index, advanced):
    """``a[index]``, laid out as PyTorch lays it out."""
    # Beside index arrays, NumPy counts an integer as one more of them; PyTorch
    # picks with the integers first: x[0, :, idx] of a (2, 3, 4) x is (2, 3) in
    # NumPy, (3, 2) in PyTorch
    view, rest = in_torch_layout(a, index) if advanced else (a, index)
    out = view[rest]
    if isinstance(out, np.generic):  # NumPy gives one element as a copied scalar;
        out = a[index + (Ellipsis,)]  # "..." gives a 0-d view
    return out


def _put_in_zeros(grad, shape, index, advanced):
    """Zeros of ``shape`` with ``grad`` put at ``index`` (where ``_picked`` took it
    from). An advanced index may repeat: its gradients must add up, not overwrite."""
    full = backend.get_array_module(grad).zeros(shape, grad.dtype)
    if advanced:
        view, rest = in_torch_layout(full, index)  # a view of full
        backend.scatter_add(view, rest, grad)
    else:
        full[index] = grad
    return full


def in_torch_layout(array, index):
    """``(view, rest)`` with ``view[rest]`` the elements ``array[index]`` selects, laid
    out as PyTorch lays them out: the integers applied first (``view`` is a view of
    ``array``, so ``view[rest] = value`` writes into it), then the index arrays."""
    picked, rest = _integers_first(index)
    return (array, rest) if picked is None else (array[picked], rest)


def _integers_first(index):
    """An index with index arrays split into PyTorch's two steps: the integers (and 0-d
    index arrays), with slices for the other axes, then what indexes the axes left.
    (None, index) when it has no integers: one step does."""
    if len(index) < 2 or not any([_is_integer(item) for item in index]):
        return None, index  # (one item alone is laid out alike by NumPy and PyTorch)
    picked, rest = [], []
    for item in index:
        if item is Ellipsis:
            picked.append(item)
            rest.append(item)
        elif _is_integer(item):
            picked.append(int(item))
        elif item is None or type(item) is bool:  # a new axis: nothing to pick
            rest.append(item)
        else:  # a slice, an index array, or a mask spanning as many axes as it has
            span = item.ndim if getattr(item, "dtype", np.dtype(int)).kind == "b" else 1
            picked += [slice(None)] * span
            rest.append(item)
    if Ellipsis not in picked:  # picking every axis then gives a 0-d view, no scalar
        picked.append(Ellipsis)
    return tuple(picked), tuple(rest)


def _is_integer(item):
    """A Python or NumPy integer (not a bool), or a 0-d integer index array."""
    if isinstance(item, (int, np.integer)):
        return type(item) is not bool
    return getattr(item, "ndim", None) == 0 and item.dtype.kind in "iu"


class Cat(Function):
    saves_inputs = False

    def forward(self, *arrays, axis):
        self.axis = axis
        self.bounds = [0]
        for a in arrays:
            self.bounds.append(self.bounds[-1] + a.shape[axis])
        return backend.get_array_module(arrays[0]).concatenate(arrays, axis=axis)

    def backward(self, grad):  # each input gets back its own slice
        slices = [slice(None)] * grad.ndim
        pieces = []
        for start, stop in zip(self.bounds, self.bounds[1:]):
            slices[self.axis] = slice(start, stop)
            pieces.append(grad[tuple(slices)])
        return tuple(pieces)

    def tensor_backward(self, grad):
        sizes = [stop - start for start, stop in zip(self.bounds, self.bounds[1:])]
        return grad.split(sizes, self.axis)


# ------------------------------------------------------- matrix product and softmax
class MatMul(Function):
    read_inputs = read_for_the_others_gradient

    def forward(self, a, b):  # a @ b, with NumPy's rules for 1-D and batched operands
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):  # d/da = grad @ bᵀ, d/db = aᵀ @ grad
        a, b = self.a, self.b
        if a.ndim == 1 and b.ndim == 1:  # dot product
            return grad * b, grad * a
        # plain matrices (every Linear layer): nothing to reshape or sum, and the input
        # data needs no gradient: skip its product
        if a.ndim == 2 and b.ndim == 2:
            needs_a, needs_b = self.needs_input_grad
            return (grad @ b.T if needs_a else None), (a.T @ grad if needs_b else None)
        xp = backend.get_array_module(grad)
        a2 = a[None, :] if a.ndim == 1 else a  # a vector is a 1×k matrix on the left...
        b2 = b[:, None] if b.ndim == 1 else b  # ...and a k×1 matrix on the right
        if a.ndim == 1:
            grad = xp.expand_dims(grad, -2)
        if b.ndim == 1:
            grad = xp.expand_dims(grad, -1)
        # batch dims were broadcast: sum them
        grad_a = unbroadcast(grad @ xp.swapaxes(b2, -1, -2), a2.shape)
        grad_b = unbroadcast(xp.swapaxes(a2, -1, -2) @ grad, b2.shape)
        return grad_a.reshape(a.shape), grad_b.reshape(b.shape)

    def tensor_backward(self, grad):
        a, b = self.inputs
        if a.ndim == 1 and b.ndim == 1:
            return grad * b, grad * a
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        if a.ndim == 1:
            grad = grad.unsqueeze(-2)
        if b.ndim == 1:
            grad = grad.unsqueeze(-1)
        grad_a = (grad @ b2.mT).sum_to_size(a2.shape).reshape(a.shape)
        grad_b = (a2.mT @ grad).sum_to_size(b2.shape).reshape(b.shape)
        return grad_a, grad_b


class Einsum(Function):
    # explicit subscripts, e.g. ("ij", "jk") and output "ik"
    def forward(self, *arrays, subscripts, output):
        self.arrays, self.subscripts, self.output = arrays, subscripts, output
        return _einsum(subscripts, output, arrays)

    def backward(self, grad):  # operand k's gradient: an einsum of grad and the others
        return tuple(_einsum(*self.gradient_of(k, grad, self.arrays))
                     if needed else None
                     for k, needed in enumerate(self.needs_input_grad))

    def tensor_backward(self, grad):
        return tuple(_recorded_einsum(*self.gradient_of(k, grad, self.inputs))
                     if needed else None
                     for k, needed in enumerate(self.needs_input_grad))

    def gradient_of(self, k, grad, operands):
        """The einsum that gives operand k's gradient, ``(subscripts, output,
        operands)``: grad, the other operands (arrays, or tensors in the graph), and
        the constants it needs (of the same kind)."""
        xp, dtype = backend.get_array_module(self.arrays[0]), self.arrays[0].dtype
        constant = _tensor.Tensor if isinstance(grad, _tensor.Tensor) else xp.asarray
        terms = [(s, x) for j, (s, x) in enumerate(zip(self.subscripts, operands))
                 if j != k]
        terms.append((self.output, grad))
        elsewhere = "".join(s for s, _ in terms)
        fresh = iter(sorted(set(string.ascii_letters) - set(elsewhere)
                            - set(self.subscripts[k])))
        target = ""
        for letter, size in zip(self.subscripts[k], self.arrays[k].shape):
            if letter in target:  # "ii": a diagonal. A fresh letter, tied to the first
                tied = next(fresh)  # by an identity matrix
                terms.append((letter + tied, constant(xp.eye(size, dtype=dtype))))
                letter = tied
            elif letter not in elsewhere:  # "ij->i": j summed in this operand only,
                # the gradient is flat along it
                terms.append((letter, constant(xp.ones(size, dtype))))
            target += letter
        subscripts, operands = zip(*terms)
        return subscripts, target, operands


def _einsum(subscripts, output, arrays):
    return backend.get_array_module(arrays[0]).einsum(
        ",".join(subscripts) + "->" + output, *arrays)


def _recorded_einsum(subscripts, output, tensors):
    return Einsum.apply(*tensors, subscripts=subscripts, output=output)


class Softmax(Function):
    saves_inputs, saves_output = False, True

    def forward(self, a, axis):  # e^a / Σ e^a, shifted by max(a): e^1000 never happens
        xp = backend.get_array_module(a)
        e = xp.exp(a - a.max(axis=axis, keepdims=True))
        self.out, self.axis = e / e.sum(axis=axis, keepdims=True), axis
        return self.out

    def backward(self, grad):  # y ⊙ (g - Σ g⊙y)
        y = self.out
        return y * (grad - (grad * y).sum(axis=self.axis, keepdims=True))

    def tensor_backward(self, grad):
        y = self.output_in_graph()
        return y * (grad - (grad * y).sum(self.axis, keepdim=True))


class LogSoftmax(Function):
    saves_inputs, saves_output = False, True

    def forward(self, a, axis):  # a - log Σ e^a, the log-sum-exp taken of a - max(a)
        xp = backend.get_array_module(a)
        shifted = a - a.max(axis=axis, keepdims=True)
        self.out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.axis = axis
        return self.out

    def backward(self, grad):  # g - softmax(a) · Σ g
        xp = backend.get_array_module(grad)
        return grad - xp.exp(self.out) * grad.sum(axis=self.axis, keepdims=True)

    def tensor_backward(self, grad):
        softmax = self.output_in_graph().exp()
        return grad - softmax * grad.sum(self.axis, keepdim=True)


class LogSumExp(Function):
    saves_output = True

    def forward(self, a, axis, keepdim):  # log Σ e^a = m + log Σ e^(a - m), m = max(a)
        xp = backend.get_array_module(a)
        self.a, self.axis, self.keepdim = a, axis, keepdim
        shift = a.max(axis=axis, keepdims=True)
        shift = xp.where(xp.isinf(shift), 0, shift)  # all -inf, or a +inf: inf - inf
        with np.errstate(divide="ignore"):  # log 0 = -inf for all -inf, as PyTorch
            self.out = xp.log(xp.exp(a - shift).sum(axis=axis, keepdims=True)) + shift
        return self.out if keepdim else self.out.squeeze(axis)

    def backward(self, grad):  # d/da_i = e^(a_i - logsumexp a) = softmax(a)_i
        xp = backend.get_array_module(grad)
        if not self.keepdim and self.axis is not None:
            grad = xp.expand_dims(grad, self.axis)
        return grad * xp.exp(self.a - self.out)

    def tensor_backward(self, grad):
        a = self.inputs[0]
        grad = grad.reshape(_kept_dims_shape(a.shape, self.axis))
        return grad * (a - LogSumExp.apply(a, axis=self.axis, keepdim=True)).exp()


from . import inplace as _inplace  # noqa: E402  (last: inplace.py imports this module)
from . import tensor as _tensor  # noqa: E402  (tensor.py imports this module)
