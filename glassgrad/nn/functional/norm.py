"""Normalization: batch, layer and group norm as fused kernels with closed-form backward.

All three normalize x over some axes (M elements per statistic) and apply a per-channel affine:

    x̂ = (x - μ) · σ⁻¹,  σ⁻¹ = 1/√(var + eps) (biased var),  y = x̂ · w + b

    dx̂ = dy · w,   dx = σ⁻¹ · (dx̂ - mean(dx̂) - x̂ · mean(dx̂ · x̂)),   dw = Σ dy · x̂,   db = Σ dy

(with running statistics in batch norm's eval mode, μ and σ are constants and dx = dx̂ · σ⁻¹).
The backward kernels work on raw arrays and are once-differentiable: differentiating them again
(``create_graph=True``) raises a clear error.
"""

import numpy as np

from ... import backend
from ...autograd.function import Function, once_differentiable
from ...autograd.grad_mode import no_grad
from ...backend import namespace
from ...ops.shape import pad

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "local_response_norm"]

fused = backend.FUSED_KERNELS
_kernels = {}


def _check(op, x, weight, bias, shape):
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}; use x.float()")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is None:
            continue
        if tuple(t.shape) != tuple(shape):
            raise RuntimeError(f"{op}: expected {name} of shape {tuple(shape)} for input of shape "
                               f"{tuple(x.shape)}, got {tuple(t.shape)}")
        if t.dtype != x.dtype:
            raise RuntimeError(f"{op}: input and {name} must have the same dtype, got {x.dtype} and "
                               f"{t.dtype}; convert them first (model.double() or x.float())")


def _affine(xhat, weight, bias, pshape):
    """y = x̂ · w + b (either optional), a new array even without both: x̂ is saved for backward."""
    y = xhat
    if weight is not None:
        y = y * weight.array.reshape(pshape)
    if bias is not None:
        y = y + bias.array.reshape(pshape)
    elif weight is None:
        y = y.copy()
    return y


class _Normalize(Function):
    """y = x̂ · w + b with x̂ normalized over ``axes`` (batch statistics); see the module docstring.

    ``pshape`` is the broadcast shape of w and b against x; ``gshape`` reshapes x so that the
    statistics are taken over ``axes`` (group norm splits channels into groups)."""

    @staticmethod
    def forward(ctx, x, weight, bias, axes, gshape, pshape, eps, running=None):
        a = x.array
        g = a.reshape(gshape)
        mean = g.mean(axis=axes, keepdims=True)
        xc = g - mean
        var = (xc * xc).mean(axis=axes, keepdims=True)
        invstd = 1.0 / np.sqrt(var + a.dtype.type(eps))
        xhat = (xc * invstd).reshape(a.shape)
        y = _affine(xhat, weight, bias, pshape)
        if running is not None:
            _update_running(mean, var, a.size // a.shape[1], *running)
        ctx.axes, ctx.gshape, ctx.pshape = axes, gshape, pshape
        ctx.param_shape = next((t.shape for t in (weight, bias) if t is not None), None)
        ctx.save_for_backward(xhat, invstd, weight)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, dy):
        xhat, invstd, weight = ctx.saved_tensors
        g, xh = dy.array, xhat.array
        paxes = tuple(i for i, n in enumerate(ctx.pshape) if n == 1)
        dw = db = None
        need = ctx.needs_input_grad
        if need[1]:
            dw = (g * xh).sum(axis=paxes).reshape(ctx.param_shape)
        if need[2]:
            db = g.sum(axis=paxes).reshape(ctx.param_shape)
        dx = None
        if need[0]:
            dxh = g * weight.array.reshape(ctx.pshape) if weight is not None else g
            dxh, xh = dxh.reshape(ctx.gshape), xh.reshape(ctx.gshape)
            dx = (invstd.array * (dxh - dxh.mean(axis=ctx.axes, keepdims=True)
                                  - xh * (dxh * xh).mean(axis=ctx.axes, keepdims=True))).reshape(g.shape)
        return dx, dw, db


class _NormalizeEval(Function):
    """y = (x - μ) · σ⁻¹ · w + b with constant μ, σ (running statistics);
    dx = dy · w · σ⁻¹,  dw = Σ dy · x̂,  db = Σ dy"""

    @staticmethod
    def forward(ctx, x, weight, bias, mean, invstd, pshape):
        xhat = (x.array - mean) * invstd
        y = _affine(xhat, weight, bias, pshape)
        ctx.pshape = pshape
        ctx.save_for_backward(xhat, weight)
        ctx.invstd = invstd
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, dy):
        xhat, weight = ctx.saved_tensors
        g = dy.array
        paxes = tuple(i for i, n in enumerate(ctx.pshape) if n == 1)
        need = ctx.needs_input_grad
        dx = dw = db = None
        if need[0]:
            scale = ctx.invstd if weight is None else ctx.invstd * weight.array.reshape(ctx.pshape)
            dx = g * scale
        if need[1]:
            dw = (g * xhat.array).sum(axis=paxes).reshape(weight.shape)
        if need[2]:
            db = g.sum(axis=paxes).reshape(-1)
        return dx, dw, db


def _layer_norm_kernels():
    if not _kernels:
        from . import _norm_numba
        _kernels.update(forward=_norm_numba.layer_norm_forward, backward=_norm_numba.layer_norm_backward)
    return _kernels


def _use_kernels(a):
    return fused and type(a) is np.ndarray and a.dtype in (np.float32, np.float64)


class _LayerNorm(Function):
    """y = x̂ · w + b over rows of C values (the normalized dims, flattened); see the module
    docstring. Saves x and the rows' μ and σ⁻¹ (not x̂): backward recomputes x̂ row by row, and
    with Numba each direction is one compiled pass over the rows."""

    @staticmethod
    def forward(ctx, x, weight, bias, c, eps):
        a = x.array
        x2 = a.reshape(a.size // c if c else 0, c)
        if _use_kernels(a):
            x2 = np.ascontiguousarray(x2)
            y = np.empty(x2.shape, a.dtype)
            mean = np.empty(x2.shape[0])
            rstd = np.empty(x2.shape[0])
            w = np.ones(c, a.dtype) if weight is None else np.ascontiguousarray(weight.array.reshape(-1))
            b = np.zeros(c, a.dtype) if bias is None else np.ascontiguousarray(bias.array.reshape(-1))
            _layer_norm_kernels()["forward"](x2, w, b, float(eps), y, mean, rstd)
        else:
            mean = x2.mean(axis=1, keepdims=True)
            y = x2 - mean
            var = np.einsum("ij,ij->i", y, y)[:, None] / a.dtype.type(c)
            rstd = 1.0 / np.sqrt(var + a.dtype.type(eps))
            y *= rstd
            if weight is not None:
                y *= weight.array.reshape(-1)
            if bias is not None:
                y += bias.array.reshape(-1)
            mean, rstd = mean[:, 0], rstd[:, 0]
        ctx.c = c
        ctx.param_shape = next((t.shape for t in (weight, bias) if t is not None), None)
        ctx.save_for_backward(x, weight, mean, rstd)
        return y.reshape(a.shape)

    @staticmethod
    @once_differentiable
    def backward(ctx, dy):
        x, weight, mean, rstd = ctx.saved_tensors
        a, c = x.array, ctx.c
        need = ctx.needs_input_grad
        x2 = a.reshape(a.size // c if c else 0, c)
        g = dy.array.reshape(x2.shape)
        mean, rstd = mean.array, rstd.array
        if _use_kernels(a) and g.dtype == a.dtype:
            x2, g = np.ascontiguousarray(x2), np.ascontiguousarray(g)
            w = np.ones(c, a.dtype) if weight is None else np.ascontiguousarray(weight.array.reshape(-1))
            dx = np.empty(x2.shape if need[0] else (0, c), a.dtype)
            dw, db = np.zeros(c), np.zeros(c)
            _layer_norm_kernels()["backward"](x2, g, w, mean, rstd, dx, dw, db)
            dx = dx.reshape(a.shape) if need[0] else None
            dw, db = dw.astype(a.dtype), db.astype(a.dtype)
        else:
            xh = (x2 - mean[:, None]) * rstd[:, None]
            dw, db = np.einsum("ij,ij->j", g, xh), g.sum(axis=0)
            dx = None
            if need[0]:
                dxh = g * weight.array.reshape(-1) if weight is not None else g.copy()
                mean_dxh = dxh.mean(axis=1, keepdims=True)
                mean_dxh_xh = np.einsum("ij,ij->i", dxh, xh)[:, None] / a.dtype.type(c)
                dxh -= mean_dxh
                xh *= mean_dxh_xh
                dxh -= xh
                dxh *= rstd[:, None]
                dx = dxh.reshape(a.shape)
        dw = dw.reshape(ctx.param_shape) if need[1] else None
        db = db.reshape(ctx.param_shape) if need[2] else None
        return dx, dw, db


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Batch normalization over the channel dim 1 of (N, C) or (N, C, *) input.

    Training (or no running statistics): normalize with the batch mean and biased variance and, when
    running_mean/running_var are given, update them in place:
    ``running = (1 - momentum) · running + momentum · batch`` (the variance unbiased, ·M/(M-1)).
    Eval: normalize with the running statistics.

    Shape: input (N, C, *), running stats / weight / bias (C,) -> same shape as input.
    """
    x = input
    if x.ndim < 2:
        raise RuntimeError(f"batch_norm: expected an input with at least 2 dims (N, C, *), got shape "
                           f"{tuple(x.shape)}")
    c = x.shape[1]
    _check("batch_norm", x, weight, bias, (c,))
    pshape = (1, c) + (1,) * (x.ndim - 2)
    axes = (0,) + tuple(range(2, x.ndim))
    for name, r in (("running_mean", running_mean), ("running_var", running_var)):
        if r is not None and tuple(r.shape) != (c,):
            raise RuntimeError(f"batch_norm: expected {name} of shape ({c},) for input of shape "
                               f"{tuple(x.shape)}, got {tuple(r.shape)}")
    if x.numel() == 0:
        # an empty batch: nothing to normalize and the statistics stay as they are; weight and
        # bias still take part (zero gradients), as in PyTorch
        y = x.clone()
        if weight is not None:
            y = y * weight[0]
        return y + bias[0] if bias is not None else y
    if training or running_mean is None or running_var is None:
        m = x.numel() // c if c else 0
        if training and m == 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input "
                             f"size {tuple(x.shape)}; use a larger batch or call model.eval()")
        running = (running_mean, running_var, momentum) if training else None
        return _Normalize.apply(x, weight, bias, axes, x.shape, pshape, eps, running)
    xp = namespace(x.array)
    mean = xp.asarray(running_mean.array, dtype=x.dtype).reshape(pshape)
    invstd = (1.0 / xp.sqrt(xp.asarray(running_var.array, dtype=x.dtype) + x.dtype.type(eps))).reshape(pshape)
    return _NormalizeEval.apply(x, weight, bias, mean, invstd, pshape)


def _update_running(mean, var, m, running_mean, running_var, momentum):
    """Blend the batch statistics (arrays) into the running buffers, in place."""
    with no_grad():
        if running_mean is not None:
            r = running_mean.array
            r *= 1 - momentum
            r += (momentum * mean.reshape(-1)).astype(r.dtype)
            running_mean._version += 1
        if running_var is not None:
            r = running_var.array
            r *= 1 - momentum
            r += (momentum * var.reshape(-1) * (m / (m - 1))).astype(r.dtype)
            running_var._version += 1


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalization over the last ``len(normalized_shape)`` dims.

    Shape: input (*, *normalized_shape), weight/bias normalized_shape -> same shape as input.
    """
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(int(n) for n in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != normalized_shape or input.ndim < k:
        raise RuntimeError(f"layer_norm: expected input with shape (*, {', '.join(map(str, normalized_shape))}) "
                           f"(its last {k} dims equal to normalized_shape), got {tuple(input.shape)}")
    _check("layer_norm", input, weight, bias, normalized_shape)
    return _LayerNorm.apply(input, weight, bias, int(np.prod(normalized_shape)), eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalization: channels split into ``num_groups`` groups, each normalized over its
    channels and all spatial positions, then a per-channel affine.

    Shape: input (N, C, *), weight/bias (C,) -> same shape as input.
    """
    x = input
    if x.ndim < 2:
        raise RuntimeError(f"group_norm: expected an input with at least 2 dims (N, C, *), got shape "
                           f"{tuple(x.shape)}")
    n, c = x.shape[:2]
    if num_groups < 1 or c % num_groups:
        raise RuntimeError(f"group_norm: expected the number of channels ({c}, input shape {tuple(x.shape)}) "
                           f"to be divisible by num_groups ({num_groups})")
    _check("group_norm", x, weight, bias, (c,))
    pshape = (1, c) + (1,) * (x.ndim - 2)
    return _Normalize.apply(x, weight, bias, (2,), (n, num_groups, -1), pshape, eps)



def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Instance normalization: each sample's channel normalized over its positions, then a
    per-channel affine. With ``use_input_stats`` the statistics are the instance's own and, when
    running_mean/running_var are given, their mean over the batch is blended into them (the
    variance unbiased); otherwise the running statistics normalize, as batch norm's eval mode.

    Shape: input (N, C, *) with at least one position dim, running stats / weight / bias (C,) -> same
    shape as input.
    """
    x = input
    if x.ndim < 3:
        raise RuntimeError(f"instance_norm: expected an input with at least 3 dims (N, C, *), got shape "
                           f"{tuple(x.shape)}")
    n, c = x.shape[:2]
    _check("instance_norm", x, weight, bias, (c,))
    for name, r in (("running_mean", running_mean), ("running_var", running_var)):
        if r is not None and tuple(r.shape) != (c,):
            raise RuntimeError(f"instance_norm: expected {name} of shape ({c},) for input of shape "
                               f"{tuple(x.shape)}, got {tuple(r.shape)}")
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("instance_norm: expected running_mean and running_var to be defined when "
                               "use_input_stats is false")
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    m = x.numel() // (n * c) if n * c else 0
    if m <= 1:
        raise ValueError(f"instance_norm: expected more than 1 spatial element when training, got input size "
                         f"{tuple(x.shape)}")
    pshape = (1, c) + (1,) * (x.ndim - 2)
    y = _Normalize.apply(x, weight, bias, (2,), (n, c, -1), pshape, eps)
    if running_mean is not None or running_var is not None:
        a = x.array.reshape(n, c, -1)
        mean = a.mean(axis=2)
        var = ((a - mean[:, :, None]) ** 2).mean(axis=2)
        _update_running(mean.mean(axis=0), var.mean(axis=0), m, running_mean, running_var, momentum)
    return y


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalization over the last ``len(normalized_shape)`` dims:
    y = x / √(mean(x²) + eps) · weight (``eps`` None: the dtype's machine epsilon). A composition of
    differentiable ops.

    Shape: input (*, *normalized_shape), weight normalized_shape -> same shape as input.
    """
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(int(v) for v in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise RuntimeError(f"rms_norm: expected input with shape (*, {', '.join(map(str, normalized_shape))}) "
                           f"(its last {k} dims equal to normalized_shape), got {tuple(input.shape)}")
    _check("rms_norm", input, weight, None, normalized_shape)
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    y = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalization across channels: x / (k + alpha · mean of x² over the ``size``
    neighbouring channels)^beta (the window zero-padded, size//2 channels before). A composition of
    differentiable ops.

    Shape: input (N, C, *) with at least 3 dims -> same shape.
    """
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher dimensionality input (N, C, *), got "
                         f"{input.ndim} dimensions (shape {tuple(input.shape)})")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = pad(input * input, (0, 0) * (input.ndim - 2) + (size // 2, (size - 1) // 2))
    total = sq.narrow(1, 0, c)
    for j in range(1, size):
        total = total + sq.narrow(1, j, c)
    return input / (total * (alpha / size) + k) ** beta
