"""Losses (functional and modules) against PyTorch: forward value and gradients of input and target,
every reduction and option, float64 tight and float32; finite differences; extreme logits; errors."""
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassgrad
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad.autograd import gradcheck, gradgradcheck

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}
REDUCTIONS = ["none", "mean", "sum"]


def _run(gfn, tfn, arrays, grads, dtype, rng, tol=None):
    """Call ``gfn`` on glassgrad tensors and ``tfn`` on torch tensors made from ``arrays`` (None
    passes through); compare the outputs and the gradients of the arrays whose ``grads`` flag is set."""
    tol = tol or TOL[dtype]
    gs = [None if a is None else glassgrad.tensor(a.copy(), requires_grad=bool(f)) for a, f in zip(arrays, grads)]
    ts = [None if a is None else torch.tensor(a.copy(), requires_grad=bool(f)) for a, f in zip(arrays, grads)]
    out, ref = gfn(*gs), tfn(*ts)
    assert out.shape == tuple(ref.shape)
    assert out.dtype == ref.detach().numpy().dtype
    np.testing.assert_allclose(out.array, ref.detach().numpy(), **tol)
    if any(grads):
        dy = rng.standard_normal(ref.shape).astype(ref.detach().numpy().dtype)
        ref.backward(torch.tensor(dy))
        out.backward(glassgrad.tensor(dy))
        for g, t, f in zip(gs, ts, grads):
            if f:
                assert g.grad is not None and g.grad.dtype == g.dtype
                np.testing.assert_allclose(g.grad.array, t.grad.numpy(), **tol)
    return out


# ---- regression losses ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs", [("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {"delta": 0.5}),
                                         ("huber_loss", {"delta": 2.0}), ("smooth_l1_loss", {"beta": 0.0}),
                                         ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {})])
def test_regression_losses_match_torch(name, kwargs, dtype, rng):
    x = rng.standard_normal((4, 5)).astype(dtype) * 2
    t = rng.standard_normal((4, 5)).astype(dtype) * 2
    t[0, :2] = x[0, :2]  # zero differences: the subgradient conventions must agree
    for reduction in REDUCTIONS:
        _run(lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kwargs),
             lambda a, b: getattr(TF, name)(a, b, reduction=reduction, **kwargs), [x, t], [1, 1], dtype, rng)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,kwargs", [("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {"delta": 0.7})])
def test_weighted_regression_losses_match_torch(name, kwargs, dtype, rng):
    x, t = rng.standard_normal((2, 3, 4)).astype(dtype), rng.standard_normal((2, 3, 4)).astype(dtype)
    w = rng.random((2, 3, 4)).astype(dtype)
    for reduction in REDUCTIONS:
        _run(lambda a, b, c: getattr(F, name)(a, b, reduction=reduction, weight=c, **kwargs),
             lambda a, b, c: getattr(TF, name)(a, b, reduction=reduction, weight=c, **kwargs), [x, t, w], [1, 0, 0],
             dtype, rng)


def test_regression_broadcast_warns_like_torch(rng):
    x, t = rng.standard_normal((3, 4)), rng.standard_normal(4)
    with pytest.warns(UserWarning, match="target size"):
        out = _run(lambda a, b: F.mse_loss(a, b), lambda a, b: TF.mse_loss(a, b), [x, t], [1, 1], np.float64, rng)
    assert out.shape == ()


def test_regression_losses_on_0d_and_empty(rng):
    x, t = np.array(1.5), np.array(-0.25)
    for name in ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"):
        _run(getattr(F, name), getattr(TF, name), [x, t], [1, 1], np.float64, rng)
    e = np.zeros((0, 3))
    for reduction in REDUCTIONS:
        for reduction in REDUCTIONS:
            out = F.mse_loss(glassgrad.tensor(e), glassgrad.tensor(e), reduction=reduction)
            ref = TF.mse_loss(torch.tensor(e), torch.tensor(e), reduction=reduction)
            np.testing.assert_array_equal(out.array, ref.numpy())


# ---- cross-entropy ---------------------------------------------------------------------------------
def _targets(rng, shape, n_classes, ignore=None):
    t = rng.integers(0, n_classes, shape)
    if ignore is not None:
        t.reshape(-1)[::3] = ignore
    return t


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(6, 5), (3, 5, 2, 2), (5,)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_cross_entropy_class_indices_match_torch(shape, weighted, smoothing, ignore_index, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype) * 3
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = _targets(rng, tshape, 5, ignore=None if ignore_index == -100 or not tshape else ignore_index)
    if ignore_index == -100 and tshape:
        t.reshape(-1)[1] = -100
    w = rng.random(5).astype(dtype) + 0.1 if weighted else None
    for reduction in REDUCTIONS:
        kw = dict(ignore_index=ignore_index, label_smoothing=smoothing, reduction=reduction)
        _run(lambda a, b, c: F.cross_entropy(a, b, weight=c, **kw),
             lambda a, b, c: TF.cross_entropy(a, b, weight=c, **kw), [x, t, w], [1, 0, 0], dtype, rng)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(6, 5), (2, 5, 3), (5,)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_probabilities_match_torch(shape, weighted, smoothing, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype) * 3
    q = rng.random(shape).astype(dtype)
    q /= q.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
    w = rng.random(5).astype(dtype) + 0.1 if weighted else None
    for reduction in REDUCTIONS:
        kw = dict(label_smoothing=smoothing, reduction=reduction)
        _run(lambda a, b, c: F.cross_entropy(a, b, weight=c, **kw),
             lambda a, b, c: TF.cross_entropy(a, b, weight=c, **kw), [x, q, w], [1, 1, 0], dtype, rng)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [1e4, 1e30])
def test_cross_entropy_extreme_logits_no_nan(dtype, scale, rng):
    x = np.array([[scale, -scale, 0.0], [-scale, -scale, scale], [scale, scale, -scale]], dtype=dtype)
    t = np.array([1, 2, 0])
    for reduction in REDUCTIONS:
        for reduction in REDUCTIONS:
            out = _run(lambda a, b: F.cross_entropy(a, b, reduction=reduction, label_smoothing=0.1),
                       lambda a, b: TF.cross_entropy(a, b, reduction=reduction, label_smoothing=0.1), [x, t], [1, 0],
                       dtype, rng, tol=dict(rtol=1e-6, atol=1e-6))
            assert np.isfinite(out.array).all()
        g = glassgrad.tensor(x, requires_grad=True)
        F.cross_entropy(g, glassgrad.tensor(t)).backward()
        assert np.isfinite(g.grad.array).all()
        probs = np.full(x.shape, 1 / 3, dtype=dtype)
        _run(lambda a, b: F.cross_entropy(a, b), lambda a, b: TF.cross_entropy(a, b), [x, probs], [1, 1], dtype, rng,
             tol=dict(rtol=1e-6, atol=1e-6))


def test_cross_entropy_neg_inf_logits_masking(rng):
    x = rng.standard_normal((3, 4))
    x[:, 3] = -np.inf  # a masked class, never the target
    _run(lambda a, b: F.cross_entropy(a, b), lambda a, b: TF.cross_entropy(a, b), [x, np.array([0, 1, 2])], [1, 0],
         np.float64, rng)


def test_cross_entropy_all_ignored_and_empty_batch_are_nan_like_torch():
    x = glassgrad.tensor(np.ones((2, 3)))
    out = F.cross_entropy(x, glassgrad.tensor(np.array([-100, -100])))
    assert math.isnan(out.item())
    assert F.cross_entropy(x, glassgrad.tensor(np.array([-100, -100])), reduction="sum").item() == 0.0
    empty = F.cross_entropy(glassgrad.tensor(np.ones((0, 3))), glassgrad.tensor(np.zeros(0, np.int64)))
    assert math.isnan(empty.item())


def test_cross_entropy_accepts_uint8_targets_like_torch(rng):
    x = rng.standard_normal((4, 3))
    t = np.array([0, 2, 1, 2], np.uint8)
    a = F.cross_entropy(glassgrad.tensor(x), glassgrad.tensor(t))
    np.testing.assert_allclose(a.item(), TF.cross_entropy(torch.tensor(x), torch.tensor(t)).item(), rtol=1e-12)


@pytest.mark.parametrize("kind", ["indices", "probs"])
def test_cross_entropy_gradcheck_and_gradgradcheck(kind, rng):
    x = glassgrad.tensor(rng.standard_normal((3, 4, 2)), requires_grad=True)
    w = glassgrad.tensor(rng.random(4) + 0.5)
    if kind == "indices":
        t = glassgrad.tensor(np.array([[0, 3], [-100, 1], [2, 2]]))
        fn = lambda a: F.cross_entropy(a, t, weight=w, label_smoothing=0.2, reduction="none")  # noqa: E731
        inputs = (x,)
    else:
        q = rng.random((3, 4, 2))
        t = glassgrad.tensor(q / q.sum(1, keepdims=True), requires_grad=True)
        fn = lambda a, b: F.cross_entropy(a, b, weight=w, label_smoothing=0.2)  # noqa: E731
        inputs = (x, t)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_cross_entropy_double_backward_matches_torch(rng):
    """A gradient penalty: d/dx of ||d loss / dx||² through the fused op."""
    x, t = rng.standard_normal((4, 5)), np.array([0, 4, 2, 2])
    xg = glassgrad.tensor(x, requires_grad=True)
    (g,) = glassgrad.autograd.grad(F.cross_entropy(xg, glassgrad.tensor(t), label_smoothing=0.1), [xg],
                                   create_graph=True)
    (g * g).sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    (gt,) = torch.autograd.grad(TF.cross_entropy(xt, torch.tensor(t), label_smoothing=0.1), [xt], create_graph=True)
    (gt * gt).sum().backward()
    np.testing.assert_allclose(xg.grad.array, xt.grad.numpy(), rtol=1e-10, atol=1e-12)


# ---- NLL ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(6, 4), (2, 4, 3), (4,)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_nll_loss_matches_torch(shape, weighted, ignore_index, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype)
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = _targets(rng, tshape, 4, ignore=ignore_index if tshape else None)
    w = rng.random(4).astype(dtype) + 0.1 if weighted else None
    for reduction in REDUCTIONS:
        kw = dict(ignore_index=ignore_index, reduction=reduction)
        _run(lambda a, b, c: F.nll_loss(a, b, weight=c, **kw), lambda a, b, c: TF.nll_loss(a, b, weight=c, **kw),
             [x, t, w], [1, 0, 0], dtype, rng)


def test_nll_of_log_softmax_equals_cross_entropy(rng):
    x = glassgrad.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    t = glassgrad.tensor(np.array([0, 1, 2, 1, 0]))
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(x, dim=1), t).item(), F.cross_entropy(x, t).item(), rtol=1e-12)
    assert gradgradcheck(lambda a: F.nll_loss(a, t, weight=glassgrad.tensor([1.0, 2.0, 0.5])), (x,))


# ---- binary cross-entropy -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("wshape", [None, (4,), (3, 4)])
def test_binary_cross_entropy_matches_torch(wshape, dtype, rng):
    x = rng.uniform(0.02, 0.98, (3, 4)).astype(dtype)
    t = rng.random((3, 4)).astype(dtype)
    w = None if wshape is None else rng.random(wshape).astype(dtype)
    for reduction in REDUCTIONS:
        _run(lambda a, b, c: F.binary_cross_entropy(a, b, weight=c, reduction=reduction),
             lambda a, b, c: TF.binary_cross_entropy(a, b, weight=c, reduction=reduction), [x, t, w], [1, 1, 0],
             dtype, rng)


def test_binary_cross_entropy_clamps_log_at_0_and_1(rng):
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    out = _run(lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
               lambda a, b: TF.binary_cross_entropy(a, b, reduction="none"), [x, t], [1, 0], np.float64, rng)
    np.testing.assert_allclose(out.array[:2], [100.0, 100.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("wshape,pwshape", [(None, None), ((4,), None), (None, (4,)), ((3, 4), (4,))])
def test_bce_with_logits_matches_torch(wshape, pwshape, dtype, rng):
    x = (rng.standard_normal((3, 4)) * 4).astype(dtype)
    t = rng.random((3, 4)).astype(dtype)
    w = None if wshape is None else rng.random(wshape).astype(dtype)
    pw = None if pwshape is None else (rng.random(pwshape) * 3).astype(dtype)
    for reduction in REDUCTIONS:
        _run(lambda a, b, c, d: F.binary_cross_entropy_with_logits(a, b, weight=c, pos_weight=d, reduction=reduction),
             lambda a, b, c, d: TF.binary_cross_entropy_with_logits(a, b, weight=c, pos_weight=d, reduction=reduction),
             [x, t, w, pw], [1, 1, 0, 0], dtype, rng)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_with_logits_extreme_logits(dtype, rng):
    x = np.array([1e4, -1e4, 50.0, -50.0, 0.0], dtype=dtype)
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0], dtype=dtype)
    pw = np.full(5, 2.0, dtype=dtype)
    out = _run(lambda a, b, c: F.binary_cross_entropy_with_logits(a, b, pos_weight=c, reduction="none"),
               lambda a, b, c: TF.binary_cross_entropy_with_logits(a, b, pos_weight=c, reduction="none"),
               [x, t, pw], [1, 0, 0], dtype, rng)
    assert np.isfinite(out.array).all()
    np.testing.assert_allclose(out.array[:2], [1e4, 2e4], rtol=1e-6)


# ---- KL divergence -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(log_target, dtype, rng):
    x = np.log(rng.dirichlet(np.ones(5), 3)).astype(dtype)
    t = rng.dirichlet(np.ones(5), 3).astype(dtype)
    t[0, 0] = 0.0  # 0·log 0 = 0
    t = np.log(t + 1e-3).astype(dtype) if log_target else t
    for reduction in REDUCTIONS + ["batchmean"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _run(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
                 lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target), [x, t], [1, int(log_target)],
                 dtype, rng)


def test_kl_div_mean_warns():
    x = glassgrad.tensor(np.log(np.full((2, 3), 1 / 3)))
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, glassgrad.tensor(np.full((2, 3), 1 / 3)))


# ---- finite differences -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "kl_div"])
def test_losses_gradcheck(name, rng):
    lo = 0.1 if name == "binary_cross_entropy" else -2.0
    x = glassgrad.tensor(rng.uniform(lo, 0.9 if lo > 0 else 2.0, (3, 4)), requires_grad=True)
    t = glassgrad.tensor(rng.uniform(0.1, 0.9, (3, 4)), requires_grad=True)
    kw = {"reduction": "batchmean"} if name == "kl_div" else {"reduction": "sum"}
    fn = lambda a, b: getattr(F, name)(a, b, **kw)  # noqa: E731
    assert gradcheck(fn, (x, t))
    if name not in ("l1_loss", "smooth_l1_loss", "huber_loss"):  # kinks: second derivative is a delta
        assert gradgradcheck(fn, (x, t))


def test_bce_with_logits_pos_weight_gradgradcheck(rng):
    x = glassgrad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    t = glassgrad.tensor(rng.random((3, 4)), requires_grad=True)
    pw, w = glassgrad.tensor(rng.random(4) * 3), glassgrad.tensor(rng.random((3, 4)))
    fn = lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=w, pos_weight=pw)  # noqa: E731
    assert gradcheck(fn, (x, t)) and gradgradcheck(fn, (x, t))


# ---- modules -------------------------------------------------------------------------------------
def test_loss_modules_match_functional(rng):
    x = glassgrad.tensor(rng.standard_normal((4, 3)))
    p = glassgrad.tensor(rng.uniform(0.1, 0.9, (4, 3)))
    y = glassgrad.tensor(rng.random((4, 3)))
    idx = glassgrad.tensor(np.array([0, 2, 1, -1]))
    w = glassgrad.tensor([1.0, 2.0, 0.5])
    cases = [
        (nn.MSELoss(reduction="sum"), F.mse_loss(x, y, reduction="sum"), (x, y)),
        (nn.L1Loss(), F.l1_loss(x, y), (x, y)),
        (nn.HuberLoss(delta=0.3), F.huber_loss(x, y, delta=0.3), (x, y)),
        (nn.SmoothL1Loss(beta=0.2, reduction="none"), F.smooth_l1_loss(x, y, beta=0.2, reduction="none"), (x, y)),
        (nn.CrossEntropyLoss(weight=w, ignore_index=-1, label_smoothing=0.1),
         F.cross_entropy(x, idx, weight=w, ignore_index=-1, label_smoothing=0.1), (x, idx)),
        (nn.NLLLoss(weight=w, ignore_index=-1), F.nll_loss(x, idx, weight=w, ignore_index=-1), (x, idx)),
        (nn.BCELoss(weight=w), F.binary_cross_entropy(p, y, weight=w), (p, y)),
        (nn.BCEWithLogitsLoss(pos_weight=w), F.binary_cross_entropy_with_logits(x, y, pos_weight=w), (x, y)),
        (nn.KLDivLoss(reduction="batchmean", log_target=True), F.kl_div(x, y, reduction="batchmean", log_target=True),
         (x, y)),
    ]
    for module, expected, args in cases:
        np.testing.assert_array_equal(module(*args).array, expected.array)


def test_loss_module_buffers_and_repr():
    w = glassgrad.tensor([1.0, 2.0])
    m = nn.CrossEntropyLoss(weight=w)
    assert list(m.state_dict()) == ["weight"]
    assert "weight" in dict(m.named_buffers())
    m2 = nn.BCEWithLogitsLoss(pos_weight=w)
    assert list(m2.state_dict()) == ["pos_weight"]
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"
    assert repr(nn.L1Loss()) == "L1Loss()"
    assert list(nn.MSELoss().parameters()) == []


def test_legacy_size_average_and_reduce(rng):
    x, t = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    with pytest.warns(UserWarning):
        a = F.mse_loss(glassgrad.tensor(x), glassgrad.tensor(t), size_average=False)
    np.testing.assert_allclose(a.item(), ((x - t) ** 2).sum())
    with pytest.warns(UserWarning):
        assert nn.L1Loss(reduce=False).reduction == "none"


# ---- errors --------------------------------------------------------------------------------------
def test_errors_are_clear(rng):
    x = glassgrad.tensor(rng.standard_normal((3, 4)))
    with pytest.raises(IndexError, match=r"Target 7 .*C = 4"):
        F.cross_entropy(x, glassgrad.tensor(np.array([0, 7, 1])))
    with pytest.raises(IndexError, match=r"Target -2 "):
        F.nll_loss(x, glassgrad.tensor(np.array([0, -2, 1])))
    with pytest.raises(RuntimeError, match=r"input's shape \(3, 4\), got \(3, 5\)"):
        F.cross_entropy(x, glassgrad.tensor(rng.random((3, 5))))
    with pytest.raises(RuntimeError, match="expected target dtype to be int64"):
        F.cross_entropy(x, glassgrad.tensor(np.array([0.0, 1.0, 2.0])))
    with pytest.raises(ValueError, match=r"batch_size \(3\) to match target batch_size \(2\)"):
        F.cross_entropy(x, glassgrad.tensor(np.array([0, 1])))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 3\], got \[2, 4\]"):
        F.cross_entropy(glassgrad.tensor(np.zeros((2, 4, 3))), glassgrad.tensor(np.zeros((2, 4), np.int64)))
    with pytest.raises(RuntimeError, match="all 4 classes"):
        F.cross_entropy(x, glassgrad.tensor(np.array([0, 1, 2])), weight=glassgrad.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="label_smoothing"):
        F.cross_entropy(x, glassgrad.tensor(np.array([0, 1, 2])), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="ignore_index"):
        F.cross_entropy(x, glassgrad.tensor(rng.random((3, 4))), ignore_index=1)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.cross_entropy(x, glassgrad.tensor(np.array([0, 1, 2])), reduction="batchmean")
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(x, glassgrad.tensor(np.zeros((3, 4))))
    with pytest.raises(ValueError, match="same size"):
        F.binary_cross_entropy_with_logits(x, glassgrad.tensor(np.zeros(4)))
    with pytest.raises(RuntimeError, match="non-positive"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(RuntimeError, match="negative"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(TypeError, match="floating point"):
        F.mse_loss(glassgrad.tensor(np.array([1, 2])), glassgrad.tensor(np.array([1, 2])))
    with pytest.raises(ValueError, match="same size"):
        F.mse_loss(x, x, weight=glassgrad.tensor(np.ones(4)))
