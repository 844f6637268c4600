"""Recurrent layers: gradcheck, the hand-written BPTT against the differentiable composite, double
backward through an LSTM against PyTorch's, dropout between layers, clear errors, a long sequence."""
import tracemalloc
import warnings

import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn as nn
import glassgrad.nn.functional as F
import test_rnn
from glassgrad import parallel
from glassgrad.autograd import grad, gradcheck, gradgradcheck
from glassgrad.nn.functional.recurrent import recurrent_layer
from glassgrad.nn.utils import rnn as grnn

MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]


def layer_inputs(rng, mode, batch_sizes, inp=2, hid=3, proj=None, bias=True):
    gates = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}[mode]
    real = proj or hid
    shapes = [(sum(batch_sizes), inp), (batch_sizes[0], real), (batch_sizes[0], hid) if mode == "LSTM" else None,
              (gates * hid, inp), (gates * hid, real), (gates * hid,) if bias else None,
              (gates * hid,) if bias else None, (real, hid) if proj else None]
    return [None if s is None else glassgrad.tensor(rng.standard_normal(s) * 0.7, requires_grad=True) for s in shapes]


def outputs(mode, args, batch_sizes, reverse):
    y, h, c = recurrent_layer(mode, *args, batch_sizes, reverse)
    return (y, h) if c is None else (y, h, c)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("batch_sizes", [(2, 2, 2), (3, 2, 2, 1)], ids=["full", "packed"])
def test_gradcheck(mode, reverse, batch_sizes, rng):
    args = layer_inputs(rng, mode, batch_sizes, proj=2 if mode == "LSTM" and reverse else None)
    live = [a for a in args if a is not None]

    def fn(*ts):
        it = iter(ts)
        return outputs(mode, [None if a is None else next(it) for a in args], batch_sizes, reverse)
    assert gradcheck(fn, live, eps=1e-6, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("batch_sizes", [(3, 3, 3, 3), (3, 3, 1)], ids=["full", "packed"])
def test_hand_written_bptt_matches_differentiable_path(mode, batch_sizes, rng):
    """create_graph=False runs raw_backward; create_graph=True runs the step-by-step composite."""
    for reverse in (False, True):
        args = layer_inputs(rng, mode, batch_sizes, bias=not reverse, proj=2 if mode == "LSTM" else None)
        live = [a for a in args if a is not None]
        outs = outputs(mode, args, batch_sizes, reverse)
        gs = [glassgrad.tensor(rng.standard_normal(o.shape)) for o in outs]
        fast = grad(outs, live, gs, retain_graph=True)
        slow = grad(outs, live, gs, create_graph=True)
        for a, b in zip(fast, slow):
            np.testing.assert_allclose(a.array, b.array, rtol=1e-11, atol=1e-12)


def test_gradgradcheck_lstm_and_gru(rng):
    for mode in ("LSTM", "GRU"):
        args = layer_inputs(rng, mode, (2, 2, 1), inp=2, hid=2)
        live = [a for a in args if a is not None]

        def fn(*ts):
            it = iter(ts)
            return outputs(mode, [None if a is None else next(it) for a in args], (2, 2, 1), False)
        assert gradgradcheck(fn, live, eps=1e-6, atol=1e-5, rtol=1e-3)


def test_double_backward_through_lstm_matches_torch(rng):
    """A gradient penalty: || d(loss)/dx ||² differentiated again, for every parameter."""
    torch.manual_seed(0)
    tm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    gm = nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    gm.load_state_dict({k: glassgrad.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    x = rng.standard_normal((5, 2, 3))
    xt, xg = torch.tensor(x, requires_grad=True), glassgrad.tensor(x.copy(), requires_grad=True)
    with torch.backends.cudnn.flags(enabled=False):
        yt, _ = tm(xt)
        (gxt,) = torch.autograd.grad((yt ** 2).sum(), xt, create_graph=True)
        ((gxt ** 2).sum() + (yt ** 3).sum()).backward()
    yg, _ = gm(xg)
    (gxg,) = grad((yg ** 2).sum(), xg, create_graph=True)
    np.testing.assert_allclose(gxg.array, gxt.detach().numpy(), rtol=1e-10, atol=1e-12)
    ((gxg ** 2).sum() + (yg ** 3).sum()).backward()
    np.testing.assert_allclose(xg.grad.array, xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    tp = dict(tm.named_parameters())
    for n, p in gm.named_parameters():
        np.testing.assert_allclose(p.grad.array, tp[n].grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=n)


@pytest.fixture
def eager(monkeypatch):
    """3 threads, every kernel split however small (backward's weight gradients on a second thread)."""
    threads = parallel.get_num_threads()
    monkeypatch.setattr(parallel, "MIN_FLOPS", 1)
    monkeypatch.setattr(parallel, "MIN_BYTES", 1)
    parallel.set_num_threads(3)
    yield
    parallel.set_num_threads(threads)


@pytest.mark.parametrize("cls,base", [("LSTM", dict(proj_size=2)), ("LSTM", {}), ("GRU", {}), ("RNN", {})])
def test_layers_on_threads_match_torch(eager, cls, base, rng):
    kw = dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, **base)
    tm, gm = test_rnn.make_pair(cls, **kw)
    test_rnn.run_both(tm, gm, rng.standard_normal((5, 7, 3)), test_rnn.states(rng, cls, kw, 7), rng, cls == "LSTM")


def test_dropout_between_layers(rng):
    torch.manual_seed(0)
    tm = torch.nn.GRU(3, 200, num_layers=2).double()
    state = {k: glassgrad.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    plain = nn.GRU(3, 200, num_layers=2).double()
    dropped = nn.GRU(3, 200, num_layers=2, dropout=0.5).double()
    plain.load_state_dict(state)
    dropped.load_state_dict(state)
    x = glassgrad.tensor(rng.standard_normal((4, 5, 3)))
    y_ref = tm(torch.tensor(x.array))[0].detach().numpy()
    dropped.eval()
    np.testing.assert_allclose(dropped(x)[0].array, y_ref, rtol=1e-10, atol=1e-12)   # eval: no dropout
    np.testing.assert_allclose(plain(x)[0].array, y_ref, rtol=1e-10, atol=1e-12)     # dropout=0: exact
    dropped.train()
    # Dropout on layer 0's output is layer 1's input with zeros and the rest doubled: the same
    # output as running layer 1 alone on that input. Recover the mask from layer 0's output.
    glassgrad.manual_seed(3)
    y_train = dropped(x)[0].array
    assert not np.allclose(y_train, y_ref)
    l0 = nn.GRU(3, 200).double()
    l0.load_state_dict({k: v for k, v in state.items() if k.endswith("l0")})
    h0 = l0(x)[0]
    glassgrad.manual_seed(3)
    mask = F.dropout(glassgrad.ones(h0.shape, dtype=np.float64), 0.5, training=True).array
    assert 0.45 < (mask == 0).mean() < 0.55 and set(np.unique(mask)) == {0.0, 2.0}
    l1 = torch.nn.GRU(200, 200).double()
    l1.load_state_dict({k.replace("l1", "l0"): v for k, v in tm.state_dict().items() if k.endswith("l1")})
    expected = l1(torch.tensor(h0.array * mask))[0].detach().numpy()
    np.testing.assert_allclose(y_train, expected, rtol=1e-10, atol=1e-12)


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(2, 3, dropout=0.2)


def test_clear_errors():
    lstm = nn.LSTM(4, 5, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM: Expected input to be 2D or 3D, got 4D"):
        lstm(glassgrad.zeros(2, 3, 4, 1))
    with pytest.raises(RuntimeError, match=r"input.size\(-1\) must be equal to input_size. Expected 4, got 3"):
        lstm(glassgrad.zeros(2, 3, 3))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(2, 3, 5\), got \[1, 3, 5\]"):
        lstm(glassgrad.zeros(2, 3, 4), (glassgrad.zeros(1, 3, 5), glassgrad.zeros(2, 3, 5)))
    with pytest.raises(RuntimeError, match=r"Expected cell state size \(2, 3, 5\), got \[2, 3, 4\]"):
        lstm(glassgrad.zeros(2, 3, 4), (glassgrad.zeros(2, 3, 5), glassgrad.zeros(2, 3, 4)))
    with pytest.raises(TypeError, match="tuple"):
        lstm(glassgrad.zeros(2, 3, 4), glassgrad.zeros(2, 3, 5))
    with pytest.raises(RuntimeError, match="unbatched 2-D input, hx should also be 2-D"):
        nn.GRU(4, 5)(glassgrad.zeros(2, 4), glassgrad.zeros(1, 3, 5))
    with pytest.raises(ValueError, match="must have the type float32 of the weights, got type float64"):
        lstm(glassgrad.zeros(2, 3, 4, dtype=np.float64))
    with pytest.raises(ValueError, match="floating point"):
        nn.RNN(4, 5)(glassgrad.zeros(2, 3, 4, dtype=np.int64))
    with pytest.raises(ValueError, match="hidden must have the type float32"):
        nn.RNN(4, 5)(glassgrad.zeros(2, 3, 4), glassgrad.zeros(1, 3, 5, dtype=np.float64))
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(4, 5, proj_size=2)
    with pytest.raises(ValueError, match="has to be smaller than hidden_size"):
        nn.LSTM(4, 5, proj_size=5)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        nn.RNN(4, 5, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(4, 5, dropout=1.5)
    with pytest.raises(RuntimeError, match="inconsistent input_size: got 3 expected 4"):
        nn.LSTMCell(4, 5)(glassgrad.zeros(2, 3))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(2, 5\), got \[3, 5\]"):
        nn.GRUCell(4, 5)(glassgrad.zeros(2, 4), glassgrad.zeros(3, 5))
    with pytest.raises(ValueError, match="Expected input to be 1D or 2D"):
        nn.RNNCell(4, 5)(glassgrad.zeros(1, 2, 4))
    packed = grnn.pack_padded_sequence(glassgrad.zeros(3, 2, 4), [3, 1])
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 5\), got \[1, 3, 5\]"):
        nn.GRU(4, 5)(packed, glassgrad.zeros(1, 3, 5))


def test_truncated_bptt_detaches_state(rng):
    """Chunks of a long sequence with the state detached between them: gradients stop at the
    chunk boundary, and each chunk's gradients equal a run of that chunk from the given state."""
    lstm = nn.LSTM(2, 3).double()
    x = glassgrad.tensor(rng.standard_normal((8, 1, 2)))
    state = None
    grads = []
    for chunk in (x[:4], x[4:]):
        lstm.zero_grad()
        y, state = lstm(chunk, state)
        y.sum().backward()
        grads.append(lstm.weight_hh_l0.grad.array.copy())
        state = tuple(s.detach() for s in state)
    ref = nn.LSTM(2, 3).double()
    ref.load_state_dict(lstm.state_dict())
    _, mid = ref(x[:4])
    y, _ = ref(x[4:], tuple(s.detach() for s in mid))
    y.sum().backward()
    np.testing.assert_allclose(grads[1], ref.weight_hh_l0.grad.array, rtol=1e-12)


def test_long_sequence_memory_is_linear(rng):
    """10,000 steps forward and backward; the memory held between forward and backward (the
    stored activations) grows linearly with the length."""
    lstm = nn.LSTM(8, 16)
    y, _ = lstm(glassgrad.tensor(rng.standard_normal((3, 4, 8)).astype(np.float32), requires_grad=True))
    y.sum().backward()        # loads the compiled gate kernels (not the sequence's memory) first
    lstm.zero_grad()
    peaks = {}
    for steps in (2500, 10000):
        x = glassgrad.tensor(rng.standard_normal((steps, 4, 8)).astype(np.float32), requires_grad=True)
        tracemalloc.start()
        y, (h, c) = lstm(x)
        (y.sum() + h.sum()).backward()
        peaks[steps] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert np.isfinite(x.grad.array).all() and x.grad.shape == (steps, 4, 8)
        lstm.zero_grad()
    # about 300 floats per row and step (input 8, gates 4·16, cell 16, output 16 kept; as much again
    # in backward's buffers), 4 rows of float32: ~5 kB per step
    ratio = peaks[10000] / peaks[2500]
    assert 3.0 < ratio < 4.6, peaks
    assert peaks[10000] < 10000 * 4 * 4 * 400, peaks
