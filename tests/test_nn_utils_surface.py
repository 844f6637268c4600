"""nn.utils against PyTorch: weight_norm / spectral_norm (hook forms and parametrizations: same
weights, outputs, gradients and state_dict keys, from the same weights and power-iteration
vectors), parametrize (register/remove/is_parametrized/cached, right_inverse), prune
(l1_unstructured, random_unstructured, iterative pruning, global_unstructured, remove, is_pruned)
and stateless.functional_call."""
import numpy as np
import pytest
import torch
import torch.nn.utils.prune  # noqa: F401  (PyTorch does not import it with torch.nn.utils)

import glassgrad
from glassgrad.nn.utils import parametrizations as gpar
from glassgrad.nn.utils import parametrize, prune, stateless

gnn, tnn = glassgrad.nn, torch.nn
pytestmark = pytest.mark.filterwarnings("ignore:`torch.nn.utils.(weight|spectral)_norm` is deprecated")
RTOL = 1e-12


def _pair(kind="linear", seed=0):
    rng = np.random.default_rng(seed)
    if kind == "linear":
        g, t = gnn.Linear(4, 3).double(), tnn.Linear(4, 3).double()
    elif kind == "conv":
        g, t = gnn.Conv2d(2, 3, 3).double(), tnn.Conv2d(2, 3, 3).double()
    else:
        g, t = gnn.ConvTranspose2d(2, 3, 3).double(), tnn.ConvTranspose2d(2, 3, 3).double()
    for (name, gp), (_, tp) in zip(g.named_parameters(), t.named_parameters()):
        value = rng.standard_normal(tuple(tp.shape))
        gp.array[...] = value
        with torch.no_grad():
            tp.copy_(torch.tensor(value))
    return g, t


def _input(kind, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 4) if kind == "linear" else (2, 2, 5, 5))
    return glassgrad.tensor(x), torch.tensor(x)


def _grads_match(g, t):
    gnamed, tnamed = dict(g.named_parameters()), dict(t.named_parameters())
    assert gnamed.keys() == tnamed.keys()
    for name, tp in tnamed.items():
        np.testing.assert_allclose(gnamed[name].grad.array, tp.grad.numpy(), rtol=1e-11, atol=1e-13, err_msg=name)


def _forward_backward_match(g, t, kind):
    gx, tx = _input(kind)
    gy, ty = g(gx), t(tx)
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=RTOL, atol=1e-13)
    (gy ** 2).sum().backward()
    (ty ** 2).sum().backward()
    _grads_match(g, t)


# ---- weight norm --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,dim", [("linear", 0), ("linear", 1), ("linear", None), ("conv", 0), ("conv", 2)])
def test_weight_norm_hook_matches_torch(kind, dim):
    g, t = _pair(kind)
    gnn.utils.weight_norm(g, dim=dim)
    tnn.utils.weight_norm(t, dim=dim)
    assert sorted(g.state_dict()) == sorted(t.state_dict())
    np.testing.assert_allclose(g.weight_g.array, t.weight_g.detach().numpy(), rtol=RTOL)
    _forward_backward_match(g, t, kind)
    gnn.utils.remove_weight_norm(g)
    tnn.utils.remove_weight_norm(t)
    assert sorted(g.state_dict()) == sorted(t.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(g.weight.array, t.weight.detach().numpy(), rtol=RTOL)


@pytest.mark.parametrize("kind,dim", [("linear", 0), ("linear", None), ("conv", 1)])
def test_weight_norm_parametrization_matches_torch(kind, dim):
    g, t = _pair(kind)
    gpar.weight_norm(g, dim=dim)
    tnn.utils.parametrizations.weight_norm(t, dim=dim)
    assert sorted(g.state_dict()) == sorted(t.state_dict())
    assert type(g).__name__ == type(t).__name__ == f"Parametrized{'Linear' if kind == 'linear' else 'Conv2d'}"
    _forward_backward_match(g, t, kind)
    # a weight assigned goes back through right_inverse into (g, v)
    new = np.random.default_rng(5).standard_normal(tuple(t.weight.shape))
    g.weight = glassgrad.tensor(new)
    with torch.no_grad():
        t.weight = torch.tensor(new)
    for key, value in t.state_dict().items():
        np.testing.assert_allclose(g.state_dict()[key].array, value.numpy(), rtol=RTOL, err_msg=key)
    parametrize.remove_parametrizations(g, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(t, "weight")
    assert type(g) is (gnn.Linear if kind == "linear" else gnn.Conv2d)
    assert sorted(g.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(g.weight.array, t.weight.detach().numpy(), rtol=RTOL)


# ---- spectral norm ------------------------------------------------------------------------------
def _copy_buffers(g, t, names):
    for gname, tname in names:
        g.get_buffer(gname).array[...] = t.get_buffer(tname).numpy()


@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
def test_spectral_norm_hook_matches_torch(kind):
    g, t = _pair(kind)
    gnn.utils.spectral_norm(g, n_power_iterations=2)
    tnn.utils.spectral_norm(t, n_power_iterations=2)
    assert sorted(g.state_dict()) == sorted(t.state_dict())
    _copy_buffers(g, t, [("weight_u", "weight_u"), ("weight_v", "weight_v")])
    for step in range(3):  # training mode: power iteration at each forward
        for m in (g, t):
            m.zero_grad()
        _forward_backward_match(g, t, kind if kind != "convT" else "conv")
        np.testing.assert_allclose(g.weight_u.array, t.weight_u.numpy(), rtol=1e-10)
    g.eval()
    t.eval()
    for m in (g, t):
        m.zero_grad()
    _forward_backward_match(g, t, kind if kind != "convT" else "conv")
    gnn.utils.remove_spectral_norm(g)
    tnn.utils.remove_spectral_norm(t)
    np.testing.assert_allclose(g.weight.array, t.weight.detach().numpy(), rtol=1e-11)


@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_spectral_norm_parametrization_matches_torch(kind):
    g, t = _pair(kind)
    gpar.spectral_norm(g)
    tnn.utils.parametrizations.spectral_norm(t)
    assert sorted(g.state_dict()) == sorted(t.state_dict())
    names = [("parametrizations.weight.0._u",) * 2, ("parametrizations.weight.0._v",) * 2]
    _copy_buffers(g, t, names)
    for _ in range(3):
        for m in (g, t):
            m.zero_grad()
        _forward_backward_match(g, t, kind)


def test_spectral_norm_of_a_vector_is_its_direction():
    m = gnn.Module()
    m.w = gnn.Parameter(glassgrad.tensor([3.0, 4.0], dtype=glassgrad.float64))
    gpar.spectral_norm(m, "w")
    np.testing.assert_allclose(m.w.array, [0.6, 0.8])


# ---- parametrize ---------------------------------------------------------------------------------
class Symmetric(gnn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(0, 1)

    def right_inverse(self, a):
        return a.triu()


class TSymmetric(tnn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(0, 1)

    def right_inverse(self, a):
        return a.triu()


class Scale(gnn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return x * self.c


def test_register_parametrization_matches_torch_and_chains():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    g, t = gnn.Linear(3, 3).double(), tnn.Linear(3, 3).double()
    g.weight.array[...] = a
    with torch.no_grad():
        t.weight.copy_(torch.tensor(a))
        t.bias.copy_(torch.tensor(g.bias.array))
    parametrize.register_parametrization(g, "weight", Symmetric())
    torch.nn.utils.parametrize.register_parametrization(t, "weight", TSymmetric())
    np.testing.assert_allclose(g.weight.array, t.weight.detach().numpy(), rtol=RTOL)
    np.testing.assert_allclose(g.weight.array, g.weight.array.T)
    assert parametrize.is_parametrized(g) and parametrize.is_parametrized(g, "weight")
    assert not parametrize.is_parametrized(g, "bias")
    assert parametrize.type_before_parametrizations(g) is gnn.Linear
    x = rng.standard_normal((2, 3))
    gy, ty = g(glassgrad.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=RTOL)
    (gy ** 2).sum().backward()
    (ty ** 2).sum().backward()
    np.testing.assert_allclose(g.parametrizations.weight.original.grad.array,
                               t.parametrizations.weight.original.grad.numpy(), rtol=1e-11)
    # a second parametrization chains after the first
    scale = Scale(2.0)
    parametrize.register_parametrization(g, "weight", scale)
    np.testing.assert_allclose(g.weight.array, 2 * t.weight.detach().numpy(), rtol=RTOL)
    with parametrize.cached():
        calls = scale.calls
        g.weight
        g.weight
        assert scale.calls == calls + 1  # computed once inside cached()
    parametrize.remove_parametrizations(g, "weight", leave_parametrized=False)
    assert type(g) is gnn.Linear and isinstance(g.weight, gnn.Parameter)
    np.testing.assert_allclose(g.weight.array, np.triu(a))  # the original (right_inverse of a)


def test_original_parameter_keeps_its_identity_for_optimizers():
    g = gnn.Linear(3, 3)
    w = g.weight
    opt = glassgrad.optim.SGD(g.parameters(), lr=0.1)
    parametrize.register_parametrization(g, "weight", Symmetric())
    assert g.parametrizations.weight.original is w
    (g(glassgrad.ones(1, 3)) ** 2).sum().backward()
    opt.step()  # the optimizer still updates the original
    assert w.grad is not None


def test_parametrize_errors():
    g = gnn.Linear(3, 2)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
        parametrize.register_parametrization(g, "nope", Scale(1.0))
    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(g, "weight", gnn.Linear(3, 1))
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(g, "weight")
    with pytest.raises(TypeError, match="nn.Module"):
        parametrize.register_parametrization(g, "weight", lambda x: x)


# ---- prune -------------------------------------------------------------------------------------
def _distinct(shape, seed):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n) + 1.0).reshape(shape) * rng.choice([-1, 1], size=shape) / n


@pytest.mark.parametrize("amount", [0.3, 5, 0, 1.0])
def test_l1_unstructured_matches_torch(amount):
    g, t = _pair("linear")
    w = _distinct((3, 4), 0)
    g.weight.array[...] = w
    with torch.no_grad():
        t.weight.copy_(torch.tensor(w))
    prune.l1_unstructured(g, "weight", amount=amount)
    tnn.utils.prune.l1_unstructured(t, "weight", amount=amount)
    assert sorted(g.state_dict()) == sorted(t.state_dict()) == ["bias", "weight_mask", "weight_orig"]
    np.testing.assert_array_equal(g.weight_mask.array, t.weight_mask.numpy())
    _forward_backward_match(g, t, "linear")
    assert prune.is_pruned(g)


def test_iterative_pruning_and_remove_match_torch():
    g, t = _pair("linear")
    w = _distinct((3, 4), 1)
    g.weight.array[...] = w
    with torch.no_grad():
        t.weight.copy_(torch.tensor(w))
    for amount in (0.25, 3, 0.5):  # each prunes among the entries still alive
        prune.l1_unstructured(g, "weight", amount=amount)
        tnn.utils.prune.l1_unstructured(t, "weight", amount=amount)
        np.testing.assert_array_equal(g.weight_mask.array, t.weight_mask.numpy())
    assert int((g.weight_mask.array == 0).sum()) == 3 + 3 + 3
    assert isinstance(next(iter(g._forward_pre_hooks.values())), prune.PruningContainer)
    prune.remove(g, "weight")
    tnn.utils.prune.remove(t, "weight")
    assert sorted(g.state_dict()) == ["bias", "weight"] and not prune.is_pruned(g)
    np.testing.assert_array_equal(g.weight.array, t.weight.detach().numpy())


def test_importance_scores_and_global_unstructured_match_torch():
    gm = gnn.Sequential(gnn.Linear(4, 3), gnn.Linear(3, 2)).double()
    tm = tnn.Sequential(tnn.Linear(4, 3), tnn.Linear(3, 2)).double()
    for i, (gp, tp) in enumerate(zip(gm.parameters(), tm.parameters())):
        v = _distinct(tuple(tp.shape), 10 + i) * (i + 1)
        gp.array[...] = v
        with torch.no_grad():
            tp.copy_(torch.tensor(v))
    gparams = [(gm[0], "weight"), (gm[1], "weight")]
    tparams = [(tm[0], "weight"), (tm[1], "weight")]
    prune.global_unstructured(gparams, pruning_method=prune.L1Unstructured, amount=0.4)
    tnn.utils.prune.global_unstructured(tparams, pruning_method=tnn.utils.prune.L1Unstructured, amount=0.4)
    for (gmod, _), (tmod, _) in zip(gparams, tparams):
        np.testing.assert_array_equal(gmod.weight_mask.array, tmod.weight_mask.numpy())
    scores = _distinct((2,), 3)
    prune.l1_unstructured(gm[1], "bias", amount=1, importance_scores=glassgrad.tensor(scores))
    tnn.utils.prune.l1_unstructured(tm[1], "bias", amount=1, importance_scores=torch.tensor(scores))
    np.testing.assert_array_equal(gm[1].bias_mask.array, tm[1].bias_mask.numpy())


def test_random_unstructured_prunes_the_requested_count():
    glassgrad.manual_seed(0)
    g = gnn.Linear(10, 10)
    prune.random_unstructured(g, "weight", amount=0.3)
    mask = g.weight_mask.array
    assert int((mask == 0).sum()) == 30
    np.testing.assert_array_equal(g.weight.array, g.weight_orig.array * mask)
    (g(glassgrad.ones(1, 10)).sum()).backward()
    assert np.all(g.weight_orig.grad.array[mask == 0] == 0)  # pruned entries get no gradient


def test_prune_errors():
    g = gnn.Linear(2, 2)
    with pytest.raises(ValueError, match="should either be a float in the range"):
        prune.l1_unstructured(g, "weight", amount=1.5)
    with pytest.raises(ValueError, match="smaller than the number of parameters"):
        prune.l1_unstructured(g, "weight", amount=10)
    with pytest.raises(TypeError, match="Must be int or float"):
        prune.random_unstructured(g, "bias", amount="half")
    with pytest.raises(ValueError, match="has to be pruned before"):
        prune.remove(gnn.Linear(2, 2), "weight")


# ---- stateless.functional_call -----------------------------------------------------------------
def test_functional_call_matches_torch_and_leaves_the_module_alone():
    gm = gnn.Sequential(gnn.Linear(3, 4), gnn.BatchNorm1d(4), gnn.Tanh(), gnn.Linear(4, 2)).double()
    tm = tnn.Sequential(tnn.Linear(3, 4), tnn.BatchNorm1d(4), tnn.Tanh(), tnn.Linear(4, 2)).double()
    rng = np.random.default_rng(0)
    new = {name: rng.standard_normal(tuple(p.shape)) for name, p in tm.named_parameters()}
    new["1.running_mean"] = rng.standard_normal(4)
    before = {k: v.array.copy() for k, v in gm.state_dict().items()}
    x = rng.standard_normal((5, 3))
    gm.eval()
    tm.eval()
    gd = {k: glassgrad.tensor(v, requires_grad="running" not in k) for k, v in new.items()}
    td = {k: torch.tensor(v, requires_grad="running" not in k) for k, v in new.items()}
    gy = stateless.functional_call(gm, gd, (glassgrad.tensor(x),))
    ty = torch.func.functional_call(tm, td, (torch.tensor(x),))
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=RTOL)
    (gy ** 2).sum().backward()
    (ty ** 2).sum().backward()
    for k in new:
        if k != "1.running_mean":
            np.testing.assert_allclose(gd[k].grad.array, td[k].grad.numpy(), rtol=1e-11, err_msg=k)
    for k, v in gm.state_dict().items():  # the module's own tensors are back and unchanged
        np.testing.assert_array_equal(v.array, before[k])
    assert gm[0].weight.grad is None


def test_functional_call_options():
    m = gnn.Linear(2, 2, bias=False)
    m.other = m.weight  # tied
    w = glassgrad.ones(2, 2)
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append(mod.other is w))
    out = stateless.functional_call(m, ({"weight": w},), glassgrad.tensor([[1.0, 2.0]]))
    assert out.tolist() == [[3.0, 3.0]] and seen == [True]
    stateless.functional_call(m, {"weight": w}, glassgrad.ones(1, 2), tie_weights=False)
    assert seen[-1] is False
    with pytest.raises(ValueError, match="tied"):
        stateless.functional_call(m, {"weight": w, "other": glassgrad.zeros(2, 2)}, glassgrad.ones(1, 2))
    with pytest.raises(ValueError, match="multiple dictionaries"):
        stateless.functional_call(m, ({"weight": w}, {"weight": w}), glassgrad.ones(1, 2))
    with pytest.raises(RuntimeError, match="Unexpected key"):
        stateless.functional_call(m, {"weight": w, "bias": w}, glassgrad.ones(1, 2), strict=True)
    kw = stateless.functional_call(gnn.Linear(2, 1), {}, kwargs={"input": glassgrad.ones(1, 2)})
    assert tuple(kw.shape) == (1, 1)


def test_functional_call_with_parametrizations():
    g = gnn.Linear(3, 3).double()
    parametrize.register_parametrization(g, "weight", Symmetric())
    a = glassgrad.tensor(np.arange(9.0).reshape(3, 3))
    x = glassgrad.eye(3, dtype=glassgrad.float64)
    via_original = stateless.functional_call(g, {"parametrizations.weight.original": a, "bias": glassgrad.zeros(3,
                                             dtype=glassgrad.float64)}, x)
    sym = np.triu(a.array) + np.triu(a.array, 1).T
    np.testing.assert_allclose(via_original.array, sym.T)  # the parametrization applies to the given original
    bypass = stateless.functional_call(g, {"weight": a, "bias": glassgrad.zeros(3, dtype=glassgrad.float64)}, x)
    np.testing.assert_allclose(bypass.array, a.array.T)  # the parametrized name itself: used as given
    assert parametrize.is_parametrized(g, "weight") and g.weight.shape == (3, 3)
