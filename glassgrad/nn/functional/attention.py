"""nn.functional: scaled dot-product attention as one fused op with a hand-written backward.

    S = scale · Q Kᵀ + M  (M: additive mask, or -inf where a boolean mask is False / above the
    diagonal when causal),   P = softmax(S) along the keys,   Pd = P ⊙ D (dropout, D = keep/(1-p)),
    O = Pd V

    dV = Pdᵀ dO,   dPd = dO Vᵀ,   dP = dPd ⊙ D,   dS = P ⊙ (dP - Σ_keys dP ⊙ P),
    dQ = scale · dS K,   dK = scale · dSᵀ Q,   dM = dS

Blockwise (flash-style): the queries are taken a block of rows at a time (every head at once, so
each block's products are batched GEMMs), and only that block's scores exist at any moment. The
forward keeps O and each row's log Σ exp (``lse``); the backward computes each block's P again as
exp(S - lse) from Q and K. A block holds all the keys of its rows, so Σ_keys dP ⊙ P is taken in the
block. With ``is_causal`` the keys after a block's last query are never touched (the products
shrink). A query whose keys are all masked out attends to nothing: its row of P is zero
(PyTorch's safe softmax; lse = +inf), so its output and gradients are zero rather than NaN.

float32 blocks go through compiled kernels (Numba, when installed) for the softmax, its
recomputation and its gradient; float64 and the no-Numba case run the same steps in NumPy.

``backward`` (used under ``create_graph=True``) recomputes P with glassgrad ops, so the gradient
can be differentiated again; ``raw_backward`` (the usual path) is the blockwise one.
"""
import copy
import math

import numpy as np

from ... import backend, parallel
from ...autograd.function import Function
from ...autograd.tensor import Tensor, wrap_array
from ...ops._util import sum_to, sum_to_array
from ...random import rng_of

__all__ = ["scaled_dot_product_attention"]

fused = backend.FUSED_KERNELS
block_bytes = 1 << 20   # the scores of one block of query rows (all heads) stay under this
_kernels = {}


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


def _causal_blocked(L, S, row0=0, xp=np):
    """True above the diagonal (top-left aligned, as PyTorch): the keys queries row0.. may not see."""
    return xp.arange(S) > xp.arange(row0, row0 + L)[:, None]


def _numba_kernels():
    if not _kernels:
        from . import _attention_numba as k
        _kernels.update(softmax_lse=k.softmax_lse, probs=k.probs, softmax_grad=k.softmax_grad)
    return _kernels


def _use_kernels(s):
    return fused and s.dtype == np.float32 and type(s) is np.ndarray


def _softmax_lse_(s, scale, row0, causal):
    """s (…, rows, keys) = softmax(scale · s) in place; returns the rows' log Σ exp (…, rows)."""
    xp = backend.namespace(s)
    lse = xp.empty(s.shape[:-1], s.dtype)
    if _use_kernels(s) and s.size:
        _numba_kernels()["softmax_lse"](s.reshape(-1, *s.shape[-2:]), lse.reshape(-1, s.shape[-2]),
                                        s.dtype.type(scale), row0, causal)
        return lse
    if scale != 1.0:
        s *= s.dtype.type(scale)
    if causal:
        xp.copyto(s, -np.inf, where=_causal_blocked(*s.shape[-2:], row0, xp))
    m = s.max(axis=-1, keepdims=True)
    dead = xp.isneginf(m)
    m[dead] = 0
    s -= m
    np.exp(s, out=s)
    total = s.sum(axis=-1, keepdims=True)
    total[dead] = 1
    s /= total
    np.log(total, out=total)
    total += m
    total[dead] = np.inf
    lse[...] = total[..., 0]
    return lse


def _probs_(s, lse, scale, row0, causal):
    """s (…, rows, keys) = exp(scale · s - lse) in place: P again from the saved row statistics."""
    if _use_kernels(s) and s.size:
        _numba_kernels()["probs"](s.reshape(-1, *s.shape[-2:]), np.ascontiguousarray(lse).reshape(-1, s.shape[-2]),
                                  s.dtype.type(scale), row0, causal)
        return s
    if scale != 1.0:
        s *= s.dtype.type(scale)
    if causal:
        xp = backend.namespace(s)
        xp.copyto(s, -np.inf, where=_causal_blocked(*s.shape[-2:], row0, xp))
    s -= lse[..., None]
    return np.exp(s, out=s)


def _softmax_grad_(dp, p):
    """dp = P ⊙ (dp - Σ_keys dp ⊙ P), in dp's buffer."""
    if _use_kernels(dp) and dp.size and p.flags.c_contiguous:
        _numba_kernels()["softmax_grad"](dp.reshape(-1, *dp.shape[-2:]), p.reshape(-1, *p.shape[-2:]))
        return dp
    dp -= np.einsum("...j,...j->...", dp, p)[..., None]
    dp *= p
    return dp


class _Blocks:
    """The query blocks of one attention call on arrays: batch-broadcast views of q, k, v, the
    mask and the dropout keep mask, and each block's slices."""

    def __init__(self, q, k, v, mask, keep, keep_scale, scale, causal):
        L, S = q.shape[-2], k.shape[-2]
        self.batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2],
                                         () if mask is None else mask.shape[:-2])
        nd = len(self.batch) + 2
        self.xp = xp = backend.namespace(q)
        self.q, self.k, self.v = (xp.broadcast_to(a, self.batch + a.shape[-2:]) for a in (q, k, v))
        self.mask = None if mask is None else mask.reshape((1,) * (nd - mask.ndim) + mask.shape)
        self.keep, self.keep_scale = keep, keep_scale
        self.scale, self.causal, self.L, self.S = scale, causal, L, S
        per_row = max(1, int(np.prod(self.batch, dtype=np.int64)) * S * q.dtype.itemsize)
        rows = max(1, min(L, block_bytes // per_row))
        self.rows = -(-L // -(-L // rows)) if L else 1   # equal blocks: 64 rows in 2 -> 32 + 32, not 48 + 16

    def __iter__(self):
        """(first row, end row, keys seen by the block): causal blocks stop at their last query."""
        for i0 in range(0, self.L, self.rows):
            i1 = min(self.L, i0 + self.rows)
            yield i0, i1, min(self.S, i1) if self.causal else self.S

    def split(self, fn, *arrays):
        """``fn(part, *slices)`` on parts of the leading batch dim (each part's q, k, v, masks and
        the matching slices of ``arrays``, which have the batch shape in front), on glassgrad's
        threads: each thread runs whole blocks, so a block's GEMMs and kernels are handed over once."""
        if not self.batch or self.xp is not np:   # (on a GPU the kernels are queued, not run, here)
            fn(self, *arrays)
            return
        flops = 2 * int(np.prod(self.batch, dtype=np.int64)) * self.L * self.S * (self.q.shape[-1] + self.v.shape[-1])
        parallel.parallel_for(self.batch[0], lambda lo, hi: fn(self._part(lo, hi), *(
            None if a is None else a[lo:hi] for a in arrays)), flops=flops)

    def _part(self, lo, hi):
        part = copy.copy(self)
        part.batch = (hi - lo,) + self.batch[1:]
        part.q, part.k, part.v = self.q[lo:hi], self.k[lo:hi], self.v[lo:hi]
        if self.mask is not None and self.mask.shape[0] != 1:
            part.mask = self.mask[lo:hi]
        if self.keep is not None:
            part.keep = self.keep[lo:hi]
        return part

    def scores(self, i0, i1, s_hi):
        """The block's scores with the mask applied: (…, rows, s_hi), and the scale and causal
        flag still to apply (the kernels fold them into their pass)."""
        s = self.xp.matmul(self.q[..., i0:i1, :], self.xp.swapaxes(self.k[..., :s_hi, :], -1, -2))
        if self.mask is None:
            return s, self.scale, self.causal
        s *= s.dtype.type(self.scale)
        m = self.mask
        m = m[..., i0:i1, :] if m.shape[-2] != 1 else m
        m = m[..., :s_hi] if m.shape[-1] != 1 else m
        if m.dtype == np.bool_:
            self.xp.copyto(s, -np.inf, where=~m)
        else:
            s += m
        return s, 1.0, False

    def dropped(self, p, i0, i1, s_hi):
        """P ⊙ D of the block (a new array; P itself when there is no dropout)."""
        if self.keep is None:
            return p
        pd = p * self.keep[..., i0:i1, :s_hi]
        pd *= p.dtype.type(self.keep_scale)
        return pd


def _attention_arrays(blocks, weights):
    """O (and the weights Pd when ``weights``) and the rows' lse."""
    b = blocks
    xp = b.xp
    out = xp.empty(b.batch + (b.L, b.v.shape[-1]), b.q.dtype)
    lse = xp.empty(b.batch + (b.L,), b.q.dtype)
    pw = xp.zeros(b.batch + (b.L, b.S), b.q.dtype) if weights else None
    b.split(_forward_blocks, out, lse, pw)
    return out, lse, pw


def _forward_blocks(b, out, lse, pw):
    for i0, i1, s_hi in b:
        if s_hi == 0:
            out[..., i0:i1, :] = 0
            lse[..., i0:i1] = np.inf
            continue
        s, scale, causal = b.scores(i0, i1, s_hi)
        lse[..., i0:i1] = _softmax_lse_(s, scale, i0, causal)
        pd = b.dropped(s, i0, i1, s_hi)
        if pw is not None:
            pw[..., i0:i1, :s_hi] = pd
        b.xp.matmul(pd, b.v[..., :s_hi, :], out=out[..., i0:i1, :])


def _attention_grads(blocks, lse, dout, dweights, need_dq, need_dk, need_dv, need_dm):
    """dQ, dK, dV and dS (the mask's gradient, whole, only when ``need_dm``) in the broadcast
    batch shape, from the saved lse."""
    b = blocks
    dt = b.q.dtype
    xp = b.xp
    dq = xp.empty(b.batch + b.q.shape[-2:], dt) if need_dq else None
    dk = xp.empty(b.batch + b.k.shape[-2:], dt) if need_dk else None
    dv = xp.empty(b.batch + b.v.shape[-2:], dt) if need_dv else None
    dm = xp.zeros(b.batch + (b.L, b.S), dt) if need_dm else None
    b.split(_backward_blocks, lse, dout, dweights, dq, dk, dv, dm)
    return dq, dk, dv, dm


def _backward_blocks(b, lse, dout, dweights, dq, dk, dv, dm):
    dt, xp = b.q.dtype, b.xp
    done = 0   # dK, dV rows written so far: the last block (the most keys) writes, the others add
    for i0, i1, s_hi in reversed(list(b)):
        if s_hi == 0:
            if dq is not None:
                dq[..., i0:i1, :] = 0
            continue
        s, scale, causal = b.scores(i0, i1, s_hi)
        p = _probs_(s, lse[..., i0:i1], scale, i0, causal)
        do = dout[..., i0:i1, :]
        if dv is not None:
            pd = b.dropped(p, i0, i1, s_hi)
            _write_or_add(dv[..., :s_hi, :], xp.swapaxes(pd, -1, -2), do, done)
        dp = xp.matmul(do, xp.swapaxes(b.v[..., :s_hi, :], -1, -2))
        if dweights is not None:
            dp += dweights[..., i0:i1, :s_hi]
        if b.keep is not None:
            dp *= b.keep[..., i0:i1, :s_hi]
            dp *= dt.type(b.keep_scale)
        ds = _softmax_grad_(dp, p)
        if dm is not None:
            dm[..., i0:i1, :s_hi] = ds
        if dq is None and dk is None:
            continue
        ds *= dt.type(b.scale)
        if dq is not None:
            xp.matmul(ds, b.k[..., :s_hi, :], out=dq[..., i0:i1, :])
        if dk is not None:
            _write_or_add(dk[..., :s_hi, :], xp.swapaxes(ds, -1, -2), b.q[..., i0:i1, :], done)
        done = max(done, s_hi)
    for g in (dk, dv):
        if g is not None:
            g[..., done:, :] = 0   # keys no query saw (causal, more keys than queries)


def _write_or_add(out, a, c, done):
    """out = a @ c when nothing was written there yet (``done`` = 0 rows), else out += a @ c."""
    xp = backend.namespace(out)
    if done:
        out += xp.matmul(a, c)
    else:
        xp.matmul(a, c, out=out)


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
    """O = softmax(scale · Q Kᵀ + M) ⊙ D · V, blockwise; see the module docstring.

    ``dropout`` is None or (p, shape, generator): the op draws the boolean keep mask of that shape
    itself (so a replayed step, ``glassgrad.compile``, draws a new one) and D = keep / (1 - p). With
    ``weights=True`` the op has a second output, the attention weights Pd (after dropout), whose
    gradient flows back too (``nn.MultiheadAttention(need_weights=True)``)."""

    @staticmethod
    def forward(ctx, q, k, v, mask, scale, causal, dropout=None, weights=False):
        keep, keep_scale = None, 1.0
        if dropout is not None:
            p, shape, generator = dropout
            keep = backend.move(rng_of(generator).random(shape) >= p, backend.device_of(q.array))
            keep_scale = 1.0 / (1.0 - p)
        blocks = _Blocks(q.array, k.array, v.array, None if mask is None else mask.array, keep, keep_scale,
                         scale, causal)
        out, lse, pw = _attention_arrays(blocks, weights)
        ctx.scale, ctx.causal, ctx.weights, ctx.keep_scale = scale, causal, weights, keep_scale
        ctx.meta = tuple((t.shape, t.dtype) for t in (q, k, v))
        ctx.mask_meta = None if mask is None else (mask.shape, mask.dtype)
        ctx.save_for_backward(q, k, v, mask, lse, keep)
        return (out, pw) if weights else out

    @staticmethod
    def backward(ctx, dout, dweights=None):
        q, k, v, mask, _, keep = ctx.saved_tensors
        need = ctx.needs_input_grad
        p = _scores_tensors(q, k, mask, ctx.causal, ctx.scale)
        d = None if keep is None else wrap_array((keep.array * ctx.keep_scale).astype(q.dtype))
        pd = p if d is None else p * d
        dpd = dout @ v.mT
        if dweights is not None:
            dpd = dpd + dweights
        dv = sum_to(pd.mT @ dout, v.shape) if need[2] else None
        dp = dpd if d is None else dpd * d
        ds = p * (dp - (dp * p).sum(-1, keepdim=True))
        dq = sum_to((ds @ k) * ctx.scale, q.shape) if need[0] else None
        dk = sum_to((ds.mT @ q) * ctx.scale, k.shape) if need[1] else None
        dm = sum_to(ds, mask.shape) if mask is not None and need[3] else None
        return dq, dk, dv, dm

    @staticmethod
    def raw_backward(ctx, dout, dweights=None):
        q, k, v, mask, lse, keep = ctx.saved_arrays
        need = ctx.needs_input_grad
        blocks = _Blocks(q, k, v, mask, keep, ctx.keep_scale, ctx.scale, ctx.causal)
        need_dm = ctx.mask_meta is not None and need[3] and ctx.mask_meta[1] != np.bool_
        dq, dk, dv, dm = _attention_grads(blocks, lse, dout, dweights, need[0], need[1], need[2], need_dm)
        grads = [None if g is None else sum_to_array(g, *meta) for g, meta in zip((dq, dk, dv), ctx.meta)]
        return (*grads, None if dm is None else sum_to_array(dm, *ctx.mask_meta))


def attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
              need_weights=False, generator=None):
    """``scaled_dot_product_attention``, also returning the attention weights when
    ``need_weights`` (then a pair (output, weights), the weights after dropout)."""
    batch = _check_inputs(query, key, value, attn_mask, is_causal, dropout_p)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1]) if query.shape[-1] else 1.0
    dropout = None
    if dropout_p > 0.0:
        dropout = (float(dropout_p), tuple(batch) + (query.shape[-2], key.shape[-2]), generator)
    if attn_mask is not None and attn_mask.dtype == np.bool_ and attn_mask.requires_grad:
        attn_mask = attn_mask.detach()
    return ScaledDotProductAttention.apply(query, key, value, attn_mask, float(scale), bool(is_causal), dropout,
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
