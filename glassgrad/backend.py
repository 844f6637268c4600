"""The array namespace: NumPy on the CPU, CuPy on NVIDIA GPUs.

Every op gets its namespace from its input arrays with :func:`namespace`, so the same code runs on
both (the Chainer ``xp`` idiom). NumPy ufuncs called on CuPy arrays dispatch to CuPy by themselves.
"""
import importlib.util
import os

import numpy as np

# Whether glassgrad's optional Numba kernels run (fused element-wise loops, optimizer updates):
# Numba is installed and GLASSGRAD_FUSED is not "0". Each kernel module copies it into its own
# ``enabled`` flag, which the tests switch to run both paths.
FUSED_KERNELS = importlib.util.find_spec("numba") is not None and os.environ.get("GLASSGRAD_FUSED", "1") != "0"

try:  # CuPy is an optional extra
    import cupy as _cupy
except Exception:  # ImportError, or a CUDA driver that fails to load
    _cupy = None

# dtypes are NumPy dtype objects: ``x.dtype == glassgrad.float32`` and ``== np.float32`` both hold.
# (glassgrad/__init__.py adds PyTorch's aliases float, double, long, int, bool, half.)
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

_default_dtype = float32


def get_default_dtype():
    """The dtype of floating tensors made from Python numbers (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype):
    """Set the dtype of floating tensors made from Python numbers: float32 or float64."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dtype}")
    _default_dtype = dtype


def namespace(array):
    """The module (numpy or cupy) that owns ``array``."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return np


class device:
    """Where a tensor's data lives: ``device('cpu')`` or ``device('cuda')`` / ``device('cuda:0')``."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index=None):
        if isinstance(spec, device):
            spec, index = spec.type, spec.index
        kind, _, idx = str(spec).partition(":")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"device: expected 'cpu' or 'cuda[:N]', got {spec!r}")
        self.type = kind
        self.index = int(idx) if idx else index

    def __eq__(self, other):
        try:
            other = device(other)
        except (ValueError, TypeError):
            return False
        return self.type == other.type and (self.index or 0) == (other.index or 0)

    def __hash__(self):
        return hash((self.type, self.index or 0))

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")


def device_of(array):
    """The :class:`device` of an array."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return device("cuda", array.device.id)
    return CPU


def cuda_available():
    """True when CuPy is installed and sees a GPU."""
    if _cupy is None:
        return False
    try:
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def move(array, dev):
    """Copy ``array`` to device ``dev`` (no copy when it is already there)."""
    dev = device(dev)
    if device_of(array) == dev:
        return array
    if dev.type == "cpu":
        return _cupy.asnumpy(array)
    if _cupy is None:
        raise RuntimeError("device 'cuda' needs CuPy: pip install cupy-cuda12x (or the build for your CUDA)")
    with _cupy.cuda.Device(dev.index or 0):
        return _cupy.asarray(array)
