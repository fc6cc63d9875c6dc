"""Derivatives of higher order (``create_graph=True``) through the layers, the losses,
indexing, joining, matrix products, ``linalg``, devices and in-place writes.

Each case is written once against a module ``m`` (``tinygrad_tutorial`` or ``torch``)
and checked in float64: by ``autograd.gradgradcheck`` (the recorded backward against
central differences); against PyTorch (with random v and u,
g = grad(f(x), xs, v, create_graph=True), then grad(<u, g>, xs), in both libraries);
both again one order higher; and the recorded first gradients against the plain ones.
The inputs stay small: gradgradcheck runs the backward twice per input element.
"""
from dataclasses import dataclass

import numpy as np
import pytest
import torch

import tinygrad_tutorial as tt


def const(m, like, values):
    """A constant (targets, indices, masks) on ``like``'s device."""
    return m.tensor(values, device=like.device)


def weights(m, like, values):
    """Constant weights of a loss, in ``like``'s dtype, on its device."""
    return m.tensor(values, dtype=like.dtype, device=like.device)


def F(m):
    return m.nn.functional


def square(t):  # (by a product: the second derivative of a linear op is 0)
    return t * t


@dataclass
class Case:
    name: str
    fn: object  # fn(m, *tensors) -> tensor, for m = tinygrad_tutorial and m = torch
    draw: object  # draw(rng) -> the inputs, as float64 arrays


def normal(*shapes):
    return lambda rng: [rng.standard_normal(shape) for shape in shapes]


def well_conditioned(*shapes):
    """Square matrices (the last shape may be a right-hand side) far from singular."""
    def draw(rng):
        a = rng.standard_normal(shapes[0]) + 3 * np.eye(shapes[0][-1])
        return [a] + [rng.standard_normal(shape) for shape in shapes[1:]]
    return draw


def probabilities(*shapes):
    return lambda rng: [rng.uniform(0.1, 0.9, shape) for shape in shapes]


def logits_and_probabilities(shape):
    return lambda rng: [rng.standard_normal(shape), rng.uniform(0.1, 0.9, shape)]


def conv1d(m, x, w, **options):
    """PyTorch's conv1d; the package has conv2d, of which it is the height-1 case."""
    if m is torch:
        return F(m).conv1d(x, w, **options)
    along_length = {"stride": (1,), "padding": (0,), "dilation": (1,)}
    options = {k: along_length[k] + (v,) if k in along_length else v
               for k, v in options.items()}
    return F(m).conv2d(x.unsqueeze(2), w.unsqueeze(2), **options).squeeze(2)


MASK = [[True, False], [False, True], [True, True]]
CLASS_WEIGHT = [0.5, 1.0, 2.0, 1.5]


def set_item(m, x, w):
    h = x * 1.0
    h[1] = w * w
    return h * x


def index_put(m, x, w):
    h = x * 1.0
    h[[0, 2]] = w
    return h * h


def mask_put(m, x, w):
    h = x * 1.0
    h[const(m, x, MASK)] = w * w
    return h * x


def write_through_a_view(m, x, w):
    h = x * 2.0
    h[1:].mul_(w)
    return h * h


def writes_into_views_and_the_root(m, x, w):
    h = x * 2.0
    column = h[:, 0]
    column += w
    h[0, 1] = w[0] * w[1]
    return h * x


def fill_and_copy(m, x, w):
    h = x * 1.0
    h[0].fill_(w.sum())
    h[2].copy_(w * w)
    return h * x


def scatter(m, x, w):
    h = x * 1.0
    h.scatter_(1, const(m, x, [[1], [0], [1]]), w)
    return h * h


def split_pieces(m, a):
    head, tail = a.split([2, 3])
    return head.sum(0) * tail


def chunk_pieces(m, a):
    left, right = a.chunk(2, 1)
    return left * right


CASES = [
    # convolution (conv1d is conv2d on a height-1 image)
    Case("conv2d", lambda m, x, w, b: F(m).conv2d(x, w, b),
         normal((1, 2, 4, 4), (3, 2, 2, 2), (3,))),
    Case("conv2d_stride_padding",
         lambda m, x, w: F(m).conv2d(x, w, stride=2, padding=1),
         normal((1, 2, 4, 4), (2, 2, 3, 3))),
    Case("conv2d_dilation", lambda m, x, w: F(m).conv2d(x, w, padding=1, dilation=2),
         normal((1, 1, 5, 5), (2, 1, 2, 2))),
    Case("conv2d_groups", lambda m, x, w, b: F(m).conv2d(x, w, b, groups=2),
         normal((1, 4, 3, 3), (4, 2, 2, 2), (4,))),
    Case("conv1d_stride_padding_dilation",
         lambda m, x, w: conv1d(m, x, w, stride=2, padding=1, dilation=2),
         normal((2, 2, 5), (3, 2, 2))),
    Case("conv1d_groups", lambda m, x, w: conv1d(m, x, w, groups=2),
         normal((1, 4, 4), (2, 2, 3))),
    # pooling (squared: the pooling itself is piecewise linear)
    Case("max_pool2d", lambda m, x: square(F(m).max_pool2d(x, 2, stride=1, padding=1)),
         normal((1, 2, 3, 3))),
    Case("max_pool2d_ceil_mode",
         lambda m, x: square(F(m).max_pool2d(x, 2, ceil_mode=True)),
         normal((1, 1, 5, 5))),
    Case("avg_pool2d",
         lambda m, x: square(F(m).avg_pool2d(x, 3, 2, padding=1,
                                             count_include_pad=False)),
         normal((1, 2, 4, 4))),
    # linear
    Case("linear", lambda m, x, w, b: F(m).linear(x, w, b),
         normal((3, 4), (2, 4), (2,))),
    Case("linear_batched", lambda m, x, w: F(m).linear(x, w),
         normal((2, 2, 3), (2, 3))),
    Case("linear_vector", lambda m, x, w, b: F(m).linear(x, w, b),
         normal((3,), (2, 3), (2,))),
    # embedding (squared: a lookup is linear in the table)
    Case("embedding",
         lambda m, w: square(F(m).embedding(const(m, w, [[0, 3, 3], [1, 0, 3]]), w)),
         normal((4, 3))),
    Case("embedding_padding_idx",
         lambda m, w: square(F(m).embedding(const(m, w, [[0, 2, 2], [3, 1, 2]]), w,
                                            padding_idx=2)),
         normal((4, 3))),
    # losses built on the package's own Functions, and the composed ones
    Case("mse_loss", lambda m, x, y: F(m).mse_loss(x, y), normal((2, 3), (2, 3))),
    Case("mse_loss_sum", lambda m, x, y: F(m).mse_loss(x, y, reduction="sum"),
         normal((2, 3), (2, 3))),
    Case("mse_loss_none", lambda m, x, y: F(m).mse_loss(x, y, reduction="none"),
         normal((2, 3), (2, 3))),
    Case("nll_loss_weight_ignore_index",
         lambda m, x: F(m).nll_loss(x * x, const(m, x, [0, 3, 1, 2]),
                                    weights(m, x, CLASS_WEIGHT), ignore_index=1),
         normal((4, 4))),
    Case("nll_loss_sum", lambda m, x: F(m).nll_loss(x * x, const(m, x, [2, 0, 1]),
                                                    reduction="sum"),
         normal((3, 4))),
    Case("nll_loss_none", lambda m, x: F(m).nll_loss(x * x, const(m, x, [2, 0, 1]),
                                                     reduction="none"),
         normal((3, 4))),
    Case("cross_entropy", lambda m, x: F(m).cross_entropy(x, const(m, x, [0, 3, 1])),
         normal((3, 4))),
    Case("cross_entropy_weight_ignore_index",
         lambda m, x: F(m).cross_entropy(x, const(m, x, [0, 3, 1, 2]),
                                         weights(m, x, CLASS_WEIGHT), ignore_index=3),
         normal((4, 4))),
    Case("cross_entropy_label_smoothing",
         lambda m, x: F(m).cross_entropy(x, const(m, x, [0, 3, 1]),
                                         weights(m, x, CLASS_WEIGHT),
                                         label_smoothing=0.2),
         normal((3, 4))),
    Case("cross_entropy_spatial_sum",
         lambda m, x: F(m).cross_entropy(x, const(m, x, [[0, 2], [1, 1]]),
                                         reduction="sum"),
         normal((2, 3, 2))),
    Case("cross_entropy_probabilities",
         lambda m, x, p: F(m).cross_entropy(x, p.softmax(1), label_smoothing=0.1),
         normal((3, 4), (3, 4))),
    Case("binary_cross_entropy",
         lambda m, x, y: F(m).binary_cross_entropy(x, y, weights(m, x, [0.5, 2.0])),
         probabilities((3, 2), (3, 2))),
    Case("binary_cross_entropy_sum",
         lambda m, x, y: F(m).binary_cross_entropy(x, y, reduction="sum"),
         probabilities((3, 2), (3, 2))),
    Case("binary_cross_entropy_with_logits",
         lambda m, x, y: F(m).binary_cross_entropy_with_logits(
             x, y, weights(m, x, [0.5, 2.0]), pos_weight=weights(m, x, [3.0, 0.5])),
         logits_and_probabilities((3, 2))),
    # normalization and attention
    Case("layer_norm", lambda m, x, w, b: F(m).layer_norm(x, (3,), w, b),
         normal((2, 3), (3,), (3,))),
    Case("batch_norm",
         lambda m, x, w, b: F(m).batch_norm(x, None, None, w, b, training=True),
         normal((3, 2, 2), (2,), (2,))),
    Case("scaled_dot_product_attention",
         lambda m, q, k, v: F(m).scaled_dot_product_attention(q, k, v),
         normal((1, 3, 2), (1, 3, 2), (1, 3, 2))),
    Case("scaled_dot_product_attention_causal",
         lambda m, q, k, v: F(m).scaled_dot_product_attention(q, k, v, is_causal=True),
         normal((1, 3, 2), (1, 3, 2), (1, 3, 2))),
    Case("scaled_dot_product_attention_mask",
         lambda m, q, k, v: F(m).scaled_dot_product_attention(
             q, k, v, attn_mask=const(m, q, [[True, False], [True, True],
                                             [False, True]])),
         normal((1, 3, 2), (1, 2, 2), (1, 2, 2))),
    # indexing
    Case("getitem_basic", lambda m, x: x[1:, ::2] * x[0, 1] + x[..., None][2, 3],
         normal((3, 4))),
    Case("getitem_advanced_with_repeats",
         lambda m, x: x[[0, 2, 2]] * x[[1, 1, 0], [3, 3, 2]][:, None], normal((3, 4))),
    Case("getitem_integers_first",
         lambda m, x: x[0, :, const(m, x, [1, 1, 3])] * x[1, :, const(m, x, [0, 2, 2])],
         normal((2, 3, 4))),
    Case("getitem_mask",
         lambda m, x: x[const(m, x, MASK)] * x.flip(0)[const(m, x, MASK)],
         normal((3, 2))),
    Case("getitem_mask_over_the_rows",
         lambda m, x: square(x[const(m, x, [True, False, True])]), normal((3, 4))),
    Case("getitem_ellipsis_and_negative_indices",
         lambda m, x: x[..., -1] * x[[-1, 0, -1], :, 0], normal((3, 3, 4))),
    Case("getitem_broadcast_index_arrays",
         lambda m, x: square(x[[[0], [2]], [1, 3, 3]]), normal((3, 4))),
    Case("getitem_0d_index_tensor",
         lambda m, x: x[const(m, x, 1)] * x[2, const(m, x, 0)], normal((3, 4))),
    # joining and splitting, flip
    Case("cat", lambda m, a, b: m.cat([a, b * a[:, :2]], 1) * m.cat([b, a], 1),
         normal((2, 3), (2, 2))),
    Case("stack",
         lambda m, a, b: m.stack([a, b * a]) * m.stack([b, a], 1).transpose(0, 1),
         normal((2, 3), (2, 3))),
    Case("split", split_pieces, normal((5, 2))),
    Case("chunk", chunk_pieces, normal((3, 4))),
    Case("flip", lambda m, x: x.flip(0, 1) * x + x.flip(1) * x, normal((3, 4))),
    # matrix products of every rank
    *[Case(f"matmul_{'x'.join(map(str, a))}_{'x'.join(map(str, b))}",
           lambda m, a, b: a @ b, normal(a, b))
      for a, b in [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 2)),
                   ((2, 2, 3), (3, 2)), ((2, 3), (2, 3, 2)), ((3,), (2, 3, 2)),
                   ((2, 2, 3), (3,)), ((2, 1, 2, 3), (3, 3, 2))]],
    # einsum
    Case("einsum_matmul", lambda m, a, b: m.einsum("ij,jk->ik", a, b),
         normal((2, 3), (3, 2))),
    Case("einsum_batched", lambda m, a, b: m.einsum("bij,bjk->bik", a, b),
         normal((2, 2, 3), (2, 3, 2))),
    Case("einsum_diagonal", lambda m, a, b: m.einsum("ii,i->i", a, b),
         normal((3, 3), (3,))),
    Case("einsum_summed_in_one_operand", lambda m, a, b: m.einsum("ij,k->ik", a, b),
         normal((2, 3), (2,))),
    Case("einsum_three_operands", lambda m, a, b, c: m.einsum("ij,jk,k->i", a, b, c),
         normal((2, 3), (3, 2), (2,))),
    Case("einsum_ellipsis", lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b),
         normal((2, 2, 2), (2, 2, 3))),
    # linalg
    Case("inv", lambda m, a: m.linalg.inv(a), well_conditioned((3, 3))),
    Case("inv_batched", lambda m, a: m.linalg.inv(a), well_conditioned((2, 2, 2))),
    Case("solve", lambda m, a, b: m.linalg.solve(a, b),
         well_conditioned((3, 3), (3, 2))),
    Case("solve_vector", lambda m, a, b: m.linalg.solve(a, b),
         well_conditioned((3, 3), (3,))),
    Case("solve_broadcast", lambda m, a, b: m.linalg.solve(a, b),
         well_conditioned((2, 2, 2), (2, 1))),
    Case("det", lambda m, a: m.linalg.det(a), well_conditioned((3, 3))),
    Case("det_batched", lambda m, a: m.linalg.det(a), well_conditioned((2, 2, 2))),
    # devices: to the CPU and back (a copy each way on a GPU, nothing on the CPU)
    Case("to_device", lambda m, x: (x.to("cpu") * x.to("cpu")).to(x.device) * x,
         normal((2, 3))),
    # in-place writes in the graph
    Case("setitem", set_item, normal((3, 2), (2,))),
    Case("index_put", index_put, normal((3, 2), (2, 2))),
    Case("mask_put", mask_put, normal((3, 2), (4,))),
    Case("write_through_a_view", write_through_a_view, normal((3, 2), (2,))),
    Case("writes_into_views_and_the_root", writes_into_views_and_the_root,
         normal((3, 2), (3,))),
    Case("fill_and_copy", fill_and_copy, normal((3, 2), (2,))),
    Case("scatter", scatter, normal((3, 2), (3, 1))),
]


def ours(arrays, device):
    return [tt.tensor(a, device=device, requires_grad=True) for a in arrays]


def numpy(t):
    return t.detach().cpu().numpy()


def assert_derivatives_match_torch(fn, arrays, device, order=2):
    """The derivatives up to ``order``, as torch's: g = grad(f(xs), xs, v) recorded,
    then the same of the map xs -> g (all of g, flattened and joined), and so on, with
    a random v at each step."""
    rng = np.random.default_rng(1)
    xs, expected_xs = ours(arrays, device), [torch.tensor(a, requires_grad=True)
                                             for a in arrays]
    out, expected_out = fn(tt, *xs), fn(torch, *expected_xs)
    np.testing.assert_allclose(numpy(out), numpy(expected_out), rtol=1e-10, atol=1e-12)
    for _ in range(order):
        assert out.requires_grad  # (else the case has no derivative to compare)
        v = rng.standard_normal(tuple(expected_out.shape))
        grads = tt.autograd.grad(out, xs, tt.tensor(v, device=device),
                                 create_graph=True, materialize_grads=True)
        expected_grads = torch.autograd.grad(expected_out, expected_xs, torch.tensor(v),
                                             create_graph=True, materialize_grads=True)
        for g, expected in zip(grads, expected_grads):
            np.testing.assert_allclose(numpy(g), numpy(expected), rtol=1e-9, atol=1e-12)
        out = tt.cat([g.reshape(-1) for g in grads])
        expected_out = torch.cat([g.reshape(-1) for g in expected_grads])


def cubed(fn):
    """``fn``'s output cubed: every case then has third derivatives."""
    def cube(m, *xs):
        out = fn(m, *xs)
        return out * out * out
    return cube


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gradgradcheck(case, device):
    xs = ours(case.draw(np.random.default_rng(0)), device)
    assert tt.autograd.gradgradcheck(lambda *xs: case.fn(tt, *xs), xs)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_second_order_matches_torch(case, device):
    assert_derivatives_match_torch(case.fn, case.draw(np.random.default_rng(0)), device)


# PyTorch's native layer_norm and batch_norm have a double backward whose own backward
# is wrong: their third derivatives fail torch.autograd.gradgradcheck (torch 2.13;
# the same formula composed of torch's elementwise ops passes it), so there the
# package's are checked by gradgradcheck alone
TORCH_THIRD_ORDER_WRONG = {"layer_norm", "batch_norm"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_third_order(case, device):
    """The recorded backward of a recorded backward: the ops that a backward is made
    of (ScatterBack, Col2Im, the zeroing write of a setitem) differentiated again."""
    arrays = case.draw(np.random.default_rng(0))
    xs, fn = ours(arrays, device), cubed(case.fn)
    v = tt.tensor(np.random.default_rng(2).standard_normal(tuple(fn(tt, *xs).shape)),
                  device=device)

    def gradient(*xs):
        grads = tt.autograd.grad(fn(tt, *xs), xs, v, create_graph=True)
        return tt.cat([g.reshape(-1) for g in grads])

    assert tt.autograd.gradgradcheck(gradient, xs)
    if case.name not in TORCH_THIRD_ORDER_WRONG:
        assert_derivatives_match_torch(fn, arrays, device, order=3)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_recorded_first_gradients_equal_the_plain_ones(case, device):
    """``tensor_backward`` is ``backward`` in tensor ops: the same numbers, exactly."""
    xs = ours(case.draw(np.random.default_rng(0)), device)
    out = case.fn(tt, *xs)
    v = tt.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)),
                  device=device)
    plain = tt.autograd.grad(out, xs, v, retain_graph=True)
    recorded = tt.autograd.grad(out, xs, v, create_graph=True)
    for g, expected in zip(recorded, plain):
        np.testing.assert_array_equal(numpy(g), numpy(expected))


@pytest.mark.parametrize("create_graph", [False, True])
def test_writing_into_an_input_that_a_backward_reads_raises_as_in_torch(device,
                                                                        create_graph):
    for m, on in ((tt, device), (torch, "cpu")):
        w = m.tensor([1.0, 2.0], device=on, requires_grad=True)
        h = w * 2
        loss = F(m).mse_loss(h, m.zeros(2, device=on))
        h.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            m.autograd.grad(loss, w, create_graph=create_graph)


# ---------------------------------------------------------------- modules
def to_torch(module):
    return {k: torch.tensor(numpy(v)) for k, v in module.state_dict().items()}


def module_pair(make, device):
    """The same module in both libraries, in float64, with the package's weights."""
    mine, theirs = make(tt).double().to(device), make(torch).double()
    theirs.load_state_dict(to_torch(mine))
    return {tt: mine, torch: theirs}


def multihead_attention(m):
    return m.nn.MultiheadAttention(4, 2)


def lstm_cell(m):
    return m.nn.LSTMCell(3, 2)


def test_multihead_attention(device):
    modules = module_pair(multihead_attention, device)

    def attend(m, query, key, value):
        return modules[m](query, key, value)[0]

    arrays = normal((3, 1, 4), (2, 1, 4), (2, 1, 4))(np.random.default_rng(0))
    assert tt.autograd.gradgradcheck(lambda *xs: attend(tt, *xs), ours(arrays, device))
    assert_derivatives_match_torch(attend, arrays, device)


def test_lstm_cell_step(device):
    modules = module_pair(lstm_cell, device)

    def step(m, x, h, c):
        return m.stack(modules[m](x, (h, c)))

    arrays = normal((2, 3), (2, 2), (2, 2))(np.random.default_rng(0))
    assert tt.autograd.gradgradcheck(lambda *xs: step(tt, *xs), ours(arrays, device))
    assert_derivatives_match_torch(step, arrays, device)


def critic(m):
    return m.nn.Sequential(m.nn.Linear(3, 5), m.nn.Tanh(), m.nn.Linear(5, 1))


def gradient_penalty(m, critic, real, fake, mix):
    """WGAN-GP's penalty: (‖∇_x D(x)‖ - 1)² at points between real and fake samples."""
    between = (mix * real + (1 - mix) * fake).requires_grad_()
    (slope,) = m.autograd.grad(critic(between).sum(), between, create_graph=True)
    return ((slope.norm(2, dim=1) - 1) ** 2).mean()


def test_wgan_gradient_penalty_reaches_the_weights_as_in_torch(device):
    rng = np.random.default_rng(0)
    samples = [rng.standard_normal((4, 3)), rng.standard_normal((4, 3)),
               rng.uniform(size=(4, 1))]
    critics = module_pair(critic, device)
    penalties = {}
    for m, on in ((tt, device), (torch, "cpu")):
        penalties[m] = gradient_penalty(m, critics[m], *[m.tensor(a, device=on)
                                                         for a in samples])
        penalties[m].backward()
    np.testing.assert_allclose(numpy(penalties[tt]), numpy(penalties[torch]),
                               rtol=1e-12)
    mine, theirs = list(critics[tt].parameters()), list(critics[torch].parameters())
    # the last bias moves D(x) but not its slope: no gradient, in both
    assert [p.grad is None for p in mine] == [p.grad is None for p in theirs] == \
        [False, False, False, True]
    for p, expected in zip(mine[:3], theirs[:3]):
        np.testing.assert_allclose(numpy(p.grad), numpy(expected.grad), rtol=1e-9,
                                   atol=1e-12)


# ---------------------------------------------------------------- random draws
def test_random_draws_pass_zero_gradients_to_every_order(device):
    """A draw's parameters get zero gradients (as PyTorch's), to every order: the
    recorded ones are constants, and so are their own gradients."""
    rng = np.random.default_rng(0)
    x, mean = ours(normal((2, 3), (2, 3))(rng), device)
    p = tt.full((2, 3), 0.5, dtype=tt.float64, device=device, requires_grad=True)
    draw = tt.normal(mean, 1.0) * tt.bernoulli(p)
    grads = tt.autograd.grad((x * x * draw).sum(), (x, mean, p), create_graph=True)
    assert [g.requires_grad for g in grads] == [True, False, False]
    assert numpy(grads[1]).tolist() == numpy(grads[2]).tolist() == [[0.0] * 3] * 2
    u = tt.tensor(rng.standard_normal((2, 3)), device=device)
    second = tt.autograd.grad((grads[0] * u).sum(), (x, mean, p),
                              materialize_grads=True)
    np.testing.assert_allclose(numpy(second[0]), numpy(2 * u * draw), rtol=1e-12)
    assert numpy(second[1]).tolist() == numpy(second[2]).tolist() == [[0.0] * 3] * 2
