"""nn.functional: loss functions with PyTorch's signatures and semantics, and their kernels.

The regression losses are compositions of differentiable ops (so they differentiate any number of
times). Cross-entropy, NLL and the binary cross-entropies are fused kernels (below): forward on
arrays, backward side by side. ``CrossEntropy`` is log-softmax and negative log-likelihood in one
op: the log-sum-exp subtracts the row maximum first (no overflow at logits of ±1e4), and the
gradient is the closed form ``(softmax(x)·Σ_c a_c - a) · scale`` where ``a`` is the per-class
target weight (one-hot times the class weight, smoothed, or the target probabilities). Backward
formulas use glassgrad ops when the graph is recorded (``create_graph=True``), so every loss here
can be differentiated twice; without it, the hot path of cross-entropy works on raw arrays in place.

The F.* functions check arguments, normalize shapes (inputs (N, C, d1, ...) with the class
dimension second) and pick the reduction ('none', 'mean' or 'sum') before calling a kernel.

Class-index targets are int64 (or uint8 for targets of at most one dim), as in PyTorch; float
class-probability targets are converted to the input's dtype.
"""
import warnings

import numpy as np

from ...autograd.function import Function
from ...autograd.grad_mode import state
from ...autograd.tensor import Tensor, wrap_array
from ...backend import namespace
from ...ops._util import array_of, grad_for
from ...ops.elementwise import abs as _abs
from ...ops.elementwise import clamp, exp, log, log1p, sigmoid, where
from ...ops.reduction import log_softmax, softmax

__all__ = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]

_REDUCTIONS = ("none", "mean", "sum")


# ---- fused kernels -----------------------------------------------------------------------------
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


def _reduce_array(per, reduction, denom):
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
    """loss = Σ_i -log softmax(x_i)[t_i] / N;  dx_i = (softmax(x_i) - onehot(t_i)) / N  (class indices,
    no weights, no smoothing, 'mean').

    Fused log-softmax + negative log-likelihood over dim 1 of (N, C, d1, ...) logits; in general:
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
        return _reduce_array(per, reduction, denom)

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
                dx = wrap_array(_ce_grad_arrays(ctx, p.array, g.array, coef.array if ctx.probs else None,
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
                    target_w, total_w = wrap_array(target_w), wrap_array(total_w)
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
        return _reduce_array(per, reduction, ctx.denom)

    @staticmethod
    def backward(ctx, dy):
        tc, wt = ctx.saved_tensors
        coef = np.zeros(ctx.shape, wt.dtype)
        np.put_along_axis(coef, tc.array, -wt.array[:, None], axis=1)
        return wrap_array(coef) * _scale(dy, ctx.reduction, ctx.denom, len(ctx.shape)), None


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
        return _reduce_array(per, reduction, per.size)

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
        return _reduce_array(per, reduction, per.size)

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



# ---- argument checks ----------------------------------------------------------------------------
def _legacy_reduction(op, size_average, reduce, reduction):
    """PyTorch's deprecated ``size_average``/``reduce`` pair turned into ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn(f"{op}: size_average and reduce args will be deprecated, please use reduction="
                  f"'{'sum' if size_average is False else 'mean'}' instead.", stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "mean" if (size_average and reduce) else "sum" if reduce else "none"


def _check_reduction(op, reduction, allowed=_REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction ({op}: use one of "
                         f"{', '.join(repr(r) for r in allowed)})")


def _tensor(x, like=None):
    if isinstance(x, Tensor):
        return x
    if like is not None and not hasattr(x, "dtype"):
        return Tensor(np.asarray(x, dtype=like.dtype))
    return Tensor(x)


def _check_float(op, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be a Tensor, not {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: input must be a floating point tensor, got {input.dtype}; convert it "
                        "with input.float()")


def _warn_size(input, target, stacklevel=3):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the input size "
                      f"({tuple(input.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=stacklevel)


def _check_same_size(op, input, target, weight):
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{op}: Weights and input must have the same size (weight {tuple(weight.shape)}, "
                         f"input {tuple(input.shape)}).")


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _weighted(loss, weight, reduction, mean_by_weight):
    """Per-element ``weight`` (shaped like the input), PyTorch's weighted reductions: MSE and L1
    divide the weighted sum by Σ weight, Huber by the element count."""
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


# ---- regression losses --------------------------------------------------------------------------
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error: (input - target)², reduced. ``weight`` (shaped like the input) weighs
    each element; the weighted mean divides by Σ weight.

    Shape: input (*), target broadcastable to it (warns when the sizes differ);
    output scalar, or the broadcast shape for reduction='none'."""
    reduction = _legacy_reduction("mse_loss", size_average, reduce, reduction)
    _check_float("mse_loss", input)
    _check_reduction("mse_loss", reduction)
    target = _tensor(target, input)
    _warn_size(input, target)
    _check_same_size("mse_loss", input, target, weight)
    d = input - target
    loss = d * d
    return _reduce(loss, reduction) if weight is None else _weighted(loss, weight, reduction, True)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error: |input - target|, reduced. ``weight`` as in ``mse_loss``.

    Shape: input (*), target broadcastable to it; output scalar, or the broadcast shape."""
    reduction = _legacy_reduction("l1_loss", size_average, reduce, reduction)
    _check_float("l1_loss", input)
    _check_reduction("l1_loss", reduction)
    target = _tensor(target, input)
    _warn_size(input, target)
    _check_same_size("l1_loss", input, target, weight)
    loss = _abs(input - target)
    return _reduce(loss, reduction) if weight is None else _weighted(loss, weight, reduction, True)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber loss: ½d² where |d| < delta, else delta·(|d| - ½delta), d = input - target.
    ``weight`` multiplies each element (the weighted mean divides by the element count).

    Shape: input (*), target broadcastable to it; output scalar, or the broadcast shape."""
    _check_float("huber_loss", input)
    _check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got {delta}); "
                           "pass delta > 0")
    target = _tensor(target, input)
    _warn_size(input, target)
    _check_same_size("huber_loss", input, target, weight)
    d = input - target
    ad = _abs(d)
    loss = where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    return _reduce(loss, reduction) if weight is None else _weighted(loss, weight, reduction, False)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Smooth L1: ½d²/beta where |d| < beta, else |d| - ½beta (beta = 0 is the L1 loss).

    Shape: input (*), target broadcastable to it; output scalar, or the broadcast shape."""
    reduction = _legacy_reduction("smooth_l1_loss", size_average, reduce, reduction)
    _check_float("smooth_l1_loss", input)
    _check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got {beta}); pass beta >= 0")
    target = _tensor(target, input)
    _warn_size(input, target)
    d = input - target
    ad = _abs(d)
    loss = ad if beta == 0 else where(ad < beta, (0.5 / beta) * d * d, ad - 0.5 * beta)
    return _reduce(loss, reduction)


# ---- classification losses ----------------------------------------------------------------------
def _check_class_weight(op, weight, n_classes):
    if weight is None:
        return None
    weight = _tensor(weight)
    if weight.ndim != 1 or weight.shape[0] != n_classes:
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {n_classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    return weight


def _check_index_target(op, input_shape, target, ignore_index):
    """Class-index target of shape (N, d1, ...) for an (N, C, d1, ...) input."""
    t = target.array
    if t.dtype != np.int64 and not (t.dtype == np.uint8 and t.ndim <= 1):
        # PyTorch's rule: int64 class indices (uint8 too when the target has at most one dim)
        allowed = "int64 (Long) or uint8 (Byte)" if t.ndim <= 1 else "int64 (Long)"
        raise RuntimeError(
            f"{op}: expected target dtype to be {allowed} class indices, but got {t.dtype} with target shape "
            f"{tuple(t.shape)} for input shape {tuple(input_shape)}; pass class indices as target.long(), "
            "or class probabilities shaped exactly like the input")
    n, n_classes = input_shape[0], input_shape[1]
    expected = (n,) + tuple(input_shape[2:])
    if t.ndim == 0 or t.shape[0] != n:
        raise ValueError(f"{op}: Expected input batch_size ({n}) to match target batch_size "
                         f"({t.shape[0] if t.ndim else 'a 0-d target'}); input shape {tuple(input_shape)}, "
                         f"target shape {tuple(t.shape)}")
    if tuple(t.shape) != expected:
        raise RuntimeError(f"{op}: Expected target size {list(expected)}, got {list(t.shape)} (input shape "
                           f"{tuple(input_shape)} has the classes in dim 1; target holds one class index per "
                           "position of the other dims)")
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(f"{op}: Target {int(t[bad].reshape(-1)[0])} is out of bounds: class indices must "
                         f"be in [0, {n_classes - 1}] for C = {n_classes} classes (or equal ignore_index="
                         f"{ignore_index})")


def _batched(op, input, target, prob_ok):
    """(input, target, unbatched): input (C,) becomes (1, C) with target () or (C,) likewise."""
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have at least 1 dimension (classes), got a 0-d tensor; "
                         "pass logits of shape (N, C) or (C,)")
    if input.ndim != 1:
        return input, target, False
    if target.ndim == 0:
        return input.unsqueeze(0), target.unsqueeze(0), True
    if prob_ok and target.shape == input.shape:
        return input.unsqueeze(0), target.unsqueeze(0), True
    raise RuntimeError(f"{op}: for an unbatched input of shape {tuple(input.shape)} the target must be a "
                       f"0-d class index or class probabilities of shape {tuple(input.shape)}, got target shape "
                       f"{tuple(target.shape)}")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits and a target, as one fused, numerically stable log-softmax +
    NLL op (no NaN or overflow at logits like ±1e4; differentiable twice).

    ``target`` holds class indices (integer, shape (N, d1, ...)) or class probabilities (float,
    shaped like the input). ``weight`` (C,) rescales each class; with class indices, the 'mean'
    reduction divides by the summed weight of the non-ignored targets, as PyTorch does.
    ``ignore_index`` targets contribute nothing (class indices only). ``label_smoothing`` ε mixes
    the target with the uniform distribution: (1-ε)·target + ε/C.

    Shape: input (C), (N, C) or (N, C, d1, ...); target (), (N) or (N, d1, ...) of indices, or the
    input's shape of probabilities; output scalar, or (N, d1, ...) for reduction='none'."""
    reduction = _legacy_reduction("cross_entropy", size_average, reduce, reduction)
    _check_float("cross_entropy", input)
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    target = _tensor(target)
    input, target, unbatched = _batched("cross_entropy", input, target, prob_ok=True)
    weight = _check_class_weight("cross_entropy", weight, input.shape[1])
    if tuple(target.shape) == tuple(input.shape):
        if target.dtype.kind != "f":
            raise RuntimeError(f"cross_entropy: a target shaped like the input {tuple(input.shape)} holds class "
                               f"probabilities and must be floating point, got {target.dtype}")
        if ignore_index >= 0:
            raise RuntimeError("cross_entropy: ignore_index is not supported for floating point target "
                               "(class probabilities); leave ignore_index at -100")
    else:
        if target.dtype.kind == "f" and target.ndim == input.ndim:
            raise RuntimeError(f"cross_entropy: class-probability target must have the input's shape "
                               f"{tuple(input.shape)}, got {tuple(target.shape)}")
        _check_index_target("cross_entropy", input.shape, target, ignore_index)
    out = CrossEntropy.apply(input, target, weight, ignore_index, label_smoothing, reduction)
    return out.reshape(()) if unbatched and reduction == "none" else out


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class indices under log-probabilities ``input`` (e.g. the output
    of ``log_softmax``): -weight[t]·input[t]. 'mean' divides by the summed weight of the
    non-ignored targets.

    Shape: input (C), (N, C) or (N, C, d1, ...); target (), (N) or (N, d1, ...); output scalar, or
    (N, d1, ...) for reduction='none'."""
    reduction = _legacy_reduction("nll_loss", size_average, reduce, reduction)
    _check_float("nll_loss", input)
    _check_reduction("nll_loss", reduction)
    target = _tensor(target)
    input, target, unbatched = _batched("nll_loss", input, target, prob_ok=False)
    weight = _check_class_weight("nll_loss", weight, input.shape[1])
    _check_index_target("nll_loss", input.shape, target, ignore_index)
    out = NLLLoss.apply(input, target, weight, ignore_index, reduction)
    return out.reshape(()) if unbatched and reduction == "none" else out


def _check_binary(op, input, target, weight, pos_weight=None):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: Using a target size ({tuple(target.shape)}) that is different to the input "
                         f"size ({tuple(input.shape)}) is not supported. Please ensure they have the same size.")
    for name, w in (("weight", weight), ("pos_weight", pos_weight)):
        if w is not None:
            try:
                shape = np.broadcast_shapes(tuple(w.shape), tuple(input.shape))
            except ValueError:
                shape = None
            if shape != tuple(input.shape):
                raise RuntimeError(f"{op}: {name} of shape {tuple(w.shape)} must broadcast to the input's shape "
                                   f"{tuple(input.shape)} (pos_weight aligns with the last dim)")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy between probabilities ``input`` in [0, 1] and ``target``:
    -w·(t·log x + (1-t)·log(1-x)), each log clamped to >= -100 like PyTorch (finite at 0 and 1).

    Shape: input (*), target the same shape, weight broadcastable to it; output scalar, or (*)."""
    reduction = _legacy_reduction("binary_cross_entropy", size_average, reduce, reduction)
    _check_float("binary_cross_entropy", input)
    _check_reduction("binary_cross_entropy", reduction)
    target = _tensor(target, input)
    weight = None if weight is None else _tensor(weight, input)
    _check_binary("binary_cross_entropy", input, target, weight)
    a = input.array
    if a.size and not ((a >= 0) & (a <= 1)).all():
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1 (got values "
                           f"in [{a.min()}, {a.max()}]); apply sigmoid first or use "
                           "binary_cross_entropy_with_logits")
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable op (log-sum-exp; no overflow at any logit).
    ``pos_weight`` weighs the positive term: -w·(p·t·log σ(x) + (1-t)·log(1-σ(x))).

    Shape: input (*), target the same shape, weight broadcastable to it, pos_weight broadcastable
    along the last dim (e.g. (C,)); output scalar, or (*)."""
    reduction = _legacy_reduction("binary_cross_entropy_with_logits", size_average, reduce, reduction)
    _check_float("binary_cross_entropy_with_logits", input)
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    target = _tensor(target, input)
    weight = None if weight is None else _tensor(weight, input)
    pos_weight = None if pos_weight is None else _tensor(pos_weight, input)
    _check_binary("binary_cross_entropy_with_logits", input, target, weight, pos_weight)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence with ``input`` given as log-probabilities:
    t·(log t - input) pointwise (0 where t = 0), or eᵗ·(t - input) with ``log_target``.
    reduction='batchmean' divides the sum by the batch size (the true KL divergence); 'mean'
    divides by the element count (and warns, as PyTorch does).

    Shape: input (*), target the same shape; output scalar, or (*) for reduction='none'."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction("kl_div", size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    _check_float("kl_div", input)
    _check_reduction("kl_div", reduction, _REDUCTIONS + ("batchmean",))
    target = _tensor(target, input)
    if log_target:
        loss = exp(target) * (target - input)
    else:
        loss = target * log(where(target > 0, target, 1.0)) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)
