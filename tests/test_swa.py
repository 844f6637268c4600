"""optim.swa_utils against PyTorch: AveragedModel (SWA running mean, EMA through avg_fn and
multi_avg_fn, use_buffers), update_bn, SWALR, on the same weight trajectories."""
import numpy as np
import pytest
import torch

import glassgrad
from glassgrad.optim import swa_utils


def _models(seed=0):
    g = glassgrad.nn.Sequential(glassgrad.nn.Linear(4, 5), glassgrad.nn.BatchNorm1d(5), glassgrad.nn.ReLU(),
                                glassgrad.nn.Linear(5, 2)).double()
    t = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(),
                            torch.nn.Linear(5, 2)).double()
    _randomize(g, t, np.random.default_rng(seed))
    return g, t


def _randomize(g, t, rng):
    """Give both models the same new weights and BatchNorm statistics (a training step stand-in)."""
    gs, ts = g.state_dict(), t.state_dict()
    for name, value in ts.items():
        if value.dtype == torch.float64:
            new = rng.standard_normal(tuple(value.shape)) + (1.5 if "running_var" in name else 0.0)
        else:
            new = np.array(int(rng.integers(0, 100)))
        value.copy_(torch.tensor(new))
        gs[name].array[...] = new


def _same(g, t, rtol=1e-14):
    gs, ts = g.state_dict(), t.state_dict()
    assert gs.keys() == ts.keys()
    for name, value in ts.items():
        np.testing.assert_allclose(np.asarray(gs[name].array, np.float64), value.double().numpy(), rtol=rtol,
                                   atol=1e-15, err_msg=name)


CONFIGS = [
    dict(),
    dict(use_buffers=True),
    dict(avg_fn="ema"),
    dict(multi_avg_fn="ema", use_buffers=True),
    dict(multi_avg_fn="swa"),
]


def _kwargs(lib, config):
    mod = swa_utils if lib is glassgrad else torch.optim.swa_utils
    out = dict(config)
    if out.get("avg_fn") == "ema":
        out["avg_fn"] = mod.get_ema_avg_fn(0.9)
    if out.get("multi_avg_fn") == "ema":
        out["multi_avg_fn"] = mod.get_ema_multi_avg_fn(0.8)
    elif out.get("multi_avg_fn") == "swa":
        out["multi_avg_fn"] = mod.get_swa_multi_avg_fn()
    return out


@pytest.mark.parametrize("config", CONFIGS, ids=[str(c) for c in CONFIGS])
def test_averaged_model_matches_torch(config):
    g, t = _models()
    ga = swa_utils.AveragedModel(g, **_kwargs(glassgrad, config))
    ta = torch.optim.swa_utils.AveragedModel(t, **_kwargs(torch, config))
    rng = np.random.default_rng(1)
    for _ in range(12):
        ga.update_parameters(g)
        ta.update_parameters(t)
        _same(ga, ta)
        _randomize(g, t, rng)
    assert int(ga.n_averaged.array) == 12 and ga.n_averaged.dtype == np.int64
    x = np.random.default_rng(2).standard_normal((3, 4))
    ga.eval()
    ta.eval()
    np.testing.assert_allclose(ga(glassgrad.tensor(x)).detach().numpy(), ta(torch.tensor(x)).detach().numpy(),
                               rtol=1e-13)


def test_swa_average_is_the_mean_of_the_snapshots():
    g, _ = _models()
    ga = swa_utils.AveragedModel(g)
    snaps, rng = [], np.random.default_rng(3)
    for _ in range(5):
        for p in g.parameters():
            p.array[...] = rng.standard_normal(p.shape)
        snaps.append([p.array.copy() for p in g.parameters()])
        ga.update_parameters(g)
    for i, p in enumerate(ga.module.parameters()):
        np.testing.assert_allclose(p.array, np.mean([s[i] for s in snaps], axis=0), rtol=1e-13)
    # the original model's parameters are untouched, not shared
    assert all(a is not b for a, b in zip(ga.module.parameters(), g.parameters()))


def test_update_bn_matches_torch():
    g, t = _models()
    rng = np.random.default_rng(4)
    data = [rng.standard_normal((6, 4)) * 3 + 1 for _ in range(4)]
    g.eval()
    t.eval()
    swa_utils.update_bn([(glassgrad.tensor(x), 0) for x in data], g)
    torch.optim.swa_utils.update_bn([(torch.tensor(x), 0) for x in data], t)
    _same(g, t, rtol=1e-13)
    assert not g.training and g[1].momentum == 0.1  # mode and momentum restored
    swa_utils.update_bn(data, glassgrad.nn.Linear(2, 2))  # no BatchNorm: nothing to do


@pytest.mark.parametrize("kwargs", [dict(swa_lr=0.05), dict(swa_lr=[0.05, 0.01], anneal_epochs=4,
                                                            anneal_strategy="linear"),
                                    dict(swa_lr=0.02, anneal_epochs=0)])
def test_swalr_matches_torch(kwargs):
    def opt(lib):
        ps = [lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(2))]
        return lib.optim.SGD([dict(params=[ps[0]]), dict(params=[ps[1]], lr=0.3)], lr=0.5)
    go, to = opt(glassgrad), opt(torch)
    gs, ts = swa_utils.SWALR(go, **kwargs), torch.optim.swa_utils.SWALR(to, **kwargs)
    for i in range(20):
        go.step()
        to.step()
        gs.step()
        ts.step()
        assert gs.get_last_lr() == ts.get_last_lr()
        if i == 5:
            state = gs.state_dict()
    go2 = opt(glassgrad)
    gs2 = swa_utils.SWALR(go2, **kwargs)
    gs2.load_state_dict(state)
    assert gs2._anneal_strategy == gs._anneal_strategy and gs2._step_count == 7


def test_errors():
    g, _ = _models()
    with pytest.raises(ValueError, match="only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(g, avg_fn=swa_utils.get_swa_avg_fn(), multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match="decay"):
        swa_utils.get_ema_multi_avg_fn(1.5)
    opt = glassgrad.optim.SGD(g.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy"):
        swa_utils.SWALR(opt, swa_lr=0.01, anneal_strategy="step")
    with pytest.raises(ValueError, match="anneal_epochs"):
        swa_utils.SWALR(opt, swa_lr=0.01, anneal_epochs=-1)
    with pytest.raises(ValueError, match="parameters"):
        swa_utils.AveragedModel(g).update_parameters(glassgrad.nn.Linear(2, 2))
