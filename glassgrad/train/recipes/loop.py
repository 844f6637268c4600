"""The small training loop the recipes share: shuffled mini-batches of in-memory arrays, live
progress (epoch, loss, samples/s) on a terminal, one line per epoch otherwise."""
import time

import numpy as np

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import wrap_array
from ..progress import ProgressBar

__all__ = ["train_epochs", "predict_arrays"]


def train_epochs(model, optimizer, loss_fn, x, y, epochs, batch_size, seed=0, verbose=True, unit="samples",
                 items_per_sample=1):
    """Train ``model`` on arrays ``x``, ``y`` for ``epochs``; return the seconds it took.

    Batches are drawn by ``numpy.random.default_rng(seed)`` (a new permutation each epoch).
    ``items_per_sample`` scales the throughput shown (e.g. tokens per sequence).
    """
    rng = np.random.default_rng(seed)
    progress = ProgressBar() if verbose else None
    n = len(x)
    steps = (n + batch_size - 1) // batch_size
    start = time.perf_counter()
    model.train()
    for epoch in range(epochs):
        t0 = time.perf_counter()
        if progress:
            progress.epoch_begin(epoch, epochs, steps)
        order = rng.permutation(n)
        total = 0.0
        for step in range(steps):
            idx = order[step * batch_size:(step + 1) * batch_size]
            loss = loss_fn(model(wrap_array(x[idx])), wrap_array(y[idx]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            value = float(loss.item())
            total += value * len(idx)
            if progress:
                progress.batch_end(step, value)
        if progress:
            rate = n * items_per_sample / max(time.perf_counter() - t0, 1e-9)
            progress.epoch_end({"loss": total / n, f"{unit}/s": int(rate)})
    return time.perf_counter() - start


def predict_arrays(model, x, batch_size=500):
    """The model's outputs for array ``x`` (eval mode, no gradients), as one NumPy array."""
    model.eval()
    outs = []
    with no_grad():
        for lo in range(0, len(x), batch_size):
            outs.append(model(wrap_array(x[lo:lo + batch_size])).numpy())
    return np.concatenate(outs)
