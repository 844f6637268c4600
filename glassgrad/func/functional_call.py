"""``functional_call``: run a module with other tensors in place of its parameters and buffers."""
import contextlib

from ..autograd.tensor import Tensor

__all__ = ["functional_call"]


def _merged(parameter_and_buffer_dicts):
    if isinstance(parameter_and_buffer_dicts, dict):
        return dict(parameter_and_buffer_dicts)
    if not isinstance(parameter_and_buffer_dicts, (tuple, list)):
        raise ValueError(f"functional_call: expected parameter_and_buffer_dicts to be a dict or a tuple of "
                         f"dicts, got {type(parameter_and_buffer_dicts).__name__}")
    merged = {}
    for d in parameter_and_buffer_dicts:
        for k, v in d.items():
            if k in merged:
                raise ValueError(f"functional_call: {k!r} appeared in multiple dictionaries; behavior of "
                                 "functional call is ambiguous. Give each name once")
            merged[k] = v
    return merged


@contextlib.contextmanager
def _swapped(module, tensors, tie_weights, strict):
    """Within the block, ``module``'s parameters and buffers named in ``tensors`` are those tensors."""
    names = {name: t for name, t in module.named_parameters(remove_duplicate=False)}
    names.update({name: t for name, t in module.named_buffers(remove_duplicate=False)})
    if strict:
        missing = sorted(set(names) - set(tensors))
        unexpected = sorted(set(tensors) - set(names))
        if missing or unexpected:
            raise RuntimeError(f"functional_call: strict=True and the names do not match the module's: missing "
                               f"{missing}, unexpected {unexpected}")
    tensors = dict(tensors)
    if tie_weights:  # a tensor given for one name of a tied weight is used under all its names
        by_id = {}
        for name, t in names.items():
            by_id.setdefault(id(t), []).append(name)
        for name, value in list(tensors.items()):
            if name in names:
                for other in by_id[id(names[name])]:
                    if other not in tensors:
                        tensors[other] = value
                    elif tensors[other] is not value:
                        raise ValueError(f"functional_call: {name!r} and {other!r} are tied weights but were "
                                         "given different values; give one, or pass tie_weights=False")
    swapped = []
    try:
        for name, value in tensors.items():
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"functional_call: the value for {name!r} must be a Tensor, got "
                                f"{type(value).__name__}")
            owner_path, _, attr = name.rpartition(".")
            owner = module.get_submodule(owner_path) if owner_path else module
            table = owner._parameters if attr in owner._parameters else owner._buffers
            if attr not in table:
                if strict:
                    raise AttributeError(f"functional_call: the module has no parameter or buffer {name!r}")
                table = owner._buffers  # PyTorch sets an unknown name as an attribute for the call
                swapped.append((table, attr, None, False))
            else:
                swapped.append((table, attr, table[attr], True))
            table[attr] = value
        yield
    finally:
        for table, attr, old, existed in reversed(swapped):
            if existed:
                table[attr] = old
            else:
                del table[attr]


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the parameters and buffers named in
    ``parameter_and_buffer_dicts`` (a dict, or a tuple of dicts, of name -> tensor, names as in
    ``named_parameters``) replaced by those tensors for the call; the module is unchanged after.
    Gradients flow to the given tensors, so ``func.grad`` of a functional call differentiates with
    respect to them. ``tie_weights``: a value given for one name of a tied weight replaces all of
    its names. ``strict``: the names must be exactly the module's parameters and buffers."""
    tensors = _merged(parameter_and_buffer_dicts)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, tensors, tie_weights, strict):
        return module(*args, **(kwargs or {}))
