"""Summary statistics of NumPy arrays that the monitor records: norms, moments, histograms, and
which units of an activation fired or sat at a limit.

The per-step ones (``param_sums``, ``moments``, ``rms``, ``histogram``) run as one-pass Numba kernels
(``_stats_numba``) when Numba is installed and the arrays are float32/float64; otherwise, or with
``GLASSGRAD_FUSED=0`` (or ``stats.use_numba = False``), as NumPy passes giving the same figures to
float rounding (the histograms' bins and counts exactly)."""
import math

import numpy as np

from .. import backend
from . import thresholds as T

# activation modules by family: what "dead" and "saturated" mean for their outputs
RELU_FAMILY = ("ReLU", "ReLU6")
SATURATING = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0), "Hardtanh": (-1.0, 1.0), "Hardsigmoid": (0.0, 1.0)}

#: Whether the Numba kernels run (see the module's docstring; the tests switch it to run both paths).
use_numba = backend.FUSED_KERNELS
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_EMPTY = {dt: np.empty(0, dt) for dt in _KERNEL_DTYPES}
_ARANGE = {}  # bins -> np.arange(bins + 1) as float64: np.linspace's first step, kept


_numba_module = None


def _kernels(*arrays):
    """The Numba kernels when they can take ``arrays`` (all float32 or all float64), else None."""
    global _numba_module
    if not use_numba:
        return None
    dt = arrays[0].dtype
    if dt not in _KERNEL_DTYPES or any(x.dtype != dt for x in arrays[1:]):
        return None
    if _numba_module is None:
        from . import _stats_numba
        _numba_module = _stats_numba
    return _numba_module


def sq_norm(a):
    """Σ a² as a Python float (inf/nan pass through)."""
    flat = a.reshape(-1)
    if flat.dtype.kind not in "fc":
        flat = flat.astype(np.float64)
    return float(np.dot(flat, flat))


def param_sums(w, before=None, grad=None):
    """(Σw², Σu², Σg², Σg·u) of a parameter ``w``, its gradient ``grad`` and its update
    u = w - ``before`` as Python floats (0.0 for what is absent): one pass over the three arrays
    with the Numba kernel; with NumPy, u is computed into ``before`` (the caller's scratch copy)."""
    if before is not None and before.shape != w.shape:
        raise ValueError(f"param_sums: the weights before the step have shape {before.shape}, the weights "
                         f"{w.shape}; pass the snapshot of the same parameter")
    if grad is not None and grad.shape != w.shape:
        raise ValueError(f"param_sums: the gradient has shape {grad.shape}, the weights {w.shape}; "
                         "they must match")
    present = [x for x in (w, before, grad) if x is not None]
    K = _kernels(*present)
    if K is not None:
        empty = _EMPTY[w.dtype]
        flat = [x.reshape(-1) for x in present]
        b = flat[1] if before is not None else empty
        g = flat[-1] if grad is not None else empty
        return tuple(float(v) for v in K.param_sums(flat[0], b, g))
    w2 = sq_norm(w)
    u2 = g2 = gu = 0.0
    if before is not None:
        d = np.subtract(w, before, out=before)
        u2 = sq_norm(d)
    if grad is not None:
        g2 = sq_norm(grad)
        if before is not None:
            gu = float(np.dot(grad.reshape(-1), d.reshape(-1).astype(grad.dtype, copy=False)))
    return w2, u2, g2, gu


def _strided(a, limit):
    """(flat, step, count): ``a``'s sample is ``flat[::step][:count]``, at most ``limit`` values."""
    flat = a.reshape(-1)
    step = max(1, flat.size // limit)
    return flat, step, min(limit, -(-flat.size // step))


def sample(a, limit=T.HIST_SAMPLE):
    """At most ``limit`` values of ``a``: an evenly strided subset (no copy when contiguous)."""
    flat, step, count = _strided(a, limit)
    return flat[::step][:count]


def histogram(a, bins=T.HIST_BINS):
    """(counts, edges) of the finite values of a sample of ``a``; None when there are none.

    The same bins and counts as ``np.histogram(s, bins, range=(s.min(), s.max()))`` on the finite
    values ``s`` of ``sample(a)`` in float64, computed directly: the monitor takes a dozen histograms
    per recorded step, and NumPy's general version spends most of its time on checks these samples
    do not need."""
    flat, step, count = _strided(a, T.HIST_SAMPLE)
    K = _kernels(flat)
    if K is not None:
        counts, edges = np.empty(bins, np.int64), np.empty(bins + 1)
        found = K.histogram(flat, step, count, counts, edges)
        if found >= 0:
            return (counts, edges) if found else None
    s = flat[::step][:count].astype(np.float64)
    finite = np.isfinite(s)
    if not finite.all():
        s = s[finite]
    if s.size == 0:
        return None
    lo, hi = float(s.min()), float(s.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    edges = _edges(lo, hi, bins)
    index = ((s - lo) * (bins / (hi - lo))).astype(np.intp)
    np.minimum(index, bins - 1, out=index)  # the maximum belongs to the last (closed) bin
    # the scaled index can be off by one next to an edge: settle by comparing with the edges
    index -= s < edges[index]
    index += (s >= edges[index + 1]) & (index != bins - 1)
    return np.bincount(index, minlength=bins).astype(np.int64), edges


def _edges(lo, hi, bins):
    """``np.linspace(lo, hi, bins + 1)``, bit for bit, without its argument handling."""
    width = (hi - lo) / bins
    if width == 0 or not math.isfinite(width):  # (denormal or overflowing spans: linspace's own branches)
        return np.linspace(lo, hi, bins + 1)
    steps = _ARANGE.get(bins)
    if steps is None:
        steps = _ARANGE[bins] = np.arange(bins + 1, dtype=np.float64)
    edges = steps * width
    edges += lo
    edges[-1] = hi
    return edges


def moments(a):
    """mean, std and RMS of ``a`` (from a sample for big arrays), and whether it is all finite."""
    flat, step, count = _strided(a, 65536)
    if count == 0:
        return {"mean": 0.0, "std": 0.0, "rms": 0.0, "finite": True}
    K = _kernels(flat)
    with np.errstate(over="ignore", invalid="ignore"):  # (overflow is handled below)
        if K is not None:
            total, squares = K.sums(flat, step, count)
            mean, ms = total / count, squares / count
        else:
            s = flat[::step][:count]
            if s.dtype.kind != "f":
                s = s.astype(np.float64)
            mean, ms = float(s.mean(dtype=np.float64)), float(np.dot(s, s)) / s.size
        if not (math.isfinite(ms) and math.isfinite(mean)):  # a non-finite value, or squares past the range
            s = flat[::step][:count].astype(np.float64)
            finite = bool(np.isfinite(s).all())
            ms = float(np.dot(s, s)) / s.size
            return {"mean": mean, "std": math.sqrt(max(ms - mean * mean, 0.0)) if finite else math.nan,
                    "rms": math.sqrt(ms) if finite else math.nan, "finite": finite}
    return {"mean": mean, "std": math.sqrt(max(ms - mean * mean, 0.0)), "rms": math.sqrt(ms), "finite": True}


def unit_axis_view(a):
    """``a`` as (samples, units): units are the features of (N, C) and the channels of (N, C, ...)."""
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    if a.ndim == 2:
        return a
    n, c = a.shape[:2]
    return np.moveaxis(a.reshape(n, c, -1), 1, 2).reshape(-1, c)


def active_units(a):
    """Per unit: whether it was nonzero for any sample of ``a`` (ReLU family)."""
    return (unit_axis_view(a) != 0).any(axis=0)


def saturated_share(a, limits):
    """Share of the outputs (all samples and units) within ``SATURATION_EPS`` of a limit."""
    s = sample(a, 65536)
    if s.size == 0:
        return 0.0
    lo, hi = limits
    return float(((s <= lo + T.SATURATION_EPS) | (s >= hi - T.SATURATION_EPS)).mean())


def signal(a):
    """How much ``a`` varies with the input: the mean over units of the std across samples (from
    an even subset of at most ``SIGNAL_SAMPLES`` samples and ``SIGNAL_UNITS`` units)."""
    u = unit_axis_view(a)
    if u.shape[0] < 2:
        return None
    u = u[::max(1, u.shape[0] // T.SIGNAL_SAMPLES), ::max(1, u.shape[1] // T.SIGNAL_UNITS)]
    return float(u.std(axis=0, dtype=np.float64).mean())


def rms(a):
    """The root mean square of ``a`` (from a sample for big arrays)."""
    flat, step, count = _strided(a, 65536)
    if count == 0:
        return 0.0
    K = _kernels(flat)
    if K is not None:
        return math.sqrt(float(K.sums(flat, step, count)[1]) / count)
    return math.sqrt(sq_norm(flat[::step][:count]) / count)


def row_spread(w):
    """Spread of a weight's output units: the largest std across rows (units) of any column, relative
    to the weights' RMS. 0 when every unit starts with the same weights."""
    if w.ndim < 2 or w.shape[0] < 2:
        return None
    rows = w.reshape(w.shape[0], -1).astype(np.float64)
    scale = math.sqrt(float(np.mean(rows * rows)))
    if scale == 0:
        return 0.0
    return float(rows.std(axis=0).max() / scale)
