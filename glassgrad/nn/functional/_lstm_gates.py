"""The element-wise work of one LSTM time step, forward and backward, on a block of rows of
preallocated buffers: the gate activations, the cell state and its tanh, the output; and back, the
pre-activation gradients and the cell gradient.

float32 runs the compiled kernels of ``_lstm_numba`` when Numba is installed (one pass over the rows
instead of a dozen NumPy passes, and a SIMD tanh); float64, and everything without Numba or with
``GLASSGRAD_FUSED=0`` (or ``enabled = False``), runs the NumPy passes. Both give the same results
to float32 rounding (tanh within 1 ulp). Numba is imported on first use, not with glassgrad.

Gate layout (i, f, g, o); the sigmoid gates' pre-activations arrive halved, σ(a) = ½ tanh(a/2) + ½,
so that one tanh serves every gate: activations = tanh(pre)·scale + shift.

With the compiled kernels and OpenBLAS, a full batch (every step the same rows) runs its whole time
loop in compiled code (``forward_loop``, ``backward_loop``): no Python and no GIL between the steps,
the hidden units split over ``parallel.gang_width()`` threads that meet once per step. The gate
columns are then in a blocked layout (``blocked_order``) so that each thread's columns are one
block: its units' (i, f, g, o).
"""

import numpy as np

from ... import backend, parallel

__all__ = ["fused", "forward_step", "derivative_tables", "backward_step", "loop_parts", "blocked_order",
           "forward_loop", "backward_loop"]

enabled = backend.FUSED_KERNELS
_kernels = []


def _numba():
    if not _kernels:
        from ...ops import jit_threads
        from . import _lstm_numba
        _kernels.extend((_lstm_numba, jit_threads))
    return _kernels[0]


def _threads():
    _numba()
    return _kernels[1]


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


LOOP_MIN_FLOPS = 1_000_000  # a step's hidden GEMM below this runs the loop on one thread


def loop_parts(batch, hidden, *arrays):
    """How many threads run the compiled time loop of a full batch of ``batch`` rows with ``hidden``
    units, or 0 where the loop does not serve (not every array float32, no compiled kernels, no
    OpenBLAS ``cblas_sgemm``). Depends only on the shapes and the thread setting."""
    if not all(a is None or a.dtype == np.float32 for a in arrays) or not fused(np.float32) \
            or _threads().c_functions() is None:
        return 0
    if 8 * batch * hidden * hidden < LOOP_MIN_FLOPS:
        return 1
    return min(parallel.gang_width(), hidden)


def blocked_order(hidden, parts):
    """(order, bounds): the gate rows (i, f, g, o stacked, PyTorch's order) in the blocked layout of
    ``parts`` parts — part k's units ``bounds[k]:bounds[k + 1]`` of each gate in turn, part after
    part — as indices into the stacked rows; and the units' bounds (int64, parts + 1)."""
    bounds = np.array([hidden * k // parts for k in range(parts + 1)], dtype=np.int64)
    order = np.concatenate([np.arange(g * hidden + bounds[k], g * hidden + bounds[k + 1])
                            for k in range(parts) for g in range(4)])
    return order, bounds


def _run(kernel, parts, *args):
    """``kernel(part, parts, *args, flags, sgemm, yield)`` on ``parts`` threads at once."""
    threads = _threads()
    sgemm, yield_ = threads.c_functions()
    flags = threads.new_flags(max(parts, 2))

    def part(i):
        try:
            kernel(i, parts, *args, flags, sgemm, yield_)
        except BaseException:
            threads.abort(flags)   # (the other parts stop waiting for this one)
            raise
    parallel.gang(parts, part)


def forward_loop(parts, bounds, x, w_ih_t, bias, w_t, h0, c0, scale, shift, starts):
    """The forward time loop of a full batch (blocked layout), the input products of each step
    included: returns the gate activations (N, 4H), y, c and tanh c (N, H). ``w_ih_t`` (I, 4H),
    ``w_t`` (H, 4H): the scaled weights, transposed; ``bias`` (4H): the scaled biases' sum;
    ``starts``: the first row of each step, in the order the steps run."""
    dt, (batch, hid) = x.dtype, h0.shape
    gates = np.empty((x.shape[0], 4 * hid), dtype=dt)
    y, c, tc = (np.empty((x.shape[0], hid), dtype=dt) for _ in range(3))
    tmp = np.empty((batch, 4 * hid), dtype=dt)
    _run(_numba().forward_loop, parts, bounds, x, w_ih_t, bias, w_t, h0, c0, gates, y, c, tc, tmp, scale, shift,
         starts)
    return gates, y, c, tc


def backward_loop(parts, bounds, blocks, dy, gates, tc, c, c0, w_hh, dh, dc, starts, x, h_prev, w_ih, need):
    """Backpropagation through the time loop of a full batch (blocked layout), on ``parts`` (1 or
    2) threads: one runs the loop, the other turns each finished block of steps (``blocks``)
    into weight gradients, then both compute dx. dh, dc (B, H) go in as the final state's
    gradients and come out as the initial state's; ``w_hh`` (4H, H), ``w_ih`` (4H, I): the weights,
    blocked, unscaled; ``need``: (dx, dW_ih, dW_hh, db). Returns (dgates, dx, dW_ih, dW_hh, db),
    blocked, the gradients not needed None."""
    dt = gates.dtype
    n4 = gates.shape[1]
    shapes = (x.shape, (n4, x.shape[1]), (n4, h_prev.shape[1]), (n4,))
    dx, dw_ih, dw_hh, db = (np.zeros(shape if n else (0,) * len(shape), dtype=dt) for shape, n in zip(shapes, need))
    dgates = np.empty_like(gates)
    _run(_numba().backward_loop, parts, bounds, blocks, dy, gates, tc, c, c0, w_hh, dh, dc, dgates, starts,
         x, h_prev, w_ih, dx, dw_ih, dw_hh, db)
    return (dgates,) + tuple(a if n else None for a, n in zip((dx, dw_ih, dw_hh, db), need))
