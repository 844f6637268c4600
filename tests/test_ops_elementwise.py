"""Element-wise ops: finite differences (first and second order), parity with PyTorch forward and
backward, broadcasting, 0-d, size-0 and non-contiguous inputs, type promotion, edge cases, errors."""
import math
import zlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import glassgrad as gg
from glassgrad.autograd import gradcheck, gradgradcheck

TOL = {"float64": 1e-10, "float32": 1e-5}


def _data(shape, domain, rng):
    a = rng.standard_normal(shape)
    if domain == "pos":
        a = np.abs(a) + 0.5
    elif domain == "kink":  # keep away from 0, where these ops have a kink
        a = np.where(np.abs(a) < 0.05, 0.3, a)
    return a


def _both(a, dtype, requires_grad=True):
    g = gg.tensor(np.array(a, dtype=dtype), requires_grad=requires_grad)
    t = torch.tensor(np.array(a, dtype=dtype), requires_grad=requires_grad)
    return g, t


def _close(g, t, rtol, atol=None):
    expect = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    got = g.detach().numpy() if isinstance(g, gg.Tensor) else np.asarray(g)
    assert got.shape == expect.shape, (got.shape, expect.shape)
    assert str(got.dtype) == str(expect.dtype), (got.dtype, expect.dtype)
    np.testing.assert_allclose(got, expect, rtol=rtol, atol=rtol if atol is None else atol, equal_nan=True)


def _parity(fg, ft, arrays, dtype, transpose=False, rng=None):
    """Forward and backward of ``fg`` against ``ft`` (PyTorch) on the same inputs."""
    rtol = TOL[dtype]
    rng = rng or np.random.default_rng(1)
    gs, ts = zip(*(_both(a, dtype) for a in arrays))
    gi = [g.transpose(0, 1) if transpose else g for g in gs]
    ti = [t.transpose(0, 1) if transpose else t for t in ts]
    yg, yt = fg(*gi), ft(*ti)
    _close(yg, yt, rtol)
    up = rng.standard_normal(yt.shape).astype(dtype)
    yg.backward(gg.tensor(up))
    yt.backward(torch.tensor(up))
    for g, t in zip(gs, ts):
        _close(g.grad, t.grad, rtol)


# ---- unary ops ---------------------------------------------------------------------------------
UNARY = {
    "neg": (gg.neg, torch.neg, "any"),
    "abs": (gg.abs, torch.abs, "kink"),
    "exp": (gg.exp, torch.exp, "any"),
    "expm1": (gg.expm1, torch.expm1, "any"),
    "log": (gg.log, torch.log, "pos"),
    "log1p": (gg.log1p, torch.log1p, "pos"),
    "sqrt": (gg.sqrt, torch.sqrt, "pos"),
    "rsqrt": (gg.rsqrt, torch.rsqrt, "pos"),
    "reciprocal": (gg.reciprocal, torch.reciprocal, "kink"),
    "sin": (gg.sin, torch.sin, "any"),
    "cos": (gg.cos, torch.cos, "any"),
    "tanh": (gg.tanh, torch.tanh, "any"),
    "sigmoid": (gg.sigmoid, torch.sigmoid, "any"),
    "erf": (gg.erf, torch.erf, "any"),
    "relu": (gg.relu, torch.relu, "kink"),
    "leaky_relu": (lambda x: gg.leaky_relu(x, 0.2), lambda x: torch.nn.functional.leaky_relu(x, 0.2), "kink"),
    "elu": (lambda x: gg.elu(x, 0.7), lambda x: torch.nn.functional.elu(x, 0.7), "kink"),
    "gelu": (gg.gelu, torch.nn.functional.gelu, "any"),
    "gelu_tanh": (lambda x: gg.gelu(x, approximate="tanh"),
                  lambda x: torch.nn.functional.gelu(x, approximate="tanh"), "any"),
    "silu": (gg.silu, torch.nn.functional.silu, "any"),
    "softplus": (gg.softplus, torch.nn.functional.softplus, "any"),
    "softplus_beta": (lambda x: gg.softplus(x, beta=2.0, threshold=1.0),
                      lambda x: torch.nn.functional.softplus(x, beta=2.0, threshold=1.0), "kink"),
    "clamp": (lambda x: gg.clamp(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), "any"),
    "clamp_min": (lambda x: x.clamp(min=0.1), lambda x: x.clamp(min=0.1), "any"),
    "sign": (gg.sign, torch.sign, "kink"),
}
SHAPES = [(3, 4), (), (0, 3), "T"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_parity(name, shape, dtype):
    fg, ft, domain = UNARY[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()) % 1000)
    a = _data((4, 3) if shape == "T" else shape, domain, rng)
    _parity(fg, ft, [a], dtype, transpose=shape == "T")


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck(name):
    fg, _, domain = UNARY[name]
    x = gg.tensor(_data((2, 3), domain, np.random.default_rng(5)), requires_grad=True)
    assert gradcheck(fg, (x,))
    assert gradgradcheck(fg, (x,))


def test_erf_is_float64_accurate():
    xs = np.concatenate([np.linspace(-7, 7, 4001), np.geomspace(1e-300, 6, 300), [np.inf, -np.inf, 40.0]])
    got = gg.erf(gg.tensor(xs)).numpy()
    ref = np.array([math.erf(v) for v in xs])
    np.testing.assert_allclose(got, ref, rtol=4e-16 * 8, atol=0)
    assert np.isnan(gg.erf(gg.tensor([np.nan])).numpy()).all()
    # near ±1 the error stays at the rounding of 1: 1 + erf(x) is right to ~1 ulp of 1 (exact gelu)
    neg = xs[(xs < -1.5) & (xs > -6)]
    tail = 1 + gg.erf(gg.tensor(neg)).numpy()
    np.testing.assert_allclose(tail, [math.erfc(-v) for v in neg], rtol=0, atol=3e-16)


def test_gelu_exact_tails_match_torch():
    a = np.array([-12.0, -8.0, -5.5, -3.0, -1.0, 0.0, 1e-8, 2.0, 9.0])
    g, t = _both(a, "float64")
    _close(gg.gelu(g), torch.nn.functional.gelu(t), 1e-10, atol=1e-300)


def test_softplus_threshold_switch():
    a = np.array([-30.0, -1.0, 0.0, 4.9, 5.1, 30.0, 100.0])
    for beta, threshold in [(1.0, 20.0), (2.0, 10.0), (0.5, 2.0)]:
        _parity(lambda x: gg.softplus(x, beta, threshold),
                lambda x: torch.nn.functional.softplus(x, beta, threshold), [a], "float64")


def test_sigmoid_and_exp_extremes():
    a = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    g, t = _both(a, "float64")
    _close(gg.sigmoid(g), torch.sigmoid(t), 1e-12)
    _close(gg.exp(g), torch.exp(t), 1e-12)


def test_unary_int_inputs_promote_like_torch():
    ai = np.array([1, 2, 3])
    for name in ("exp", "log", "sqrt", "sin", "tanh", "sigmoid", "reciprocal", "rsqrt", "erf", "expm1"):
        _close(getattr(gg, name)(gg.tensor(ai)), getattr(torch, name)(torch.tensor(ai)), 1e-6)
    for name in ("abs", "neg", "relu", "sign"):
        _close(getattr(gg, name)(gg.tensor(ai)), getattr(torch, name)(torch.tensor(ai)), 0)
    with pytest.raises(RuntimeError, match="gelu.*int64.*float"):
        gg.gelu(gg.tensor(ai))
    with pytest.raises(RuntimeError, match="bool"):
        -gg.tensor([True, False])
    with pytest.raises(TypeError, match="exp.*Tensor"):
        gg.exp(2.0)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        gg.gelu(gg.ones(2), approximate="fast")


def test_ops_that_save_only_their_output_allow_changing_the_input_afterwards():
    grads = []
    for lib in (gg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x * 1
        y = h.exp() + h.tanh() + h.sigmoid() + h.sqrt()
        z = h.log()  # log saves its input
        with lib.no_grad():
            h.add_(1)
        y.sum().backward()
        grads.append(x.grad)
        with pytest.raises(RuntimeError, match="inplace"):
            z.sum().backward()
    _close(grads[0], grads[1], 1e-6)


# ---- binary ops --------------------------------------------------------------------------------
BINARY = {
    "add": (gg.add, torch.add, "any", "any"),
    "add_alpha": (lambda x, y: gg.add(x, y, alpha=2.5), lambda x, y: torch.add(x, y, alpha=2.5), "any", "any"),
    "sub": (lambda x, y: x - y, lambda x, y: x - y, "any", "any"),
    "sub_alpha": (lambda x, y: x.sub(y, alpha=0.5), lambda x, y: x.sub(y, alpha=0.5), "any", "any"),
    "mul": (lambda x, y: x * y, lambda x, y: x * y, "any", "any"),
    "div": (lambda x, y: x / y, lambda x, y: x / y, "any", "kink"),
    "pow": (lambda x, y: x ** y, lambda x, y: x ** y, "pos", "any"),
    "maximum": (gg.maximum, torch.maximum, "any", "any"),
    "remainder": (gg.remainder, torch.remainder, "any", "kink"),
    "minimum": (gg.minimum, torch.minimum, "any", "any"),
    "max_other": (lambda x, y: gg.max(x, y), lambda x, y: torch.max(x, y), "any", "any"),
    "lerp_scalar": (lambda x, y: gg.lerp(x, y, 0.3), lambda x, y: torch.lerp(x, y, 0.3), "any", "any"),
    "lerp_scalar_hi": (lambda x, y: gg.lerp(x, y, 0.8), lambda x, y: torch.lerp(x, y, 0.8), "any", "any"),
    "where": (lambda x, y: gg.where(x > y, x, y * 2), lambda x, y: torch.where(x > y, x, y * 2), "any", "any"),
    "clamp_tensor_min": (lambda x, y: gg.clamp(x, min=y), lambda x, y: torch.clamp(x, min=y), "any", "any"),
    "clamp_tensor_max": (lambda x, y: x.clamp(max=y), lambda x, y: x.clamp(max=y), "any", "any"),
}
BROADCAST = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3), (3,)), ((), (2, 3)), ((2, 3), ()), ((0, 3), (1, 3))]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shapes", BROADCAST, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_parity(name, shapes, dtype):
    fg, ft, da, db = BINARY[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()) % 1000)
    _parity(fg, ft, [_data(shapes[0], da, rng), _data(shapes[1], db, rng)], dtype)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_non_contiguous(name):
    fg, ft, da, db = BINARY[name]
    rng = np.random.default_rng(3)
    _parity(fg, ft, [_data((4, 3), da, rng), _data((4, 3), db, rng)], "float64", transpose=True)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradcheck(name):
    fg, _, da, db = BINARY[name]
    rng = np.random.default_rng(7)
    x = gg.tensor(_data((2, 3), da, rng), requires_grad=True)
    y = gg.tensor(_data((3,), db, rng), requires_grad=True)
    assert gradcheck(fg, (x, y))
    assert gradgradcheck(fg, (x, y))


def test_lerp_tensor_weight():
    rng = np.random.default_rng(0)
    a, b, w = rng.standard_normal((3, 4)), rng.standard_normal((1, 4)), rng.uniform(-0.5, 1.5, (3, 1))
    _parity(gg.lerp, torch.lerp, [a, b, w], "float64")
    args = [gg.tensor(v, requires_grad=True) for v in (a, b, w)]
    assert gradcheck(gg.lerp, args) and gradgradcheck(gg.lerp, args)


def test_clamp_both_tensor_bounds_with_ties_and_crossed_bounds():
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    lo = np.array([1.0, 1.0, 1.0, 4.0, 4.0, 6.0])
    hi = np.array([3.0, 3.0, 3.0, 3.0, 4.0, 2.0])  # ties with x, and lo > hi at the end
    _parity(lambda x, lo, hi: gg.clamp(x, lo, hi), lambda x, lo, hi: torch.clamp(x, lo, hi), [x, lo, hi], "float64")


def test_clamp_scalar_ties_and_int_promotion():
    _parity(lambda x: x.clamp(1.0, 3.0), lambda x: x.clamp(1.0, 3.0), [np.array([0.0, 1.0, 2.0, 3.0, 4.0])],
            "float64")
    _close(gg.clamp(gg.tensor([1, 5]), min=2.5), torch.clamp(torch.tensor([1, 5]), min=2.5), 0)
    _close(gg.clamp(gg.tensor([1, 5]), max=2), torch.clamp(torch.tensor([1, 5]), max=2), 0)
    with pytest.raises(RuntimeError, match="clamp"):
        gg.clamp(gg.ones(2))


def test_maximum_ties_split_gradient():
    _parity(gg.maximum, torch.maximum, [np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 3.0])], "float64")
    _parity(gg.minimum, torch.minimum, [np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 3.0])], "float64")


def test_maximum_propagates_nan():
    _close(gg.maximum(gg.tensor([np.nan, 1.0]), gg.tensor([0.0, np.nan])),
           torch.maximum(torch.tensor([np.nan, 1.0]), torch.tensor([0.0, np.nan])), 0)


@pytest.mark.parametrize("base,exp", [
    ([0.0, 0.0, 0.0, 2.0, -2.0], [0.0, 2.0, -1.0, 0.0, 2.0]),
    ([0.0, 1.0, 3.0], [0.5, 0.5, 0.5]),
    ([-1.5, 2.0, 0.0], [3.0, -2.0, 1.0]),
])
def test_pow_edge_cases(base, exp):
    _parity(lambda x, y: x ** y, lambda x, y: x ** y, [np.array(base), np.array(exp)], "float64")


@pytest.mark.parametrize("e", [0, 1, 2, 3, 0.5, -1, -2.5])
def test_pow_scalar_exponent(e):
    a = np.array([0.5, 1.0, 2.0, 0.0]) if e in (0, 1, 2, 3) else np.array([0.5, 1.0, 2.0])
    _parity(lambda x: x ** e, lambda x: x ** e, [a], "float64")
    x = gg.tensor(a, requires_grad=True)
    assert gradgradcheck(lambda x: x ** e, (x,)) if 0 not in a else True


@pytest.mark.parametrize("base", [2.0, 0.0, -2.0, 0.5])
def test_pow_scalar_base(base):
    _parity(lambda x: base ** x, lambda x: base ** x, [np.array([-1.0, 0.0, 0.5, 2.0, 3.0])], "float64")


def test_reflected_operators():
    a = np.array([[0.5, -1.5, 2.0], [3.0, -0.25, 1.0]])
    for fg in (lambda x: 2 + x, lambda x: 2 - x, lambda x: 3 * x, lambda x: 2 / x, lambda x: 1.5 ** x,
               lambda x: -x, lambda x: abs(x)):
        _parity(fg, fg, [a], "float64")
        _parity(fg, fg, [a], "float32")


def test_rsub_rdiv_with_python_int_keep_tensor_dtype():
    for dtype in ("float32", "float64"):
        g, t = _both([1.0, 2.0], dtype, requires_grad=False)
        _close(1 - g, 1 - t, 0)
        _close(3 / g, 3 / t, 0)


PROMOTION_CASES = [
    (lambda x, y: x / y, [1, 2, 7], "int64", [2, 4, 2], "int64"),
    (lambda x, y: x / y, [True, False], "bool", [True, True], "bool"),
    (lambda x, y: x + y, [1, 2], "int64", [0.5, 1.5], "float32"),
    (lambda x, y: x * y, [1, 2], "int32", [3, 4], "int64"),
    (lambda x, y: x + y, [1.0, 2.0], "float32", [3.0, 4.0], "float64"),
    (lambda x, y: x + y, [True, False], "bool", [True, True], "bool"),
    (lambda x, y: x + y, [1.0, 2.0], "float32", 2.5, "float64_0d"),
    (lambda x, y: x + y, [1, 2], "int32", 5, "int64_0d"),
    (lambda x, y: x ** y, [1, 2, 3], "int64", [2, 3, 0], "int64"),
    (lambda x, y: x ** y, [1, 2, 3], "int64", [0.5, 2.0, 1.0], "float32"),
    (lambda x, y: x < y, [1, 2], "int64", [1.5, 1.5], "float32"),
    (lambda x, y: x == y, [1.0, 2.0], "float32", [1, 3], "int64"),
]


@pytest.mark.parametrize("case", range(len(PROMOTION_CASES)))
def test_type_promotion_matches_torch(case):
    fn, a, da, b, db = PROMOTION_CASES[case]
    tdt = lambda d: getattr(torch, d)  # noqa: E731
    ta = torch.tensor(a, dtype=tdt(da))
    tb = torch.tensor(b, dtype=tdt(db.replace("_0d", "")))
    ga = gg.tensor(np.array(a, dtype=da))
    gb = gg.tensor(np.array(b, dtype=db.replace("_0d", "")))
    _close(fn(ga, gb), fn(ta, tb), 1e-7)
    _close(fn(gb, ga), fn(tb, ta), 1e-7)


def test_python_scalar_promotion():
    gi, ti = gg.tensor([1, 2, 3]), torch.tensor([1, 2, 3])
    for fn in (lambda x: x + 1.5, lambda x: x * 2, lambda x: x / 2, lambda x: 2 / x, lambda x: x ** 2,
               lambda x: x + True, lambda x: x * 0.5, lambda x: 2.0 ** x):
        _close(fn(gi), fn(ti), 1e-7)
    gb, tb = gg.tensor([True, False]), torch.tensor([True, False])
    for fn in (lambda x: x + 1, lambda x: x * 1.5, lambda x: x + True):
        _close(fn(gb), fn(tb), 1e-7)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_div_rounding_modes(mode):
    ai, bi = np.array([-7, 7, -8, 8, 5, -5]), np.array([2, 2, 3, -3, 5, 1])
    _close(gg.div(gg.tensor(ai), gg.tensor(bi), rounding_mode=mode),
           torch.div(torch.tensor(ai), torch.tensor(bi), rounding_mode=mode), 0)
    af, bf = ai * 1.25, bi * 0.5
    _close(gg.div(gg.tensor(af), gg.tensor(bf), rounding_mode=mode),
           torch.div(torch.tensor(af), torch.tensor(bf), rounding_mode=mode), 1e-12)
    _parity(lambda x, y: gg.div(x, y, rounding_mode=mode), lambda x, y: torch.div(x, y, rounding_mode=mode),
            [af, bf], "float64")
    with pytest.raises(RuntimeError, match="rounding_mode"):
        gg.div(gg.tensor(af), 2, rounding_mode="round")
    with pytest.raises(RuntimeError, match="division by zero"):
        gg.div(gg.tensor(ai), 0, rounding_mode=mode)


def test_remainder_and_floor_divide_ints():
    ai, bi = np.array([-7, 7, -8, 8, 5]), np.array([2, -2, 3, 3, 5])
    for name in ("remainder", "floor_divide"):
        _close(getattr(gg, name)(gg.tensor(ai), gg.tensor(bi)),
               getattr(torch, name)(torch.tensor(ai), torch.tensor(bi)), 0)
        _close(getattr(gg.tensor(ai), name)(3), getattr(torch.tensor(ai), name)(3), 0)


def test_where_forms():
    c = np.array([[True, False, True]])
    _close(gg.where(gg.tensor(c), 1.0, 0.0), torch.where(torch.tensor(c), 1.0, 0.0), 0)
    _close(gg.where(gg.tensor(c), 1, 0), torch.where(torch.tensor(c), 1, 0), 0)
    g, t = _both([[1.0], [2.0]], "float32")
    _close(gg.where(gg.tensor(c), g, 0.5), torch.where(torch.tensor(c), t, 0.5), 0)
    _close(g.where(gg.tensor(c), -1.0), t.where(torch.tensor(c), -1.0), 0)
    idx = gg.where(gg.tensor(c))
    tidx = torch.where(torch.tensor(c))
    for a, b in zip(idx, tidx):
        _close(a, b, 0)
    with pytest.raises(TypeError, match="bool"):
        gg.where(gg.tensor([1, 0]), g, g)


# ---- comparison and logic ----------------------------------------------------------------------
COMPARE = ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"]


@pytest.mark.parametrize("name", COMPARE)
def test_comparisons(name):
    a = np.array([[0.0, 1.0, 2.0, np.nan], [-1.0, 0.0, 2.0, 3.0]])
    b = np.array([1.0, 0.0, 2.0, np.nan])
    ga, ta = _both(a, "float64", False)
    gb, tb = _both(b, "float64", False)
    _close(getattr(gg, name)(ga, gb), getattr(torch, name)(ta, tb), 0)
    if not name.startswith("logical"):
        _close(getattr(gg, name)(ga, 2.0), getattr(torch, name)(ta, 2.0), 0)
    _close(getattr(ga, name)(gb), getattr(ta, name)(tb), 0)
    _close(getattr(gg, name)(ga[:0], gb), getattr(torch, name)(ta[:0], tb), 0)


def test_comparison_operators_and_logic():
    a = np.array([1.0, np.inf, -np.inf, np.nan, 0.0])
    g, t = _both(a, "float32", False)
    for fn in (lambda x: x == 1, lambda x: x != 1, lambda x: x < 0.5, lambda x: x <= 0, lambda x: x > 0,
               lambda x: x >= 1, lambda x: 1 < x, lambda x: ~(x > 0), lambda x: (x > 0) & (x < 2),
               lambda x: (x > 0) | (x < -2), lambda x: (x > 0) ^ (x < 2)):
        _close(fn(g), fn(t), 0)
    for name in ("isnan", "isinf", "isfinite", "logical_not"):
        _close(getattr(gg, name)(g), getattr(torch, name)(t), 0)
    assert (g == None) is False and (g != None) is True  # noqa: E711
    assert not (g > 0).requires_grad


def test_comparison_results_do_not_require_grad():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    assert not (x > 1).requires_grad and not gg.isnan(x).requires_grad


# ---- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn,name", [
    (lambda x, y: x + y, "add"), (lambda x, y: x - y, "sub"), (lambda x, y: x * y, "mul"),
    (lambda x, y: x / y, "div"), (lambda x, y: x ** y, "pow"), (gg.maximum, "maximum"),
    (gg.minimum, "minimum"), (lambda x, y: x == y, "eq"), (lambda x, y: x < y, "lt"),
    (lambda x, y: gg.where(x > 0, x, y), "where"), (lambda x, y: gg.lerp(x, y, 0.5), "lerp"),
    (lambda x, y: gg.clamp(x, min=y), "clamp"), (gg.logical_and, "logical_and"),
])
def test_incompatible_broadcast_names_op_and_shapes(fn, name):
    x, y = gg.ones(2, 3, requires_grad=True), gg.ones(4, requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"{name}.*\(2, 3\).*\(4,\)"):
        fn(x, y)


def test_bad_dtype_errors():
    with pytest.raises(RuntimeError, match="negative integer powers"):
        gg.tensor([1, 2]) ** -1
    with pytest.raises(RuntimeError, match="bool"):
        gg.tensor([True]) - gg.tensor([False])
    _close(gg.tensor([2, 3]) ** 2, torch.tensor([2, 3]) ** 2, 0)


# ---- hypothesis: random broadcast shapes -------------------------------------------------------
HYP_OPS = {
    "add": (lambda x, y: x + y, lambda x, y: x + y),
    "mul": (lambda x, y: x * y, lambda x, y: x * y),
    "div": (lambda x, y: x / (y * y + 1), lambda x, y: x / (y * y + 1)),
    "maximum": (gg.maximum, torch.maximum),
    "sub_tanh": (lambda x, y: gg.tanh(x - y), lambda x, y: torch.tanh(x - y)),
    "gelu_mul": (lambda x, y: gg.gelu(x) * gg.sigmoid(y), lambda x, y: torch.nn.functional.gelu(x) * torch.sigmoid(y)),
}


@settings(max_examples=20, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3),
       name=st.sampled_from(sorted(HYP_OPS)), seed=st.integers(0, 2 ** 16))
def test_hypothesis_broadcast_binary(shapes, name, seed):
    rng = np.random.default_rng(seed)
    fg, ft = HYP_OPS[name]
    a, b = (rng.standard_normal(s) for s in shapes.input_shapes)
    _parity(fg, ft, [a, b], "float64", rng=rng)


@settings(max_examples=15, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple),
       name=st.sampled_from(sorted(UNARY)), seed=st.integers(0, 2 ** 16))
def test_hypothesis_unary_shapes(shape, name, seed):
    fg, ft, domain = UNARY[name]
    _parity(fg, ft, [_data(shape, domain, np.random.default_rng(seed))], "float32")


@pytest.mark.parametrize("kernel", [True, False], ids=["numba-kernel", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_kernel_and_numpy_path_match_torch(kernel, dtype, monkeypatch):
    from glassgrad.ops import elementwise
    monkeypatch.setattr(elementwise, "relu_kernel_enabled", kernel)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 300)).astype(dtype)
    x[0, :4] = [np.nan, 0.0, -0.0, np.inf]
    dy = rng.standard_normal(x.shape).astype(dtype)
    dy[1, :3] = [np.inf, np.nan, -np.inf]
    t = gg.tensor(x, requires_grad=True)
    gg.relu(t).backward(gg.tensor(dy))
    tx = torch.tensor(x, requires_grad=True)
    torch.relu(tx).backward(torch.tensor(dy))
    np.testing.assert_array_equal(t.grad.array, tx.grad.numpy())
