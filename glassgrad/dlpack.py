"""DLPack: share tensors with NumPy, PyTorch, CuPy, JAX... without copying (``torch.from_dlpack``).

``glassgrad.from_dlpack(x)`` wraps any object with ``__dlpack__`` (or a legacy DLPack capsule)
as a glassgrad Tensor on the same memory; ``Tensor.__dlpack__`` lets the other libraries'
``from_dlpack`` do the same with a glassgrad Tensor.
"""
from .autograd.tensor import Tensor, wrap_array

__all__ = ["from_dlpack"]

_CPU, _CUDA, _CUDA_HOST, _CUDA_MANAGED = 1, 2, 3, 13


class _Capsule:
    """A legacy ``dltensor`` capsule (``torch.utils.dlpack.to_dlpack``) seen as a CPU producer."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, stream=None, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (_CPU, 0)


def from_dlpack(ext_tensor):
    """A Tensor sharing the memory of ``ext_tensor``: an object with ``__dlpack__`` (a NumPy,
    PyTorch, CuPy... array) or a DLPack capsule. CPU data becomes a NumPy-backed tensor, CUDA data
    a CuPy-backed one (needs CuPy)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    if not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(f"from_dlpack: expected an object with __dlpack__ (a NumPy/PyTorch/CuPy array) or a "
                        f"DLPack capsule, got {type(ext_tensor).__name__}")
    device_type = ext_tensor.__dlpack_device__()[0] if hasattr(ext_tensor, "__dlpack_device__") else _CPU
    if device_type in (_CPU, _CUDA_HOST):
        import numpy as np
        return wrap_array(np.from_dlpack(ext_tensor))
    if device_type in (_CUDA, _CUDA_MANAGED):
        try:
            import cupy
        except ImportError as e:
            raise RuntimeError("from_dlpack: the data is on a CUDA device, which needs CuPy: "
                               'pip install "glassgrad[cuda]"') from e
        return wrap_array(cupy.from_dlpack(ext_tensor))
    raise RuntimeError(f"from_dlpack: data on DLPack device type {device_type} is not supported; glassgrad "
                       "holds CPU (NumPy) and CUDA (CuPy) data")
