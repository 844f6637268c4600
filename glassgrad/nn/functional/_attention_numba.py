"""The Numba kernels of the blockwise attention (``attention.py``), on float32 blocks of scores
(B, rows, keys), C-contiguous, in place. Imported on first use (importing compiles them or loads
them from Numba's cache). ``row0`` is the query index of the block's first row: with ``causal``,
row i's keys j > row0 + i are masked out."""
import math

import numpy as np

from ...ops.jit_math import exp32, jit

_NEG_INF, _INF, _ZERO, _ONE = np.float32(-np.inf), np.float32(np.inf), np.float32(0), np.float32(1)


@jit
def softmax_lse(s, lse, scale, row0, causal):
    """s = softmax(scale · s) along the keys, lse = the rows' log Σ exp (+inf for a row whose keys
    are all masked out: its probabilities are 0)."""
    b_n, r_n, c_n = s.shape
    for b in range(b_n):
        for r in range(r_n):
            row = s[b, r]
            c_hi = min(c_n, row0 + r + 1) if causal else c_n
            m = _NEG_INF
            for j in range(c_hi):
                row[j] *= scale
                m = max(m, row[j])
            if m == _NEG_INF:
                row[:] = _ZERO
                lse[b, r] = _INF
                continue
            total = _ZERO
            for j in range(c_hi):
                e = exp32(row[j] - m)
                row[j] = e
                total += e
            inv = _ONE / total
            for j in range(c_hi):
                row[j] *= inv
            for j in range(c_hi, c_n):
                row[j] = _ZERO
            lse[b, r] = m + np.float32(math.log(total))


@jit
def probs(s, lse, scale, row0, causal):
    """s = exp(scale · s - lse): the probabilities again, from the rows' saved log Σ exp."""
    b_n, r_n, c_n = s.shape
    for b in range(b_n):
        for r in range(r_n):
            row = s[b, r]
            c_hi = min(c_n, row0 + r + 1) if causal else c_n
            l = lse[b, r]
            for j in range(c_hi):
                row[j] = exp32(row[j] * scale - l)
            for j in range(c_hi, c_n):
                row[j] = _ZERO


@jit
def softmax_grad(dp, p):
    """dp = p ⊙ (dp - Σ_keys dp ⊙ p): the scores' gradient, in dp's buffer."""
    b_n, r_n, c_n = dp.shape
    for b in range(b_n):
        for r in range(r_n):
            d, q = dp[b, r], p[b, r]
            t = _ZERO
            for j in range(c_n):
                t += d[j] * q[j]
            for j in range(c_n):
                d[j] = q[j] * (d[j] - t)
