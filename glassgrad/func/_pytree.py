"""Nested tuples, lists and dicts of tensors (PyTorch's "pytrees"), flattened to a list of leaves
and rebuilt: the func transforms take and return them."""

__all__ = ["tree_flatten", "tree_unflatten", "tree_map"]


def tree_flatten(tree):
    """``(leaves, spec)``: the leaves of ``tree`` in order, and what ``tree_unflatten`` needs to
    rebuild it. Tuples, lists and dicts are containers; anything else is a leaf."""
    leaves = []

    def spec_of(node):
        if isinstance(node, (tuple, list)):
            return (type(node), [spec_of(x) for x in node])
        if isinstance(node, dict):
            return (dict, [(k, spec_of(v)) for k, v in node.items()])
        leaves.append(node)
        return None
    return leaves, spec_of(tree)


def tree_unflatten(leaves, spec):
    """The tree of ``spec`` (from ``tree_flatten``) with ``leaves`` in its leaf positions."""
    it = iter(leaves)

    def build(s):
        if s is None:
            return next(it)
        kind, children = s
        if kind is dict:
            return {k: build(c) for k, c in children}
        items = [build(c) for c in children]
        return kind(items) if kind in (tuple, list) else kind(*items)  # namedtuples take fields
    return build(spec)


def tree_map(fn, tree):
    """``tree`` with ``fn`` applied to each leaf."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)
