"""The fused (Numba) Adam/AdamW update and the NumPy path give the same parameters, and both match
PyTorch step for step."""
import numpy as np
import pytest
import torch

import glassgrad
from glassgrad import optim
from glassgrad.optim import _fused


def _run(cls, kwargs, fused, steps=20, dtype=np.float32):
    rng = np.random.default_rng(0)
    shapes = [(64, 33), (33,), (5, 4, 3)]
    inits = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]
    ours = [glassgrad.nn.Parameter(glassgrad.tensor(a)) for a in inits]
    theirs = [torch.nn.Parameter(torch.tensor(a)) for a in inits]
    opt = cls(ours, **kwargs)
    ref = getattr(torch.optim, cls.__name__)(theirs, **kwargs)
    prev, _fused.enabled = _fused.enabled, fused
    try:
        for gs in grads:
            for p, q, g in zip(ours, theirs, gs):
                p.grad, q.grad = glassgrad.tensor(g), torch.tensor(g)
            opt.step()
            ref.step()
    finally:
        _fused.enabled = prev
    return [p.detach().numpy() for p in ours], [q.detach().numpy() for q in theirs]


CONFIGS = [
    (optim.Adam, dict(lr=1e-2)),
    (optim.Adam, dict(lr=1e-2, weight_decay=0.1, betas=(0.8, 0.99), eps=1e-6)),
    (optim.AdamW, dict(lr=1e-2)),
    (optim.AdamW, dict(lr=1e-2, weight_decay=0.5)),
]


def test_numba_is_there():
    assert _fused.enabled, "the test extra installs numba: the fused path must run"
    a = np.ones(3, np.float32)
    assert _fused.adam_update(a, a.copy(), np.zeros(3, np.float32), np.zeros(3, np.float32), 1.0, 0.0, 0.9, 0.999, 0.1, 1.0, 1e-8)
    np.testing.assert_allclose(a, 1 - 0.1 * 0.1 / (np.sqrt(0.001) + 1e-8), rtol=1e-6)  # m = 0.1, v = 0.001


@pytest.mark.parametrize("cls,kwargs", CONFIGS)
def test_fused_and_numpy_paths_match_each_other_and_torch(cls, kwargs):
    fused, torch_a = _run(cls, kwargs, fused=True)
    plain, torch_b = _run(cls, kwargs, fused=False)
    for f, p, t in zip(fused, plain, torch_a):
        np.testing.assert_allclose(f, p, rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(f, t, rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(p, t, rtol=2e-6, atol=1e-7)
        assert f.dtype == np.float32


def test_fused_path_float64():
    fused, ref = _run(optim.Adam, dict(lr=1e-2, weight_decay=0.01), fused=True, dtype=np.float64)
    for f, t in zip(fused, ref):
        np.testing.assert_allclose(f, t, rtol=1e-12, atol=1e-14)
