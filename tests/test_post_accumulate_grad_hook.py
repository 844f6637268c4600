"""Tensor.register_post_accumulate_grad_hook, against PyTorch's."""
import numpy as np
import pytest
import torch

import glassgrad as gg


def _run(lib, events):
    lib.manual_seed(0)
    w1 = lib.tensor(np.arange(6.0).reshape(2, 3) / 10, requires_grad=True)
    w2 = lib.tensor(np.arange(3.0) / 5, requires_grad=True)
    x = lib.tensor(np.ones((4, 2)))

    def hook(name):
        def record(t):
            events.append((name, None if t.grad is None else t.grad.detach().numpy().copy(),
                           w1.grad is None, w2.grad is None))
        return record
    handles = [w1.register_post_accumulate_grad_hook(hook("w1")), w2.register_post_accumulate_grad_hook(hook("w2"))]
    h = (x @ w1).tanh()
    loss = (h * w2).sum() + (h * w2 * w2).sum()    # w2 reached twice: its hook fires once, on the sum
    loss.backward()
    loss2 = (x @ w1).sum()
    loss2.backward()                                # accumulates: the hook sees the running total
    handles[0].remove()
    (x @ w1).sum().backward()                       # removed: no event
    return w1, w2


def test_fires_once_per_pass_after_accumulation_like_pytorch():
    ours, theirs = [], []
    _run(gg, ours)
    _run(torch, theirs)
    assert [(e[0], e[2], e[3]) for e in ours] == [(e[0], e[2], e[3]) for e in theirs]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a[1], b[1], rtol=1e-12)
    # backward reaches w2 before w1: w1's gradient is still to come when w2's hook runs
    assert ours[0][0] == "w2" and ours[0][2] is True


def test_runs_while_backward_is_still_going():
    """The last layer's hook runs before the first layer's gradient exists (what DDP overlaps on)."""
    layers = gg.nn.Sequential(gg.nn.Linear(3, 4), gg.nn.ReLU(), gg.nn.Linear(4, 2))
    seen = []
    layers[2].weight.register_post_accumulate_grad_hook(lambda p: seen.append(layers[0].weight.grad is None))
    layers(gg.randn(5, 3)).sum().backward()
    assert seen == [True]
    assert layers[0].weight.grad is not None


def test_with_inputs_and_errors():
    w = gg.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    w.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.tolist()))
    (w * 3).sum().backward(inputs=[w])
    assert calls == [[3.0, 3.0]]
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        gg.ones(2).register_post_accumulate_grad_hook(lambda t: None)
    v = gg.tensor([1.0], requires_grad=True)
    v.register_post_accumulate_grad_hook(lambda t: t.grad)
    with pytest.raises(RuntimeError, match="must return None"):
        (v * 2).sum().backward()
