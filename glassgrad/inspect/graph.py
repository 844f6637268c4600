"""The loss's graph, read from the loss tensor through ``grad_fn`` and ``next_functions`` (PyTorch's
public view of the graph): which ops feed the loss, and the two mistakes visible in it — a softmax
fed to a loss that applies one again, and a loss whose inputs broadcast against each other."""
from collections import Counter, deque

__all__ = ["loss_ops", "path_between", "check_double_softmax", "check_broadcast", "walk"]

MAX_NODES = 20000  # a walk stops here (a graph that big is summarized by its first nodes)

# a loss node that applies (log-)softmax or sigmoid itself -> the nodes that must not come right before it
_APPLIES_AGAIN = {
    "CrossEntropyBackward": ("SoftmaxBackward",),
    "LogSoftmaxBackward": ("SoftmaxBackward",),
    "BinaryCrossEntropyWithLogitsBackward": ("SigmoidBackward",),
}
# ops that pass values through elementwise (their output has the broadcast shape of their inputs)
_ELEMENTWISE = ("Add", "Sub", "Mul", "Div", "Pow", "Abs", "Neg", "Square", "Sqrt", "Exp", "Log",
                "Clamp", "Where", "Maximum", "Minimum", "Sigmoid", "Tanh", "SmoothL1", "Huber", "Cast")
_REDUCTIONS = ("MeanBackward", "SumBackward")
# pass-through nodes a module's full backward hooks add
_TRANSPARENT = ("_ModuleInputsHookBackward", "_ModuleOutputsHookBackward")


def _children(node):
    for nxt, _ in getattr(node, "next_functions", ()):
        if nxt is not None and hasattr(nxt, "next_functions"):
            yield nxt


def walk(root):
    """The nodes that feed the node ``root`` (``root`` first, each once, breadth first, at most
    ``MAX_NODES``), each with its inputs as ``[(position, child, output_nr), ...]``: ``child`` is the
    input's node, or the leaf tensor itself; inputs that need no gradient are left out."""
    out, seen, todo = [], {root}, deque([root])
    while todo and len(out) < MAX_NODES:
        node = todo.popleft()
        inputs = []
        for pos, (child, nr) in enumerate(getattr(node, "next_functions", ())):
            if child is None:
                continue
            inputs.append((pos, child, nr))
            if hasattr(child, "next_functions") and child not in seen:
                seen.add(child)
                todo.append(child)
        out.append((node, inputs))
    return out


def loss_ops(loss):
    """``{op name: count}`` of the nodes that feed ``loss`` (e.g. ``{'CrossEntropyBackward': 1,
    'LinearBackward': 3, ...}``); empty when the loss has no graph."""
    root = getattr(loss, "grad_fn", None)
    if root is None:
        return {}
    seen, todo, names = {root}, deque([root]), Counter()
    while todo and len(seen) <= MAX_NODES:
        node = todo.popleft()
        names[node.name()] += 1
        for child in _children(node):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return dict(names)


def path_between(root, target):
    """The nodes from ``root`` down to ``target`` (both included), shortest first; None if ``target``
    does not feed ``root``."""
    if root is None or target is None:
        return None
    parent, todo = {root: None}, deque([root])
    while todo and len(parent) <= MAX_NODES:
        node = todo.popleft()
        if node is target:
            path = []
            while node is not None:
                path.append(node)
                node = parent[node]
            return path[::-1]
        for child in _children(node):
            if child not in parent:
                parent[child] = node
                todo.append(child)
    return None


def _visible(path):
    return [n for n in path if n.name() not in _TRANSPARENT]


def check_double_softmax(path):
    """Given the path from the loss to the model's output node (as from ``path_between``): the names
    ``(loss op, earlier op)`` when a softmax/sigmoid is applied twice, else None."""
    nodes = _visible(path)
    for i, node in enumerate(nodes):
        again = _APPLIES_AGAIN.get(node.name())
        if again and i + 1 < len(nodes) and nodes[i + 1].name() in again:
            return node.name(), nodes[i + 1].name()
    return None


def _input_numel(node):
    """Elements of a reduction node's input (``Mean``/``Sum`` record its shape), else None."""
    shape = getattr(node, "shape", None)
    if not isinstance(shape, tuple):
        return None
    n = 1
    for s in shape:
        n *= int(s)
    return n, shape


def check_broadcast(path, output_shape):
    """Given the path from the loss to the model's output node and that output's shape: the shape of
    the tensor the loss reduced when it has more elements than the output and only element-wise ops
    lie between (the output broadcast against a target of another shape), else None."""
    nodes = _visible(path)
    out_numel = 1
    for s in output_shape:
        out_numel *= int(s)
    for i, node in enumerate(nodes[:-1]):
        if node.name() in _REDUCTIONS:
            info = _input_numel(node)
            between = nodes[i + 1:-1]
            if info and info[0] > out_numel and all(any(n.name().startswith(e) for e in _ELEMENTWISE)
                                                     for n in between):
                return info[1]
            return None
    return None
