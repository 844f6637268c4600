"""``record_graph``: watch a forward pass and note, for every op it records, which module ran it and
the shape and dtype of each output. ``draw_graph(..., record=rec)`` uses it to group ops by module
and to label them. It observes through public hooks only: module forward (pre-)hooks, and the
op-recording callback of ``autograd.function.record_ops`` (the one the ONNX exporter uses)."""
import weakref

from ..autograd.function import record_ops

__all__ = ["GraphRecord", "record_graph"]


class GraphRecord:
    """What a forward pass recorded: ``module_of(node)``, ``outputs_of(node)`` and ``module_types``.
    Use it as a context manager (``with gi.record_graph(model) as rec:``) or call ``close()``; while
    open it costs one Python call per op and per module call."""

    def __init__(self, model=None):
        self._ops = weakref.WeakKeyDictionary()  # node -> (module name or None, ((shape, dtype), ...))
        self._stack = []
        self._inputs = {}  # id of a tensor given to the model -> (position, shape, dtype)
        self._fed = weakref.WeakKeyDictionary()  # node -> [(argument position, model input position)]
        self._handles = []
        self.module_types = {}
        if model is not None:
            if not hasattr(model, "named_modules"):
                raise TypeError(f"record_graph: model must be an nn.Module, not {type(model).__name__}")
            for name, module in model.named_modules():
                self.module_types[name] = type(module).__name__
                self._handles.append(module.register_forward_pre_hook(self._enter(name)))
                self._handles.append(module.register_forward_hook(self._leave(name)))
        self._recorder = record_ops(self._on_op)
        self._recorder.__enter__()
        self._open = True

    def _enter(self, name):
        def hook(module, args):
            if name == "" and not self._stack:
                self._inputs = {id(a): (k, tuple(a.shape), a.dtype) for k, a in enumerate(args)
                                if hasattr(a, "grad_fn") and hasattr(a, "shape")}
            self._stack.append(name)
        return hook

    def _leave(self, name):
        def hook(module, args, output):
            # pop back to this module's entry (a child whose forward raised left its name behind)
            while self._stack:
                if self._stack.pop() == name:
                    break
        return hook

    def _on_op(self, cls, args, kwargs, outs):
        node = next((t.grad_fn for t in outs if t.grad_fn is not None), None)
        if node is not None:
            module = self._stack[-1] if self._stack else None
            self._ops[node] = (module, tuple((tuple(t.shape), t.dtype) for t in outs))
            fed = [(pos, self._inputs[id(a)]) for pos, a in enumerate(args)
                   if id(a) in self._inputs and not a.requires_grad]
            if fed:
                self._fed[node] = fed

    def module_of(self, node):
        """The name of the innermost module whose forward ran ``node``'s op (``''`` for the model
        itself), or None when it ran outside the model (a loss, say) or was not recorded."""
        entry = self._ops.get(node)
        return None if entry is None else entry[0]

    def outputs_of(self, node):
        """``((shape, dtype), ...)`` of the op's outputs, or None when it was not recorded."""
        entry = self._ops.get(node)
        return None if entry is None else entry[1]

    def inputs_of(self, node):
        """``[(argument position, (model input position, shape, dtype)), ...]``: the model's own
        inputs (tensors passed to its forward) that the op read, or ``[]``."""
        return self._fed.get(node, [])

    def close(self):
        """Stop recording: remove the hooks (what was recorded stays readable)."""
        if self._open:
            self._recorder.__exit__(None, None, None)
            for handle in self._handles:
                handle.remove()
            self._handles, self._stack, self._open = [], [], False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def record_graph(model=None):
    """Start recording ops (and, given ``model``, which of its modules ran each op); returns a
    :class:`GraphRecord` to pass to ``draw_graph(..., record=rec)``::

        with gi.record_graph(model) as rec:
            loss = F.cross_entropy(model(x), y)
        gi.draw_graph(loss, params=dict(model.named_parameters()), record=rec).render("graph.svg")
    """
    return GraphRecord(model)
