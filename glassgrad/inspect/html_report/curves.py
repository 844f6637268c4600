"""The training curves: the loss per step (and its running mean), the per-epoch losses and metrics
(train and validation), and the learning rate."""
import math

import numpy as np

from .figures import COLORS, new_figure, to_svg
from .marks import CURVES

__all__ = ["curves_svg", "metric_names"]

_NOT_METRICS = ("step", "loss", "lr", "lca_sum", "loss_change")


def metric_names(run):
    """The metrics recorded beside the loss (``accuracy``, ``val_loss``, ...), in first-seen order."""
    names = []
    for row in run.steps:
        for k, v in row.items():
            if k not in _NOT_METRICS and k not in names and isinstance(v, (int, float)):
                names.append(k)
    return names


def _finite_xy(steps, values):
    pairs = [(s, v) for s, v in zip(steps, values) if math.isfinite(v)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _running_mean(values, width):
    v = np.asarray(values, dtype=np.float64)
    if v.size < width or width < 2:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    head = c[1:width] / np.arange(1, width)
    return np.concatenate([head, (c[width:] - c[:-width]) / width])


def _mark(ax, marks):
    for m in marks:
        line = ax.axvline(m.step, color="#d62728", linestyle="--", linewidth=1.2)
        label = ax.annotate(str(m.number), (m.step, 1.0), xycoords=("data", "axes fraction"), ha="center",
                            va="bottom", fontsize=9, color="white", fontweight="bold",
                            bbox={"boxstyle": "circle,pad=0.25", "fc": "#d62728", "ec": "none"})
        for artist in (line, label):
            artist.set_url(f"#finding-{m.number}")
        label.set_gid(f"mark-{m.number}")


def curves_svg(run, marks=()):
    """An SVG of the loss, the other metrics and the learning rate (panels without data are left
    out); ``marks`` are the findings placed on the curves. None when the run has no finite loss."""
    steps, losses = _finite_xy(*run.losses())
    if not steps:
        return None
    metrics = metric_names(run)
    loss_like = [m for m in metrics if "loss" in m]
    others = [m for m in metrics if "loss" not in m]
    lr_steps, lrs = _finite_xy(*run.metric("lr"))
    panels = ["loss"] + (["metrics"] if others else []) + (["lr"] if lrs else [])
    width = 5.2 * len(panels)
    fig = new_figure(width, 3.3)
    fig.subplots_adjust(left=0.55 / width, right=1 - 0.1 / width, bottom=0.15, top=0.91, wspace=0.22)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    marks = [m for m in marks if m.chart == CURVES]
    for ax, panel in zip(axes, panels):
        if panel == "loss":
            width = max(1, len(losses) // 50)
            ax.plot(steps, losses, color=COLORS[0], alpha=0.3 if width > 1 else 1.0, linewidth=0.8 if width > 1 else 1.4,
                    label="loss (per step)")
            if width > 1:
                ax.plot(steps, _running_mean(losses, width), color=COLORS[0], linewidth=1.6,
                        label=f"loss (mean of {width} steps)")
            for i, name in enumerate(loss_like, 1):
                xs, ys = _finite_xy(*run.metric(name))
                ax.plot(xs, ys, "o-", color=COLORS[i % len(COLORS)], markersize=3, linewidth=1.4, label=name)
            if min(losses) > 0 and max(losses) / min(losses) > 30:
                ax.set_yscale("log")
            ax.set_title("loss")
            _mark(ax, marks)
        elif panel == "metrics":
            for i, name in enumerate(others):
                xs, ys = _finite_xy(*run.metric(name))
                ax.plot(xs, ys, "o-", color=COLORS[(i + 2) % len(COLORS)], markersize=3, linewidth=1.4, label=name)
            ax.set_title("metrics")
        else:
            ax.plot(lr_steps, lrs, color=COLORS[4], linewidth=1.4, label="learning rate")
            if min(lrs) > 0 and max(lrs) / min(lrs) > 10:
                ax.set_yscale("log")
            ax.set_title("learning rate")
        ax.set_xlabel("step")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="upper right" if panel == "loss" else "lower right" if panel == "metrics"
                  else "upper right")
    return to_svg(fig)
