"""nn.functional: lookups (``F.embedding``, the op from ``glassgrad.ops.nn_linear``)."""
from ...ops.nn_linear import embedding as _embedding

__all__ = ["embedding"]


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` picked by the integer tensor ``input``; rows at ``padding_idx`` get no
    gradient.

    Shape:
        - input: (*) integer indices in [0, num_embeddings); weight: (num_embeddings, embedding_dim)
        - output: (*, embedding_dim)
    """
    return _embedding(input, weight, padding_idx)
