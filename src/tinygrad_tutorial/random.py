"""Random tensors from reproducible streams.

Numbers are drawn on the CPU by NumPy's PCG64 generator and copied to the GPU
when asked for there, so one seed gives the same values on every device. Every
function takes PyTorch's ``generator=``: a ``Generator`` is a stream of its own,
which no other draw advances. The in-place fills (``x.normal_()``, ``x.random_()``,
``x.bernoulli_(p)``, ...) take their values from the ``draw_*`` functions below
and write them with ``copy_``, so they count as in-place writes like any other.
"""
import functools

import numpy as np

from . import autograd, backend
from . import dtypes as dt
from .tensor import (Tensor, _as_tensor, _new, _new_shape, broadcast_shape,
                     get_default_device)


class Generator:
    """A random stream; ``manual_seed(s)`` restarts it."""

    def __init__(self, device="cpu"):
        self.device = backend.device(device)  # as PyTorch's; numbers come from the CPU
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
    values = _rng(generator).standard_normal(tuple(shape), dtype=_drawn_dtype(dtype))
    values = values * std + mean if (mean, std) != (0.0, 1.0) else values
    return values.astype(dtype.numpy, copy=False)  # float16: drawn in float32


def uniform_array(shape, low=0.0, high=1.0, generator=None, dtype=dt.float32):
    values = _rng(generator).random(tuple(shape), dtype=_drawn_dtype(dtype))
    values = values * (high - low) + low if (low, high) != (0.0, 1.0) else values
    return values.astype(dtype.numpy, copy=False)


def _drawn_dtype(dtype):
    """The dtype NumPy draws ``dtype``'s values in: float64 for float64, else float32
    (float16 values are drawn in float32, then converted)."""
    return np.float64 if dtype == dt.float64 else np.float32


def _check_floating(dtype, name, error=NotImplementedError):
    """The continuous distributions fill floating point tensors only (``error``: the
    type of PyTorch's error for it)."""
    if not dtype.is_floating_point:
        raise error(f"{name}: random floats can't be made with dtype {dtype}; use a "
                    "floating point dtype")


def _random(draw, size, dtype, device, requires_grad, generator, name):
    dtype = dt.to_dtype(dtype) if dtype is not None else dt.default_float
    _check_floating(dtype, name)
    host = draw(_new_shape(size), generator=generator, dtype=dtype)
    device = device or get_default_device()
    return Tensor(host).to(device=device).requires_grad_(requires_grad)


def _from_host(values, dtype, device, requires_grad, default=dt.int64):
    """Host-drawn ``values`` as a tensor of ``dtype`` on ``device`` (or the default)."""
    return _new(lambda xp, s, d: xp.asarray(values.astype(d)), (), dtype, device,
                requires_grad, default)


def _host(t):
    """A tensor's values as a NumPy array, to draw from on the CPU."""
    return t.detach().to("cpu").array


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Samples from the standard normal distribution N(0, 1)."""
    return _random(normal_array, size, dtype, device, requires_grad, generator, "randn")


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Samples from the uniform distribution on [0, 1)."""
    return _random(uniform_array, size, dtype, device, requires_grad, generator, "rand")


def randn_like(input, *, generator=None, dtype=None, device=None, requires_grad=False):
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype,
                 device=device or input.device, requires_grad=requires_grad)


def rand_like(input, *, generator=None, dtype=None, device=None, requires_grad=False):
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


# ---------------------------------------------------------------- integers
def _integers(low, high, shape, dtype, generator):
    """Integers drawn uniformly from [low, high), as int64, after PyTorch's checks: the
    range is not empty, and ``dtype`` holds it."""
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    if not dtype.is_floating_point:
        info = np.iinfo(dtype.numpy) if dtype != dt.bool_ else None
        smallest, largest = (info.min, info.max) if info else (0, 1)
        for what, end in (("from", low), ("to - 1", high - 1)):
            if not smallest <= end <= largest:
                raise RuntimeError(f"{what} is out of bounds for {dtype}: {end} is not "
                                   f"in [{smallest}, {largest}]")
    # endpoint=True with high - 1: 2^63 - 1, the top of int64, is reached without 2^63
    return _rng(generator).integers(low, high - 1, size=tuple(shape), dtype=np.int64,
                                    endpoint=True)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)``, int64 unless ``dtype`` says otherwise."""
    if size is None and isinstance(high, (tuple, list)):  # randint(10, (3,))
        low, high, size = 0, low, high
    elif high is None:  # randint(10, size=(3,))
        low, high = 0, low
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint() needs a size, a tuple of ints: randint(high, size) "
                        f"or randint(low, high, size); got size={size!r}")
    dtype = dt.to_dtype(dtype) if dtype is not None else dt.int64
    values = _integers(low, high, _new_shape(size), dtype, generator)
    return _from_host(values, dtype, device, requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None,
                 requires_grad=False):
    """``randint`` in ``input``'s shape, dtype and device: ``randint_like(x, high)`` or
    ``randint_like(x, low, high)``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator,
                   dtype=dtype or input.dtype, device=device or input.device,
                   requires_grad=requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0 .. n-1."""
    _new_shape((n,))
    return _from_host(_rng(generator).permutation(n), dtype, device, requires_grad)


# ---------------------------------------------------------------- tensors of parameters
class RandomDraw(autograd.Function):
    """Values drawn from a distribution the inputs parametrize (a mean and a std, some
    probabilities). No gradient flows through a draw: the inputs get zeros, as in
    PyTorch."""

    saves_inputs = False

    def forward(self, *parameters, values):
        self.parameters = [(p.shape, p.dtype) for p in parameters]
        return values

    def backward(self, grad):
        xp = backend.get_array_module(grad)
        return tuple(xp.zeros(shape, dtype) for shape, dtype in self.parameters)

    def tensor_backward(self, grad):  # zeros still: constants, with no gradient either
        return tuple(Tensor(array) for array in self.backward(grad.array))


class Normal(RandomDraw):
    pass


class Bernoulli(RandomDraw):
    pass


def _check_std(std, name):
    if std < 0:
        raise RuntimeError(f"{name} expects std >= 0.0, but found std {std:g}")


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Samples from N(mean, std²). With a tensor ``mean`` or ``std`` (or both), one per
    element of their broadcast shape, in their dtype, on their device; with two
    numbers, a tensor of ``size``."""
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal(): with a number for both mean and std, give the "
                            "size too: normal(mean, std, size)")
        _check_std(std, "normal")
        draw = functools.partial(normal_array, mean=mean, std=std)
        return _random(draw, size, dtype, device, requires_grad, generator, "normal")
    if size is not None or dtype is not None or device is not None or requires_grad:
        raise TypeError("normal(): size, dtype, device and requires_grad go with a "
                        "number mean and std; a tensor gives its shape, dtype, device")
    for parameter in (mean, std):
        if isinstance(parameter, Tensor):
            _check_floating(parameter.dtype, "normal")
    if not isinstance(std, Tensor):
        _check_std(std, "normal")
    elif bool((std.array < 0).any()):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    like = mean if isinstance(mean, Tensor) else std
    mean, std = _as_tensor(mean, like), _as_tensor(std, like)
    backend.check_same_device([mean.array, std.array], "normal")
    common = dt.result_type(mean, std)
    noise = normal_array(broadcast_shape(mean.shape, std.shape), generator=generator,
                         dtype=common)
    noise = backend.to_device(noise, mean.device)
    mean_values, std_values = (t.array.astype(common.numpy, copy=False)
                               for t in (mean, std))
    return Normal.apply(mean, std, values=mean_values + std_values * noise)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (elementwise), else 0, in ``input``'s dtype; with
    ``p``, every element is 1 with probability ``p``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    _check_floating(input.dtype, "bernoulli")
    p = input.detach() if p is None else p
    values = draw_bernoulli(input, p, generator=generator)
    return Bernoulli.apply(input, values=values.to(input.device).array)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Category indices drawn with probabilities proportional to the weights in
    ``input`` (a row of weights, or one row per draw): int64, of shape (num_samples,)
    or (rows, num_samples).

    Without replacement each category is drawn at most once: each gets an exponential
    arrival time, scaled by 1/weight, and the first ``num_samples`` to arrive win. A
    weight of 0 never arrives: such categories come after all others, as in PyTorch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got a {input.ndim}-D tensor")
    if not input.is_floating_point():
        raise RuntimeError(f"multinomial only supports floating-point dtypes for "
                           f"input, got: {input.dtype}")
    if num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples ({num_samples})")
    categories = input.shape[-1]
    if not replacement and num_samples > categories:
        raise RuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples "
                           f"without replacement ({num_samples} > {categories})")
    weights = np.atleast_2d(_host(input)).astype(np.float64)
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    totals = weights.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities "
                           "<= 0)")
    rng = _rng(generator)
    if replacement:  # inverse CDF: the first category whose cumulative weight passes u
        cdf = np.cumsum(weights / totals, axis=1)
        cdf[:, -1] = 1.0  # no rounding gap at the top
        draws = rng.random((len(weights), num_samples))
        picks = np.stack([np.searchsorted(row, u, side="right")
                          for row, u in zip(cdf, draws)])
    else:
        with np.errstate(divide="ignore"):
            arrival = rng.standard_exponential(weights.shape) / weights  # weight 0: inf
        picks = np.argsort(arrival, axis=1, kind="stable")[:, :num_samples]
    picks = picks.reshape(num_samples) if input.ndim == 1 else picks
    return _from_host(picks, dt.int64, input.device, False)


# ---------------------------------------------------------------- in-place fills
def draw_normal(x, mean=0.0, std=1.0, *, generator=None):
    """``x.normal_(mean, std)``: samples from N(mean, std²) of x's shape and dtype."""
    _check_floating(x.dtype, "normal_")
    _check_std(std, "normal_")
    return Tensor(normal_array(x.shape, mean, std, generator, x.dtype))


def draw_uniform(x, a=0.0, b=1.0, *, generator=None):
    """``x.uniform_(a, b)``: samples from the uniform distribution on [a, b)."""
    _check_floating(x.dtype, "uniform_")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={a:g} > to={b:g}")
    return Tensor(uniform_array(x.shape, a, b, generator, x.dtype))


_MANTISSA_BITS = {dt.float16: 11, dt.float32: 24, dt.float64: 53}


def draw_random(x, *bounds, to=None, generator=None):
    """``x.random_(to)``: integers in [0, to); ``x.random_(from, to)``: in [from, to);
    ``x.random_()``: from 0 to the largest integer x's dtype holds, every one below it
    too (2^24 for float32, 2^63 - 1 for int64)."""
    if len(bounds) > 2 or (len(bounds) == 2 and to is not None):
        raise TypeError("random_() takes random_(), random_(to) or random_(from, to)")
    if len(bounds) == 2:
        low, high = bounds
    elif bounds:  # random_(to), or random_(from, to=...)
        low, high = (0, bounds[0]) if to is None else (bounds[0], to)
    else:
        low, high = 0, to
    if high is None:  # one past the largest integer
        if x.dtype.is_floating_point:
            high = 2 ** _MANTISSA_BITS[x.dtype] + 1
        else:
            high = 2 if x.dtype == dt.bool_ else int(np.iinfo(x.dtype.numpy).max) + 1
    return Tensor(_integers(low, high, x.shape, x.dtype, generator))


def draw_exponential(x, lambd=1.0, *, generator=None):
    """``x.exponential_(lambd)``: waiting times of rate ``lambd`` (mean 1/lambd)."""
    _check_floating(x.dtype, "exponential_", RuntimeError)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found "
                           f"lambda={lambd:g}")
    return Tensor(_rng(generator).exponential(1 / lambd, tuple(x.shape)))


def draw_geometric(x, p, *, generator=None):
    """``x.geometric_(p)``: the number of tries up to the first success (1, 2, ...),
    each a success with probability ``p``."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    return Tensor(_rng(generator).geometric(p, tuple(x.shape)))


def draw_cauchy(x, median=0.0, sigma=1.0, *, generator=None):
    """``x.cauchy_(median, sigma)``: a ratio of normals, heavy-tailed (with no mean)."""
    _check_floating(x.dtype, "cauchy_", RuntimeError)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    return Tensor(median + sigma * _rng(generator).standard_cauchy(tuple(x.shape)))


def draw_log_normal(x, mean=1.0, std=2.0, *, generator=None):
    """``x.log_normal_(mean, std)``: exp of samples from N(mean, std²)."""
    _check_floating(x.dtype, "log_normal_")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return Tensor(_rng(generator).lognormal(mean, std, tuple(x.shape)))


def draw_bernoulli(x, p=0.5, *, generator=None):
    """``x.bernoulli_(p)``: 1 with probability ``p`` (a number, or a tensor that
    broadcasts to x's shape), else 0."""
    if isinstance(p, Tensor):
        p = _host(p.expand(x.shape))
        if not ((p >= 0) & (p <= 1)).all():
            raise RuntimeError("bernoulli: every probability must be in [0, 1] "
                               "(Expected p_in >= 0 && p_in <= 1)")
    elif not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return Tensor((_rng(generator).random(tuple(x.shape)) < p).astype(x.dtype.numpy))
