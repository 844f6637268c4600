"""The LSTM's float32 gate kernels (Numba) against the NumPy path and PyTorch: the rational tanh
against float64 tanh to 1 ulp, one time step forward and backward, and whole layers (packed,
reversed, projected, split over threads, the compiled time loop on one to three threads) forward
and backward."""
import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn as nn
from glassgrad import parallel
from glassgrad.nn.functional import _lstm_gates

import test_rnn


def _ulps(a, b):
    """|a - b| in float32 units in the last place (a, b float32, same signs or zeros)."""
    return np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64))


def test_numba_is_there():
    assert _lstm_gates.enabled, "the test extra installs numba: the fused path must run"
    assert _lstm_gates.fused(np.dtype(np.float32)) and not _lstm_gates.fused(np.dtype(np.float64))


def test_tanh_kernel_within_one_ulp_of_float64_tanh(rng):
    from glassgrad.nn.functional import _lstm_numba
    x = np.concatenate([
        (rng.standard_normal(200_000) * 4).astype(np.float32),
        np.linspace(-12, 12, 100_001, dtype=np.float32),
        np.geomspace(1e-38, 1, 2_000).astype(np.float32),
        -np.geomspace(1e-45, 1e-30, 100).astype(np.float32),        # subnormals
        np.float32([0.0, 9.0, 9.4999, 9.5, 9.5001, 10, 20, 1e30, 3.4e38, -9.5, -1e30])])
    out = np.empty_like(x)
    _lstm_numba.tanh(x, out)
    ref = np.tanh(x.astype(np.float64)).astype(np.float32)
    assert _ulps(out, ref).max() <= 1
    assert (out == ref).mean() > 0.99                                 # correctly rounded but rarely
    special = np.float32([np.inf, -np.inf, np.nan, -0.0])
    out = np.empty_like(special)
    _lstm_numba.tanh(special, out)
    assert out[0] == 1 and out[1] == -1 and np.isnan(out[2]) and out[3] == 0 and np.signbit(out[3])


def _step_arrays(rng, bs, hid):
    pre = (rng.standard_normal((bs, 4 * hid)) * 3).astype(np.float32)
    pre[0, :4] = [0.0, 30.0, -30.0, 1e-20]
    tmp = (rng.standard_normal((bs, 4 * hid))).astype(np.float32)
    c_prev = (rng.standard_normal((bs, hid)) * 2).astype(np.float32)
    scale = np.ones(4 * hid, np.float32)
    scale[:2 * hid] = scale[3 * hid:] = 0.5
    return pre, tmp, c_prev, scale, (1 - scale).astype(np.float32)


def _forward(fused, pre, tmp, c_prev, scale, shift):
    g, t = pre.copy(), tmp.copy()
    c, tc, h = (np.empty_like(c_prev) for _ in range(3))
    _lstm_gates.forward_step(g, t, c_prev, c, tc, h, scale, shift, fused)
    return g, c, tc, h


@pytest.mark.parametrize("bs,hid", [(1, 1), (3, 5), (32, 64)])
def test_forward_step_fused_matches_numpy_and_float64(rng, bs, hid):
    arrays = _step_arrays(rng, bs, hid)
    fused = _forward(True, *arrays)
    plain = _forward(False, *arrays)
    pre, tmp, c_prev, scale, shift = (a.astype(np.float64) for a in arrays)
    a = np.tanh(pre + tmp) * scale + shift                            # exact, from the same inputs
    c = a[:, hid:2 * hid] * c_prev + a[:, :hid] * a[:, 2 * hid:3 * hid]
    exact = (a, c, np.tanh(c), a[:, 3 * hid:] * np.tanh(c))
    # (c = f·c_prev + i·g cancels: its rounding error is relative to the terms, |c_prev| up to ~8)
    for f, p, e in zip(fused, plain, exact):
        assert f.dtype == np.float32
        np.testing.assert_allclose(f, e, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(f, p, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("bs,hid", [(1, 1), (3, 5), (32, 64)])
def test_backward_step_fused_matches_numpy_and_float64(rng, bs, hid):
    g, c, tc, _ = _forward(False, *_step_arrays(rng, bs, hid))
    c_prev = _step_arrays(rng, bs, hid)[2]
    dm = rng.standard_normal((bs, hid)).astype(np.float32)
    dc0 = rng.standard_normal((bs, hid)).astype(np.float32)
    results = []
    for tables in (None, _lstm_gates.derivative_tables(g, tc, False)):
        dc, d = dc0.copy(), np.empty_like(g)
        _lstm_gates.backward_step(dm, g, tc, c_prev, dc, d, tables)
        results.append((d, dc))
    g64, tc64, cp, dm64 = (a.astype(np.float64) for a in (g, tc, c_prev, dm))
    i, f, gg, o = np.split(g64, 4, axis=1)
    dct = dc0 + dm64 * o * (1 - tc64 ** 2)
    d = np.concatenate([dct * gg * i * (1 - i), dct * cp * f * (1 - f), dct * i * (1 - gg ** 2),
                        dm64 * tc64 * o * (1 - o)], axis=1)
    for ours in results:
        np.testing.assert_allclose(ours[0], d, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours[1], dct * f, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-7)


def _float32_pair(**kw):
    torch.manual_seed(0)
    tm = torch.nn.LSTM(**kw)
    gm = nn.LSTM(**kw)
    gm.load_state_dict(test_rnn.to_gg_state(tm))
    return tm, gm


def _run_layer(gm, x, lengths, hx, dys):
    """Forward (packed when ``lengths``) and backward with the given output gradients: the
    outputs and every gradient, as float32 arrays."""
    xg = glassgrad.tensor(x, requires_grad=True)
    hg = tuple(glassgrad.tensor(h, requires_grad=True) for h in hx)
    inp = nn.utils.rnn.pack_padded_sequence(xg, lengths, enforce_sorted=False) if lengths else xg
    y, (h, c) = gm(inp, hg)
    if lengths:
        y, _ = nn.utils.rnn.pad_packed_sequence(y)
    glassgrad.autograd.backward([y, h, c], [glassgrad.tensor(d) for d in dys])
    grads = [xg.grad.array, hg[0].grad.array, hg[1].grad.array] + [p.grad.array for _, p in gm.named_parameters()]
    gm.zero_grad()
    return [y.array, h.array, c.array] + grads


def _torch_layer(tm, x, lengths, hx, dys):
    xt = torch.tensor(x, requires_grad=True)
    ht = tuple(torch.tensor(h, requires_grad=True) for h in hx)
    inp = torch.nn.utils.rnn.pack_padded_sequence(xt, lengths, enforce_sorted=False) if lengths else xt
    y, (h, c) = tm(inp, ht)
    if lengths:
        y, _ = torch.nn.utils.rnn.pad_packed_sequence(y)
    torch.autograd.backward([y, h, c], [torch.tensor(d) for d in dys])
    return [t.detach().numpy() for t in (y, h, c, xt.grad, ht[0].grad, ht[1].grad)] + \
        [p.grad.numpy() for _, p in tm.named_parameters()]


LAYERS = [
    (dict(input_size=6, hidden_size=16), None),
    (dict(input_size=6, hidden_size=16, num_layers=2, bidirectional=True), None),
    (dict(input_size=6, hidden_size=16, proj_size=5), None),
    (dict(input_size=6, hidden_size=16, bidirectional=True), [9, 4, 7, 1]),      # packed, uneven
]


@pytest.mark.parametrize("split", [None, "rows", "units"], ids=["one_thread", "split_rows", "split_units"])
@pytest.mark.parametrize("kw,lengths", LAYERS, ids=["plain", "2layers-bidir", "proj", "packed-bidir"])
def test_float32_layer_fused_and_numpy_match_torch(rng, monkeypatch, kw, lengths, split):
    if split:   # 3 threads, however small the work: every step's rows (NumPy path and element-wise
        # kernels), or the compiled time loop's units (3 parts of 5, 5 and 6 units forward, 2 backward)
        monkeypatch.setattr(parallel, "MIN_FLOPS", 1)
        monkeypatch.setattr(parallel, "MIN_BYTES", 1)
        monkeypatch.setattr(_lstm_gates, "LOOP_MIN_FLOPS", 0 if split == "units" else _lstm_gates.LOOP_MIN_FLOPS)
        threads = parallel.get_num_threads()
        parallel.set_num_threads(3)
    try:
        tm, gm = _float32_pair(**kw)
        steps, batch = 9, 4
        x = rng.standard_normal((steps, batch, kw["input_size"])).astype(np.float32)
        layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        real = kw.get("proj_size") or kw["hidden_size"]
        hx = (rng.standard_normal((layers, batch, real)).astype(np.float32),
              rng.standard_normal((layers, batch, kw["hidden_size"])).astype(np.float32))
        y_shape = (steps, batch, real * (2 if kw.get("bidirectional") else 1))
        dys = [rng.standard_normal(s).astype(np.float32) for s in (y_shape, hx[0].shape, hx[1].shape)]
        ref = _torch_layer(tm, x, lengths, hx, dys)
        runs = {}
        for fused in (True, False):
            monkeypatch.setattr(_lstm_gates, "enabled", fused)
            runs[fused] = _run_layer(gm, x, lengths, hx, dys)
    finally:
        if split:
            parallel.set_num_threads(threads)
    for f, p, t in zip(runs[True], runs[False], ref):
        assert f.dtype == np.float32 and f.shape == t.shape
        np.testing.assert_allclose(f, t, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(p, t, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(f, p, rtol=1e-4, atol=1e-5)


def _loop_layer_run(rng, monkeypatch, threads, need_input_grad=True, bias=True):
    """A full-batch layer (so the compiled time loop runs, on ``threads`` parts however small):
    the outputs and every gradient."""
    monkeypatch.setattr(_lstm_gates, "LOOP_MIN_FLOPS", 0)
    before = parallel.get_num_threads()
    parallel.set_num_threads(threads)
    try:
        _, gm = _float32_pair(input_size=5, hidden_size=7, bias=bias)
        x = glassgrad.tensor(rng.standard_normal((11, 3, 5)).astype(np.float32), requires_grad=need_input_grad)
        y, (h, c) = gm(x)
        (y * y).sum().backward()
        grads = [p.grad.array for p in gm.parameters()] + ([x.grad.array] if need_input_grad else [])
        return [y.array, h.array, c.array] + grads
    finally:
        parallel.set_num_threads(before)


def test_compiled_loop_repeats_bit_for_bit_on_one_and_two_threads(monkeypatch):
    assert _lstm_gates.loop_parts(3, 7, np.zeros(1, np.float32)) == 1    # (it runs here)
    runs = {n: [_loop_layer_run(np.random.default_rng(0), monkeypatch, n) for _ in range(2)] for n in (1, 2)}
    for first, second in runs.values():
        assert all(np.array_equal(a, b) for a, b in zip(first, second))
    for one, two in zip(*(runs[n][0] for n in (1, 2))):   # (two parts split the forward's GEMMs)
        np.testing.assert_allclose(one, two, rtol=1e-5, atol=1e-6)


def test_compiled_backward_gives_the_same_bits_on_one_or_two_threads(rng, monkeypatch):
    """Its weight gradients are summed block by block in one order however many threads run."""
    from glassgrad.nn.functional import recurrent
    monkeypatch.setattr(recurrent, "BLOCK_ROWS", 8)            # several blocks of steps
    hid, batch, steps, inp = 6, 4, 10, 3
    x, h0, c0 = (rng.standard_normal(s).astype(np.float32) for s in ((batch * steps, inp), (batch, hid), (batch, hid)))
    w_ih, w_hh, b = (rng.standard_normal(s).astype(np.float32) for s in ((4 * hid, inp), (4 * hid, hid), (4 * hid,)))
    sched = recurrent._Schedule([batch] * steps, False)
    y, gates, c, tc, parts = recurrent._lstm_forward(x, h0, c0, w_ih, w_hh, b, b, None, sched)
    assert parts == 1
    dy = rng.standard_normal(y.shape).astype(np.float32)
    before = parallel.get_num_threads()
    grads = {}
    try:
        for n in (1, 2):
            parallel.set_num_threads(n)
            grads[n] = recurrent._lstm_backward(dy, h0, c0, x, h0, c0, w_ih, w_hh, None, y, gates, c, tc, sched,
                                                [True] * 8, parts)
    finally:
        parallel.set_num_threads(before)
    for one, two in zip(grads[1], grads[2]):
        assert (one is None and two is None) or np.array_equal(one, two)


@pytest.mark.parametrize("need_input_grad,bias", [(False, True), (True, False)])
def test_compiled_loop_without_some_gradients_matches_numpy(rng, monkeypatch, need_input_grad, bias):
    seed = int(rng.integers(1 << 30))
    loop = _loop_layer_run(np.random.default_rng(seed), monkeypatch, 2, need_input_grad, bias)
    monkeypatch.setattr(_lstm_gates, "enabled", False)
    plain = _loop_layer_run(np.random.default_rng(seed), monkeypatch, 2, need_input_grad, bias)
    assert len(loop) == len(plain)
    for a, b in zip(loop, plain):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_compiled_loop_a_failing_part_releases_the_others(monkeypatch):
    """One part raises before it starts: the other must not wait for it forever."""
    numba_kernels = _lstm_gates._numba()
    real = numba_kernels.forward_loop

    def failing(part, *args):
        if part == 1:
            raise RuntimeError("part 1 failed")
        return real(part, *args)
    monkeypatch.setattr(numba_kernels, "forward_loop", failing)
    with pytest.raises(RuntimeError, match="part 1 failed"):
        _loop_layer_run(np.random.default_rng(0), monkeypatch, 2)
