"""Small readings of a run's records shared by the doctor's rules: the loss's level at the start and
the end, the layers in forward order, a figure's value across layers."""
import math
import statistics

__all__ = ["ends", "relative_decrease", "weighted_layers", "hidden_linear_layers", "median_over_steps",
           "finite"]


def finite(values):
    """The finite values of a list."""
    return [v for v in values if v is not None and math.isfinite(v)]


def ends(values, share=0.2):
    """Medians of the first and last ``share`` of ``values`` (at least one value each)."""
    k = max(1, int(len(values) * share))
    return statistics.median(values[:k]), statistics.median(values[-k:])


def relative_decrease(values):
    """(first - last) / |first| of the medians of the first and last fifths; None without values."""
    vals = finite(values)
    if len(vals) < 2:
        return None
    first, last = ends(vals)
    if first == 0:
        return 0.0
    return (first - last) / abs(first)


def weighted_layers(run):
    """Names of the layers that hold parameters, in forward order."""
    return [e["name"] for e in run.meta.get("layers", []) if e["params"]]


def hidden_linear_layers(run):
    """Linear/convolution layers (weights of 2+ dims), in forward order."""
    return [e["name"] for e in run.meta.get("layers", [])
            if e["params"] and (e["type"].startswith("Linear") or e["type"].startswith("Conv"))]


def median_over_steps(run, layer, field):
    """The median of one layer's figure over the recorded steps (None when never recorded)."""
    _, vals = run.series(layer, field)
    vals = finite(vals)
    return statistics.median(vals) if vals else None
