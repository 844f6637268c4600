"""nn modules: the losses as layers (``criterion = nn.CrossEntropyLoss(); loss = criterion(x, t)``).

Each holds its options and calls the function of the same name in ``nn.functional``; class
weights and ``pos_weight`` are registered as buffers, as in PyTorch (they move with ``.to()`` and
appear in ``state_dict``).
"""
from ...autograd.tensor import Tensor
from ..functional import loss as F
from ..functional import margin_loss as M
from ..functional.distance import pairwise_distance
from .module import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
           "BCEWithLogitsLoss", "KLDivLoss", "CosineEmbeddingLoss", "MarginRankingLoss", "HingeEmbeddingLoss",
           "TripletMarginLoss", "TripletMarginWithDistanceLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
           "MultiLabelMarginLoss", "MultiMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss"]


def _buffer(value):
    return value if value is None or isinstance(value, Tensor) else Tensor(value)


class _Loss(Module):
    """Base of the losses: holds ``reduction`` (the deprecated ``size_average``/``reduce`` pair is
    turned into it)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = F._legacy_reduction(type(self).__name__, size_average, reduce, reduction)

    def extra_repr(self):
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _buffer(weight))


class MSELoss(_Loss):
    """Mean squared error (input - target)².

    Shape:
        - Input: (*); Target: (*), same shape; Output: scalar, or (*) with reduction='none'.
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error |input - target|.

    Shape:
        - Input: (*); Target: (*), same shape; Output: scalar, or (*) with reduction='none'.
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss: quadratic for |d| < delta, linear (slope delta) beyond.

    Shape:
        - Input: (*); Target: (*), same shape; Output: scalar, or (*) with reduction='none'.
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1 loss: ½d²/beta for |d| < beta, |d| - ½beta beyond.

    Shape:
        - Input: (*); Target: (*), same shape; Output: scalar, or (*) with reduction='none'.
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices or class probabilities (fused, stable
    log-softmax + NLL), with class ``weight``, ``ignore_index`` and ``label_smoothing``.

    Shape:
        - Input: (C), (N, C) or (N, C, d1, ...) logits.
        - Target: (), (N) or (N, d1, ...) class indices, or class probabilities shaped like the input.
        - Output: scalar, or (N, d1, ...) with reduction='none'.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices under log-probabilities (pair with LogSoftmax).

    Shape:
        - Input: (C), (N, C) or (N, C, d1, ...) log-probabilities.
        - Target: (), (N) or (N, d1, ...) class indices.
        - Output: scalar, or (N, d1, ...) with reduction='none'.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities in [0, 1] (logs clamped to >= -100).

    Shape:
        - Input: (*); Target: (*), same shape; Output: scalar, or (*) with reduction='none'.
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one stable op, with ``weight`` and ``pos_weight``.

    Shape:
        - Input: (*) logits; Target: (*), same shape; Output: scalar, or (*) with reduction='none'.
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _buffer(weight))
        self.register_buffer("pos_weight", _buffer(pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence; ``input`` holds log-probabilities (``log_target``: so does the
    target). Use reduction='batchmean' for the true KL divergence.

    Shape:
        - Input: (*); Target: (*), same shape; Output: scalar, or (*) with reduction='none'.
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class _MarginLoss(_Loss):
    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin


class CosineEmbeddingLoss(_MarginLoss):
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1.

    Args:
        margin: between -1 and 1, 0 to 0.5 suggested (default 0).

    Shape:
        - Input1, Input2: (N, D) or (D,); Target: (N,) or () of -1/1; Output: scalar, or (N,) with
          reduction='none'.
    """

    def forward(self, input1, input2, target):
        return M.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class MarginRankingLoss(_MarginLoss):
    """max(0, -target·(x1 - x2) + margin).

    Args:
        margin: the required gap (default 0).

    Shape:
        - Input1, Input2: (N,) or (); Target: same shape, -1/1; Output: scalar, or (N,) with reduction='none'.
    """

    def forward(self, input1, input2, target):
        return M.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """x for target 1, max(0, margin - x) for target -1.

    Args:
        margin: default 1.

    Shape:
        - Input: (*); Target: (*) of -1/1, same shape; Output: scalar, or (*) with reduction='none'.
    """

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(margin, size_average, reduce, reduction)

    def forward(self, input, target):
        return M.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(_MarginLoss):
    """max(0, margin + d(a, p) - d(a, n)), d the p-norm pairwise distance.

    Args:
        margin: default 1. p: the norm degree (default 2). eps: added to the difference (1e-6).
        swap: use min(d(a, n), d(p, n)) as the negative distance.

    Shape:
        - Anchor, Positive, Negative: (N, D) or (D,); Output: scalar, or (N,) with reduction='none'.
    """

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):
        super().__init__(margin, size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
        self.p, self.eps, self.swap = p, eps, swap

    def forward(self, anchor, positive, negative):
        return M.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                     swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """``TripletMarginLoss`` with any ``distance_function`` (default ``pairwise_distance``).

    Shape:
        - Anchor, Positive, Negative: (N, *) or (*); Output: scalar, or (N,) with reduction='none'.
    """

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin}")
        self.distance_function = distance_function if distance_function is not None else pairwise_distance
        self.margin, self.swap = margin, swap

    def forward(self, anchor, positive, negative):
        return M.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """log(1 + exp(-target·x)), targets -1/1.

    Shape:
        - Input: (*); Target: (*), same shape; Output: scalar, or (*) with reduction='none'.
    """

    def forward(self, input, target):
        return M.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Mean over classes of each class's logistic loss, targets in {0, 1}; ``weight`` (C,).

    Shape:
        - Input: (N, C) or (C,); Target: same shape; Output: scalar, or (N,) with reduction='none'.
    """

    def forward(self, input, target):
        return M.multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Σ_{j target} Σ_{i not target} max(0, 1 - (x[y_j] - x[i])) / C; targets are class indices
    ended by -1.

    Shape:
        - Input: (N, C) or (C,); Target: same shape (int64); Output: scalar, or (N,) with reduction='none'.
    """

    def forward(self, input, target):
        return M.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """The multi-class hinge loss Σ_{i ≠ y} max(0, margin - x[y] + x[i])^p / C.

    Args:
        p: 1 or 2 (default 1). margin: default 1. weight: (C,) per-class weights.

    Shape:
        - Input: (N, C) or (C,); Target: (N,) or () class indices; Output: scalar, or (N,) with
          reduction='none'.
    """

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 supported, got p={p}")
        if weight is not None and weight.ndim != 1:
            raise ValueError(f"MultiMarginLoss: weight must be a 1-D tensor, got shape {tuple(weight.shape)}")
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return M.multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self.weight,
                                   reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood: exp(x) - target·x (``log_input``) or x - target·log(x + eps);
    ``full`` adds Stirling's term.

    Shape:
        - Input: (*); Target: (*), same shape; Output: scalar, or (*) with reduction='none'.
    """

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return M.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full, eps=self.eps,
                                  reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood ½(log var + (input - target)² / var), var clamped to >= eps.

    Args:
        full: add ½log 2π. eps: the smallest variance (1e-6).

    Shape:
        - Input: (N, *) or (*); Target: like input; Var: like input, one dim short, or size 1 in one dim
          (or a float); Output: scalar, or like input with reduction='none'.
    """

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(None, None, reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return M.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)
