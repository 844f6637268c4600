"""The Numba kernels of ``layer_norm`` (``norm.py``) on (rows, C) C-contiguous arrays, float32 or
float64. Imported on first use (importing compiles them or loads them from Numba's cache).
Statistics are accumulated in float64."""
import math

import numpy as np

from ...ops.jit_math import jit


@jit
def layer_norm_forward(x, w, b, eps, y, mean, rstd):
    """y = (x - μ)·σ⁻¹·w + b per row (w, b: length-C arrays, ones/zeros when absent); writes the
    rows' μ and σ⁻¹."""
    r_n, c_n = x.shape
    for r in range(r_n):
        row = x[r]
        s = 0.0
        for j in range(c_n):
            s += row[j]
        mu = s / c_n
        v = 0.0
        for j in range(c_n):
            d = row[j] - mu
            v += d * d
        inv = 1.0 / math.sqrt(v / c_n + eps)
        mean[r] = mu
        rstd[r] = inv
        m, i = y.dtype.type(mu), y.dtype.type(inv)
        out = y[r]
        for j in range(c_n):
            out[j] = (row[j] - m) * i * w[j] + b[j]


@jit
def layer_norm_backward(x, dy, w, mean, rstd, dx, dw, db):
    """dx = σ⁻¹·(dx̂ - mean(dx̂) - x̂·mean(dx̂·x̂)) with dx̂ = dy·w, x̂ recomputed from μ, σ⁻¹;
    dw += Σ_rows dy·x̂, db += Σ_rows dy (float64 accumulators). A ``dx`` of shape (0, C) skips dx."""
    r_n, c_n = x.shape
    want_dx = dx.shape[0] == r_n
    for r in range(r_n):
        row, g = x[r], dy[r]
        m, i = x.dtype.type(mean[r]), x.dtype.type(rstd[r])
        a = 0.0
        c = 0.0
        for j in range(c_n):
            xh = (row[j] - m) * i
            gj = g[j]
            dw[j] += gj * xh
            db[j] += gj
            dxh = gj * w[j]
            a += dxh
            c += dxh * xh
        if want_dx:
            a_t, c_t = x.dtype.type(a / c_n), x.dtype.type(c / c_n)
            out = dx[r]
            for j in range(c_n):
                xh = (row[j] - m) * i
                out[j] = i * (g[j] * w[j] - a_t - xh * c_t)
