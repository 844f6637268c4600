"""Attribution maps of a few test images: the image, and which of its pixels drove the model's
prediction (``glassgrad.inspect.attribution.image_maps``), side by side."""
import numpy as np

from .figures import new_figure, to_svg

__all__ = ["attributions_svg"]


def _display(image):
    """(H, W) grey or (H, W, 3) colour in [0, 1] from a (C, H, W) or (H, W) image (C of 3 or more: the first
    three as RGB; 2: their mean)."""
    a = np.asarray(image, dtype=np.float64)
    if a.ndim == 3:
        a = a[0] if a.shape[0] == 1 else np.moveaxis(a[:3], 0, -1) if a.shape[0] >= 3 else a.mean(axis=0)
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def attributions_svg(attr):
    """An SVG of the recorded images (top row, with label and prediction) and their attribution maps
    (bottom row); ``attr`` is ``RunRecord.attributions``. None when there are none."""
    if not attr or len(attr.get("images", ())) == 0:
        return None
    images, maps = attr["images"], attr["maps"]
    labels, preds = attr["labels"], attr["preds"]
    n = len(images)
    width = max(4.0, 1.35 * n)
    fig = new_figure(width, 3.0)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.86, wspace=0.08, hspace=0.12)
    axes = fig.subplots(2, n, squeeze=False)
    signed = float(np.nanmin(maps)) < 0
    for i in range(n):
        shown = _display(images[i])
        # interpolation "none": the SVG holds each image's own pixels (not a resampled copy), drawn crisp
        axes[0, i].imshow(shown, cmap="gray" if shown.ndim == 2 else None, interpolation="none")
        ok = int(labels[i]) == int(preds[i])
        axes[0, i].set_title(f"label {int(labels[i])}\npred {int(preds[i])}", fontsize=8,
                             color="#1a7f1a" if ok else "#d62728")
        axes[1, i].imshow(maps[i], cmap="RdBu_r" if signed else "inferno", vmin=-1 if signed else 0, vmax=1,
                          interpolation="none")
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
    return to_svg(fig)
