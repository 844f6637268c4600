"""The norms of ``torch.linalg``: ``vector_norm``, ``matrix_norm`` and ``norm`` (re-exported by
``glassgrad.linalg``). Vector norms are the ``Norm`` op of reductions; matrix norms are composed of
absolute sums, extremes and singular values, whose gradients they inherit."""
import math

import numpy as np

from ..autograd.tensor import Tensor
from .decompositions import check_matrix, svdvals
from .reduction import Norm, _dims

__all__ = []


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector ``ord``-norm over ``dim`` (None: all elements): ord = 2, 1, inf, -inf, 0 (count of
    nonzeros) or any number; the gradient is 0 where the norm is 0."""
    if not isinstance(x, Tensor):
        raise TypeError(f"linalg.vector_norm(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {x.dtype}")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}; use linalg.matrix_norm for "
                           "'fro' and 'nuc'")
    if dtype is not None:
        x = x.to(dtype)
    return Norm.apply(x, float(ord), _dims(dim, x.ndim, "linalg.vector_norm"), keepdim)


def _move_to_end(A, dim, op):
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"{op}: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (_dims(d, A.ndim, op)[0] for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{op}: dims must be different. Got ({d0}, {d1})")
    return d0, d1


def _keep(out, A, d0, d1, keepdim):
    """Put back the two reduced dims (size 1) for ``keepdim``."""
    if not keepdim:
        return out
    for d in sorted((d0, d1)):
        out = out.unsqueeze(d)
    return out


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm over the two dims ``dim``: 'fro' (Frobenius), 'nuc' (sum of singular values),
    2 / -2 (largest / smallest singular value), 1 / -1 (max / min column sum of |A|), inf / -inf
    (max / min row sum of |A|)."""
    op = "linalg.matrix_norm"
    check_matrix(op, A, square=False)
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = _move_to_end(A, dim, op)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord == "nuc" or ord in (2, -2):
        S = svdvals(A.movedim((d0, d1), (-2, -1)))
        out = S.sum(-1) if ord == "nuc" else (S.amax(-1) if ord == 2 else S.amin(-1))
        return _keep(out, A, d0, d1, keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(summed, keepdim=True)
        out = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
        return out if keepdim else out.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    raise RuntimeError(f"{op}: Order {ord} not supported; use 'fro', 'nuc', 2, -2, 1, -1, inf or -inf")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm (``dim`` an int, or a 1-D input, or ``ord=None`` over all elements) or a matrix
    norm (``dim`` a 2-tuple, or a 2-D input with ``ord`` given); see ``vector_norm`` and
    ``matrix_norm``."""
    if dim is not None:
        if isinstance(dim, (int, np.integer)) or len(dim) == 1:
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                       f"{A.ndim}D (shape {tuple(A.shape)})")
