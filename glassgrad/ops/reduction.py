"""Reductions and their derivatives: a reduced gradient is broadcast back over the reduced axes.

Value-selecting reductions (``max``, ``amax``, ``norm(p=inf)``...) route the gradient through a
constant mask of the selected elements; the others write their backward with glassgrad ops, so that
every gradient here can be differentiated again.
"""
import builtins
import collections
import warnings

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor, wrap_array
from ._util import linear_jvp, normalize_dims
from .elementwise import _sign, _zeros_like, exp, where

__all__ = ["sum", "mean", "var", "std", "var_mean", "std_mean", "max", "min", "amax", "amin", "argmax",
           "argmin", "prod", "logsumexp", "norm", "cumsum", "softmax", "log_softmax", "all", "any"]


# ---- helpers -----------------------------------------------------------------------------------
def _dims(dim, ndim, op):
    """Reduced axes as a sorted tuple; ``None`` or ``()`` means all. A 0-d tensor accepts dim 0 or
    -1 and reduces nothing."""
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    dims = normalize_dims(dim, ndim, op)
    return dims if ndim else ()


def _one_dim(dim, ndim, op):
    """A single dim, normalized (0-d tensors accept 0 and -1)."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be an int, not {type(dim).__name__}")
    return normalize_dims(int(dim), ndim, op)[0] if ndim else 0


def _wide(a):
    """The array to reduce: float16 is accumulated in float32, as PyTorch does on the CPU (the
    result is rounded back to float16 once, at the end)."""
    return a.astype(np.float32) if a.dtype == np.float16 else a


def _kept_shape(shape, dims):
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def _unsqueeze_reduced(g, shape, dims, keepdim):
    """Put the reduced axes back (as size 1) so that ``g`` broadcasts against the input."""
    if keepdim or g.ndim == len(shape):
        return g
    return g.reshape(_kept_shape(shape, dims))


def _float_only(a, op):
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"{op}(): input dtype must be floating point, got {a.dtype}; convert first "
                           f"(x.float().{op}(...))")


def _nonempty(a, dims, op, all_dims):
    """PyTorch's errors for value-selecting reductions over nothing."""
    if a.size:
        return
    if all_dims:
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
                           "the reduction dim with the 'dim' argument.")
    for d in dims:
        if a.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def _differentiated(x):
    """True when a gradient or a forward-mode tangent will flow through ``x`` (then the selecting
    reductions build their mask)."""
    return x.requires_grad or getattr(x, "_fw_tangent", None) is not None


def _check_tensor(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be a Tensor, not {type(x).__name__}")


class _Masked(Function):
    """y = a value selected from x over dims;  dx = dy broadcast back, times a constant mask that
    holds each element's share of the gradient (1 for the selected one, 1/k among k ties)"""

    @staticmethod
    def jvp(ctx, tx, *_):  # the selected elements' tangents, weighted as the gradient is split
        mask = ctx.fw_inputs[2]
        mask = mask if isinstance(mask, Tensor) else wrap_array(mask)
        return (tx * mask).sum(dim=ctx.dims, keepdim=ctx.keepdim)

    @staticmethod
    def forward(ctx, x, values, mask, dims, keepdim, saves_output=True):
        ctx.shape, ctx.dims, ctx.keepdim = x.array.shape, dims, keepdim
        # amax/amin/max() save their output in PyTorch (max(dim) its indices): changing the output
        # in place is then an error at backward
        ctx.save_for_backward(mask, values if saves_output else None)
        return values

    @staticmethod
    def backward(ctx, dy):
        mask, _ = ctx.saved_tensors
        return _unsqueeze_reduced(dy, ctx.shape, ctx.dims, ctx.keepdim) * mask


_NODES = {op: type(op.capitalize(), (_Masked,), {"__doc__": _Masked.__doc__})
          for op in ("max", "min", "amax", "amin")}


def _tie_mask(a, kept, dims, nan_equal=True):
    """Each element's share when the gradient is split evenly among the elements equal to the
    selected value ``kept``. With ``nan_equal`` NaN counts as equal to NaN (``max()``); without it
    (``amax``/``amin``, as PyTorch) a NaN result matches nothing and its whole slice gets 0/0 = NaN."""
    hit = (a == kept) | (np.isnan(a) & np.isnan(kept)) if nan_equal else a == kept
    with np.errstate(invalid="ignore", divide="ignore"):
        return (hit / hit.sum(axis=dims, keepdims=True)).astype(a.dtype)


def _raw_unsqueeze_reduced(g, shape, dims, keepdim):
    """``_unsqueeze_reduced`` on a raw array."""
    if keepdim or g.ndim == len(shape):
        return g
    return g.reshape(tuple(1 if i in dims else n for i, n in enumerate(shape)))


# ---- sum, mean, var, std -----------------------------------------------------------------------
class Sum(Function):
    """y = Σ x over dims;  dx = dy broadcast back to x's shape"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        a = x.array
        ctx.shape, ctx.dims, ctx.keepdim, ctx.dtype = a.shape, _dims(dim, a.ndim, "sum"), keepdim, a.dtype
        if dtype is None and a.dtype.kind in "biu":
            dtype = np.int64
        if dtype is None and a.dtype == np.float16:
            return np.asarray(a.sum(axis=ctx.dims, keepdims=keepdim, dtype=np.float32).astype(a.dtype))
        return np.asarray(a.sum(axis=ctx.dims, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, dy):
        g = _unsqueeze_reduced(dy, ctx.shape, ctx.dims, ctx.keepdim).expand(ctx.shape)
        return g if g.dtype == ctx.dtype else g.to(ctx.dtype)

    @staticmethod
    def raw_backward(ctx, dy):
        g = np.broadcast_to(_raw_unsqueeze_reduced(dy, ctx.shape, ctx.dims, ctx.keepdim), ctx.shape)
        return g if g.dtype == ctx.dtype else g.astype(ctx.dtype)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of ``input`` over ``dim`` (int, tuple, or None for all). Integer and bool inputs sum to
    int64. Shape: ``input.shape`` with ``dim`` removed (kept as 1 with ``keepdim``)."""
    _check_tensor(input, "sum")
    return Sum.apply(input, dim=dim, keepdim=keepdim, dtype=dtype)


class Mean(Function):
    """y = Σ x / n over dims;  dx = dy / n broadcast back"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        a = x.array
        if a.dtype.kind not in "fc":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be floating point, "
                               f"got {a.dtype}; use x.float().mean()")
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, _dims(dim, a.ndim, "mean"), keepdim
        ctx.n = int(np.prod([a.shape[d] for d in ctx.dims], dtype=np.int64))
        w = _wide(a)
        with np.errstate(invalid="ignore", divide="ignore"):  # an empty mean is NaN, silently
            return np.asarray(w.sum(axis=ctx.dims, keepdims=keepdim) / w.dtype.type(ctx.n)).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, dy):
        return _unsqueeze_reduced(dy / ctx.n if ctx.n else dy, ctx.shape, ctx.dims, ctx.keepdim).expand(ctx.shape)

    @staticmethod
    def raw_backward(ctx, dy):
        g = dy / dy.dtype.type(ctx.n) if ctx.n else dy
        return np.broadcast_to(_raw_unsqueeze_reduced(g, ctx.shape, ctx.dims, ctx.keepdim), ctx.shape)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of ``input`` over ``dim`` (None: all elements; a size-0 reduction gives NaN).
    ``dtype`` converts the input first."""
    _check_tensor(input, "mean")
    if dtype is not None:
        input = input.to(dtype)
    return Mean.apply(input, dim=dim, keepdim=keepdim)


def _correction(op, unbiased, correction):
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{op}(): can't specify both unbiased and correction; use correction only")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _var_forward(ctx, x, dim, keepdim, correction):
    """The variance in the accumulation dtype (float32 for float16 input: the caller rounds)."""
    a = x.array
    _float_only(a, ctx.op)
    ctx.shape, ctx.dims, ctx.keepdim = a.shape, _dims(dim, a.ndim, ctx.op), keepdim
    n = int(np.prod([a.shape[d] for d in ctx.dims], dtype=np.int64))
    ctx.divisor = builtins.max(n - correction, 0)
    if ctx.divisor == 0:
        warnings.warn(f"{ctx.op}(): degrees of freedom is <= 0 (n={n}, correction={correction}); the result "
                      "is NaN or inf. Reduce over more elements or lower the correction.", UserWarning, stacklevel=4)
    a = _wide(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = a - a.mean(axis=ctx.dims, keepdims=True) if n else a
        return np.asarray((d * d).sum(axis=ctx.dims, keepdims=keepdim) / a.dtype.type(ctx.divisor))


def _var_backward(dy, x, ctx):
    g = _unsqueeze_reduced(dy, ctx.shape, ctx.dims, ctx.keepdim)
    centered = x - x.mean(dim=ctx.dims, keepdim=True)
    return (2.0 / ctx.divisor if ctx.divisor else float("inf")) * g * centered


class Var(Function):
    """y = Σ (x - x̄)² / (n - c) over dims;  dx = dy · 2(x - x̄) / (n - c)"""

    @staticmethod
    def jvp(ctx, tx, *_):  # Σ 2(x - x̄)(t - t̄)/(n - c) = Σ 2(x - x̄) t/(n - c), as Σ (x - x̄) = 0
        x = ctx.fw_inputs[0]
        centered = x - x.mean(dim=ctx.dims, keepdim=True)
        return (2.0 / ctx.divisor if ctx.divisor else float("inf")) * (centered * tx).sum(dim=ctx.dims, keepdim=ctx.keepdim)
    op = "var"

    @staticmethod
    def forward(ctx, x, dim, keepdim, correction):
        ctx.save_for_backward(x)
        return _var_forward(ctx, x, dim, keepdim, correction).astype(x.array.dtype, copy=False)

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        return _var_backward(dy, x, ctx)


class Std(Function):
    """y = √var(x);  dx = dy / (2y) · 2(x - x̄) / (n - c)"""

    @staticmethod
    def jvp(ctx, tx, *_):  # d√v = dv / (2√v)
        return Var.jvp(ctx, tx) / (2 * ctx.fw_outputs[0])
    op = "std"

    @staticmethod
    def forward(ctx, x, dim, keepdim, correction):
        y = np.sqrt(_var_forward(ctx, x, dim, keepdim, correction)).astype(x.array.dtype, copy=False)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, y = ctx.saved_tensors
        return _var_backward(where(y == 0, _zeros_like(dy), dy / (2 * y)), x, ctx)


def _var_args(op, dim, unbiased, correction):
    if isinstance(dim, bool):  # var(x, True): the old (input, unbiased) signature
        dim, unbiased = None, dim
    return dim, _correction(op, unbiased, correction)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim`` with Bessel's ``correction`` (default 1; ``unbiased=False`` means 0):
    Σ (x - mean)² / max(0, n - correction)."""
    _check_tensor(input, "var")
    dim, c = _var_args("var", dim, unbiased, correction)
    return Var.apply(input, dim, keepdim, c)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``: √var (same arguments as ``var``)."""
    _check_tensor(input, "std")
    dim, c = _var_args("std", dim, unbiased, correction)
    return Std.apply(input, dim, keepdim, c)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over ``dim``."""
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, _var_args("var_mean", dim, unbiased, correction)[0], keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over ``dim``."""
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, _var_args("std_mean", dim, unbiased, correction)[0], keepdim))


# ---- max, min, amax, amin, argmax, argmin ------------------------------------------------------
_max_result = collections.namedtuple("max", ["values", "indices"])
_min_result = collections.namedtuple("min", ["values", "indices"])


def _extreme(op, input, dim, keepdim, other, arg, pick):
    from .elementwise import maximum, minimum
    _check_tensor(input, op)
    if isinstance(dim, Tensor):  # max(input, other): the element-wise maximum
        other, dim = dim, None
    if other is not None:
        return (maximum if op == "max" else minimum)(input, other)
    a = input.array
    if dim is None:
        _nonempty(a, (), op, True)
        with np.errstate(invalid="ignore"):
            value = np.asarray(pick(a))
        mask = _tie_mask(a, value, tuple(range(a.ndim))) if a.dtype.kind == "f" and _differentiated(input) else None
        return _NODES[op].apply(input, value, mask, tuple(range(a.ndim)), False)
    d = _one_dim(dim, a.ndim, op)
    _nonempty(a, (d,) if a.ndim else (), op, False)
    a1 = a.reshape(1) if a.ndim == 0 else a
    idx = np.expand_dims(arg(a1, axis=d), d)
    values = np.take_along_axis(a1, idx, axis=d)
    mask = None
    if a.dtype.kind == "f" and _differentiated(input):
        mask = np.zeros(a1.shape, a.dtype)
        np.put_along_axis(mask, idx, 1, axis=d)
        mask = mask.reshape(a.shape)
    if not keepdim or a.ndim == 0:
        idx, values = np.squeeze(idx, axis=d), np.squeeze(values, axis=d)
        if a.ndim == 0:
            idx, values = idx.reshape(()), values.reshape(())
    v = _NODES[op].apply(input, values, mask, (d,) if a.ndim else (), keepdim, False)
    result = _max_result if op == "max" else _min_result
    return result(v, wrap_array(idx.astype(np.int64)))


def _nan_arg(fn):
    """argmax/argmin that returns the first NaN like PyTorch (NaN is the extreme)."""
    def arg(a, axis):
        if a.dtype.kind == "f":
            with np.errstate(invalid="ignore"):
                nan = np.isnan(a)
                if nan.any():
                    return np.where(nan.any(axis=axis), np.argmax(nan, axis=axis), fn(a, axis=axis))
        return fn(a, axis=axis)
    return arg


_argmax_nan = _nan_arg(np.argmax)
_argmin_nan = _nan_arg(np.argmin)


def max(input, dim=None, keepdim=False, *, other=None):
    """The largest element (no ``dim``: a 0-d tensor; ties share the gradient evenly), or with
    ``dim`` a ``(values, indices)`` named tuple of the largest elements along ``dim``;
    ``max(input, other_tensor)`` is ``maximum``. NaN propagates."""
    return _extreme("max", input, dim, keepdim, other, _argmax_nan, np.max)


def min(input, dim=None, keepdim=False, *, other=None):
    """The smallest element, or ``(values, indices)`` along ``dim``; see ``max``."""
    return _extreme("min", input, dim, keepdim, other, _argmin_nan, np.min)


def _amax_amin(op, input, dim, keepdim, pick):
    _check_tensor(input, op)
    a = input.array
    dims = _dims(dim, a.ndim, op)
    _nonempty(a, dims, op, False)
    with np.errstate(invalid="ignore"):
        kept = np.asarray(pick(a, axis=dims, keepdims=True))
    mask = _tie_mask(a, kept, dims, nan_equal=False) if a.dtype.kind == "f" and _differentiated(input) else None
    values = kept if keepdim or a.ndim == 0 else kept.reshape([n for i, n in enumerate(kept.shape) if i not in dims])
    return _NODES[op].apply(input, values, mask, dims, keepdim)


def amax(input, dim=(), keepdim=False):
    """The maximum over ``dim`` (int or tuple; ``()`` means all); the gradient is split evenly
    among tied maxima."""
    return _amax_amin("amax", input, dim, keepdim, np.max)


def amin(input, dim=(), keepdim=False):
    """The minimum over ``dim`` (int or tuple; ``()`` means all); the gradient is split evenly
    among tied minima."""
    return _amax_amin("amin", input, dim, keepdim, np.min)


def _arg(op, input, dim, keepdim, arg):
    _check_tensor(input, op)
    a = input.array
    if a.dtype == np.bool_:
        raise RuntimeError(f"{op}(): does not support bool input; convert it first (x.long().{op}())")
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
        i = np.asarray(arg(a.reshape(-1), axis=0), dtype=np.int64)
        return wrap_array(i.reshape((1,) * a.ndim) if keepdim else i)
    d = _one_dim(dim, a.ndim, op)
    _nonempty(a, (d,) if a.ndim else (), op, False)
    if a.ndim == 0:
        return wrap_array(np.zeros((), np.int64))
    i = np.asarray(arg(a, axis=d), dtype=np.int64)
    return wrap_array(np.expand_dims(i, d) if keepdim else i)


def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (of the flattened input when ``dim`` is None); first on ties."""
    return _arg("argmax", input, dim, keepdim, _argmax_nan)


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest element (of the flattened input when ``dim`` is None); first on ties."""
    return _arg("argmin", input, dim, keepdim, _argmin_nan)


# ---- prod --------------------------------------------------------------------------------------
class ProdOthers(Function):
    """yᵢ = Π_{j≠i} xⱼ along dim;  dxₖ = Σ_{i≠k} dyᵢ · Π_{j≠i,k} xⱼ (the same op on an n×n
    matrix, so that every order of derivative exists and zeros in x are handled exactly)"""

    @staticmethod
    def forward(ctx, x, dim):
        a = np.moveaxis(x.array, dim, -1)
        ones = np.ones(a.shape[:-1] + (1,), a.dtype)
        left = np.cumprod(np.concatenate([ones, a[..., :-1]], axis=-1), axis=-1)
        right = np.cumprod(np.concatenate([ones, a[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        ctx.save_for_backward(x)
        ctx.dim = dim
        if a.shape[-1] == 0:
            return np.zeros_like(x.array)
        return np.ascontiguousarray(np.moveaxis(left * right, -1, dim))

    @staticmethod
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        xt, gt = x.movedim(ctx.dim, -1), dy.movedim(ctx.dim, -1)
        n = xt.shape[-1]
        eye = wrap_array(np.eye(n, dtype=np.bool_))
        rows = where(eye, 1.0, xt.unsqueeze(-2).expand(xt.shape[:-1] + (n, n)))  # row i: x with xᵢ = 1
        off = wrap_array(1 - np.eye(n, dtype=x.dtype))
        grad = (gt.unsqueeze(-1) * ProdOthers.apply(rows, rows.ndim - 1) * off).sum(dim=-2)
        return grad.movedim(-1, ctx.dim)


class Prod(Function):
    """y = Π x along dim (or all);  dx = dy · Π of the other elements"""

    @staticmethod
    def forward(ctx, x, dim, keepdim, dtype):
        a = x.array
        ctx.shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        if dtype is None and a.dtype.kind in "biu":
            dtype = np.int64
        axis = None if dim is None else (dim if a.ndim else None)
        out = a.prod(axis=axis, keepdims=keepdim and a.ndim > 0, dtype=dtype)
        if dim is None and keepdim:
            out = np.reshape(out, (1,) * a.ndim)
        out = np.asarray(out)
        ctx.save_for_backward(x, out)  # the output too, as PyTorch (an in-place change of it is an error)
        return out

    @staticmethod
    def backward(ctx, dy):
        x, _ = ctx.saved_tensors
        if ctx.dim is None or x.ndim == 0:
            flat = x.reshape(-1)
            others = ProdOthers.apply(flat, 0).reshape(ctx.shape)
            return dy.reshape(()) * others if x.ndim else dy * others.reshape(dy.shape)
        g = dy if ctx.keepdim else dy.unsqueeze(ctx.dim)
        return g * ProdOthers.apply(x, ctx.dim)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or along one ``dim``. Integer and bool inputs give int64. The
    gradient is exact where elements are zero."""
    _check_tensor(input, "prod")
    if dim is not None:
        dim = _one_dim(dim, input.ndim, "prod")
    if dtype is not None:
        input, dtype = input.to(dtype), None
    return Prod.apply(input, dim, keepdim, dtype)


# ---- logsumexp, softmax, log_softmax -----------------------------------------------------------
def _max_kept(a, axis):
    """The max over ``axis`` kept as size 1 (zeros for an empty input)."""
    axes = (axis,) if isinstance(axis, int) else axis
    with np.errstate(invalid="ignore"):
        return np.max(a, axis=axes, keepdims=True) if a.size else np.zeros(_kept_shape(a.shape, axes), a.dtype)


def _stable_max(a, axis):
    """The max to take out before exponentiating; 0 where it is infinite (logsumexp keeps ±inf)."""
    m = _max_kept(a, axis)
    return np.where(np.isfinite(m), m, 0).astype(a.dtype, copy=False)


class LogSumExp(Function):
    """y = log Σ eˣ over dims (the max is taken out first);  dx = dy · e^(x - y)"""

    @staticmethod
    def jvp(ctx, tx, *_):  # Σ t·softmax(x) over dims
        x, y = ctx.fw_inputs[0], _unsqueeze_reduced(ctx.fw_outputs[0], ctx.shape, ctx.dims, ctx.keepdim)
        return (tx * exp(x - y)).sum(dim=ctx.dims, keepdim=ctx.keepdim)

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        a = _wide(x.array)
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        m = _stable_max(a, dims)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = (np.log(np.exp(a - m).sum(axis=dims, keepdims=True)) + m).astype(x.array.dtype, copy=False)
        y = np.asarray(y if keepdim or a.ndim == 0 else y.reshape([n for i, n in enumerate(y.shape) if i not in dims]))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, y = ctx.saved_tensors
        y = _unsqueeze_reduced(y, ctx.shape, ctx.dims, ctx.keepdim)
        return _unsqueeze_reduced(dy, ctx.shape, ctx.dims, ctx.keepdim) * exp(x - y)


def logsumexp(input, dim, keepdim=False):
    """log Σ exp(input) over ``dim`` (int or tuple), without overflow. Integer inputs are computed
    in the default float dtype."""
    _check_tensor(input, "logsumexp")
    if input.dtype.kind in "biu":
        input = input.to(backend.get_default_dtype())
    return LogSumExp.apply(input, _dims(dim, input.ndim, "logsumexp"), keepdim)


class Softmax(Function):
    """y = eˣ / Σ eˣ along dim;  dx = y · (dy - Σ dy·y)"""

    @staticmethod
    def jvp(ctx, tx, *_):  # the Jacobian is symmetric: J·t is the backward formula at t
        y = ctx.fw_outputs[0]
        return y * (tx - (tx * y).sum(dim=ctx.dim, keepdim=True))

    @staticmethod
    def forward(ctx, x, dim):
        a = _wide(x.array)
        with np.errstate(invalid="ignore"):
            e = np.exp(a - _max_kept(a, dim))
            y = (e / e.sum(axis=dim, keepdims=True)).astype(x.array.dtype, copy=False)
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        return y * (dy - (dy * y).sum(dim=ctx.dim, keepdim=True))


class LogSoftmax(Function):
    """y = x - log Σ eˣ along dim;  dx = dy - eʸ · Σ dy"""

    @staticmethod
    def jvp(ctx, tx, *_):
        y = ctx.fw_outputs[0]
        return tx - (tx * exp(y)).sum(dim=ctx.dim, keepdim=True)

    @staticmethod
    def forward(ctx, x, dim):
        a = x.array
        with np.errstate(invalid="ignore", divide="ignore"):
            if a.dtype == np.float16:  # PyTorch: log Σ eˣ in float32, rounded, then x - it in float16
                w = _wide(a)
                m = _max_kept(w, dim)
                y = a - (m + np.log(np.exp(w - m).sum(axis=dim, keepdims=True))).astype(a.dtype)
            else:
                shifted = a - _max_kept(a, dim)
                y = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        return dy - exp(y) * dy.sum(dim=ctx.dim, keepdim=True)


def _softmax_input(op, input, dim, dtype):
    _check_tensor(input, op)
    if dim is None:
        raise TypeError(f"{op}(): missing the required argument 'dim'; say which dimension sums to one "
                        f"(usually dim=-1)")
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind not in "fc":
        raise RuntimeError(f"{op}(): not implemented for dtype {input.dtype}; convert the input to a floating "
                           f"dtype first (x.float()) or pass dtype=")
    return input, (_one_dim(dim, input.ndim, op) if input.ndim else None)


def softmax(input, dim=None, dtype=None, *, _stacklevel=None):
    """exp(x) / Σ exp(x) along ``dim`` (the max is subtracted first, so nothing overflows)."""
    input, d = _softmax_input("softmax", input, dim, dtype)
    return Softmax.apply(input, d)


def log_softmax(input, dim=None, dtype=None, *, _stacklevel=None):
    """x - log Σ exp(x) along ``dim``, computed without overflow or log(0)."""
    input, d = _softmax_input("log_softmax", input, dim, dtype)
    return LogSoftmax.apply(input, d)


# ---- norm --------------------------------------------------------------------------------------
class Norm(Function):
    """y = (Σ |x|ᵖ)^(1/p) over dims;  dx = dy · sign(x)|x|^(p-1) / y^(p-1) (0 where y = 0);
    p = ±inf selects the largest/smallest |x| (gradient split among ties), p = 0 counts nonzeros"""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        a = x.array
        ctx.shape, ctx.dims, ctx.keepdim, ctx.p = a.shape, dims, keepdim, p
        ab = np.abs(a)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if p == np.inf or p == -np.inf:
                _nonempty(a, dims, "norm", False)
                kept = (np.max if p > 0 else np.min)(ab, axis=dims, keepdims=True)
                y = np.asarray(kept if keepdim or a.ndim == 0 else np.squeeze(kept, axis=dims))
                ctx.save_for_backward(x, y, _tie_mask(ab, kept, dims) * _sign(a) if x.requires_grad else None)
                return y
            ab = _wide(ab)
            if p == 0:
                y = (a != 0).sum(axis=dims, keepdims=keepdim).astype(a.dtype)
            elif p == 1:
                y = ab.sum(axis=dims, keepdims=keepdim)
            elif p == 2:
                y = np.sqrt((ab * ab).sum(axis=dims, keepdims=keepdim))
            else:
                y = (ab ** p).sum(axis=dims, keepdims=keepdim) ** (1 / p)
        y = np.asarray(y, dtype=a.dtype)
        ctx.save_for_backward(x, y, None)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, y, mask = ctx.saved_tensors
        p = ctx.p
        g = _unsqueeze_reduced(dy, ctx.shape, ctx.dims, ctx.keepdim)
        if mask is not None:
            return g * mask
        if p == 0:
            return _zeros_like(x)
        if p == 1:
            return g * x.sign()
        y = _unsqueeze_reduced(y, ctx.shape, ctx.dims, ctx.keepdim)
        zero = _zeros_like(y)
        if p == 2:
            return x * where(y == 0, zero, g / where(y == 0, 1.0, y))
        scale = where(y == 0, zero, g / where(y == 0, 1.0, y) ** (p - 1))
        if p < 1:  # |x|^(p-1) is infinite at x = 0, where PyTorch gives 0
            nz = x != 0
            return where(nz, x.sign() * where(nz, x, 1.0).abs() ** (p - 1), _zeros_like(x)) * scale
        return x.sign() * x.abs() ** (p - 1) * scale


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm of ``input`` over ``dim`` (None: all elements): p = 'fro' or 2 (Euclidean,
    the default), 1, inf, -inf, 0 (count of nonzeros) or any float. The gradient is 0 where the norm
    is 0."""
    _check_tensor(input, "norm")
    _float_only(input.array, "norm")
    if dtype is not None:
        input = input.to(dtype)
    if isinstance(p, str):
        if p != "fro":
            raise ValueError(f"norm: p must be 'fro' or a number (2, 1, inf, -inf, 0, any float), got {p!r}")
        if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) > 2:
            raise RuntimeError(f"norm: the Frobenius norm takes at most 2 dims, got dim={tuple(dim)}")
        p = 2
    p = float(p)
    return Norm.apply(input, p, _dims(dim, input.ndim, "norm"), keepdim)


# ---- cumsum ------------------------------------------------------------------------------------
class Cumsum(Function):
    """yᵢ = Σ_{j≤i} xⱼ along dim;  dx = the reversed cumulative sum of dy"""

    jvp = linear_jvp  # linear in x: the tangent goes through the op itself

    @staticmethod
    def forward(ctx, x, dim, reverse=False, dtype=None):
        a = x.array
        ctx.dim, ctx.reverse, ctx.dtype = dim, reverse, a.dtype
        if dtype is None and a.dtype.kind in "biu":
            dtype = np.int64
        if a.ndim == 0:
            return np.asarray(a, dtype=dtype or a.dtype).copy()
        acc = np.float32 if dtype is None and a.dtype == np.float16 else dtype  # float16 sums in float32
        if reverse:
            y = np.flip(np.flip(a, dim).cumsum(axis=dim, dtype=acc), dim).copy()
        else:
            y = a.cumsum(axis=dim, dtype=acc)
        return y if acc is dtype else y.astype(a.dtype)

    @staticmethod
    def backward(ctx, dy):
        g = Cumsum.apply(dy, ctx.dim, not ctx.reverse)
        return g if g.dtype == ctx.dtype else g.to(ctx.dtype)


def cumsum(input, dim, *, dtype=None):
    """Cumulative sum along ``dim``; integer and bool inputs give int64."""
    _check_tensor(input, "cumsum")
    return Cumsum.apply(input, _one_dim(dim, input.ndim, "cumsum"), False, dtype)


# ---- all, any ----------------------------------------------------------------------------------
def _logical_reduce(op, fn, input, dim, keepdim):
    _check_tensor(input, op)
    a = input.array
    dims = _dims(dim, a.ndim, op)
    out = fn(a, axis=dims, keepdims=keepdim) if a.ndim else fn(a)
    return wrap_array(np.asarray(out, dtype=np.bool_))


def all(input, dim=None, keepdim=False):
    """True where every element over ``dim`` (None: all) is nonzero."""
    return _logical_reduce("all", np.all, input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    """True where some element over ``dim`` (None: all) is nonzero."""
    return _logical_reduce("any", np.any, input, dim, keepdim)


METHODS = {"sum": sum, "mean": mean, "var": var, "std": std, "max": max, "min": min, "amax": amax,
           "amin": amin, "argmax": argmax, "argmin": argmin, "prod": prod, "logsumexp": logsumexp, "norm": norm,
           "cumsum": cumsum, "softmax": softmax, "log_softmax": log_softmax, "all": all, "any": any}
