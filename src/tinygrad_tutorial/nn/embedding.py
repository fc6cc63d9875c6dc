"""Embeddings: a learned vector for each token id, looked up by row.

Looking up rows is the same as multiplying one-hot vectors by the weight matrix,
without building the one-hot vectors. The backward pass is the transpose of the
lookup: each row's gradient is the sum over every position that used it, so an id
that appears twice in a batch gets two contributions.
"""
import numpy as np

from .. import backend
from ..autograd import Function, no_grad
from ..ops import ScatterBack
from ..tensor import Tensor, empty
from . import init
from .module import Module, Parameter


class EmbeddingLookup(Function):
    """out[..., :] = weight[indices[...], :]; the indices are an input (not an option)
    so a traced graph replays with new ones."""

    # only the indices (where each gradient row goes), not the weight
    def read_inputs(self):
        return (1,)

    def forward(self, weight, indices, padding_idx=None):
        rows = weight.shape[0]
        if indices.size and bool((indices.min() < 0) | (indices.max() >= rows)):
            raise IndexError(f"index out of range in self: embedding has {rows} rows, "
                             f"got indices from {int(indices.min())} to "
                             f"{int(indices.max())}")
        self.weight_shape, self.indices = weight.shape, indices
        self.padding_idx = padding_idx
        return weight[indices]

    # scatter-add: repeated ids accumulate; the padding row learns nothing
    def backward(self, grad):
        xp = backend.get_array_module(grad)
        grad_weight = xp.zeros(self.weight_shape, grad.dtype)
        backend.scatter_add(grad_weight, self.indices, grad)
        if self.padding_idx is not None:
            grad_weight[self.padding_idx] = 0
        return grad_weight, None

    def tensor_backward(self, grad):  # the same scatter-add, leaving out the padding id
        indices = self.indices
        if self.padding_idx is not None:
            learns = indices != self.padding_idx
            grad, indices = grad[learns], indices[learns]
        return ScatterBack.apply(grad, shape=self.weight_shape, index=(indices,),
                                 advanced=True), None


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` picked by the integer ids in ``input``: shape input.shape +
    (embedding_dim,)."""
    if not isinstance(input, Tensor) or input.array.dtype not in (np.int64, np.int32):
        what = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"embedding: expected indices of dtype int64 or int32, got "
                           f"{what}")
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    return EmbeddingLookup.apply(weight, input, padding_idx=padding_idx)


def _padding_index(padding_idx, rows):
    if padding_idx is None:
        return None
    if not -rows <= padding_idx < rows:
        raise ValueError(f"padding_idx must be within num_embeddings ({rows}), got "
                         f"{padding_idx}")
    return padding_idx % rows


class Embedding(Module):
    """A (num_embeddings, embedding_dim) table initialised from N(0, 1), as
    PyTorch's."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, device=None,
                 dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding_index(padding_idx, num_embeddings)
        self.weight = Parameter(empty(num_embeddings, embedding_dim, device=device,
                                      dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight)
        # the padding token starts as (and, untrained, stays) zero
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text
