"""Optimizers against PyTorch step for step (identical weights, identical deterministic losses),
every option; parameter groups; zero_grad; state_dict layout and round trip; L1/L2 penalties."""
import copy

import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.optim as optim
from glassgrad.optim.regularization import l1_penalty, l2_penalty

SHAPES = [(3, 4), (4,), (2, 2, 3)]
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-6, atol=2e-6)}


def _init(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def _coefs(dtype):
    rng = np.random.default_rng(1)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def _set_grads(params, coefs, step, get, put):
    """The gradient of Σ sin(c·p) + 0.1·p² at the current weights, computed in NumPy from each
    side's own weights; the last parameter gets no gradient on every third step (skipped)."""
    for i, (p, c) in enumerate(zip(params, coefs)):
        if i == len(params) - 1 and step % 3 == 2:
            put(p, None)
            continue
        w = get(p)
        put(p, (np.cos(c * w) * c + 0.2 * w).astype(w.dtype))


def _g_get(p):
    return p.array


def _g_put(p, g):
    p.grad = None if g is None else glassgrad.tensor(g)


def _t_get(p):
    return p.detach().numpy()


def _t_put(p, g):
    p.grad = None if g is None else torch.tensor(g)


def _train(opt, params, coefs, steps, side, start=0):
    get, put = (_g_get, _g_put) if side == "g" else (_t_get, _t_put)
    for step in range(start, start + steps):
        _set_grads(params, coefs, step, get, put)
        opt.step()


def _pair(name, kwargs, dtype, groups=None):
    init = _init(dtype)
    gp = [glassgrad.nn.Parameter(glassgrad.tensor(a.copy())) for a in init]
    tp = [torch.nn.Parameter(torch.tensor(a.copy())) for a in init]
    if groups:
        gargs = [dict(params=[gp[i] for i in idx], **extra) for idx, extra in groups]
        targs = [dict(params=[tp[i] for i in idx], **extra) for idx, extra in groups]
    else:
        gargs, targs = gp, tp
    return getattr(optim, name)(gargs, **kwargs), gp, getattr(torch.optim, name)(targs, **kwargs), tp


def _assert_same(gp, tp, dtype):
    for g, t in zip(gp, tp):
        assert g.dtype == dtype
        np.testing.assert_allclose(g.array, t.detach().numpy(), **TOL[dtype])


CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.2, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.8), eps=1e-3)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("Adam", dict(lr=0.02, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.2)),
    ("AdamW", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.0, betas=(0.5, 0.99))),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.005, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, centered=True)),
    ("RMSprop", dict(lr=0.005, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, alpha=0.3, eps=1e-4, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{'-'.join(map(str, k.items()))}" for n, k in CASES])
def test_optimizer_matches_torch_over_25_steps(name, kwargs, dtype):
    gopt, gp, topt, tp = _pair(name, kwargs, dtype)
    coefs = _coefs(dtype)
    for step in range(25):
        _train(gopt, gp, coefs, 1, "g", start=step)
        _train(topt, tp, coefs, 1, "t", start=step)
        _assert_same(gp, tp, dtype)
    # the state matches too, entry by entry
    gs, ts = gopt.state_dict()["state"], topt.state_dict()["state"]
    assert gs.keys() == ts.keys()
    for idx in ts:
        assert gs[idx].keys() == ts[idx].keys()
        for key, value in ts[idx].items():
            np.testing.assert_allclose(np.asarray(gs[idx][key].array, np.float64), value.double().numpy(),
                                       rtol=1e-5 if dtype == np.float32 else 1e-9,
                                       atol=2e-6 if dtype == np.float32 else 1e-11)


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01)),
                                         ("RMSprop", dict(lr=0.01, centered=True)), ("Adagrad", dict(lr=0.1))])
def test_param_groups_with_their_own_options_match_torch(name, kwargs):
    groups = [([0, 2], dict(lr=0.3 if name == "SGD" else 0.05)), ([1], dict())]
    gopt, gp, topt, tp = _pair(name, kwargs, np.float64, groups=groups)
    coefs = _coefs(np.float64)
    _train(gopt, gp, coefs, 20, "g")
    _train(topt, tp, coefs, 20, "t")
    _assert_same(gp, tp, np.float64)
    assert gopt.param_groups[1]["lr"] == kwargs.get("lr", gopt.defaults["lr"])


def test_add_param_group_and_errors():
    a, b = glassgrad.nn.Parameter(glassgrad.ones(2)), glassgrad.nn.Parameter(glassgrad.ones(3))
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.Adam({a})
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.Adam(a)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2])
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD([a], lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([a], nesterov=True)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        optim.Adam([a], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="momentum"):
        optim.RMSprop([a], momentum=-0.1)


def test_zero_grad_and_skipping_params_without_grad():
    a = glassgrad.nn.Parameter(glassgrad.tensor([1.0, 2.0]))
    b = glassgrad.nn.Parameter(glassgrad.tensor([3.0]))
    opt = optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    assert b.array.tolist() == [3.0] and b not in opt.state and a in opt.state
    opt.zero_grad(set_to_none=False)
    assert a.grad.array.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None


def test_step_with_closure_returns_loss_and_updates_in_place():
    w = glassgrad.nn.Parameter(glassgrad.tensor([1.0, -2.0], dtype=glassgrad.float32))
    array = w.array
    opt = optim.SGD([w], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0
    assert w.array is array and w.dtype == np.float32  # updated in place, still float32
    np.testing.assert_allclose(w.array, [0.0, 0.0])


def test_update_after_saving_weights_for_backward_is_detected():
    w = glassgrad.nn.Parameter(glassgrad.tensor([1.0, 2.0]))
    y = (w * w).sum()
    w.grad = glassgrad.tensor([1.0, 1.0])
    optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="inplace"):
        y.backward()


def test_fits_a_linear_model():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x @ np.array([1.5, -2.0, 0.5], np.float32) + 0.3
    model = glassgrad.nn.Linear(3, 1)
    opt = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        loss = glassgrad.nn.functional.mse_loss(model(glassgrad.tensor(x)).reshape(-1), glassgrad.tensor(y))
        loss.backward()
        opt.step()
    assert loss.item() < 1e-4


# ---- state dict --------------------------------------------------------------------------------
STATE_CASES = [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
               ("AdamW", dict(lr=0.01)), ("RMSprop", dict(momentum=0.5, centered=True)),
               ("Adagrad", dict(lr_decay=0.01))]


@pytest.mark.parametrize("name,kwargs", STATE_CASES, ids=[c[0] for c in STATE_CASES])
def test_state_dict_layout_matches_torch(name, kwargs):
    gopt, gp, topt, tp = _pair(name, kwargs, np.float32, groups=[([0, 1], dict(lr=0.02)), ([2], dict())])
    coefs = _coefs(np.float32)
    _train(gopt, gp, coefs, 3, "g")
    _train(topt, tp, coefs, 3, "t")
    gsd, tsd = gopt.state_dict(), topt.state_dict()
    assert set(gsd) == {"state", "param_groups"}
    assert [g["params"] for g in gsd["param_groups"]] == [g["params"] for g in tsd["param_groups"]] == [[0, 1], [2]]
    for ours, theirs in zip(gsd["param_groups"], tsd["param_groups"]):
        for key in ours:
            assert key in theirs and (key == "params" or ours[key] == theirs[key]), key
    assert gsd["state"].keys() == tsd["state"].keys()
    for idx, s in tsd["state"].items():
        assert gsd["state"][idx].keys() == s.keys()
        if "step" in s:
            assert gsd["state"][idx]["step"].dtype == np.float32 and gsd["state"][idx]["step"].shape == ()


@pytest.mark.parametrize("name,kwargs", STATE_CASES, ids=[c[0] for c in STATE_CASES])
def test_state_dict_round_trip_continues_identically(name, kwargs):
    dtype = np.float32
    coefs = _coefs(dtype)
    opt, params, _, _ = _pair(name, kwargs, dtype)
    _train(opt, params, coefs, 10, "g")
    saved_weights = [p.array.copy() for p in params]
    saved = opt.state_dict()
    _train(opt, params, coefs, 10, "g", start=10)  # the uninterrupted run
    assert not np.array_equal(saved_weights[0], params[0].array)

    resumed = [glassgrad.nn.Parameter(glassgrad.tensor(w.copy())) for w in saved_weights]
    opt2 = getattr(optim, name)(resumed, lr=123.0)  # options come from the state dict
    opt2.load_state_dict(copy.deepcopy(saved))
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    _train(opt2, resumed, coefs, 10, "g", start=10)
    for a, b in zip(params, resumed):
        np.testing.assert_array_equal(a.array, b.array)


def test_state_dict_is_a_snapshot_and_loads_numpy_arrays():
    opt, params, _, _ = _pair("Adam", dict(lr=0.01), np.float64)
    coefs = _coefs(np.float64)
    _train(opt, params, coefs, 2, "g")
    sd = opt.state_dict()
    before = sd["state"][0]["exp_avg"].array.copy()
    _train(opt, params, coefs, 1, "g", start=2)
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"].array, before)
    as_numpy = {"state": {i: {k: np.asarray(v.array) for k, v in s.items()} for i, s in sd["state"].items()},
                "param_groups": sd["param_groups"]}
    opt.load_state_dict(as_numpy)
    assert float(opt.state[params[0]]["step"].array) == 2.0


def test_load_state_dict_errors():
    opt, params, _, _ = _pair("SGD", dict(lr=0.1), np.float64)
    sd = opt.state_dict()
    other = optim.SGD(params[:2], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size"):
        other.load_state_dict(sd)
    with pytest.raises(ValueError, match="number of parameter groups"):
        other.load_state_dict({"state": {}, "param_groups": []})


# ---- L1 / L2 penalties ---------------------------------------------------------------------------
def test_l1_and_l2_penalties_values_and_gradients():
    a = glassgrad.nn.Parameter(glassgrad.tensor([1.0, -2.0, 0.0], dtype=glassgrad.float64))
    b = glassgrad.nn.Parameter(glassgrad.tensor([[0.5], [-0.5]], dtype=glassgrad.float64))
    p1 = l1_penalty([a, b], 0.1)
    assert abs(p1.item() - 0.4) < 1e-12
    p1.backward()
    np.testing.assert_allclose(a.grad.array, [0.1, -0.1, 0.0])
    a.grad = b.grad = None
    p2 = l2_penalty([a, b], 0.5)
    assert abs(p2.item() - 0.5 * 5.5) < 1e-12
    p2.backward()
    np.testing.assert_allclose(a.grad.array, [1.0, -2.0, 0.0])


def test_l2_penalty_equals_weight_decay():
    """weight_decay=wd gives the same steps as adding l2_penalty(params, wd / 2) to the loss."""
    w1 = glassgrad.nn.Parameter(glassgrad.tensor([1.0, -2.0], dtype=glassgrad.float64))
    w2 = glassgrad.nn.Parameter(glassgrad.tensor([1.0, -2.0], dtype=glassgrad.float64))
    o1, o2 = optim.SGD([w1], lr=0.1, weight_decay=0.2), optim.SGD([w2], lr=0.1)
    for _ in range(5):
        o1.zero_grad()
        o2.zero_grad()
        (w1 ** 3).sum().backward()
        ((w2 ** 3).sum() + l2_penalty([w2], 0.1)).backward()
        o1.step()
        o2.step()
    np.testing.assert_allclose(w1.array, w2.array, rtol=1e-12)
    with pytest.raises(ValueError, match="no parameters"):
        l1_penalty([], 0.1)
