"""nn.utils.rnn (pad/pack) and recurrent layers on PackedSequences, against PyTorch in float64."""
import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as trnn

import glassgrad
import glassgrad.nn as nn
from glassgrad.nn.utils import rnn as grnn

TOL = dict(rtol=1e-10, atol=1e-10)


def gg(a, grad=False):
    return glassgrad.tensor(np.array(a), requires_grad=grad)


def th(a, grad=False):
    return torch.tensor(np.array(a), requires_grad=grad)


def test_pad_sequence_matches_torch(rng):
    seqs = [rng.standard_normal((n, 3)) for n in (4, 2, 5)]
    for kw in [dict(), dict(batch_first=True), dict(padding_value=-1.5), dict(padding_side="left", batch_first=True)]:
        a = grnn.pad_sequence([gg(s) for s in seqs], **kw)
        b = trnn.pad_sequence([th(s) for s in seqs], **kw)
        np.testing.assert_array_equal(a.array, b.numpy())


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_roundtrip_matches_torch(enforce_sorted, batch_first, rng):
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    x = rng.standard_normal((4, 5, 2) if batch_first else (5, 4, 2))
    xt, xg = th(x, True), gg(x, True)
    pt = trnn.pack_padded_sequence(xt, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    pg = grnn.pack_padded_sequence(xg, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(pg.data.array, pt.data.detach().numpy())
    np.testing.assert_array_equal(pg.batch_sizes.array, pt.batch_sizes.numpy())
    for a, b in [(pg.sorted_indices, pt.sorted_indices), (pg.unsorted_indices, pt.unsorted_indices)]:
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.array, b.numpy())
    ut, lt = trnn.pad_packed_sequence(pt, batch_first=batch_first, padding_value=7.0, total_length=6)
    ug, lg = grnn.pad_packed_sequence(pg, batch_first=batch_first, padding_value=7.0, total_length=6)
    np.testing.assert_array_equal(ug.array, ut.detach().numpy())
    np.testing.assert_array_equal(lg.array, lt.numpy())
    assert lg.dtype == np.int64
    g = rng.standard_normal(ut.shape)
    ut.backward(th(g))
    ug.backward(gg(g))
    np.testing.assert_array_equal(xg.grad.array, xt.grad.numpy())


def test_pack_sequence_unpack_and_unpad(rng):
    seqs = [rng.standard_normal((n, 2)) for n in (2, 4, 3)]
    pt = trnn.pack_sequence([th(s) for s in seqs], enforce_sorted=False)
    pg = grnn.pack_sequence([gg(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(pg.data.array, pt.data.numpy())
    for a, s in zip(grnn.unpack_sequence(pg), seqs):
        np.testing.assert_array_equal(a.array, s)
    padded = grnn.pad_sequence([gg(s) for s in seqs])
    for a, s in zip(grnn.unpad_sequence(padded, [2, 4, 3]), seqs):
        np.testing.assert_array_equal(a.array, s)


def test_packing_errors():
    x = glassgrad.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        grnn.pack_padded_sequence(x, [1, 3, 2])
    with pytest.raises(RuntimeError, match="greater than 0"):
        grnn.pack_padded_sequence(x, [3, 2, 0])
    with pytest.raises(RuntimeError, match="exceeds"):
        grnn.pack_padded_sequence(x, [5, 2, 1])
    with pytest.raises(RuntimeError, match="expected 3 lengths"):
        grnn.pack_padded_sequence(x, [3, 2])
    p = grnn.pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="total_length"):
        grnn.pad_packed_sequence(p, total_length=2)
    with pytest.raises(TypeError, match="PackedSequence"):
        grnn.pad_packed_sequence(x)
    with pytest.raises(RuntimeError, match="every sequence must have shape"):
        grnn.pad_sequence([glassgrad.zeros(2, 3), glassgrad.zeros(2, 4)])


CONFIGS = [("RNN", dict(nonlinearity="tanh")), ("RNN", dict(nonlinearity="relu")), ("LSTM", {}),
           ("LSTM", dict(proj_size=2)), ("GRU", {})]


@pytest.mark.parametrize("cls,base", CONFIGS)
@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no_h0", "h0"])
def test_layers_on_packed_sequences(cls, base, enforce_sorted, with_state, rng):
    kw = dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, **base)
    torch.manual_seed(0)
    tm = getattr(torch.nn, cls)(**kw).double()
    gm = getattr(nn, cls)(**kw).double()
    gm.load_state_dict({k: glassgrad.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
    lengths = [6, 4, 4, 1] if enforce_sorted else [4, 1, 6, 4]
    x = rng.standard_normal((6, 4, 3))
    xt, xg = th(x, True), gg(x, True)
    pt = trnn.pack_padded_sequence(xt, lengths, enforce_sorted=enforce_sorted)
    pg = grnn.pack_padded_sequence(xg, lengths, enforce_sorted=enforce_sorted)
    lstm = cls == "LSTM"
    real = base.get("proj_size") or 4
    hs = [rng.standard_normal((4, 4, real))] + ([rng.standard_normal((4, 4, 4))] if lstm else [])
    ht, hg = [th(h, True) for h in hs], [gg(h, True) for h in hs]
    arg_t = None if not with_state else (tuple(ht) if lstm else ht[0])
    arg_g = None if not with_state else (tuple(hg) if lstm else hg[0])
    ot, st = tm(pt, arg_t)
    og, sg = gm(pg, arg_g)
    assert isinstance(og, grnn.PackedSequence)
    np.testing.assert_array_equal(og.batch_sizes.array, ot.batch_sizes.numpy())
    st, sg = (st if lstm else (st,)), (sg if lstm else (sg,))
    yt, _ = trnn.pad_packed_sequence(ot)
    yg, _ = grnn.pad_packed_sequence(og)
    for a, b in zip((og.data, yg) + tuple(sg), (ot.data, yt) + tuple(st)):
        np.testing.assert_allclose(a.array, b.detach().numpy(), **TOL)
    gs = [rng.standard_normal(b.shape) for b in (yt,) + tuple(st)]
    torch.autograd.backward([yt, *st], [th(g) for g in gs])
    glassgrad.autograd.backward([yg, *sg], [gg(g) for g in gs])
    tp = dict(tm.named_parameters())
    pairs = [(xg, xt)] + (list(zip(hg, ht)) if with_state else []) + [(p, tp[n]) for n, p in gm.named_parameters()]
    for a, b in pairs:
        np.testing.assert_allclose(a.grad.array, b.grad.numpy(), **TOL)
