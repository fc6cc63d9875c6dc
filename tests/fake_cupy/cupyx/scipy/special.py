"""``cupyx.scipy.special`` of the fake CuPy: ``erf`` (computed on the host with ``math.erf``), taking and giving
cupy arrays only, as CuPy's kernel does."""
import math

import cupy
import numpy

_erf_each = numpy.frompyfunc(math.erf, 1, 1)


def erf(x):
    if not isinstance(x, cupy.ndarray):
        raise TypeError(f"Unsupported type {type(x)} (cupyx.scipy.special.erf takes cupy arrays)")
    host = x.get()
    dtype = host.dtype if host.dtype.kind == "f" else numpy.float64
    return cupy.asarray(numpy.asarray(_erf_each(host), dtype=dtype))
