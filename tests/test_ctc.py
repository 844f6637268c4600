"""F.ctc_loss / nn.CTCLoss against PyTorch (float64): every reduction, zero_infinity, padded and
concatenated targets, long inputs; finite differences through log_softmax; errors."""
import numpy as np
import pytest
import torch

import glassgrad as gg
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from glassgrad.autograd import gradcheck

TOL = dict(rtol=1e-9, atol=1e-10)


def _problem(rng, t, n, c, s, blank=0):
    labels = np.array([k for k in range(c) if k != blank])
    targets = labels[rng.integers(0, len(labels), (n, s))]
    target_lengths = rng.integers(1, s + 1, n)
    input_lengths = rng.integers(max(1, t // 2), t + 1, n)
    input_lengths[0] = t
    return rng.standard_normal((t, n, c)), targets, input_lengths, target_lengths


def _compare(rng, x, targets, input_lengths, target_lengths, reduction="mean", blank=0, zero_infinity=False,
             concatenated=False):
    """Loss and gradient (w.r.t. the logits behind log_softmax, and w.r.t. log_probs directly)."""
    if concatenated:
        targets = np.concatenate([row[:k] for row, k in zip(targets, target_lengths)])
    kw = dict(blank=blank, reduction=reduction, zero_infinity=zero_infinity)
    gx, tx = gg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(gx, -1), gg.tensor(targets), gg.tensor(input_lengths), gg.tensor(target_lengths),
                      **kw)
    tloss = torch.nn.functional.ctc_loss(torch.log_softmax(tx, -1), torch.tensor(targets),
                                         torch.tensor(input_lengths), torch.tensor(target_lengths), **kw)
    np.testing.assert_allclose(loss.array, tloss.detach().numpy(), **TOL)
    w = rng.standard_normal(tuple(tloss.shape))
    (loss * gg.tensor(w)).sum().backward()
    (tloss * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx.grad.array, tx.grad.numpy(), **TOL)
    # the gradient with respect to log_probs itself is PyTorch's too
    glp = F.log_softmax(gg.tensor(x), -1).detach().requires_grad_()
    tlp = torch.log_softmax(torch.tensor(x), -1).detach().requires_grad_()
    F.ctc_loss(glp, gg.tensor(targets), input_lengths, target_lengths, **kw).sum().backward()
    torch.nn.functional.ctc_loss(tlp, torch.tensor(targets), torch.tensor(input_lengths),
                                 torch.tensor(target_lengths), **kw).sum().backward()
    np.testing.assert_allclose(glp.grad.array, tlp.grad.numpy(), **TOL)
    return max(float(np.abs(loss.array - tloss.detach().numpy()).max()),
               float(np.abs(gx.grad.array - tx.grad.numpy()).max()))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("concatenated", [False, True])
def test_ctc_matches_pytorch(rng, reduction, concatenated):
    x, tg, il, tl = _problem(rng, 15, 4, 6, 5)
    _compare(rng, x, tg, il, tl, reduction, concatenated=concatenated)


def test_ctc_repeated_labels_and_other_blank(rng):
    x = rng.standard_normal((12, 3, 5))
    targets = np.array([[1, 1, 2, 2], [3, 3, 3, 0], [0, 1, 0, 1]])
    _compare(rng, x, targets, np.array([12, 10, 9]), np.array([4, 3, 4]), "none", blank=4)


def test_ctc_zero_infinity(rng):
    x = rng.standard_normal((4, 3, 5))
    targets = np.array([[1, 2, 3, 4, 1], [1, 1, 1, 1, 1], [2, 3, 2, 3, 2]])
    input_lengths, target_lengths = np.array([4, 4, 3]), np.array([2, 3, 5])  # samples 1 and 2: impossible
    for reduction in ("none", "mean", "sum"):
        _compare(rng, x, targets, input_lengths, target_lengths, reduction, zero_infinity=True)
    loss = F.ctc_loss(F.log_softmax(gg.tensor(x), -1), gg.tensor(targets), input_lengths, target_lengths,
                      reduction="none")
    assert np.isinf(loss.array[1]) and np.isinf(loss.array[2]) and np.isfinite(loss.array[0])


def test_ctc_long_input_is_stable(rng):
    """T = 600 steps: probabilities underflow in linear space (e^-1000), not in log space."""
    x, tg, il, tl = _problem(rng, 600, 3, 28, 80)
    _compare(rng, x * 3, tg, il, tl, "mean")
    loss = F.ctc_loss(F.log_softmax(gg.tensor(x * 3), -1), gg.tensor(tg), il, tl, reduction="none")
    assert np.all(np.isfinite(loss.array)) and loss.array.max() > 745   # exp(-loss) would underflow


def test_ctc_unbatched_and_float32(rng):
    x, tg, il, tl = _problem(rng, 10, 1, 5, 3)
    glp = F.log_softmax(gg.tensor(x[:, 0]), -1)
    tlp = torch.log_softmax(torch.tensor(x[:, 0]), -1)
    target = tg[0, :tl[0]]   # unbatched targets are read as concatenated: exactly target_length labels
    loss = F.ctc_loss(glp, gg.tensor(target), gg.tensor(il[0]), gg.tensor(tl[0]), reduction="none")
    tloss = torch.nn.functional.ctc_loss(tlp, torch.tensor(target), torch.tensor(il[0]), torch.tensor(tl[0]),
                                         reduction="none")
    assert loss.shape == tuple(tloss.shape) == ()
    np.testing.assert_allclose(loss.array, tloss.numpy(), **TOL)
    x32 = x.astype(np.float32)
    g = gg.tensor(x32, requires_grad=True)
    t = torch.tensor(x32, requires_grad=True)
    a = F.ctc_loss(F.log_softmax(g, -1), gg.tensor(tg), il, tl)
    b = torch.nn.functional.ctc_loss(torch.log_softmax(t, -1), torch.tensor(tg), torch.tensor(il), torch.tensor(tl))
    assert a.dtype == np.float32
    np.testing.assert_allclose(a.array, b.detach().numpy(), rtol=1e-5)
    a.backward()
    b.backward()
    np.testing.assert_allclose(g.grad.array, t.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_ctc_gradcheck_through_log_softmax(rng):
    x, tg, il, tl = _problem(rng, 6, 2, 4, 3)
    xt = gg.tensor(x, requires_grad=True)
    for reduction in ("mean", "sum"):
        assert gradcheck(lambda a: F.ctc_loss(F.log_softmax(a, -1), gg.tensor(tg), il, tl, reduction=reduction),
                         (xt,))


def test_ctc_module_matches_functional(rng):
    x, tg, il, tl = _problem(rng, 9, 3, 5, 4)
    lp = F.log_softmax(gg.tensor(x), -1)
    crit = nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    np.testing.assert_allclose(crit(lp, gg.tensor(tg), il, tl).array,
                               torch.nn.CTCLoss(reduction="sum", zero_infinity=True)(
                                   torch.log_softmax(torch.tensor(x), -1), torch.tensor(tg), torch.tensor(il),
                                   torch.tensor(tl)).numpy(), **TOL)


def test_ctc_once_differentiable():
    x = gg.tensor(np.random.default_rng(0).standard_normal((5, 1, 4)), requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(x, -1), gg.tensor([[1, 2]]), [5], [2])
    (g,) = gg.autograd.grad(loss, x, create_graph=True)
    with pytest.raises(RuntimeError, match="once-differentiable"):
        g.sum().backward()


def test_ctc_errors(rng):
    lp = F.log_softmax(gg.tensor(rng.standard_normal((6, 2, 4))), -1)
    tg = gg.tensor(np.array([[1, 2, 3], [1, 1, 2]]))
    with pytest.raises(RuntimeError, match="at most 6"):
        F.ctc_loss(lp, tg, [7, 6], [3, 3])
    with pytest.raises(RuntimeError, match="padded targets' length 3"):
        F.ctc_loss(lp, tg, [6, 6], [4, 3])
    with pytest.raises(RuntimeError, match="2 entries"):
        F.ctc_loss(lp, tg, [6, 6, 6], [3, 3])
    with pytest.raises(RuntimeError, match="add up to 6; they must be equal"):
        F.ctc_loss(lp, gg.tensor(np.array([1, 2, 3, 1])), [6, 6], [3, 3])
    with pytest.raises(RuntimeError, match=r"\(T, N, C\)"):
        F.ctc_loss(F.log_softmax(gg.randn(2, 6, 2, 4), -1), tg, [6, 6], [3, 3])
    with pytest.raises(RuntimeError, match="label 4 is out of range"):
        F.ctc_loss(lp, gg.tensor(np.array([[1, 2, 4], [1, 1, 2]])), [6, 6], [3, 3])
    with pytest.raises(RuntimeError, match="label 0 is out of range or the blank"):
        F.ctc_loss(lp, gg.tensor(np.array([[1, 0, 3], [1, 1, 2]])), [6, 6], [3, 3])
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F.ctc_loss(lp, tg, [6, 6], [3, 3], blank=4)
    with pytest.raises(ValueError, match="reduction"):
        nn.CTCLoss(reduction="avg")
    with pytest.raises(TypeError, match="integers"):
        F.ctc_loss(lp, tg, [6.0, 6.0], [3, 3])
    with pytest.raises(TypeError, match="integer class indices"):
        F.ctc_loss(lp, gg.tensor(np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 2.0]])), [6, 6], [3, 3])
