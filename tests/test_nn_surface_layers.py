"""Layers added for issue 13 (ParameterList/Dict, Bilinear, BatchNorm3d, InstanceNorm1d/2d/3d,
RMSNorm, LocalResponseNorm, AlphaDropout, PixelShuffle/Unshuffle, padding layers, gumbel_softmax):
parity with PyTorch in float64 (outputs, input and parameter gradients, running statistics),
state_dicts both ways, default init, reprs, gradcheck and errors."""
import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from nn_surface import check, check_module, gradcheck


# ---- containers ----------------------------------------------------------------------------------
def test_parameter_list_matches_pytorch():
    gl = nn.ParameterList([glassgrad.ones(2, 3), nn.Parameter(glassgrad.zeros(4))])
    tl = torch.nn.ParameterList([torch.ones(2, 3), torch.nn.Parameter(torch.zeros(4))])
    assert list(gl.state_dict()) == list(tl.state_dict()) == ["0", "1"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in gl)
    gl.append(glassgrad.full((5,), 2.0))
    gl.extend([glassgrad.ones(1)])
    assert len(gl) == 4 and len(list(gl.parameters())) == 4 and gl[-2].shape == (5,)
    gl[0] = glassgrad.zeros(2, 3)
    assert isinstance(gl[0], nn.Parameter) and float(gl[0].sum()) == 0
    assert len(gl[1:3]) == 2
    assert "(2): Parameter containing: [glassgrad.float32 of size 5]" in repr(gl)
    holder = nn.Module()
    holder.params = gl
    assert [k for k, _ in holder.named_parameters()] == ["params.0", "params.1", "params.2", "params.3"]
    with pytest.raises(IndexError):
        gl[7]


def test_parameter_dict_matches_pytorch():
    gd = nn.ParameterDict({"a": glassgrad.ones(2), "b": nn.Parameter(glassgrad.zeros(3))})
    td = torch.nn.ParameterDict({"a": torch.ones(2), "b": torch.nn.Parameter(torch.zeros(3))})
    assert list(gd.state_dict()) == list(td.state_dict()) == ["a", "b"]
    gd["c"] = glassgrad.ones(1)
    assert isinstance(gd["c"], nn.Parameter) and list(gd.keys()) == ["a", "b", "c"] and "c" in gd
    assert gd.pop("a").shape == (2,) and list(gd) == ["b", "c"]
    gd.update([("d", glassgrad.zeros(2))])
    assert [k for k, _ in gd.named_parameters()] == ["b", "c", "d"]
    assert gd.get("zz") is None and len(gd.copy()) == 3
    gd.load_state_dict({k: glassgrad.Tensor(v.numpy() + 1) for k, v in
                        torch.nn.ParameterDict({"b": torch.zeros(3), "c": torch.zeros(1), "d": torch.zeros(2)}).state_dict().items()})
    assert float(gd["b"].sum()) == 3
    with pytest.raises(TypeError, match="keys must be strings"):
        gd[1] = glassgrad.ones(1)


# ---- Bilinear ------------------------------------------------------------------------------------
@pytest.mark.parametrize("lead,bias", [((4,), True), ((2, 3), False), ((), True)])
def test_bilinear(lead, bias, rng):
    g, t = nn.Bilinear(3, 5, 2, bias=bias), torch.nn.Bilinear(3, 5, 2, bias=bias)
    assert repr(g) == repr(t)
    check_module(g, t, [rng.standard_normal(lead + (3,)), rng.standard_normal(lead + (5,))], rng)
    gradcheck(F.bilinear, [rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 3, 4)),
                           rng.standard_normal(2)])


def test_bilinear_init_bound():
    glassgrad.manual_seed(1)
    w = nn.Bilinear(16, 3, 400).weight.detach().numpy()
    assert np.abs(w).max() <= 0.25 and np.abs(w).max() > 0.24  # U(-1/√16, 1/√16)
    with pytest.raises(RuntimeError, match="bilinear: expected input1"):
        F.bilinear(glassgrad.randn(2, 3), glassgrad.randn(3, 4), glassgrad.randn(2, 3, 4))


# ---- normalization -------------------------------------------------------------------------------
NORMS = [
    ("BatchNorm3d", (3,), {}, (2, 3, 2, 3, 2)),
    ("BatchNorm3d", (3,), dict(momentum=None, affine=False), (2, 3, 2, 2, 2)),
    ("InstanceNorm1d", (3,), {}, (2, 3, 5)),
    ("InstanceNorm1d", (3,), dict(affine=True, track_running_stats=True), (2, 3, 5)),
    ("InstanceNorm1d", (3,), dict(affine=True), (3, 5)),
    ("InstanceNorm2d", (4,), dict(affine=True, momentum=0.3, track_running_stats=True), (2, 4, 3, 3)),
    ("InstanceNorm2d", (4,), {}, (4, 3, 3)),
    ("InstanceNorm3d", (2,), dict(affine=True), (2, 2, 2, 3, 2)),
    ("RMSNorm", (4,), {}, (2, 3, 4)),
    ("RMSNorm", ([3, 4],), dict(eps=1e-3), (2, 3, 4)),
    ("RMSNorm", (4,), dict(elementwise_affine=False), (5, 4)),
    ("LocalResponseNorm", (3,), {}, (2, 5, 4)),
    ("LocalResponseNorm", (2,), dict(alpha=0.5, beta=0.6, k=2.0), (2, 6, 3, 2)),
    ("LocalResponseNorm", (4,), dict(alpha=0.1), (2, 3, 2, 2, 2)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", NORMS, ids=lambda v: str(v))
def test_norm_layers(name, args, kwargs, shape, rng):
    g, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(g) == repr(t)
    for p in t.parameters():  # non-trivial affine parameters
        with torch.no_grad():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape))))
    for mode in ("train", "eval"):
        getattr(g, mode)(), getattr(t, mode)()
        check_module(g, t, [rng.standard_normal(shape) * 2 + 1], rng)
    gradcheck(g, [rng.standard_normal(shape)])


@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_functional(use_input_stats, rng):
    x, w, b = rng.standard_normal((3, 4, 5)), rng.standard_normal(4), rng.standard_normal(4)
    rm, rv = rng.standard_normal(4), rng.random(4) + 0.5
    gm, gv, tm, tv = glassgrad.tensor(rm), glassgrad.tensor(rv), torch.tensor(rm), torch.tensor(rv)
    check(lambda *a: F.instance_norm(a[0], gm, gv, a[1], a[2], use_input_stats, 0.2),
          lambda *a: torch.nn.functional.instance_norm(a[0], tm, tv, a[1], a[2], use_input_stats, 0.2), [x, w, b], rng)
    np.testing.assert_allclose(gm.numpy(), tm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gv.numpy(), tv.numpy(), rtol=1e-12)


def test_rms_norm_and_lrn_functional(rng):
    x, w = rng.standard_normal((2, 3, 4)), rng.standard_normal(4)
    check(lambda a, b: F.rms_norm(a, (4,), b), lambda a, b: torch.nn.functional.rms_norm(a, (4,), b), [x, w], rng)
    check(lambda a: F.local_response_norm(a, 3), lambda a: torch.nn.functional.local_response_norm(a, 3), [x], rng)
    gradcheck(lambda a, b: F.rms_norm(a, (4,), b, 1e-3), [x, w])


def test_norm_errors():
    with pytest.raises(ValueError, match=r"InstanceNorm2d: expected 3D \(unbatched\) or 4D"):
        nn.InstanceNorm2d(3)(glassgrad.randn(2, 3))
    with pytest.raises(ValueError, match="InstanceNorm1d: expected input's size at dim=1 to match num_features"):
        nn.InstanceNorm1d(3, affine=True)(glassgrad.randn(2, 4, 5))
    with pytest.raises(ValueError, match="BatchNorm3d: expected 5D"):
        nn.BatchNorm3d(3)(glassgrad.randn(2, 3, 4, 4))
    with pytest.raises(RuntimeError, match=r"rms_norm: expected input with shape \(\*, 4\)"):
        F.rms_norm(glassgrad.randn(2, 3), (4,))
    with pytest.raises(ValueError, match="local_response_norm: expected 3D or higher"):
        F.local_response_norm(glassgrad.randn(2, 3), 2)
    with pytest.raises(ValueError, match="instance_norm: expected more than 1 spatial element"):
        F.instance_norm(glassgrad.randn(2, 3, 1))


# ---- alpha dropout -------------------------------------------------------------------------------
@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_keeps_mean_and_variance(feature):
    x = glassgrad.randn(200, 100, 10, dtype=glassgrad.float64)
    m = (nn.FeatureAlphaDropout if feature else nn.AlphaDropout)(0.3)
    y = m(x).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
    # the dropped entries hold a·(-α) + α·a·p; the kept ones a·x + α·a·p
    alpha, p = 1.7580993408473766, 0.3
    a = 1 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    dropped = y == -alpha * a + alpha * a * p  # exactly: 0·x + the shift
    np.testing.assert_allclose(y[~dropped], a * x.numpy()[~dropped] + alpha * a * p, rtol=1e-12)
    assert abs(dropped.mean() - p) < 0.01
    if feature:  # one draw per (n, c)
        assert np.all(dropped == dropped[:, :, :1])
    m.eval()
    assert m(x) is x


def test_alpha_dropout_gradient_and_functional_default():
    x = glassgrad.randn(50, 40, dtype=glassgrad.float64, requires_grad=True)
    assert F.alpha_dropout(x, 0.5) is x  # training defaults to False, as in PyTorch
    glassgrad.manual_seed(3)
    y = F.alpha_dropout(x, 0.5, training=True)
    y.sum().backward()
    a = 1 / np.sqrt((1.7580993408473766 ** 2 * 0.5 + 1) * 0.5)
    kept = x.grad.numpy() != 0
    np.testing.assert_allclose(x.grad.numpy()[kept], a)
    assert 0.4 < kept.mean() < 0.6
    assert float(F.alpha_dropout(x, 1.0, True).abs().sum()) == 0
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.AlphaDropout(1.5)


# ---- pixel shuffle and padding -------------------------------------------------------------------
@pytest.mark.parametrize("shape,r", [((2, 8, 3, 2), 2), ((9, 2, 2), 3), ((2, 1, 4, 3, 2), 1)])
def test_pixel_shuffle(shape, r, rng):
    x = rng.standard_normal(shape)
    check(lambda a: F.pixel_shuffle(a, r), lambda a: torch.nn.functional.pixel_shuffle(a, r), [x], rng)
    y = rng.standard_normal(shape[:-3] + (shape[-3] // (r * r), shape[-2] * r, shape[-1] * r))
    check(lambda a: F.pixel_unshuffle(a, r), lambda a: torch.nn.functional.pixel_unshuffle(a, r), [y], rng)
    g, t = nn.PixelShuffle(r), torch.nn.PixelShuffle(r)
    assert repr(g) == repr(t)
    check(g, t, [x], rng)
    check(nn.PixelUnshuffle(r), torch.nn.PixelUnshuffle(r), [y], rng)
    with pytest.raises(RuntimeError, match="pixel_shuffle: expected the channel dim"):
        F.pixel_shuffle(glassgrad.randn(1, 3, 2, 2), 2)


PADS = [("ZeroPad1d", (2,)), ("ZeroPad2d", ((1, 0, 2, 1),)), ("ZeroPad3d", (1,)),
        ("ConstantPad1d", ((1, 2), 3.5)), ("ConstantPad2d", (1, -1.0)), ("ConstantPad3d", ((1, 0, 0, 2, 1, 1), 0.5)),
        ("ReflectionPad1d", ((2, 1),)), ("ReflectionPad2d", (1,)), ("ReflectionPad3d", ((1, 0, 1, 1, 0, 1),)),
        ("ReplicationPad1d", (3,)), ("ReplicationPad2d", ((0, 2, 1, 3),)), ("ReplicationPad3d", (1,)),
        ("CircularPad1d", (1,)), ("CircularPad2d", ((1, 2, 0, 1),)), ("CircularPad3d", (1,))]


@pytest.mark.parametrize("name,args", PADS, ids=[p[0] for p in PADS])
@pytest.mark.parametrize("batched", [True, False])
def test_padding_layers(name, args, batched, rng):
    n = int(name[-2])
    shape = (2, 3) + (4, 3, 3)[:n] if batched else (3,) + (4, 3, 3)[:n]
    g, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(g) == repr(t) and g.padding == t.padding
    check(g, t, [rng.standard_normal(shape)], rng)


def test_padding_errors():
    with pytest.raises(ValueError, match="ReflectionPad2d: expected 3D or 4D input"):
        nn.ReflectionPad2d(1)(glassgrad.randn(2, 3))
    with pytest.raises(ValueError, match="padding must be an int or a tuple of 4 ints"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(RuntimeError, match="padding size should be less than the corresponding input"):
        nn.ReflectionPad1d(3)(glassgrad.randn(1, 2, 3))


# ---- gumbel softmax ------------------------------------------------------------------------------
def test_gumbel_softmax_is_a_softmax_sample_with_the_right_frequencies():
    logits = glassgrad.tensor(np.log([0.1, 0.2, 0.7]), dtype=glassgrad.float64).expand(20000, 3)
    y = F.gumbel_softmax(logits, tau=0.5, hard=True)
    counts = y.numpy().sum(0) / 20000  # the Gumbel-max trick samples the categorical distribution
    np.testing.assert_allclose(counts, [0.1, 0.2, 0.7], atol=0.015)
    soft = F.gumbel_softmax(logits, tau=2.0)
    np.testing.assert_allclose(soft.numpy().sum(1), 1.0, rtol=1e-12)


def test_gumbel_softmax_hard_is_straight_through():
    x = glassgrad.randn(5, 4, dtype=glassgrad.float64, requires_grad=True)
    glassgrad.manual_seed(0)
    y = F.gumbel_softmax(x, hard=True, dim=1)
    w = glassgrad.randn(5, 4, dtype=glassgrad.float64)
    (y * w).sum().backward()
    glassgrad.manual_seed(0)
    x2 = x.detach().requires_grad_()
    soft = F.gumbel_softmax(x2, hard=False, dim=1)
    (soft * w).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-12)
    assert set(np.unique(y.detach().numpy())) == {0.0, 1.0}
    np.testing.assert_array_equal(y.detach().numpy().argmax(1), soft.detach().numpy().argmax(1))
