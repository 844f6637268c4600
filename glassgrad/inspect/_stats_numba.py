"""The Numba kernels of ``stats`` (imported on first use: importing this compiles them or loads them
from Numba's cache). Each reads its arrays once where the NumPy path takes several passes and a
dozen small calls; ``stats`` picks them when Numba is installed and falls back to NumPy otherwise.

Sums accumulate in float64, with glassgrad's kernel options (``jit``: the additions may be reordered
so that the loops vectorize; inf and nan still propagate). The histogram kernel keeps strict IEEE
arithmetic instead: its edges and bins must equal ``np.histogram``'s bit for bit.
"""
import math

import numba
import numpy as np

from ..ops.jit_math import jit

_strict = numba.njit(error_model="numpy", nogil=True, cache=True)


@jit
def param_sums(w, b, g):
    """(Σw², Σ(w-b)², Σg², Σg·(w-b)) of flat arrays; ``b`` or ``g`` empty when absent (their sums 0)."""
    w2 = u2 = g2 = gu = 0.0
    n = w.size
    if b.size == n and g.size == n:
        for i in range(n):
            x = np.float64(w[i])
            d = x - np.float64(b[i])
            y = np.float64(g[i])
            w2 += x * x
            u2 += d * d
            g2 += y * y
            gu += y * d
    elif b.size == n:
        for i in range(n):
            x = np.float64(w[i])
            d = x - np.float64(b[i])
            w2 += x * x
            u2 += d * d
    elif g.size == n:
        for i in range(n):
            x = np.float64(w[i])
            y = np.float64(g[i])
            w2 += x * x
            g2 += y * y
    else:
        for i in range(n):
            x = np.float64(w[i])
            w2 += x * x
    return w2, u2, g2, gu


@jit
def sums(flat, step, count):
    """(Σx, Σx²) over ``flat[0], flat[step], ...`` (``count`` values)."""
    s = ss = 0.0
    if step == 1:  # (a loop of its own: this one vectorizes)
        for k in range(count):
            x = np.float64(flat[k])
            s += x
            ss += x * x
    else:
        for k in range(count):
            x = np.float64(flat[k * step])
            s += x
            ss += x * x
    return s, ss


@_strict
def histogram(flat, step, count, counts, edges):
    """Bin the finite values among ``flat[0], flat[step], ...`` (``count`` values) into ``counts``
    (zeroed here) with ``edges`` filled as ``np.histogram(values, len(counts), (min, max))`` would.
    Returns how many were finite, or -1 when their span overflows (left to NumPy)."""
    bins = counts.size
    values = np.empty(count)  # the finite ones, gathered once: the strided reads are the cost
    lo, hi, m = math.inf, -math.inf, 0
    for k in range(count):
        x = np.float64(flat[k * step])
        if math.isfinite(x):
            values[m] = x
            lo = min(lo, x)
            hi = max(hi, x)
            m += 1
    if m == 0:
        return 0
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    delta = hi - lo
    if not math.isfinite(delta):
        return -1
    width = delta / bins
    for i in range(bins + 1):  # np.linspace's arithmetic, so that the edges are its, bit for bit
        edges[i] = (i / bins) * delta + lo if width == 0 else i * width + lo
    edges[bins] = hi
    counts[:] = 0
    scale = bins / delta
    for k in range(m):
        x = values[k]
        j = min(int((x - lo) * scale), bins - 1)  # the maximum belongs to the last (closed) bin
        # the scaled index can be off by one next to an edge: settle by comparing with the edges
        if x < edges[j]:
            j -= 1
        if j != bins - 1 and x >= edges[j + 1]:
            j += 1
        counts[j] += 1
    return m
