"""nn.functional: dropout (random zeroing with 1/(1-p) rescaling, in training mode only).

The masks come from glassgrad's default generator (``glassgrad.manual_seed`` makes them repeat),
or from ``generator=`` when given.
"""
import warnings

import numpy as np

from ... import backend
from ...autograd.function import Function
from ...autograd.tensor import wrap_array
from ...ops.tensor_methods import inplace_method
from ...random import rng_of

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


def _check_p(p, name):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")


class _Masked(Function):
    """y = x·m (m a given mask, no gradient);  dx = dy·m. Only the mask is saved, so an in-place
    op may overwrite x."""

    @staticmethod
    def forward(ctx, x, mask):
        ctx.save_for_backward(mask)
        return x.array * mask.array

    @staticmethod
    def backward(ctx, dy):
        (mask,) = ctx.saved_tensors
        return dy * mask, None


class _Dropout(Function):
    """y = x·m with m = keep / (1 - p), keep ~ Bernoulli(1 - p) drawn in ``mask_shape`` (broadcast
    over x), m = 0 when p = 1;  dx = dy·m. The mask is drawn inside the op, so a replayed step
    (``glassgrad.compile``) draws a new one; only the mask is saved, so an in-place dropout may
    overwrite x."""

    @staticmethod
    def forward(ctx, x, mask_shape, p, generator):
        array = x.array
        if p == 1.0:
            mask = np.zeros(mask_shape, dtype=array.dtype)
        else:
            keep = rng_of(generator).random(mask_shape) >= p
            mask = keep.astype(array.dtype) * array.dtype.type(1.0 / (1.0 - p))
        mask = backend.move(mask, backend.device_of(array))
        ctx.save_for_backward(mask)
        return array * mask

    @staticmethod
    def backward(ctx, dy):
        (mask,) = ctx.saved_tensors
        return dy * mask, None, None, None


def _apply_mask(input, mask_shape, p, inplace, generator):
    if inplace:
        return inplace_method(_Dropout.apply, "dropout_")(input, tuple(mask_shape), p, generator)
    return _Dropout.apply(input, tuple(mask_shape), p, generator)


def dropout(input, p=0.5, training=True, inplace=False, generator=None):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) when ``training``;
    the identity otherwise.

    Shape: any; output has the input's shape."""
    _check_p(p, "dropout")
    if not training or p == 0.0:
        return input
    return _apply_mask(input, input.shape, p, inplace, generator)


def _feature_dropout(input, p, training, inplace, generator, name, spatial):
    _check_p(p, name)
    if not training or p == 0.0:
        return input
    batched = input.ndim == spatial + 2
    if not (batched or input.ndim == spatial + 1):
        raise RuntimeError(f"{name}: expected a {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input, "
                           f"got shape {tuple(input.shape)}")
    lead = 2 if batched else 1
    mask_shape = tuple(input.shape[:lead]) + (1,) * spatial
    return _apply_mask(input, mask_shape, p, inplace, generator)


def dropout1d(input, p=0.5, training=True, inplace=False, generator=None):
    """Zero whole channels (each (N, C) slice of an (N, C, L) input) with probability ``p``,
    scaling the rest by 1/(1-p), when ``training``.

    Shape: (N, C, L) or (C, L); output has the input's shape."""
    return _feature_dropout(input, p, training, inplace, generator, "dropout1d", 1)


def dropout2d(input, p=0.5, training=True, inplace=False, generator=None):
    """Zero whole channels (each (n, c) feature map of an (N, C, H, W) input) with probability
    ``p``, scaling the rest by 1/(1-p), when ``training``. A 3-D input is read as (N, C, L), as
    PyTorch does (with its warning); use dropout1d for that.

    Shape: (N, C, H, W) or (N, C, L); output has the input's shape."""
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                      "dim. Use dropout1d for this behavior.", stacklevel=2)
        return _feature_dropout(input, p, training, inplace, generator, "dropout2d", 1)
    if input.ndim != 4:
        _check_p(p, "dropout2d")
        raise RuntimeError(f"dropout2d: expected a 4D input (N, C, H, W), got shape {tuple(input.shape)}")
    return _feature_dropout(input, p, training, inplace, generator, "dropout2d", 2)


def dropout3d(input, p=0.5, training=True, inplace=False, generator=None):
    """Zero whole channels (each (n, c) volume of an (N, C, D, H, W) input) with probability ``p``,
    scaling the rest by 1/(1-p), when ``training``.

    Shape: (N, C, D, H, W) or (C, D, H, W); output has the input's shape."""
    return _feature_dropout(input, p, training, inplace, generator, "dropout3d", 3)


# SELU's negative saturation value, -scale·alpha: a dropped unit is set to it
_ALPHA = 1.7580993408473766


def _alpha_mask(input, mask_shape, p, inplace, generator):
    """y = a·(x·keep - α·(1 - keep)) + α·a·p, the affine map a, b that keeps zero mean and unit
    variance (Klambauer et al.)."""
    array = input.array
    if p == 1.0:
        return input.mul_(0.0) if inplace else input * 0.0
    keep = (rng_of(generator).random(mask_shape) >= p).astype(array.dtype)
    a = 1.0 / np.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    scale = wrap_array(backend.move(keep * array.dtype.type(a), backend.device_of(array)))
    shift = wrap_array(backend.move(((keep - 1) * (_ALPHA * a) + _ALPHA * a * p).astype(array.dtype),
                                    backend.device_of(array)))
    if inplace:
        return inplace_method(lambda x, m, b: _Masked.apply(x, m) + b, "alpha_dropout_")(input, scale, shift)
    return _Masked.apply(input, scale) + shift


def alpha_dropout(input, p=0.5, training=False, inplace=False, generator=None):
    """Dropout for SELU networks: when ``training``, each element is set with probability ``p`` to
    SELU's saturation value, then all are mapped by the affine a·x + b that keeps the input's
    mean 0 and variance 1. The identity otherwise (``training`` defaults to False, as PyTorch's).

    Shape: any; output has the input's shape."""
    _check_p(p, "alpha_dropout")
    if not training or p == 0.0:
        return input
    return _alpha_mask(input, input.shape, p, inplace, generator)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False, generator=None):
    """``alpha_dropout`` of whole channels: one draw per (n, c) of an (N, C, *) input.

    Shape: (N, C, *); output has the input's shape."""
    _check_p(p, "feature_alpha_dropout")
    if not training or p == 0.0:
        return input
    if input.ndim < 2:
        raise RuntimeError(f"feature_alpha_dropout: expected an input of at least 2 dims (N, C, *), got shape "
                           f"{tuple(input.shape)}")
    return _alpha_mask(input, tuple(input.shape[:2]) + (1,) * (input.ndim - 2), p, inplace, generator)
