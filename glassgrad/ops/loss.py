"""Fused loss kernels: forward on arrays, backward side by side.

``CrossEntropy`` is log-softmax and negative log-likelihood in one op: the log-sum-exp subtracts
the row maximum first (no overflow at logits of ±1e4), and the gradient is the closed form
``(softmax(x)·Σ_c a_c - a) · scale`` where ``a`` is the per-class target weight (one-hot times the
class weight, smoothed, or the target probabilities). Backward formulas use glassgrad ops when the
graph is recorded (``create_graph=True``), so every loss here can be differentiated twice; without
it, the hot path of cross-entropy works on raw arrays in place.

Arguments arrive normalized by ``nn.functional.loss``: inputs are (N, C, d1, ...) with the class
dimension second, targets are checked there, ``reduction`` is 'none', 'mean' or 'sum'.
"""
import numpy as np

from ..autograd.function import Function
from ..backend import namespace
from ..autograd.grad_mode import state
from ..autograd.tensor import Tensor
from ._util import array_of, grad_for
from .elementwise import clamp, log, log1p, sigmoid
from .reduction import log_softmax, softmax

__all__ = ["CrossEntropy", "NLLLoss", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "log1p_exp"]


def _const(array):
    return Tensor._make(array, False, None, 0)


def _class_shape(weight, ndim):
    """(1, C, 1, ...): a per-class vector placed to broadcast along dim 1 of an ndim input."""
    return weight.reshape((1, -1) + (1,) * (ndim - 2))


def _scale(dy, reduction, denom, ndim):
    """The incoming gradient as a Tensor that broadcasts against the (N, C, ...) input."""
    if reduction == "none":
        return dy.unsqueeze(1) if ndim >= 2 else dy
    if reduction == "mean":
        return dy / denom
    return dy


def _reduce(per, reduction, denom):
    if reduction == "none":
        return per
    total = per.sum()
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            total = total / per.dtype.type(denom)
    return namespace(per).asarray(total, dtype=per.dtype)


# ---- the shifted exponentials of a stable softmax, for the fused forwards ----------------------
def _softmax_arrays(a, dim):
    m = a.max(axis=dim, keepdims=True) if a.size else np.zeros_like(a.sum(axis=dim, keepdims=True))
    z = a - m
    e = np.exp(z)
    s = e.sum(axis=dim, keepdims=True)
    return z, e, s


class Log1pExp(Function):
    """y = log(1 + eˣ), computed without overflow;  dx = dy·σ(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(x.array.dtype.type(0), x.array)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return dy * sigmoid(x)


def log1p_exp(x):
    """log(1 + eˣ) with no overflow and no threshold (exact softplus)."""
    return Log1pExp.apply(x)


# ---- cross-entropy ------------------------------------------------------------------------------
class CrossEntropy(Function):
    """Fused log-softmax + negative log-likelihood over dim 1 of (N, C, d1, ...) logits.

    loss_i = -Σ_c a_ic · log softmax(x_i)_c, with a_ic the target weight of class c:
        class indices:  (1-ε)·w[t_i]·[c = t_i] + (ε/C)·w_c   (0 where t_i = ignore_index)
        probabilities:  ((1-ε)·q_ic + ε/C)·w_c
    dx_i = (softmax(x_i)·Σ_c a_ic - a_i) · scale_i;   dq_ic = -(1-ε)·w_c·log softmax(x_i)_c · scale_i
    'mean' divides by Σ_i w[t_i] over non-ignored targets (indices) or by N·d1·... (probabilities).
    """

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
        a = x.array
        n_classes = a.shape[1]
        eps = float(label_smoothing)
        z, e, s = _softmax_arrays(a, 1)
        logp = z
        logp -= np.log(s)           # x - logsumexp(x), in place
        e /= s                      # softmax, in place
        w = None if weight is None else array_of(weight).astype(a.dtype, copy=False)
        wb = None if w is None else _class_shape(w, a.ndim)
        t = target.array
        ctx.probs = probs = t.dtype.kind == "f"
        if probs:
            q = t.astype(a.dtype, copy=False)
            coef = q * (1 - eps) + eps / n_classes if eps else q
            if wb is not None:
                coef = coef * wb
            per = -(logp * coef).sum(axis=1)
            denom = per.size
            total = coef.sum(axis=1, keepdims=True)
            ctx.save_for_backward(x, e, coef, total, logp if target.requires_grad else None, wb, target)
        else:
            valid = t != ignore_index
            tc = np.where(valid, t, 0)[:, None]
            lp_t = np.take_along_axis(logp, tc, axis=1)[:, 0]
            wt = (w[tc[:, 0]] if w is not None else np.ones_like(t, dtype=a.dtype)) * valid
            per = -wt * lp_t
            if eps:
                smooth = -(logp * wb).sum(axis=1) if wb is not None else -logp.sum(axis=1)
                per = (1 - eps) * per + (eps / n_classes) * (smooth * valid)
            per = per.astype(a.dtype, copy=False)
            denom = wt.sum()
            ctx.save_for_backward(x, e, tc, wt.astype(a.dtype, copy=False), valid, wb)
        ctx.eps, ctx.reduction, ctx.denom, ctx.n_classes = eps, reduction, denom, n_classes
        return _reduce(per, reduction, denom)

    @staticmethod
    def backward(ctx, dy):
        eps, reduction, n_classes = ctx.eps, ctx.reduction, ctx.n_classes
        if ctx.probs:
            x, p, coef, total, logp, wb, q = ctx.saved_tensors
        else:
            x, p, tc, wt, valid, wb = ctx.saved_tensors
        g = _scale(dy, reduction, ctx.denom, x.ndim)
        dx = dq = None
        if ctx.needs_input_grad[0]:
            if not state.enabled:       # first-order: raw arrays, in place
                dx = _const(_ce_grad_arrays(ctx, p.array, g.array, coef.array if ctx.probs else None,
                                            total.array if ctx.probs else None,
                                            None if ctx.probs else (tc.array, wt.array, valid.array),
                                            None if wb is None else wb.array))
            else:                       # create_graph: softmax recomputed as a differentiable op
                if ctx.probs:  # built from the target tensor: differentiable in it too
                    target_w = q * (1 - eps) + eps / n_classes if eps else q
                    if wb is not None:
                        target_w = target_w * wb
                    total_w = target_w.sum(dim=1, keepdim=True)
                else:
                    target_w, total_w = _index_coef(p.array, tc.array, wt.array, valid.array,
                                                    None if wb is None else wb.array, eps, n_classes)
                    target_w, total_w = _const(target_w), _const(total_w)
                dx = (softmax(x, 1) * total_w - target_w) * g
        if ctx.probs and ctx.needs_input_grad[1]:
            lp = log_softmax(x, 1) if state.enabled else logp
            factor = (1 - eps) if wb is None else wb * (1 - eps)
            dq = -(lp * factor) * g
        return dx, dq


def _index_coef(p, tc, wt, valid, wb, eps, n_classes):
    """Dense a_ic and Σ_c a_ic for class-index targets."""
    coef = np.zeros_like(p)
    np.put_along_axis(coef, tc, ((1 - eps) * wt)[:, None], axis=1)
    total = ((1 - eps) * wt)[:, None]
    if eps:
        vb = valid[:, None].astype(p.dtype)
        wsum = float(wb.sum()) if wb is not None else float(n_classes)
        coef += (eps / n_classes) * (wb if wb is not None else p.dtype.type(1)) * vb
        total = total + (eps / n_classes) * wsum * vb
    return coef, total.astype(p.dtype, copy=False)


def _ce_grad_arrays(ctx, p, g, coef, total, index, wb):
    """(softmax·Σa - a)·g on arrays, reusing one output buffer."""
    eps, n_classes = ctx.eps, ctx.n_classes
    if coef is not None:
        out = p * total
        out -= coef
    else:
        tc, wt, valid = index
        hit = ((1 - eps) * wt)[:, None]
        if eps:
            vb = valid[:, None].astype(p.dtype)
            wsum = float(wb.sum()) if wb is not None else float(n_classes)
            out = p * (hit + (eps / n_classes) * wsum * vb)
            out -= (eps / n_classes) * (wb if wb is not None else p.dtype.type(1)) * vb
        else:
            out = p * hit
        at = np.take_along_axis(out, tc, axis=1)
        np.put_along_axis(out, tc, at - hit, axis=1)
    out *= g
    return out


# ---- negative log-likelihood --------------------------------------------------------------------
class NLLLoss(Function):
    """loss_i = -w[t_i]·x_i[t_i] (0 where t_i = ignore_index);  dx_i = -w[t_i]·onehot(t_i)·scale_i.
    'mean' divides by Σ_i w[t_i] over non-ignored targets."""

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, reduction="mean"):
        a = x.array
        t = target.array
        valid = t != ignore_index
        tc = np.where(valid, t, 0)[:, None]
        w = None if weight is None else array_of(weight).astype(a.dtype, copy=False)
        wt = ((w[tc[:, 0]] if w is not None else np.ones_like(t, dtype=a.dtype)) * valid).astype(a.dtype, copy=False)
        per = (-wt * np.take_along_axis(a, tc, axis=1)[:, 0]).astype(a.dtype, copy=False)
        ctx.reduction, ctx.denom, ctx.shape = reduction, wt.sum(), a.shape
        ctx.save_for_backward(tc, wt)
        return _reduce(per, reduction, ctx.denom)

    @staticmethod
    def backward(ctx, dy):
        tc, wt = ctx.saved_tensors
        coef = np.zeros(ctx.shape, wt.dtype)
        np.put_along_axis(coef, tc.array, -wt.array[:, None], axis=1)
        return _const(coef) * _scale(dy, ctx.reduction, ctx.denom, len(ctx.shape)), None


# ---- binary cross-entropy -----------------------------------------------------------------------
def _bce_logs(x):
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), -100), np.maximum(np.log1p(-x), -100)


_BCE_EPS = float(np.float32(1e-12))  # PyTorch's EPSILON is a C float


class BinaryCrossEntropy(Function):
    """loss = -w·(t·max(log x, -100) + (1-t)·max(log(1-x), -100));
    dx = w·(x - t) / max(x(1-x), 1e-12),  dt = w·(max(log(1-x), -100) - max(log x, -100))"""

    @staticmethod
    def forward(ctx, x, t, weight=None, reduction="mean"):
        a, b = x.array, array_of(t).astype(x.array.dtype, copy=False)
        log_x, log_1mx = _bce_logs(a)
        per = -(b * log_x + (1 - b) * log_1mx)
        if weight is not None:
            per = per * array_of(weight)
        per = per.astype(a.dtype, copy=False)
        ctx.reduction, ctx.denom = reduction, per.size
        ctx.save_for_backward(x, t, weight)
        return _reduce(per, reduction, per.size)

    @staticmethod
    def backward(ctx, dy):
        x, t, w = ctx.saved_tensors
        g = _scale(dy, ctx.reduction, ctx.denom, 0)
        if w is not None:
            g = g * w
        dx = dt = None
        if ctx.needs_input_grad[0]:
            dx = grad_for((x - t) / clamp((1 - x) * x, min=_BCE_EPS) * g, x)
        if ctx.needs_input_grad[1]:
            dt = grad_for((clamp(log1p(-x), min=-100) - clamp(log(x), min=-100)) * g, t)
        return dx, dt


class BinaryCrossEntropyWithLogits(Function):
    """loss = w·((1-t)·x + (1 + (p-1)·t)·log(1 + e⁻ˣ)), p the pos_weight (stable log-sum-exp);
    dx = w·((1 + (p-1)·t)·σ(x) - p·t),  dt = w·(-x + (p-1)·log(1 + e⁻ˣ))"""

    @staticmethod
    def forward(ctx, x, t, weight=None, pos_weight=None, reduction="mean"):
        a, b = x.array, array_of(t).astype(x.array.dtype, copy=False)
        sp = np.logaddexp(a.dtype.type(0), -a)        # log(1 + e⁻ˣ)
        if pos_weight is not None:
            lw = 1 + (array_of(pos_weight) - 1) * b
            per = (1 - b) * a + lw * sp
        else:
            per = (1 - b) * a + sp
        if weight is not None:
            per = per * array_of(weight)
        per = per.astype(a.dtype, copy=False)
        ctx.reduction, ctx.denom = reduction, per.size
        ctx.save_for_backward(x, t, weight, pos_weight)
        return _reduce(per, reduction, per.size)

    @staticmethod
    def backward(ctx, dy):
        x, t, w, pw = ctx.saved_tensors
        g = _scale(dy, ctx.reduction, ctx.denom, 0)
        if w is not None:
            g = g * w
        dx = dt = None
        if ctx.needs_input_grad[0]:
            s = sigmoid(x)
            core = s - t if pw is None else (1 + (pw - 1) * t) * s - pw * t
            dx = grad_for(core * g, x)
        if ctx.needs_input_grad[1]:
            core = -x if pw is None else -x + (pw - 1) * log1p_exp(-x)
            dt = grad_for(core * g, t)
        return dx, dt


METHODS = {}
