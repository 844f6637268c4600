"""A recorded step as a flat program, run again without building a graph (``glassgrad.compile``).

``Program(first, second)`` takes the traces (``capture.Trace``) of two eager calls of one step. They
must agree event for event: the same ops with the same Python arguments, the same backward nodes,
leaves and calls. An outside tensor that is a different object in the two calls (made inside the
step, like the zero initial state of an LSTM) must hold the same values in both: it is then a
constant, copied afresh for every replay. Where the traces disagree the program is not built and
``Program.reason`` says why in one line.

``run(args)`` replays the events in order:

- op: ``forward(ctx, *inputs)`` of the op's class on the current arrays (a new ``ctx``, no graph);
- node: the engine's ``call_backward`` on that ctx (the same raw-array or tensor formula eager
  backward runs), its results kept in slots;
- leaf: the engine's ``finish_leaf``: summed and accumulated into ``.grad`` as eager backward does;
- call: the method is called again (optimizer step, zero_grad, scheduler step, clipping).

Every kernel is the one the eager step runs, on the same inputs, in the same order, so a replay
gives the eager results bit for bit; what it skips is the Python around them (tensor wrappers with
graph edges, the engine's topological walk, hooks dispatch, module calls). Slots are released after
their last use and nodes after their backward, so memory stays as in the eager step.
"""
import numpy as np

from ..backend import namespace
from .capture import ARG, CONST, DICT, LIST, OUTSIDE, SLOT, TUPLE
from .engine import call_backward, finish_leaf
from .grad_mode import state
from .tensor import Tensor

_new = object.__new__
_make = Tensor._make


def _same_value(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if type(a) is not type(b):
        return False
    if a is b:
        return True
    if type(a).__eq__ is object.__eq__ and not callable(a):
        # a plain settings object made per call (a convolution's geometry, ...): equal fields
        fa, fb = _fields(a), _fields(b)
        return fa is not None and fa.keys() == fb.keys() and all(_same_value(v, fb[k]) for k, v in fa.items())
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _fields(obj):
    """An object's attributes (``__dict__`` and ``__slots__``), or None when it has neither."""
    names = [n for cls in type(obj).__mro__ for n in getattr(cls, "__slots__", ()) if n not in ("__weakref__", "__dict__")]
    fields = {n: getattr(obj, n) for n in names if hasattr(obj, n)}
    if hasattr(obj, "__dict__"):
        fields.update(vars(obj))
    return fields if fields or hasattr(obj, "__dict__") else None


def _same_spec(a, b):
    if a[0] != b[0]:
        return False
    if a[0] == CONST:
        return _same_value(a[1], b[1])
    if a[0] in (LIST, TUPLE):
        return len(a[1]) == len(b[1]) and all(_same_spec(x, y) for x, y in zip(a[1], b[1]))
    if a[0] == DICT:
        return (len(a[1]) == len(b[1]) and all(k == l and _same_spec(x, y)
                                               for (k, x), (l, y) in zip(a[1], b[1])))
    return a[1] == b[1]


def _same_event(a, b):
    if a[0] != b[0] or len(a) != len(b):
        return False
    kind = a[0]
    if kind == "op":
        return (a[1] is b[1] and _same_spec(a[2], b[2]) and (a[3] is None) == (b[3] is None)
                and (a[3] is None or _same_spec(a[3], b[3])) and a[4:] == b[4:])
    if kind == "call":
        return a[1] is b[1] and _same_spec(a[2], b[2]) and _same_spec(a[3], b[3])
    if kind in ("roots",):
        return _same_spec(a[1], b[1])
    if kind in ("leaf", "write"):
        return _same_spec(a[1], b[1]) and _same_spec(a[2], b[2])
    return a[1] == b[1] and _same_spec(a[2], b[2]) and a[3] == b[3]


def _describe(event):
    if event[0] == "op":
        return f"op {event[1].__name__}"
    if event[0] == "call":
        return f"call {event[1].__qualname__}"
    return event[0]


class Program:
    """The replayable program of a step, built from the traces of two eager calls (see the module
    docstring). ``reason`` is None when it can replay, else why not."""

    def __init__(self, first, second, result_specs):
        self.reason = None
        self.counts = {}
        if len(first.events) != len(second.events):
            self.reason = (f"the step ran {len(first.events)} recorded events the first time and "
                           f"{len(second.events)} the second (Python control flow that changes between calls)")
            return
        for i, (a, b) in enumerate(zip(first.events, second.events)):
            if not _same_event(a, b):
                self.reason = (f"event {i} ({_describe(b)}) differs between the first two calls: its Python "
                               "arguments or its inputs changed (pass changing values as tensor arguments)")
                return
        if not _same_spec(*result_specs):
            self.reason = "the step returned different Python values in its first two calls"
            return
        self.n_slots = len(second.slot_meta)
        outside, fresh = [], []   # live outside tensors; constants copied into slots per replay
        for i, (a, b) in enumerate(zip(first.outside, second.outside)):
            if a is b:
                outside.append(b)
                continue
            if (a.shape != b.shape or a.dtype != b.dtype or a._rg or b._rg or a.grad_fn is not None
                    or not _same_value(a.array, b.array)):
                self.reason = (f"a tensor of shape {tuple(b.shape)} made in the step outside ops (or passed in "
                               "by a closure) changed between calls; pass it to the step as an argument")
                return
            outside.append(None)
            fresh.append((self.n_slots, b.array.copy()))
            self.n_slots += 1
        self.fresh = fresh
        slot_of_outside = {i: slot for i, (slot, _) in zip(
            [i for i, t in enumerate(outside) if t is None], fresh)}
        self.outside = outside
        self.slot_of_outside = slot_of_outside
        self.slot_rg = list(second.slot_meta) + [False] * len(fresh)
        self.steps = [self._compile(e) for e in second.events]
        self.result = self._getter(result_specs[1])
        self._plan_releases(second.events, result_specs[1])
        for e in second.events:
            self.counts[e[0]] = self.counts.get(e[0], 0) + 1

    # ---- building ------------------------------------------------------------------------------
    def _getter(self, spec):
        """A function (slots, args) -> the value ``spec`` names."""
        kind = spec[0]
        if kind == SLOT:
            k = spec[1]
            return lambda s, a: s[k]
        if kind == ARG:
            k = spec[1]
            return lambda s, a: a[k]
        if kind == OUTSIDE:
            t = self.outside[spec[1]]
            if t is None:
                k = self.slot_of_outside[spec[1]]
                return lambda s, a: s[k]
            return lambda s, a: t
        if kind == CONST:
            v = spec[1]
            return lambda s, a: v
        parts = [self._getter(p) for p in spec[1]] if kind != DICT else None
        if kind == TUPLE:
            return lambda s, a: tuple([g(s, a) for g in parts])
        if kind == LIST:
            return lambda s, a: [g(s, a) for g in parts]
        items = [(key, self._getter(p)) for key, p in spec[1]]
        return lambda s, a: {key: g(s, a) for key, g in items}

    def _slots_read(self, spec, out):
        kind = spec[0]
        if kind == SLOT:
            out.add(spec[1])
        elif kind == OUTSIDE and self.outside[spec[1]] is None:
            out.add(self.slot_of_outside[spec[1]])
        elif kind in (LIST, TUPLE):
            for p in spec[1]:
                self._slots_read(p, out)
        elif kind == DICT:
            for _, p in spec[1]:
                self._slots_read(p, out)
        return out

    def _plan_releases(self, events, result_spec):
        """After each step, the slots no later step reads (released, as eager frees them)."""
        last = {}
        for i, e in enumerate(events):
            if e[0] == "op":
                read = self._slots_read(e[2], set())
                if e[3] is not None:
                    self._slots_read(e[3], read)
            elif e[0] == "node":
                read = self._slots_read(e[2], set())
            elif e[0] in ("leaf", "write"):
                read = self._slots_read(e[2], self._slots_read(e[1], set()))
            elif e[0] == "call":
                read = self._slots_read(e[2], set())
            else:
                read = self._slots_read(e[1], set())
            for k in read:
                last[k] = i
        keep = self._slots_read(result_spec, set())
        self.release = [[] for _ in events]
        for k, i in last.items():
            if k not in keep:
                self.release[i].append(k)

    def _compile(self, event):
        """A function ``(slots, args, frame)`` running one event; an op that is a node returns its
        ctx."""
        kind = event[0]
        if kind == "op":
            return self._compile_op(*event[1:])
        if kind == "node":
            _, op, grads, result_slots = event
            grads = self._getter(grads)

            def node(s, a, f):
                ctx, f.ctxs[op] = f.ctxs[op], None
                results = call_backward(ctx, grads(s, a))
                for k, r in zip(result_slots, results):
                    if k is not None:
                        s[k] = r
            return node
        if kind == "leaf":
            leaf, grads = self._getter(event[1]), self._getter(event[2])
            return lambda s, a, f: finish_leaf(leaf(s, a), grads(s, a), f.owned, False)
        if kind == "call":
            return self._compile_call(event[1], event[2], event[3])
        if kind == "write":
            target, source = self._getter(event[1]), self._getter(event[2])

            def write(s, a, f):
                value = source(s, a)
                target(s, a).array[...] = value.array if isinstance(value, Tensor) else value
            return write
        roots = self._getter(event[1])  # the gradients backward starts from: never adopted into .grad
        return lambda s, a, f: f.owned.update(id(g.array) for g in roots(s, a))

    def _compile_op(self, cls, arg_spec, kw_spec, out_slots, meta):
        forward = cls.forward
        args = self._getter(arg_spec)
        kwargs = self._getter(kw_spec) if kw_spec is not None else None
        rgs = [self.slot_rg[k] for k in out_slots]
        needs = meta[1] if meta is not None else (False,) * len(arg_spec[1])

        def op(s, a, f):
            ctx = _new(cls)
            ctx.needs_input_grad = needs
            out = forward(ctx, *args(s, a), **kwargs(s, a)) if kwargs is not None else forward(ctx, *args(s, a))
            outs = out if type(out) is tuple else (out,)
            arrays = [o.array if isinstance(o, Tensor) else o for o in outs]
            for k, array, rg in zip(out_slots, arrays, rgs):
                s[k] = _make(array, rg, None, 0)
            if meta is None:
                return None
            ctx._edges = (None,) * meta[0]  # (call_backward reads how many inputs there were)
            ctx._num_outputs = len(arrays)
            if len(arrays) > 1:
                ctx._output_meta = tuple((x.shape, x.dtype, namespace(x)) for x in arrays)
            if ctx._saved:  # as Function.apply packs them, less the version checks
                ctx._saved = [[0, _make(i, False, None, 0) if hasattr(i, "shape") and not isinstance(i, Tensor)
                               else i, 0, None] for i in ctx._saved]
            return ctx
        return op

    def _compile_call(self, fn, spec, result_spec):
        get = self._getter(spec)

        def store(value, rspec, s):
            if rspec[0] == SLOT:
                s[rspec[1]] = value
            elif rspec[0] in (LIST, TUPLE):
                for v, r in zip(value, rspec[1]):
                    store(v, r, s)

        def call(s, a, f):
            args, kwargs = get(s, a)
            prev, state.enabled = state.enabled, f.grad_mode  # the caller's mode, as in the eager step
            try:
                store(fn(*args, **kwargs), result_spec, s)
            finally:
                state.enabled = prev
        return call

    # ---- running -------------------------------------------------------------------------------
    def run(self, args):
        """Replay the step with the step's positional ``args``; returns what the step returned,
        with its tensors detached (no graph)."""
        s = [None] * self.n_slots
        for k, array in self.fresh:
            s[k] = _make(array.copy(), False, None, 0)
        f = _Frame(len(self.steps), state.enabled)
        ctxs = f.ctxs
        state.enabled = False
        try:
            for i, (step, release) in enumerate(zip(self.steps, self.release)):
                ctx = step(s, args, f)
                if ctx is not None:
                    ctxs[i] = ctx
                for k in release:
                    s[k] = None
        finally:
            state.enabled = f.grad_mode
        return _detached(self.result(s, args))


class _Frame:
    """The state of one replay besides the slots: the ctx of each op that is a node (until its
    backward ran), the gradient arrays backward must not adopt (the engine's ``owned_ids``) and the
    caller's grad mode."""

    __slots__ = ("ctxs", "owned", "grad_mode")

    def __init__(self, n, grad_mode):
        self.ctxs = [None] * n
        self.owned = set()
        self.grad_mode = grad_mode


def _detached(value):
    if isinstance(value, Tensor):
        return _make(value.array, False, None, 0) if value._rg else value
    if type(value) in (list, tuple):
        return type(value)(_detached(v) for v in value)
    if type(value) is dict:
        return {k: _detached(v) for k, v in value.items()}
    return value
