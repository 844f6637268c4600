"""glassgrad.linalg against torch.linalg in float64: values and gradients (PyTorch's formulas and
conventions for svd/eigh/qr/cholesky), gradcheck, second derivatives, and the errors."""
import numpy as np
import pytest
import torch

import glassgrad as gg
from glassgrad.autograd import gradcheck, gradgradcheck

from parity import check_parity


def _well_conditioned(ns, x):
    return x + 3 * ns.eye(x.shape[-1], dtype=x.dtype)


def _spd(ns, x):
    return x @ x.mT + x.shape[-1] * ns.eye(x.shape[-1], dtype=x.dtype)


def _sym(ns, x):
    return x + x.mT


LINALG = [
    ("vector_norm", lambda ns, x: ns.linalg.vector_norm(x), [(3, 4)]),
    ("vector_norm_ord3_dim", lambda ns, x: ns.linalg.vector_norm(x, 3, dim=1, keepdim=True), [(3, 4)]),
    ("vector_norm_inf", lambda ns, x: ns.linalg.vector_norm(x, float("inf"), dim=(0, 1)), [(3, 4)]),
    ("matrix_norm_fro", lambda ns, x: ns.linalg.matrix_norm(x), [(2, 3, 4)]),
    ("matrix_norm_nuc", lambda ns, x: ns.linalg.matrix_norm(x, "nuc"), [(3, 4)]),
    ("matrix_norm_2", lambda ns, x: ns.linalg.matrix_norm(x, 2, keepdim=True), [(2, 4, 3)]),
    ("matrix_norm_-2", lambda ns, x: ns.linalg.matrix_norm(x, -2), [(3, 3)]),
    ("matrix_norm_1", lambda ns, x: ns.linalg.matrix_norm(x, 1, dim=(0, 2)), [(3, 2, 4)]),
    ("matrix_norm_-inf", lambda ns, x: ns.linalg.matrix_norm(x, -float("inf"), keepdim=True), [(3, 4)]),
    ("norm_default", lambda ns, x: ns.linalg.norm(x), [(2, 3, 2)]),
    ("norm_matrix_ord", lambda ns, x: ns.linalg.norm(x, float("inf")), [(3, 4)]),
    ("norm_dim_int", lambda ns, x: ns.linalg.norm(x, 1, dim=-1), [(3, 4)]),
    ("inv", lambda ns, x: ns.linalg.inv(_well_conditioned(ns, x)), [(2, 3, 3)]),
    ("inverse_method", lambda ns, x: _well_conditioned(ns, x).inverse(), [(3, 3)]),
    ("solve_matrix", lambda ns, a, b: ns.linalg.solve(_well_conditioned(ns, a), b), [(3, 3), (2, 3, 2)]),
    ("solve_vector", lambda ns, a, b: ns.linalg.solve(_well_conditioned(ns, a), b), [(2, 3, 3), (2, 3)]),
    ("solve_right", lambda ns, a, b: ns.linalg.solve(_well_conditioned(ns, a), b, left=False), [(3, 3), (2, 3)]),
    ("solve_triangular", lambda ns, a, b: ns.linalg.solve_triangular(_well_conditioned(ns, a), b, upper=True),
     [(3, 3), (3, 2)]),
    ("solve_triangular_unit_right", lambda ns, a, b: ns.linalg.solve_triangular(a, b, upper=False, left=False,
                                                                                 unitriangular=True), [(3, 3), (2, 3)]),
    ("det", lambda ns, x: ns.linalg.det(x), [(2, 3, 3)]),
    ("det_method", lambda ns, x: x.det(), [(4, 4)]),
    ("slogdet", lambda ns, x: (lambda r: (r.logabsdet, r.logabsdet * 0 + r.sign))(ns.linalg.slogdet(x)), [(2, 3, 3)]),
    ("logdet", lambda ns, x: ns.logdet(_spd(ns, x)), [(3, 3)]),
    ("svd_reduced", lambda ns, x: (lambda r: (r.U * r.U, r.S, r.Vh * r.Vh))(ns.linalg.svd(x, full_matrices=False)),
     [(4, 3)]),
    ("svd_wide", lambda ns, x: (lambda r: (r.U * r.U, r.S, r.Vh * r.Vh))(ns.linalg.svd(x, full_matrices=False)),
     [(2, 3, 5)]),
    ("svd_full_square", lambda ns, x: (lambda r: (r.U @ r.Vh, r.S))(ns.linalg.svd(x)), [(3, 3)]),
    ("svd_full_tall", lambda ns, x: (lambda r: (r.U[:, :3] @ r.Vh, r.S))(ns.linalg.svd(x)), [(5, 3)]),
    ("svdvals", lambda ns, x: ns.linalg.svdvals(x), [(3, 5)]),
    ("eigh", lambda ns, x: (lambda r: (r.eigenvalues, r.eigenvectors * r.eigenvectors))(ns.linalg.eigh(_sym(ns, x))),
     [(2, 4, 4)]),
    ("eigh_upper", lambda ns, x: (lambda r: (r.eigenvalues, r.eigenvectors ** 2))(ns.linalg.eigh(x, UPLO="U")),
     [(3, 3)]),
    ("eigvalsh", lambda ns, x: ns.linalg.eigvalsh(_sym(ns, x)), [(4, 4)]),
    ("qr_tall", lambda ns, x: ns.linalg.qr(x), [(5, 3)]),
    ("qr_wide", lambda ns, x: ns.linalg.qr(x), [(2, 3, 5)]),
    ("qr_square_complete", lambda ns, x: ns.linalg.qr(x, mode="complete"), [(3, 3)]),
    ("cholesky", lambda ns, x: ns.linalg.cholesky(_spd(ns, x)), [(2, 3, 3)]),
    ("cholesky_raw", lambda ns, x: ns.linalg.cholesky(x @ x.mT + 2 * ns.eye(3, dtype=x.dtype) + x.tril()),
     [(3, 3)]),
    ("cholesky_upper", lambda ns, x: ns.linalg.cholesky(_spd(ns, x), upper=True), [(3, 3)]),
    ("pinv_tall", lambda ns, x: ns.linalg.pinv(x), [(5, 3)]),
    ("pinv_wide", lambda ns, x: ns.linalg.pinv(x), [(2, 3, 4)]),
    ("pinverse", lambda ns, x: ns.pinverse(x), [(3, 3)]),
]


@pytest.mark.parametrize("name, fn, shapes", LINALG, ids=[r[0] for r in LINALG])
def test_parity_with_torch(name, fn, shapes):
    check_parity(fn, shapes, np.random.default_rng(0))


@pytest.mark.parametrize("name, fn, shapes", LINALG, ids=[r[0] for r in LINALG])
def test_gradcheck(name, fn, shapes):
    rng = np.random.default_rng(1)
    xs = [gg.tensor(rng.standard_normal(s), requires_grad=True, dtype=gg.float64) for s in shapes]

    def f(*inputs):
        out = fn(gg, *inputs)
        outs = out if isinstance(out, tuple) else (out,)
        return tuple(o for o in outs if o.requires_grad)
    assert gradcheck(f, xs)


SECOND_ORDER = ["inv", "solve_matrix", "det", "slogdet", "svd_reduced", "eigh", "qr_tall", "qr_wide", "cholesky",
                "pinv_tall", "matrix_norm_nuc"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_gradgradcheck(name):
    fn, shapes = next((f, s) for n, f, s in LINALG if n == name)
    rng = np.random.default_rng(2)
    xs = [gg.tensor(rng.standard_normal(s), requires_grad=True, dtype=gg.float64) for s in shapes]

    def f(*inputs):
        out = fn(gg, *inputs)
        return tuple(o for o in (out if isinstance(out, tuple) else (out,)) if o.requires_grad)
    assert gradgradcheck(f, xs)


def test_det_gradient_at_singular_matrices():
    """The adjugate through the SVD where det = 0 (rank n-1 and rank n-2): PyTorch's gradient under
    create_graph=True (its first-order path returns 0 at an exactly singular matrix)."""
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])
    b = np.outer([1.0, 2.0, -1.0], [0.5, 1.0, 3.0])
    for m in (a, b):
        t = torch.tensor(m, requires_grad=True)
        (expected,) = torch.autograd.grad(torch.linalg.det(t), t, create_graph=True)
        g = gg.tensor(m, requires_grad=True)
        gg.linalg.det(g).backward()
        np.testing.assert_allclose(g.grad.array, expected.detach().numpy(), atol=1e-10)
        assert np.abs(g.grad.array).max() > 0.1 or m is b


def test_return_types_are_named_tuples():
    A = gg.tensor(np.random.default_rng(0).standard_normal((3, 3)))
    assert gg.linalg.svd(A)._fields == ("U", "S", "Vh")
    assert gg.linalg.eigh(A)._fields == ("eigenvalues", "eigenvectors")
    assert gg.linalg.qr(A)._fields == ("Q", "R")
    assert gg.linalg.slogdet(A)._fields == ("sign", "logabsdet")
    Q, R = gg.linalg.qr(A, mode="r")
    assert Q.numel() == 0 and np.allclose(np.abs(R.array), np.abs(torch.linalg.qr(torch.tensor(A.array)).R.numpy()))


ERRORS = [
    (lambda: gg.linalg.inv(gg.zeros(2, 3)), RuntimeError, "square matrices"),
    (lambda: gg.linalg.inv(gg.zeros(3, 3, dtype=gg.float64)), RuntimeError, "singular"),
    (lambda: gg.linalg.inv(gg.ones(2, 2, dtype=gg.int64)), RuntimeError, "floating point"),
    (lambda: gg.linalg.det(gg.ones(3)), RuntimeError, "at least 2 dimensions"),
    (lambda: gg.linalg.cholesky(-gg.eye(3)), RuntimeError, "leading minor of order 1 is not positive-definite"),
    (lambda: gg.linalg.solve(gg.eye(3), gg.ones(4)), RuntimeError, "Incompatible shapes"),
    (lambda: gg.linalg.solve(gg.eye(3), gg.ones(3, dtype=gg.float64)), RuntimeError, "same dtype"),
    (lambda: gg.linalg.qr(gg.eye(3), mode="full"), RuntimeError, "unrecognized mode"),
    (lambda: gg.linalg.eigh(gg.eye(3), UPLO="X"), RuntimeError, "UPLO"),
    (lambda: gg.linalg.norm(gg.ones(2, 2, 2), 2), RuntimeError, "must be 1D or 2D"),
    (lambda: gg.linalg.matrix_norm(gg.ones(2, 2), 3), RuntimeError, "Order 3 not supported"),
    (lambda: gg.linalg.vector_norm(gg.ones(2, dtype=gg.int64)), RuntimeError, "floating point"),
]


@pytest.mark.parametrize("call, error, match", ERRORS)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_qr_complete_tall_is_not_differentiable():
    x = gg.tensor(np.random.default_rng(0).standard_normal((4, 2)), requires_grad=True)
    Q, R = gg.linalg.qr(x, mode="complete")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        (Q.sum() + R.sum()).backward()
