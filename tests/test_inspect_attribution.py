"""glassgrad.inspect.attribution against Captum itself: the same models in glassgrad and PyTorch with
copied weights (float64), image (small CNN), tabular (MLP) and embedding (Embedding + mean + Linear)
inputs, batched, with every target form. Captum rounds integrated gradients' quadrature weights to
float32 and returns occlusion in float32, so those comparisons allow a relative 1e-6; the others
agree to float64 rounding."""
import numpy as np
import pytest
import torch

import glassgrad as gg
import glassgrad.inspect as gi
import glassgrad.nn as nn

captum_attr = pytest.importorskip("captum.attr")
from captum.attr._core.noise_tunnel import NoiseTunnel as CaptumNoiseTunnel  # noqa: E402
from captum.attr._utils.visualization import _normalize_attr  # noqa: E402

A = gi.attribution


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # the models are tiny: PyTorch's intra-op threads only fight over the shared cores
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ---- twin models -------------------------------------------------------------------------------
class GEmbedMean(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8)
        self.fc = nn.Linear(8, 3)

    def forward(self, ids):
        return self.fc(self.emb(ids).mean(1))


class TEmbedMean(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(20, 8)
        self.fc = torch.nn.Linear(8, 3)

    def forward(self, ids):
        return self.fc(self.emb(ids).mean(1))


class GTwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 6)
        self.b = nn.Linear(3, 6)
        self.out = nn.Linear(6, 2)

    def forward(self, x1, x2, scale):
        return self.out((self.a(x1) + self.b(x2) * scale).tanh())


class TTwoInputs(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(4, 6)
        self.b = torch.nn.Linear(3, 6)
        self.out = torch.nn.Linear(6, 2)

    def forward(self, x1, x2, scale):
        return self.out(torch.tanh(self.a(x1) + self.b(x2) * scale))


def _twins(kind):
    torch.manual_seed(0)
    if kind == "mlp":
        t = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
        g = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
    elif kind == "cnn":
        t = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.Tanh(), torch.nn.AvgPool2d(2),
                                torch.nn.Flatten(), torch.nn.Linear(64, 3))
        g = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(64, 3))
    elif kind == "embed":
        t, g = TEmbedMean(), GEmbedMean()
    else:
        t, g = TTwoInputs(), GTwoInputs()
    t, g = t.double(), g.double()
    gp = dict(g.named_parameters())
    for name, p in t.named_parameters():
        gp[name].array[...] = p.detach().numpy()
    return t, g


def _inputs(kind, n=4, seed=1):
    rng = np.random.default_rng(seed)
    if kind == "mlp":
        x = rng.normal(size=(n, 6))
    elif kind == "cnn":
        x = rng.normal(size=(n, 2, 8, 8))
    else:
        x = rng.integers(0, 20, size=(n, 7))
    return torch.tensor(x), gg.tensor(x)


def _np(t):
    return t if isinstance(t, np.ndarray) else t.detach().numpy()


def _close(ours, theirs, rel=1e-12):
    ours, theirs = _np(ours), _np(theirs)
    assert ours.shape == theirs.shape
    scale = max(np.abs(theirs).max(), 1e-300)
    assert np.abs(ours - theirs).max() <= rel * scale + 1e-15, np.abs(ours - theirs).max() / scale


TARGETS = [1, [0, 2, 1, 2], "tensor"]


def _target(t, n=4):
    if t == "tensor":
        return torch.tensor([2, 0, 0, 1][:n]), gg.tensor([2, 0, 0, 1][:n])
    return t, t


# ---- gradient methods --------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("absolute", [True, False])
def test_saliency_matches_captum(kind, target, absolute):
    tm, gm = _twins(kind)
    tx, gx = _inputs(kind)
    tt, gt = _target(target)
    theirs = captum_attr.Saliency(tm).attribute(tx.clone().requires_grad_(), target=tt, abs=absolute)
    ours = A.Saliency(gm).attribute(gx, target=gt, abs=absolute)
    _close(ours, theirs)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("target", TARGETS)
def test_input_x_gradient_matches_captum(kind, target):
    tm, gm = _twins(kind)
    tx, gx = _inputs(kind)
    tt, gt = _target(target)
    theirs = captum_attr.InputXGradient(tm).attribute(tx.clone().requires_grad_(), target=tt)
    _close(A.InputXGradient(gm).attribute(gx, target=gt), theirs)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_middle"])
@pytest.mark.parametrize("baseline", ["none", "number", "one_example"])
def test_integrated_gradients_matches_captum(kind, method, baseline):
    tm, gm = _twins(kind)
    tx, gx = _inputs(kind)
    if baseline == "none":
        tb = gb = None
    elif baseline == "number":
        tb = gb = 0.25
    else:
        b = np.random.default_rng(5).normal(size=(1,) + tuple(tx.shape[1:]))
        tb, gb = torch.tensor(b), gg.tensor(b)
    tt, gt = [0, 2, 1, 2], [0, 2, 1, 2]
    ta, td = captum_attr.IntegratedGradients(tm).attribute(tx, baselines=tb, target=tt, n_steps=20, method=method,
                                                           return_convergence_delta=True)
    ga, gd = A.IntegratedGradients(gm).attribute(gx, baselines=gb, target=gt, n_steps=20, method=method,
                                                 return_convergence_delta=True)
    _close(ga, ta, rel=1e-6)  # Captum's float32 quadrature weights
    assert gd.shape == (4,)
    # the deltas differ by Captum's weight rounding too: relative to the size of f(x) - f(b)
    fx = tm(tx)[range(4), tt] - tm(tx * 0 + (0 if tb is None else tb))[range(4), tt]
    assert np.abs(_np(gd) - _np(td)).max() <= 1e-6 * np.abs(_np(fx)).max()


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_integrated_gradients_completeness(kind):
    _, gm = _twins(kind)
    _, gx = _inputs(kind)
    target = [0, 1, 2, 0]
    attr, delta = A.IntegratedGradients(gm).attribute(gx, target=target, n_steps=64, return_convergence_delta=True)
    with gg.no_grad():
        out = gm(gx)
        f_x = out.numpy()[range(4), target]
        f_b = gm(gx * 0).numpy()[range(4), target]
    sums = _np(attr).reshape(4, -1).sum(1)
    # completeness: the attributions sum to f(x) - f(0), and the delta says by how much they miss
    np.testing.assert_allclose(_np(delta), sums - (f_x - f_b), rtol=0, atol=1e-13)
    assert np.abs(_np(delta)).max() < 1e-9 * np.abs(f_x - f_b).max()
    # a 2-point Riemann sum misses by far more, and says so
    _, coarse = A.IntegratedGradients(gm).attribute(gx, target=target, n_steps=2, method="riemann_right",
                                                     return_convergence_delta=True)
    assert np.abs(_np(coarse)).max() > 1e3 * np.abs(_np(delta)).max()


def test_integrated_gradients_internal_batch_size_and_no_multiply():
    tm, gm = _twins("mlp")
    tx, gx = _inputs("mlp", n=5)
    whole = A.IntegratedGradients(gm).attribute(gx, target=1, n_steps=13)
    chunked = A.IntegratedGradients(gm).attribute(gx, target=1, n_steps=13, internal_batch_size=15)
    _close(chunked, whole, rel=1e-13)
    theirs = captum_attr.IntegratedGradients(tm, multiply_by_inputs=False).attribute(tx, target=1, n_steps=13)
    _close(A.IntegratedGradients(gm, multiply_by_inputs=False).attribute(gx, target=1, n_steps=13), theirs,
           rel=1e-6)
    with pytest.warns(UserWarning, match="internal_batch_size 2 is less than"):
        A.IntegratedGradients(gm).attribute(gx, target=1, n_steps=3, internal_batch_size=2)


def test_tuple_inputs_and_additional_forward_args_match_captum():
    tm, gm = _twins("two")
    rng = np.random.default_rng(3)
    x1, x2, s = rng.normal(size=(5, 4)), rng.normal(size=(5, 3)), rng.uniform(0.5, 2, size=(5, 1))
    tin, gin = (torch.tensor(x1), torch.tensor(x2)), (gg.tensor(x1), gg.tensor(x2))
    targ = [0, 1, 1, 0, 1]
    ta, td = captum_attr.IntegratedGradients(tm).attribute(tin, baselines=(0.1, torch.tensor(x2[:1])), target=targ,
                                                           additional_forward_args=torch.tensor(s), n_steps=16,
                                                           return_convergence_delta=True)
    ga, gd = A.IntegratedGradients(gm).attribute(gin, baselines=(0.1, gg.tensor(x2[:1])), target=targ,
                                                 additional_forward_args=gg.tensor(s), n_steps=16,
                                                 return_convergence_delta=True)
    assert isinstance(ga, tuple) and len(ga) == 2
    for o, t in zip(ga, ta):
        _close(o, t, rel=1e-6)
    assert np.abs(_np(gd)).max() < 1e-9
    ts = captum_attr.Saliency(tm).attribute(tuple(t.clone().requires_grad_() for t in tin), target=1,
                                            additional_forward_args=(torch.tensor(s),))
    gs = A.Saliency(gm).attribute(gin, target=1, additional_forward_args=(gg.tensor(s),))
    for o, t in zip(gs, ts):
        _close(o, t)
    tx = captum_attr.InputXGradient(tm).attribute(tuple(t.clone().requires_grad_() for t in tin), target=targ,
                                                  additional_forward_args=torch.tensor(s))
    for o, t in zip(A.InputXGradient(gm).attribute(gin, target=targ, additional_forward_args=gg.tensor(s)), tx):
        _close(o, t)


def test_tuple_targets_on_a_3d_output():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.Tanh(), torch.nn.Unflatten(1, (2, 3))).double()
    gm = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Unflatten(1, (2, 3))).double()
    for name, p in tm.named_parameters():
        dict(gm.named_parameters())[name].array[...] = p.detach().numpy()
    tx, gx = _inputs("mlp", n=3)
    tx, gx = tx[:, :5], gx[:, :5]
    for target in [(1, 2), [(0, 1), (1, 0), (1, 2)]]:
        theirs = captum_attr.Saliency(tm).attribute(tx.clone().requires_grad_(), target=target, abs=False)
        _close(A.Saliency(gm).attribute(gx, target=target, abs=False), theirs)


# ---- embeddings --------------------------------------------------------------------------------
@pytest.mark.parametrize("target", TARGETS)
def test_layer_integrated_gradients_on_an_embedding_matches_captum(target):
    tm, gm = _twins("embed")
    tx, gx = _inputs("embed")
    tt, gt = _target(target)
    ta, td = captum_attr.LayerIntegratedGradients(tm, tm.emb).attribute(tx, target=tt, n_steps=24,
                                                                          return_convergence_delta=True)
    ga, gd = A.LayerIntegratedGradients(gm, gm.emb).attribute(gx, target=gt, n_steps=24,
                                                              return_convergence_delta=True)
    assert tuple(ga.shape) == (4, 7, 8)
    _close(ga, ta, rel=1e-6)
    # completeness over the embedding vectors: f(ids) - f(baseline ids 0)
    assert np.abs(_np(gd)).max() < 1e-12
    assert np.abs(_np(gd) - _np(td)).max() < 1e-7


def test_layer_integrated_gradients_baselines_and_layer_input():
    tm, gm = _twins("embed")
    tx, gx = _inputs("embed")
    base = np.full((1, 7), 3)
    ta = captum_attr.LayerIntegratedGradients(tm, tm.emb).attribute(tx, baselines=torch.tensor(base),
                                                                    target=[0, 1, 2, 0], n_steps=10,
                                                                    method="riemann_middle", internal_batch_size=8)
    ga = A.LayerIntegratedGradients(gm, gm.emb).attribute(gx, baselines=gg.tensor(base), target=[0, 1, 2, 0],
                                                          n_steps=10, method="riemann_middle", internal_batch_size=8)
    _close(ga, ta, rel=1e-6)
    # with respect to the Linear's input (the mean embedding)
    ta = captum_attr.LayerIntegratedGradients(tm, tm.fc).attribute(tx, target=2, n_steps=10,
                                                                   attribute_to_layer_input=True)
    ga = A.LayerIntegratedGradients(gm, gm.fc).attribute(gx, target=2, n_steps=10, attribute_to_layer_input=True)
    assert tuple(ga.shape) == (4, 8)
    _close(ga, ta, rel=1e-6)
    # a list of layers gives a list
    (gl,) = A.LayerIntegratedGradients(gm, [gm.emb]).attribute(gx, target=2, n_steps=10)
    _close(gl, A.LayerIntegratedGradients(gm, gm.emb).attribute(gx, target=2, n_steps=10), rel=1e-14)


def test_layer_integrated_gradients_on_an_image_layer_matches_captum():
    tm, gm = _twins("cnn")
    tx, gx = _inputs("cnn", n=3)
    ta = captum_attr.LayerIntegratedGradients(tm, tm[1]).attribute(tx, target=[0, 1, 2], n_steps=12)
    ga = A.LayerIntegratedGradients(gm, gm[1]).attribute(gx, target=[0, 1, 2], n_steps=12)
    _close(ga, ta, rel=1e-6)


# ---- noise tunnel ------------------------------------------------------------------------------
def _noise_draws(seed, n, shapes_dtypes, nt_samples, batch):
    """The noise NoiseTunnel documents: per batch of samples, input by input, randn((N*m,)+shape)."""
    gg.manual_seed(seed)
    parts = [batch] * (nt_samples // batch) + ([nt_samples % batch] if nt_samples % batch else [])
    draws = []
    for m in parts:
        for shape, dtype in shapes_dtypes:
            draws.append((m, gg.randn((n * m,) + shape, dtype=dtype).numpy()))
    return draws


@pytest.mark.parametrize("nt_type", ["smoothgrad", "smoothgrad_sq", "vargrad"])
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_noise_tunnel_matches_captum_fed_the_same_noise(nt_type, kind, monkeypatch):
    tm, gm = _twins(kind)
    tx, gx = _inputs(kind)
    stdev, nt_samples, batch = 0.3, 7, 3
    draws = _noise_draws(11, 4, [(tuple(tx.shape[1:]), gg.float64)], nt_samples, batch)
    feed = iter(draws)

    def same_noise(input, stdev_, m):
        m_drawn, z = next(feed)
        assert m_drawn == m
        return input.repeat_interleave(m, dim=0) + stdev_ * torch.tensor(z)

    monkeypatch.setattr(CaptumNoiseTunnel, "_add_noise_to_input", staticmethod(same_noise))
    target = [0, 2, 1, 1]
    theirs = CaptumNoiseTunnel(captum_attr.Saliency(tm)).attribute(
        tx.clone().requires_grad_(), nt_type=nt_type, nt_samples=nt_samples, nt_samples_batch_size=batch,
        stdevs=stdev, target=target)
    gg.manual_seed(11)
    ours = A.NoiseTunnel(A.Saliency(gm)).attribute(gx, nt_type=nt_type, nt_samples=nt_samples,
                                                   nt_samples_batch_size=batch, stdevs=stdev, target=target)
    assert next(feed, None) is None  # Captum used every draw
    _close(ours, theirs, rel=1e-12)
    # and independently of Captum: SmoothGrad is the mean of saliency at the noisy inputs
    if nt_type == "smoothgrad":
        noisy = np.concatenate([np.repeat(gx.numpy(), m, axis=0) + stdev * z for m, z in draws])
        order = np.concatenate([np.arange(4 * m) // m + 0 for m, _ in draws])
        sal = _np(A.Saliency(gm).attribute(gg.tensor(noisy), target=[target[i] for i in order]))
        mean = np.stack([sal[order == i].mean(0) for i in range(4)])
        _close(ours, mean, rel=1e-13)


def test_noise_tunnel_over_integrated_gradients_with_delta(monkeypatch):
    tm, gm = _twins("mlp")
    tx, gx = _inputs("mlp")
    draws = _noise_draws(4, 4, [((6,), gg.float64)], 4, 4)
    feed = iter(draws)
    monkeypatch.setattr(CaptumNoiseTunnel, "_add_noise_to_input",
                        staticmethod(lambda input, s, m: input.repeat_interleave(m, dim=0)
                                     + s * torch.tensor(next(feed)[1])))
    base = np.random.default_rng(2).normal(size=(4, 6))
    ta, td = CaptumNoiseTunnel(captum_attr.IntegratedGradients(tm)).attribute(
        tx, nt_samples=4, stdevs=0.2, baselines=torch.tensor(base), target=1, n_steps=10,
        return_convergence_delta=True)
    gg.manual_seed(4)
    ga, gd = A.NoiseTunnel(A.IntegratedGradients(gm)).attribute(
        gx, nt_samples=4, stdevs=0.2, baselines=gg.tensor(base), target=1, n_steps=10,
        return_convergence_delta=True)
    _close(ga, ta, rel=1e-6)
    assert tuple(gd.shape) == (16,) and np.abs(_np(gd)).max() < 1e-9


# ---- occlusion ---------------------------------------------------------------------------------
@pytest.mark.parametrize("per_eval", [1, 4])
@pytest.mark.parametrize("target", TARGETS)
def test_occlusion_on_images_matches_captum(per_eval, target):
    tm, gm = _twins("cnn")
    tx, gx = _inputs("cnn")
    tt, gt = _target(target)
    kw = dict(sliding_window_shapes=(2, 3, 3), strides=(2, 2, 2), perturbations_per_eval=per_eval)
    theirs = captum_attr.Occlusion(tm).attribute(tx, target=tt, baselines=0.5, **kw)
    ours = A.Occlusion(gm).attribute(gx, target=gt, baselines=0.5, **kw)
    assert ours.dtype == gg.float64
    _close(ours, theirs, rel=1e-6)  # Captum returns float32


def test_occlusion_tabular_and_tuple_inputs_match_captum():
    tm, gm = _twins("mlp")
    tx, gx = _inputs("mlp")
    base = np.random.default_rng(9).normal(size=(4, 6))
    theirs = captum_attr.Occlusion(tm).attribute(tx, sliding_window_shapes=(2,), strides=1, target=[0, 1, 2, 0],
                                                 baselines=torch.tensor(base), perturbations_per_eval=3)
    ours = A.Occlusion(gm).attribute(gx, sliding_window_shapes=(2,), strides=1, target=[0, 1, 2, 0],
                                     baselines=gg.tensor(base), perturbations_per_eval=3)
    _close(ours, theirs, rel=1e-6)
    tm, gm = _twins("two")
    rng = np.random.default_rng(3)
    x1, x2, s = rng.normal(size=(3, 4)), rng.normal(size=(3, 3)), rng.uniform(0.5, 2, size=(3, 1))
    kw = dict(sliding_window_shapes=((3,), (2,)), strides=(1, 1), target=1, perturbations_per_eval=2)
    theirs = captum_attr.Occlusion(tm).attribute((torch.tensor(x1), torch.tensor(x2)),
                                                 additional_forward_args=torch.tensor(s), **kw)
    ours = A.Occlusion(gm).attribute((gg.tensor(x1), gg.tensor(x2)), additional_forward_args=gg.tensor(s), **kw)
    for o, t in zip(ours, theirs):
        _close(o, t, rel=1e-6)


def test_occlusion_of_one_feature_is_the_output_drop():
    _, gm = _twins("mlp")
    _, gx = _inputs("mlp")
    ours = _np(A.Occlusion(gm).attribute(gx, sliding_window_shapes=(1,), target=2))
    with gg.no_grad():
        f = gm(gx).numpy()[:, 2]
        for j in range(6):
            x = gx.numpy().copy()
            x[:, j] = 0
            np.testing.assert_allclose(ours[:, j], f - gm(gg.tensor(x)).numpy()[:, 2], rtol=0, atol=1e-14)


# ---- image maps --------------------------------------------------------------------------------
@pytest.mark.parametrize("sign", ["absolute_value", "all"])
def test_image_maps_are_captums_normalized_attributions(sign):
    tm, gm = _twins("cnn")
    tx, gx = _inputs("cnn", n=3)
    gm.train()
    maps = A.image_maps(gm, gx, [0, 1, 2], method="integrated_gradients", sign=sign)
    assert gm.training and maps.shape == (3, 8, 8)
    theirs = captum_attr.IntegratedGradients(tm).attribute(tx, target=[0, 1, 2]).detach().numpy()
    for m, t in zip(maps, theirs):
        expected = _normalize_attr(t.transpose(1, 2, 0).sum(axis=2), sign, 2)
        np.testing.assert_allclose(m, expected, rtol=1e-5, atol=1e-6)
    assert np.abs(maps).max() == 1.0 and maps.min() >= (0 if sign == "absolute_value" else -1)
    for method in ("saliency", "input_x_gradient", "smoothgrad", "occlusion"):
        out = A.image_maps(gm, gx, 1, method=method)
        assert out.shape == (3, 8, 8) and np.isfinite(out).all() and out.max() == 1.0


# ---- weights -----------------------------------------------------------------------------------
def test_weight_contributions_are_gradient_times_weight():
    tm, gm = _twins("cnn")
    tx, gx = _inputs("cnn")
    y = [0, 1, 2, 1]
    loss = nn.functional.cross_entropy(gm(gx), gg.tensor(y))
    result = A.weight_contributions(gm, loss)
    tloss = torch.nn.functional.cross_entropy(tm(tx), torch.tensor(y))
    tgrads = torch.autograd.grad(tloss, list(tm.parameters()))
    expected = {n: (g * p).sum().item() for (n, p), g in zip(tm.named_parameters(), tgrads)}
    got = {r.name: r for r in result.parameters}
    assert set(got) == set(expected)
    for n, v in expected.items():
        assert abs(got[n].contribution - v) <= 1e-12 * max(1.0, abs(v))
    mags = [r.magnitude for r in result.layers]
    assert mags == sorted(mags, reverse=True) and {r.layer for r in result.layers} == {"0", "4"}
    conv = next(r for r in result.layers if r.layer == "0")
    assert conv.contribution == pytest.approx(expected["0.weight"] + expected["0.bias"], rel=1e-12)
    # first-order meaning: shrinking a layer's weights by a factor (1 - eps) lowers the loss by eps * sum g*w
    eps = 1e-6
    with gg.no_grad():
        for p in (gm[0].weight, gm[0].bias):
            p.array *= 1 - eps
        shrunk = nn.functional.cross_entropy(gm(gx), gg.tensor(y)).item()
    assert (loss.item() - shrunk) / eps == pytest.approx(conv.contribution, rel=1e-4)
    loss.backward()  # the graph is still there
    assert "sum |g*w|" in str(result)


def test_loss_change_allocation_reads_the_monitor(tmp_path):
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))
    lr = 0.1
    opt = gg.optim.SGD(model.parameters(), lr=lr)
    x = gg.randn(16, 6)
    y = gg.randint(0, 3, (16,))
    mon = gi.Monitor(model, opt, every=2)
    expected = {"0": {}, "2": {}}
    for step in range(6):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        for layer in ("0", "2"):  # plain SGD: the update is -lr * g, so g . update = -lr |g|^2
            expected[layer][step] = -lr * sum(float((p.grad.double() ** 2).sum().item())
                                              for p in model[int(layer)].parameters())
        opt.step()
        mon.record(loss)
    lca = A.loss_change_allocation(mon)
    assert lca.steps == [0, 2, 4]
    for layer in ("0", "2"):
        np.testing.assert_allclose(lca.per_layer[layer], [expected[layer][s] for s in lca.steps], rtol=1e-5)
        assert lca.totals[layer] == pytest.approx(sum(expected[layer][s] for s in lca.steps), rel=1e-5)
    assert sum(lca.shares.values()) == pytest.approx(1.0)
    np.testing.assert_allclose(lca.lca_sum, [lca.per_layer["0"][i] + lca.per_layer["2"][i] for i in range(3)],
                               rtol=1e-9)
    assert all(c is not None and c < 0 for c in lca.loss_change)  # full batch, small steps: the loss falls
    mon.save(tmp_path / "run")
    again = A.loss_change_allocation(str(tmp_path / "run"))
    assert again.steps == lca.steps and again.totals == pytest.approx(lca.totals, rel=1e-12)
    assert "share" in str(again)
    mon.close()


# ---- errors ------------------------------------------------------------------------------------
def test_clear_errors():
    _, gm = _twins("mlp")
    _, gx = _inputs("mlp")
    ig = A.IntegratedGradients(gm)
    with pytest.raises(IndexError, match=r"target index 3 .*out of range.*size 3 \(valid: 0\.\.2\)"):
        ig.attribute(gx, target=3)
    with pytest.raises(IndexError, match="example 1"):
        A.Saliency(gm).attribute(gx, target=[0, 7, 1, 1])
    with pytest.raises(ValueError, match="target has 3 entries but inputs have 4"):
        A.Saliency(gm).attribute(gx, target=[0, 1, 1])
    with pytest.raises(ValueError, match=r"baselines\[0\] has shape \(3, 6\) but inputs\[0\] has shape \(4, 6\)"):
        ig.attribute(gx, baselines=gg.zeros(3, 6), target=0)
    with pytest.raises(ValueError, match="2 baseline"):
        ig.attribute(gx, baselines=(0.0, 1.0), target=0)
    with pytest.raises(ValueError, match="pass target="):
        A.Saliency(gm).attribute(gx)
    with pytest.raises(TypeError, match="floating-point inputs.*LayerIntegratedGradients"):
        ig.attribute(gg.tensor([[1, 2, 3, 4, 5, 6]]), target=0)
    with pytest.raises(ValueError, match="method must be one of"):
        ig.attribute(gx, target=0, method="simpson")
    with pytest.raises(ValueError, match="n_steps must be an int >= 2"):
        ig.attribute(gx, target=0, n_steps=1, method="riemann_left")
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        ig.attribute(gx.numpy(), target=0)
    with pytest.raises(ValueError, match="nt_type must be one of"):
        A.NoiseTunnel(A.Saliency(gm)).attribute(gx, nt_type="smooth", target=0)
    with pytest.raises(ValueError, match="no convergence delta"):
        A.NoiseTunnel(A.Saliency(gm)).attribute(gx, target=0, return_convergence_delta=True)
    with pytest.raises(ValueError, match="window .* larger than"):
        A.Occlusion(gm).attribute(gx, sliding_window_shapes=(7,), target=0)
    with pytest.raises(ValueError, match="stride 3 is larger than the window 2"):
        A.Occlusion(gm).attribute(gx, sliding_window_shapes=(2,), strides=3, target=0)
    with pytest.raises(ValueError, match="1 positive ints"):
        A.Occlusion(gm).attribute(gx, sliding_window_shapes=(2, 2), target=0)
    with pytest.raises(ValueError, match="target \\(0, 1\\) needs 2 output dimension"):
        A.Saliency(gm).attribute(gx, target=(0, 1))
    _, em = _twins("embed")
    with pytest.raises(RuntimeError, match="did not run"):
        A.LayerIntegratedGradients(em, gm[0]).attribute(_inputs("embed")[1], target=0)
    with pytest.raises(ValueError, match="scalar Tensor"):
        A.weight_contributions(gm, gm(gx))
    with pytest.raises(ValueError, match="method must be one of"):
        A.image_maps(gm, gx, 0, method="gradcam")
    with pytest.raises(TypeError, match="Monitor, a RunRecord or a run directory"):
        A.loss_change_allocation(42)
