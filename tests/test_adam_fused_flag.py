"""``Adam(fused=False)`` (PyTorch's flag) takes the NumPy update and never the Numba kernel, with
PyTorch's results step for step."""
import numpy as np
import pytest
import torch

import glassgrad
from glassgrad import optim
from glassgrad.optim import _fused


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
def test_fused_false_skips_the_kernel_and_matches_torch(cls, monkeypatch):
    def kernel(*args):
        raise AssertionError("fused=False must not reach the Numba kernel")
    monkeypatch.setattr(_fused, "adam_update", kernel)
    rng = np.random.default_rng(0)
    init = rng.standard_normal((7, 5)).astype(np.float32)
    ours, theirs = glassgrad.nn.Parameter(glassgrad.tensor(init)), torch.nn.Parameter(torch.tensor(init))
    opt = cls([ours], lr=1e-2, weight_decay=0.1, fused=False)
    ref = getattr(torch.optim, cls.__name__)([theirs], lr=1e-2, weight_decay=0.1, fused=False)
    for _ in range(10):
        g = rng.standard_normal((7, 5)).astype(np.float32)
        ours.grad, theirs.grad = glassgrad.tensor(g), torch.tensor(g)
        opt.step()
        ref.step()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=2e-6, atol=1e-7)


def test_fused_must_be_a_flag():
    p = glassgrad.nn.Parameter(glassgrad.zeros(3))
    with pytest.raises(TypeError, match="fused must be None, False or True"):
        optim.Adam([p], fused="yes")
