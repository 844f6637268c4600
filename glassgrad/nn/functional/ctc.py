"""nn.functional: the connectionist temporal classification loss (``ctc_loss``), in log space.

For a target l of length U, the extended label sequence l' = (blank, l₁, blank, l₂, …, blank) has
2U+1 entries. With y = log_probs (T time steps of log-probabilities over C classes):

    α₀(0) = y₀(blank),  α₀(1) = y₀(l'₁),
    α_t(s) = logsumexp(α_{t-1}(s), α_{t-1}(s-1), α_{t-1}(s-2) if l'_s ≠ blank and l'_s ≠ l'_{s-2}) + y_t(l'_s)
    loss = -logsumexp(α_{T-1}(2U), α_{T-1}(2U-1))

β runs the same recursion backwards from the end (β_t includes y_t, as PyTorch's). The gradient
is PyTorch's: with γ_t(c) = Σ_{s: l'_s = c} exp(α_t(s) + β_t(s) - y_t(c) + loss),

    ∂loss/∂y_t(c) = exp(y_t(c)) - γ_t(c)   (t < the input's length; 0 after it)

which is the gradient of the loss with respect to the logits behind a log_softmax (the true
derivative with respect to y is -γ; both give the same gradient through log_softmax). The
recursions run vectorized over the batch and the extended labels, with one loop over time. The
backward works on raw arrays: the op is once-differentiable.
"""
import numpy as np

from ...autograd.function import Function, once_differentiable
from ...autograd.tensor import Tensor, wrap_array

__all__ = ["ctc_loss"]

_OP = "ctc_loss"


def _lse3(a, b, c):
    """logsumexp of three arrays element-wise (-inf where all are -inf)."""
    m = np.maximum(np.maximum(a, b), c)
    safe = np.where(np.isneginf(m), 0, m)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(a - safe) + np.exp(b - safe) + np.exp(c - safe)) + safe


def _shift(x, k, fill):
    """x shifted right by k along the last axis (x[..., s-k]), ``fill`` coming in."""
    out = np.full_like(x, fill)
    out[..., k:] = x[..., :x.shape[-1] - k]
    return out


def _extended(targets, target_lengths, blank, n, u_max):
    """l' (N, 2U+1) with blanks beyond each target's end, and where a skip s-2 -> s is allowed."""
    ext = np.full((n, 2 * u_max + 1), blank, dtype=np.int64)
    ext[:, 1::2] = targets
    valid = np.arange(2 * u_max + 1)[None, :] < (2 * target_lengths[:, None] + 1)
    ext = np.where(valid, ext, blank)
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    return ext, skip


def _alpha(lp, ext, skip):
    """log α (T, N, L') by the forward recursion."""
    t_max, n, _ = lp.shape
    width = ext.shape[1]
    emit = np.take_along_axis(lp, np.broadcast_to(ext[None], (t_max, n, width)), axis=2)
    alpha = np.full((t_max, n, width), -np.inf, dtype=lp.dtype)
    alpha[0, :, 0] = emit[0, :, 0]
    if width > 1:
        alpha[0, :, 1] = emit[0, :, 1]
    neg = lp.dtype.type(-np.inf)
    for t in range(1, t_max):
        prev = alpha[t - 1]
        two = np.where(skip, _shift(prev, 2, neg), neg)
        alpha[t] = _lse3(prev, _shift(prev, 1, neg), two) + emit[t]
    return alpha, emit


def _beta(emit, ext, skip, input_lengths, target_lengths):
    """log β (T, N, L') by the backward recursion, each sequence starting at its own last step."""
    t_max, n, width = emit.shape
    beta = np.full((t_max, n, width), -np.inf, dtype=emit.dtype)
    last = 2 * target_lengths  # index of the final blank of each l'
    rows = np.arange(n)
    init = np.full((n, width), -np.inf, dtype=emit.dtype)
    neg = emit.dtype.type(-np.inf)
    # a skip s -> s+2 is allowed where the skip into s+2 is (same condition, seen from s+2)
    skip_from = np.zeros_like(skip)
    skip_from[:, :-2] = skip[:, 2:]
    nxt = np.full((n, width), -np.inf, dtype=emit.dtype)
    for t in range(t_max - 1, -1, -1):
        start = input_lengths - 1 == t
        rec = _lse3(nxt, _unshift(nxt, 1, neg), np.where(skip_from, _unshift(nxt, 2, neg), neg)) + emit[t]
        cur = np.where((t < input_lengths - 1)[:, None], rec, neg)
        if start.any():
            init.fill(-np.inf)
            r = rows[start]
            init[r, last[start]] = emit[t, r, last[start]]
            has = target_lengths[start] > 0
            init[r[has], last[start][has] - 1] = emit[t, r[has], last[start][has] - 1]
            cur = np.where(start[:, None], init, cur)
        beta[t] = cur
        nxt = cur
    return beta


def _unshift(x, k, fill):
    """x shifted left by k along the last axis (x[..., s+k]), ``fill`` coming in."""
    out = np.full_like(x, fill)
    out[..., :x.shape[-1] - k] = x[..., k:]
    return out


class CTCLoss(Function):
    """Per-sequence negative log-likelihood -log p(target | log_probs); see the module docstring."""

    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        lp = log_probs.array
        n = lp.shape[1]
        ext, skip = _extended(targets.array, target_lengths, blank, n, targets.shape[1])
        alpha, emit = _alpha(lp, ext, skip)
        rows = np.arange(n)
        t_end = np.maximum(input_lengths - 1, 0)
        last = 2 * target_lengths
        end = alpha[t_end, rows, last]
        before = np.where(target_lengths > 0, alpha[t_end, rows, np.maximum(last - 1, 0)], -np.inf)
        m = np.maximum(end, before)
        safe = np.where(np.isneginf(m), 0, m)
        with np.errstate(divide="ignore"):
            nll = -(np.log(np.exp(end - safe) + np.exp(before - safe)) + safe)
        nll = np.where(input_lengths > 0, nll, np.where(target_lengths > 0, np.inf, 0)).astype(lp.dtype)
        ctx.blank, ctx.zero_infinity = blank, zero_infinity
        ctx.inputs = (ext, skip, input_lengths, target_lengths)
        ctx.save_for_backward(log_probs, alpha, emit, nll)
        if zero_infinity:
            return np.where(np.isinf(nll), 0, nll).astype(lp.dtype)
        return nll

    @staticmethod
    @once_differentiable
    def backward(ctx, dloss):
        log_probs, alpha, emit, nll = ctx.saved_arrays
        ext, skip, input_lengths, target_lengths = ctx.inputs
        beta = _beta(emit, ext, skip, input_lengths, target_lengths)
        t_max, n, c = log_probs.shape
        with np.errstate(invalid="ignore", over="ignore"):
            # exp(α + β - y + nll): the share of the paths through (t, s), at most 1
            share = np.exp(alpha + beta - emit + nll[None, :, None])
        share = np.nan_to_num(share, nan=0.0)
        onehot = np.zeros((n, ext.shape[1], c), dtype=log_probs.dtype)
        onehot[np.arange(n)[:, None], np.arange(ext.shape[1])[None, :], ext] = 1
        gamma = np.matmul(share.transpose(1, 0, 2), onehot).transpose(1, 0, 2)  # (T, N, C)
        grad = np.exp(log_probs) - gamma
        grad[np.arange(t_max)[:, None] >= input_lengths[None, :]] = 0
        scale = dloss.array.astype(log_probs.dtype)
        if ctx.zero_infinity:
            scale = np.where(np.isinf(nll), 0, scale)
        return grad * scale[None, :, None], None, None, None


def _lengths(name, lengths, n):
    if isinstance(lengths, Tensor):
        arr = lengths.array
    else:
        arr = np.asarray(lengths)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{_OP}: {name} must hold integers, got dtype {arr.dtype}; use .long()")
    arr = arr.astype(np.int64).reshape(-1)
    if arr.shape[0] != n:
        raise RuntimeError(f"{_OP}: expected {name} to have {n} entries (one per sequence of the batch), got "
                           f"{arr.shape[0]}")
    if (arr < 0).any():
        raise RuntimeError(f"{_OP}: {name} must be >= 0, got {arr.tolist()}")
    return arr


def _padded_targets(targets, target_lengths, n, c, blank):
    """Targets as (N, U_max) int64, from padded (N, S) or concatenated (sum of lengths,) input."""
    if not isinstance(targets, Tensor):
        targets = Tensor(np.asarray(targets))
    tg = targets.array
    if tg.dtype.kind not in "iu":
        raise TypeError(f"{_OP}: targets must hold integer class indices, got dtype {tg.dtype}; use .long()")
    u_max = int(target_lengths.max()) if n else 0
    if tg.ndim == 2:
        if tg.shape[0] != n:
            raise RuntimeError(f"{_OP}: padded targets must be (N={n}, S), got shape {tuple(tg.shape)}")
        if u_max > tg.shape[1]:
            raise RuntimeError(f"{_OP}: expected target_lengths at most the padded targets' length "
                               f"{tg.shape[1]}, got a target_length of {u_max}")
        out = tg[:, :u_max].astype(np.int64)
    elif tg.ndim == 1:
        total = int(target_lengths.sum())
        if total != tg.shape[0]:
            raise RuntimeError(f"{_OP}: concatenated targets hold {tg.shape[0]} labels, but target_lengths add up "
                               f"to {total}; they must be equal (or pass padded (N, S) targets)")
        out = np.full((n, u_max), blank, dtype=np.int64)
        ends = np.cumsum(target_lengths)
        for i in range(n):
            out[i, :target_lengths[i]] = tg[ends[i] - target_lengths[i]:ends[i]]
    else:
        raise RuntimeError(f"{_OP}: targets must be 2-D (N, S) padded or 1-D concatenated, got shape "
                           f"{tuple(tg.shape)}")
    in_use = np.arange(u_max)[None, :] < target_lengths[:, None]
    bad = in_use & ((out < 0) | (out >= c) | (out == blank))
    if bad.any():
        value = int(out[bad][0])
        raise RuntimeError(f"{_OP}: target label {value} is out of range or the blank ({blank}); labels must be in "
                           f"[0, {c - 1}] and differ from blank")
    return np.where(in_use, out, blank)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """The CTC loss: -log of the probability of each target summed over all its alignments.

    Args:
        log_probs: (T, N, C) or unbatched (T, C) log-probabilities (e.g. log_softmax outputs).
        targets: (N, S) padded or 1-D concatenated (sum(target_lengths),) class indices, no blanks
            (unbatched: (target_length,)).
        input_lengths, target_lengths: (N,) (tensors or sequences of ints).
        blank: the blank class. reduction: 'none' (N,), 'sum', or 'mean' (each loss divided by its
            target length, then the batch mean). zero_infinity: impossible alignments give 0 loss
            and 0 gradient instead of inf.
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{_OP}: {reduction!r} is not a valid value for reduction; use 'none', 'mean' or 'sum'")
    if not isinstance(log_probs, Tensor) or log_probs.dtype.kind != "f":
        raise TypeError(f"{_OP}: log_probs must be a floating point Tensor (log_softmax output)")
    batched = log_probs.ndim == 3
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"{_OP}: log_probs must be (T, N, C) or unbatched (T, C), got shape "
                           f"{tuple(log_probs.shape)}")
    if not batched:
        log_probs = log_probs.unsqueeze(1)  # 1-D targets read as concatenated, as PyTorch does
    t_max, n, c = log_probs.shape
    if not 0 <= blank < c:
        raise RuntimeError(f"{_OP}: blank must be in label range [0, {c - 1}], got {blank}")
    in_len = _lengths("input_lengths", input_lengths, n)
    tg_len = _lengths("target_lengths", target_lengths, n)
    if (in_len > t_max).any():
        raise RuntimeError(f"{_OP}: expected input_lengths to have value at most {t_max} (the input's length T), "
                           f"but got value {int(in_len.max())}")
    padded = _padded_targets(targets, tg_len, n, c, blank)
    loss = CTCLoss.apply(log_probs, wrap_array(padded), in_len, tg_len, blank, zero_infinity)
    if reduction == "none":
        return loss if batched else loss.squeeze(0)
    if reduction == "sum":
        return loss.sum()
    denom = wrap_array(np.maximum(tg_len, 1).astype(loss.dtype))
    return (loss / denom).mean()
