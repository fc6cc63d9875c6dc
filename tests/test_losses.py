"""Losses: every loss and reduction against PyTorch (values and gradients), float64 gradchecks,
stability for huge logits, and the errors for bad reductions, shapes and targets."""
import numpy as np
import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.nn as nn
import tinygrad_tutorial.nn.functional as F
from tinygrad_tutorial.gradcheck import gradcheck

REDUCTIONS = ["mean", "sum", "none"]


def rand(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def host(t):
    return t.detach().cpu().numpy()


def compare_with_torch(loss_name, kwargs, input, target, device, torch_kwargs=None, target_grad=False):
    """Run nn.<loss_name>(**kwargs) here and in PyTorch; compare the loss and the input's gradient."""
    torch = pytest.importorskip("torch")
    torch_kwargs = kwargs if torch_kwargs is None else torch_kwargs
    ours_in = tt.tensor(input, device=device, requires_grad=True)
    ours_target = tt.tensor(target, device=device, requires_grad=target_grad)
    ours = getattr(nn, loss_name)(**kwargs)(ours_in, ours_target)
    theirs_in = torch.tensor(input, requires_grad=True)
    theirs_target = torch.tensor(target, requires_grad=target_grad)
    theirs = getattr(torch.nn, loss_name)(**torch_kwargs)(theirs_in, theirs_target)
    v = rand(*theirs.shape, seed=7)  # a random projection, so per-element gradients all matter
    (ours * tt.tensor(v, device=device)).sum().backward()
    (theirs * torch.tensor(v)).sum().backward()
    assert ours.dtype == tt.float32 and ours.device == tt.device(device) and ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(host(ours), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert ours_in.grad.dtype == tt.float32
    np.testing.assert_allclose(host(ours_in.grad), theirs_in.grad.numpy(), rtol=1e-4, atol=1e-6)
    if target_grad:
        np.testing.assert_allclose(host(ours_target.grad), theirs_target.grad.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(reduction, device):
    compare_with_torch("MSELoss", {"reduction": reduction}, rand(6, 3), rand(6, 3, seed=1), device,
                       target_grad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy(reduction, device):
    target = np.array([0, 3, 1, 2, 3, 0])
    compare_with_torch("CrossEntropyLoss", {"reduction": reduction}, rand(6, 4, scale=3), target, device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_weights_ignore_index_and_label_smoothing(reduction, device):
    torch = pytest.importorskip("torch")
    target = np.array([0, 3, 1, -100, 3, 2])
    weight = np.array([0.5, 2.0, 1.0, 0.0], np.float32)  # class 3 weighs nothing
    for kwargs in [{"ignore_index": -100}, {"label_smoothing": 0.2}, {"ignore_index": 1, "label_smoothing": 0.1}]:
        t = np.where(target == -100, 0, target) if "ignore_index" not in kwargs else target
        if kwargs.get("ignore_index") == 1:
            t = np.where(target == -100, 1, target)
        compare_with_torch("CrossEntropyLoss", {"reduction": reduction, **kwargs}, rand(6, 4, scale=2), t, device)
        compare_with_torch("CrossEntropyLoss", {"reduction": reduction, "weight": tt.tensor(weight, device=device),
                                                **kwargs}, rand(6, 4, scale=2), t, device,
                           torch_kwargs={"reduction": reduction, "weight": torch.tensor(weight), **kwargs})


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_probability_targets(reduction, device):
    probabilities = np.random.default_rng(2).dirichlet(np.ones(4), size=5).astype(np.float32)
    compare_with_torch("CrossEntropyLoss", {"reduction": reduction}, rand(5, 4), probabilities, device)
    compare_with_torch("CrossEntropyLoss", {"reduction": reduction, "label_smoothing": 0.3}, rand(5, 4),
                       probabilities, device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_for_one_sample_and_for_extra_dimensions(reduction, device):
    compare_with_torch("CrossEntropyLoss", {"reduction": reduction}, rand(5), np.array(2), device)
    target = np.random.default_rng(3).integers(0, 4, size=(2, 3, 5))
    compare_with_torch("CrossEntropyLoss", {"reduction": reduction}, rand(2, 4, 3, 5), target, device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction, device):
    torch = pytest.importorskip("torch")
    log_probs = np.log(np.random.default_rng(4).dirichlet(np.ones(3), size=5)).astype(np.float32)
    target = np.array([2, 0, 1, 1, 0])
    compare_with_torch("NLLLoss", {"reduction": reduction}, log_probs, target, device)
    weight = np.array([1.0, 3.0, 0.5], np.float32)
    compare_with_torch("NLLLoss", {"reduction": reduction, "weight": tt.tensor(weight, device=device),
                                   "ignore_index": 0}, log_probs, target, device,
                       torch_kwargs={"reduction": reduction, "weight": torch.tensor(weight), "ignore_index": 0})


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction, device):
    probabilities = 1 / (1 + np.exp(-rand(4, 3, scale=2)))
    targets = np.random.default_rng(5).random((4, 3)).astype(np.float32)  # soft targets are allowed
    compare_with_torch("BCELoss", {"reduction": reduction}, probabilities, targets, device, target_grad=True)


def test_binary_cross_entropy_clamps_the_log_at_minus_100(device):
    torch = pytest.importorskip("torch")
    x, y = np.array([0.0, 1.0, 0.0, 1.0, 0.5], np.float32), np.array([1.0, 0.0, 0.0, 1.0, 1.0], np.float32)
    compare_with_torch("BCELoss", {"reduction": "none"}, x, y, device)
    ours = F.binary_cross_entropy(tt.tensor(x), tt.tensor(y), reduction="none")
    np.testing.assert_allclose(host(ours)[:2], [100.0, 100.0])
    assert torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(y)).item() == \
        pytest.approx(F.binary_cross_entropy(tt.tensor(x), tt.tensor(y)).item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction, device):
    torch = pytest.importorskip("torch")
    logits = rand(4, 3, scale=3)
    logits[0, 0] = 0.0  # the kink of |x| and max(-x, 0): the gradient must still be σ(0) - y
    targets = (np.random.default_rng(6).random((4, 3)) > 0.5).astype(np.float32)
    compare_with_torch("BCEWithLogitsLoss", {"reduction": reduction}, logits, targets, device, target_grad=True)
    pos_weight = np.array([1.0, 2.0, 0.5], np.float32)
    compare_with_torch("BCEWithLogitsLoss", {"reduction": reduction,
                                             "pos_weight": tt.tensor(pos_weight, device=device)},
                       logits, targets, device,
                       torch_kwargs={"reduction": reduction, "pos_weight": torch.tensor(pos_weight)})


def test_weighted_binary_losses_match_pytorch(device):
    torch = pytest.importorskip("torch")
    weight = np.array([[1.0, 0.0, 2.0]], np.float32)
    probabilities = 1 / (1 + np.exp(-rand(4, 3)))
    targets = np.ones((4, 3), np.float32)
    compare_with_torch("BCELoss", {"weight": tt.tensor(weight, device=device)}, probabilities, targets, device,
                       torch_kwargs={"weight": torch.tensor(weight)})
    compare_with_torch("BCEWithLogitsLoss", {"weight": tt.tensor(weight, device=device)}, rand(4, 3), targets,
                       device, torch_kwargs={"weight": torch.tensor(weight)})


def test_cross_entropy_is_finite_for_logits_of_1000(device):
    logits = tt.tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]], device=device, requires_grad=True)
    target = tt.tensor([1, 0], device=device)
    loss = F.cross_entropy(logits, target)
    loss.backward()
    assert np.isfinite(host(loss)) and np.isfinite(host(logits.grad)).all()
    # sample 0: -log softmax = 2000; sample 1: 2000 + log 2
    assert loss.item() == pytest.approx((2000 + 2000 + np.log(2)) / 2, rel=1e-6)
    np.testing.assert_allclose(host(logits.grad), [[0.5, -0.5, 0.0], [-0.5, 0.25, 0.25]], atol=1e-6)


def test_bce_with_logits_is_finite_for_logits_of_1000():
    logits = tt.tensor([1000.0, -1000.0, 1000.0, -1000.0], requires_grad=True)
    targets = tt.tensor([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(host(loss), [0.0, 0.0, 1000.0, 1000.0])
    np.testing.assert_allclose(host(logits.grad), [0.0, 0.0, 1.0, -1.0])


def test_losses_gradcheck_in_float64():
    x = tt.randn(4, 3, requires_grad=True)
    y = tt.randn(4, 3, requires_grad=True)
    labels = tt.tensor([0, 2, 1, 2])
    probabilities = tt.rand(4, 3) * 0.8 + 0.1
    for reduction in REDUCTIONS:
        assert gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), (x, y))
        assert gradcheck(lambda a: F.cross_entropy(a, labels, reduction=reduction, label_smoothing=0.1), (x,))
        assert gradcheck(lambda a: F.nll_loss(a, labels, reduction=reduction), (x,))
        assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction),
                         (x, y.sigmoid().detach().requires_grad_()))
        assert gradcheck(lambda a: F.binary_cross_entropy(a, tt.rand(4, 3, dtype=tt.float64, generator=tt.Generator()
                                                                      .manual_seed(1)), reduction=reduction),
                         (probabilities.requires_grad_(),))


def test_losses_keep_float64():
    x, y = tt.randn(3, 2, dtype=tt.float64), tt.randn(3, 2, dtype=tt.float64)
    assert F.mse_loss(x, y).dtype == tt.float64
    assert F.cross_entropy(x, tt.tensor([0, 1, 1])).dtype == tt.float64
    assert F.binary_cross_entropy_with_logits(x, y).dtype == tt.float64


def test_bad_reduction_is_named():
    with pytest.raises(ValueError, match="'avg' is not a valid value for reduction|avg is not a valid value"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.cross_entropy(tt.randn(2, 3), tt.tensor([0, 1]), reduction="avg")


def test_mismatched_shapes_name_both_shapes():
    with pytest.raises(ValueError, match=r"target size \(100,\) is different from input size \(100, 1\)"):
        nn.MSELoss()(tt.randn(100, 1), tt.randn(100))
    with pytest.raises(ValueError, match=r"\(4, 2\).*\(4, 1\)"):
        nn.BCEWithLogitsLoss()(tt.randn(4, 1), tt.randn(4, 2))
    with pytest.raises(ValueError, match=r"input of shape \(4, 3\) needs a target of shape \(4,\), got target of "
                                         r"shape \(4, 1\)"):
        nn.CrossEntropyLoss()(tt.randn(4, 3), tt.tensor([[0], [1], [2], [0]]))


def test_bad_targets_are_explained():
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.cross_entropy(tt.randn(2, 3), tt.tensor([0, 3]))
    with pytest.raises(TypeError, match="class indices of an integer dtype"):
        F.nll_loss(tt.randn(2, 3), tt.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(tt.tensor([1.5]), tt.tensor([1.0]))


def test_loss_reprs():
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_fused_mse_agrees_with_the_composed_ops(reduction, device):
    """F.mse_loss is one node; (x - y)² reduced with the primitives must give the same values and grads."""
    x = tt.randn(5, 3, device=device, requires_grad=True)
    y = tt.randn(5, 3, device=device, requires_grad=True)
    v = tt.randn(5, 3, device=device) if reduction == "none" else tt.tensor(0.7, device=device)
    (F.mse_loss(x, y, reduction=reduction) * v).sum().backward()
    fused = host(x.grad), host(y.grad)
    x.grad = y.grad = None
    squares = (x - y) ** 2
    composed = {"mean": squares.mean(), "sum": squares.sum(), "none": squares}[reduction]
    (composed * v).sum().backward()
    np.testing.assert_allclose(host(F.mse_loss(x, y, reduction=reduction)), host(composed), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused[0], host(x.grad), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused[1], host(y.grad), rtol=1e-5, atol=1e-6)


def test_mse_promotes_like_pytorch():
    x = tt.randn(3, 2)
    assert F.mse_loss(x, tt.randn(3, 2, dtype=tt.float64)).dtype == tt.float64
    assert F.mse_loss(x, tt.ones(3, 2, dtype=tt.int64)).dtype == tt.float32
