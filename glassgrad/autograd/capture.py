"""Recording one eager step as a flat list of events, for ``glassgrad.compile``.

While a ``Trace`` is active (``state.capture``), the step runs eagerly as always, and the places
that do array work report to it:

- ``Function.apply``: each op's forward (its class, its arguments, its outputs);
- the backward engine: each node's backward (which gradients went in, which came out) and each
  leaf's accumulation into ``.grad``;
- the methods marked ``replayed_as_call`` (an optimizer's ``step`` and ``zero_grad``, a scheduler's
  ``step``, gradient clipping): they change tensors outside ops, so a replay calls them again.

Every array an op or a backward produced gets a slot; an op's tensor argument is a slot, an
argument of the step, or an outside tensor (a parameter, a buffer, a constant made in the step).
Anything a replay could not repeat stops the recording with a one-line reason (``Trace.reason``):
a tensor's value read into Python (``.item()``, ``if loss > 1``), hooks, random numbers drawn
outside ops, ``autograd.grad``/``create_graph``, anomaly mode, forward-mode AD.
"""
import functools
import weakref

from ..random import default_generator
from .grad_mode import state
from .tensor import Tensor

SLOT, ARG, OUTSIDE, CONST, LIST, TUPLE, DICT = range(7)


class Unreplayable(Exception):
    """Raised inside a trace when the step does something a replay could not repeat."""


class Trace:
    """The events of one eager step (see the module docstring). ``args`` are the step's positional
    arguments: tensors among them are referred to by position, so a replay can take new ones."""

    def __init__(self, args):
        self.args = {id(t): i for i, t in enumerate(args) if isinstance(t, Tensor)}
        self.events = []        # ("op", ...), ("node", ...), ("leaf", ...), ("call", ...), ("roots", ...)
        self.slot_of = {}       # id(array) -> slot number
        self.slot_meta = []     # per slot: requires_grad of the tensor that carried it
        self.alive = {}         # id -> weak reference of each array and node seen (see _remember)
        self.outside = []       # outside tensors, by position in OUTSIDE specs
        self.outside_at = {}    # id(tensor) -> position
        self.node_op = {}       # id(node) -> index of its op event
        self.reason = None      # why this step cannot be replayed (None while it can)
        self.depth = 0          # > 0 inside an op's forward or a node's backward (their ops are theirs)
        self.muted = 0          # > 0 inside a replayed call: nothing in it is recorded
        self.rng_mark = None
        self.modules = {}       # id -> every module called (the compiled step guards on .training)

    # ---- helpers -------------------------------------------------------------------------------
    def finish(self):
        """Let go of the step's arrays and nodes (kept only so that ids stay unique while
        recording); the events and the outside tensors stay."""
        self.alive = self.slot_of = self.node_op = None

    def stop(self, reason):
        """Record why the step cannot be replayed (the first reason wins)."""
        if self.reason is None:
            self.reason = reason

    def _remember(self, obj, table):
        """Forget ``table[id(obj)]`` when ``obj`` dies, before Python can give its id to a new
        object (as eager backward frees what it no longer needs, so does a recording)."""
        key = id(obj)
        try:
            self.alive[key] = weakref.ref(obj, lambda _, key=key: (table.pop(key, None), self.alive.pop(key, None))
                                          if self.alive is not None else None)
        except TypeError:  # (NumPy scalars take no weak references: kept alive instead)
            self.alive[key] = lambda obj=obj: obj

    def _new_slot(self, tensor):
        self._remember(tensor.array, self.slot_of)
        self.slot_of[id(tensor.array)] = len(self.slot_meta)
        self.slot_meta.append(tensor._rg)
        return len(self.slot_meta) - 1

    def spec(self, value):
        """How a replay finds ``value`` again: a nested tuple of (kind, ...)."""
        if isinstance(value, Tensor):
            slot = self.slot_of.get(id(value.array))
            if slot is not None:
                return (SLOT, slot)
            if id(value) in self.args:
                return (ARG, self.args[id(value)])
            at = self.outside_at.get(id(value))
            if at is None:
                at = self.outside_at[id(value)] = len(self.outside)
                self.outside.append(value)
            return (OUTSIDE, at)
        if type(value) in (list, tuple):
            return (LIST if type(value) is list else TUPLE, tuple(self.spec(v) for v in value))
        if type(value) is dict:
            return (DICT, tuple((k, self.spec(v)) for k, v in value.items()))
        return (CONST, value)

    def _rng_check(self, where):
        mark = default_generator.rng.bit_generator.state["state"]
        if self.rng_mark is not None and mark != self.rng_mark:
            self.stop(f"random numbers were drawn outside ops before {where} (e.g. glassgrad.randn in the "
                      "step); a replay would repeat the same numbers: pass them in as an argument")

    def _rng_set(self):
        self.rng_mark = default_generator.rng.bit_generator.state["state"]

    # ---- events --------------------------------------------------------------------------------
    def op_begin(self, cls):
        """An op's forward starts (``Function.apply``)."""
        if self.muted:
            return
        if self.depth == 0:
            self._rng_check(f"op {cls.__name__}")
        self.depth += 1

    def op_end(self, cls, args, kwargs, outs, node):
        """An op's forward returned ``outs`` (Tensors); ``node`` is its graph node or None."""
        if self.muted:
            return
        self.depth -= 1
        if self.depth:
            return
        self._rng_set()
        arg_spec = self.spec(args)
        kw_spec = self.spec(kwargs) if kwargs else None
        out_slots = tuple(self._new_slot(t) for t in outs)
        if node is not None:
            self.node_op[id(node)] = len(self.events)
            self._remember(node, self.node_op)
            meta = (len(node._edges), tuple(node.needs_input_grad))
        else:
            meta = None
        self.events.append(("op", cls, arg_spec, kw_spec, out_slots, meta))

    def backward_begin(self, outputs, grad_outputs, create_graph, capture):
        """The engine starts a backward pass from ``outputs`` with ``grad_outputs``."""
        if self.muted:
            return
        if create_graph:
            self.stop("backward(create_graph=True) in the step")
        if capture is not None:
            self.stop("autograd.grad (or backward(inputs=...)) in the step")
        self.events.append(("roots", self.spec(list(grad_outputs))))

    def node_enter(self, node):
        """The engine is about to run ``node``'s backward."""
        if self.muted:
            return
        if node._pre_hooks:
            self.stop(f"a hook on the gradient of {node.name()}'s output (register_hook, retain_grad, a "
                      "module's backward hook or a Monitor): a replay would skip it")
        self.depth += 1

    def node_exit(self, node, grads, results):
        """``node``'s backward turned ``grads`` into ``results`` (one per input, Tensor or None)."""
        if self.muted:
            return
        self.depth -= 1
        op = self.node_op.get(id(node))
        if op is None:
            self.stop(f"backward reached {node.name()}, made before the step began; compile the whole step "
                      "(forward, backward and optimizer)")
            return
        grad_spec = self.spec(list(grads))  # (before the results: a result may be a gradient passed on)
        result_slots = tuple(None if r is None else self._new_slot(r) for r in results)
        self.events.append(("node", op, grad_spec, result_slots))

    def leaf(self, leaf, grads):
        """The engine accumulates ``grads`` into ``leaf.grad``."""
        if self.muted:
            return
        if leaf._hooks or getattr(leaf, "_post_acc_hooks", None):
            self.stop(f"a hook on a leaf tensor of shape {tuple(leaf.shape)} (register_hook or "
                      "register_post_accumulate_grad_hook, e.g. a Monitor's): a replay would skip it")
        self.events.append(("leaf", self.spec(leaf), self.spec(list(grads))))

    def module_called(self, module, hooked):
        """A module is called; ``hooked``: it has forward or backward hooks."""
        self.modules[id(module)] = module
        if hooked and not self.muted:
            self.stop(f"{type(module).__name__} has forward or backward hooks (a Monitor, or "
                      "register_forward_hook): a replay would skip them")

    def array_write(self, target, source):
        """An in-place method outside the graph wrote ``source`` (tensor, array or number) into
        ``target``'s array (``x.relu_()``, ``x.fill_(0)`` under no_grad)."""
        if self.depth == 0 and not self.muted:
            self.events.append(("write", self.spec(target), self.spec(source)))

    def value_read(self, tensor, how):
        """Python read the value of ``tensor`` (``item``, ``float``, ``bool``, ``print``...)."""
        if self.depth == 0 and not self.muted:
            self.stop(f"the step reads a tensor's value into Python (Tensor.{how}, float(), bool(), if t: ...); what it does with it "
                      "would not change in a replay (return the tensor and read it outside the step)")

    def call(self, fn, args, kwargs):
        """Run ``fn(*args, **kwargs)``, a method marked ``replayed_as_call``, as one event."""
        if self.depth or self.muted:
            return fn(*args, **kwargs)
        args = tuple(list(a) if _is_iterator(a) else a for a in args)  # (a replay iterates them again)
        spec = self.spec((args, kwargs))
        self._rng_check(fn.__qualname__)
        self.muted += 1
        try:
            result = fn(*args, **kwargs)
        finally:
            self.muted -= 1
        self._rng_set()
        result_spec = self._result_spec(result)
        self.events.append(("call", fn, spec, result_spec))
        return result

    def _result_spec(self, value):
        """Slots for the tensors a replayed call returns (fresh ones each call)."""
        if isinstance(value, Tensor):
            return (SLOT, self._new_slot(value))
        if type(value) in (list, tuple):
            return (LIST if type(value) is list else TUPLE, tuple(self._result_spec(v) for v in value))
        return (CONST, value)


def _is_iterator(value):
    return hasattr(value, "__next__") and hasattr(value, "__iter__")


def replayed_as_call(fn):
    """Mark ``fn`` as a method that changes tensors in place outside ops (an optimizer's ``step``,
    ``zero_grad``, a scheduler's ``step``, gradient clipping): a compiled step records a call of it
    and its replay calls it again, reading the Python values (``lr``, ...) as they are then."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        trace = state.capture
        if trace is None:
            return fn(*args, **kwargs)
        return trace.call(fn, args, kwargs)
    return wrapper


class tracing:
    """``with tracing(trace):`` records the eager ops, backward and calls of this thread into
    ``trace`` (nested traces are not allowed)."""

    def __init__(self, trace):
        self.trace = trace

    def __enter__(self):
        if state.capture is not None:
            raise RuntimeError("glassgrad.compile: a compiled function called another one while it was "
                               "being recorded; compile the outer function only")
        if state.anomaly:
            self.trace.stop("anomaly detection is on (detect_anomaly)")
        if state.fw_level:
            self.trace.stop("forward-mode AD (dual_level) is active")
        if state.saved_hooks is not None:
            self.trace.stop("saved_tensors_hooks are active")
        self.trace._rng_set()
        state.capture = self.trace
        return self.trace

    def __exit__(self, *exc):
        state.capture = None
        self.trace._rng_check("the end of the step")
        self.trace.finish()
        return False
