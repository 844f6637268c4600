"""The time loop of one recurrent layer in one direction (RNN tanh/relu, LSTM, GRU) as one fused op,
the way cuDNN does it:

* forward: the input-to-hidden products of all time steps are one GEMM; the loop over time does
  the hidden-to-hidden GEMM and the gates in place on preallocated buffers, keeping the gate
  activations;
* backward (``raw_backward``): backpropagation through time written by hand over the stored
  activations, iterative, memory linear in the sequence length; the weight gradients of all steps
  are one GEMM each at the end;
* ``backward`` (used under ``create_graph=True``): runs the cell step by step in glassgrad ops from
  the saved inputs and differentiates that, so gradients of any order work.

Sequences are in the packed layout: ``x`` is (N, input_size) with the rows of time step t at
``x[offset[t]:offset[t] + batch_sizes[t]]``, ``batch_sizes`` non-increasing (a padded (T, B, I)
batch is the special case of T steps of B rows). A row that has ended keeps its state; in the
reverse direction a row starts from its initial state at its own last step. So the same loop serves
full batches and ``PackedSequence``\\ s.

Gate layouts are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n), stacked along the weights' rows.

The cell equations (σ the logistic sigmoid, ⊙ element-wise):

* RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh)
* LSTM: i, f, g, o = σ, σ, tanh, σ of (W_ih x + b_ih + W_hh h + b_hh);  c' = f ⊙ c + i ⊙ g;
  h' = o ⊙ tanh(c')  (with ``proj_size``: h' = W_hr (o ⊙ tanh c'))
* GRU:  r, z = σ(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z});
  n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));  h' = (1 - z) ⊙ n + z ⊙ h
"""
import numpy as np

from ... import parallel
from ...autograd.function import Function
from ...autograd.gradients import grad as _grad
from ...autograd.grad_mode import enable_grad
from ...ops.shape import cat
from . import _lstm_gates
from .linear import linear

__all__ = ["recurrent_layer"]

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ---- the schedule of a packed sequence ---------------------------------------------------------
class _Schedule:
    """The steps of one direction in the order they run: ``steps[k] = (lo, bs)``, the rows
    ``lo:lo + bs`` of the packed arrays."""

    __slots__ = ("steps", "uniform", "batch")

    def __init__(self, batch_sizes, reverse):
        offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]]).tolist()
        steps = list(zip(offsets, batch_sizes))
        self.steps = steps[::-1] if reverse else steps
        self.uniform = len(set(batch_sizes)) <= 1
        self.batch = batch_sizes[0] if batch_sizes else 0


def _previous(seq, init, sched, k):
    """The state each row of step ``k`` starts from: rows of the step before (a view), or of
    ``init`` for rows that start here."""
    lo, bs = sched.steps[k]
    if k == 0:
        return init[:bs]
    plo, pbs = sched.steps[k - 1]
    if pbs >= bs:
        return seq[plo:plo + bs]
    return np.concatenate([seq[plo:plo + pbs], init[pbs:bs]])


def _all_previous(seq, init, sched):
    """``_previous`` of every step, in the packed layout (N, features)."""
    out = np.empty_like(seq)
    for k, (lo, bs) in enumerate(sched.steps):
        out[lo:lo + bs] = _previous(seq, init, sched, k)
    return out


def _final(seq, sched, like):
    """The state each row ends with: the row at its last step."""
    out = np.empty_like(like)
    ends = [bs for _, bs in sched.steps[1:]] + [0]
    for (lo, bs), after in zip(sched.steps, ends):
        if after < bs:
            out[after:bs] = seq[lo + after:lo + bs]
    return out


def _gate_scale(n_gates, hidden, dtype, sigmoid_parts):
    """Per-row factors of the gate pre-activations: 0.5 where the gate is a sigmoid (computed as
    σ(a) = ½ tanh(a/2) + ½, so that one tanh serves every gate), 1 where it is a tanh."""
    scale = np.ones(n_gates * hidden, dtype=dtype)
    for j in sigmoid_parts:
        scale[j * hidden:(j + 1) * hidden] = 0.5
    return scale


def _input_products(x, w_ih, b_ih, b_hh, scale):
    """(W_ih x + b_ih + b_hh) · scale for every row at once: one GEMM."""
    w = w_ih * scale[:, None] if scale is not None else w_ih
    out = parallel.matmul(x, w.T)
    if b_ih is not None:
        b = b_ih + b_hh
        out += b * scale if scale is not None else b
    return out


def _for_rows(bs, flops, fn):
    """``fn(a, b)`` over the rows of one time step, split over glassgrad's threads when the step's
    GEMM is big enough (rows are independent within a step: one hand-off per step, GEMM and gates
    together)."""
    parallel.parallel_for(bs, fn, flops=flops)


# ---- RNN (tanh / relu) -------------------------------------------------------------------------
def _rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, sched, relu):
    y = _input_products(x, w_ih, b_ih, b_hh, None)          # pre-activations, then h, in place
    w_t = w_hh.T
    tmp = np.empty((sched.batch, w_hh.shape[0]), dtype=x.dtype)
    flops = 2 * w_hh.size
    for k, (lo, bs) in enumerate(sched.steps):
        prev = _previous(y, h0, sched, k)

        def rows(a, b, lo=lo, prev=prev):
            r = y[lo + a:lo + b]
            np.matmul(prev[a:b], w_t, out=tmp[a:b])
            r += tmp[a:b]
            if relu:
                np.maximum(r, 0, out=r)
            else:
                np.tanh(r, out=r)
        _for_rows(bs, bs * flops, rows)
    return y


def _rnn_backward(dy, dhn, x, h0, w_ih, w_hh, y, sched, relu, need):
    if relu:
        dpre = (y > 0).astype(y.dtype)
    else:
        dpre = np.multiply(y, y)
        np.subtract(1, dpre, out=dpre)
    dh = dhn.copy()
    flops = 2 * w_hh.size
    for k in range(len(sched.steps) - 1, -1, -1):
        lo, bs = sched.steps[k]

        def rows(a, b, lo=lo):
            r = dpre[lo + a:lo + b]
            r *= dy[lo + a:lo + b] + dh[a:b]
            np.matmul(r, w_hh, out=dh[a:b])
        _for_rows(bs, bs * flops, rows)
    return _weight_grads(dpre, dpre, x, h0, y, w_ih, sched, need) + (dh,)


def _weight_grads(d_in, d_hid, x, h0, y, w_ih, sched, need):
    """dx, dW_ih, dW_hh, db_ih, db_hh from the pre-activation gradients of the input-to-hidden
    (``d_in``) and hidden-to-hidden (``d_hid``) products of every step: one GEMM each."""
    dx = parallel.matmul(d_in, w_ih) if need[0] else None
    dw_ih = parallel.matmul(d_in.T, x) if need[3] else None
    dw_hh = None
    if need[4]:
        if sched.uniform and sched.steps and sched.steps[0][0] == 0:   # forward over a full batch
            b = sched.batch                                            # (no copy of the shifted states)
            dw_hh = parallel.matmul(d_hid[b:].T, y[:y.shape[0] - b])
            dw_hh += parallel.matmul(d_hid[:b].T, h0)
        else:
            dw_hh = parallel.matmul(d_hid.T, _all_previous(y, h0, sched))
    db_ih = d_in.sum(0) if need[5] else None
    db_hh = (db_ih if d_hid is d_in and db_ih is not None else d_hid.sum(0)) if need[6] else None
    return dx, dw_ih, dw_hh, db_ih, db_hh


# ---- LSTM --------------------------------------------------------------------------------------
def _lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, sched):
    """Returns y (N, P), the gate activations (N, 4H), the cell states (N, H) and their tanh."""
    hid = w_ih.shape[0] // 4
    use_fused = _lstm_gates.fused(x.dtype)
    scale = _gate_scale(4, hid, x.dtype, (0, 1, 3))
    shift = (1 - scale).astype(x.dtype)                          # ½ after the sigmoid gates' tanh
    gates = _input_products(x, w_ih, b_ih, b_hh, scale)
    w_t = (w_hh * scale[:, None]).T
    w_hr_t = w_hr.T if w_hr is not None else None
    n = x.shape[0]
    c = np.empty((n, hid), dtype=x.dtype)
    tc = np.empty((n, hid), dtype=x.dtype)
    m = np.empty((n, hid), dtype=x.dtype) if w_hr is not None else None
    y = np.empty((n, w_hh.shape[1]), dtype=x.dtype)
    tmp = np.empty((sched.batch, 4 * hid), dtype=x.dtype)
    flops = 2 * (w_hh.size + (w_hr.size if w_hr is not None else 0))
    for k, (lo, bs) in enumerate(sched.steps):
        h_prev, c_prev = _previous(y, h0, sched, k), _previous(c, c0, sched, k)

        def rows(a, b, lo=lo, h_prev=h_prev, c_prev=c_prev):
            r = slice(lo + a, lo + b)
            np.matmul(h_prev[a:b], w_t, out=tmp[a:b])
            out = m[r] if m is not None else y[r]
            _lstm_gates.forward_step(gates[r], tmp[a:b], c_prev[a:b], c[r], tc[r], out, scale, shift, use_fused)
            if m is not None:
                np.matmul(out, w_hr_t, out=y[r])
        _for_rows(bs, bs * flops, rows)
    return y, gates, c, tc


def _lstm_backward(dy, dhn, dcn, x, h0, c0, w_ih, w_hh, w_hr, y, gates, c, tc, sched, need):
    hid = w_ih.shape[0] // 4
    tables = _lstm_gates.derivative_tables(gates, tc, _lstm_gates.fused(gates.dtype))
    dgates = np.empty_like(gates)
    dh = dhn.copy()
    dc = dcn.copy()
    dh_all = np.empty_like(y) if w_hr is not None else None       # kept for dW_hr
    dht = np.empty((sched.batch, y.shape[1]), dtype=y.dtype)
    flops = 2 * (w_hh.size + (w_hr.size if w_hr is not None else 0))
    for k in range(len(sched.steps) - 1, -1, -1):
        lo, bs = sched.steps[k]
        c_prev = _previous(c, c0, sched, k)

        def rows(a, b, lo=lo, c_prev=c_prev):
            r = slice(lo + a, lo + b)
            dh_k = dh_all[r] if dh_all is not None else dht[a:b]
            np.add(dy[r], dh[a:b], out=dh_k)
            dm = np.matmul(dh_k, w_hr) if w_hr is not None else dh_k
            rows_tables = None if tables is None else (tables[0][r], tables[1][r])
            _lstm_gates.backward_step(dm, gates[r], tc[r], c_prev[a:b], dc[a:b], dgates[r], rows_tables)
            np.matmul(dgates[r], w_hh, out=dh[a:b])
        _for_rows(bs, bs * flops, rows)
    grads = _weight_grads(dgates, dgates, x, h0, y, w_ih, sched, need)
    dw_hr = None
    if w_hr is not None and need[7]:
        dw_hr = parallel.matmul(dh_all.T, tc * gates[:, 3 * hid:])  # o ⊙ tanh c, the projected vector
    return grads + (dh, dc, dw_hr)


# ---- GRU ---------------------------------------------------------------------------------------
def _gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, sched):
    """Returns y (N, H), the gate activations r, z, n (N, 3H) and the hidden-side products (N, 3H),
    of which backward reads the n part, W_hn h + b_hn."""
    hid = w_ih.shape[0] // 3
    scale = _gate_scale(3, hid, x.dtype, (0, 1))
    gi = parallel.matmul(x, (w_ih * scale[:, None]).T)
    if b_ih is not None:
        gi += b_ih * scale
    w_t = (w_hh * scale[:, None]).T
    b_h = b_hh * scale if b_hh is not None else None
    n_rows = x.shape[0]
    gh = np.empty((n_rows, 3 * hid), dtype=x.dtype)
    y = np.empty((n_rows, hid), dtype=x.dtype)
    tmp = np.empty((sched.batch, hid), dtype=x.dtype)
    flops = 2 * w_hh.size
    for k, (lo, bs) in enumerate(sched.steps):
        prev = _previous(y, h0, sched, k)

        def rows(a, b, lo=lo, prev=prev):
            ga, gb = gi[lo + a:lo + b], gh[lo + a:lo + b]
            np.matmul(prev[a:b], w_t, out=gb)
            if b_h is not None:
                gb += b_h
            rz = ga[:, :2 * hid]
            rz += gb[:, :2 * hid]
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            r, z, n = ga[:, :hid], ga[:, hid:2 * hid], ga[:, 2 * hid:]
            np.multiply(r, gb[:, 2 * hid:], out=tmp[a:b])
            n += tmp[a:b]
            np.tanh(n, out=n)
            h = y[lo + a:lo + b]
            np.subtract(prev[a:b], n, out=h)
            h *= z
            h += n
        _for_rows(bs, bs * flops, rows)
    return y, gi, gh


def _gru_backward(dy, dhn, x, h0, w_ih, w_hh, y, gi, gh, sched, need):
    hid = w_ih.shape[0] // 3
    dact = np.subtract(1, gi)                                     # r(1-r), z(1-z), 1-n²
    dact *= gi
    n_all = gi[:, 2 * hid:]
    np.multiply(n_all, n_all, out=dact[:, 2 * hid:])
    np.subtract(1, dact[:, 2 * hid:], out=dact[:, 2 * hid:])
    dgi = np.empty_like(gi)
    dgh = np.empty_like(gh)
    dh = dhn.copy()
    dht = np.empty((sched.batch, hid), dtype=y.dtype)
    tmp = np.empty((sched.batch, hid), dtype=y.dtype)
    flops = 2 * w_hh.size
    for k in range(len(sched.steps) - 1, -1, -1):
        lo, bs = sched.steps[k]
        prev = _previous(y, h0, sched, k)

        def rows(a, b, lo=lo, prev=prev):
            r_ = slice(lo + a, lo + b)
            ga, da, db = gi[r_], dgi[r_], dgh[r_]
            r, z, n = ga[:, :hid], ga[:, hid:2 * hid], ga[:, 2 * hid:]
            dact_k = dact[r_]
            d = dht[a:b]
            np.add(dy[r_], dh[a:b], out=d)
            dn = da[:, 2 * hid:]
            np.subtract(1, z, out=dn)
            dn *= d
            dn *= dact_k[:, 2 * hid:]                                 # d(n pre-activation)
            np.multiply(dn, r, out=db[:, 2 * hid:])
            dr = da[:, :hid]
            np.multiply(dn, gh[r_, 2 * hid:], out=dr)
            dr *= dact_k[:, :hid]
            dz = da[:, hid:2 * hid]
            t = tmp[a:b]
            np.subtract(prev[a:b], n, out=t)
            np.multiply(d, t, out=dz)
            dz *= dact_k[:, hid:2 * hid]
            db[:, :2 * hid] = da[:, :2 * hid]
            d *= z
            np.matmul(db, w_hh, out=dh[a:b])
            dh[a:b] += d
        _for_rows(bs, bs * flops, rows)
    return _weight_grads(dgi, dgh, x, h0, y, w_ih, sched, need) + (dh,)


# ---- the differentiable path: the cell in glassgrad ops, step by step --------------------------
def _cell(mode, x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr):
    """One step of the cell in glassgrad ops: (h', c') (c' None but for LSTM)."""
    gi = linear(x, w_ih, b_ih)
    gh = linear(h, w_hh, b_hh)
    if mode == "LSTM":
        i, f, g, o = (gi + gh).chunk(4, 1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        if w_hr is not None:
            h = linear(h, w_hr)
        return h, c
    if mode == "GRU":
        ir, iz, in_ = gi.chunk(3, 1)
        hr, hz, hn = gh.chunk(3, 1)
        r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
        n = (in_ + r * hn).tanh()
        return n + z * (h - n), None
    pre = gi + gh
    return (pre.relu() if mode == "RNN_RELU" else pre.tanh()), None


def _rows(t, lo, hi):
    return t if lo == 0 and hi == t.shape[0] else t[lo:hi]


def _state_after(new, old, bs):
    """The running state after a step that updated its first ``bs`` rows."""
    return new if bs == old.shape[0] else cat([new, old[bs:]], 0)


def composite_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_sizes, reverse):
    """The layer's time loop in glassgrad ops (differentiable to any order): (y, h_n, c_n)."""
    sched = _Schedule(batch_sizes, reverse)
    h, c = h0, c0
    outs = {}
    for lo, bs in sched.steps:
        hb, cb = _rows(h, 0, bs), (_rows(c, 0, bs) if c is not None else None)
        hn, cn = _cell(mode, _rows(x, lo, lo + bs), hb, cb, w_ih, w_hh, b_ih, b_hh, w_hr)
        outs[lo] = hn
        h = _state_after(hn, h, bs)
        if c is not None:
            c = _state_after(cn, c, bs)
    y = cat([outs[lo] for lo in sorted(outs)], 0)
    return y, h, c


# ---- the fused op ------------------------------------------------------------------------------
def _arr(t):
    return None if t is None else np.ascontiguousarray(t.array)


class RecurrentLayer(Function):
    """One recurrent layer in one direction over a packed sequence: (y, h_n[, c_n]).
    Gradients by backpropagation through time over the stored gate activations (``raw_backward``),
    or, under ``create_graph=True``, by differentiating the step-by-step composite."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode, batch_sizes, reverse):
        sched = _Schedule(batch_sizes, reverse)
        xa, h0a, c0a = _arr(x), _arr(h0), _arr(c0)
        wi, wh, bi, bh, wr = _arr(w_ih), _arr(w_hh), _arr(b_ih), _arr(b_hh), _arr(w_hr)
        if bi is None:
            bi = bh = None
        saved = ()
        if mode == "LSTM":
            y, gates, c, tc = _lstm_forward(xa, h0a, c0a, wi, wh, bi, bh, wr, sched)
            outs = (y, _final(y, sched, h0a), _final(c, sched, c0a))
            saved = (gates, c, tc)
        elif mode == "GRU":
            y, gi, gh = _gru_forward(xa, h0a, wi, wh, bi, bh, sched)
            outs = (y, _final(y, sched, h0a))
            saved = (gi, gh)
        else:
            y = _rnn_forward(xa, h0a, wi, wh, bi, bh, sched, mode == "RNN_RELU")
            outs = (y, _final(y, sched, h0a))
        ctx.mode, ctx.batch_sizes, ctx.reverse = mode, batch_sizes, reverse
        if any(ctx.needs_input_grad):
            ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, y, *saved)
        return outs

    @staticmethod
    def backward(ctx, dy, dhn, dcn=None):
        inputs = ctx.saved_tensors[:8]
        need = [t is not None and n for t, n in zip(inputs, ctx.needs_input_grad)]
        # The step-by-step composite, run again from the saved inputs themselves (not detached
        # copies), so that the gradients it gives stay functions of the inputs: differentiable again.
        with enable_grad():
            y, hn, cn = composite_layer(ctx.mode, *inputs, ctx.batch_sizes, ctx.reverse)
            outs, grads = [y, hn], [dy, dhn]
            if cn is not None:
                outs.append(cn)
                grads.append(dcn)
            found = iter(_grad(outs, [t for t, n in zip(inputs, need) if n], grads,
                               create_graph=True, allow_unused=True))
        return tuple(next(found) if n else None for n in need)

    @staticmethod
    def raw_backward(ctx, dy, dhn, dcn=None):
        saved = ctx.saved_arrays
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, y = saved[:9]
        sched = _Schedule(ctx.batch_sizes, ctx.reverse)
        need = ctx.needs_input_grad
        dy = np.ascontiguousarray(dy)
        if ctx.mode == "LSTM":
            gates, c, tc = saved[9:]
            dx, dwi, dwh, dbi, dbh, dh0, dc0, dwr = _lstm_backward(
                dy, dhn, dcn, x, h0, c0, w_ih, w_hh, w_hr, y, gates, c, tc, sched, need)
        elif ctx.mode == "GRU":
            gi, gh = saved[9:]
            dx, dwi, dwh, dbi, dbh, dh0 = _gru_backward(dy, dhn, x, h0, w_ih, w_hh, y, gi, gh, sched, need)
            dc0 = dwr = None
        else:
            dx, dwi, dwh, dbi, dbh, dh0 = _rnn_backward(dy, dhn, x, h0, w_ih, w_hh, y, sched,
                                                        ctx.mode == "RNN_RELU", need)
            dc0 = dwr = None
        if b_ih is None:
            dbi = dbh = None
        return (dx, dh0 if need[1] else None, dc0 if need[2] else None, dwi, dwh, dbi, dbh, dwr)


def recurrent_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_sizes, reverse=False):
    """Run one recurrent layer in one direction over a packed sequence, one fused op.

    Args:
        mode: ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``.
        x: (N, input_size), the rows of every time step one after another (packed layout).
        h0: (B, P) initial hidden state; c0: (B, H) initial cell state (LSTM only, else None).
        w_ih: (G·H, input_size); w_hh: (G·H, P); b_ih, b_hh: (G·H,) or None; w_hr: (P, H) or None
            (LSTM's projection). G is the number of gates (1, 4 or 3), P = proj_size or H.
        batch_sizes: tuple of ints, the rows of each time step (non-increasing, summing to N).
        reverse: run from the last time step to the first.

    Returns:
        (y, h_n, c_n): y (N, P) the hidden state at every step; h_n (B, P), c_n (B, H) (or None)
        the state each row ends with.
    """
    out = RecurrentLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode, tuple(batch_sizes), bool(reverse))
    return out if mode == "LSTM" else (out[0], out[1], None)
