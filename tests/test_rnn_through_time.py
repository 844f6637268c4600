"""Backpropagation through time with the weight gradients taken block by block on a second thread
(recurrent.py's ``_through_time``): float64 parity with PyTorch for every recurrent mode, blocks
of one step and of several, full and packed (uneven) batches, both directions; and the same bits
however the threads' work interleaves."""
import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn as nn
from glassgrad import parallel
from glassgrad.nn.functional import recurrent

import test_rnn

CONFIGS = [("RNN", dict(nonlinearity="tanh")), ("RNN", dict(nonlinearity="relu")), ("LSTM", {}),
           ("LSTM", dict(proj_size=3)), ("GRU", {})]


@pytest.fixture
def threads(monkeypatch):
    """Set glassgrad's threads for one test (every kernel split however small when > 1)."""
    before = parallel.get_num_threads()

    def use(n):
        monkeypatch.setattr(parallel, "MIN_FLOPS", 1)
        monkeypatch.setattr(parallel, "MIN_BYTES", 1)
        parallel.set_num_threads(n)
    yield use
    parallel.set_num_threads(before)


def _grads(gm, x, lengths, hx, dys, lstm):
    """Outputs and every gradient of one forward/backward of ``gm`` (float64 arrays)."""
    xg = glassgrad.tensor(x, requires_grad=True)
    hg = tuple(glassgrad.tensor(h, requires_grad=True) for h in hx)
    inp = nn.utils.rnn.pack_padded_sequence(xg, lengths, enforce_sorted=False) if lengths else xg
    y, s = gm(inp, hg if lstm else hg[0])
    if lengths:
        y, _ = nn.utils.rnn.pad_packed_sequence(y)
    s = s if lstm else (s,)
    glassgrad.autograd.backward([y, *s], [glassgrad.tensor(d) for d in dys])
    out = [y.array, *(t.array for t in s), xg.grad.array, *(h.grad.array for h in hg)]
    out += [p.grad.array for _, p in gm.named_parameters()]
    gm.zero_grad()
    return out


def _torch_grads(tm, x, lengths, hx, dys, lstm):
    xt = torch.tensor(x, requires_grad=True)
    ht = tuple(torch.tensor(h, requires_grad=True) for h in hx)
    inp = torch.nn.utils.rnn.pack_padded_sequence(xt, lengths, enforce_sorted=False) if lengths else xt
    y, s = tm(inp, ht if lstm else ht[0])
    if lengths:
        y, _ = torch.nn.utils.rnn.pad_packed_sequence(y)
    s = s if lstm else (s,)
    torch.autograd.backward([y, *s], [torch.tensor(d) for d in dys])
    return [t.detach().numpy() for t in (y, *s, xt.grad, *(h.grad for h in ht))] + \
        [p.grad.numpy() for _, p in tm.named_parameters()]


@pytest.mark.parametrize("cls,base", CONFIGS, ids=["tanh", "relu", "lstm", "lstm-proj", "gru"])
@pytest.mark.parametrize("lengths", [None, [7, 3, 5, 1, 7]], ids=["full", "packed"])
@pytest.mark.parametrize("block_rows", [1, 12], ids=["step_blocks", "multi_step_blocks"])
def test_block_weight_gradients_on_threads_match_torch(threads, monkeypatch, cls, base, lengths, block_rows, rng):
    monkeypatch.setattr(recurrent, "BLOCK_ROWS", block_rows)
    kw = dict(input_size=3, hidden_size=4, bidirectional=True, **base)
    tm, gm = test_rnn.make_pair(cls, **kw)
    lstm = cls == "LSTM"
    steps, batch = 7, 5
    x = rng.standard_normal((steps, batch, 3))
    hx = test_rnn.states(rng, cls, kw, batch)
    real = base.get("proj_size") or 4
    dys = [rng.standard_normal((steps, batch, 2 * real))] + [rng.standard_normal(h.shape) for h in hx]
    ref = _torch_grads(tm, x, lengths, hx, dys, lstm)
    runs = []
    for n in (1, 3, 3):
        threads(n)
        runs.append(_grads(gm, x, lengths, hx, dys, lstm))
    for one, many, again, t in zip(*runs, ref):
        np.testing.assert_allclose(many, t, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(one, t, rtol=1e-10, atol=1e-10)
        np.testing.assert_array_equal(many, again)        # the same blocks summed in the same order


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("rows", [1, 4, 6, 100])
def test_blocks_cover_every_step_once(monkeypatch, reverse, rows):
    sched = recurrent._Schedule([5, 5, 3, 2, 2, 1], reverse=reverse)
    monkeypatch.setattr(recurrent, "BLOCK_ROWS", rows)
    blocks = recurrent._blocks_backward(sched)
    steps = [k for ks, _, _ in blocks for k in ks]
    assert steps == list(range(5, -1, -1))                           # backward's order, each once
    assert all(sum(sched.steps[k][1] for k in ks) >= rows for ks, _, _ in blocks[:-1])
    for ks, lo, hi in blocks:
        spans = sorted(sched.steps[k] for k in ks)
        assert lo == spans[0][0] and hi == sum(spans[-1])          # the block's rows, no gap
        assert sum(bs for _, bs in spans) == hi - lo
