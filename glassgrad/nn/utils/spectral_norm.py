"""Spectral normalization (Miyato et al., 2018), the classic hook form: ``spectral_norm`` keeps
``<name>_orig`` and the power-iteration vectors ``<name>_u``, ``<name>_v`` (buffers) and sets
``<name> = W / σ(W)`` before every forward, σ estimated by power iteration (one or more steps per
forward in training mode; none in eval mode). ``remove_spectral_norm`` undoes it."""
import numpy as np

from ...autograd.tensor import wrap_array
from ...random import default_generator
from ..parameter import Parameter

__all__ = ["spectral_norm", "remove_spectral_norm", "normalize_array", "conv_transpose_dim"]


def normalize_array(x, eps):
    """x / max(‖x‖, eps) on an array (F.normalize of a vector, without a graph)."""
    return x / max(float(np.sqrt(np.sum(x * x))), eps)


def conv_transpose_dim(module):
    """The default ``dim`` of spectral norm: 1 for ConvTranspose layers (their output channels), else 0."""
    return 1 if type(module).__name__.startswith("ConvTranspose") else 0


class SpectralNorm:
    """The forward pre-hook of :func:`spectral_norm`."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations="
                             f"{n_power_iterations}")
        self.name, self.dim, self.n_power_iterations, self.eps = name, dim, n_power_iterations, eps

    def reshape_weight_to_matrix(self, weight):
        """``weight`` as a matrix, rows along ``dim``."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        """W / σ, after ``n_power_iterations`` steps of power iteration when ``do_power_iteration``."""
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            w = weight_mat.detach().array
            for _ in range(self.n_power_iterations):
                v.array[...] = normalize_array(w.T @ u.array, self.eps)
                u.array[...] = normalize_array(w @ v.array, self.eps)
            u._version += 1
            v._version += 1
        sigma = (wrap_array(u.array.copy()) * (weight_mat @ wrap_array(v.array.copy()))).sum()
        return weight / sigma

    def remove(self, module):
        """Keep the current W / σ as the parameter ``<name>``."""
        weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        del module._parameters[self.name + "_orig"]
        del module._buffers[self.name + "_u"]
        del module._buffers[self.name + "_v"]
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        """Reparametrize ``module.<name>`` and register the hook; returns the hook."""
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        if name not in module._parameters or module._parameters[name] is None:
            raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        mat = fn.reshape_weight_to_matrix(weight).detach().array
        h, w = mat.shape
        rng = default_generator.rng
        u = normalize_array(rng.standard_normal(h).astype(mat.dtype), eps)
        v = normalize_array(rng.standard_normal(w).astype(mat.dtype), eps)
        del module._parameters[name]
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", wrap_array(u))
        module.register_buffer(name + "_v", wrap_array(v))
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Apply spectral normalization to ``module.<name>``: ``<name>_orig`` (the parameter),
    buffers ``<name>_u``/``<name>_v`` (random unit vectors refined by power iteration), and
    ``<name> = W / σ(W)`` recomputed before every forward. Returns ``module``.

    Args:
        n_power_iterations: power-iteration steps per forward in training mode (default 1).
        eps: the floor of the norms in the normalizations (default 1e-12).
        dim: the dimension of output rows (default 0; 1 for ConvTranspose layers).

    PyTorch now prefers :func:`glassgrad.nn.utils.parametrizations.spectral_norm`."""
    SpectralNorm.apply(module, name, n_power_iterations, conv_transpose_dim(module) if dim is None else dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Remove the spectral normalization of ``module.<name>`` (W / σ stays as the parameter). Returns ``module``."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
