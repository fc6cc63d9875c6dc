"""Normalization layers: rescale features to mean 0 and variance 1, then let the layer
learn its own scale and shift. Layer norm takes the statistics over each sample's
features; batch norm takes them per channel, over the batch (and every position).

Composed from tensor ops (mean, subtraction, sqrt, division), so autograd derives
the backward pass; the tests compare them with PyTorch's fused kernels.
"""
import numbers

from .. import dtypes as dt
from ..autograd import no_grad
from ..tensor import empty, ones, tensor, zeros
from . import init
from .module import Module, Parameter


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / √(var + eps) · weight + bias, with mean and the biased variance
    taken over the last ``len(normalized_shape)`` dimensions of each sample."""
    normalized_shape = _shape(normalized_shape)
    trailing = tuple(input.shape[input.ndim - len(normalized_shape):])
    if input.ndim < len(normalized_shape) or trailing != normalized_shape:
        expected = ", ".join(map(str, normalized_shape))
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with "
            f"shape [*, {expected}], but got input of size {list(input.shape)}")
    _, centered, variance = _statistics(input, tuple(range(-len(normalized_shape), 0)))
    return _normalize(centered, variance, eps, weight, bias)


def _statistics(input, dims):
    """The mean over ``dims``, the input minus it, and the biased variance (dims kept,
    to broadcast back)."""
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    return mean, centered, (centered * centered).mean(dims, keepdim=True)


def _normalize(centered, variance, eps, weight, bias):
    """centered / √(variance + eps), then · weight + bias where they are given: what
    both norms end with."""
    out = centered / (variance + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _shape(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return (normalized_shape,)
    return tuple(normalized_shape)


class LayerNorm(Module):
    """Normalizes the trailing ``normalized_shape``; weight starts at 1, bias at 0."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.normalized_shape, self.eps = _shape(normalized_shape), eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, device=device,
                                          dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(empty(self.normalized_shape, device=device,
                                        dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias,
                          self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """(x - mean) / √(var + eps) · weight + bias for each channel (dimension 1), with
    mean and variance taken over the batch and every position (all dimensions but 1).

    Training uses the batch's own mean and biased variance, and moves the running
    statistics ``momentum`` of the way towards them (the variance there unbiased: it
    estimates the data's). Evaluation uses the running statistics, so one sample's
    output no longer depends on the others in its batch.
    """
    if input.ndim < 2:
        raise ValueError("batch_norm: expected an input of shape (N, C, ...), "
                         f"got {input.ndim}D input")
    channels = input.shape[1]
    for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
        if stat is not None and stat.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not "
                               f"{stat.numel()}")
    for name, other in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        if other is not None and other.dtype != input.dtype:
            raise RuntimeError(f"batch_norm: input is {input.dtype} but {name} is "
                               f"{other.dtype}; convert one (model.to({input.dtype}) "
                               f"or input.to({other.dtype}))")
    dims = (0,) + tuple(range(2, input.ndim))  # every dimension but the channels'
    # the shape that makes a (C,) vector broadcast over the input
    per_channel = (1, channels) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // channels  # values per channel
        if count == 1:
            raise ValueError("Expected more than 1 value per channel when training, "
                             f"got input size {input.shape}")
        mean, centered, variance = _statistics(input, dims)
        if running_mean is not None:
            _move_towards(running_mean, mean.reshape(channels), momentum)
        if running_var is not None:
            unbiased = variance.reshape(channels) * (count / (count - 1))
            _move_towards(running_var, unbiased, momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var are needed in "
                               "evaluation mode (training=False)")
        centered = input - running_mean.reshape(per_channel)
        variance = running_var.reshape(per_channel)
    return _normalize(centered, variance, eps,
                      None if weight is None else weight.reshape(per_channel),
                      None if bias is None else bias.reshape(per_channel))


def _move_towards(running, batch_value, momentum):
    """running ← (1 - momentum)·running + momentum·batch_value, in place and outside
    the graph."""
    with no_grad():
        running.mul_(1 - momentum).add_(batch_value * momentum)


class _BatchNorm(Module):
    """Batch norm over channel dimension 1; the subclasses check the number of input
    dimensions.

    ``running_mean``, ``running_var`` and ``num_batches_tracked`` are buffers: saved in
    the state_dict and moved by ``to()``, but not learned. ``momentum=None`` makes the
    running statistics a plain cumulative average of every batch seen so far.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(empty(num_features, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(empty(num_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean",
                                 zeros(num_features, device=device, dtype=dtype))
            self.register_buffer("running_var",
                                 ones(num_features, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked",
                                 tensor(0, dtype=dt.int64, device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        self._check_input_dim(input)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # the n-th batch weighs 1/n: a cumulative average
                momentum = 1.0 / int(self.num_batches_tracked)
        # batch statistics while training, or in evaluation without running ones
        use_batch_stats = self.training or (self.running_mean is None
                                            and self.running_var is None)
        # running statistics go in to be used (evaluation) or updated (tracked training)
        pass_running = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if pass_running else None,
                          self.running_var if pass_running else None, self.weight,
                          self.bias, use_batch_stats, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm of (N, C) features or (N, C, L) sequences, per channel C."""

    def _check_input_dim(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch norm of (N, C, H, W) images, per channel C (over the batch and pixels)."""

    def _check_input_dim(self, input):
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input)")
