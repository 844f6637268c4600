"""Running products and extremes, and differences: ``cumprod``, ``cummax``, ``cummin``, ``diff``.

``cumprod``'s gradient is the reversed cumulative sum of ``dy·y`` divided by ``x`` where no element
is zero; where one is, the product of the other elements is formed exactly (as ``prod`` does), so
zeros give the right gradient. ``cummax``/``cummin`` gather their values, so the gradient goes to
the element each running extreme came from."""
import collections

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, normalize_dim, wrap_array
from .elementwise import where
from .indexing import gather
from .reduction import Cumsum, ProdOthers
from .shape import cat, narrow

__all__ = ["cumprod", "cummax", "cummin", "diff"]

cummax_result = collections.namedtuple("cummax", ["values", "indices"])
cummin_result = collections.namedtuple("cummin", ["values", "indices"])


def _check(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")


def _reverse_cumsum(t, dim):
    return Cumsum.apply(t, dim, True)


class Cumprod(Function):
    """yᵢ = Π_{j≤i} xⱼ along dim;  dxₖ = Σ_{i≥k} dyᵢ · Π_{j≤i, j≠k} xⱼ
    (= revcumsum(dy·y)ₖ / xₖ where x has no zero)"""

    @staticmethod
    def forward(ctx, x, dim):
        a = x.array
        ctx.dim = dim
        dtype = np.int64 if a.dtype.kind in "biu" else a.dtype
        y = np.cumprod(a, axis=dim, dtype=dtype) if a.ndim else a.astype(dtype, copy=True)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, y = ctx.saved_tensors
        if x.ndim == 0:
            return dy
        d = ctx.dim
        if not (x.array == 0).any():
            return _reverse_cumsum(dy * y, d) / x
        # some zero: build, for each k, the products with xₖ left out, on an n×n lower triangle
        n = x.shape[d]
        xm = x.movedim(d, -1).unsqueeze(-2)                                     # (..., 1, n)
        lower = wrap_array(np.tril(np.ones((n, n), bool)))                      # j <= i
        factors = where(lower, xm, 1.0)                                         # (..., i, j)
        others = ProdOthers.apply(factors, factors.ndim - 1)                    # Π_{j<=i, j≠k} xⱼ
        g = (dy.movedim(d, -1).unsqueeze(-1) * where(lower, others, 0.0)).sum(-2)
        return g.movedim(-1, d)


def cumprod(input, dim, *, dtype=None):
    """The cumulative product along ``dim`` (integer and bool inputs give int64)."""
    _check(input, "cumprod")
    if dtype is not None:
        input = input.to(dtype)
    d = normalize_dim(dim, max(input.ndim, 1), "cumprod")
    return Cumprod.apply(input, d)


def _running(op, input, dim, accumulate, result):
    _check(input, op)
    d = normalize_dim(dim, max(input.ndim, 1), op)
    a = input.array
    if a.ndim == 0:
        return result(input.clone() if input.requires_grad else wrap_array(a.copy()),
                      wrap_array(np.zeros((), np.int64)))
    if a.dtype == np.bool_:
        run = accumulate(a.astype(np.uint8), axis=d).astype(np.bool_)
        hit = a == run
    else:
        run = accumulate(a, axis=d)  # NumPy's maximum/minimum propagate NaN, as PyTorch's running extremes do
        # an index is marked where the element is (or ties) the running extreme; NaN always wins
        hit = (a == run) | np.isnan(a) if a.dtype.kind == "f" else a == run
    positions = np.arange(a.shape[d]).reshape([-1 if i == d else 1 for i in range(a.ndim)])
    idx = np.maximum.accumulate(np.where(hit, positions, 0), axis=d) if a.size else np.zeros(a.shape, np.int64)
    index = wrap_array(np.ascontiguousarray(idx, dtype=np.int64))
    return result(gather(input, d, index), index)


def cummax(input, dim):
    """``(values, indices)``: the running maximum along ``dim`` and where it was found (the latest
    index among equal values); NaN propagates."""
    return _running("cummax", input, dim, np.maximum.accumulate, cummax_result)


def cummin(input, dim):
    """``(values, indices)``: the running minimum along ``dim`` and where it was found (see
    ``cummax``)."""
    return _running("cummin", input, dim, np.minimum.accumulate, cummin_result)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (``out[i] = x[i+1] - x[i]``, repeated ``n``
    times), after joining ``prepend`` and ``append`` to ``input`` along ``dim``; bool tensors give
    the exclusive or."""
    _check(input, "diff")
    if input.ndim == 0:
        raise RuntimeError("diff(): expects input to be at least one-dimensional, got a 0-d tensor")
    if n < 0:
        raise RuntimeError(f"diff(): order must be non-negative but got {n}")
    d = normalize_dim(dim, input.ndim, "diff")
    joined = []
    for t in (prepend, input, append):
        if t is None:
            continue
        if not isinstance(t, Tensor):
            t = wrap_array(np.asarray(t, input.array.dtype))
        if t.ndim == 0:
            shape = list(input.shape)
            shape[d] = 1
            t = t.expand(shape)
        joined.append(t)
    x = cat(joined, d) if len(joined) > 1 else input
    for _ in range(n):
        length = x.shape[d]
        if length == 0:
            break
        hi, lo = narrow(x, d, 1, length - 1), narrow(x, d, 0, length - 1)
        x = hi.logical_xor(lo) if x.dtype == np.bool_ else hi - lo
    return x


METHODS = {"cumprod": cumprod, "cummax": cummax, "cummin": cummin, "diff": diff}
