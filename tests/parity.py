"""Shared helpers of the parity tests: random inputs for both frameworks."""
import numpy as np


def random_arrays(shapes, rng, dtype, noncontig):
    """Standard-normal arrays of ``shapes``; with ``noncontig``, strided views (every other element
    of a bigger buffer) so that ops see non-contiguous inputs."""
    out = []
    for s in shapes:
        if noncontig and len(s) > 0:
            out.append(rng.standard_normal(tuple(s) + (2,)).astype(dtype)[..., 0])
        else:
            out.append(np.asarray(rng.standard_normal(s)).astype(dtype))
    return out


def as_tuple(out):
    """An op's result as a tuple of outputs."""
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}


def check_parity(fn, shapes, rng, dtype=np.float64, noncontig=False, namespaces=None):
    """Same outputs (values, shapes, dtypes) and input gradients as PyTorch for a random output
    gradient. ``fn(ns, *inputs)`` is called with ``ns`` = torch, then glassgrad (or the two
    namespaces given)."""
    import torch

    import glassgrad
    torch_ns, gg_ns = namespaces or (torch, glassgrad)
    arrays = random_arrays(shapes, rng, dtype, noncontig)
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    xg = [glassgrad.Tensor(a, requires_grad=True) for a in arrays]
    if noncontig:
        assert all(not x.is_contiguous() for x in xg if x.numel() > 1)
    yt, yg = as_tuple(fn(torch_ns, *xt)), as_tuple(fn(gg_ns, *xg))
    assert len(yt) == len(yg)
    tol = TOL[dtype]
    for a, b in zip(yg, yt):
        assert a.shape == tuple(b.shape)
        assert str(a.dtype) == str(b.dtype).replace("torch.", "")
        np.testing.assert_allclose(a.array, b.detach().numpy(), **tol)
    gs = [rng.standard_normal(b.shape).astype(dtype) for b in yt]
    torch.autograd.backward(list(yt), [torch.tensor(g) for g in gs])
    glassgrad.autograd.backward(list(yg), [glassgrad.Tensor(g.copy()) for g in gs])
    for a, b in zip(xg, xt):
        tg = np.zeros(b.shape, dtype) if b.grad is None else b.grad.numpy()
        gg = np.zeros(a.shape, dtype) if a.grad is None else a.grad.array
        assert gg.shape == tg.shape and gg.dtype == tg.dtype
        np.testing.assert_allclose(gg, tg, **tol)


LAYER_TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=1e-5, atol=1e-5)}


def check_layer_parity(gg_fn, torch_fn, arrays, dtype, rng, tol=LAYER_TOL):
    """Forward and every input gradient of ``gg_fn`` against ``torch_fn`` on the same arrays
    (``None`` entries stay None: an absent bias), for a random output gradient."""
    import torch

    import glassgrad
    arrays = [None if a is None else a.astype(dtype) for a in arrays]
    ts = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    gs = [None if a is None else glassgrad.Tensor(a.copy(), requires_grad=True) for a in arrays]
    yt, y = torch_fn(*ts), gg_fn(*gs)
    assert y.dtype == dtype and y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y.array, yt.detach().numpy(), **tol[dtype])
    dy = rng.standard_normal(yt.shape).astype(dtype)
    yt.backward(torch.tensor(dy))
    y.backward(glassgrad.Tensor(dy))
    for g, t in zip(gs, ts):
        if g is not None:
            assert g.grad.dtype == dtype
            np.testing.assert_allclose(g.grad.array, t.grad.numpy(), **tol[dtype])
