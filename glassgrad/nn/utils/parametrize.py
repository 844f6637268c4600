"""``nn.utils.parametrize``: a module's tensor computed from an ``original`` by a chain of modules
(PyTorch's parametrizations): ``register_parametrization``, ``remove_parametrizations``,
``is_parametrized``, ``cached``, ``type_before_parametrizations``.

Registering the first parametrization on a module swaps its class for a subclass
``Parametrized<Class>`` that has a property per parametrized name: reading ``module.weight``
evaluates the chain on ``module.parametrizations.weight.original`` (so gradients reach the
original), assigning to it goes back through the ``right_inverse``s. The originals are parameters
of ``module.parametrizations[name]``: state_dict keys ``parametrizations.weight.original`` (or
``original0``, ``original1``, ... when ``right_inverse`` returns several tensors), as in PyTorch.
"""
import collections.abc
import contextlib

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor
from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "cached",
           "type_before_parametrizations", "ParametrizationList"]

_cache_enabled = 0
_cache = {}


@contextlib.contextmanager
def cached():
    """Within this context each parametrized tensor is computed once, on first use, and reused
    (e.g. a weight used at every step of an RNN's loop)."""
    global _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache.clear()


def _as_parameter(tensor, like):
    """``tensor`` as a Parameter when ``like`` (the tensor it replaces) was one."""
    if isinstance(like, Parameter) and not isinstance(tensor, Parameter):
        return Parameter(tensor.detach(), requires_grad=like.requires_grad)
    return tensor


class ParametrizationList(ModuleList):
    """The chain of parametrizations of one tensor, and its original(s).

    Args:
        modules: the parametrization modules, applied in order.
        original: the tensor being parametrized (a Parameter or a buffer).
        unsafe: skip the checks that the parametrization keeps shape and dtype.
    """

    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    new = module.right_inverse(new)
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if original.dtype != new.dtype:
                raise ValueError(f"When `right_inverse` outputs one tensor, it may not change the dtype; got "
                                 f"original.dtype {original.dtype}, right_inverse(original).dtype {new.dtype}")
            with no_grad():  # the original keeps its identity: an optimizer holding it still works
                if tuple(original.shape) == tuple(new.shape):
                    original.array[...] = new.array
                    original._version += 1
                    stored = original
                else:
                    stored = _as_parameter(new.detach().clone(), original)
            self._register_original("original", stored, original)
        else:
            if not isinstance(new, collections.abc.Sequence) or not all(isinstance(t, Tensor) for t in new):
                raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...); "
                                 f"got {type(new).__name__}")
            for i, t in enumerate(new):
                self._register_original(f"original{i}", _as_parameter(t.detach().clone(), original), original)
        if not self.unsafe:
            self._check(original)

    def _register_original(self, name, tensor, like):
        if isinstance(tensor, Parameter):
            self.register_parameter(name, tensor)
        else:
            self.register_buffer(name, tensor)

    def _check(self, original):
        z = self()
        if not isinstance(z, Tensor):
            raise ValueError(f"A parametrization must return a tensor. Got {type(z).__name__}.")
        if z.dtype != original.dtype:
            raise ValueError(f"Registering a parametrization may not change the dtype of the tensor, unless "
                             f"`unsafe` flag is enabled. unparametrized dtype: {original.dtype}, parametrized "
                             f"dtype: {z.dtype}")
        if tuple(z.shape) != tuple(original.shape):
            raise ValueError(f"Registering a parametrization may not change the shape of the tensor, unless "
                             f"`unsafe` flag is enabled. unparametrized shape: {tuple(original.shape)}, "
                             f"parametrized shape: {tuple(z.shape)}")

    def originals(self):
        """The original tensor(s), in order."""
        if self.is_tensor:
            return [self.original]
        return [getattr(self, f"original{i}") for i in range(self.ntensors)]

    def right_inverse(self, value):
        """Set the original(s) so that the chain evaluates to ``value`` (through each
        parametrization's ``right_inverse``, last to first)."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not implement right_inverse; "
                                       "assign to the original instead")
                value = module.right_inverse(value)
            values = [value] if self.is_tensor else list(value)
            if len(values) != self.ntensors:
                raise ValueError(f"'right_inverse' must return {self.ntensors} tensors, got {len(values)}")
            for orig, v in zip(self.originals(), values):
                if tuple(orig.shape) != tuple(v.shape):
                    raise ValueError(f"right_inverse returned a tensor of shape {tuple(v.shape)} for an original of "
                                     f"shape {tuple(orig.shape)}")
                orig.array[...] = v.array
                orig._version += 1

    def forward(self):
        """The parametrized tensor: the chain applied to the original(s)."""
        first, *rest = list(self)
        x = first(self.original) if self.is_tensor else first(*self.originals())
        for module in rest:
            x = module(x)
        return x


def _property(name):
    def get(self):
        chain = self.parametrizations[name]
        if _cache_enabled:
            key = (id(self), name)
            if key not in _cache:
                _cache[key] = chain()
            return _cache[key]
        return chain()

    def set(self, value):
        self.parametrizations[name].right_inverse(value)

    return property(get, set, doc=f"``{name}``, computed by its parametrizations")


def _inject_new_class(module):
    cls = module.__class__
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {})


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make ``module.<tensor_name>`` the output of ``parametrization`` applied to the original
    tensor (which becomes ``module.parametrizations[tensor_name].original``). Registering a second
    parametrization on the same name chains it after the first.

    If ``parametrization`` has ``right_inverse(X)``, the original is initialized to
    ``right_inverse(tensor)`` and assignments to ``module.<tensor_name>`` go through it.

    Args:
        module: the module.
        tensor_name: the name of a parameter or buffer of ``module`` (or of an already
            parametrized tensor).
        parametrization: a Module computing the new tensor from the original(s).
        unsafe: allow the parametrization to change the shape or dtype.

    Returns:
        ``module``.
    """
    if not isinstance(parametrization, Module):
        raise TypeError(f"register_parametrization: parametrization must be an nn.Module, got "
                        f"{type(parametrization).__name__}")
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        chain = module.parametrizations[tensor_name]
        if not unsafe:
            y = getattr(module, tensor_name)
            x = parametrization(y)
            if not isinstance(x, Tensor) or x.dtype != y.dtype or tuple(x.shape) != tuple(y.shape):
                raise ValueError(f"Registering a parametrization may not change the shape or dtype of the tensor, "
                                 f"unless the `unsafe` flag is enabled; {tensor_name} is {tuple(y.shape)} {y.dtype}")
        chain.append(parametrization)
        chain.unsafe |= unsafe
        return module
    if tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        if original is None:
            raise ValueError(f"register_parametrization: {type(module).__name__}.{tensor_name} is None; there is "
                             "no tensor to parametrize")
        chain = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        module.parametrizations[tensor_name] = chain
        setattr(module.__class__, tensor_name, _property(tensor_name))
        return module
    raise ValueError(f"Module '{type(module).__name__}' does not have a parameter, a buffer, or a parametrized "
                     f"element with name '{tensor_name}'")


def is_parametrized(module, tensor_name=None):
    """Whether ``module`` has a parametrization (on ``tensor_name``, when given)."""
    chains = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(chains, ModuleDict):
        return False
    return len(chains) > 0 if tensor_name is None else tensor_name in chains


def type_before_parametrizations(module):
    """The module's class before parametrizations were registered on it."""
    return module.__class__.__bases__[0] if is_parametrized(module) else type(module)


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Remove the parametrizations of ``module.<tensor_name>``: it becomes a plain parameter (or
    buffer) again, holding its current parametrized value (``leave_parametrized=True``) or the
    original. When it was the last one, the module gets its own class back.

    Returns:
        ``module``.
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {type(module).__name__} does not have a parametrization on {tensor_name}")
    chain = module.parametrizations[tensor_name]
    if chain.is_tensor:
        original = chain.original
        if leave_parametrized:
            with no_grad():
                t = getattr(module, tensor_name)
            with no_grad():
                if tuple(t.shape) == tuple(original.shape) and t.dtype == original.dtype:
                    original.array[...] = t.array
                    original._version += 1
                else:
                    original = _as_parameter(t.detach().clone(), original) if isinstance(original, Parameter) \
                        else t.detach().clone()
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
                             "parametrized in terms of a sequence of tensors.")
        with no_grad():
            t = getattr(module, tensor_name).detach().clone()
        original = Parameter(t, requires_grad=chain.original0.requires_grad) \
            if isinstance(chain.original0, Parameter) else t
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(original, Parameter):
        module.register_parameter(tensor_name, original)
    else:
        module.register_buffer(tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module
