"""``nn.utils.stateless.functional_call``: run a module with some of its parameters and buffers
replaced by given tensors, without changing the module (``glassgrad.func.functional_call`` is this
same function). The output is differentiable with respect to the given tensors."""
import contextlib

from ...autograd.tensor import Tensor
from . import parametrize

__all__ = ["functional_call"]


def _tied_names(module, names):
    """For each name, the other names registered to the same tensor object (tied weights)."""
    by_id = {}
    for name, t in module.named_parameters(remove_duplicate=False):
        by_id.setdefault(id(t), []).append(name)
    for name, t in module.named_buffers(remove_duplicate=False):
        by_id.setdefault(id(t), []).append(name)
    extra = {}
    for group in by_id.values():
        if len(group) > 1:
            given = [n for n in group if n in names]
            if len({id(names[n]) for n in given}) > 1:
                raise ValueError(f"functional_call got multiple values for keys {sorted(given)}, which are tied "
                                 "(one tensor registered under several names); give one of them, or pass "
                                 "tie_weights=False")
            for n in group:
                if n not in names and given:
                    extra[n] = given[0]
    return extra


def _slot(module, dotted):
    """(owning module, attribute name) of a dotted parameter/buffer name."""
    path, _, attr = dotted.rpartition(".")
    owner = module.get_submodule(path) if path else module
    return owner, attr


@contextlib.contextmanager
def _swapped(module, tensors):
    saved = []
    try:
        for dotted, value in tensors.items():
            owner, attr = _slot(module, dotted)
            if parametrize.is_parametrized(owner, attr):
                # (the parametrized value itself is replaced, as PyTorch does: the chain is bypassed)
                saved.append((owner, attr, "class", getattr(type(owner), attr)))
                setattr(type(owner), attr, property(lambda self, v=value: v))
                continue
            for table in ("_parameters", "_buffers"):
                if attr in owner.__dict__[table]:
                    saved.append((owner, attr, table, owner.__dict__[table][attr]))
                    owner.__dict__[table][attr] = value
                    break
            else:
                saved.append((owner, attr, "attr", owner.__dict__.get(attr, _MISSING)))
                owner.__dict__[attr] = value
        yield
    finally:
        for owner, attr, where, old in reversed(saved):
            if where == "class":
                setattr(type(owner), attr, old)
            elif where == "attr":
                if old is _MISSING:
                    owner.__dict__.pop(attr, None)
                else:
                    owner.__dict__[attr] = old
            else:
                owner.__dict__[where][attr] = old


_MISSING = object()


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the parameters and buffers named in
    ``parameter_and_buffer_dicts`` (one dict, or a sequence of dicts with disjoint keys, of dotted
    name -> tensor) used in place of the module's own; the module is left as it was.

    Args:
        module: the module to call.
        parameter_and_buffer_dicts: dotted name (as in ``named_parameters()``) -> tensor.
        args: one positional argument, or a tuple of them.
        kwargs: keyword arguments of the call.
        tie_weights: a tensor registered under several names (tied weights) is replaced under all of
            them when only one name is given (default True).
        strict: require exactly the module's parameters and buffers to be given.

    Returns:
        The module's output.
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        tensors = dict(parameter_and_buffer_dicts)
    else:
        tensors = {}
        for d in parameter_and_buffer_dicts:
            overlap = set(tensors) & set(d)
            if overlap:
                raise ValueError(f"{sorted(overlap)} appeared in multiple dictionaries; behavior of functional call "
                                 "is ambiguous")
            tensors.update(d)
    for name, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"functional_call: the value for {name!r} is a {type(value).__name__}; give tensors")
    if strict:
        expected = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        expected |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(expected - set(tensors)), sorted(set(tensors) - expected)
        if missing or unexpected:
            parts = ([f"Unexpected key(s): {', '.join(map(repr, unexpected))}."] if unexpected else []) + \
                    ([f"Missing key(s): {', '.join(map(repr, missing))}."] if missing else [])
            raise RuntimeError("Error(s) in reparametrizing for " + type(module).__name__ + ":\n\t" + "\n\t".join(parts))
    if tie_weights:
        for name, source in _tied_names(module, tensors).items():
            tensors[name] = tensors[source]
    for name in tensors:
        try:
            _slot(module, name)
        except AttributeError:
            raise AttributeError(f"functional_call: {type(module).__name__} has no submodule on the path of "
                                 f"{name!r}") from None
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, tensors):
        return module(*args, **(kwargs or {}))
