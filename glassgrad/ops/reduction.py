"""Reductions and their derivatives: a reduced gradient is broadcast back over the reduced axes."""
import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ._util import normalize_dims

__all__ = ["sum", "mean"]



def _unsqueeze_reduced(g, shape, dims, keepdim):
    """Put the reduced axes back (as size 1) so that ``g`` broadcasts against the input."""
    if keepdim or g.ndim == len(shape):
        return g
    kept = [1 if i in dims else n for i, n in enumerate(shape)]
    return g.reshape(tuple(kept))


class Sum(Function):
    """y = Σ x over dims;  dx = dy broadcast back to x's shape"""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        a = x.array
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, normalize_dims(dim, a.ndim, "sum"), keepdim
        if dtype is None and a.dtype.kind in "biu":
            dtype = np.int64
        return np.asarray(a.sum(axis=ctx.dims, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, dy):
        return _unsqueeze_reduced(dy, ctx.shape, ctx.dims, ctx.keepdim).expand(ctx.shape)


def sum(x, dim=None, keepdim=False, dtype=None):
    """Sum of ``x`` over ``dim`` (int, tuple, or None for all). Integer and bool inputs sum to
    int64. Shape: ``x.shape`` with ``dim`` removed (kept as 1 with ``keepdim``)."""
    return Sum.apply(x, dim=dim, keepdim=keepdim, dtype=dtype)


class Mean(Function):
    """y = Σ x / n over dims;  dx = dy / n broadcast back"""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        a = x.array
        if a.dtype.kind not in "fc":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be floating point, "
                               f"got {a.dtype}; use x.float().mean()")
        ctx.shape, ctx.dims, ctx.keepdim = a.shape, normalize_dims(dim, a.ndim, "mean"), keepdim
        ctx.n = int(np.prod([a.shape[d] for d in ctx.dims])) if a.ndim else 1
        return np.asarray(a.mean(axis=ctx.dims, keepdims=keepdim))

    @staticmethod
    def backward(ctx, dy):
        return _unsqueeze_reduced(dy / ctx.n if ctx.n else dy, ctx.shape, ctx.dims, ctx.keepdim).expand(ctx.shape)


def mean(x, dim=None, keepdim=False):
    """Mean of ``x`` over ``dim`` (None: all elements)."""
    return Mean.apply(x, dim=dim, keepdim=keepdim)


METHODS = {"sum": sum, "mean": mean}
