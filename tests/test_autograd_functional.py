"""autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp) against torch.autograd.functional
in float64: single and tuple inputs/outputs, create_graph, strict, forward-mode jacobian."""
import numpy as np
import pytest
import torch

import glassgrad as gg
from glassgrad.autograd import functional as AF

rng = np.random.default_rng(1)
A, B = rng.standard_normal((3, 4)), rng.standard_normal(4)


def f_single(m):
    return lambda x: (x.tanh() @ m.tensor(B)) * x.exp().sum(1)


def f_pair(m):
    return lambda x, y: ((x * y).sin().sum(1), (x @ y).exp())


def scalar(m):
    return lambda x, y: (x.tanh() @ y).pow(2).sum() + (x * x).sum() * y.sum()


def _close(ours, ref, rtol=1e-10):
    if isinstance(ref, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(ref)
        for o, r in zip(ours, ref):
            _close(o, r, rtol)
    else:
        assert tuple(ours.shape) == tuple(ref.shape)
        np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_jacobian_matches_torch(strategy):
    vec = strategy == "forward-mode"
    _close(AF.jacobian(f_single(gg), gg.tensor(A), strategy=strategy),
           torch.autograd.functional.jacobian(f_single(torch), torch.tensor(A), strategy=strategy, vectorize=vec))
    _close(AF.jacobian(f_pair(gg), (gg.tensor(A), gg.tensor(B)), strategy=strategy),
           torch.autograd.functional.jacobian(f_pair(torch), (torch.tensor(A), torch.tensor(B)), strategy=strategy,
                                              vectorize=vec))


def test_hessian_vjp_jvp_hvp_vhp_match_torch():
    ours_in, ref_in = (gg.tensor(A), gg.tensor(B)), (torch.tensor(A), torch.tensor(B))
    _close(AF.hessian(scalar(gg), ours_in), torch.autograd.functional.hessian(scalar(torch), ref_in))
    _close(AF.hessian(lambda x: (x.sin() * x).sum(), gg.tensor(B)),
           torch.autograd.functional.hessian(lambda x: (x.sin() * x).sum(), torch.tensor(B)))
    v_out = (rng.standard_normal(3), rng.standard_normal(3))
    _close(AF.vjp(f_pair(gg), ours_in, tuple(gg.tensor(v) for v in v_out)),
           torch.autograd.functional.vjp(f_pair(torch), ref_in, tuple(torch.tensor(v) for v in v_out)))
    v_in = (rng.standard_normal((3, 4)), rng.standard_normal(4))
    _close(AF.jvp(f_pair(gg), ours_in, tuple(gg.tensor(v) for v in v_in)),
           torch.autograd.functional.jvp(f_pair(torch), ref_in, tuple(torch.tensor(v) for v in v_in)))
    for name in ("hvp", "vhp"):
        _close(getattr(AF, name)(scalar(gg), ours_in, tuple(gg.tensor(v) for v in v_in)),
               getattr(torch.autograd.functional, name)(scalar(torch), ref_in, tuple(torch.tensor(v) for v in v_in)))


def test_create_graph_makes_results_differentiable():
    x, tx = gg.tensor(B, requires_grad=True), torch.tensor(B, requires_grad=True)
    h = AF.hessian(lambda t: (t.exp() * t).sum(), x, create_graph=True)
    th = torch.autograd.functional.hessian(lambda t: (t.exp() * t).sum(), tx, create_graph=True)
    h.sum().backward()
    th.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
    _, jv = AF.jvp(lambda t: t.sin(), x, gg.ones(4), create_graph=True)
    assert jv.requires_grad
    _, tjv = AF.jvp(lambda t: t.sin(), x.detach(), gg.ones(4))
    assert not tjv.requires_grad


def test_unused_inputs_give_zeros_or_a_strict_error():
    f = lambda x, y: x * 2   # noqa: E731
    jac = AF.jacobian(f, (gg.tensor(B), gg.tensor(B)))
    assert np.all(jac[1].numpy() == 0)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.jacobian(f, (gg.tensor(B), gg.tensor(B)), strict=True)
    with pytest.raises(RuntimeError, match="v can only be None"):
        AF.vjp(lambda x: x * 2, gg.tensor(B))
    with pytest.raises(RuntimeError, match="single element"):
        AF.hessian(lambda x: x * 2, gg.tensor(B))
    with pytest.raises(TypeError, match="must be a Tensor"):
        AF.jacobian(f, (gg.tensor(B), 3.0))
    with pytest.raises(ValueError, match="strategy"):
        AF.jacobian(f, gg.tensor(B), strategy="sideways")
