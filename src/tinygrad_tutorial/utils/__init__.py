"""``tinygrad_tutorial.utils``: ``utils.data`` for datasets and batching."""
from . import data

__all__ = ["data"]
