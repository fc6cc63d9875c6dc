"""Conv2d, unfold (im2col) and MaxPool2d: PyTorch's values and gradients, float64 gradcheck, init and errors."""
import math

import numpy as np
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial import nn
from tinygrad_tutorial.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch to run the parity tests")

# (stride, padding, dilation) for a 3x2 kernel on a 7x6 image
WINDOWS = [(1, 0, 1), (2, 1, 1), ((2, 1), (1, 2), (2, 1)), (3, 2, 1)]


def ours_and_torch(array, device, requires_grad=True):
    return (tt.tensor(array, device=device, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def assert_close(ours, theirs, rtol=1e-5, atol=1e-5):
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().cpu().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def backward_both(out, t_out, seed=1):
    direction = np.random.default_rng(seed).standard_normal(tuple(t_out.shape)).astype(np.float32)
    out.backward(tt.tensor(direction, device=out.device))
    t_out.backward(torch.tensor(direction))


@pytest.mark.parametrize("stride, padding, dilation", WINDOWS)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch(device, stride, padding, dilation, bias):
    rng = np.random.default_rng(0)
    x, t_x = ours_and_torch(rng.standard_normal((2, 3, 7, 6)).astype(np.float32), device)
    w, t_w = ours_and_torch(rng.standard_normal((4, 3, 3, 2)).astype(np.float32), device)
    b, t_b = ours_and_torch(rng.standard_normal(4).astype(np.float32), device) if bias else (None, None)
    out = F.conv2d(x, w, b, stride, padding, dilation)
    t_out = torch.nn.functional.conv2d(t_x, t_w, t_b, stride, padding, dilation)
    assert_close(out, t_out)
    assert out.dtype == tt.float32 and out.device == x.device
    backward_both(out, t_out)
    for ours, theirs in [(x, t_x), (w, t_w)] + ([(b, t_b)] if bias else []):
        assert_close(ours.grad, theirs.grad, rtol=1e-4, atol=1e-4)
        assert ours.grad.dtype == tt.float32 and ours.grad.device == ours.device


@pytest.mark.parametrize("stride, padding, dilation", WINDOWS)
def test_unfold_matches_torch(device, stride, padding, dilation):
    array = np.random.default_rng(0).standard_normal((2, 3, 7, 6)).astype(np.float32)
    x, t_x = ours_and_torch(array, device)
    cols = F.unfold(x, (3, 2), dilation, padding, stride)
    t_cols = torch.nn.functional.unfold(t_x, (3, 2), dilation, padding, stride)
    assert_close(cols, t_cols, rtol=0, atol=0)  # im2col only copies
    backward_both(cols, t_cols)  # col2im: overlapping windows add up
    assert_close(x.grad, t_x.grad)


def test_conv2d_of_one_unbatched_image(device):
    rng = np.random.default_rng(0)
    x, t_x = ours_and_torch(rng.standard_normal((2, 5, 5)).astype(np.float32), device, requires_grad=False)
    w, t_w = ours_and_torch(rng.standard_normal((3, 2, 3, 3)).astype(np.float32), device, requires_grad=False)
    out = F.conv2d(x, w, padding=1)
    assert out.shape == (3, 5, 5)
    assert_close(out, torch.nn.functional.conv2d(t_x, t_w, padding=1))


def test_conv2d_gradcheck(device):
    rng = np.random.default_rng(0)
    x = tt.tensor(rng.standard_normal((2, 2, 5, 4)), device=device, requires_grad=True)
    w = tt.tensor(rng.standard_normal((3, 2, 2, 3)), device=device, requires_grad=True)
    b = tt.tensor(rng.standard_normal(3), device=device, requires_grad=True)
    assert tt.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1), (x, w, b))


def test_conv2d_module_init_shapes_and_torch_state_dict(device):
    conv = nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1).to(device)
    assert conv.weight.shape == (8, 3, 3, 3) and conv.bias.shape == (8,)
    assert conv.weight.dtype == tt.float32 and conv.weight.device == tt.device(device)
    bound = 1 / math.sqrt(3 * 3 * 3)  # PyTorch's default: U(-1/√fan_in, 1/√fan_in) for weight and bias
    for p in (conv.weight, conv.bias):
        values = p.detach().cpu().numpy()
        assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 3
    reference = torch.nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)
    reference.load_state_dict({k: torch.tensor(v.cpu().numpy()) for k, v in conv.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 9)).astype(np.float32)
    assert_close(conv(tt.tensor(x, device=device)), reference(torch.tensor(x)))
    assert repr(conv) == repr(reference)
    assert list(nn.Conv2d(3, 8, 3, bias=False).state_dict()) == ["weight"]


def test_conv2d_errors_name_the_shapes():
    w = tt.randn(4, 3, 3, 3)
    with pytest.raises(RuntimeError, match=r"expected input\[2, 5, 8, 8\] to have 3 channels, but got 5"):
        F.conv2d(tt.randn(2, 5, 8, 8), w)
    with pytest.raises(RuntimeError, match=r"expected a 4-D input \(N, C, H, W\), got \(3, 8\)"):
        F.conv2d(tt.randn(3, 8), w)
    with pytest.raises(RuntimeError, match=r"padded input size per channel: \(2 x 2\). Kernel size: \(3 x 3\)"):
        F.conv2d(tt.randn(1, 3, 2, 2), w)
    with pytest.raises(RuntimeError, match=r"input type \(tinygrad_tutorial.float64\) and weight type"):
        F.conv2d(tt.randn(1, 3, 5, 5, dtype=tt.float64), w)


@pytest.mark.parametrize("kernel_size, stride, padding", [(2, None, 0), (3, 1, 1), ((3, 2), (2, 1), (1, 0))])
def test_max_pool2d_matches_torch(device, kernel_size, stride, padding):
    array = np.random.default_rng(0).standard_normal((2, 3, 7, 6)).astype(np.float32)
    x, t_x = ours_and_torch(array, device)
    out = F.max_pool2d(x, kernel_size, stride, padding)
    t_out = torch.nn.functional.max_pool2d(t_x, kernel_size, stride, padding)
    assert_close(out, t_out, rtol=0, atol=0)
    backward_both(out, t_out)
    assert_close(x.grad, t_x.grad)  # overlapping windows (stride 1) send several gradients to one max


def test_max_pool2d_gradient_goes_to_the_first_maximum_of_each_window(device):
    array = np.array([[[[1, 3, 3, 0], [3, 2, 0, 0], [5, 5, 1, 1], [5, 5, 1, 1]]]], np.float32)  # ties everywhere
    x, t_x = ours_and_torch(array, device)
    module, reference = nn.MaxPool2d(2), torch.nn.MaxPool2d(2)
    out, t_out = module(x), reference(t_x)
    assert out.tolist() == t_out.tolist() == [[[[3.0, 3.0], [5.0, 1.0]]]]
    out.sum().backward()
    t_out.sum().backward()
    assert x.grad.tolist() == t_x.grad.tolist()
    assert x.grad.sum().item() == 4  # one element per window, however many tie
    assert repr(module) == repr(reference)


def test_max_pool2d_gradcheck(device):
    values = np.random.default_rng(0).permutation(2 * 2 * 6 * 5).reshape(2, 2, 6, 5) * 0.1  # no ties
    x = tt.tensor(values, device=device, requires_grad=True)
    assert tt.gradcheck(lambda x: F.max_pool2d(x, 3, stride=2, padding=1), (x,))


def test_small_cnn_matches_torch_end_to_end(device):
    """Conv -> ReLU -> MaxPool -> Linear, built in both libraries from the same state_dict."""
    def build(m):
        return m.nn.Sequential(m.nn.Conv2d(1, 4, 3, padding=1), m.nn.ReLU(), m.nn.MaxPool2d(2), m.nn.Flatten(),
                               m.nn.Linear(4 * 4 * 4, 10))
    ours, theirs = build(tt).to(device), build(torch)
    theirs.load_state_dict({k: torch.tensor(v.cpu().numpy()) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(0)
    images, labels = rng.standard_normal((5, 1, 8, 8)).astype(np.float32), rng.integers(0, 10, 5)
    loss = F.cross_entropy(ours(tt.tensor(images, device=device)), tt.tensor(labels, device=device))
    t_loss = torch.nn.functional.cross_entropy(theirs(torch.tensor(images)), torch.tensor(labels))
    assert_close(loss, t_loss)
    loss.backward()
    t_loss.backward()
    for (name, p), t_p in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, t_p.grad, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- groups, padding="same"/"valid", padding_mode
DTYPES = [(np.float32, tt.float32, 1e-4), (np.float64, tt.float64, 1e-10)]


@pytest.mark.parametrize("np_dtype, dtype, tol", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("groups, kernel, options", [
    (2, (3, 3), {}), (2, (3, 2), {"padding": "same"}), (4, (3, 3), {"padding": "same", "dilation": 2}),
    (4, (2, 2), {"padding": "valid", "stride": 2}), (1, (2, 3), {"padding": "same", "dilation": (2, 1)}),
    (2, (3, 2), {"padding": (2, 1), "stride": (1, 2), "dilation": (1, 2)})],
    ids=["groups2", "same_even_kernel", "depthwise_same_dilated", "depthwise_valid_strided", "same_dilated",
         "groups2_asymmetric"])
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")  # torch's note on its speed
def test_grouped_and_same_conv2d_match_torch(device, np_dtype, dtype, tol, groups, kernel, options):
    rng = np.random.default_rng(2)
    x, t_x = ours_and_torch(rng.standard_normal((2, 4, 7, 6)).astype(np_dtype), device)
    w, t_w = ours_and_torch(rng.standard_normal((8, 4 // groups) + kernel).astype(np_dtype), device)
    b, t_b = ours_and_torch(rng.standard_normal(8).astype(np_dtype), device)
    out = F.conv2d(x, w, b, groups=groups, **options)
    t_out = torch.nn.functional.conv2d(t_x, t_w, t_b, groups=groups, **options)
    assert_close(out, t_out, rtol=tol, atol=tol)
    if options.get("padding") == "same":
        assert out.shape[2:] == x.shape[2:]
    assert out.dtype == dtype
    direction = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(np_dtype)
    out.backward(tt.tensor(direction, device=device))
    t_out.backward(torch.tensor(direction))
    for ours, theirs in [(x, t_x), (w, t_w), (b, t_b)]:
        assert_close(ours.grad, theirs.grad, rtol=tol, atol=tol)
        assert ours.grad.dtype == dtype and ours.grad.device == ours.device


def test_grouped_conv2d_gradcheck(device):
    rng = np.random.default_rng(3)
    x = tt.tensor(rng.standard_normal((2, 4, 5, 4)), device=device, requires_grad=True)
    w = tt.tensor(rng.standard_normal((6, 2, 2, 3)), device=device, requires_grad=True)
    b = tt.tensor(rng.standard_normal(6), device=device, requires_grad=True)
    assert tt.gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding="same", groups=2), (x, w, b))
    depthwise = tt.tensor(rng.standard_normal((4, 1, 3, 3)), device=device, requires_grad=True)
    assert tt.gradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=4), (x, depthwise))


def test_grouped_conv2d_is_one_convolution_per_group(device):
    """groups=2 is the same as two convolutions side by side, each on its half of the channels."""
    rng = np.random.default_rng(4)
    x = tt.tensor(rng.standard_normal((2, 4, 6, 6)).astype(np.float32), device=device)
    w = tt.tensor(rng.standard_normal((6, 2, 3, 3)).astype(np.float32), device=device)
    halves = tt.cat([F.conv2d(x[:, :2], w[:3]), F.conv2d(x[:, 2:], w[3:])], 1)
    np.testing.assert_allclose(F.conv2d(x, w, groups=2).cpu().numpy(), halves.cpu().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, (2, 1), "same", "valid"])
def test_conv2d_module_padding_modes_load_torch_state_dict(device, padding_mode, padding):
    torch.manual_seed(0)
    reference = torch.nn.Conv2d(4, 6, (3, 2), padding=padding, padding_mode=padding_mode, groups=2, dilation=(1, 2))
    conv = nn.Conv2d(4, 6, (3, 2), padding=padding, padding_mode=padding_mode, groups=2, dilation=(1, 2)).to(device)
    conv.load_state_dict({k: tt.tensor(v.detach().numpy()) for k, v in reference.state_dict().items()})
    x, t_x = ours_and_torch(np.random.default_rng(5).standard_normal((2, 4, 7, 6)).astype(np.float32), device)
    out, t_out = conv(x), reference(t_x)
    assert_close(out, t_out)
    assert repr(conv) == repr(reference)
    backward_both(out, t_out)
    assert_close(x.grad, t_x.grad, rtol=1e-4, atol=1e-4)  # the padded border sends gradients back inside
    assert_close(conv.weight.grad, reference.weight.grad, rtol=1e-4, atol=1e-4)


def test_conv2d_module_padding_mode_gradcheck(device):
    conv = nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect", groups=2).double().to(device)
    x = tt.tensor(np.random.default_rng(6).standard_normal((1, 2, 4, 5)), device=device, requires_grad=True)
    assert tt.gradcheck(conv, (x,))


def test_depthwise_conv2d_module_shapes_and_init(device):
    conv = nn.Conv2d(8, 16, kernel_size=3, groups=8).to(device)
    reference = torch.nn.Conv2d(8, 16, kernel_size=3, groups=8)
    assert conv.weight.shape == tuple(reference.weight.shape) == (16, 1, 3, 3)
    bound = 1 / math.sqrt(1 * 3 * 3)  # fan_in counts only the in_channels / groups channels each filter sees
    for p in (conv.weight, conv.bias):
        values = p.detach().cpu().numpy()
        assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 3
        assert p.dtype == tt.float32
    assert repr(conv) == repr(reference)


def test_conv2d_group_and_padding_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups, got in_channels=3 and groups=2"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups, got out_channels=3 and groups=2"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv2d(4, 4, 3, groups=0)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(4, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(4, 4, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode must be one of .* but got padding_mode='mirror'"):
        nn.Conv2d(4, 4, 3, padding_mode="mirror")
    x = tt.randn(2, 4, 5, 5)
    with pytest.raises(RuntimeError, match=r"Given groups=2, weight of size \[4, 3, 3, 3\], expected "
                                           r"input\[2, 4, 5, 5\] to have 6 channels, but got 4 channels instead"):
        F.conv2d(x, tt.randn(4, 3, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match=r"expected weight to be divisible by 2 at dimension 0, but got weight "
                                           r"of size \[3, 2, 3, 3\]"):
        F.conv2d(x, tt.randn(3, 2, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match="non-positive groups is not supported"):
        F.conv2d(x, tt.randn(4, 4, 3, 3), groups=0)
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided convolutions"):
        F.conv2d(x, tt.randn(4, 4, 3, 3), padding="same", stride=2)
    with pytest.raises(RuntimeError, match=r"expected bias to be 1-dimensional with 4 elements, but got bias "
                                           r"of size \[3\]"):
        F.conv2d(x, tt.randn(4, 4, 3, 3), tt.randn(3))
    with pytest.raises(RuntimeError, match=r"Padding size should be less than the corresponding input dimension, but "
                                           r"got: padding \(5, 5\) at dimension 3 of input \[2, 4, 5, 5\]"):
        nn.Conv2d(4, 4, 3, padding=5, padding_mode="reflect")(x)
