"""Shared helpers of the nn surface parity tests (tests/test_nn_surface_*.py): the same function
or layer run in glassgrad and PyTorch (float64) on the same arrays, comparing the outputs, every
input gradient and every parameter gradient; state_dicts moved both ways; gradcheck."""
import numpy as np
import torch

import glassgrad

TOL = dict(rtol=1e-9, atol=1e-10)


def _pair(a, grad):
    if a is None or not isinstance(a, np.ndarray):
        return a, a
    wants = grad and a.dtype.kind == "f"
    return (glassgrad.Tensor(a.copy(), requires_grad=wants), torch.tensor(a.copy(), requires_grad=wants))


def _outputs(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def check(gg_fn, torch_fn, arrays, rng, grad=True, tol=TOL, check_dtype=True, constant=()):
    """``gg_fn(*tensors)`` against ``torch_fn(*tensors)``: values, shapes and the gradients of
    every float input (but those at the positions in ``constant``) for a random output gradient.
    Non-array entries pass through unchanged. Returns the glassgrad input tensors."""
    pairs = [_pair(a, grad and i not in constant) for i, a in enumerate(arrays)]
    gs, ts = [p[0] for p in pairs], [p[1] for p in pairs]
    yg, yt = _outputs(gg_fn(*gs)), _outputs(torch_fn(*ts))
    assert len(yg) == len(yt)
    for a, b in zip(yg, yt):
        assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
        if check_dtype:
            assert str(a.dtype) == str(b.dtype).replace("torch.", ""), (a.dtype, b.dtype)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)
    if not grad:
        return gs
    diff = [(a, b) for a, b in zip(yg, yt) if b.requires_grad]
    if not diff:
        return gs
    dys = [rng.standard_normal(tuple(b.shape)) for _, b in diff]
    torch.autograd.backward([b for _, b in diff], [torch.tensor(d) for d in dys])
    glassgrad.autograd.backward([a for a, _ in diff], [glassgrad.Tensor(d.copy()) for d in dys])
    for g, t in zip(gs, ts):
        if isinstance(g, glassgrad.Tensor) and g.requires_grad:
            tg = np.zeros(tuple(t.shape)) if t.grad is None else t.grad.numpy()
            gg = np.zeros(tuple(g.shape)) if g.grad is None else g.grad.numpy()
            np.testing.assert_allclose(gg, tg, **tol)
    return gs


def to_torch_state(sd):
    return {k: torch.tensor(v.detach().numpy().copy()) for k, v in sd.items()}


def to_gg_state(sd):
    return {k: glassgrad.Tensor(v.detach().numpy().copy()) for k, v in sd.items()}


def check_module(gg_mod, torch_mod, arrays, rng, tol=TOL, grad=True):
    """The same layer in both frameworks: glassgrad's parameter names and shapes are PyTorch's,
    PyTorch's state_dict loads into glassgrad (strict) and back, and with the same weights the
    outputs, input gradients and parameter gradients agree."""
    gg_mod.double()
    torch_mod.double()
    gsd, tsd = gg_mod.state_dict(), torch_mod.state_dict()
    assert list(gsd) == list(tsd)
    for k in tsd:
        assert tuple(gsd[k].shape) == tuple(tsd[k].shape), k
    gg_mod.load_state_dict(to_gg_state(tsd))
    torch_mod.load_state_dict(to_torch_state(gg_mod.state_dict()))
    check(gg_mod, torch_mod, arrays, rng, grad=grad, tol=tol)
    if grad:
        gp, tp = dict(gg_mod.named_parameters()), dict(torch_mod.named_parameters())
        assert list(gp) == list(tp)
        for k in tp:
            if tp[k].grad is not None or gp[k].grad is not None:
                np.testing.assert_allclose(gp[k].grad.numpy(), tp[k].grad.numpy(), err_msg=k, **tol)
    for k, v in torch_mod.state_dict().items():  # buffers updated the same way (running stats)
        np.testing.assert_allclose(gg_mod.state_dict()[k].numpy(), v.numpy(), err_msg=k, **tol)


def gradcheck(fn, arrays, constant=(), **kw):
    """glassgrad's gradcheck (float64 finite differences) of ``fn`` in its float inputs (but
    those at the positions in ``constant``)."""
    xs = [glassgrad.Tensor(a.copy(), requires_grad=a.dtype.kind == "f" and i not in constant)
          if isinstance(a, np.ndarray) else a for i, a in enumerate(arrays)]
    assert glassgrad.autograd.gradcheck(fn, tuple(xs), **kw)
