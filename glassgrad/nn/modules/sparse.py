"""nn modules: ``Embedding`` (a lookup table of learnable vectors) and ``EmbeddingBag`` (sums,
means or maxima of bags of them)."""
import numpy as np

from ... import backend
from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor
from .. import init
from ..functional.embedding_bag import embedding_bag
from ..functional.sparse import embedding
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding", "EmbeddingBag"]


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by index.

    Args:
        num_embeddings: size of the table; embedding_dim: size of each vector.
        padding_idx: a row that gets no gradient and starts as zeros (negative counts from the end).
        _weight: an initial (num_embeddings, embedding_dim) table instead of N(0, 1).
        _freeze: make the weight not require grad.
        device, dtype: where and of what type the table is made.

    Shape:
        - Input: (*) integer indices; Output: (*, embedding_dim).
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, _weight=None, _freeze=False,
                 device=None, dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionError(f"Embedding: padding_idx must be within num_embeddings={num_embeddings}, "
                                     f"got {padding_idx}")
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.padding_idx = padding_idx
        if _weight is None:
            array = np.empty((num_embeddings, embedding_dim),
                             dtype=np.dtype(dtype) if dtype is not None else backend.get_default_dtype())
            if device is not None:
                array = backend.move(array, device)
            self.weight = Parameter(array, requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise RuntimeError(f"Embedding: _weight has shape {tuple(_weight.shape)}, expected "
                                   f"({num_embeddings}, {embedding_dim}) = (num_embeddings, embedding_dim)")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        """Re-draw the table from N(0, 1), with the padding row zero."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            with no_grad():
                self.weight.array[self.padding_idx] = 0

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding whose table is ``embeddings`` (2-D, shared not copied); ``freeze`` keeps it
        from learning."""
        if not isinstance(embeddings, Tensor):
            embeddings = Tensor(embeddings)
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings parameter is expected to be 2-dimensional, "
                             f"got shape {tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, _weight=embeddings, _freeze=freeze, padding_idx=padding_idx)


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embedding vectors (``F.embedding_bag``), without building
    the per-element embeddings tensor.

    Args:
        num_embeddings, embedding_dim: the table's size.
        max_norm, norm_type: rescale looked-up rows to p-norm at most max_norm (in place).
        scale_grad_by_freq: divide each row's gradient by its count in the batch.
        mode: 'sum', 'mean' (default) or 'max'.
        sparse: must be False (glassgrad's gradients are dense).
        _weight: an initial table instead of N(0, 1). include_last_offset: offsets also hold the
            end of the last bag. padding_idx: a row left out of every bag (zero at init).
        device, dtype: where and of what type the table is made.

    Shape:
        - Input: (B, N) bags, or (M,) indices with offsets (B,) (B + 1 with include_last_offset);
          per_sample_weights like input ('sum' only); Output: (B, embedding_dim).
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None,
                 dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionError(f"EmbeddingBag: padding_idx must be within num_embeddings={num_embeddings}, "
                                     f"got {padding_idx}")
            padding_idx = padding_idx + num_embeddings if padding_idx < 0 else padding_idx
        self.padding_idx = padding_idx
        if _weight is None:
            array = np.empty((num_embeddings, embedding_dim),
                             dtype=np.dtype(dtype) if dtype is not None else backend.get_default_dtype())
            if device is not None:
                array = backend.move(array, device)
            self.weight = Parameter(array)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"EmbeddingBag: shape of weight {tuple(_weight.shape)} does not match "
                                 f"num_embeddings and embedding_dim ({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight)
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset

    def reset_parameters(self):
        """Re-draw the table from N(0, 1), with the padding row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight.array[self.padding_idx] = 0

    def forward(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                             self.mode, self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        """An EmbeddingBag whose table is ``embeddings`` (2-D); ``freeze`` keeps it from learning."""
        if not isinstance(embeddings, Tensor):
            embeddings = Tensor(embeddings)
        if embeddings.ndim != 2:
            raise ValueError(f"EmbeddingBag.from_pretrained: embeddings parameter is expected to be 2-dimensional, "
                             f"got shape {tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        bag = cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings, include_last_offset,
                  padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
