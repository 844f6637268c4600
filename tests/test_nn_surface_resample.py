"""Resampling and pooling added for issue 13: F.interpolate / Upsample (every mode, align_corners,
size or scale_factor, recompute_scale_factor, antialias), F.grid_sample (bilinear, nearest,
bicubic; zeros, border, reflection; align_corners; 4-d and 5-d), F.affine_grid, max_pool3d,
avg_pool3d, adaptive max/avg pooling: parity with PyTorch in float64 (values, indices, input and
grid gradients), gradcheck and errors."""
import warnings

import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from nn_surface import check, gradcheck

TF = torch.nn.functional

MODES = {1: ["nearest", "nearest-exact", "linear", "area"], 2: ["nearest", "nearest-exact", "bilinear", "bicubic", "area"],
         3: ["nearest", "nearest-exact", "trilinear", "area"]}
SIZES = {1: [dict(size=9), dict(scale_factor=1.7), dict(scale_factor=0.6, recompute_scale_factor=True)],
         2: [dict(size=(8, 3)), dict(scale_factor=2.0), dict(scale_factor=(1.7, 0.6)),
             dict(scale_factor=1.7, recompute_scale_factor=True), dict(size=1)],
         3: [dict(size=(3, 5, 2)), dict(scale_factor=1.5)]}
CASES = [(nd, mode, kw, ac) for nd in (1, 2, 3) for mode in MODES[nd] for kw in SIZES[nd]
         for ac in ([None] if mode in ("nearest", "nearest-exact", "area") else [False, True])]


@pytest.mark.parametrize("nd,mode,kw,ac", CASES, ids=lambda v: str(v))
def test_interpolate(nd, mode, kw, ac, rng):
    x = rng.standard_normal((2, 3) + (5, 7, 4)[:nd])
    check(lambda a: F.interpolate(a, mode=mode, align_corners=ac, **kw),
          lambda a: TF.interpolate(a, mode=mode, align_corners=ac, **kw), [x], rng)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("kw", [dict(size=(3, 11)), dict(scale_factor=0.4), dict(scale_factor=2.5)])
@pytest.mark.parametrize("ac", [False, True])
def test_interpolate_antialias(mode, kw, ac, rng):
    x = rng.standard_normal((2, 2, 9, 7))
    check(lambda a: F.interpolate(a, mode=mode, align_corners=ac, antialias=True, **kw),
          lambda a: TF.interpolate(a, mode=mode, align_corners=ac, antialias=True, **kw), [x], rng)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest"])
def test_interpolate_gradcheck_and_float32(mode, rng):
    x = rng.standard_normal((1, 2, 4, 3))
    gradcheck(lambda a: F.interpolate(a, size=(5, 2), mode=mode, **({} if mode == "nearest" else dict(align_corners=False))), [x])
    y = F.interpolate(glassgrad.tensor(x.astype(np.float32)), scale_factor=2, mode=mode)
    assert y.dtype == np.float32 and y.shape == (1, 2, 8, 6)


UPSAMPLE = [(nn.Upsample, torch.nn.Upsample, dict(scale_factor=2)),
            (nn.Upsample, torch.nn.Upsample, dict(size=(4, 9), mode="bilinear", align_corners=True)),
            (nn.Upsample, torch.nn.Upsample, dict(scale_factor=(1.5, 2.0), mode="bicubic")),
            (nn.UpsamplingNearest2d, torch.nn.UpsamplingNearest2d, dict(scale_factor=3)),
            (nn.UpsamplingBilinear2d, torch.nn.UpsamplingBilinear2d, dict(size=(5, 5)))]


@pytest.mark.parametrize("g,t,kw", UPSAMPLE, ids=lambda v: str(v))
def test_upsample_modules(g, t, kw, rng):
    gm, tm = g(**kw), t(**kw)
    assert repr(gm) == repr(tm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(gm, tm, [rng.standard_normal((2, 3, 4, 3))], rng)


def test_interpolate_errors():
    x = glassgrad.randn(1, 2, 4, 4)
    with pytest.raises(ValueError, match="align_corners option can only be set with the interpolating modes"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D input"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(ValueError, match="Input and output must have the same number of spatial dimensions"):
        F.interpolate(x, size=(2, 3, 4))
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful"):
        F.interpolate(x, size=3, recompute_scale_factor=True)
    with pytest.raises(ValueError, match="Anti-alias option is restricted"):
        F.interpolate(x, scale_factor=2, antialias=True)
    with pytest.raises(NotImplementedError, match="Only 3D, 4D and 5D"):
        F.interpolate(glassgrad.randn(2, 3), scale_factor=2)


# ---- grid_sample and affine_grid -----------------------------------------------------------------
GRID = [(mode, pad, ac) for mode in ("bilinear", "nearest", "bicubic") for pad in ("zeros", "border", "reflection")
        for ac in (False, True)]


@pytest.mark.parametrize("mode,pad,ac", GRID, ids=lambda v: str(v))
def test_grid_sample_2d(mode, pad, ac, rng):
    x, grid = rng.standard_normal((2, 3, 5, 6)), rng.uniform(-1.3, 1.3, (2, 4, 3, 2))
    check(lambda a, g: F.grid_sample(a, g, mode, pad, ac), lambda a, g: TF.grid_sample(a, g, mode, pad, ac),
          [x, grid], rng)


@pytest.mark.parametrize("mode,pad,ac", [g for g in GRID if g[0] != "bicubic"][::2], ids=lambda v: str(v))
def test_grid_sample_3d(mode, pad, ac, rng):
    x, grid = rng.standard_normal((2, 2, 3, 4, 5)), rng.uniform(-1.3, 1.3, (2, 2, 3, 2, 3))
    check(lambda a, g: F.grid_sample(a, g, mode, pad, ac), lambda a, g: TF.grid_sample(a, g, mode, pad, ac),
          [x, grid], rng)


@pytest.mark.parametrize("mode,pad", [("bilinear", "zeros"), ("bilinear", "reflection"), ("bicubic", "border")])
def test_grid_sample_gradcheck(mode, pad, rng):
    x, grid = rng.standard_normal((1, 2, 3, 4)), rng.uniform(-0.9, 0.9, (1, 2, 3, 2))
    gradcheck(lambda a, g: F.grid_sample(a, g, mode, pad, False), [x, grid])


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 1), (2, 3, 2, 4, 3)])
@pytest.mark.parametrize("ac", [False, True])
def test_affine_grid(size, ac, rng):
    nd = len(size) - 2
    theta = rng.standard_normal((2, nd, nd + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda t: F.affine_grid(t, size, ac), lambda t: TF.affine_grid(t, size, ac), [theta], rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gradcheck(lambda t: F.affine_grid(t, size, ac), [theta])


def test_affine_grid_then_grid_sample_rotates(rng):
    """A 90° rotation by affine_grid + grid_sample is rot90 of the image (align_corners=True)."""
    x = rng.standard_normal((1, 1, 5, 5))
    theta = glassgrad.tensor([[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]], dtype=glassgrad.float64)
    y = F.grid_sample(glassgrad.tensor(x), F.affine_grid(theta, (1, 1, 5, 5), True), align_corners=True)
    np.testing.assert_allclose(y.numpy()[0, 0], np.rot90(x[0, 0], 1), atol=1e-12)


def test_grid_errors():
    x = glassgrad.randn(1, 2, 3, 4)
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or 'bicubic'"):
        F.grid_sample(x, glassgrad.zeros(1, 2, 2, 2), mode="area", align_corners=False)
    with pytest.raises(RuntimeError, match="grid_sample: expected a 4-d input"):
        F.grid_sample(x, glassgrad.zeros(1, 2, 2, 3), align_corners=False)
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D"):
        F.grid_sample(glassgrad.randn(1, 1, 2, 2, 2), glassgrad.zeros(1, 1, 1, 1, 3), mode="bicubic", align_corners=False)
    with pytest.raises(ValueError, match="Nx2x3"):
        F.affine_grid(glassgrad.zeros(1, 3, 3), (1, 1, 2, 2), False)


# ---- pooling -------------------------------------------------------------------------------------
POOL3 = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
         dict(kernel_size=(2, 3, 2), stride=(1, 2, 3), dilation=(2, 1, 1), ceil_mode=True),
         dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)]


@pytest.mark.parametrize("kw", POOL3, ids=lambda v: str(v))
def test_max_pool3d(kw, rng):
    x = rng.standard_normal((2, 3, 5, 6, 7))
    check(lambda a: F.max_pool3d(a, return_indices=True, **kw), lambda a: TF.max_pool3d(a, return_indices=True, **kw),
          [x], rng)
    g, t = nn.MaxPool3d(**kw), torch.nn.MaxPool3d(**kw)
    assert repr(g) == repr(t)
    check(g, t, [x[0]], rng)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
                                dict(kernel_size=2, divisor_override=3)], ids=lambda v: str(v))
def test_avg_pool3d(kw, rng):
    x = rng.standard_normal((2, 3, 5, 6, 7))
    check(lambda a: F.avg_pool3d(a, **kw), lambda a: TF.avg_pool3d(a, **kw), [x], rng)
    g, t = nn.AvgPool3d(**kw), torch.nn.AvgPool3d(**kw)
    assert repr(g) == repr(t)
    check(g, t, [x[0]], rng)


ADAPTIVE = [("adaptive_max_pool1d", "AdaptiveMaxPool1d", (7,), 3), ("adaptive_max_pool1d", "AdaptiveMaxPool1d", (5,), 8),
            ("adaptive_max_pool2d", "AdaptiveMaxPool2d", (7, 5), (3, 2)),
            ("adaptive_max_pool2d", "AdaptiveMaxPool2d", (6, 5), (2, None)),
            ("adaptive_max_pool3d", "AdaptiveMaxPool3d", (5, 4, 6), (2, 3, 4)),
            ("adaptive_avg_pool3d", "AdaptiveAvgPool3d", (5, 4, 6), (3, 1, 4))]


@pytest.mark.parametrize("fn,mod,spatial,out", ADAPTIVE, ids=lambda v: str(v))
def test_adaptive_pools(fn, mod, spatial, out, rng):
    x = rng.standard_normal((2, 3) + spatial)
    kw = dict(return_indices=True) if "max" in fn else {}
    check(lambda a: getattr(F, fn)(a, out, **kw), lambda a: getattr(TF, fn)(a, out, **kw), [x], rng)
    g, t = getattr(nn, mod)(out), getattr(torch.nn, mod)(out)
    assert repr(g) == repr(t)
    check(g, t, [x[0]], rng)
    gradcheck(lambda a: getattr(F, fn)(a, out), [x[:1, :1]])


def test_max_pool_double_backward(rng):
    x = glassgrad.tensor(rng.standard_normal((1, 1, 3, 4, 4)), requires_grad=True)
    assert glassgrad.autograd.gradgradcheck(lambda a: F.max_pool3d(a, 2) ** 2, (x,))
    assert glassgrad.autograd.gradgradcheck(lambda a: F.adaptive_max_pool2d(a[0], 3) ** 2, (x,))


def test_pool_errors():
    with pytest.raises(RuntimeError, match=r"max_pool3d: expected a 4-d or 5-d input \(N, C, D, H, W\)"):
        F.max_pool3d(glassgrad.randn(2, 3, 4), 2)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.max_pool3d(glassgrad.randn(1, 1, 4, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="adaptive_max_pool2d: output_size must have 2 elements"):
        F.adaptive_max_pool2d(glassgrad.randn(1, 4, 4), (1, 2, 3))
    with pytest.raises(RuntimeError, match="adaptive_max_pool1d: expected a floating point input"):
        F.adaptive_max_pool1d(glassgrad.ones(1, 4, dtype=glassgrad.int64), 2)
