"""Pooling (F.max_pool1d/2d, F.avg_pool1d/2d, F.adaptive_avg_pool1d/2d and the pooling modules) against
PyTorch, finite differences and the error messages."""
import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn.functional as F
from glassgrad.autograd import gradcheck, gradgradcheck

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}
TF = torch.nn.functional


def _parity(gg_fn, torch_fn, x, dtype, rng, indices=False):
    x = x.astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    xg = glassgrad.Tensor(x.copy(), requires_grad=True)
    yt, y = torch_fn(xt), gg_fn(xg)
    if indices:
        (yt, it), (y, i) = yt, y
        assert i.dtype == np.int64
        np.testing.assert_array_equal(i.array, it.numpy())
    assert y.dtype == dtype and y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y.array, yt.detach().numpy(), **TOL[dtype])
    dy = rng.standard_normal(yt.shape).astype(dtype)
    yt.backward(torch.tensor(dy))
    y.backward(glassgrad.Tensor(dy))
    np.testing.assert_allclose(xg.grad.array, xt.grad.numpy(), **TOL[dtype])


MAX2D = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=1),
         dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(1, 2), ceil_mode=True),
         dict(kernel_size=3, stride=2, ceil_mode=True), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True),
         dict(kernel_size=(2, 3), stride=(), dilation=2)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kw", MAX2D)
def test_max_pool2d_matches_torch(kw, dtype, rng):
    # small integers make ties: the gradient must go to the first maximum, like PyTorch
    x = rng.integers(0, 4, (2, 3, 7, 8)).astype(np.float64)
    _parity(lambda t: F.max_pool2d(t, return_indices=True, **kw),
            lambda t: TF.max_pool2d(t, return_indices=True, **kw), x, dtype, rng, indices=True)
    _parity(lambda t: F.max_pool2d(t, **kw), lambda t: TF.max_pool2d(t, **kw), rng.standard_normal((2, 3, 7, 8)),
            dtype, rng)


def _one_d(kw):
    return {k: (v[0] if isinstance(v, tuple) and v else v) for k, v in kw.items()}


@pytest.mark.parametrize("kw", [_one_d(k) for k in MAX2D])
def test_max_pool1d_matches_torch(kw, rng):
    x = rng.integers(0, 3, (2, 3, 9)).astype(np.float64)
    _parity(lambda t: F.max_pool1d(t, return_indices=True, **kw),
            lambda t: TF.max_pool1d(t, return_indices=True, **kw), x, np.float64, rng, indices=True)


def test_max_pool_unbatched_and_nan(rng):
    x = rng.standard_normal((3, 6, 6))
    x[0, 1, 1] = np.nan
    _parity(lambda t: F.max_pool2d(t, 2), lambda t: TF.max_pool2d(t, 2), x, np.float64, rng)
    y = F.max_pool2d(glassgrad.Tensor(x), 2)
    assert np.isnan(y.array[0, 0, 0])


AVG2D = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
         dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
         dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
         dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
         dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True),
         dict(kernel_size=3, divisor_override=5)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kw", AVG2D)
def test_avg_pool2d_matches_torch(kw, dtype, rng):
    _parity(lambda t: F.avg_pool2d(t, **kw), lambda t: TF.avg_pool2d(t, **kw), rng.standard_normal((2, 3, 7, 8)),
            dtype, rng)


@pytest.mark.parametrize("kw", [_one_d(k) for k in AVG2D if "divisor_override" not in k])
def test_avg_pool1d_matches_torch(kw, rng):
    _parity(lambda t: F.avg_pool1d(t, **kw), lambda t: TF.avg_pool1d(t, **kw), rng.standard_normal((2, 3, 9)),
            np.float64, rng)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("size", [(3, 4), (None, 3), 1, (7, 8), (7, 4), (5, 3)])
def test_adaptive_avg_pool2d_matches_torch(size, dtype, rng):
    _parity(lambda t: F.adaptive_avg_pool2d(t, size), lambda t: TF.adaptive_avg_pool2d(t, size),
            rng.standard_normal((2, 3, 7, 8)), dtype, rng)


def test_adaptive_avg_pool1d_and_unbatched(rng):
    _parity(lambda t: F.adaptive_avg_pool1d(t, 4), lambda t: TF.adaptive_avg_pool1d(t, 4),
            rng.standard_normal((2, 3, 9)), np.float64, rng)
    _parity(lambda t: F.adaptive_avg_pool2d(t, 3), lambda t: TF.adaptive_avg_pool2d(t, 3),
            rng.standard_normal((3, 7, 5)), np.float64, rng)


@pytest.mark.parametrize("fn", [lambda t: F.max_pool2d(t, 3, 2, 1), lambda t: F.max_pool2d(t, 2, 1, dilation=2),
                                lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                                lambda t: F.adaptive_avg_pool2d(t, (3, 2))])
def test_pool_gradcheck_and_double_backward(fn, rng):
    x = rng.permutation(50)[:2 * 5 * 5].reshape(1, 2, 5, 5) / 7.0  # distinct values: max is differentiable
    t = glassgrad.Tensor(x, requires_grad=True)
    assert gradcheck(fn, (t,))
    assert gradgradcheck(fn, (t,))


def test_pool_errors():
    with pytest.raises(RuntimeError, match=r"max_pool2d: expected a 3-d or 4-d input"):
        F.max_pool2d(glassgrad.zeros(4, 4), 2)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(glassgrad.zeros(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="larger than the padded input"):
        F.avg_pool2d(glassgrad.zeros(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match="floating point"):
        F.avg_pool1d(glassgrad.zeros(1, 1, 4, dtype=glassgrad.int64), 2)
    with pytest.raises(RuntimeError, match="must be positive"):
        F.adaptive_avg_pool2d(glassgrad.zeros(1, 1, 4, 4), 0)


# ---- modules -----------------------------------------------------------------------------------
POOL_MODULES = [("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 3, 7, 8)),
                ("MaxPool2d", dict(kernel_size=2, dilation=2), (3, 7, 8)),
                ("MaxPool1d", dict(kernel_size=3, stride=2, padding=1), (2, 3, 9)),
                ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), (2, 3, 7, 8)),
                ("AvgPool2d", dict(kernel_size=2, divisor_override=3, ceil_mode=True), (2, 3, 7, 7)),
                ("AvgPool1d", dict(kernel_size=3, stride=2, ceil_mode=True), (2, 3, 8)),
                ("AdaptiveAvgPool2d", dict(output_size=(3, None)), (2, 3, 7, 8)),
                ("AdaptiveAvgPool1d", dict(output_size=4), (2, 3, 7))]


@pytest.mark.parametrize("name,kwargs,shape", POOL_MODULES)
def test_pool_modules_match_torch(name, kwargs, shape, rng):
    torch_mod, gg_mod = getattr(torch.nn, name)(**kwargs), getattr(glassgrad.nn, name)(**kwargs)
    assert gg_mod.extra_repr() == torch_mod.extra_repr()
    _parity(gg_mod, torch_mod, rng.standard_normal(shape), np.float32, rng)
    _parity(gg_mod, torch_mod, rng.standard_normal(shape), np.float64, rng)


def test_max_pool_module_return_indices(rng):
    x = rng.integers(0, 3, (2, 2, 6, 6)).astype(np.float32)
    _parity(glassgrad.nn.MaxPool2d(3, 2, 1, return_indices=True), torch.nn.MaxPool2d(3, 2, 1, return_indices=True),
            x, np.float32, rng, indices=True)
