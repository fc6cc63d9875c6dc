"""PyTorch's top-level functions (``torch.exp(x)``, ``torch.sum(x, dim=1)``, ...),
each a thin wrapper around the Tensor method of the same name."""
from .tensor import Tensor, _as_tensor


def _method(name):
    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``{name}(x, ...)`` is ``x.{name}(...)``."
    return function


def _method_with_out(name):
    """As ``_method``, with PyTorch's ``out=``: ``torch.mul(a, b, out=c)`` writes the result into ``c``."""
    method = _method(name)

    def function(input, *args, out=None, **kwargs):
        result = method(input, *args, **kwargs)
        return result if out is None else _write_into(out, result, name)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``{name}(x, ..., out=None)`` is ``x.{name}(...)``, written into ``out`` when given."
    return function


def _write_into(out, result, name):
    """An in-place write, with its checks: the dtype must fit, and the shape match (PyTorch would resize
    ``out`` to the result's shape, with a warning unless it was empty; an error is clearer)."""
    if result.requires_grad:
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    return out._inplace(lambda: result)


exp, log, sqrt, abs, tanh, sigmoid = map(_method_with_out, ("exp", "log", "sqrt", "abs", "tanh", "sigmoid"))
relu = _method("relu")
sin, cos = map(_method_with_out, ("sin", "cos"))
floor, ceil, round, trunc, sign = map(_method_with_out, ("floor", "ceil", "round", "trunc", "sign"))
sort, argsort, topk = map(_method, ("sort", "argsort", "topk"))
clamp, clip, square, neg = map(_method_with_out, ("clamp", "clip", "square", "neg"))
sum, mean, var, std = map(_method_with_out, ("sum", "mean", "var", "std"))
argmax, argmin = map(_method, ("argmax", "argmin"))
gather = _method_with_out("gather")
softmax, log_softmax = map(_method, ("softmax", "log_softmax"))
reshape, flatten, squeeze, unsqueeze = map(_method, ("reshape", "flatten", "squeeze", "unsqueeze"))
transpose, permute, t, masked_fill, flip = map(_method, ("transpose", "permute", "t", "masked_fill", "flip"))
max, min = map(_method, ("max", "min"))
maximum, minimum, matmul = map(_method_with_out, ("maximum", "minimum", "matmul"))
add, sub, mul, div, pow = map(_method_with_out, ("add", "sub", "mul", "div", "pow"))
eq, ne, lt, le, gt, ge = map(_method_with_out, ("eq", "ne", "lt", "le", "gt", "ge"))
allclose, equal, numel, clone, detach = map(_method, ("allclose", "equal", "numel", "clone", "detach"))


split, chunk = map(_method, ("split", "chunk"))
reciprocal, rsqrt = map(_method_with_out, ("reciprocal", "rsqrt"))
tril, triu = map(_method_with_out, ("tril", "triu"))
is_floating_point = _method("is_floating_point")


def var_mean(input, dim=None, *, correction=1, keepdim=False):
    """``(var, mean)`` in one call, as PyTorch's."""
    return input.var(dim, keepdim, correction), input.mean(dim, keepdim)


def std_mean(input, dim=None, *, correction=1, keepdim=False):
    return input.std(dim, keepdim, correction), input.mean(dim, keepdim)


def outer(input, vec2, *, out=None):
    """The outer product of two vectors: out[i, j] = input[i]·vec2[j]."""
    _check_dims("outer", 1, input, vec2)
    return mul(input.unsqueeze(1), vec2, out=out)


def mm(input, mat2, *, out=None):
    """Matrix product of two 2-D tensors (``matmul`` broadcasts; ``mm`` insists on matrices)."""
    _check_dims("mm", 2, input, mat2)
    return matmul(input, mat2, out=out)


def bmm(input, mat2, *, out=None):
    """Batched matrix product of two 3-D tensors."""
    _check_dims("bmm", 3, input, mat2)
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {tuple(input.shape)} and {tuple(mat2.shape)}")
    return matmul(input, mat2, out=out)


def dot(input, tensor, *, out=None):
    """Inner product of two 1-D tensors of the same length."""
    _check_dims("dot", 1, input, tensor)
    if input.shape != tensor.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src [{tensor.shape[0]}] "
                           "to have the same number of elements, but got different sizes")
    return matmul(input, tensor, out=out)


def _check_dims(name, ndim, *tensors):
    for t in tensors:
        if not isinstance(t, Tensor) or t.ndim != ndim:
            what = f"{t.ndim}D" if isinstance(t, Tensor) else type(t).__name__
            raise RuntimeError(f"{name}: expected {ndim}D tensors, but got a {what} one")


def is_tensor(obj):
    return isinstance(obj, Tensor)


def isclose(a, b, rtol=1e-5, atol=1e-8):
    b = _as_tensor(b, a)
    return (a - b).abs() <= atol + rtol * b.abs()
