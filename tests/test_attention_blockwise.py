"""The blockwise attention kernel (nn/functional/attention.py): query blocks that do not divide L,
against PyTorch in float64 (outputs and every gradient, with boolean, additive, causal and
key-padding masks), its compiled float32 kernels against the NumPy path, and what the forward
keeps for backward (the rows' log Σ exp, never an (L, S) buffer)."""
import numpy as np
import pytest
import torch

import glassgrad as gg
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad.autograd import gradcheck
from glassgrad.nn.functional import attention

TOL = dict(rtol=1e-10, atol=1e-12)


@pytest.fixture
def block_rows(monkeypatch):
    """``set(rows, batch, S, itemsize)``: make the kernel take ``rows`` query rows per block."""
    def set_rows(rows, batch, s, itemsize=8):
        monkeypatch.setattr(attention, "block_bytes", rows * int(np.prod(batch)) * s * itemsize)
    return set_rows


def _pair(a):
    return gg.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


@pytest.mark.parametrize("rows", [1, 3, 4])
@pytest.mark.parametrize("mask,L,S", [(None, 7, 9), ("causal", 7, 9), ("causal", 9, 5), ("causal", 8, 8),
                                      ("bool", 7, 9), ("float", 7, 9), ("float_rows", 7, 9)])
def test_blockwise_matches_pytorch(rng, block_rows, rows, mask, L, S):
    batch = (2, 3)
    block_rows(rows, batch, S)
    q, tq = _pair(rng.standard_normal(batch + (L, 4)))
    k, tk = _pair(rng.standard_normal(batch + (S, 4)))
    v, tv = _pair(rng.standard_normal(batch + (S, 5)))
    kw, tkw, extra = {}, {}, []
    if mask == "causal":
        kw = tkw = dict(is_causal=True)
    elif mask == "bool":
        m = rng.random((3, L, S)) > 0.3
        m[1, 2] = False                               # a query that sees no key: zeros, as PyTorch
        kw, tkw = dict(attn_mask=gg.tensor(m)), dict(attn_mask=torch.tensor(m))
    elif mask is not None:
        shape = (L, S) if mask == "float" else (2, 1, L, 1)    # the second broadcasts over heads and keys
        gm, tm = _pair(rng.standard_normal(shape))
        kw, tkw, extra = dict(attn_mask=gm), dict(attn_mask=tm), [(gm, tm)]
    out = F.scaled_dot_product_attention(q, k, v, **kw)
    tout = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **tkw)
    np.testing.assert_allclose(out.array, tout.detach().numpy(), **TOL)
    g = rng.standard_normal(tout.shape)
    out.backward(gg.tensor(g))
    tout.backward(torch.tensor(g))
    for a, b in [(q, tq), (k, tk), (v, tv)] + extra:
        np.testing.assert_allclose(a.grad.array, b.grad.numpy(), **TOL)


@pytest.mark.parametrize("need_weights", [False, True])
def test_blockwise_multihead_key_padding_matches_pytorch(rng, block_rows, need_weights):
    """Key padding (merged into the mask by MultiheadAttention) and the weights output, blockwise."""
    block_rows(2, (3, 2), 6)
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(8, 2, batch_first=True).double()
    gm = nn.MultiheadAttention(8, 2, batch_first=True).double()
    gm.load_state_dict({k: gg.tensor(t.detach().numpy().copy()) for k, t in tm.state_dict().items()})
    x, tx = _pair(rng.standard_normal((3, 5, 8)))
    y, ty = _pair(rng.standard_normal((3, 6, 8)))
    pad = np.zeros((3, 6), bool)
    pad[0, 4:] = True
    pad[2, 1:] = True
    causal = np.triu(np.ones((5, 6), bool), 1)
    out, w = gm(x, y, y, key_padding_mask=gg.tensor(pad), attn_mask=gg.tensor(causal), need_weights=need_weights)
    tout, tw = tm(tx, ty, ty, key_padding_mask=torch.tensor(pad), attn_mask=torch.tensor(causal),
                  need_weights=need_weights)
    np.testing.assert_allclose(out.array, tout.detach().numpy(), **TOL)
    loss, tloss = (out * out).sum(), (tout * tout).sum()
    if need_weights:
        np.testing.assert_allclose(w.array, tw.detach().numpy(), **TOL)
        c = rng.standard_normal(tuple(tw.shape))
        loss, tloss = loss + (w * gg.tensor(c)).sum(), tloss + (tw * torch.tensor(c)).sum()
    loss.backward()
    tloss.backward()
    for a, b in [(x, tx), (y, ty)]:
        np.testing.assert_allclose(a.grad.array, b.grad.numpy(), **TOL)
    for name, p in gm.named_parameters():
        np.testing.assert_allclose(p.grad.array, dict(tm.named_parameters())[name].grad.numpy(), **TOL)


def test_blockwise_dropout_gradcheck(rng, block_rows):
    block_rows(2, (1,), 4)
    q, k, v = (gg.tensor(rng.standard_normal(s), requires_grad=True) for s in ((1, 5, 2), (1, 4, 2), (1, 4, 3)))

    def fn(q, k, v):
        gg.manual_seed(7)  # the same dropout mask at every evaluation
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.3, is_causal=True)
    assert gradcheck(fn, (q, k, v))


@pytest.mark.parametrize("kind", ["causal", "bool", "float"])
def test_float32_kernels_match_numpy_path(rng, block_rows, monkeypatch, kind):
    """The compiled (Numba) float32 softmax, recomputation and gradient against the same steps in
    NumPy, and both against PyTorch."""
    block_rows(5, (2, 4), 16, itemsize=4)
    arrays = [rng.standard_normal((2, 4, 16, 8)).astype(np.float32) for _ in range(3)]
    g = rng.standard_normal((2, 4, 16, 8)).astype(np.float32)
    m = rng.random((16, 16)) > 0.5
    m[3] = False
    masks = {"causal": (None, None), "bool": (gg.tensor(m), torch.tensor(m)),
             "float": (gg.tensor(rng.standard_normal((16, 16)).astype(np.float32)),) * 2}
    gmask, tmask = masks[kind]
    tmask = None if tmask is None else torch.tensor(np.asarray(getattr(tmask, "array", tmask)))
    results = []
    for fused in (True, False):
        monkeypatch.setattr(attention, "fused", fused)
        t = [gg.tensor(a, requires_grad=True) for a in arrays]
        out = F.scaled_dot_product_attention(*t, attn_mask=gmask, is_causal=kind == "causal")
        out.backward(gg.tensor(g))
        results.append([out.array] + [x.grad.array for x in t])
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = torch.nn.functional.scaled_dot_product_attention(*t, attn_mask=tmask, is_causal=kind == "causal")
    tout.backward(torch.tensor(g))
    reference = [tout.detach().numpy()] + [x.grad.numpy() for x in t]
    for a, b, ref in zip(*results, reference):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(a, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kw", [dict(is_causal=True), dict(attn_mask="bool"), dict()])
def test_forward_keeps_no_scores_buffer(rng, kw):
    """Backward recomputes P: the node saves q, k, v, the mask and the rows' lse (…, L), nothing
    of shape (…, L, S)."""
    L, S = 12, 10
    q = gg.tensor(rng.standard_normal((2, 3, L, 4)).astype(np.float32), requires_grad=True)
    k = gg.tensor(rng.standard_normal((2, 3, S, 4)).astype(np.float32), requires_grad=True)
    v = gg.tensor(rng.standard_normal((2, 3, S, 4)).astype(np.float32), requires_grad=True)
    if kw.get("attn_mask") == "bool":
        kw = dict(attn_mask=gg.tensor(rng.random((L, S)) > 0.5))
    out = F.scaled_dot_product_attention(q, k, v, **kw)
    saved = [a for a in out.grad_fn.saved_arrays if isinstance(a, np.ndarray)]
    mask = kw.get("attn_mask")
    scores = [a for a in saved if a.shape[-2:] == (L, S) and (mask is None or a is not mask.array)]
    assert scores == []
    assert any(a.shape == (2, 3, L) for a in saved)   # the lse
    assert sum(a.nbytes for a in saved) == sum(t.array.nbytes for t in (q, k, v)) + 2 * 3 * L * 4 + (
        0 if mask is None else mask.array.nbytes)
