"""The backward pass: the chain rule applied through the recorded graph.

``backward`` walks the nodes in reverse topological order with an explicit work list (no
recursion, so a chain of 100,000 ops is fine). Each node runs once, after every node that feeds
it a gradient has run; incoming gradients for the same output are summed first. Leaves accumulate
into ``.grad``; ``grad()`` instead hands the gradients of chosen inputs back.
"""
import sys
import weakref

import numpy as np

from ..backend import namespace
from .grad_mode import state
from .tensor import Tensor, wrap_array


def _as_grad(tensor, gradient):
    if gradient is None:
        if tensor.array.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs, but the output has shape "
                f"{tuple(tensor.shape)}; pass gradient= (e.g. y.backward(ones_like(y))) or reduce it first")
        array = tensor.array
        return wrap_array(namespace(array).ones(array.shape, array.dtype))
    if not isinstance(gradient, Tensor):
        gradient = Tensor(gradient, dtype=tensor.dtype)
    if gradient.shape != tensor.shape:
        raise RuntimeError(f"backward: gradient has shape {tuple(gradient.shape)} but the output has shape "
                           f"{tuple(tensor.shape)}; they must match")
    return gradient


class OwnedArrays:
    """The arrays of one backward pass that others may hold (never to be adopted into ``.grad``):
    ``add(array)``, ``array in owned``. Kept by identity through weak references, so that an array
    that died mid-pass (say, one a hook looked at) does not make a new array that reuses its ``id``
    look owned, which would cost a needless copy of that gradient."""
    __slots__ = ("_refs",)

    def __init__(self):
        self._refs = {}

    def add(self, array):
        """Note ``array`` as held by someone else."""
        try:
            self._refs[id(array)] = weakref.ref(array)
        except TypeError:  # an array type without weak references: hold it for the pass instead
            self._refs[id(array)] = lambda: array

    def update(self, arrays):
        """``add`` each of ``arrays``."""
        for array in arrays:
            self.add(array)

    def __contains__(self, array):
        ref = self._refs.get(id(array))
        return ref is not None and ref() is array


def _leaf_grad(leaf, grads, create_graph, seen_ids):
    """The gradient arriving at ``leaf`` in one backward pass: the sum of what its consumers sent,
    passed through the leaf's hooks (once per pass, like PyTorch)."""
    grad = grads[0]
    if len(grads) > 1:
        if create_graph:
            for g in grads[1:]:
                grad = grad + g
        else:
            array = grad.array + grads[1].array
            for g in grads[2:]:
                array += g.array
            grad = wrap_array(array)
    if leaf._hooks:
        for hook in tuple(leaf._hooks):
            seen_ids.add(grad.array)  # a hook may keep the tensor: never adopt nor mutate it
            new = hook(grad)
            if new is not None:
                grad = new
                seen_ids.add(grad.array)
    return grad


def _accumulate(leaf, grad, owned_ids, create_graph):
    """Add ``grad`` into ``leaf.grad``: the first gradient is adopted without a copy when nothing
    else can see its array; later ones are added in place (out of place under create_graph)."""
    if grad.shape != leaf.shape:
        raise RuntimeError(f"backward: a gradient of shape {tuple(grad.shape)} arrived for a leaf of shape "
                           f"{tuple(leaf.shape)}; a custom Function's backward must return gradients "
                           "shaped like its inputs")
    if leaf.grad is None:
        if create_graph:
            leaf.grad = grad
        else:
            array = grad.array
            # Keep the array only if nobody else can see it: a gradient passed straight through (by
            # add, say) may also land in another leaf, belong to the caller, or sit in a retained
            # .grad or a hook's list (the references: grad.array, `array`, getrefcount's argument).
            if array.base is not None or not array.flags.writeable or array in owned_ids \
                    or array.dtype != leaf.array.dtype or sys.getrefcount(array) > 3:
                array = array.astype(leaf.array.dtype, copy=True)
            owned_ids.add(array)
            leaf.grad = wrap_array(array)
    elif create_graph or leaf.grad.requires_grad:
        leaf.grad = leaf.grad + grad
    else:
        leaf.grad.array += grad.array


def _count_dependencies(roots, leaf_deps=None):
    """For each node reachable from ``roots``: how many edges from reachable nodes point at it.
    ``leaf_deps``, when given, is filled the same way for leaves (keyed by ``id(leaf)``)."""
    deps = {}
    stack = list(roots)
    seen = set(roots)
    while stack:
        for edge in stack.pop()._edges:
            if type(edge) is tuple:
                child = edge[0]
                if child in deps:
                    deps[child] += 1
                else:
                    deps[child] = 1
                    if child not in seen:  # (a root can also be reached from another root)
                        seen.add(child)
                        stack.append(child)
            elif edge is not None and leaf_deps is not None:
                leaf_deps[id(edge)] = leaf_deps.get(id(edge), 0) + 1
    return deps


def finish_leaf(leaf, grads, owned_ids, create_graph):
    """Hooks, accumulation into ``.grad``, then post-accumulate hooks, for one leaf."""
    if state.capture is not None:
        state.capture.leaf(leaf, grads)
    _accumulate(leaf, _leaf_grad(leaf, grads, create_graph, owned_ids), owned_ids, create_graph)
    hooks = getattr(leaf, "_post_acc_hooks", None)
    if hooks:
        for hook in tuple(hooks):
            if hook(leaf) is not None:
                raise RuntimeError("a post accumulate grad hook must return None; it may change "
                                   "tensor.grad in place or assign a new tensor.grad instead")


def run_backward(outputs, grad_outputs, retain_graph, create_graph, capture=None, owned_ids=None):
    """Backpropagate ``grad_outputs`` from ``outputs``.

    ``capture``: None to accumulate into leaves' ``.grad``; else a dict mapping ``id(tensor)`` of
    each requested input to its slot, and the gradients come back in a list instead.
    ``owned_ids``: an ``OwnedArrays`` that collects the arrays others may hold (not to be adopted).
    """
    if retain_graph is None:
        retain_graph = create_graph
    captured = capture_nodes = capture_leaves = None
    if capture is not None:
        captured = [None] * len(capture)
        capture_nodes = {}   # (node, output_nr) of each requested non-leaf input -> slot
        capture_leaves = {}  # id(leaf) -> slot
        for t, slot in capture.values():
            if t.grad_fn is None:
                capture_leaves[id(t)] = slot
            else:
                capture_nodes[(t.grad_fn, t._output_nr)] = slot
    if owned_ids is None:
        owned_ids = OwnedArrays()
    for g in grad_outputs:
        owned_ids.add(g.array)
    trace = state.capture  # glassgrad.compile recording this step, or None
    if trace is not None:
        trace.backward_begin(outputs, grad_outputs, create_graph, capture)
    buffers = {}   # node -> [gradient of each of its outputs]
    leaves = {}    # id(leaf) -> [leaf, grad, grad, ...]: applied once, after the whole pass
    anomaly = state.anomaly is True
    prev, state.enabled = state.enabled, create_graph
    if anomaly:  # ops run by backward formulas are not checked one by one; their node's result is
        state.anomaly = "backward"
    try:
        roots = []
        for out, grad in zip(outputs, grad_outputs):
            node = out.grad_fn
            if node is None:
                if capture is None or id(out) in capture_leaves:
                    pending = leaves.get(id(out))
                    if pending is None:
                        leaves[id(out)] = [out, grad]
                    else:
                        pending.append(grad)
                continue
            buf = buffers.get(node)
            if buf is None:
                buf = buffers[node] = [None] * node._num_outputs
                roots.append(node)
            nr = out._output_nr
            buf[nr] = grad if buf[nr] is None else buf[nr] + grad
        # Accumulating mode: a leaf is finished as soon as its last gradient arrives (not after
        # the whole pass), so its post-accumulate hooks run while backward still goes on.
        leaf_deps = {} if capture is None else None
        deps = _count_dependencies(roots, leaf_deps)
        ready = [n for n in roots if n not in deps]
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            if grads is None:  # nothing flowed here: its inputs get nothing either
                results = (None,) * len(node._edges)
            else:
                if node._pre_hooks:
                    _run_pre_hooks(node, grads, owned_ids)
                if capture_nodes:
                    for nr, g in enumerate(grads):
                        slot = capture_nodes.get((node, nr))
                        if slot is not None:
                            captured[slot] = g
                if trace is None:
                    results = call_backward(node, grads)
                else:
                    given = list(grads)  # (call_backward fills the missing ones with zeros)
                    trace.node_enter(node)
                    results = call_backward(node, grads)
                    trace.node_exit(node, given, results)
                if anomaly:
                    from .anomaly import check_backward
                    check_backward(node, results)
                if not retain_graph and node._saved:
                    node._saved = None
            for edge, g in zip(node._edges, results):
                if edge is None:
                    continue
                if type(edge) is tuple:
                    child, nr = edge
                    if g is not None:
                        buf = buffers.get(child)
                        if buf is None:
                            buf = buffers[child] = [None] * child._num_outputs
                            buf[nr] = g
                        elif buf[nr] is None:
                            buf[nr] = g
                        else:
                            buf[nr] = buf[nr] + g
                    left = deps[child] - 1
                    if left:
                        deps[child] = left
                    else:
                        ready.append(child)
                else:
                    if g is not None and (capture is None or id(edge) in capture_leaves):
                        pending = leaves.get(id(edge))
                        if pending is None:
                            leaves[id(edge)] = [edge, g]
                        else:
                            pending.append(g)
                    if leaf_deps is not None:
                        left = leaf_deps[id(edge)] - 1
                        leaf_deps[id(edge)] = left
                        if not left and id(edge) in leaves:
                            leaf, *grads = leaves.pop(id(edge))
                            finish_leaf(leaf, grads, owned_ids, create_graph)
        for leaf, *grads in leaves.values():
            if capture is None:
                finish_leaf(leaf, grads, owned_ids, create_graph)
            else:
                captured[capture_leaves[id(leaf)]] = _leaf_grad(leaf, grads, create_graph, owned_ids)
    finally:
        state.enabled = prev
        if anomaly:
            state.anomaly = True
    return captured


def _run_pre_hooks(node, grads, owned_ids):
    """Hooks registered on the node's outputs (tensor hooks on non-leaves, retain_grad)."""
    for nr, hooks in node._pre_hooks.items():
        for hook in tuple(hooks):
            if grads[nr] is not None:
                owned_ids.add(grads[nr].array)  # a hook may keep it: never adopt nor mutate it
                new = hook(grads[nr])
                if new is not None:
                    grads[nr] = new
                    owned_ids.add(new.array)


def call_backward(node, grads):
    """Run ``node``'s backward; one result (a Tensor or None) per edge."""
    if node._num_outputs > 1:  # outputs that got no gradient count as zeros
        for nr, g in enumerate(grads):
            if g is None:
                shape, dtype, xp = node._output_meta[nr]
                grads[nr] = wrap_array(xp.zeros(shape, dtype))
    raw = node.raw_backward
    if raw is not None and not state.enabled:  # no graph of the backward pass wanted: raw arrays
        results = raw(node, *[g.array for g in grads])
    else:
        results = type(node).backward(node, *grads)
    if type(results) is not tuple:
        results = (results,)
    n = len(node._edges)
    if len(results) != n:
        results = fix_count(node, results, n)
    for r in results:
        if r is not None and not isinstance(r, Tensor):  # arrays (from raw-array backwards)
            return tuple(r if r is None or isinstance(r, Tensor) else _wrap_result(r) for r in results)
    return results


def _wrap_result(r):
    # NumPy returns 0-d results as scalars (np.float32...): make them 0-d arrays again
    return wrap_array(np.asarray(r) if isinstance(r, np.generic) else r)


def fix_count(node, results, n):
    """Trailing non-tensor inputs (shapes, dims) may be left out of backward's results."""
    if len(results) < n and all(e is None for e in node._edges[len(results):]):
        return results + (None,) * (n - len(results))
    if len(results) > n and all(r is None for r in results[n:]):
        return results[:n]
    raise RuntimeError(f"{node.name()}: backward returned {len(results)} gradients but forward had "
                       f"{n} positional inputs; return one per input (None where there is none)")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves of their graph
    (``glassgrad.autograd.backward``). ``inputs`` limits accumulation to those leaves."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    for i, t in enumerate(tensors):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn: "
                               "set requires_grad=True on the inputs (or parameters) you need gradients for, "
                               "and do not compute the loss inside no_grad()")
    grads = [_as_grad(t, g) for t, g in zip(tensors, grad_tensors)]
    if inputs is None:
        run_backward(tensors, grads, retain_graph, create_graph)
        return
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    owned = OwnedArrays()
    found = run_backward(tensors, grads, retain_graph, create_graph,
                         capture={id(t): (t, i) for i, t in enumerate(inputs)}, owned_ids=owned)
    for t, g in zip(inputs, found):
        if g is not None:
            _accumulate(t, g, owned, create_graph)
            for hook in tuple(getattr(t, "_post_acc_hooks", None) or ()):
                hook(t)
