"""``explain``: the chain rule, step by step, with the real numbers of the user's own graph.

``explain(loss)`` runs one backward pass of ``loss`` (``autograd.grad`` with ``retain_graph=True``:
no ``.grad`` is touched and the graph stays usable) with a pre-hook on every node of the graph
(the hook behind ``Tensor.register_hook``). The hooks see each op's upstream gradient, in the order
the engine runs the ops; the gradient an op passes on to an input is the one the engine delivered
to that input (its upstream if it is another op's output, the returned gradient for a leaf). The
formula is the first paragraph of the op's docstring; the local derivative is the op's own
``backward`` applied to ones (∂Σy/∂x: the elementwise derivative for elementwise ops, the full
gradient for ops with one output element)."""
import inspect
from dataclasses import dataclass, field

import numpy as np

from ..autograd.functional import grad as autograd_grad
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import wrap_array
from ..backend import move, namespace
from .graph import walk

__all__ = ["explain", "Explanation", "Step", "Operand"]


@dataclass
class Operand:
    """One input of a step. ``gradient`` is dL/d(input) as the engine computed it (summed over every
    op that reads the tensor when ``uses > 1``); ``local`` is ∂Σy/∂(input) (the op's backward applied
    to ones); ``source`` is the number of the step that made the input, None for a leaf."""
    position: int
    name: str
    shape: tuple
    source: int = None
    local: np.ndarray = None
    gradient: np.ndarray = None
    uses: int = 1


@dataclass
class Step:
    """One op of the backward pass: its ``formula`` (from its docstring), the ``upstream`` gradient
    dL/dy of its output (a tuple for an op with several outputs), and its ``inputs`` (Operands)."""
    index: int
    op: str
    node: str
    formula: str
    upstream: object
    inputs: list = field(default_factory=list)
    followed: dict = None  # for explain(..., follow=...): the followed element's numbers in this step

    @property
    def passed(self):
        """The gradients this step passes on, one per input (None where none is needed)."""
        return [i.gradient for i in self.inputs]


class Explanation(list):
    """The steps of :func:`explain` in backward order (a list of :class:`Step`); ``loss`` is the
    loss's value, ``followed`` the element ``follow=`` asked for. ``str()`` is the walk-through."""

    def __init__(self, steps, loss, followed=None, entries=6):
        super().__init__(steps)
        self.loss, self.followed, self.entries = loss, followed, entries

    def __str__(self):
        lines = [f"Backward pass of loss = {_num(self.loss)}: {len(self)} steps, in the order the engine runs them.",
                 "  upstream = dL/dy for the op's output y;  local = ∂y/∂x (the op's backward applied to ones:",
                 "  summed over y where y has several elements);  passes on = dL/dx, the engine's gradient."]
        if self.followed:
            f = self.followed
            lines.append(f"  following {f['name']}{list(f['index'])}: dL/d{f['name']}{list(f['index'])} = "
                         f"{_num(f['gradient'])}")
        for step in self:
            lines.append("")
            lines += _step_lines(step, self.entries)
        return "\n".join(lines)

    def __repr__(self):
        return f"<Explanation of {len(self)} steps, loss {_num(self.loss)}>"


def _num(v):
    return f"{float(v):.9g}"


def _fmt(a, entries):
    """A number, a small array in full, or a big one summarized (shape, norm, first entries)."""
    if a is None:
        return "none"
    a = np.asarray(a)
    if a.ndim == 0 or a.size == 1 and a.ndim <= 1:
        return _num(a.reshape(-1)[0])
    if a.size <= entries:
        text = np.array2string(a, separator=", ", formatter={"all": _num}, max_line_width=100000)
        return " ".join(text.split())  # rows on one line
    flat = a.reshape(-1)
    first = ", ".join(_num(v) for v in flat[:entries])
    norm = float(np.sqrt(np.sum(np.square(flat.astype(np.float64)))))
    return f"shape {tuple(a.shape)}, norm {_num(norm)}, first entries [{first}, ...]"


def _step_lines(step, entries):
    ups = step.upstream if isinstance(step.upstream, tuple) else (step.upstream,)
    out = [f"step {step.index}  {step.op}", f"  formula     {step.formula}"]
    for nr, up in enumerate(ups):
        name = "dL/dy" if len(ups) == 1 else f"dL/dy{nr}"
        out.append(f"  upstream    {name} = {_fmt(up, entries)}")
    for x in step.inputs:
        shared = f"; used {x.uses} times: its gradient is the sum" if x.uses > 1 else ""
        out.append(f"  input {x.position}     {x.name}, shape {x.shape}{shared}")
        out.append(f"    local       ∂y/∂x = {_fmt(x.local, entries)}")
        out.append(f"    passes on   dL/dx = {_fmt(x.gradient, entries)}")
    if step.followed:
        for line in step.followed["lines"]:
            out.append(f"  follow      {line}")
    return out


def _op_name(node):
    name = node.name()
    return name[:-len("Backward")] if name.endswith("Backward") else name


def _formula(cls):
    doc = (cls.__doc__ or "").strip()
    if not doc:
        return f"{cls.__name__} (its docstring gives no formula)"
    return " ".join(doc.split("\n\n")[0].split())


def _host(array):
    return np.array(move(array, "cpu"), copy=True)


def _index(shape, index, name):
    index = tuple(np.atleast_1d(index).tolist()) if not isinstance(index, tuple) else index
    try:
        picked = np.empty(shape, dtype=np.int8)[index]
    except (IndexError, TypeError) as e:
        raise IndexError(f"explain: follow index {index} is not valid for {name} of shape {tuple(shape)} ({e})") \
            from None
    if np.ndim(picked) != 0:
        raise IndexError(f"explain: follow index {index} selects {np.size(picked)} elements of {name} (shape "
                         f"{tuple(shape)}); give one index per dimension")
    return tuple(int(i) % s for i, s in zip(index, shape))


def explain(loss, params=None, follow=None, entries=6):
    """Walk the backward pass of ``loss`` op by op with the real numbers.

    Args:
        loss: a one-element tensor with a ``grad_fn``; call before ``loss.backward()`` (or after
            ``backward(retain_graph=True)``). The graph stays usable and no ``.grad`` changes.
        params: ``{name: tensor}`` (``dict(model.named_parameters())``) to name parameters.
        follow: ``(tensor, index)``: one element of a parameter, an input or an intermediate tensor
            to follow. Only the steps on the way from the loss to that tensor are kept, and they show
            that element's gradient.
        entries: arrays with at most this many elements are shown in full; bigger ones as shape,
            norm and their first ``entries`` values.

    Returns an :class:`Explanation` (a list of :class:`Step`); ``print()`` it for the walk-through.
    """
    root = getattr(loss, "grad_fn", None)
    if root is None:
        raise RuntimeError("explain: the loss has no graph (grad_fn is None): it does not depend on a tensor that "
                           "requires grad. Compute it from parameters (or inputs) with requires_grad=True.")
    if loss.numel() != 1:
        raise RuntimeError(f"explain: the loss must have one element, got shape {tuple(loss.shape)}; reduce it "
                           "first (loss.sum() or loss.mean())")
    names = {id(t): n for n, t in (params or {}).items()}
    items = walk(root)
    uses, leaves = {}, {}
    for node, inputs in items:
        for _, child, nr in inputs:
            key = (child, nr) if hasattr(child, "next_functions") else id(child)
            uses[key] = uses.get(key, 0) + 1
            if not hasattr(child, "next_functions"):
                leaves.setdefault(id(child), child)
    upstream, order, handles = {}, [], []

    def catch(node, nr):
        def hook(g):
            if node not in upstream:
                upstream[node] = {}
                order.append(node)
            upstream[node][nr] = g.array
        return hook

    wanted = {(root, loss.output_nr)} | {k for k in uses if isinstance(k, tuple)}
    for node, nr in wanted:
        handles.append(node.register_prehook(nr, catch(node, nr)))
    leaf_list = list(leaves.values())
    try:
        got = autograd_grad(loss, leaf_list, retain_graph=True, allow_unused=True)
    except RuntimeError as e:
        if "second time" in str(e):
            raise RuntimeError("explain: the graph was freed by an earlier backward; call gi.explain(loss) before "
                               "loss.backward(), or run that backward with retain_graph=True") from None
        raise
    finally:
        for h in handles:
            h.remove()
    leaf_grads = {id(t): None if g is None else _host(g.array) for t, g in zip(leaf_list, got)}
    raw, upstream = upstream, {node: {nr: _host(a) for nr, a in grads.items()} for node, grads in upstream.items()}
    number = {node: i + 1 for i, node in enumerate(order)}
    inputs_of = dict(items)

    target = _resolve_follow(follow, items, leaves, names) if follow is not None else None
    keep = _on_the_way(order, inputs_of, target[0]) if target else None

    steps = []
    for node in order:
        if keep is not None and node not in keep:
            continue
        ups = upstream[node]
        n_out = max(ups) + 1
        up = tuple(ups.get(nr) for nr in range(n_out)) if n_out > 1 else ups[0]
        local = _local(node, raw[node])
        step = Step(number[node], _op_name(node), node.name(), _formula(type(node)), up)
        for pos, child, nr in inputs_of[node]:
            if hasattr(child, "next_functions"):
                key, source = (child, nr), number.get(child)
                gradient = upstream.get(child, {}).get(nr)
                what = _op_name(child)
                name = f"output {nr} of step {source} ({what})" if nr else f"output of step {source} ({what})"
                shape = None if gradient is None else tuple(gradient.shape)
            else:
                key, source, gradient = id(child), None, leaf_grads.get(id(child))
                name = names.get(id(child), "input (a leaf)")
                shape = tuple(child.shape)
            step.inputs.append(Operand(pos, name, shape, source, local[pos] if pos < len(local) else None,
                                       gradient, uses[key]))
        if target:
            step.followed = _follow_lines(step, node, ups, inputs_of[node], target)
        steps.append(step)
    followed = None
    if target:
        key, index, name = target
        value = leaf_grads.get(key) if not isinstance(key, tuple) else upstream.get(key[0], {}).get(key[1])
        followed = {"name": name, "index": index, "gradient": None if value is None else float(value[index])}
    return Explanation(steps, float(loss.detach().reshape(-1)[0].item()), followed, entries)


def _local(node, ups):
    """∂Σy/∂x per input: the op's own backward applied to a gradient of ones (None for outputs that got
    no gradient); display only, so an op whose backward cannot run this way gets None."""
    backward = type(node).backward
    n_out = max(ups) + 1
    params = list(inspect.signature(backward).parameters.values())[1:]
    if not any(p.kind == p.VAR_POSITIONAL for p in params):
        n_out = max(n_out, len(params))  # outputs that got no gradient (a pooling's indices, say)
    ones = [None if ups.get(nr) is None else wrap_array(namespace(ups[nr]).ones(ups[nr].shape, ups[nr].dtype))
            for nr in range(n_out)]
    try:
        with no_grad():
            res = backward(node, *ones)
    except (RuntimeError, TypeError, ValueError, AttributeError):
        return ()
    res = res if isinstance(res, tuple) else (res,)
    return tuple(None if r is None else _host(getattr(r, "array", r)) for r in res)


def _resolve_follow(follow, items, leaves, names):
    """``(key, index, name)`` of the followed element: key is a leaf's id or ``(node, output_nr)``."""
    try:
        tensor, index = follow
    except (TypeError, ValueError):
        raise TypeError("explain: follow must be a pair (tensor, index), e.g. follow=(model.fc.weight, (0, 1))") \
            from None
    if id(tensor) in leaves:
        name = names.get(id(tensor), "x")
        return id(tensor), _index(tuple(tensor.shape), index, name), name
    node = getattr(tensor, "grad_fn", None)
    if node is not None and any(node is n for n, _ in items):
        name = "y"
        return (node, tensor.output_nr), _index(tuple(tensor.shape), index, name), name
    raise ValueError(f"explain: the tensor to follow (shape {tuple(tensor.shape)}) is not in the loss's graph; "
                     "follow a parameter, an input with requires_grad=True, or a tensor the loss was computed from")


def _is(child, nr, key):
    """Whether the input ``(child, nr)`` is the followed tensor (key: a leaf's id or (node, nr))."""
    if isinstance(key, tuple):
        return child is key[0] and nr == key[1]
    return not hasattr(child, "next_functions") and id(child) == key


def _on_the_way(order, inputs_of, key):
    """The nodes from which the followed tensor is reached (its maker included)."""
    keep = set()
    for node in reversed(order):  # the engine's order is topological: inputs' nodes come later
        for _, child, nr in inputs_of[node]:
            if _is(child, nr, key) or (hasattr(child, "next_functions") and child in keep):
                keep.add(node)
                break
        if isinstance(key, tuple) and node is key[0]:
            keep.add(node)
    return keep


def _follow_lines(step, node, ups, inputs, target):
    key, index, name = target
    lines = []
    if isinstance(key, tuple) and key[0] is node and ups.get(key[1]) is not None:
        lines.append(f"dL/d{name}{list(index)} = {_num(ups[key[1]][index])} (the upstream at the element)")
    for operand, (_, child, nr) in zip(step.inputs, inputs):
        if not _is(child, nr, key) or operand.gradient is None:
            continue
        g = operand.gradient
        line = f"dL/d{name}{list(index)} = {_num(g[index])}"
        up = step.upstream if not isinstance(step.upstream, tuple) else step.upstream[0]
        if operand.local is not None and operand.local.shape == g.shape and up is not None and up.shape == g.shape:
            line += f" = upstream {_num(up[index])} × local {_num(operand.local[index])}"
        lines.append(line)
    return {"lines": lines} if lines else None
