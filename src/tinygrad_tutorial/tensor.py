"""The Tensor: an n-dimensional array (NumPy on the CPU, CuPy on a GPU) that can
remember how it was computed.

A tensor holds its values in ``.array``. When it was produced by an op on tensors
that require gradients, ``.grad_fn`` is that op's node in the graph (see
``autograd.py``); ``backward()`` walks those nodes and fills ``.grad``.
"""
import math
import numbers

import numpy as np

from . import autograd, backend, hooks, inplace, ops
from . import dtypes as dt
from .printing import format_tensor


# the version counter of a tensor that has no shared one yet (read-only: version 0)
NEVER_WRITTEN = (0,)


class Size(tuple):
    """A tensor's shape: a tuple that prints like PyTorch's ``torch.Size``."""

    def __repr__(self):
        return f"tinygrad_tutorial.Size({list(self)})"

    def numel(self):
        return int(np.prod(self, dtype=np.int64))


class Tensor:
    # _view_of: the node whose output this tensor is, when that is a view of another
    # tensor (set by Function.apply; else unset): writing through it changes both
    # _grad_accumulator: a leaf's AccumulateGrad node, once needed (autograd.node_of)
    __slots__ = ("array", "_requires_grad", "_grad", "grad_fn", "_version_counter",
                 "_view_of", "_grad_accumulator", "__weakref__")
    __array_priority__ = 1000  # so ``ndarray * tensor`` calls Tensor.__rmul__

    def __init__(self, array=(), *sizes, requires_grad=False):
        if type(array) is not np.ndarray:
            # NumPy reductions return scalars, not 0-d arrays
            if isinstance(array, np.generic):
                array = np.asarray(array)
            elif not backend.is_gpu_array(array):
                array = _constructor_array(array, sizes)  # Tensor(2, 3), Tensor([1, 2])
        self.array = array
        self._grad = None
        self.grad_fn = None
        self._requires_grad = False
        self._version_counter = NEVER_WRITTEN  # see shared_version_counter
        if requires_grad:
            self.requires_grad = True

    # ------------------------------------------------------------ what it is
    @property
    def shape(self):
        return Size(self.array.shape)

    def size(self, dim=None):
        return self.shape if dim is None else self.array.shape[dim]

    @property
    def ndim(self):
        return self.array.ndim

    def dim(self):
        return self.array.ndim

    def numel(self):
        return int(self.array.size)

    ndimension, nelement = dim, numel  # the older spellings, which PyTorch keeps

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    @property
    def dtype(self):
        return dt.from_numpy_dtype(self.array.dtype)

    @property
    def device(self):
        return backend.device_of(self.array)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def is_floating_point(self):
        return self.dtype.is_floating_point

    # ------------------------------------------------------------ autograd
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value and self.array.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require "
                               f"gradients, got {self.dtype}")
        if not value and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables; use "
                "detach() to get a tensor outside the graph")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        """Refuse a gradient that cannot be this tensor's (PyTorch's checks, in its
        order): an optimizer step would fail on it half-way, or broadcast it."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got "
                                f"grad of type {_type_name(value)}")
            if value.array.dtype != self.array.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype}' to "
                    f"a tensor with dtype '{self.dtype}'. Please ensure that the "
                    "gradient and the tensor have the same dtype")
            if not backend.same_device(value.array, self.array):
                raise RuntimeError(
                    "attempting to assign a gradient located on device "
                    f"'{value.device}' to a tensor located on device '{self.device}'. "
                    "Please ensure that the gradient and the tensor are on the same "
                    "device")
            if value.array.shape != self.array.shape:
                raise RuntimeError(
                    "attempting to assign a gradient of size "
                    f"'{list(value.shape)}' to a tensor of size '{list(self.shape)}'. "
                    "Please ensure that the gradient and the tensor are the same size")
        self._grad = value

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def backward(self, gradient=None, retain_graph=None, create_graph=False,
                 inputs=None):
        """Fill ``.grad`` of every leaf this tensor depends on (only of ``inputs``, if
        given) with d(self)/d(leaf)."""
        autograd.backward(self, gradient, retain_graph, create_graph, inputs)

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor too after ``backward()``."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has "
                               "requires_grad=False")
        if self.grad_fn is not None:
            hooks.retain_grad(self)

    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient during ``backward()``, once
        it is complete; a tensor the hook returns replaces the gradient.
        ``handle.remove()`` on the returned handle unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't "
                               "require gradient")
        return hooks.register_hook(self, hook)

    @property
    def _version(self):
        """How many times this tensor's memory was written in place (PyTorch's
        ``x._version``).

        Backward compares it with the version a node saw in forward
        (``Function.check_saved_versions``).
        """
        return self._version_counter[0]

    def shared_version_counter(self):
        """The one-element list counting in-place writes to this memory, shared by
        every alias of it.

        It is made on first need: most tensors are never written in place nor aliased,
        and a list per tensor would cost a few percent of a small training step (in the
        garbage collector). Until then ``_version_counter`` is ``NEVER_WRITTEN``, which
        reads as version 0 like the list would.
        """
        if self._version_counter is NEVER_WRITTEN:
            self._version_counter = [0]
        return self._version_counter

    def _bump_version(self):
        """Record an in-place write: every tensor sharing this memory sees the new
        version."""
        self.shared_version_counter()[0] += 1

    def detach(self):
        """The same values, cut out of the graph (shares memory and version counter, as
        in PyTorch).

        ``.data`` differs in one thing, as in PyTorch: a version counter of its own.
        """
        alias = Tensor(self.array)
        alias._version_counter = self.shared_version_counter()
        return alias

    @property
    def data(self):
        """The same memory, cut out of the graph as by ``detach()``, but with a
        version counter of its own, as PyTorch's ``.data``: the tensor sees writes
        through it, yet they are not counted, so a backward that saved the old values
        cannot notice (which is why ``detach()`` is the safer spelling)."""
        return Tensor(self.array)

    @data.setter
    def data(self, value):
        self.array = value.array if isinstance(value, Tensor) else value

    # ------------------------------------------------------------ conversion
    def item(self):
        if self.array.size != 1:
            raise RuntimeError(f"a Tensor with {self.array.size} elements cannot be "
                               "converted to Scalar")
        # a Python number cannot be traced: jit warns that it is frozen
        if autograd._tracer is not None:
            autograd._tracer.python_value(self)
        return self.array.item()

    def tolist(self):
        return self.array.tolist()

    def numpy(self):
        if self.device.type != "cpu":
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. "
                            "Use Tensor.cpu() to copy the tensor to host memory first.")
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self.array

    def __array__(self, dtype=None, copy=None):
        # lets NumPy and matplotlib read CPU tensors
        array = self.detach().numpy()
        return array if dtype is None else array.astype(dtype)

    def to(self, *args, dtype=None, device=None):
        """``to(device)``, ``to(dtype)``, ``to(other_tensor)`` or keywords; a no-op
        when nothing changes."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype, device = arg.dtype, arg.device
            elif isinstance(arg, (str, backend.device)):
                device = arg
            else:
                dtype = arg
        out = self
        if dtype is not None and dt.to_dtype(dtype) != self.dtype:
            out = ops.Cast.apply(out, dtype=dt.to_dtype(dtype).numpy)
        if device is not None:
            device = backend.device(device)
            if device != out.device:
                # raises with the reason when cuda is unavailable
                backend.array_module(device)
                out = ToDevice.apply(out, device=device)
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None
                       else backend.device(device if isinstance(device, str)
                                           else f"cuda:{device}"))

    def type_as(self, other):
        return self.to(other.dtype)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """``type(dtype)`` converts, as ``to(dtype)``; ``type()`` names the tensor's
        type as PyTorch does (``"torch.FloatTensor"``: the legacy names tutorials still
        print). ``dtype`` may be such a name or class too (``torch.LongTensor``,
        legacy.py)."""
        if dtype is None:
            where = "cuda." if self.device.type == "cuda" else ""
            return f"torch.{where}{_LEGACY_TYPE_NAMES[self.dtype]}"
        from .legacy import dtype_and_device

        dtype, device = dtype_and_device(dtype)
        return self.to(dtype=dtype, device=device)

    def float(self):
        return self.to(dt.float32)

    def double(self):
        return self.to(dt.float64)

    def half(self):
        return self.to(dt.float16)

    def long(self):
        return self.to(dt.int64)

    def int(self):
        return self.to(dt.int32)

    def bool(self):
        return self.to(dt.bool_)

    def clone(self):
        return ops.Cast.apply(self, dtype=self.array.dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.array.dtype.kind not in "iu":
            raise TypeError("only integer tensors of a single element can be converted "
                            "to an index")
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.array.size} values "
                               "is ambiguous")
        return bool(self.item())

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    __hash__ = object.__hash__  # identity, like torch (== is elementwise)

    def __repr__(self):
        return format_tensor(self)

    def __format__(self, format_spec):
        """A 0-d tensor formats as its number, as in PyTorch: ``f"Label: {label}"``
        prints ``Label: 5`` and ``f"{loss:.4f}"`` works. (A Parameter, like any other
        tensor, formats as its repr.)"""
        if self.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    # ------------------------------------ arithmetic (broadcasting, dtype promotion)
    def __add__(self, other):
        return _binary(ops.Add, self, other)

    def __radd__(self, other):
        return _binary(ops.Add, other, self)

    def __sub__(self, other):
        return _binary(ops.Sub, self, other)

    def __rsub__(self, other):
        return _binary(ops.Sub, other, self)

    def __mul__(self, other):
        return _binary(ops.Mul, self, other)

    def __rmul__(self, other):
        return _binary(ops.Mul, other, self)

    def __truediv__(self, other):
        return _binary(ops.Div, self, other, true_division=True)

    def __rtruediv__(self, other):
        return _binary(ops.Div, other, self, true_division=True)

    def __pow__(self, exponent):
        if isinstance(exponent, np.generic):
            # a Python number: NumPy 2 would turn float32 ** np.float64 into float64
            exponent = exponent.item()
        if isinstance(exponent, numbers.Number) and not isinstance(exponent, bool):
            if (isinstance(exponent, numbers.Integral) and exponent < 0
                    and not self.is_floating_point()):  # NumPy raises a ValueError
                raise RuntimeError("Integers to negative integer powers are not "
                                   "allowed.")
            # int ** 0.5 is float32, bool ** 2 int64, as torch
            base = self.to(dt.result_type(self, exponent))
            return ops.PowScalar.apply(base, exponent=exponent)
        return _binary(ops.Pow, self, exponent)

    def __rpow__(self, base):
        return _binary(ops.Pow, base, self)

    def __matmul__(self, other):
        if isinstance(other, np.ndarray):  # PyTorch: t @ ndarray works, t.matmul not
            other = _as_tensor(other, self)
            common = dt.result_type(self, other)
            return matmul(self.to(common), other.to(common))
        return matmul(self, other)

    def matmul(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __neg__(self):
        return ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def add(self, other, alpha=1):
        """self + alpha·other (``alpha`` as in PyTorch; the operator ``+`` is the hot
        path, this is not)."""
        return self + other * alpha if alpha != 1 else self + other

    def sub(self, other, alpha=1):
        return self - other * alpha if alpha != 1 else self - other

    def __floordiv__(self, other):
        # floor(a / b): piecewise constant, so cut from the graph
        return _rounded_division(self, other, "floor_divide")

    def __rfloordiv__(self, other):
        return _rounded_division(_as_tensor(other, self), self, "floor_divide")

    def __mod__(self, other):
        # a - floor(a / b)·b: the remainder has b's sign, as Python's and PyTorch's
        return self - (self // other) * other

    def __rmod__(self, other):
        other = _as_tensor(other, self)
        return other - (other // self) * self

    mul = __mul__
    div = __truediv__
    pow = __pow__
    neg = __neg__

    def mm(self, mat2):
        """Matrix product of two 2-D tensors (``matmul`` broadcasts, ``mm`` not)."""
        _check_dims("mm", 2, self, mat2)
        return matmul(self, mat2)

    def bmm(self, mat2):
        """Batched matrix product of two 3-D tensors."""
        _check_dims("bmm", 3, self, mat2)
        if self.shape[0] != mat2.shape[0]:
            raise RuntimeError(f"bmm: batch sizes differ: {tuple(self.shape)} and "
                               f"{tuple(mat2.shape)}")
        return matmul(self, mat2)

    def mv(self, vec):
        """Matrix times vector."""
        _check_dims("mv", 2, self)
        _check_dims("mv", 1, vec)
        return matmul(self, vec)

    def dot(self, other):
        """Inner product of two 1-D tensors of the same length."""
        _check_dims("dot", 1, self, other)
        if self.shape != other.shape:
            raise RuntimeError(f"inconsistent tensor size, expected tensor "
                               f"[{self.shape[0]}] and src [{other.shape[0]}] to have "
                               "the same number of elements, but got different sizes")
        return matmul(self, other)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta·self + alpha·(mat1 @ mat2): a layer's bias and product in one call."""
        return _scaled_sum(self, Tensor.mm(mat1, mat2), beta, alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        """beta·self + alpha·(mat @ vec)."""
        return _scaled_sum(self, Tensor.mv(mat, vec), beta, alpha)

    # comparisons give bool tensors, which carry no gradient
    def __eq__(self, other):
        return _compare("equal", self, other)

    def __ne__(self, other):
        return _compare("not_equal", self, other)

    def __lt__(self, other):
        return _compare("less", self, other)

    def __le__(self, other):
        return _compare("less_equal", self, other)

    def __gt__(self, other):
        return _compare("greater", self, other)

    def __ge__(self, other):
        return _compare("greater_equal", self, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    # & | ^ ~: bitwise on integers, logical on bools (bool & bool is bool), as PyTorch
    def bitwise_and(self, other):
        return _bitwise("bitwise_and", self, other)

    def bitwise_or(self, other):
        return _bitwise("bitwise_or", self, other)

    def bitwise_xor(self, other):
        return _bitwise("bitwise_xor", self, other)

    def bitwise_not(self):
        return _bitwise("invert", self)

    __and__, __or__, __xor__, __invert__ = (bitwise_and, bitwise_or, bitwise_xor,
                                            bitwise_not)

    def __rand__(self, other):
        return _bitwise("bitwise_and", _as_tensor(other, self), self)

    def __ror__(self, other):
        return _bitwise("bitwise_or", _as_tensor(other, self), self)

    def __rxor__(self, other):
        return _bitwise("bitwise_xor", _as_tensor(other, self), self)

    # logical_*: any dtype, nonzero counts as True, the result is bool
    def logical_and(self, other):
        return _compare("logical_and", self, other)

    def logical_or(self, other):
        return _compare("logical_or", self, other)

    def logical_xor(self, other):
        return _compare("logical_xor", self, other)

    def logical_not(self):
        return Tensor(backend.get_array_module(self.array).logical_not(self.array))

    def equal(self, other):
        return self.shape == other.shape and bool((self == other).all())

    def allclose(self, other, rtol=1e-5, atol=1e-8):
        xp = backend.get_array_module(self.array)
        other = _as_tensor(other, self)
        return bool(xp.allclose(self.array, other.array, rtol=rtol, atol=atol))

    def all(self, dim=None, keepdim=False):
        """True where every element (along ``dim``, or of the whole tensor) is
        nonzero: a bool tensor."""
        # all(dim=()) reduces over no dim (sum(dim=()) over every dim), as PyTorch
        axis = () if dim == () or dim == [] else _dims(dim, self.ndim)
        return Tensor(self.array.all(axis=axis, keepdims=keepdim))

    def any(self, dim=None, keepdim=False):
        """True where some element (along ``dim``, or of the whole tensor) is nonzero:
        a bool tensor."""
        axis = () if dim == () or dim == [] else _dims(dim, self.ndim)
        return Tensor(self.array.any(axis=axis, keepdims=keepdim))

    def count_nonzero(self, dim=None):
        counts = (self.array != 0).sum(axis=_dims(dim, self.ndim))
        return Tensor(counts.astype(np.int64))

    def nonzero(self, as_tuple=False):
        """The positions of the nonzero elements: one row (i, j, ...) each, or one
        index tensor per dimension."""
        xp = backend.get_array_module(self.array)
        positions = [p.astype(np.int64)  # atleast_1d: NumPy refuses 0-d
                     for p in xp.nonzero(xp.atleast_1d(self.array))]
        if as_tuple:
            return tuple(Tensor(p) for p in positions)
        rows = (xp.stack(positions, axis=1) if self.ndim
                else xp.zeros((len(positions[0]), 0), np.int64))
        return Tensor(rows)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values, always sorted; ``return_inverse``: where each element's
        value is in them; ``return_counts``: how often each occurs. A selection of
        values, with no gradient (as PyTorch)."""
        if dim is not None:
            raise NotImplementedError("unique(dim=...) is not implemented; only "
                                      "unique over all elements")
        xp = backend.get_array_module(self.array)
        values, inverse, counts = xp.unique(self.array, return_inverse=True,
                                            return_counts=True)
        out = [Tensor(values)]
        if return_inverse:
            out.append(Tensor(inverse.reshape(self.shape).astype(np.int64)))
        if return_counts:
            out.append(Tensor(counts.astype(np.int64)))
        return tuple(out) if len(out) > 1 else out[0]

    # ------------------------------------------------------------ elementwise functions
    def exp(self):
        return ops.Exp.apply(_floating(self))

    def log(self):
        return ops.Log.apply(_floating(self))

    def sqrt(self):
        return ops.Sqrt.apply(_floating(self))

    def abs(self):
        return ops.Abs.apply(self)

    def tanh(self):
        return ops.Tanh.apply(_floating(self))

    def sin(self):
        return ops.Sin.apply(_floating(self))

    def cos(self):
        return ops.Cos.apply(_floating(self))

    def sigmoid(self):
        return ops.Sigmoid.apply(_floating(self))

    def erf(self):
        return ops.Erf.apply(_floating(self))

    def asin(self):
        return ops.Asin.apply(_floating(self))

    def acos(self):
        return ops.Acos.apply(_floating(self))

    def atan(self):
        return ops.Atan.apply(_floating(self))

    def sinh(self):
        return ops.Sinh.apply(_floating(self))

    def cosh(self):
        return ops.Cosh.apply(_floating(self))

    def log1p(self):
        return ops.Log1p.apply(_floating(self))

    def expm1(self):
        return ops.Expm1.apply(_floating(self))

    def log2(self):  # log₂ a = ln a / ln 2
        return self.log() / math.log(2)

    def log10(self):
        return self.log() / math.log(10)

    arcsin, arccos, arctan = asin, acos, atan

    def atan2(self, other):
        """The angle of the point (other, self) in (-π, π]: atan(self / other) in the
        right quadrant."""
        return _binary(ops.Atan2, *_floating_pair(self, other))

    arctan2 = atan2

    def hypot(self, other):
        """√(self² + other²), without overflow in the squares."""
        if not self.is_floating_point():
            raise RuntimeError("hypot: expected floating point tensors, got "
                               f"{self.dtype}")
        return _binary(ops.Hypot, self, other)

    def relu(self):
        return ops.ReLU.apply(self)

    def floor(self):
        return (ops.Rounding.apply(self, how="floor") if self.is_floating_point()
                else self.clone())

    def ceil(self):
        return (ops.Rounding.apply(self, how="ceil") if self.is_floating_point()
                else self.clone())

    def trunc(self):
        return (ops.Rounding.apply(self, how="trunc") if self.is_floating_point()
                else self.clone())

    def round(self, decimals=0):
        """To the nearest integer, halves to the even one (``decimals``: to that many
        decimal places)."""
        if not self.is_floating_point():
            return self.clone()
        if decimals:
            scale = 10.0 ** decimals
            return ops.Rounding.apply(self * scale, how="round") / scale
        return ops.Rounding.apply(self, how="round")

    def sign(self):
        return ops.Rounding.apply(self, how="sign")

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        # bounds per element, with their own gradients
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            return _clamp_by_tensors(self, min, max)
        bounds = [bound for bound in (min, max) if bound is not None]
        x = self.to(dt.result_type(self, *bounds))  # int.clamp(0.5)
        return ops.Clamp.apply(x, low=min, high=max)

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def maximum(self, other):
        return _binary(ops.Maximum, self, other)

    def minimum(self, other):  # min(a, b) = -max(-a, -b)
        return -_binary(ops.Maximum, -self, -_as_tensor(other, self))

    def masked_fill(self, mask, value):
        return where(mask, _as_tensor(value, self).to(self.dtype), self)

    def square(self):
        return self * self

    def reciprocal(self):
        return 1 / self

    def rsqrt(self):
        return 1 / self.sqrt()

    def tril(self, diagonal=0):
        """The lower triangle (entries on or below the ``diagonal``-th diagonal) of the
        last two dimensions."""
        return self._triangle(diagonal, lower=True)

    def triu(self, diagonal=0):
        """The upper triangle; ``triu(full((n, n), -inf), diagonal=1)`` is the causal
        mask of attention."""
        return self._triangle(diagonal, lower=False)

    def _triangle(self, diagonal, lower):
        if self.ndim < 2:
            name = "tril" if lower else "triu"
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        rows, cols = self.shape[-2:]
        xp = backend.get_array_module(self.array)
        below = xp.tri(rows, cols, diagonal if lower else diagonal - 1, bool)
        # of the input's dtype: a bool mask stays bool
        zero = Tensor(xp.zeros((), self.array.dtype))
        return where(Tensor(below if lower else ~below), self, zero)

    # ------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        x = _accumulator(self, dtype)
        return ops.Sum.apply(x, axis=_dims(dim, x.ndim), keepdim=keepdim)

    def sum_to_size(self, *size):
        """Summed down to ``size``, which the tensor's shape broadcasts from: the sum
        over every dimension broadcasting added or stretched (the backward of
        broadcasting, in tensor ops)."""
        shape = (tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int)
                 else size)
        extra = self.ndim - len(shape)
        if extra < 0 or any(n != 1 and n != m
                            for n, m in zip(shape, self.shape[extra:])):
            raise RuntimeError(f"size {list(shape)} is not expandable to size "
                               f"{list(self.shape)}")
        out = self.sum(dim=tuple(range(extra))) if extra else self
        stretched = tuple(i for i, n in enumerate(shape)
                          if n == 1 and out.shape[i] != 1)
        return out.sum(dim=stretched, keepdim=True) if stretched else out

    def prod(self, dim=None, keepdim=False, dtype=None):
        # sum takes several dims, prod one (as PyTorch)
        if dim is not None and not isinstance(dim, int):
            raise TypeError("prod(): argument 'dim' must be int, not "
                            f"{type(dim).__name__}")
        x = _accumulator(self, dtype)
        return ops.Prod.apply(x, axis=_dims(dim, x.ndim), keepdim=keepdim)

    def cumsum(self, dim, dtype=None):
        """Running sums along ``dim``: out[k] = x[0] + ... + x[k]."""
        x = _accumulator(self, dtype)
        if x.ndim == 0:
            return ops.CumSum.apply(x.reshape(1), axis=0).reshape(())
        return ops.CumSum.apply(x, axis=_dim(dim, x.ndim))

    def cumprod(self, dim, dtype=None):
        """Running products along ``dim``, each the previous one times the next entry:
        made of products only, so the gradient is exact with zeros too (dividing the
        output by x would not be)."""
        x = _accumulator(self, dtype)
        if x.ndim == 0:
            return x.reshape(1).cumprod(0).reshape(())
        axis = _dim(dim, x.ndim)
        if x.shape[axis] == 0:
            return x.clone()
        entries = x.unbind(axis)
        products = [entries[0]]
        for entry in entries[1:]:
            products.append(products[-1] * entry)
        return stack(products, axis)

    def unbind(self, dim=0):
        """The slices along ``dim``, that dimension removed."""
        axis = _dim(dim, self.ndim)
        return tuple(self[(slice(None),) * axis + (i,)]
                     for i in range(self.shape[axis]))

    def amax(self, dim=(), keepdim=False):
        """The largest entry over ``dim`` (every dim when empty); tied maxima share the
        gradient."""
        axis = _dims(dim, self.ndim)
        _check_reducible(self, "amax", None if axis is None else dim)
        return ops.AMax.apply(self, axis=axis, keepdim=keepdim)

    def amin(self, dim=(), keepdim=False):
        _check_reducible(self, "amin", None if _dims(dim, self.ndim) is None else dim)
        return -(-self).amax(dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """``torch.norm``: "fro" (the default: the 2-norm of all elements of ``dim``)
        and numbers p give vector norms over ``dim`` (every element when None); "nuc"
        is a matrix norm."""
        from . import linalg  # linalg builds on Tensor

        x = self if dtype is None else self.to(dtype)
        if p == "nuc":
            dims = (-2, -1) if dim is None else dim
            return linalg.matrix_norm(x, "nuc", dims, keepdim)
        return linalg.vector_norm(x, 2 if p == "fro" else p, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        if not self.is_floating_point():
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must "
                               f"be floating point, got {self.dtype}")
        axes = _dims(dim, self.ndim)
        count = (self.numel() if axes is None
                 else int(np.prod([self.shape[a] for a in np.atleast_1d(axes)])))
        return self.sum(dim, keepdim) / count

    def var(self, dim=None, keepdim=False, correction=1, unbiased=None):
        if unbiased is not None:
            correction = int(unbiased)
        axes = _dims(dim, self.ndim)
        count = (self.numel() if axes is None
                 else int(np.prod([self.shape[a] for a in np.atleast_1d(axes)])))
        centered = self - self.mean(dim, keepdim=True)
        return (centered * centered).sum(dim, keepdim) / max(count - correction, 0)

    def std(self, dim=None, keepdim=False, correction=1, unbiased=None):
        from .linalg import _power_flat_at_zero  # linalg builds on Tensor

        # √var; gradient 0 where all entries are equal (as PyTorch), not ∞·0 = nan
        return _power_flat_at_zero(self.var(dim, keepdim, correction, unbiased), 0.5)

    def max(self, dim=None, keepdim=False):
        """``max()`` of everything; ``max(dim)`` gives ``(values, indices)``;
        ``max(other)`` is elementwise."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        _check_reducible(self, "max", dim)
        if dim is None:
            return ops.MaxAll.apply(self)
        axis = _dims(dim, self.ndim)
        if axis is None:  # a 0-d tensor
            values = ops.MaxAll.apply(self)
        else:
            values = ops.Max.apply(self, axis=axis, keepdim=keepdim)
        return ValuesIndices(values, self.argmax(dim, keepdim), "max")

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        _check_reducible(self, "min", dim)
        if dim is None:
            return -(-self).max()
        values = -((-self).max(dim, keepdim).values)
        return ValuesIndices(values, self.argmin(dim, keepdim), "min")

    def argmax(self, dim=None, keepdim=False):
        _check_reducible(self, "argmax", dim)
        return _arg_reduce(self.array.argmax, self, dim, keepdim)

    def argsort(self, dim=-1, descending=False, stable=False):
        """The indices that sort ``dim`` (ties keep their order: a stable sort,
        whatever ``stable`` says)."""
        key = self.array
        # sorting an order-reversing image ascending keeps ties in order (~ for ints and
        # bools)
        if descending:
            key = -key if key.dtype.kind == "f" else ~key
        axis = _dim(dim, self.ndim) if self.ndim else None
        order = backend.get_array_module(key).argsort(key, axis=axis, kind="stable")
        return Tensor(order.astype(np.int64).reshape(self.shape))

    def sort(self, dim=-1, descending=False, stable=False):
        """``(values, indices)`` along ``dim``; the values are gathered, so gradients
        flow back to their places."""
        indices = self.argsort(dim, descending, stable)
        values = self.gather(dim, indices) if self.ndim else self
        return ValuesIndices(values, indices, "sort")

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (or smallest) entries along ``dim``, with their indices,
        largest first."""
        axis = _dim(dim, self.ndim)
        if not 0 <= k <= (self.shape[axis] if self.ndim else 1):
            raise RuntimeError(f"topk: k ({k}) is out of range for dimension {axis} "
                               f"of size {self.shape[axis] if self.ndim else 1}")
        first_k = (slice(None),) * axis + (slice(0, k),)
        indices = self.argsort(axis, descending=largest)[first_k]
        return ValuesIndices(self.gather(axis, indices), indices, "topk")

    def argmin(self, dim=None, keepdim=False):
        _check_reducible(self, "argmin", dim)
        return _arg_reduce(self.array.argmin, self, dim, keepdim)

    def softmax(self, dim):
        axis, x = _dims(dim, self.ndim), _floating(self)
        if not x.numel():  # nothing to normalize (NumPy's max over an empty axis fails)
            return x.clone()
        return ops.Softmax.apply(x, axis=axis)

    def log_softmax(self, dim):
        axis, x = _dims(dim, self.ndim), _floating(self)
        if not x.numel():
            return x.clone()
        return ops.LogSoftmax.apply(x, axis=axis)

    def logsumexp(self, dim, keepdim=False):
        """log Σ e^x over ``dim`` (an int or a tuple), without overflow; its gradient
        is the softmax."""
        axis = _dims(dim, self.ndim)
        return ops.LogSumExp.apply(_floating(self), axis=axis, keepdim=keepdim)

    # ------------------------------------------------------------ shape
    def reshape(self, *shape):
        shape = _shape_arg(shape)
        if shape == self.shape:
            return self
        try:
            return ops.Reshape.apply(self, shape=shape)
        except ValueError:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size "
                               f"{self.numel()}") from None

    view = reshape

    def view_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _dim(start_dim, self.ndim), _dim(end_dim, self.ndim)
        shape = self.shape
        return (self.reshape(shape[:start] + (-1,) + shape[end + 1:]) if start <= end
                else self)

    def squeeze(self, dim=None):
        if dim is None:
            shape = tuple(n for n in self.shape if n != 1)
        else:
            listed = dim if isinstance(dim, (tuple, list)) else (dim,)
            dims = {_dim(d, self.ndim) for d in listed}
            shape = tuple(n for i, n in enumerate(self.shape)
                          if not (i in dims and n == 1))
        return self.reshape(shape)

    def unsqueeze(self, dim):
        dim = _dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def unsqueeze_(self, dim):
        """``unsqueeze`` applied to this tensor itself: its shape changes, its memory
        stays."""
        return self._reshape_(self.unsqueeze(dim).shape)

    def squeeze_(self, dim=None):
        return self._reshape_(self.squeeze(dim).shape)

    def _reshape_(self, shape):
        self._check_inplace()
        if inplace.is_recorded(self, ()):  # in the graph: the reshape of what it was
            inplace.rebase(self, ops.Reshape.apply(self, shape=shape).grad_fn)
        # a view of the same memory, so aliases still share it
        self.array = self.array.reshape(shape)
        self._bump_version()  # (as PyTorch counts it)
        return self

    def permute(self, *dims):
        dims = tuple(_dim(d, self.ndim) for d in _shape_arg(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute(): dims {dims} are not a permutation of the "
                               f"{self.ndim} dims of a tensor of shape "
                               f"{tuple(self.shape)}")
        return ops.Permute.apply(self, dims=dims)

    def transpose(self, dim0, dim1):
        dims = list(range(self.ndim))
        dim0, dim1 = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
        if not self.ndim:  # a 0-d tensor's only dim is itself
            return self
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        # a permutation by construction: no need to check
        return ops.Permute.apply(self, dims=tuple(dims))

    def t(self):
        if self.ndim > 2:
            raise RuntimeError("t() expects a tensor with <= 2 dimensions, "
                               f"but self is {self.ndim}D")
        return ops.Permute.apply(self, dims=(1, 0)) if self.ndim == 2 else self

    @property
    def T(self):
        return self.permute(tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def expand(self, *shape):
        shape = _shape_arg(shape)
        new_dims = len(shape) - self.ndim
        if new_dims < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(shape)}) "
                               "must be greater or equal to the number of dimensions "
                               f"in the tensor ({self.ndim})")
        # -1 keeps a size
        shape = tuple(self.shape[i - new_dims] if n == -1 else n
                      for i, n in enumerate(shape))
        for dim, size in enumerate(self.shape):
            if size != 1 and size != shape[new_dims + dim]:
                raise RuntimeError(
                    f"The expanded size of the tensor ({shape[new_dims + dim]}) must "
                    f"match the existing size ({size}) at non-singleton dimension "
                    f"{new_dims + dim}.  Target sizes: {list(shape)}.  Tensor sizes: "
                    f"{list(self.shape)}")
        return ops.Expand.apply(self, shape=shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    def flip(self, *dims):
        """The elements in reverse order along each of ``dims`` (a new tensor, as in
        PyTorch)."""
        axes = tuple(_dim(d, self.ndim) for d in _shape_arg(dims))
        for i, axis in enumerate(axes):
            if axis in axes[:i]:
                raise RuntimeError(f"dim {axis} appears multiple times in the list "
                                   "of dims")
        return ops.Flip.apply(self, axes=axes if self.ndim else ())

    def __getitem__(self, index):
        index, advanced = _array_index(index, self)
        return ops.GetItem.apply(self, index=index, advanced=advanced)

    def split(self, split_size_or_sections, dim=0):
        """Pieces of ``split_size`` along ``dim`` (the last one smaller), or of the
        listed sizes: slices."""
        dim = _dim(dim, self.ndim)
        total = self.shape[dim]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            sizes = ([min(step, total - start) for start in range(0, total, step)]
                     if step > 0 else None)
            if not total and step >= 0:  # an empty dim splits into one empty piece
                sizes = [0]
            elif not step:
                raise RuntimeError("split_size can only be 0 if dimension size is 0, "
                                   f"but got dimension size of {total}")
        else:
            sizes = list(split_size_or_sections)
        if not sizes or sum(sizes) != total:
            raise RuntimeError(f"split: sizes {split_size_or_sections} do not split "
                               f"dimension {dim} of size {total}")
        starts = np.cumsum([0] + sizes[:-1])
        before = (slice(None),) * dim
        return tuple(self[before + (slice(int(start), int(start) + size),)]
                     for start, size in zip(starts, sizes))

    def chunk(self, chunks, dim=0):
        """``chunks`` pieces along ``dim``, each of ceil(size / chunks) entries (the
        last may be smaller)."""
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: "
                               f"{chunks}")
        size = self.shape[_dim(dim, self.ndim)]
        if not size:  # an empty dim gives ``chunks`` empty pieces, as PyTorch
            return self.split([0] * chunks, dim)
        return self.split(-(-size // chunks), dim)

    def repeat(self, *sizes):
        """The tensor tiled ``sizes[i]`` times along dimension i: each dimension gets a
        new one in front, expanded to the repeat count, and the two are merged (so the
        gradient sums over the copies)."""
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(f"Number of dimensions of repeat dims ({len(sizes)}) "
                               "can not be smaller than number of dimensions of "
                               f"tensor ({self.ndim})")
        shape = (1,) * (len(sizes) - self.ndim) + tuple(self.shape)
        interleaved = self.reshape([n for size in shape for n in (1, size)])
        tiled = interleaved.expand([n for count, size in zip(sizes, shape)
                                    for n in (count, size)])
        out = tiled.reshape([count * size for count, size in zip(sizes, shape)])
        # a copy always, as PyTorch's: reshape gives a view of self for repeats of 1
        return out if out.array.flags.owndata else out.clone()

    def roll(self, shifts, dims=None):
        """Shift the entries ``shifts`` places along ``dims``; what falls off the end
        comes back at the start. (Without ``dims``: along the flattened tensor.) Two
        slices swapped, so the gradient rolls back."""
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts, dims = ((shifts, dims) if isinstance(shifts, (tuple, list))
                        else ((shifts,), (dims,)))
        if len(shifts) != len(dims):
            raise RuntimeError("roll: shifts and dims must have the same length, got "
                               f"{len(shifts)} and {len(dims)}")
        out = self
        for shift, dim in zip(shifts, dims):
            axis = _dim(dim, self.ndim)
            size = self.shape[axis] if self.ndim else 1
            cut = size - shift % size if size else 0
            if self.ndim and 0 < cut < size:
                before = (slice(None),) * axis
                out = cat([out[before + (slice(cut, None),)],
                           out[before + (slice(0, cut),)]], axis)
        return out

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The entries x[i, i + offset] of the (dim1, dim2) planes, along a new last
        dimension."""
        dim1, dim2 = _dim(dim1, self.ndim), _dim(dim2, self.ndim)
        if dim1 == dim2:
            raise RuntimeError("diagonal dimensions cannot be identical "
                               f"{dim1}, {dim2}")
        rows, cols = self.shape[dim1], self.shape[dim2]
        length = max(0, min(rows, cols - offset) if offset >= 0
                     else min(rows + offset, cols))
        steps = backend.get_array_module(self.array).arange(length)
        others = [d for d in range(self.ndim) if d not in (dim1, dim2)]
        planes_last = self.permute(others + [dim1, dim2])
        return planes_last[..., Tensor(steps - min(offset, 0)),
                           Tensor(steps + max(offset, 0))]

    def diag(self, diagonal=0):
        """A vector put on the ``diagonal``-th diagonal of a square matrix, or a
        matrix's diagonal as a vector."""
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
        size = len(self) + abs(diagonal)
        xp = backend.get_array_module(self.array)
        rows, cols = xp.arange(size)[:, None], xp.arange(size)[None, :]
        if not len(self):
            return zeros(size, size, dtype=self.dtype, device=self.device)
        # which entry each row (or column) shows
        source = xp.clip(rows if diagonal >= 0 else cols, 0, len(self) - 1)
        return where(Tensor(cols - rows == diagonal), self[Tensor(source)],
                     _as_tensor(0, self))

    def trace(self):
        if self.ndim != 2:
            raise RuntimeError("trace: expected a matrix, but got tensor with dim "
                               f"{self.ndim}")
        return self.diagonal().sum()

    def contiguous(self):
        """Itself when its memory is laid out row by row, else a copy (values are the
        same either way)."""
        if self.is_contiguous():
            return self
        # flattening a strided array copies it row by row
        return self.flatten().reshape(self.shape)

    def is_contiguous(self):
        return bool(self.array.flags.c_contiguous)

    def gather(self, dim, index):
        """``out[i][j] = self[i][index[i][j]]`` for dim=1: along ``dim``, pick the
        entries ``index`` names. It is indexing with one array per dimension, so
        GetItem's backward adds the gradients up."""
        positions, _ = _positions_along(self, dim, index, "gather")
        # reshape: a 0-d index gives a 0-d result
        return self[positions].reshape(index.shape)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A tensor from ``data`` with this one's dtype and device (unless given)."""
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                     requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return empty(*size, dtype=dtype or self.dtype, device=device or self.device,
                     requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return full(size, fill_value, dtype=dtype or self.dtype,
                    device=device or self.device, requires_grad=requires_grad)

    # ------------------------------------------------------------ in place (inplace.py)
    def _check_inplace(self, what="a leaf Variable"):
        if self._requires_grad and self.grad_fn is None and autograd.is_grad_enabled():
            raise RuntimeError(f"{what} that requires grad is being used in an "
                               "in-place operation. (Wrap it in `with no_grad():` to "
                               "update parameters, or use the out-of-place op.)")

    def __setitem__(self, index, value):
        self._check_inplace("a view of a leaf Variable")
        index, advanced = _array_index(index, self)
        value = _as_tensor(value, self)
        if inplace.is_recorded(self, (value,)):
            node = inplace.IndexPut if advanced else inplace.SetItem
            inplace.set_values(self, node, index, value)
            return
        view, where = self.array, index
        if advanced:  # x[0, :, idx] = v takes a v shaped as x[0, :, idx] is
            view, where = ops.in_torch_layout(self.array, index)
        view[where] = value.array
        self._bump_version()

    def _inplace(self, compute, *operands):
        """Write ``compute(self, *operands)`` into this tensor's memory; recorded in the
        graph when the tensor or one of the ``operands`` requires grad
        (``inplace.write``)."""
        self._check_inplace()
        if inplace.is_recorded(self, operands):
            return inplace.write(self, compute, operands)
        with autograd.no_grad():
            result = compute(self, *operands)
        self._write(result)
        return self

    def _write(self, result):
        """Put ``result``'s values into this tensor's memory (every alias sees them) and
        count the write."""
        if tuple(result.shape) != tuple(self.shape):
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match "
                               f"the broadcast shape {list(result.shape)}")
        if (result.array.dtype != self.array.dtype
                and dt.promote_types(result.dtype, self.dtype) != self.dtype):
            raise RuntimeError(f"result type {result.dtype} can't be cast to the "
                               f"desired output type {self.dtype}")
        if result.array is not self.array:  # (a setitem's node wrote into it itself)
            self.array[...] = result.array
        self._bump_version()

    def add_(self, other, alpha=1):
        return self._inplace(lambda x, other: x.add(other, alpha), other)

    def sub_(self, other, alpha=1):
        return self._inplace(lambda x, other: x.sub(other, alpha), other)

    def mul_(self, other):
        return self._inplace(lambda x, other: x * other, other)

    def div_(self, other):
        return self._inplace(lambda x, other: x / other, other)

    def clamp_(self, min=None, max=None):
        return self._inplace(lambda x, min, max: x.clamp(min, max), min, max)

    def copy_(self, source):
        self._check_inplace()
        source = _as_tensor(source, self).to(self.dtype, device=self.device)
        source = source.expand(self.shape)
        if inplace.is_recorded(self, (source,)):
            return inplace.set_values(self, inplace.Copy, (), source)
        return self._inplace(lambda x, source: source, source)

    def fill_(self, value):
        return self._fill(value, inplace.Fill)

    def zero_(self):
        return self._fill(0, inplace.Zero)

    def _fill(self, value, node):
        self._check_inplace()
        if inplace.is_recorded(self, (value,)):
            return inplace.set_values(self, node, (), _as_tensor(value, self))
        # a GPU array takes numbers only
        self.array[...] = value.item() if isinstance(value, Tensor) else value
        self._bump_version()
        return self

    def scatter_(self, dim, index, src=None, *, value=None):
        """``self[i][index[i][j]] = src[i][j]`` for dim=1 (or ``= value``): the reverse
        of ``gather``. PyTorch's Transforms tutorial one-hot encodes a label with
        ``zeros(10).scatter_(0, tensor(y), value=1)``."""
        positions, shape = _positions_along(self, dim, index, "scatter_")
        if isinstance(src, Tensor):
            covered = tuple(slice(0, n) for n in shape)  # the part index covers
            value = src.to(self.dtype)[covered]
        elif src is not None:
            value = src  # scatter_(dim, index, 1.0): a number given in place of src
        self._check_inplace()
        backend.check_index_bounds(positions, self.shape)
        if inplace.is_recorded(self, (value,)):
            value = _as_tensor(value, self)
            return inplace.set_values(self, inplace.Scatter, positions, value)
        self.array[positions] = value.array if isinstance(value, Tensor) else value
        self._bump_version()
        return self

    def _random_fill(name):  # x.normal_(0, 1) writes random.draw_normal(x, 0, 1) into x
        def method(self, *args, generator=None, **kwargs):
            from . import random

            draw = getattr(random, "draw_" + name)
            return self.copy_(draw(self, *args, generator=generator, **kwargs))

        method.__name__ = method.__qualname__ = name + "_"
        method.__doc__ = f"Fill the tensor in place with ``random.draw_{name}``."
        return method

    normal_, uniform_, random_, bernoulli_ = map(
        _random_fill, ("normal", "uniform", "random", "bernoulli"))
    exponential_, geometric_, cauchy_, log_normal_ = map(
        _random_fill, ("exponential", "geometric", "cauchy", "log_normal"))
    del _random_fill

    def bernoulli(self, p=None, *, generator=None):
        from .random import bernoulli

        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        from .random import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def _inplace_version(name):
        # x.exp_() computes exp(x) and writes it into x's memory
        def method(self, *args, **kwargs):
            return self._inplace(lambda x, *args: getattr(x, name)(*args, **kwargs),
                                 *args)

        method.__name__ = method.__qualname__ = name + "_"
        return method

    exp_, log_, sqrt_, abs_, neg_, pow_ = map(
        _inplace_version, ("exp", "log", "sqrt", "abs", "neg", "pow"))
    sigmoid_, tanh_, relu_, sin_, cos_ = map(
        _inplace_version, ("sigmoid", "tanh", "relu", "sin", "cos"))
    floor_, ceil_, round_, trunc_, sign_ = map(
        _inplace_version, ("floor", "ceil", "round", "trunc", "sign"))
    square_, masked_fill_ = map(_inplace_version, ("square", "masked_fill"))
    clamp_min_, clamp_max_ = map(_inplace_version, ("clamp_min", "clamp_max"))
    cumsum_, cumprod_ = map(_inplace_version, ("cumsum", "cumprod"))
    bitwise_and_, bitwise_or_, bitwise_xor_ = map(
        _inplace_version, ("bitwise_and", "bitwise_or", "bitwise_xor"))
    __iand__, __ior__, __ixor__ = bitwise_and_, bitwise_or_, bitwise_xor_
    del _inplace_version


class ValuesIndices(tuple):
    """``(values, indices)`` from ``max(dim)``, ``min(dim)``, ``sort`` and ``topk``,
    also as attributes; printed as PyTorch prints its
    ``torch.return_types.max(values=..., indices=...)``."""

    def __new__(cls, values, indices, name):
        pair = super().__new__(cls, (values, indices))
        pair.name = name
        return pair

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])

    def __repr__(self):
        return (f"tinygrad_tutorial.return_types.{self.name}("
                f"\nvalues={self[0]!r},\nindices={self[1]!r})")


class ToDevice(autograd.Function):
    saves_inputs = False

    def forward(self, a, device):  # a copy of ``a`` on another device
        self.source = backend.device_of(a)
        return backend.to_device(a, device)

    def backward(self, grad):  # the gradient goes back to where the input lives
        return backend.to_device(grad, self.source)

    def tensor_backward(self, grad):
        return ToDevice.apply(grad, device=self.source)


# -------------------------------------------------------- helpers for the methods above
_LEGACY_TYPE_NAMES = {dt.float32: "FloatTensor", dt.float64: "DoubleTensor",
                      dt.float16: "HalfTensor", dt.int64: "LongTensor",
                      dt.int32: "IntTensor", dt.int16: "ShortTensor",
                      dt.int8: "CharTensor", dt.uint8: "ByteTensor",
                      dt.bool_: "BoolTensor"}


def broadcast_shape(a, b):
    """The shape two shapes broadcast to, or an error naming both (PyTorch's rule):
    align them from the right, pad the shorter with 1s; in each dimension the sizes
    must agree or one be 1."""
    ndim = max(len(a), len(b))
    padded_a = (1,) * (ndim - len(a)) + tuple(a)
    padded_b = (1,) * (ndim - len(b)) + tuple(b)
    result = []
    # from the right, as PyTorch: the error names the last clash
    for dim in reversed(range(ndim)):
        m, n = padded_a[dim], padded_b[dim]
        if m != n and m != 1 and n != 1:
            raise RuntimeError(f"The size of tensor a ({m}) must match the size of "
                               f"tensor b ({n}) at non-singleton dimension {dim}: "
                               f"shapes {tuple(a)} and {tuple(b)} cannot be broadcast "
                               "together")
        result.append(n if m == 1 else m)
    return tuple(reversed(result))


def _type_name(value):
    """A value's type as PyTorch's errors name it: ``float``, ``numpy.ndarray``."""
    kind = type(value)
    if kind.__module__ == "builtins":
        return kind.__name__
    return f"{kind.__module__}.{kind.__name__}"


def _expect_tensor(value, function, argument, position):
    """PyTorch's TypeError for a non-tensor (a NumPy array) where a tensor belongs."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{function}(): argument '{argument}' (position {position}) "
                        f"must be Tensor, not {_type_name(value)}")


def _expect_tensors(tensors):
    """The same for each entry of a list (the argument of ``cat`` and ``stack``)."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{_type_name(t)}")


def _as_tensor(value, like):
    """A Python number (or array) as a tensor on ``like``'s device."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float)) and like.array.dtype.kind == "f":
        # the common case, decided without result_type: a number never promotes a float
        dtype = like.array.dtype
    elif isinstance(value, numbers.Number):
        dtype = dt.result_type(like, value).numpy
    else:
        return tensor(value, device=like.device)
    return Tensor(backend.get_array_module(like.array).asarray(value, dtype))


def _binary(op, a, b, true_division=False):
    """Apply a broadcasting binary op with PyTorch's dtype promotion."""
    if not isinstance(a, Tensor):
        a = _as_tensor(a, b)  # a Python number comes out in the result's dtype already
    if not isinstance(b, Tensor):
        b = _as_tensor(b, a)
    if a.array.dtype is not b.array.dtype and a.array.dtype != b.array.dtype:
        common = dt.result_type(a, b)
        a, b = a.to(common), b.to(common)
    # int / int gives float, as in PyTorch
    if true_division and a.array.dtype.kind != "f":
        a, b = a.to(dt.default_float), b.to(dt.default_float)
    try:
        return op.apply(a, b)
    except ValueError:
        # raises the clear error when the shapes are to blame
        broadcast_shape(a.shape, b.shape)
        raise


def _rounded_division(a, b, name):
    """floor(a / b) with PyTorch's dtype promotion; no gradient flows through a
    rounding."""
    if not isinstance(b, Tensor):
        b = _as_tensor(b, a)
    common = dt.result_type(a, b)
    a, b = a.to(common), b.to(common)
    broadcast_shape(a.shape, b.shape)
    if not common.is_floating_point and not b.array.all():  # NumPy would give 0
        raise RuntimeError("ZeroDivisionError")
    return Tensor(getattr(backend.get_array_module(a.array), name)(a.array, b.array))


def _compare(name, a, b):
    b = _as_tensor(b, a)
    if a.device != b.device:
        raise RuntimeError("Expected all tensors to be on the same device, but found "
                           f"at least two devices, {a.device} and {b.device}")
    broadcast_shape(a.shape, b.shape)
    return Tensor(getattr(backend.get_array_module(a.array), name)(a.array, b.array))


def _floating(x):
    return x if x.is_floating_point() else x.to(dt.default_float)


def _floating_pair(a, b):
    """Two operands in their common dtype, a float one (int with int gives float32, as
    PyTorch)."""
    b = _as_tensor(b, a)
    common = dt.result_type(a, b)
    common = common if common.is_floating_point else dt.default_float
    return a.to(common), b.to(common)


def _accumulator(x, dtype):
    """The tensor a sum or product runs on: in ``dtype`` when given, integers and
    bools as int64 (True + True = 2, no uint8 overflow), as PyTorch."""
    x = x if dtype is None else x.to(dtype)
    return x if x.is_floating_point() else x.long()


def _bitwise(name, a, b=None):
    """A bitwise op (``invert`` when ``b`` is None) in the operands' common dtype,
    integer or bool only."""
    operands = (a,) if b is None else (a, _as_tensor(b, a))
    common = dt.result_type(*operands)
    if common.is_floating_point:
        dtypes = " and ".join(str(x.dtype) for x in operands)
        raise RuntimeError(f"{name}: only integer and bool tensors have bits to "
                           f"combine, got {dtypes}")
    arrays = [x.to(common).array for x in operands]
    if len(arrays) == 2:
        backend.check_same_device(arrays, name)
        broadcast_shape(a.shape, operands[1].shape)
    return Tensor(getattr(backend.get_array_module(arrays[0]), name)(*arrays))


def _dim(dim, ndim):
    """A dimension index, negative ones counted from the end, checked against
    ``ndim``."""
    size = max(ndim, 1)
    if not -size <= dim < size:
        raise IndexError("Dimension out of range (expected to be in range of "
                         f"[{-size}, {size - 1}], but got {dim})")
    return dim % size


def _dims(dim, ndim):
    """The axes a reduction runs over: None for all of them (also for a 0-d tensor,
    whose dim 0 is itself)."""
    if dim is None or isinstance(dim, (tuple, list)) and not dim:  # sum(dim=()): all
        return None
    dims = (tuple(_dim(d, ndim) for d in dim) if isinstance(dim, (tuple, list))
            else _dim(dim, ndim))
    return dims if ndim else None


def _shape_arg(shape):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return Size(int(n) for n in shape)


def _new_shape(shape):
    """``_shape_arg`` for a tensor about to be made: no negative sizes, as PyTorch."""
    shape = _shape_arg(shape)
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(shape)}: {list(shape)}")
    return shape


def _constructor_array(data, sizes):
    """The array ``torch.Tensor(...)`` makes: of the sizes given (``Tensor(2, 3)``,
    uninitialised), another tensor's memory, or values of data (``[1, 2]``) in the
    default float dtype.
    An ndarray never comes here: it is kept as it is, so it keeps its dtype."""
    if isinstance(data, (numbers.Integral, Size)) and not isinstance(data, bool):
        return np.empty(_new_shape((data,) + sizes), dt.default_float.numpy)
    if sizes:
        raise TypeError(f"Tensor(): sizes must all be ints, got {(data,) + sizes}")
    if isinstance(data, Tensor):
        return data.array
    return np.asarray(data, dtype=dt.default_float.numpy)  # as torch.Tensor


def _check_dims(name, ndim, *tensors):
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected Tensor arguments, got "
                            f"{type(t).__name__}")
        if t.ndim != ndim:
            raise RuntimeError(f"{name}: expected {ndim}D tensors, but got a {t.ndim}D "
                               "one")


def _scaled_sum(input, product, beta, alpha):
    """beta·input + alpha·product for addmm and addmv, ``input`` broadcast to the
    product's shape; as in PyTorch, ``input`` is ignored when beta is 0 (a nan in it
    stays out)."""
    if input.dtype != product.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{input.dtype} and {product.dtype}")
    input = input.expand(product.shape)  # raises, naming both shapes, unless it can
    product = product * alpha if alpha != 1 else product
    if beta == 0:
        return product
    return product + (input * beta if beta != 1 else input)


def _check_reducible(x, name, dim):
    """PyTorch's errors for a max, min or argmax of nothing (NumPy's name no dim)."""
    if dim is None:
        if x.numel():
            return
        if name.startswith("arg"):
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                           "input.numel() == 0. Specify the reduction dim with the "
                           "'dim' argument.")
    for d in dim if isinstance(dim, (tuple, list)) else (dim,):
        if x.ndim and not x.shape[_dim(d, x.ndim)]:
            d = d if name in ("amax", "amin") else _dim(d, x.ndim)  # as PyTorch's
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero "
                             "size.")


def _arg_reduce(method, x, dim, keepdim):
    if dim is None:
        return Tensor(method().astype(np.int64))
    axis = _dim(dim, x.ndim)
    return Tensor(method(axis=axis, keepdims=keepdim).astype(np.int64))


def _positions_along(x, dim, index, name):
    """The index arrays that pick ``x[i][index[i][j]]`` (for dim=1), one per
    dimension, and their shape."""
    if not isinstance(index, Tensor) or index.array.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if index.device != x.device:
        raise RuntimeError(f"{name}(): index is on {index.device} but the tensor is "
                           f"on {x.device}")
    if index.ndim == 0:
        index = index.reshape(1)
    if index.ndim != max(x.ndim, 1):
        raise RuntimeError(f"{name}(): Index tensor must have the same number of "
                           "dimensions as input tensor "
                           f"(index {tuple(index.shape)}, input {tuple(x.shape)})")
    dim = _dim(dim, x.ndim)
    for d, (n, m) in enumerate(zip(index.shape, x.shape)):
        if d != dim and n > m:
            raise RuntimeError(f"{name}(): Size does not match at dimension {d} "
                               f"expected index {tuple(index.shape)} to be smaller "
                               f"than self {tuple(x.shape)} apart from dimension {dim}")
    xp, ndim = backend.get_array_module(x.array), index.ndim
    # an open grid (each range along its own axis) with index in place of dim
    positions = [xp.arange(n).reshape((1,) * d + (n,) + (1,) * (ndim - d - 1))
                 for d, n in enumerate(index.shape)]
    positions[dim] = index.array
    return tuple(positions), index.shape


# the dtypes an index array may have: no float indices
_INDEX_DTYPES = {np.dtype(d) for d in (np.int64, np.int32, np.int16, np.int8, np.uint8,
                                        bool)}


def _array_index(index, x):
    """Turn tensors inside an index into arrays; report whether it uses advanced
    indexing."""
    if not isinstance(index, tuple):
        index = (index,)
    converted, advanced = [], False
    for item in index:
        if isinstance(item, Tensor):
            if item.device != x.device:
                raise RuntimeError(f"indices are on {item.device} but the indexed "
                                   f"tensor is on {x.device}")
            # GetItem keeps the index: later writes must not reach it
            item, advanced = item.array.copy(), True
        elif isinstance(item, (list, np.ndarray)) or backend.is_gpu_array(item):
            # gather's positions: raw arrays (copied, as above)
            item, advanced = backend.get_array_module(x.array).array(item), True
            if not item.size and item.dtype.kind == "f":  # x[[]]: NumPy's [] is float
                item = item.astype(np.int64)
        else:  # a number, a slice, None or ...
            converted.append(item)
            continue
        if item.dtype not in _INDEX_DTYPES:
            raise IndexError("tensors used as indices must be long, int, byte or bool "
                             "tensors")
        converted.append(item)
    backend.check_index_bounds(converted, x.shape)
    return tuple(converted), advanced


# ---------------------------------------------------------------- creation
# where creation functions put a tensor when given no ``device``
_default_device = backend.CPU


def set_default_device(device):
    """Create tensors on ``device`` when no ``device=`` is given (``None`` goes back to
    the CPU), as ``torch.set_default_device``: one line moves a whole script to the
    GPU."""
    global _default_device
    _default_device = backend.device(device if device is not None else "cpu")


def get_default_device():
    return _default_device


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor from a (nested) list, a number, a NumPy/CuPy array or another
    tensor (copied).

    Python floats become float32, Python ints int64 and bools bool, as in PyTorch;
    NumPy arrays keep their dtype.
    """
    if isinstance(data, Tensor):
        array = data.array.copy()
    elif isinstance(data, (np.ndarray, np.generic)) or backend.is_gpu_array(data):
        array = data.copy()
    else:
        try:
            array = np.asarray(data)
        except TypeError:
            # tensor([t.sum(), 2.0]) with t on a GPU: NumPy cannot read it; copy first
            array = np.asarray(_to_host(data))
        if array.dtype == object:
            raise TypeError(f"could not make a tensor from {type(data).__name__}: "
                            "ragged or non-numeric data")
        if array.dtype.kind == "f":
            if dtype is None:  # with a dtype, converted once below (not via float32)
                array = array.astype(dt.default_float.numpy)
        elif array.dtype.kind in "iu":
            array = array.astype(np.int64)
        elif array.dtype.kind not in "b":
            raise TypeError("could not make a tensor from data of NumPy kind "
                            f"{array.dtype}")
    if dtype is not None:
        array = array.astype(dt.to_dtype(dtype).numpy, copy=False)
    dt.from_numpy_dtype(array.dtype)  # rejects dtypes we do not support, naming them
    if device is not None:
        dev = backend.device(device)
    else:  # a tensor's copy stays where it was; other data go to the default device
        keeps_device = isinstance(data, Tensor) or backend.is_gpu_array(data)
        dev = backend.device_of(array) if keeps_device else _default_device
    return Tensor(backend.to_device(array, dev), requires_grad=requires_grad)


def _to_host(data):
    """``data`` with every tensor in its (nested) lists read into a NumPy array."""
    if isinstance(data, Tensor):
        return data.detach().cpu().numpy()
    return ([_to_host(item) for item in data] if isinstance(data, (list, tuple))
            else data)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dt.from_numpy_dtype(array.dtype)
    return Tensor(array)


def _new(fill, size, dtype, device, requires_grad, default=None):
    """Make an array with ``fill(xp, shape, numpy_dtype)`` on ``device`` and wrap it
    (``default``: the dtype when none is given; None: the default float)."""
    dev = backend.device(device) if device is not None else _default_device
    dtype = dt.to_dtype(dtype) if dtype is not None else default or dt.default_float
    array = fill(backend.array_module(dev), _shape_arg(size), dtype.numpy)
    if dev.type == "cuda" and array.device.id != dev.index:
        array = backend.to_device(array, dev)
    return Tensor(array, requires_grad=requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _new(lambda xp, s, d: xp.zeros(s, d), size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _new(lambda xp, s, d: xp.ones(s, d), size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _new(lambda xp, s, d: xp.empty(s, d), size, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    default = dt.scalar_dtype(fill_value)
    shape = (size,) if isinstance(size, int) else size
    return _new(lambda xp, s, d: xp.full(s, fill_value, d), shape, dtype, device,
                requires_grad, default)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _new(lambda xp, s, d: xp.eye(n, m, dtype=d), (), dtype, device,
                requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    start, end, step = values = tuple(v.item() if isinstance(v, Tensor) else v
                                      for v in (start, end, step))
    default = dt.int64 if all(isinstance(v, numbers.Integral) for v in values) else None
    return _new(lambda xp, s, d: xp.arange(start, end, step).astype(d), (), dtype,
                device, requires_grad, default)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return _new(lambda xp, s, d: xp.linspace(start, end, steps).astype(d), (), dtype,
                device, requires_grad)


def _like(make, x, dtype, device, requires_grad):
    return make(x.shape, dtype=dtype or x.dtype, device=device or x.device,
                requires_grad=requires_grad)


def zeros_like(x, dtype=None, device=None, requires_grad=False):
    return _like(zeros, x, dtype, device, requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False):
    return _like(ones, x, dtype, device, requires_grad)


def empty_like(x, dtype=None, device=None, requires_grad=False):
    return _like(empty, x, dtype, device, requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False):
    return full(x.shape, fill_value, dtype=dtype or x.dtype, device=device or x.device,
                requires_grad=requires_grad)


# -------------------------------------------------- functions that take several tensors
def matmul(a, b):
    _expect_tensor(a, "matmul", "input", 1)
    _expect_tensor(b, "matmul", "other", 2)
    # the arrays' own tuples: this runs in every Linear
    shape_a, shape_b = a.array.shape, b.array.shape
    if not shape_a or not shape_b:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they "
                           f"are {a.ndim}D and {b.ndim}D")
    if shape_a[-1] != shape_b[-2 if len(shape_b) > 1 else 0]:
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied "
                           f"({_matrix_text(a, True)} and {_matrix_text(b, False)})")
    if a.array.dtype != b.array.dtype:
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{a.dtype} != {b.dtype}")
    if a.ndim > 2 and b.ndim > 2:
        try:
            broadcast_shape(a.shape[:-2], b.shape[:-2])
        except RuntimeError as error:
            raise RuntimeError(f"matmul: the batch dimensions of {tuple(a.shape)} and "
                               f"{tuple(b.shape)} cannot be broadcast together "
                               f"({error})") from None
    return ops.MatMul.apply(a, b)


def _matrix_text(x, left):
    """``2x3``; a vector counts as a 1×n row on the left of ``@`` and as an n×1
    column on the right."""
    shape = (tuple(x.shape) if x.ndim > 1
             else (1,) + tuple(x.shape) if left
             else tuple(x.shape) + (1,))
    return "x".join(str(n) for n in shape)


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    _expect_tensors(tensors)
    dtypes = {t.dtype for t in tensors}
    common = dt.result_type(*tensors) if len(dtypes) > 1 else tensors[0].dtype
    # an empty 1-d tensor joins any other (PyTorch keeps it so, for code that starts
    # from zeros(0)); only its dtype counts
    joined = [i for i, t in enumerate(tensors) if t.shape != (0,)] or [0]
    first = tensors[joined[0]]
    axis = _dim(dim, first.ndim)
    for i in joined[1:]:
        t = tensors[i]
        pairs = enumerate(zip(t.shape, first.shape))
        if t.ndim != first.ndim or any(m != n for j, (m, n) in pairs if j != axis):
            raise RuntimeError(f"Sizes of tensors must match except in dimension "
                               f"{axis}: tensor {joined[0]} has shape "
                               f"{tuple(first.shape)}, tensor {i} has shape "
                               f"{tuple(t.shape)}")
    return ops.Cat.apply(*[tensors[i].to(common) for i in joined], axis=axis)


concatenate = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    _expect_tensors(tensors)
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise RuntimeError("stack expects each tensor to be equal size, but got "
                               f"{tuple(tensors[0].shape)} at entry 0 and "
                               f"{tuple(t.shape)} at entry {i}")
    dim = _dim(dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def _clamp_by_tensors(x, low, high):
    """``x.clamp(low, high)`` with a tensor bound. The gradient goes where PyTorch sends
    it: to x inside [low, high] (the bounds included), else to the bound x crossed (to
    high wherever low > high), and to none of them where x is NaN or below low = high:
    there the result is a constant."""
    bare = [t.detach() if isinstance(t, Tensor) else t for t in (x, low, high)]
    out = bare[0] if low is None else bare[0].maximum(bare[1])
    out = out if high is None else out.minimum(bare[2])
    if low is not None:
        out = where((x < low) if high is None else (x < low) & (low < high), low, out)
    if high is not None:
        out = where((x > high) if low is None else (x > high) | (high < low), high, out)
    if low is None or high is None:
        inside = (x >= low) if high is None else (x <= high)
    else:
        inside = (x >= low) & (x <= high)
    return where(inside, x, out)


def where(condition, a, b):
    """``a`` where ``condition`` is true, else ``b`` (broadcasting all three)."""
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else condition
    a, b = _as_tensor(a, like), _as_tensor(b, like)
    common = dt.result_type(a, b)
    a, b = a.to(common), b.to(common)
    broadcast_shape(broadcast_shape(a.shape, b.shape), condition.shape)
    if condition.device != a.device:
        raise RuntimeError(f"where(): condition is on {condition.device} but the "
                           f"values are on {a.device}")
    # astype copies the condition: Where keeps it for backward
    return ops.Where.apply(a, b, condition=condition.array.astype(bool))
