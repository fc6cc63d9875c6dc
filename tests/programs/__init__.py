"""This repository's own PyTorch-style programs, in the style of teaching material.

Each program is a function ``program(torch, print, ...)`` written against PyTorch's API,
so that tests/test_programs_both_ways.py can run it once with real ``torch`` and once
with ``import tinygrad_tutorial as torch`` and compare what the two runs print. What a
program returns (an accuracy, a final loss) is compared as a property, not digit for
digit.

The helpers here keep the two runs comparable on any CPU and BLAS:

- random starting points come from NumPy (``NumpyDraws``, ``numpy_parameters``), the
  same numbers in both runs whatever each library's own random stream is;
- trajectories run in float64 (``torch.set_default_dtype(torch.float64)`` in the
  program): the two libraries add in different orders, and in float32 those rounding
  differences grow over a long training run by as much as the kernels OpenBLAS picks for
  the CPU decide, while in float64 they stay many orders of magnitude under the
  tolerance;
- a float32 run is compared only over its first few steps."""

import functools
import math
import re

import numpy as np


class Printed(list):
    """What a program prints, one string per ``print`` call."""

    def __call__(self, *values):
        self.append(" ".join(str(v) for v in values))


class NumpyDraws:
    """``randn``/``rand`` with NumPy's numbers, in the default dtype, so both libraries
    draw the same."""

    def __init__(self, torch, seed=0):
        self.torch, self.rng = torch, np.random.default_rng(seed)

    def _tensor(self, values, requires_grad):
        return self.torch.tensor(
            values, dtype=self.torch.get_default_dtype(), requires_grad=requires_grad
        )

    def randn(self, *shape, requires_grad=False):
        return self._tensor(self.rng.standard_normal(shape), requires_grad)

    def rand(self, *shape, requires_grad=False):
        return self._tensor(self.rng.random(shape), requires_grad)


def numpy_parameters(torch, model, seed=0):
    """Overwrite every parameter with NumPy draws from PyTorch's default U(-1/√fan_in,
    1/√fan_in), in the parameter's own dtype."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for param in model.parameters():
            shape = tuple(param.shape)
            fan_in = math.prod(shape[1:]) if len(shape) > 1 else shape[0]
            bound = 1 / math.sqrt(fan_in)
            param.copy_(
                torch.tensor(rng.uniform(-bound, bound, shape), dtype=param.dtype)
            )
    return model


def accelerator_or_cpu(torch):
    """The device a PyTorch script picks: the current accelerator if there is one, else
    the CPU."""
    if torch.accelerator.is_available():
        return torch.accelerator.current_accelerator().type
    return "cpu"


@functools.cache
def digits():
    """scikit-learn's bundled 8x8 digits (no download): images in [0, 1] as float64
    (1797, 8, 8) and the labels as int64 (read once; the programs only read them)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images / 16.0, bunch.target.astype(np.int64)


# ---------------------------------------------------------------- comparing the prints
NUMBER = re.compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?")
# A graph node as each library prints it: PyTorch's names carry an overload number and,
# printed alone, an address; the package's are plain. Where the package composes an op
# from another primitive than PyTorch's, the node has another name: OUR_NODE_NAMES maps
# them.
NODE = re.compile(
    r"<(\w+?)(?:Backward\d*)? object at 0x[0-9a-f]+>"
    r"|<(\w+?)Backward\d*>|<(AccumulateGrad)>"
)
OUR_NODE_NAMES = {
    "Linear": "Addmm",
    "MeanSquaredError": "MseLoss",
    "NegativeLogLikelihood": "NllLoss",
    "Reshape": "View",
}
# they differ where only the package sees a GPU
DEVICE_CHOICE = re.compile(r"^Using \w+ device$")
CUDA_ARG = re.compile(r", device='cuda:\d+'|device='cuda:\d+', ")


def _node(match):
    name = next(group for group in match.groups() if group)
    return f"<{OUR_NODE_NAMES.get(name, name)} node>"


def normalized(line, ours):
    """A printed line with graph nodes named alike (in ours, the package's names as
    PyTorch's)."""
    if ours:
        line = line.replace("tinygrad_tutorial", "torch")
    return NODE.sub(_node, line)


def last_digit(number):
    """One unit of the last printed digit of a float (0 for an integer)."""
    mantissa, _, exponent = number.partition("e")
    if "." not in mantissa:
        return 0.0
    return 10.0 ** (int(exponent or 0) - len(mantissa.split(".")[1]))


def assert_same_output(ours, theirs, rtol, atol=0.0):
    """The same lines, each number within ``atol + rtol·|theirs|`` (and one unit of its
    last printed digit, for rounding at the edge)."""
    assert len(ours) == len(theirs), (ours, theirs)
    for line_ours, line_theirs in zip(ours, theirs):
        line_ours = normalized(line_ours, ours=True)
        line_theirs = normalized(line_theirs, ours=False)
        if DEVICE_CHOICE.match(line_ours) and DEVICE_CHOICE.match(line_theirs):
            continue
        if "device=" not in line_theirs:  # the package found a GPU, PyTorch none
            line_ours = CUDA_ARG.sub("", line_ours)
        same_words = NUMBER.sub("#", line_ours) == NUMBER.sub("#", line_theirs)
        assert same_words, (line_ours, line_theirs)
        numbers = zip(NUMBER.findall(line_ours), NUMBER.findall(line_theirs))
        for number_ours, number_theirs in numbers:
            a, b = float(number_ours), float(number_theirs)
            tolerance = atol + rtol * abs(b) + last_digit(number_theirs)
            assert abs(a - b) <= tolerance, (
                f"{number_ours} != {number_theirs}\n"
                f" ours: {line_ours}\ntorch: {line_theirs}"
            )
