"""In-place fills (fill_, zero_, copy_) and random fills (uniform_, normal_, bernoulli_,
exponential_, random_): values and gradients against PyTorch, distributions by their moments,
PyTorch's in-place rules (leaf errors, version counter) and the error messages."""
import numpy as np
import pytest
import torch

import glassgrad
from glassgrad.autograd import gradcheck, gradgradcheck

N = 20000  # samples for the moment checks: 5 standard errors is far outside chance


def _pair(a, requires_grad=False):
    return (torch.tensor(a, requires_grad=requires_grad), glassgrad.tensor(a, requires_grad=requires_grad))


# ---- fill_, zero_, copy_ -----------------------------------------------------------------------
def test_fill_and_zero_without_grad():
    t, g = _pair(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    assert g.fill_(2.5) is g and g._version == 1
    t.fill_(2.5)
    np.testing.assert_array_equal(g.array, t.numpy())
    g.zero_()
    assert g.tolist() == [[0.0] * 3] * 2 and g._version == 2 and g.dtype == glassgrad.float32
    i = glassgrad.zeros(3, dtype=glassgrad.int64).fill_(glassgrad.tensor(4))
    assert i.tolist() == [4, 4, 4] and i.dtype == glassgrad.int64


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fill_with_grad_matches_torch(dtype, rng):
    a, w = rng.standard_normal((2, 3)).astype(dtype), rng.standard_normal((2, 3)).astype(dtype)
    grads = []
    for m in (torch, glassgrad):
        x = m.tensor(a, requires_grad=True)
        v = m.tensor(dtype(1.5), requires_grad=True)
        y = x * 2
        y.fill_(v)
        (y * m.tensor(w)).sum().backward()
        np.testing.assert_array_equal(np.asarray(y.detach().numpy() if m is torch else y.array), 1.5)
        grads.append([np.asarray(x.grad.numpy() if m is torch else x.grad.array),
                      np.asarray(v.grad.numpy() if m is torch else v.grad.array)])
    for gt, gg in zip(*grads):
        assert gg.dtype == gt.dtype
        np.testing.assert_allclose(gg, gt, rtol=1e-6)


def test_fill_gradcheck():
    def fn(x, v):
        y = x * 1
        return y.fill_(v) * x

    inputs = [glassgrad.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True),
              glassgrad.tensor(0.7, dtype=glassgrad.float64, requires_grad=True)]
    assert gradcheck(fn, inputs) and gradgradcheck(fn, inputs)


@pytest.mark.parametrize("src_shape,src_dtype", [((2, 3), np.float32), ((3,), np.float64), ((1, 3), np.float64),
                                                 ((), np.float32), ((2, 1), np.int64)])
def test_copy_without_grad(src_shape, src_dtype, rng):
    dst = rng.standard_normal((2, 3)).astype(np.float32)
    src = (rng.standard_normal(src_shape) * 5).astype(src_dtype)
    t, g = _pair(dst)
    t.copy_(torch.tensor(src))
    assert g.copy_(glassgrad.tensor(src)) is g
    assert g.dtype == glassgrad.float32 and g._version == 1
    np.testing.assert_array_equal(g.array, t.numpy())


def test_copy_number():
    assert glassgrad.zeros(3).copy_(3).tolist() == [3.0, 3.0, 3.0]


@pytest.mark.parametrize("src_shape", [(2, 3), (3,), (2, 1), ()])
def test_copy_with_grad_matches_torch(src_shape, rng):
    dst, w = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((2, 3)).astype(np.float32)
    src = rng.standard_normal(src_shape)  # float64 into a float32 tensor
    grads = []
    for m in (torch, glassgrad):
        x, s = m.tensor(dst, requires_grad=True), m.tensor(src, requires_grad=True)
        y = x * 3
        y.copy_(s)
        assert y.dtype == m.float32 and y.requires_grad and not y.is_leaf
        (y * m.tensor(w)).sum().backward()
        grads.append([np.asarray(t.grad.numpy() if m is torch else t.grad.array) for t in (x, s)])
    for gt, gg in zip(*grads):
        assert gg.dtype == gt.dtype and gg.shape == gt.shape
        np.testing.assert_allclose(gg, gt, rtol=1e-6, atol=1e-7)


def test_copy_into_plain_tensor_joins_the_graph():
    s = glassgrad.tensor([1.0, 2.0], dtype=glassgrad.float64, requires_grad=True)
    z = glassgrad.zeros(3, 2)
    z.copy_(s)
    assert z.requires_grad and not z.is_leaf and z.dtype == glassgrad.float32
    (z * 2).sum().backward()
    assert s.grad.tolist() == [6.0, 6.0] and s.grad.dtype == glassgrad.float64


def test_copy_gradcheck():
    def fn(x, s):
        y = x * 1
        return y.copy_(s) * x

    inputs = [glassgrad.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True),
              glassgrad.tensor([0.5, -0.25, 2.0], dtype=glassgrad.float64, requires_grad=True)]
    assert gradcheck(fn, inputs) and gradgradcheck(fn, inputs)


# ---- random fills ------------------------------------------------------------------------------
def _sample(method, *args, dtype=glassgrad.float64, **kwargs):
    t = glassgrad.empty(N, dtype=dtype)
    assert getattr(t, method)(*args, **kwargs) is t
    assert t._version == 1 and t.dtype == dtype and t.shape == (N,)
    return t.array.astype(np.float64)


def _close(value, expected, sd):
    assert abs(value - expected) < 5 * sd / np.sqrt(N), (value, expected)


def test_uniform_():
    u = _sample("uniform_", -2.0, 3.0)
    assert u.min() >= -2.0 and u.max() < 3.0
    _close(u.mean(), 0.5, 5 / np.sqrt(12))
    _close(u.var(), 25 / 12, 25 / 12 * np.sqrt(0.8))
    d = _sample("uniform_", dtype=glassgrad.float32)
    assert d.min() >= 0.0 and d.max() <= 1.0
    k = glassgrad.empty(1000).uniform_(**{"from": 5.0, "to": 6.0}).array
    assert k.min() >= 5.0 and k.max() <= 6.0


def test_normal_():
    z = _sample("normal_", 1.5, 2.0)
    _close(z.mean(), 1.5, 2.0)
    _close(z.std(), 2.0, 2.0 / np.sqrt(2))
    _close(_sample("normal_", dtype=glassgrad.float32).mean(), 0.0, 1.0)
    assert np.all(_sample("normal_", 3.0, 0.0) == 3.0)


def test_bernoulli_():
    b = _sample("bernoulli_", 0.3)
    assert set(np.unique(b)) <= {0.0, 1.0}
    _close(b.mean(), 0.3, np.sqrt(0.21))
    p = glassgrad.tensor([0.0, 1.0, 1.0, 0.0])
    assert glassgrad.zeros(3, 4).bernoulli_(p).tolist() == [[0.0, 1.0, 1.0, 0.0]] * 3
    ints = glassgrad.zeros(1000, dtype=glassgrad.int64).bernoulli_(0.5)
    assert ints.dtype == glassgrad.int64 and set(np.unique(ints.array)) == {0, 1}


def test_bernoulli_function():
    p = glassgrad.tensor([[0.0, 1.0], [1.0, 0.0]], requires_grad=True)
    b = glassgrad.bernoulli(p)
    assert b.tolist() == [[0.0, 1.0], [1.0, 0.0]] and not b.requires_grad and b.dtype == glassgrad.float32
    draws = glassgrad.bernoulli(glassgrad.full((N,), 0.8, dtype=glassgrad.float64))
    _close(draws.array.mean(), 0.8, 0.4)


def test_exponential_():
    e = _sample("exponential_", 4.0)
    assert e.min() >= 0
    _close(e.mean(), 0.25, 0.25)


def test_random_():
    r = _sample("random_", -3, 5)
    assert set(np.unique(r)) == set(range(-3, 5))
    r = _sample("random_", 4, dtype=glassgrad.int64)
    assert set(np.unique(r)) == {0, 1, 2, 3}
    assert set(np.unique(_sample("random_", dtype=glassgrad.bool))) == {0, 1}
    big = _sample("random_", dtype=glassgrad.float32)
    assert big.min() >= 0 and big.max() <= 2 ** 24 and np.all(big == np.round(big)) and big.max() > 2 ** 20
    i32 = glassgrad.empty(100, dtype=glassgrad.int32).random_()
    assert i32.dtype == glassgrad.int32 and i32.array.min() >= 0


@pytest.mark.parametrize("method,args", [("uniform_", (-1.0, 1.0)), ("normal_", (0.0, 2.0)),
                                         ("bernoulli_", (0.5,)), ("exponential_", (2.0,)), ("random_", (0, 100))])
def test_generators_reproduce_streams(method, args):
    g1, g2 = glassgrad.Generator().manual_seed(7), glassgrad.Generator().manual_seed(7)
    a = getattr(glassgrad.empty(50), method)(*args, generator=g1)
    b = getattr(glassgrad.empty(50), method)(*args, generator=g2)
    np.testing.assert_array_equal(a.array, b.array)
    c = getattr(glassgrad.empty(50), method)(*args, generator=g1)  # the stream moved on
    assert not np.array_equal(a.array, c.array)
    glassgrad.manual_seed(3)
    d = getattr(glassgrad.empty(50), method)(*args)
    glassgrad.manual_seed(3)
    np.testing.assert_array_equal(getattr(glassgrad.empty(50), method)(*args).array, d.array)


def test_random_fill_of_non_leaf_gives_zero_gradient_like_torch():
    for m in (torch, glassgrad):
        x = m.ones(3, requires_grad=True)
        y = x * 2
        y.normal_()
        (y * x).sum().backward()
        y_values = y.detach().numpy() if m is torch else y.array
        np.testing.assert_allclose(np.asarray(x.grad.numpy() if m is torch else x.grad.array), y_values)


# ---- PyTorch's in-place rules ------------------------------------------------------------------
INPLACE = [("fill_", (1.0,)), ("zero_", ()), ("copy_", (glassgrad.ones(3),)), ("uniform_", ()), ("normal_", ()),
           ("bernoulli_", ()), ("exponential_", ()), ("random_", (5,))]


@pytest.mark.parametrize("method,args", INPLACE)
def test_leaf_requiring_grad(method, args):
    w = glassgrad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        getattr(w, method)(*args)
    assert w._version == 0
    with glassgrad.no_grad():
        assert getattr(w, method)(*args) is w
    assert w.is_leaf and w.requires_grad and w.grad_fn is None and w._version == 1


@pytest.mark.parametrize("method,args", INPLACE)
def test_overwriting_a_saved_tensor_is_caught(method, args):
    x = glassgrad.tensor([0.5, 1.0, 2.0], requires_grad=True)
    y = x.exp()  # exp saves its output
    getattr(y, method)(*args)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_write_into_expanded_tensor_is_an_error():
    with pytest.raises(RuntimeError, match="single memory location"):
        glassgrad.zeros(1, 3).expand(2, 3).fill_(1.0)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: glassgrad.zeros(3).fill_(glassgrad.tensor([1.0])), RuntimeError, "0-dimension value tensor"),
    (lambda: glassgrad.zeros(3).copy_(glassgrad.ones(2)), RuntimeError,
     "size of tensor a \\(3\\) must match the size of tensor b \\(2\\) at non-singleton dimension 0"),
    (lambda: glassgrad.zeros(3).copy_(glassgrad.ones(2, 3)), RuntimeError, "more dimensions"),
    (lambda: glassgrad.zeros(3).copy_([1.0, 2.0, 3.0]), TypeError, "must be Tensor"),
    (lambda: glassgrad.zeros(3).uniform_(1.0, 0.0), RuntimeError, "expects to return a \\[from, to\\) range"),
    (lambda: glassgrad.zeros(3, dtype=glassgrad.int64).uniform_(), RuntimeError, "floating point tensor, got int64"),
    (lambda: glassgrad.zeros(3).uniform_(0.0, 1.0, 2.0), TypeError, "at most 2"),
    (lambda: glassgrad.zeros(3).uniform_(lo=1.0), TypeError, "unexpected keyword argument 'lo'"),
    (lambda: glassgrad.zeros(3).normal_(0.0, -1.0), RuntimeError, "normal expects std >= 0.0"),
    (lambda: glassgrad.zeros(3, dtype=glassgrad.int32).normal_(), RuntimeError, "floating point tensor, got int32"),
    (lambda: glassgrad.zeros(3).bernoulli_(1.5), RuntimeError, "expects p to be in \\[0, 1\\]"),
    (lambda: glassgrad.zeros(3).bernoulli_(glassgrad.tensor([0.5, 2.0, 0.0])), RuntimeError, "in \\[0, 1\\]"),
    (lambda: glassgrad.zeros(3).exponential_(0.0), RuntimeError, "expects lambda > 0.0"),
    (lambda: glassgrad.zeros(3).random_(5, 2), RuntimeError, "expects 'from' to be less than 'to'"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
