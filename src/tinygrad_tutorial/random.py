"""Random tensors from reproducible streams.

Numbers are drawn on the CPU by NumPy's PCG64 generator and copied to the GPU
when asked for there, so one seed gives the same values on every device.
"""
import numpy as np

from . import dtypes as dt
from .tensor import Tensor, _new, _shape_arg, get_default_device


class Generator:
    """A random stream; ``manual_seed(s)`` restarts it."""

    def __init__(self, device="cpu"):
        self._seed = 0
        self.rng = np.random.default_rng(0)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        return self.manual_seed(np.random.SeedSequence().entropy % 2**63).initial_seed()


default_generator = Generator().manual_seed(np.random.SeedSequence().entropy % 2**63)


def manual_seed(seed):
    """Seed the default stream: the same seed gives the same tensors."""
    return default_generator.manual_seed(seed)


def initial_seed():
    return default_generator.initial_seed()


def _rng(generator):
    return (generator or default_generator).rng


def normal_array(shape, mean=0.0, std=1.0, generator=None, dtype=dt.float32):
    values = _rng(generator).standard_normal(tuple(shape), dtype=np.float64 if dtype == dt.float64 else np.float32)
    return (values * std + mean).astype(dtype.numpy, copy=False) if (mean, std) != (0.0, 1.0) else values


def uniform_array(shape, low=0.0, high=1.0, generator=None, dtype=dt.float32):
    values = _rng(generator).random(tuple(shape), dtype=np.float64 if dtype == dt.float64 else np.float32)
    return (values * (high - low) + low).astype(dtype.numpy, copy=False) if (low, high) != (0.0, 1.0) else values


def _random(draw, size, dtype, device, requires_grad, generator):
    dtype = dt.to_dtype(dtype) if dtype is not None else dt.default_float
    if not dtype.is_floating_point:
        raise TypeError(f"random floats can't be made with dtype {dtype}")
    host = draw(_shape_arg(size), generator=generator, dtype=dtype)
    return Tensor(host).to(device=device or get_default_device()).requires_grad_(requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Samples from the standard normal distribution N(0, 1)."""
    return _random(normal_array, size, dtype, device, requires_grad, generator)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Samples from the uniform distribution on [0, 1)."""
    return _random(uniform_array, size, dtype, device, requires_grad, generator)


def randn_like(x, dtype=None, device=None, requires_grad=False):
    return randn(x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def rand_like(x, dtype=None, device=None, requires_grad=False):
    return rand(x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None, generator=None):
    """Integers drawn uniformly from [low, high)."""
    if high is None:
        low, high = 0, low
    values = _rng(generator).integers(low, high, size=tuple(_shape_arg((size,))))
    return _new(lambda xp, s, d: xp.asarray(values.astype(d)), (), dtype, device, False, dt.int64)


def randperm(n, dtype=None, device=None, generator=None):
    """A random permutation of 0 .. n-1."""
    values = _rng(generator).permutation(n)
    return _new(lambda xp, s, d: xp.asarray(values.astype(d)), (), dtype, device, False, dt.int64)


def normal(mean, std, size, generator=None, dtype=None, device=None):
    values = normal_array(_shape_arg((size,)), mean, std, generator)
    device = device or get_default_device()
    return Tensor(values).to(dtype or dt.default_float, device=device)
