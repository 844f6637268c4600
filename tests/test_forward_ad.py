"""autograd.forward_ad (dual numbers) against torch.autograd.forward_ad in float64, op family by op
family, plus the level rules and reverse mode through a tangent."""
import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfw

import glassgrad as gg
import glassgrad.nn.functional as F
from glassgrad.autograd import forward_ad as fw

rng = np.random.default_rng(3)
X, T = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
Y, U = rng.standard_normal((3, 4)) + 2.5, rng.standard_normal((3, 4))
M = rng.standard_normal((4, 2))

# each: function of (namespace, functional namespace) -> f(x, y) with y positive
OPS = {
    "add_sub_mul_div": lambda m, f: lambda x, y: (x + y) * (x - 2 * y) / y - 1 / y,
    "pow": lambda m, f: lambda x, y: y ** x + x ** 3 + y ** 0.5,
    "unary": lambda m, f: lambda x, y: x.exp() + x.tanh() + x.sigmoid() + y.log() + y.sqrt() + x.sin() * x.cos(),
    "activations": lambda m, f: lambda x, y: f.relu(x) + f.gelu(x) + f.silu(x) + f.softplus(x) + f.elu(x) + x.abs(),
    "maximum_where": lambda m, f: lambda x, y: m.maximum(x, y - 2.5) + m.where(x > 0, x * y, -x),
    "clamp": lambda m, f: lambda x, y: x.clamp(-0.5, 0.5) * y,
    "matmul": lambda m, f: lambda x, y: (x @ m.tensor(M)) @ (y @ m.tensor(M)).t() + x[0] @ y[1],
    "sum_mean": lambda m, f: lambda x, y: x.sum(0) * y.mean(1, keepdim=True) + (x * y).sum(),
    "var_std": lambda m, f: lambda x, y: x.var(1) + y.std(0).sum() + x.var(),
    "softmax_logsumexp": lambda m, f: lambda x, y: x.softmax(-1) * y + f.log_softmax(y * x, 0) + x.logsumexp(1, keepdim=True),
    "max_amax": lambda m, f: lambda x, y: x.max(1).values + y.amax(0).sum() + x.max(),
    "shape": lambda m, f: lambda x, y: m.cat([x.t().reshape(3, 4), y.flip(0)], 1)[1:, ::2].unsqueeze(0).expand(2, 2, 4),
    "stack_split": lambda m, f: lambda x, y: m.stack(x.split(1, 0)) * y.cumsum(1),
    "cast": lambda m, f: lambda x, y: x.float().double() * y,
}


@pytest.mark.parametrize("name", list(OPS))
def test_tangents_match_torch(name):
    with fw.dual_level():
        x = fw.make_dual(gg.tensor(X), gg.tensor(T))
        y = fw.make_dual(gg.tensor(Y), gg.tensor(U))
        primal, tangent = fw.unpack_dual(OPS[name](gg, F)(x, y))
    with tfw.dual_level():
        x = tfw.make_dual(torch.tensor(X), torch.tensor(T))
        y = tfw.make_dual(torch.tensor(Y), torch.tensor(U))
        tprimal, ttangent = tfw.unpack_dual(OPS[name](torch, torch.nn.functional)(x, y))
    np.testing.assert_allclose(primal.numpy(), tprimal.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tangent.numpy(), ttangent.numpy(), rtol=1e-10, atol=1e-12)


def test_level_rules_and_cleanup():
    with pytest.raises(RuntimeError, match="outside a dual level"):
        fw.make_dual(gg.zeros(2), gg.ones(2))
    with fw.dual_level():
        with pytest.raises(RuntimeError, match="nested forward mode"):
            fw.enter_dual_level()
        with pytest.raises(RuntimeError, match="shape"):
            fw.make_dual(gg.zeros(2), gg.ones(3))
        with pytest.raises(ValueError, match="floating point"):
            fw.make_dual(gg.tensor([1, 2]), gg.ones(2))
        dual = fw.make_dual(gg.zeros(2, dtype=gg.float64), gg.ones(2, dtype=gg.float64))
        out = dual * 3
        assert fw.unpack_dual(out).tangent is not None
        assert fw.unpack_dual(gg.zeros(2)).tangent is None
        assert fw.unpack_dual(fw.unpack_dual(out).primal).tangent is None
    assert fw.unpack_dual(out).tangent is None   # dropped with the level
    with pytest.raises(RuntimeError, match="no jvp rule"), fw.dual_level():
        fw.make_dual(gg.ones(3), gg.ones(3)).prod()


def test_reverse_mode_through_a_tangent():
    x, tx = gg.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    with fw.dual_level():
        _, t = fw.unpack_dual((fw.make_dual(x, gg.tensor(T)).sin() * x).sum())
    with tfw.dual_level():
        _, tt = tfw.unpack_dual((tfw.make_dual(tx, torch.tensor(T)).sin() * tx).sum())
    t.backward()
    tt.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
