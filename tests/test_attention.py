"""scaled_dot_product_attention and MultiheadAttention: PyTorch's outputs, weights and gradients, float64
gradcheck, state_dict transfer, and a small self-attention block built in both libraries."""
import numpy as np
import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial import nn
from tinygrad_tutorial.nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch is the test oracle; install torch to run the parity tests")

RNG = np.random.default_rng(0)
BOOL_MASK = RNG.random((5, 6)) > 0.4  # True: may attend (the SDPA convention)
BOOL_MASK[:, 0] = True
FLOAT_MASK = RNG.standard_normal((5, 6)).astype(np.float32)


def assert_close(ours, theirs, rtol=1e-5, atol=1e-5):
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().cpu().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def both(array, device, requires_grad=False):
    return (tt.tensor(array, device=device, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def backward_both(out, t_out):
    direction = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(np.float32)
    (out * tt.tensor(direction, device=out.device)).sum().backward()
    (t_out * torch.tensor(direction)).sum().backward()


def to_torch(module):
    return {k: torch.tensor(v.cpu().numpy()) for k, v in module.state_dict().items()}


# ---------------------------------------------------------------- scaled_dot_product_attention
@pytest.mark.parametrize("options", [{}, {"is_causal": True}, {"attn_mask": BOOL_MASK}, {"attn_mask": FLOAT_MASK},
                                     {"scale": 0.3}], ids=["plain", "causal", "bool_mask", "float_mask", "scale"])
def test_sdpa_matches_torch(device, options):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(shape).astype(np.float32) for shape in [(2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 7)]]
    ours, theirs = zip(*(both(a, device, requires_grad=True) for a in arrays))
    mask = options.get("attn_mask")
    kwargs = dict(options, attn_mask=None if mask is None else tt.tensor(mask, device=device))
    t_kwargs = dict(options, attn_mask=None if mask is None else torch.tensor(mask))
    out = F.scaled_dot_product_attention(*ours, **kwargs)
    t_out = torch.nn.functional.scaled_dot_product_attention(*theirs, **t_kwargs)
    assert_close(out, t_out)
    assert out.dtype == tt.float32
    backward_both(out, t_out)
    for x, t_x in zip(ours, theirs):
        assert_close(x.grad, t_x.grad, rtol=1e-4, atol=1e-5)


def test_sdpa_query_that_may_see_nothing_gets_zeros_as_in_torch(device):
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((1, 3, 4)).astype(np.float32) for _ in range(3))
    mask = np.ones((3, 3), bool)
    mask[1] = False  # query 1 may attend to no key
    ours = [tt.tensor(a, device=device, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*ours, attn_mask=tt.tensor(mask, device=device))
    t_out = torch.nn.functional.scaled_dot_product_attention(*map(torch.tensor, (q, k, v)), attn_mask=torch.tensor(mask))
    assert_close(out, t_out)
    assert out[0, 1].tolist() == [0.0] * 4
    out.sum().backward()
    assert all(np.isfinite(x.grad.cpu().numpy()).all() for x in ours)


def test_sdpa_gradcheck(device):
    rng = np.random.default_rng(4)
    q, k, v = (tt.tensor(rng.standard_normal(shape), device=device, requires_grad=True)
               for shape in [(2, 3, 4), (2, 5, 4), (2, 5, 2)])
    mask = tt.tensor(rng.standard_normal((3, 5)), device=device)
    assert tt.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), (q, k, v))
    assert tt.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v))


def test_sdpa_errors():
    q = tt.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match=r"query of shape \(2, 3, 4\) and key of shape \(2, 3, 5\)"):
        F.scaled_dot_product_attention(q, tt.randn(2, 3, 5), q)
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=tt.ones(3, 3), is_causal=True)


# ---------------------------------------------------------------- MultiheadAttention
def mha_pair(device, **kwargs):
    ours = nn.MultiheadAttention(8, 2, **kwargs).to(device)
    theirs = torch.nn.MultiheadAttention(8, 2, **kwargs)
    theirs.load_state_dict(to_torch(ours))
    return ours, theirs


def test_mha_parameters_have_torch_names_shapes_and_init():
    ours, theirs = nn.MultiheadAttention(8, 2), torch.nn.MultiheadAttention(8, 2)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert ours.in_proj_bias.tolist() == [0.0] * 24 and ours.out_proj.bias.tolist() == [0.0] * 8
    bound = np.sqrt(6 / (24 + 8))  # Glorot-uniform over the stacked (3·E, E) projection
    weight = ours.in_proj_weight.detach().numpy()
    assert weight.min() >= -bound and weight.max() <= bound and weight.std() > bound / 3
    assert list(nn.MultiheadAttention(8, 2, bias=False).state_dict()) == ["in_proj_weight", "out_proj.weight"]
    ours.load_state_dict(to_torch(theirs))  # and back: torch's state_dict loads into ours
    assert np.array_equal(ours.in_proj_weight.detach().numpy(), theirs.in_proj_weight.detach().numpy())


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("masks", ["none", "both_bool", "float_attn", "per_head"])
def test_mha_matches_torch(device, batch_first, masks):
    ours, theirs = mha_pair(device, batch_first=batch_first)
    rng = np.random.default_rng(5)
    query, source = rng.standard_normal((3, 5, 8)).astype(np.float32), rng.standard_normal((3, 6, 8)).astype(np.float32)
    if not batch_first:  # (L, N, E)
        query, source = query.transpose(1, 0, 2).copy(), source.transpose(1, 0, 2).copy()
    x, t_x = both(query, device, requires_grad=True)
    y, t_y = both(source, device, requires_grad=True)
    padding = rng.random((3, 6)) > 0.7  # True: a padded key, ignored (the MultiheadAttention convention)
    padding[:, 0] = False
    masks = {"none": {}, "both_bool": {"key_padding_mask": padding, "attn_mask": rng.random((5, 6)) > 0.8},
             "float_attn": {"attn_mask": rng.standard_normal((5, 6)).astype(np.float32)},
             "per_head": {"attn_mask": rng.standard_normal((3 * 2, 5, 6)).astype(np.float32)}}[masks]
    out, weights = ours(x, y, y, **{k: tt.tensor(v, device=device) for k, v in masks.items()})
    t_out, t_weights = theirs(t_x, t_y, t_y, **{k: torch.tensor(v) for k, v in masks.items()})
    assert_close(out, t_out)
    assert_close(weights, t_weights)  # (N, L, S), averaged over the heads
    backward_both(out, t_out)
    assert_close(x.grad, t_x.grad, rtol=1e-4, atol=1e-5)
    assert_close(y.grad, t_y.grad, rtol=1e-4, atol=1e-5)
    for (name, p), t_p in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, t_p.grad, rtol=1e-4, atol=1e-5)
        assert p.grad.dtype == tt.float32


def test_mha_per_head_weights_unbatched_input_and_need_weights(device):
    ours, theirs = mha_pair(device, batch_first=True)
    x, t_x = both(np.random.default_rng(6).standard_normal((4, 8)).astype(np.float32), device)  # one sequence
    out, weights = ours(x, x, x, average_attn_weights=False)
    t_out, t_weights = theirs(t_x, t_x, t_x, average_attn_weights=False)
    assert_close(out, t_out)
    assert_close(weights, t_weights)  # (H, L, S)
    out2, none = ours(x, x, x, need_weights=False)
    assert none is None and np.allclose(out2.detach().cpu().numpy(), out.detach().cpu().numpy())


def test_mha_dropout_acts_only_in_training(device):
    ours, theirs = mha_pair(device, dropout=0.5, batch_first=True)
    x, t_x = both(np.random.default_rng(7).standard_normal((2, 4, 8)).astype(np.float32), device)
    ours.eval(), theirs.eval()
    assert_close(ours(x, x, x)[0], theirs(t_x, t_x, t_x)[0])
    ours.train()
    weights = ours(x, x, x, average_attn_weights=False)[1].detach().cpu().numpy()
    assert set(np.unique(weights == 0)) == {True, False}  # some weights dropped, the rest scaled by 2


def test_mha_gradcheck(device):
    mha = nn.MultiheadAttention(4, 2, batch_first=True).double().to(device)
    rng = np.random.default_rng(8)
    x, y = (tt.tensor(rng.standard_normal(shape), device=device, requires_grad=True) for shape in [(2, 3, 4), (2, 2, 4)])
    padding = tt.tensor([[False, True], [False, False]], device=device)
    assert tt.gradcheck(lambda x, y: mha(x, y, y, key_padding_mask=padding)[0], (x, y))


def test_mha_errors():
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be divisible by num_heads \(3\)"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = tt.randn(2, 3, 8)
    with pytest.raises(RuntimeError, match=r"\(8, 8, 8\) features, got shapes \(2, 3, 8\), \(2, 3, 6\)"):
        mha(x, tt.randn(2, 3, 6), tt.randn(2, 3, 6))
    with pytest.raises(RuntimeError, match=r"attn_mask should have shape \(3, 3\), got \(3, 4\)"):
        mha(x, x, x, attn_mask=tt.zeros(3, 4))
    with pytest.raises(RuntimeError, match=r"key_padding_mask should have shape \(2, 3\)"):
        mha(x, x, x, key_padding_mask=tt.zeros(3, 2).bool())
    with pytest.raises(RuntimeError, match="need attn_mask if specifying the is_causal hint"):
        mha(x, x, x, is_causal=True)


# ---------------------------------------------------------------- a small self-attention block
def build_block(m, vocabulary=7, width=8, heads=2):
    """Embedding -> causal self-attention with a residual -> LayerNorm -> Linear to the vocabulary."""

    class Block(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = m.nn.Embedding(vocabulary, width)
            self.attention = m.nn.MultiheadAttention(width, heads, batch_first=True)
            self.norm = m.nn.LayerNorm(width)
            self.head = m.nn.Linear(width, vocabulary)

        def forward(self, ids, mask):
            h = self.embed(ids)
            attended, _ = self.attention(h, h, h, attn_mask=mask)
            return self.head(self.norm(h + attended))

    return Block()


def test_self_attention_block_matches_torch(device):
    ours, theirs = build_block(tt).to(device), build_block(torch)
    theirs.load_state_dict(to_torch(ours))
    rng = np.random.default_rng(9)
    ids, targets = rng.integers(0, 7, (4, 5)), rng.integers(0, 7, (4, 5))
    causal = np.triu(np.ones((5, 5), bool), k=1)  # True above the diagonal: the future is hidden
    logits = ours(tt.tensor(ids, device=device), tt.tensor(causal, device=device))
    t_logits = theirs(torch.tensor(ids), torch.tensor(causal))
    loss = F.cross_entropy(logits.reshape(-1, 7), tt.tensor(targets.reshape(-1), device=device))
    t_loss = torch.nn.functional.cross_entropy(t_logits.reshape(-1, 7), torch.tensor(targets.reshape(-1)))
    assert_close(loss, t_loss)
    loss.backward()
    t_loss.backward()
    for (name, p), t_p in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, t_p.grad, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- kdim / vdim, add_bias_kv, add_zero_attn
MHA_VARIANTS = [dict(kdim=6, vdim=5), dict(add_bias_kv=True), dict(add_zero_attn=True),
                dict(kdim=6, vdim=5, add_bias_kv=True, add_zero_attn=True, bias=False)]
MHA_IDS = ["kdim_vdim", "bias_kv", "zero_attn", "all_no_bias"]


@pytest.mark.parametrize("options", MHA_VARIANTS, ids=MHA_IDS)
def test_mha_variants_have_torch_state_dict(options):
    ours, theirs = nn.MultiheadAttention(8, 2, **options), torch.nn.MultiheadAttention(8, 2, **options)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(theirs.state_dict())  # same order, so positional zips line up too
    separate = "kdim" in options
    assert (ours.in_proj_weight is None) == (theirs.in_proj_weight is None) == separate
    assert ours._qkv_same_embed_dim == theirs._qkv_same_embed_dim == (not separate)
    if separate:  # each projection Glorot-uniform on its own (fan_in = kdim for the keys)
        bound = np.sqrt(6 / (8 + 6))
        weight = ours.k_proj_weight.detach().numpy()
        assert weight.shape == (8, 6) and weight.min() >= -bound and weight.max() <= bound
    assert nn.MultiheadAttention(8, 2, kdim=8, vdim=8).in_proj_weight is not None  # the same sizes stay stacked


@pytest.mark.parametrize("np_dtype, dtype, tol", [(np.float32, tt.float32, 1e-4), (np.float64, tt.float64, 1e-10)],
                         ids=["float32", "float64"])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("options", MHA_VARIANTS, ids=MHA_IDS)
def test_mha_variants_load_torch_state_dict_and_match(device, options, batch_first, np_dtype, dtype, tol):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first, dtype=getattr(torch, np.dtype(np_dtype).name),
                                         **options)
    ours = nn.MultiheadAttention(8, 2, batch_first=batch_first, dtype=dtype, **options).to(device)
    ours.load_state_dict({k: tt.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(10)
    kdim, vdim = options.get("kdim", 8), options.get("vdim", 8)
    arrays = [rng.standard_normal((3, length, features)).astype(np_dtype)
              for length, features in [(4, 8), (5, kdim), (5, vdim)]]
    if not batch_first:  # (L, N, E)
        arrays = [a.transpose(1, 0, 2).copy() for a in arrays]
    ours_in, theirs_in = zip(*(both(a, device, requires_grad=True) for a in arrays))
    padding = rng.random((3, 5)) > 0.6  # True: a padded key
    padding[:, 0] = False
    attn_mask = rng.random((4, 5)) > 0.8  # True: may not attend
    out, weights = ours(*ours_in, key_padding_mask=tt.tensor(padding, device=device),
                        attn_mask=tt.tensor(attn_mask, device=device), average_attn_weights=False)
    t_out, t_weights = theirs(*theirs_in, key_padding_mask=torch.tensor(padding), attn_mask=torch.tensor(attn_mask),
                              average_attn_weights=False)
    assert_close(out, t_out, rtol=tol, atol=tol)
    assert_close(weights, t_weights, rtol=tol, atol=tol)  # (N, H, L, S + added keys)
    assert out.dtype == weights.dtype == dtype
    direction = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(np_dtype)
    (out * tt.tensor(direction, device=device)).sum().backward()
    (t_out * torch.tensor(direction)).sum().backward()
    for x, t_x in zip(ours_in, theirs_in):
        assert_close(x.grad, t_x.grad, rtol=tol, atol=tol)
    for (name, p), t_p in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, t_p.grad, rtol=tol, atol=tol)
        assert p.grad.dtype == dtype
    no_weights, none = ours(*ours_in, need_weights=False)
    assert none is None and no_weights.shape == out.shape


def test_mha_kdim_vdim_gradcheck(device):
    mha = nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True, batch_first=True).double().to(device)
    rng = np.random.default_rng(11)
    q, k, v = (tt.tensor(rng.standard_normal(shape), device=device, requires_grad=True)
               for shape in [(2, 3, 4), (2, 2, 3), (2, 2, 5)])
    padding = tt.tensor([[False, True], [False, False]], device=device)
    assert tt.gradcheck(lambda q, k, v: mha(q, k, v, key_padding_mask=padding)[0], (q, k, v))


def test_mha_kdim_errors():
    mha = nn.MultiheadAttention(8, 2, kdim=6, vdim=5, batch_first=True)
    with pytest.raises(RuntimeError, match=r"\(8, 6, 5\) features, got shapes \(2, 3, 8\), \(2, 4, 8\), \(2, 4, 5\)"):
        mha(tt.randn(2, 3, 8), tt.randn(2, 4, 8), tt.randn(2, 4, 5))
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        nn.MultiheadAttention(8, 0)
    stacked = nn.MultiheadAttention(8, 2).state_dict()
    with pytest.raises(RuntimeError, match="in_proj_weight"):  # a stacked state_dict does not fit separate weights
        mha.load_state_dict(stacked)
