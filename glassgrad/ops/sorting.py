"""Sorting and selection: ``sort``, ``argsort``, ``msort``, ``topk``, ``kthvalue``, ``unique``,
``unique_consecutive``, ``searchsorted``, ``bucketize``.

The order is found on arrays (NumPy's stable sort, NaN ordered above every number as in PyTorch);
the values are then taken from the input with ``gather``, so their gradient goes back to the
elements they came from, through an op that is itself differentiable."""
import collections

import numpy as np

from ..autograd.tensor import Tensor, normalize_dim, wrap_array
from .indexing import gather

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "unique", "unique_consecutive", "searchsorted",
           "bucketize"]

sort_result = collections.namedtuple("sort", ["values", "indices"])
topk_result = collections.namedtuple("topk", ["values", "indices"])
kthvalue_result = collections.namedtuple("kthvalue", ["values", "indices"])


def _check_tensor(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")


def _dim(x, dim, op):
    """``dim`` normalized (a 0-d tensor accepts 0 and -1)."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    return normalize_dim(int(dim), max(x.ndim, 1), op)


def order(a, axis, descending=False):
    """The stable sorting permutation of array ``a`` along ``axis`` (NaN above every number; in
    descending order equal elements keep their order, as PyTorch's stable sort does)."""
    if a.dtype == np.bool_:
        a = a.astype(np.uint8)
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    rev = np.flip(a, axis)
    return np.flip(n - 1 - np.argsort(rev, axis=axis, kind="stable"), axis)


def _take(input, d, idx):
    """(values, indices) of ``input`` at the array ``idx`` along ``d`` (0-d inputs stay 0-d)."""
    if input.ndim == 0:
        return input.clone() if input.requires_grad else wrap_array(input.array.copy()), \
            wrap_array(np.zeros((), np.int64))
    i = wrap_array(np.ascontiguousarray(idx, dtype=np.int64))
    return gather(input, d, i), i


def sort(input, dim=-1, descending=False, stable=False):
    """``(values, indices)`` of ``input`` sorted along ``dim`` (ascending unless ``descending``); the
    sort is always stable, NaN sorts above every number. The gradient flows back to each value's
    source element."""
    _check_tensor(input, "sort")
    d = _dim(input, dim, "sort")
    if input.ndim == 0:
        return sort_result(*_take(input, 0, None))
    return sort_result(*_take(input, d, order(input.array, d, descending)))


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort ``input`` along ``dim`` (int64; see ``sort``)."""
    return sort(input, dim, descending, stable).indices


def msort(input):
    """``input`` sorted along its first dimension."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements along ``dim``,
    in sorted order."""
    _check_tensor(input, "topk")
    d = _dim(input, dim, "topk")
    n = input.shape[d] if input.ndim else 1
    if not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k={k} out of range for dimension {d} of size {n} (shape "
                           f"{tuple(input.shape)}); k must be in [0, {n}]")
    if input.ndim == 0:
        return topk_result(*_take(input, 0, None))
    idx = np.take(order(input.array, d, largest), np.arange(k), axis=d)
    return topk_result(*_take(input, d, idx))


def kthvalue(input, k, dim=-1, keepdim=False):
    """``(values, indices)`` of the ``k``-th smallest element (``k`` from 1) along ``dim``."""
    _check_tensor(input, "kthvalue")
    d = _dim(input, dim, "kthvalue")
    n = input.shape[d] if input.ndim else 1
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k={k} out of range for dimension {d} of size {n} "
                           f"(shape {tuple(input.shape)}); k must be in [1, {n}]")
    if input.ndim == 0:
        return kthvalue_result(*_take(input, 0, None))
    idx = np.take(order(input.array, d), [k - 1], axis=d)
    values, indices = _take(input, d, idx)
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return kthvalue_result(values, indices)


def _unique_outputs(values, inverse, counts, return_inverse, return_counts, shape):
    out = [wrap_array(np.ascontiguousarray(values))]
    if return_inverse:
        out.append(wrap_array(np.asarray(inverse, np.int64).reshape(shape)))
    if return_counts:
        out.append(wrap_array(np.asarray(counts, np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements of ``input`` in ascending order (with ``dim``: the distinct slices along
    ``dim``); optionally the index of each input element in that list and how often each occurs.
    Not differentiable."""
    _check_tensor(input, "unique")
    a = input.array
    if dim is None:
        values, inverse, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        return _unique_outputs(values, inverse, counts, return_inverse, return_counts, a.shape)
    d = normalize_dim(dim, a.ndim, "unique")
    if a.shape[d] == 0 and a.size == 0 and a.ndim > 1 and any(n == 0 for i, n in enumerate(a.shape) if i != d):
        raise RuntimeError(f"unique(): number of elements of the other dimensions must be nonzero to take "
                           f"unique slices along dim {d} (shape {tuple(a.shape)})")
    values, inverse, counts = np.unique(a, axis=d, return_inverse=True, return_counts=True)
    return _unique_outputs(values, inverse.reshape(-1), counts, return_inverse, return_counts, (a.shape[d],))


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """``input`` with each run of equal consecutive elements (slices along ``dim``) reduced to one."""
    _check_tensor(input, "unique_consecutive")
    a = input.array
    if dim is None:
        flat = a.reshape(-1)
        starts = np.concatenate([[True], flat[1:] != flat[:-1]]) if flat.size else np.zeros(0, bool)
        values, shape = flat[starts], a.shape
    else:
        d = normalize_dim(dim, a.ndim, "unique_consecutive")
        moved = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
        starts = np.concatenate([[True], (moved[1:] != moved[:-1]).any(axis=1)]) if len(moved) else np.zeros(0, bool)
        values, shape = np.compress(starts, a, axis=d), (a.shape[d],)
    inverse = np.cumsum(starts) - 1
    counts = np.diff(np.append(np.flatnonzero(starts), len(starts)))
    return _unique_outputs(values, inverse, counts, return_inverse, return_counts, shape)


def _side(right, side, op):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"{op}(): side can only be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise RuntimeError(f"{op}(): side and right can't be set to opposites, got side of left while right "
                               "was True")
        return side
    return "right" if right else "left"


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """For each value of ``input``, the index at which it would be inserted into ``sorted_sequence``
    (sorted along its last dimension) to keep it sorted: the first such index, or the last with
    ``right=True``/``side='right'``. A 1-D sequence serves every value; otherwise the leading
    dimensions of the sequence and of ``input`` must match."""
    _check_tensor(sorted_sequence, "searchsorted")
    s = sorted_sequence.array
    scalar = not isinstance(input, Tensor)
    v = np.asarray(input.array if not scalar else input)
    how = _side(right, side, "searchsorted")
    if sorter is not None:
        if tuple(sorter.shape) != tuple(s.shape):
            raise RuntimeError(f"searchsorted(): boundary and sorter must have the same size, but got boundary "
                               f"shape {tuple(s.shape)} and sorter shape {tuple(sorter.shape)}")
        s = np.take_along_axis(s, sorter.array, axis=-1)
    if s.ndim == 0:
        raise RuntimeError("searchsorted(): boundaries tensor should have positive dimension, but got 0 dimension")
    if s.ndim == 1:
        out = np.searchsorted(s, v, side=how)
    else:
        if scalar or v.ndim != s.ndim or v.shape[:-1] != s.shape[:-1]:
            raise RuntimeError(f"searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               f"dimensions of boundaries tensor and input value tensor must match, but we got "
                               f"boundaries tensor {list(s.shape)} and input value tensor {list(v.shape)}")
        rows_s, rows_v = s.reshape(-1, s.shape[-1]), v.reshape(-1, v.shape[-1])
        out = np.stack([np.searchsorted(r, q, side=how) for r, q in zip(rows_s, rows_v)]).reshape(v.shape) \
            if rows_s.shape[0] else np.zeros(v.shape, np.int64)
    return wrap_array(np.asarray(out, dtype=np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each element of ``input`` given 1-D ascending ``boundaries``: the i with
    ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``: ``boundaries[i-1] <= x < boundaries[i]``)."""
    _check_tensor(boundaries, "bucketize")
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize(): boundaries tensor must be 1 dimension, but got dim({boundaries.ndim}) "
                           f"(shape {tuple(boundaries.shape)})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


METHODS = {"sort": sort, "argsort": argsort, "msort": msort, "topk": topk, "kthvalue": kthvalue, "unique": unique,
           "unique_consecutive": unique_consecutive}
