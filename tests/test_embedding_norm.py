"""Embedding and LayerNorm: PyTorch's values and gradients, float64 gradcheck, init and errors."""
import numpy as np
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial import nn
from tinygrad_tutorial.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch to run the parity tests")


def assert_close(ours, theirs, rtol=1e-5, atol=1e-5):
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().cpu().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def to_torch(module):
    return {k: torch.tensor(v.cpu().numpy()) for k, v in module.state_dict().items()}


# ---------------------------------------------------------------- Embedding
@pytest.mark.parametrize("padding_idx", [None, 1, -1])
def test_embedding_matches_torch(device, padding_idx):
    ours = nn.Embedding(6, 3, padding_idx=padding_idx).to(device)
    theirs = torch.nn.Embedding(6, 3, padding_idx=padding_idx)
    theirs.load_state_dict(to_torch(ours))
    ids = np.array([[0, 1, 5, 0], [5, 5, 2, 1]])  # ids repeat, and include the padding row
    out, t_out = ours(tt.tensor(ids, device=device)), theirs(torch.tensor(ids))
    assert_close(out, t_out, rtol=0, atol=0)
    direction = np.random.default_rng(1).standard_normal((2, 4, 3)).astype(np.float32)
    out.backward(tt.tensor(direction, device=device))
    t_out.backward(torch.tensor(direction))
    assert_close(ours.weight.grad, theirs.weight.grad)
    assert ours.weight.grad.dtype == tt.float32 and out.dtype == tt.float32
    assert repr(ours) == repr(theirs)


def test_embedding_gradient_accumulates_for_repeated_ids(device):
    table = nn.Embedding(4, 2).to(device)
    out = table(tt.tensor([3, 0, 3, 3], device=device))
    out.backward(tt.tensor([[1.0, 2.0], [5.0, 5.0], [10.0, 20.0], [100.0, 200.0]], device=device))
    assert table.weight.grad.tolist() == [[5.0, 5.0], [0.0, 0.0], [0.0, 0.0], [111.0, 222.0]]


def test_embedding_init_is_standard_normal_and_padding_row_is_zero():
    weight = nn.Embedding(2000, 16).weight.detach().numpy()
    assert abs(weight.mean()) < 0.02 and abs(weight.std() - 1) < 0.02  # N(0, 1), as PyTorch
    padded = nn.Embedding(5, 3, padding_idx=2).weight
    assert padded[2].tolist() == [0.0, 0.0, 0.0] and padded.requires_grad


def test_embedding_gradcheck(device):
    weight = tt.tensor(np.random.default_rng(0).standard_normal((5, 3)), device=device, requires_grad=True)
    ids = tt.tensor([[4, 0, 4], [1, 1, 2]], dtype=tt.int32, device=device)
    assert tt.gradcheck(lambda w: F.embedding(ids, w), (weight,))


def test_embedding_errors():
    table = nn.Embedding(5, 3)
    with pytest.raises(IndexError, match="index out of range in self: embedding has 5 rows, got indices from 0 to 5"):
        table(tt.tensor([0, 5]))
    with pytest.raises(RuntimeError, match="expected indices of dtype int64 or int32, got tinygrad_tutorial.float32"):
        table(tt.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="padding_idx must be within num_embeddings"):
        nn.Embedding(5, 3, padding_idx=5)


# ---------------------------------------------------------------- LayerNorm
@pytest.mark.parametrize("normalized_shape", [5, (4, 5)])
@pytest.mark.parametrize("affine, bias", [(True, True), (True, False), (False, False)])
def test_layer_norm_matches_torch(device, normalized_shape, affine, bias):
    ours = nn.LayerNorm(normalized_shape, elementwise_affine=affine, bias=bias).to(device)
    theirs = torch.nn.LayerNorm(normalized_shape, elementwise_affine=affine, bias=bias)
    with tt.no_grad():
        for p in ours.parameters():  # away from the 1 / 0 init, so a swapped weight and bias would show
            p.normal_()
    theirs.load_state_dict(to_torch(ours))
    array = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32) * 3 + 1
    x, t_x = tt.tensor(array, device=device, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, t_out = ours(x), theirs(t_x)
    assert_close(out, t_out)
    assert out.dtype == tt.float32
    direction = np.random.default_rng(1).standard_normal(array.shape).astype(np.float32)
    out.backward(tt.tensor(direction, device=device))
    t_out.backward(torch.tensor(direction))
    assert_close(x.grad, t_x.grad, rtol=1e-4, atol=1e-4)
    for p, t_p in zip(ours.parameters(), theirs.parameters()):
        assert_close(p.grad, t_p.grad, rtol=1e-4, atol=1e-4)
        assert p.grad.dtype == tt.float32


def test_layer_norm_is_stable_for_a_large_offset(device):
    array = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32) + 1000
    out = nn.LayerNorm(8).to(device)(tt.tensor(array, device=device))
    assert_close(out, torch.nn.functional.layer_norm(torch.tensor(array), (8,)), atol=1e-3)


def test_layer_norm_init_and_gradcheck(device):
    norm = nn.LayerNorm(4)
    assert norm.weight.tolist() == [1.0] * 4 and norm.bias.tolist() == [0.0] * 4
    rng = np.random.default_rng(0)
    x, weight, bias = (tt.tensor(rng.standard_normal(shape), device=device, requires_grad=True)
                       for shape in [(3, 2, 4), (2, 4), (2, 4)])
    assert tt.gradcheck(lambda x, w, b: F.layer_norm(x, (2, 4), w, b, eps=1e-3), (x, weight, bias))


def test_layer_norm_errors_name_the_shapes():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4, 5\], expected input with shape \[\*, 4, 5\], but "
                                           r"got input of size \[3, 5, 4\]"):
        nn.LayerNorm((4, 5))(tt.randn(3, 5, 4))
