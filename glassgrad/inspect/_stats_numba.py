"""The Numba kernels of ``stats`` (imported on first use: importing this compiles them or loads them
from Numba's cache). Each reads its arrays once where the NumPy path takes several passes and a
dozen small calls; ``stats`` picks them when Numba is installed and falls back to NumPy otherwise.

Sums accumulate in float64. ``_SUMS`` lets LLVM reorder the additions so that the loops vectorize
(no ``nnan``/``ninf``: inf and nan still propagate into the sums); the histogram kernel keeps strict
IEEE order, since its bins must equal ``np.histogram``'s exactly.
"""
import math

import numba
import numpy as np

_SUMS = {"reassoc", "contract", "nsz"}


def _jit(fastmath=False):
    def wrap(fn):
        try:
            return numba.njit(error_model="numpy", nogil=True, fastmath=fastmath, cache=True)(fn)
        except RuntimeError:  # "cannot cache function ...: no locator available": no writable folder
            return numba.njit(error_model="numpy", nogil=True, fastmath=fastmath, cache=False)(fn)
    return wrap


@_jit(_SUMS)
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


@_jit(_SUMS)
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


@_jit()
def histogram(flat, step, count, counts, edges):
    """Bin the finite values among ``flat[0], flat[step], ...`` (``count`` values) into ``counts``
    (zeroed here) with ``edges`` filled as ``np.histogram(values, len(counts), (min, max))`` would.
    Returns how many were finite, or -1 when their span overflows (left to NumPy)."""
    bins = counts.size
    lo, hi, m = math.inf, -math.inf, 0
    for k in range(count):
        x = np.float64(flat[k * step])
        if math.isfinite(x):
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
    for k in range(count):
        x = np.float64(flat[k * step])
        if not math.isfinite(x):
            continue
        j = min(int((x - lo) * scale), bins - 1)  # the maximum belongs to the last (closed) bin
        # the scaled index can be off by one next to an edge: settle by comparing with the edges
        if x < edges[j]:
            j -= 1
        if j != bins - 1 and x >= edges[j + 1]:
            j += 1
        counts[j] += 1
    return m
