"""``glassgrad.compile(step)``: run a step eagerly twice while recording it, then replay it.

The first two calls with given guards run the step eagerly under ``autograd.capture.tracing``; if
their traces agree (``autograd.replay.Program``), later calls replay the recorded kernels: every
op's forward, the backward formulas, the gradient accumulation and the optimizer's update, in the
eager order on the eager kernels, so the results equal the eager step's bit for bit, without the
Python that builds tensors and graphs around them.

Guards (a miss records the step again, up to ``cache_size_limit`` variants): the shapes, dtypes and
``requires_grad`` of the tensor arguments and the values of the others, the grad mode, the
``training`` flag of every module the step can reach (through its closure, its globals, ``self`` or
its arguments), glassgrad's thread count and default dtype. A step that cannot be replayed runs
eagerly from then on, with a one-line warning giving the reason (``fullgraph=True`` raises it
instead); ``CompiledStep.status()`` lists each variant.

Not replayed, as with CUDA graphs or ``jax.jit``: Python side effects of the step (printing,
appending to a list), and array writes outside ops other than those of optimizers, schedulers,
``zero_grad`` and gradient clipping. Tensors the step returns come back detached from any graph.
"""
import functools
import warnings

from ..autograd.capture import Trace, tracing
from ..autograd.grad_mode import state
from ..autograd.replay import Program
from ..autograd.tensor import Tensor
from ..backend import get_default_dtype
from ..nn.modules.module import Module
from ..parallel import get_num_threads

__all__ = ["compile", "CompiledStep"]


def compile(model=None, *, fullgraph=False, disable=False, cache_size_limit=8):
    """Capture ``model`` (a training step function, or a module) and replay it on later calls.

    Also a decorator: ``@glassgrad.compile`` or ``@glassgrad.compile(fullgraph=True)``.

    Args:
        model: the function (or ``nn.Module``) to compile.
        fullgraph: raise instead of running eagerly when the step cannot be replayed.
        disable: return ``model`` unchanged (as PyTorch's ``disable=True``).
        cache_size_limit: how many guard variants are recorded before the step runs eagerly.
    """
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, disable=disable,
                                 cache_size_limit=cache_size_limit)
    if disable:
        return model
    if not callable(model):
        raise TypeError(f"glassgrad.compile: expected a function or a module, got {type(model).__name__}")
    return CompiledStep(model, fullgraph=fullgraph, cache_size_limit=cache_size_limit)


class CompiledStep:
    """A compiled function: call it as the original. See the module docstring."""

    def __init__(self, fn, fullgraph=False, cache_size_limit=8):
        self.fn = fn
        self.fullgraph = fullgraph
        self.cache_size_limit = cache_size_limit
        self.modules = _reachable_modules(fn)
        self.variants = {}   # guard key -> [first trace or Program or reason string, ...]
        functools.update_wrapper(self, fn, updated=())

    def __call__(self, *args, **kwargs):
        if kwargs:
            return self._eager(("keyword arguments",), args, kwargs,
                               "keyword arguments are not recorded; pass the step's inputs positionally")
        hooked = next((m for m in self.modules if m._forward_hooks or m._forward_pre_hooks or m._backward_hooks),
                      None)
        if hooked is not None:  # (hooks added after the step was recorded)
            return self._eager(("hooks",), args, kwargs,
                               f"{type(hooked).__name__} has forward or backward hooks (a Monitor, or "
                               "register_forward_hook): a replay would skip them")
        key = self._guard_key(args)
        entry = self.variants.get(key)
        if isinstance(entry, Program):
            return entry.run(args)
        if isinstance(entry, str):
            return self.fn(*args)
        if entry is None and len(self.variants) >= self.cache_size_limit:
            return self._eager(("limit",), args, kwargs,
                               f"recorded {self.cache_size_limit} guard variants (cache_size_limit); shapes or "
                               "arguments keep changing")
        trace = Trace(args)
        with tracing(trace):
            result = self.fn(*args)
            result_spec = trace.spec(result)
        known = {id(m) for m in self.modules}
        new = [m for i, m in trace.modules.items() if i not in known]
        if new:  # modules reached only through other objects: guard on them too
            self.modules += new
            key = self._guard_key(args)
        if trace.reason is not None:
            self._give_up(key, trace.reason)
        elif entry is None:
            self.variants[key] = (trace, result_spec)
        else:
            first, first_spec = entry
            program = Program(first, trace, (first_spec, result_spec))
            if program.reason is not None:
                self._give_up(key, program.reason)
            else:
                self.variants[key] = program
        return result

    def _eager(self, key, args, kwargs, reason):
        if key not in self.variants:
            self._give_up(key, reason)
        return self.fn(*args, **kwargs)

    def _give_up(self, key, reason):
        name = getattr(self.fn, "__qualname__", type(self.fn).__name__)
        if self.fullgraph:
            raise RuntimeError(f"glassgrad.compile(fullgraph=True): {name} cannot be replayed: {reason}")
        warnings.warn(f"glassgrad.compile: {name} runs eagerly: {reason}", RuntimeWarning, stacklevel=3)
        self.variants[key] = reason

    def _guard_key(self, args):
        return (tuple([(a.shape, a.dtype, a._rg) if isinstance(a, Tensor) else _hashable(a) for a in args]),
                state.enabled, tuple([m.training for m in self.modules]), get_num_threads(),
                get_default_dtype())

    def status(self):
        """One line per recorded guard variant: replaying (with its event counts), waiting for its
        second call, or running eagerly and why."""
        lines = []
        for entry in self.variants.values():
            if isinstance(entry, Program):
                names = {"op": "op forwards", "node": "backward nodes", "leaf": "gradient accumulations",
                         "call": "calls", "write": "in-place writes", "roots": "backward passes"}
                counts = ", ".join(f"{entry.counts[kind]} {name}" for kind, name in names.items()
                                   if kind in entry.counts)
                lines.append(f"replaying: {counts}")
            elif isinstance(entry, str):
                lines.append(f"eager: {entry}")
            else:
                lines.append("recorded once: replays from the third call")
        return lines


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return (type(value), value)


def _reachable_modules(fn):
    """Every module ``fn`` can reach through itself, ``self``, its closure, its defaults and the
    globals it names (one level into lists, tuples and dicts)."""
    roots = [fn, getattr(fn, "__self__", None)]
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if code is not None:
        func = getattr(fn, "__func__", fn)
        roots += [c.cell_contents for c in (func.__closure__ or ()) if _has_contents(c)]
        roots += list(func.__defaults__ or ())
        roots += [func.__globals__[n] for n in code.co_names if n in func.__globals__]
    found, seen = [], set()
    for root in roots:
        items = (list(root.values()) if isinstance(root, dict) else list(root)
                 if isinstance(root, (list, tuple)) else [root])
        for item in items:
            if isinstance(item, Module):
                for m in item.modules():
                    if id(m) not in seen:
                        seen.add(id(m))
                        found.append(m)
    return found


def _has_contents(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True
