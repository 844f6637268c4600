"""Order statistics and counts: ``median``, ``nanmedian``, ``mode``, ``quantile``, ``nanquantile``,
``cov``, ``corrcoef``, ``histc``, ``bincount``, ``count_nonzero``.

Selected values are gathered from the input (their gradient goes to the element they came from);
``median()`` over all elements splits its gradient evenly among the elements equal to it, as
PyTorch does; quantiles interpolate between two gathered order statistics with ``lerp``."""
import collections
import warnings

import numpy as np

from .. import backend
from ..autograd.tensor import Tensor, normalize_dim, wrap_array
from ._util import normalize_dims
from .elementwise import clamp, lerp, sqrt, where
from .indexing import gather
from .reduction import _Masked, _tie_mask
from .sorting import order

__all__ = ["median", "nanmedian", "mode", "quantile", "nanquantile", "cov", "corrcoef", "histc", "bincount",
           "count_nonzero"]

median_result = collections.namedtuple("median", ["values", "indices"])
nanmedian_result = collections.namedtuple("nanmedian", ["values", "indices"])
mode_result = collections.namedtuple("mode", ["values", "indices"])


class Median(_Masked):
    """y = the middle element of x;  dx = dy split evenly among the elements equal to y"""


def _check(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")


def _middle_index(a, axis, skip_nan):
    """The index (along ``axis``, kept as size 1) of the lower median: NaN wins unless ``skip_nan``."""
    perm = order(a, axis)
    if a.dtype.kind == "f":
        nans = np.isnan(a).sum(axis=axis, keepdims=True)
    else:
        nans = np.zeros([1 if i == axis else n for i, n in enumerate(a.shape)], np.int64)
    n = a.shape[axis]
    if skip_nan:
        pos = np.maximum((n - nans - 1) // 2, 0)
    else:  # a slice holding NaN has median NaN: its first NaN in sorted order
        pos = np.where(nans > 0, n - nans, (n - 1) // 2)
    return np.take_along_axis(perm, pos, axis=axis)


def _median(op, input, dim, keepdim, skip_nan, result):
    _check(input, op)
    a = input.array
    if dim is None:
        if a.size == 0:
            if a.dtype.kind != "f":
                raise RuntimeError(f"{op}(): cannot compute the median of an empty {a.dtype} tensor")
            return wrap_array(np.asarray(np.nan, a.dtype))
        flat = a.reshape(-1)
        value = flat[_middle_index(flat, 0, skip_nan)[0]]
        mask = _tie_mask(flat, np.asarray(value), (0,)).reshape(a.shape) \
            if a.dtype.kind == "f" and input.requires_grad else None
        return Median.apply(input, np.asarray(value), mask, tuple(range(a.ndim)), False)
    d = normalize_dim(dim, max(a.ndim, 1), op)
    if a.ndim == 0:
        return result(input.clone() if input.requires_grad else wrap_array(a.copy()), wrap_array(np.zeros((), np.int64)))
    if a.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size (shape {tuple(a.shape)})")
    idx = wrap_array(_middle_index(a, d, skip_nan))
    values = gather(input, d, idx)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return result(values, idx)


def median(input, dim=None, keepdim=False):
    """The lower median of all elements (a 0-d tensor), or with ``dim`` a ``(values, indices)`` named
    tuple along ``dim``. NaN propagates (see ``nanmedian``)."""
    return _median("median", input, dim, keepdim, False, median_result)


def nanmedian(input, dim=None, keepdim=False):
    """``median`` ignoring NaN (NaN only where a slice holds nothing else)."""
    return _median("nanmedian", input, dim, keepdim, True, nanmedian_result)


def mode(input, dim=-1, keepdim=False):
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest among equally
    frequent ones) and the index of its last occurrence."""
    _check(input, "mode")
    a = input.array
    d = normalize_dim(dim, max(a.ndim, 1), "mode")
    if a.ndim == 0:
        return mode_result(input.clone() if input.requires_grad else wrap_array(a.copy()),
                           wrap_array(np.zeros((), np.int64)))
    if a.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size (shape {tuple(a.shape)})")
    rows = np.moveaxis(a, d, -1).reshape(-1, a.shape[d])
    idx = np.empty(len(rows), np.int64)
    for r, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)
        best = values[np.argmax(counts)]
        hits = np.flatnonzero((row == best) | (np.isnan(row) & np.isnan(best)) if a.dtype.kind == "f" else row == best)
        idx[r] = hits[-1]
    kept = list(np.moveaxis(a, d, -1).shape[:-1])
    index = wrap_array(np.moveaxis(idx.reshape(kept + [1]), -1, d))
    values = gather(input, d, index)
    if not keepdim:
        values, index = values.squeeze(d), index.squeeze(d)
    return mode_result(values, index)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(op, input, q, dim, keepdim, interpolation, skip_nan):
    _check(input, op)
    a = input.array
    if a.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype, got {a.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest. Found "
                           f"{interpolation!r}")
    if isinstance(q, Tensor):
        if q.dtype != input.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor (input {input.dtype}, q "
                               f"{q.dtype})")
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor, got shape {tuple(q.shape)}")
        qs, scalar_q = q.array.reshape(-1).astype(np.float64), q.ndim == 0
    else:
        qs, scalar_q = np.asarray([q], np.float64), True
    if ((qs < 0) | (qs > 1)).any():
        raise RuntimeError(f"{op}() q values must be in the range [0, 1], got {qs.tolist()}")
    if a.size == 0:
        raise IndexError(f"{op}() input tensor must be non-empty (shape {tuple(a.shape)})")
    if dim is None:
        x, kept = input.reshape(1, -1), [1] * a.ndim
    else:
        d = normalize_dim(dim, max(a.ndim, 1), op)
        x = input.reshape(1, 1) if a.ndim == 0 else input.movedim(d, -1)
        kept = [1 if i == d else n for i, n in enumerate(a.shape)] if a.ndim else []
        x = x.reshape(-1, x.shape[-1])
    rows = x.array
    s = gather(x, 1, wrap_array(order(rows, 1)))                      # (R, n) sorted, NaN last
    nans = np.isnan(rows).sum(axis=1, keepdims=True)
    count = rows.shape[1] - nans if skip_nan else np.full_like(nans, rows.shape[1])
    rank = qs[None, :] * np.maximum(count - 1, 0)                      # (R, Q)
    if interpolation == "lower":
        rank = np.floor(rank)
    elif interpolation == "higher":
        rank = np.ceil(rank)
    elif interpolation == "nearest":
        rank = np.round(rank)
    lo, hi = np.floor(rank).astype(np.int64), np.ceil(rank).astype(np.int64)
    below, above = gather(s, 1, wrap_array(lo)), gather(s, 1, wrap_array(hi))
    if interpolation == "midpoint":
        weight = wrap_array(np.where(lo == hi, 0.0, 0.5).astype(rows.dtype))
    elif interpolation == "linear" and isinstance(q, Tensor) and q.requires_grad:  # the weight depends on q
        weight = q.reshape(1, -1) * wrap_array(np.maximum(count - 1, 0).astype(rows.dtype)) - \
            wrap_array(lo.astype(rows.dtype))
    else:
        weight = wrap_array((rank - lo).astype(rows.dtype))
    out = lerp(below, above, weight)
    undefined = (count == 0) if skip_nan else (nans > 0)
    if undefined.any():
        out = where(wrap_array(np.broadcast_to(undefined, out.shape)), float("nan"), out)
    if dim is None or a.ndim == 0:
        shape = kept if keepdim else []
    else:
        shape = kept if keepdim else [n for i, n in enumerate(a.shape) if i != d]
    out = out.movedim(-1, 0).reshape([len(qs)] + shape)
    return out[0] if scalar_q else out


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-th quantiles (q a number or 1-D tensor in [0, 1]) of all elements or along ``dim``;
    with a 1-D ``q`` the quantiles make a new first dimension. ``interpolation``: 'linear',
    'lower', 'higher', 'midpoint' or 'nearest'. A slice holding NaN gives NaN."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` ignoring NaN (NaN only where a slice holds nothing else)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns; a 1-D input is one variable, giving a 0-d result). ``fweights``: integer frequency of
    each observation; ``aweights``: its importance; ``correction``: 1 for Bessel's correction."""
    _check(input, "cov")
    if input.ndim > 2:
        raise ValueError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                         f"{input.ndim} dimensions (shape {tuple(input.shape)})")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if x.dtype.kind in "biu":
        x = x.to(backend.get_default_dtype())
    n = x.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        if wt.ndim > 1 or wt.numel() != n:
            raise RuntimeError(f"cov(): expected {name} to have one dimension and {n} elements (one per "
                               f"observation), got shape {tuple(wt.shape)}")
        if name == "fweights" and wt.dtype.kind not in "iu":
            raise RuntimeError(f"cov(): expected fweights to have integral dtype, got {wt.dtype}")
        if name == "aweights" and wt.dtype.kind != "f":
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype, got {wt.dtype}")
        if (wt.array < 0).any():
            raise RuntimeError(f"cov(): {name} cannot be negative")
        w = wt if w is None else w * wt
    if w is None:
        avg = x.mean(1)
        norm = float(n - correction)
        xm = x - avg.unsqueeze(1)
        c = xm @ xm.mT
    else:
        w = w.to(x.dtype)
        wsum = w.sum()
        avg = (x * w).sum(1) / wsum
        norm = wsum - correction * ((w * aweights).sum() / wsum) if aweights is not None and correction else \
            wsum - correction
        xm = x - avg.unsqueeze(1)
        c = (xm * w) @ xm.mT
    if (norm.array <= 0).any() if isinstance(norm, Tensor) else norm <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
    norm = clamp(norm, min=0) if isinstance(norm, Tensor) else max(norm, 0.0)
    c = c / norm
    return c.reshape(()) if input.ndim < 2 else c


def corrcoef(input):
    """The Pearson correlation coefficients of the variables in the rows of ``input`` (clipped to
    [-1, 1])."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = sqrt(c.diagonal())
    c = c / std.unsqueeze(1) / std.unsqueeze(0)
    return clamp(c, -1, 1)


def histc(input, bins=100, min=0, max=0):
    """A histogram of ``input`` with ``bins`` equal-width bins between ``min`` and ``max`` (both 0: the
    data's minimum and maximum); elements outside are ignored. Not differentiable."""
    _check(input, "histc")
    a = input.array
    if a.dtype.kind != "f":
        raise RuntimeError(f"histc(): not implemented for dtype {a.dtype}; convert the input to float first")
    if bins <= 0:
        raise RuntimeError(f"histc(): bins must be > 0, got {bins}")
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"histc(): max must be larger than min, got min={min}, max={max}")
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"histc(): range of [{lo}, {hi}] is not finite")
    x = a.reshape(-1).astype(np.float64)
    x = x[(x >= lo) & (x <= hi)]
    b = np.minimum(((x - lo) * bins / (hi - lo)).astype(np.int64), bins - 1)
    return wrap_array(np.bincount(b, minlength=bins).astype(a.dtype))


def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ... occurs in the 1-D non-negative integer tensor ``input`` (summing
    ``weights`` instead of counting when given); at least ``minlength`` bins."""
    _check(input, "bincount")
    a = input.array
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise RuntimeError(f"bincount(): only 1-d non-negative integral inputs are supported, got shape "
                           f"{tuple(a.shape)} and dtype {a.dtype}")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount(): input should contain only non-negative integers, got a negative value")
    if minlength < 0:
        raise RuntimeError(f"bincount(): minlength should be >= 0, got {minlength}")
    if weights is None:
        return wrap_array(np.bincount(a, minlength=minlength).astype(np.int64))
    if tuple(weights.shape) != tuple(a.shape):
        raise RuntimeError(f"bincount(): weights should be 1-d and have the same length as input, got input "
                           f"{tuple(a.shape)} and weights {tuple(weights.shape)}")
    wd = weights.array.dtype
    out_dtype = wd if wd in (np.float32, np.float64) else np.float64
    return wrap_array(np.bincount(a, weights=weights.array.astype(np.float64), minlength=minlength).astype(out_dtype))


def count_nonzero(input, dim=None):
    """The number of nonzero elements over ``dim`` (int or tuple; None: all), as int64."""
    _check(input, "count_nonzero")
    a = input.array
    dims = normalize_dims(dim, a.ndim, "count_nonzero") if a.ndim else ()
    return wrap_array(np.asarray(np.count_nonzero(a, axis=dims) if a.ndim else int(a != 0), np.int64))


METHODS = {"median": median, "nanmedian": nanmedian, "mode": mode, "quantile": quantile, "nanquantile": nanquantile,
           "cov": cov, "corrcoef": corrcoef, "histc": histc, "bincount": bincount, "count_nonzero": count_nonzero}
