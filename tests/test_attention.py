"""F.scaled_dot_product_attention: parity with PyTorch (float64), finite differences, double
backward, dropout, errors."""
import numpy as np
import pytest
import torch

import glassgrad as gg
import glassgrad.nn.functional as F
from glassgrad.autograd import gradcheck, gradgradcheck

TOL = dict(rtol=1e-10, atol=1e-12)


def _pair(a, grad=True):
    return gg.tensor(a.copy(), requires_grad=grad), torch.tensor(a.copy(), requires_grad=grad)


def _mask(kind, rng, shape):
    if kind is None:
        return None, None
    if kind == "bool":
        m = rng.random(shape) > 0.4
        return gg.tensor(m), torch.tensor(m)
    return _pair(rng.standard_normal(shape))


def _sdpa_parity(rng, qs, ks, vs, mask=None, mask_shape=None, **kw):
    q, tq = _pair(rng.standard_normal(qs))
    k, tk = _pair(rng.standard_normal(ks))
    v, tv = _pair(rng.standard_normal(vs))
    m, tm = _mask(mask, rng, mask_shape)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=m, **kw)
    tout = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm, **kw)
    np.testing.assert_allclose(out.array, tout.detach().numpy(), **TOL)
    g = rng.standard_normal(tout.shape)
    out.backward(gg.tensor(g))
    tout.backward(torch.tensor(g))
    pairs = [(q, tq), (k, tk), (v, tv)] + ([(m, tm)] if mask == "float" else [])
    diff = 0.0
    for a, b in pairs:
        np.testing.assert_allclose(a.grad.array, b.grad.numpy(), **TOL)
        diff = max(diff, float(np.abs(a.grad.array - b.grad.numpy()).max()))
    return max(diff, float(np.abs(out.array - tout.detach().numpy()).max()))


@pytest.mark.parametrize("case", [
    dict(qs=(2, 3, 5, 4), ks=(2, 3, 6, 4), vs=(2, 3, 6, 7)),
    dict(qs=(2, 3, 5, 4), ks=(2, 3, 6, 4), vs=(2, 3, 6, 7), is_causal=True),
    dict(qs=(2, 3, 6, 4), ks=(2, 3, 6, 4), vs=(2, 3, 6, 4), is_causal=True),
    dict(qs=(2, 3, 5, 4), ks=(2, 3, 6, 4), vs=(2, 3, 6, 7), mask="bool", mask_shape=(5, 6)),
    dict(qs=(2, 3, 5, 4), ks=(2, 3, 6, 4), vs=(2, 3, 6, 7), mask="bool", mask_shape=(2, 1, 5, 6)),
    dict(qs=(2, 3, 5, 4), ks=(2, 3, 6, 4), vs=(2, 3, 6, 7), mask="float", mask_shape=(3, 1, 6)),
    dict(qs=(2, 3, 5, 4), ks=(2, 3, 6, 4), vs=(2, 3, 6, 7), mask="float", mask_shape=(2, 3, 5, 6)),
    dict(qs=(2, 3, 5, 4), ks=(2, 3, 6, 4), vs=(2, 3, 6, 7), scale=0.3),
    dict(qs=(5, 4), ks=(6, 4), vs=(6, 2)),
    dict(qs=(2, 1, 5, 4), ks=(3, 6, 4), vs=(1, 3, 6, 2)),   # broadcast batch dims
    dict(qs=(2, 4, 5, 4), ks=(2, 2, 6, 4), vs=(2, 2, 6, 3), enable_gqa=True),
])
def test_sdpa_matches_pytorch(rng, case):
    _sdpa_parity(rng, **case)


def test_sdpa_fully_masked_rows_are_zero_like_pytorch(rng):
    m = np.ones((5, 6), bool)
    m[2] = False
    q, tq = _pair(rng.standard_normal((2, 5, 4)))
    k, tk = _pair(rng.standard_normal((2, 6, 4)))
    v, tv = _pair(rng.standard_normal((2, 6, 3)))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=gg.tensor(m))
    tout = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(m))
    np.testing.assert_allclose(out.array, tout.detach().numpy(), **TOL)
    assert np.all(out.array[:, 2] == 0)
    out.sum().backward()
    tout.sum().backward()
    for a, b in ((q, tq), (k, tk), (v, tv)):
        np.testing.assert_allclose(a.grad.array, b.grad.numpy(), **TOL)


def test_sdpa_float32_matches_pytorch(rng):
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((4, 2, 16, 8), (4, 2, 16, 8), (4, 2, 16, 8))]
    g = [gg.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.scaled_dot_product_attention(*g, is_causal=True)
    tout = torch.nn.functional.scaled_dot_product_attention(*t, is_causal=True)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.array, tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    tout.sum().backward()
    for a, b in zip(g, t):
        np.testing.assert_allclose(a.grad.array, b.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_sdpa_gradcheck_and_double_backward(rng):
    q, k, v = (gg.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3, 2), (2, 4, 2), (2, 4, 3)))
    mask = gg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    fn = lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m)  # noqa: E731
    assert gradcheck(fn, (q, k, v, mask))
    assert gradgradcheck(fn, (q, k, v, mask))
    causal = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)  # noqa: E731
    assert gradcheck(causal, (q, k, v))
    assert gradgradcheck(causal, (q, k, v))


def test_sdpa_double_backward_matches_pytorch(rng):
    """A gradient penalty: d/dq of |dL/dk|² through create_graph=True."""
    arrays = [rng.standard_normal(s) for s in ((2, 5, 3), (2, 6, 3), (2, 6, 4))]
    m = rng.random((5, 6)) > 0.3
    g = [gg.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.scaled_dot_product_attention(*g, attn_mask=gg.tensor(m))
    tout = torch.nn.functional.scaled_dot_product_attention(*t, attn_mask=torch.tensor(m))
    w = rng.standard_normal(tout.shape)
    (gk,) = gg.autograd.grad((out * gg.tensor(w)).sum(), g[1], create_graph=True)
    (tk,) = torch.autograd.grad((tout * torch.tensor(w)).sum(), t[1], create_graph=True)
    (gk * gk).sum().backward()
    (tk * tk).sum().backward()
    for a, b in zip(g, t):
        np.testing.assert_allclose(a.grad.array, b.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_raw_and_differentiable_backward_agree(rng):
    arrays = [rng.standard_normal(s) for s in ((2, 5, 3), (2, 6, 3), (2, 6, 4))]
    mask = rng.standard_normal((5, 6))
    results = []
    for create_graph in (False, True):
        g = [gg.tensor(a, requires_grad=True) for a in arrays] + [gg.tensor(mask, requires_grad=True)]
        out = F.scaled_dot_product_attention(*g[:3], attn_mask=g[3])
        grads = gg.autograd.grad((out * out).sum(), g, create_graph=create_graph)
        results.append([x.array for x in grads])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_sdpa_dropout_statistics_and_consistency(rng):
    q = gg.tensor(np.zeros((1, 200, 4)), requires_grad=True)   # uniform weights 1/S over S=200 keys
    k = gg.tensor(rng.standard_normal((1, 200, 4)))
    v = gg.tensor(np.ones((1, 200, 1)), requires_grad=True)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25)
    # each output is (1/S)·Σ keep/(1-p): mean 1, and the fraction kept is 0.75 on average
    kept = out.array[0, :, 0] * 0.75
    assert abs(kept.mean() - 0.75) < 0.01
    assert abs(out.array.mean() - 1.0) < 0.015
    out.sum().backward()
    # dV = Σ_rows P ⊙ D: the same mask that made the output
    np.testing.assert_allclose(v.grad.array.sum(), out.array.sum(), rtol=1e-12)
    gg.manual_seed(3)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    gg.manual_seed(3)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    np.testing.assert_array_equal(a.array, b.array)
    z = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0)
    np.testing.assert_allclose(z.array, np.ones((1, 200, 1)), rtol=1e-12)


def test_sdpa_dropout_gradcheck_with_fixed_mask(rng):
    q, k, v = (gg.tensor(rng.standard_normal(s), requires_grad=True) for s in ((1, 3, 2), (1, 4, 2), (1, 4, 2)))

    def fn(q, k, v):
        gg.manual_seed(7)  # the same dropout mask at every evaluation
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)
    assert gradcheck(fn, (q, k, v))


def test_sdpa_errors(rng):
    q = gg.tensor(rng.standard_normal((2, 5, 4)))
    k = gg.tensor(rng.standard_normal((2, 6, 4)))
    v = gg.tensor(rng.standard_normal((2, 6, 3)))
    with pytest.raises(RuntimeError, match="at least 2 dims"):
        F.scaled_dot_product_attention(gg.tensor(np.ones(4)), k, v)
    with pytest.raises(RuntimeError, match="same feature size"):
        F.scaled_dot_product_attention(q, gg.tensor(rng.standard_normal((2, 6, 5))), v)
    with pytest.raises(RuntimeError, match="same sequence length"):
        F.scaled_dot_product_attention(q, k, gg.tensor(rng.standard_normal((2, 7, 3))))
    with pytest.raises(RuntimeError, match="does not broadcast"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=gg.tensor(np.ones((5, 5), bool)))
    with pytest.raises(TypeError, match="attn_mask of dtype bool"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=gg.tensor(np.ones((5, 6), np.int64)))
    with pytest.raises(TypeError, match="attn_mask of dtype bool"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=gg.tensor(np.ones((5, 6), np.float32)))
    with pytest.raises(RuntimeError, match="is_causal"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=gg.tensor(np.ones((5, 6), bool)), is_causal=True)
    with pytest.raises(TypeError, match="one dtype"):
        F.scaled_dot_product_attention(q.float(), k, v)
    with pytest.raises(ValueError, match="dropout_p"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)
    with pytest.raises(RuntimeError, match="batch dims"):
        F.scaled_dot_product_attention(gg.tensor(rng.standard_normal((3, 5, 4))), k, v)
