"""Flatten parameters into one vector and back (for second-order methods, line searches, ...)."""
from ...autograd.tensor import Tensor
from ...ops.shape import cat

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """All ``parameters`` flattened and concatenated into one 1-D tensor (differentiable).

    Shape: parameters of any shapes; output (Σ numel,)."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"parameters_to_vector: expected Tensors, but got {type(p).__name__}")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters):
    """Set the data of ``parameters`` from the slices of the 1-D tensor ``vec`` (the inverse of
    ``parameters_to_vector``). As in PyTorch, each parameter becomes a view of ``vec``'s data.

    Shape: vec (Σ numel,); parameters of any shapes."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected glassgrad.Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise RuntimeError(f"vector_to_parameters: vec must be 1-D, got shape {tuple(vec.shape)}")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    total = sum(p.numel() for p in params)
    if total != vec.shape[0]:
        raise RuntimeError(f"vector_to_parameters: vec has {vec.shape[0]} elements but the parameters need {total}")
    array, start = vec.array, 0
    for p in params:
        n = p.numel()
        p.data = array[start:start + n].reshape(p.shape)
        start += n
