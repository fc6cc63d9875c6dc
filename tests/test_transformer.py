"""TransformerEncoderLayer and TransformerEncoder: a PyTorch state_dict loads (same keys, same order), and the
outputs and gradients match PyTorch's, post-norm and pre-norm, relu and gelu, with masks; dropout in training."""
import numpy as np
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial import nn

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch to run the parity tests")


def assert_close(ours, theirs, rtol=1e-4, atol=1e-5):
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().cpu().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def load_torch_weights(ours, theirs, device):
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict({k: v.numpy() for k, v in state.items()})
    return ours.to(device)


LAYER_SETTINGS = [dict(), dict(norm_first=True), dict(activation="gelu"), dict(batch_first=True),
                  dict(activation="gelu", norm_first=True, batch_first=True, layer_norm_eps=1e-3), dict(bias=False)]


@pytest.mark.parametrize("settings", LAYER_SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()) or
                         "default")
def test_encoder_layer_matches_torch(device, settings):
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, **settings)
    ours = load_torch_weights(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, **settings),
                              theirs, device)
    x = np.random.default_rng(0).standard_normal((3, 5, 8)).astype(np.float32)  # (L, N, E), or (N, L, E)
    ours_x, their_x = tt.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, t_out = ours(ours_x), theirs(their_x)  # training mode, but dropout 0: deterministic
    assert_close(out, t_out)
    direction = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    out.backward(tt.tensor(direction, device=device))
    t_out.backward(torch.tensor(direction))
    assert_close(ours_x.grad, their_x.grad)
    for (name, param), (_, t_param) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(param.grad, t_param.grad, atol=1e-4)
        assert param.grad.dtype == tt.float32
    ours.eval(), theirs.eval()
    with torch.no_grad():
        assert_close(ours(tt.tensor(x, device=device)), theirs(torch.tensor(x)))


@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_stack_with_masks_matches_torch_in_eval(device, batch_first):
    torch.manual_seed(1)
    layer = torch.nn.TransformerEncoderLayer(8, 4, dim_feedforward=32, activation="gelu", batch_first=batch_first)
    theirs = torch.nn.TransformerEncoder(layer, 3, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False).eval()
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 4, dim_feedforward=32, activation="gelu",
                                                            batch_first=batch_first), 3, norm=nn.LayerNorm(8))
    ours = load_torch_weights(ours, theirs, device).eval()
    n, length = 2, 6
    shape = (n, length, 8) if batch_first else (length, n, 8)
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    padding = np.zeros((n, length), bool)
    padding[1, 4:] = True  # the second sequence is two tokens shorter
    causal = np.triu(np.ones((length, length), bool), k=1)
    with torch.no_grad():
        for mask, key_padding in [(None, None), (causal, None), (None, padding), (causal, padding)]:
            ours_out = ours(tt.tensor(x, device=device),
                            mask=None if mask is None else tt.tensor(mask, device=device),
                            src_key_padding_mask=None if key_padding is None else tt.tensor(key_padding, device=device))
            their_out = theirs(torch.tensor(x), mask=None if mask is None else torch.tensor(mask),
                               src_key_padding_mask=None if key_padding is None else torch.tensor(key_padding))
            assert_close(ours_out, their_out)


def test_encoder_layers_are_independent_copies():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8)
    stack = nn.TransformerEncoder(layer, 2)
    first, second = stack.layers[0].linear1.weight, stack.layers[1].linear1.weight
    assert first is not second and first is not layer.linear1.weight and tt.equal(first, second)
    assert isinstance(first, nn.Parameter) and len(list(stack.parameters())) == 2 * len(list(layer.parameters()))
    with tt.no_grad():
        first.add_(1.0)
    assert not tt.equal(first, second)


def test_dropout_acts_only_in_training():
    tt.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5)
    x = tt.randn(4, 3, 8)
    assert not tt.allclose(layer(x), layer(x))  # a fresh dropout mask on each call
    layer.eval()
    assert tt.equal(layer(x), layer(x))


def test_activation_module_is_a_submodule_and_bad_names_raise():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, activation=nn.GELU())
    assert list(dict(layer.named_children()))[-1] == "activation"
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    with pytest.raises(ValueError, match=r"embed_dim \(6\) must be divisible by num_heads \(4\)"):
        nn.TransformerEncoderLayer(6, 4)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_gradcheck(device, norm_first):
    tt.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, activation="gelu",
                                       norm_first=norm_first).to(device).double()
    x = tt.randn(3, 2, 4, dtype=tt.float64, device=device, requires_grad=True)
    assert tt.gradcheck(layer, (x,))
