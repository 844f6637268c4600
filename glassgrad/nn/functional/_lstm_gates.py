"""The element-wise work of one LSTM time step, forward and backward, on a block of rows of
preallocated buffers: the gate activations, the cell state and its tanh, the output; and back, the
pre-activation gradients and the cell gradient.

float32 runs the compiled kernels of ``_lstm_numba`` when Numba is installed (one pass over the rows
instead of a dozen NumPy passes, and a SIMD tanh); float64, and everything without Numba or with
``GLASSGRAD_FUSED=0`` (or ``enabled = False``), runs the NumPy passes. Both give the same results
to float32 rounding (tanh within 1 ulp). Numba is imported on first use, not with glassgrad.

Gate layout (i, f, g, o); the sigmoid gates' pre-activations arrive halved, σ(a) = ½ tanh(a/2) + ½,
so that one tanh serves every gate: activations = tanh(pre)·scale + shift.
"""

import numpy as np

from ... import backend

__all__ = ["fused", "forward_step", "derivative_tables", "backward_step"]

enabled = backend.FUSED_KERNELS
_kernels = []


def _numba():
    if not _kernels:
        from . import _lstm_numba
        _kernels.append(_lstm_numba)
    return _kernels[0]


def fused(dtype):
    """Whether the compiled kernels serve arrays of ``dtype``."""
    return enabled and dtype == np.float32


def forward_step(g, tmp, c_prev, c, tc, h, scale, shift, use_fused):
    """In place on one step's rows: g (B, 4H) the input products becomes the activations of
    g + tmp (tmp (B, 4H): the hidden products, used as scratch afterwards); writes c = f⊙c_prev + i⊙g,
    tc = tanh c and h = o⊙tc (c, tc, h, c_prev: (B, H))."""
    if use_fused:
        _numba().forward(g, tmp, c_prev, c, tc, h, scale, shift)
        return
    hid = c.shape[1]
    g += tmp
    np.tanh(g, out=g)
    g *= scale
    g += shift
    i, f, gg, o = g[:, :hid], g[:, hid:2 * hid], g[:, 2 * hid:3 * hid], g[:, 3 * hid:]
    np.multiply(f, c_prev, out=c)
    ig = np.multiply(i, gg, out=tmp[:, :hid])
    c += ig
    np.tanh(c, out=tc)
    np.multiply(o, tc, out=h)


def derivative_tables(gates, tc, use_fused):
    """What the NumPy backward reads at every step, computed once for the whole sequence: the
    activations' derivatives (σ' = s(1 - s), tanh' = 1 - g²) and tanh' of the cell states (None
    for the fused kernels, which compute them as they go)."""
    if use_fused:
        return None
    hid = tc.shape[1]
    dtc = np.multiply(tc, tc)
    np.subtract(1, dtc, out=dtc)
    dact = np.subtract(1, gates)
    dact *= gates
    gg = gates[:, 2 * hid:3 * hid]
    np.multiply(gg, gg, out=dact[:, 2 * hid:3 * hid])
    np.subtract(1, dact[:, 2 * hid:3 * hid], out=dact[:, 2 * hid:3 * hid])
    return dact, dtc


def backward_step(dm, g, tc, c_prev, dc, d, tables):
    """One step's rows, backward: dm (B, H) the gradient of h = o⊙tc, g (B, 4H) the activations,
    dc (B, H) the cell gradient from the step after, in place becoming the one for the step before;
    writes d (B, 4H), the gradients of the pre-activations (di, df, dg, do). ``tables``: these rows
    of ``derivative_tables`` (None: the fused kernel)."""
    if tables is None:
        _numba().backward(dm, g, tc, c_prev, dc, d)
        return
    dact, dtc = tables
    hid = dc.shape[1]
    i, f, gg, o = g[:, :hid], g[:, hid:2 * hid], g[:, 2 * hid:3 * hid], g[:, 3 * hid:]
    np.multiply(dm, tc, out=d[:, 3 * hid:])                      # do
    t = np.multiply(dm, o, out=d[:, :hid])                       # (scratch until di)
    t *= dtc
    dc += t                                                      # dc of this step
    np.multiply(dc, gg, out=d[:, :hid])                          # di
    np.multiply(dc, c_prev, out=d[:, hid:2 * hid])               # df
    np.multiply(dc, i, out=d[:, 2 * hid:3 * hid])                # dg
    dc *= f                                                      # dc of the step before
    d *= dact
