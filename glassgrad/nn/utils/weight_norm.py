"""Weight normalization (Salimans & Kingma, 2016), the classic hook form: ``weight_norm`` splits a
parameter into a magnitude ``<name>_g`` and a direction ``<name>_v`` and recomputes
``<name> = g · v / ‖v‖`` before every forward; ``remove_weight_norm`` undoes it. The math
(``norm_except_dim``, ``weight_norm_from``) is shared with ``parametrizations.weight_norm``."""
from ..parameter import Parameter

__all__ = ["weight_norm", "remove_weight_norm", "norm_except_dim", "weight_norm_from"]


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dimension but ``dim`` (kept, the others of size 1);
    ``dim=-1`` (or None): the norm of the whole tensor, a 0-d tensor (PyTorch's convention)."""
    if dim is None or dim == -1:
        return v.norm(pow)
    if dim == 0:
        shape = (v.shape[0],) + (1,) * (v.ndim - 1)
        return v.reshape(v.shape[0], -1).norm(pow, dim=1).reshape(shape)
    if dim == v.ndim - 1:
        shape = (1,) * (v.ndim - 1) + (v.shape[-1],)
        return v.reshape(-1, v.shape[-1]).norm(pow, dim=0).reshape(shape)
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def weight_norm_from(v, g, dim=0):
    """v · (g / ‖v‖), the norm over every dimension but ``dim`` (differentiable in v and g)."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook of :func:`weight_norm`: sets ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        """g · v / ‖v‖ from the module's current parameters."""
        return weight_norm_from(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    @staticmethod
    def apply(module, name, dim):
        """Reparametrize ``module.<name>`` and register the hook; returns the hook."""
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        if name not in module._parameters or module._parameters[name] is None:
            raise ValueError(f"weight_norm: {type(module).__name__} has no parameter {name!r}")
        fn = WeightNorm(name, dim)
        weight = module._parameters[name]
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        """Fold g and v back into one parameter ``<name>``."""
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Apply weight normalization to ``module.<name>``: parameters ``<name>_g`` (the norms over
    every dimension but ``dim``; the whole tensor's norm for dim=None) and ``<name>_v``, and
    ``<name> = g · v / ‖v‖`` recomputed before every forward. Returns ``module``.

    PyTorch now prefers :func:`glassgrad.nn.utils.parametrizations.weight_norm`."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Remove the weight normalization of ``module.<name>`` (its current value stays). Returns ``module``."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
