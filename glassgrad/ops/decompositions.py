"""Matrix functions and decompositions behind ``glassgrad.linalg``: ``inv``, ``solve``, ``det``,
``slogdet``, ``svd``, ``eigh``, ``qr``, ``cholesky``, ``pinv``.

Forwards call NumPy's LAPACK routines on the last two dimensions (batched). Backwards follow
PyTorch's formulas and conventions (torch/csrc/autograd/FunctionsManual.cpp: ``svd_backward``,
``linalg_eig_backward`` for the Hermitian case, ``linalg_qr_backward``, ``cholesky_backward``,
``linalg_det_backward`` with its adjugate form for singular matrices, ``pinv_backward``), written
with glassgrad ops so that they can be differentiated again. Like PyTorch's, the gradients of
``svd`` and ``eigh`` assume distinct singular values / eigenvalues, and losses that do not depend
on the sign of each singular vector / eigenvector."""
import collections

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor, wrap_array
from ._util import sum_to
from .diagonal import diag_embed
from .products import cross as _cross
from .reduction import ProdOthers
from .shape import cat, tril, triu

__all__ = ["det", "slogdet", "logdet", "inverse", "pinverse"]


# ---- argument checks ---------------------------------------------------------------------------
def check_matrix(op, A, square=True):
    """PyTorch's checks of a (batch of) matrix argument: a floating Tensor with >= 2 dims, square
    when ``square``."""
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}(): argument 'A' must be Tensor, not {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions (got shape {tuple(A.shape)})")
    if A.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {A.dtype}; convert it "
                           "first (A.double())")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


def _eye(n, dtype):
    return wrap_array(np.eye(n, dtype=dtype))


def _defined(g):
    """Whether an output gradient carries anything (the engine passes zeros for unused outputs)."""
    return g is not None and bool(g.array.any())


def _singular(op, detail):
    raise RuntimeError(f"{op}: The diagonal element {detail} is zero, the inversion could not be completed "
                       "because the input matrix is singular.") from None


# ---- inverse and solve -------------------------------------------------------------------------
class Inv(Function):
    """Y = A⁻¹;  dA = -Yᵀ dY Yᵀ"""

    @staticmethod
    def forward(ctx, A):
        a = A.array
        try:
            y = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            _singular("linalg.inv", _zero_pivot(a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        yt = y.mT
        return -(yt @ dy @ yt)


def _zero_pivot(a):
    """The 1-based position of the first zero pivot of an LU factorization (for the error message)."""
    m = np.array(a.reshape(-1, a.shape[-2], a.shape[-1])[0], dtype=np.float64)
    n = m.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        if m[p, k] == 0:
            return k + 1
        m[[k, p]] = m[[p, k]]
        m[k + 1:] -= np.outer(m[k + 1:, k] / m[k, k], m[k])
    return n


class Solve(Function):
    """X = A⁻¹ B (B a batch of matrices; batch dims broadcast);  dB = A⁻ᵀ dX,  dA = -dB Xᵀ"""

    @staticmethod
    def forward(ctx, A, B):
        a, b = A.array, B.array
        ctx.shapes = (a.shape, b.shape)
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        try:
            x = np.linalg.solve(np.broadcast_to(a, batch + a.shape[-2:]), np.broadcast_to(b, batch + b.shape[-2:]))
        except np.linalg.LinAlgError:
            raise RuntimeError("linalg.solve: The solver failed because the input matrix is singular.") from None
        ctx.save_for_backward(A, x)
        return x

    @staticmethod
    def backward(ctx, dx):
        A, x = ctx.saved_tensors
        gB = Solve.apply(A.mT, dx)
        gA = sum_to(-(gB @ x.mT), ctx.shapes[0]) if ctx.needs_input_grad[0] else None
        return gA, (sum_to(gB, ctx.shapes[1]) if ctx.needs_input_grad[1] else None)


solve_matrices = Solve.apply


# ---- determinants ------------------------------------------------------------------------------
class Det(Function):
    """d = det A;  dA = dd · d · A⁻ᵀ, or for (nearly) singular A the cofactor matrix from the SVD:
    dd · det(U)det(Vᵀ) · U diag(Π_{j≠i} sⱼ) Vᵀ"""

    @staticmethod
    def forward(ctx, A):
        d = np.asarray(np.linalg.det(A.array))
        ctx.save_for_backward(A, d)
        return d

    @staticmethod
    def backward(ctx, dd):
        A, d = ctx.saved_tensors
        eps = np.finfo(A.dtype).eps
        if (np.abs(d.array) < 100 * eps).any():
            U, S, Vh = Svd.apply(A, False)
            sign = np.linalg.det(U.array) * np.linalg.det(Vh.array)
            alpha = dd * wrap_array(np.asarray(sign, A.dtype))
            D = ProdOthers.apply(S, S.ndim - 1) * alpha.unsqueeze(-1)
            return (U * D.unsqueeze(-2)) @ Vh
        return (dd * d).unsqueeze(-1).unsqueeze(-1) * Inv.apply(A).mT


class Slogdet(Function):
    """(sign, log|det A|);  dA = d(log|det|) · A⁻ᵀ (the sign is piecewise constant)"""

    @staticmethod
    def forward(ctx, A):
        sign, logabs = np.linalg.slogdet(A.array)
        sign, logabs = np.asarray(sign, A.dtype), np.asarray(logabs, A.dtype)
        ctx.save_for_backward(A)
        ctx.mark_non_differentiable(sign)
        return sign, logabs

    @staticmethod
    def backward(ctx, dsign, dlogabs):
        (A,) = ctx.saved_tensors
        return dlogabs.unsqueeze(-1).unsqueeze(-1) * Inv.apply(A).mT


# ---- SVD and symmetric eigendecomposition -------------------------------------------------------
class Svd(Function):
    """A = U diag(S) Vh;  dA from PyTorch's svd_backward:
    U [(skew(UᵀdU)/E) S + S (skew(VᵀdV)/E) + diag(dS)] Vh, E_jk = S_k² - S_j², plus
    (I - UUᵀ) dU S⁻¹ Vh for tall A or U S⁻¹ dVh (I - VVᵀ) for wide A; with ``full_matrices`` only the
    first min(m, n) singular vectors take part"""

    @staticmethod
    def forward(ctx, A, full_matrices):
        a = A.array
        ctx.full = full_matrices
        try:
            u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        except np.linalg.LinAlgError:
            raise RuntimeError("linalg.svd: The algorithm failed to converge because the input matrix is "
                               "ill-conditioned or has too many repeated singular values") from None
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        m, n = U.shape[-2], Vh.shape[-1]
        k = S.shape[-1]
        if ctx.full:
            U, Vh = U[..., :, :k], Vh[..., :k, :]
            gU, gVh = gU[..., :, :k], gVh[..., :k, :]
        has_u, has_v = _defined(gU), _defined(gVh)
        if not has_u and not has_v:
            return (U @ (gS.unsqueeze(-1) * Vh)) if m >= n else ((U * gS.unsqueeze(-2)) @ Vh)
        S2 = S * S
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye(k, S.dtype)
        if has_u:
            UhgU = U.mT @ gU
            UhgU = UhgU - UhgU.mT
        if has_v:
            VhgV = Vh @ gVh.mT
            VhgV = VhgV - VhgV.mT
        if has_u and has_v:
            core = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
        elif has_u:
            core = (UhgU / E) * S.unsqueeze(-2)
        else:
            core = S.unsqueeze(-1) * (VhgV / E)
        core = core + diag_embed(gS)
        if m > n and has_u:
            gUSinv = gU / S.unsqueeze(-2)
            gA = U @ core + gUSinv - U @ (U.mT @ gUSinv)
            return gA @ Vh
        if m < n and has_v:
            SinvgVh = gVh / S.unsqueeze(-1)
            gA = core @ Vh + SinvgVh - (SinvgVh @ Vh.mT) @ Vh
            return U @ gA
        return U @ (core @ Vh)


class Eigh(Function):
    """A = V diag(L) Vᵀ (A symmetric, from its ``UPLO`` triangle);  dA = V [diag(dL) +
    skew(VᵀdV)/2 / E] Vᵀ with E_ij = L_j - L_i (PyTorch's Hermitian linalg_eig_backward)"""

    @staticmethod
    def forward(ctx, A, UPLO):
        L, V = np.linalg.eigh(A.array, UPLO=UPLO)
        ctx.save_for_backward(L, V)
        return L, V

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        if not _defined(gV):
            return (V * gL.unsqueeze(-2)) @ V.mT
        n = L.shape[-1]
        VhgV = V.mT @ gV
        VhgV = 0.5 * (VhgV - VhgV.mT)
        E = L.unsqueeze(-2) - L.unsqueeze(-1) + _eye(n, L.dtype)
        inner = VhgV / E + diag_embed(gL)
        return V @ (inner @ V.mT)


# ---- QR and Cholesky ---------------------------------------------------------------------------
def _right_solve_transposed(X, R):
    """X R⁻ᵀ, through ``solve`` so that it is differentiable again."""
    return solve_matrices(R, X.mT).mT


class Qr(Function):
    """A = QR;  dA from PyTorch's linalg_qr_backward: with M = dR Rᵀ - QᵀdQ,
    m >= n: (Q (triu(M) + triu(M, 1)ᵀ) + dQ) R⁻ᵀ;
    m < n: [Q tril(Mᵀ - M) R₁⁻ᵀ, 0] + Q dR (R₁ the leading m×m block of R)"""

    @staticmethod
    def forward(ctx, A, mode):
        q, r = np.linalg.qr(A.array, mode="complete" if mode == "complete" else "reduced")
        ctx.mode = mode
        ctx.save_for_backward(q, r)
        if mode == "r":
            return np.zeros((0,), A.array.dtype), r
        return q, r

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError("linalg.qr_backward: The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                               "differentiate through linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("linalg.qr_backward: The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        M = gR @ R.mT - Q.mT @ gQ
        if m >= n:
            gA = Q @ (triu(M) + triu(M, 1).mT) + gQ
            return _right_solve_transposed(gA, R)
        skew = M.mT - M
        gA = _right_solve_transposed(Q @ tril(skew), R[..., :, :m])
        zeros = wrap_array(np.zeros(gA.shape[:-1] + (n - m,), gA.dtype))
        return cat([gA, zeros], -1) + Q @ gR


class Cholesky(Function):
    """A = L Lᵀ (L lower triangular, from A's lower triangle);  dA = L⁻ᵀ Φ L⁻¹ with
    P = tril(Lᵀ dL), Φ = (P + tril(P, -1)ᵀ)/2 (PyTorch's cholesky_backward)"""

    @staticmethod
    def forward(ctx, A):
        a = A.array
        try:
            L = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise RuntimeError(f"linalg.cholesky: The factorization could not be completed because the input is not "
                               f"positive-definite (the leading minor of order {_failed_minor(a)} is not "
                               "positive-definite).") from None
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, gL):
        (L,) = ctx.saved_tensors
        P = tril(L.mT @ gL)
        phi = 0.5 * (P + tril(P, -1).mT)
        X = solve_matrices(L.mT, phi)                # L⁻ᵀ Φ
        return _right_solve_transposed(X, L.mT)      # (L⁻ᵀ Φ) L⁻¹


def _failed_minor(a):
    """The order of the first leading minor that is not positive (for the error message)."""
    m = a.reshape(-1, a.shape[-2], a.shape[-1])
    for b in m:
        for k in range(1, b.shape[-1] + 1):
            try:
                np.linalg.cholesky(b[:k, :k])
            except np.linalg.LinAlgError:
                return k
    return a.shape[-1]


# ---- pseudo-inverse ----------------------------------------------------------------------------
class Pinv(Function):
    """P = A⁺ (singular values below max(atol, rtol·σ₁) dropped);
    dA = -Pᵀ dP Pᵀ + (I - A P) dPᵀ P Pᵀ + Pᵀ P dPᵀ (I - P A) (PyTorch's pinv_backward)"""

    @staticmethod
    def forward(ctx, A, atol, rtol):
        a = A.array
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        top = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
        cutoff = np.maximum(atol, rtol * top)
        with np.errstate(divide="ignore"):
            s_inv = np.where(s > cutoff, 1 / np.where(s > cutoff, s, 1), 0).astype(a.dtype)
        p = (vh.swapaxes(-1, -2) * s_inv[..., None, :]) @ u.swapaxes(-1, -2)
        ctx.save_for_backward(A, p)
        return p

    @staticmethod
    def backward(ctx, g):
        A, P = ctx.saved_tensors
        m, n = A.shape[-2], A.shape[-1]
        Pt, gt = P.mT, g.mT
        if m <= n:
            K = gt @ P
            KPt = K @ Pt
            return -(P @ K).mT + KPt - (A @ P) @ KPt + (Pt @ P) @ (gt - K @ A)
        K = P @ gt
        PtK = Pt @ K
        return -(K @ P).mT + ((gt - A @ K) @ P) @ Pt + PtK - (PtK @ P) @ A


# ---- torch.linalg functions (re-exported by glassgrad.linalg) ----------------------------------
svd_result = collections.namedtuple("svd", ["U", "S", "Vh"])
eigh_result = collections.namedtuple("eigh", ["eigenvalues", "eigenvectors"])
qr_result = collections.namedtuple("qr", ["Q", "R"])


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
        from .creation import eye
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


# ---- torch.* names (also Tensor methods) --------------------------------------------------------
slogdet_result = collections.namedtuple("slogdet", ["sign", "logabsdet"])


def det(A):
    """The determinant of a (batch of) square matrix (differentiable at singular matrices too)."""
    check_matrix("linalg.det", A)
    return Det.apply(A)


def slogdet(A):
    """``(sign, logabsdet)``: the sign of the determinant and the log of its absolute value."""
    check_matrix("linalg.slogdet", A)
    return slogdet_result(*Slogdet.apply(A))


def logdet(input):
    """log det A: NaN where the determinant is negative, -inf where it is 0."""
    sign, logabs = slogdet(input)
    s = sign.array
    return logabs + wrap_array(np.where(s < 0, np.nan, np.where(s == 0, -np.inf, 0)).astype(logabs.dtype))


def inverse(input):
    """The inverse of a (batch of) square matrix; a singular matrix is an error."""
    check_matrix("linalg.inv", input)
    return Inv.apply(input)


def pinverse(input, rcond=1e-15):
    """The pseudo-inverse, dropping singular values below ``rcond`` × the largest."""
    check_matrix("linalg.pinv", input, square=False)
    return Pinv.apply(input, 0.0, float(rcond))


METHODS = {"det": det, "slogdet": slogdet, "logdet": logdet, "inverse": inverse, "pinverse": pinverse}
