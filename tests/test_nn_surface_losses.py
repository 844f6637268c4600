"""The margin, embedding and likelihood losses and the distances added for issue 13, against
PyTorch in float64 (values and the gradient of every float input, each reduction), gradcheck,
modules and their errors."""
import numpy as np
import pytest
import torch

import glassgrad
import glassgrad.nn as nn
import glassgrad.nn.functional as F
from nn_surface import check, gradcheck

REDUCTIONS = ["none", "mean", "sum"]


def _signs(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _cases(rng):
    """name -> (positional arrays, kwargs); the same call in both frameworks."""
    x, y = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    return {
        "cosine_embedding_loss": ([x, y, _signs(rng, 5)], dict(margin=0.2)),
        "cosine_embedding_loss-1d": ([x[0], y[0], np.array(-1.0)], {}),
        "margin_ranking_loss": ([x[:, 0], y[:, 0], _signs(rng, 5)], dict(margin=0.3)),
        "hinge_embedding_loss": ([np.abs(x), _signs(rng, (5, 4))], dict(margin=1.5)),
        "triplet_margin_loss": ([x, y, rng.standard_normal((5, 4))], dict(margin=1.5)),
        "triplet_margin_loss-p1-swap": ([x, y, rng.standard_normal((5, 4))], dict(p=1, swap=True, margin=2.0)),
        "triplet_margin_loss-p3": ([x[0], y[0], x[1]], dict(p=3, eps=1e-3)),
        "soft_margin_loss": ([x, _signs(rng, (5, 4))], {}),
        "multilabel_soft_margin_loss": ([x, (rng.random((5, 4)) < 0.5) * 1.0], {}),
        "multilabel_soft_margin_loss-weight": ([x, (rng.random((5, 4)) < 0.5) * 1.0], dict(weight=rng.random(4))),
        "multi_margin_loss": ([x, rng.integers(0, 4, 5)], {}),
        "multi_margin_loss-p2-weight": ([x, rng.integers(0, 4, 5)], dict(p=2, margin=0.7, weight=rng.random(4))),
        "multi_margin_loss-1d": ([x[0], np.array(2)], {}),
        "multilabel_margin_loss": ([x, np.array([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 0, 0, 0], [2, -1, 1, 1],
                                                 [1, 3, -1, -1]])], {}),
        "poisson_nll_loss": ([x, rng.poisson(2.0, (5, 4)) * 1.0], {}),
        "poisson_nll_loss-full": ([x, rng.poisson(2.0, (5, 4)) * 1.0], dict(full=True)),
        "poisson_nll_loss-rate": ([np.abs(x) + 0.1, rng.poisson(2.0, (5, 4)) * 1.0], dict(log_input=False, full=True)),
        "gaussian_nll_loss": ([x, y, rng.random((5, 4)) + 0.1], {}),
        "gaussian_nll_loss-homoscedastic": ([x, y, rng.random(5) + 0.1], dict(full=True)),
        "gaussian_nll_loss-one": ([x, y, rng.random((5, 1)) + 0.1], {}),
        "gaussian_nll_loss-clamped": ([x, y, np.abs(rng.standard_normal((5, 4))) * 1e-7], dict(eps=1e-6)),
    }


NAMES = list(_cases(np.random.default_rng(0)))


def _convert(kwargs, ns):
    return {k: (ns.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # 0·log 0 in the Poisson target gradient, NaN as in PyTorch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", NAMES)
def test_functional_parity(case, reduction, rng):
    arrays, kwargs = _cases(rng)[case]
    name = case.split("-")[0]
    check(lambda *a: getattr(F, name)(*a, reduction=reduction, **_convert(kwargs, glassgrad)),
          lambda *a: getattr(torch.nn.functional, name)(*a, reduction=reduction, **_convert(kwargs, torch)),
          arrays, rng, constant=CONSTANT.get(name, ()))


# positions of the inputs PyTorch does not differentiate
CONSTANT = {"soft_margin_loss": (1,)}


@pytest.mark.parametrize("case", [n for n in NAMES[::2] if not n.endswith("clamped")])
def test_gradcheck(case, rng):
    arrays, kwargs = _cases(rng)[case]
    name = case.split("-")[0]
    # the Poisson target's gradient is NaN at target 0 with full=True (0·log 0), as in PyTorch
    gradcheck(lambda *a: getattr(F, name)(*a, reduction="sum", **_convert(kwargs, glassgrad)), arrays,
              constant=(1,) if name == "poisson_nll_loss" else ())


def test_triplet_with_distance(rng):
    a, p, n = (rng.standard_normal((4, 3)) for _ in range(3))
    for swap in (False, True):
        check(lambda *t: F.triplet_margin_with_distance_loss(*t, distance_function=lambda u, v: 1 - F.cosine_similarity(u, v), swap=swap),
              lambda *t: torch.nn.functional.triplet_margin_with_distance_loss(
                  *t, distance_function=lambda u, v: 1 - torch.nn.functional.cosine_similarity(u, v), swap=swap),
              [a, p, n], rng)
    check(F.triplet_margin_with_distance_loss, torch.nn.functional.triplet_margin_with_distance_loss, [a, p, n], rng)


MODULES = [
    ("CosineEmbeddingLoss", dict(margin=0.1), "cosine_embedding_loss"),
    ("MarginRankingLoss", dict(margin=0.5, reduction="sum"), "margin_ranking_loss"),
    ("HingeEmbeddingLoss", dict(margin=2.0), "hinge_embedding_loss"),
    ("TripletMarginLoss", dict(p=1.0, swap=True), "triplet_margin_loss"),
    ("SoftMarginLoss", dict(reduction="none"), "soft_margin_loss"),
    ("MultiLabelSoftMarginLoss", {}, "multilabel_soft_margin_loss"),
    ("MultiMarginLoss", dict(p=2, margin=0.5), "multi_margin_loss"),
    ("MultiLabelMarginLoss", {}, "multilabel_margin_loss"),
    ("PoissonNLLLoss", dict(full=True), "poisson_nll_loss"),
    ("GaussianNLLLoss", dict(full=True, reduction="sum"), "gaussian_nll_loss"),
]


@pytest.mark.parametrize("name,kwargs,case", MODULES, ids=[m[0] for m in MODULES])
def test_modules(name, kwargs, case, rng):
    arrays, _ = _cases(rng)[case]
    g, t = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    check(g, t, arrays, rng, constant=CONSTANT.get(case, ()))


def test_module_weight_is_a_buffer(rng):
    w = rng.random(4)
    g, t = nn.MultiMarginLoss(weight=glassgrad.tensor(w)), torch.nn.MultiMarginLoss(weight=torch.tensor(w))
    assert list(g.state_dict()) == list(t.state_dict()) == ["weight"]


DISTANCES = [
    ("pairwise_distance", [(5, 4), (5, 4)], {}),
    ("pairwise_distance", [(5, 4), (4,)], dict(p=1.0, keepdim=True)),
    ("pairwise_distance", [(4,), (4,)], dict(p=3.0, eps=1e-3)),
    ("pairwise_distance", [(5, 4), (5, 4)], dict(p=float("inf"))),
    ("cosine_similarity", [(5, 4), (5, 4)], {}),
    ("cosine_similarity", [(2, 5, 4), (5, 1)], dict(dim=-1)),
    ("cosine_similarity", [(5, 4), (1, 4)], dict(dim=0, eps=1e-3)),
    ("pdist", [(6, 3)], {}),
    ("pdist", [(5, 4)], dict(p=1.0)),
    ("pdist", [(5, 4)], dict(p=3.5)),
    ("normalize", [(5, 4)], {}),
    ("normalize", [(2, 3, 4)], dict(p=1.0, dim=-1)),
    ("normalize", [(2, 3, 4)], dict(p=3.0, dim=0)),
]


@pytest.mark.parametrize("name,shapes,kwargs", DISTANCES, ids=lambda v: str(v))
def test_distances(name, shapes, kwargs, rng):
    arrays = [rng.standard_normal(s) for s in shapes]
    check(lambda *a: getattr(F, name)(*a, **kwargs), lambda *a: getattr(torch.nn.functional, name)(*a, **kwargs),
          arrays, rng)
    gradcheck(lambda *a: getattr(F, name)(*a, **kwargs), arrays)


def test_distance_modules(rng):
    x, y = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    for args in [(), (1.0, 1e-3, True)]:
        g, t = nn.PairwiseDistance(*args), torch.nn.PairwiseDistance(*args)
        check(g, t, [x, y], rng)
    g, t = nn.CosineSimilarity(dim=0, eps=1e-6), torch.nn.CosineSimilarity(dim=0, eps=1e-6)
    check(g, t, [x, y], rng)


def test_cosine_similarity_of_a_zero_vector_is_zero():
    x = glassgrad.zeros(2, 3, requires_grad=True)
    y = F.cosine_similarity(x, glassgrad.ones(2, 3))
    np.testing.assert_array_equal(y.detach().numpy(), [0.0, 0.0])


def test_errors():
    x = glassgrad.randn(5, 4)
    with pytest.raises(RuntimeError, match="cosine_embedding_loss: 2D target tensor expects 3D"):
        F.cosine_embedding_loss(x, x, glassgrad.ones(5, 4))
    with pytest.raises(RuntimeError, match="margin_ranking_loss: all input tensors"):
        F.margin_ranking_loss(x, x, glassgrad.ones(5))
    with pytest.raises(RuntimeError, match="triplet_margin_loss: the anchor, positive, and negative"):
        F.triplet_margin_loss(x, x, x[0])
    with pytest.raises(ValueError, match="multi_margin_loss: only p == 1 and p == 2"):
        F.multi_margin_loss(x, glassgrad.tensor([0, 1, 2, 3, 0]), p=3)
    with pytest.raises(IndexError, match="multi_margin_loss: target"):
        F.multi_margin_loss(x, glassgrad.tensor([0, 1, 2, 3, 4]))
    with pytest.raises(RuntimeError, match="multi_margin_loss: inconsistent target size"):
        F.multi_margin_loss(x, glassgrad.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="multi_margin_loss: expected an integer"):
        F.multi_margin_loss(x, glassgrad.zeros(5))
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(x, x, -glassgrad.ones(5, 4))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, x, glassgrad.ones(3))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.soft_margin_loss(x, x, reduction="avg")
    with pytest.raises(RuntimeError, match="pdist: only supports 2D"):
        F.pdist(glassgrad.randn(2, 3, 4))
    with pytest.raises(IndexError, match="multilabel_margin_loss: target values"):
        F.multilabel_margin_loss(x, glassgrad.full((5, 4), 7))
    with pytest.raises(ValueError, match="margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)
