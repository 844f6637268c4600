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

from ...ops.jit_threads import NO_TRANS, ROW_MAJOR, TRANS, arrive, claim, post, wait

_P0, _P1, _P2, _P3, _P4, _P5 = (0.9999999999299035, 0.14081502822733313, 0.004402364892602577,
                                4.166723165766119e-05, 1.077132089120368e-07, 3.4606415683259887e-11)
_Q1, _Q2, _Q3, _Q4, _Q5 = (0.4741483608146446, 0.029118486477477036, 0.0004963008929228822,
                           2.5476299570117277e-06, 2.8234095552268614e-09)
_CLAMP = 9.5
_ONE, _ZERO = np.float32(1), np.float32(0)


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
def forward_row(g, tmp, c_prev, c, tc, h, scale, shift):
    """One row of ``forward`` (1-D arrays; g, tmp, scale, shift: 4·len(c))."""
    hid = c.shape[0]
    for j in range(4 * hid):
        g[j] = np.float32(tanh64(g[j] + tmp[j]) * scale[j] + shift[j])
    # one 1-D view per gate: with them the loop vectorizes (indexing g[hid + j] it does not)
    i, f, gg, o = g[:hid], g[hid:2 * hid], g[2 * hid:3 * hid], g[3 * hid:]
    for j in range(hid):
        ct = f[j] * c_prev[j] + i[j] * gg[j]
        c[j] = ct
        t = np.float32(tanh64(ct))
        tc[j] = t
        h[j] = o[j] * t


@_jit
def forward(g, tmp, c_prev, c, tc, h, scale, shift):
    """One step's rows: g (B, 4H) holds the input products, tmp (B, 4H) the hidden products
    (sigmoid gates' halved); g becomes the activations (i, f, g, o) = tanh(g + tmp)·scale + shift,
    then c = f⊙c_prev + i⊙g, tc = tanh c, h = o⊙tc."""
    for r in range(g.shape[0]):
        forward_row(g[r], tmp[r], c_prev[r], c[r], tc[r], h[r], scale, shift)


@_jit
def backward_row(dm, g, tc, c_prev, dc, d):
    """One row of ``backward`` (1-D arrays; g, d: 4·len(dc))."""
    hid = dc.shape[0]
    gi, gf, gg_, go = g[:hid], g[hid:2 * hid], g[2 * hid:3 * hid], g[3 * hid:]   # (see forward_row)
    di, df, dg, do = d[:hid], d[hid:2 * hid], d[2 * hid:3 * hid], d[3 * hid:]
    for j in range(hid):
        i, f, gg, o = gi[j], gf[j], gg_[j], go[j]
        m, t = dm[j], tc[j]
        dck = dc[j] + m * o * (_ONE - t * t)
        di[j] = dck * gg * ((_ONE - i) * i)
        df[j] = dck * c_prev[j] * ((_ONE - f) * f)
        dg[j] = dck * i * (_ONE - gg * gg)
        do[j] = m * t * ((_ONE - o) * o)
        dc[j] = dck * f


@_jit
def backward(dm, g, tc, c_prev, dc, d):
    """One step's rows, backward: dm (B, H) the gradient of o⊙tc, g the activations, dc (B, H) the
    cell gradient from the step after (becomes the one for the step before); d (B, 4H) gets the
    pre-activation gradients (di, df, dg, do)."""
    for r in range(dm.shape[0]):
        backward_row(dm[r], g[r], tc[r], c_prev[r], dc[r], d[r])


# ---- the whole time loop, one part of the hidden units per thread ------------------------------
# A part owns the hidden units u0:u1 and, in the gates' blocked layout (``_lstm_gates.blocked_order``),
# the gate columns 4·u0:4·u1 = (i, f, g, o) of those units. Each step needs every unit's state of the
# step before (the GEMMs mix them), so the parts meet in ``arrive`` once per step.

@_jit
def forward_loop(part, parts, bounds, x, w_ih_t, bias, w_t, h0, c0, gates, y, c, tc, tmp, scale, shift, starts,
                 flags, sgemm, yield_):
    """Forward over every step (rows ``starts[s]:starts[s] + B`` of step s, in the order they run)
    for the units of ``part``, on its gate columns: gates = x_step @ w_ih_t, tmp = bias +
    h_prev @ w_t (w_ih_t (I, 4H), w_t (H, 4H) and bias (4H): scaled and blocked), then
    ``forward_row`` on every row."""
    u0, u1 = bounds[part], bounds[part + 1]
    g0, g1 = 4 * u0, 4 * u1
    batch, hid = h0.shape
    n4, n_in = 4 * hid, x.shape[1]
    for s in range(starts.shape[0]):
        lo = starts[s]
        if s == 0:
            h_prev, c_prev = h0, c0
        else:
            h_prev, c_prev = y[starts[s - 1]:starts[s - 1] + batch], c[starts[s - 1]:starts[s - 1] + batch]
        sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, batch, g1 - g0, n_in, _ONE, x[lo:].ctypes.data, n_in,
              w_ih_t[:, g0:].ctypes.data, n4, _ZERO, gates[lo:, g0:].ctypes.data, n4)
        for r in range(batch):
            tmp[r][g0:g1] = bias[g0:g1]
        sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, batch, g1 - g0, hid, _ONE, h_prev.ctypes.data, hid,
              w_t[:, g0:].ctypes.data, n4, _ONE, tmp[:, g0:].ctypes.data, n4)
        for r in range(batch):
            row = lo + r
            forward_row(gates[row][g0:g1], tmp[r][g0:g1], c_prev[r][u0:u1], c[row][u0:u1], tc[row][u0:u1],
                        y[row][u0:u1], scale[g0:g1], shift[g0:g1])
        if parts > 1 and not arrive(flags, part, parts, s + 1, yield_):
            return


@_jit
def backward_loop(part, parts, bounds, blocks, dy, gates, tc, c, c0, w_hh, dh, dc, dgates, starts,
                  x, h_prev, w_ih, dx, dw_ih, dw_hh, db, flags, sgemm, yield_):
    """Backpropagation through time, last step first, on one or two parts. Part 0 runs the loop:
    per step, the pre-activation gradients of every row (``backward_row`` on each part's block of
    the blocked layout of ``bounds``) and dh = dgates_step @ w_hh (w_hh (4H, H) blocked); dh, dc
    (B, H) come in as the final state's gradients and leave as the initial state's. After each block
    of steps (``blocks``: per block, the lowest step and its rows lo, hi) it posts counter 0; part 1
    (part 0 itself, alone) turns each posted block into dW_hh and db, while part 0, after the loop,
    computes dW_ih. Then both take blocks of dx = dgates @ w_ih (counter 1). Each gradient is summed
    block by block in the same order on one or two threads: the same bits. Arrays of size 0 stand
    for gradients not needed."""
    batch, hid = dh.shape
    n4 = 4 * hid
    if part == 0:
        b = 0
        for s in range(starts.shape[0] - 1, -1, -1):
            lo = starts[s]
            c_prev = c0 if s == 0 else c[starts[s - 1]:starts[s - 1] + batch]
            for r in range(batch):
                row = lo + r
                dm, dyr = dh[r], dy[row]
                for j in range(hid):
                    dm[j] += dyr[j]
                for k in range(bounds.shape[0] - 1):
                    u0, u1 = bounds[k], bounds[k + 1]
                    backward_row(dm[u0:u1], gates[row][4 * u0:4 * u1], tc[row][u0:u1], c_prev[r][u0:u1],
                                 dc[r][u0:u1], dgates[row][4 * u0:4 * u1])
            sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, batch, hid, n4, _ONE, dgates[lo:].ctypes.data, n4,
                  w_hh.ctypes.data, hid, _ZERO, dh.ctypes.data, hid)
            if s == blocks[b, 0]:
                b += 1
                post(flags, 0, b)
    if part == 0:            # dW_ih once the loop is done: the loop is the longer of the two roles
        for b in range(blocks.shape[0]):
            _weight_block(dgates, x, dw_ih, blocks[b, 1], blocks[b, 2], sgemm)
    if part == 1 or parts == 1:
        for b in range(blocks.shape[0]):
            if not wait(flags, 0, b + 1, yield_):
                return
            lo, hi = blocks[b, 1], blocks[b, 2]
            _weight_block(dgates, h_prev, dw_hh, lo, hi, sgemm)
            if db.size:
                for row in range(lo, hi):
                    d = dgates[row]
                    for j in range(n4):
                        db[j] += d[j]
    if dx.size:
        while True:
            b = claim(flags, 1)
            if b >= blocks.shape[0]:
                break
            lo, hi = blocks[b, 1], blocks[b, 2]
            sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, hi - lo, dx.shape[1], n4, _ONE, dgates[lo:].ctypes.data, n4,
                  w_ih.ctypes.data, dx.shape[1], _ZERO, dx[lo:].ctypes.data, dx.shape[1])


@_jit
def _weight_block(dgates, a, dw, lo, hi, sgemm):
    """dw += dgates[lo:hi].T @ a[lo:hi] (nothing when dw has size 0: not needed)."""
    if dw.size:
        n4, k = dgates.shape[1], a.shape[1]
        sgemm(ROW_MAJOR, TRANS, NO_TRANS, n4, k, hi - lo, _ONE, dgates[lo:].ctypes.data, n4, a[lo:].ctypes.data, k,
              _ONE, dw.ctypes.data, k)
