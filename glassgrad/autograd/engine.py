"""The backward pass: the chain rule applied through the recorded graph.

``backward`` walks the nodes in reverse topological order with an explicit work list (no
recursion, so a chain of 100,000 ops is fine). Each node runs once, after every node that feeds
it a gradient has run; incoming gradients for the same output are summed first. Leaves accumulate
into ``.grad``; ``grad()`` instead hands the gradients of chosen inputs back.
"""
from .grad_mode import state
from .tensor import Tensor


def _as_grad(tensor, gradient):
    if gradient is None:
        if tensor.array.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs, but the output has shape "
                f"{tuple(tensor.shape)}; pass gradient= (e.g. y.backward(ones_like(y))) or reduce it first")
        xp_ones = tensor.array.dtype.type(1)
        return Tensor._make(tensor.array * 0 + xp_ones, False, None, 0)
    if not isinstance(gradient, Tensor):
        gradient = Tensor(gradient, dtype=tensor.dtype)
    if gradient.shape != tensor.shape:
        raise RuntimeError(f"backward: gradient has shape {tuple(gradient.shape)} but the output has shape "
                           f"{tuple(tensor.shape)}; they must match")
    return gradient


def _accumulate(leaf, grad, owned_ids, create_graph):
    """Add ``grad`` into ``leaf.grad`` (after the leaf's hooks)."""
    if leaf._hooks:
        for hook in leaf._hooks:
            new = hook(grad)
            if new is not None:
                grad = new
    if grad.shape != leaf.shape:
        raise RuntimeError(f"backward: a gradient of shape {tuple(grad.shape)} arrived for a leaf of shape "
                           f"{tuple(leaf.shape)}; a custom Function's backward must return gradients "
                           "shaped like its inputs")
    if leaf.grad is None:
        if create_graph:
            leaf.grad = grad
        else:
            array = grad.array
            # Keep the array only if nobody else can see it; a gradient passed straight through
            # (by add, say) may also land in another leaf or belong to the caller.
            if array.base is not None or not array.flags.writeable or id(array) in owned_ids \
                    or array.dtype != leaf.array.dtype:
                array = array.astype(leaf.array.dtype, copy=True)
            owned_ids.add(id(array))
            leaf.grad = Tensor._make(array, False, None, 0)
    elif create_graph or leaf.grad.requires_grad:
        leaf.grad = leaf.grad + grad
    else:
        leaf.grad.array += grad.array


def _count_dependencies(roots):
    """For each node reachable from ``roots``: how many edges from reachable nodes point at it."""
    deps = {}
    seen = set()
    stack = list(roots)
    for node in roots:
        seen.add(node)
    while stack:
        node = stack.pop()
        for edge in node._edges:
            if type(edge) is tuple:
                child = edge[0]
                deps[child] = deps.get(child, 0) + 1
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    return deps


def run_backward(outputs, grad_outputs, retain_graph, create_graph, capture=None):
    """Backpropagate ``grad_outputs`` from ``outputs``.

    ``capture``: None to accumulate into leaves' ``.grad``; else a dict mapping ``id(tensor)`` of
    each requested input to its slot, and the gradients come back in a list instead.
    """
    if retain_graph is None:
        retain_graph = create_graph
    captured = None if capture is None else [None] * len(capture)
    # where each requested non-leaf input's gradient is read: (node, output_nr) -> slot
    capture_nodes = {}
    capture_leaves = {}
    if capture is not None:
        for t, slot in capture.values():
            if t.grad_fn is None:
                capture_leaves[id(t)] = slot
            else:
                capture_nodes[(t.grad_fn, t._output_nr)] = slot
    owned_ids = set(id(g.array) for g in grad_outputs)
    buffers = {}
    prev, state.enabled = state.enabled, create_graph
    try:
        roots = []
        for out, grad in zip(outputs, grad_outputs):
            if out.grad_fn is None:
                if capture is None:
                    _accumulate(out, grad, owned_ids, create_graph)
                elif id(out) in capture_leaves:
                    slot = capture_leaves[id(out)]
                    captured[slot] = grad if captured[slot] is None else captured[slot] + grad
                continue
            node = out.grad_fn
            buf = buffers.get(node)
            if buf is None:
                buf = buffers[node] = [None] * node._num_outputs
                roots.append(node)
            nr = out._output_nr
            buf[nr] = grad if buf[nr] is None else buf[nr] + grad
        deps = _count_dependencies(roots)
        ready = [n for n in roots if deps.get(n, 0) == 0]
        anomaly = state.anomaly
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            results = None
            if grads is not None:
                if node._pre_hooks:
                    for nr, hooks in node._pre_hooks.items():
                        for hook in hooks:
                            if grads[nr] is not None:
                                new = hook(grads[nr])
                                if new is not None:
                                    grads[nr] = new
                if capture_nodes:
                    for nr, g in enumerate(grads):
                        slot = capture_nodes.get((node, nr))
                        if slot is not None:
                            captured[slot] = g
                results = _call_backward(node, grads)
                if anomaly:
                    from .anomaly import check_backward
                    check_backward(node, results)
                if not retain_graph:
                    node._release()
            for i, edge in enumerate(node._edges):
                if edge is None:
                    continue
                g = results[i] if results is not None else None
                if type(edge) is tuple:
                    child, nr = edge
                    if g is not None:
                        buf = buffers.get(child)
                        if buf is None:
                            buf = buffers[child] = [None] * child._num_outputs
                        buf[nr] = g if buf[nr] is None else buf[nr] + g
                    left = deps[child] - 1
                    deps[child] = left
                    if left == 0:
                        ready.append(child)
                elif g is not None:
                    if capture is None:
                        _accumulate(edge, g, owned_ids, create_graph)
                    else:
                        slot = capture_leaves.get(id(edge))
                        if slot is not None:
                            captured[slot] = g if captured[slot] is None else captured[slot] + g
    finally:
        state.enabled = prev
    return captured


def _call_backward(node, grads):
    if node._num_outputs > 1:  # outputs that got no gradient count as zeros
        for nr, g in enumerate(grads):
            if g is None:
                shape, dtype, xp = node._output_meta[nr]
                grads[nr] = Tensor._make(xp.zeros(shape, dtype), False, None, 0)
    results = type(node).backward(node, *grads)
    if type(results) is not tuple:
        results = (results,)
    n = len(node._edges)
    if len(results) < n:  # trailing non-tensor inputs (shapes, dims) may be left out
        if any(e is not None for e in node._edges[len(results):]):
            raise RuntimeError(f"{node.name()}: backward returned {len(results)} gradients but forward had "
                               f"{n} positional inputs; return one per input (None where there is none)")
        results = results + (None,) * (n - len(results))
    return tuple(r if r is None or isinstance(r, Tensor) else Tensor._make(r, False, None, 0)
                 for r in results[:n])


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves of their graph
    (``glassgrad.autograd.backward``). ``inputs`` limits accumulation to those leaves."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    for t in tensors:
        if not t.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn: "
                               "set requires_grad=True on the inputs (or parameters) you need gradients for, "
                               "and do not compute the loss inside no_grad()")
    grads = [_as_grad(t, g) for t, g in zip(tensors, grad_tensors)]
    if inputs is None:
        run_backward(tensors, grads, retain_graph, create_graph)
        return
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    found = run_backward(tensors, grads, retain_graph, create_graph,
                         capture={id(t): (t, i) for i, t in enumerate(inputs)})
    for t, g in zip(inputs, found):
        if g is not None:
            _accumulate(t, g, set(), create_graph)
