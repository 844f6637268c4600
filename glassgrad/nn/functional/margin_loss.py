"""nn.functional: the margin, embedding and likelihood losses (``cosine_embedding_loss``,
``margin_ranking_loss``, ``hinge_embedding_loss``, ``triplet_margin_loss``,
``triplet_margin_with_distance_loss``, ``soft_margin_loss``, ``multilabel_soft_margin_loss``,
``multilabel_margin_loss``, ``multi_margin_loss``, ``poisson_nll_loss``, ``gaussian_nll_loss``).

Each is a composition of differentiable ops written as PyTorch defines the loss, so gradients
of any order come from the ops' own chain rules.
"""
import math

import numpy as np

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor, wrap_array
from ...ops.elementwise import clamp, exp, log, logsigmoid, minimum, where
from .distance import pairwise_distance
from .loss import _check_reduction, _legacy_reduction, _reduce, log1p_exp

__all__ = ["cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
           "multilabel_margin_loss", "multi_margin_loss", "poisson_nll_loss", "gaussian_nll_loss"]


def _prepare(op, size_average, reduce, reduction):
    reduction = _legacy_reduction(op, size_average, reduce, reduction)
    _check_reduction(op, reduction)
    return reduction


def _as_tensor(x, like):
    return x if isinstance(x, Tensor) else wrap_array(np.asarray(x, dtype=like.dtype))


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where target = 1, max(0, cos(x1, x2) - margin) where target = -1 (cosine
    along the last dim, with 1e-12 added to each squared norm).

    Shape: input1, input2 (N, D) or (D,); target (N,) or (); output (N,) with reduction='none'."""
    reduction = _prepare("cosine_embedding_loss", size_average, reduce, reduction)
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise RuntimeError(f"cosine_embedding_loss: expected input1 and input2 of the same shape (N, D) or (D,), "
                           f"got {tuple(input1.shape)} and {tuple(input2.shape)}")
    target = _as_tensor(target, input1)
    if target.ndim != input1.ndim - 1:
        raise RuntimeError(f"cosine_embedding_loss: {target.ndim}D target tensor expects {target.ndim + 1}D input "
                           f"tensors, but found inputs with sizes {list(input1.shape)} and {list(input2.shape)}")
    d = input1.ndim - 1
    dot = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + 1e-12
    mag2 = (input2 * input2).sum(d) + 1e-12
    cos = dot / (mag1 * mag2).sqrt()
    zero = cos * 0
    loss = where(target == 1, 1 - cos, zero) + where(target == -1, clamp(cos - margin, min=0), zero)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target·(x1 - x2) + margin): target = 1 asks x1 to rank above x2, -1 below.

    Shape: input1, input2, target (N,) or (); output (N,) with reduction='none'."""
    reduction = _prepare("margin_ranking_loss", size_average, reduce, reduction)
    target = _as_tensor(target, input1)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss: all input tensors should have the same number of dimensions "
                           f"but got sizes: input1: {tuple(input1.shape)}, input2: {tuple(input2.shape)}, "
                           f"target: {tuple(target.shape)}")
    return _reduce(clamp(-target * (input1 - input2) + margin, min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """x where target = 1, max(0, margin - x) where target = -1 (x is usually a distance).

    Shape: input (*), target (*) of -1/1; output (*) with reduction='none'."""
    reduction = _prepare("hinge_embedding_loss", size_average, reduce, reduction)
    target = _as_tensor(target, input)
    zero = input * 0
    loss = where(target != 1, clamp(margin - input, min=0), zero) + where(target != -1, input, zero)
    return _reduce(loss, reduction)


def _check_triplet(op, anchor, positive, negative):
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1 or dims[0] not in (1, 2):
        raise RuntimeError(f"{op}: the anchor, positive, and negative tensors are expected to have the same "
                           f"number of dimensions (1 or 2), but got: anchor {dims[0]}D, positive {dims[1]}D, "
                           f"and negative {dims[2]}D inputs")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with d the p-norm ``pairwise_distance`` (eps added to the
    difference); ``swap`` uses min(d(a, n), d(p, n)) as the negative distance.

    Shape: anchor, positive, negative (N, D) or (D,); output (N,) with reduction='none'."""
    reduction = _prepare("triplet_margin_loss", size_average, reduce, reduction)
    _check_triplet("triplet_margin_loss", anchor, positive, negative)
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(clamp(margin + d_pos - d_neg, min=0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """``triplet_margin_loss`` with any distance (default ``pairwise_distance``).

    Shape: anchor, positive, negative (N, *) or (*); output (N,) with reduction='none'."""
    _check_reduction("triplet_margin_with_distance_loss", reduction)
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"triplet_margin_with_distance_loss: the anchor, positive, and negative tensors are "
                           f"expected to have the same number of dimensions, got {anchor.ndim}D, "
                           f"{positive.ndim}D and {negative.ndim}D")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, dist(positive, negative))
    return _reduce(clamp(margin + d_pos - d_neg, min=0), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target·x)), the two-class logistic loss with targets -1/1.

    Shape: input (*), target (*); output (*) with reduction='none'."""
    reduction = _prepare("soft_margin_loss", size_average, reduce, reduction)
    return _reduce(log1p_exp(-input * _as_tensor(target, input)), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Mean over classes of the binary logistic loss of each class, target in {0, 1};
    ``weight`` (C,) weighs the classes.

    Shape: input (N, C) or (C,), target the same; output (N,) with reduction='none'."""
    reduction = _prepare("multilabel_soft_margin_loss", size_average, reduce, reduction)
    target = _as_tensor(target, input)
    if input.ndim == 0 or tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"multilabel_soft_margin_loss: expected input (N, C) or (C,) and a target of the same "
                         f"shape, got input {tuple(input.shape)} and target {tuple(target.shape)}")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    d = input.ndim - 1
    return _reduce(loss.sum(d) / input.shape[d], reduction)


def _class_targets(op, input, target):
    """(input as (N, C), target as an int64 (N,) array-backed tensor, whether input was 1-d)."""
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise RuntimeError(f"{op}: expected a non-empty input of shape (N, C) or (C,), got {tuple(input.shape)}")
    if not isinstance(target, Tensor) or target.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected an integer (int64) target tensor of class indices, got "
                           f"{getattr(target, 'dtype', type(target).__name__)}")
    single = input.ndim == 1
    x = input.unsqueeze(0) if single else input
    t = target.reshape(-1) if single else target
    if tuple(t.shape) != (x.shape[0],) or target.ndim > input.ndim - 0:
        raise RuntimeError(f"{op}: inconsistent target size {tuple(target.shape)} for input of size "
                           f"{tuple(input.shape)}; expected ({x.shape[0]},)" + ("" if not single else " or ()"))
    return x, t.long(), single


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Σ_{i ≠ y} max(0, margin - x[y] + x[i])^p / C, the multi-class hinge loss (p = 1 or 2);
    ``weight`` (C,) weighs each sample's terms by its class.

    Shape: input (N, C) or (C,), target (N,) or () class indices; output (N,) with reduction='none'."""
    reduction = _prepare("multi_margin_loss", size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 supported, got p={p}")
    x, t, single = _class_targets("multi_margin_loss", input, target)
    c = x.shape[1]
    ta = t.array
    if ta.size and (ta.min() < 0 or ta.max() >= c):
        raise IndexError(f"multi_margin_loss: target {ta.tolist()} out of range for {c} classes")
    if weight is not None and tuple(weight.shape) != (c,):
        raise RuntimeError(f"multi_margin_loss: expected weight of shape ({c},), got {tuple(weight.shape)}")
    own = x.gather(1, t.unsqueeze(1))
    z = clamp(margin - own + x, min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t].unsqueeze(1)
    is_target = wrap_array(np.arange(c)[None, :] == ta[:, None])
    loss = where(is_target, z * 0, z).sum(1) / c
    if single:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Σ_{j target} Σ_{i not target} max(0, 1 - (x[y_j] - x[i])) / C: ``target`` holds each
    sample's class indices, ended by the first -1.

    Shape: input (N, C) or (C,), target the same shape (int64); output (N,) with reduction='none'."""
    reduction = _prepare("multilabel_margin_loss", size_average, reduce, reduction)
    if input.ndim not in (1, 2) or not isinstance(target, Tensor) or tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"multilabel_margin_loss: expected input (N, C) or (C,) and an int64 target of the "
                           f"same shape, got {tuple(input.shape)} and {tuple(getattr(target, 'shape', ()))}")
    single = input.ndim == 1
    x = input.unsqueeze(0) if single else input
    ta = np.asarray(target.array).reshape(x.shape).astype(np.int64)
    n, c = x.shape
    if ta.size and (ta.max() >= c or ta.min() < -1):
        raise IndexError(f"multilabel_margin_loss: target values must be class indices in [0, {c - 1}] or -1 "
                         f"(the end marker), got {ta.tolist()}")
    valid = np.cumprod(ta != -1, axis=1).astype(bool)             # entries before the first -1
    idx = np.where(valid, ta, 0)
    is_target = np.zeros((n, c), dtype=bool)
    rows = np.broadcast_to(np.arange(n)[:, None], idx.shape)
    is_target[rows[valid], idx[valid]] = True
    own = x.gather(1, wrap_array(idx))                            # (N, C): x[y_j]
    z = clamp(1 - own.unsqueeze(2) + x.unsqueeze(1), min=0)      # (N, j, i)
    keep = wrap_array(valid[:, :, None] & ~is_target[:, None, :])
    loss = where(keep, z, z * 0).sum((1, 2)) / c
    if single:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Negative log-likelihood of a Poisson target: exp(x) - target·x (``log_input``, x the log-rate)
    or x - target·log(x + eps); ``full`` adds Stirling's approximation of log(target!) where target > 1.

    Shape: input (*), target (*); output (*) with reduction='none'."""
    reduction = _prepare("poisson_nll_loss", size_average, reduce, reduction)
    target = _as_tensor(target, input)
    loss = exp(input) - target * input if log_input else input - target * log(input + eps)
    if full:  # Stirling's approximation of log(target!), only where target > 1
        stirling = target * log(target) - target + 0.5 * log(2 * math.pi * target)
        loss = loss + where(target > 1, stirling, loss * 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of a Gaussian target: ½(log var + (input - target)² / var) (+ ½log 2π
    with ``full``). ``var`` is clamped to at least ``eps`` (its gradient passes the clamp unchanged,
    as in PyTorch) and may be a float, shaped like the input, or one dim short / of size 1 in one dim
    (homoscedastic).

    Shape: input (N, *) or (*), target like input, var as described; output like input with
    reduction='none'."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
        var = wrap_array(np.full(input.shape, var, dtype=input.dtype))
    else:
        if bool((var.array < 0).any()):
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
        if tuple(var.shape) != tuple(input.shape):
            if tuple(input.shape[:-1]) == tuple(var.shape):
                var = var.unsqueeze(-1)
            elif not (input.ndim == var.ndim and
                      sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
                raise ValueError(f"gaussian_nll_loss: var is of incorrect size {tuple(var.shape)} for input "
                                 f"{tuple(input.shape)}; use the input's shape, the input's shape without its "
                                 "last dim, or size 1 in one dim")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid (gaussian_nll_loss: use 'none', 'mean' or 'sum')")
    with no_grad():
        clamped = clamp(var, min=eps)
    var = var + (clamped - var).detach()    # the clamped value, with the gradient of var itself
    diff = input - target
    loss = 0.5 * (log(var) + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
