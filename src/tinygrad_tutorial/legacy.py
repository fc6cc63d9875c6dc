"""The older spellings that tutorials from before PyTorch 0.4 (2018) use, and that
PyTorch 2 still accepts.

Back then a ``Variable`` wrapped a tensor to give it a gradient, and each kind of
tensor was a class of its own: ``torch.FloatTensor`` on the CPU,
``torch.cuda.LongTensor`` on a GPU. Variables and tensors have since merged, and a
tensor's kind is now its dtype and device; the old names stay as spellings of those:

- ``Variable(x, requires_grad=True)`` is ``x.detach().requires_grad_(True)``;
- ``FloatTensor(2, 3)`` is ``empty(2, 3)``, ``LongTensor([1, 2])`` is
  ``tensor([1, 2], dtype=long)``;
- ``isinstance(x, FloatTensor)`` asks whether x is float32 on the CPU, and
  ``x.type(LongTensor)`` (or ``x.type("torch.LongTensor")``) is ``x.long()``.
"""
import numbers
import warnings

import numpy as np

from . import dtypes as dt
from .tensor import (_LEGACY_TYPE_NAMES, Size, Tensor, _new_shape, empty, from_numpy,
                     tensor)


class _VariableMeta(type):
    def __instancecheck__(cls, obj):  # every tensor is a Variable, as in PyTorch
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(x, requires_grad=False)``: a tensor with x's memory and version
    counter, outside the graph (a leaf), requiring grad if asked; as in PyTorch, not a
    class of its own any more."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with "
                          "torch.no_grad():` instead.", UserWarning, stacklevel=2)
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got "
                            f"{type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)


class _TensorType(type):
    """The metaclass of ``FloatTensor`` and its kin: each is one dtype on one kind of
    device."""

    def __instancecheck__(cls, obj):
        return (isinstance(obj, Tensor) and obj.dtype == cls.dtype
                and obj.is_cuda == cls.is_cuda)

    def __call__(cls, *args, device=None):
        """``FloatTensor()`` (empty), ``FloatTensor(2, 3)`` (uninitialised, of that
        shape) or ``FloatTensor(data)``: values from a list or a NumPy array (sharing
        its memory when the dtype fits, as PyTorch), or another tensor of this type
        (sharing its memory)."""
        device = device or ("cuda" if cls.is_cuda else "cpu")
        if not args:
            return empty(0, dtype=cls.dtype, device=device)
        sizes = args[0] if len(args) == 1 and isinstance(args[0], Size) else args
        if all(isinstance(n, numbers.Integral) and type(n) is not bool for n in sizes):
            return empty(_new_shape(sizes), dtype=cls.dtype, device=device)
        if len(args) > 1:
            raise TypeError(f"{cls.__name__}(): give sizes (ints) or one sequence of "
                            f"data, got {args}")
        data = args[0]
        if isinstance(data, Tensor):
            if not isinstance(data, cls):
                raise TypeError(f"expected {cls.__module__}.{cls.__name__} (got "
                                f"{data.type()})")
            return data.detach()
        if isinstance(data, numbers.Number):
            raise TypeError(f"new(): data must be a sequence (got "
                            f"{type(data).__name__})")
        if isinstance(data, np.ndarray) and data.dtype == cls.dtype.numpy:
            if not cls.is_cuda:
                return from_numpy(data)
        return tensor(data, dtype=cls.dtype, device=device)


def _tensor_type(name, is_cuda):
    dtype = next(d for d, legacy in _LEGACY_TYPE_NAMES.items() if legacy == name)
    where = "a GPU" if is_cuda else "the CPU"
    module = "tinygrad_tutorial.cuda" if is_cuda else "tinygrad_tutorial"
    attributes = {"dtype": dtype, "is_cuda": is_cuda, "__module__": module,
                  "__doc__": f"{dtype} on {where}."}
    return _TensorType(name, (), attributes)


_NAMES = tuple(_LEGACY_TYPE_NAMES.values())
CPU_TENSOR_TYPES = {name: _tensor_type(name, is_cuda=False) for name in _NAMES}
CUDA_TENSOR_TYPES = {name: _tensor_type(name, is_cuda=True) for name in _NAMES}
FloatTensor, DoubleTensor, HalfTensor = (CPU_TENSOR_TYPES[name] for name in (
    "FloatTensor", "DoubleTensor", "HalfTensor"))
LongTensor, IntTensor, ShortTensor, CharTensor = (CPU_TENSOR_TYPES[name] for name in (
    "LongTensor", "IntTensor", "ShortTensor", "CharTensor"))
ByteTensor, BoolTensor = CPU_TENSOR_TYPES["ByteTensor"], CPU_TENSOR_TYPES["BoolTensor"]


def dtype_and_device(spec):
    """What ``x.type(spec)`` converts to, (dtype, device or None): ``spec`` is a dtype
    (or its name), a typed tensor class, or such a class's name
    (``"torch.LongTensor"``, ``"torch.cuda.FloatTensor"``)."""
    if isinstance(spec, str) and spec.endswith("Tensor"):
        module, _, name = spec.rpartition(".")
        types = CUDA_TENSOR_TYPES if module.endswith("cuda") else CPU_TENSOR_TYPES
        known = ("torch", "torch.cuda", "tinygrad_tutorial", "tinygrad_tutorial.cuda")
        if module not in known or name not in types:
            raise ValueError(f"invalid type: {spec!r}")
        spec = types[name]
    if isinstance(spec, _TensorType):
        return spec.dtype, "cuda" if spec.is_cuda else "cpu"
    return dt.to_dtype(spec), None
