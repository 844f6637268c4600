"""nn modules: the losses as layers (``criterion = nn.CrossEntropyLoss(); loss = criterion(x, t)``).

Each holds its options and calls the function of the same name in ``nn.functional``; class
weights and ``pos_weight`` are registered as buffers, as in PyTorch (they move with ``.to()`` and
appear in ``state_dict``).
"""
from ...autograd.tensor import Tensor
from ..functional import loss as F
from .module import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
           "BCEWithLogitsLoss", "KLDivLoss"]


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
