"""Convolution on image batches of shape (N, C, H, W), by im2col.

A convolution slides a small kernel over the image and takes a dot product at
every position. ``Im2Col`` copies every window the kernel visits into one column,
so the whole convolution becomes one matrix product, weight @ columns, which is
the operation BLAS and GPUs are fastest at. Pooling (``pooling.py``) reuses the
same columns and reduces each one.
"""
from .. import backend
from ..autograd import Function
from ..tensor import Tensor, empty
from . import init
from .module import Module, Parameter
from .padding import pad

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class Im2Col(Function):
    """(N, C, H, W) -> (N, C·kh·kw, L): column ``l`` holds the window at output
    position ``l`` (PyTorch's ``F.unfold`` layout). Rows run over channels, then kernel
    rows, then kernel columns."""

    saves_inputs = False  # only shapes

    def forward(self, x, kernel_size, stride, padding, dilation, fill=0):
        self.x_shape, self.window = x.shape, (kernel_size, stride, padding, dilation)
        return im2col(x, *self.window, fill)

    # col2im: every copy of a pixel sends its gradient back; overlaps add up
    def backward(self, grad):
        return col2im(grad, self.x_shape, *self.window)

    def tensor_backward(self, grad):
        return Col2Im.apply(grad, x_shape=self.x_shape, window=self.window)


class Col2Im(Function):
    """Im2Col's backward as an op, so that it can be differentiated in turn: each column
    added back onto the pixels its window covers. It is linear, and its own backward is
    Im2Col again (the padding Im2Col filled in is a constant: 0 here)."""

    saves_inputs = False

    def forward(self, cols, x_shape, window):
        self.window = window
        return col2im(cols, x_shape, *window)

    def backward(self, grad):
        return im2col(grad, *self.window)

    def tensor_backward(self, grad):
        kernel_size, stride, padding, dilation = self.window
        return Im2Col.apply(grad, kernel_size=kernel_size, stride=stride,
                            padding=padding, dilation=dilation)


def im2col(x, kernel_size, stride, padding, dilation, fill=0):
    """Every window of the (N, C, H, W) array ``x``, padded with ``fill``, as a
    column."""
    xp = backend.get_array_module(x)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    n, c, h, w = x.shape
    oh, ow = _output_size((h, w), kernel_size, stride, padding, dilation)
    x = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    cols = xp.empty((n, c, kh, kw, oh, ow), x.dtype)
    for i in range(kh):  # one strided slice per kernel offset: the pixels that meet
        for j in range(kw):  # weight (i, j)
            cols[:, :, i, j] = x[:, :, i * dh:i * dh + sh * oh:sh,
                                 j * dw:j * dw + sw * ow:sw]
    return cols.reshape(n, c * kh * kw, oh * ow)


def col2im(cols, x_shape, kernel_size, stride, padding, dilation):
    """The columns of ``im2col`` added back into an array of ``x_shape``, each onto the
    pixels of its window."""
    xp = backend.get_array_module(cols)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    n, c, h, w = x_shape
    oh, ow = _output_size((h, w), kernel_size, stride, padding, dilation)
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    padded = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, i * dh:i * dh + sh * oh:sh,
                   j * dw:j * dw + sw * ow:sw] += cols[:, :, i, j]
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
        raise ValueError(f"{what}: kernel_size, stride and dilation must be positive "
                         f"and padding non-negative, got kernel_size={kernel_size}, "
                         f"stride={stride}, dilation={dilation}, padding={padding}")
    padded = tuple(n + 2 * p for n, p in zip(x.shape[2:], padding))
    reach = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation))
    if any(r > n for r, n in zip(reach, padded)):
        raise RuntimeError(f"{what}: calculated padded input size per channel: "
                           f"({padded[0]} x {padded[1]}). Kernel size: ({reach[0]} x "
                           f"{reach[1]}). Kernel size can't be greater than actual "
                           f"input size (input shape {tuple(x.shape)})")
    return kernel_size, stride, padding, dilation


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Every window as a column: (N, C, H, W) -> (N, C·kh·kw, L), as
    ``torch.nn.functional.unfold``."""
    kernel_size, stride, padding, dilation = _windows(input, kernel_size, stride,
                                                      padding, dilation, "unfold")
    return Im2Col.apply(input, kernel_size=kernel_size, stride=stride, padding=padding,
                        dilation=dilation)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """out[n, o] = Σ_c weight[o, c] ⋆ input[n, c] + bias[o], computed as
    weight @ im2col(input).

    With ``groups`` = g the channels form g independent groups: output channel o sees
    only the C/g input channels of its group, so the product is batched over the
    groups."""
    if isinstance(input, Tensor) and input.ndim == 3:  # one unbatched image (C, H, W)
        batch = input.unsqueeze(0)
        return conv2d(batch, weight, bias, stride, padding, dilation, groups).squeeze(0)
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: weight must be 4-D (out_channels, in_channels / "
                           f"groups, kh, kw), got {tuple(weight.shape)}")
    out_channels, _, kh, kw = weight.shape
    padding, extra = (_string_padding(padding, (kh, kw), stride, dilation)
                      if isinstance(padding, str) else (padding, (0, 0)))
    kernel_size, stride, padding, dilation = _windows(input, (kh, kw), stride, padding,
                                                      dilation, "conv2d")
    _check_weight(input, weight, bias, groups)
    # "same" with an even kernel: the odd row and column of zeros go last, as in PyTorch
    if extra != (0, 0):
        input = pad(input, (0, extra[1], 0, extra[0]))
    n = input.shape[0]
    oh, ow = _output_size(input.shape[2:], kernel_size, stride, padding, dilation)
    cols = Im2Col.apply(input, kernel_size=kernel_size, stride=stride, padding=padding,
                        dilation=dilation)
    # rows run over channels first: each group's rows are adjacent
    cols = cols.reshape(n, groups, -1, oh * ow)
    kernels = weight.reshape(groups, out_channels // groups, -1)
    out = (kernels @ cols).reshape(n, out_channels, oh, ow)
    if bias is not None:
        out = out + bias.reshape(1, out_channels, 1, 1)
    return out


def _string_padding(padding, kernel_size, stride, dilation, error=RuntimeError):
    """padding="valid" is none; "same" keeps H and W: d·(k-1) in all, half before and
    the rest after. Returns the padding on both sides and what the side after gets in
    addition."""
    if padding not in ("valid", "same"):
        raise error(f"Invalid padding string {padding!r}, should be one of "
                    f"{{'valid', 'same'}}")
    if padding == "valid":
        return (0, 0), (0, 0)
    if _pair(stride, "stride") != (1, 1):
        raise error("padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel_size, _pair(dilation, "dilation"))]
    return tuple(t // 2 for t in total), tuple(t % 2 for t in total)


def _check_weight(input, weight, bias, groups):
    """PyTorch's checks of a convolution's groups, channels, dtype and bias, with its
    wording."""
    if not isinstance(groups, int) or groups < 1:
        raise RuntimeError(f"conv2d: non-positive groups is not supported, got "
                           f"groups={groups}")
    if weight.shape[0] % groups:
        raise RuntimeError(f"conv2d: Given groups={groups}, expected weight to be "
                           f"divisible by {groups} at dimension 0, but got weight of "
                           f"size {list(weight.shape)} instead")
    if input.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"conv2d: Given groups={groups}, weight of size "
                           f"{list(weight.shape)}, expected input{list(input.shape)} "
                           f"to have {weight.shape[1] * groups} channels, but got "
                           f"{input.shape[1]} channels instead")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"conv2d: input type ({input.dtype}) and weight type "
                           f"({weight.dtype}) should be the same")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"conv2d: Given weight of size {list(weight.shape)}, "
                           f"expected bias to be 1-dimensional with {weight.shape[0]} "
                           f"elements, but got bias of size {list(bias.shape)} instead")


class Conv2d(Module):
    """A bank of ``out_channels`` learned filters, each spanning the in_channels /
    groups channels of its group: all of them when groups=1, one each when groups ==
    in_channels (a depthwise convolution). ``padding_mode`` other than "zeros" pads
    with ``pad`` first, then convolves without padding."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__()
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"groups must be a positive integer, got {groups!r}")
        for name, channels in (("in_channels", in_channels),
                               ("out_channels", out_channels)):
            if channels % groups:
                raise ValueError(f"{name} must be divisible by groups, got "
                                 f"{name}={channels} and groups={groups}")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, but got "
                             f"padding_mode={padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.groups = groups
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.dilation, self.padding_mode = _pair(dilation, "dilation"), padding_mode
        if isinstance(padding, str):
            _string_padding(padding, self.kernel_size, self.stride, self.dilation,
                            error=ValueError)
            self.padding = padding
        else:
            self.padding = _pair(padding, "padding")
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: U(-1/√fan_in, 1/√fan_in) for the weight and the bias,
        fan_in = C/groups·kh·kw."""
        init.fan_in_uniform_(self.weight, self.bias)

    def forward(self, input):
        if self.padding_mode == "zeros":
            return conv2d(input, self.weight, self.bias, self.stride, self.padding,
                          self.dilation, self.groups)
        padded = pad(input, self._pad_amounts(), mode=self.padding_mode)
        return conv2d(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                      self.groups)

    def _pad_amounts(self):
        """The padding as ``pad`` takes it: (left, right, top, bottom)."""
        if isinstance(self.padding, str):
            (ph, pw), (eh, ew) = _string_padding(self.padding, self.kernel_size,
                                                 self.stride, self.dilation)
        else:
            (ph, pw), (eh, ew) = self.padding, (0, 0)
        return pw, pw + ew, ph, ph + eh

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        text += "" if self.bias is not None else ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text
