"""Convolution and max pooling on image batches of shape (N, C, H, W), by im2col.

A convolution slides a small kernel over the image and takes a dot product at
every position. ``Im2Col`` copies every window the kernel visits into one column,
so the whole convolution becomes one matrix product, weight @ columns, which is
the operation BLAS and GPUs are fastest at. Max pooling reuses the same columns
and takes the max of each one.
"""
import math

from .. import backend, ops
from ..autograd import Function
from ..tensor import Tensor, empty
from . import init
from .module import Module, Parameter


class Im2Col(Function):
    """(N, C, H, W) -> (N, C·kh·kw, L): column ``l`` holds the window at output position ``l``
    (PyTorch's ``F.unfold`` layout). Rows run over channels, then kernel rows, then kernel columns."""

    saves_inputs = False  # only shapes

    def forward(self, x, kernel_size, stride, padding, dilation, fill=0):
        xp = backend.get_array_module(x)
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
        n, c, h, w = x.shape
        oh, ow = _output_size((h, w), kernel_size, stride, padding, dilation)
        self.x_shape, self.window = x.shape, (kernel_size, stride, padding, dilation, (oh, ow))
        x = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
        cols = xp.empty((n, c, kh, kw, oh, ow), x.dtype)
        for i in range(kh):  # one strided slice per kernel offset: the pixels that meet weight (i, j)
            for j in range(kw):
                cols[:, :, i, j] = x[:, :, i * dh:i * dh + sh * oh:sh, j * dw:j * dw + sw * ow:sw]
        return cols.reshape(n, c * kh * kw, oh * ow)

    def backward(self, grad):  # col2im: every copy of a pixel sends its gradient back; overlaps add up
        xp = backend.get_array_module(grad)
        (kh, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = self.window
        n, c, h, w = self.x_shape
        cols = grad.reshape(n, c, kh, kw, oh, ow)
        padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), grad.dtype)
        for i in range(kh):
            for j in range(kw):
                padded[:, :, i * dh:i * dh + sh * oh:sh, j * dw:j * dw + sw * ow:sw] += cols[:, :, i, j]
        return padded[:, :, ph:ph + h, pw:pw + w]


def _output_size(size, kernel_size, stride, padding, dilation):
    """⌊(H + 2p - d·(k-1) - 1) / s⌋ + 1 windows fit along each axis."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, s, p, d in zip(size, kernel_size, stride, padding, dilation))


def _pair(value, name):
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return pair


def _windows(x, kernel_size, stride, padding, dilation, what):
    """Check a batch of images and the window options; return them as pairs."""
    if not isinstance(x, Tensor) or x.ndim != 4:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise RuntimeError(f"{what}: expected a 4-D input (N, C, H, W), got {shape}")
    kernel_size, stride = _pair(kernel_size, "kernel_size"), _pair(stride, "stride")
    padding, dilation = _pair(padding, "padding"), _pair(dilation, "dilation")
    if min(kernel_size) < 1 or min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(f"{what}: kernel_size, stride and dilation must be positive and padding non-negative, "
                         f"got kernel_size={kernel_size}, stride={stride}, dilation={dilation}, padding={padding}")
    padded = tuple(n + 2 * p for n, p in zip(x.shape[2:], padding))
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation))
    if any(r > n for r, n in zip(reach, padded)):
        raise RuntimeError(f"{what}: calculated padded input size per channel: ({padded[0]} x {padded[1]}). "
                           f"Kernel size: ({reach[0]} x {reach[1]}). Kernel size can't be greater than actual "
                           f"input size (input shape {tuple(x.shape)})")
    return kernel_size, stride, padding, dilation


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Every window as a column: (N, C, H, W) -> (N, C·kh·kw, L), as ``torch.nn.functional.unfold``."""
    kernel_size, stride, padding, dilation = _windows(input, kernel_size, stride, padding, dilation, "unfold")
    return Im2Col.apply(input, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    """out[n, o] = Σ_c weight[o, c] ⋆ input[n, c] + bias[o], computed as weight @ im2col(input)."""
    if isinstance(input, Tensor) and input.ndim == 3:  # one unbatched image (C, H, W)
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation).squeeze(0)
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: weight must be 4-D (out_channels, in_channels, kh, kw), got {tuple(weight.shape)}")
    out_channels, in_channels, kh, kw = weight.shape
    kernel_size, stride, padding, dilation = _windows(input, (kh, kw), stride, padding, dilation, "conv2d")
    if input.shape[1] != in_channels:
        raise RuntimeError(f"conv2d: weight of size {list(weight.shape)} expects input{list(input.shape)} to have "
                           f"{in_channels} channels, but got {input.shape[1]} channels instead")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"conv2d: input type ({input.dtype}) and weight type ({weight.dtype}) should be the same")
    n = input.shape[0]
    oh, ow = _output_size(input.shape[2:], kernel_size, stride, padding, dilation)
    cols = Im2Col.apply(input, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    out = (weight.reshape(out_channels, -1) @ cols).reshape(n, out_channels, oh, ow)
    if bias is not None:
        out = out + bias.reshape(1, out_channels, 1, 1)
    return out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1):
    """The largest value in each window; its gradient goes to that one element (the first, on ties,
    as PyTorch). Each channel is unfolded on its own, then reduced with ``max`` over the window."""
    if isinstance(input, Tensor) and input.ndim == 3:
        return max_pool2d(input.unsqueeze(0), kernel_size, stride, padding, dilation).squeeze(0)
    stride = kernel_size if stride is None else stride
    kernel_size, stride, padding, dilation = _windows(input, kernel_size, stride, padding, dilation, "max_pool2d")
    if any(2 * p > k for p, k in zip(padding, kernel_size)):
        raise ValueError(f"max_pool2d: pad should be at most half of effective kernel size, but got "
                         f"pad={padding} and kernel_size={kernel_size}")
    n, c, h, w = input.shape
    oh, ow = _output_size((h, w), kernel_size, stride, padding, dilation)
    cols = Im2Col.apply(input.reshape(n * c, 1, h, w), kernel_size=kernel_size, stride=stride, padding=padding,
                        dilation=dilation, fill=-math.inf)  # padding never wins the max
    return ops.Max.apply(cols, axis=1, keepdim=False).reshape(n, c, oh, ow)


class Conv2d(Module):
    """A bank of ``out_channels`` learned filters, each spanning all ``in_channels``."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _pair(kernel_size, "kernel_size"), _pair(stride, "stride")
        self.padding, self.dilation = _pair(padding, "padding"), _pair(dilation, "dilation")
        self.weight = Parameter(empty((out_channels, in_channels) + self.kernel_size, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: U(-1/√fan_in, 1/√fan_in) for the weight and the bias, fan_in = C·kh·kw."""
        init.fan_in_uniform_(self.weight, self.bias)

    def forward(self, input):
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        return text + ("" if self.bias is not None else ", bias=False")


class MaxPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode=False")
