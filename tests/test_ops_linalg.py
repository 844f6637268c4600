"""Linear algebra (matmul, mm, bmm, mv, dot, inner, outer, einsum) against PyTorch, finite
differences and the error messages.

Each case is written once as ``fn(m, *xs)`` where ``m`` is ``torch`` or ``glassgrad``: the same code
runs on both libraries, forward and backward, in float64 and float32, on contiguous and strided
inputs; in float64 it also passes gradcheck and gradgradcheck.
"""
import re

import numpy as np
import pytest
import torch

import glassgrad
from glassgrad.autograd import gradcheck, gradgradcheck
from parity import random_arrays

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}


# ---- harness -----------------------------------------------------------------------------------
def check_parity(fn, shapes, rng, dtype=np.float64, noncontig=False):
    """Same output (value, shape, dtype) and input gradients as PyTorch for a random output gradient."""
    arrays = random_arrays(shapes, rng, dtype, noncontig)
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    xg = [glassgrad.Tensor(a, requires_grad=True) for a in arrays]
    if noncontig:
        assert all(not x.is_contiguous() for x in xg if x.numel() > 1)
    yt, yg = fn(torch, *xt), fn(glassgrad, *xg)
    tol = TOL[dtype]
    assert yg.shape == tuple(yt.shape)
    assert str(yg.dtype) == str(yt.dtype).replace("torch.", "")
    np.testing.assert_allclose(yg.array, yt.detach().numpy(), **tol)
    g = rng.standard_normal(yt.shape).astype(dtype)
    yt.backward(torch.tensor(g))
    yg.backward(glassgrad.Tensor(g.copy()))
    for a, b in zip(xg, xt):
        tg = np.zeros(b.shape, dtype) if b.grad is None else b.grad.numpy()
        assert a.grad is not None and a.grad.shape == tg.shape and a.grad.dtype == tg.dtype
        np.testing.assert_allclose(a.grad.array, tg, **tol)


def _strided(x):
    """``x``'s values in a non-contiguous view (differentiable)."""
    return x.unsqueeze(-1).expand(*x.shape, 2).clone().narrow(-1, 0, 1).squeeze(-1)


def check_grads(fn, shapes, rng, noncontig=False):
    """gradcheck and gradgradcheck in float64 (inputs and output must have elements)."""
    inputs = [glassgrad.Tensor(a, requires_grad=True) for a in random_arrays(shapes, rng, np.float64, False)]

    def f(*xs):
        return fn(glassgrad, *[_strided(x) if noncontig else x for x in xs])

    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs)


def run_case(fn, shapes, rng):
    for dtype in (np.float64, np.float32):
        for noncontig in (False, True):
            check_parity(fn, shapes, rng, dtype, noncontig)
    with glassgrad.no_grad():
        out_size = fn(glassgrad, *[glassgrad.zeros(*s, dtype=glassgrad.float64) for s in shapes]).numel()
    if all(0 not in s for s in shapes) and out_size:  # gradcheck needs elements to perturb and seed
        check_grads(fn, shapes, rng)
        check_grads(fn, shapes, rng, noncontig=True)


# ---- cases -------------------------------------------------------------------------------------
MATMUL_SHAPES = [
    [(3,), (3,)], [(2, 3), (3,)], [(3,), (3, 2)], [(2, 3), (3, 4)], [(2, 2, 3), (3, 4)], [(2, 3), (2, 3, 2)],
    [(3,), (2, 3, 2)], [(2, 2, 3), (3,)], [(2, 1, 2, 3), (3, 3, 2)], [(1, 2, 3), (2, 3, 2)], [(1, 3), (3, 1)],
    [(0, 3), (3, 2)], [(2, 0), (0, 3)], [(2, 3), (3, 0)], [(0, 2, 3), (3, 2)], [(0,), (0,)], [(2, 2, 0), (0,)],
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes, rng):
    run_case(lambda m, x, y: m.matmul(x, y), shapes, rng)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES[:6], ids=str)
def test_matmul_operator(shapes, rng):
    run_case(lambda m, x, y: x @ y, shapes, rng)


CASES = {
    "mm": (lambda m, x, y: m.mm(x, y), [(2, 3), (3, 4)]),
    "mm_method": (lambda m, x, y: x.mm(y), [(1, 3), (3, 2)]),
    "mm_empty": (lambda m, x, y: m.mm(x, y), [(2, 0), (0, 3)]),
    "bmm": (lambda m, x, y: m.bmm(x, y), [(2, 2, 3), (2, 3, 2)]),
    "bmm_method": (lambda m, x, y: x.bmm(y), [(3, 1, 2), (3, 2, 2)]),
    "mv": (lambda m, x, y: m.mv(x, y), [(2, 3), (3,)]),
    "dot": (lambda m, x, y: m.dot(x, y), [(4,), (4,)]),
    "dot_method": (lambda m, x, y: x.dot(y), [(3,), (3,)]),
    "outer": (lambda m, x, y: m.outer(x, y), [(3,), (2,)]),
    "outer_method": (lambda m, x, y: x.outer(y), [(1,), (4,)]),
    "outer_empty": (lambda m, x, y: m.outer(x, y), [(0,), (2,)]),
    "inner": (lambda m, x, y: m.inner(x, y), [(2, 3), (4, 3)]),
    "inner_vec": (lambda m, x, y: m.inner(x, y), [(3,), (3,)]),
    "inner_batched": (lambda m, x, y: x.inner(y), [(2, 1, 3), (2, 3)]),
    "inner_scalar": (lambda m, x, y: m.inner(x, y), [(), (2, 3)]),
    "einsum_matmul": (lambda m, x, y: m.einsum("ij,jk->ik", x, y), [(2, 3), (3, 2)]),
    "einsum_implicit": (lambda m, x, y: m.einsum("ij,jk", x, y), [(2, 3), (3, 2)]),
    "einsum_implicit_order": (lambda m, x: m.einsum("ba", x), [(2, 3)]),
    "einsum_implicit_upper": (lambda m, x, y: m.einsum("aB,Bc", x, y), [(2, 3), (3, 2)]),
    "einsum_spaces": (lambda m, x, y: m.einsum(" i j , j k -> k i ", x, y), [(2, 3), (3, 2)]),
    "einsum_list": (lambda m, x, y: m.einsum("bij,bjk->bik", [x, y]), [(2, 2, 3), (2, 3, 2)]),
    "einsum_transpose": (lambda m, x: m.einsum("ijk->kij", x), [(2, 3, 2)]),
    "einsum_diag": (lambda m, x: m.einsum("ii->i", x), [(3, 3)]),
    "einsum_trace": (lambda m, x: m.einsum("ii", x), [(3, 3)]),
    "einsum_diag_nonadjacent": (lambda m, x: m.einsum("iji->j", x), [(2, 3, 2)]),
    "einsum_diag_kept": (lambda m, x, y: m.einsum("iij,j->ij", x, y), [(2, 2, 3), (3,)]),
    "einsum_sum_all": (lambda m, x: m.einsum("ij->", x), [(2, 3)]),
    "einsum_sum_one_operand_only": (lambda m, x, y: m.einsum("ij,k->ik", x, y), [(2, 3), (2,)]),
    "einsum_outer": (lambda m, x, y: m.einsum("i,j->ij", x, y), [(3,), (2,)]),
    "einsum_hadamard": (lambda m, x, y: m.einsum("i,i->i", x, y), [(3,), (3,)]),
    "einsum_broadcast_label": (lambda m, x, y: m.einsum("ij,ij->ij", x, y), [(1, 3), (2, 3)]),
    "einsum_broadcast_label_summed": (lambda m, x, y: m.einsum("ij,jk->ik", x, y), [(2, 1), (3, 2)]),
    "einsum_ellipsis_batch": (lambda m, x, y: m.einsum("...ij,...jk->...ik", x, y), [(2, 2, 2, 3), (2, 3, 2)]),
    "einsum_ellipsis_broadcast": (lambda m, x, y: m.einsum("...ij,...jk", x, y), [(2, 1, 2, 3), (3, 3, 2)]),
    "einsum_ellipsis_middle": (lambda m, x: m.einsum("i...j->ji...", x), [(2, 3, 1, 2)]),
    "einsum_ellipsis_summed": (lambda m, x: m.einsum("...i->i", x), [(2, 3, 2)]),
    "einsum_ellipsis_empty": (lambda m, x, y: m.einsum("...i,i->...", x, y), [(3,), (3,)]),
    "einsum_three": (lambda m, x, y, z: m.einsum("ij,jk,kl->il", x, y, z), [(2, 3), (3, 2), (2, 2)]),
    "einsum_three_shared": (lambda m, x, y, z: m.einsum("bi,bj,bk->ijk", x, y, z), [(3, 2), (3, 2), (3, 1)]),
    "einsum_same_operand_twice": (lambda m, x: m.einsum("ij,ij->", x, x), [(2, 3)]),
    "einsum_0d": (lambda m, x, y: m.einsum(",i->i", x, y), [(), (3,)]),
    "einsum_empty": (lambda m, x, y: m.einsum("ij,jk->ik", x, y), [(2, 0), (0, 3)]),
    "einsum_bilinear": (lambda m, x, w, y: m.einsum("bi,oij,bj->bo", x, w, y), [(2, 3), (2, 3, 2), (2, 2)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch_and_finite_differences(name, rng):
    fn, shapes = CASES[name]
    run_case(fn, shapes, rng)


# ---- behaviours beyond values ------------------------------------------------------------------
def test_functions_and_methods_exist():
    import glassgrad.ops.linalg as linalg
    assert set(linalg.__all__) <= set(dir(glassgrad))
    x = glassgrad.zeros(2, 2)
    for name in ("matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "__matmul__", "__rmatmul__"):
        assert callable(getattr(x, name)), name


def test_integer_matmul_and_einsum():
    a, b = np.arange(6).reshape(2, 3), np.arange(12).reshape(3, 4)
    for fn in (lambda m, x, y: x @ y, lambda m, x, y: m.einsum("ij,jk->ik", x, y)):
        yg, yt = fn(glassgrad, glassgrad.tensor(a), glassgrad.tensor(b)), fn(torch, torch.tensor(a), torch.tensor(b))
        assert yg.dtype == np.int64 and not yg.requires_grad
        np.testing.assert_array_equal(yg.array, yt.numpy())


def test_matmul_gradient_only_where_needed(rng):
    x = glassgrad.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    w = glassgrad.tensor(rng.standard_normal((4, 3, 2)))
    (x @ w).sum().backward()
    assert w.grad is None
    np.testing.assert_allclose(x.grad.array, np.broadcast_to(w.array.sum(axis=(0, 2)), (2, 3)), rtol=1e-12)


def test_hessian_vector_product_of_quadratic_form(rng):
    # f(x) = xᵀ A x: gradient (A + Aᵀ) x, Hessian A + Aᵀ
    a = rng.standard_normal((3, 3))
    A = glassgrad.tensor(a)
    x = glassgrad.tensor(rng.standard_normal(3), requires_grad=True)
    v = rng.standard_normal(3)
    for f in (lambda: x @ A @ x, lambda: glassgrad.einsum("i,ij,j", x, A, x), lambda: glassgrad.dot(x, A.mv(x))):
        (g,) = glassgrad.autograd.grad(f(), [x], create_graph=True)
        np.testing.assert_allclose(g.array, (a + a.T) @ x.array, rtol=1e-12)
        (hv,) = glassgrad.autograd.grad((g * glassgrad.tensor(v)).sum(), [x])
        np.testing.assert_allclose(hv.array, (a + a.T) @ v, rtol=1e-12)


def test_outer_promotes_like_torch():
    y = glassgrad.outer(glassgrad.ones(2), glassgrad.ones(3, dtype=glassgrad.float64))
    assert y.dtype == torch.outer(torch.ones(2), torch.ones(3, dtype=torch.float64)).numpy().dtype


# ---- bad input ---------------------------------------------------------------------------------
def _x(*shape, dtype=None):
    return glassgrad.zeros(*shape, dtype=dtype)


@pytest.mark.parametrize("call, words", [
    (lambda: _x(2, 3) @ _x(4, 2), ["matmul", r"\(2, 3\)", r"\(4, 2\)", "2x3 and 4x2"]),
    (lambda: _x(3) @ _x(4), ["matmul", r"\(3,\)", r"\(4,\)"]),
    (lambda: _x(3) @ _x(4, 5), ["matmul", r"\(3,\)", r"\(4, 5\)"]),
    (lambda: _x(2, 3, 4) @ _x(3, 4, 5), ["matmul", "batch", r"\(2,\)", r"\(3,\)", r"\(2, 3, 4\)"]),
    (lambda: glassgrad.matmul(_x(), _x(2)), ["matmul", "0D and 1D"]),
    (lambda: _x(2, 3) @ _x(3, 2, dtype=glassgrad.float64), ["matmul", "same dtype", "float32", "float64"]),
    (lambda: _x(2, 2, dtype=glassgrad.bool) @ _x(2, 2, dtype=glassgrad.bool), ["matmul", "bool"]),
    (lambda: glassgrad.mm(_x(2, 3), _x(3)), ["mm", "mat2", "matrix", r"\(3,\)"]),
    (lambda: glassgrad.mm(_x(2, 2, 3), _x(3, 2)), ["mm", "input", r"\(2, 2, 3\)"]),
    (lambda: glassgrad.mm(_x(2, 3), _x(4, 2)), ["matmul", "2x3 and 4x2"]),
    (lambda: glassgrad.bmm(_x(2, 3), _x(3, 2)), ["bmm", "3-D", r"\(2, 3\)"]),
    (lambda: glassgrad.bmm(_x(2, 2, 3), _x(3, 3, 2)), ["bmm", r"\[2, 3, p\]", r"\[3, 3, 2\]"]),
    (lambda: glassgrad.bmm(_x(2, 2, 3), _x(2, 4, 2)), ["bmm", r"\[2, 4, 2\]"]),
    (lambda: glassgrad.mv(_x(2, 3), _x(3, 1)), ["mv", r"\(3, 1\)"]),
    (lambda: glassgrad.dot(_x(2), _x(3)), ["dot", "2 and 3"]),
    (lambda: glassgrad.dot(_x(2, 2), _x(2)), ["dot", "1D", r"\(2, 2\)"]),
    (lambda: glassgrad.dot(_x(2), _x(2, dtype=glassgrad.float64)), ["dot", "same dtype"]),
    (lambda: glassgrad.outer(_x(2, 2), _x(3)), ["outer", "1-D", r"\(2, 2\)"]),
    (lambda: glassgrad.inner(_x(2, 3), _x(2)), ["inner", r"\(2, 3\)", r"\(2,\)"]),
    (lambda: glassgrad.einsum("i,i->", _x(2)), ["einsum", "fewer operands"]),
    (lambda: glassgrad.einsum("i", _x(2), _x(2)), ["einsum", "more operands"]),
    (lambda: glassgrad.einsum("ij->jj", _x(2, 2)), ["einsum", "j appears more than once"]),
    (lambda: glassgrad.einsum("ij->k", _x(2, 2)), ["einsum", "k does not appear"]),
    (lambda: glassgrad.einsum("ijk", _x(2, 2)), ["einsum", r"\(3\)", r"\(2\)", "no ellipsis"]),
    (lambda: glassgrad.einsum("ijk...", _x(2, 2)), ["einsum", "more than the number of dimensions"]),
    (lambda: glassgrad.einsum("i...j...", _x(2, 2)), ["einsum", r"'\.'"]),
    (lambda: glassgrad.einsum("i1", _x(2, 2)), ["einsum", "invalid subscript '1'"]),
    (lambda: glassgrad.einsum("ii->i", _x(2, 3)), ["einsum", "repeated", "3 != 2"]),
    (lambda: glassgrad.einsum("ij,jk", _x(2, 3), _x(4, 2)), ["einsum", "subscript j has size 4",
                                                             "previously seen size 3"]),
    (lambda: glassgrad.einsum("ij,jk", _x(2, 3), _x(3, 2, dtype=glassgrad.float64)), ["einsum", "same dtype"]),
    (lambda: glassgrad.einsum("i->i"), ["einsum", "at least one operand"]),
    (lambda: glassgrad.einsum("i->i->i", _x(2)), ["einsum", "more than one '->'"]),
])
def test_bad_input_raises_runtime_error_naming_op_and_shapes(call, words):
    with pytest.raises(RuntimeError) as info:
        call()
    for w in words:
        assert re.search(w, str(info.value)), (w, str(info.value))
