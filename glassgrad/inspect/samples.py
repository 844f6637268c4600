"""``record_attributions``: keep a few test images with their attribution maps in a run, for the
report's attribution section (``attributions.npz`` in the run directory)."""
import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from .attribution import image_maps
from .monitor import Monitor

__all__ = ["record_attributions"]


def record_attributions(run, model, images, labels, method="integrated_gradients"):
    """Attribution maps of ``images`` (a Tensor (N, C, H, W)) for the classes ``model`` predicts,
    kept in ``run`` (a ``RunRecord``, or a ``Monitor`` already closed) with the true ``labels``;
    ``method`` is one of ``image_maps``'s. Returns the dict kept as ``run.attributions``:
    ``images``, ``maps`` (N, H, W), ``labels``, ``preds``, ``method``."""
    if isinstance(run, Monitor):
        if not run._closed:
            raise RuntimeError("record_attributions: close the monitor first (monitor.close()): its hooks would "
                               "record these forward passes as training steps")
        run = run.run
    if not isinstance(images, Tensor) or images.ndim != 4:
        shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
        raise ValueError(f"record_attributions: images must be a Tensor (N, C, H, W), got {shape}")
    labels = np.asarray(labels.numpy() if isinstance(labels, Tensor) else labels).reshape(-1).astype(np.int64)
    if labels.shape[0] != images.shape[0]:
        raise ValueError(f"record_attributions: {images.shape[0]} images but {labels.shape[0]} labels; give one "
                         "label per image")
    modes = [(m, m.training) for m in model.modules()]
    model.eval()  # predict as image_maps attributes: in eval mode
    try:
        with no_grad():
            preds = model(images).argmax(1).numpy().astype(np.int64)
    finally:
        for m, was_training in modes:
            m.training = was_training
    maps = image_maps(model, images, [int(p) for p in preds], method=method)
    run.attributions = {"images": np.array(images.numpy(), dtype=np.float32), "maps": maps.astype(np.float32),
                        "labels": labels, "preds": preds, "method": method}
    return run.attributions
