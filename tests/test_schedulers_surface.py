"""MultiplicativeLR, ConstantLR, PolynomialLR, ChainedScheduler, CosineAnnealingWarmRestarts and
CyclicLR against PyTorch: the same learning rates (and cycled momenta), exactly, over many steps,
with two parameter groups, and after a state_dict round trip into fresh objects."""
import math

import numpy as np
import pytest
import torch

import glassgrad
from glassgrad.optim import lr_scheduler as glr


class Halve:
    """A callable object (its attributes go into the state_dict)."""

    def __init__(self):
        self.factor = 0.97

    def __call__(self, epoch):
        return self.factor if epoch % 2 else 1.0


def _optimizers(opt_name="SGD", opt_kwargs=None):
    opt_kwargs = opt_kwargs or dict(lr=0.1, momentum=0.9)
    gp = [glassgrad.nn.Parameter(glassgrad.zeros(2)), glassgrad.nn.Parameter(glassgrad.zeros(3))]
    tp = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
    groups = lambda ps: [dict(params=[ps[0]]), dict(params=[ps[1]], lr=opt_kwargs["lr"] / 3)]  # noqa: E731
    return (getattr(glassgrad.optim, opt_name)(groups(gp), **opt_kwargs),
            getattr(torch.optim, opt_name)(groups(tp), **opt_kwargs))


def _build(lib, opt, name, kwargs):
    mod = glr if lib is glassgrad else torch.optim.lr_scheduler
    if name == "ChainedScheduler":
        return mod.ChainedScheduler([mod.ConstantLR(opt, factor=0.5, total_iters=4),
                                     mod.ExponentialLR(opt, gamma=0.9),
                                     mod.PolynomialLR(opt, total_iters=12, power=2.0)])
    if name == "MultiplicativeLR" and kwargs.get("obj"):
        return mod.MultiplicativeLR(opt, Halve())
    return getattr(mod, name)(opt, **kwargs)


CASES = [
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.95)),
    ("MultiplicativeLR", dict(obj=True)),
    ("ConstantLR", dict()),
    ("ConstantLR", dict(factor=0.25, total_iters=7)),
    ("PolynomialLR", dict()),
    ("PolynomialLR", dict(total_iters=30, power=0.7)),
    ("ChainedScheduler", dict()),
    ("CosineAnnealingWarmRestarts", dict(T_0=7)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=5)),
    ("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=4, step_size_down=7, mode="triangular2")),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.2, step_size_up=3, mode="exp_range", gamma=0.97,
                      base_momentum=0.7, max_momentum=0.95)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4, cycle_momentum=False,
                      scale_fn=lambda x: 1 / (1 + x), scale_mode="iterations")),
]
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(CASES)]


def _snapshot(opt):
    return [(g["lr"], g.get("momentum"), g.get("betas")) for g in opt.param_groups]


def _fix_kwargs(name, kwargs):
    return {k: v for k, v in kwargs.items() if k != "obj"}


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_lr_sequence_matches_torch_exactly(name, kwargs):
    kw = _fix_kwargs(name, kwargs) if not kwargs.get("obj") else kwargs
    gopt, topt = _optimizers()
    gs, ts = _build(glassgrad, gopt, name, kw), _build(torch, topt, name, kw)
    assert _snapshot(gopt) == _snapshot(topt)
    for _ in range(60):
        gopt.step()
        topt.step()
        gs.step()
        ts.step()
        assert _snapshot(gopt) == _snapshot(topt)
        assert gs.get_last_lr() == ts.get_last_lr()


def _comparable(state):
    """A state_dict without its functions (compared by what they hold)."""
    out = {}
    for k, v in state.items():
        if k in ("_scale_fn_ref", "anneal_func", "_get_lr_called_within_step"):  # (functions, a PyTorch-internal flag)
            continue
        if k == "_schedulers":
            v = [_comparable(s) for s in v]
        out[k] = v
    return out


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_state_dict_round_trip_continues_identically(name, kwargs):
    kw = _fix_kwargs(name, kwargs) if not kwargs.get("obj") else kwargs
    gopt, topt = _optimizers()
    gs, ts = _build(glassgrad, gopt, name, kw), _build(torch, topt, name, kw)
    for _ in range(13):
        for o, s in ((gopt, gs), (topt, ts)):
            o.step()
            s.step()
    g_state, t_state = gs.state_dict(), ts.state_dict()
    assert _comparable(g_state).keys() == _comparable(t_state).keys()
    gopt2, _ = _optimizers()  # resume as a script does: build both, then load both
    gs2 = _build(glassgrad, gopt2, name, kw)
    gopt2.load_state_dict(gopt.state_dict())
    gs2.load_state_dict(g_state)
    for _ in range(40):
        for o, s in ((gopt2, gs2), (topt, ts)):
            o.step()
            s.step()
        assert _snapshot(gopt2) == _snapshot(topt)


def test_cyclic_lr_cycles_adam_beta1():
    gopt, topt = _optimizers("Adam", dict(lr=0.01))
    kw = dict(base_lr=0.001, max_lr=0.01, step_size_up=3, base_momentum=0.8, max_momentum=0.95)
    gs, ts = glr.CyclicLR(gopt, **kw), torch.optim.lr_scheduler.CyclicLR(topt, **kw)
    for _ in range(20):
        gopt.step()
        topt.step()
        gs.step()
        ts.step()
        assert _snapshot(gopt) == _snapshot(topt)


def test_warm_restarts_with_fractional_epochs():
    gopt, topt = _optimizers()
    gs = glr.CosineAnnealingWarmRestarts(gopt, T_0=4, T_mult=2, eta_min=0.01)
    ts = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=4, T_mult=2, eta_min=0.01)
    for epoch in range(12):
        for i in range(5):
            gs.step(epoch + i / 5)
            ts.step(epoch + i / 5)
            assert gs.get_last_lr() == ts.get_last_lr()
    # the closed form: a restart to the initial rate at epochs 4 and 12
    gs.step(12)
    assert math.isclose(gs.get_last_lr()[0], 0.1)


def test_errors():
    gopt, _ = _optimizers()
    with pytest.raises(ValueError, match="T_0"):
        glr.CosineAnnealingWarmRestarts(gopt, T_0=0)
    with pytest.raises(ValueError, match="T_mult"):
        glr.CosineAnnealingWarmRestarts(gopt, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="factor"):
        glr.ConstantLR(gopt, factor=2)
    with pytest.raises(ValueError, match="mode"):
        glr.CyclicLR(gopt, 0.01, 0.1, mode="sawtooth")
    with pytest.raises(ValueError, match="momentum"):
        glr.CyclicLR(glassgrad.optim.Adagrad([glassgrad.nn.Parameter(glassgrad.zeros(1))]), 0.01, 0.1)
    with pytest.raises(TypeError, match="lr_lambda should be a function"):
        glr.MultiplicativeLR(gopt, 0.5)
    with pytest.raises(ValueError, match="at least one scheduler"):
        glr.ChainedScheduler([])
    other, _ = _optimizers()
    with pytest.raises(ValueError, match="same optimizer"):
        glr.ChainedScheduler([glr.ConstantLR(gopt), glr.ConstantLR(other)])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        glr.ChainedScheduler([glr.ReduceLROnPlateau(gopt)])
    np.testing.assert_equal(len(glr.__all__), len(set(glr.__all__)))
