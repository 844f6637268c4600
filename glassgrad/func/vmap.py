"""``vmap``: a function of one sample, run over a batch.

How it runs, fastest first:

1. **Batching rules.** The function is called once, on ``BatchedTensor``s (each shows the function
   one sample and holds the whole batch). Every op it runs goes through ``Function.apply``, where a
   batching rule (``batching_rules.py``: element-wise, matmul, reductions, shape ops, indexing,
   linear, conv, pooling) runs the op once on the whole batch.
2. **Per-op loop.** An op without a rule, or a call its rule does not handle, runs once per sample
   and its outputs are stacked; the rest of the function stays batched.
3. **Per-sample loop, the documented fallback.** When the function does something that is not an
   op on the batch (reads ``.array`` or ``.item()``, branches on a value, calls ``backward``, or
   uses a transform other than ``func.grad`` inside), vmap starts again and calls it once per
   sample, then stacks the results: correct for any function, at the speed of a Python loop. Side
   effects of the abandoned first attempt (appending to a list...) happen once more. Nested
   ``vmap`` and ``randomness="different"``/``"same"`` use this loop from the start.
"""
import functools

from .. import random as _random
from ..autograd import function as _function
from ..autograd.tensor import Tensor
from ..ops.shape import cat, stack
from ._pytree import tree_flatten, tree_unflatten
from .batched import BatchedTensor, NeedsLoop, batched, holds_batched
from .batching_rules import rule_for

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")
_batch_sizes = []   # the batch size of each vmap running its fast path (innermost last)


def current_batch_size():
    """The batch size of the innermost vmap on its fast path, or None."""
    return _batch_sizes[-1] if _batch_sizes else None


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over a dimension of its inputs (PyTorch's ``torch.func.vmap``).

    Args:
        func: a function of tensors (or nested tuples/lists/dicts of them).
        in_dims: the batched dimension of each positional argument: an int for all, None for an
            unbatched argument, or a tuple with one entry (int, None or a matching tree) per argument.
        out_dims: where the batch dimension goes in each output (int, None, or a tuple per output).
        randomness: "error" (random ops inside raise), "different" (each sample draws its own
            numbers) or "same" (every sample draws the same numbers).
        chunk_size: run at most this many samples at a time (to bound memory); None: all at once.
    """
    if randomness not in _RANDOMNESS:
        raise RuntimeError(f"vmap: only allowed values for randomness are 'error', 'different' and 'same'; "
                           f"got {randomness!r}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or a positive int, got {chunk_size!r}")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        return _vmap_call(func, args, kwargs, in_dims, out_dims, randomness, chunk_size)
    return wrapped


# ---- inputs ------------------------------------------------------------------------------------
def _flat_in_dims(args, in_dims, name):
    """The leaves of ``args`` and the batched dim of each (None: not batched)."""
    leaves, spec = tree_flatten(list(args))
    if isinstance(in_dims, int) or in_dims is None:
        dims = [in_dims] * len(leaves)
    elif isinstance(in_dims, (tuple, list)):
        if len(in_dims) != len(args):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with "
                             f"the structure of inputs: expected one entry per argument ({len(args)}), got "
                             f"{len(in_dims)}")
        dims = []
        for arg, d in zip(args, in_dims):
            arg_leaves, _ = tree_flatten(arg)
            if isinstance(d, int) or d is None:
                dims += [d] * len(arg_leaves)
            else:
                d_leaves, _ = tree_flatten(d)
                if len(d_leaves) != len(arg_leaves):
                    raise ValueError(f"vmap({name}, in_dims={in_dims}, ...): in_dims entry {d!r} does not match "
                                     "the structure of its argument")
                dims += d_leaves
    else:
        raise ValueError(f"vmap({name}, in_dims={in_dims!r}, ...): expected in_dims to be an int, None, or a "
                         f"tuple matching the inputs, got {type(in_dims).__name__}")
    sizes = []
    for i, (leaf, d) in enumerate(zip(leaves, dims)):
        if d is None:
            continue
        if not isinstance(d, int):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...): in_dims must be ints or None, got {d!r}")
        if not isinstance(leaf, Tensor):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): got in_dim={d} for an input but "
                             f"the input is of type {type(leaf).__name__}. We cannot vmap over non-Tensor "
                             "arguments; pass in_dims=None for it")
        if not -leaf.ndim <= d < leaf.ndim:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): got in_dim={d} for an input but "
                             f"the input is of shape {tuple(leaf.shape)} ({leaf.ndim} dims); use an in_dim in "
                             f"[-{leaf.ndim}, {leaf.ndim})")
        dims[i] = d % leaf.ndim
        sizes.append(leaf.shape[dims[i]])
    if not sizes:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): at least one input must be a Tensor "
                         "batched along an in_dim (all in_dims are None or there are no tensor inputs)")
    if len(set(sizes)) > 1:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Expected all tensors to have the "
                         f"same size in the mapped dimension, got sizes {sizes} for the mapped dimension")
    return leaves, spec, dims, sizes[0]


# ---- outputs -----------------------------------------------------------------------------------
def _flat_out_dims(out_leaves, out_spec, out_dims, name):
    if isinstance(out_dims, int) or out_dims is None:
        return [out_dims] * len(out_leaves)
    if isinstance(out_dims, (tuple, list)):
        per_output, _ = tree_flatten(list(out_dims))
        if len(per_output) == len(out_leaves):
            return per_output
    raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): out_dims is not compatible with the structure "
                     f"of the outputs ({len(out_leaves)} outputs)")


def _place(t, d, size, name):
    """One output of the fast path with its batch at dim ``d``."""
    if isinstance(t, BatchedTensor):
        if d is None:
            raise ValueError(f"vmap({name}, ...): out_dims=None for an output that depends on the batched "
                             "inputs; give it an out_dim")
        return t._phys.movedim(0, d % t._phys.ndim)
    if isinstance(t, Tensor):
        if d is None:
            return t
        d = d % (t.ndim + 1)
        return t.unsqueeze(d).expand(tuple(t.shape[:d]) + (size,) + tuple(t.shape[d:]))
    if d is None:
        return t
    raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(t).__name__}; set "
                     "out_dims=None for that output")


# ---- the three ways to run ---------------------------------------------------------------------
def _random_error():
    raise RuntimeError("vmap: called a random operation while in randomness error mode. Use "
                       "randomness='same' or 'different' on vmap, or draw the random numbers outside vmap")


def _intercept(cls, args, kwargs):
    """``Function.apply``'s hook while vmap's fast path runs: batched calls go to a rule or the
    per-op loop."""
    if not any(holds_batched(a) for a in args) and not any(holds_batched(v) for v in kwargs.values()):
        return NotImplemented
    rule = rule_for(cls)
    if rule is not None:
        out = rule(cls, args, kwargs)
        if out is not NotImplemented:
            return out
    return loop_op(cls, args, kwargs)


def _sample(a, b):
    if isinstance(a, BatchedTensor):
        return a._phys[b]
    if isinstance(a, tuple):
        return tuple(_sample(x, b) for x in a)
    if isinstance(a, list):
        return [_sample(x, b) for x in a]
    return a


def _batch_of(items):
    for a in items:
        if isinstance(a, BatchedTensor):
            return a._phys.shape[0]
        if isinstance(a, (tuple, list)):
            size = _batch_of(a)
            if size is not None:
                return size
    return None


def loop_op(cls, args, kwargs):
    """The fallback of an op without a batching rule: run it once per sample, stack the outputs."""
    size = _batch_of(list(args) + list(kwargs.values()))
    results = [cls.apply(*_sample(list(args), b), **{k: _sample(v, b) for k, v in kwargs.items()})
               for b in range(size)]
    if isinstance(results[0], tuple):
        return tuple(batched(stack([r[i] for r in results])) for i in range(len(results[0])))
    return batched(stack(results))


def _fast(func, leaves, spec, dims, size, kwargs):
    args = [batched(x.movedim(d, 0)) if d is not None else x for x, d in zip(leaves, dims)]
    _function._interceptors.append(_intercept)
    _random.draw_checks.append(_random_error)
    _batch_sizes.append(size)
    try:
        return func(*tree_unflatten(args, spec), **kwargs)
    finally:
        _batch_sizes.pop()
        _random.draw_checks.remove(_random_error)
        _function._interceptors.remove(_intercept)


def _loop(func, leaves, spec, dims, size, kwargs, randomness):
    """The per-sample fallback: ``func`` once per sample; returns the flat outputs of each call."""
    state = _random.get_rng_state() if randomness == "same" else None
    if randomness == "error":
        _random.draw_checks.append(_random_error)
    try:
        outs = []
        for b in range(size):
            if state is not None:
                _random.set_rng_state(state)
            args = [x[(slice(None),) * d + (b,)] if d is not None else x for x, d in zip(leaves, dims)]
            outs.append(func(*tree_unflatten(args, spec), **kwargs))
        return outs
    finally:
        if randomness == "error":
            _random.draw_checks.remove(_random_error)


def _stack_outputs(outs, out_dims, name):
    flat = [tree_flatten(o) for o in outs]
    leaves0, spec = flat[0]
    dims = _flat_out_dims(leaves0, spec, out_dims, name)
    result = []
    for i, d in enumerate(dims):
        items = [f[0][i] for f in flat]
        if d is None:
            result.append(items[0])
        elif not isinstance(items[0], Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                             f"{type(items[0]).__name__}; set out_dims=None for that output")
        else:
            result.append(stack(items, dim=d % (items[0].ndim + 1)))
    return tree_unflatten(result, spec)


def _run(func, leaves, spec, dims, size, kwargs, out_dims, randomness, name):
    if randomness == "error" and not _batch_sizes:
        try:
            out = _fast(func, leaves, spec, dims, size, kwargs)
        except NeedsLoop:
            pass
        else:
            out_leaves, out_spec = tree_flatten(out)
            od = _flat_out_dims(out_leaves, out_spec, out_dims, name)
            return tree_unflatten([_place(t, d, size, name) for t, d in zip(out_leaves, od)], out_spec)
    return _stack_outputs(_loop(func, leaves, spec, dims, size, kwargs, randomness), out_dims, name)


def _vmap_call(func, args, kwargs, in_dims, out_dims, randomness, chunk_size):
    name = getattr(func, "__name__", type(func).__name__)
    leaves, spec, dims, size = _flat_in_dims(args, in_dims, name)
    if chunk_size is None or chunk_size >= size:
        return _run(func, leaves, spec, dims, size, kwargs, out_dims, randomness, name)
    parts = []
    for start in range(0, size, chunk_size):
        n = min(chunk_size, size - start)
        chunk = [x.narrow(d, start, n) if d is not None else x for x, d in zip(leaves, dims)]
        parts.append(_run(func, chunk, spec, dims, n, kwargs, out_dims, randomness, name))
    flat = [tree_flatten(p) for p in parts]
    out_spec = flat[0][1]
    od = _flat_out_dims(flat[0][0], out_spec, out_dims, name)
    joined = [cat([f[0][i] for f in flat], dim=d) if d is not None else flat[0][0][i] for i, d in enumerate(od)]
    return tree_unflatten(joined, out_spec)
