"""Histograms of weights, gradients and activations per layer at chosen steps (one panel per layer,
the chosen steps overlaid)."""
import math

import numpy as np

from .figures import COLORS, new_figure, to_svg

__all__ = ["histogram_steps", "histograms_svg", "KINDS"]

KINDS = (("weight", "weights"), ("grad", "gradients"), ("activation", "activations"))
_COLS = 4


def histogram_steps(run, wanted=None, count=3):
    """The steps to show: each of ``wanted`` replaced by the nearest step with histograms, or by
    default ``count`` steps spread over the run (first, middle, last)."""
    have = sorted({s for entries in run.hist.values() for s, _, _ in entries})
    if not have:
        return []
    if wanted:
        chosen = {min(have, key=lambda s, w=w: (abs(s - w), s)) for w in wanted}
        return sorted(chosen)
    idx = np.unique(np.linspace(0, len(have) - 1, min(count, len(have))).round().astype(int))
    return [have[i] for i in idx]


def histograms_svg(run, kind, steps):
    """An SVG of ``kind``'s histograms ('weight', 'grad' or 'activation'), one panel per layer with
    ``steps`` overlaid; None when the run has none of that kind."""
    order = {n: i for i, n in enumerate(run.layer_names())}
    layers = sorted((layer for k, layer in run.hist if k == kind), key=lambda n: (order.get(n, len(order)), n))
    if not layers or not steps:
        return None
    from matplotlib.ticker import MaxNLocator
    rows = math.ceil(len(layers) / _COLS)
    height = 0.5 + 1.6 * rows
    fig = new_figure(10.5, height)
    fig.subplots_adjust(left=0.03, right=0.99, bottom=0.35 / height, top=1 - 0.45 / height, wspace=0.12,
                        hspace=0.55)
    axes = fig.subplots(rows, _COLS, squeeze=False).reshape(-1)
    types = {e["name"]: e["type"] for e in run.meta.get("layers", [])}
    for ax, layer in zip(axes, layers):
        entries = {s: (c, e) for s, c, e in run.hist[(kind, layer)]}
        for i, step in enumerate(steps):
            if step in entries:
                counts, edges = entries[step]
                ax.stairs(np.asarray(counts, np.float64), np.asarray(edges, np.float64), color=COLORS[i % len(COLORS)],
                          linewidth=1.3, label=f"step {step}")
        ax.set_title(f"{layer} ({types.get(layer, '?')})", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.set_yticks([])
    for ax in axes[len(layers):]:
        ax.set_axis_off()
    handles, names = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, loc="upper right", ncols=len(steps), fontsize=8, frameon=False)
    return to_svg(fig)
