"""nn.functional: ``interpolate`` (``upsample``, ``upsample_nearest``, ``upsample_bilinear``).

Every mode but 'area' is separable and linear in the input: along each spatial dim the output is
a fixed (out, in) matrix times the input, built here from PyTorch's index and weight rules
(nearest, nearest-exact, linear, cubic with A = -0.75, and the antialiasing filters). Resizing is
then one matrix product per spatial dim, so the gradient is the transposed product and every
order of derivative comes from ``matmul``. 'area' is adaptive average pooling.
"""
import math
import warnings

import numpy as np

from ...autograd.tensor import Tensor, wrap_array

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def _scale(in_size, out_size, align_corners, scale_factor):
    """area_pixel_compute_scale: the input step per output step."""
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    return 1.0 / scale_factor if scale_factor is not None and scale_factor > 0 else in_size / out_size


def _nearest_matrix(in_size, out_size, scale_factor, exact):
    # PyTorch computes these indices in float32 (floorf(dst * scale)); so does this
    scale = np.float32(1.0 / scale_factor if scale_factor is not None and scale_factor > 0 else in_size / out_size)
    dst = np.arange(out_size, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0))
    src = np.minimum(np.floor(dst * scale).astype(np.int64), in_size - 1)
    m = np.zeros((out_size, in_size))
    m[np.arange(out_size), src] = 1
    return m


def _linear_matrix(in_size, out_size, align_corners, scale_factor):
    scale = _scale(in_size, out_size, align_corners, scale_factor)
    dst = np.arange(out_size, dtype=np.float64)
    src = scale * dst if align_corners else np.maximum(scale * (dst + 0.5) - 0.5, 0.0)
    i0 = np.minimum(src.astype(np.int64), in_size - 1)
    lam = src - i0
    i1 = i0 + (i0 < in_size - 1)
    m = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    np.add.at(m, (rows, i0), 1 - lam)
    np.add.at(m, (rows, i1), lam)
    return m


def _cubic(x, a):
    """Keys' cubic convolution kernel at distance |x|."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def _cubic_matrix(in_size, out_size, align_corners, scale_factor):
    scale = _scale(in_size, out_size, align_corners, scale_factor)
    dst = np.arange(out_size, dtype=np.float64)
    src = scale * dst if align_corners else scale * (dst + 0.5) - 0.5
    i0 = np.floor(src).astype(np.int64)
    t = src - i0
    m = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    for k, w in zip(range(-1, 3), (_cubic(t + 1, -0.75), _cubic(t, -0.75), _cubic(1 - t, -0.75), _cubic(2 - t, -0.75))):
        np.add.at(m, (rows, np.clip(i0 + k, 0, in_size - 1)), w)
    return m


def _antialias_matrix(in_size, out_size, align_corners, scale_factor, cubic):
    """The antialiasing resampling weights (PyTorch's _compute_weights_aa): a triangle (bilinear)
    or Keys' cubic with a = -0.5 (bicubic), stretched by the scale when downsampling, each row
    normalized to sum to 1."""
    interp = 4 if cubic else 2
    scale = _scale(in_size, out_size, align_corners, scale_factor)
    support = interp * 0.5 * scale if scale >= 1 else interp * 0.5
    invscale = 1.0 / scale if scale >= 1 else 1.0
    m = np.zeros((out_size, in_size))
    for i in range(out_size):
        center = scale * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        x = (np.arange(lo, hi) - center + 0.5) * invscale
        w = _cubic(x, -0.5) if cubic else np.maximum(1 - np.abs(x), 0.0)
        total = w.sum()
        m[i, lo:hi] = w / total if total != 0 else w
    return m


def _matrix(mode, in_size, out_size, align_corners, scale_factor, antialias):
    if mode in ("nearest", "nearest-exact"):
        return _nearest_matrix(in_size, out_size, scale_factor, mode == "nearest-exact")
    if antialias:
        return _antialias_matrix(in_size, out_size, align_corners, scale_factor, mode == "bicubic")
    if mode == "bicubic":
        return _cubic_matrix(in_size, out_size, align_corners, scale_factor)
    return _linear_matrix(in_size, out_size, align_corners, scale_factor)


def _resize(x, matrices):
    """x with spatial dim d (axis 2 + d) multiplied by matrices[d] (out_d, in_d)."""
    for d, m in enumerate(matrices):
        if m is None:
            continue
        axis = 2 + d
        mt = wrap_array(np.ascontiguousarray(m.T).astype(x.dtype))
        x = (x.transpose(axis, -1) @ mt).transpose(axis, -1)
    return x


def _sizes(input, size, scale_factor, recompute_scale_factor, mode):
    """(output sizes, scale factors to use in the index rules or None per dim)."""
    dim = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an explicit size.")
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(f"interpolate: Input and output must have the same number of spatial dimensions, but "
                                 f"got input with spatial dimensions of {list(input.shape[2:])} and output size of "
                                 f"{size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                                 "size in (o1, o2, ...,oK) format.")
            if not all(isinstance(s, (int, np.integer)) for s in size):
                raise TypeError(f"interpolate: expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            out = [int(s) for s in size]
        else:
            out = [int(size)] * dim
        return out, [None] * dim
    if scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(f"interpolate: Input and scale_factor must have the same number of spatial dimensions, "
                             f"but got input with spatial dimensions of {list(input.shape[2:])} and scale_factor of "
                             f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                             "and scale_factor in (s1, s2, ...,sK) format.")
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * dim
    out = [int(math.floor(n * s)) for n, s in zip(input.shape[2:], scales)]
    if recompute_scale_factor or mode == "area":
        return out, [None] * dim
    return out, scales


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of ``input`` to ``size`` or by ``scale_factor``.

    Args:
        mode: 'nearest' (floor(dst·scale), as PyTorch), 'nearest-exact' (rounds to the nearest
            pixel centre), 'linear' (3-d), 'bilinear' / 'bicubic' (4-d), 'trilinear' (5-d), 'area'.
        align_corners: for the interpolating modes: map the corner pixels' centres onto each
            other (True) or the corners of the image (False, the default).
        recompute_scale_factor: compute the index rules from the output size rather than from
            the given scale factor (they differ when in·scale is not an integer).
        antialias: for 'bilinear'/'bicubic' on 4-d inputs: low-pass filter when downsampling.

    Shape: (N, C, L), (N, C, H, W) or (N, C, D, H, W) -> the same with the new spatial sizes.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be a Tensor, not {type(input).__name__}")
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{input.ndim}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | "
                                  f"area | nearest-exact (got {mode})")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if input.ndim not in (3, 4, 5):
        raise NotImplementedError(f"interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{input.ndim}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | "
                                  f"area | nearest-exact (got {mode})")
    if mode in _RANK and input.ndim != _RANK[mode]:
        raise NotImplementedError(f"interpolate: Got {input.ndim}D input, but {mode} mode needs {_RANK[mode]}D input")
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError("interpolate: Anti-alias option is restricted to bilinear and bicubic modes and requires a "
                         "4-D tensor as input")
    if input.dtype.kind != "f":
        raise RuntimeError(f"interpolate: expected a floating point input, got {input.dtype}; use x.float()")
    out, scales = _sizes(input, size, scale_factor, recompute_scale_factor, mode)
    if min(out) <= 0 or min(input.shape[2:]) <= 0:
        raise RuntimeError(f"interpolate: input {list(input.shape[2:])} and output {out} sizes should be greater "
                           "than 0")
    if mode == "area":
        from .pool import adaptive_avg_pool1d, adaptive_avg_pool2d
        from .pool_nd import adaptive_avg_pool3d
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[input.ndim - 3](input, out)
    matrices = []
    for n, o, s in zip(input.shape[2:], out, scales):
        identity = n == o and mode in ("nearest", "nearest-exact") and s in (None, 1.0)
        matrices.append(None if identity else _matrix(mode, n, o, align_corners, s, antialias))
    if all(m is None for m in matrices):
        return input * 1
    return _resize(input, matrices)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (warns, as PyTorch)."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
