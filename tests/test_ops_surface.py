"""PyTorch's everyday tensor ops (issue 13): forward and gradients against PyTorch in float64, each
gradient against finite differences (gradcheck), a few second derivatives (gradgradcheck).

Each row of ``DIFFERENTIABLE`` is ``(name, fn(ns, *inputs), input shapes)``: ``fn`` is called with
``ns`` = torch, then glassgrad, on the same random inputs; it may shape the inputs into an op's
domain with ops that are themselves tested elsewhere (``tanh`` into (-1, 1), ...)."""
import numpy as np
import pytest

import glassgrad as gg
from glassgrad.autograd import gradcheck, gradgradcheck

from parity import check_parity

_in_unit = lambda ns, x: ns.tanh(x) * 0.9           # noqa: E731  (-0.9, 0.9)
_positive = lambda ns, x: ns.exp(x) + 0.1            # noqa: E731
_above_one = lambda ns, x: ns.exp(x) + 1.1           # noqa: E731


def _values_indices(out):
    """Both fields of a (values, indices) result, the indices compared too (added to 0·values, so that
    the tuple is differentiable as a whole)."""
    return out.values, out.values * 0 + out.indices


DIFFERENTIABLE = [
    # element-wise, unary
    ("floor", lambda ns, x: ns.floor(x * 3) + x, [(3, 4)]),
    ("ceil", lambda ns, x: x.ceil() * 1.0 + x, [(3, 4)]),
    ("round", lambda ns, x: ns.round(x * 3) + x, [(3, 4)]),
    ("round_decimals", lambda ns, x: ns.round(x, decimals=2) + x, [(3, 4)]),
    ("trunc", lambda ns, x: x.trunc() + x, [(3, 4)]),
    ("frac", lambda ns, x: ns.frac(x * 3), [(3, 4)]),
    ("square", lambda ns, x: ns.square(x), [(2, 3)]),
    ("tan", lambda ns, x: ns.tan(_in_unit(ns, x)), [(3, 4)]),
    ("asin", lambda ns, x: ns.asin(_in_unit(ns, x)), [(3, 4)]),
    ("acos", lambda ns, x: _in_unit(ns, x).acos(), [(3, 4)]),
    ("atan", lambda ns, x: ns.atan(x), [(3, 4)]),
    ("sinh", lambda ns, x: ns.sinh(x), [(3, 4)]),
    ("cosh", lambda ns, x: x.cosh(), [(3, 4)]),
    ("asinh", lambda ns, x: ns.asinh(x), [(3, 4)]),
    ("acosh", lambda ns, x: ns.acosh(_above_one(ns, x)), [(3, 4)]),
    ("atanh", lambda ns, x: ns.atanh(_in_unit(ns, x)), [(3, 4)]),
    ("exp2", lambda ns, x: ns.exp2(x), [(3, 4)]),
    ("log2", lambda ns, x: ns.log2(_positive(ns, x)), [(3, 4)]),
    ("log10", lambda ns, x: _positive(ns, x).log10(), [(3, 4)]),
    ("erfinv", lambda ns, x: ns.erfinv(_in_unit(ns, x)), [(3, 4)]),
    ("nan_to_num", lambda ns, x: ns.nan_to_num(ns.log(x), nan=0.5), [(3, 4)]),
    # element-wise, binary (broadcasting)
    ("fmod", lambda ns, x, y: ns.fmod(x * 4, _positive(ns, y)), [(3, 4), (4,)]),
    ("fmod_scalar", lambda ns, x: x.fmod(0.7), [(3, 4)]),
    ("atan2", lambda ns, x, y: ns.atan2(x, y), [(3, 1), (1, 4)]),
    ("hypot", lambda ns, x, y: ns.hypot(x, y), [(3, 4), (4,)]),
    ("logaddexp", lambda ns, x, y: ns.logaddexp(x * 10, y), [(3, 4), (3, 1)]),
    ("logaddexp2", lambda ns, x, y: x.logaddexp2(y), [(3, 4), (4,)]),
    # sorting and selection
    ("sort", lambda ns, x: _values_indices(ns.sort(x, dim=0)), [(5, 3)]),
    ("sort_descending", lambda ns, x: _values_indices(x.sort(descending=True)), [(3, 5)]),
    ("argsort", lambda ns, x: x * 0 + ns.argsort(x, dim=1), [(3, 5)]),
    ("msort", lambda ns, x: ns.msort(x), [(4, 3)]),
    ("topk", lambda ns, x: _values_indices(ns.topk(x, 2)), [(3, 5)]),
    ("topk_smallest", lambda ns, x: _values_indices(x.topk(3, dim=0, largest=False)), [(5, 2)]),
    ("kthvalue", lambda ns, x: _values_indices(ns.kthvalue(x, 2, 1)), [(3, 5)]),
    ("kthvalue_keepdim", lambda ns, x: _values_indices(x.kthvalue(4, 0, keepdim=True)), [(5, 3)]),
    ("median", lambda ns, x: ns.median(x), [(3, 5)]),
    ("median_ties", lambda ns, x: ns.median(ns.cat([x, x])), [(4,)]),
    ("median_dim", lambda ns, x: _values_indices(x.median(dim=1)), [(3, 4)]),
    ("nanmedian", lambda ns, x: _values_indices(ns.nanmedian(x, 0, keepdim=True)), [(5, 3)]),
    ("mode", lambda ns, x: _values_indices(ns.mode(ns.round(x * 2), 1)), [(4, 7)]),
    ("quantile", lambda ns, x: ns.quantile(x, 0.3), [(3, 5)]),
    ("quantile_dim", lambda ns, x, q: ns.quantile(x, ns.sigmoid(q), dim=1, keepdim=True), [(3, 5), (4,)]),
    ("quantile_lower", lambda ns, x: x.quantile(0.4, dim=0, interpolation="lower"), [(6, 2)]),
    ("quantile_higher", lambda ns, x: ns.quantile(x, 0.4, dim=0, interpolation="higher"), [(6, 2)]),
    ("quantile_midpoint", lambda ns, x: ns.quantile(x, 0.45, dim=0, interpolation="midpoint"), [(6, 2)]),
    ("quantile_nearest", lambda ns, x: ns.quantile(x, 0.45, dim=1, interpolation="nearest"), [(2, 6)]),
    ("nanquantile", lambda ns, x: ns.nanquantile(x, 0.7, dim=1), [(3, 5)]),
    # cumulative
    ("cumprod", lambda ns, x: ns.cumprod(x, 1), [(3, 5)]),
    ("cumprod_dim0", lambda ns, x: x.cumprod(dim=0), [(4, 2)]),
    ("cummax", lambda ns, x: _values_indices(ns.cummax(x, 1)), [(3, 6)]),
    ("cummin", lambda ns, x: _values_indices(x.cummin(0)), [(6, 3)]),
    ("diff", lambda ns, x: ns.diff(x), [(3, 6)]),
    ("diff_n2_prepend", lambda ns, x, p: ns.diff(x, n=2, dim=0, prepend=p), [(4, 3), (2, 3)]),
    ("diff_append", lambda ns, x, a: x.diff(dim=1, append=a), [(3, 4), (3, 1)]),
    # statistics
    ("cov", lambda ns, x: ns.cov(x), [(3, 7)]),
    ("cov_1d", lambda ns, x: ns.cov(x, correction=0), [(6,)]),
    ("cov_aweights", lambda ns, x, w: ns.cov(x, aweights=ns.exp(w)), [(2, 6), (6,)]),
    ("corrcoef", lambda ns, x: ns.corrcoef(x), [(3, 8)]),
    # diagonals and matrix products
    ("diag_vector", lambda ns, x: ns.diag(x, 1), [(4,)]),
    ("diag_matrix", lambda ns, x: ns.diag(x, -1), [(4, 3)]),
    ("diagonal", lambda ns, x: ns.diagonal(x, 1, 0, 2), [(3, 2, 4)]),
    ("diag_embed", lambda ns, x: ns.diag_embed(x, -1, 0, 2), [(2, 3)]),
    ("trace", lambda ns, x: ns.trace(x), [(3, 4)]),
    ("block_diag", lambda ns, a, b, c: ns.block_diag(a, b, c), [(2, 3), (3,), ()]),
    ("kron", lambda ns, a, b: ns.kron(a, b), [(2, 3), (3, 2)]),
    ("kron_ranks", lambda ns, a, b: a.kron(b), [(2,), (2, 3, 2)]),
    ("cross", lambda ns, a, b: ns.cross(a, b, dim=1), [(4, 3), (1, 3)]),
    ("cross_linalg", lambda ns, a, b: ns.linalg.cross(a, b), [(2, 3), (2, 3)]),
    ("tensordot", lambda ns, a, b: ns.tensordot(a, b, dims=2), [(2, 3, 4), (3, 4, 5)]),
    ("tensordot_lists", lambda ns, a, b: ns.tensordot(a, b, dims=([0, 2], [2, 0])), [(2, 3, 4), (4, 5, 2)]),
    ("cdist", lambda ns, a, b: ns.cdist(a, b), [(4, 3), (5, 3)]),
    ("cdist_p1_batched", lambda ns, a, b: ns.cdist(a, b, p=1.0), [(2, 3, 4), (2, 5, 4)]),
    ("cdist_pinf", lambda ns, a, b: ns.cdist(a, b, p=float("inf")), [(3, 2), (4, 2)]),
    ("addmm", lambda ns, i, a, b: ns.addmm(i, a, b, beta=0.5, alpha=2.0), [(4,), (3, 2), (2, 4)]),
    ("addmm_method", lambda ns, i, a, b: i.addmm(a, b), [(3, 4), (3, 2), (2, 4)]),
    ("addmv", lambda ns, i, a, v: ns.addmv(i, a, v, alpha=3), [(3,), (3, 2), (2,)]),
    ("baddbmm", lambda ns, i, a, b: ns.baddbmm(i, a, b, beta=2.0, alpha=0.5), [(1, 3, 4), (2, 3, 2), (2, 2, 4)]),
    ("addbmm", lambda ns, i, a, b: ns.addbmm(i, a, b), [(3, 4), (2, 3, 2), (2, 2, 4)]),
    # joining, repeating, broadcasting
    ("hstack", lambda ns, a, b: ns.hstack([a, b]), [(2, 3), (2, 1)]),
    ("hstack_1d", lambda ns, a, b: ns.hstack((a, b)), [(2,), (3,)]),
    ("vstack", lambda ns, a, b: ns.vstack([a, b]), [(3,), (2, 3)]),
    ("dstack", lambda ns, a, b: ns.dstack([a, b]), [(2, 3), (2, 3)]),
    ("column_stack", lambda ns, a, b: ns.column_stack([a, b]), [(3,), (3, 2)]),
    ("fliplr", lambda ns, x: ns.fliplr(x), [(2, 3, 2)]),
    ("flipud", lambda ns, x: x.flipud(), [(3, 2)]),
    ("meshgrid_ij", lambda ns, a, b: ns.meshgrid(a, b, indexing="ij"), [(3,), (4,)]),
    ("meshgrid_xy", lambda ns, a, b, c: ns.meshgrid(a, b, c, indexing="xy"), [(2,), (3,), (4,)]),
    ("repeat_interleave", lambda ns, x: ns.repeat_interleave(x, 2, dim=1), [(2, 3)]),
    ("repeat_interleave_flat", lambda ns, x: x.repeat_interleave(3), [(2, 2)]),
    ("repeat_interleave_tensor", lambda ns, x: ns.repeat_interleave(x, ns.tensor([1, 0, 2]), dim=0), [(3, 2)]),
    ("broadcast_tensors", lambda ns, a, b: ns.broadcast_tensors(a, b), [(3, 1), (4,)]),
    ("cartesian_prod", lambda ns, a, b: ns.cartesian_prod(a, b), [(2,), (3,)]),
]


@pytest.mark.parametrize("name, fn, shapes", DIFFERENTIABLE, ids=[r[0] for r in DIFFERENTIABLE])
def test_parity_with_torch(name, fn, shapes):
    check_parity(fn, shapes, np.random.default_rng(0))


@pytest.mark.parametrize("name, fn, shapes", DIFFERENTIABLE, ids=[r[0] for r in DIFFERENTIABLE])
def test_gradcheck(name, fn, shapes):
    rng = np.random.default_rng(1)
    xs = [gg.tensor(rng.standard_normal(s), dtype=gg.float64, requires_grad=True) for s in shapes]

    def f(*inputs):
        out = fn(gg, *inputs)
        outs = out if isinstance(out, tuple) else (out,)
        return tuple(o for o in outs if o.requires_grad)
    assert gradcheck(f, xs)


SECOND_ORDER = ["tan", "erfinv", "atan2", "hypot", "logaddexp", "cumprod", "sort", "quantile_dim", "cov",
                "corrcoef", "kron", "cross", "cdist", "diag_embed", "baddbmm", "fmod"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_gradgradcheck(name):
    fn, shapes = next((f, s) for n, f, s in DIFFERENTIABLE if n == name)
    rng = np.random.default_rng(2)
    xs = [gg.tensor(rng.standard_normal(s), dtype=gg.float64, requires_grad=True) for s in shapes]
    assert gradgradcheck(lambda *inputs: fn(gg, *inputs)[0] if isinstance(fn(gg, *inputs), tuple)
                         else fn(gg, *inputs), xs)


def test_cumprod_gradient_with_zeros():
    """The zero-safe path: zeros (one and two of them) give PyTorch's gradient, to every order."""
    a = np.array([[0.5, 0.0, 2.0, -1.5, 3.0], [1.2, 0.0, 0.7, 0.0, 2.0]])
    check_parity(lambda ns, x: ns.cumprod(x * ns.tensor(a), 1), [(2, 5)], np.random.default_rng(3))
    x = gg.tensor(a, requires_grad=True)
    assert gradcheck(lambda t: gg.cumprod(t, 1), [x])
    assert gradgradcheck(lambda t: gg.cumprod(t, 1), [x])
