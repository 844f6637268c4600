"""``image_maps``: one attribution map per image, normalized for display as Captum's
``visualize_image_attr`` does (sum over channels, sign, scale by the value below which
100 − outlier_perc % of the total lies, clip)."""
import numpy as np

from ...autograd.tensor import Tensor
from .gradients import InputXGradient, Saliency
from .integrated_gradients import IntegratedGradients
from .noise_tunnel import NoiseTunnel
from .occlusion import Occlusion

__all__ = ["image_maps", "normalize_map", "MAP_METHODS", "SIGNS"]

MAP_METHODS = ("integrated_gradients", "saliency", "input_x_gradient", "smoothgrad", "occlusion")
SIGNS = ("absolute_value", "all", "positive", "negative")


def normalize_map(attr, sign="absolute_value", outlier_perc=2):
    """A 2-D attribution map (H, W) scaled to [0, 1] ([-1, 1] for ``sign='all'``, [-1, 0] for
    ``negative``): divided by the value at which the sorted magnitudes' cumulative sum reaches
    100 − ``outlier_perc`` % of the total, then clipped (the brightest outliers saturate). An all-zero
    map stays zero."""
    if sign not in SIGNS:
        raise ValueError(f"normalize_map: sign must be one of {', '.join(SIGNS)}, got {sign!r}")
    if not 0 <= outlier_perc <= 100:
        raise ValueError(f"normalize_map: outlier_perc must be in [0, 100], got {outlier_perc!r}")
    a = np.asarray(attr, dtype=np.float64)
    if sign == "positive":
        a = np.maximum(a, 0)
    elif sign == "negative":
        a = np.minimum(a, 0)
    elif sign == "absolute_value":
        a = np.abs(a)
    mags = np.sort(np.abs(a).reshape(-1))
    sums = np.cumsum(mags)
    if sums.size == 0 or sums[-1] == 0:
        return np.zeros_like(a)
    threshold = mags[np.nonzero(sums >= sums[-1] * 0.01 * (100.0 - outlier_perc))[0][0]]
    if sign == "negative":
        threshold = -threshold
    return np.clip(a / threshold, -1, 1)


def _attributions(model, x, targets, method, kwargs):
    if method == "integrated_gradients":
        return IntegratedGradients(model).attribute(x, target=targets, **kwargs)
    if method == "saliency":
        return Saliency(model).attribute(x, target=targets, **kwargs)
    if method == "input_x_gradient":
        return InputXGradient(model).attribute(x, target=targets, **kwargs)
    if method == "smoothgrad":
        spread = float((x.max() - x.min()).item())
        kw = {"nt_samples": 10, "stdevs": 0.15 * spread if spread > 0 else 0.15, **kwargs}
        return NoiseTunnel(Saliency(model)).attribute(x, nt_type="smoothgrad", target=targets, **kw)
    c, h, w = x.shape[1:]
    k = max(1, min(h, w) // 8)
    kw = {"sliding_window_shapes": (c, k, k), "strides": (c, max(1, k // 2), max(1, k // 2)), **kwargs}
    return Occlusion(model).attribute(x, target=targets, **kw)


def image_maps(model, images, targets, method="integrated_gradients", sign="absolute_value", outlier_perc=2,
               **kwargs):
    """Attribution maps of ``images`` (N, C, H, W) for the classes ``targets`` (an int for all, or one
    per image), as a NumPy array (N, H, W) normalized for display by ``normalize_map``.

    ``method``: ``integrated_gradients`` (zero baseline, 50 steps), ``saliency``,
    ``input_x_gradient``, ``smoothgrad`` (10 samples, noise 15% of the images' range) or ``occlusion``
    (a window of 1/8 of the smaller side, moved by half of it); other keyword arguments go to the
    method's ``attribute``. The model runs in eval mode here (its mode is restored afterwards).
    """
    if method not in MAP_METHODS:
        raise ValueError(f"image_maps: method must be one of {', '.join(MAP_METHODS)}, got {method!r}")
    if not isinstance(images, Tensor) or images.ndim != 4:
        shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
        raise ValueError(f"image_maps: images must be a Tensor (N, C, H, W), got {shape}")
    if isinstance(targets, Tensor):
        targets = [int(t) for t in targets.reshape(-1).tolist()]
    if isinstance(targets, (list, tuple)):
        targets = [int(t) for t in targets]
        if len(targets) == 1 and images.shape[0] > 1:
            targets = targets[0]
    modes = [(m, m.training) for m in model.modules()] if hasattr(model, "modules") else []
    if hasattr(model, "eval"):
        model.eval()
    try:
        attrs = _attributions(model, images, targets, method, kwargs)
    finally:
        for m, was_training in modes:
            m.training = was_training
    a = attrs.detach().numpy().sum(axis=1)
    return np.stack([normalize_map(m, sign, outlier_perc) for m in a])
