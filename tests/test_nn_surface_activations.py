"""Activations added for issue 13 (ReLU6, Hardtanh, SELU, CELU, Softsign, Mish, Hardswish,
Hardsigmoid, PReLU, Threshold, Tanhshrink, GLU, LogSigmoid, Hardshrink, Softshrink): F.* and
modules against PyTorch in float64 (values, input and parameter gradients, including the kinks),
gradcheck and gradgradcheck, in-place forms, reprs and errors."""
import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from nn_surface import check, check_module, gradcheck

# name, kwargs: F.<name>(x, **kwargs) in both frameworks
FUNCS = [
    ("relu6", {}), ("hardtanh", {}), ("hardtanh", dict(min_val=-0.5, max_val=2.0)), ("selu", {}),
    ("celu", {}), ("celu", dict(alpha=0.7)), ("softsign", {}), ("mish", {}), ("hardswish", {}),
    ("hardsigmoid", {}), ("threshold", dict(threshold=0.3, value=-2.0)), ("tanhshrink", {}),
    ("logsigmoid", {}), ("hardshrink", {}), ("hardshrink", dict(lambd=1.2)), ("softshrink", {}),
    ("softshrink", dict(lambd=0.2)), ("glu", {}), ("glu", dict(dim=0)),
]
# the kinks and other special points, where the gradient conventions show
SPECIAL = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 0.3, -20.0, 30.0, -0.2])


def _input(rng, name):
    x = rng.standard_normal((4, 6)) * 3
    return x


@pytest.mark.parametrize("name,kwargs", FUNCS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FUNCS)])
def test_functional_parity(name, kwargs, rng):
    x = _input(rng, name)
    # PyTorch's celu backward uses 1/float32(alpha) (derivatives.yaml: alpha.toFloat()); glassgrad
    # the exact 1/alpha, so for alpha = 0.7 the gradients differ at float32 rounding (~1e-7)
    # hardsigmoid's backward likewise multiplies by 1.0f/6.0f (float32) where glassgrad uses 1/6
    tol = dict(rtol=1e-6, atol=1e-9) if (name == "celu" and kwargs) or name == "hardsigmoid" else None
    check(lambda t: getattr(F, name)(t, **kwargs), lambda t: getattr(torch.nn.functional, name)(t, **kwargs),
          [x], rng, **({"tol": tol} if tol else {}))


@pytest.mark.parametrize("name,kwargs", [f for f in FUNCS if f[0] != "glu"], ids=lambda v: str(v))
def test_gradient_at_kinks_and_nan(name, kwargs, rng):
    x = np.concatenate([SPECIAL, [np.nan, np.inf, -np.inf]])
    g = glassgrad.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    yg, yt = getattr(F, name)(g, **kwargs), getattr(torch.nn.functional, name)(t, **kwargs)
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    yg.sum().backward()
    yt.sum().backward()
    finite = np.isfinite(x)
    rtol = 1e-7 if name in ("celu", "hardsigmoid") else 1e-12  # float32 constants in PyTorch (above)
    np.testing.assert_allclose(g.grad.numpy()[finite], t.grad.numpy()[finite], rtol=rtol, atol=1e-14)
    # at NaN PyTorch's masks decide whether the gradient passes or is zeroed
    nan = np.isnan(x)
    np.testing.assert_array_equal(np.isnan(g.grad.numpy()[nan]), np.isnan(t.grad.numpy()[nan]))


@pytest.mark.parametrize("name,kwargs", FUNCS[::2], ids=lambda v: str(v))
def test_gradcheck_and_gradgradcheck(name, kwargs, rng):
    x = rng.standard_normal((2, 4)) * 2
    x[np.abs(np.abs(x) - 3) < 0.05] += 0.2  # away from the kinks for finite differences
    fn = lambda t: getattr(F, name)(t, **kwargs)  # noqa: E731
    gradcheck(fn, [x])
    assert glassgrad.autograd.gradgradcheck(fn, (glassgrad.tensor(x, requires_grad=True),))


@pytest.mark.parametrize("shape,n", [((3, 4, 5), 4), ((3, 4, 5), 1), ((5,), 1), ((2, 3), 3), ((), 1)])
def test_prelu(shape, n, rng):
    x = rng.standard_normal(shape)
    w = rng.standard_normal(n)
    check(F.prelu, torch.nn.functional.prelu, [x, w], rng)
    gradcheck(F.prelu, [x, w])


def test_prelu_module_state_dict_and_init(rng):
    g, t = nn.PReLU(4, init=0.1), torch.nn.PReLU(4, init=0.1)
    np.testing.assert_allclose(g.weight.detach().numpy(), t.weight.detach().numpy())
    assert repr(g) == repr(t)
    check_module(g, t, [rng.standard_normal((2, 4, 3))], rng)
    g.weight.data.fill_(3.0)
    g.reset_parameters()
    np.testing.assert_allclose(g.weight.detach().numpy(), 0.1)
    with pytest.raises(RuntimeError, match=r"prelu.*4 elements.*3 channel"):
        g(glassgrad.randn(2, 3, 5))


MODULES = [
    ("ReLU6", (), {}), ("ReLU6", (True,), {}), ("Hardtanh", (-2.0, 0.5), {}), ("SELU", (), {}), ("CELU", (0.5,), {}),  # 0.5 is exact in float32 (see above)
    ("Softsign", (), {}), ("Mish", (), {}), ("Hardswish", (), {}), ("Hardsigmoid", (), {}),
    ("Threshold", (0.1, 20.0), {}), ("Tanhshrink", (), {}), ("GLU", (), dict(dim=1)), ("LogSigmoid", (), {}),
    ("Hardshrink", (0.3,), {}), ("Softshrink", (0.3,), {}), ("PReLU", (), {}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=lambda v: str(v))
def test_modules(name, args, kwargs, rng):
    g, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(g) == repr(t)
    x = rng.standard_normal((3, 4, 2)) * 3
    tol = dict(rtol=1e-6, atol=1e-9) if name == "Hardsigmoid" else None
    if name == "ReLU6" and args:  # in place on a non-leaf
        check(lambda a: g(a * 1), lambda a: t(a * 1), [x], rng)
    else:
        check_module(g, t, [x], rng, **({"tol": tol} if tol else {}))


@pytest.mark.parametrize("name", ["hardtanh_", "selu_", "celu_", "threshold_"])
def test_inplace_functional(name, rng):
    x = rng.standard_normal((3, 4)) * 3
    args = (0.2, -1.0) if name == "threshold_" else ()
    g, t = glassgrad.tensor(x), torch.tensor(x)
    out = getattr(F, name)(g, *args)
    getattr(torch.nn.functional, name)(t, *args)
    assert out is g
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["relu6", "hardswish", "hardsigmoid", "mish", "selu", "celu", "hardtanh"])
def test_inplace_keyword_records_the_graph(name, rng):
    x = rng.standard_normal((3, 4)) * 3
    tol = dict(rtol=1e-6, atol=1e-9) if name == "hardsigmoid" else None
    check(lambda a: getattr(F, name)(a * 1, inplace=True), lambda a: getattr(torch.nn.functional, name)(a * 1, inplace=True),
          [x], rng, **({"tol": tol} if tol else {}))


def test_errors():
    with pytest.raises(RuntimeError, match="glu: halving dimension must be even.*size 3"):
        F.glu(glassgrad.randn(2, 3), 1)
    with pytest.raises(IndexError, match="glu"):
        F.glu(glassgrad.randn(2, 4), 2)
    with pytest.raises(RuntimeError, match="celu.*alpha"):
        F.celu(glassgrad.randn(3), alpha=0.0)
    with pytest.raises(ValueError, match="min_val.*max_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(RuntimeError, match="softshrink: lambda"):
        F.softshrink(glassgrad.randn(3), -1.0)
    with pytest.raises(RuntimeError, match="mish.*floating"):
        F.mish(glassgrad.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="prelu: mismatch.*5 elements"):
        F.prelu(glassgrad.randn(5), glassgrad.ones(5))
    with pytest.raises(RuntimeError, match="prelu: weight must be a 1-d"):
        F.prelu(glassgrad.randn(2, 3), glassgrad.ones(3, 1))


def test_float32_keeps_dtype(rng):
    x = rng.standard_normal((4, 5)).astype(np.float32)
    for name in ("selu", "mish", "hardswish", "logsigmoid", "celu", "softsign", "tanhshrink", "relu6"):
        y = getattr(F, name)(glassgrad.tensor(x))
        assert y.dtype == np.float32
        np.testing.assert_allclose(y.numpy(), getattr(torch.nn.functional, name)(torch.tensor(x)).numpy(),
                                   rtol=1e-5, atol=1e-6)


TOP_LEVEL = [("selu", ()), ("celu", (0.5,)), ("threshold", (0.2, -1.0)), ("hardshrink", (0.4,)),
             ("pixel_shuffle", (2,)), ("pixel_unshuffle", (2,)), ("rms_norm", ((4,),)), ("max_pool3d", (2,))]


@pytest.mark.parametrize("name,args", TOP_LEVEL, ids=[t[0] for t in TOP_LEVEL])
def test_top_level_names(name, args, rng):
    """torch.selu, torch.pixel_shuffle, ...: the same functions at glassgrad's top level."""
    x = rng.standard_normal((2, 4, 4, 4)) if name != "max_pool3d" else rng.standard_normal((1, 2, 4, 4, 4))
    check(lambda a: getattr(glassgrad, name)(a, *args), lambda a: getattr(torch, name)(a, *args), [x], rng)


def test_top_level_binary_names(rng):
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    for name in ("cosine_similarity", "pairwise_distance"):
        check(getattr(glassgrad, name), getattr(torch, name), [x, y], rng)
    check(glassgrad.pdist, torch.pdist, [x], rng)
    check(glassgrad.prelu, torch.prelu, [x, rng.standard_normal(3)], rng)
    check(glassgrad.bilinear, torch.bilinear, [x, y, rng.standard_normal((2, 3, 3)), rng.standard_normal(2)], rng)
