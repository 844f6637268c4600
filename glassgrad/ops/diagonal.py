"""Diagonals: ``diagonal``, ``diag_embed``, ``diag``, ``trace``, ``block_diag``.

``diagonal`` reads a diagonal and ``diag_embed`` writes one into zeros; each is the other's
gradient, so every derivative of either exists."""
import numpy as np

from .. import backend
from ..autograd.function import Function
from ..autograd.tensor import Tensor, normalize_dim, wrap_array
from ._util import promote_types
from .shape import cat

__all__ = ["diagonal", "diag_embed", "diag", "trace", "block_diag"]


def _diagonal_positions(shape, offset, d1, d2):
    """Row and column indices of the diagonal ``offset`` of the (d1, d2) planes of ``shape``."""
    length = max(0, min(shape[d1] + min(offset, 0), shape[d2] - max(offset, 0)))
    k = np.arange(length)
    return k + max(-offset, 0), k + max(offset, 0)


class Diagonal(Function):
    """y = the diagonal ``offset`` of the (d1, d2) planes of x (as the last dim);  dx = dy written
    back onto that diagonal of zeros (``diag_embed``)"""

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.shape, ctx.args = x.array.shape, (offset, d1, d2)
        return np.ascontiguousarray(np.diagonal(x.array, offset, d1, d2))

    @staticmethod
    def backward(ctx, dy):
        return DiagEmbed.apply(dy, ctx.shape, *ctx.args)


class DiagEmbed(Function):
    """y = zeros of ``shape`` with x (its last dim) on the diagonal ``offset`` of the (d1, d2) planes;
    dx = that diagonal of dy"""

    @staticmethod
    def forward(ctx, x, shape, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        a = x.array
        out = backend.namespace(a).zeros(shape, a.dtype)
        rows, cols = _diagonal_positions(shape, offset, d1, d2)
        np.moveaxis(out, (d1, d2), (-2, -1))[..., rows, cols] = a
        return out

    @staticmethod
    def backward(ctx, dy):
        return Diagonal.apply(dy, *ctx.args)


def _check(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")


def _two_dims(op, ndim, dim1, dim2):
    d1, d2 = normalize_dim(dim1, ndim, op), normalize_dim(dim2, ndim, op)
    if d1 == d2:
        raise RuntimeError(f"{op}(): diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal ``offset`` (> 0 above the main one) of the planes spanned by ``dim1`` and ``dim2``,
    as the last dimension of the result."""
    _check(input, "diagonal")
    if input.ndim < 2:
        raise RuntimeError(f"diagonal(): expected a tensor with at least 2 dimensions, got shape {tuple(input.shape)}")
    d1, d2 = _two_dims("diagonal", input.ndim, dim1, dim2)
    return Diagonal.apply(input, int(offset), d1, d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose (dim1, dim2) planes hold the last dimension of ``input`` on their diagonal
    ``offset`` and zeros elsewhere."""
    _check(input, "diag_embed")
    if input.ndim == 0:
        raise RuntimeError("diag_embed(): expected a tensor with at least 1 dimension, got a 0-d tensor")
    ndim = input.ndim + 1
    d1, d2 = _two_dims("diag_embed", ndim, dim1, dim2)
    n = input.shape[-1] + abs(int(offset))
    rest = iter(input.shape[:-1])
    shape = tuple(n if i in (d1, d2) else next(rest) for i in range(ndim))
    return DiagEmbed.apply(input, shape, int(offset), d1, d2)


def diag(input, diagonal=0):
    """A 1-D input becomes the ``diagonal`` of a square matrix; a 2-D input gives its ``diagonal``."""
    _check(input, "diag")
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return Diagonal.apply(input, int(diagonal), 0, 1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D (shape {tuple(input.shape)}); use "
                       "diagonal or diag_embed for batches")


def trace(input):
    """The sum of the main diagonal of a 2-D tensor (integers give int64)."""
    _check(input, "trace")
    if input.ndim != 2:
        raise RuntimeError(f"trace(): expected a matrix, but got tensor with dim {input.ndim} (shape "
                           f"{tuple(input.shape)})")
    return Diagonal.apply(input, 0, 0, 1).sum()


def block_diag(*tensors):
    """A block-diagonal matrix of the given tensors (0-d: 1×1, 1-D: one row, 2-D as they are),
    zeros elsewhere, in their promoted dtype."""
    mats = []
    for i, t in enumerate(tensors):
        _check(t, "block_diag")
        if t.ndim > 2:
            raise RuntimeError(f"block_diag(): Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.ndim} dimensions (shape {tuple(t.shape)})")
        mats.append(t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t)
    if not mats:
        return wrap_array(np.zeros((1, 0), backend.get_default_dtype()))
    dtype = mats[0].array.dtype
    for m in mats[1:]:
        dtype = promote_types(np.empty((1,), dtype), m.array)
    total = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        m = m.to(dtype) if m.dtype != dtype else m
        r, c = m.shape
        pieces = [wrap_array(np.zeros((r, left), dtype)), m, wrap_array(np.zeros((r, total - left - c), dtype))]
        rows.append(cat(pieces, 1))
        left += c
    return cat(rows, 0)


METHODS = {"diagonal": diagonal, "diag_embed": diag_embed, "diag": diag, "trace": trace}
