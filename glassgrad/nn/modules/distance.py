"""nn modules: ``PairwiseDistance`` and ``CosineSimilarity``."""
from ..functional import distance as F
from .module import Module

__all__ = ["PairwiseDistance", "CosineSimilarity"]


class PairwiseDistance(Module):
    """‖x1 - x2 + eps‖_p along the last dim.

    Args:
        p: the norm degree (default 2). eps: added to the difference (1e-6). keepdim: keep the last dim.

    Shape:
        - Input1: (N, D) or (D,); Input2: broadcastable to Input1; Output: (N,) or () ((N, 1) with keepdim).
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """Σ x1·x2 / (max(‖x1‖, eps)·max(‖x2‖, eps)) along ``dim``.

    Args:
        dim: the dimension compared (default 1). eps: the smallest norm (1e-8).

    Shape:
        - Input1: (*, D, *); Input2: broadcastable to Input1; Output: the broadcast shape without ``dim``.
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
