"""nn.functional: 3-d max and average pooling and adaptive pooling of any rank
(``max_pool3d``, ``avg_pool3d``, ``adaptive_max_pool1d/2d/3d``, ``adaptive_avg_pool3d``).

Max pooling picks, for each window, the flat position of its (first) maximum from the values, then
gathers the input there with the ``gather`` op, whose backward scatters the gradient back and is
itself differentiable. Windows of any shape (strided, dilated, padded, ceil_mode, or the uneven
bins of adaptive pooling) are described by one index table per spatial dim, so one routine serves
them all. Average pooling and adaptive average pooling are separable linear maps: one matrix
product per spatial dim (``matmul``'s backward is the transposed product).
"""
import math

import numpy as np

from ...autograd.tensor import Tensor, wrap_array
from .convolution import ntuple
from .pool import _bins

__all__ = ["max_pool3d", "avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
           "adaptive_avg_pool3d"]


def _check(op, x, nd):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be a Tensor, not {type(x).__name__}")
    if x.ndim not in (nd + 1, nd + 2):
        dims = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)", 3: "(N, C, D, H, W) or (C, D, H, W)"}[nd]
        raise RuntimeError(f"{op}: expected a {nd + 1}-d or {nd + 2}-d input {dims}, got shape {tuple(x.shape)}")
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}; use x.float()")
    if min(x.shape[-nd:]) <= 0:
        raise RuntimeError(f"{op}: expected non-empty spatial dims, got input shape {tuple(x.shape)}")


def _window_max(x, tables):
    """(values, flat indices) of the maximum over each window. ``tables`` holds per spatial dim
    an (out, L) int array of input positions, -1 where a window has no element there (padding,
    ceil_mode overhang, shorter adaptive bins). The first maximum wins; NaN wins over numbers."""
    a = x.array
    nd = len(tables)
    sizes = a.shape[2:]
    key, valid, flat = [slice(None), slice(None)], None, 0
    for d, t in enumerate(tables):
        shape = [1] * (2 * nd)
        shape[d], shape[nd + d] = t.shape
        idx = t.reshape(shape)
        ok = idx >= 0
        key.append(np.where(ok, idx, 0))
        valid = ok if valid is None else valid & ok
        flat = flat * sizes[d] + np.where(ok, idx, 0)
    windows = np.where(valid, a[tuple(key)], -np.inf)             # (N, C, *out, *L)
    out = windows.shape[2:2 + nd]
    windows = windows.reshape(a.shape[:2] + out + (-1,))
    nan = np.isnan(windows)
    arg = np.where(nan.any(-1), nan.argmax(-1), windows.argmax(-1))
    flat = np.broadcast_to(flat, out + flat.shape[nd:]).reshape(out + (-1,))
    index = np.take_along_axis(np.broadcast_to(flat, a.shape[:2] + flat.shape), arg[..., None], -1)[..., 0]
    n, c = a.shape[:2]
    values = x.reshape(n, c, -1).gather(2, wrap_array(index.reshape(n, c, -1))).reshape((n, c) + out)
    return values, index


def _batched(x, nd):
    return (x, True) if x.ndim == nd + 2 else (x.unsqueeze(0), False)


def _finish(values, index, batched, return_indices):
    if not batched:
        values, index = values.squeeze(0), index[0]
    return (values, wrap_array(np.ascontiguousarray(index, dtype=np.int64))) if return_indices else values


# ---- max pooling ---------------------------------------------------------------------------------
def _pool_table(op, size, k, s, p, d, ceil_mode):
    """The (out, k) table of input positions of each window along one dim (PyTorch's output size
    rule, ceil_mode windows must start inside the input or the left padding)."""
    if k < 1 or s < 1 or d < 1 or p < 0:
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be positive and padding non-negative, got "
                           f"kernel_size={k}, stride={s}, padding={p}, dilation={d}")
    if p > k // 2:
        raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={p}, "
                           f"kernel_size={k}")
    span = size + 2 * p - d * (k - 1) - 1
    if span < 0:
        raise RuntimeError(f"{op}: kernel size {k} (dilation {d}) is larger than the padded input size {size + 2 * p}; "
                           "use a smaller kernel or more padding")
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    pos = np.arange(out)[:, None] * s - p + np.arange(k)[None, :] * d
    return np.where((pos >= 0) & (pos < size), pos, -1)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-d max pooling; padding counts as -inf. ``stride`` defaults to ``kernel_size``. With
    ``return_indices``, also the flat index (into D·H·W) of each maximum.

    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out) with
        D_out = (D + 2·pD - dD·(kD-1) - 1) / sD + 1, rounded down (up with ceil_mode)."""
    op = "max_pool3d"
    _check(op, input, 3)
    k = ntuple(kernel_size, 3, "kernel_size", op)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else ntuple(stride, 3, "stride", op)
    p, d = ntuple(padding, 3, "padding", op), ntuple(dilation, 3, "dilation", op)
    x, batched = _batched(input, 3)
    tables = [_pool_table(op, n, *args, ceil_mode) for n, *args in zip(x.shape[2:], k, s, p, d)]
    values, index = _window_max(x, tables)
    return _finish(values, index, batched, return_indices)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-d average pooling (zero padding; ``count_include_pad`` counts it in the divisor).

    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out), sizes as in ``max_pool3d``."""
    op = "avg_pool3d"
    _check(op, input, 3)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    k = ntuple(kernel_size, 3, "kernel_size", op)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else ntuple(stride, 3, "stride", op)
    p = ntuple(padding, 3, "padding", op)
    x, batched = _batched(input, 3)
    sums, full, inside = [], [], []
    for n, kk, ss, pp in zip(x.shape[2:], k, s, p):
        table = _pool_table(op, n, kk, ss, pp, 1, ceil_mode)
        m = np.zeros((table.shape[0], n))
        rows = np.repeat(np.arange(table.shape[0]), kk)
        ok = table.reshape(-1) >= 0
        m[rows[ok], table.reshape(-1)[ok]] = 1
        start = np.arange(table.shape[0]) * ss - pp
        full.append(np.minimum(start + kk, n + pp) - start)
        inside.append(ok.reshape(table.shape).sum(1))
        sums.append(m)
    y = _apply(x, sums)
    if divisor_override:
        return y / divisor_override if batched else (y / divisor_override).squeeze(0)
    counts = full if count_include_pad else inside
    div = counts[0][:, None, None] * counts[1][None, :, None] * counts[2][None, None, :]
    y = y / wrap_array(div.astype(x.dtype))
    return y if batched else y.squeeze(0)


def _apply(x, matrices):
    """x with spatial dim d multiplied by matrices[d] (out_d, in_d)."""
    for d, m in enumerate(matrices):
        axis = 2 + d
        x = (x.transpose(axis, -1) @ wrap_array(np.ascontiguousarray(m.T).astype(x.dtype))).transpose(axis, -1)
    return x


# ---- adaptive pooling ----------------------------------------------------------------------------
def _output_size(op, output_size, x, nd):
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise RuntimeError(f"{op}: output_size must have {nd} elements, got {output_size}")
    out = tuple(n if o is None else int(o) for n, o in zip(x.shape[-nd:], output_size))
    if min(out) < 1:
        raise RuntimeError(f"{op}: output size {out} must be positive")
    return out


def _bin_table(size, out):
    """(out, L) table of the positions of bin i = [floor(i·size/out), ceil((i+1)·size/out))."""
    starts = (np.arange(out) * size) // out
    ends = -(-((np.arange(out) + 1) * size) // out)
    length = int((ends - starts).max())
    pos = starts[:, None] + np.arange(length)[None, :]
    return np.where(pos < ends[:, None], pos, -1)


def _adaptive_max(op, input, output_size, return_indices, nd):
    _check(op, input, nd)
    out = _output_size(op, output_size, input, nd)
    x, batched = _batched(input, nd)
    values, index = _window_max(x, [_bin_table(n, o) for n, o in zip(x.shape[2:], out)])
    return _finish(values, index, batched, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling to a fixed output length over bins [floor(i·L/out), ceil((i+1)·L/out)).

    Shape: (N, C, L) or (C, L) -> (N, C, output_size)."""
    return _adaptive_max("adaptive_max_pool1d", input, output_size, return_indices, 1)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (None keeps that input size); indices are flat in H·W.

    Shape: (N, C, H, W) or (C, H, W) -> (N, C, oH, oW)."""
    return _adaptive_max("adaptive_max_pool2d", input, output_size, return_indices, 2)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size; indices are flat in D·H·W.

    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, oD, oH, oW)."""
    return _adaptive_max("adaptive_max_pool3d", input, output_size, return_indices, 3)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling to a fixed output size: one averaging matrix product per spatial dim.

    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, oD, oH, oW)."""
    op = "adaptive_avg_pool3d"
    _check(op, input, 3)
    out = _output_size(op, output_size, input, 3)
    x, batched = _batched(input, 3)
    y = _apply(x, [_bins(n, o, np.float64) for n, o in zip(x.shape[2:], out)])
    return y if batched else y.squeeze(0)
