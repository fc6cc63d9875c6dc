"""``tinygrad_tutorial.cuda``: ask whether a GPU can be used, and wait for it, as
``torch.cuda`` does."""
from .backend import cuda_device_count as device_count
from .backend import cuda_get_device_name as get_device_name
from .backend import cuda_is_available as is_available
from .backend import cuda_synchronize as synchronize

__all__ = ["is_available", "device_count", "get_device_name", "synchronize"]


def __getattr__(name):  # torch.cuda.FloatTensor and its kin (see legacy.py)
    from .legacy import CUDA_TENSOR_TYPES

    if name in CUDA_TENSOR_TYPES:
        return CUDA_TENSOR_TYPES[name]
    raise AttributeError(f"module 'tinygrad_tutorial.cuda' has no attribute '{name}'")
