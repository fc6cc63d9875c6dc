"""Devices and array modules: the one place where CPU and GPU differ.

A tensor on ``cpu`` keeps its values in a NumPy array, a tensor on ``cuda`` in a
CuPy array. CuPy mirrors NumPy's API, so every op is written once against an
array module ``xp``; the few functions CuPy spells differently live here.
"""
import functools
import math

import numpy as np


class device:
    """Where a tensor lives: ``device("cpu")``, ``device("cuda")``,
    ``device("cuda:0")``."""

    def __init__(self, spec="cpu"):
        if isinstance(spec, device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError("device must be a string like 'cpu' or 'cuda:0', "
                            f"got {spec!r}")
        kind, _, index = spec.partition(":")
        if kind not in ("cpu", "cuda") or (index and not index.isdigit()):
            raise RuntimeError("Expected one of 'cpu', 'cuda', 'cuda:N' device type, "
                               f"got {spec!r}")
        if kind == "cpu" and index not in ("", "0"):
            raise RuntimeError(f"cpu device has no index, got {spec!r}")
        self.type = kind
        self.index = int(index or 0) if kind == "cuda" else None

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return (isinstance(other, device)
                and (self.type, self.index) == (other.type, other.index))

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"


CPU = device("cpu")


@functools.lru_cache(maxsize=None)
def _cupy_or_reason():
    """Import CuPy and find a GPU; return (cupy, None) or (None, why not)."""
    try:
        import cupy
    except Exception as error:  # ImportError, or a broken CUDA install
        return None, (f"CuPy is not installed ({error}); install it with "
                      "`pip install -e '.[cuda]'` in the repository (CUDA 12)")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # no driver, no device
        return None, f"CuPy found no usable GPU driver ({error})"
    if count == 0:
        return None, "CuPy is installed but no GPU was found"
    return cupy, None


def cuda_is_available():
    """True when a CUDA GPU can be used. Never raises."""
    return _cupy_or_reason()[0] is not None


def cuda_device_count():
    cupy, _ = _cupy_or_reason()
    return cupy.cuda.runtime.getDeviceCount() if cupy is not None else 0


def _cuda_module_and_index(dev):
    """CuPy and the GPU index meant by ``dev``: None (GPU 0), an int, ``"cuda:1"`` or a
    ``device``."""
    dev = device(f"cuda:{dev}") if isinstance(dev, int) else device(dev or "cuda")
    if dev.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {dev}")
    return array_module(dev), dev.index


def cuda_synchronize(dev=None):
    """Wait until the GPU has finished every op queued on it: CuPy returns from an op
    as soon as it is queued, so a timing without this measures the queueing, not the
    work."""
    cupy, index = _cuda_module_and_index(dev)
    with cupy.cuda.Device(index):
        cupy.cuda.runtime.deviceSynchronize()


def cuda_get_device_name(dev=None):
    cupy, index = _cuda_module_and_index(dev)
    name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else name


def array_module(dev):
    """NumPy for the CPU, CuPy for a GPU (raising with the reason if there is none)."""
    if dev.type == "cpu":
        return np
    cupy, reason = _cupy_or_reason()
    if cupy is None:
        raise RuntimeError(f"device {dev} was requested but CUDA is not available: "
                           f"{reason}")
    if dev.index >= cupy.cuda.runtime.getDeviceCount():
        raise RuntimeError(f"device {dev} was requested but only "
                           f"{cuda_device_count()} GPU(s) exist")
    return cupy


def is_gpu_array(obj):
    """A CuPy array? (Checked by module name, so CuPy need not be imported.)"""
    return type(obj).__module__.startswith("cupy")


def device_of(array):
    """The device an array lives on."""
    if isinstance(array, np.ndarray) or np.isscalar(array):
        return CPU
    return device(f"cuda:{array.device.id}")


def same_device(a, b):
    """Whether two arrays live on one device (two NumPy arrays: decided at once)."""
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return True
    return device_of(a) == device_of(b)


def check_same_device(arrays, op):
    """Raise, naming both devices, unless all ``arrays`` live on one device. ``op`` is
    the op's name, or the op (named only when there is an error to report)."""
    first = arrays[0]
    for other in arrays:
        if type(other) is np.ndarray and type(first) is np.ndarray:
            continue  # both on the CPU: the common case, decided without device objects
        if device_of(other) != device_of(first):
            name = op if isinstance(op, str) else type(op).__name__
            raise RuntimeError(f"Expected all tensors to be on the same device, but "
                               f"found at least two devices, {device_of(first)} and "
                               f"{device_of(other)} (in {name})")


def to_device(array, dev):
    """Copy ``array`` to ``dev`` (no copy when it is already there)."""
    if device_of(array) == dev:
        return array
    if dev.type == "cpu":
        return array.get()
    cupy = array_module(dev)
    with cupy.cuda.Device(dev.index):
        return cupy.asarray(array)


def get_array_module(array):
    return np if isinstance(array, np.ndarray) else array_module(device_of(array))


def is_view_of(view, array):
    """Whether ``view`` reuses ``array``'s memory. A view's ``base`` is the array that
    owns the memory (NumPy and CuPy both point views of views at the owner); a copy
    owns its memory, or has another base."""
    owner = array if array.base is None else array.base
    return view.base is not None and view.base is owner


def check_index_bounds(index, shape):
    """Raise IndexError, as NumPy does, where an integer index array of ``index`` (a
    tuple as for ``a[index]``) points past its axis of ``shape``. CuPy checks no
    bounds: it wraps such an index around (``a[[3]]`` of 3 elements reads ``a[0]``),
    so a GPU tensor would quietly read or write the wrong element."""
    if not any(is_gpu_array(item) for item in index):
        return  # NumPy checks by itself
    # how many axes of the array each entry indexes
    spans = [0 if item is None or item is Ellipsis
             else item.ndim if getattr(item, "dtype", None) == bool
             else 1
             for item in index]
    axis = 0
    for item, span in zip(index, spans):
        if item is Ellipsis:
            span = len(shape) - sum(spans)  # the axes no other entry names
        elif is_gpu_array(item) and item.dtype.kind in "iu" and axis < len(shape):
            outside = (item >= shape[axis]) | (item < -shape[axis])
            if outside.any():  # one device synchronization
                bad = int(item.ravel()[outside.ravel().argmax()])
                raise IndexError(f"index {bad} is out of bounds for axis {axis} "
                                 f"with size {shape[axis]}")
        axis += span


def scatter_add(target, index, values):
    """``target[index] += values`` where repeated indices add up (NumPy and CuPy spell
    it differently)."""
    if isinstance(target, np.ndarray):
        np.add.at(target, index, values)
    else:
        import cupyx

        cupyx.scatter_add(target, index, values)


_erf_each = np.frompyfunc(math.erf, 1, 1)


def erf(array):
    """The error function, elementwise. NumPy has none, so each element goes through
    ``math.erf`` (C's erf, exact to the last bit but some 40x slower than ``np.tanh``);
    CuPy has a GPU kernel for it."""
    if isinstance(array, np.ndarray):
        return np.asarray(_erf_each(array), dtype=array.dtype)
    from cupyx.scipy.special import erf as erf_kernel

    return erf_kernel(array)
