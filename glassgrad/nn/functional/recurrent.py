"""The time loop of one recurrent layer in one direction (RNN tanh/relu, LSTM, GRU) as one fused op,
the way cuDNN does it:

* forward: the input-to-hidden products of all time steps are one GEMM; the loop over time does
  the hidden-to-hidden GEMM and the gates in place on preallocated buffers, keeping the gate
  activations (LSTM: float32 gates in one compiled pass, ``_lstm_gates``);
* backward (``raw_backward``): backpropagation through time written by hand over the stored
  activations, iterative, memory linear in the sequence length; while the loop goes on, a second
  thread turns each finished block of rows into weight gradients (``_through_time``).

The NumPy loops run in the calling thread: a step's GEMM is too small to hand to another thread
and back (waking a thread costs about half a step). The LSTM's float32 loop over a full batch runs
compiled instead (``_lstm_gates.forward_loop``/``backward_loop``): no Python between the steps, its
threads meeting at a spinning barrier, so the forward splits each step over the threads.
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
import queue

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


# ---- RNN (tanh / relu) -------------------------------------------------------------------------
def _rnn_forward(x, h0, w_ih, w_hh, b_ih, b_hh, sched, relu):
    y = _input_products(x, w_ih, b_ih, b_hh, None)          # pre-activations, then h, in place
    w_t = w_hh.T
    tmp = np.empty((sched.batch, w_hh.shape[0]), dtype=x.dtype)
    for k, (lo, bs) in enumerate(sched.steps):
        r = y[lo:lo + bs]
        np.matmul(_previous(y, h0, sched, k), w_t, out=tmp[:bs])
        r += tmp[:bs]
        if relu:
            np.maximum(r, 0, out=r)
        else:
            np.tanh(r, out=r)
    return y


def _rnn_backward(dy, dhn, x, h0, w_ih, w_hh, y, sched, relu, need):
    if relu:
        dpre = (y > 0).astype(y.dtype)
    else:
        dpre = np.multiply(y, y)
        np.subtract(1, dpre, out=dpre)
    dh = dhn.copy()

    def step(k):
        lo, bs = sched.steps[k]
        r = dpre[lo:lo + bs]
        r *= dy[lo:lo + bs] + dh[:bs]
        np.matmul(r, w_hh, out=dh[:bs])
    return _through_time(sched, step, _WeightGrads(dpre, dpre, x, h0, y, w_ih, sched, need)) + (dh,)


class _WeightGrads:
    """dW_ih, dW_hh, db_ih, db_hh accumulated over blocks of rows as backpropagation through time
    finishes them (``add``), from the pre-activation gradients of the input-to-hidden (``d_in``)
    and hidden-to-hidden (``d_hid``) products; dx (``input_grad``) in one GEMM."""

    def __init__(self, d_in, d_hid, x, h0, y, w_ih, sched, need):
        self.d_in, self.d_hid, self.x, self.h0, self.y, self.w_ih = d_in, d_hid, x, h0, y, w_ih
        self.sched, self.need = sched, need
        self.dx = None
        self._buffers = {}
        self.dw_ih = np.zeros((d_in.shape[1], x.shape[1]), d_in.dtype) if need[3] else None
        self.dw_hh = np.zeros((d_hid.shape[1], y.shape[1]), d_in.dtype) if need[4] else None
        self.db_ih = np.zeros(d_in.shape[1], d_in.dtype) if need[5] else None
        self.db_hh = np.zeros(d_hid.shape[1], d_in.dtype) if need[6] else None
        rows = x.shape[0]
        self.flops = 2 * rows * (d_in.shape[1] * x.shape[1] * (need[0] + need[3])
                                 + (d_hid.shape[1] * y.shape[1] if need[4] else 0))

    def _previous_rows(self, ks):
        """The states the steps ``ks`` (consecutive, their rows one block) started from, in row order."""
        sched = self.sched
        ks = sorted(ks, key=lambda k: sched.steps[k][0])
        lo, hi = sched.steps[ks[0]][0], sum(sched.steps[ks[-1]])
        b = sched.batch
        if sched.uniform and sched.steps[0][0] == 0 and lo >= b:   # forward over a full batch:
            return self.y[lo - b:hi - b]                            # the rows one step up (a view)
        return np.concatenate([_previous(self.y, self.h0, sched, k) for k in ks])

    def _scratch(self, like):
        """A buffer for one block's product (one per weight, reused: only one thread adds)."""
        key = id(like)
        if key not in self._buffers:
            self._buffers[key] = np.empty_like(like)
        return self._buffers[key]

    def add(self, lo, hi, ks):
        """Add the gradients of rows ``lo:hi``, the rows of steps ``ks``."""
        d_in = self.d_in[lo:hi]
        d_hid = d_in if self.d_hid is self.d_in else self.d_hid[lo:hi]
        if self.dw_ih is not None:
            self.dw_ih += np.matmul(d_in.T, self.x[lo:hi], out=self._scratch(self.dw_ih))
        if self.dw_hh is not None:
            self.dw_hh += np.matmul(d_hid.T, self._previous_rows(ks), out=self._scratch(self.dw_hh))
        if self.db_ih is not None:
            self.db_ih += d_in.sum(0)
        if self.db_hh is not None and not (d_hid is d_in and self.db_ih is not None):
            self.db_hh += d_hid.sum(0)

    def input_grad(self):
        """dx of every row: one GEMM, once every row's gradients are there."""
        if self.need[0]:
            self.dx = parallel.matmul(self.d_in, self.w_ih)

    def result(self):
        """(dx, dW_ih, dW_hh, db_ih, db_hh)."""
        if self.db_hh is not None and self.d_hid is self.d_in and self.db_ih is not None:
            self.db_hh[...] = self.db_ih                      # (one sum served both)
        return self.dx, self.dw_ih, self.dw_hh, self.db_ih, self.db_hh


BLOCK_ROWS = 256  # rows of the blocks that backward's second thread turns into weight gradients
                  # (fewer: the per-block GEMMs get slower than one over all rows)


def _blocks_backward(sched):
    """The steps of backward's loop (last to first) cut into runs of about ``BLOCK_ROWS`` rows:
    (steps, lo, hi), the rows ``lo:hi`` of the packed arrays."""
    blocks, ks, rows = [], [], 0
    for k in range(len(sched.steps) - 1, -1, -1):
        ks.append(k)
        rows += sched.steps[k][1]
        if rows >= BLOCK_ROWS or k == 0:
            spans = [sched.steps[j] for j in ks]
            blocks.append((ks, min(lo for lo, _ in spans), max(lo + bs for lo, bs in spans)))
            ks, rows = [], 0
    return blocks


def _through_time(sched, step, grads):
    """Backpropagation through time: ``step(k)`` for every step from the last to the first (each
    writes the pre-activation gradients of its rows), while a second thread turns each finished
    block of rows into weight gradients (``grads.add``): the loop is sequential, the weight
    gradients are not, so they take the other core, and the loop's thread computes dx once it is
    done. With one thread, or little work, the same blocks run one after the other, so the
    results do not depend on the threads. Returns ``grads.result()``."""
    blocks = _blocks_backward(sched)
    ready = queue.SimpleQueue()

    def loop():
        try:
            for ks, lo, hi in blocks:
                for k in ks:
                    step(k)
                ready.put((lo, hi, ks))
        finally:
            ready.put(None)                   # (also when a step raised: the other thread stops)
        grads.input_grad()

    def weights():
        for block in iter(ready.get, None):
            grads.add(*block)

    def run(first, last):
        for role in (loop, weights)[first:last]:
            role()
    parallel.parallel_for(2, run, flops=grads.flops)
    return grads.result()


# ---- LSTM --------------------------------------------------------------------------------------
def _lstm_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, sched):
    """Returns y (N, P), the gate activations (N, 4H), the cell states (N, H), their tanh and the
    gates' layout: 0 for PyTorch's (i, f, g, o), else the parts of ``_lstm_gates.blocked_order``
    (the compiled loop's)."""
    hid = w_ih.shape[0] // 4
    parts = (_lstm_gates.loop_parts(sched.batch, hid, x, h0, c0, w_ih, w_hh, b_ih, b_hh)
             if w_hr is None and sched.uniform else 0)
    if parts:
        return _lstm_loop_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, sched, parts) + (parts,)
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
    for k, (lo, bs) in enumerate(sched.steps):
        r = slice(lo, lo + bs)
        np.matmul(_previous(y, h0, sched, k), w_t, out=tmp[:bs])
        out = m[r] if m is not None else y[r]
        _lstm_gates.forward_step(gates[r], tmp[:bs], _previous(c, c0, sched, k), c[r], tc[r], out, scale, shift,
                                 use_fused)
        if m is not None:
            np.matmul(out, w_hr_t, out=y[r])
    return y, gates, c, tc, 0


def _lstm_loop_forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, sched, parts):
    """``_lstm_forward`` of a full batch by the compiled loop on ``parts`` threads (the input
    products of each step in the loop: no pass over all of them first)."""
    hid = w_ih.shape[0] // 4
    order, bounds = _lstm_gates.blocked_order(hid, parts)
    scale = _gate_scale(4, hid, x.dtype, (0, 1, 3))[order]
    shift = (1 - scale).astype(x.dtype)
    bias = (b_ih + b_hh)[order] * scale if b_ih is not None else np.zeros_like(scale)
    w_ih_t, w_t = (np.ascontiguousarray((w[order] * scale[:, None]).T) for w in (w_ih, w_hh))
    starts = np.array([lo for lo, _ in sched.steps], dtype=np.int64)
    gates, y, c, tc = _lstm_gates.forward_loop(parts, bounds, x, w_ih_t, bias, w_t, h0, c0, scale, shift, starts)
    return y, gates, c, tc


def _lstm_backward(dy, dhn, dcn, x, h0, c0, w_ih, w_hh, w_hr, y, gates, c, tc, sched, need, parts):
    if parts:
        return _lstm_loop_backward(dy, dhn, dcn, x, h0, c0, w_ih, w_hh, y, gates, c, tc, sched, need, parts)
    hid = w_ih.shape[0] // 4
    tables = _lstm_gates.derivative_tables(gates, tc, _lstm_gates.fused(gates.dtype))
    dgates = np.empty_like(gates)
    dh = dhn.copy()
    dc = dcn.copy()
    dh_all = np.empty_like(y) if w_hr is not None else None       # kept for dW_hr
    dht = np.empty((sched.batch, y.shape[1]), dtype=y.dtype)

    def step(k):
        lo, bs = sched.steps[k]
        r = slice(lo, lo + bs)
        dh_k = dh_all[r] if dh_all is not None else dht[:bs]
        np.add(dy[r], dh[:bs], out=dh_k)
        dm = np.matmul(dh_k, w_hr) if w_hr is not None else dh_k
        rows_tables = None if tables is None else (tables[0][r], tables[1][r])
        _lstm_gates.backward_step(dm, gates[r], tc[r], _previous(c, c0, sched, k), dc[:bs], dgates[r], rows_tables)
        np.matmul(dgates[r], w_hh, out=dh[:bs])
    grads = _through_time(sched, step, _WeightGrads(dgates, dgates, x, h0, y, w_ih, sched, need))
    dw_hr = None
    if w_hr is not None and need[7]:
        dw_hr = parallel.matmul(dh_all.T, tc * gates[:, 3 * hid:])  # o ⊙ tanh c, the projected vector
    return grads + (dh, dc, dw_hr)


def _lstm_loop_backward(dy, dhn, dcn, x, h0, c0, w_ih, w_hh, y, gates, c, tc, sched, need, parts):
    """``_lstm_backward`` of ``_lstm_loop_forward``'s blocked gates, compiled: the time loop on one
    thread, the weight gradients of each finished block of steps on a second, then dx on both;
    the weight gradients' rows put back in PyTorch's order."""
    hid = w_ih.shape[0] // 4
    order, bounds = _lstm_gates.blocked_order(hid, parts)
    dh, dc = dhn.copy(), dcn.copy()
    starts = np.array([lo for lo, _ in sched.steps], dtype=np.int64)
    blocks = np.array([(min(ks), lo, hi) for ks, lo, hi in _blocks_backward(sched)], dtype=np.int64)
    h_prev = _all_previous(y, h0, sched) if need[4] else y[:0]
    _, dx, dw_ih, dw_hh, db = _lstm_gates.backward_loop(
        min(parallel.gang_width(), 2), bounds, blocks, dy, gates, tc, c, c0, np.ascontiguousarray(w_hh[order]),
        dh, dc, starts, x, h_prev, np.ascontiguousarray(w_ih[order]), (need[0], need[3], need[4], need[5] or need[6]))
    unblock = np.argsort(order)
    dw_ih, dw_hh, db = (None if a is None else a[unblock] for a in (dw_ih, dw_hh, db))
    return (dx, dw_ih, dw_hh, db if need[5] else None, db.copy() if need[6] else None, dh, dc, None)


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
    for k, (lo, bs) in enumerate(sched.steps):
        prev = _previous(y, h0, sched, k)
        ga, gb = gi[lo:lo + bs], gh[lo:lo + bs]
        np.matmul(prev, w_t, out=gb)
        if b_h is not None:
            gb += b_h
        rz = ga[:, :2 * hid]
        rz += gb[:, :2 * hid]
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        r, z, n = ga[:, :hid], ga[:, hid:2 * hid], ga[:, 2 * hid:]
        np.multiply(r, gb[:, 2 * hid:], out=tmp[:bs])
        n += tmp[:bs]
        np.tanh(n, out=n)
        h = y[lo:lo + bs]
        np.subtract(prev, n, out=h)
        h *= z
        h += n
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

    def step(k):
        lo, bs = sched.steps[k]
        prev = _previous(y, h0, sched, k)
        r_ = slice(lo, lo + bs)
        ga, da, db = gi[r_], dgi[r_], dgh[r_]
        r, z, n = ga[:, :hid], ga[:, hid:2 * hid], ga[:, 2 * hid:]
        dact_k = dact[r_]
        d = dht[:bs]
        np.add(dy[r_], dh[:bs], out=d)
        dn = da[:, 2 * hid:]
        np.subtract(1, z, out=dn)
        dn *= d
        dn *= dact_k[:, 2 * hid:]                                 # d(n pre-activation)
        np.multiply(dn, r, out=db[:, 2 * hid:])
        dr = da[:, :hid]
        np.multiply(dn, gh[r_, 2 * hid:], out=dr)
        dr *= dact_k[:, :hid]
        dz = da[:, hid:2 * hid]
        t = tmp[:bs]
        np.subtract(prev, n, out=t)
        np.multiply(d, t, out=dz)
        dz *= dact_k[:, hid:2 * hid]
        db[:, :2 * hid] = da[:, :2 * hid]
        d *= z
        np.matmul(db, w_hh, out=dh[:bs])
        dh[:bs] += d
    return _through_time(sched, step, _WeightGrads(dgi, dgh, x, h0, y, w_ih, sched, need)) + (dh,)


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
            y, gates, c, tc, ctx.gate_parts = _lstm_forward(xa, h0a, c0a, wi, wh, bi, bh, wr, sched)
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
                dy, dhn, dcn, x, h0, c0, w_ih, w_hh, w_hr, y, gates, c, tc, sched, need, ctx.gate_parts)
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
