"""nn.init: sample statistics on large tensors against the stated distributions, deterministic
initializers and gains against PyTorch, generators, errors."""
import math

import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn as nn
from glassgrad.nn import init


def _param(*shape, dtype=np.float32):
    return nn.Parameter(np.empty(shape, dtype=dtype))


def _close(value, expected, rel=0.02):
    assert abs(value - expected) <= rel * abs(expected) + 1e-3, (value, expected)


@pytest.mark.parametrize("nonlinearity,param", [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
    ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param),
                                                                     rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "a")


@pytest.mark.parametrize("shape", [(3, 4), (6, 2, 3), (8, 4, 3, 5), (2, 3, 1, 2, 2)])
def test_fan_in_fan_out_matches_torch(shape):
    assert init._calculate_fan_in_and_fan_out(glassgrad.zeros(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(glassgrad.zeros(5))


def test_uniform_and_normal_statistics():
    t = _param(500, 400)
    assert init.uniform_(t, -2.0, 3.0) is t
    assert t.array.min() >= -2 and t.array.max() < 3
    _close(t.array.mean(), 0.5)
    _close(t.array.std(), 5 / math.sqrt(12))
    init.normal_(t, 1.5, 0.5)
    _close(t.array.mean(), 1.5)
    _close(t.array.std(), 0.5)
    assert t.dtype == np.float32 and t.requires_grad and t.grad_fn is None


@pytest.mark.parametrize("shape", [(400, 300), (64, 32, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier_statistics(shape, gain):
    t = _param(*shape)
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    init.xavier_uniform_(t, gain=gain)
    assert np.abs(t.array).max() <= bound and np.abs(t.array).max() > 0.99 * bound
    _close(t.array.std(), bound / math.sqrt(3))
    init.xavier_normal_(t, gain=gain)
    _close(t.array.std(), gain * math.sqrt(2 / (fan_in + fan_out)))
    assert abs(t.array.mean()) < 0.01 * bound


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("relu", 0), ("leaky_relu", 0), ("leaky_relu", math.sqrt(5)),
                                            ("tanh", 0), ("linear", 0)])
def test_kaiming_statistics(mode, nonlinearity, a):
    t = _param(200, 50, 3, 3)
    fan = 50 * 9 if mode == "fan_in" else 200 * 9
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    bound = math.sqrt(3) * std
    assert np.abs(t.array).max() <= bound * (1 + 1e-6) and np.abs(t.array).max() > 0.99 * bound
    _close(t.array.std(), std)
    init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    _close(t.array.std(), std)
    assert abs(t.array.mean()) < 0.01 * std


def test_kaiming_errors_and_empty():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(_param(3, 3), mode="fan_avg")
    empty = _param(0, 3)
    assert init.kaiming_normal_(empty) is empty


@pytest.mark.parametrize("shape", [(50, 20), (20, 50), (30, 30), (16, 4, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal(shape, gain):
    t = _param(*shape, dtype=np.float64)
    init.orthogonal_(t, gain=gain)
    flat = t.array.reshape(shape[0], -1) / gain
    small = min(flat.shape)
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(_param(4))


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (1.0, 0.5, 0.0, 3.0), (0.0, 1.0, 1.5, 4.0),
                                          (0.0, 0.02, -0.04, 0.04), (0.0, 1.0, -0.1, 0.1), (0.0, 1.0, 4.0, 100.0)])
def test_trunc_normal_statistics(mean, std, a, b):
    t = _param(400, 500, dtype=np.float64)
    init.trunc_normal_(t, mean, std, a, b)
    assert t.array.min() >= a and t.array.max() <= b
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    exp_mean = mean + std * (pdf(alpha) - pdf(beta)) / z
    exp_var = std ** 2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2)
    assert abs(t.array.mean() - exp_mean) < 0.01 * math.sqrt(exp_var)
    _close(t.array.std(), math.sqrt(exp_var))
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(t, a=1, b=0)


def test_deterministic_initializers_match_torch():
    for shape in [(3, 5), (5, 3), (4, 4)]:
        ours, theirs = glassgrad.zeros(*shape), torch.zeros(shape)
        init.eye_(ours)
        torch.nn.init.eye_(theirs)
        np.testing.assert_array_equal(ours.array, theirs.numpy())
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 4, 3, 3, 3), 1)]:
        ours, theirs = glassgrad.ones(*shape), torch.ones(shape)
        init.dirac_(ours, groups)
        torch.nn.init.dirac_(theirs, groups)
        np.testing.assert_array_equal(ours.array, theirs.numpy())
    t = _param(3, 4)
    np.testing.assert_array_equal(init.constant_(t, 0.25).array, np.full((3, 4), 0.25, np.float32))
    np.testing.assert_array_equal(init.zeros_(t).array, 0)
    np.testing.assert_array_equal(init.ones_(t).array, 1)
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(glassgrad.zeros(2, 2, 2))


def test_sparse_zeroes_a_fraction_of_each_column():
    t = _param(100, 30)
    init.sparse_(t, 0.3, std=0.5)
    assert np.all((t.array == 0).sum(0) == 30)
    _close(t.array[t.array != 0].std(), 0.5, rel=0.05)


def test_generator_reproducibility_and_default_stream():
    t1, t2 = _param(10, 10), _param(10, 10)
    init.kaiming_uniform_(t1, generator=glassgrad.Generator().manual_seed(5))
    init.kaiming_uniform_(t2, generator=glassgrad.Generator().manual_seed(5))
    np.testing.assert_array_equal(t1.array, t2.array)
    glassgrad.manual_seed(1)
    init.normal_(t1)
    glassgrad.manual_seed(1)
    init.normal_(t2)
    np.testing.assert_array_equal(t1.array, t2.array)
    init.normal_(t2)
    assert not np.array_equal(t1.array, t2.array)


def test_initializers_run_without_grad_and_bump_version():
    p = nn.Parameter(glassgrad.zeros(3, 3))
    y = p * p
    init.normal_(p)  # in place on a leaf that requires grad: allowed (no_grad semantics)
    assert p.grad_fn is None and p.requires_grad
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()  # ... but what was saved from before is now stale, as in PyTorch
    with pytest.raises(TypeError, match="floating point"):
        init.normal_(glassgrad.zeros(3, dtype=glassgrad.int64))
    with pytest.raises(TypeError, match="glassgrad Tensor"):
        init.uniform_(np.zeros(3))
