"""Gradient clipping and parameter flattening against PyTorch."""
import math

import numpy as np
import pytest
import torch

import glassgrad
from glassgrad.nn.utils import (clip_grad_norm_, clip_grad_value_, get_total_norm, parameters_to_vector,
                                vector_to_parameters)

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def _pair(dtype, scale, rng):
    grads = [(rng.standard_normal(s) * scale).astype(dtype) for s in SHAPES]
    gp = [glassgrad.nn.Parameter(glassgrad.zeros(*s, dtype=dtype)) for s in SHAPES]
    tp = [torch.nn.Parameter(torch.zeros(*s, dtype=torch.float64 if dtype == np.float64 else torch.float32))
          for s in SHAPES]
    for p, q, g in zip(gp, tp, grads):
        p.grad, q.grad = glassgrad.tensor(g.copy()), torch.tensor(g.copy())
    return gp, tp


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm,scale", [(1.0, 1.0), (100.0, 1.0), (0.5, 1e-3)])
def test_clip_grad_norm_matches_torch(max_norm, scale, norm_type, dtype, rng):
    gp, tp = _pair(dtype, scale, rng)
    total = clip_grad_norm_(gp, max_norm, norm_type=norm_type)
    ref = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=float(norm_type))
    tol = dict(rtol=1e-12) if dtype == np.float64 else dict(rtol=2e-6, atol=1e-7)
    assert isinstance(total, glassgrad.Tensor) and total.shape == () and total.dtype == dtype
    np.testing.assert_allclose(total.item(), ref.item(), **tol)
    for p, q in zip(gp, tp):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad.array, q.grad.numpy(), **tol)


def test_clip_grad_norm_single_tensor_skips_none_and_empty(rng):
    a = glassgrad.nn.Parameter(glassgrad.zeros(3, dtype=glassgrad.float64))
    b = glassgrad.nn.Parameter(glassgrad.zeros(2, dtype=glassgrad.float64))
    a.grad = glassgrad.tensor(np.array([3.0, 4.0, 0.0]))
    total = clip_grad_norm_(a, 1.0)
    assert total.item() == 5.0
    np.testing.assert_allclose(a.grad.array, np.array([3.0, 4.0, 0.0]) / (5.0 + 1e-6), rtol=1e-12)
    total = clip_grad_norm_([a, b], 10.0)  # b has no gradient: skipped
    assert b.grad is None
    assert clip_grad_norm_([b], 1.0).item() == 0.0
    assert clip_grad_norm_([], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    a = glassgrad.nn.Parameter(glassgrad.zeros(2, dtype=glassgrad.float64))
    a.grad = glassgrad.tensor(np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    assert math.isinf(clip_grad_norm_([a], 1.0).item())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_value_matches_torch(dtype, rng):
    gp, tp = _pair(dtype, 2.0, rng)
    arrays = [p.grad.array for p in gp]
    assert clip_grad_value_(gp, 0.7) is None
    torch.nn.utils.clip_grad_value_(tp, 0.7)
    for p, q, a in zip(gp, tp, arrays):
        assert p.grad.array is a  # in place
        np.testing.assert_array_equal(p.grad.array, q.grad.numpy())
    assert max(np.abs(p.grad.array).max() for p in gp) <= 0.7


def test_get_total_norm_matches_torch(rng):
    arrays = [rng.standard_normal(s) for s in SHAPES]
    ours = get_total_norm([glassgrad.tensor(a) for a in arrays], 2.0)
    ref = torch.nn.utils.get_total_norm([torch.tensor(a) for a in arrays], 2.0)
    np.testing.assert_allclose(ours.item(), ref.item(), rtol=1e-12)


def test_parameters_to_vector_and_back(rng):
    arrays = [rng.standard_normal(s) for s in SHAPES]
    gp = [glassgrad.nn.Parameter(glassgrad.tensor(a)) for a in arrays]
    vec = parameters_to_vector(gp)
    ref = torch.nn.utils.parameters_to_vector([torch.tensor(a) for a in arrays])
    np.testing.assert_array_equal(vec.array, ref.numpy())
    (vec * glassgrad.arange(vec.shape[0], dtype=glassgrad.float64)).sum().backward()  # differentiable
    np.testing.assert_array_equal(gp[0].grad.array.reshape(-1), np.arange(12.0))
    new = glassgrad.tensor(rng.standard_normal(vec.shape[0]))
    vector_to_parameters(new, gp)
    np.testing.assert_array_equal(parameters_to_vector(gp).array, new.array)
    assert gp[2].shape == (2, 1, 3) and gp[2].requires_grad
    with pytest.raises(TypeError, match="expected glassgrad.Tensor"):
        vector_to_parameters(new.array, gp)
    with pytest.raises(RuntimeError, match="vec has 3 elements but the parameters need 23"):
        vector_to_parameters(glassgrad.zeros(3), gp)
