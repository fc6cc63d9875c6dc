"""tinygrad_tutorial: a small PyTorch, built to be read.

``import tinygrad_tutorial as torch`` runs most beginner PyTorch code. The
package is laid out one concept per module, in the order the book teaches them:

- ``tensor.py``   the Tensor and the functions that create tensors
- ``printing.py`` how a tensor prints (PyTorch's layout)
- ``dtypes.py``   dtypes and PyTorch's promotion rules
- ``backend.py``  devices: NumPy on the CPU, CuPy on a GPU
- ``autograd.py`` the dynamic graph, ``backward()`` and ``no_grad``
- ``custom_function.py`` ``autograd.Function`` subclasses in PyTorch's ctx style
- ``ops.py``      the primitive ops, each forward beside its backward
- ``random.py``   seeded random tensors
- ``legacy.py``   older spellings: ``autograd.Variable``, ``FloatTensor`` and its kin
- ``viz.py``      drawing the graph behind a tensor; listing source (``show_source``)
- ``linalg.py``   ``torch.linalg``: norms, inv, solve, det
- ``nn``, ``optim``, ``utils.data``: layers, losses, optimizers and data loading
- ``serialization.py`` ``save`` and ``load``: tensors and state_dicts to a file and back
- ``jit.py``      tracing a function into a static graph (``jit.trace``)
- ``distributed.py`` process groups and collectives on MPI (``torch.distributed``)
"""
from . import accelerator, cuda
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import device
from .dtypes import (bool_ as bool, dtype, float16, float32, float64, int8, int16,
                     int32, int64, uint8)
from .dtypes import get_default_dtype, set_default_dtype
from .functions import *  # noqa: F401,F403  (exp, sum, relu, matmul, ...)
from .functions import is_tensor, isclose
from .gradcheck import gradcheck
from .legacy import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,
                     HalfTensor, IntTensor, LongTensor, ShortTensor)
from .random import (Generator, bernoulli, default_generator, initial_seed, manual_seed,
                     multinomial, normal, rand, rand_like, randint, randint_like, randn,
                     randn_like, randperm)
from .serialization import load, save
from .tensor import (Size, Tensor, arange, as_tensor, cat, concatenate, empty,
                     empty_like, eye, from_numpy, full, full_like, get_default_device,
                     linspace, ones, ones_like, set_default_device, stack, tensor,
                     where, zeros, zeros_like)

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16

__version__ = "0.1.0"


def __getattr__(name):  # submodules that import more than NumPy load on first use
    if name in ("nn", "optim", "utils", "viz", "jit", "linalg", "distributed"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tinygrad_tutorial' has no attribute '{name}'")
