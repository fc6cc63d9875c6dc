"""Layers and activations: values and gradients against PyTorch, float64 gradchecks, Linear's
initialisation, Dropout's train/eval behaviour and the errors bad input gets."""
import math

import numpy as np
import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.nn as nn
import tinygrad_tutorial.nn.functional as F
from tinygrad_tutorial.gradcheck import gradcheck


def rand(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def leaf(array, device="cpu"):
    return tt.tensor(array, device=device, requires_grad=True)


def host(t):
    return t.detach().cpu().numpy()


ACTIVATIONS = [
    (nn.ReLU(), "ReLU", {}),
    (nn.Sigmoid(), "Sigmoid", {}),
    (nn.Tanh(), "Tanh", {}),
    (nn.Softmax(dim=1), "Softmax", {"dim": 1}),
    (nn.Softmax(dim=0), "Softmax", {"dim": 0}),
    (nn.LogSoftmax(dim=1), "LogSoftmax", {"dim": 1}),
    (nn.Flatten(), "Flatten", {}),
    (nn.Flatten(0, 1), "Flatten", {"start_dim": 0, "end_dim": 1}),
    (nn.Identity(), "Identity", {}),
]


@pytest.mark.parametrize("layer, torch_name, kwargs", ACTIVATIONS, ids=[repr(a[0]) for a in ACTIVATIONS])
def test_activation_layers_match_pytorch(layer, torch_name, kwargs, device):
    torch = pytest.importorskip("torch")
    x = rand(4, 3, 2, scale=3.0)
    x[0, 0, 0] = 0.0  # a kink: ReLU's gradient there is 0, as PyTorch's
    weights = rand(*getattr(torch.nn, torch_name)(**kwargs)(torch.tensor(x)).shape, seed=1)
    ours = leaf(x, device)
    out = layer(ours)
    (out * tt.tensor(weights, device=device)).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    torch_out = getattr(torch.nn, torch_name)(**kwargs)(theirs)
    (torch_out * torch.tensor(weights)).sum().backward()
    assert out.dtype == tt.float32 and out.device == tt.device(device) and ours.grad.dtype == tt.float32
    np.testing.assert_allclose(host(out), torch_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(host(ours.grad), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert repr(layer) == repr(getattr(torch.nn, torch_name)(**kwargs))


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_pytorch(bias, device):
    torch = pytest.importorskip("torch")
    torch_layer = torch.nn.Linear(3, 4, bias=bias)
    layer = nn.Linear(3, 4, bias=bias)
    layer.load_state_dict(torch_layer.state_dict())
    layer.to(device)
    x = rand(5, 3)
    weights = rand(5, 4, seed=1)
    ours = leaf(x, device)
    (layer(ours) * tt.tensor(weights, device=device)).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    torch_out = torch_layer(theirs)
    (torch_out * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(host(layer(ours)), torch_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(host(ours.grad), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)
    for (name, param), (torch_name, torch_param) in zip(layer.named_parameters(), torch_layer.named_parameters()):
        assert name == torch_name
        assert param.grad.dtype == tt.float32 and param.grad.device == tt.device(device)
        np.testing.assert_allclose(host(param.grad), torch_param.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert repr(layer) == repr(torch_layer)


def test_linear_works_on_batches_of_any_rank():
    layer = nn.Linear(3, 2)
    x = tt.randn(4, 5, 3)
    expected = host(x) @ host(layer.weight).T + host(layer.bias)
    np.testing.assert_allclose(host(layer(x)), expected, rtol=1e-5, atol=1e-6)
    assert layer(tt.randn(3)).shape == (2,)


def test_linear_wrong_input_size_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(100x3 and 2x5\)"):
        nn.Linear(2, 5)(tt.randn(100, 3))


def test_linear_init_follows_pytorch_formula():
    """W and b ~ U(-1/√fan_in, 1/√fan_in): the bound is respected and the std is bound/√3."""
    layer = nn.Linear(256, 512)
    bound = 1 / math.sqrt(256)
    weight, bias = host(layer.weight), host(layer.bias)
    assert weight.dtype == np.float32 and weight.shape == (512, 256) and bias.shape == (512,)
    assert np.abs(weight).max() <= bound and np.abs(bias).max() <= bound
    assert np.abs(weight).max() > 0.99 * bound  # it uses the whole range
    assert weight.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert abs(weight.mean()) < 0.05 * bound
    assert bias.std() == pytest.approx(bound / math.sqrt(3), rel=0.15)


def test_linear_init_matches_pytorch_distribution():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Linear(300, 200).weight.detach().numpy()
    ours = host(nn.Linear(300, 200).weight)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)
    assert np.abs(ours).max() == pytest.approx(np.abs(theirs).max(), rel=0.01)


def test_linear_keyword_options():
    layer = nn.Linear(2, 3, dtype=tt.float64)
    assert layer.weight.dtype == tt.float64 and layer.bias.dtype == tt.float64
    assert nn.Linear(2, 3, bias=False).bias is None
    assert repr(nn.Linear(2, 3, bias=False)) == "Linear(in_features=2, out_features=3, bias=False)"


def test_linear_and_activations_gradcheck_in_float64():
    x, w, b = tt.randn(4, 3, requires_grad=True), tt.randn(2, 3, requires_grad=True), tt.randn(2, requires_grad=True)
    assert gradcheck(F.linear, (x, w, b))
    assert gradcheck(lambda x: F.relu(x), (x,))
    assert gradcheck(lambda x: F.sigmoid(x), (x,))
    assert gradcheck(lambda x: F.tanh(x), (x,))
    assert gradcheck(lambda x: F.softmax(x, dim=1), (x,))
    assert gradcheck(lambda x: F.log_softmax(x, dim=0), (x,))
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    assert gradcheck(model, (x,))


def test_softmax_is_stable_for_huge_logits():
    x = tt.tensor([[1000.0, 0.0, -1000.0]])
    assert np.isfinite(host(F.softmax(x, dim=1))).all() and np.isfinite(host(F.log_softmax(x, dim=1))).all()
    np.testing.assert_allclose(host(F.log_softmax(x, dim=1)), [[0.0, -1000.0, -2000.0]])


def test_softmax_without_dim_is_explained():
    with pytest.raises(TypeError, match="needs dim="):
        F.softmax(tt.randn(2, 3))


def test_dropout_in_training_zeroes_and_rescales(device):
    x = tt.ones(200, 100, device=device)
    layer = nn.Dropout(p=0.25)
    out = host(layer(x))
    kept = out != 0
    assert out.dtype == np.float32
    assert kept.mean() == pytest.approx(0.75, abs=0.02)
    np.testing.assert_allclose(out[kept], 1 / 0.75)  # inverted dropout: expectation unchanged
    assert layer(x).device == tt.device(device)


def test_dropout_gradient_flows_only_through_kept_elements():
    x = tt.ones(50, 40, requires_grad=True)
    out = F.dropout(x, p=0.5, training=True)
    out.sum().backward()
    np.testing.assert_array_equal(host(x.grad), host(out))  # d(out)/dx is the mask: 0 or 1/(1-p)


def test_dropout_in_eval_is_identity():
    x = tt.randn(10, 10)
    layer = nn.Dropout(0.9).eval()
    assert layer(x) is x
    assert F.dropout(x, 0.5, training=False) is x


def test_dropout_edge_probabilities_and_bad_values():
    x = tt.randn(10, 10)
    assert F.dropout(x, 0.0) is x
    assert not host(F.dropout(x, 1.0)).any()
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1, but got -0.1"):
        F.dropout(x, -0.1)


def test_dropout_is_seeded():
    x = tt.ones(8, 8)
    tt.manual_seed(3)
    first = host(F.dropout(x, 0.5))
    tt.manual_seed(3)
    assert np.array_equal(first, host(F.dropout(x, 0.5)))


def test_init_functions():
    w = tt.empty(64, 32)
    assert nn.init.zeros_(w) is w and not host(w).any()
    assert (host(nn.init.ones_(w)) == 1).all() and (host(nn.init.constant_(w, 0.5)) == 0.5).all()
    bound = math.sqrt(6 / 32)  # kaiming_uniform_ with a=0: gain √2, bound gain·√(3/fan_in)
    assert np.abs(host(nn.init.kaiming_uniform_(w))).max() <= bound
    assert host(nn.init.kaiming_normal_(tt.empty(400, 300))).std() == pytest.approx(math.sqrt(2 / 300), rel=0.02)
    assert np.abs(host(nn.init.xavier_uniform_(w))).max() <= math.sqrt(6 / 96)
    assert host(nn.init.xavier_normal_(tt.empty(400, 300))).std() == pytest.approx(math.sqrt(2 / 700), rel=0.02)
    assert host(nn.init.uniform_(w, 2, 3)).min() >= 2 and host(nn.init.normal_(w, 5, 0.01)).mean() > 4.9
    assert w.dtype == tt.float32


def test_init_works_on_parameters_and_records_no_graph():
    layer = nn.Linear(3, 3)
    nn.init.xavier_uniform_(layer.weight)
    assert layer.weight.is_leaf and layer.weight.grad_fn is None and layer.weight.requires_grad


def test_init_gains_and_fans_match_pytorch():
    torch = pytest.importorskip("torch")
    for name, param in [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                        ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    assert nn.init._calculate_fan_in_and_fan_out(tt.empty(4, 3, 5)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(4, 3, 5))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.kaiming_uniform_(tt.empty(3))
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        nn.init.calculate_gain("swish")


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (3,)])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_linear_agrees_with_the_composed_ops(shape, bias, device):
    """F.linear is one node; ``x @ w.t() + b`` built from primitives must give the same values and grads."""
    x = tt.randn(*shape, device=device, requires_grad=True)
    w = tt.randn(4, 3, device=device, requires_grad=True)
    b = tt.randn(4, device=device, requires_grad=True) if bias else None
    v = tt.randn(*shape[:-1], 4, device=device)
    fused = F.linear(x, w, b)
    (fused * v).sum().backward()
    grads = [host(t.grad) for t in (x, w, b) if t is not None]
    for t in (x, w, b):
        if t is not None:
            t.grad = None
    composed = x @ w.t() + b if bias else x @ w.t()
    (composed * v).sum().backward()
    np.testing.assert_allclose(host(fused), host(composed), rtol=1e-5, atol=1e-6)
    for grad, t in zip(grads, [t for t in (x, w, b) if t is not None]):
        np.testing.assert_allclose(grad, host(t.grad), rtol=1e-5, atol=1e-6)
    assert gradcheck(F.linear, (x, w, b) if bias else (x, w))


def test_linear_skips_gradients_nobody_needs():
    x, w = tt.randn(5, 3), tt.randn(4, 3, requires_grad=True)
    F.linear(x, w).sum().backward()
    assert x.grad is None and w.grad.shape == (4, 3)


def test_linear_bad_parameters_are_explained():
    with pytest.raises(RuntimeError, match="input is tinygrad_tutorial.float64 but a parameter is"):
        nn.Linear(3, 2)(tt.randn(4, 3, dtype=tt.float64))
    with pytest.raises(RuntimeError, match=r"bias of shape \(3,\) does not match weight of shape \(2, 3\)"):
        F.linear(tt.randn(4, 3), tt.randn(2, 3), tt.randn(3))
    with pytest.raises(RuntimeError, match=r"\(20x3 and 4x5\)"):
        F.linear(tt.randn(4, 5, 3), tt.randn(5, 4))
