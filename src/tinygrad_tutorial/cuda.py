"""``tinygrad_tutorial.cuda``: ask whether a GPU can be used, as ``torch.cuda`` does."""
from .backend import cuda_device_count as device_count
from .backend import cuda_is_available as is_available

__all__ = ["is_available", "device_count"]
