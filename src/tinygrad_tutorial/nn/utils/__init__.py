"""``nn.utils``: gradient clipping, and ``nn.utils.rnn`` for batches of sequences of
different lengths."""
from . import rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_

__all__ = ["rnn", "clip_grad_norm_", "clip_grad_value_"]
