"""Reductions: finite differences (first and second order), parity with PyTorch forward and
backward over dims/keepdim, 0-d, size-0 and non-contiguous inputs, ties, zeros, errors."""
import zlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import glassgrad as gg
from glassgrad.autograd import gradcheck, gradgradcheck

TOL = {"float64": 1e-10, "float32": 1e-5}
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning")


def _close(g, t, rtol):
    got = g.detach().numpy() if isinstance(g, gg.Tensor) else np.asarray(g)
    expect = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    assert got.shape == expect.shape, (got.shape, expect.shape)
    assert str(got.dtype) == str(expect.dtype), (got.dtype, expect.dtype)
    np.testing.assert_allclose(got, expect, rtol=rtol, atol=rtol, equal_nan=True)


def _parity(fg, ft, a, dtype, transpose=False, seed=1):
    rtol = TOL[dtype]
    g = gg.tensor(np.array(a, dtype=dtype), requires_grad=True)
    t = torch.tensor(np.array(a, dtype=dtype), requires_grad=True)
    yg = fg(g.transpose(0, 1) if transpose else g)
    yt = ft(t.transpose(0, 1) if transpose else t)
    _close(yg, yt, rtol)
    up = np.random.default_rng(seed).standard_normal(yt.shape).astype(dtype)
    yg.backward(gg.tensor(up))
    yt.backward(torch.tensor(up))
    # PyTorch leaves no gradient at all for norm(p=0), whose derivative is 0 everywhere
    _close(g.grad, torch.zeros_like(t) if t.grad is None else t.grad, rtol)


# name: (op(x, lib) -> tensor, applies to 0-d, applies to size-0 inputs)
REDUCTIONS = {
    "sum": (lambda x: x.sum(), True, True),
    "sum_dim": (lambda x: x.sum(dim=-1), True, True),
    "sum_dims_keep": (lambda x: x.sum(dim=(0, -1), keepdim=True), False, True),
    "mean": (lambda x: x.mean(), True, True),
    "mean_dim_keep": (lambda x: x.mean(0, keepdim=True), True, True),
    "var": (lambda x: x.var(), True, True),
    "var_dim": (lambda x: x.var(dim=1), False, True),
    "var_unbiased_false": (lambda x: x.var(0, unbiased=False, keepdim=True), True, True),
    "var_correction2": (lambda x: x.var(dim=(0, 1), correction=2), False, False),
    "std": (lambda x: x.std(), True, True),
    "std_dim": (lambda x: x.std(dim=-1, keepdim=True), False, True),
    "std_correction0": (lambda x: x.std(0, correction=0), True, False),
    "max": (lambda x: x.max(), True, False),
    "max_dim": (lambda x: x.max(dim=1).values, False, False),
    "max_dim_keep": (lambda x: x.max(0, keepdim=True)[0], True, False),
    "min": (lambda x: x.min(), True, False),
    "min_dim": (lambda x: x.min(-1).values, True, False),
    "amax": (lambda x: x.amax(), True, False),
    "amax_dims": (lambda x: x.amax(dim=(0, -1), keepdim=True), False, False),
    "amin_dim": (lambda x: x.amin(-1), True, False),
    "prod": (lambda x: x.prod(), True, True),
    "prod_dim": (lambda x: x.prod(1), False, True),
    "prod_dim_keep": (lambda x: x.prod(-1, keepdim=True), True, True),
    "logsumexp": (lambda x: x.logsumexp(-1), True, True),
    "logsumexp_dims": (lambda x: x.logsumexp((0, 1), keepdim=True), False, True),
    "norm": (lambda x: x.norm(), True, True),
    "norm_fro_dims": (lambda x: x.norm("fro", dim=(0, 1)), False, True),
    "norm_1": (lambda x: x.norm(1, dim=0), True, True),
    "norm_3": (lambda x: x.norm(3.0, dim=-1, keepdim=True), True, True),
    "norm_half": (lambda x: x.norm(0.5), True, True),
    "norm_inf": (lambda x: x.norm(float("inf"), dim=1), False, False),
    "norm_neginf": (lambda x: x.norm(float("-inf")), True, False),
    "norm_0": (lambda x: x.norm(0, dim=-1), True, True),
    "cumsum": (lambda x: x.cumsum(0), True, True),
    "cumsum_last": (lambda x: x.cumsum(-1), True, True),
    "softmax": (lambda x: x.softmax(-1), True, True),
    "softmax_0": (lambda x: x.softmax(0), True, True),
    "log_softmax": (lambda x: x.log_softmax(-1), True, True),
    "log_softmax_1": (lambda x: x.log_softmax(1), False, True),
}
SHAPES = [(2, 3, 4), "T", (), (0, 3)]


def _data(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_parity(name, shape, dtype):
    fn, zero_d, empty = REDUCTIONS[name]
    if shape == () and not zero_d:
        shape = (3, 1)
    if shape == (0, 3) and not empty:
        shape = (1, 3)
    seed = zlib.crc32(name.encode()) % 1000
    if shape == "T":
        _parity(fn, fn, _data((4, 3), seed), dtype, transpose=True)
    else:
        _parity(fn, fn, _data(shape, seed), dtype)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_gradcheck(name):
    fn = REDUCTIONS[name][0]
    x = gg.tensor(_data((2, 3), 11), requires_grad=True)
    assert gradcheck(fn, (x,))
    if not name.startswith(("max", "min", "amax", "amin", "norm_inf", "norm_neginf", "norm_0")):
        assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("name", ["max", "amax_dims", "norm_inf", "min_dim"])
def test_value_selecting_second_derivative_is_zero(name):
    x = gg.tensor(_data((2, 3), 11), requires_grad=True)
    assert gradgradcheck(REDUCTIONS[name][0], (x,))


def test_sum_int_and_bool_give_int64():
    for a in ([1, 2, 3], [True, False, True]):
        _close(gg.tensor(a).sum(), torch.tensor(a).sum(), 0)
        _close(gg.tensor(a).prod(), torch.tensor(a).prod(), 0)
        _close(gg.tensor(a).cumsum(0), torch.tensor(a).cumsum(0), 0)
    _close(gg.tensor([1, 2], dtype=gg.int32).sum(dim=0), torch.tensor([1, 2], dtype=torch.int32).sum(dim=0), 0)
    g = gg.tensor([1.0, 2.0], requires_grad=True)
    y = g.sum(dtype=gg.float64)
    assert y.dtype == gg.float64
    y.backward()
    assert g.grad.dtype == gg.float32


def test_mean_rejects_integers_and_empty_mean_is_nan():
    with pytest.raises(RuntimeError, match="mean.*floating"):
        gg.tensor([1, 2]).mean()
    assert np.isnan(gg.zeros(0).mean().item())
    _close(gg.tensor([1, 2]).mean(dtype=gg.float64), torch.tensor([1, 2]).mean(dtype=torch.float64), 0)


def test_var_signatures():
    a = _data((3, 4), 2)
    g, t = gg.tensor(a), torch.tensor(a)
    _close(g.var(1, True), t.var(1, True), 1e-12)
    _close(g.var(False), t.var(False), 1e-12)
    _close(gg.var(g, dim=0, correction=0, keepdim=True), torch.var(t, dim=0, correction=0, keepdim=True), 1e-12)
    _close(gg.std(g, 1, unbiased=False), torch.std(t, 1, unbiased=False), 1e-12)
    _close(g[:1].var(0), t[:1].var(0), 1e-12)  # n - correction = 0: nan like PyTorch
    for ours, theirs in zip(gg.var_mean(g, 1), torch.var_mean(t, 1)):
        _close(ours, theirs, 1e-12)
    for ours, theirs in zip(gg.std_mean(g, correction=0), torch.std_mean(t, correction=0)):
        _close(ours, theirs, 1e-12)
    with pytest.raises(RuntimeError, match="var.*floating"):
        gg.tensor([1, 2]).var()
    with pytest.raises(RuntimeError, match="unbiased"):
        g.var(0, unbiased=True, correction=1)


def test_max_min_results():
    a = np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]])
    g, t = gg.tensor(a), torch.tensor(a)
    for dim, keep in [(0, False), (1, True), (-1, False)]:
        for op in ("max", "min"):
            ours, theirs = getattr(g, op)(dim, keep), getattr(t, op)(dim, keep)
            _close(ours.values, theirs.values, 0)
            _close(ours.indices, theirs.indices, 0)
            v, i = ours
            _close(v, theirs[0], 0)
            _close(i, theirs[1], 0)
    _close(g.max(dim=1, keepdim=True).indices, t.max(dim=1, keepdim=True).indices, 0)
    _close(gg.max(g), torch.max(t), 0)
    _close(gg.min(g, gg.tensor(3.0)), torch.min(t, torch.tensor(3.0)), 0)
    s = gg.tensor(2.5).max(0)
    _close(s.values, torch.tensor(2.5, dtype=torch.float32).max(0).values, 0)
    _close(s.indices, torch.tensor(2.5).max(0).indices, 0)


@pytest.mark.parametrize("fn", [lambda x: x.max(), lambda x: x.min(), lambda x: x.amax(1), lambda x: x.amin(),
                                lambda x: x.amax((0, 1)), lambda x: x.norm(float("inf")),
                                lambda x: x.max(1).values, lambda x: x.min(0).values])
def test_ties_share_or_pick_gradient_like_torch(fn):
    a = np.array([[1.0, 5.0, 5.0], [5.0, -5.0, 2.0]])
    _parity(fn, fn, a, "float64")


def test_nan_propagates_through_max_and_argmax():
    a = np.array([[1.0, np.nan, 3.0], [4.0, 2.0, 0.0]])
    g, t = gg.tensor(a), torch.tensor(a)
    for fn in (lambda x: x.max(), lambda x: x.amax(1), lambda x: x.max(1).values, lambda x: x.max(1).indices,
               lambda x: x.argmax(1), lambda x: x.argmin(), lambda x: x.min(dim=1).indices):
        _close(fn(g), fn(t), 0)


def test_argmax_argmin():
    a = np.array([[[1.0, 9.0], [9.0, 0.0]], [[3.0, 3.0], [-1.0, 2.0]]])
    g, t = gg.tensor(a, requires_grad=True), torch.tensor(a)
    for op in ("argmax", "argmin"):
        for kw in ({}, {"dim": 0}, {"dim": -1, "keepdim": True}, {"keepdim": True}, {"dim": 1}):
            ours = getattr(g, op)(**kw)
            _close(ours, getattr(t, op)(**kw), 0)
            assert not ours.requires_grad
    _close(gg.argmax(gg.tensor(4.0)), torch.argmax(torch.tensor(4.0)), 0)
    _close(gg.tensor(4.0).argmin(0), torch.tensor(4.0).argmin(0), 0)


@pytest.mark.parametrize("zeros", [[], [(0, 1)], [(0, 1), (1, 2)], [(0, 0), (0, 2)], [(0, 0), (0, 1), (0, 2)]])
def test_prod_with_zeros(zeros):
    a = _data((2, 3), 4) + 2
    for idx in zeros:
        a[idx] = 0.0
    for fn in (lambda x: x.prod(), lambda x: x.prod(1), lambda x: x.prod(0, keepdim=True)):
        _parity(fn, fn, a, "float64")
        x = gg.tensor(a, requires_grad=True)
        assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


def test_prod_dtype_argument():
    a = [1.0, 2.0, 3.0]
    _close(gg.tensor(a).prod(dtype=gg.float64), torch.tensor(a).prod(dtype=torch.float64), 0)


def test_logsumexp_softmax_are_stable():
    a = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, 0.0, 1.0], [-1e4, -1e4, -1e4]])
    for fn in (lambda x: x.logsumexp(1), lambda x: x.softmax(1), lambda x: x.log_softmax(1)):
        _parity(fn, fn, a, "float64")
    b = np.array([[-np.inf, -np.inf], [np.inf, 0.0], [np.inf, np.inf], [np.nan, 1.0]])
    g, t = gg.tensor(b), torch.tensor(b)
    for fn in (lambda x: x.logsumexp(1), lambda x: x.softmax(1), lambda x: x.log_softmax(1)):
        _close(fn(g), fn(t), 1e-12)
    _close(gg.logsumexp(gg.tensor([1, 2]), 0), torch.logsumexp(torch.tensor([1, 2]), 0), 1e-6)


def test_softmax_dtype_and_errors():
    a = _data((2, 3), 1).astype("float32")
    _close(gg.softmax(gg.tensor(a), -1, dtype=gg.float64), torch.softmax(torch.tensor(a), -1, dtype=torch.float64),
           1e-12)
    with pytest.raises(RuntimeError, match="softmax.*int64"):
        gg.tensor([1, 2]).softmax(0)
    with pytest.raises(TypeError, match="dim"):
        gg.softmax(gg.tensor(a))


def test_norm_zero_vector_has_zero_gradient():
    for p in (2, "fro", 3.0, 1.5, 1, 0.5):
        fn = lambda x: x.norm(p, dim=1)  # noqa: E731
        _parity(fn, fn, np.array([[0.0, 0.0], [3.0, -4.0]]), "float64")
        _parity(fn, fn, np.array([[0.0, 1.0], [3.0, -4.0]]), "float64")


def test_norm_errors_and_dtype():
    with pytest.raises(RuntimeError, match="norm.*floating"):
        gg.tensor([1, 2]).norm()
    with pytest.raises(ValueError, match="norm"):
        gg.ones(2).norm("nucular")
    _close(gg.tensor([3.0, 4.0]).norm(dtype=gg.float64), torch.tensor([3.0, 4.0]).norm(dtype=torch.float64), 0)


def test_all_any():
    a = np.array([[True, False, True], [True, True, True]])
    f = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 1.0]])
    for arr in (a, f, np.zeros((0, 3))):
        g, t = gg.tensor(arr), torch.tensor(arr)
        for op in ("all", "any"):
            for kw in ({}, {"dim": 0}, {"dim": -1, "keepdim": True}):
                _close(getattr(g, op)(**kw), getattr(t, op)(**kw), 0)
                _close(getattr(gg, op)(g, **kw), getattr(torch, op)(t, **kw), 0)
    _close(gg.tensor(True).all(0), torch.tensor(True).all(0), 0)


def test_reductions_of_0d_over_dim_0():
    g, t = gg.tensor(2.0, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    for fn in (lambda x: x.sum(0), lambda x: x.mean(-1), lambda x: x.prod(0), lambda x: x.cumsum(0),
               lambda x: x.softmax(0), lambda x: x.logsumexp(0), lambda x: x.amax(0), lambda x: x.norm(dim=0)):
        _close(fn(g), fn(t), 1e-6)


def test_higher_order_through_softmax_cross_entropy_like_loss():
    x = gg.tensor(_data((2, 4), 9), requires_grad=True)
    w = gg.tensor(_data((4,), 8), requires_grad=True)
    assert gradgradcheck(lambda x, w: (x.log_softmax(-1) * w).sum(-1).logsumexp(0), (x, w))


# ---- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda x: x.sum(3), lambda x: x.mean(-4), lambda x: x.var(dim=5), lambda x: x.std(3),
    lambda x: x.max(3), lambda x: x.min(-4), lambda x: x.amax(3), lambda x: x.amin((0, 7)),
    lambda x: x.argmax(3), lambda x: x.argmin(-4), lambda x: x.prod(3), lambda x: x.logsumexp(3),
    lambda x: x.norm(dim=3), lambda x: x.cumsum(3), lambda x: x.softmax(3), lambda x: x.log_softmax(-4),
    lambda x: x.all(3), lambda x: x.any(-4),
])
def test_out_of_range_dim_raises_index_error(fn):
    with pytest.raises(IndexError, match="range"):
        fn(gg.ones(2, 3, 4))


def test_empty_value_selecting_reductions_raise_like_torch():
    x = gg.zeros(0, 3)
    with pytest.raises(RuntimeError, match="max.*numel"):
        x.max()
    with pytest.raises(IndexError, match="max.*dim 0"):
        x.max(0)
    with pytest.raises(IndexError, match="amin.*dim 0"):
        x.amin(0)
    with pytest.raises(IndexError, match="argmax"):
        x.argmax()
    _close(x.amax(1), torch.zeros(0, 3).amax(1), 0)


def test_repeated_dims_raise():
    with pytest.raises(RuntimeError, match="multiple"):
        gg.ones(2, 3).sum((0, -2))


# ---- hypothesis: random shapes and dims --------------------------------------------------------
HYP = {
    "sum": (lambda x, d, k: x.sum(d, keepdim=k), True),
    "mean": (lambda x, d, k: x.mean(d, keepdim=k), True),
    "var": (lambda x, d, k: x.var(d, keepdim=k, correction=0), True),
    "amax": (lambda x, d, k: x.amax(d, keepdim=k), False),
    "logsumexp": (lambda x, d, k: x.logsumexp(d, keepdim=k), True),
    "norm": (lambda x, d, k: x.norm(dim=d, keepdim=k), True),
    "prod": (lambda x, d, k: x.prod(d, keepdim=k), True),
    "max": (lambda x, d, k: x.max(d, keepdim=k).values, False),
    "softmax": (lambda x, d, k: x.softmax(d), True),
    "cumsum": (lambda x, d, k: x.cumsum(d), True),
}


@settings(max_examples=25, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(HYP)), keepdim=st.booleans())
def test_hypothesis_reductions(data, name, keepdim):
    fn, empty_ok = HYP[name]
    shape = data.draw(st.lists(st.integers(0 if empty_ok else 1, 4), min_size=1, max_size=3).map(tuple))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    a = np.random.default_rng(data.draw(st.integers(0, 2 ** 16))).standard_normal(shape)
    _parity(lambda x: fn(x, dim, keepdim), lambda x: fn(x, dim, keepdim), a, "float64")
