"""Linear maps of the nn layers as fused ops: ``linear`` (y = x Wᵀ + b) and the embedding lookup
(y = W[idx], a linear map of one-hot rows) with its scatter-add transpose."""
import numpy as np

from .. import backend, parallel
from ..autograd.function import Function
from ..autograd.tensor import Tensor

__all__ = ["linear", "embedding"]


class Linear(Function):
    """y = x Wᵀ + b over any leading dims of x;
    dx = dy W,  dW = dyᵀ x (leading dims flattened),  db = Σ dy over the leading dims"""

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        a, w = x.array, weight.array
        if w.ndim != 2:
            raise RuntimeError(f"linear: weight must be 2-D (out_features, in_features), got shape {tuple(w.shape)}")
        if a.ndim == 0 or a.shape[-1] != w.shape[1]:
            raise RuntimeError(f"linear: mat1 and mat2 shapes cannot be multiplied (input {tuple(a.shape)}, "
                               f"weight {tuple(w.shape)}): the input's last dim must equal in_features={w.shape[1]}")
        if a.dtype != w.dtype or (bias is not None and bias.array.dtype != w.dtype):
            raise RuntimeError(f"linear: expected input, weight and bias of the same dtype, got input {a.dtype}, "
                               f"weight {w.dtype}" + ("" if bias is None else f", bias {bias.array.dtype}")
                               + "; convert with .to(dtype) or model.to(dtype)")
        if bias is not None and bias.array.shape != (w.shape[0],):
            raise RuntimeError(f"linear: bias must have shape ({w.shape[0]},), got {tuple(bias.array.shape)}")
        lead = a.shape[:-1]
        a2 = a.reshape(-1, w.shape[1]) if a.ndim != 2 else a
        y = parallel.matmul(a2, w.T)
        if bias is not None:
            y += bias.array
        if getattr(ctx, "needs_input_grad", None) is not None:
            need = ctx.needs_input_grad
            ctx.has_bias = bias is not None
            ctx.save_for_backward(x if need[1] else None, weight if need[0] else None)
        return y.reshape(lead + (w.shape[0],)) if a.ndim != 2 else y

    @staticmethod
    def backward(ctx, dy):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        dx = dw = db = None
        # leading dims flattened (a view): every product is one 2-D GEMM
        dy2 = dy.reshape(-1, dy.shape[-1]) if dy.ndim != 2 else dy
        if need[0]:
            dx = dy2 @ weight
            if dy.ndim != 2:
                dx = dx.reshape(dy.shape[:-1] + (weight.shape[1],))
        if need[1] or (ctx.has_bias and need[2]):
            if need[1]:
                x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
                dw = dy2.transpose(0, 1) @ x2
            if ctx.has_bias and need[2]:
                db = dy2.sum(0)
        return dx, dw, db

    @staticmethod
    def raw_backward(ctx, dy):
        x, weight = ctx.saved_arrays
        need = ctx.needs_input_grad
        dx = dw = db = None
        dy2 = dy.reshape(-1, dy.shape[-1]) if dy.ndim != 2 else dy
        if need[0]:
            dx = parallel.matmul(dy2, weight).reshape(dy.shape[:-1] + (weight.shape[1],))
        if need[1]:
            dw = parallel.matmul(dy2.T, x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x)
        if ctx.has_bias and need[2]:
            db = dy2.sum(0)
        return dx, dw, db


def linear(input, weight, bias=None):
    """y = input @ weightᵀ + bias, one fused op.

    Shape:
        - input: (*, in_features); weight: (out_features, in_features); bias: (out_features,)
        - output: (*, out_features)
    """
    return Linear.apply(input, weight, bias)


def _scatter_rows(xp, out, idx, rows):
    """out[idx[k]] += rows[k] for every k (repeated indices add up)."""
    if xp is np:
        np.add.at(out, idx, rows)
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
            dg = dg * Tensor._make(mask, False, None, 0)
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


METHODS = {}
