"""``nn.utils.prune``: magnitude and random pruning through masks (PyTorch's ``torch.nn.utils.prune``).

Pruning ``module.<name>`` keeps the parameter as ``<name>_orig``, a 0/1 buffer ``<name>_mask``,
and sets ``module.<name> = <name>_orig · <name>_mask`` before every forward (a forward pre-hook),
so the pruned entries get zero gradient. Pruning the same tensor again prunes among the entries
still alive (a ``PruningContainer``); ``remove`` makes the pruning permanent.
"""
import numbers

import numpy as np

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor, wrap_array
from ...random import default_generator

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "CustomFromMask", "identity", "random_unstructured", "l1_unstructured", "global_unstructured",
           "custom_from_mask", "remove", "is_pruned"]


def _validate_amount_init(amount):
    if not isinstance(amount, numbers.Real) or isinstance(amount, bool):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _nparams_to_prune(amount, size):
    n = amount if isinstance(amount, numbers.Integral) else round(amount * size)
    if isinstance(amount, numbers.Integral) and amount > size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={size}")
    return int(n)


class BasePruningMethod:
    """A pruning method: ``compute_mask(t, default_mask)`` returns the new 0/1 mask (an array)
    for the importance scores ``t``; the instance is the forward pre-hook that applies it."""

    PRUNING_TYPE = "unstructured"
    _tensor_name = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    def compute_mask(self, t, default_mask):
        """The mask (an array shaped like ``t``) to multiply the tensor by."""
        raise NotImplementedError(f"{type(self).__name__} must define compute_mask(t, default_mask)")

    def apply_mask(self, module):
        """``<name>_orig · <name>_mask`` (differentiable in the original)."""
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return wrap_array(mask.array.astype(orig.dtype, copy=False)) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with a new ``cls(*args, **kwargs)`` (combined with an earlier
        pruning of the same tensor); returns the method (the registered hook)."""
        old, keys = None, []
        for k, hook in module._forward_pre_hooks.items():
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old = hook
                keys.append(k)
        for k in keys:
            del module._forward_pre_hooks[k]
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if old is not None:
            if isinstance(old, PruningContainer):
                old.add_pruning_method(method)
                method = old
            else:
                method = PruningContainer(old, method)
        orig = getattr(module, name, None)
        if not isinstance(orig, Tensor):
            raise AttributeError(f"prune: {type(module).__name__} has no parameter or tensor {name!r}")
        scores = orig if importance_scores is None else importance_scores
        if tuple(scores.shape) != tuple(orig.shape):
            raise ValueError(f"importance_scores should have the same shape as parameter {name} of {module}: "
                             f"{tuple(scores.shape)} vs {tuple(orig.shape)}")
        if old is None:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = np.ones_like(orig.array)
        else:
            default_mask = getattr(module, name + "_mask").array.copy()
        mask = method.compute_mask(np.asarray(scores.detach().array), default_mask)
        if old is None:
            module.register_buffer(name + "_mask", wrap_array(mask))
        else:
            getattr(module, name + "_mask").array[...] = mask
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` with this method's mask applied (a new tensor; nothing is registered)."""
        scores = t if importance_scores is None else importance_scores
        base = np.ones(tuple(t.shape), dtype=t.dtype) if default_mask is None else np.asarray(
            getattr(default_mask, "array", default_mask))
        return t * wrap_array(self.compute_mask(np.asarray(scores.detach().array), base).astype(t.dtype))

    def remove(self, module):
        """Make the pruning permanent: ``<name>`` becomes a parameter holding orig · mask."""
        if self._tensor_name is None:
            raise ValueError(f"Module {module} has to be pruned before pruning can be removed")
        with no_grad():
            weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.array[...] = weight.array
        orig._version += 1
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        module.register_parameter(self._tensor_name, orig)


class PruningContainer(BasePruningMethod):
    """The pruning methods applied in turn to one tensor: each new one prunes among the entries
    that the earlier ones left."""

    def __init__(self, *methods):
        self._pruning_methods = ()
        for m in methods:
            self.add_pruning_method(m)

    def add_pruning_method(self, method):
        """Append ``method`` (it must prune the same tensor)."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method).__name__} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name is not None and self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' "
                             f"to PruningContainer. Found '{method._tensor_name}'")
        if method is not None:
            self._pruning_methods += (method,)
            self._tensor_name = method._tensor_name

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        method = self._pruning_methods[-1]
        if method.PRUNING_TYPE != "unstructured":
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        new_mask = default_mask.astype(t.dtype, copy=True)
        alive = default_mask == 1
        new_mask[alive] = method.compute_mask(t[alive], default_mask[alive]).astype(new_mask.dtype)
        return new_mask


class Identity(BasePruningMethod):
    """Prune nothing (the mask is all ones): a way to attach the ``_orig``/``_mask`` layout."""

    def compute_mask(self, t, default_mask):
        return default_mask.copy()

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prune ``amount`` entries (an int, or a fraction of the tensor) chosen at random.

    The choice comes from glassgrad's generator (``manual_seed``), so it differs from PyTorch's."""

    def __init__(self, amount):
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        n = _nparams_to_prune(self.amount, t.size)
        mask = default_mask.copy()
        if n:
            prob = default_generator.rng.random(t.size)
            mask.reshape(-1)[np.argsort(-prob, kind="stable")[:n]] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prune the ``amount`` entries (an int, or a fraction of the tensor) of smallest |value|
    (among equal values, the first ones)."""

    def __init__(self, amount):
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        n = _nparams_to_prune(self.amount, t.size)
        mask = default_mask.copy()
        if n:
            mask.reshape(-1)[np.argsort(np.abs(t).reshape(-1), kind="stable")[:n]] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prune where the given ``mask`` is 0."""

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        mask = np.asarray(getattr(self.mask, "array", self.mask))
        if mask.shape != default_mask.shape:
            raise ValueError(f"custom_from_mask: mask of shape {mask.shape} for a tensor of shape {default_mask.shape}")
        return default_mask * mask.astype(default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    """Attach the pruning layout to ``module.<name>`` with a mask of ones. Returns ``module``."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` random entries of ``module.<name>`` (an int, or a fraction in [0, 1]). Returns ``module``."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` entries of ``module.<name>`` with the smallest |value| (or smallest
    ``importance_scores``); ``amount`` an int, or a fraction in [0, 1]. Returns ``module``."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` where ``mask`` is 0. Returns ``module``."""
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the ``(module, name)`` pairs of ``parameters`` together: ``pruning_method`` (e.g.
    ``L1Unstructured`` with ``amount=...``) ranks all their entries at once, so layers lose
    different fractions."""
    if isinstance(parameters, Tensor) or not hasattr(parameters, "__iter__"):
        raise TypeError("global_unstructured(): parameters is not an Iterable of (module, name) pairs")
    parameters = list(parameters)
    importance_scores = importance_scores or {}
    scores = np.concatenate([np.asarray(importance_scores.get((m, n), getattr(m, n)).detach().array).reshape(-1)
                             for m, n in parameters])
    default = np.concatenate([np.asarray(getattr(m, n + "_mask").array if hasattr(m, n + "_mask")
                                         else np.ones(tuple(getattr(m, n).shape), getattr(m, n).dtype)).reshape(-1)
                              for m, n in parameters])
    method = pruning_method(**kwargs)
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    method._tensor_name = "temp"
    final = PruningContainer(method).compute_mask(scores, default)
    pointer = 0
    for module, name in parameters:
        shape = tuple(getattr(module, name).shape)
        size = int(np.prod(shape))
        custom_from_mask(module, name, mask=final[pointer:pointer + size].reshape(shape))
        pointer += size


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent (``<name>`` a parameter again, holding the
    zeros). Returns ``module``."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module):
    """Whether ``module`` or any of its submodules has a pruned tensor."""
    return any(isinstance(hook, BasePruningMethod) for m in module.modules() for hook in m._forward_pre_hooks.values())
