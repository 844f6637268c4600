"""glassgrad.func transforms against torch.func in float64: grad/grad_and_value (argnums, has_aux,
trees), vjp, jvp, jacrev, jacfwd, hessian, composition, functional_call."""
import numpy as np
import pytest
import torch

import glassgrad as gg
from glassgrad import func

rng = np.random.default_rng(2)
A, B = rng.standard_normal((3, 4)), rng.standard_normal(4)


def loss(m):
    return lambda x, y: ((x.tanh() @ y) ** 2).sum() + (x.sin() * y).mean()


def _close(ours, ref, rtol=1e-10):
    if isinstance(ref, dict):
        assert set(ours) == set(ref)
        for k in ref:
            _close(ours[k], ref[k], rtol)
    elif isinstance(ref, (tuple, list)):
        assert len(ours) == len(ref)
        for o, r in zip(ours, ref):
            _close(o, r, rtol)
    elif isinstance(ref, torch.Tensor):
        assert tuple(ours.shape) == tuple(ref.shape)
        np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=rtol, atol=1e-12)
    else:
        assert ours == ref


def _args():
    return (gg.tensor(A), gg.tensor(B)), (torch.tensor(A), torch.tensor(B))


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_grad_and_value_match_torch(argnums):
    ours, ref = _args()
    _close(func.grad(loss(gg), argnums)(*ours), torch.func.grad(loss(torch), argnums)(*ref))
    _close(func.grad_and_value(loss(gg), argnums)(*ours), torch.func.grad_and_value(loss(torch), argnums)(*ref))


def test_has_aux_and_tree_arguments():
    def f(p, x):
        y = (p["w"] @ x).tanh() + p["b"]
        return y.sum(), {"y": y}
    ours = func.grad(f, has_aux=True)({"w": gg.tensor(A), "b": gg.tensor(A[:, 0])}, gg.tensor(B))
    ref = torch.func.grad(f, has_aux=True)({"w": torch.tensor(A), "b": torch.tensor(A[:, 0])}, torch.tensor(B))
    _close(ours, ref)


def test_grad_of_grad_and_hessian():
    f = lambda x: (x.sin() * x.exp()).sum()   # noqa: E731
    _close(func.grad(lambda x: func.grad(f)(x).pow(2).sum())(gg.tensor(B)),
           torch.func.grad(lambda x: torch.func.grad(f)(x).pow(2).sum())(torch.tensor(B)))
    ours, ref = _args()
    _close(func.hessian(loss(gg), (0, 1))(*ours), torch.func.hessian(loss(torch), (0, 1))(*ref))


def test_vjp_and_jvp_match_torch():
    f = lambda x, y: (x @ y, x.exp().sum(0) * y)   # noqa: E731
    ours, ref = _args()
    out, fn = func.vjp(f, *ours)
    tout, tfn = torch.func.vjp(f, *ref)
    _close(out, tout)
    ct = (rng.standard_normal(3), rng.standard_normal(4))
    _close(fn(tuple(gg.tensor(c) for c in ct)), tfn(tuple(torch.tensor(c) for c in ct)))
    _close(fn(tuple(gg.tensor(c * 2) for c in ct)), tfn(tuple(torch.tensor(c * 2) for c in ct)))   # reusable
    tangents = (rng.standard_normal((3, 4)), rng.standard_normal(4))
    _close(func.jvp(f, ours, tuple(gg.tensor(t) for t in tangents)),
           torch.func.jvp(f, ref, tuple(torch.tensor(t) for t in tangents)))


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
def test_jacobians_match_torch(transform):
    f = lambda x, y: (x.tanh() @ y, (x * x).sum(1).softmax(0))   # noqa: E731
    ours, ref = _args()
    for argnums in (0, (0, 1)):
        _close(getattr(func, transform)(f, argnums)(*ours), getattr(torch.func, transform)(f, argnums)(*ref))
    g = lambda x: (x.exp() @ x.t()).logsumexp(1)   # noqa: E731
    _close(getattr(func, transform)(g)(gg.tensor(A)), getattr(torch.func, transform)(g)(torch.tensor(A)))


def test_transform_errors():
    with pytest.raises(RuntimeError, match="scalar"):
        func.grad(lambda x: x * 2)(gg.tensor(B))
    with pytest.raises(RuntimeError, match="argnums"):
        func.grad(lambda x: x.sum(), argnums=3)(gg.tensor(B))
    with pytest.raises(RuntimeError, match="floating point"):
        func.grad(lambda x: x.sum())(gg.tensor([1, 2]))
    _, fn = func.vjp(lambda x: x * 2, gg.tensor(B))
    with pytest.raises(RuntimeError, match="shape"):
        fn(gg.ones(3))
    with pytest.raises(RuntimeError, match="Prod has no jvp rule"):
        func.jacfwd(lambda x: x.prod())(gg.tensor(B))


def _models():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 2)).double()
    m = gg.nn.Sequential(gg.nn.Linear(4, 3), gg.nn.BatchNorm1d(3), gg.nn.Linear(3, 2)).double()
    m.load_state_dict({k: gg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return m, tm


def test_functional_call_matches_torch_and_leaves_the_module_unchanged():
    m, tm = _models()
    m.eval(), tm.eval()
    x = rng.standard_normal((5, 4))
    new = {"0.weight": rng.standard_normal((3, 4)), "1.running_mean": rng.standard_normal(3)}
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    ours = func.functional_call(m, {k: gg.tensor(v) for k, v in new.items()}, (gg.tensor(x),))
    ref = torch.func.functional_call(tm, {k: torch.tensor(v) for k, v in new.items()}, (torch.tensor(x),))
    _close(ours, ref)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    # gradients with respect to the given tensors
    params = {k: v.detach() for k, v in m.named_parameters()}
    tparams = {k: v.detach() for k, v in tm.named_parameters()}
    _close(func.grad(lambda p: func.functional_call(m, p, gg.tensor(x)).pow(2).sum())(params),
           torch.func.grad(lambda p: torch.func.functional_call(tm, p, torch.tensor(x)).pow(2).sum())(tparams))
    with pytest.raises(RuntimeError, match="Missing key"):
        func.functional_call(m, {"0.weight": gg.tensor(new["0.weight"])}, (gg.tensor(x),), strict=True)
    with pytest.raises(ValueError, match="multiple dictionaries"):
        func.functional_call(m, ({"0.bias": gg.zeros(3)}, {"0.bias": gg.ones(3)}), (gg.tensor(x),))


def _tied(nn):
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 3, bias=False), nn.Linear(3, 3, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x).tanh())
    return Tied().double()


def test_functional_call_ties_weights_like_torch():
    tm, m = _tied(torch.nn), _tied(gg.nn)
    m.a.weight.data = gg.tensor(tm.a.weight.detach().numpy())
    w, x = rng.standard_normal((3, 3)), rng.standard_normal((2, 3))
    for tie in (True, False):
        ours = func.functional_call(m, {"a.weight": gg.tensor(w)}, (gg.tensor(x),), tie_weights=tie)
        ref = torch.func.functional_call(tm, {"a.weight": torch.tensor(w)}, (torch.tensor(x),), tie_weights=tie)
        _close(ours, ref)
