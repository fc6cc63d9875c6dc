"""Batches of sequences of different lengths, for the recurrent layers.

A padded batch stores every sequence at the length of the longest, zeros after its
end. A ``PackedSequence`` stores only the real steps, time-major: with the sequences
sorted longest first, the ones still running at step t are the first
``batch_sizes[t]``, and ``data`` holds their inputs at step 0, then at step 1, and
so on. An RNN given a packed batch runs each sequence exactly as long as it is: its
final state is the state at its own last step.

    lengths 3, 1, 2             a0 a1 a2     data         a0 c0 b0  a1 c1  a2
    (sorted: a, c, b)           c0 c1  .     batch_sizes   3         2      1
                                b0  .  .

Packing and padding are slicing and concatenation, so gradients flow back through both.
"""
from collections import namedtuple

import numpy as np

from ... import dtypes as dt
from ...tensor import Tensor, cat, stack, tensor
from ..padding import pad


def invert_permutation(permutation):
    """The permutation that undoes ``permutation``."""
    return None if permutation is None else permutation.argsort()


_Fields = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices",
                                        "unsorted_indices"])


class PackedSequence(_Fields):
    """``data`` (sum of the lengths, *) and ``batch_sizes`` (an int64 CPU tensor, one
    entry per step). ``sorted_indices`` says which sequence of the original batch went
    where when sorting by length (None if it came sorted), ``unsorted_indices`` puts
    them back."""

    def __new__(cls, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The data moved or cast; the indices follow it to its device (``batch_sizes``
        stays on the CPU)."""
        return self._with_data(self.data.to(*args, **kwargs))

    def cpu(self):
        return self._with_data(self.data.cpu())

    def cuda(self, device=None):
        return self._with_data(self.data.cuda(device))

    def _with_data(self, data):
        if data is self.data:
            return self
        sorted_indices, unsorted_indices = (None if i is None else i.to(data.device)
                                            for i in (self.sorted_indices,
                                                      self.unsorted_indices))
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    @property
    def is_cuda(self):
        return self.data.is_cuda


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *), or (B, T, *) with ``batch_first``, of sequences of
    ``lengths``. With ``enforce_sorted`` they must come longest first; otherwise the
    batch is sorted here (and ``sorted_indices`` records how)."""
    lengths = lengths.tolist() if isinstance(lengths, Tensor) else lengths
    lengths = np.asarray(lengths).astype(np.int64)
    batch_dim = 0 if batch_first else 1
    batch, steps = input.shape[batch_dim], input.shape[1 - batch_dim]
    if lengths.ndim != 1 or len(lengths) != batch:
        raise RuntimeError("Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lengths.size} (batch_size={batch})")
    if (lengths <= 0).any():
        raise RuntimeError("Length of all samples has to be greater than 0, but found "
                           "an element in 'lengths' that is <= 0")
    if lengths.max() > steps:
        raise RuntimeError(f"pack_padded_sequence: lengths {lengths.tolist()} include "
                           f"one longer than the padded sequences, of {steps} steps "
                           f"(input of shape {tuple(input.shape)}, "
                           f"batch_first={batch_first})")
    sorted_indices = None
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise RuntimeError("`lengths` array must be sorted in decreasing order "
                               "when `enforce_sorted` is True. You can pass "
                               "`enforce_sorted=False` to pack_padded_sequence and/or "
                               "pack_sequence to sidestep this requirement if you do "
                               "not need ONNX exportability.")
    else:  # longest first; ties keep their order
        sorted_indices = tensor(lengths).argsort(descending=True).to(input.device)
        lengths = lengths[sorted_indices.cpu().numpy()]
        input = input[(slice(None),) * batch_dim + (sorted_indices,)]
    if batch_first:
        input = input.transpose(0, 1)
    batch_sizes = [int((lengths > t).sum()) for t in range(lengths[0])]
    data = cat([input[t, :running] for t, running in enumerate(batch_sizes)])
    batch_sizes = tensor(batch_sizes, dtype=dt.int64, device="cpu")  # as PyTorch's
    return PackedSequence(data, batch_sizes, sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0,
                        total_length=None):
    """Undo ``pack_padded_sequence``: the padded batch, in the original order, and the
    lengths. ``total_length`` pads to that many steps instead of the longest's."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError("pad_packed_sequence: expected a PackedSequence, got "
                        f"{type(sequence).__name__}")
    data, batch_sizes, _, unsorted_indices = sequence
    batch_sizes = batch_sizes.tolist()
    steps = len(batch_sizes)
    if total_length is not None and total_length < steps:
        raise ValueError("Expected total_length to be at least the length of the "
                         "longest sequence in input, but got "
                         f"total_length={total_length} and max sequence length being "
                         f"{steps}")
    batch, feature_pads = batch_sizes[0], (0, 0) * (data.ndim - 1)
    rows = [pad(step, feature_pads + (0, batch - len(step)), value=padding_value)
            for step in data.split(batch_sizes)]
    later_steps = (0, 0, 0, (total_length or steps) - steps)
    padded = pad(stack(rows), feature_pads + later_steps, value=padding_value)
    lengths = tensor([sum(n > b for n in batch_sizes) for b in range(batch)],
                     dtype=dt.int64, device="cpu")
    if unsorted_indices is not None:
        padded, lengths = padded[:, unsorted_indices], lengths[unsorted_indices.cpu()]
    return (padded.transpose(0, 1) if batch_first else padded), lengths


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Tensors (L_i, *) padded with ``padding_value`` to the longest L and stacked:
    (L, B, *), or (B, L, *) with ``batch_first``."""
    if padding_side not in ("left", "right"):
        raise ValueError("Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]
    for i, s in enumerate(sequences):
        if s.shape[1:] != first.shape[1:]:
            raise RuntimeError("pad_sequence: the sequences must agree in every "
                               "dimension but the first: sequence 0 has shape "
                               f"{tuple(first.shape)}, sequence {i} {tuple(s.shape)}")
    longest, feature_pads = max(len(s) for s in sequences), (0, 0) * (first.ndim - 1)

    def padding(s):
        missing = longest - len(s)
        return (0, missing) if padding_side == "right" else (missing, 0)

    padded = [pad(s, feature_pads + padding(s), value=padding_value) for s in sequences]
    return stack(padded, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted=True):
    """Pack tensors (L_i, *): ``pad_sequence``, then ``pack_padded_sequence``."""
    lengths = [len(s) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)
