"""nn.functional: rearranging and resampling images (``pixel_shuffle``, ``pixel_unshuffle``,
``affine_grid``, ``grid_sample``), compositions of differentiable ops (reshapes, permutes,
gathers and arithmetic), so that gradients of any order come from those ops."""
import numpy as np

from ...autograd.tensor import Tensor, wrap_array
from ...ops.elementwise import abs as _abs
from ...ops.elementwise import clamp, floor_divide, remainder, where
from ...ops.shape import stack

__all__ = ["pixel_shuffle", "pixel_unshuffle", "affine_grid", "grid_sample"]


def _check_factor(op, name, r):
    if not isinstance(r, (int, np.integer)) or r <= 0:
        raise RuntimeError(f"{op}: expected {name} to be a positive integer, got {r!r}")


def pixel_shuffle(input, upscale_factor):
    """Rearrange (*, C·r², H, W) into (*, C, H·r, W·r): each group of r² channels becomes an r×r
    block of pixels (sub-pixel convolution).

    Shape: (*, C·r², H, W) -> (*, C, H·r, W·r)."""
    r = upscale_factor
    _check_factor("pixel_shuffle", "upscale_factor", r)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle: expected an input of at least 3 dims (*, C, H, W), got shape "
                           f"{tuple(input.shape)}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle: expected the channel dim ({c}, input shape {tuple(input.shape)}) to be "
                           f"divisible by the square of upscale_factor ({r * r})")
    n = len(lead)
    y = input.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """The inverse of ``pixel_shuffle``: each r×r block of pixels becomes r² channels.

    Shape: (*, C, H·r, W·r) -> (*, C·r², H, W)."""
    r = downscale_factor
    _check_factor("pixel_unshuffle", "downscale_factor", r)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle: expected an input of at least 3 dims (*, C, H, W), got shape "
                           f"{tuple(input.shape)}")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(f"pixel_unshuffle: expected the height ({h}) and width ({w}) of input "
                           f"{tuple(input.shape)} to be divisible by downscale_factor ({r})")
    n = len(lead)
    y = input.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)


# ---- affine grids and sampling -------------------------------------------------------------------
def _align_corners(op, align_corners):
    if align_corners is None:
        import warnings
        warnings.warn(f"{op}: default align_corners=False; pass align_corners explicitly (True or False) to "
                      "silence this warning", stacklevel=3)
        return False
    return bool(align_corners)


def _base_coords(n, align_corners, dtype):
    """The normalized [-1, 1] coordinates of the n pixel centres (align_corners=False) or of the
    first and last pixels' centres at ±1 (True)."""
    if n <= 1:
        return np.zeros(max(n, 0), dtype=dtype)
    if align_corners:
        return np.linspace(-1.0, 1.0, n, dtype=dtype)
    return ((np.arange(n, dtype=dtype) * 2 + 1) / n - 1).astype(dtype)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of an affine transform: for each output pixel the normalized input
    coordinates theta · (x, y, 1) (2-d) or theta · (x, y, z, 1) (3-d), for ``grid_sample``.

    Shape: theta (N, 2, 3) with size (N, C, H, W) -> (N, H, W, 2); theta (N, 3, 4) with size
    (N, C, D, H, W) -> (N, D, H, W, 3)."""
    align_corners = _align_corners("affine_grid", align_corners)
    size = tuple(int(s) for s in size)
    if not isinstance(theta, Tensor) or theta.dtype.kind != "f":
        raise TypeError(f"affine_grid: expected theta to be a floating point tensor, got "
                        f"{getattr(theta, 'dtype', type(theta).__name__)}")
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid: only 2-d (size of 4 numbers) and 3-d (size of 5 numbers) grids "
                                  f"exist, got size {list(size)}")
    nd = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (nd, nd + 1) or theta.shape[0] != size[0]:
        raise ValueError(f"affine_grid: expected a batch of {nd}D affine matrices of shape Nx{nd}x{nd + 1} for size "
                         f"{list(size)}, got {tuple(theta.shape)}")
    if min(size[2:]) <= 0:
        raise ValueError(f"affine_grid: expected non-zero, positive output size, got {list(size)}")
    if align_corners and min(size[2:]) == 1:
        import warnings
        warnings.warn("affine_grid: since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True", stacklevel=2)
    dtype = theta.dtype
    axes = [_base_coords(s, align_corners, dtype) for s in reversed(size[2:])]   # x (W), y (H), z (D)
    mesh = np.meshgrid(*reversed(axes), indexing="ij")                          # each (D?, H, W)
    base = np.stack(list(reversed(mesh)) + [np.ones_like(mesh[0])], axis=-1)  # (..., x, y, (z,) 1)
    base = wrap_array(base.reshape(1, -1, nd + 1))
    grid = base @ theta.transpose(1, 2)                                        # (N, L, nd)
    return grid.reshape((size[0],) + size[2:] + (nd,))


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, twice_low, twice_high):
    """``coord`` mirrored at low and high (given doubled, so that half-pixel bounds are integers)
    until it lies between them; the mirror count comes from the values, the rest is differentiable."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    dist = _abs(coord - low)
    flips = wrap_array(np.floor(dist.array / span).astype(coord.dtype))
    extra = dist - flips * span
    even = wrap_array(np.remainder(flips.array, 2) == 0)
    return where(even, extra + low, (span + low) - extra)


def _pad_coord(coord, size, padding_mode, align_corners):
    if padding_mode == "border":
        return clamp(coord, 0, size - 1)
    if padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
        return clamp(coord, 0, size - 1)
    return coord


def _gather(flat_input, index_parts, sizes, valid):
    """input values at integer positions (one array per spatial dim, each (N, *out)), zero where
    not ``valid``: (N, C, *out)."""
    n, c = flat_input.shape[:2]
    flat = np.zeros(index_parts[0].shape, dtype=np.int64)
    for idx, size in zip(index_parts, sizes):
        flat = flat * size + np.clip(idx, 0, size - 1)
    out_shape = flat.shape[1:]
    index = wrap_array(np.broadcast_to(flat.reshape(n, 1, -1), (n, c, flat[0].size)))
    vals = flat_input.gather(2, index).reshape((n, c) + out_shape)
    return vals if valid is None else vals * wrap_array(valid[:, None].astype(flat_input.dtype))


def _in_bounds(index_parts, sizes):
    ok = np.ones(index_parts[0].shape, dtype=bool)
    for idx, size in zip(index_parts, sizes):
        ok &= (idx >= 0) & (idx < size)
    return ok


def _cubic_weights(t):
    """Keys' cubic convolution weights (A = -0.75) of the taps at -1, 0, 1, 2 for fraction ``t``."""
    a = -0.75

    def near(x):   # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):    # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` at the normalized coordinates of ``grid`` ((-1, -1) the top-left corner,
    (1, 1) the bottom-right; x first): bilinear (trilinear for 5-d), nearest or bicubic (4-d), with
    zeros, border or reflection padding. Differentiable in the input and the grid.

    Shape: input (N, C, H, W) with grid (N, H_out, W_out, 2) -> (N, C, H_out, W_out);
    input (N, C, D, H, W) with grid (N, D_out, H_out, W_out, 3) -> (N, C, D_out, H_out, W_out)."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"grid_sample: nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
                         f"'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"grid_sample: nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', "
                         f"or 'reflection', but got: '{padding_mode}'")
    align_corners = _align_corners("grid_sample", align_corners)
    if input.ndim not in (4, 5) or grid.ndim != input.ndim or grid.shape[0] != input.shape[0] \
            or grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sample: expected a 4-d input (N, C, H, W) with a grid (N, H_out, W_out, 2) or a 5-d "
                           f"input (N, C, D, H, W) with a grid (N, D_out, H_out, W_out, 3), the same N; got input "
                           f"{tuple(input.shape)} and grid {tuple(grid.shape)}")
    if input.dtype != grid.dtype or input.dtype.kind != "f":
        raise RuntimeError(f"grid_sample: expected input and grid of the same floating dtype, got {input.dtype} and "
                           f"{grid.dtype}")
    if mode == "bicubic" and input.ndim != 4:
        raise RuntimeError("grid_sample: bicubic interpolation only supports 4D input")
    sizes = tuple(input.shape[2:])
    nd = len(sizes)
    n, c = input.shape[:2]
    flat_input = input.reshape(n, c, -1)
    parts = list(reversed(grid.unbind(-1)))            # one coordinate per spatial dim, (D,) H, W order
    coords = [_unnormalize(p, s, align_corners) for p, s in zip(parts, sizes)]
    if mode == "bicubic":
        return _bicubic(flat_input, coords, sizes, padding_mode, align_corners)
    coords = [_pad_coord(x, s, padding_mode, align_corners) for x, s in zip(coords, sizes)]
    if mode == "nearest":
        idx = [np.rint(x.array).astype(np.int64) for x in coords]
        return _gather(flat_input, idx, sizes, _in_bounds(idx, sizes))
    lows = [np.floor(x.array) for x in coords]
    fracs = [x - wrap_array(lo.astype(x.dtype)) for x, lo in zip(coords, lows)]
    lows = [lo.astype(np.int64) for lo in lows]
    out = None
    for corner in range(1 << nd):
        bits = [(corner >> (nd - 1 - d)) & 1 for d in range(nd)]
        idx = [lo + b for lo, b in zip(lows, bits)]
        weight = None
        for f, b in zip(fracs, bits):
            w = f if b else 1 - f
            weight = w if weight is None else weight * w
        term = _gather(flat_input, idx, sizes, _in_bounds(idx, sizes)) * weight.unsqueeze(1)
        out = term if out is None else out + term
    return out


def _bicubic(flat_input, coords, sizes, padding_mode, align_corners):
    """4×4 taps around each point with Keys' cubic weights; each tap's integer position gets the
    padding rule, then reads zero outside the input."""
    (y, x), (h, w) = coords, sizes
    y0, x0 = np.floor(y.array), np.floor(x.array)
    wy = _cubic_weights(y - wrap_array(y0.astype(y.dtype)))
    wx = _cubic_weights(x - wrap_array(x0.astype(x.dtype)))
    out = None
    for i in range(4):
        ty = _pad_tap(y0 - 1 + i, h, padding_mode, align_corners)
        for j in range(4):
            tx = _pad_tap(x0 - 1 + j, w, padding_mode, align_corners)
            idx = [ty, tx]
            term = _gather(flat_input, idx, sizes, _in_bounds(idx, sizes)) * (wy[i] * wx[j]).unsqueeze(1)
            out = term if out is None else out + term
    return out


def _pad_tap(pos, size, padding_mode, align_corners):
    """The padding rule applied to integer tap positions (arrays; no gradient flows here)."""
    if padding_mode == "zeros":
        return pos.astype(np.int64)
    t = _pad_coord(wrap_array(pos), size, padding_mode, align_corners).array
    return np.rint(t).astype(np.int64) if padding_mode == "reflection" else t.astype(np.int64)
