"""Scalar float32 math for glassgrad's Numba kernels (imported only by modules that compile
kernels, so importing it imports Numba).

``jit`` is the one set of Numba options the kernels use: error_model="numpy" drops Python's
zero-division checks, the fast-math flags let the loops vectorize (reassociated sums) but keep
infinities and NaN meaningful (masked scores are -inf), nogil lets glassgrad's threads run chunks
at once, cache keeps the machine code on disk. ``exp32`` is e^t built from operations that
vectorize: NumPy's float32 ``exp`` and Numba's ``math.exp`` run one element at a time on machines
without AVX-512 (~3-7 ns each), which made the exponentials the cost of softmax and GELU's backward.
"""
import numba
import numpy as np

jit = numba.njit(error_model="numpy", fastmath={"nsz", "arcp", "contract", "afn", "reassoc"}, nogil=True,
                 cache=True)

_LOG2E = np.float32(1.4426950408889634)
_LN2_HI, _LN2_LO = np.float32(0.693359375), np.float32(-2.12194440e-4)   # ln 2 = hi + lo (Cody-Waite)
_E0, _E1, _E2, _E3, _E4, _E5 = (np.float32(c) for c in (   # Cephes expf: e^r ≈ 1 + r + r²·E(r), |r| ≤ ln2/2
    1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1))
_LO, _HI = np.float32(-87.33), np.float32(88.37)   # k = round(t·log2 e) stays in [-126, 127]
_HALF, _ONE, _TWO, _ZERO, _INF = (np.float32(c) for c in (0.5, 1, 2, 0, np.inf))


@jit
def exp32(t):
    """e^t in float32 within 3 ulp; 0 below -87.33 (under float32's smallest normal number; e^-inf = 0),
    +inf above 88.37 (a little early: float32 overflows at 88.72; the kernels take t ≤ 0). The
    scale 2^k is a product of selected squares (k's bits), which vectorizes where a bit cast would
    not."""
    c = min(max(t, _LO), _HI)
    f = c * _LOG2E
    k = np.int32(f + _HALF) if f >= _ZERO else np.int32(f - _HALF)
    n = np.float32(k)
    r = c - n * _LN2_HI - n * _LN2_LO
    p = _E0
    p = p * r + _E1
    p = p * r + _E2
    p = p * r + _E3
    p = p * r + _E4
    p = p * r + _E5
    p = p * r * r + r + _ONE
    a = k if k >= 0 else -k
    b0 = _TWO if k >= 0 else _HALF
    b1 = b0 * b0
    b2 = b1 * b1
    b3 = b2 * b2
    b4 = b3 * b3
    b5 = b4 * b4
    b6 = b5 * b5
    p *= ((b0 if a & 1 else _ONE) * (b1 if a & 2 else _ONE) * (b2 if a & 4 else _ONE) * (b3 if a & 8 else _ONE)
          * (b4 if a & 16 else _ONE) * (b5 if a & 32 else _ONE) * (b6 if a & 64 else _ONE))
    p = _ZERO if t < _LO else p
    return _INF if t > _HI else p
