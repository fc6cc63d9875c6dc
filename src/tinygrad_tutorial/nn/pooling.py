"""Pooling: each window of an image batch (N, C, H, W) summarised by one number.

Max and average pooling reuse the convolution's im2col (``Im2Col``): every window of a
channel becomes one column, reduced with ``max`` or ``sum``. The channels are pooled one
by one, so they join the batch dimension first. Adaptive average pooling chooses the
windows from the output size instead; an average is linear, so it is two products with
fixed matrices.
"""
import math

import numpy as np

from .. import backend, ops
from ..tensor import Tensor, tensor
from .conv import Im2Col, _windows
from .module import Module
from .padding import pad


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The largest value in each window; its gradient goes to that one element (the
    first, on ties, as PyTorch). Padding is -inf, so it never wins. ``return_indices``
    also gives where each maximum sits in its input plane, as the flat index
    row·W + column."""
    if isinstance(input, Tensor) and input.ndim == 3:  # one unbatched image (C, H, W)
        result = max_pool2d(input.unsqueeze(0), kernel_size, stride, padding, dilation,
                            ceil_mode, return_indices)
        if return_indices:
            return tuple(r.squeeze(0) for r in result)
        return result.squeeze(0)
    kernel_size, stride, padding, dilation, size = _pooling_windows(
        input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    n, c, h, w = input.shape
    cols = _columns(input, kernel_size, stride, padding, dilation, size, fill=-math.inf)
    out = ops.Max.apply(cols, axis=1, keepdim=False).reshape(n, c, *size)
    if not return_indices:
        return out
    positions = _positions_of_maxima(cols, kernel_size, stride, padding, dilation,
                                     size, w)
    return out, positions.reshape(n, c, *size)


def _positions_of_maxima(cols, kernel_size, stride, padding, dilation, size, width):
    """Window (i, j) starts at (i·sh - ph, j·sw - pw); its element k is kernel offset
    divmod(k, kw)."""
    xp = backend.get_array_module(cols.array)
    (_, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    (dh, dw), (oh, ow) = dilation, size
    # the same (first) maximum that ``Max`` picks
    offset = cols.array.argmax(axis=1).reshape(-1, oh, ow)
    rows = xp.arange(oh)[:, None] * sh - ph + (offset // kw) * dh
    columns = xp.arange(ow)[None, :] * sw - pw + (offset % kw) * dw
    return Tensor((rows * width + columns).astype(np.int64))


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean of each window. The zero padding counts in the divisor unless
    count_include_pad=False; the part of a window that ceil_mode lets run past the
    padding never counts (as PyTorch)."""
    if isinstance(input, Tensor) and input.ndim == 3:
        return avg_pool2d(input.unsqueeze(0), kernel_size, stride, padding, ceil_mode,
                          count_include_pad, divisor_override).squeeze(0)
    kernel_size, stride, padding, dilation, size = _pooling_windows(
        input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    n, c, h, w = input.shape
    cols = _columns(input, kernel_size, stride, padding, dilation, size, fill=0)
    sums = cols.sum(1).reshape(n, c, *size)
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("avg_pool2d: divisor must be not zero")
        return sums / divisor_override
    counts = np.outer(*(_window_lengths(*axis, count_include_pad)
                        for axis in zip((h, w), size, kernel_size, stride, padding)))
    return sums / tensor(counts, dtype=input.dtype, device=input.device)


def _window_lengths(length, windows, kernel, stride, padding, count_padding):
    """How many elements each window along one axis averages: those up to the padded
    border, or only the input's own."""
    start = np.arange(windows) * stride - padding
    stop = np.minimum(start + kernel, length + padding)
    if not count_padding:
        start, stop = np.maximum(start, 0), np.minimum(stop, length)
    return stop - start


def _pooling_windows(input, kernel_size, stride, padding, dilation, ceil_mode, what):
    """The options as pairs (stride defaults to the kernel size), checked, and the
    output size."""
    stride = kernel_size if stride is None else stride
    kernel_size, stride, padding, dilation = _windows(input, kernel_size, stride,
                                                      padding, dilation, what)
    if any(2 * p > k for p, k in zip(padding, kernel_size)):
        raise RuntimeError(f"{what}: pad should be at most half of kernel size, "
                           f"but got pad={padding} and kernel_size={kernel_size}")
    axes = zip(input.shape[2:], kernel_size, stride, padding, dilation)
    size = tuple(_pooled_length(*axis, ceil_mode) for axis in axes)
    return kernel_size, stride, padding, dilation, size


def _pooled_length(length, kernel, stride, padding, dilation, ceil_mode):
    """⌊(L + 2p - d(k-1) - 1) / s⌋ + 1 windows, or ⌈...⌉ + 1 with ceil_mode,
    which lets a last, partial window hang over the border, except one that would
    start in the right padding (PyTorch's rule)."""
    span = length + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    windows = -(-span // stride) + 1
    return windows - 1 if (windows - 1) * stride >= length + padding else windows


def _columns(input, kernel_size, stride, padding, dilation, size, fill):
    """(N, C, H, W) -> (N·C, kh·kw, L): each channel's windows as columns, padded with
    ``fill`` (also where a ceil_mode window hangs over the padded border)."""
    n, c, h, w = input.shape
    overhang = [max(0, (windows - 1) * s + d * (k - 1) + 1 - (length + 2 * p))
                for windows, s, d, k, length, p
                in zip(size, stride, dilation, kernel_size, (h, w), padding)]
    x = input.reshape(n * c, 1, h, w)
    if any(overhang):
        x = pad(x, (0, overhang[1], 0, overhang[0]), value=fill)
    return Im2Col.apply(x, kernel_size=kernel_size, stride=stride, padding=padding,
                        dilation=dilation, fill=fill)


def adaptive_avg_pool2d(input, output_size):
    """Output (i, j) averages input rows ⌊i·H/oh⌋ to ⌈(i+1)·H/oh⌉ - 1 and the
    columns chosen the same way (PyTorch's bins; they overlap when oh does not
    divide H). As matrices: rows @ input @ columnsᵀ."""
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        shape = list(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError("adaptive_avg_pool2d(): Expected 3D or 4D tensor, "
                           f"but got {shape}")
    sizes = ((output_size, output_size) if isinstance(output_size, int)
             else tuple(output_size))
    if len(sizes) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2, "
                           f"got {output_size!r}")
    h, w = input.shape[-2:]
    oh, ow = (n if size is None else size for n, size in zip((h, w), sizes))
    rows, columns = _bin_averages(h, oh, input), _bin_averages(w, ow, input)
    return rows @ input @ columns.transpose(0, 1)


def _bin_averages(length, bins, like):
    """(bins, length): row i is 1/count on the elements of bin i, 0 elsewhere."""
    start = np.arange(bins) * length // bins
    stop = -(-(np.arange(bins) + 1) * length // bins)
    position = np.arange(length)
    inside = (position >= start[:, None]) & (position < stop[:, None])
    return tensor(inside / (stop - start)[:, None], dtype=like.dtype,
                  device=like.device)


class MaxPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding,
                          self.dilation, self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, "
                f"ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding,
                          self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}")


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, whatever the input's (``None`` keeps
    that dimension)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
