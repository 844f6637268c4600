"""glassgrad.inspect.Monitor: what it records, checked against figures computed independently here
(NumPy on the parameters and activations), and that it attaches and detaches through public hooks."""
import math

import numpy as np
import pytest

import glassgrad as gg
import glassgrad.inspect as gi
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad import optim


def _data(n=64, d=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    return gg.tensor(x), gg.tensor((x[:, 0] > 0).astype(np.int64))


def _model():
    gg.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))


def test_layer_figures_match_numpy():
    x, y = _data()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    mon = gi.Monitor(model, opt, every=1)
    before = {n: p.array.copy() for n, p in model.named_parameters()}
    h = np.maximum(x.array @ model[0].weight.array.T + model[0].bias.array, 0)
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    grads = {n: p.grad.array.copy() for n, p in model.named_parameters()}
    opt.step()
    mon.record(loss)
    rows = {r["layer"]: r for r in mon.run.layers if r["step"] == 0}
    for layer in ("0", "2"):
        g = np.concatenate([grads[f"{layer}.weight"].ravel(), grads[f"{layer}.bias"].ravel()])
        w = np.concatenate([model.get_parameter(f"{layer}.weight").array.ravel(),
                            model.get_parameter(f"{layer}.bias").array.ravel()])
        w0 = np.concatenate([before[f"{layer}.weight"].ravel(), before[f"{layer}.bias"].ravel()])
        assert rows[layer]["grad_norm"] == pytest.approx(np.linalg.norm(g.astype(np.float64)), rel=1e-5)
        assert rows[layer]["weight_norm"] == pytest.approx(np.linalg.norm(w.astype(np.float64)), rel=1e-5)
        # SGD without momentum: the update is exactly -lr * grad
        assert rows[layer]["update_norm"] == pytest.approx(0.1 * np.linalg.norm(g.astype(np.float64)), rel=1e-4)
        assert rows[layer]["update_ratio"] == pytest.approx(np.linalg.norm(w - w0) / np.linalg.norm(w), rel=1e-4)
        assert rows[layer]["lca"] == pytest.approx(-0.1 * float(g.astype(np.float64) @ g), rel=1e-4)
    assert rows["1"]["act_mean"] == pytest.approx(h.mean(), rel=1e-5)
    assert rows["1"]["act_std"] == pytest.approx(h.std(), rel=1e-4)
    assert mon.run.inputs[0]["mean"] == pytest.approx(float(x.array.mean()), rel=1e-5)
    assert mon.run.inputs[0]["std"] == pytest.approx(float(x.array.std()), rel=1e-5)
    # the backward signal at each depth: RMS of dloss/d(output of the last layer) = softmax - onehot, / N
    logits = model(x).detach().numpy()  # after the step; recompute the step-0 one from the saved weights
    w0, b0 = before["2.weight"], before["2.bias"]
    logits = h @ w0.T + b0
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(64), y.array] -= 1
    assert rows["2"]["out_grad_rms"] == pytest.approx(np.sqrt(np.mean((p / 64) ** 2)), rel=1e-4)
    mon.close()


def test_loss_change_allocation_sums_to_the_real_loss_change():
    x, y = _data(128)
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.01)
    with gi.Monitor(model, opt, every=1) as mon:
        for _ in range(5):
            loss = F.cross_entropy(model(x), y)  # full batch: the next loss is on the same data
            opt.zero_grad()
            loss.backward()
            opt.step()
            mon.record(loss)
    for row in mon.run.steps[:-1]:
        # first order in a small step: Σ_layers grad·update ≈ L(w + Δw) - L(w)
        assert row["lca_sum"] == pytest.approx(row["loss_change"], rel=0.02)
        assert row["lca_sum"] < 0
    per_layer = sum(r["lca"] for r in mon.run.layers if r["step"] == 0 and "lca" in r)
    assert per_layer == pytest.approx(mon.run.steps[0]["lca_sum"], rel=1e-9)


def test_every_reads_layers_only_on_its_steps_and_still_checks_each_loss():
    x, y = _data()
    model = _model()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    mon = gi.Monitor(model, opt, every=3)
    for _ in range(7):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        mon.record(loss)
    assert [s["step"] for s in mon.run.steps] == list(range(7))
    assert sorted({r["step"] for r in mon.run.layers}) == [0, 3, 6]
    assert len(mon.run.hist[("weight", "0")]) == 3
    counts = mon.run.hist[("activation", "1")][0][1]
    assert counts.sum() == 64 * 16  # every value of the activation is in the histogram (below the sample cap)
    mon.close()


def test_no_grad_forwards_are_not_recorded_and_close_detaches():
    x, y = _data()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    mon = gi.Monitor(model, opt, every=1)
    assert model._forward_hooks and model[0]._forward_hooks
    with gg.no_grad():
        model(x * 100)  # validation-style forward: ignored
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    mon.record(loss, accuracy=0.5)
    mon.log(val_loss=0.7)
    assert mon.run.inputs[0]["mean"] == pytest.approx(float(x.array.mean()), rel=1e-5)
    assert mon.run.steps[0]["accuracy"] == 0.5 and mon.run.steps[0]["val_loss"] == 0.7
    mon.close()
    assert not model._forward_hooks and not model._forward_pre_hooks and not model[0]._forward_hooks
    assert all(not p._hooks for p in model.parameters())
    with pytest.raises(RuntimeError, match="closed"):
        mon.record(loss)


def test_dead_share_over_the_window_matches_numpy():
    x, y = _data()
    model = _model()
    with gg.no_grad():
        model[0].bias.array[:8] = -50.0  # units 0..7 can never fire on these inputs
    opt = optim.SGD(model.parameters(), lr=0.0)
    mon = gi.Monitor(model, opt, every=1)
    for _ in range(gi.thresholds.DEAD_WINDOW):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        mon.record(loss)
    h = x.array @ model[0].weight.array.T + model[0].bias.array
    expected = 1 - (h > 0).any(axis=0).mean()
    dead = [r["dead_share"] for r in mon.run.layers if r["layer"] == "1" and r.get("dead_share") is not None]
    assert len(dead) == 1  # only once the window is full
    assert dead[0] == pytest.approx(expected)
    assert dead[0] >= 0.5
    mon.close()


def test_loss_as_float_and_bad_arguments():
    model = _model()
    with pytest.raises(TypeError, match="nn.Module"):
        gi.Monitor(object())
    with pytest.raises(ValueError, match="every"):
        gi.Monitor(model, every=0)
    with pytest.raises(TypeError, match="optimizer"):
        gi.Monitor(model, optimizer=[1, 2])
    mon = gi.Monitor(model, every=5)
    assert mon.record(1.5)["loss"] == 1.5
    with pytest.raises(ValueError, match="scalar"):
        mon.record(gg.ones(3))
    with pytest.raises(TypeError, match="Tensor or a number"):
        mon.record("high")
    mon.close()
    with pytest.raises(RuntimeError, match="record"):
        gi.Monitor(model).log(val_loss=1.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nonfinite_loss_names_the_first_layer_and_step():
    x, y = _data()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.01)
    mon = gi.Monitor(model, opt, every=10)
    for step in range(6):
        if step == 4:
            with gg.no_grad():
                model[2].weight.array[0, 0] = math.inf
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        mon.record(loss)
    ev = mon.run.events_of("nonfinite")[0]
    assert (ev["step"], ev["layer"], ev["where"], ev["op"]) == (4, "2", "weights", "Linear")
    mon.close()


def test_histograms_stay_bounded_on_long_runs(monkeypatch):
    monkeypatch.setattr(gi.thresholds, "HIST_KEEP", 4)
    model = _model()
    mon = gi.Monitor(model, every=1)
    x, y = _data()
    for _ in range(20):
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        mon.record(loss)
    steps = [s for s, _, _ in mon.run.hist[("weight", "0")]]
    assert len(steps) <= 5 and steps[0] == 0 and steps == sorted(steps)
    assert [s for s, _, _ in mon.run.hist[("activation", "1")]] == steps  # every tensor thinned alike
    assert len({r["step"] for r in mon.run.layers}) == 20  # the figures themselves are all kept
    mon.close()


@pytest.fixture(params=["numba", "numpy"])
def stats_path(request, monkeypatch):
    """glassgrad.inspect.stats with its Numba kernels, then with its NumPy path."""
    from glassgrad.inspect import stats
    if request.param == "numba":
        assert stats.use_numba, "the test extra installs numba: the kernels must run"
    monkeypatch.setattr(stats, "use_numba", request.param == "numba")
    return stats


@pytest.mark.parametrize("seed", range(8))
def test_histogram_equals_numpys(seed, stats_path):
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(3000) * 10.0 ** rng.uniform(-6, 6)).astype(np.float32)
    if seed % 2:
        a = np.round(a * 4) / 4  # many values exactly on bin edges
    if seed == 5:
        a[::7] = np.nan
        a[3] = np.inf
    if seed == 6:
        a = (rng.standard_normal((300, 100)) * 1e3).astype(np.float64)  # float64, above the sample cap
    if seed == 7:
        a = np.full(50, 2.5, np.float32)  # one value: NumPy's range widens to ±0.5
    counts, edges = stats_path.histogram(a)
    finite = stats_path.sample(a)
    finite = finite[np.isfinite(finite)].astype(np.float64)
    lo, hi = finite.min(), finite.max()
    ref_counts, ref_edges = np.histogram(finite, bins=len(counts), range=(lo, hi) if lo < hi else None)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_array_equal(edges, ref_edges)
    assert stats_path.histogram(np.full(10, np.nan, np.float32)) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_parameter_sums_match_float64_numpy(stats_path, dtype):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((300, 70)).astype(dtype)
    g = rng.standard_normal((300, 70)).astype(dtype)
    before = (w - 1e-3 * g).astype(dtype)
    u = w.astype(np.float64) - before
    w2, u2, g2, gu = stats_path.param_sums(w, before.copy(), g)
    ref = [np.sum(w.astype(np.float64) ** 2), np.sum(u ** 2), np.sum(g.astype(np.float64) ** 2), np.sum(g * u)]
    np.testing.assert_allclose([w2, u2, g2, gu], ref, rtol=1e-5)
    assert stats_path.param_sums(w)[1:] == (0.0, 0.0, 0.0)
    assert stats_path.param_sums(w, grad=g)[2] == pytest.approx(ref[2], rel=1e-5)
    assert stats_path.param_sums(w, before.copy())[1] == pytest.approx(ref[1], rel=1e-4)
    w[3, 3] = np.nan
    assert math.isnan(stats_path.param_sums(w, before.copy(), g)[0])
    with pytest.raises(ValueError, match="gradient has shape"):
        stats_path.param_sums(w, grad=g[:2])


@pytest.mark.parametrize("shape", [(64, 48), (600, 300)])  # below and above the moments' sample cap
def test_moments_and_rms_match_numpy_on_their_sample(stats_path, shape):
    a = (np.random.default_rng(2).standard_normal(shape) * 3 + 1).astype(np.float32)
    s = stats_path.sample(a, 65536).astype(np.float64)
    m = stats_path.moments(a)
    assert m["finite"] and m["mean"] == pytest.approx(s.mean(), rel=1e-6)
    assert m["std"] == pytest.approx(s.std(), rel=1e-6) and m["rms"] == pytest.approx(np.sqrt(np.mean(s * s)), rel=1e-6)
    assert stats_path.rms(a) == pytest.approx(np.sqrt(np.mean(s * s)), rel=1e-6)
    assert stats_path.moments(np.arange(10))["mean"] == 4.5  # integers: the NumPy path
    a[0, 0] = np.inf
    bad = stats_path.moments(a)
    assert not bad["finite"] and math.isnan(bad["std"])
    big = np.full(8, 1e200)  # finite values whose squares overflow float64
    over = stats_path.moments(big)
    assert over["finite"] and over["mean"] == pytest.approx(1e200) and over["rms"] == math.inf


def test_signal_is_the_mean_std_across_samples():
    from glassgrad.inspect import stats
    a = np.random.default_rng(0).standard_normal((64, 48)) * np.arange(1, 49)
    assert math.isclose(stats.signal(a), a.std(axis=0).mean(), rel_tol=1e-12)  # below the sample caps: exact
