"""``draw_graph``: the graph autograd recorded, as Graphviz DOT text, SVG or PNG.

Nodes are the ops (name, output shape and dtype, bytes saved for backward) and the tensors that
feed them (parameters by name, inputs), plus the output. Ops are grouped in clusters by the module
that ran them when a ``record_graph`` record is given; ``depth`` collapses deeper modules into one
node each and ``module`` keeps one part of the model. The graph is read through ``grad_fn`` /
``next_functions``; each op's output gradient is caught by a node pre-hook (the public hook behind
``Tensor.register_hook``), so after ``backward`` the edges carry gradient norms, and parameters
show the norm of their ``.grad``."""
import os
from dataclasses import dataclass

import numpy as np

from ..backend import namespace
from .graph import walk
from .graphviz import FORMATS, run_dot
from .storage import _atomic_bytes

__all__ = ["draw_graph", "Graph", "GraphNode", "GraphEdge"]


@dataclass
class GraphNode:
    """One drawn node. ``kind``: 'op', 'param', 'input', 'output', 'module' (ops of a module collapsed
    by ``depth``) or 'external' (an op outside the ``module`` filter that feeds it)."""
    id: str
    kind: str
    name: str
    shape: tuple = None
    dtype: str = None
    saved_bytes: int = None   # ops: bytes saved for backward (None once backward freed them)
    module: str = None        # the module that ran the op ('' the model itself), None outside it
    ops: int = 1              # ops collapsed into a 'module' node
    grad_norm: float = None   # params/inputs: ‖.grad‖; ops: ‖gradient of the output‖ (after backward)
    value: float = None       # the output's value when it is a single number


@dataclass
class GraphEdge:
    """One drawn edge, in the forward direction: ``src`` feeds ``dst``. ``grad_norm`` is the norm of
    the gradient of the tensor it carries (after backward), else None."""
    src: str
    dst: str
    grad_norm: float = None


def _norm(array):
    xp = namespace(array)
    return float(xp.sqrt(xp.sum(xp.square(array.astype(np.float64)))))


def _saved_bytes(node):
    try:
        saved = node.saved_tensors
    except RuntimeError:  # freed by backward, or changed in place since
        return None
    seen, total = set(), 0
    for t in saved:
        array = getattr(t, "array", None)
        if array is not None and id(array) not in seen:
            seen.add(id(array))
            total += int(array.nbytes)
    return total


def _op_name(node):
    name = node.name()
    return name[:-len("Backward")] if name.endswith("Backward") else name


class Graph:
    """A drawn graph: ``nodes`` and ``edges`` (what is drawn, with the gradient norms known now),
    ``to_dot()``, ``to_svg()`` and ``render(path)``. Made by :func:`draw_graph`."""

    def __init__(self, output, params=None, record=None, depth=None, module=None):
        root = getattr(output, "grad_fn", None)
        if root is None:
            raise RuntimeError("draw_graph: the output has no graph (grad_fn is None): it does not depend on "
                               "any tensor that requires grad. Draw a model's output or loss computed with "
                               "grad enabled.")
        if depth is not None and (not isinstance(depth, int) or depth < 0):
            raise ValueError(f"draw_graph: depth must be an int >= 0 (module nesting levels shown), got {depth!r}")
        self.depth = depth
        self.modules = (module,) if isinstance(module, str) else tuple(module) if module else ()
        self.module_types = dict(record.module_types) if record is not None else {}
        names = {id(t): name for name, t in (params or {}).items()}
        self._grads = {}   # (op id, output nr) -> (norm, shape, dtype), filled by the pre-hooks
        self._ops = {}     # op id -> GraphNode
        self._leaves = {}  # leaf id -> (GraphNode, tensor)
        self._edges = []   # (src id, dst id, grad key: (op id, nr) or leaf id)
        self._meta = {}    # (op id, nr) -> (shape, dtype) from the record
        items = walk(root)
        ids = {node: f"op{i}" for i, (node, _) in enumerate(items)}
        used, leaf_ids = set(), {}
        for node, inputs in items:
            nid = ids[node]
            outs = record.outputs_of(node) if record is not None else None
            for nr, meta in enumerate(outs or ()):
                self._meta[(nid, nr)] = meta
            shape, dtype = outs[0] if outs else (None, None)
            self._ops[nid] = GraphNode(nid, "op", _op_name(node), shape, str(dtype) if dtype else None,
                                       _saved_bytes(node), record.module_of(node) if record is not None else None)
            for _, child, nr in inputs:
                if hasattr(child, "next_functions"):
                    self._edges.append((ids[child], nid, (ids[child], nr)))
                    used.add((child, nr))
                else:
                    lid = leaf_ids.setdefault(id(child), f"t{len(leaf_ids)}")
                    if lid not in self._leaves:
                        name = names.get(id(child))
                        self._leaves[lid] = (GraphNode(lid, "param" if name else "input", name or "input",
                                                       tuple(child.shape), str(child.dtype)), child)
                    self._edges.append((lid, nid, lid))
            for _, (k, shape, dtype) in (record.inputs_of(node) if record is not None else ()):
                lid = f"x{k}"  # a model input that needs no gradient (not in next_functions)
                if lid not in self._leaves:
                    self._leaves[lid] = (GraphNode(lid, "input", f"input {k}" if k else "input", shape,
                                                   str(dtype)), None)
                self._edges.append((lid, nid, lid))
        nr = output.output_nr
        rid = ids[root]
        self._meta.setdefault((rid, nr), (tuple(output.shape), output.dtype))
        if self._ops[rid].shape is None and nr == 0:
            self._ops[rid].shape, self._ops[rid].dtype = tuple(output.shape), str(output.dtype)
        value = float(output.detach().reshape(-1)[0].item()) if output.numel() == 1 else None
        self._output = GraphNode("out", "output", "output", tuple(output.shape), str(output.dtype), value=value)
        self._edges.append((rid, "out", (rid, nr)))
        used.add((root, nr))
        for node, nr in used:
            node.register_prehook(nr, self._catch((ids[node], nr)))

    def _catch(self, key):
        grads = self._grads

        def hook(grad):
            grads[key] = (_norm(grad.array), tuple(grad.shape), str(grad.dtype))
        return hook

    # ---- the drawn graph -----------------------------------------------------------------------
    def _grad_norm(self, key):
        if key in self._leaves:
            tensor = self._leaves[key][1]
            grad = None if tensor is None else tensor.grad
            return None if grad is None else _norm(grad.array)
        found = self._grads.get(key)
        return None if found is None else found[0]

    def _place(self, op):
        """The drawn id of an op: itself, its collapsed module's node, or None when filtered out."""
        m = op.module
        if self.modules and (m is None or not any(m == f or m.startswith(f + ".") for f in self.modules)):
            return None
        if self.depth is not None and m is not None:
            parts = m.split(".") if m else []
            if len(parts) > self.depth or self.depth == 0:
                return "mod:" + ".".join(parts[:self.depth])
        return op.id

    def _view(self):
        nodes, edges, seen_edges = {}, [], set()
        place = {oid: self._place(op) for oid, op in self._ops.items()}
        for oid, op in self._ops.items():
            where = place[oid]
            if where is None:
                continue
            if where == oid:
                found = self._grads.get((oid, 0))
                shape, dtype = op.shape, op.dtype
                if shape is None and found is not None:  # not recorded: the gradient tells the shape
                    shape, dtype = found[1], found[2]
                nodes[oid] = GraphNode(oid, "op", op.name, shape, dtype, op.saved_bytes, op.module,
                                       grad_norm=None if found is None else found[0])
            elif where not in nodes:
                name = where[4:]
                kind = self.module_types.get(name)
                label = (name or "model") + (f" ({kind})" if kind else "")
                nodes[where] = GraphNode(where, "module", label, module=name, ops=1, saved_bytes=op.saved_bytes)
            else:
                agg = nodes[where]
                agg.ops += 1
                agg.saved_bytes = None if agg.saved_bytes is None or op.saved_bytes is None \
                    else agg.saved_bytes + op.saved_bytes
        for src, dst, key in self._edges:
            d = "out" if dst == "out" else place[dst]
            if d is None or (d == "out" and place[src] is None):
                continue
            if src in self._leaves:
                s = src
                if s not in nodes:
                    leaf = self._leaves[src][0]
                    nodes[s] = GraphNode(leaf.id, leaf.kind, leaf.name, leaf.shape, leaf.dtype,
                                         grad_norm=self._grad_norm(src))
            else:
                s = place[src]
                if s is None:  # the producer is outside the module filter: a stub stands for it
                    op = self._ops[src]
                    s = "ext:" + src
                    meta = self._meta.get(key) or (op.shape, op.dtype)
                    nodes.setdefault(s, GraphNode(s, "external", op.name, meta[0],
                                                  None if meta[1] is None else str(meta[1]), module=op.module))
            if s == d or (s, d, key) in seen_edges:
                continue
            seen_edges.add((s, d, key))
            edges.append(GraphEdge(s, d, self._grad_norm(key)))
        if any(e.dst == "out" for e in edges):
            out = self._output
            nodes["out"] = GraphNode(out.id, out.kind, out.name, out.shape, out.dtype, value=out.value,
                                     grad_norm=self._grad_norm(self._edges[-1][2]))
        # a leaf whose only consumers were collapsed into modules is left out (its module shows it)
        fed = {e.src for e in edges if not e.dst.startswith("mod:")}
        drop = {k for k, n in nodes.items() if n.kind in ("param", "input") and k not in fed}
        return ([n for k, n in nodes.items() if k not in drop], [e for e in edges if e.src not in drop])

    @property
    def nodes(self):
        """The drawn nodes (after the ``depth``/``module`` filters), with today's gradient norms."""
        return self._view()[0]

    @property
    def edges(self):
        """The drawn edges, forward direction, with today's gradient norms."""
        return self._view()[1]

    # ---- output --------------------------------------------------------------------------------
    def to_dot(self):
        """The graph as Graphviz DOT text (needs no Graphviz)."""
        nodes, edges = self._view()
        lines = ["digraph glassgrad {", '  graph [fontname="Helvetica", fontsize=11, compound=true];',
                 '  node [fontname="Helvetica", fontsize=10];', '  edge [fontname="Helvetica", fontsize=9];']
        tree = {}  # cluster path (tuple of module name parts) -> node lines
        for n in nodes:
            tree.setdefault(self._cluster_of(n), []).append(_node_line(n))
        lines += tree.pop(None, [])
        lines += self._clusters((), tree, 1)
        for e in edges:
            label = "" if e.grad_norm is None else f' [label={_q("‖g‖ " + _num(e.grad_norm))}]'
            lines.append(f"  {_q(e.src)} -> {_q(e.dst)}{label};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _cluster_of(self, n):
        """The module path a node is drawn in: its module for ops, the module owning a parameter's
        name, the parent of a collapsed module; None outside the model."""
        if not self.module_types:
            return None
        if n.kind in ("op", "external"):
            m = n.module
        elif n.kind == "module":
            if n.module == "":
                return None
            m = n.module.rpartition(".")[0] if "." in n.module else ""
        elif n.kind == "param":
            m = n.name.rpartition(".")[0]
            if m not in self.module_types:
                return None
            if self.depth is not None and len(m.split(".")) > self.depth:
                return None
        else:
            return None
        if m is None:
            return None
        return tuple(m.split(".")) if m else ()

    def _clusters(self, path, tree, indent):
        children = sorted({p[:len(path) + 1] for p in tree if len(p) > len(path) and p[:len(path)] == path})
        body = tree.get(path, [])
        if not body and not children:
            return []
        name = ".".join(path)
        kind = self.module_types.get(name, "")
        label = f"{name} ({kind})" if name else f"model ({kind})"
        pad = "  " * indent
        out = [f"{pad}subgraph {_q('cluster_' + (name or '(model)'))} {{",
               f'{pad}  label={_q(label)}; style="rounded,dashed"; color="gray50";']
        out += [pad + line for line in body]
        for child in children:
            out += self._clusters(child, tree, indent + 1)
        out.append(pad + "}")
        return out

    def to_svg(self):
        """The graph as SVG text (from ``<svg``, ready to inline in HTML); raises
        ``GraphvizNotFoundError`` (one line: how to install it) when Graphviz's ``dot`` is missing."""
        svg = run_dot(self.to_dot(), "svg").decode("utf-8")
        return svg[svg.index("<svg"):]

    def render(self, path):
        """Write the graph to ``path``: SVG, PNG or PDF by its suffix (``.dot``/``.gv``: the DOT text,
        no Graphviz needed); returns ``path``."""
        suffix = os.path.splitext(str(path))[1].lower().lstrip(".")
        if suffix in ("dot", "gv"):
            data = self.to_dot().encode("utf-8")
        elif suffix in FORMATS:
            data = run_dot(self.to_dot(), suffix)
        else:
            raise ValueError(f"render: cannot tell the format of {path!r} from its suffix; use .svg, .png, .pdf "
                             "or .dot")
        folder, name = os.path.split(os.path.abspath(str(path)))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"render: folder {folder} does not exist; create it first")
        _atomic_bytes(folder, name, data)
        return path

    def _repr_svg_(self):
        return self.to_svg()


def _num(x):
    return f"{x:.4g}"


def _bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def _q(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_STYLE = {
    "op": 'shape=box, style="rounded,filled", fillcolor="#dbe9f6"',
    "param": 'shape=ellipse, style=filled, fillcolor="#fdf2c4"',
    "input": 'shape=ellipse, style=filled, fillcolor="#e8e8e8"',
    "output": 'shape=doubleoctagon, style=filled, fillcolor="#d5f0d5"',
    "module": 'shape=box3d, style=filled, fillcolor="#e6dcf5"',
    "external": 'shape=box, style="rounded,dashed"',
}


def _node_line(n):
    lines = [n.name if n.kind != "module" else f"{n.name}\n{n.ops} ops"]
    if n.shape is not None:
        lines.append(f"{tuple(n.shape)} {n.dtype}")
    if n.value is not None:
        lines.append(f"= {n.value:.6g}")
    if n.kind in ("op", "module") and n.saved_bytes:
        lines.append(f"saved {_bytes(n.saved_bytes)}")
    if n.kind in ("param", "input") and n.grad_norm is not None:
        lines.append(f"‖grad‖ {_num(n.grad_norm)}")
    return f"{_q(n.id)} [label={_q(chr(10).join(lines))}, {_STYLE[n.kind]}];"


def draw_graph(output, params=None, *, record=None, depth=None, module=None):
    """Draw the graph that computed ``output`` (a model's output or a loss).

    Args:
        output: a tensor with a ``grad_fn``.
        params: ``{name: tensor}`` (``dict(model.named_parameters())``) to label parameters by name;
            other leaves are drawn as inputs.
        record: a :class:`GraphRecord` from ``gi.record_graph(model)`` around the forward: ops get
            their output shapes and dtypes and are clustered by module. Without it, an op's shape
            shows once a backward has passed through it.
        depth: show modules down to this nesting level (``0``: the whole model as one node, ``1``:
            its children...); the ops of deeper modules collapse into one node per module.
        module: a module name (or several): draw only the ops run inside it.

    Returns a :class:`Graph`. Call it before ``backward``: its hooks then give every edge the norm of
    its gradient. ``graph.render("graph.svg")`` needs Graphviz's ``dot``; ``graph.to_dot()`` does not.
    """
    return Graph(output, params=params, record=record, depth=depth, module=module)
