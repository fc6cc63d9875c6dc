"""``nn.functional``: activations, layers and losses as plain functions of tensors.

Almost everything here is composed from the primitive ops, so autograd gets the
gradients for free. Three get their own op, forward beside backward: ``linear`` and
``mse_loss``, which every step of the seed's training repeats (one graph node each
instead of three and four), and ``binary_cross_entropy``, whose clamped logarithm
(as PyTorch's) needs a guarded gradient at 0 and 1.
"""
import math
import warnings

import numpy as np

from .. import backend, ops
from .. import dtypes as dt
from ..autograd import Function
from ..random import uniform_array
from ..tensor import Tensor, _expect_tensor, broadcast_shape, where

# ---------------------------------------------------------------- activations


def relu(input, inplace=False):
    _expect_tensor(input, "relu", "input", 1)
    return input.relu_() if inplace else input.relu()


def sigmoid(input):
    _expect_tensor(input, "sigmoid", "input", 1)
    return input.sigmoid()


def tanh(input):
    _expect_tensor(input, "tanh", "input", 1)
    return input.tanh()


def gelu(input, approximate="none"):
    """x·Φ(x), with Φ the standard normal CDF, Φ(x) = (1 + erf(x/√2))/2.
    ``approximate="tanh"`` uses Φ(x) ≈ (1 + tanh(√(2/π)·(x + 0.044715x³)))/2, the form
    of the original GPT and BERT code."""
    _expect_tensor(input, "gelu", "input", 1)
    if approximate == "none":
        return input * 0.5 * (1 + (input * math.sqrt(0.5)).erf())
    if approximate == "tanh":
        inner = (input + 0.044715 * input * input * input) * math.sqrt(2 / math.pi)
        return input * 0.5 * (1 + inner.tanh())
    raise RuntimeError("approximate argument must be either none or tanh.")


# inplace: accepted, never done (as for every activation below)
def silu(input, inplace=False):
    """x·σ(x), also called swish."""
    _expect_tensor(input, "silu", "input", 1)
    return input * input.sigmoid()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope·x: negative inputs keep a small gradient."""
    _expect_tensor(input, "leaky_relu", "input", 1)
    return where(input > 0, input, input * negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """x where x > 0, else α(eˣ - 1). The exponential sees min(x, 0), so a large x never
    overflows into the branch that ``where`` throws away (whose gradient would then be
    0·∞ = nan)."""
    _expect_tensor(input, "elu", "input", 1)
    return where(input <= 0, input.clamp(max=0).expm1() * alpha, input)  # NaN: as x > 0


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e^(βx))/β, a smooth ReLU; x itself where βx > threshold, where the two
    agree in float32."""
    _expect_tensor(input, "softplus", "input", 1)
    scaled = input * beta
    smooth = scaled.clamp(max=threshold).exp().log1p() / beta
    return where(scaled > threshold, input, smooth)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val]. Its gradient is 1 strictly inside and 0 on the
    bounds, as PyTorch's (``clamp``'s is 1 on them), so the clamped values enter as
    constants."""
    _expect_tensor(input, "hardtanh", "input", 1)
    inside = (input > min_val) & (input < max_val)
    return where(inside, input, input.clamp(min_val, max_val).detach())


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    _expect_tensor(input, "relu6", "input", 1)
    return hardtanh(input, 0.0, 6.0)


def softmax(input, dim=None, dtype=None):
    """e^x / Σ e^x along ``dim``, shifted by the maximum so it never overflows."""
    _expect_tensor(input, "softmax", "input", 1)
    return _cast(input, dtype).softmax(_required_dim(dim, "softmax"))


def log_softmax(input, dim=None, dtype=None):
    """x - log Σ e^x along ``dim`` (log-sum-exp, so logits of ±1000 are fine)."""
    _expect_tensor(input, "log_softmax", "input", 1)
    return _cast(input, dtype).log_softmax(_required_dim(dim, "log_softmax"))


def _required_dim(dim, name):
    if dim is None:
        raise TypeError(f"{name}() needs dim=..., the dimension whose entries should "
                        "sum to one (dim=1 for a batch of rows of logits)")
    return dim


def _cast(input, dtype):
    return input if dtype is None else input.to(dtype)


# ---------------------------------------------------------------- layers
class Linear(Function):
    """One node for y = x Wᵀ + b instead of three (transpose, matmul, add): the layer
    every network is made of, so its graph bookkeeping is worth fusing.
    ``x @ weight.t() + bias`` computes the same (the tests check both agree)."""

    # x for W's gradient, W for x's; never the bias
    read_inputs = ops.read_for_the_others_gradient

    # y = x Wᵀ + b, x of shape (..., in), W of shape (out, in)
    def forward(self, x, weight, *bias):
        self.x, self.weight = x, weight
        out = x @ weight.T
        if bias:
            out += bias[0]  # ``out`` is a fresh array, so adding in place is safe
        return out

    # dx = g W,  dW = gᵀ x,  db = Σ g  (sums over every batch dimension); the data
    # usually needs no gradient
    def backward(self, grad):
        x, weight = self.inputs[:2]
        rows = grad.reshape(-1, grad.shape[-1])
        grad_x = grad @ self.weight if x.requires_grad else None
        grad_weight = (rows.T @ self.x.reshape(-1, self.x.shape[-1])
                       if weight.requires_grad else None)
        grad_bias = (rows.sum(axis=0),) if len(self.inputs) == 3 else ()
        return (grad_x, grad_weight) + grad_bias

    def tensor_backward(self, grad):
        x, weight = self.inputs[:2]
        rows = grad.reshape(-1, grad.shape[-1])
        grad_x = grad @ weight if x.requires_grad else None
        grad_weight = (rows.mT @ x.reshape(-1, x.shape[-1])
                       if weight.requires_grad else None)
        grad_bias = (rows.sum(0),) if len(self.inputs) == 3 else ()
        return (grad_x, grad_weight) + grad_bias


def linear(input, weight, bias=None):
    """y = x Wᵀ + b, with W of shape (out_features, in_features)."""
    _expect_tensor(input, "linear", "input", 1)
    _expect_tensor(weight, "linear", "weight", 2)
    x, w = input.array, weight.array  # checked on the arrays: this runs for every layer
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]:
        rows = input.numel() // input.shape[-1] if input.ndim and input.shape[-1] else 1
        columns = input.shape[-1] if input.ndim else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({rows}x{columns} and "
                           f"{'x'.join(map(str, reversed(weight.shape)))})")
    for other in (weight, bias):
        if other is not None and other.array.dtype != x.dtype:
            raise RuntimeError(f"linear: input is {input.dtype} but a parameter is "
                               f"{other.dtype}; convert one (model.to({input.dtype}) "
                               f"or input.to({other.dtype}))")
    if bias is not None and bias.array.shape != (w.shape[0],):
        raise RuntimeError(f"linear: bias of shape {tuple(bias.shape)} does not match "
                           f"weight of shape {tuple(weight.shape)} (it needs one entry "
                           f"per output, {weight.shape[0]})")
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)


def dropout(input, p=0.5, training=True, inplace=False):  # inplace: accepted, not done
    """During training, zero each element with probability p and scale the rest by
    1/(1-p), so the expected value is unchanged and evaluation needs no rescaling
    ("inverted dropout")."""
    _expect_tensor(input, "dropout", "input", 1)
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
        raise ValueError(f"{reduction} is not a valid value for reduction; use one of "
                         "'mean', 'sum', 'none'")


def _check_same_shape(input, target, name):
    _expect_tensor(input, name, "input", 1)
    _expect_tensor(target, name, "target", 2)
    if input.array.shape != target.array.shape:
        raise ValueError(f"{name}: target size {tuple(target.shape)} is different from "
                         f"input size {tuple(input.shape)}; they must match (a "
                         "broadcast here would silently compare every prediction with "
                         "every target)")


class MeanSquaredError(Function):
    """One node for the seed's loss instead of four (subtract, square, sum, divide); the
    tests check it against ``((input - target) ** 2).mean()`` built from the
    primitives. Its backward reads a copy, the difference, and its recorded backward
    the inputs: those are checked for writes (as PyTorch's, which saves both)."""

    def forward(self, input, target, reduction):  # (x - y)², then summed or averaged
        self.diff, self.reduction = input - target, reduction
        squares = self.diff * self.diff
        if reduction == "none":
            return squares
        if reduction == "sum":
            return squares.sum()
        return squares.sum() / squares.size  # 4x faster than .mean()

    # d/dx = 2(x - y)·g (divided by n for the mean), d/dy = -d/dx
    def backward(self, grad):
        scale = 2.0 / self.diff.size if self.reduction == "mean" else 2.0
        grad_input = (grad * scale) * self.diff
        return grad_input, -grad_input

    def tensor_backward(self, grad):
        x, y = self.inputs
        scale = 2.0 / x.numel() if self.reduction == "mean" else 2.0
        grad_input = (grad * scale) * (x - y)
        return grad_input, -grad_input


def mse_loss(input, target, reduction="mean"):
    """Mean squared error: mean((input - target)²)."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "mse_loss")
    # PyTorch's promotion (result_type is slow: only when needed)
    if input.array.dtype != target.array.dtype:
        common = dt.result_type(input, target)
        input, target = input.to(common), target.to(common)
    return MeanSquaredError.apply(input, target, reduction=reduction)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of class indices: -input[n, target[n]] (input holds
    log-probabilities).

    Input is (N, C), (C,) or (N, C, d1, ...) with target (N,), () or (N, d1, ...). With
    class ``weight``s, the mean divides by the total weight of the targets;
    ``ignore_index`` targets count 0.
    """
    _check_reduction(reduction)
    _expect_tensor(input, "nll_loss", "input", 1)
    picked, targets = _target_weights(input, target, weight, ignore_index, "nll_loss")
    return _weighted_sum(_classes_last(input), picked, targets, target.shape, reduction)


class NegativeLogLikelihood(Function):
    """-Σ_c weights[n, c]·log_probs[n, c] for each row n, then reduced: with one-hot
    ``weights`` (a constant) it picks -log p of each row's target class. One node
    instead of five. Only the ``counted`` entries (an array, or a function that makes
    it) enter the sum: a masked class (log p = -inf) that is not a target adds 0, not
    0 · -inf = nan, as in PyTorch, which picks the targets."""

    saves_inputs = False  # only the weights, an option

    def forward(self, log_probs, weights, counted, reduction, total):
        self.weights, self.reduction, self.total = weights, reduction, total
        xp = backend.get_array_module(log_probs)
        product = log_probs * weights
        losses = -product.sum(axis=1)
        if xp is not np or math.isnan(losses.sum()):  # NaN: perhaps a 0 · -inf to drop
            counted = counted() if callable(counted) else counted
            losses = -xp.where(counted, product, 0).sum(axis=1)
        if reduction == "none":
            return losses
        return losses.sum() if reduction == "sum" else losses.sum() / total

    # each row's gradient is -weights[n]·g (divided by the total for a mean)
    def backward(self, grad):
        if self.reduction == "none":
            grad = grad[:, None]
        elif self.reduction == "mean":
            grad = grad / self.total
        return -self.weights * grad

    def tensor_backward(self, grad):
        if self.reduction == "none":
            grad = grad.unsqueeze(1)
        elif self.reduction == "mean":
            grad = grad / Tensor(self.total)
        return -Tensor(self.weights) * grad


def _weighted_sum(rows, weights, counted, target_shape, reduction, total=None):
    """NegativeLogLikelihood on (N, C) rows; a mean divides by ``total`` (by default
    the total weight)."""
    total = weights.sum() if total is None else total
    losses = NegativeLogLikelihood.apply(rows, weights=weights, counted=counted,
                                         reduction=reduction, total=total)
    return losses.reshape(target_shape) if reduction == "none" else losses


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Softmax followed by the negative log-likelihood: -log softmax(input)[target].

    ``target`` holds class indices (integers), or class probabilities (floats, shaped
    like input). ``label_smoothing`` ε mixes the target with the uniform distribution:
    (1-ε)·onehot + ε/C.
    """
    _check_reduction(reduction)
    _expect_tensor(input, "cross_entropy_loss", "input", 1)
    _expect_tensor(target, "cross_entropy_loss", "target", 2)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    log_probs = input.log_softmax(class_dim)
    if target.is_floating_point():
        return _soft_target_cross_entropy(log_probs, target, weight, reduction,
                                          label_smoothing)
    picked, targets = _target_weights(input, target, weight, ignore_index,
                                      "cross_entropy")
    rows = _classes_last(log_probs)
    loss = _weighted_sum(rows, picked, targets, target.shape, reduction)
    if label_smoothing == 0.0:
        return loss
    # the uniform part: ε/C · Σ_c -w_c log p_c for every non-ignored target; a mean
    # still divides by the total weight of the targets (as PyTorch), so both parts
    # share the denominator
    xp = backend.get_array_module(rows.array)
    counted = target.array.reshape(-1, 1) != ignore_index  # every class, kept rows
    class_weight = (xp.ones(rows.shape[1], rows.array.dtype) if weight is None
                    else weight.array)
    uniform = counted * class_weight.astype(rows.array.dtype, copy=False)
    smooth = _weighted_sum(rows, uniform, counted, target.shape, reduction,
                           total=picked.sum())
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / rows.shape[1])


def _soft_target_cross_entropy(log_probs, target, weight, reduction, label_smoothing):
    """-Σ_c target_c·log p_c for targets that are probability vectors; the mean is
    over samples."""
    _check_same_shape(log_probs, target, "cross_entropy with probability targets")
    class_dim = 0 if log_probs.ndim == 1 else 1
    classes = log_probs.shape[class_dim]
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    terms = log_probs * target
    if weight is not None:
        along_classes = (classes,) + (1,) * (terms.ndim - class_dim - 1)
        class_weight = weight.array.astype(terms.array.dtype).reshape(along_classes)
        terms = terms * Tensor(class_weight)
    return _reduce(-terms.sum(class_dim), reduction)


def _classes_last(input):
    """(N, C, d1, ...) -> (N·d1·..., C) and (C,) -> (1, C): one row of class scores per
    target."""
    if input.ndim == 1:
        return input.reshape(1, -1)
    if input.ndim > 2:
        input = input.permute((0,) + tuple(range(2, input.ndim)) + (1,))
    return input.reshape(-1, input.shape[-1])


def _target_weights(input, target, weight, ignore_index, name):
    """A constant (rows, C) array holding w[target] at each row's target class and 0
    elsewhere: the one-hot target vectors, scaled by the class weights, zero for
    ignored targets; and a function that gives the (rows, C) bool array of where the
    targets are (none in an ignored row), which only a loss with a NaN needs."""
    if target.is_floating_point():
        raise TypeError(f"{name}: expected class indices of an integer dtype (int64), "
                        f"got {target.dtype}")
    shape = input.array.shape  # (the checks on the arrays: this runs at every step)
    expected = () if len(shape) == 1 else (shape[0],) + shape[2:]
    if target.array.shape != expected:
        raise ValueError(f"{name}: input of shape {tuple(input.shape)} needs a target "
                         f"of shape {expected}, got target of shape "
                         f"{tuple(target.shape)}")
    if not backend.same_device(target.array, input.array):
        raise RuntimeError(f"{name}: input is on {input.device} but target is on "
                           f"{target.device}")
    xp = backend.get_array_module(input.array)
    classes = shape[0 if len(shape) == 1 else 1]
    labels = target.array.reshape(-1)
    kept = labels != ignore_index
    bad = kept & ((labels < 0) | (labels >= classes))
    if bool(bad.any()):
        raise IndexError(f"{name}: Target {int(labels[bad][0])} is out of bounds for "
                         f"{classes} classes")
    labels = xp.where(kept, labels, 0)
    if weight is None:
        values = kept.astype(input.array.dtype)
    else:
        if tuple(weight.shape) != (classes,):
            raise ValueError(f"{name}: weight should have one entry per class "
                             f"({classes}), got shape {tuple(weight.shape)}")
        values = weight.array.astype(input.array.dtype)[labels] * kept
    rows = xp.arange(labels.shape[0])
    one_hot = xp.zeros((labels.shape[0], classes), dtype=input.array.dtype)
    one_hot[rows, labels] = values

    def targets():  # made only when a NaN asks for it (see NegativeLogLikelihood)
        where = xp.zeros(one_hot.shape, dtype=bool)
        where[rows, labels] = kept
        return where

    return one_hot, targets


class BinaryCrossEntropy(Function):
    """-(y·log x + (1-y)·log(1-x)), each log clamped at -100 (as PyTorch) so x = 0 or 1
    stays finite."""

    def forward(self, x, y):
        xp = backend.get_array_module(x)
        with np.errstate(divide="ignore"):  # log 0 = -inf, clamped just below
            self.log_x = xp.maximum(xp.log(x), -100)
            self.log_1mx = xp.maximum(xp.log(1 - x), -100)
        self.x, self.y = x, y
        return -(y * self.log_x + (1 - y) * self.log_1mx)

    # d/dx = (x - y) / (x(1-x)), guarded at 0 and 1; d/dy = log(1-x) - log x
    def backward(self, grad):
        xp = backend.get_array_module(grad)
        x, y = self.x, self.y
        grad_x = grad * (x - y) / xp.maximum(x * (1 - x), 1e-12)
        return grad_x, grad * (self.log_1mx - self.log_x)

    def tensor_backward(self, grad):
        x, y = self.inputs
        grad_x = grad * (x - y) / (x * (1 - x)).clamp(min=1e-12)
        with np.errstate(divide="ignore"):  # as in forward
            log_x, log_1mx = x.log().clamp(min=-100), (1 - x).log().clamp(min=-100)
        return grad_x, grad * (log_1mx - log_x)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """Binary cross-entropy of probabilities ``input`` in [0, 1] against targets in
    [0, 1]."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "binary_cross_entropy")
    if bool(((input.array < 0) | (input.array > 1)).any()):
        raise RuntimeError("binary_cross_entropy: all elements of input should be "
                           "between 0 and 1 (apply sigmoid first, or use "
                           "binary_cross_entropy_with_logits on raw scores)")
    loss = BinaryCrossEntropy.apply(input, target.to(input.dtype))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Sigmoid and binary cross-entropy in one stable formula: (1-y)·x + softplus(-x),
    with softplus(-x) = log(1 + e^-x) = max(-x, 0) + log(1 + e^-|x|), which never
    exponentiates a positive number. ``pos_weight`` multiplies the positive term."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    target = target.to(input.dtype)
    softplus_neg = (-input).maximum(0) + (-input.abs()).exp().log1p()
    if pos_weight is not None:
        softplus_neg = softplus_neg * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def l1_loss(input, target, reduction="mean", weight=None):
    """Mean absolute error: mean(|input - target|); with ``weight``, the mean is
    Σ w·|input - target| / Σ w."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "l1_loss")
    loss = (input - target).abs()
    if weight is None:
        return _reduce(loss, reduction)
    _check_weight_shape(input, weight)
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """½d²/β where |d| < β, else |d| - ½β (d = input - target): quadratic near zero,
    so the gradient fades out instead of jumping, and L1 (robust to outliers) beyond."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, reduction)
    diff = (input - target).abs()
    loss = where(diff < beta, diff * diff * (0.5 / beta), diff - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """½d² where |d| < δ, else δ·(|d| - ½δ): smooth_l1_loss scaled by δ."""
    _check_reduction(reduction)
    _check_same_shape(input, target, "huber_loss")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    diff = (input - target).abs()
    loss = where(diff < delta, diff * diff * 0.5, (diff - 0.5 * delta) * delta)
    if weight is not None:
        _check_weight_shape(input, weight)
        loss = loss * weight
    return _reduce(loss, reduction)


def _check_weight_shape(input, weight):
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")


def kl_div(input, target, reduction="mean", log_target=False):
    """Kullback-Leibler divergence Σ p·(log p - input), for log-probabilities ``input``
    and probabilities p = ``target`` (log-probabilities with ``log_target``); 0·log 0
    counts 0. ``"batchmean"`` divides the sum by the batch size, the divergence per
    sample; ``"mean"`` divides by the number of elements (PyTorch warns about it, and so
    do we)."""
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction; use one of "
                         "'mean', 'batchmean', 'sum', 'none'")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch "
                      "size and the support size.'batchmean' divides only by the batch "
                      "size, and aligns with the KL div math definition.'mean' will be "
                      "changed to behave the same as 'batchmean' in the next major "
                      "release.", stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:  # log of 1 where p = 0: the term is then p·(0 - input) = 0, no -inf or nan
        loss = target * (where(target > 0, target, 1.0).log() - input)
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, reduction="mean"):
    """log(1 + e^(-y·x)) for labels y = ±1: the logistic loss, computed as a softplus
    that never exponentiates a large positive number."""
    _check_reduction(reduction)
    z = -(input * target)
    return _reduce(z.clamp(min=0) + (-z.abs()).exp().log1p(), reduction)


def _clamp_min_keeping_gradient(tensor, min):
    """``tensor`` clamped to at least ``min``, with the gradient of the unclamped tensor
    (PyTorch clamps under no_grad there, so the gradient passes unchanged)."""
    return tensor + (tensor.clamp(min=min) - tensor).detach()


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """x1·x2 / (‖x1‖·‖x2‖) along ``dim``, each norm at least ``eps`` (broadcasts)."""
    shape = broadcast_shape(x1.shape, x2.shape)  # the norms need whole vectors
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    norm1 = _clamp_min_keeping_gradient(x1.norm(dim=dim, keepdim=True), eps)
    norm2 = _clamp_min_keeping_gradient(x2.norm(dim=dim, keepdim=True), eps)
    return ((x1 / norm1) * (x2 / norm2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """‖x1 - x2 + eps‖_p along the last dimension (the eps keeps the norm's gradient
    finite for equal vectors)."""
    return (x1 - x2 + eps).norm(p, dim=max(x1.ndim, x2.ndim) - 1, keepdim=keepdim)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6,
                        swap=False, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0), d the pairwise distance: the anchor should
    be nearer the positive than the negative, by a margin. ``swap`` uses d(p, n) for
    d(a, n) when it is smaller (the harder negative)."""
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to "
                           "have the same number of dimensions, but got: anchor "
                           f"{anchor.ndim}D, positive {positive.ndim}D, and negative "
                           f"{negative.ndim}D inputs")
    to_positive = pairwise_distance(anchor, positive, p, eps)
    to_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = to_negative.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((to_positive - to_negative + margin).clamp(min=0), reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """max(0, -y·(x1 - x2) + margin) for y = 1 (x1 should rank higher) or -1 (lower)."""
    _check_reduction(reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError("margin_ranking_loss : All input tensors should have same "
                           f"dimension but got sizes: input1: {tuple(input1.shape)}, "
                           f"input2: {tuple(input2.shape)}, "
                           f"target: {tuple(target.shape)}")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, reduction="mean"):
    """x where y = 1 and max(0, margin - x) where y = -1, for x a distance (of a pair of
    embeddings) and y whether the pair is similar."""
    _check_reduction(reduction)
    zero = input.new_zeros(())
    loss = (where(target != -1, input, zero)
            + where(target != 1, (margin - input).clamp(min=0), zero))
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1: similar
    pairs should point the same way, dissimilar ones not (rows of x1 and x2, or single
    vectors)."""
    _check_reduction(reduction)
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not "
                           "supported")
    if input1.ndim != target.ndim + 1 or input2.ndim != target.ndim + 1:
        raise RuntimeError(f"{target.ndim}D target tensor expects {target.ndim + 1}D "
                           f"input tensors, but found inputs with sizes "
                           f"{tuple(input1.shape)} and {tuple(input2.shape)}.")
    dim = target.ndim  # the vectors' dimension; PyTorch adds 1e-12 to each squared norm
    squared_norm1 = (input1 * input1).sum(dim) + 1e-12
    squared_norms = squared_norm1 * ((input2 * input2).sum(dim) + 1e-12)
    cos = (input1 * input2).sum(dim) / squared_norms.sqrt()
    zero = cos.new_zeros(())
    loss = (where(target == 1, 1 - cos, zero)
            + where(target == -1, (cos - margin).clamp(min=0), zero))
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, eps=1e-8,
                     reduction="mean"):
    """Negative log-likelihood of counts y under a Poisson of rate λ: λ - y·log λ, with
    λ = e^input (``log_input``) or input itself (then log(λ + eps)). ``full`` adds the
    Stirling approximation of log(y!), y·log y - y + ½log(2πy), for y > 1."""
    _check_reduction(reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        counts = where(target > 1, target, 1.0)  # log of 1 where the term is dropped
        stirling = counts * counts.log() - counts + (counts * (2 * math.pi)).log() * 0.5
        loss = loss + where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of ``target`` under a normal of mean ``input`` and
    variance ``var``: ½(log var + (input - target)²/var), plus ½log(2π) with ``full``.
    ``var`` is shaped like input, or has one dimension short of it or of size 1 (one
    variance shared); it is clamped to at least ``eps``, the gradient passing through
    as if not clamped."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input.new_full(tuple(input.shape), var)
    elif bool((var.array < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)  # one variance per row
        elif input.ndim != var.ndim or sum(
                v for i, v in zip(input.shape, var.shape) if i != v) != 1:
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = _clamp_min_keeping_gradient(var, eps)
    loss = (var.log() + (input - target) ** 2 / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def one_hot(tensor, num_classes=-1):
    """Integer class indices -> int64 one-hot vectors along a new last dimension."""
    if tensor.is_floating_point():
        raise RuntimeError(f"one_hot is only applicable to index tensors, got "
                           f"{tensor.dtype}")
    xp, indices = backend.get_array_module(tensor.array), tensor.array
    if indices.size == 0 and num_classes == -1:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    # a negative index would silently give a row of zeros
    if indices.size and int(indices.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    classes = int(indices.max()) + 1 if num_classes == -1 else num_classes
    if indices.size and int(indices.max()) >= classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor((indices[..., None] == xp.arange(classes)).astype(np.int64))


__all__ = ["relu", "sigmoid", "tanh", "gelu", "silu", "leaky_relu", "elu", "softplus",
           "hardtanh", "relu6", "softmax", "log_softmax", "linear", "dropout",
           "mse_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "one_hot"]
__all__ += ["l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "soft_margin_loss",
            "cosine_similarity", "pairwise_distance", "triplet_margin_loss",
            "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
            "poisson_nll_loss", "gaussian_nll_loss"]

# layers that live in their own modules, re-exported here where PyTorch has them
# (torch.nn.functional); attention last: attention.py uses this module
from .conv import conv2d, unfold  # noqa: E402
from .padding import pad  # noqa: E402
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: E402
from .embedding import embedding  # noqa: E402
from .normalization import batch_norm, layer_norm  # noqa: E402
from .attention import scaled_dot_product_attention  # noqa: E402

__all__ += ["conv2d", "unfold", "pad", "max_pool2d", "avg_pool2d",
            "adaptive_avg_pool2d", "embedding", "layer_norm", "batch_norm",
            "scaled_dot_product_attention"]
