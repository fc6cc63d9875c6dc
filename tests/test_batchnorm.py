"""BatchNorm1d / BatchNorm2d and F.batch_norm: PyTorch's outputs, gradients and running statistics over several
training steps, then its evaluation outputs; float64 gradcheck; buffers, state_dict keys, repr and errors."""
import numpy as np
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial import nn
from tinygrad_tutorial.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch to run the parity tests")


def assert_close(ours, theirs, rtol=1e-5, atol=1e-5):
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().cpu().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def to_ours(module):
    return {k: v.numpy() for k, v in module.state_dict().items()}


SETTINGS = [dict(), dict(momentum=None), dict(momentum=0.3, eps=1e-3), dict(affine=False),
            dict(track_running_stats=False), dict(bias=False)]


@pytest.mark.parametrize("kind, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                         ("BatchNorm2d", (4, 3, 5, 2))])
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()) or "default")
def test_batchnorm_matches_torch_over_training_steps_then_eval(device, kind, shape, settings):
    theirs = getattr(torch.nn, kind)(3, **settings)
    ours = getattr(nn, kind)(3, **settings)
    assert list(ours.state_dict()) == list(theirs.state_dict()) and repr(ours) == repr(theirs)
    if theirs.weight is not None:  # start from parameters other than 1 and 0, so they matter
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            if theirs.bias is not None:
                theirs.bias.uniform_(-1, 1)
    ours.load_state_dict(to_ours(theirs))
    ours.to(device)
    rng = np.random.default_rng(0)
    for step in range(3):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(np.float32)  # the statistics change
        direction = rng.standard_normal(shape).astype(np.float32)
        ours_x, their_x = tt.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, t_out = ours(ours_x), theirs(their_x)
        assert_close(out, t_out)
        assert out.dtype == tt.float32
        out.backward(tt.tensor(direction, device=device))
        t_out.backward(torch.tensor(direction))
        assert_close(ours_x.grad, their_x.grad, atol=1e-4)
        for name, param in theirs.named_parameters():
            assert_close(getattr(ours, name).grad, param.grad, atol=1e-4)
        for name, buffer in theirs.named_buffers():
            assert_close(getattr(ours, name), buffer)
            assert getattr(ours, name).dtype == getattr(tt, str(buffer.dtype).split(".")[1])
    ours.eval(), theirs.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    assert_close(ours(tt.tensor(x, device=device)), theirs(torch.tensor(x)))
    if theirs.num_batches_tracked is not None:
        assert int(ours.num_batches_tracked) == 3


def test_batch_norm_function_matches_torch(device):
    rng = np.random.default_rng(1)
    x, mean, var = rng.standard_normal((5, 4, 3)), rng.standard_normal(4), rng.uniform(0.5, 2, 4)
    x, mean, var = x.astype(np.float32), mean.astype(np.float32), var.astype(np.float32)
    for training in (True, False):
        ours_mean, ours_var = tt.tensor(mean, device=device), tt.tensor(var, device=device)
        their_mean, their_var = torch.tensor(mean), torch.tensor(var)
        out = F.batch_norm(tt.tensor(x, device=device), ours_mean, ours_var, training=training, momentum=0.2)
        t_out = torch.nn.functional.batch_norm(torch.tensor(x), their_mean, their_var, training=training,
                                               momentum=0.2)
        assert_close(out, t_out)
        assert_close(ours_mean, their_mean)
        assert_close(ours_var, their_var)
    without_stats = F.batch_norm(tt.tensor(x, device=device), None, None, training=True)
    assert_close(without_stats, torch.nn.functional.batch_norm(torch.tensor(x), None, None, training=True))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(device, training):
    rng = np.random.default_rng(2)
    x = tt.tensor(rng.standard_normal((4, 3, 2)), device=device, requires_grad=True)
    weight = tt.tensor(rng.uniform(0.5, 1.5, 3), device=device, requires_grad=True)
    bias = tt.tensor(rng.standard_normal(3), device=device, requires_grad=True)
    mean = tt.tensor(rng.standard_normal(3), device=device, dtype=tt.float64)
    var = tt.tensor(rng.uniform(0.5, 2, 3), device=device, dtype=tt.float64)
    # training updates mean and var on every call; gradcheck calls many times, so give it no running stats
    stats = (None, None) if training else (mean, var)
    assert tt.gradcheck(lambda x, w, b: F.batch_norm(x, *stats, w, b, training=training), (x, weight, bias))


def test_running_stats_are_not_part_of_the_graph():
    norm = nn.BatchNorm1d(2)
    x = tt.randn(8, 2, requires_grad=True)
    norm(x).sum().backward()
    assert not norm.running_mean.requires_grad and norm.running_mean.grad_fn is None
    assert not norm.running_var.requires_grad and norm.num_batches_tracked.dtype == tt.int64


def test_double_converts_the_running_stats_but_not_the_counter(device):
    norm = nn.BatchNorm2d(2).to(device).double()
    assert norm.running_mean.dtype == norm.running_var.dtype == norm.weight.dtype == tt.float64
    assert norm.num_batches_tracked.dtype == tt.int64
    assert norm(tt.randn(3, 2, 2, 2, dtype=tt.float64, device=device)).dtype == tt.float64
    assert norm.running_mean.device == tt.device(device) and int(norm.num_batches_tracked) == 1


def test_buffers_absent_without_tracking():
    norm = nn.BatchNorm2d(3, track_running_stats=False)
    assert norm.running_mean is None and norm.running_var is None and norm.num_batches_tracked is None
    assert list(norm.state_dict()) == ["weight", "bias"]


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(tt.ones(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(tt.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size "
                                         r"tinygrad_tutorial.Size\(\[1, 3\]\)"):
        nn.BatchNorm1d(3)(tt.ones(1, 3))
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        nn.BatchNorm1d(3)(tt.ones(2, 4))
    with pytest.raises(RuntimeError, match="batch_norm: input is tinygrad_tutorial.float64 but running_mean is "
                                           "tinygrad_tutorial.float32"):
        nn.BatchNorm1d(3)(tt.ones(2, 3, dtype=tt.float64))
    norm = nn.BatchNorm1d(3).eval()
    assert norm(tt.ones(1, 3)).shape == (1, 3)  # evaluation uses the running stats: one sample is fine
