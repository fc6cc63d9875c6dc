"""MaxPool2d (ceil_mode, dilation, padding, return_indices), AvgPool2d and AdaptiveAvgPool2d: PyTorch's values,
indices and gradients in float32 and float64, float64 gradcheck, module reprs and errors."""
import numpy as np
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial import nn
from tinygrad_tutorial.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch to run the parity tests")

DTYPES = pytest.mark.parametrize("np_dtype, dtype, tol", [(np.float32, tt.float32, 1e-5),
                                                          (np.float64, tt.float64, 1e-12)], ids=["float32", "float64"])


def run_both(fn, t_fn, device, np_dtype, shape=(2, 3, 7, 6)):
    """fn(x) and t_fn(t_x) on the same random batch, then backward along the same random direction."""
    array = np.random.default_rng(0).standard_normal(shape).astype(np_dtype)
    x, t_x = tt.tensor(array, device=device, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, t_out = fn(x), t_fn(t_x)
    first, t_first = (out[0], t_out[0]) if isinstance(out, tuple) else (out, t_out)
    direction = np.random.default_rng(1).standard_normal(tuple(t_first.shape)).astype(np_dtype)
    first.backward(tt.tensor(direction, device=device))
    t_first.backward(torch.tensor(direction))
    return out, t_out, x, t_x


def assert_close(ours, theirs, tol):
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().cpu().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


# ---------------------------------------------------------------- max pooling
MAX_OPTIONS = [dict(kernel_size=3, stride=2, ceil_mode=True), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
               dict(kernel_size=(2, 3), stride=2, padding=1, dilation=(2, 1), ceil_mode=True),
               dict(kernel_size=2, dilation=2), dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 0)),
               dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)]  # on 7 rows: a 5th window would start in
# the bottom padding, and PyTorch drops it


@DTYPES
@pytest.mark.parametrize("options", MAX_OPTIONS, ids=["ceil", "ceil_padded", "ceil_dilated", "dilated", "mixed",
                                                      "ceil_dropped"])
def test_max_pool2d_options_and_indices_match_torch(device, options, np_dtype, dtype, tol):
    (out, indices), (t_out, t_indices), x, t_x = run_both(
        lambda x: F.max_pool2d(x, return_indices=True, **options),
        lambda x: torch.nn.functional.max_pool2d(x, return_indices=True, **options), device, np_dtype)
    assert_close(out, t_out, 0)
    assert indices.dtype == tt.int64 and indices.tolist() == t_indices.tolist()  # row·W + column in each plane
    assert_close(x.grad, t_x.grad, tol)
    assert out.dtype == x.grad.dtype == dtype


def test_max_pool2d_gradcheck_with_ceil_mode_and_dilation(device):
    values = np.random.default_rng(2).permutation(2 * 2 * 7 * 6).reshape(2, 2, 7, 6) * 0.1  # no ties
    x = tt.tensor(values, device=device, requires_grad=True)
    assert tt.gradcheck(lambda x: F.max_pool2d(x, 3, stride=2, padding=1, dilation=(1, 2), ceil_mode=True), (x,))


def test_max_pool2d_module_returns_indices_for_one_unbatched_image(device):
    module, reference = nn.MaxPool2d(2, ceil_mode=True, return_indices=True), torch.nn.MaxPool2d(
        2, ceil_mode=True, return_indices=True)
    image = np.random.default_rng(3).standard_normal((3, 5, 5)).astype(np.float32)
    (out, indices), (t_out, t_indices) = module(tt.tensor(image, device=device)), reference(torch.tensor(image))
    assert out.shape == (3, 3, 3) and out.tolist() == t_out.tolist() and indices.tolist() == t_indices.tolist()
    assert repr(module) == repr(reference)


# ---------------------------------------------------------------- average pooling
AVG_OPTIONS = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
               dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
               dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
               dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
               dict(kernel_size=(2, 3), stride=(3, 2), padding=(1, 1), ceil_mode=True),
               dict(kernel_size=2, stride=1, divisor_override=3),
               dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)]


@DTYPES
@pytest.mark.parametrize("options", AVG_OPTIONS, ids=["plain", "padded", "padded_not_counted", "ceil",
                                                      "ceil_not_counted", "mixed", "divisor", "ceil_dropped"])
def test_avg_pool2d_matches_torch(device, options, np_dtype, dtype, tol):
    out, t_out, x, t_x = run_both(lambda x: F.avg_pool2d(x, **options),
                                  lambda x: torch.nn.functional.avg_pool2d(x, **options), device, np_dtype)
    assert_close(out, t_out, tol)
    assert_close(x.grad, t_x.grad, tol)
    assert out.dtype == x.grad.dtype == dtype


def test_avg_pool2d_gradcheck(device):
    x = tt.tensor(np.random.default_rng(4).standard_normal((2, 2, 7, 6)), device=device, requires_grad=True)
    assert tt.gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))


# ---------------------------------------------------------------- adaptive average pooling
@DTYPES
@pytest.mark.parametrize("output_size", [1, (7, 3), (3, 4), (5, None), (4, 5)],
                         ids=["global", "dividing", "overlapping_bins", "keep_width", "wider_bins"])
def test_adaptive_avg_pool2d_matches_torch(device, output_size, np_dtype, dtype, tol):
    out, t_out, x, t_x = run_both(lambda x: F.adaptive_avg_pool2d(x, output_size),
                                  lambda x: torch.nn.functional.adaptive_avg_pool2d(x, output_size), device, np_dtype)
    assert_close(out, t_out, tol)
    assert_close(x.grad, t_x.grad, tol)
    assert out.dtype == x.grad.dtype == dtype


def test_adaptive_avg_pool2d_gradcheck_and_dividing_sizes_equal_avg_pool2d(device):
    x = tt.tensor(np.random.default_rng(5).standard_normal((2, 2, 6, 5)), device=device, requires_grad=True)
    assert tt.gradcheck(lambda x: F.adaptive_avg_pool2d(x, (4, 3)), (x,))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, (3, 5)).detach().cpu().numpy(),
                               F.avg_pool2d(x, (2, 1)).detach().cpu().numpy(), rtol=1e-12)


# ---------------------------------------------------------------- modules
def test_cnn_with_avg_and_adaptive_pooling_matches_torch(device):
    """Conv -> AvgPool -> depthwise Conv -> AdaptiveAvgPool -> Flatten -> Linear, from torch's own state_dict."""
    def build(m):
        return m.nn.Sequential(m.nn.Conv2d(1, 4, 3, padding="same"), m.nn.ReLU(), m.nn.AvgPool2d(2, ceil_mode=True),
                               m.nn.Conv2d(4, 4, 3, groups=4, padding=1, padding_mode="reflect"),
                               m.nn.AdaptiveAvgPool2d(1), m.nn.Flatten(), m.nn.Linear(4, 3))
    torch.manual_seed(0)
    ours, theirs = build(tt).to(device), build(torch)
    ours.load_state_dict({k: tt.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    assert [repr(a) for a in ours] == [repr(b) for b in theirs]
    images = np.random.default_rng(6).standard_normal((5, 1, 9, 9)).astype(np.float32)
    labels = np.random.default_rng(7).integers(0, 3, 5)
    loss = F.cross_entropy(ours(tt.tensor(images, device=device)), tt.tensor(labels, device=device))
    t_loss = torch.nn.functional.cross_entropy(theirs(torch.tensor(images)), torch.tensor(labels))
    assert_close(loss, t_loss, 1e-5)
    loss.backward()
    t_loss.backward()
    for (name, p), t_p in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, t_p.grad, 1e-4)


def test_pooling_module_reprs_match_torch():
    for args, kwargs in [((3,), {}), ((3, 2, 1, True, False, 2), {})]:
        assert repr(nn.AvgPool2d(*args, **kwargs)) == repr(torch.nn.AvgPool2d(*args, **kwargs))
    for size in [1, (2, None)]:
        assert repr(nn.AdaptiveAvgPool2d(size)) == repr(torch.nn.AdaptiveAvgPool2d(size))
    assert repr(nn.MaxPool2d(3, 1, 1, 2, ceil_mode=True)) == repr(torch.nn.MaxPool2d(3, 1, 1, 2, ceil_mode=True))


def test_pooling_errors_name_what_was_wrong():
    x = tt.randn(2, 4, 5, 5)
    with pytest.raises(RuntimeError, match=r"max_pool2d: pad should be at most half of kernel size, but got "
                                           r"pad=\(2, 2\) and kernel_size=\(3, 3\)"):
        F.max_pool2d(x, 3, padding=2)
    with pytest.raises(RuntimeError, match="avg_pool2d: pad should be at most half of kernel size"):
        nn.AvgPool2d(3, padding=2)(x)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(RuntimeError, match=r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor, but got \[3, 4\]"):
        F.adaptive_avg_pool2d(tt.randn(3, 4), 2)
    with pytest.raises(RuntimeError, match="output_size must be 2"):
        F.adaptive_avg_pool2d(x, (2, 2, 2))
    with pytest.raises(RuntimeError, match=r"expected a 4-D input \(N, C, H, W\), got \(5,\)"):
        F.avg_pool2d(tt.randn(5), 2)
