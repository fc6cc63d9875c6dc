"""dtypes as PyTorch names them, and PyTorch's type-promotion rules.

Each dtype wraps the NumPy dtype that stores it. Promotion follows PyTorch, not
NumPy: a Python float never turns a float32 tensor into float64, and int64 with
float32 gives float32.
"""
import numpy as np


class dtype:
    def __init__(self, name, numpy_dtype, category):
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        # 0 bool, 1 integer, 2 floating point: promotion climbs this ladder
        self.category = category
        self.is_floating_point = category == 2

    def __repr__(self):
        return f"tinygrad_tutorial.{self.name}"

    def __reduce__(self):  # pickle by name, so a dtype stays a singleton
        return (to_dtype, (self.name,))


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NUMPY = {d.numpy: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL} | {"float": float32, "double": float64,
                                       "half": float16, "long": int64, "int": int32,
                                       "short": int16}

default_float = float32  # for Python floats and float factories: see set_default_dtype


def set_default_dtype(d):
    """Make ``d`` (a float dtype) what Python floats, ``tensor([1.0])``, ``zeros``,
    ``randn`` and new layers' parameters get, as ``torch.set_default_dtype``:
    ``float64`` runs a whole script in double precision."""
    global default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    default_float = d


def get_default_dtype():
    return default_float


def to_dtype(spec):
    """Accept a dtype, a NumPy dtype or a name such as ``"float32"``."""
    if isinstance(spec, dtype):
        return spec
    if isinstance(spec, str) and spec in _BY_NAME:
        return _BY_NAME[spec]
    if spec is float:
        return float64  # as torch.tensor(..., dtype=float)
    if spec is int:
        return int64
    if spec is bool:
        return bool_
    try:
        return _BY_NUMPY[np.dtype(spec)]
    except (TypeError, KeyError):
        names = ", ".join(d.name for d in ALL)
        raise TypeError(f"unsupported dtype {spec!r}; use one of {names}") from None


def from_numpy_dtype(numpy_dtype):
    try:
        return _BY_NUMPY[np.dtype(numpy_dtype)]
    except KeyError:
        raise TypeError(f"NumPy dtype {numpy_dtype} has no tinygrad_tutorial "
                        "equivalent") from None


def promote_types(a, b):
    """The dtype both ``a`` and ``b`` convert to: the higher category wins outright."""
    if a.category != b.category:
        return a if a.category > b.category else b
    return from_numpy_dtype(np.promote_types(a.numpy, b.numpy))


def scalar_dtype(value):
    """The dtype a Python scalar gets on its own: bool, int64 or the default float."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    if isinstance(value, (float, np.floating)):
        return default_float
    raise TypeError(f"expected a Tensor or a Python number, got {type(value).__name__}")


def result_type(*operands):
    """PyTorch's ``result_type``: tensors with dimensions outrank 0-d tensors, which
    outrank Python scalars; a lower rank only matters when it brings a higher
    category."""
    from .tensor import Tensor

    ranks = [None, None, None]  # dimensioned tensors, 0-d tensors, Python scalars
    for x in operands:
        if isinstance(x, Tensor):
            rank, d = (0 if x.ndim else 1), x.dtype
        else:
            rank, d = 2, scalar_dtype(x)
        ranks[rank] = d if ranks[rank] is None else promote_types(ranks[rank], d)
    return _combine(ranks[0], _combine(ranks[1], ranks[2]))


def _combine(higher, lower):
    if higher is None:
        return lower
    if lower is None or higher.category >= lower.category:
        return higher
    return promote_types(higher, lower)
