"""Normalization layers: ``BatchNorm1d/2d/3d``, ``InstanceNorm1d/2d/3d``, ``LayerNorm``, ``GroupNorm``,
``RMSNorm``, ``LocalResponseNorm``.

Defaults are PyTorch's: weight = 1, bias = 0, running_mean = 0, running_var = 1.
"""
import numpy as np

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor
from ...backend import get_default_dtype
from ..functional.norm import batch_norm, group_norm, instance_norm, layer_norm, local_response_norm, rms_norm
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d", "RMSNorm", "LocalResponseNorm"]


def _dtype(dtype):
    return np.dtype(dtype) if dtype is not None else get_default_dtype()


def _affine(module, affine, bias, n, dtype):
    """weight = 1 and (unless bias=False) bias = 0, of shape (n,); None when not affine."""
    if affine:
        module.weight = Parameter(np.ones(n, dtype=dtype))
        if bias:
            module.bias = Parameter(np.zeros(n, dtype=dtype))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def _reset_affine(module):
    with no_grad():
        if module.weight is not None:
            module.weight.array[...] = 1
        if module.bias is not None:
            module.bias.array[...] = 0


class _BatchNorm(Module):
    """Shared state and forward of the batch norm layers; subclasses say which input ranks they take."""

    _ranks = ()
    _dims = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        dtype = _dtype(dtype)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine(self, affine, bias, num_features, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.array[...] = 0
                self.running_var.array[...] = 1
                self.num_batches_tracked.array[...] = 0

    def reset_parameters(self):
        """Reset the running statistics, and weight = 1, bias = 0."""
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, input):
        name = type(self).__name__
        if not isinstance(input, Tensor) or input.ndim not in self._ranks:
            got = f"{input.ndim}D input of shape {tuple(input.shape)}" if isinstance(input, Tensor) else type(input).__name__
            raise ValueError(f"{name}: expected {' or '.join(f'{r}D' for r in self._ranks)} input {self._dims} "
                             f"(got {got})")
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"{name}: expected input with {self.num_features} channels in dim 1 "
                               f"{self._dims}, got shape {tuple(input.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            nbt = self.num_batches_tracked
            with no_grad():
                nbt.add_(1)  # (an in-place op, so that a compiled step counts too)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(nbt.array)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                          self.weight, self.bias, use_batch, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) or (N, C, L) input: per channel, normalize with the batch
    statistics in training (updating running_mean/var with ``momentum``; None: cumulative average)
    and with the running statistics in eval mode; then y = x̂ · weight + bias (``affine``; the
    keyword ``bias=False`` drops the bias).

    Shape: (N, C) or (N, C, L) -> same shape.
    """

    _ranks = (2, 3)
    _dims = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization over (N, C, H, W) input, per channel (see ``BatchNorm1d``).

    Shape: (N, C, H, W) -> same shape.
    """

    _ranks = (4,)
    _dims = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalization over (N, C, D, H, W) input, per channel (see ``BatchNorm1d``).

    Shape: (N, C, D, H, W) -> same shape.
    """

    _ranks = (5,)
    _dims = "(N, C, D, H, W)"


class _InstanceNorm(_BatchNorm):
    """Shared forward of the instance norm layers: ``_ranks`` are (unbatched, batched)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
                 device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input):
        name = type(self).__name__
        if not isinstance(input, Tensor) or input.ndim not in self._ranks:
            got = f"{input.ndim}D input of shape {tuple(input.shape)}" if isinstance(input, Tensor) else type(input).__name__
            raise ValueError(f"{name}: expected {self._ranks[0]}D (unbatched) or {self._ranks[1]}D (batched) input "
                             f"{self._dims} (got {got})")
        batched = input.ndim == self._ranks[1]
        x = input if batched else input.unsqueeze(0)
        if x.shape[1] != self.num_features and self.affine:
            raise ValueError(f"{name}: expected input's size at dim={1 if batched else 0} to match num_features "
                             f"({self.num_features}), but got: {x.shape[1]} (input shape {tuple(input.shape)})")
        use_input_stats = self.training or not self.track_running_stats
        y = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_input_stats,
                          self.momentum if self.momentum is not None else 0.0, self.eps)
        return y if batched else y.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization: each sample's channel normalized over its length (affine and
    running statistics off by default).

    Args:
        num_features: C. eps: added to the variance (1e-5). momentum: running statistics' blend (0.1).
        affine: learn a per-channel weight and bias (default False).
        track_running_stats: keep running statistics, used in eval mode (default False).

    Shape: (N, C, L) or (C, L) -> same shape.
    """

    _ranks = (2, 3)
    _dims = "(N, C, L) or (C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or (C, H, W) input (see ``InstanceNorm1d``).

    Shape: (N, C, H, W) or (C, H, W) -> same shape.
    """

    _ranks = (3, 4)
    _dims = "(N, C, H, W) or (C, H, W)"


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or (C, D, H, W) input (see ``InstanceNorm1d``).

    Shape: (N, C, D, H, W) or (C, D, H, W) -> same shape.
    """

    _ranks = (4, 5)
    _dims = "(N, C, D, H, W) or (C, D, H, W)"


class LayerNorm(Module):
    """Layer normalization over the last dims given by ``normalized_shape``, with an elementwise
    affine (weight = 1, bias = 0 at init; ``bias=False`` drops the bias).

    Shape: (*, *normalized_shape) -> same shape.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = _dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self):
        """weight = 1, bias = 0."""
        _reset_affine(self)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalization: the channels are split into ``num_groups`` groups, each normalized
    over its channels and positions; then a per-channel affine (weight = 1, bias = 0 at init).

    Shape: (N, C, *) -> same shape.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        dtype = _dtype(dtype)
        _affine(self, affine, bias, num_channels, dtype)

    def reset_parameters(self):
        """weight = 1, bias = 0."""
        _reset_affine(self)

    def forward(self, input):
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise RuntimeError(f"GroupNorm: expected input with at least 2 dims (N, C, *) and "
                               f"{self.num_channels} channels, got shape {tuple(input.shape)}")
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self.bias is not None}"


class RMSNorm(Module):
    """Root-mean-square normalization over the last dims given by ``normalized_shape``:
    y = x / √(mean(x²) + eps) · weight (weight = 1 at init).

    Args:
        normalized_shape: the trailing shape normalized over. eps: added to the mean square (None:
            the input dtype's machine epsilon). elementwise_affine: learn ``weight`` (default True).

    Shape: (*, *normalized_shape) -> same shape.
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=_dtype(dtype)))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        """weight = 1."""
        if self.weight is not None:
            with no_grad():
                self.weight.array[...] = 1

    def forward(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(Module):
    """Local response normalization across channels: x / (k + alpha · mean of x² over ``size``
    neighbouring channels)^beta.

    Args:
        size: channels in each window. alpha (1e-4), beta (0.75), k (1): the formula's constants.

    Shape: (N, C, *) -> same shape.
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
