"""F.pad: PyTorch's values and gradients for every mode, float64 gradcheck, and the errors for bad amounts."""
import numpy as np
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch to run the parity tests")

MODES = ["constant", "reflect", "replicate", "circular"]
# (left, right) for the width, then (top, bottom), then the channels; negative amounts crop
AMOUNTS = [(1, 2, 3, 0), (0, 0, 2, 1), (-1, 2, 1, -2), (3, 2, 1, 1, 1, 0)]


@pytest.mark.parametrize("np_dtype, dtype", [(np.float32, tt.float32), (np.float64, tt.float64)],
                         ids=["float32", "float64"])
@pytest.mark.parametrize("amounts", AMOUNTS, ids=["plain", "height_only", "cropping", "three_dims"])
@pytest.mark.parametrize("mode", MODES)
def test_pad_matches_torch(device, mode, amounts, np_dtype, dtype):
    array = np.random.default_rng(0).standard_normal((2, 4, 5, 6)).astype(np_dtype)
    x, t_x = tt.tensor(array, device=device, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, t_out = F.pad(x, amounts, mode), torch.nn.functional.pad(t_x, amounts, mode)
    assert out.shape == tuple(t_out.shape) and out.dtype == dtype and out.device == x.device
    np.testing.assert_array_equal(out.detach().cpu().numpy(), t_out.detach().numpy())  # padding only copies
    direction = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(np_dtype)
    out.backward(tt.tensor(direction, device=device))
    t_out.backward(torch.tensor(direction))
    # copies of one element (reflect, replicate, circular) add up their gradients
    np.testing.assert_allclose(x.grad.cpu().numpy(), t_x.grad.numpy(), rtol=1e-6, atol=1e-6)
    assert x.grad.dtype == dtype


@pytest.mark.parametrize("mode", MODES)
def test_pad_gradcheck(device, mode):
    x = tt.tensor(np.random.default_rng(2).standard_normal((2, 3, 4)), device=device, requires_grad=True)
    assert tt.gradcheck(lambda x: F.pad(x, (2, 3, 1, 2), mode), (x,))


def test_constant_pad_value_dtypes_and_one_dimension(device):
    x = tt.tensor([[1, 2], [3, 4]], device=device)
    out = F.pad(x, (1, 0), value=7)
    assert out.dtype == tt.int64 and out.tolist() == [[7, 1, 2], [7, 3, 4]]
    assert F.pad(x.float(), (0, 0, 1, 1), value=-1.5).tolist() == [[-1.5, -1.5], [1, 2], [3, 4], [-1.5, -1.5]]
    t_x = torch.tensor([[[1.0, 2.0, 3.0]]])
    for mode in ("reflect", "replicate", "circular"):  # a 1-D pad of a (C, W) tensor
        assert F.pad(tt.tensor(t_x.numpy()[0], device=device), (2, 1), mode).tolist() == \
            torch.nn.functional.pad(t_x[0], (2, 1), mode).tolist()


def test_pad_errors_name_what_was_wrong():
    x = tt.randn(2, 4, 5, 5)
    with pytest.raises(RuntimeError, match=r"padding \(5, 5\) at dimension 3 of input \[2, 4, 5, 5\]"):
        F.pad(x, (5, 5, 1, 1), mode="reflect")  # reflecting needs a neighbour on the far side of the edge
    with pytest.raises(RuntimeError, match="Padding value causes wrapping around more than once"):
        F.pad(x, (6, 0, 1, 1), mode="circular")
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        F.pad(x, (1, 2, 1))
    with pytest.raises(RuntimeError, match="padding length 10 and input of dimension 4"):
        F.pad(x, (1,) * 10)
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode 'mirror'"):
        F.pad(x, (1, 1, 1, 1), mode="mirror")
    with pytest.raises(RuntimeError, match='Padding mode "reflect" doesn\'t take in value argument'):
        F.pad(x, (1, 1, 1, 1), mode="reflect", value=2)
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 4D input tensor"):
        F.pad(x, (1, 1), mode="replicate")
    assert F.pad(x, (5, 5, 1, 1), mode="replicate").shape == (2, 4, 7, 15)  # replicate has no limit
