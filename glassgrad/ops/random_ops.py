"""In-place fills: ``fill_``, ``zero_``, ``copy_`` and the random fills (``uniform_``, ``normal_``,
``bernoulli_``, ``exponential_``, ``random_``), plus ``bernoulli``.

PyTorch's rules: writing into a leaf that requires grad is an error unless grad mode is off (as in
``nn.init`` and optimizers); every write bumps ``_version``, so a backward that saved the old values
raises. When grad mode is on and the tensor (or ``copy_``'s source) requires grad, the write is
recorded as ``CopyInto`` and the tensor stands for its result: gradients reach the source, and
none flows to the overwritten values. Random numbers come from glassgrad's generators
(``generator=`` or the default one).
"""
import numpy as np

from .. import backend
from ..autograd.function import Function
from ..autograd.grad_mode import state
from ..autograd.tensor import Tensor, wrap_array
from ..random import rng_of
from ._util import array_of, grad_meta, grad_to

__all__ = ["bernoulli"]


class CopyInto(Function):
    """y = src broadcast to x's shape and cast to x's dtype (x's values are overwritten);
    dx = 0,  dsrc = dy summed to src's shape"""

    @staticmethod
    def forward(ctx, x, src):
        a, s = x.array, array_of(src)
        xp = backend.namespace(a)
        ctx.src_meta = grad_meta(src)
        out = xp.empty_like(a)
        out[...] = s if xp is np else xp.asarray(s)
        return out

    @staticmethod
    def backward(ctx, dy):
        return (dy * 0 if ctx.needs_input_grad[0] else None), grad_to(dy, ctx.src_meta)


def _begin(self, name, src=None):
    """Check PyTorch's in-place rules; True when the write must be recorded in the graph."""
    if not isinstance(self, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(self).__name__}")
    if not state.enabled:
        return False
    if self._rg and self.grad_fn is None:
        raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in an in-place operation; "
                           "wrap it in glassgrad.no_grad() (as nn.init and optimizers do) or work on a clone")
    return self._rg or (isinstance(src, Tensor) and src._rg)


def _write(self, name, values, record):
    """Store ``values`` (array, number or tensor broadcastable to self) into self; bump the version."""
    if record:
        out = CopyInto.apply(self, values)
        self.array, self.grad_fn, self._output_nr, self._rg = out.array, out.grad_fn, out._output_nr, True
    else:
        a = self.array
        if not a.flags.writeable:
            raise RuntimeError(f"{name}: unsupported operation: more than one element of the written-to tensor "
                               "refers to a single memory location (it comes from expand/broadcast_to); "
                               "clone() it first")
        v = array_of(values)
        xp = backend.namespace(a)
        a[...] = v if xp is np else xp.asarray(v)
        if state.capture is not None:  # an array write outside ops: glassgrad.compile replays it
            state.capture.array_write(self, values)
    self._version += 1
    return self


def _check_broadcast(name, self, shape):
    shape = tuple(shape)
    ok = len(shape) <= self.ndim and all(s in (1, n) for s, n in zip(shape[::-1], self.shape[::-1]))
    if not ok:
        for k, (s, n) in enumerate(zip(shape[::-1], self.shape[::-1])):
            if s not in (1, n):
                raise RuntimeError(f"{name}: The size of tensor a ({n}) must match the size of tensor b ({s}) at "
                                   f"non-singleton dimension {self.ndim - 1 - k} (self {tuple(self.shape)}, source "
                                   f"{shape}); the source must broadcast to self's shape")
        raise RuntimeError(f"{name}: source of shape {shape} has more dimensions than self {tuple(self.shape)}")


# ---- deterministic fills -----------------------------------------------------------------------
def fill_(self, value):
    """Fill with ``value`` (a number or a 0-d tensor, which then gets the summed gradient)."""
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                           "dimensions.")
    record = _begin(self, "fill_", value)
    return _write(self, "fill_", value, record)


def zero_(self):
    """Fill with zeros."""
    return fill_(self, 0)


def copy_(self, src, non_blocking=False):
    """Copy ``src``'s values into self (``src`` broadcasts to self's shape and is cast to self's
    dtype); gradients flow to ``src``."""
    if isinstance(src, Tensor):
        _check_broadcast("copy_", self, src.shape)
    elif not isinstance(src, (int, float, bool, np.generic)):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    record = _begin(self, "copy_", src)
    return _write(self, "copy_", src, record)


# ---- random fills ------------------------------------------------------------------------------
def _float_only(self, name):
    if self.array.dtype.kind != "f":
        raise RuntimeError(f"{name}: needs a floating point tensor, got {self.dtype}; convert it first "
                           "(x = x.float())")


def _draw(self, sample):
    """``sample(rng_dtype)`` drawn in float32/float64 (the tensor's float dtype when it has one)."""
    dtype = self.array.dtype if self.array.dtype in (np.float32, np.float64) else np.float64
    return sample(dtype)


def _bounds(name, args, kwargs, defaults):
    """(from, to) given positionally or as ``from=``/``to=`` keywords (``from`` is a Python keyword)."""
    if len(args) > 2:
        raise TypeError(f"{name}() takes at most 2 positional bounds (from, to), got {len(args)}")
    lo, hi = tuple(args) + tuple(defaults[len(args):])
    for k, v in kwargs.items():
        if k not in ("from", "to"):
            raise TypeError(f"{name}() got an unexpected keyword argument '{k}'")
        lo, hi = (v, hi) if k == "from" else (lo, v)
    return lo, hi


def uniform_(self, *args, generator=None, **kwargs):
    """Fill with values from U(from, to): ``uniform_(from=0, to=1, *, generator=None)``."""
    lo, hi = _bounds("uniform_", args, kwargs, (0.0, 1.0))
    _float_only(self, "uniform_")
    if lo > hi:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={lo} > to={hi}")
    record = _begin(self, "uniform_")
    rng = rng_of(generator)
    u = _draw(self, lambda dt: rng.random(self.shape, dtype=dt))
    return _write(self, "uniform_", u * (hi - lo) + lo if (lo, hi) != (0.0, 1.0) else u, record)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with values from N(mean, std²)."""
    _float_only(self, "normal_")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    record = _begin(self, "normal_")
    rng = rng_of(generator)
    z = _draw(self, lambda dt: rng.standard_normal(self.shape, dtype=dt))
    return _write(self, "normal_", z * std + mean, record)


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 0/1 draws that are 1 with probability ``p`` (a number, or a tensor that broadcasts
    to self's shape); works for any dtype."""
    if isinstance(p, Tensor):
        _check_broadcast("bernoulli_", self, p.shape)
        pa = backend.move(p.array, "cpu")
        if pa.size and (pa.min() < 0 or pa.max() > 1):
            raise RuntimeError("bernoulli_ expects all elements of p to be in [0, 1]")
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        pa = p
    record = _begin(self, "bernoulli_")
    draws = rng_of(generator).random(self.shape) < pa
    return _write(self, "bernoulli_", draws.astype(self.array.dtype), record)


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with values from the exponential distribution of rate ``lambd`` (density λe^(−λx))."""
    _float_only(self, "exponential_")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    record = _begin(self, "exponential_")
    e = _draw(self, lambda dt: rng_of(generator).standard_exponential(self.shape, dtype=dt))
    return _write(self, "exponential_", e / lambd, record)


def _default_top(dtype):
    """The top of ``random_()``'s range: every integer the dtype holds exactly."""
    if dtype.kind == "f":
        return 2 ** (np.finfo(dtype).nmant + 1) + 1
    if dtype.kind == "b":
        return 2
    return int(np.iinfo(dtype).max)


def random_(self, *args, generator=None, **kwargs):
    """Fill with integers drawn uniformly from [from, to - 1]: ``random_(to)``, ``random_(from, to)``,
    or ``random_()`` for [0, 2^mantissa] (floats) / [0, max] (integers)."""
    if len(args) == 1 and "to" not in kwargs and "from" not in kwargs:
        lo, hi = 0, args[0]
    else:
        lo, hi = _bounds("random_", args, kwargs, (0, None))
    if hi is None:
        hi = _default_top(self.array.dtype)
    if lo >= hi:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} >= to={hi}")
    record = _begin(self, "random_")
    draws = rng_of(generator).integers(lo, hi, size=self.shape, dtype=np.int64)
    return _write(self, "random_", draws.astype(self.array.dtype), record)


def bernoulli(input, p=None, *, generator=None):
    """A new tensor of 0/1 draws: 1 with probability ``input`` (elementwise, values in [0, 1]), or
    with probability ``p`` when given. No gradient flows through the draws."""
    out = wrap_array(backend.namespace(input.array).zeros_like(input.array))
    return bernoulli_(out, input.detach() if p is None else p, generator=generator)


METHODS = {"fill_": fill_, "zero_": zero_, "copy_": copy_, "uniform_": uniform_, "normal_": normal_,
           "bernoulli_": bernoulli_, "exponential_": exponential_, "random_": random_, "bernoulli": bernoulli}
