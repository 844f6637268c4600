"""nn.functional: distances and similarities (``pairwise_distance``, ``cosine_similarity``,
``pdist``, ``normalize``), compositions of differentiable ops."""
import numpy as np

from ...autograd.tensor import Tensor, normalize_dim, wrap_array
from ...ops.elementwise import abs as _abs
from ...ops.elementwise import clamp
from ...ops.reduction import amax, norm

__all__ = ["pairwise_distance", "cosine_similarity", "pdist", "normalize"]


def _vector_norm(x, p, dim, keepdim=False):
    """The p-norm along ``dim`` (p = inf: max |x|; p = 0: the count of non-zeros)."""
    if p == float("inf"):
        return amax(_abs(x), dim, keepdim)
    if p == float("-inf"):
        return -amax(-_abs(x), dim, keepdim)
    if p == 0:
        return (x != 0).to(x.dtype).sum(dim, keepdim)
    return norm(x, p, dim, keepdim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """‖x1 - x2 + eps‖_p along the last dim, broadcasting x1 against x2.

    Shape: x1 (N, D) or (D,), x2 broadcastable to it -> (N,) or () (keepdim keeps the last dim)."""
    if not isinstance(x1, Tensor) or not isinstance(x2, Tensor):
        raise TypeError("pairwise_distance: x1 and x2 must be Tensors")
    nd = max(x1.ndim, x2.ndim)
    if nd == 0:
        return _vector_norm((x1 - x2 + eps).reshape(1), p, 0, keepdim).reshape(()) if not keepdim else \
            _vector_norm((x1 - x2 + eps).reshape(1), p, 0, True)
    return _vector_norm(x1 - x2 + eps, p, nd - 1, keepdim)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Σ x1·x2 / (max(‖x1‖, eps) · max(‖x2‖, eps)) along ``dim``, broadcasting x1 against x2.

    Shape: x1 (*, D, *), x2 broadcastable to it -> the broadcast shape without ``dim``."""
    try:
        shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise RuntimeError(f"cosine_similarity: x1 of shape {tuple(x1.shape)} and x2 of shape {tuple(x2.shape)} "
                           "do not broadcast") from None
    d = normalize_dim(dim, len(shape), "cosine_similarity")
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = clamp(_vector_norm(x1, 2, d, True), min=eps)
    n2 = clamp(_vector_norm(x2, 2, d, True), min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(d)


def pdist(input, p=2):
    """The p-norm distances between all pairs of rows i < j, in row-major order of (i, j).

    Shape: (N, M) -> (N·(N - 1)/2,)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist: only supports 2D tensors (N, M), got {input.ndim}D of shape {tuple(input.shape)}")
    if p < 0:
        raise RuntimeError(f"pdist: only supports non-negative p values, got {p}")
    i, j = np.triu_indices(input.shape[0], k=1)
    diff = input[wrap_array(i)] - input[wrap_array(j)]
    return _vector_norm(diff, p, 1)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(‖x‖_p, eps) along ``dim``.

    Shape: any; output has the input's shape."""
    d = normalize_dim(dim, input.ndim, "normalize")
    result = input / clamp(_vector_norm(input, p, d, True), min=eps).expand_as(input)
    if out is None:
        return result
    return out.copy_(result)
