"""Products built from ``matmul`` and element-wise ops: ``addmm``, ``addmv``, ``baddbmm``,
``addbmm``, ``kron``, ``tensordot``, ``cross``, ``cdist``. Their gradients come from the ops they
are written with, so every order of derivative exists."""
import numpy as np

from ..autograd.tensor import Tensor, normalize_dim
from .linalg import bmm, matmul, mm, mv
from .reduction import norm
from .shape import cat, narrow

__all__ = ["addmm", "addmv", "baddbmm", "addbmm", "kron", "tensordot", "cross", "cdist"]


def _scaled_sum(op, input, product, beta, alpha):
    """beta·input + alpha·product; with beta = 0 ``input`` is ignored (NaN in it does not spread)."""
    if alpha != 1:
        product = product * alpha
    try:
        fits = np.broadcast_shapes(tuple(input.shape), tuple(product.shape)) == tuple(product.shape)
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"{op}: input of shape {tuple(input.shape)} cannot be broadcast to the product's shape "
                           f"{tuple(product.shape)}")
    if beta == 0:
        return product
    return (input if beta == 1 else input * beta) + product


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta·input + alpha·(mat1 @ mat2), ``input`` broadcast to (n, p)."""
    return _scaled_sum("addmm", input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta·input + alpha·(mat @ vec)."""
    return _scaled_sum("addmv", input, mv(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta·input + alpha·(batch1 @ batch2) for 3-D batches, ``input`` broadcast to (b, n, p)."""
    return _scaled_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta·input + alpha·Σ_b batch1[b] @ batch2[b]."""
    return _scaled_sum("addbmm", input, bmm(batch1, batch2).sum(0), beta, alpha)


def kron(input, other):
    """The Kronecker product: block (i, j) of the result is ``input[i, j] * other`` (any number of
    dimensions; the shorter shape is padded with leading ones)."""
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
    # interleave: a's dims at even positions, b's at odd ones, then merge each pair
    ea = a.reshape(sum(((s, 1) for s in a.shape), ()))
    eb = b.reshape(sum(((1, s) for s in b.shape), ()))
    return (ea * eb).reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))


def tensordot(a, b, dims=2):
    """Sum of products over the last ``dims`` dimensions of ``a`` and the first ``dims`` of ``b``
    (``dims`` an int), or over the listed dimensions (``dims=([da...], [db...])``)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot(): expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot(): expects dims <= {min(a.ndim, b.ndim)} for shapes {tuple(a.shape)} "
                               f"and {tuple(b.shape)}, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(da) != len(db):
            raise RuntimeError(f"tensordot(): both dimension lists should have same length, got {da} and {db}")
        da = [normalize_dim(d, a.ndim, "tensordot") for d in da]
        db = [normalize_dim(d, b.ndim, "tensordot") for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"tensordot(): contracted dimensions need to match, but first has size "
                               f"{a.shape[i]} in dim {i} and second has size {b.shape[j]} in dim {j}")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da]))
    left = a.permute(free_a + da).reshape(-1, k)
    right = b.permute(db + free_b).reshape(k, -1)
    return matmul(left, right).reshape([a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


def cross(input, other, dim=None):
    """The cross product of 3-vectors along ``dim`` (None: the first dimension of size 3), the two
    inputs broadcast together."""
    shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape)) if input.ndim or other.ndim else ()
    if dim is None:
        sizes = [i for i, n in enumerate(shape) if n == 3]
        if not sizes:
            raise RuntimeError(f"cross(): no dimension of size 3 in input (shapes {tuple(input.shape)} and "
                               f"{tuple(other.shape)})")
        dim = sizes[0]
    d = normalize_dim(dim, len(shape), "cross")
    if shape[d] != 3:
        raise RuntimeError(f"cross(): inputs dimension {dim} must have length 3, got shapes {tuple(input.shape)} "
                           f"and {tuple(other.shape)}")
    a, b = input.expand(shape), other.expand(shape)
    x = [narrow(a, d, i, 1) for i in range(3)]
    y = [narrow(b, d, i, 1) for i in range(3)]
    return cat([x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0]], d)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of ``x1`` (…, P, M) and each row of ``x2`` (…, R, M):
    a (…, P, R) tensor; the gradient is 0 where a distance is 0."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist(): only supports at least 2D tensors, X1 got: {x1.ndim}D, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist(): X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: "
                           f"{x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist(): only supports non-negative p values, got {p}")
    return norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, dim=-1)


METHODS = {"addmm": addmm, "addmv": addmv, "baddbmm": baddbmm, "addbmm": addbmm, "kron": kron, "cross": cross}
