"""``nn.CTCLoss``: the connectionist temporal classification loss as a layer."""
from ..functional.ctc import ctc_loss
from .module import Module

__all__ = ["CTCLoss"]


class CTCLoss(Module):
    """The CTC loss between log-probability sequences and unaligned target sequences
    (``F.ctc_loss``).

    Args:
        blank: the blank class (default 0).
        reduction: 'none', 'sum', or 'mean' (each loss divided by its target length, then averaged).
        zero_infinity: give impossible alignments 0 loss and 0 gradient instead of inf.

    Shape (forward): log_probs (T, N, C) or (T, C); targets (N, S) padded or 1-D concatenated;
    input_lengths, target_lengths (N,) -> a scalar, or (N,) with reduction 'none'.
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__()
        if reduction not in ("none", "mean", "sum"):
            raise ValueError(f"CTCLoss: {reduction!r} is not a valid value for reduction; use 'none', 'mean' or 'sum'")
        self.blank = blank
        self.reduction = reduction
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                        self.zero_infinity)
