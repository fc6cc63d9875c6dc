"""jit.trace: record the ops once, replay them on new inputs; gradients through the replay; what it freezes."""
import warnings

import numpy as np
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial import autograd, jit, nn
from tinygrad_tutorial.nn import functional as F


def mlp():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def assert_same(a, b):
    np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().cpu().numpy(), rtol=1e-6, atol=1e-6)


def test_replay_equals_eager_on_new_inputs(device):
    model = mlp().to(device)
    traced = jit.trace(model, tt.randn(5, 4, device=device))
    for _ in range(3):
        x = tt.randn(5, 4, device=device)
        with tt.no_grad():
            out = traced(x)
        assert_same(out, model(x))
        assert out.dtype == tt.float32 and out.device == x.device and out.grad_fn is None


def test_replay_records_no_python_of_the_function(device):
    calls = []

    def fn(x, y):
        calls.append(1)
        return (x * y).sum(1), x.exp()

    traced = jit.trace(fn, (tt.randn(2, 3, device=device), tt.randn(2, 3, device=device)))
    x, y = tt.randn(2, 3, device=device), tt.randn(2, 3, device=device)
    total, exp = traced(x, y)
    assert len(calls) == 1  # only the trace ran fn
    assert_same(total, (x * y).sum(1))
    assert_same(exp, x.exp())
    assert [op.function.__name__ for op in traced.graph] == ["Mul", "Sum", "Exp"]


def test_gradients_through_replay_equal_eager_gradients(device):
    model = mlp().to(device)
    traced = jit.trace(lambda x, t: F.mse_loss(model(x), t), (tt.randn(5, 4, device=device), tt.randn(5, 3, device=device)))
    x, target = tt.randn(5, 4, device=device, requires_grad=True), tt.randn(5, 3, device=device)

    loss = F.mse_loss(model(x), target)
    loss.backward()
    eager = [p.grad.detach().cpu().numpy().copy() for p in model.parameters()] + [x.grad.cpu().numpy().copy()]
    model.zero_grad()
    x.grad = None

    replayed = traced(x, target)
    assert replayed.grad_fn is not None
    assert_same(replayed, loss)
    replayed.backward()
    for ours, expected in zip([p.grad for p in model.parameters()] + [x.grad], eager):
        np.testing.assert_allclose(ours.cpu().numpy(), expected, rtol=1e-6, atol=1e-7)


def test_parameters_are_read_at_replay_time_so_training_through_a_trace_works(device):
    model = mlp().to(device)
    x, target = tt.randn(16, 4, device=device), tt.randn(16, 3, device=device)
    step = jit.trace(lambda x, t: F.mse_loss(model(x), t), (x, target))
    optimizer = tt.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = step(x, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
    assert_same(step(x, target), F.mse_loss(model(x), target))  # the trace sees the updated weights


def test_data_dependent_branch_is_frozen_at_trace_time():
    def sign_dependent(x):
        if x.sum() > 0:  # Python control flow: the tracer sees only the branch taken
            return x * 2
        return -x

    with pytest.warns(jit.TracerWarning, match="to a Python value while tracing"):
        traced = jit.trace(sign_dependent, tt.ones(3))
    negative = -tt.ones(3)
    assert sign_dependent(negative).tolist() == [1.0, 1.0, 1.0]  # eager takes the other branch
    assert traced(negative).tolist() == [-2.0, -2.0, -2.0]  # the trace replays "x * 2": wrong here
    assert [op.function.__name__ for op in traced.graph] == ["Mul"]  # the test itself was dropped as dead code


def test_check_inputs_catch_a_frozen_branch_and_pass_a_faithful_trace():
    def sign_dependent(x):
        return x * 2 if x.sum() > 0 else -x

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jit.trace(sign_dependent, tt.ones(3), check_inputs=[tt.full((3,), 2.0)])  # same branch: consistent
        assert not [w for w in caught if "does not match" in str(w.message)]
        jit.trace(sign_dependent, tt.ones(3), check_inputs=[(-tt.ones(3),)])
    assert [w for w in caught if "output 0 of the traced function does not match" in str(w.message)]


def test_warns_when_an_op_freezes_an_array_option():
    with pytest.warns(jit.TracerWarning, match="Where takes an array as its option 'condition'"):
        jit.trace(lambda x: tt.where(x > 0, x, 0.0), tt.randn(3))


def test_no_warning_for_a_plain_model():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jit.trace(mlp(), tt.randn(2, 4))


def test_wrong_inputs_are_named():
    traced = jit.trace(lambda x, y: x + y, (tt.randn(2, 3), tt.randn(3)))
    with pytest.raises(TypeError, match=r"takes 2 input\(s\), of shapes \[\(2, 3\), \(3,\)\]; got 1"):
        traced(tt.randn(2, 3))
    with pytest.raises(RuntimeError, match=r"input 1 has shape \(4,\) but the function was traced with shape \(3,\)"):
        traced(tt.randn(2, 3), tt.randn(4))
    with pytest.raises(RuntimeError, match="input 0 is tinygrad_tutorial.float64 on cpu but the function was traced "
                                           "with tinygrad_tutorial.float32 on cpu"):
        traced(tt.randn(2, 3, dtype=tt.float64), tt.randn(3))
    with pytest.raises(TypeError, match="must return a Tensor or a tuple of Tensors; output 0 is a float"):
        jit.trace(lambda x: 1.0, tt.randn(2))


def test_graph_prints_as_code_with_parameter_names():
    model = nn.Sequential(nn.Linear(4, 2), nn.ReLU())
    traced = jit.trace(model, tt.randn(3, 4))
    lines = traced.code.splitlines()
    assert lines[0] == "def traced(x0):" and lines[-1] == f"    return v{len(traced.graph)}"
    assert lines[1].startswith("    v1 = ") and "(x0, 0.weight" in traced.code and "0.bias" in traced.code
    assert [line.split(" = ")[1].split("(")[0] for line in lines[1:-1]] == [op.function.__name__
                                                                             for op in traced.graph]
    assert lines[-2] == "    v{0} = ReLU(v{1})".format(len(traced.graph), len(traced.graph) - 1)
    assert repr(traced) == traced.code


def test_tracing_leaves_no_hook_behind_even_when_fn_raises():
    def broken(x):
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        jit.trace(broken, tt.randn(2))
    assert autograd._tracer is None


def test_a_conv_and_attention_model_replays_like_eager(device):
    conv = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()).to(device)
    attention = nn.MultiheadAttention(8, 2, batch_first=True).to(device)
    norm = nn.LayerNorm(8).to(device)

    def model(images):
        h = conv(images).reshape(2, 4, 8)
        return norm(h + attention(h, h, h)[0])

    traced = jit.trace(model, tt.randn(2, 1, 8, 8, device=device))
    x = tt.randn(2, 1, 8, 8, device=device)
    assert_same(traced(x), model(x))


def test_token_ids_flow_through_an_embedding_replay(device):
    """The ids are an input of the lookup op (not a frozen option), so new ids give new rows."""
    table = nn.Embedding(10, 4).to(device)
    traced = jit.trace(table, tt.tensor([[1, 2, 3]], device=device))
    ids = tt.tensor([[7, 7, 0]], device=device)
    assert_same(traced(ids), table(ids))
