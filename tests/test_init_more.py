"""nn.init beyond the defaults: every gain, mode and nonlinearity of the Xavier and Kaiming
initialisers against PyTorch's (bounds, variance, shapes, dtypes), calculate_gain's values,
and the warnings and errors PyTorch gives for tensors that cannot be initialised."""
import math

import numpy as np
import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.nn as nn

torch = pytest.importorskip("torch")

NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


def host(t):
    return t.detach().cpu().numpy()


@pytest.mark.parametrize("name", NONLINEARITIES)
def test_calculate_gain_matches_pytorch(name):
    assert nn.init.calculate_gain(name) == torch.nn.init.calculate_gain(name)


@pytest.mark.parametrize("slope", [0, 0.2, 1, 3.0])
def test_leaky_relu_gain_uses_the_slope_as_pytorch_does(slope):
    ours = nn.init.calculate_gain("leaky_relu", slope)
    assert ours == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", slope), rel=1e-15)


@pytest.mark.parametrize("bad", [True, "0.1"])
def test_leaky_relu_gain_refuses_a_slope_that_is_not_a_number(bad):
    with pytest.raises(ValueError) as theirs:
        torch.nn.init.calculate_gain("leaky_relu", bad)
    with pytest.raises(ValueError) as ours:
        nn.init.calculate_gain("leaky_relu", bad)
    assert str(ours.value) == str(theirs.value)


# A (64, 32, 3, 3) convolution weight: fan_in 32·9 = 288, fan_out 64·9 = 576.
SHAPES = [(300, 200), (64, 32, 3, 3), (200, 10, 5)]
KAIMING_OPTIONS = [dict(), dict(mode="fan_out"), dict(nonlinearity="relu"),
                   dict(a=0.3, mode="fan_out"), dict(nonlinearity="tanh"), dict(nonlinearity="linear")]


def kaiming_std(shape, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    gain = torch.nn.init.calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan_in if mode == "fan_in" else fan_out)


def xavier_std(shape, gain=1.0):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def check_distribution(ours, theirs, std, uniform):
    """Same shape and dtype as PyTorch's, the standard deviation the formula gives (both
    libraries' samples, each to 5%: with 10,000 samples or more that is over 7 standard
    errors), and a uniform within its bound."""
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == tt.float32
    values, reference = host(ours), theirs.numpy()
    assert values.std() == pytest.approx(std, rel=0.05)
    assert reference.std() == pytest.approx(std, rel=0.05)
    assert abs(values.mean()) < 0.1 * std
    if uniform:
        bound = math.sqrt(3.0) * std  # U(-b, b) has variance b²/3
        assert np.abs(values).max() <= bound and np.abs(reference).max() <= bound
        assert np.abs(values).max() > 0.95 * bound  # it fills the interval, not a smaller one


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("options", KAIMING_OPTIONS)
@pytest.mark.parametrize("kind", ["uniform", "normal"])
def test_kaiming_matches_pytorch(shape, options, kind):
    torch.manual_seed(0)
    ours = getattr(nn.init, f"kaiming_{kind}_")(tt.empty(*shape), **options)
    theirs = getattr(torch.nn.init, f"kaiming_{kind}_")(torch.empty(shape), **options)
    check_distribution(ours, theirs, kaiming_std(shape, **options), kind == "uniform")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gain", [1.0, 5.0 / 3, math.sqrt(2.0)])
@pytest.mark.parametrize("kind", ["uniform", "normal"])
def test_xavier_matches_pytorch(shape, gain, kind):
    torch.manual_seed(0)
    ours = getattr(nn.init, f"xavier_{kind}_")(tt.empty(*shape), gain=gain)
    theirs = getattr(torch.nn.init, f"xavier_{kind}_")(torch.empty(shape), gain=gain)
    check_distribution(ours, theirs, xavier_std(shape, gain), kind == "uniform")


@pytest.mark.parametrize("init", ["kaiming_uniform_", "kaiming_normal_", "xavier_uniform_",
                                  "xavier_normal_"])
def test_initialisers_fill_in_place_on_the_tensors_device_and_dtype(init, device):
    weight = tt.zeros(40, 30, dtype=tt.float64, device=device)
    assert getattr(nn.init, init)(weight) is weight
    assert weight.dtype == tt.float64 and weight.device.type == tt.device(device).type
    assert host(weight).std() > 0


def test_a_generator_makes_the_draw_reproducible():
    first = nn.init.kaiming_normal_(tt.empty(8, 8), generator=tt.Generator().manual_seed(3))
    again = nn.init.kaiming_normal_(tt.empty(8, 8), generator=tt.Generator().manual_seed(3))
    assert np.array_equal(host(first), host(again))


@pytest.mark.parametrize("shape", [(0, 3), (3, 0)])
@pytest.mark.parametrize("init", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_of_a_zero_element_tensor_warns_and_does_nothing(shape, init):
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        getattr(torch.nn.init, init)(torch.empty(shape))
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        assert tuple(getattr(nn.init, init)(tt.empty(*shape)).shape) == shape


@pytest.mark.parametrize("call", [
    lambda init, empty: init.kaiming_uniform_(empty(4, 3), mode="fan_avg"),
    lambda init, empty: init.kaiming_normal_(empty(4, 3), nonlinearity="gelu"),
    lambda init, empty: init.xavier_normal_(empty(4)),
    lambda init, empty: init.xavier_uniform_(empty(4)),
])
def test_bad_options_get_pytorchs_error(call):
    with pytest.raises(ValueError) as theirs:
        call(torch.nn.init, torch.empty)
    with pytest.raises(ValueError) as ours:
        call(nn.init, tt.empty)
    assert str(ours.value) == str(theirs.value)
