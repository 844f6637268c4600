"""``nn.utils.parametrizations``: weight normalization and spectral normalization as
parametrizations (``nn.utils.parametrize``), PyTorch's current forms of both."""
import numpy as np

from ...autograd.tensor import wrap_array
from ...random import default_generator
from ..modules.module import Module
from . import parametrize
from .spectral_norm import conv_transpose_dim, normalize_array
from .weight_norm import norm_except_dim, weight_norm_from

__all__ = ["weight_norm", "spectral_norm"]


class _WeightNorm(Module):
    """weight = g · v / ‖v‖ from (original0 = g, original1 = v)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_norm_from(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim).detach(), weight.detach()


def weight_norm(module, name="weight", dim=0):
    """Weight normalization of ``module.<name>`` as a parametrization: the originals are
    ``parametrizations.<name>.original0`` (g, the norms over every dimension but ``dim``; the whole
    tensor's norm for dim=None) and ``original1`` (v); ``module.<name>`` is g · v / ‖v‖. Returns ``module``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    """weight / σ(weight), σ estimated by power iteration on buffers ``_u``, ``_v`` (updated in
    training mode); a 1-D weight is divided by its norm."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations="
                             f"{n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            mat = self._reshape_weight_to_matrix(weight).detach().array
            h, w = mat.shape
            rng = default_generator.rng
            self.register_buffer("_u", wrap_array(normalize_array(rng.standard_normal(h).astype(mat.dtype), eps)))
            self.register_buffer("_v", wrap_array(normalize_array(rng.standard_normal(w).astype(mat.dtype), eps)))
            self._power_method(mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def _power_method(self, mat, n_power_iterations):
        u, v = self._u.array, self._v.array
        for _ in range(n_power_iterations):
            u[...] = normalize_array(mat @ v, self.eps)
            v[...] = normalize_array(mat.conj().T @ u, self.eps)
        self._u._version += 1
        self._v._version += 1

    def forward(self, weight):
        if weight.ndim == 1:
            return weight / weight.norm().clamp(min=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(np.asarray(weight_mat.detach().array), self.n_power_iterations)
        sigma = (wrap_array(self._u.array.copy()) * (weight_mat @ wrap_array(self._v.array.copy()))).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Spectral normalization of ``module.<name>`` as a parametrization: ``module.<name>`` is
    W / σ(W), σ from power iteration on the buffers ``parametrizations.<name>.0._u``/``_v``
    (15 steps at registration, ``n_power_iterations`` per use in training mode). Returns ``module``.

    Args:
        eps: the floor of the norms in the normalizations (default 1e-12).
        dim: the dimension of output rows (default 0; 1 for ConvTranspose layers)."""
    weight = getattr(module, name, None)
    if weight is None:
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    dim = conv_transpose_dim(module) if dim is None else dim
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
