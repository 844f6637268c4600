"""The Numba kernels of ``_gelu_float32`` (imported on first use: importing this compiles or loads
them from Numba's cache). Module-level constants are frozen into the compiled code as float32."""
import math

import numpy as np

from .jit_math import exp32, jit

_P0, _P1, _P2, _P3, _P4, _P5, _P6 = (np.float32(c) for c in (
    -2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05,
    -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02))
_Q0, _Q1, _Q2, _Q3, _Q4 = (np.float32(c) for c in (
    -1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03,
    -1.42647390514189e-02))
_R2 = np.float32(1 / math.sqrt(2))
_IS2PI = np.float32(1 / math.sqrt(2 * math.pi))
_HALF, _ONE, _FOUR = np.float32(0.5), np.float32(1), np.float32(4)
_jit = jit


@_jit
def _erf(t):
    t = min(max(t, -_FOUR), _FOUR)
    t2 = t * t
    num = ((((((_P0 * t2 + _P1) * t2 + _P2) * t2 + _P3) * t2 + _P4) * t2 + _P5) * t2 + _P6) * t
    return num / ((((_Q0 * t2 + _Q1) * t2 + _Q2) * t2 + _Q3) * t2 + _Q4)


@_jit
def erf(x, out):
    """out = erf(x), flat float32 arrays."""
    for i in range(x.size):
        out[i] = _erf(x[i])


@_jit
def gelu(x, out):
    """out = x·Φ(x), flat float32 arrays."""
    for i in range(x.size):
        v = x[i]
        out[i] = _HALF * v * (_ONE + _erf(v * _R2))


@_jit
def gelu_grad(x, dy, out):
    """out = dy·(Φ(x) + x·φ(x)), flat float32 arrays, in one vectorized loop (``exp32``)."""
    for i in range(x.size):
        v = x[i]
        out[i] = dy[i] * (_HALF * (_ONE + _erf(v * _R2)) + v * _IS2PI * exp32(-_HALF * v * v))
