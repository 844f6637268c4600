"""nn.functional: ``embedding_bag`` (sums, means or maxima of bags of embeddings), a composition of
the ``embedding`` lookup with ``index_add`` (sum, mean) or ``gather`` (max), whose backwards are
differentiable ops."""
import numpy as np

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor, wrap_array
from ...ops.creation import zeros
from ...ops.indexing import index_add
from .sparse import embedding

__all__ = ["embedding_bag"]


def _bags(op, input, offsets, include_last_offset):
    """(flat indices array, per-element bag id, number of bags)."""
    idx = np.asarray(input.array)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected input of an integer dtype (Long or Int), got {idx.dtype}")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{op}: if input is 2D, then offsets has to be None, as input is treated as a "
                             f"mini-batch of fixed length sequences. However, found offsets of type "
                             f"{type(offsets).__name__}")
        b, n = idx.shape
        return idx.reshape(-1), np.repeat(np.arange(b), n), b
    if idx.ndim != 1:
        raise ValueError(f"{op}: input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    if offsets is None:
        raise ValueError(f"{op}: offsets has to be a 1D Tensor but got None (a 1D input needs the start of each "
                         "bag in offsets)")
    off = np.asarray(offsets.array if isinstance(offsets, Tensor) else offsets)
    if off.ndim != 1 or off.dtype.kind not in "iu":
        raise ValueError(f"{op}: offsets has to be a 1D integer Tensor, got shape {off.shape} of {off.dtype}")
    if off.size and off[0] != 0:
        raise RuntimeError(f"{op}: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                           f"from position 0. However, got {int(off[0])}")
    ends = np.append(off[1:], idx.size) if not include_last_offset else off[1:]
    starts = off if not include_last_offset else off[:-1]
    if np.any(ends < starts) or (ends.size and ends[-1] > idx.size):
        raise RuntimeError(f"{op}: offsets must be non-decreasing and at most the input length {idx.size}, got "
                           f"{off.tolist()}")
    counts = ends - starts
    bag = np.repeat(np.arange(len(starts)), counts)
    # with include_last_offset, elements past the last offset belong to no bag
    return idx[:bag.size], bag, len(starts)


def _renorm_(weight, idx, max_norm, norm_type):
    """Rescale, in place, the looked-up rows whose p-norm exceeds max_norm (PyTorch's embedding_renorm_)."""
    with no_grad():
        rows = np.unique(idx)
        w = weight.array
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        big = norms > max_norm
        w[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None].astype(w.dtype)
        weight._version += 1


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embedding rows, without the (bags, length, dim) tensor.

    Args:
        input: (B, N) fixed-length bags, or 1-d indices with ``offsets`` the start of each bag
            (``include_last_offset``: offsets also hold the end of the last bag).
        mode: 'sum', 'mean' or 'max'; empty bags give zeros. per_sample_weights (like input,
            'sum' only) weigh each looked-up row. padding_idx: entries that are left out of their bag.
        max_norm: rows looked up are first rescaled in place to p-norm (``norm_type``) at most this.
        scale_grad_by_freq: divide each row's gradient by its count in the batch (as ``embedding``
            does; PyTorch 2.13's CPU embedding_bag divides by the count of another index).

    Shape: weight (num_embeddings, embedding_dim) -> (B, embedding_dim).
    """
    op = "embedding_bag"
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{op}: mode has to be one of sum, mean or max, got {mode!r}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError(f"{op}: max mode does not support scaling the gradient by the frequency")
    if sparse:
        raise RuntimeError(f"{op}: sparse=True asks for a sparse weight gradient; glassgrad's gradients are dense "
                           "tensors, so pass sparse=False (the default)")
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if weight.ndim != 2:
        raise RuntimeError(f"{op}: weight has to be a 2D Tensor (num_embeddings, embedding_dim), got shape "
                           f"{tuple(weight.shape)}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"{op}: per_sample_weights was not None. per_sample_weights is only supported "
                                      f"for mode='sum' (got mode='{mode}')")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"{op}: per_sample_weights has to be of the same shape as input, got "
                             f"{tuple(per_sample_weights.shape)} and {tuple(input.shape)}")
    idx, bag, nbags = _bags(op, input, offsets, include_last_offset)
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"{op}: index {int(idx.max() if idx.max() >= n else idx.min())} out of range for "
                         f"num_embeddings={n}")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError(f"{op}: padding_idx must be within num_embeddings={n}, got {padding_idx}")
        padding_idx = padding_idx + n if padding_idx < 0 else padding_idx
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    keep = np.ones(idx.shape, dtype=bool) if padding_idx is None else idx != padding_idx
    idx, bag = idx[keep], bag[keep]
    rows = embedding(wrap_array(idx), weight)                                   # (M, D)
    if scale_grad_by_freq:
        _, inverse, counts = np.unique(idx, return_inverse=True, return_counts=True)
        scale = wrap_array((1.0 / counts[inverse]).astype(weight.dtype)[:, None])
        rows = rows.detach() + (rows - rows.detach()) * scale                  # value unchanged, gradient / count
    dim = weight.shape[1]
    if mode == "max":
        return _bag_max(rows, bag, nbags, dim)
    if per_sample_weights is not None:
        psw = per_sample_weights.reshape(-1)[:keep.size][wrap_array(np.flatnonzero(keep))]
        rows = rows * psw.unsqueeze(1)
    out = index_add(zeros(nbags, dim, dtype=weight.dtype), 0, wrap_array(bag), rows)
    if mode == "mean":
        counts = np.bincount(bag, minlength=nbags)
        out = out / wrap_array(np.maximum(counts, 1).astype(weight.dtype)[:, None])
    return out


def _bag_max(rows, bag, nbags, dim):
    """Per bag and feature the first maximal row (gathered, so the gradient reaches it); 0 for empty bags."""
    r = rows.array
    order = np.argsort(bag, kind="stable")
    best = np.zeros((nbags, dim), dtype=np.int64)
    counts = np.bincount(bag, minlength=nbags)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    for b in range(nbags):
        if counts[b]:
            members = order[starts[b]:starts[b] + counts[b]]
            best[b] = members[np.argmax(r[members], axis=0)]
    out = rows.gather(0, wrap_array(best)) if rows.shape[0] else zeros(nbags, dim, dtype=rows.dtype)
    if np.any(counts == 0) and rows.shape[0]:
        out = out * wrap_array((counts > 0).astype(rows.dtype)[:, None])
    return out
