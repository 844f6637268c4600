"""The Numba kernels of ``_lstm_gates`` for float32 (imported on first use: importing this compiles
or loads them from Numba's cache). One pass over a time step's rows instead of a dozen NumPy passes.

tanh is a rational function of float32 x evaluated in float64, ``x·P(x²)/Q(x²)`` (degrees 5/5,
fitted to tanh on [0, 9.5] with relative error < 8e-11; ±1 beyond, where float32 tanh rounds to
±1): the rounded result is within 1 ulp of the correctly rounded tanh (equal to it but for ~0.1%
of inputs), and the loop compiles to SIMD instructions, which libm's tanhf does not. The sigmoid
gates are σ(a) = ½ tanh(a/2) + ½ (their pre-activations arrive halved), rounded once from float64.
"""
import numba
import numpy as np

_P0, _P1, _P2, _P3, _P4, _P5 = (0.9999999999299035, 0.14081502822733313, 0.004402364892602577,
                                4.166723165766119e-05, 1.077132089120368e-07, 3.4606415683259887e-11)
_Q1, _Q2, _Q3, _Q4, _Q5 = (0.4741483608146446, 0.029118486477477036, 0.0004963008929228822,
                           2.5476299570117277e-06, 2.8234095552268614e-09)
_CLAMP = 9.5
_ONE = np.float32(1)


def _jit(fn):
    # error_model="numpy" drops Python's zero-division checks; "contract" (FMA) is the only fast-math
    # flag, so the loops vectorize without reassociating; nogil lets glassgrad's threads run row
    # blocks at once. Cached on disk when Numba finds a writable folder, else compiled in memory.
    try:
        return numba.njit(error_model="numpy", fastmath={"contract"}, nogil=True, cache=True)(fn)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(error_model="numpy", fastmath={"contract"}, nogil=True)(fn)


@_jit
def tanh64(x):
    """tanh of a float32 value, as float64 (NaN stays NaN, ±inf gives ±1)."""
    v = np.float64(x)
    if v > _CLAMP:
        v = _CLAMP
    if v < -_CLAMP:
        v = -_CLAMP
    s = v * v
    p = ((((_P5 * s + _P4) * s + _P3) * s + _P2) * s + _P1) * s + _P0
    q = ((((_Q5 * s + _Q4) * s + _Q3) * s + _Q2) * s + _Q1) * s + 1.0
    return v * p / q


@_jit
def tanh(x, out):
    """out = tanh(x), flat float32 arrays."""
    for k in range(x.size):
        out[k] = np.float32(tanh64(x[k]))


@_jit
def forward(g, tmp, c_prev, c, tc, h, scale, shift):
    """One step's rows: g (B, 4H) holds the input products, tmp (B, 4H) the hidden products
    (sigmoid gates' halved); g becomes the activations (i, f, g, o) = tanh(g + tmp)·scale + shift,
    then c = f⊙c_prev + i⊙g, tc = tanh c, h = o⊙tc."""
    hid = c.shape[1]
    for r in range(g.shape[0]):
        gr, tr = g[r], tmp[r]
        for j in range(4 * hid):
            gr[j] = np.float32(tanh64(gr[j] + tr[j]) * scale[j] + shift[j])
        # one 1-D view per gate: with them the loop vectorizes (indexing gr[hid + j] it does not)
        i, f, gg, o = gr[:hid], gr[hid:2 * hid], gr[2 * hid:3 * hid], gr[3 * hid:]
        cr, cp, tcr, hr = c[r], c_prev[r], tc[r], h[r]
        for j in range(hid):
            ct = f[j] * cp[j] + i[j] * gg[j]
            cr[j] = ct
            t = np.float32(tanh64(ct))
            tcr[j] = t
            hr[j] = o[j] * t


@_jit
def backward(dm, g, tc, c_prev, dc, d):
    """One step's rows, backward: dm (B, H) the gradient of o⊙tc, g the activations, dc (B, H) the
    cell gradient from the step after (becomes the one for the step before); d (B, 4H) gets the
    pre-activation gradients (di, df, dg, do)."""
    hid = dc.shape[1]
    for r in range(dm.shape[0]):
        gr, dr = g[r], d[r]
        gi, gf, gg_, go = gr[:hid], gr[hid:2 * hid], gr[2 * hid:3 * hid], gr[3 * hid:]   # (see forward)
        di, df, dg, do = dr[:hid], dr[hid:2 * hid], dr[2 * hid:3 * hid], dr[3 * hid:]
        mr, tcr, cp, dcr = dm[r], tc[r], c_prev[r], dc[r]
        for j in range(hid):
            i, f, gg, o = gi[j], gf[j], gg_[j], go[j]
            m, t = mr[j], tcr[j]
            dck = dcr[j] + m * o * (_ONE - t * t)
            di[j] = dck * gg * ((_ONE - i) * i)
            df[j] = dck * cp[j] * ((_ONE - f) * f)
            dg[j] = dck * i * (_ONE - gg * gg)
            do[j] = m * t * ((_ONE - o) * o)
            dcr[j] = dck * f
