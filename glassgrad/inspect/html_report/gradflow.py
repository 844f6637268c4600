"""Gradient flow as layer x step heat maps: gradient norms and update-to-weight ratios (log scale),
and the share of dead (ReLU family) or saturated (sigmoid, tanh, ...) units."""
import bisect
import math

import numpy as np

from .figures import new_figure, to_svg
from .marks import ACTIVITY, GRAD, UPDATE

__all__ = ["heatmap_rows", "heatmap_svg", "TITLES"]

TITLES = {GRAD: "gradient norm per layer (log10)", UPDATE: "update-to-weight ratio per layer (log10; ~-3 is typical)",
          ACTIVITY: "dead (ReLU family) or saturated (sigmoid, tanh) share of each layer's units"}
_NONFINITE = (0.85, 0.0, 0.85, 1.0)  # magenta: a NaN or Inf figure


def _layer_types(run):
    return {e["name"]: e["type"] for e in run.meta.get("layers", [])}


def heatmap_rows(run):
    """``{chart: [(layer, field), ...]}``: the rows each heat map has, layers in forward order."""
    names = run.layer_names()
    have = {}
    for r in run.layers:
        for field in ("grad_norm", "update_ratio", "dead_share", "saturated_share"):
            if r.get(field) is not None:
                have.setdefault(field, set()).add(r["layer"])
    rows = {GRAD: [(n, "grad_norm") for n in names if n in have.get("grad_norm", ())],
            UPDATE: [(n, "update_ratio") for n in names if n in have.get("update_ratio", ())],
            ACTIVITY: [(n, f) for n in names for f in ("dead_share", "saturated_share") if n in have.get(f, ())]}
    return {k: v for k, v in rows.items() if v}


def _matrix(run, rows):
    """(steps, values (rows x steps, NaN where missing), non-finite mask)."""
    steps = sorted({r["step"] for r in run.layers})
    col = {s: i for i, s in enumerate(steps)}
    row = {key: i for i, key in enumerate(rows)}
    values = np.full((len(rows), len(steps)), np.nan)
    bad = np.zeros(values.shape, dtype=bool)
    for r in run.layers:
        for field in {f for _, f in rows}:
            i = row.get((r["layer"], field))
            v = r.get(field)
            if i is None or v is None:
                continue
            if math.isfinite(v):
                values[i, col[r["step"]]] = v
            else:
                bad[i, col[r["step"]]] = True
    return steps, values, bad


def _norm(chart, shown):
    from matplotlib.colors import Normalize, TwoSlopeNorm
    finite = shown[np.isfinite(shown)]
    if chart == ACTIVITY:
        return Normalize(0.0, 1.0), "Reds", "share of units"
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    if chart == UPDATE:
        return TwoSlopeNorm(-3.0, min(lo, -4.0), max(hi, -2.0)), "RdBu_r", "log10(update / weight)"
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return Normalize(lo, hi), "viridis", "log10(gradient norm)"


def heatmap_svg(run, chart, rows, marks=()):
    """An SVG heat map of ``chart`` (GRAD, UPDATE or ACTIVITY) over ``rows`` (from ``heatmap_rows``);
    ``marks`` are the findings placed on it (a numbered circle linking to the finding)."""
    from matplotlib import colormaps
    steps, values, bad = _matrix(run, rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        shown = values if chart == ACTIVITY else np.where(values > 0, np.log10(values), np.nan)
    norm, cmap_name, label = _norm(chart, shown)
    cmap = colormaps[cmap_name].with_extremes(bad="#e6e6e6")
    types = _layer_types(run)
    labels = [f"{name} ({types.get(name, '?')})" + ("" if chart != ACTIVITY else
                                                    " dead" if field == "dead_share" else " saturated")
              for name, field in rows]
    width, height = 10.5, 1.3 + 0.24 * len(rows)
    left = (0.25 + 0.058 * max(len(s) for s in labels)) / width
    fig = new_figure(width, height)
    ax = fig.add_axes((left, 0.62 / height, 0.86 - left, 1 - 0.92 / height))
    cax = fig.add_axes((0.875, 0.62 / height, 0.012, 1 - 0.92 / height))
    im = ax.imshow(np.ma.masked_invalid(shown), aspect="auto", interpolation="nearest", cmap=cmap, norm=norm)
    if bad.any():
        overlay = np.zeros(bad.shape + (4,))
        overlay[bad] = _NONFINITE
        ax.imshow(overlay, aspect="auto", interpolation="nearest")
    fig.colorbar(im, cax=cax, label=label)
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ticks = np.unique(np.linspace(0, len(steps) - 1, min(len(steps), 10)).round().astype(int))
    ax.set_xticks(ticks, [str(steps[i]) for i in ticks])
    ax.set_xlabel("step" + ("   (grey: none recorded or zero; magenta: NaN/Inf)" if chart != ACTIVITY
                            else "   (grey: none recorded)"))
    ax.set_title(TITLES[chart], fontsize=10, loc="left")
    row_of = {name: i for i, (name, _) in enumerate(rows)}
    for m in marks:
        if m.chart != chart or m.layer not in row_of:
            continue
        x = max(0, bisect.bisect_right(steps, m.step) - 1)
        circle = ax.plot([x], [row_of[m.layer]], "o", markersize=15, markerfacecolor="none", markeredgecolor="#ff2020",
                         markeredgewidth=2.2)[0]
        text = ax.annotate(str(m.number), (x, row_of[m.layer]), xytext=(9, 6), textcoords="offset points",
                           fontsize=9, fontweight="bold", color="white",
                           bbox={"boxstyle": "circle,pad=0.2", "fc": "#ff2020", "ec": "none"})
        for artist in (circle, text):
            artist.set_url(f"#finding-{m.number}")
        text.set_gid(f"mark-{m.number}")
    return to_svg(fig)
