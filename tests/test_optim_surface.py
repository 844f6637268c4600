"""Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop and LBFGS against PyTorch, step for step over 50
steps in float64 (every option), in float32, through a state_dict round trip into a fresh
optimizer, and with parameter groups."""
import copy

import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.optim as optim

SHAPES = [(3, 4), (5,), (2, 1, 3)]
RTOL64, ATOL64 = 1e-12, 1e-14


def _arrays(dtype, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def _loss_and_grads(weights, coefs):
    """f(p) = Σ sin(c·p) + 0.1·p² per parameter, and its gradient, in NumPy."""
    loss = sum(float(np.sum(np.sin(c * w) + 0.1 * w * w)) for w, c in zip(weights, coefs))
    return loss, [(np.cos(c * w) * c + 0.2 * w).astype(w.dtype) for w, c in zip(weights, coefs)]


class Side:
    """One framework's parameters and optimizer, driven with gradients computed in NumPy."""

    def __init__(self, lib, name, kwargs, init, groups=None):
        self.lib = lib
        if lib is torch:
            self.params = [torch.nn.Parameter(torch.tensor(a.copy())) for a in init]
        else:
            self.params = [glassgrad.nn.Parameter(glassgrad.tensor(a.copy())) for a in init]
        args = self.params if groups is None else [dict(params=[self.params[i] for i in idx], **extra)
                                                   for idx, extra in groups]
        self.opt = getattr(lib.optim, name)(args, **kwargs)

    def weights(self):
        return [p.detach().numpy() if self.lib is torch else p.array for p in self.params]

    def put_grads(self, grads, skip_last):
        for i, (p, g) in enumerate(zip(self.params, grads)):
            none = skip_last and i == len(self.params) - 1
            p.grad = None if none else (torch.tensor(g) if self.lib is torch else glassgrad.tensor(g))

    def step(self, coefs, step):
        _, grads = _loss_and_grads(self.weights(), coefs)
        self.put_grads(grads, skip_last=step % 3 == 2)  # a parameter without a gradient is skipped
        self.opt.step()


def _close(g, t, dtype):
    for a, b in zip(g.weights(), t.weights()):
        assert a.dtype == dtype
        if dtype == np.float64:
            np.testing.assert_allclose(a, b, rtol=RTOL64, atol=ATOL64)
        else:
            np.testing.assert_allclose(a, b, rtol=2e-6, atol=2e-6)


CASES = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4)),
    ("Adadelta", dict(lr=0.5, weight_decay=0.1, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.02, betas=(0.5, 0.9), eps=1e-3)),
    ("Adamax", dict(lr=0.02, weight_decay=0.1, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01, betas=(0.8, 0.95))),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9))),  # rectification switches on at step 6
    ("RAdam", dict(lr=0.01, weight_decay=0.1, eps=1e-4)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=10)),  # averaging from step 10
    ("ASGD", dict(lr=0.05, t0=5, weight_decay=0.1, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.05, maximize=True)),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_matches_torch_over_50_steps_float64(name, kwargs):
    init, coefs = _arrays(np.float64, 0), _arrays(np.float64, 1)
    g, t = Side(glassgrad, name, kwargs, init), Side(torch, name, kwargs, init)
    for step in range(50):
        g.step(coefs, step)
        t.step(coefs, step)
        _close(g, t, np.float64)
    gs, ts = g.opt.state_dict()["state"], t.opt.state_dict()["state"]
    assert gs.keys() == ts.keys()
    for idx in ts:
        assert gs[idx].keys() == ts[idx].keys()
        for key, value in ts[idx].items():
            mine = gs[idx][key].array
            assert mine.dtype == value.numpy().dtype, key
            np.testing.assert_allclose(mine, value.numpy(), rtol=1e-12, atol=1e-14, err_msg=key)


@pytest.mark.parametrize("name,kwargs", [c for c in CASES if c[1] == {}] + [CASES[9], CASES[15]])
def test_matches_torch_in_float32(name, kwargs):
    init, coefs = _arrays(np.float32, 0), _arrays(np.float32, 1)
    g, t = Side(glassgrad, name, kwargs, init), Side(torch, name, kwargs, init)
    for step in range(30):
        g.step(coefs, step)
        t.step(coefs, step)
        _close(g, t, np.float32)


@pytest.mark.parametrize("name,kwargs", CASES[::3] + [CASES[9], CASES[16]], ids=IDS[::3] + [IDS[9], IDS[16]])
def test_state_dict_round_trip_continues_identically(name, kwargs):
    """20 steps, state_dict() into a fresh optimizer over copies of the weights, 30 more steps:
    the same weights as PyTorch doing the same (PyTorch casts 0-d state to the parameter dtype on load)."""
    init, coefs = _arrays(np.float64, 2), _arrays(np.float64, 3)
    sides = [Side(glassgrad, name, kwargs, init), Side(torch, name, kwargs, init)]
    for step in range(20):
        for s in sides:
            s.step(coefs, step)
    fresh = [Side(lib, name, kwargs, [w.copy() for w in s.weights()]) for lib, s in zip((glassgrad, torch), sides)]
    for old, new in zip(sides, fresh):  # (PyTorch's state_dict shares the state tensors: copy it)
        new.opt.load_state_dict(copy.deepcopy(old.opt.state_dict()))
    for step in range(20, 50):
        for s in sides + fresh:
            s.step(coefs, step)
        _close(fresh[0], fresh[1], np.float64)
    if name not in ("NAdam", "ASGD"):  # (their 0-d float32 state becomes float64 on load, as in PyTorch)
        _close(fresh[0], sides[0], np.float64)


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop"])
def test_param_groups_with_their_own_options(name):
    lr_key = {"Adadelta": 0.3, "Rprop": 0.1}.get(name, 0.05)
    groups = [([0, 2], dict(lr=lr_key)), ([1], dict())]
    init, coefs = _arrays(np.float64, 4), _arrays(np.float64, 5)
    g, t = Side(glassgrad, name, {}, init, groups), Side(torch, name, {}, init, groups)
    for step in range(20):
        g.step(coefs, step)
        t.step(coefs, step)
    _close(g, t, np.float64)


# ---- LBFGS ------------------------------------------------------------------------------------
def _lbfgs_closure(side, coefs):
    def closure():
        loss, grads = _loss_and_grads(side.weights(), coefs)
        side.put_grads(grads, skip_last=False)
        return side.lib.tensor(loss, dtype=side.lib.float64)
    return closure


LBFGS_CASES = [dict(), dict(line_search_fn="strong_wolfe"), dict(lr=0.3, max_iter=5, history_size=3), dict(lr=0.2, max_iter=6, history_size=2),
               dict(lr=0.8, max_iter=7, history_size=4, line_search_fn="strong_wolfe"),
               dict(max_iter=4, max_eval=6, tolerance_change=1e-5, line_search_fn="strong_wolfe")]


@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=[str(k) for k in LBFGS_CASES])
def test_lbfgs_matches_torch_over_50_steps(kwargs):
    init, coefs = _arrays(np.float64, 6), _arrays(np.float64, 7)
    g, t = Side(glassgrad, "LBFGS", kwargs, init), Side(torch, "LBFGS", kwargs, init)
    gc, tc = _lbfgs_closure(g, coefs), _lbfgs_closure(t, coefs)
    for _ in range(50):
        gl, tl = g.opt.step(gc), t.opt.step(tc)
        assert abs(float(gl) - float(tl)) <= 1e-12 * max(1.0, abs(float(tl)))
        for a, b in zip(g.weights(), t.weights()):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)  # (dot products: BLAS's summation order)
    gs, ts = g.opt.state_dict()["state"][0], t.opt.state_dict()["state"][0]
    assert gs["func_evals"] == ts["func_evals"] and gs["n_iter"] == ts["n_iter"]


def test_lbfgs_state_dict_round_trip_continues_identically():
    kwargs = dict(lr=0.8, max_iter=3, history_size=5, line_search_fn="strong_wolfe")
    init, coefs = _arrays(np.float64, 8), _arrays(np.float64, 9)
    sides = [Side(glassgrad, "LBFGS", kwargs, init), Side(torch, "LBFGS", kwargs, init)]
    for s in sides:
        for _ in range(3):
            s.opt.step(_lbfgs_closure(s, coefs))
    fresh = [Side(lib, "LBFGS", kwargs, [w.copy() for w in s.weights()]) for lib, s in zip((glassgrad, torch), sides)]
    for old, new in zip(sides, fresh):  # (PyTorch's state_dict shares the state tensors: copy it)
        new.opt.load_state_dict(copy.deepcopy(old.opt.state_dict()))
    for _ in range(5):
        for s in sides + fresh:
            s.opt.step(_lbfgs_closure(s, coefs))
    for a, b, c in zip(fresh[0].weights(), fresh[1].weights(), sides[0].weights()):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(a, c)


def test_lbfgs_minimizes_a_real_model_with_autograd():
    """Logistic regression on separable-ish data through glassgrad's autograd: the same losses as
    PyTorch's LBFGS on the same model."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3))
    y = (x @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_normal(40) > 0).astype(np.float64)
    w0 = rng.standard_normal(3) * 0.1
    losses = {}
    for lib in (glassgrad, torch):
        w = lib.tensor(w0.copy(), requires_grad=True)
        xt, yt = lib.tensor(x), lib.tensor(y)
        opt = lib.optim.LBFGS([w], line_search_fn="strong_wolfe", max_iter=10)

        def closure():
            opt.zero_grad()
            z = xt @ w
            loss = (lib.nn.functional.softplus(z) - yt * z).mean() + 0.01 * (w * w).sum()
            loss.backward()
            return loss

        losses[lib.__name__] = [float(opt.step(closure).detach()) for _ in range(4)]
    np.testing.assert_allclose(losses["glassgrad"], losses["torch"], rtol=1e-9)
    assert losses["glassgrad"][-1] < losses["glassgrad"][0]


def test_errors_name_the_option():
    p = glassgrad.nn.Parameter(glassgrad.ones(2))
    with pytest.raises(ValueError, match="rho"):
        optim.Adadelta([p], rho=1.5)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        optim.Adamax([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="momentum_decay"):
        optim.NAdam([p], momentum_decay=-1)
    with pytest.raises(ValueError, match="eta values"):
        optim.Rprop([p], etas=(1.5, 1.2))
    with pytest.raises(ValueError, match="learning rate"):
        optim.ASGD([p], lr=-1)
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS([p], line_search_fn="armijo")
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([dict(params=[p]), dict(params=[glassgrad.nn.Parameter(glassgrad.ones(1))])])
    with pytest.raises(TypeError, match="closure"):
        optim.LBFGS([p]).step()
