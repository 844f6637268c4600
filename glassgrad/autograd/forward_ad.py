"""Forward-mode AD with dual numbers (``torch.autograd.forward_ad``).

Inside ``with dual_level():``, ``make_dual(x, t)`` gives a tensor equal to ``x`` that carries the
tangent ``t``. Every op run on it computes, next to its value, the tangent of its output: the
Jacobian-vector product J·t, by the op's ``jvp`` rule (written next to its ``backward``).
``unpack_dual(y)`` returns ``(primal, tangent)``. One level at a time, as in PyTorch; tangents are
dropped when the level exits. Ops without a ``jvp`` rule raise a clear error naming the op.
"""
import collections
import weakref

from .grad_mode import state
from .tensor import Tensor

__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "UnpackedDualTensor"]

UnpackedDualTensor = collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__doc__ = "``(primal, tangent)`` as returned by ``unpack_dual``."

_duals = []   # weak references to the tensors holding a tangent at the active level


def enter_dual_level():
    """Start a dual level and return its number (only one level can be active)."""
    if state.fw_level:
        raise RuntimeError("enter_dual_level: nested forward mode AD is not supported; exit the active "
                           "dual_level first")
    state.fw_level = 1
    return 0


def exit_dual_level(*, level=None):
    """End the active dual level: every tangent made or computed inside it is dropped."""
    if not state.fw_level:
        raise RuntimeError("exit_dual_level: no dual level is active (use 'with dual_level():')")
    for ref in _duals:
        t = ref()
        if t is not None:
            try:
                del t._fw_tangent
            except AttributeError:
                pass
    _duals.clear()
    state.fw_level = 0


class dual_level:
    """Context manager for forward-mode AD: tangents live until it exits."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
        return False


def set_tangent(tensor, tangent):
    """Attach ``tangent`` to ``tensor`` at the active level (the engine's use; see ``make_dual``)."""
    tensor._fw_tangent = tangent
    _duals.append(weakref.ref(tensor))


def tangent_of(obj):
    """The tangent ``obj`` carries at the active level, or None."""
    return getattr(obj, "_fw_tangent", None) if isinstance(obj, Tensor) else None


def _paused_view(tensor):
    """``tensor`` as a new tensor of the same value and graph, with no tangent."""
    prev, state.fw_level = state.fw_level, 0
    try:
        if tensor.requires_grad:
            return tensor.view_as(tensor)
        t = tensor.detach()
        return t
    finally:
        state.fw_level = prev


def make_dual(tensor, tangent, *, level=None):
    """A tensor with the value (and graph) of ``tensor`` that carries ``tangent``: ops on it
    propagate J·tangent. ``tangent`` must have the shape of ``tensor`` and a floating dtype."""
    if not state.fw_level:
        raise RuntimeError("make_dual: trying to create a dual tensor outside a dual level; use "
                           "'with forward_ad.dual_level():'")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError(f"make_dual: expected two Tensors, got {type(tensor).__name__} and "
                        f"{type(tangent).__name__}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(f"make_dual: the tangent has shape {tuple(tangent.shape)} but the primal has shape "
                           f"{tuple(tensor.shape)}; they must match")
    if tensor.dtype.kind not in "fc" or tangent.dtype.kind not in "fc":
        raise ValueError(f"make_dual: primal and tangent must be floating point, got {tensor.dtype} and "
                         f"{tangent.dtype}; convert them first (x.double())")
    dual = _paused_view(tensor)
    set_tangent(dual, tangent if tangent.dtype == tensor.dtype else tangent.to(tensor.dtype))
    return dual


def unpack_dual(tensor, *, level=None):
    """``UnpackedDualTensor(primal, tangent)``: the value of ``tensor`` without its tangent, and the
    tangent (None when it has none, or outside a dual level)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"unpack_dual: expected a Tensor, got {type(tensor).__name__}")
    tangent = tangent_of(tensor) if state.fw_level else None
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_paused_view(tensor), tangent)


def propagate(ctx, args, kwargs, outs, tangents):
    """Called by ``Function.apply`` when an input carries a tangent: run the op's ``jvp`` rule (with
    forward AD paused, so the rule's own ops carry no tangents) and attach the output tangents."""
    jvp = type(ctx).jvp
    if jvp is None:
        raise RuntimeError(
            f"forward-mode AD: {type(ctx).__name__} has no jvp rule. Forward AD covers the element-wise, "
            "matmul, reduction and shape ops; differentiate this function in reverse mode instead "
            "(autograd.functional.vjp/jacobian, func.jacrev)")
    ctx.fw_inputs, ctx.fw_kwargs, ctx.fw_outputs = args, kwargs, outs
    prev, state.fw_level = state.fw_level, 0
    try:
        result = jvp(ctx, *tangents)
    finally:
        state.fw_level = prev
        del ctx.fw_inputs, ctx.fw_kwargs, ctx.fw_outputs  # the outputs must not keep their own node
    results = result if isinstance(result, tuple) else (result,)
    for out, t in zip(outs, results):
        if t is None or out.dtype.kind not in "fc":
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"{type(ctx).__name__}.jvp returned {type(t).__name__}; a jvp rule returns Tensors")
        if tuple(t.shape) != tuple(out.shape):
            t = t.expand(out.shape)
        set_tangent(out, t if t.dtype == out.dtype else t.to(out.dtype))
