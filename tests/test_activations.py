"""GELU, SiLU, LeakyReLU, ELU, Softplus, Hardtanh, ReLU6 and erf: PyTorch's values and gradients, including at
the kinks and for inputs of ±1000, dtypes, repr and errors. (Float64 gradchecks live in op_cases.py.)"""
import numpy as np
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial import nn
from tinygrad_tutorial.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch to run the parity tests")

# the kinks (0, ±1, 6, the softplus threshold 20), ordinary values, and values that would overflow e^x
EDGES = np.array([-1000.0, -30.0, -6.0, -1.0, -0.5, 0.0, 0.3, 1.0, 2.5, 6.0, 7.0, 19.99, 20.0, 20.01, 1000.0])

MODULES = [("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("LeakyReLU", ()), ("LeakyReLU", (0.2,)),
           ("ELU", ()), ("ELU", (0.5,)), ("Softplus", ()), ("Softplus", (2.0, 5.0)), ("Hardtanh", ()),
           ("Hardtanh", (-2.0, 0.5)), ("ReLU6", ())]


@pytest.mark.parametrize("name, args", MODULES, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activation_matches_torch(device, name, args, dtype):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    values = np.concatenate([EDGES, np.random.default_rng(0).standard_normal(40) * 3]).astype(dtype)
    x, t_x = tt.tensor(values, device=device, requires_grad=True), torch.tensor(values, requires_grad=True)
    out, t_out = ours(x), theirs(t_x)
    direction = np.random.default_rng(1).standard_normal(values.shape).astype(dtype)
    out.backward(tt.tensor(direction, device=device))
    t_out.backward(torch.tensor(direction))
    tolerance = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out.detach().cpu().numpy(), t_out.detach().numpy(), rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(x.grad.cpu().numpy(), t_x.grad.numpy(), rtol=tolerance * 10, atol=tolerance * 10)
    assert out.dtype == x.grad.dtype == getattr(tt, dtype)


@pytest.mark.parametrize("name", ["SiLU", "LeakyReLU", "ELU", "Hardtanh", "ReLU6"])
def test_inplace_is_accepted_and_shown_as_in_torch(name):
    assert repr(getattr(nn, name)(inplace=True)) == repr(getattr(torch.nn, name)(inplace=True))


def test_erf_matches_torch_and_gives_floats(device):
    values = np.linspace(-6, 6, 1001).astype(np.float32)
    out = tt.erf(tt.tensor(values, device=device))
    np.testing.assert_allclose(out.cpu().numpy(), torch.erf(torch.tensor(values)).numpy(), rtol=1e-6, atol=1e-7)
    assert out.dtype == tt.float32
    assert tt.tensor([1, 2], device=device).erf().dtype == tt.float32  # integers become floats, as PyTorch
    scalar = tt.tensor(0.5, dtype=tt.float64, device=device).erf()
    assert scalar.shape == () and abs(scalar.item() - 0.5204998778130465) < 1e-15


def test_activations_need_no_parameters_and_work_in_sequential(device):
    model = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 2), nn.SiLU()).to(device)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model(tt.ones(5, 3, device=device)).shape == (5, 2)


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        F.gelu(tt.ones(2), approximate="sigmoid")
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        nn.GELU("erf")(tt.ones(2))
