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


exp, log, sqrt, abs, tanh, sigmoid, relu = map(_method, ("exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu"))
sin, cos = map(_method, ("sin", "cos"))
clamp, clip, square, neg = map(_method, ("clamp", "clip", "square", "neg"))
sum, mean, var, std, argmax, argmin = map(_method, ("sum", "mean", "var", "std", "argmax", "argmin"))
softmax, log_softmax = map(_method, ("softmax", "log_softmax"))
reshape, flatten, squeeze, unsqueeze = map(_method, ("reshape", "flatten", "squeeze", "unsqueeze"))
transpose, permute, t, masked_fill, flip = map(_method, ("transpose", "permute", "t", "masked_fill", "flip"))
max, min, maximum, minimum = map(_method, ("max", "min", "maximum", "minimum"))
add, sub, mul, div, pow = map(_method, ("add", "sub", "mul", "div", "pow"))
eq, ne, lt, le, gt, ge = map(_method, ("eq", "ne", "lt", "le", "gt", "ge"))
allclose, equal, numel, clone, detach = map(_method, ("allclose", "equal", "numel", "clone", "detach"))


def is_tensor(obj):
    return isinstance(obj, Tensor)


def isclose(a, b, rtol=1e-5, atol=1e-8):
    b = _as_tensor(b, a)
    return (a - b).abs() <= atol + rtol * b.abs()
