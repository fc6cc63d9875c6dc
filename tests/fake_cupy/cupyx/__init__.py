"""``cupyx`` of the fake CuPy (see ``cupy.__doc__``): ``scatter_add`` with CuPy's dtype rules."""
import cupy


def scatter_add(a, slices, value):
    """``a[slices] += value`` with repeated indices adding up; CuPy's ``cupyx.scatter_add``."""
    if not isinstance(a, cupy.ndarray):
        raise TypeError(f"cupyx.scatter_add needs a cupy array, got {type(a)}")
    a.scatter_add(slices, value)


def errstate(**kwargs):
    import numpy
    return numpy.errstate(**kwargs)
