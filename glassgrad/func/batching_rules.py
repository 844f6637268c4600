"""vmap's batching rules: how an op runs once on a whole batch.

Each rule takes ``(op_class, args, kwargs)`` with at least one BatchedTensor among the arguments
and returns the op's outputs as BatchedTensors, by calling the same op on the physical tensors (the
batch in dimension 0) with its dims shifted or its operands aligned, or NotImplemented when this
call is outside what the rule handles. Ops without a rule run once per sample (``loop_op`` in
``vmap.py``). The rules cover the element-wise ops, matmul, the reductions, the shape ops,
indexing, linear, convolution and pooling.
"""
import numpy as np

from ..autograd.tensor import Tensor
from ..nn.functional.convolution import Conv2d
from ..nn.functional.linear import Linear
from ..nn.functional.pool import AvgPool2d, MaxPool2d
from ..ops import elementwise, indexing, linalg, reduction, shape
from .batched import BatchedTensor, batched, holds_batched

__all__ = ["rule_for"]


def _lndim(x):
    """Logical (per-sample) ndim of a tensor argument, 0 for numbers."""
    if isinstance(x, BatchedTensor):
        return x._phys.ndim - 1
    return x.ndim if isinstance(x, Tensor) else 0


def _wrap(out):
    return tuple(batched(o) for o in out) if isinstance(out, tuple) else batched(out)


def _only_first_batched(args):
    return isinstance(args[0], BatchedTensor) and not any(holds_batched(a) for a in args[1:])


def _shift(dim, ndim):
    """A logical dim (possibly negative) as the physical one (the batch is dimension 0)."""
    return (dim % ndim) + 1


def _shift_dims(dims, ndim):
    if dims is None:
        return tuple(range(1, ndim + 1))
    if isinstance(dims, (tuple, list)):
        if len(dims) == 0:
            return tuple(range(1, ndim + 1))
        return tuple(_shift(int(d), ndim) for d in dims)
    return _shift(int(dims), ndim)


# ---- element-wise ------------------------------------------------------------------------------
def _map(cls, args, kwargs):
    """An op applied element by element to its one batched input."""
    if not _only_first_batched(args):
        return NotImplemented
    return _wrap(cls.apply(args[0]._phys, *args[1:], **kwargs))


def _broadcast(cls, args, kwargs):
    """An element-wise op of several operands: each batched operand gets size-1 dims after the batch
    so that all line up from the right, as broadcasting lines up the samples."""
    return _wrap(cls.apply(*_aligned(args), **kwargs))


def _aligned(args):
    """The operands' physical arrays, each batched one with size-1 dims after its batch dim so
    that all have the same logical rank (broadcasting then lines up the samples)."""
    rank = max(_lndim(a) for a in args)
    phys = []
    for a in args:
        if isinstance(a, BatchedTensor):
            p = a._phys
            pad = rank - (p.ndim - 1)
            phys.append(p.reshape((p.shape[0],) + (1,) * pad + tuple(p.shape[1:])) if pad else p)
        else:
            phys.append(a)
    return phys


# ---- reductions --------------------------------------------------------------------------------
def _reduce(pos, name):
    """A reduction whose dims come as positional argument ``pos`` or keyword ``name``."""
    def rule(cls, args, kwargs):
        if not _only_first_batched(args):
            return NotImplemented
        x = args[0]
        ndim = x._phys.ndim - 1
        if ndim == 0:
            return NotImplemented  # a 0-d sample: an empty dim tuple would mean "all" physically
        args, kwargs = list(args), dict(kwargs)
        if len(args) > pos:
            args[pos] = _shift_dims(args[pos], ndim)
        else:
            kwargs[name] = _shift_dims(kwargs.get(name), ndim)
        args[0] = x._phys
        return _wrap(cls.apply(*args, **kwargs))
    return rule


# ---- shape ops ---------------------------------------------------------------------------------
def _reshape(cls, args, kwargs):
    if not _only_first_batched(args):
        return NotImplemented
    p, new_shape = args[0]._phys, tuple(args[1])
    return _wrap(cls.apply(p, (p.shape[0],) + new_shape, *args[2:], **kwargs))


def _expand(cls, args, kwargs):
    if not _only_first_batched(args):
        return NotImplemented
    p, target = args[0]._phys, tuple(args[1])
    pad = len(target) - (p.ndim - 1)
    if pad < 0:
        return NotImplemented
    if pad:
        p = p.reshape((p.shape[0],) + (1,) * pad + tuple(p.shape[1:]))
    return _wrap(cls.apply(p, (p.shape[0],) + target, *args[2:], **kwargs))


def _permute(cls, args, kwargs):
    if not _only_first_batched(args):
        return NotImplemented
    p, dims = args[0]._phys, tuple(args[1])
    ndim = p.ndim - 1
    if len(dims) != ndim or ndim == 0:
        return NotImplemented  # let the op raise its own error, sample by sample
    return _wrap(cls.apply(p, (0,) + tuple(_shift(int(d), ndim) for d in dims), **kwargs))


def _cat(cls, args, kwargs):
    ndims = {_lndim(a) for a in args}
    if len(ndims) != 1 or 0 in ndims:
        return NotImplemented
    ndim = ndims.pop()
    size = next(a._phys.shape[0] for a in args if isinstance(a, BatchedTensor))
    phys = [a._phys if isinstance(a, BatchedTensor) else a.unsqueeze(0).expand((size,) + tuple(a.shape))
            for a in args]
    kwargs = dict(kwargs)
    kwargs["dim"] = _shift(kwargs.get("dim", 0), ndim)
    return _wrap(cls.apply(*phys, **kwargs))


def _one_dim(pos):
    """An op of one batched input with a single dim at positional argument ``pos``."""
    def rule(cls, args, kwargs):
        if not _only_first_batched(args) or len(args) <= pos:
            return NotImplemented
        ndim = args[0]._phys.ndim - 1
        if ndim == 0 or (isinstance(args[pos], (tuple, list)) and not args[pos]):
            return NotImplemented  # an empty dim tuple means "none" to these ops, "all" once shifted
        args = list(args)
        args[pos] = _shift_dims(args[pos], ndim)
        args[0] = args[0]._phys
        return _wrap(cls.apply(*args, **kwargs))
    return rule


def _index(cls, args, kwargs):
    """x[key] with a key of ints, slices, None, ``...`` and at most one run of adjacent integer
    arrays: a leading full slice selects every sample, and keeps the arrays' result in place."""
    if not _only_first_batched(args):
        return NotImplemented
    key = args[1] if isinstance(args[1], tuple) else (args[1],)
    arrays = [i for i, k in enumerate(key) if hasattr(k, "shape") and np.ndim(k) > 0]
    if arrays and arrays != list(range(arrays[0], arrays[0] + len(arrays))):
        return NotImplemented
    if any(hasattr(k, "dtype") and k.dtype == np.bool_ for k in key):
        return NotImplemented
    return _wrap(cls.apply(args[0]._phys, (slice(None),) + key, *args[2:], **kwargs))


# ---- products ----------------------------------------------------------------------------------
def _matmul(cls, args, kwargs):
    """Vectors become matrices (and back), then the batched operands get size-1 dims after the
    batch so that matmul's own broadcasting lines up the samples."""
    x, y = args
    vx, vy = _lndim(x) == 1, _lndim(y) == 1
    if _lndim(x) == 0 or _lndim(y) == 0:
        return NotImplemented
    if vx:
        x = x.unsqueeze(0)   # each of these goes through the rules again
    if vy:
        y = y.unsqueeze(-1)
    out = cls.apply(*_aligned((x, y)))
    if vy:
        out = out.squeeze(-1)
    if vx:
        out = out.squeeze(-2)
    return batched(out)


def _fold_batch(cls, args, kwargs):
    """An NN kernel over (N, ...) inputs: the vmap batch is folded into N and unfolded after."""
    if not _only_first_batched(args):
        return NotImplemented
    p = args[0]._phys
    b, n = p.shape[0], p.shape[1]
    out = cls.apply(p.reshape((b * n,) + tuple(p.shape[2:])), *args[1:], **kwargs)
    if isinstance(out, tuple):
        return tuple(batched(o.reshape((b, n) + tuple(o.shape[1:]))) for o in out)
    return batched(out.reshape((b, n) + tuple(out.shape[1:])))


def _leading(cls, args, kwargs):
    """An op that maps over any leading dims of its first input (linear)."""
    if not _only_first_batched(args):
        return NotImplemented
    return _wrap(cls.apply(args[0]._phys, *args[1:], **kwargs))


_RULES = {
    elementwise.Add: _broadcast, elementwise.Sub: _broadcast, elementwise.Mul: _broadcast,
    elementwise.Div: _broadcast, elementwise.DivRounded: _broadcast, elementwise.Remainder: _broadcast,
    elementwise.Pow: _broadcast, elementwise._MaxMin: _broadcast, elementwise.Where: _broadcast,
    elementwise.ClampTensor: _broadcast, elementwise._Unary: _map, elementwise.Cast: _map,
    reduction.Sum: _reduce(1, "dim"), reduction.Mean: _reduce(1, "dim"), reduction.Var: _reduce(1, "dim"),
    reduction.Std: _reduce(1, "dim"), reduction.LogSumExp: _reduce(1, "dims"),
    reduction.Softmax: _one_dim(1), reduction.LogSoftmax: _one_dim(1), reduction.Cumsum: _one_dim(1),
    reduction.Prod: _reduce(1, "dim"), reduction.Norm: _reduce(2, "dims"),
    shape.Reshape: _reshape, shape.Expand: _expand, shape.Permute: _permute, shape.Cat: _cat,
    shape.Split: _one_dim(2), shape.Unbind: _one_dim(1), shape.Flip: _one_dim(1), shape.Copy: _map,
    indexing.Index: _index, linalg.MatMul: _matmul,
    Linear: _leading, Conv2d: _fold_batch, MaxPool2d: _fold_batch, AvgPool2d: _fold_batch,
}


def rule_for(cls):
    """The batching rule of op class ``cls`` (looked up along its bases), or None."""
    for klass in cls.__mro__:
        rule = _RULES.get(klass)
        if rule is not None:
            return rule
    return None
