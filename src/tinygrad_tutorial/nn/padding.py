"""Padding: ``pad`` grows a tensor at its borders, as ``torch.nn.functional.pad``.

Constant padding glues blocks of one value to each side (a concatenation). The other
modes fill the border with the tensor's own elements, so each is an index map: along a
dimension of size n, output position i (running from -before to n + after - 1) reads
input element

    reflect    i mirrored at 0 and at n-1, the edge not repeated:  2 1 | 0 1 2 3 | 2 1
    replicate  the nearest edge:                                   0 0 | 0 1 2 3 | 3 3
    circular   i mod n, the tensor wraps around:                   2 3 | 0 1 2 3 | 0 1

Indexing supplies the gradient: the copies of one element add their gradients up.
"""
import numpy as np

from ..tensor import cat, full

INDEX_MAPS = {
    "reflect": lambda i, n: (n - 1) - np.abs((n - 1) - np.abs(i)),
    "replicate": lambda i, n: np.clip(i, 0, n - 1),
    "circular": lambda i, n: i % n,
}


def pad(input, pad, mode="constant", value=None):
    """``pad`` lists (before, after) amounts from the last dimension backwards, as in
    PyTorch: (left, right, top, bottom) pads the width, then the height. A negative
    amount crops."""
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2, got "
                           f"{len(pad)} values {tuple(pad)}")
    dims = len(pad) // 2
    if dims > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times "
                           "the input dimension but got padding length "
                           f"{len(pad)} and input of dimension {input.ndim}")
    if mode != "constant":
        _check_mode(input, dims, mode, value)
    for i in range(dims):
        dim, before, after = input.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]
        if before < 0 or after < 0:  # crop first, then pad what is left
            kept = slice(max(-before, 0), input.shape[dim] + min(after, 0))
            input = input[(slice(None),) * dim + (kept,)]
            before, after = max(before, 0), max(after, 0)
        if mode == "constant":
            input = _constant_pad(input, dim, before, after,
                                  0 if value is None else value)
        else:
            size = input.shape[dim]
            if mode == "reflect" and max(before, after) >= size:
                raise RuntimeError(
                    "Padding size should be less than the corresponding input "
                    f"dimension, but got: padding ({before}, {after}) at dimension "
                    f"{dim} of input {list(input.shape)}")
            if mode == "circular" and max(before, after) > size:
                raise RuntimeError(
                    "Padding value causes wrapping around more than once: padding "
                    f"({before}, {after}) at dimension {dim} of input "
                    f"{list(input.shape)}")
            index = INDEX_MAPS[mode](np.arange(-before, size + after), size)
            input = input[(slice(None),) * dim + (index,)]
    return input


def _check_mode(input, dims, mode, value):
    if mode not in INDEX_MAPS:
        raise NotImplementedError(f"Unrecognised padding mode {mode!r} (use "
                                  "'constant', 'reflect', 'replicate' or 'circular')")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if not 1 <= dims <= 3 or input.ndim not in (dims + 1, dims + 2):
        raise NotImplementedError(
            f"Padding size {2 * dims} is not supported for {input.ndim}D input "
            f"tensor (mode {mode!r} pads the last 1, 2 or 3 dimensions of a (batch "
            "of) channels-first tensors)")


def _constant_pad(x, dim, before, after, value):
    """``before`` and ``after`` copies of ``value`` on either side of dimension
    ``dim``."""
    if before == after == 0:
        return x

    def block(n):
        shape = tuple(x.shape[:dim]) + (n,) + tuple(x.shape[dim + 1:])
        return full(shape, value, dtype=x.dtype, device=x.device)

    return cat([block(before), x, block(after)], dim)
