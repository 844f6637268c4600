"""nn.functional: multi-head attention (``multi_head_attention_forward``), PyTorch's semantics.

The work is done batch-major, (N, L, E): the input projections are GEMMs over all tokens (one GEMM
for self-attention with a packed ``in_proj_weight``), the heads are a view (N, H, L, E/H), and the
attention itself is the fused ``scaled_dot_product_attention`` op.

Masks follow ``nn.MultiheadAttention``: a bool ``attn_mask``/``key_padding_mask`` is True where
attention is *not* allowed, a float one is added to the scores. A query whose keys are all masked
out gets zero weights (PyTorch gives NaN on its ``need_weights=True`` path and zeros otherwise).
"""
import math

import numpy as np

from ...autograd.tensor import Tensor, wrap_array
from ...ops.shape import cat, pad
from .attention import attention
from .linear import linear

__all__ = ["multi_head_attention_forward"]

_OP = "multi_head_attention_forward"


def pad_last(mask, n):
    """``mask`` with ``n`` more entries of 0 (False: not blocked) at the end of its last dim."""
    return pad(mask, (0, n))


def _check_mask(name, mask, query):
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{_OP}: {name} must be a Tensor, got {type(mask).__name__}")
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise TypeError(f"{_OP}: only bool and floating types of {name} are supported, got {mask.dtype} "
                        "(bool: True = not allowed to attend; float: added to the scores)")
    if mask.dtype.kind == "f" and mask.dtype != query.dtype:
        raise TypeError(f"{_OP}: a float {name} must have the query's dtype {query.dtype}, got {mask.dtype}")
    return mask


def _merge(a, b):
    """Two masks in MultiheadAttention's convention (bool True = blocked, float added) as one."""
    if a is None or b is None:
        return a if b is None else b
    if a.dtype == np.bool_ and b.dtype == np.bool_:
        return a.logical_or(b)
    return _additive(a, b.dtype if a.dtype == np.bool_ else a.dtype) + _additive(b, a.dtype if b.dtype == np.bool_ else b.dtype)


def _additive(mask, dtype):
    if mask.dtype != np.bool_:
        return mask
    return wrap_array(np.where(mask.array, -np.inf, 0.0).astype(dtype))


def _check_attn_mask(attn_mask, n, h, tgt_len, src_len):
    """(L, S) or (N·H, L, S) -> a mask broadcasting against (N, H, L, S)."""
    if attn_mask.ndim == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"{_OP}: the shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be "
                               f"{(tgt_len, src_len)} (target length, source length)")
        return attn_mask
    if attn_mask.ndim == 3:
        if tuple(attn_mask.shape) != (n * h, tgt_len, src_len):
            raise RuntimeError(f"{_OP}: the shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                               f"{(n * h, tgt_len, src_len)} (batch·num_heads, target length, source length)")
        return attn_mask.reshape(n, h, tgt_len, src_len)
    raise RuntimeError(f"{_OP}: attn_mask's dimension {attn_mask.ndim} is not supported; give a 2D (L, S) or 3D "
                       "(N·num_heads, L, S) mask")


def _project(query, key, value, in_proj_weight, in_proj_bias, separate):
    """q, k, v = the input projections; one GEMM when query, key and value are one tensor."""
    e = query.shape[-1]
    if separate is None:
        if query is key and key is value:
            return linear(query, in_proj_weight, in_proj_bias).chunk(3, dim=-1)
        ws = in_proj_weight.split(e, dim=0)
    else:
        ws = separate
    bs = (None, None, None) if in_proj_bias is None else in_proj_bias.split(e, dim=0)
    q = linear(query, ws[0], bs[0])
    if separate is None and key is value:
        w_kv = in_proj_weight[e:]
        b_kv = None if in_proj_bias is None else in_proj_bias[e:]
        k, v = linear(key, w_kv, b_kv).chunk(2, dim=-1)
        return q, k, v
    return q, linear(key, ws[1], bs[1]), linear(value, ws[2], bs[2])


def _zeros_like_rows(t):
    """One row of zeros of (N, H, S, D) ``t``: (N, H, 1, D)."""
    shape = tuple(t.shape[:2]) + (1, t.shape[3])
    return wrap_array(np.zeros(shape, dtype=t.dtype))


def _heads(x, n, h):
    """(N, S, E) -> (N, H, S, E/H), a view."""
    return x.reshape(n, x.shape[1], h, -1).transpose(1, 2)


def _static(t, name, n, h, head_dim):
    if t.ndim != 3 or t.shape[0] != n * h or t.shape[2] != head_dim:
        raise RuntimeError(f"{_OP}: expected {name} of shape ({n * h}, S, {head_dim}) (batch·num_heads, source "
                           f"length, head_dim), got {tuple(t.shape)}")
    return t.reshape(n, h, t.shape[1], head_dim)


def mha_batch_major(query, key, value, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                    dropout_p, out_proj_weight, out_proj_bias, key_padding_mask=None, need_weights=True,
                    attn_mask=None, separate=None, static_k=None, static_v=None, average_attn_weights=True,
                    is_causal=False):
    """Multi-head attention on batch-major (N, L, E) inputs; returns (output (N, L, E), weights or
    None). Arguments as in ``multi_head_attention_forward`` (``separate``: the three projection
    weights when key/value have their own sizes)."""
    n, tgt_len, e = query.shape
    h = num_heads
    head_dim = e // h
    attn_mask = _check_mask("attn_mask", attn_mask, query)
    key_padding_mask = _check_mask("key_padding_mask", key_padding_mask, query)
    if is_causal and attn_mask is None:
        raise RuntimeError(f"{_OP}: need attn_mask if specifying the is_causal hint; you may use "
                           "Transformer.generate_square_subsequent_mask to create this mask")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint says the mask is causal: the fused op masks by itself
    else:
        is_causal = False
    q, k, v = _project(query, key, value, in_proj_weight, in_proj_bias, separate)
    src_len = k.shape[1]
    if attn_mask is not None:
        attn_mask = _check_attn_mask(attn_mask, n, h, tgt_len, src_len)
    if key_padding_mask is not None and tuple(key_padding_mask.shape) != (n, src_len):
        raise RuntimeError(f"{_OP}: expected key_padding_mask of shape {(n, src_len)} (batch, source length), got "
                           f"{tuple(key_padding_mask.shape)}")
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise RuntimeError(f"{_OP}: bias_k/bias_v cannot be added to static key/value; drop one of them")
        k = cat([k, bias_k.reshape(1, 1, e).expand(n, 1, e)], dim=1)
        v = cat([v, bias_v.reshape(1, 1, e).expand(n, 1, e)], dim=1)
        attn_mask = None if attn_mask is None else pad_last(attn_mask, 1)
        key_padding_mask = None if key_padding_mask is None else pad_last(key_padding_mask, 1)
    elif (bias_k is None) != (bias_v is None):
        raise RuntimeError(f"{_OP}: bias_k and bias_v must be given together")
    q = _heads(q, n, h)
    k = _heads(k, n, h) if static_k is None else _static(static_k, "static_k", n, h, head_dim)
    v = _heads(v, n, h) if static_v is None else _static(static_v, "static_v", n, h, head_dim)
    if add_zero_attn:
        k = cat([k, _zeros_like_rows(k)], dim=2)
        v = cat([v, _zeros_like_rows(v)], dim=2)
        attn_mask = None if attn_mask is None else pad_last(attn_mask, 1)
        key_padding_mask = None if key_padding_mask is None else pad_last(key_padding_mask, 1)
    src_len = k.shape[2]
    if key_padding_mask is not None:
        if key_padding_mask.shape[1] != src_len:
            raise RuntimeError(f"{_OP}: key_padding_mask covers {key_padding_mask.shape[1]} keys, the keys are "
                               f"{src_len}")
        attn_mask = _merge(attn_mask, key_padding_mask.reshape(n, 1, 1, src_len))
    if attn_mask is not None and attn_mask.dtype == np.bool_:
        attn_mask = attn_mask.logical_not()  # the fused op's convention: True = may attend
    out = attention(q, k, v, attn_mask, dropout_p, is_causal, 1.0 / math.sqrt(head_dim) if head_dim else 1.0,
                    need_weights=need_weights)
    weights = None
    if need_weights:
        out, weights = out
        if average_attn_weights:
            weights = weights.mean(dim=1)
    out = out.transpose(1, 2).reshape(n, tgt_len, e)
    return linear(out, out_proj_weight, out_proj_bias), weights


def check_mha_inputs(query, key, value, embed_dim, num_heads, key_padding_mask, attn_mask, separate):
    """Whether the inputs are batched ((L, N, E) / (N, L, E)) or not ((L, E)); raises on bad ranks
    and sizes with the shapes named."""
    if not all(isinstance(t, Tensor) for t in (query, key, value)):
        raise TypeError(f"{_OP}: query, key and value must be Tensors")
    if query.ndim not in (2, 3):
        raise RuntimeError(f"{_OP}: query should be unbatched 2D or batched 3D, got a {query.ndim}D tensor of "
                           f"shape {tuple(query.shape)}")
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise RuntimeError(f"{_OP}: for {'batched 3D' if query.ndim == 3 else 'unbatched 2D'} query, expected key "
                           f"and value of the same rank, got shapes {tuple(key.shape)} and {tuple(value.shape)}")
    batched = query.ndim == 3
    if key_padding_mask is not None and key_padding_mask.ndim != (2 if batched else 1):
        raise RuntimeError(f"{_OP}: for {'batched' if batched else 'unbatched'} query, expected key_padding_mask "
                           f"to be {'2D (N, S)' if batched else '1D (S,)'}, got shape {tuple(key_padding_mask.shape)}")
    if attn_mask is not None and (attn_mask.ndim not in (2, 3) or (not batched and attn_mask.ndim != 2
                                                                     and attn_mask.shape[0] != num_heads)):
        raise RuntimeError(f"{_OP}: expected a 2D (L, S) or 3D (N·num_heads, L, S) attn_mask, got shape "
                           f"{tuple(attn_mask.shape)}")
    if query.shape[-1] != embed_dim:
        raise RuntimeError(f"{_OP}: was expecting embedding dimension of {embed_dim}, but got {query.shape[-1]} "
                           f"(query shape {tuple(query.shape)})")
    if num_heads <= 0 or embed_dim % num_heads:
        raise RuntimeError(f"{_OP}: embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if separate is None:
        if tuple(key.shape) != tuple(value.shape) or key.shape[-1] != embed_dim:
            raise RuntimeError(f"{_OP}: key shape {tuple(key.shape)} does not match value shape "
                               f"{tuple(value.shape)}, or their embedding size is not {embed_dim}")
    elif tuple(key.shape[:-1]) != tuple(value.shape[:-1]):
        raise RuntimeError(f"{_OP}: key's sequence and batch dims {tuple(key.shape[:-1])} do not match value's "
                           f"{tuple(value.shape[:-1])}")
    return batched


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention (``nn.MultiheadAttention``'s computation), sequence-major like PyTorch.

    Shape: query (L, N, E) or (L, E); key (S, N, Ek), value (S, N, Ev) (or unbatched);
    key_padding_mask (N, S) or (S,); attn_mask (L, S) or (N·num_heads, L, S) ->
    output (L, N, E) (or (L, E)), weights (N, L, S) averaged over heads, (N, num_heads, L, S)
    otherwise, or None when not ``need_weights``.
    """
    separate = (q_proj_weight, k_proj_weight, v_proj_weight) if use_separate_proj_weight else None
    if separate is not None and any(w is None for w in separate):
        raise RuntimeError(f"{_OP}: use_separate_proj_weight=True needs q_proj_weight, k_proj_weight and "
                           "v_proj_weight")
    batched = check_mha_inputs(query, key, value, embed_dim_to_check, num_heads, key_padding_mask, attn_mask,
                               separate)
    return run_mha(query, key, value, batched, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
                          add_zero_attn, dropout_p if training else 0.0, out_proj_weight, out_proj_bias,
                          key_padding_mask, need_weights, attn_mask, separate, static_k, static_v,
                          average_attn_weights, is_causal, batch_first=False)


def run_mha(query, key, value, batched, num_heads, *args, batch_first):
    """Bring (L, N, E) / (N, L, E) / (L, E) inputs to batch-major, run, and bring the output back."""
    (in_w, in_b, bias_k, bias_v, zero_attn, p, out_w, out_b, kpm, need_weights, attn_mask, separate, static_k,
     static_v, average, is_causal) = args
    if not batched:
        query, key, value = _same(lambda t: t.unsqueeze(0), query, key, value)
        kpm = None if kpm is None else kpm.unsqueeze(0)
    elif not batch_first:
        query, key, value = _same(lambda t: t.transpose(0, 1), query, key, value)
    out, weights = mha_batch_major(query, key, value, num_heads, in_w, in_b, bias_k, bias_v, zero_attn, p, out_w,
                                   out_b, kpm, need_weights, attn_mask, separate, static_k, static_v, average,
                                   is_causal)
    if not batched:
        return out.squeeze(0), (None if weights is None else weights.squeeze(0))
    return (out if batch_first else out.transpose(0, 1)), weights


def _same(fn, query, key, value):
    """fn applied to each of query, key, value, keeping the identity of tensors that were one."""
    q = fn(query)
    k = q if key is query else fn(key)
    v = k if value is key else q if value is query else fn(value)
    return q, k, v

