"""``Function``: one differentiable op, its forward and its backward side by side.

A call ``MyOp.apply(x, y)`` runs ``forward(ctx, x, y)`` with grad recording off and, when an input
needs a gradient, makes ``ctx`` (an instance of ``MyOp``) the ``grad_fn`` of the outputs: a node of
the graph. ``backward(ctx, *grad_outputs)`` returns one gradient per positional input of
``forward`` (``None`` where there is none). Built-in ops and user-defined ops use this same API.

Built-in forwards read ``x.array`` (the raw NumPy/CuPy array) and return arrays; backwards are
written with glassgrad ops so that ``create_graph=True`` can differentiate them again.
"""
import weakref

from ..backend import namespace
from .grad_mode import state
from .tensor import Tensor, wrap_array

_CONSTANT, _TENSOR, _OUTPUT, _HOOKED = 0, 1, 2, 3
_new = object.__new__


class Function:
    """Base class of differentiable ops. Subclass it and write ``forward`` and ``backward`` as
    static methods taking ``ctx`` first; call it with ``apply``.

    ``ctx`` offers ``save_for_backward(*tensors_or_arrays)``, ``saved_tensors``,
    ``needs_input_grad``, ``mark_non_differentiable(*outputs)`` and any attribute you set on it.
    """

    # While an instance is only a forward's ctx it holds these; as a graph node it also holds the
    # edges to the nodes (or leaf tensors) of its inputs.
    _saved = ()
    _pre_hooks = None
    # Optional: ``raw_backward(ctx, *grad_arrays)`` computes the same gradients as ``backward`` on raw
    # arrays (reading ``ctx.saved_arrays``). The engine uses it when no graph of the backward pass
    # is needed (``create_graph=False``): the hot ops skip the per-op overhead of the tensor path.
    raw_backward = None
    # Optional: ``jvp(ctx, *tangents)``, forward-mode AD (``autograd.forward_ad``): one tangent per
    # positional input (None where it has none), returns the output tangents J·t. It may read
    # ``ctx.fw_inputs``, ``ctx.fw_kwargs`` (the forward's arguments) and ``ctx.fw_outputs``.
    jvp = None
    _trace = None
    _non_diff = ()

    @staticmethod
    def forward(ctx, *args, **kwargs):
        """Compute the outputs from the inputs; override in a subclass."""
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """Gradients of the inputs from those of the outputs; override in a subclass."""
        raise NotImplementedError("a Function subclass must define backward(ctx, *grad_outputs)")

    # ---- ctx API -------------------------------------------------------------------------------
    def save_for_backward(self, *items):
        """Keep tensors or arrays for backward. Saving an output array links it to this node, so
        that the backward formula stays differentiable (for ``create_graph=True``)."""
        self._saved = items

    @property
    def saved_tensors(self):
        """The saved items as Tensors; raises if backward already freed them or an in-place op
        changed one since it was saved."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to read saved "
                "tensors after they were freed). Saved buffers are freed by backward; call "
                ".backward(retain_graph=True) the first time if you need to backward again.")
        out = []
        for kind, obj, version, value in saved:
            if kind == _TENSOR:
                if obj._version != version:
                    raise RuntimeError(
                        f"one of the variables needed for gradient computation has been modified by an "
                        f"inplace operation: [{obj.dtype} {list(obj.shape)}], used by {self.name()}, is at "
                        f"version {obj._version}; expected version {version} instead. Use an out-of-place "
                        "op (x = x + 1 instead of x += 1) or .clone() before the in-place op.")
                # a non-leaf comes back as it was when saved, even if an in-place op rebound it since
                out.append(obj if value is None else Tensor._make(*value))
            elif kind == _OUTPUT:
                nr, array, ref = obj
                t = ref() if ref is not None else None
                if t is not None and t._version != version:
                    raise RuntimeError(
                        f"one of the variables needed for gradient computation has been modified by an "
                        f"inplace operation: output {nr} of {self.name()} is at version {t._version}; "
                        f"expected version {version} instead. Use an out-of-place op or .clone().")
                out.append(Tensor._make(array, True, self, nr))
            elif kind == _HOOKED:
                out.append(self._unpack(*obj))
            else:
                out.append(obj)
        return tuple(out)

    def _unpack(self, packed, unpack, link):
        """A tensor saved through ``saved_tensors_hooks``: the unpack hook's result, linked back into
        the graph where the saved tensor was (an output of this node, or a non-leaf input)."""
        t = unpack(packed)
        if not isinstance(t, Tensor):
            raise TypeError(f"{self.name()}: the unpack hook of saved_tensors_hooks returned "
                            f"{type(t).__name__}; it must return a Tensor")
        if link is None or t is link:
            return t
        if isinstance(link, Tensor):  # a leaf input: its values from the hook, its gradient to the leaf
            if link._rg and state.enabled:
                return _UnpackedLeaf.apply(link, t)
            return Tensor._make(t.array, link._rg, None, 0)  # (formulas ask whether it needs a grad)
        rg, grad_fn, nr = link
        return Tensor._make(t.array, rg, self if grad_fn is None else grad_fn, nr)

    @property
    def saved_arrays(self):
        """``saved_tensors`` as raw arrays (Python numbers and None as they were saved)."""
        return tuple(t.array if isinstance(t, Tensor) else t for t in self.saved_tensors)

    def _rebind(self, tensor, out):
        """An in-place op is about to rebind ``tensor`` to this node's output ``out`` (``h.clamp_()``)
        and bump its version. As in PyTorch, the value of ``tensor`` this node saved is the one from
        before the op (PyTorch saves a copy, so later in-place ops do not touch it), while a saved
        output now is ``tensor`` itself: a later in-place change of it is an error at backward."""
        if not self._saved:
            return
        for n, (kind, obj, _, value) in enumerate(self._saved):
            if kind == _TENSOR and obj is tensor:
                old = value if value is not None else (tensor.array, tensor._rg, tensor.grad_fn, tensor._output_nr)
                self._saved[n] = [_CONSTANT, Tensor._make(*old), 0, None]
            elif kind == _OUTPUT and obj[2] is not None and obj[2]() is out:
                self._saved[n] = [_OUTPUT, (obj[0], obj[1], weakref.ref(tensor)), tensor._version + 1, None]

    def mark_non_differentiable(self, *outputs):
        """Mark outputs (arrays or tensors returned by forward) that get no gradient."""
        self._non_diff = tuple(id(o.array if isinstance(o, Tensor) else o) for o in outputs)

    # ---- node API ------------------------------------------------------------------------------
    @classmethod
    def name(cls):
        """The node's name, as PyTorch writes it: ``TanhBackward``."""
        return cls.__name__ + "Backward"

    @property
    def next_functions(self):
        """``((node_or_leaf, output_nr), ...)`` for each positional input, like PyTorch."""
        return tuple((None, 0) if e is None else ((e, 0) if isinstance(e, Tensor) else e)
                     for e in self._edges)

    def register_prehook(self, output_nr, hook):
        """Call ``hook(grad)`` on the gradient of output ``output_nr`` before this node runs."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(output_nr, [])
        # the hook of retain_grad() stays last, so that .grad sees what the other hooks made
        # (PyTorch's order, whatever the order of registration)
        if hooks and getattr(hooks[-1], "_retains_grad", False) and not getattr(hook, "_retains_grad", False):
            hooks.insert(len(hooks) - 1, hook)
        else:
            hooks.append(hook)
        return _RemovableHook(hooks, hook)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    # ---- apply ---------------------------------------------------------------------------------
    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on ``args`` and record it in the graph when an input needs a gradient."""
        if _interceptors:
            for intercept in _interceptors:
                out = intercept(cls, args, kwargs)
                if out is not NotImplemented:
                    return out
        trace = state.capture  # glassgrad.compile recording this step, or None
        if trace is not None:
            trace.op_begin(cls)
        ctx = cls.__new__(cls)
        edges = None
        prev = state.enabled
        if prev:
            for a in args:
                if isinstance(a, Tensor) and a._rg:
                    edges = [(a if a.grad_fn is None else (a.grad_fn, a._output_nr))
                             if isinstance(a, Tensor) and a._rg else None for a in args]
                    ctx.needs_input_grad = tuple([e is not None for e in edges])
                    break
        if edges is None:
            ctx.needs_input_grad = (False,) * len(args)
        state.enabled = False
        try:
            out = cls.forward(ctx, *args, **kwargs)
        finally:
            state.enabled = prev
        node = ctx if edges is not None else None
        if type(out) is tuple:
            outs = tuple([_wrap(o, node, nr) for nr, o in enumerate(out)])
            _share_versions(outs, args)
        else:
            if isinstance(out, Tensor):
                out = out.array
            t = _new(Tensor)
            t.array, t.grad, t._output_nr, t._vc, t._hooks, t._retains_grad = out, None, 0, [0], None, False
            if node is not None and out.dtype.kind in "fc":
                t._rg, t.grad_fn = True, node
            else:
                t._rg, t.grad_fn = False, None
            outs = (t,)
            _share_versions(outs, args)
        if node is not None:
            ctx._edges = tuple(edges)
            ctx._num_outputs = len(outs)
            if len(outs) > 1:
                ctx._output_meta = tuple((t.array.shape, t.array.dtype, namespace(t.array)) for t in outs)
            if ctx._non_diff:
                for t in outs:
                    if id(t.array) in ctx._non_diff:
                        t.grad_fn, t._rg = None, False
            if ctx._saved:
                ctx._saved = _pack_saved(ctx._saved, outs)
        if state.fw_level:
            tangents = [getattr(a, "_fw_tangent", None) if isinstance(a, Tensor) else None for a in args]
            if any(t is not None for t in tangents):
                from .forward_ad import propagate
                propagate(ctx, args, kwargs, outs, tangents)
        if state.anomaly:
            from .anomaly import check_forward
            check_forward(ctx, outs, node is not None)
        if _recorders:
            for record in _recorders:
                record(cls, args, kwargs, outs)
        if trace is not None:
            trace.op_end(cls, args, kwargs, outs, node)
        return outs if type(out) is tuple else outs[0]


def _share_versions(outs, args):
    """An output that is a view of an input's data (reshape, transpose, basic indexing...) shares
    that input's version counter, as PyTorch's views do."""
    for t in outs:
        array = t.array
        owner = getattr(array, "base", None)
        for a in args:
            if isinstance(a, Tensor) and (a.array is array or (owner is not None and (
                    a.array is owner or getattr(a.array, "base", None) is owner))):
                t._vc = a._vc
                break


_recorders = []
# Callables ``(op_class, args, kwargs) -> outputs or NotImplemented`` that may run an op in place of
# ``apply`` (vmap's batching rules); empty outside those transforms.
_interceptors = []


class record_ops:
    """Within ``with record_ops(callback):``, every op run calls ``callback(op_class, args, kwargs,
    outputs)`` after its forward (the ONNX exporter traces a model this way)."""

    def __init__(self, callback):
        self.callback = callback

    def __enter__(self):
        _recorders.append(self.callback)
        return self

    def __exit__(self, *exc):
        _recorders.remove(self.callback)


def _wrap(out, node, nr):
    array = out.array if isinstance(out, Tensor) else out
    if node is not None and array.dtype.kind in "fc":
        return Tensor._make(array, True, node, nr)
    return wrap_array(array)


def _pack_saved(items, outs):
    """Saved items as [kind, object, version at save time, (array, requires_grad, grad_fn, nr) of a
    non-leaf tensor or None]."""
    packed = []
    for item in items:
        if isinstance(item, Tensor):
            value = None if item.grad_fn is None else (item.array, item._rg, item.grad_fn, item._output_nr)
            packed.append([_TENSOR, item, item._version, value])
        elif not hasattr(item, "shape"):  # None or a Python number: kept as is
            packed.append([_CONSTANT, item, 0, None])
        else:
            for nr, t in enumerate(outs):
                if t.array is item:
                    if t.grad_fn is None:  # a non-differentiable output: no link to this node
                        packed.append([_TENSOR, t, t._version, None])
                    else:
                        packed.append([_OUTPUT, (nr, item, weakref.ref(t)), t._version, None])
                    break
            else:
                packed.append([_CONSTANT, wrap_array(item), 0, None])
    hooks = state.saved_hooks
    if hooks is not None:
        _apply_pack_hook(packed, hooks)
    return packed


class _UnpackedLeaf(Function):
    """y = the values an unpack hook returned for a saved leaf;  d leaf = dy (as PyTorch, the
    unpacked tensor keeps the autograd identity of the tensor that was saved)"""

    @staticmethod
    def forward(ctx, leaf, values):
        return values.array

    @staticmethod
    def backward(ctx, dy):
        return dy, None


def _apply_pack_hook(packed, hooks):
    """Pass every saved tensor through the active ``saved_tensors_hooks`` pack hook (inputs,
    outputs and saved intermediates alike); backward gets them back through the unpack hook."""
    pack, unpack = hooks
    for entry in packed:
        kind, obj = entry[0], entry[1]
        if kind == _TENSOR:
            value = entry[3]
            link = obj if value is None else (value[1], value[2], value[3])
            tensor = obj if value is None else Tensor._make(*value)
        elif kind == _OUTPUT:
            nr, array, ref = obj
            tensor = ref() if ref is not None else None
            tensor = tensor if tensor is not None else wrap_array(array)
            link = (True, None, nr)
        elif kind == _CONSTANT and isinstance(obj, Tensor):
            tensor, link = obj, None
        else:
            continue
        state.saved_hooks = None  # the pack hook's own ops save nothing through it
        try:
            entry[:] = [_HOOKED, (pack(tensor), unpack, link), 0, None]
        finally:
            state.saved_hooks = hooks


class _RemovableHook:
    """Handle returned by ``register_hook``: ``handle.remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        """Unregister the hook (doing it twice is harmless)."""
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class _OnceDifferentiable(Function):
    """Stands at the end of a once-differentiable backward: differentiating it again is an error."""

    @staticmethod
    def forward(ctx, op_name, anchor, *results):
        ctx.op_name = op_name
        return tuple(r.array for r in results)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(
            f"{ctx.op_name} is once-differentiable: its backward is a fused kernel that cannot be "
            "differentiated again (create_graph=True through it). Use the composite ops instead.")


def _saved_anchor(ctx):
    """A saved tensor of ``ctx`` that requires grad (an output or an input), or None."""
    for kind, obj, _, _ in ctx._saved or ():
        if kind == _TENSOR and obj._rg:
            return obj
        if kind == _OUTPUT:
            nr, array, _ = obj
            return Tensor._make(array, True, ctx, nr)
    return None


def once_differentiable(backward):
    """Decorator for a ``backward`` that works on raw arrays and cannot be differentiated again.

    The wrapped backward may return arrays. Under ``create_graph=True`` its results get a node that
    raises a clear error if anyone tries to differentiate through them.
    """
    def wrapper(ctx, *grads):
        prev, state.enabled = state.enabled, False
        try:
            out = backward(ctx, *grads)
        finally:
            state.enabled = prev
        single = not isinstance(out, tuple)
        outs = [o if o is None or isinstance(o, Tensor) else wrap_array(o)
                for o in ((out,) if single else out)]
        anchor = next((g for g in grads if g is not None and g._rg), None) if prev else None
        if prev and anchor is None:  # the gradient may also depend on saved inputs or outputs
            anchor = _saved_anchor(ctx)
        live = [i for i, o in enumerate(outs) if o is not None]
        if prev and anchor is not None and live:
            linked = _OnceDifferentiable.apply(ctx.name(), anchor, *[outs[i] for i in live])
            for i, t in zip(live, linked):
                outs[i] = t
        return outs[0] if single else tuple(outs)
    wrapper.__wrapped__ = backward
    wrapper.__doc__ = backward.__doc__
    return wrapper
