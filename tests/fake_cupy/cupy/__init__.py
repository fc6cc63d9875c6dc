"""A strict, host-only stand-in for CuPy: NumPy underneath, CuPy's host/device rules on top.

This is NOT a GPU and computes nothing faster. It exists so that the ``cuda`` variants of the tests run on a
machine without a GPU (``pytest --device fakecuda``) and fail where real CuPy would refuse to mix host and
device memory. Only ``tests/conftest.py`` installs it, into ``sys.modules``, and only under that option.

What it checks, as CuPy does (cupy/_core/core.pyx, _kernel.pyx, _scalar.pyx, _routines_indexing.pyx):

* ``cupy.ndarray`` is its own class, not a NumPy subclass; ``type(x).__module__`` is ``"cupy"``.
* Implicit conversion to NumPy raises CuPy's TypeError: ``np.asarray(x)``, ``np.array(x)``,
  ``np.float32(x)``, and NumPy functions given a cupy array that have no cupy counterpart.
  ``x.get()``, ``cupy.asnumpy(x)``, ``float(x)``, ``int(x)``, ``bool(x)``, ``x.item()``, ``x.tolist()`` are
  the explicit ways out and work (on size-1 arrays where NumPy requires it).
* There is no ``__index__`` (CuPy leaves it out on purpose, cupy/cupy#5784): ``range(x)`` or a shape made of
  a cupy array raises.
* Operators and ufuncs (``x + y``, ``np.exp(x)``, ``cupy.maximum(x, y)``) take cupy arrays and Python or
  NumPy scalars only; a ``numpy.ndarray`` (0-d included) or a list raises ``TypeError: Unsupported type``.
  NumPy functions on cupy arrays (``np.sum(x)``) dispatch to cupy's through ``__array_function__``, so a
  NumPy array mixed in raises there too.
* Results are cupy arrays: reductions and integer indexing give 0-d cupy arrays, never NumPy scalars;
  ``x[i]`` with integers is a 0-d view.
* Indexing may use NumPy integer/boolean arrays or lists (CuPy copies them over). Out-of-bounds entries of
  integer index arrays (indexing, ``take``, ``take_along_axis``, ``scatter_add``) wrap around instead of raising, as CuPy checks
  no bounds on the device; a plain integer still raises. Assigning through a basic index refuses a
  non-0-d NumPy array (CuPy's ``fill``); through an advanced index it copies it over.
* ``cupyx.scatter_add`` (and ``ufunc.at``) with an advanced index refuses the dtypes CUDA has no atomicAdd for
  (bool, int8/16, int64, ...), as CuPy does.
* Keywords CuPy's signatures lack raise: ``initial=``/``where=`` of reductions, a ``kind=`` other than
  ``"stable"`` for sorting.
* Object and string dtypes are refused. Views keep ``base`` pointing at the array that owns the memory.

What it cannot check: kernels and their compilation, asynchronous execution (``synchronize`` is a no-op),
memory limits and pools, more than one device, the summation order of float atomics (``scatter_add`` adds in
a fixed order here), GPU math precision, NumPy functions CuPy lacks (only those listed in ``_MISSING`` are
refused), and behaviour of APIs the package
does not use (``cupy.random`` is NumPy's, wrapped).
"""
import functools
import weakref

import numpy as _np

__version__ = "0.0.0+fake"

_CONVERSION_ERROR = ("Implicit conversion to a NumPy array is not allowed. "
                     "Please use `.get()` to construct a NumPy array explicitly.")
_SCALARS = (bool, int, float, complex, _np.generic)
# NumPy functions CuPy does not have: calling them through np.* on a cupy array fails in CuPy.
_MISSING = {"broadcast_shapes", "errstate", "save", "load", "savez", "loadtxt", "genfromtxt"}
# Functions that copy host data to the device (or only read its shape and dtype): NumPy arrays welcome.
_HOST_INPUT_OK = {"array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray", "zeros_like",
                  "ones_like", "empty_like", "full_like", "full"}
_JOINS = {"concatenate", "stack", "vstack", "hstack", "dstack", "column_stack"}
_SHAPE_FIRST = {"zeros", "ones", "empty", "full"}  # CuPy computes the allocation on the host
_ATOMIC_ADD_DTYPES = {_np.dtype(t) for t in (_np.int32, _np.float16, _np.float32, _np.float64, _np.uint32,
                                             _np.uint64)}
_REDUCTIONS = {"sum", "prod", "max", "min", "amax", "amin", "mean", "all", "any"}  # no initial=/where= in CuPy
_owners = weakref.WeakValueDictionary()  # id(NumPy array owning memory) -> the cupy array wrapping it


def _check_dtype(dtype):
    if dtype.kind in "OUSV":
        raise ValueError(f"Unsupported dtype {dtype}")
    return dtype


def _wrap(value, inputs=()):
    """NumPy results become cupy arrays (scalars become 0-d arrays); other values pass through. A result that
    is one of the ``inputs``' NumPy arrays (``asarray(x)``, ``x.astype(x.dtype, copy=False)``) is that input."""
    for x in inputs:
        if isinstance(x, ndarray) and x._a is value:
            return x
    if isinstance(value, _np.ndarray):
        _check_dtype(value.dtype)
        if value.base is None:
            known = _owners.get(id(value))
            if known is not None and known._a is value:
                return known
        x = object.__new__(ndarray)
        x._a = value
        if value.base is None:
            _owners[id(value)] = x
        return x
    if isinstance(value, _np.generic):
        return _wrap(_np.asarray(value))
    if type(value) in (tuple, list):
        return type(value)(_wrap(v) for v in value)
    return value


def _unwrap(value, what, host_ok=False):
    """cupy arrays become their NumPy array; a NumPy array raises unless ``host_ok``."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, _np.ndarray):
        if host_ok:
            return value
        raise TypeError(f"Unsupported type {type(value)} (a NumPy array given to cupy {what})")
    if type(value) in (tuple, list):
        return type(value)(_unwrap(v, what, host_ok) for v in value)
    if type(value) is dict:
        return {k: _unwrap(v, what, host_ok) for k, v in value.items()}
    return value


def _check_keywords(name, kwargs):
    """Keywords NumPy takes and CuPy's signatures lack (docs.cupy.dev): CuPy raises on them."""
    unknown = {"initial", "where"} & set(kwargs) if name in _REDUCTIONS else set()
    if unknown:
        raise TypeError(f"cupy {name}() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    if name in ("sort", "argsort") and kwargs.get("kind") not in (None, "stable"):
        raise ValueError(f"cupy {name}: kind={kwargs['kind']!r} is not supported (CuPy sorts stably only)")


def _operand(value, what):
    """A kernel argument: a cupy array or a scalar, as CuPy's _preprocess_arg accepts."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, _SCALARS):
        return value
    raise TypeError(f"Unsupported type {type(value)} (in cupy {what})")


class ufunc:
    """A NumPy ufunc restricted to cupy arrays and scalars."""

    def __init__(self, np_ufunc):
        self._u = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.nin, self.nout = np_ufunc.nin, np_ufunc.nout

    def __repr__(self):
        return f"<ufunc '{self.__name__}' (fake cupy)>"

    def _out(self, kwargs):
        out = kwargs.get("out")
        if out is None:
            return None
        outs = out if isinstance(out, tuple) else (out,)
        for o in outs:
            if not isinstance(o, ndarray):
                raise TypeError(f"Unsupported type {type(o)} as out= of cupy.{self.__name__}")
        kwargs["out"] = tuple(o._a for o in outs) if isinstance(out, tuple) else out._a
        return out

    def __call__(self, *inputs, **kwargs):
        inputs = [_operand(x, self.__name__) for x in inputs]
        out = self._out(kwargs)
        result = self._u(*inputs, **kwargs)
        return out if out is not None else _wrap(result)

    def reduce(self, array, *args, **kwargs):
        out = self._out(kwargs)
        result = self._u.reduce(_operand(array, self.__name__ + ".reduce"), *args, **kwargs)
        return out if out is not None else _wrap(result)

    def accumulate(self, array, *args, **kwargs):
        out = self._out(kwargs)
        result = self._u.accumulate(_operand(array, self.__name__ + ".accumulate"), *args, **kwargs)
        return out if out is not None else _wrap(result)

    def outer(self, a, b, **kwargs):
        return _wrap(self._u.outer(_operand(a, self.__name__ + ".outer"), _operand(b, self.__name__ + ".outer"),
                                   **kwargs))

    def at(self, array, index, values=None):
        if not isinstance(array, ndarray):
            raise TypeError(f"Unsupported type {type(array)} (cupy.{self.__name__}.at needs a cupy array)")
        _scatter(self._u, array, index, values, f"cupy.{self.__name__}.at")


def _scatter(np_ufunc, array, index, values, what):
    index = _unwrap(index, what, host_ok=True)
    index = _wrap_around(index if isinstance(index, tuple) else (index,), array.shape)
    arrays = [i for i in (index if isinstance(index, tuple) else (index,)) if isinstance(i, (_np.ndarray, list))]
    mask = len(arrays) == 1 and _np.asarray(arrays[0]).dtype == bool  # CuPy adds under a mask without atomics
    if np_ufunc is _np.add and arrays and not mask and array.dtype not in _ATOMIC_ADD_DTYPES:
        raise TypeError(f"{what} only supports int32, float16, float32, float64, uint32, uint64, as data type "
                        f"(got {array.dtype})")
    if arrays:  # an advanced index: CuPy copies host values over
        values = _unwrap(values, what, host_ok=True)
    elif values is not None:  # a basic index adds elementwise: device arrays and scalars only
        values = _operand(values, what)
    np_ufunc.at(array._a, index, values)


def _function(np_func, name):
    """A NumPy function that works on cupy arrays and refuses NumPy arrays (except where CuPy copies them)."""
    host_ok = name in _HOST_INPUT_OK

    @functools.wraps(np_func)
    def call(*args, **kwargs):
        if name in _JOINS and args and not all(isinstance(x, ndarray) for x in args[0]):
            raise TypeError(f"Only cupy arrays can be joined by cupy.{name} (got "
                            f"{sorted({type(x).__name__ for x in args[0]})})")
        if name in _SHAPE_FIRST and args and (isinstance(args[0], ndarray) or (
                isinstance(args[0], (tuple, list)) and any(isinstance(s, ndarray) for s in args[0]))):
            raise TypeError(f"cupy.{name}: a shape must live on the host, not in a cupy array")
        _check_keywords(name, kwargs)
        return _wrap(np_func(*_unwrap(args, name, host_ok), **_unwrap(kwargs, name, host_ok)), args)

    call.__module__, call.__qualname__ = "cupy", name
    return call


def _lookup(np_namespace, name):
    if name.startswith("__") or name in _MISSING:
        raise AttributeError(f"fake cupy has no attribute {name!r}")
    obj = getattr(np_namespace, name)
    if isinstance(obj, _np.ufunc):
        return ufunc(obj)
    if isinstance(obj, type) or not callable(obj):
        return obj  # dtypes, classes, constants (cupy.float32 is numpy.float32 in CuPy too)
    return _function(obj, name)


class _Namespace:
    """cupy.linalg, cupy.fft, cupy.random: NumPy's, wrapped like the top level."""

    def __init__(self, np_namespace):
        self._np = np_namespace

    def __getattr__(self, name):
        value = _lookup(self._np, name)
        setattr(self, name, value)
        return value


_made = {}  # not in globals(): a generated cupy.sum must not shadow the builtin sum inside this module


def __getattr__(name):
    if name not in _made:
        _made[name] = _lookup(_np, name)
    return _made[name]


def _method(name):
    def call(self, *args, **kwargs):
        _check_keywords(name, kwargs)
        host_ok = name in ("take", "put", "compress", "repeat")
        result = getattr(self._a, name)(*_unwrap(args, f"ndarray.{name}", host_ok),
                                         **_unwrap(kwargs, f"ndarray.{name}", host_ok))
        return _wrap(result, (self,))
    call.__name__ = name
    return call


def _wrap_around(key, shape):
    """CuPy does not bounds-check integer index arrays: an index past the end wraps around (modulo the
    axis length) instead of raising IndexError as NumPy does (cupy.ndarray.__getitem__'s note)."""
    key = [_np.asarray(k) if isinstance(k, list) else k for k in key]
    used = sum(k.ndim if isinstance(k, _np.ndarray) and k.dtype == bool else 1 for k in key
               if k is not None and k is not Ellipsis)
    axis, wrapped = 0, []
    for k in key:
        if isinstance(k, _np.ndarray) and k.dtype.kind in "iu" and shape[axis] > 0:
            k = k % shape[axis]
        wrapped.append(k)
        if k is Ellipsis:
            axis += len(shape) - used
        elif k is not None:
            axis += k.ndim if isinstance(k, _np.ndarray) and k.dtype == bool else 1
    return tuple(wrapped)


class _Flags:
    """CuPy's flags: contiguity and ownership only (no ``writeable``: device arrays cannot be made read-only)."""

    def __init__(self, np_flags):
        self.c_contiguous, self.f_contiguous, self.owndata = np_flags.c_contiguous, np_flags.f_contiguous, \
            np_flags.owndata

    def __getitem__(self, name):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous, "OWNDATA": self.owndata}[name]


def _binary(name, reflected=False):
    def op(self, other):
        if not isinstance(other, (ndarray, _SCALARS, _np.ndarray)):
            return NotImplemented
        u = __getattr__(name)
        return u(other, self) if reflected else u(self, other)
    return op


def _inplace(name):
    def op(self, other):
        __getattr__(name)(self, other, out=self)
        return self
    return op


class ndarray:
    """A "device" array: a NumPy array behind CuPy's rules."""
    __array_priority__ = 100

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._a = _np.empty(shape, _check_dtype(_np.dtype(dtype)), order=order)
        _owners[id(self._a)] = self

    # --- leaving the device: explicit only -------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(_CONVERSION_ERROR)

    def get(self, stream=None, order="C", out=None):
        if out is not None:
            out[...] = self._a
            return out
        return _np.array(self._a, order=order)

    def set(self, arr, stream=None):
        if not isinstance(arr, _np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        self._a[...] = arr

    def item(self, *args):
        return self._a.item(*args)

    def tolist(self):
        return self._a.tolist()

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __bool__(self):
        return bool(self._a)

    def __len__(self):
        if self._a.ndim == 0:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a, spec)

    def __reduce__(self):
        return array, (self.get(),)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    # --- NumPy protocols: dispatch to cupy, which refuses NumPy arrays ----------------------------------
    def __array_ufunc__(self, np_ufunc, method, *inputs, **kwargs):
        cupy_ufunc = __getattr__(np_ufunc.__name__)
        return cupy_ufunc(*inputs, **kwargs) if method == "__call__" else getattr(cupy_ufunc, method)(*inputs,
                                                                                                     **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        module = _np
        for part in func.__module__.split(".")[1:]:
            module = getattr(module, part, None)
        if module is None or func.__name__ in _MISSING or not hasattr(module, func.__name__):
            return NotImplemented
        namespace = _Namespace(module) if module is not _np else None
        cupy_func = getattr(namespace, func.__name__) if namespace else __getattr__(func.__name__)
        return cupy_func(*args, **kwargs)

    # --- attributes -------------------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: _Flags(self._a.flags))
    T = property(lambda self: _wrap(self._a.T))
    mT = property(lambda self: _wrap(self._a.mT))
    real = property(lambda self: _wrap(self._a.real))
    imag = property(lambda self: _wrap(self._a.imag))
    device = property(lambda self: cuda.Device(0))
    data = property(lambda self: cuda.MemoryPointer(self._a.__array_interface__["data"][0]))

    @shape.setter
    def shape(self, new_shape):
        self._a.shape = new_shape

    @property
    def base(self):
        owner = self._a.base
        if owner is None:
            return None
        while isinstance(owner, _np.ndarray) and owner.base is not None:
            owner = owner.base
        if not isinstance(owner, _np.ndarray):
            return None
        return _wrap(owner)

    # --- indexing ---------------------------------------------------------------------------------------
    def _index(self, key):
        key = key if isinstance(key, tuple) else (key,)
        key = tuple(_unwrap(k, "indexing", host_ok=True) for k in key)
        key = key if any(k is Ellipsis for k in key) else key + (Ellipsis,)  # integers give 0-d views
        return _wrap_around(key, self.shape)

    def __getitem__(self, key):
        return _wrap(self._a[self._index(key)])

    def __setitem__(self, key, value):
        key = self._index(key)
        advanced = any(isinstance(k, (_np.ndarray, list)) for k in key)
        if isinstance(value, ndarray):
            value = value._a
        elif not advanced and isinstance(value, _np.ndarray) and value.ndim > 0:
            raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
        elif not advanced and not isinstance(value, (_SCALARS, _np.ndarray)):
            raise TypeError(f"Unsupported type {type(value)} (assigned into a cupy array)")
        self._a[key] = value

    def fill(self, value):
        if isinstance(value, _np.ndarray) and value.ndim > 0:
            raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
        self._a.fill(_operand(value, "fill") if not isinstance(value, _np.ndarray) else value)

    def scatter_add(self, slices, value):
        _scatter(_np.add, self, slices, value, "cupy.ndarray.scatter_add")

    def take(self, indices, axis=None, out=None):  # wraps around, as CuPy's take kernel does
        indices = _unwrap(indices, "ndarray.take", host_ok=True)
        return _wrap(self._a.take(indices, axis=axis, out=_unwrap(out, "ndarray.take"), mode="wrap"))

    def __getattr__(self, name):  # the remaining NumPy methods: astype, reshape, sum, transpose, copy, ...
        if name.startswith("_") or name in ("itemset", "newbyteorder", "ctypes", "setflags", "byteswap"):
            raise AttributeError(f"'cupy.ndarray' object has no attribute {name!r}")
        if not callable(getattr(self._a, name)):
            raise AttributeError(name)
        return functools.partial(_method(name), self)

    __hash__ = None
    __eq__, __ne__ = _binary("equal"), _binary("not_equal")
    __lt__, __le__, __gt__, __ge__ = _binary("less"), _binary("less_equal"), _binary("greater"), _binary(
        "greater_equal")
    __neg__ = lambda self: __getattr__("negative")(self)  # noqa: E731
    __pos__ = lambda self: __getattr__("positive")(self)  # noqa: E731
    __abs__ = lambda self: __getattr__("absolute")(self)  # noqa: E731
    __invert__ = lambda self: __getattr__("invert")(self)  # noqa: E731


for _name, _ufunc_name in [("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "true_divide"),
                           ("floordiv", "floor_divide"), ("mod", "remainder"), ("pow", "power"),
                           ("matmul", "matmul"), ("and", "bitwise_and"), ("or", "bitwise_or"),
                           ("xor", "bitwise_xor"), ("lshift", "left_shift"), ("rshift", "right_shift")]:
    setattr(ndarray, f"__{_name}__", _binary(_ufunc_name))
    setattr(ndarray, f"__r{_name}__", _binary(_ufunc_name, reflected=True))
    setattr(ndarray, f"__i{_name}__", _inplace(_ufunc_name))
ndarray.__divmod__ = _binary("divmod")


# --- the namespace ---------------------------------------------------------------------------------------
def asnumpy(a, stream=None, order="C", out=None):
    return a.get(order=order, out=out) if isinstance(a, ndarray) else _np.asarray(a, order=order)


def get_array_module(*args):
    import cupy
    return cupy if any(isinstance(a, ndarray) for a in args) else _np


def isscalar(element):
    return _np.isscalar(element)


def _not_on_host(*args, **kwargs):
    raise NotImplementedError("the fake cupy runs on the host: it cannot compile or launch CUDA kernels")


def take_along_axis(a, indices, axis):
    """CuPy's builds a fancy index from ``indices``: out-of-bounds entries wrap around."""
    a, indices = _operand(a, "take_along_axis"), _operand(indices, "take_along_axis")
    if axis is None:
        a, axis = a.ravel(), 0
    return _wrap(_np.take_along_axis(a, indices % a.shape[axis] if a.shape[axis] else indices, axis))


ElementwiseKernel = ReductionKernel = RawKernel = RawModule = fuse = _not_on_host
array = _function(_np.array, "array")
asarray = _function(_np.asarray, "asarray")
linalg, fft, random = _Namespace(_np.linalg), _Namespace(_np.fft), _Namespace(_np.random)


class _MemoryPool:
    def used_bytes(self):
        return 0

    total_bytes = used_bytes

    def free_all_blocks(self):
        pass


_pool = _MemoryPool()
get_default_memory_pool = get_default_pinned_memory_pool = lambda: _pool  # noqa: E731

from . import cuda  # noqa: E402  (needs ndarray defined above)
