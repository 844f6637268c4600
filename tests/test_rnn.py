"""Recurrent layers against PyTorch in float64: outputs, final states, every parameter's gradient,
input and initial-state gradients, for every configuration; state_dicts both ways."""
import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn as nn

TOL = dict(rtol=1e-10, atol=1e-10)


def to_torch_state(module):
    return {k: torch.from_numpy(np.array(v.array)) for k, v in module.state_dict().items()}


def to_gg_state(module):
    return {k: glassgrad.tensor(v.detach().numpy().copy()) for k, v in module.state_dict().items()}


def make_pair(cls, direction="torch->gg", **kw):
    """The same layer in both frameworks, float64, weights copied in the given direction."""
    torch.manual_seed(0)
    tm = getattr(torch.nn, cls)(**kw).double()
    gm = getattr(nn, cls)(**kw).double()
    if direction == "torch->gg":
        gm.load_state_dict(to_gg_state(tm))
    else:
        tm.load_state_dict(to_torch_state(gm))
    return tm, gm


def run_both(tm, gm, x, hx, rng, lstm):
    """Forward both, backward the same random gradients of output and final states; returns
    max |diff| of (forward values, gradients) and asserts they match."""
    xt = torch.tensor(x, requires_grad=True)
    xg = glassgrad.tensor(x.copy(), requires_grad=True)
    ht = hg = None
    if hx is not None:
        ht = tuple(torch.tensor(h, requires_grad=True) for h in hx)
        hg = tuple(glassgrad.tensor(h.copy(), requires_grad=True) for h in hx)
    yt, st = tm(xt, None if ht is None else (ht if lstm else ht[0]))
    yg, sg = gm(xg, None if hg is None else (hg if lstm else hg[0]))
    st, sg = (st if lstm else (st,)), (sg if lstm else (sg,))
    fwd = 0.0
    for a, b in zip((yg,) + tuple(sg), (yt,) + tuple(st)):
        assert a.shape == tuple(b.shape) and a.dtype == np.float64
        np.testing.assert_allclose(a.array, b.detach().numpy(), **TOL)
        fwd = max(fwd, float(np.abs(a.array - b.detach().numpy()).max(initial=0)))
    gs = [rng.standard_normal(b.shape) for b in (yt,) + tuple(st)]
    torch.autograd.backward([yt, *st], [torch.tensor(g) for g in gs])
    glassgrad.autograd.backward([yg, *sg], [glassgrad.tensor(g.copy()) for g in gs])
    pairs = [(xg, xt)] + (list(zip(hg, ht)) if hx is not None else [])
    tparams = dict(tm.named_parameters())
    pairs += [(p, tparams[n]) for n, p in gm.named_parameters()]
    grad = 0.0
    for a, b in pairs:
        assert a.grad is not None and a.grad.shape == tuple(b.grad.shape)
        np.testing.assert_allclose(a.grad.array, b.grad.numpy(), **TOL)
        grad = max(grad, float(np.abs(a.grad.array - b.grad.numpy()).max(initial=0)))
    return fwd, grad


def states(rng, cls, kw, batch):
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    hidden = kw["hidden_size"]
    real = kw.get("proj_size") or hidden
    shape_h = (layers, batch, real) if batch else (layers, real)
    shape_c = (layers, batch, hidden) if batch else (layers, hidden)
    return (rng.standard_normal(shape_h),) + ((rng.standard_normal(shape_c),) if cls == "LSTM" else ())


CONFIGS = [
    ("RNN", dict(nonlinearity="tanh")),
    ("RNN", dict(nonlinearity="relu")),
    ("LSTM", {}),
    ("LSTM", dict(proj_size=3)),
    ("GRU", {}),
]
VARIANTS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(bias=False),
    dict(batch_first=True),
]


@pytest.mark.parametrize("cls,base", CONFIGS, ids=[f"{c}-{'-'.join(f'{k}={v}' for k, v in b.items())}" for c, b in CONFIGS])
@pytest.mark.parametrize("variant", VARIANTS, ids=["plain", "2layers", "bidir", "2layers-bidir-bf", "nobias", "bf"])
@pytest.mark.parametrize("with_state", [False, True], ids=["no_h0", "h0"])
def test_parity(cls, base, variant, with_state, rng):
    kw = dict(input_size=4, hidden_size=5, **base, **variant)
    tm, gm = make_pair(cls, **kw)
    steps, batch = 6, 3
    x = rng.standard_normal((batch, steps, 4) if kw.get("batch_first") else (steps, batch, 4))
    hx = states(rng, cls, kw, batch) if with_state else None
    run_both(tm, gm, x, hx, rng, cls == "LSTM")


@pytest.mark.parametrize("cls,base", CONFIGS)
def test_unbatched(cls, base, rng):
    kw = dict(input_size=4, hidden_size=5, num_layers=2, bidirectional=True, **base)
    tm, gm = make_pair(cls, **kw)
    x = rng.standard_normal((6, 4))
    run_both(tm, gm, x, states(rng, cls, kw, None), rng, cls == "LSTM")
    run_both(tm, gm, x, None, rng, cls == "LSTM")


@pytest.mark.parametrize("cls,base", CONFIGS)
def test_state_dict_from_glassgrad_to_torch(cls, base, rng):
    kw = dict(input_size=4, hidden_size=5, num_layers=2, bidirectional=True, **base)
    tm, gm = make_pair(cls, direction="gg->torch", **kw)
    assert list(tm.state_dict()) == list(gm.state_dict())
    for (k, a), (k2, b) in zip(gm.state_dict().items(), tm.state_dict().items()):
        assert k == k2 and a.shape == tuple(b.shape)
    run_both(tm, gm, rng.standard_normal((5, 2, 4)), None, rng, cls == "LSTM")


def test_parameter_names_shapes_and_init_match_torch():
    for cls, kw in [("LSTM", dict(proj_size=3)), ("GRU", {}), ("RNN", {})]:
        kw = dict(input_size=4, hidden_size=6, num_layers=2, bidirectional=True, **kw)
        tm, gm = getattr(torch.nn, cls)(**kw), getattr(nn, cls)(**kw)
        assert [(n, tuple(p.shape)) for n, p in tm.named_parameters()] == \
            [(n, p.shape) for n, p in gm.named_parameters()]
        bound = 1 / np.sqrt(6)
        for p in gm.parameters():
            assert np.abs(p.array).max() <= bound and p.dtype == np.float32
    big = nn.LSTM(10, 100)
    w = big.weight_ih_l0.array
    # U(-1/√100, 1/√100): mean 0, variance bound²/3
    assert abs(w.mean()) < 0.003 and abs(w.var() - 0.01 / 3) < 0.0003
    assert repr(nn.LSTM(3, 4, num_layers=2, proj_size=2)) == repr(torch.nn.LSTM(3, 4, num_layers=2, proj_size=2))


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
def test_cells(cls, bias, batched, rng):
    kw = dict(input_size=4, hidden_size=5, bias=bias)
    tm, gm = make_pair(cls, **kw)
    shape = (3, 4) if batched else (4,)
    hshape = (3, 5) if batched else (5,)
    for with_state in (False, True):
        x = rng.standard_normal(shape)
        xt, xg = torch.tensor(x, requires_grad=True), glassgrad.tensor(x.copy(), requires_grad=True)
        hx = [rng.standard_normal(hshape) for _ in range(2 if cls == "LSTMCell" else 1)]
        ht = [torch.tensor(h, requires_grad=True) for h in hx]
        hg = [glassgrad.tensor(h.copy(), requires_grad=True) for h in hx]
        arg_t = None if not with_state else (tuple(ht) if cls == "LSTMCell" else ht[0])
        arg_g = None if not with_state else (tuple(hg) if cls == "LSTMCell" else hg[0])
        ot, og = tm(xt, arg_t), gm(xg, arg_g)
        ot, og = (ot if cls == "LSTMCell" else (ot,)), (og if cls == "LSTMCell" else (og,))
        gs = [rng.standard_normal(o.shape) for o in ot]
        for a, b in zip(og, ot):
            np.testing.assert_allclose(a.array, b.detach().numpy(), **TOL)
        torch.autograd.backward(list(ot), [torch.tensor(g) for g in gs])
        glassgrad.autograd.backward(list(og), [glassgrad.tensor(g.copy()) for g in gs])
        tp = dict(tm.named_parameters())
        pairs = [(xg, xt)] + (list(zip(hg, ht)) if with_state else []) + [(p, tp[n]) for n, p in gm.named_parameters()]
        for a, b in pairs:
            np.testing.assert_allclose(a.grad.array, b.grad.numpy(), **TOL)
        tm.zero_grad()
        gm.zero_grad()


def test_cell_relu_and_float32(rng):
    tm, gm = make_pair("RNNCell", input_size=3, hidden_size=4, nonlinearity="relu")
    x = rng.standard_normal((2, 3))
    np.testing.assert_allclose(gm(glassgrad.tensor(x)).array, tm(torch.tensor(x)).detach().numpy(), **TOL)
    lstm = nn.LSTM(3, 4)
    y, (h, c) = lstm(glassgrad.randn(5, 2, 3))
    assert y.dtype == h.dtype == c.dtype == np.float32


def test_float32_matches_torch(rng):
    torch.manual_seed(0)
    tm = torch.nn.LSTM(8, 16, num_layers=2)
    gm = nn.LSTM(8, 16, num_layers=2)
    gm.load_state_dict(to_gg_state(tm))
    x = rng.standard_normal((20, 4, 8)).astype(np.float32)
    xt, xg = torch.tensor(x, requires_grad=True), glassgrad.tensor(x, requires_grad=True)
    yt, _ = tm(xt)
    yg, _ = gm(xg)
    np.testing.assert_allclose(yg.array, yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    yt.sum().backward()
    yg.sum().backward()
    np.testing.assert_allclose(xg.grad.array, xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gm.weight_hh_l0.grad.array, tm.weight_hh_l0.grad.numpy(), rtol=1e-4, atol=1e-4)
