"""``nn.functional``: activations, layers and losses as plain functions of tensors.

Almost everything here is composed from the primitive ops, so autograd gets the
gradients for free. Three get their own op, forward beside backward: ``linear`` and
``mse_loss``, which every step of the seed's training repeats (one graph node each
instead of three and four), and ``binary_cross_entropy``, whose clamped logarithm
(as PyTorch's) needs a guarded gradient at 0 and 1.
"""
import math

import numpy as np

from .. import backend, ops
from .. import dtypes as dt
from ..autograd import Function
from ..random import uniform_array
from ..tensor import Tensor, where

# ---------------------------------------------------------------- activations


def relu(input, inplace=False):  # inplace: accepted so PyTorch code runs; the result is always new
    return input.relu()


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def gelu(input, approximate="none"):
    """x·Φ(x), with Φ the standard normal CDF, Φ(x) = (1 + erf(x/√2))/2. ``approximate="tanh"`` uses
    Φ(x) ≈ (1 + tanh(√(2/π)·(x + 0.044715x³)))/2, the form of the original GPT and BERT code."""
    if approximate == "none":
        return input * 0.5 * (1 + (input * math.sqrt(0.5)).erf())
    if approximate == "tanh":
        inner = (input + 0.044715 * input * input * input) * math.sqrt(2 / math.pi)
        return input * 0.5 * (1 + inner.tanh())
    raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input, inplace=False):  # inplace: accepted, never done (as for every activation below)
    """x·σ(x), also called swish."""
    return input * input.sigmoid()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope·x: negative inputs keep a small gradient."""
    return where(input > 0, input, input * negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """x where x > 0, else α(eˣ - 1). The exponential sees min(x, 0), so a large x never overflows
    into the branch that ``where`` throws away (whose gradient would then be 0·∞ = nan)."""
    return where(input <= 0, input.clamp(max=0).expm1() * alpha, input)  # NaN: as x > 0


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e^(βx))/β, a smooth ReLU; x itself where βx > threshold, where the two agree in float32."""
    scaled = input * beta
    return where(scaled > threshold, input, scaled.clamp(max=threshold).exp().log1p() / beta)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val]. Its gradient is 1 strictly inside and 0 on the bounds, as
    PyTorch's (``clamp``'s is 1 on them), so the clamped values enter as constants."""
    inside = (input > min_val) & (input < max_val)
    return where(inside, input, input.clamp(min_val, max_val).detach())


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0)


def softmax(input, dim=None, dtype=None):
    """e^x / Σ e^x along ``dim``, shifted by the maximum so it never overflows."""
    return _cast(input, dtype).softmax(_required_dim(dim, "softmax"))


def log_softmax(input, dim=None, dtype=None):
    """x - log Σ e^x along ``dim`` (log-sum-exp, so logits of ±1000 are fine)."""
    return _cast(input, dtype).log_softmax(_required_dim(dim, "log_softmax"))


def _required_dim(dim, name):
    if dim is None:
        raise TypeError(f"{name}() needs dim=..., the dimension whose entries should sum to one "
                        "(dim=1 for a batch of rows of logits)")
    return dim


def _cast(input, dtype):
    return input if dtype is None else input.to(dtype)


# ---------------------------------------------------------------- layers
class Linear(Function):
    """One node for y = x Wᵀ + b instead of three (transpose, matmul, add): the layer every
    network is made of, so its graph bookkeeping is worth fusing. ``x @ weight.t() + bias``
    computes the same (the tests check both agree)."""

    read_inputs = ops.read_for_the_others_gradient  # x for W's gradient, W for x's; never the bias

    def forward(self, x, weight, *bias):  # y = x Wᵀ + b, x of shape (..., in), W of shape (out, in)
        self.x, self.weight = x, weight
        out = x @ weight.T
        if bias:
            out += bias[0]  # ``out`` is a fresh array, so adding in place is safe
        return out

    def backward(self, grad):  # dx = g W,  dW = gᵀ x,  db = Σ g  (sums over every batch dimension)
        x, weight = self.inputs[:2]
        rows = grad.reshape(-1, grad.shape[-1])
        grad_x = grad @ self.weight if x.requires_grad else None  # the data usually needs none
        grad_weight = rows.T @ self.x.reshape(-1, self.x.shape[-1]) if weight.requires_grad else None
        grad_bias = (rows.sum(axis=0),) if len(self.inputs) == 3 else ()
        return (grad_x, grad_weight) + grad_bias


def linear(input, weight, bias=None):
    """y = x Wᵀ + b, with W of shape (out_features, in_features)."""
    if weight.ndim != 2 or input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        rows = input.numel() // input.shape[-1] if input.ndim and input.shape[-1] else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1] if input.ndim else 1}"
                           f" and {'x'.join(map(str, reversed(weight.shape)))})")
    for other in (weight, bias):
        if other is not None and other.dtype != input.dtype:
            raise RuntimeError(f"linear: input is {input.dtype} but a parameter is {other.dtype}; convert one "
                               f"(model.to({input.dtype}) or input.to({other.dtype}))")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"linear: bias of shape {tuple(bias.shape)} does not match weight of shape "
                           f"{tuple(weight.shape)} (it needs one entry per output, {weight.shape[0]})")
    return Linear.apply(input, weight, bias) if bias is not None else Linear.apply(input, weight)


def dropout(input, p=0.5, training=True, inplace=False):  # inplace: accepted, never done
    """During training, zero each element with probability p and scale the rest by 1/(1-p),
    so the expected value is unchanged and evaluation needs no rescaling ("inverted dropout")."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    keep = uniform_array(input.shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = (keep * scale).astype(input.array.dtype)
    return input * Tensor(backend.to_device(mask, input.device))


# ---------------------------------------------------------------- losses
_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction; use one of 'mean', 'sum', 'none'")


def _check_same_shape(input, target, name):
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{name}: target size {tuple(target.shape)} is different from input size "
                         f"{tuple(input.shape)}; they must match (a broadcast here would silently compare "
                         "every prediction with every target)")


class MeanSquaredError(Function):
    """One node for the seed's loss instead of four (subtract, square, sum, divide); the tests
    check it against ``((input - target) ** 2).mean()`` built from the primitives."""

    saves_inputs = False  # only a copy, the difference

    def forward(self, input, target, reduction):  # (x - y)², then summed or averaged
        self.diff, self.reduction = input - target, reduction
        squares = self.diff * self.diff
        if reduction == "none":
            return squares
        return squares.sum() if reduction == "sum" else squares.sum() / squares.size  # 4x faster than .mean()

    def backward(self, grad):  # d/dx = 2(x - y)·g (divided by n for the mean), d/dy = -d/dx
        scale = 2.0 / self.diff.size if self.reduction == "mean" else 2.0
        grad_input = (grad * scale) * self.diff
        return grad_input, -grad_input


def mse_loss(input, target, reduction="mean"):
    """Mean squared error: mean((input - target)²)."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "mse_loss")
    if input.array.dtype != target.array.dtype:  # PyTorch's promotion (result_type is slow: only when needed)
        common = dt.result_type(input, target)
        input, target = input.to(common), target.to(common)
    return MeanSquaredError.apply(input, target, reduction=reduction)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of class indices: -input[n, target[n]] (input holds log-probabilities).

    Input is (N, C), (C,) or (N, C, d1, ...) with target (N,), () or (N, d1, ...). With class
    ``weight``s, the mean divides by the total weight of the targets; ``ignore_index`` targets count 0.
    """
    _check_reduction(reduction)
    picked, targets = _target_weights(input, target, weight, ignore_index, "nll_loss")
    return _weighted_sum(_classes_last(input), picked, targets, target.shape, reduction)


class NegativeLogLikelihood(Function):
    """-Σ_c weights[n, c]·log_probs[n, c] for each row n, then reduced: with one-hot ``weights``
    (a constant) it picks -log p of each row's target class. One node instead of five.
    Only the ``counted`` entries enter the sum: a masked class (log p = -inf) that is
    not a target adds 0, not 0 · -inf = nan, as in PyTorch, which picks the targets."""

    saves_inputs = False  # only the weights, an option

    def forward(self, log_probs, weights, counted, reduction, total):
        self.weights, self.reduction, self.total = weights, reduction, total
        xp = backend.get_array_module(log_probs)
        losses = -xp.where(counted, log_probs * weights, 0).sum(axis=1)
        return losses if reduction == "none" else losses.sum() if reduction == "sum" else losses.sum() / total

    def backward(self, grad):  # each row's gradient is -weights[n]·g (divided by the total for a mean)
        if self.reduction == "none":
            grad = grad[:, None]
        elif self.reduction == "mean":
            grad = grad / self.total
        return -self.weights * grad


def _weighted_sum(rows, weights, counted, target_shape, reduction, total=None):
    """NegativeLogLikelihood on (N, C) rows; a mean divides by ``total`` (by default the total weight)."""
    total = weights.sum() if total is None else total
    losses = NegativeLogLikelihood.apply(rows, weights=weights, counted=counted,
                                         reduction=reduction, total=total)
    return losses.reshape(target_shape) if reduction == "none" else losses


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax followed by the negative log-likelihood: -log softmax(input)[target].

    ``target`` holds class indices (integers), or class probabilities (floats, shaped like input).
    ``label_smoothing`` ε mixes the target with the uniform distribution: (1-ε)·onehot + ε/C.
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    log_probs = input.log_softmax(class_dim)
    if target.is_floating_point():
        return _soft_target_cross_entropy(log_probs, target, weight, reduction, label_smoothing)
    picked, targets = _target_weights(input, target, weight, ignore_index,
                                      "cross_entropy")
    rows = _classes_last(log_probs)
    loss = _weighted_sum(rows, picked, targets, target.shape, reduction)
    if label_smoothing == 0.0:
        return loss
    # the uniform part: ε/C · Σ_c -w_c log p_c for every non-ignored target; a mean still divides
    # by the total weight of the targets (as PyTorch), so both parts share the denominator
    xp = backend.get_array_module(rows.array)
    counted = target.array.reshape(-1, 1) != ignore_index  # every class, kept rows
    class_weight = xp.ones(rows.shape[1], rows.array.dtype) if weight is None else weight.array
    uniform = counted * class_weight.astype(rows.array.dtype, copy=False)
    smooth = _weighted_sum(rows, uniform, counted, target.shape, reduction,
                           total=picked.sum())
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / rows.shape[1])


def _soft_target_cross_entropy(log_probs, target, weight, reduction, label_smoothing):
    """-Σ_c target_c·log p_c for targets that are probability vectors; the mean is over samples."""
    _check_same_shape(log_probs, target, "cross_entropy with probability targets")
    class_dim = 0 if log_probs.ndim == 1 else 1
    classes = log_probs.shape[class_dim]
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    terms = log_probs * target
    if weight is not None:
        class_weight = weight.array.astype(terms.array.dtype).reshape((classes,) + (1,) * (terms.ndim - class_dim - 1))
        terms = terms * Tensor(class_weight)
    return _reduce(-terms.sum(class_dim), reduction)


def _classes_last(input):
    """(N, C, d1, ...) -> (N·d1·..., C) and (C,) -> (1, C): one row of class scores per target."""
    if input.ndim == 1:
        return input.reshape(1, -1)
    if input.ndim > 2:
        input = input.permute((0,) + tuple(range(2, input.ndim)) + (1,))
    return input.reshape(-1, input.shape[-1])


def _target_weights(input, target, weight, ignore_index, name):
    """A constant (rows, C) array holding w[target] at each row's target class and 0 elsewhere:
    the one-hot target vectors, scaled by the class weights, zero for ignored targets;
    and the (rows, C) bool array of where the targets are (none in an ignored row)."""
    if target.is_floating_point():
        raise TypeError(f"{name}: expected class indices of an integer dtype (int64), got {target.dtype}")
    expected = (() if input.ndim == 1 else (input.shape[0],) + tuple(input.shape[2:]))
    if tuple(target.shape) != expected:
        raise ValueError(f"{name}: input of shape {tuple(input.shape)} needs a target of shape {expected}, "
                         f"got target of shape {tuple(target.shape)}")
    if target.device != input.device:
        raise RuntimeError(f"{name}: input is on {input.device} but target is on {target.device}")
    xp = backend.get_array_module(input.array)
    classes = input.shape[0 if input.ndim == 1 else 1]
    labels = target.array.reshape(-1)
    kept = labels != ignore_index
    bad = kept & ((labels < 0) | (labels >= classes))
    if bool(bad.any()):
        raise IndexError(f"{name}: Target {int(labels[bad][0])} is out of bounds for {classes} classes")
    labels = xp.where(kept, labels, 0)
    if weight is None:
        values = kept.astype(input.array.dtype)
    else:
        if tuple(weight.shape) != (classes,):
            raise ValueError(f"{name}: weight should have one entry per class ({classes}), got shape "
                             f"{tuple(weight.shape)}")
        values = weight.array.astype(input.array.dtype)[labels] * kept
    rows = xp.arange(labels.shape[0])
    one_hot = xp.zeros((labels.shape[0], classes), dtype=input.array.dtype)
    one_hot[rows, labels] = values
    targets = xp.zeros((labels.shape[0], classes), dtype=bool)
    targets[rows, labels] = kept
    return one_hot, targets


class BinaryCrossEntropy(Function):
    """-(y·log x + (1-y)·log(1-x)), each log clamped at -100 (as PyTorch) so x = 0 or 1 stays finite."""

    def forward(self, x, y):
        xp = backend.get_array_module(x)
        with np.errstate(divide="ignore"):  # log 0 = -inf, clamped just below
            self.log_x = xp.maximum(xp.log(x), -100)
            self.log_1mx = xp.maximum(xp.log(1 - x), -100)
        self.x, self.y = x, y
        return -(y * self.log_x + (1 - y) * self.log_1mx)

    def backward(self, grad):  # d/dx = (x - y) / (x(1-x)), guarded at 0 and 1; d/dy = log(1-x) - log x
        xp = backend.get_array_module(grad)
        x, y = self.x, self.y
        grad_x = grad * (x - y) / xp.maximum(x * (1 - x), 1e-12)
        return grad_x, grad * (self.log_1mx - self.log_x)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """Binary cross-entropy of probabilities ``input`` in [0, 1] against targets in [0, 1]."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "binary_cross_entropy")
    if bool(((input.array < 0) | (input.array > 1)).any()):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1 "
                           "(apply sigmoid first, or use binary_cross_entropy_with_logits on raw scores)")
    loss = BinaryCrossEntropy.apply(input, target.to(input.dtype))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """Sigmoid and binary cross-entropy in one stable formula:
    (1-y)·x + softplus(-x), with softplus(-x) = log(1 + e^-x) = max(-x, 0) + log(1 + e^-|x|),
    which never exponentiates a positive number. ``pos_weight`` multiplies the positive term."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    target = target.to(input.dtype)
    softplus_neg = (-input).maximum(0) + (1 + (-input.abs()).exp()).log()
    if pos_weight is not None:
        softplus_neg = softplus_neg * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def one_hot(tensor, num_classes=-1):
    """Integer class indices -> int64 one-hot vectors along a new last dimension."""
    if tensor.is_floating_point():
        raise RuntimeError(f"one_hot is only applicable to index tensors, got {tensor.dtype}")
    xp, indices = backend.get_array_module(tensor.array), tensor.array
    if indices.size == 0 and num_classes == -1:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if indices.size and int(indices.min()) < 0:  # a negative index would silently give a row of zeros
        raise RuntimeError("Class values must be non-negative.")
    classes = int(indices.max()) + 1 if num_classes == -1 else num_classes
    if indices.size and int(indices.max()) >= classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor((indices[..., None] == xp.arange(classes)).astype(np.int64))


__all__ = ["relu", "sigmoid", "tanh", "gelu", "silu", "leaky_relu", "elu", "softplus", "hardtanh", "relu6",
           "softmax", "log_softmax", "linear", "dropout", "mse_loss", "nll_loss", "cross_entropy",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "one_hot"]

# layers that live in their own modules, re-exported here where PyTorch has them (torch.nn.functional)
from .conv import conv2d, unfold  # noqa: E402
from .padding import pad  # noqa: E402
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: E402
from .embedding import embedding  # noqa: E402
from .normalization import batch_norm, layer_norm  # noqa: E402
from .attention import scaled_dot_product_attention  # noqa: E402  (last: attention.py uses this module)

__all__ += ["conv2d", "unfold", "pad", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "embedding", "layer_norm",
            "batch_norm", "scaled_dot_product_attention"]
