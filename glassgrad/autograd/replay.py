"""A recorded step as a flat program, run again without building a graph (``glassgrad.compile``).

``Program(first, second)`` takes the traces (``capture.Trace``) of two eager calls of one step. They
must agree event for event: the same ops with the same Python arguments, the same backward nodes,
leaves and calls. An outside tensor that is a different object in the two calls (made inside the
step, like the zero initial state of an LSTM) must hold the same values in both: it is then a
constant, copied afresh for every replay. Where the traces disagree the program is not built and
``Program.reason`` says why in one line.

``Program.run(args)`` is one generated straight-line function (its text: ``Program.source``) that
replays the events in order:

- op: ``forward(ctx, *inputs)`` of the op's class on the current arrays (a new ``ctx``, no graph);
- node: the op's ``raw_backward`` on that ctx, as the engine calls it when no graph of the backward
  is wanted (or the engine's ``call_backward`` for a tensor formula), its results kept in slots;
- leaf: the engine's ``finish_leaf``: summed and accumulated into ``.grad`` as eager backward does;
- write: an in-place write outside the graph, done again;
- call: the method is called again (optimizer step, zero_grad, scheduler step, clipping).

Every kernel is the one the eager step runs, on the same inputs, in the same order, so a replay
gives the eager results bit for bit; what it skips is the Python around them (tensor wrappers with
graph edges, the engine's topological walk, hooks dispatch, module calls). Slots are released after
their last use and nodes after their backward, so memory stays as in the eager step.
"""
import numpy as np

from ..backend import namespace
from .capture import ARG, CONST, DICT, LIST, OUTSIDE, SLOT, TUPLE
from .engine import OwnedArrays, call_backward, finish_leaf, fix_count
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
    kind = event[0]
    if kind == "op":
        return f"op {event[1].__name__}"
    if kind == "call":
        return f"call {event[1].__qualname__}"
    return {"node": "backward", "leaf": "accumulate .grad", "write": "in-place write",
            "roots": "backward pass begins"}[kind]


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
        self.outside = []            # per OUTSIDE position: the live tensor, or None for a constant
        self.slot_of_outside = {}    # OUTSIDE position of a constant -> the slot it is copied into
        fresh = []                   # (slot, values) of the constants
        for i, (a, b) in enumerate(zip(first.outside, second.outside)):
            if a is b:
                self.outside.append(b)
                continue
            if (a.shape != b.shape or a.dtype != b.dtype or a._rg or b._rg or a.grad_fn is not None
                    or not _same_value(a.array, b.array)):
                self.reason = (f"a tensor of shape {tuple(b.shape)} made in the step outside ops (or passed in "
                               "by a closure) changed between calls; pass it to the step as an argument")
                return
            self.outside.append(None)
            self.slot_of_outside[i] = self.n_slots
            fresh.append((self.n_slots, b.array.copy()))
            self.n_slots += 1
        self.slot_rg = list(second.slot_meta) + [False] * len(fresh)
        for e in second.events:
            self.counts[e[0]] = self.counts.get(e[0], 0) + 1
        self.source, self.run = _Writer(self).program(second.events, fresh, result_specs[1])


class _Writer:
    """Writes a program as the source of one straight-line Python function ``replay(a)``: a local
    ``vK`` per slot, set to None after its last use; constants (classes, outside tensors, Python
    values) are bound as globals of the function."""

    def __init__(self, program):
        self.p = program
        self.names = {}        # id(object) -> global name
        self.globals = {"Tensor": Tensor, "state": state, "call_backward": call_backward,
                        "finish_leaf": finish_leaf, "OwnedArrays": OwnedArrays, "_make": _make, "_new": _new,
                        "_node": _node, "_array": _array, "_detached": _detached, "_results": _results, "_grad": _grad}

    def bind(self, value, hint):
        """The global name under which ``value`` is seen by the program."""
        name = self.names.get(id(value))
        if name is None:
            name = self.names[id(value)] = f"{hint}{len(self.names)}"
            self.globals[name] = value
        return name

    def expr(self, spec):
        """Python source of the value ``spec`` names."""
        kind = spec[0]
        if kind == SLOT:
            return f"v{spec[1]}"
        if kind == ARG:
            return f"a[{spec[1]}]"
        if kind == OUTSIDE:
            t = self.p.outside[spec[1]]
            return f"v{self.p.slot_of_outside[spec[1]]}" if t is None else self.bind(t, "t")
        if kind == CONST:
            v = spec[1]
            return repr(v) if v is None or type(v) in (bool, int) else self.bind(v, "c")
        if kind == DICT:
            return "{" + ", ".join(f"{k!r}: {self.expr(p)}" for k, p in spec[1]) + "}"
        inner = ", ".join(self.expr(p) for p in spec[1])
        if kind == LIST:
            return f"[{inner}]"
        return f"({inner},)" if len(spec[1]) == 1 else f"({inner})"

    def reads(self, spec, out):
        """The slots ``spec`` reads, added to ``out``."""
        kind = spec[0]
        if kind == SLOT:
            out.add(spec[1])
        elif kind == OUTSIDE and self.p.outside[spec[1]] is None:
            out.add(self.p.slot_of_outside[spec[1]])
        elif kind in (LIST, TUPLE):
            for p in spec[1]:
                self.reads(p, out)
        elif kind == DICT:
            for _, p in spec[1]:
                self.reads(p, out)
        return out

    def event(self, i, e, events):
        """(source lines, slots read) of event ``i``."""
        kind = e[0]
        if kind == "op":
            _, cls, args, kwargs, outs, meta = e
            c = self.bind(cls, cls.__name__ + "_")
            needs = self.bind(meta[1] if meta else (False,) * len(args[1]), "n")
            inputs = [self.expr(p) for p in args[1]] + [f"{k}={self.expr(p)}" for k, p in (kwargs or (0, ()))[1]]
            call = f"{self.bind(cls.forward, cls.__name__ + '_forward_')}(ctx{i}, {', '.join(inputs)})"
            lines = [f"ctx{i} = _new({c}); ctx{i}.needs_input_grad = {needs}",
                     f"o = {call}"]
            if len(outs) == 1:
                lines.append(f"v{outs[0]} = _make(_array(o), {self.p.slot_rg[outs[0]]}, None, 0)")
            else:
                lines += [f"v{k} = _make(_array(o[{n}]), {self.p.slot_rg[k]}, None, 0)" for n, k in enumerate(outs)]
            if meta:
                lines.append(f"_node(ctx{i}, {meta[0]}, {', '.join(f'v{k}' for k in outs)})")
            else:
                lines.append(f"ctx{i} = None")
            read = self.reads(args, set())
            if kwargs:
                self.reads(kwargs, read)
            return lines, read
        if kind == "node":
            _, op, grads, results = e
            cls = events[op][1]
            lines = [f"# backward of event {op} ({cls.__name__})"]
            if cls.raw_backward is not None and not any(g == (CONST, None) for g in grads[1]):
                # the engine's raw-array path (call_backward's, less its checks for what is known here)
                raw = self.bind(cls.raw_backward, cls.__name__ + "_raw_backward_")
                arrays = ", ".join(f"{self.expr(g)}.array" for g in grads[1])
                lines += [f"r = _results(ctx{op}, {raw}(ctx{op}, {arrays}))", f"ctx{op} = None"]
                lines += [f"v{k} = _grad(r[{n}])" for n, k in enumerate(results) if k is not None]
            else:
                lines += [f"r = call_backward(ctx{op}, {self.expr(grads)})", f"ctx{op} = None"]
                lines += [f"v{k} = r[{n}]" for n, k in enumerate(results) if k is not None]
            lines.append("r = None  # (a reference left here would make finish_leaf copy the gradient)")
            return lines, self.reads(grads, set())
        if kind == "leaf":
            return ([f"finish_leaf({self.expr(e[1])}, {self.expr(e[2])}, owned, False)"],
                    self.reads(e[2], self.reads(e[1], set())))
        if kind == "write":
            return ([f"w = {self.expr(e[2])}",
                     f"{self.expr(e[1])}.array[...] = w.array if isinstance(w, Tensor) else w"],
                    self.reads(e[2], self.reads(e[1], set())))
        if kind == "call":
            _, fn, spec, result = e
            inputs = [self.expr(p) for p in spec[1][0][1]] + [f"{k}={self.expr(p)}" for k, p in spec[1][1][1]]
            lines = ["state.enabled = grad_mode  # (the caller's grad mode, as in the eager step)",
                     f"r = {self.bind(fn, fn.__name__ + '_')}({', '.join(inputs)})",
                     "state.enabled = False"]
            lines += [f"{target} = {value}" for target, value in self.stores(result, "r")] + ["r = None"]
            return lines, self.reads(spec, set())
        return [f"owned.update(g.array for g in {self.expr(e[1])})"], self.reads(e[1], set())

    def stores(self, spec, source):
        """(slot, expression) pairs that take a call's result apart."""
        if spec[0] == SLOT:
            return [(f"v{spec[1]}", source)]
        if spec[0] in (LIST, TUPLE):
            return [pair for n, p in enumerate(spec[1]) for pair in self.stores(p, f"{source}[{n}]")]
        return []

    def program(self, events, fresh, result_spec):
        """(source, function) of the whole program."""
        body = [f"v{k} = _make({self.bind(values, 'fresh')}.copy(), False, None, 0)" for k, values in fresh]
        bodies, reads = zip(*[self.event(i, e, events) for i, e in enumerate(events)]) if events else ((), ())
        last = {}
        for i, read in enumerate(reads):
            for k in read:
                last[k] = i
        keep = self.reads(result_spec, set())
        frees = [[] for _ in events]
        for k, i in last.items():
            if k not in keep:
                frees[i].append(k)
        for i, (e, lines) in enumerate(zip(events, bodies)):
            body.append(f"# event {i}: {_describe(e)}")
            body += lines
            if frees[i]:
                body.append(" = ".join(f"v{k}" for k in sorted(frees[i])) + " = None")
        source = "\n".join(["def replay(a):",
                             "    grad_mode, owned = state.enabled, OwnedArrays()",
                             "    state.enabled = False",
                             "    try:"]
                            + [f"        {line}" for line in body]
                            + [f"        result = {self.expr(result_spec)}",
                               "    finally:",
                               "        state.enabled = grad_mode",
                               "    return _detached(result)", ""])
        namespace = dict(self.globals)
        exec(compile(source, "<glassgrad.compile replay>", "exec"), namespace)
        return source, namespace["replay"]


def _array(out):
    """An op's output as an array (forwards may return arrays or tensors)."""
    return out.array if isinstance(out, Tensor) else out


def _results(ctx, results):
    """A raw backward's results as a tuple of one per input (as ``call_backward`` makes them)."""
    if type(results) is not tuple:
        results = (results,)
    return results if len(results) == len(ctx._edges) else fix_count(ctx, results, len(ctx._edges))


def _grad(result):
    """A raw backward's result as a Tensor; NumPy's 0-d scalars become 0-d arrays again."""
    if isinstance(result, Tensor):
        return result
    return _make(np.asarray(result) if isinstance(result, np.generic) else result, False, None, 0)


def _node(ctx, n_inputs, *outputs):
    """Make a replayed forward's ``ctx`` ready for its backward, as ``Function.apply`` does for a
    graph node (less the edges: the program knows where each gradient goes)."""
    ctx._edges = (None,) * n_inputs  # (call_backward reads how many inputs there were)
    ctx._num_outputs = len(outputs)
    if len(outputs) > 1:
        ctx._output_meta = tuple((t.array.shape, t.array.dtype, namespace(t.array)) for t in outputs)
    if ctx._saved:  # packed as Function.apply packs them, less the version checks
        ctx._saved = [[0, _make(item, False, None, 0) if hasattr(item, "shape") and not isinstance(item, Tensor)
                       else item, 0, None] for item in ctx._saved]


def _detached(value):
    if isinstance(value, Tensor):
        return _make(value.array, False, None, 0) if value._rg else value
    if type(value) in (list, tuple):
        return type(value)(_detached(v) for v in value)
    if type(value) is dict:
        return {k: _detached(v) for k, v in value.items()}
    return value
