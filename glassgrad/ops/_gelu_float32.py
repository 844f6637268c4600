"""float32 erf and exact GELU (x·Φ(x)) kernels, forward and backward, in one pass over memory.

erf is a rational fit on [-4, 4] (odd numerator, even denominator in x²; |error| < 5e-7; ±1
beyond), so float32 never pays for the float64 series of ``elementwise._erf``. With Numba
installed (the ``demo``/``test`` extras) each kernel is one compiled SIMD loop; without it, or with
``GLASSGRAD_FUSED=0``, the same formula runs as NumPy passes over cache-sized blocks. Either way
big arrays are split over glassgrad's threads. Numba is imported on first use, not with glassgrad.

    GELU:  y = x/2 · (1 + erf(x/√2)),   dx = dy · (Φ(x) + x·φ(x)),  φ(x) = e^(-x²/2)/√(2π)
"""
import math

import numpy as np

from .. import backend, parallel

__all__ = ["erf_float32", "gelu_float32", "gelu_grad_float32"]

enabled = backend.FUSED_KERNELS

_P = tuple(np.float32(c) for c in (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
                                   -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
                                   -1.60960333262415e-02))
_Q = tuple(np.float32(c) for c in (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
                                   -7.37332916720468e-03, -1.42647390514189e-02))
_R2 = np.float32(1 / math.sqrt(2))
_IS2PI = np.float32(1 / math.sqrt(2 * math.pi))
_BLOCK = 8192  # elements per NumPy block: a block's temporaries stay in the cache
_kernels = {}


def _numba_kernels():
    if not _kernels:
        from . import _gelu_numba
        _kernels.update(erf=_gelu_numba.erf, gelu=_gelu_numba.gelu, gelu_grad=_gelu_numba.gelu_grad)
    return _kernels


def _erf_block(x, out, x2, q):
    """out = erf(x) on one block with NumPy (x2, q: scratch blocks)."""
    np.minimum(x, 4, out=out)
    np.maximum(out, -4, out=out)
    np.multiply(out, out, out=x2)
    np.multiply(x2, _P[0], out=q)
    for c in _P[1:-1]:
        q += c
        q *= x2
    q += _P[-1]
    out *= q                      # x·P(x²)
    np.multiply(x2, _Q[0], out=q)
    for c in _Q[1:-1]:
        q += c
        q *= x2
    q += _Q[-1]
    out /= q


def _erf_numpy(x, out, x2, q, t):
    _erf_block(x, out, x2, q)


def _gelu_numpy(x, out, x2, q, t):
    np.multiply(x, _R2, out=t)
    _erf_block(t, out, x2, q)
    out += 1
    out *= x
    out *= np.float32(0.5)


def _gelu_grad_numpy(x, dy, out, x2, q, t):
    np.multiply(x, _R2, out=t)
    _erf_block(t, out, x2, q)          # out = erf(x/√2); x2 = x²/2
    out += 1
    out *= np.float32(0.5)             # Φ(x)
    np.negative(x2, out=x2)
    np.exp(x2, out=x2)
    x2 *= x
    x2 *= _IS2PI                       # x·φ(x)
    out += x2
    out *= dy


def _run(name, numpy_kernel, out, *arrays):
    """The kernel over flat views of the arrays (C order; ``out`` must be C-contiguous), in chunks
    on glassgrad's threads when big."""
    flat = [np.ascontiguousarray(a).reshape(-1) for a in arrays]
    o = out.reshape(-1)
    n = o.size
    blocks = -(-n // _BLOCK)
    if enabled:
        kernel = _numba_kernels()[name]

        def run(lo, hi):
            s, e = lo * _BLOCK, min(n, hi * _BLOCK)
            kernel(*[f[s:e] for f in flat], o[s:e])
    else:
        def run(lo, hi):
            scratch = [np.empty(_BLOCK, np.float32) for _ in range(3)]
            for b in range(lo, hi):
                s, e = b * _BLOCK, min(n, (b + 1) * _BLOCK)
                numpy_kernel(*[f[s:e] for f in flat], o[s:e], *[t[:e - s] for t in scratch])
    parallel.parallel_for(blocks, run, nbytes=o.nbytes * (1 + len(arrays)))
    return out


def erf_float32(x):
    """erf of a float32 array (|error| < 5e-7)."""
    return _run("erf", _erf_numpy, np.empty(x.shape, x.dtype), x)


def gelu_float32(x):
    """x·Φ(x) of a float32 array."""
    return _run("gelu", _gelu_numpy, np.empty(x.shape, x.dtype), x)


def gelu_grad_float32(x, dy):
    """dy · (Φ(x) + x·φ(x)): GELU's input gradient, float32."""
    return _run("gelu_grad", _gelu_grad_numpy, np.empty(x.shape, x.dtype), x, dy)
