"""nn.functional lookups: ``F.embedding`` (y = W[idx], a linear map of one-hot rows) with its
scatter-add transpose; each is the other's backward, so gradients of any order work."""
import numpy as np

from ... import backend
from ...autograd.function import Function
from ...autograd.tensor import Tensor, wrap_array

__all__ = ["embedding"]


def _scatter_rows(xp, out, idx, rows):
    """out[idx[k]] += rows[k] for every k (repeated indices add up)."""
    if xp is np:
        if idx.size == 0:
            return
        # rows grouped by index (a stable sort keeps each group in order), then one sum per group:
        # several times faster than np.add.at, which adds one row at a time
        order = np.argsort(idx, kind="stable")
        sorted_idx = idx[order]
        starts = np.flatnonzero(np.concatenate(([True], sorted_idx[1:] != sorted_idx[:-1])))
        out[sorted_idx[starts]] += np.add.reduceat(rows[order], starts, axis=0)
    else:  # CuPy
        import cupyx
        cupyx.scatter_add(out, idx, rows)


class EmbeddingLookup(Function):
    """y = W[idx] (rows of the table picked by integer indices);
    dW = rows of dy scatter-added at idx (rows at padding_idx get none)"""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx=None):
        w, idx = weight.array, indices.array
        ctx.num_embeddings = w.shape[0]
        ctx.padding_idx = padding_idx
        ctx.save_for_backward(indices)
        return w[idx]

    @staticmethod
    def backward(ctx, dy):
        (indices,) = ctx.saved_tensors
        return EmbeddingScatter.apply(dy, indices, ctx.num_embeddings, ctx.padding_idx), None


class EmbeddingScatter(Function):
    """W = zeros; W[idx[k]] += g[k] (except at padding_idx);
    dg = dW[idx] (zero at padding_idx): the transpose of the lookup"""

    @staticmethod
    def forward(ctx, g, indices, num_embeddings, padding_idx=None):
        ga, idx = g.array, indices.array
        xp = backend.namespace(ga)
        dim = ga.shape[-1]
        flat_idx = idx.reshape(-1)
        rows = ga.reshape(-1, dim)
        if padding_idx is not None:
            keep = flat_idx != padding_idx
            flat_idx, rows = flat_idx[keep], rows[keep]
        out = xp.zeros((num_embeddings, dim), dtype=ga.dtype)
        _scatter_rows(xp, out, flat_idx, rows)
        ctx.padding_idx = padding_idx
        ctx.save_for_backward(indices)
        return out

    @staticmethod
    def backward(ctx, dw):
        (indices,) = ctx.saved_tensors
        dg = EmbeddingLookup.apply(dw, indices, ctx.padding_idx)
        if ctx.padding_idx is not None:
            mask = (indices.array != ctx.padding_idx)[..., None].astype(dw.dtype)
            dg = dg * wrap_array(mask)
        return dg, None


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` picked by the integer tensor ``input``; rows at ``padding_idx`` get no
    gradient.

    Shape:
        - input: (*) integer indices in [0, num_embeddings); weight: (num_embeddings, embedding_dim)
        - output: (*, embedding_dim)
    """
    if not isinstance(input, Tensor):
        input = Tensor(input)
    idx = input.array
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"embedding: expected indices of an integer dtype (Long or Int), got {idx.dtype}; "
                           "convert with .long()")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape "
                           f"{tuple(weight.shape)}")
    n = weight.shape[0]
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexError(f"embedding: index {bad} out of range in self (num_embeddings={n}); indices must be "
                         f"in [0, {n - 1}]")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError(f"embedding: padding_idx must be within num_embeddings={n}, got {padding_idx}")
        padding_idx = padding_idx + n if padding_idx < 0 else padding_idx
    return EmbeddingLookup.apply(weight, input, padding_idx)
