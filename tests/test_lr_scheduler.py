"""Learning-rate schedulers: the LR (and momentum) sequence over 30+ steps equals PyTorch's; state
dict round trips; errors."""
import warnings

import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.optim as optim
from glassgrad.optim import lr_scheduler as S

T = torch.optim.lr_scheduler


def _opts(opt_name="SGD", **kwargs):
    """The same optimizer on both sides, with two parameter groups of different learning rates."""
    kwargs = kwargs or (dict(lr=0.1, momentum=0.9) if opt_name == "SGD" else dict(lr=0.01))
    g = [glassgrad.nn.Parameter(glassgrad.zeros(2)), glassgrad.nn.Parameter(glassgrad.zeros(3))]
    t = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
    gopt = getattr(optim, opt_name)([{"params": [g[0]]}, {"params": [g[1]], "lr": 0.05}], **kwargs)
    topt = getattr(torch.optim, opt_name)([{"params": [t[0]]}, {"params": [t[1]], "lr": 0.05}], **kwargs)
    return gopt, topt


def _sequence(opt, sched, steps, metrics=None):
    seq = [list(sched.get_last_lr())]
    for i in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
        seq.append(list(sched.get_last_lr()))
        assert seq[-1] == [g["lr"] for g in opt.param_groups]
    return seq


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


CASES = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 7, 7, 20], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.5, total_iters=12)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=35)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], total_steps=35, anneal_strategy="linear", pct_start=0.4)),
    ("OneCycleLR", dict(max_lr=0.5, epochs=5, steps_per_epoch=7, three_phase=True, div_factor=10.0)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=35, cycle_momentum=False, final_div_factor=100.0)),
]


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_scheduler_sequence_matches_torch(name, kwargs, opt_name):
    gopt, topt = _opts(opt_name)
    gs, ts = getattr(S, name)(gopt, **kwargs), getattr(T, name)(topt, **kwargs)
    gseq, tseq, gmom, tmom = [], [], [], []
    gseq.append(gs.get_last_lr())
    tseq.append(ts.get_last_lr())
    for _ in range(34 if name == "OneCycleLR" else 30):
        gopt.step()
        topt.step()
        gs.step()
        ts.step()
        gseq.append(list(gs.get_last_lr()))
        tseq.append(list(ts.get_last_lr()))
        gmom.append(_momenta(gopt))
        tmom.append(_momenta(topt))
    np.testing.assert_allclose(gseq, tseq, rtol=1e-13, atol=0)
    np.testing.assert_allclose(gmom, tmom, rtol=1e-13, atol=0)
    assert [g["lr"] for g in gopt.param_groups] == pytest.approx([g["lr"] for g in topt.param_groups], rel=1e-13)


def test_lambda_lr_matches_torch_with_a_list_of_lambdas():
    gopt, topt = _opts()
    fns = [lambda e: 0.95 ** e, lambda e: 1.0 / (1 + e)]
    gseq = _sequence(gopt, S.LambdaLR(gopt, fns), 30)
    tseq = _sequence(topt, T.LambdaLR(topt, fns), 30)
    np.testing.assert_allclose(gseq, tseq, rtol=1e-14)


def test_sequential_lr_warmup_then_cosine_matches_torch():
    gopt, topt = _opts()
    gs = S.SequentialLR(gopt, [S.LinearLR(gopt, start_factor=0.2, total_iters=5),
                               S.CosineAnnealingLR(gopt, T_max=20)], milestones=[5])
    ts = T.SequentialLR(topt, [T.LinearLR(topt, start_factor=0.2, total_iters=5),
                               T.CosineAnnealingLR(topt, T_max=20)], milestones=[5])
    np.testing.assert_allclose(_sequence(gopt, gs, 30), _sequence(topt, ts, 30), rtol=1e-13)


def test_sequential_lr_three_schedulers_matches_torch():
    gopt, topt = _opts()
    gs = S.SequentialLR(gopt, [S.ExponentialLR(gopt, 0.8), S.StepLR(gopt, 3, 0.5), S.ExponentialLR(gopt, 0.95)],
                        milestones=[4, 15])
    ts = T.SequentialLR(topt, [T.ExponentialLR(topt, 0.8), T.StepLR(topt, 3, 0.5), T.ExponentialLR(topt, 0.95)],
                        milestones=[4, 15])
    np.testing.assert_allclose(_sequence(gopt, gs, 30), _sequence(topt, ts, 30), rtol=1e-13)


@pytest.mark.parametrize("kwargs", [dict(), dict(mode="max", factor=0.5, patience=2, threshold=0.1),
                                    dict(patience=1, threshold_mode="abs", threshold=0.05, cooldown=2,
                                         min_lr=[0.02, 0.001]),
                                    dict(patience=0, factor=0.5, min_lr=0.03, eps=1e-3)])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    rng = np.random.default_rng(0)
    metrics = list(np.round(1.0 + 0.1 * np.cumsum(rng.standard_normal(40)), 3))
    gopt, topt = _opts()
    gs, ts = S.ReduceLROnPlateau(gopt, **kwargs), T.ReduceLROnPlateau(topt, **kwargs)
    gseq = _sequence(gopt, gs, 40, metrics)
    tseq = _sequence(topt, ts, 40, metrics)
    np.testing.assert_allclose(gseq, tseq, rtol=1e-14)
    assert gs.best == ts.best and gs.num_bad_epochs == ts.num_bad_epochs and gs.last_epoch == ts.last_epoch
    gs.step(glassgrad.tensor(0.5))  # a one-element tensor works as the metric


@pytest.mark.parametrize("make", [
    lambda o: S.StepLR(o, 3, 0.5),
    lambda o: S.CosineAnnealingLR(o, 8, 0.001),
    lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=30),
    lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.5, total_iters=4), S.ExponentialLR(o, 0.9)], [4]),
    lambda o: S.ReduceLROnPlateau(o, patience=1),
], ids=["StepLR", "Cosine", "OneCycle", "Sequential", "Plateau"])
def test_state_dict_round_trip(make):
    def run(opt, sched, start, n):
        out = []
        for i in range(start, start + n):
            opt.step()
            if isinstance(sched, S.ReduceLROnPlateau):
                sched.step([3, 2, 2, 2, 1, 1, 1, 1][i % 8])
            else:
                sched.step()
            out.append(sched.get_last_lr())
        return out

    opt, _ = _opts()
    sched = make(opt)
    run(opt, sched, 0, 10)
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    assert "optimizer" not in saved_sched
    rest = run(opt, sched, 10, 15)

    opt2, _ = _opts()
    sched2 = make(opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    assert run(opt2, sched2, 10, 15) == rest


def test_lambda_lr_state_dict_keeps_callable_object_state():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, epoch):
            return self.rate ** epoch

    opt, _ = _opts()
    fn = Decay()
    sched = S.LambdaLR(opt, fn)
    fn.rate = 0.9
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.9}, {"rate": 0.9}]
    fn2 = Decay()
    sched2 = S.LambdaLR(_opts()[0], fn2)
    sched2.load_state_dict(sd)
    assert fn2.rate == 0.9
    assert S.LambdaLR(opt, lambda e: 1.0).state_dict()["lr_lambdas"] == [None, None]


def test_resume_with_last_epoch_needs_initial_lr_and_errors():
    opt = optim.SGD([glassgrad.nn.Parameter(glassgrad.zeros(1))], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(opt, 2, last_epoch=3)
    with pytest.raises(TypeError, match="not an Optimizer"):
        S.StepLR(object(), 2)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        S.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="total_steps"):
        S.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=3)
        for _ in range(4):
            sched.step()
    with pytest.raises(ValueError, match="momentum or beta1"):
        S.OneCycleLR(optim.Adagrad([glassgrad.nn.Parameter(glassgrad.zeros(1))]), max_lr=1.0, total_steps=3)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        S.ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        S.SequentialLR(opt, [S.StepLR(opt, 2)], milestones=[3])


def test_closed_form_with_epoch_argument_warns_and_matches():
    opt, _ = _opts()
    sched = S.CosineAnnealingLR(opt, T_max=10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched.step(4)
    assert caught and "deprecated" in str(caught[0].message)
    topt = _opts()[1]
    ts = T.CosineAnnealingLR(topt, T_max=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts.step(4)
    np.testing.assert_allclose(sched.get_last_lr(), ts.get_last_lr(), rtol=1e-14)
