"""Making tensors: from data, filled, ranges, random. PyTorch's signatures: sizes as varargs or a
tuple, keyword ``dtype``, ``device``, ``requires_grad`` and (for random ones) ``generator``."""
import numpy as np

from .. import backend
from ..autograd.tensor import _as_array, Tensor, wrap_array
from ..random import rng_of

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like", "arange", "linspace", "eye", "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal", "logspace"]



def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        size = tuple(int(n) for n in size)
    except TypeError:
        raise TypeError(f"expected a size as ints or a tuple of ints, got {size!r}") from None
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(size)}")
    return size


def _floating(op, dtype):
    if dtype.kind != "f":
        raise TypeError(f"{op}: random floating-point values need a floating dtype, got {dtype}; "
                        "use randint for integers")


def _finish(array, dtype, device, requires_grad):
    if dtype is not None:
        array = array.astype(np.dtype(dtype), copy=False)
    if device is not None:
        array = backend.move(array, device)
    t = wrap_array(array)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays, tensors)."""
    array = _as_array(data, dtype)
    if isinstance(data, Tensor) or array is data:
        array = array.copy()
    return _finish(array, None, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing memory when it already is an array of the right dtype."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    return _finish(_as_array(data, dtype), None, device, False)


def from_numpy(array):
    """A tensor sharing memory with the NumPy array ``array`` (its dtype is kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return wrap_array(array)


def _filled(fill):
    def make(*size, dtype=None, device=None, requires_grad=False):
        return _finish(fill(_size(size), np.dtype(dtype or backend.get_default_dtype())), None, device, requires_grad)
    return make


zeros = _filled(np.zeros)
ones = _filled(np.ones)
empty = _filled(np.empty)
zeros.__doc__ = "A tensor of zeros. Shape: ``size``."
ones.__doc__ = "A tensor of ones. Shape: ``size``."
empty.__doc__ = "An uninitialized tensor. Shape: ``size``."


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value, like PyTorch)."""
    if dtype is None:
        dtype = _as_array(fill_value).dtype
    return _finish(np.full(_size((size,)), fill_value, dtype=dtype), None, device, requires_grad)


def _like(maker):
    def like(input, dtype=None, device=None, requires_grad=False):
        return maker(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                     requires_grad=requires_grad)
    like.__doc__ = f"Like ``{maker.__name__}`` with the shape (and default dtype, device) of ``input``."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor shaped like ``input`` filled with ``fill_value``."""
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``: int64 for integer arguments,
    the default float dtype otherwise."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = backend.int64 if is_int else backend.get_default_dtype()
    return _finish(np.arange(start, end, step, dtype=np.float64 if np.dtype(dtype).kind == "f" else None).astype(dtype),
                   None, device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    return _finish(np.linspace(start, end, int(steps)), dtype or backend.get_default_dtype(), device, requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    """``steps`` values from ``base**start`` to ``base**end``, evenly spaced in the exponent."""
    if steps < 0:
        raise RuntimeError(f"logspace: number of steps must be non-negative, got {steps}")
    exponents = np.linspace(float(start), float(end), int(steps))
    return _finish(np.power(float(base), exponents), dtype or backend.get_default_dtype(), device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """The n x m identity matrix."""
    return _finish(np.eye(n, m, dtype=dtype or backend.get_default_dtype()), None, device, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform random values in [0, 1). Shape: ``size``."""
    dtype = np.dtype(dtype or backend.get_default_dtype())
    _floating("rand", dtype)
    return _finish(rng_of(generator).random(_size(size), dtype=dtype if dtype in (np.float32, np.float64) else np.float64),
                   dtype, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal random values. Shape: ``size``."""
    dtype = np.dtype(dtype or backend.get_default_dtype())
    _floating("randn", dtype)
    return _finish(rng_of(generator).standard_normal(_size(size), dtype=dtype if dtype in (np.float32, np.float64) else np.float64),
                   dtype, device, requires_grad)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Random integers in [low, high) (``randint(high, size)`` starts at 0); int64 by default."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: expected randint(low, high, size) or randint(high, size)")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"randint: expected low < high, got low={low}, high={high}")
    return _finish(rng_of(generator).integers(low, high, _size((size,))), dtype or backend.int64, device,
                   requires_grad)


def randperm(n, generator=None, dtype=None, device=None):
    """A random permutation of 0..n-1 (int64)."""
    return _finish(rng_of(generator).permutation(int(n)), dtype or backend.int64, device, False)


def rand_like(input, generator=None, dtype=None):
    """Uniform [0, 1) values shaped like ``input``."""
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype, device=input.device)


def randn_like(input, generator=None, dtype=None):
    """Standard normal values shaped like ``input``."""
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype, device=input.device)


def randint_like(input, low, high=None, generator=None, dtype=None):
    """Random integers in [low, high) shaped like ``input`` (its dtype unless given)."""
    return randint(low, high, input.shape, generator=generator, dtype=dtype or input.dtype, device=input.device)


def normal(mean, std, size, generator=None):
    """Normal random values with the given mean and std. Shape: ``size``."""
    return randn(size, generator=generator) * std + mean
