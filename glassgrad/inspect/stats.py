"""Summary statistics of NumPy arrays that the monitor records: norms, moments, histograms, and
which units of an activation fired or sat at a limit."""
import math

import numpy as np

from . import thresholds as T

# activation modules by family: what "dead" and "saturated" mean for their outputs
RELU_FAMILY = ("ReLU", "ReLU6")
SATURATING = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0), "Hardtanh": (-1.0, 1.0), "Hardsigmoid": (0.0, 1.0)}


def sq_norm(a):
    """Σ a² as a Python float (float64 accumulation; inf/nan pass through)."""
    flat = a.reshape(-1)
    if flat.dtype.kind not in "fc":
        flat = flat.astype(np.float64)
    return float(np.dot(flat, flat))


def sample(a, limit=T.HIST_SAMPLE):
    """At most ``limit`` values of ``a``: an evenly strided subset (no copy when contiguous)."""
    flat = a.reshape(-1)
    step = max(1, flat.size // limit)
    return flat[::step][:limit]


def histogram(a, bins=T.HIST_BINS):
    """(counts, edges) of the finite values of a sample of ``a``; None when there are none.

    The same bins and counts as ``np.histogram(s, bins, range=(s.min(), s.max()))``, computed
    directly: the monitor takes a dozen histograms per recorded step, and NumPy's general version
    spends most of its time on checks these samples do not need."""
    s = sample(a).astype(np.float64)
    finite = np.isfinite(s)
    if not finite.all():
        s = s[finite]
    if s.size == 0:
        return None
    lo, hi = float(s.min()), float(s.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    index = ((s - lo) * (bins / (hi - lo))).astype(np.intp)
    np.minimum(index, bins - 1, out=index)  # the maximum belongs to the last (closed) bin
    # the scaled index can be off by one next to an edge: settle by comparing with the edges
    index -= s < edges[index]
    index += (s >= edges[index + 1]) & (index != bins - 1)
    return np.bincount(index, minlength=bins).astype(np.int64), edges


def moments(a):
    """mean, std and RMS of ``a`` (from a sample for big arrays), and whether it is all finite."""
    s = sample(a, 65536)
    if s.size == 0:
        return {"mean": 0.0, "std": 0.0, "rms": 0.0, "finite": True}
    if s.dtype.kind != "f":
        s = s.astype(np.float64)
    mean, ms = float(s.mean(dtype=np.float64)), float(np.dot(s, s)) / s.size
    if not math.isfinite(ms):  # a non-finite value, or float32 squares past 3e38
        finite = bool(np.isfinite(s).all())
        s = s.astype(np.float64)
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
    s = sample(a, 65536)
    return math.sqrt(sq_norm(s) / s.size) if s.size else 0.0


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
