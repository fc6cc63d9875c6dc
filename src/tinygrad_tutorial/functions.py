"""PyTorch's top-level functions (``torch.exp(x)``, ``torch.sum(x, dim=1)``, ...),
each a thin wrapper around the Tensor method of the same name."""
# sum, max, all... below are PyTorch's; Python's are reached through _builtins
import builtins as _builtins
from string import ascii_letters as _LETTERS

from . import autograd, ops
from .tensor import Tensor, _as_tensor, _check_dims, _expect_tensor


def _method(name):
    def function(input, *args, **kwargs):
        _expect_tensor(input, name, "input", 1)
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``{name}(x, ...)`` is ``x.{name}(...)``."
    return function


def _method_with_out(name):
    """As ``_method``, with PyTorch's ``out=``: ``torch.mul(a, b, out=c)`` writes the
    result into ``c``."""
    method = _method(name)

    def function(input, *args, out=None, **kwargs):
        result = method(input, *args, **kwargs)
        return result if out is None else _write_into(out, result, name)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"``{name}(x, ..., out=None)`` is ``x.{name}(...)``, written "
                        "into ``out`` when given.")
    return function


def _write_into(out, result, name):
    """An in-place write, with its checks: the dtype must fit, and the shape match
    (PyTorch would resize ``out`` to the result's shape, with a warning unless it was
    empty; an error is clearer)."""
    if result.requires_grad or out.requires_grad and autograd.is_grad_enabled():
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments "
                           "requires grad.")
    return out._inplace(lambda x, result: result, result)


exp, log, sqrt, abs, tanh, sigmoid = map(
    _method_with_out, ("exp", "log", "sqrt", "abs", "tanh", "sigmoid"))
relu = _method("relu")
sin, cos, erf = map(_method_with_out, ("sin", "cos", "erf"))
floor, ceil, round, trunc, sign = map(
    _method_with_out, ("floor", "ceil", "round", "trunc", "sign"))
sort, argsort, topk = map(_method, ("sort", "argsort", "topk"))
clamp, clip, square, neg = map(_method_with_out, ("clamp", "clip", "square", "neg"))
clamp_min, clamp_max = map(_method_with_out, ("clamp_min", "clamp_max"))
sum, mean, var, std = map(_method_with_out, ("sum", "mean", "var", "std"))
argmax, argmin = map(_method, ("argmax", "argmin"))
gather = _method_with_out("gather")
softmax, log_softmax = map(_method, ("softmax", "log_softmax"))
logsumexp = _method_with_out("logsumexp")
reshape, flatten, squeeze, unsqueeze = map(
    _method, ("reshape", "flatten", "squeeze", "unsqueeze"))
transpose, permute, t, masked_fill, flip = map(
    _method, ("transpose", "permute", "t", "masked_fill", "flip"))
max, min = map(_method, ("max", "min"))
maximum, minimum, matmul = map(_method_with_out, ("maximum", "minimum", "matmul"))
add, sub, mul, div = map(_method_with_out, ("add", "sub", "mul", "div"))
_tensor_pow = _method_with_out("pow")


def pow(input, exponent, *, out=None):
    """``x.pow(exponent)``; the base may be a number: ``pow(2, t)`` is ``2 ** t``."""
    if isinstance(input, (int, float)) and isinstance(exponent, Tensor):
        result = input ** exponent
        return result if out is None else _write_into(out, result, "pow")
    return _tensor_pow(input, exponent, out=out)


eq, ne, lt, le, gt, ge = map(_method_with_out, ("eq", "ne", "lt", "le", "gt", "ge"))
allclose, equal, numel, clone, detach = map(
    _method, ("allclose", "equal", "numel", "clone", "detach"))


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


mm, bmm, mv, dot = map(_method_with_out, ("mm", "bmm", "mv", "dot"))
addmm, addmv = map(_method_with_out, ("addmm", "addmv"))


def is_tensor(obj):
    return isinstance(obj, Tensor)


def isclose(a, b, rtol=1e-5, atol=1e-8):
    b = _as_tensor(b, a)
    return (a - b).abs() <= atol + rtol * b.abs()


prod, cumsum, cumprod = map(_method_with_out, ("prod", "cumsum", "cumprod"))
asin, acos, atan, sinh, cosh = map(
    _method_with_out, ("asin", "acos", "atan", "sinh", "cosh"))
arcsin, arccos, arctan = asin, acos, atan
log2, log10, log1p, expm1 = map(_method_with_out, ("log2", "log10", "log1p", "expm1"))
atan2, hypot = map(_method_with_out, ("atan2", "hypot"))
arctan2 = atan2
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = map(
    _method_with_out, ("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"))
logical_and, logical_or, logical_xor, logical_not = map(
    _method_with_out, ("logical_and", "logical_or", "logical_xor", "logical_not"))
any, all, count_nonzero, nonzero, unique = map(
    _method, ("any", "all", "count_nonzero", "nonzero", "unique"))
amax, amin, norm, unbind = map(_method, ("amax", "amin", "norm", "unbind"))
roll, diag, diagonal, trace = map(_method, ("roll", "diag", "diagonal", "trace"))


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids: output i holds tensors[i]'s values along dimension i, repeated
    along the others. ``indexing="xy"`` swaps the first two dimensions (x along
    columns), as NumPy's and matplotlib's grids."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError('meshgrid: indexing must be one of "xy" or "ij", but '
                           f"received: {indexing}")
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors = (tensors[1], tensors[0]) + tuple(tensors[2:])
    shape = [t.numel() for t in tensors]
    grids = [t.reshape([-1 if i == d else 1 for i in range(len(tensors))]).expand(shape)
             for d, t in enumerate(tensors)]
    return tuple([grids[1], grids[0]] + grids[2:] if swap else grids)


def einsum(equation, *operands):
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is a @ b. Each letter names a
    dimension; letters missing from the output are summed over. ``...`` stands for the
    dimensions no letter names."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands or not _builtins.all(isinstance(t, Tensor) for t in operands):
        raise TypeError("einsum(): expected an equation and one or more tensors")
    if len({t.dtype for t in operands}) > 1:
        raise RuntimeError("einsum(): operands must have the same dtype, got "
                           + ", ".join(str(t.dtype) for t in operands))
    inputs, output = _einsum_subscripts(equation.replace(" ", ""),
                                        [t.ndim for t in operands])
    sizes = {}
    for subscripts, t in zip(inputs, operands):
        for letter, size in zip(subscripts, t.shape):
            if sizes.setdefault(letter, size) != size:
                raise RuntimeError(
                    f"einsum(): subscript {letter} has size {size} for an operand of "
                    f"shape {tuple(t.shape)}, which does not match the size "
                    f"{sizes[letter]} seen before")
    return ops.Einsum.apply(*operands, subscripts=tuple(inputs), output=output)


def _einsum_subscripts(equation, ndims):
    """The equation with ``...`` replaced by letters and the output spelled out:
    (["ij", "jk"], "ik")."""
    left, arrow, output = equation.partition("->")
    inputs = left.split(",")
    if len(inputs) != len(ndims):
        raise RuntimeError(f"einsum(): the equation names {len(inputs)} operands but "
                           f"{len(ndims)} were given")
    spare = [c for c in _LETTERS if c not in equation]
    # the dimensions each "..." stands for
    covered = [n - len(s) + 3 if "..." in s else 0 for s, n in zip(inputs, ndims)]
    # one letter per broadcast dimension, aligned on the right
    batch = "".join(spare[:_builtins.max(covered)])
    for i, (s, n, k) in enumerate(zip(inputs, ndims, covered)):
        s = s.replace("...", batch[len(batch) - k:]) if "..." in s else s
        if len(s) != n or not s.isalpha():
            raise RuntimeError(f"einsum(): the subscripts {inputs[i]!r} do not fit "
                               f"operand {i}, which has {n} dimensions")
        inputs[i] = s
    # implicit output: "..." first, then the letters used once, in alphabetical order
    if not arrow:
        letters = "".join(inputs)
        once = [c for c in set(letters) if letters.count(c) == 1 and c not in batch]
        output = batch + "".join(sorted(once))
    output = output.replace("...", batch)
    unknown = set(output) - set("".join(inputs))
    if unknown or len(set(output)) != len(output):
        raise RuntimeError(f"einsum(): output subscripts {output!r} must be distinct "
                           "letters of the inputs")
    return inputs, output


def cdist(x1, x2, p=2.0):
    """The p-norm distance between each row of x1 and each row of x2 (batched over
    leading dimensions)."""
    from . import linalg

    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError("cdist: X1 and X2 must be matrices with the same number of "
                           f"columns, got {tuple(x1.shape)} and {tuple(x2.shape)}")
    return linalg.vector_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, dim=-1)
