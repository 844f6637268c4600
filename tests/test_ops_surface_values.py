"""The non-differentiable part of issue 13's tensor ops (unique, searchsorted, histograms, counts,
comparisons, type queries, creation, sampling) against PyTorch, plus dtype rules and errors."""
import numpy as np
import pytest
import torch

import glassgrad as gg

RNG = np.random.default_rng(0)
F = RNG.standard_normal((4, 5))
I = RNG.integers(0, 4, (4, 5))
SORTED = np.sort(RNG.standard_normal((3, 6)), axis=1)


def _same(a, b):
    """glassgrad result ``a`` equals torch result ``b`` (tensors, tuples, bools, dtypes)."""
    if isinstance(b, (tuple, list)):
        assert isinstance(a, (tuple, list)) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(b, torch.Tensor):
        assert a.shape == tuple(b.shape) and str(a.dtype) == str(b.dtype).replace("torch.", "")
        np.testing.assert_allclose(a.array, b.numpy(), rtol=1e-12, atol=1e-12)
    elif isinstance(b, torch.dtype):
        assert str(np.dtype(a)) == str(b).replace("torch.", "")
    else:
        assert a == b


VALUES = [
    ("unique", lambda ns, f, i: ns.unique(i)),
    ("unique_inverse_counts", lambda ns, f, i: ns.unique(i, return_inverse=True, return_counts=True)),
    ("unique_dim", lambda ns, f, i: ns.unique(ns.cat([i, i[:2]]), dim=0, return_inverse=True, return_counts=True)),
    ("unique_method", lambda ns, f, i: i.unique(sorted=True)),
    ("unique_consecutive", lambda ns, f, i: ns.unique_consecutive(i.reshape(-1), return_counts=True,
                                                                  return_inverse=True)),
    ("searchsorted", lambda ns, f, i: ns.searchsorted(ns.tensor(SORTED[0]), f)),
    ("searchsorted_right_batched", lambda ns, f, i: ns.searchsorted(ns.tensor(SORTED), f[:3], right=True)),
    ("searchsorted_side_int32", lambda ns, f, i: ns.searchsorted(ns.tensor(SORTED[1]), f, side="right",
                                                                  out_int32=True)),
    ("searchsorted_scalar", lambda ns, f, i: ns.searchsorted(ns.tensor([1, 3, 5, 7]), 4)),
    ("bucketize", lambda ns, f, i: ns.bucketize(f, ns.tensor([-1.0, 0.0, 0.5]))),
    ("bucketize_right", lambda ns, f, i: ns.bucketize(i, ns.tensor([0, 1, 2]), right=True)),
    ("histc", lambda ns, f, i: ns.histc(f, bins=7)),
    ("histc_range", lambda ns, f, i: f.histc(bins=4, min=-1, max=1)),
    ("bincount", lambda ns, f, i: ns.bincount(i.reshape(-1))),
    ("bincount_weights", lambda ns, f, i: ns.bincount(i.reshape(-1), weights=f.reshape(-1), minlength=6)),
    ("count_nonzero", lambda ns, f, i: ns.count_nonzero(i)),
    ("count_nonzero_dims", lambda ns, f, i: i.count_nonzero(dim=(0, 1))),
    ("count_nonzero_dim", lambda ns, f, i: ns.count_nonzero(i, 1)),
    ("isclose", lambda ns, f, i: ns.isclose(f, f + 1e-6 * ns.sign(f), rtol=1e-6)),
    ("isclose_nan", lambda ns, f, i: ns.isclose(ns.tensor([float("nan"), 1.0]), ns.tensor([float("nan"), 1.0]),
                                                equal_nan=True)),
    ("allclose", lambda ns, f, i: (ns.allclose(f, f + 1e-9), ns.allclose(f, f + 1e-3), f.allclose(f))),
    ("equal", lambda ns, f, i: (ns.equal(f, f.clone()), ns.equal(f, f[:2]), i.equal(i + 1))),
    ("is_tensor", lambda ns, f, i: (ns.is_tensor(f), ns.is_tensor(F))),
    ("numel", lambda ns, f, i: (ns.numel(f), ns.numel(i[0]))),
    ("result_type", lambda ns, f, i: (ns.result_type(i, f), ns.result_type(i, 2.5), ns.result_type(2, 3),
                                      ns.result_type(1.0, 2), ns.result_type(f.float(), f))),
    ("logspace", lambda ns, f, i: (ns.logspace(-2, 2, 5), ns.logspace(0, 3, 4, base=2.0, dtype=ns.float64))),
    ("integer_rounding", lambda ns, f, i: (ns.floor(i), ns.ceil(i), ns.round(i), ns.trunc(i), ns.square(i))),
    ("integer_to_float", lambda ns, f, i: (ns.exp2(i), ns.log2(i + 1), ns.tan(i), ns.atan2(i, i + 1))),
    ("square_bool", lambda ns, f, i: ns.square(i > 1)),
    ("fmod_integer", lambda ns, f, i: ns.fmod(i - 2, 3)),
    ("nan_to_num_defaults", lambda ns, f, i: ns.nan_to_num(ns.tensor([float("nan"), float("inf"), -float("inf")]))),
    ("erfinv_edges", lambda ns, f, i: ns.erfinv(ns.tensor([-1.0, 1.0, 1.5, 0.0, 0.999, -0.3], dtype=ns.float64))),
    ("sort_nan_and_ties", lambda ns, f, i: (ns.sort(ns.tensor([2.0, float("nan"), 1.0, 2.0, 1.0])),
                                            ns.sort(ns.tensor([2.0, float("nan"), 1.0, 2.0, 1.0]), descending=True,
                                                    stable=True))),
    ("sort_int", lambda ns, f, i: ns.sort(i, dim=0, stable=True)),
    ("mode_ties", lambda ns, f, i: ns.mode(ns.tensor([1, 2, 2, 3, 3, 1, 1, 3]))),
    ("median_even", lambda ns, f, i: (ns.median(ns.tensor([1.0, 2.0, 3.0, 4.0])), ns.median(i))),
    ("median_nan", lambda ns, f, i: (ns.median(ns.tensor([1.0, float("nan"), 3.0])),
                                     ns.nanmedian(ns.tensor([1.0, float("nan"), 3.0])))),
    ("cummax_ties_nan", lambda ns, f, i: (ns.cummax(ns.tensor([1.0, 3.0, 3.0, 2.0, float("nan"), 5.0]), 0),
                                          ns.cummin(ns.tensor([3, 1, 1, 2]), 0))),
    ("cumprod_int", lambda ns, f, i: ns.cumprod(i, 1)),
    ("diff_bool", lambda ns, f, i: ns.diff(i > 1)),
    ("quantile_nan", lambda ns, f, i: ns.quantile(ns.tensor([[1.0, float("nan")], [1.0, 2.0]]), 0.5, dim=1)),
    ("trace_int", lambda ns, f, i: ns.trace(i)),
    ("cov_weights", lambda ns, f, i: ns.cov(f, correction=2, fweights=i[0] + 1, aweights=f[1].abs())),
    ("repeat_interleave_counts", lambda ns, f, i: ns.repeat_interleave(ns.tensor([2, 0, 3]))),
    ("block_diag_promotes", lambda ns, f, i: ns.block_diag(i[:2, :2], f[:1, :3])),
]


@pytest.mark.parametrize("name, fn", VALUES, ids=[v[0] for v in VALUES])
def test_values_match_torch(name, fn):
    _same(fn(gg, gg.tensor(F), gg.tensor(I)), fn(torch, torch.tensor(F), torch.tensor(I)))


EDGES = [
    ("sort_0d", lambda ns, x: ns.sort(x[0, 0])),
    ("sort_empty", lambda ns, x: ns.sort(x[:0], 0)),
    ("topk_0", lambda ns, x: ns.topk(x, 0)),
    ("cumprod_0d", lambda ns, x: ns.cumprod(x[0, 0], 0)),
    ("cumprod_empty", lambda ns, x: ns.cumprod(x[:0], 0)),
    ("cummax_0d", lambda ns, x: ns.cummax(x[0, 0], 0)),
    ("median_0d", lambda ns, x: (ns.median(x[0, 0]),) + tuple(ns.median(x[0, 0], 0))),
    ("kthvalue_0d", lambda ns, x: ns.kthvalue(x[0, 0], 1)),
    ("quantile_0d", lambda ns, x: ns.quantile(x[0, 0], 0.5)),
    ("diff_to_empty", lambda ns, x: ns.diff(x[:, :1])),
    ("unique_0d", lambda ns, x: ns.unique(x[0, 0])),
    ("trace_empty", lambda ns, x: ns.trace(x[:0])),
    ("diag_empty", lambda ns, x: ns.diag(x[0, :0])),
    ("cdist_self", lambda ns, x: ns.cdist(x, x)),
    ("round_halves", lambda ns, x: ns.round(ns.tensor([0.5, 1.5, 2.5, -0.5, 1.25]), decimals=1)),
    ("sort_nan_descending", lambda ns, x: ns.sort(ns.tensor([[1.0, float("nan"), 3.0, float("nan")]]),
                                                  descending=True)),
    ("float32_sort", lambda ns, x: ns.sort(x.float())),
    ("float32_erfinv", lambda ns, x: ns.erfinv(ns.tanh(x.float()))),
    ("float32_cumprod", lambda ns, x: ns.cumprod(x.float(), 1)),
    ("float32_quantile", lambda ns, x: ns.quantile(x.float(), 0.3, dim=1)),
    ("float32_logaddexp_hypot", lambda ns, x: (ns.logaddexp(x.float(), x.float() * 2), ns.hypot(x.float(), x.float()))),
]


@pytest.mark.parametrize("name, fn", EDGES, ids=[e[0] for e in EDGES])
def test_edge_cases_match_torch(name, fn):
    """0-d and empty inputs, NaN, float32 (to float32 accuracy)."""
    got, want = fn(gg, gg.tensor(F[:3, :4])), fn(torch, torch.tensor(F[:3, :4]))
    got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
    for a, b in zip(got, want):
        assert a.shape == tuple(b.shape) and str(a.dtype) == str(b.dtype).replace("torch.", "")
        np.testing.assert_allclose(a.array, b.numpy(), rtol=2e-6, atol=1e-6)


def test_multinomial_distribution_and_rules():
    gg.manual_seed(0)
    w = gg.tensor([[0.0, 1.0, 3.0], [2.0, 2.0, 0.0]], dtype=gg.float64)
    draws = gg.multinomial(w, 4000, replacement=True)
    assert draws.shape == (2, 4000) and draws.dtype == gg.int64
    freq0 = np.bincount(draws.array[0], minlength=3) / 4000
    assert freq0[0] == 0 and abs(freq0[2] - 0.75) < 0.03
    freq1 = np.bincount(draws.array[1], minlength=3) / 4000
    assert freq1[2] == 0 and abs(freq1[0] - 0.5) < 0.03
    picks = gg.tensor([1.0, 1.0, 1.0, 1.0]).multinomial(4)
    assert sorted(picks.tolist()) == [0, 1, 2, 3]
    g = gg.Generator().manual_seed(5)
    first = gg.multinomial(gg.ones(10), 3, generator=g)
    assert gg.equal(first, gg.multinomial(gg.ones(10), 3, generator=gg.Generator().manual_seed(5)))


def test_meshgrid_without_indexing_warns_like_torch():
    with pytest.warns(UserWarning, match="indexing"):
        gg.meshgrid(gg.ones(2), gg.ones(3))


ERRORS = [
    (lambda: gg.kthvalue(gg.ones(3), 4), RuntimeError, "selected number k=4 out of range for dimension 0"),
    (lambda: gg.topk(gg.ones(2, 3), 4), RuntimeError, "k must be in \\[0, 3\\]"),
    (lambda: gg.sort(gg.ones(2), dim=2), IndexError, "sort"),
    (lambda: gg.floor(gg.tensor([True])), RuntimeError, "bool"),
    (lambda: gg.frac(gg.tensor([1, 2])), RuntimeError, "frac"),
    (lambda: gg.round(gg.tensor([1, 2]), decimals=1), RuntimeError, "decimals"),
    (lambda: gg.hypot(gg.tensor([1, 2]), gg.tensor([1, 2])), RuntimeError, "hypot"),
    (lambda: gg.logaddexp(gg.ones(2), 1.0), TypeError, "must be Tensor"),
    (lambda: gg.fmod(gg.tensor([1, 2]), gg.tensor([0, 1])), RuntimeError, "division by zero"),
    (lambda: gg.atan2(gg.ones(2), gg.ones(3)), RuntimeError, "cannot be broadcast"),
    (lambda: gg.quantile(gg.ones(3), 1.5), RuntimeError, "in the range \\[0, 1\\]"),
    (lambda: gg.quantile(gg.tensor([1, 2]), 0.5), RuntimeError, "float or double"),
    (lambda: gg.quantile(gg.ones(3), 0.5, interpolation="cubic"), RuntimeError, "interpolation"),
    (lambda: gg.cov(gg.ones(2, 2, 2)), ValueError, "two or fewer dimensions"),
    (lambda: gg.cov(gg.ones(2, 3), fweights=gg.ones(3)), RuntimeError, "integral"),
    (lambda: gg.bincount(gg.tensor([1, -1])), RuntimeError, "non-negative"),
    (lambda: gg.bincount(gg.ones(3)), RuntimeError, "integral"),
    (lambda: gg.histc(gg.tensor([1, 2])), RuntimeError, "histc"),
    (lambda: gg.histc(gg.ones(3), min=2, max=1), RuntimeError, "max must be larger than min"),
    (lambda: gg.searchsorted(gg.ones(2, 3), gg.ones(3, 3)), RuntimeError, "first N-1 dimensions"),
    (lambda: gg.searchsorted(gg.ones(3), gg.ones(2), right=True, side="left"), RuntimeError, "opposites"),
    (lambda: gg.bucketize(gg.ones(2), gg.ones(2, 2)), RuntimeError, "1 dimension"),
    (lambda: gg.diag(gg.ones(2, 2, 2)), RuntimeError, "1D or 2D"),
    (lambda: gg.diagonal(gg.ones(3, 3), 0, 1, 1), RuntimeError, "cannot be identical"),
    (lambda: gg.trace(gg.ones(3)), RuntimeError, "expected a matrix"),
    (lambda: gg.block_diag(gg.ones(2, 2, 2)), RuntimeError, "2 or fewer dimensions"),
    (lambda: gg.kron(gg.ones(2), gg.ones(2)).sum() + gg.tensordot(gg.ones(2, 3), gg.ones(2, 3), 1),
     RuntimeError, "contracted dimensions need to match"),
    (lambda: gg.cross(gg.ones(2, 4), gg.ones(2, 4)), RuntimeError, "no dimension of size 3"),
    (lambda: gg.cross(gg.ones(3, 2), gg.ones(3, 2), dim=1), RuntimeError, "must have length 3"),
    (lambda: gg.cdist(gg.ones(2, 3), gg.ones(2, 4)), RuntimeError, "same number of columns"),
    (lambda: gg.addmm(gg.ones(5), gg.ones(2, 3), gg.ones(3, 4)), RuntimeError, "cannot be broadcast"),
    (lambda: gg.addmm(gg.ones(3, 2, 4), gg.ones(2, 3), gg.ones(3, 4)), RuntimeError, "cannot be broadcast"),
    (lambda: gg.hstack(gg.ones(2)), TypeError, "tuple or list"),
    (lambda: gg.vstack([]), RuntimeError, "non-empty"),
    (lambda: gg.fliplr(gg.ones(3)), RuntimeError, ">= 2-d"),
    (lambda: gg.meshgrid(gg.ones(2, 2), indexing="ij"), RuntimeError, "0D or 1D"),
    (lambda: gg.repeat_interleave(gg.ones(3), gg.tensor([1, 2]), dim=0), RuntimeError, "same size as input"),
    (lambda: gg.repeat_interleave(gg.ones(3), -1), RuntimeError, "negative"),
    (lambda: gg.broadcast_tensors(gg.ones(2), gg.ones(3)), RuntimeError, "cannot be broadcast"),
    (lambda: gg.cartesian_prod(gg.ones(2, 2)), RuntimeError, "1D vector"),
    (lambda: gg.isclose(gg.ones(2), gg.ones(2, dtype=gg.float64)), RuntimeError, "did not match"),
    (lambda: gg.multinomial(gg.ones(3), 4), RuntimeError, "without replacement"),
    (lambda: gg.multinomial(gg.tensor([1.0, -1.0]), 1), RuntimeError, "element < 0"),
    (lambda: gg.multinomial(gg.ones(2, 2, 2), 1), RuntimeError, "1 or 2 dim"),
    (lambda: gg.diff(gg.tensor(1.0)), RuntimeError, "at least one-dimensional"),
    (lambda: gg.mode(gg.ones(0)), IndexError, "non-zero size"),
    (lambda: gg.logspace(0, 1, -1), RuntimeError, "non-negative"),
]


def test_cov_warns_without_degrees_of_freedom():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        gg.cov(gg.ones(2, 1))


@pytest.mark.parametrize("call, error, match", ERRORS)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
