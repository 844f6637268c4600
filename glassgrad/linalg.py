"""``glassgrad.linalg``: PyTorch's ``torch.linalg`` — norms, inverses, solvers, determinants and
decompositions, each differentiable (the ops are in ``glassgrad/ops/decompositions.py``)."""
import collections
import math

import numpy as np

from .autograd.tensor import Tensor
from .ops.decompositions import (Cholesky, Eigh, Inv, Pinv, Qr, Svd, check_matrix, det, slogdet,
                                 solve_matrices)
from .ops.linalg import matmul
from .ops.products import cross as _cross
from .ops.reduction import Norm, _dims
from .ops.shape import tril, triu

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "solve", "solve_triangular", "det", "slogdet", "svd",
           "svdvals", "eigh", "eigvalsh", "qr", "cholesky", "pinv", "cross", "matmul"]

svd_result = collections.namedtuple("svd", ["U", "S", "Vh"])
eigh_result = collections.namedtuple("eigh", ["eigenvalues", "eigenvectors"])
qr_result = collections.namedtuple("qr", ["Q", "R"])


# ---- norms -------------------------------------------------------------------------------------
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


# ---- inverses and solvers ----------------------------------------------------------------------
def inv(A):
    """The inverse of a (batch of) square matrix; a singular matrix is an error."""
    check_matrix("linalg.inv", A)
    return Inv.apply(A)


def _vector_rhs(A, B):
    """PyTorch's rule: B is a (batch of) vector when it is 1-D or has exactly A's batch shape."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def solve(A, B, *, left=True):
    """The solution X of A X = B (``left=False``: X A = B) for square A; B may be a (batch of)
    vector or matrix, batch dims broadcast."""
    check_matrix("linalg.solve", A)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve(): argument 'B' must be Tensor, not {type(B).__name__}")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type {A.dtype} "
                           f"and B of type {B.dtype} instead")
    if not left:
        return solve(A.mT, B.mT).mT
    vector = _vector_rhs(A, B)
    B2 = B.unsqueeze(-1) if vector else B
    if B2.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({A.shape[-2]}x"
                           f"{A.shape[-1]} and {B2.shape[-2]}x{B2.shape[-1]})")
    X = solve_matrices(A, B2)
    return X.squeeze(-1) if vector else X


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """The solution X of A X = B (``left=False``: X A = B) for triangular A: only its ``upper`` (or
    lower) triangle is read (and its diagonal taken as ones with ``unitriangular``)."""
    check_matrix("linalg.solve_triangular", A)
    T = triu(A, 1 if unitriangular else 0) if upper else tril(A, -1 if unitriangular else 0)
    if unitriangular:
        from .ops.creation import eye
        T = T + eye(A.shape[-1], dtype=A.dtype)
    if not left:
        return solve_matrices(T.mT, B.mT).mT
    return solve_matrices(T, B)


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse; singular values below max(atol, rtol·σ₁) count as zero
    (default rtol: machine epsilon × max(m, n) when neither is given)."""
    check_matrix("linalg.pinv", A, square=False)
    if rtol is None:
        rtol = np.finfo(A.dtype).eps * max(A.shape[-2:]) if atol is None or atol == 0 else 0.0
    return Pinv.apply(A, float(atol or 0.0), float(rtol))


# ---- decompositions ----------------------------------------------------------------------------
def svd(A, full_matrices=True, *, driver=None):
    """``(U, S, Vh)`` with A = U diag(S) Vh, S descending. Gradients (PyTorch's) need distinct
    singular values, and a loss that does not depend on the signs of the singular vectors."""
    check_matrix("linalg.svd", A, square=False)
    return svd_result(*Svd.apply(A, bool(full_matrices)))


def svdvals(A, *, driver=None):
    """The singular values of A, descending."""
    check_matrix("linalg.svdvals", A, square=False)
    return Svd.apply(A, False)[1]


def eigh(A, UPLO="L"):
    """``(eigenvalues, eigenvectors)`` of a symmetric matrix read from its ``UPLO`` ('L' or 'U')
    triangle, eigenvalues ascending. Gradients need distinct eigenvalues."""
    check_matrix("linalg.eigh", A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return eigh_result(*Eigh.apply(A, UPLO))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of a symmetric matrix, ascending."""
    return eigh(A, UPLO).eigenvalues


def qr(A, mode="reduced"):
    """``(Q, R)`` with A = QR: 'reduced' (Q m×k), 'complete' (Q m×m) or 'r' (R only, Q empty)."""
    check_matrix("linalg.qr", A, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"linalg.qr: qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           "(default), 'r', or 'complete'")
    return qr_result(*Qr.apply(A, mode))


def cholesky(A, *, upper=False):
    """The lower (``upper=True``: upper) Cholesky factor of a symmetric positive-definite matrix,
    read from its lower triangle."""
    check_matrix("linalg.cholesky", A)
    L = Cholesky.apply(A)
    return L.mT if upper else L


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (default: the last), broadcasting."""
    return _cross(input, other, dim=dim)
