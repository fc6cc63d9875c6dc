"""Attention: each position of a sequence takes a weighted average of the values
at every position, weighted by how well its query matches their keys.

    Attention(Q, K, V) = softmax(Q Kᵀ / √d + mask) V

Composed from matmul, softmax and masking, so autograd supplies the backward pass.
``MultiheadAttention`` runs several such attentions side by side on learned
projections of the inputs, with PyTorch's parameter names, so its state_dict
loads into ``torch.nn.MultiheadAttention`` and back.
"""
import math

from .. import backend
from .. import dtypes as dt
from ..tensor import Tensor, cat, empty, zeros
from . import functional as F
from . import init
from .layers import Linear
from .module import Module, Parameter
from .padding import pad


def attention_weights(query, key, attn_mask=None, dropout_p=0.0, is_causal=False,
                      scale=None, empty_rows_zero=True):
    """softmax(Q Kᵀ · scale + mask) over the keys: each query's weights sum to 1.

    A bool ``attn_mask`` marks with True the pairs that may attend (PyTorch's SDPA
    convention); a float one is added to the scores, so -inf removes a pair.
    A query masked from every key gets zero weights (as SDPA), or NaNs with
    ``empty_rows_zero=False`` (a plain softmax, as PyTorch's MultiheadAttention when it
    returns the weights).
    """
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"attention: query of shape {tuple(query.shape)} and key "
                           f"of shape {tuple(key.shape)} must have the same last "
                           "dimension")
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("scaled_dot_product_attention: explicit attn_mask "
                               "should not be set when is_causal=True")
        # a causal mask never masks a whole row
        scores = scores + causal_mask(query.shape[-2], key.shape[-2], scores)
        weights = scores.softmax(-1)
    elif attn_mask is not None:
        if attn_mask.dtype == dt.bool_:
            scores = scores.masked_fill(~attn_mask, -math.inf)
        else:
            scores = scores + attn_mask
        if empty_rows_zero:
            weights = _softmax_allowing_empty_rows(scores)
        else:
            weights = scores.softmax(-1)
    else:
        weights = scores.softmax(-1)
    return F.dropout(weights, dropout_p) if dropout_p > 0 else weights


def _softmax_allowing_empty_rows(scores):
    """Softmax over the keys, except that a query masked from every key gets all-zero
    weights (as PyTorch's scaled_dot_product_attention) instead of the NaNs of 0/0."""
    empty = Tensor((scores.array == -math.inf).all(axis=-1, keepdims=True))
    return scores.masked_fill(empty, 0).softmax(-1).masked_fill(empty, 0)


def causal_mask(queries, keys, like):
    """0 where query i may see key j (j <= i), -inf above the diagonal: position i
    never sees the future."""
    xp = backend.get_array_module(like.array)
    return Tensor(xp.triu(xp.full((queries, keys), -math.inf, like.array.dtype), k=1))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
    """softmax(Q Kᵀ / √d + mask) V, for query, key and value of shapes (..., L, d),
    (..., S, d) and (..., S, d_v): the output is (..., L, d_v)."""
    return attention_weights(query, key, attn_mask, dropout_p, is_causal, scale) @ value


class MultiheadAttention(Module):
    """``num_heads`` attentions of size embed_dim / num_heads on learned projections of
    query, key and value.

    The three input projections are stacked in one ``in_proj_weight``
    (3·embed_dim, embed_dim) when keys and values have embed_dim features too; with
    other ``kdim``/``vdim`` they are separate, ``q_proj_weight``, ``k_proj_weight`` and
    ``v_proj_weight``, as in PyTorch. The heads' outputs are mixed by ``out_proj``.
    ``forward`` returns the output and the attention weights (averaged over heads
    unless ``average_attn_weights=False``).
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False,
                 device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError("embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads "
                             f"({num_heads})")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first = dropout, batch_first
        self.add_zero_attn = add_zero_attn
        where = dict(device=device, dtype=dtype)
        projections = {"q_proj_weight": embed_dim, "k_proj_weight": self.kdim,
                       "v_proj_weight": self.vdim}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, **where))
            for name in projections:
                self.register_parameter(name, None)
        else:
            for name, features in projections.items():
                setattr(self, name, Parameter(empty(embed_dim, features, **where)))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **where))
        else:
            self.register_parameter("in_proj_bias", None)
        if add_bias_kv:  # an extra learned key and value that every query may attend to
            self.bias_k = Parameter(empty(1, 1, embed_dim, **where))
            self.bias_v = Parameter(empty(1, 1, embed_dim, **where))
        else:
            self.bias_k = self.bias_v = None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **where)
        self._reset_parameters()

    def _reset_parameters(self):
        """PyTorch's: Glorot-uniform input projections, zero biases; out_proj keeps
        Linear's weight init."""
        for weight in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight,
                       self.v_proj_weight):
            if weight is not None:
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        # as PyTorch: is_causal is only a hint about attn_mask
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: need attn_mask if specifying the "
                               "is_causal hint (pass the causal mask itself: an "
                               "(L, L) bool mask, True above the diagonal)")
        batched = query.ndim == 3
        if not batched:  # one sequence (L, E): give it a batch dimension of 1
            query, key, value = (x.unsqueeze(0) for x in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:  # (L, N, E) -> (N, L, E)
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        self._check_shapes(query, key, value)
        (n, length, _), source_length = query.shape, key.shape[1]
        q_weight, k_weight, v_weight = (
            self._split(self.in_proj_weight) if self._qkv_same_embed_dim
            else (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight))
        q_bias, k_bias, v_bias = ((None,) * 3 if self.in_proj_bias is None
                                  else self._split(self.in_proj_bias))
        q = F.linear(query, q_weight, q_bias)
        k = F.linear(key, k_weight, k_bias)
        v = F.linear(value, v_weight, v_bias)
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand(n, 1, self.embed_dim)], 1)
            v = cat([v, self.bias_v.expand(n, 1, self.embed_dim)], 1)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        if self.add_zero_attn:  # a key and value of zeros: a query may attend "nowhere"
            zero_key = (n, self.num_heads, 1, self.head_dim)
            k = cat([k, zeros(zero_key, dtype=k.dtype, device=k.device)], 2)
            v = cat([v, zeros(zero_key, dtype=v.dtype, device=v.device)], 2)
        mask = self._additive_mask(attn_mask, key_padding_mask, n, length,
                                   source_length, q)
        # every query may attend to the added keys
        if mask is not None and k.shape[2] > source_length:
            mask = pad(mask, (0, k.shape[2] - source_length))
        dropout = self.dropout if self.training else 0.0
        # a query with no key gets SDPA's zeros, or NaN when the weights are returned:
        # PyTorch takes two paths
        weights = attention_weights(q, k, mask, dropout,
                                    empty_rows_zero=not need_weights)  # (N, H, L, S)
        # the heads side by side again
        out = (weights @ v).transpose(1, 2).reshape(n, length, self.embed_dim)
        out = self.out_proj(out)
        if not batched:
            out, weights = out.squeeze(0), weights.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        return out, (weights.mean(-3) if average_attn_weights else weights)

    def _split(self, stacked):
        """The query, key and value thirds of the stacked projection."""
        e = self.embed_dim
        return stacked[:e], stacked[e:2 * e], stacked[2 * e:]

    def _heads(self, x):
        """(N, L, E) -> (N, H, L, E/H): each head gets its own slice of the features."""
        n, length, _ = x.shape
        return x.reshape(n, length, self.num_heads, self.head_dim).transpose(1, 2)

    def _check_shapes(self, query, key, value):
        features = (query.shape[-1], key.shape[-1], value.shape[-1])
        if features != (self.embed_dim, self.kdim, self.vdim):
            shapes = ", ".join(str(tuple(x.shape)) for x in (query, key, value))
            raise RuntimeError(
                "MultiheadAttention: expected query, key and value with embed_dim, "
                f"kdim and vdim ({self.embed_dim}, {self.kdim}, {self.vdim}) "
                f"features, got shapes {shapes}")
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise RuntimeError(
                f"MultiheadAttention: key of shape {tuple(key.shape)} and value of "
                f"shape {tuple(value.shape)} must have the same batch size and "
                f"length, and the same batch size as query {tuple(query.shape)} "
                "(shapes shown batch first)")

    def _additive_mask(self, attn_mask, key_padding_mask, n, length, source_length,
                       like):
        """Both masks as one float mask broadcastable to (N, H, L, S): -inf where
        attending is not allowed. Here (as in PyTorch's MultiheadAttention) a bool True
        means "do not attend"."""
        mask = None
        # one (L, S) mask for all, or one per sequence and head (N·H, L, S)
        if attn_mask is not None:
            per_head = attn_mask.ndim == 3
            expected = ((n * self.num_heads, length, source_length) if per_head
                        else (length, source_length))
            if tuple(attn_mask.shape) != expected:
                raise RuntimeError("MultiheadAttention: attn_mask should have shape "
                                   f"{expected}, got {tuple(attn_mask.shape)}")
            mask = _as_additive(attn_mask, like).reshape(
                -1, self.num_heads if per_head else 1, length, source_length)
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (n, source_length):
                raise RuntimeError(
                    "MultiheadAttention: key_padding_mask should have shape "
                    f"{(n, source_length)} (batch, source length), got "
                    f"{tuple(key_padding_mask.shape)}")
            padding = _as_additive(key_padding_mask, like).reshape(
                n, 1, 1, source_length)
            mask = padding if mask is None else mask + padding
        return mask


def _as_additive(mask, like):
    """A bool mask (True = masked out) as 0 / -inf in ``like``'s dtype; a float mask as
    it is."""
    if mask.dtype == dt.bool_:
        zero = zeros(mask.shape, dtype=like.dtype, device=like.device)
        return zero.masked_fill(mask, -math.inf)
    return mask.to(like.dtype)
