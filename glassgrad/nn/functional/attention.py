"""nn.functional: scaled dot-product attention as one fused op with a hand-written backward.

    S = scale · Q Kᵀ + M  (M: additive mask, or -inf where a boolean mask is False / above the
    diagonal when causal),   P = softmax(S) along the keys,   Pd = P ⊙ D (dropout, D = keep/(1-p)),
    O = Pd V

    dV = Pdᵀ dO,   dPd = dO Vᵀ,   dP = dPd ⊙ D,   dS = P ⊙ (dP - Σ_keys dP ⊙ P),
    dQ = scale · dS K,   dK = scale · dSᵀ Q,   dM = dS

The forward keeps one (…, L, S) buffer: the scores become P in place, and P is all backward
saves of them. A query whose keys are all masked out attends to nothing: its row of P is zero
(PyTorch's safe softmax), so its output and gradients are zero rather than NaN.

``backward`` (used under ``create_graph=True``) recomputes P with glassgrad ops, so the gradient
can be differentiated again; ``raw_backward`` (the usual path) works on the saved arrays.
"""
import math

import numpy as np

from ... import backend, parallel
from ...autograd.function import Function
from ...autograd.tensor import Tensor, wrap_array
from ...ops._util import sum_to, sum_to_array
from ...random import rng_of

__all__ = ["scaled_dot_product_attention"]


def _check_inputs(query, key, value, attn_mask, is_causal, dropout_p):
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise RuntimeError(f"{op}: {name} must have at least 2 dims (..., seq_len, features), got shape "
                               f"{tuple(t.shape)}")
        if t.dtype.kind != "f":
            raise TypeError(f"{op}: expected floating point {name}, got {t.dtype}; use .float()")
    if not (query.dtype == key.dtype == value.dtype):
        raise TypeError(f"{op}: expected query, key and value of one dtype, got {query.dtype}, {key.dtype}, "
                        f"{value.dtype}; convert them with .to(query.dtype)")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"{op}: query and key must have the same feature size (last dim), got shapes "
                           f"{tuple(query.shape)} and {tuple(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{op}: key and value must have the same sequence length (dim -2), got shapes "
                           f"{tuple(key.shape)} and {tuple(value.shape)}")
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1), got {dropout_p}")
    L, S = query.shape[-2], key.shape[-2]
    batch = _broadcast(op, query.shape[:-2], key.shape[:-2], value.shape[:-2])
    if attn_mask is None:
        return batch
    if is_causal:
        raise RuntimeError(f"{op}: an explicit attn_mask should not be set when is_causal=True; pass one or "
                           "the other")
    if not isinstance(attn_mask, Tensor):
        raise TypeError(f"{op}: attn_mask must be a Tensor, got {type(attn_mask).__name__}")
    if attn_mask.dtype != np.bool_ and attn_mask.dtype != query.dtype:
        raise TypeError(f"{op}: expected attn_mask of dtype bool (True = attend) or of the query's dtype "
                        f"{query.dtype} (added to the scores), got {attn_mask.dtype}")
    try:
        full = np.broadcast_shapes(tuple(attn_mask.shape), batch + (L, S))
    except ValueError:
        full = None
    if full is None or full[-2:] != (L, S):
        raise RuntimeError(f"{op}: attn_mask of shape {tuple(attn_mask.shape)} does not broadcast to the "
                           f"attention scores' shape {batch + (L, S)} (..., target length L={L}, source length "
                           f"S={S})")
    return full[:-2]


def _broadcast(op, *shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"{op}: the batch dims {', '.join(str(tuple(s)) for s in shapes)} of query, key and "
                           "value cannot be broadcast together") from None


def _causal_blocked(L, S):
    """True above the diagonal (top-left aligned, as PyTorch): the keys a query may not see."""
    return np.triu(np.ones((L, S), dtype=bool), k=1)


def _softmax_rows_(s):
    """Softmax along the last axis, in place; rows that are all -inf become zeros."""
    m = s.max(axis=-1, keepdims=True)
    dead = np.isneginf(m)
    if dead.any():
        m[dead] = 0
    s -= m
    np.exp(s, out=s)
    total = s.sum(axis=-1, keepdims=True)
    if dead.any():
        total[dead] = 1
    s /= total
    return s


def _scores_arrays(q, k, mask, causal, scale):
    """P = softmax(scale · Q Kᵀ + M) on arrays, as one buffer of the broadcast shape."""
    s = parallel.matmul(q, np.swapaxes(k, -1, -2))
    s *= s.dtype.type(scale)
    if mask is not None:
        if mask.dtype == np.bool_:
            if s.shape != np.broadcast_shapes(s.shape, mask.shape):
                s = np.broadcast_to(s, np.broadcast_shapes(s.shape, mask.shape)).copy()
            np.copyto(s, -np.inf, where=~mask)
        elif s.shape == np.broadcast_shapes(s.shape, mask.shape):
            s += mask
        else:
            s = s + mask
    elif causal:
        np.copyto(s, -np.inf, where=_causal_blocked(*s.shape[-2:]))
    return _softmax_rows_(s)


def _scores_tensors(q, k, mask, causal, scale):
    """P = softmax(scale · Q Kᵀ + M) in glassgrad ops (differentiable again)."""
    s = (q @ k.mT) * scale
    if mask is not None:
        if mask.dtype == np.bool_:
            s = s.masked_fill(mask.logical_not(), -math.inf)
        else:
            s = s + mask
    elif causal:
        s = s.masked_fill(wrap_array(_causal_blocked(s.shape[-2], s.shape[-1])), -math.inf)
    dead = wrap_array(np.isneginf(s.array.max(axis=-1, keepdims=True)))
    s = s.masked_fill(dead, 0.0)  # rows with every key masked: finite, then zeroed below
    return s.softmax(-1).masked_fill(dead, 0.0)


class ScaledDotProductAttention(Function):
    """O = softmax(scale · Q Kᵀ + M) ⊙ D · V; see the module docstring for the backward.

    With ``weights=True`` the op has a second output, the attention weights Pd (after dropout),
    whose gradient flows back too (``nn.MultiheadAttention(need_weights=True)``)."""

    @staticmethod
    def forward(ctx, q, k, v, mask, scale, causal, keep, weights=False):
        p = _scores_arrays(q.array, k.array, None if mask is None else mask.array, causal, scale)
        pd = p if keep is None else p * keep
        out = parallel.matmul(pd, v.array)
        ctx.scale, ctx.causal, ctx.weights = scale, causal, weights
        ctx.meta = tuple((t.shape, t.dtype) for t in (q, k, v))
        ctx.mask_meta = None if mask is None else (mask.shape, mask.dtype)
        ctx.save_for_backward(q, k, v, mask, p, keep)
        return (out, pd) if weights else out

    @staticmethod
    def backward(ctx, dout, dweights=None):
        q, k, v, mask, _, keep = ctx.saved_tensors
        need = ctx.needs_input_grad
        p = _scores_tensors(q, k, mask, ctx.causal, ctx.scale)
        pd = p if keep is None else p * keep
        dpd = dout @ v.mT
        if dweights is not None:
            dpd = dpd + dweights
        dv = sum_to(pd.mT @ dout, v.shape) if need[2] else None
        dp = dpd if keep is None else dpd * keep
        ds = p * (dp - (dp * p).sum(-1, keepdim=True))
        dq = sum_to((ds @ k) * ctx.scale, q.shape) if need[0] else None
        dk = sum_to((ds.mT @ q) * ctx.scale, k.shape) if need[1] else None
        dm = sum_to(ds, mask.shape) if mask is not None and need[3] else None
        return dq, dk, dv, dm

    @staticmethod
    def raw_backward(ctx, dout, dweights=None):
        q, k, v, _, p, keep = ctx.saved_arrays
        need = ctx.needs_input_grad
        dpd = parallel.matmul(dout, np.swapaxes(v, -1, -2))
        if dweights is not None:
            dpd += dweights
        dv = None
        if need[2]:
            pd = p if keep is None else p * keep
            dv = sum_to_array(parallel.matmul(np.swapaxes(pd, -1, -2), dout), *ctx.meta[2])
        if keep is not None:
            dpd *= keep
        # dS = P ⊙ (dP - Σ dP ⊙ P), written into dP's buffer
        dpd -= np.einsum("...j,...j->...", dpd, p)[..., None]
        dpd *= p
        ds = dpd
        scale = ds.dtype.type(ctx.scale)
        dq = dk = dm = None
        if need[0]:
            dq = parallel.matmul(ds, k)
            dq *= scale
            dq = sum_to_array(dq, *ctx.meta[0])
        if need[1]:
            dk = parallel.matmul(np.swapaxes(ds, -1, -2), q)
            dk *= scale
            dk = sum_to_array(dk, *ctx.meta[1])
        if ctx.mask_meta is not None and need[3]:
            dm = sum_to_array(ds, *ctx.mask_meta)
        return dq, dk, dv, dm


def attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
              need_weights=False, generator=None):
    """``scaled_dot_product_attention``, also returning the attention weights when
    ``need_weights`` (then a pair (output, weights), the weights after dropout)."""
    batch = _check_inputs(query, key, value, attn_mask, is_causal, dropout_p)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1]) if query.shape[-1] else 1.0
    keep = None
    if dropout_p > 0.0:
        shape = tuple(batch) + (query.shape[-2], key.shape[-2])
        mask = rng_of(generator).random(shape) >= dropout_p
        keep = wrap_array(backend.move((mask * (1.0 / (1.0 - dropout_p))).astype(query.dtype),
                                   backend.device_of(query.array)))
    if attn_mask is not None and attn_mask.dtype == np.bool_ and attn_mask.requires_grad:
        attn_mask = attn_mask.detach()
    return ScaledDotProductAttention.apply(query, key, value, attn_mask, float(scale), bool(is_causal), keep,
                                           weights=need_weights)


def _repeat_heads(t, rep):
    """Each head of (..., H, S, E) repeated ``rep`` times in place (PyTorch's repeat_interleave)."""
    *lead, h, n, e = t.shape
    return t.unsqueeze(-3).expand(*lead, h, rep, n, e).reshape(*lead, h * rep, n, e)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(Q Kᵀ · scale + mask) V, fused (one op, hand-written backward).

    Args:
        attn_mask: bool (True: the query may attend to that key) or float of the query's dtype
            (added to the scores), broadcastable to (..., L, S).
        dropout_p: dropout on the attention weights (applied whenever > 0, as PyTorch).
        is_causal: mask out keys after each query (top-left aligned); not with ``attn_mask``.
        scale: defaults to 1/√E.
        enable_gqa: grouped-query attention: each key/value head serves query_heads/key_heads
            consecutive query heads.

    Shape: query (..., L, E), key (..., S, E), value (..., S, Ev) (batch dims broadcast) ->
    (..., L, Ev).
    """
    if enable_gqa:
        if query.ndim < 3 or key.ndim < 3 or query.shape[-3] % key.shape[-3]:
            raise RuntimeError("scaled_dot_product_attention: enable_gqa=True needs (..., heads, L, E) inputs "
                               "with the query's heads a multiple of the key's")
        rep = query.shape[-3] // key.shape[-3]
        key, value = _repeat_heads(key, rep), _repeat_heads(value, rep)
    return attention(query, key, value, attn_mask, dropout_p, is_causal, scale)
