"""autograd.graph.saved_tensors_hooks: every tensor an op saves goes through pack at forward and
unpack at backward; the unpacked tensors are what backward uses (checked against PyTorch)."""
import numpy as np
import pytest
import torch

import glassgrad as gg
import glassgrad.nn.functional as F
from glassgrad.autograd.graph import disable_saved_tensors_hooks, saved_tensors_hooks

rng = np.random.default_rng(4)
X = rng.standard_normal((3, 4))


def test_every_packed_tensor_is_unpacked_and_gradients_are_unchanged():
    packed, unpacked = [], []

    def pack(t):
        packed.append(t)
        return t.detach().numpy().copy()    # offloaded as a NumPy copy

    def unpack(a):
        unpacked.append(a)
        return gg.tensor(a)

    w = gg.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    x = gg.tensor(X, requires_grad=True)
    with saved_tensors_hooks(pack, unpack):
        y = (F.linear(x, w).tanh() * x.sum(1, keepdim=True)).exp().sum()
    assert packed
    y.backward()
    assert len(unpacked) == len(packed)
    tw, tx = torch.tensor(w.detach().numpy(), requires_grad=True), torch.tensor(X, requires_grad=True)
    (torch.nn.functional.linear(tx, tw).tanh() * tx.sum(1, keepdim=True)).exp().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


def test_backward_uses_what_unpack_returns_like_torch():
    x = gg.tensor(X, requires_grad=True)
    with saved_tensors_hooks(lambda t: t, lambda t: gg.ones_like(t)):
        (x * x).sum().backward()
    tx = torch.tensor(X, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: torch.ones_like(t)):
        (tx * tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())   # d(x·x) with x read as 1: 2
    np.testing.assert_allclose(x.grad.numpy(), 2.0)


def test_double_backward_through_hooked_tensors():
    x, tx = gg.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    with saved_tensors_hooks(lambda t: t * 2, lambda t: t / 2):
        (g,) = gg.autograd.grad((x ** 3).tanh().sum(), x, create_graph=True)
    g.sum().backward()
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t * 2, lambda t: t / 2):
        (tg,) = torch.autograd.grad((tx ** 3).tanh().sum(), tx, create_graph=True)
    tg.sum().backward()
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


def test_hooks_apply_only_inside_the_context_and_bad_uses_are_named():
    calls = []
    with saved_tensors_hooks(lambda t: calls.append(1) or t, lambda t: t):
        pass
    x = gg.tensor(X, requires_grad=True)
    (x * x).sum().backward()
    assert not calls
    with saved_tensors_hooks(lambda t: t, lambda t: "not a tensor"):
        y = (x * x).sum()
    with pytest.raises(TypeError, match="unpack hook"):
        y.backward()
    with pytest.raises(TypeError, match="callables"):
        saved_tensors_hooks(None, lambda t: t)
    with disable_saved_tensors_hooks("hooks are off here"):
        with pytest.raises(RuntimeError, match="hooks are off here"):
            with saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
