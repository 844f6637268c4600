"""F.layer_norm's fused kernels: the compiled (Numba) pass and the NumPy path against PyTorch,
float32 and float64, with and without the affine parameters; what the forward keeps."""
import numpy as np
import pytest
import torch

import glassgrad as gg
import glassgrad.nn.functional as F
from glassgrad.nn.functional import norm


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("dtype,tol", [(np.float32, dict(rtol=2e-5, atol=2e-5)), (np.float64, dict(rtol=1e-10, atol=1e-11))])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_paths_match_pytorch(rng, monkeypatch, fused, dtype, tol, affine):
    monkeypatch.setattr(norm, "fused", fused and norm.fused)
    x = (rng.standard_normal((4, 33, 24)) * 3 + 1).astype(dtype)
    x = x[:, ::2]                                   # a non-contiguous input
    w = rng.standard_normal(24).astype(dtype) if affine != "none" else None
    b = rng.standard_normal(24).astype(dtype) if affine == "both" else None
    dy = rng.standard_normal(x.shape).astype(dtype)
    g = [None if a is None else gg.tensor(a, requires_grad=True) for a in (x, w, b)]
    t = [None if a is None else torch.tensor(np.ascontiguousarray(a), requires_grad=True) for a in (x, w, b)]
    y = F.layer_norm(g[0], (24,), g[1], g[2], eps=1e-5)
    ty = torch.nn.functional.layer_norm(t[0], (24,), t[1], t[2], eps=1e-5)
    np.testing.assert_allclose(y.array, ty.detach().numpy(), **tol)
    y.backward(gg.tensor(dy))
    ty.backward(torch.tensor(dy))
    for a, ta in zip(g, t):
        if a is not None:
            assert a.grad.dtype == dtype
            np.testing.assert_allclose(a.grad.array, ta.grad.numpy(), **tol)


@pytest.mark.parametrize("fused", [True, False])
def test_layer_norm_keeps_statistics_not_the_normalized_input(rng, monkeypatch, fused):
    monkeypatch.setattr(norm, "fused", fused and norm.fused)
    x = gg.tensor(rng.standard_normal((8, 16, 32)).astype(np.float32), requires_grad=True)
    w = gg.tensor(np.ones(32, np.float32), requires_grad=True)
    y = F.layer_norm(x, (32,), w)
    saved = [a for a in y.grad_fn.saved_arrays if isinstance(a, np.ndarray)]
    assert sorted(a.size for a in saved) == [32, 128, 128, 8 * 16 * 32]   # w, μ, σ⁻¹ and x: no x̂
    assert any(a is x.array for a in saved)    # the input itself, no copy
