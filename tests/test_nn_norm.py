"""Normalization (F.batch_norm, F.layer_norm, F.group_norm and the norm modules) against PyTorch,
finite differences, running statistics and the error messages."""
import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn.functional as F
from glassgrad.autograd import gradcheck
from parity import LAYER_TOL as TOL, check_layer_parity

TF = torch.nn.functional


def _stats(c, dtype):
    rm, rv = np.linspace(-1, 1, c).astype(dtype), np.linspace(0.5, 2, c).astype(dtype)
    return (glassgrad.Tensor(rm.copy()), glassgrad.Tensor(rv.copy())), (torch.tensor(rm), torch.tensor(rv))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (2, 3, 4, 5)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_matches_torch(shape, training, affine, dtype, rng):
    (rm, rv), (rmt, rvt) = _stats(3, dtype)
    arrays = [rng.standard_normal(shape) * 3 + 1] + ([rng.standard_normal(3), rng.standard_normal(3)] if affine
                                                     else [None, None])
    check_layer_parity(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training, 0.2, 1e-3),
            lambda x, w, b: TF.batch_norm(x, rmt, rvt, w, b, training, 0.2, 1e-3), arrays, dtype, rng)
    np.testing.assert_allclose(rm.array, rmt.numpy(), **TOL[dtype])
    np.testing.assert_allclose(rv.array, rvt.numpy(), **TOL[dtype])


def test_batch_norm_without_running_stats_uses_batch_stats(rng):
    check_layer_parity(lambda x: F.batch_norm(x, None, None), lambda x: TF.batch_norm(x, None, None, training=True),
            [rng.standard_normal((4, 2, 3))], np.float64, rng)


def test_batch_norm_running_stats_over_steps(rng):
    (rm, rv), (rmt, rvt) = _stats(4, np.float32)
    for step in range(5):
        x = (rng.standard_normal((6, 4, 3)) * (step + 1) + step).astype(np.float32)
        F.batch_norm(glassgrad.Tensor(x), rm, rv, training=True, momentum=0.3)
        TF.batch_norm(torch.tensor(x), rmt, rvt, training=True, momentum=0.3)
        np.testing.assert_allclose(rm.array, rmt.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(rv.array, rvt.numpy(), rtol=1e-5, atol=1e-6)
    assert rm.array.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,normalized", [((2, 3, 4, 5), (4, 5)), ((3, 5), (5,)), ((2, 4), 4),
                                              ((2, 3, 1, 4), (1, 4))])
@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
def test_layer_norm_matches_torch(shape, normalized, affine, dtype, rng):
    pshape = (normalized,) if isinstance(normalized, int) else normalized
    w = rng.standard_normal(pshape) if affine in ("both", "weight") else None
    b = rng.standard_normal(pshape) if affine in ("both", "bias") else None
    check_layer_parity(lambda x, w, b: F.layer_norm(x, normalized, w, b, 1e-4),
            lambda x, w, b: TF.layer_norm(x, pshape, w, b, 1e-4), [rng.standard_normal(shape) * 2, w, b], dtype, rng)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,groups", [((2, 6, 4, 5), 2), ((2, 6, 4), 3), ((3, 4), 2), ((2, 4, 3, 3), 1)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(shape, groups, affine, dtype, rng):
    c = shape[1]
    arrays = [rng.standard_normal(shape)] + ([rng.standard_normal(c), rng.standard_normal(c)] if affine
                                             else [None, None])
    check_layer_parity(lambda x, w, b: F.group_norm(x, groups, w, b), lambda x, w, b: TF.group_norm(x, groups, w, b),
            arrays, dtype, rng)


def _leaves(rng, *shapes):
    return [glassgrad.Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


def test_norm_gradcheck(rng):
    x, w, b = _leaves(rng, (3, 4, 2), (4,), (4,))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))
    rm, rv = glassgrad.Tensor(rng.standard_normal(4)), glassgrad.Tensor(rng.random(4) + 0.5)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), (x, w, b))
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    x, w, b = _leaves(rng, (2, 3, 4), (3, 4), (3, 4))
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), (x, w, b))


def test_norm_is_once_differentiable(rng):
    x, w = _leaves(rng, (3, 4), (4,))
    (gx,) = glassgrad.autograd.grad((F.layer_norm(x, 4, w) ** 2).sum(), [x], create_graph=True)
    with pytest.raises(RuntimeError, match="once-differentiable"):
        gx.sum().backward()


def test_norm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(glassgrad.zeros(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match=r"expected running_mean of shape \(3,\)"):
        F.batch_norm(glassgrad.zeros(2, 3), glassgrad.zeros(4), glassgrad.ones(3))
    with pytest.raises(RuntimeError, match=r"expected weight of shape \(3,\)"):
        F.batch_norm(glassgrad.zeros(2, 3), None, None, glassgrad.ones(2), training=True)
    with pytest.raises(RuntimeError, match=r"layer_norm: expected input with shape \(\*, 4\)"):
        F.layer_norm(glassgrad.zeros(2, 3), (4,))
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(glassgrad.zeros(2, 6, 3), 4)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.layer_norm(glassgrad.zeros(2, 3), 3, glassgrad.ones(3, dtype=glassgrad.float64))


# ---- modules -----------------------------------------------------------------------------------
def _copy_params(gg_mod, torch_mod):
    for name in ("weight", "bias"):
        t = getattr(torch_mod, name, None)
        if t is not None:
            getattr(gg_mod, name).array[...] = t.detach().numpy()


def _step(gg_mod, torch_mod, x, rng):
    """One forward/backward of both modules on x; compare outputs and all gradients."""
    tol = TOL[x.dtype.type]
    xt, xg = torch.tensor(x, requires_grad=True), glassgrad.Tensor(x.copy(), requires_grad=True)
    yt, y = torch_mod(xt), gg_mod(xg)
    np.testing.assert_allclose(y.array, yt.detach().numpy(), **tol)
    dy = rng.standard_normal(yt.shape).astype(x.dtype)
    yt.backward(torch.tensor(dy))
    y.backward(glassgrad.Tensor(dy))
    np.testing.assert_allclose(xg.grad.array, xt.grad.numpy(), **tol)
    for name in ("weight", "bias"):
        t = getattr(torch_mod, name, None)
        if t is not None:
            g = getattr(gg_mod, name)
            np.testing.assert_allclose(g.grad.array, t.grad.numpy(), **tol)
            g.grad, t.grad = None, None


def _check_buffers(gg_mod, torch_mod, dtype):
    for name in ("running_mean", "running_var"):
        t = getattr(torch_mod, name)
        if t is None:
            assert getattr(gg_mod, name) is None
        else:
            np.testing.assert_allclose(getattr(gg_mod, name).array, t.numpy(), **TOL[dtype])
    if torch_mod.num_batches_tracked is not None:
        assert int(gg_mod.num_batches_tracked.array) == int(torch_mod.num_batches_tracked)
        assert gg_mod.num_batches_tracked.dtype == np.int64


BN_CASES = [("BatchNorm2d", dict(), (4, 3, 5, 4)), ("BatchNorm2d", dict(momentum=None), (4, 3, 5, 4)),
            ("BatchNorm2d", dict(affine=False, momentum=0.3, eps=1e-3), (2, 3, 4, 4)),
            ("BatchNorm2d", dict(track_running_stats=False), (4, 3, 2, 2)),
            ("BatchNorm1d", dict(), (6, 3)), ("BatchNorm1d", dict(momentum=None, affine=False), (4, 3, 5))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs,shape", BN_CASES)
def test_batch_norm_modules_running_stats_over_steps(name, kwargs, shape, dtype, rng):
    tdtype = getattr(torch, np.dtype(dtype).name)
    torch_mod = getattr(torch.nn, name)(3, **kwargs, dtype=tdtype)
    gg_mod = getattr(glassgrad.nn, name)(3, **kwargs, dtype=dtype)
    assert gg_mod.extra_repr() == torch_mod.extra_repr()
    with torch.no_grad():
        if torch_mod.weight is not None:
            torch_mod.weight.uniform_(0.5, 1.5)
            torch_mod.bias.uniform_(-1, 1)
    _copy_params(gg_mod, torch_mod)
    for step in range(4):
        _step(gg_mod, torch_mod, (rng.standard_normal(shape) * (step + 1) + step).astype(dtype), rng)
        _check_buffers(gg_mod, torch_mod, dtype)
    gg_mod.eval()
    torch_mod.eval()
    for _ in range(2):  # eval: running statistics used, not updated
        _step(gg_mod, torch_mod, rng.standard_normal(shape).astype(dtype), rng)
        _check_buffers(gg_mod, torch_mod, dtype)
    gg_mod.train()
    torch_mod.train()
    _step(gg_mod, torch_mod, rng.standard_normal(shape).astype(dtype), rng)
    _check_buffers(gg_mod, torch_mod, dtype)


def test_batch_norm_module_defaults_and_reset(rng):
    m = glassgrad.nn.BatchNorm2d(4)
    assert m.weight.dtype == np.float32 and np.all(m.weight.array == 1) and np.all(m.bias.array == 0)
    assert np.all(m.running_mean.array == 0) and np.all(m.running_var.array == 1)
    m(glassgrad.Tensor(rng.standard_normal((3, 4, 2, 2)).astype(np.float32)))
    assert int(m.num_batches_tracked.array) == 1 and not np.all(m.running_mean.array == 0)
    m.reset_running_stats()
    assert np.all(m.running_mean.array == 0) and int(m.num_batches_tracked.array) == 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,args,kwargs,shape", [
    ("LayerNorm", ((4, 5),), dict(), (2, 3, 4, 5)), ("LayerNorm", (5,), dict(bias=False, eps=1e-3), (3, 5)),
    ("LayerNorm", (5,), dict(elementwise_affine=False), (2, 3, 5)),
    ("GroupNorm", (2, 6), dict(), (2, 6, 3, 4)), ("GroupNorm", (3, 6), dict(affine=False, eps=1e-3), (2, 6, 5))])
def test_layer_and_group_norm_modules_match_torch(name, args, kwargs, shape, dtype, rng):
    torch_mod = getattr(torch.nn, name)(*args, **kwargs, dtype=getattr(torch, np.dtype(dtype).name))
    gg_mod = getattr(glassgrad.nn, name)(*args, **kwargs, dtype=dtype)
    assert gg_mod.extra_repr() == torch_mod.extra_repr()
    for n in ("weight", "bias"):
        t = getattr(torch_mod, n)
        assert (getattr(gg_mod, n) is None) == (t is None)
        if t is not None:
            np.testing.assert_array_equal(getattr(gg_mod, n).array, t.detach().numpy())
            with torch.no_grad():
                t.uniform_(-1, 1)
    _copy_params(gg_mod, torch_mod)
    _step(gg_mod, torch_mod, rng.standard_normal(shape).astype(dtype), rng)


def test_norm_module_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(N, C, H, W\) \(got 3D input"):
        glassgrad.nn.BatchNorm2d(3)(glassgrad.zeros(3, 4, 4))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input"):
        glassgrad.nn.BatchNorm1d(3)(glassgrad.zeros(2, 3, 4, 4))
    with pytest.raises(RuntimeError, match=r"BatchNorm2d: expected input with 3 channels .* got shape \(2, 4, 3, 3\)"):
        glassgrad.nn.BatchNorm2d(3)(glassgrad.zeros(2, 4, 3, 3))
    with pytest.raises(ValueError, match="divisible by num_groups"):
        glassgrad.nn.GroupNorm(4, 6)
    with pytest.raises(RuntimeError, match="GroupNorm: expected input .* 6 channels"):
        glassgrad.nn.GroupNorm(2, 6)(glassgrad.zeros(2, 4, 3))
    with pytest.raises(RuntimeError, match=r"layer_norm: expected input with shape \(\*, 5\)"):
        glassgrad.nn.LayerNorm(5)(glassgrad.zeros(2, 4))
