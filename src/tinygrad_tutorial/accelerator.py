"""``tinygrad_tutorial.accelerator``: is there a device to train on besides the CPU? As
``torch.accelerator``, which PyTorch's tutorials use to pick one::

    device = (torch.accelerator.current_accelerator().type
              if torch.accelerator.is_available() else "cpu")
"""
from .backend import cuda_device_count as device_count
from .backend import cuda_is_available as is_available
from .backend import device


def current_accelerator(check_available=False):
    """``device(type='cuda')`` when a GPU can be used, else None (the CPU is not an
    accelerator here)."""
    return device("cuda") if is_available() else None


__all__ = ["is_available", "current_accelerator", "device_count"]
