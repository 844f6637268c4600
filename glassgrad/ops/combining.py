"""Joining, repeating and broadcasting tensors: ``hstack``, ``vstack``, ``dstack``, ``column_stack``,
``atleast_1d/2d/3d``, ``fliplr``, ``flipud``, ``meshgrid``, ``repeat_interleave``,
``broadcast_tensors``, ``cartesian_prod``. Each is written with shape and indexing ops, whose
gradients it inherits."""
import warnings

import numpy as np

from ..autograd.tensor import Tensor, normalize_dim, wrap_array
from .indexing import index_select
from .shape import cat, flip, stack

__all__ = ["hstack", "vstack", "row_stack", "dstack", "column_stack", "atleast_1d", "atleast_2d", "atleast_3d",
           "fliplr", "flipud", "meshgrid", "repeat_interleave", "broadcast_tensors", "cartesian_prod"]


def _tensors(op, tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' must be a tuple or list of Tensors, not "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{op}(): expects a non-empty TensorList")
    return list(tensors)


def _atleast(op, ndim, tensors):
    def one(t):
        if t.ndim >= ndim:
            return t
        if ndim == 1 or t.ndim == 0:
            return t.reshape((1,) * ndim)
        if ndim == 2:
            return t.unsqueeze(0)
        return t.reshape(1, -1, 1) if t.ndim == 1 else t.unsqueeze(-1)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(one(t) for t in tensors[0])
    out = tuple(one(t) for t in tensors)
    return out[0] if len(out) == 1 else out


def atleast_1d(*tensors):
    """Each tensor with at least 1 dimension (0-d tensors become shape (1,))."""
    return _atleast("atleast_1d", 1, tensors)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dimensions (a vector becomes one row)."""
    return _atleast("atleast_2d", 2, tensors)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dimensions ((n,) becomes (1, n, 1); (m, n) becomes (m, n, 1))."""
    return _atleast("atleast_3d", 3, tensors)


def hstack(tensors):
    """Tensors joined column-wise: along dim 1, or dim 0 for 1-D tensors."""
    ts = [atleast_1d(t) for t in _tensors("hstack", tensors)]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    """Tensors joined row-wise (along dim 0, 1-D tensors becoming rows)."""
    return cat([atleast_2d(t) for t in _tensors("vstack", tensors)], 0)


row_stack = vstack


def dstack(tensors):
    """Tensors joined depth-wise (along dim 2, after ``atleast_3d``)."""
    return cat([atleast_3d(t) for t in _tensors("dstack", tensors)], 2)


def column_stack(tensors):
    """Tensors joined as columns: 0-d and 1-D tensors become columns, then ``hstack``."""
    ts = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in _tensors("column_stack", tensors)]
    return cat(ts, 1)


def fliplr(input):
    """``input`` with its columns (dim 1) in reverse order; needs at least 2 dimensions."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr(): Input must be >= 2-d, got shape {tuple(input.shape)}")
    return flip(input, 1)


def flipud(input):
    """``input`` with its rows (dim 0) in reverse order; needs at least 1 dimension."""
    if input.ndim < 1:
        raise RuntimeError("flipud(): Input must be >= 1-d, got a 0-d tensor")
    return flip(input, 0)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D (or 0-d) tensors: output i varies along dim i ('ij', the default);
    with ``indexing='xy'`` the first two inputs are taken in swapped order (Cartesian: the grids
    have shape (len(y), len(x), ...))."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid(): indexing must be one of 'xy' or 'ij', but received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid(): expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid(): Expected 0D or 1D tensor in the tensor list but got shape "
                               f"{tuple(t.shape)}")
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(f"meshgrid(): expects all tensors to have the same dtype, got {tensors[0].dtype} and "
                               f"{t.dtype}")
    ts = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    grids = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = shape[i]
        grids.append(t.reshape(view).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (slice along ``dim``; None: of the flattened input) repeated ``repeats`` times
    (an int, or a tensor with one count per element). ``repeat_interleave(counts)`` alone gives
    ``0`` repeated counts[0] times, ``1`` counts[1] times, ..."""
    if repeats is None:
        counts = input.array
        if counts.ndim > 1 or counts.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave(): repeats must be a 0-d or 1-d integer tensor, got shape "
                               f"{tuple(counts.shape)} and dtype {counts.dtype}")
        if (counts < 0).any():
            raise RuntimeError("repeat_interleave(): repeats can not be negative")
        return wrap_array(np.repeat(np.arange(counts.size), counts.reshape(-1)).astype(np.int64))
    if dim is None:
        input, d = input.reshape(-1), 0
    else:
        d = normalize_dim(dim, max(input.ndim, 1), "repeat_interleave")
        if input.ndim == 0:
            input = input.reshape(1)
    n = input.shape[d]
    if isinstance(repeats, Tensor):
        r = repeats.array
        if r.ndim > 1 or r.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave(): repeats must be a 0-d or 1-d integer tensor, got shape "
                               f"{tuple(r.shape)} and dtype {r.dtype}")
        r = r.reshape(-1)
        if r.size != 1 and r.size != n:
            raise RuntimeError(f"repeat_interleave(): repeats must have the same size as input along dim {d}, but "
                               f"got repeats.size(0) = {r.size} and input.size({d}) = {n}")
    else:
        r = np.asarray([repeats])
    if (r < 0).any():
        raise RuntimeError("repeat_interleave(): repeats can not be negative")
    index = np.repeat(np.arange(n), np.broadcast_to(r, (n,)))
    if output_size is not None and output_size != len(index):
        raise RuntimeError(f"repeat_interleave(): output_size={output_size} does not match the total of the repeats "
                           f"({len(index)})")
    return index_select(input, d, wrap_array(index.astype(np.int64)))


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views sharing memory)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    try:
        shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    except ValueError:
        raise RuntimeError(f"broadcast_tensors(): the shapes {[tuple(t.shape) for t in tensors]} cannot be "
                           "broadcast together (sizes must match or be 1 in each dimension, aligned from the right)") \
            from None
    return tuple(t if tuple(t.shape) == shape else t.expand(shape) for t in tensors)


def cartesian_prod(*tensors):
    """The Cartesian product of 1-D tensors: one row per combination (a single tensor is returned as
    it is)."""
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod(): Expect a 1D vector, but got shape {tuple(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


METHODS = {"fliplr": fliplr, "flipud": flipud, "repeat_interleave": repeat_interleave}
