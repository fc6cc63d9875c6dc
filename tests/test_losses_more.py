"""The losses and distances tutorials reach for besides MSE and cross-entropy: values
and gradients against PyTorch in float64 for every reduction, gradchecks, the Modules
on each device, stability for large inputs, and PyTorch's errors."""
import re
import warnings

import numpy as np
import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.nn as nn
import tinygrad_tutorial.nn.functional as F
from tinygrad_tutorial.gradcheck import gradcheck

REDUCTIONS = ["mean", "sum", "none"]


def rand(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def signs(*shape, seed=5):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0)


def host(t):
    return t.detach().cpu().numpy()


def compare_with_torch(name, arrays, kwargs=None, differentiable=None, rtol=1e-10,
                       weight=None):
    """F.<name>(*arrays, **kwargs) here and in PyTorch, in float64: the values and the
    gradients of every input in ``differentiable`` (indices; default all of them)."""
    torch = pytest.importorskip("torch")
    kwargs = kwargs or {}
    our_kwargs, torch_kwargs = dict(kwargs), dict(kwargs)
    if weight is not None:
        our_kwargs["weight"] = tt.tensor(weight)
        torch_kwargs["weight"] = torch.tensor(weight)
    differentiable = range(len(arrays)) if differentiable is None else differentiable
    ours = [tt.tensor(a, requires_grad=i in differentiable)
            for i, a in enumerate(arrays)]
    theirs = [torch.tensor(a, requires_grad=i in differentiable)
              for i, a in enumerate(arrays)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's warning for "mean" (tested apart)
        our_out = getattr(F, name)(*ours, **our_kwargs)
        torch_out = getattr(torch.nn.functional, name)(*theirs, **torch_kwargs)
    assert our_out.shape == tuple(torch_out.shape) and our_out.dtype == tt.float64
    np.testing.assert_allclose(host(our_out), torch_out.detach().numpy(), rtol=rtol,
                               atol=1e-12)
    v = rand(*torch_out.shape, seed=9)  # a random projection: every gradient counts
    (our_out * tt.tensor(v)).sum().backward()
    (torch_out * torch.tensor(v)).sum().backward()
    for i in differentiable:
        np.testing.assert_allclose(host(ours[i].grad), theirs[i].grad.numpy(),
                                   rtol=rtol, atol=1e-12,
                                   err_msg=f"{name}: gradient of input {i}")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(reduction):
    x, y = rand(5, 4, scale=2), rand(5, 4, seed=1)
    compare_with_torch("l1_loss", [x, y], {"reduction": reduction})
    compare_with_torch("l1_loss", [x, y], {"reduction": reduction},
                       weight=np.abs(rand(5, 4, seed=3)))
    for beta in (1.0, 0.5, 3.0, 0.0):
        compare_with_torch("smooth_l1_loss", [x, y],
                           {"reduction": reduction, "beta": beta})
    for delta in (1.0, 0.3, 4.0):
        compare_with_torch("huber_loss", [x, y],
                           {"reduction": reduction, "delta": delta})
    compare_with_torch("huber_loss", [x, y], {"reduction": reduction},
                       weight=np.abs(rand(5, 4, seed=3)))


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
def test_kl_div(reduction):
    rng = np.random.default_rng(4)
    log_probs = np.log(rng.dirichlet(np.ones(5), size=3))
    target = rng.dirichlet(np.ones(5), size=3)
    target[0, 2] = 0.0  # 0·log 0 counts 0
    compare_with_torch("kl_div", [log_probs, target], {"reduction": reduction},
                       differentiable=[0])
    log_target = np.log(rng.dirichlet(np.ones(5), size=3))
    compare_with_torch("kl_div", [log_probs, log_target],
                       {"reduction": reduction, "log_target": True})


def test_kl_div_mean_warns_as_pytorch():
    x, y = tt.zeros(2, 3), tt.ones(2, 3) / 3
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.kl_div(x, y, reduction="batchmean")
        assert float(loss) == pytest.approx(np.log(1 / 3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_weights_and_pos_weight(reduction):
    torch = pytest.importorskip("torch")
    x, y = rand(4, 3, scale=3), np.random.default_rng(2).random((4, 3))
    weight, pos_weight = np.abs(rand(4, 3, seed=6)), np.array([0.5, 2.0, 4.0])
    for options in ({"weight": weight}, {"pos_weight": pos_weight},
                    {"weight": weight, "pos_weight": pos_weight}):
        ours_in = tt.tensor(x, requires_grad=True)
        ours_y = tt.tensor(y, requires_grad=True)
        theirs_in = torch.tensor(x, requires_grad=True)
        theirs_y = torch.tensor(y, requires_grad=True)
        ours = F.binary_cross_entropy_with_logits(
            ours_in, ours_y, reduction=reduction,
            **{key: tt.tensor(value) for key, value in options.items()})
        theirs = torch.nn.functional.binary_cross_entropy_with_logits(
            theirs_in, theirs_y, reduction=reduction,
            **{key: torch.tensor(value) for key, value in options.items()})
        np.testing.assert_allclose(host(ours), theirs.detach().numpy(), rtol=1e-12)
        ours.sum().backward(), theirs.sum().backward()
        for mine, expected in ((ours_in, theirs_in), (ours_y, theirs_y)):
            np.testing.assert_allclose(host(mine.grad), expected.grad.numpy(),
                                       rtol=1e-10)


def test_bce_with_logits_and_soft_margin_are_finite_for_huge_logits():
    torch = pytest.importorskip("torch")
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    pos_weight = np.full(5, 3.0)
    ours = F.binary_cross_entropy_with_logits(tt.tensor(x), tt.tensor(y),
                                              pos_weight=tt.tensor(pos_weight),
                                              reduction="none")
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(x), torch.tensor(y), pos_weight=torch.tensor(pos_weight),
        reduction="none")
    np.testing.assert_allclose(host(ours), theirs.numpy(), rtol=1e-12)
    labels = np.where(y > 0, 1.0, -1.0)
    x_in = tt.tensor(x, requires_grad=True)
    loss = F.soft_margin_loss(x_in, tt.tensor(labels), reduction="none")
    loss.sum().backward()
    assert np.isfinite(host(loss)).all() and np.isfinite(host(x_in.grad)).all()
    # (PyTorch's soft_margin_loss gives inf at -1000)
    np.testing.assert_allclose(host(loss), np.logaddexp(0, -x * labels), rtol=1e-12)


@pytest.mark.parametrize("dim", [1, 0, -1])
def test_cosine_similarity_and_pairwise_distance(dim):
    a, b = rand(4, 5), rand(4, 5, seed=1)
    compare_with_torch("cosine_similarity", [a, b], {"dim": dim})
    compare_with_torch("cosine_similarity", [a, rand(1, 5, seed=2)], {"dim": dim})
    tiny = a * 1e-10  # norms below eps
    compare_with_torch("cosine_similarity", [tiny, b], {"dim": dim, "eps": 1e-8})
    for p in (2.0, 1.0, 3.0):
        compare_with_torch("pairwise_distance", [a, b], {"p": p})
    compare_with_torch("pairwise_distance", [a, b], {"keepdim": True, "eps": 1e-3})
    compare_with_torch("pairwise_distance", [a[0], b[0]])
    compare_with_torch("pairwise_distance", [a, a])  # eps keeps the gradient finite


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_loss(reduction):
    anchor, positive, negative = rand(6, 4), rand(6, 4, seed=1), rand(6, 4, seed=2)
    for kwargs in [{}, {"margin": 2.0}, {"p": 1}, {"swap": True},
                   {"margin": 0.3, "p": 3, "swap": True}]:
        compare_with_torch("triplet_margin_loss", [anchor, positive, negative],
                           {"reduction": reduction, **kwargs})


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_hinge_and_cosine_embedding_losses(reduction):
    x1, x2, y = rand(6), rand(6, seed=1), signs(6)
    for margin in (0.0, 0.5):
        compare_with_torch("margin_ranking_loss", [x1, x2, y],
                           {"reduction": reduction, "margin": margin},
                           differentiable=[0, 1])
    for margin in (1.0, 0.2):
        compare_with_torch("hinge_embedding_loss",
                           [np.abs(rand(3, 4)), signs(3, 4)],
                           {"reduction": reduction, "margin": margin},
                           differentiable=[0])
    for margin in (0.0, -0.3, 0.5):
        compare_with_torch("cosine_embedding_loss",
                           [rand(6, 4), rand(6, 4, seed=1), y],
                           {"reduction": reduction, "margin": margin},
                           differentiable=[0, 1])
    one_pair = [rand(4), rand(4, seed=1), np.array(-1.0)]
    compare_with_torch("cosine_embedding_loss", one_pair, {"reduction": reduction},
                       differentiable=[0, 1])
    compare_with_torch("soft_margin_loss",
                       [rand(3, 4, scale=3), signs(3, 4)], {"reduction": reduction},
                       differentiable=[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_and_gaussian_nll_losses(reduction):
    counts = np.random.default_rng(3).poisson(2.0, size=(4, 3)).astype(np.float64)
    for kwargs in [{}, {"full": True}, {"log_input": False},
                   {"log_input": False, "full": True, "eps": 1e-3}]:
        x = rand(4, 3) if kwargs.get("log_input", True) else np.abs(rand(4, 3)) + 0.1
        compare_with_torch("poisson_nll_loss", [x, counts],
                           {"reduction": reduction, **kwargs}, differentiable=[0])
    mean, target = rand(4, 3), rand(4, 3, seed=1)
    var = np.abs(rand(4, 3, seed=2))
    var[0, 0] = 1e-9  # below eps: clamped, the gradient passing through
    for kwargs in [{}, {"full": True}, {"eps": 0.1}]:
        compare_with_torch("gaussian_nll_loss", [mean, target, var],
                           {"reduction": reduction, **kwargs})
    compare_with_torch("gaussian_nll_loss", [mean, target, var[:, 0]],
                       {"reduction": reduction})  # one variance per row
    compare_with_torch("gaussian_nll_loss", [mean, target, var[:, :1]],
                       {"reduction": reduction})


def test_losses_gradcheck_in_float64():

    def r(*shape, seed=0):
        return tt.tensor(rand(*shape, seed=seed), requires_grad=True)

    y = tt.tensor(signs(5))
    for reduction in REDUCTIONS:
        assert gradcheck(
            lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.7),
            (r(5), r(5, seed=1)))
        assert gradcheck(
            lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=0.7),
            (r(5), r(5, seed=1)))
        assert gradcheck(
            lambda a, b, c: F.triplet_margin_loss(a, b, c, swap=True,
                                                  reduction=reduction),
            (r(3, 4), r(3, 4, seed=1), r(3, 4, seed=2)))
        assert gradcheck(
            lambda a, b: F.cosine_embedding_loss(a, b, y, margin=0.1,
                                                 reduction=reduction),
            (r(5, 3), r(5, 3, seed=1)))
        assert gradcheck(
            lambda a, v: F.gaussian_nll_loss(a, tt.zeros(5, dtype=tt.float64),
                                             v.abs() + 0.1, reduction=reduction),
            (r(5), r(5, seed=1)))
    assert gradcheck(lambda a, b: F.cosine_similarity(a, b, dim=0),
                     (r(4, 2), r(4, 2, seed=1)))
    assert gradcheck(
        lambda a, b: F.kl_div(a, b, reduction="batchmean", log_target=True),
        (r(3, 4), r(3, 4, seed=1)))


MODULES = [
    ("L1Loss", {}, 2),
    ("SmoothL1Loss", {"beta": 0.5}, 2),
    ("HuberLoss", {"delta": 2.0}, 2),
    ("KLDivLoss", {"reduction": "batchmean"}, "probabilities"),
    ("KLDivLoss", {"reduction": "sum", "log_target": True}, 2),
    ("SoftMarginLoss", {}, "signs"),
    ("CosineSimilarity", {"dim": 0}, 2),
    ("PairwiseDistance", {"p": 1.0}, 2),
    ("TripletMarginLoss", {"margin": 0.5, "swap": True}, 3),
    ("MarginRankingLoss", {"margin": 0.1}, "pair"),
    ("HingeEmbeddingLoss", {"margin": 2.0}, "signs"),
    ("CosineEmbeddingLoss", {"reduction": "sum"}, "pair"),
    ("PoissonNLLLoss", {"full": True}, 2),
    ("GaussianNLLLoss", {"full": True}, "var"),
]


@pytest.mark.parametrize("name, kwargs, inputs", MODULES,
                         ids=lambda v: v if isinstance(v, str) else "")
def test_modules_match_pytorch_in_float32_on_the_device(name, kwargs, inputs, device):
    torch = pytest.importorskip("torch")
    x = rand(4, 3).astype(np.float32)
    if inputs == "signs":
        arrays, grads = [x, signs(4, 3).astype(np.float32)], [0]
    elif inputs == "pair":
        arrays = [x, rand(4, 3, seed=1).astype(np.float32), signs(4).astype(np.float32)]
        grads = [0, 1]
        if name == "MarginRankingLoss":
            arrays, grads = [x[:, 0], x[:, 1], signs(4).astype(np.float32)], [0, 1]
    elif inputs == "probabilities":
        probabilities = np.random.default_rng(1).dirichlet(np.ones(3), 4)
        arrays, grads = [x, probabilities.astype(np.float32)], [0]
    elif inputs == "var":
        arrays, grads = [x, rand(4, 3, seed=1).astype(np.float32),
                         np.abs(x) + 0.1], [0, 1, 2]
    else:
        arrays, grads = [rand(4, 3, seed=i).astype(np.float32)
                         for i in range(inputs)], list(range(inputs))
    if name == "PoissonNLLLoss":
        counts = np.random.default_rng(1).poisson(2.0, size=(4, 3))
        arrays[1] = counts.astype(np.float32)
        grads = [0]
    ours = [tt.tensor(a, device=device, requires_grad=i in grads)
            for i, a in enumerate(arrays)]
    theirs = [torch.tensor(a, requires_grad=i in grads) for i, a in enumerate(arrays)]
    module = getattr(nn, name)(**kwargs)
    torch_module = getattr(torch.nn, name)(**kwargs)
    assert repr(module) == repr(torch_module)
    our_out, torch_out = module(*ours), torch_module(*theirs)
    assert our_out.dtype == tt.float32 and our_out.device == tt.device(device)
    np.testing.assert_allclose(host(our_out), torch_out.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    our_out.sum().backward(), torch_out.sum().backward()
    for i in grads:
        np.testing.assert_allclose(host(ours[i].grad), theirs[i].grad.numpy(),
                                   rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("call", [
    lambda F, x: F.smooth_l1_loss(x, x, beta=-1.0),
    lambda F, x: F.huber_loss(x, x, delta=0.0),
    lambda F, x: F.kl_div(x, x, reduction="average"),
    lambda F, x: F.triplet_margin_loss(x, x, x, margin=0.0),
    lambda F, x: F.triplet_margin_loss(x, x, x[0]),
    lambda F, x: F.triplet_margin_loss(x, x, x[:2]),
    lambda F, x: F.margin_ranking_loss(x, x, x[0]),
    lambda F, x: F.cosine_embedding_loss(x, x, x),
    lambda F, x: F.cosine_embedding_loss(x, x[:2], x[:, 0]),
    lambda F, x: F.cosine_similarity(x, x[:, :2]),
    lambda F, x: F.pairwise_distance(x, x[:2]),
    lambda F, x: F.hinge_embedding_loss(x, x[:, :2]),
    lambda F, x: F.gaussian_nll_loss(x, x, x[:, :2]),
    lambda F, x: F.gaussian_nll_loss(x, x, -x.abs()),
    lambda F, x: F.gaussian_nll_loss(x, x, x.abs(), reduction="average"),
    lambda F, x: F.poisson_nll_loss(x, x, reduction="average"),
])
def test_errors_are_pytorchs(call):
    torch = pytest.importorskip("torch")
    x = rand(3, 4)
    with pytest.raises(Exception) as theirs:
        call(torch.nn.functional, torch.tensor(x))
    with pytest.raises(type(theirs.value)) as ours:
        call(F, tt.tensor(x))
    # our messages may go on (naming shapes as tuples rather than torch.Size)
    theirs_start = re.split(r" \(|, but found| but got sizes", str(theirs.value))[0]
    assert str(ours.value).startswith(theirs_start.rstrip())


@pytest.mark.parametrize("name", ["l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_losses_refuse_mismatched_shapes_as_mse_loss_does(name):
    message = r"target size \(4,\) is different from input size \(3, 4\)"
    with pytest.raises(ValueError, match=message):
        getattr(F, name)(tt.zeros(3, 4), tt.zeros(4))
