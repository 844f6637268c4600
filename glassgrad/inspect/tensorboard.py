"""A monitored run as TensorBoard event files: its scalars and histograms."""
import math
import os

import numpy as np

from ..utils.tensorboard import SummaryWriter
from .storage import LAYER_FIELDS, RunRecord, load_run

__all__ = ["write_run"]

_LAYER_SCALARS = [f for f in LAYER_FIELDS if f not in ("step", "layer", "finite")]


def write_run(run, log_dir):
    """Write ``run`` (a ``RunRecord``, a ``Monitor`` or a run directory) to ``log_dir``: the loss and
    metrics as ``train/NAME``, each layer figure as ``FIGURE/LAYER`` and the histograms as
    ``KIND/LAYER``."""
    if isinstance(run, (str, os.PathLike)):
        run = load_run(os.fspath(run))
    run = getattr(run, "run", run)
    if not isinstance(run, RunRecord):
        raise TypeError(f"write_run: expected a RunRecord, a Monitor or a run directory, got {type(run).__name__}")
    with SummaryWriter(log_dir) as w:
        for row in run.steps:
            for k, v in row.items():
                if k != "step" and isinstance(v, (int, float)) and math.isfinite(v):
                    w.add_scalar(f"train/{k}", v, row["step"])
        for row in run.layers:
            for k in _LAYER_SCALARS:
                v = row.get(k)
                if v is not None and math.isfinite(v):
                    w.add_scalar(f"{k}/{row['layer']}", v, row["step"])
        for (kind, layer), entries in run.hist.items():
            for step, counts, edges in entries:
                counts, edges = np.asarray(counts, np.float64), np.asarray(edges, np.float64)
                mids = (edges[:-1] + edges[1:]) / 2
                w.add_histogram_raw(f"{kind}/{layer}", edges[0], edges[-1], counts.sum(), float(counts @ mids),
                                    float(counts @ (mids * mids)), edges[1:], counts, step)
    return log_dir
