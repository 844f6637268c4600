"""The small training loop the recipes share: shuffled mini-batches of in-memory arrays, live
progress (epoch, loss, samples or tokens per second) on a terminal; otherwise (a log file, a pipe)
no bar, and about ten plain epoch lines per run."""
import time

import numpy as np

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import wrap_array
from ...nn.utils.clip_grad import clip_grad_norm_
from ..progress import ProgressBar

__all__ = ["train_epochs", "predict_arrays"]


def train_epochs(model, optimizer, loss_fn, x, y, epochs, batch_size, seed=0, verbose=True, unit="samples",
                 items_per_sample=1, start_epoch=0, clip=None, on_epoch_end=None):
    """Train ``model`` on arrays ``x``, ``y`` up to epoch ``epochs``; return the seconds it took.

    Batches are drawn by ``numpy.random.default_rng(seed)`` (a new permutation each epoch); a run
    resumed at ``start_epoch`` draws the permutations of the epochs already done first, so it
    continues with the batches the uninterrupted run would have had. ``items_per_sample`` scales
    the throughput shown (e.g. tokens per sequence); ``clip`` is a max gradient norm.
    ``on_epoch_end(epochs_done, seconds_so_far)`` may return more logs to show; its time
    (evaluation, checkpoints) is not counted in the seconds returned.
    """
    rng = np.random.default_rng(seed)
    n = len(x)
    for _ in range(start_epoch):
        rng.permutation(n)
    progress = ProgressBar() if verbose else None
    live = progress is not None and progress.is_live()
    every = max(1, (epochs - start_epoch) // 10)  # not a terminal: about ten epoch lines in all
    steps = (n + batch_size - 1) // batch_size
    params = [p for p in model.parameters() if p.requires_grad] if clip is not None else None
    seconds = 0.0
    for epoch in range(start_epoch, epochs):
        model.train()
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
            if clip is not None:
                clip_grad_norm_(params, clip)
            optimizer.step()
            value = float(loss.item())
            total += value * len(idx)
            if progress:
                rate = (step * batch_size + len(idx)) * items_per_sample / max(time.perf_counter() - t0, 1e-9)
                progress.batch_end(step, value, {f"{unit}/s": int(rate)})
        elapsed = time.perf_counter() - t0
        seconds += elapsed
        logs = {"loss": total / n, f"{unit}/s": int(n * items_per_sample / max(elapsed, 1e-9))}
        if on_epoch_end is not None:
            logs.update(on_epoch_end(epoch + 1, seconds) or {})
        if progress and (live or (epoch + 1) % every == 0 or epoch + 1 == epochs):
            progress.epoch_end(logs)
    return seconds


def predict_arrays(model, x, batch_size=500):
    """The model's outputs for array ``x`` (eval mode, no gradients), as one NumPy array."""
    model.eval()
    outs = []
    with no_grad():
        for lo in range(0, len(x), batch_size):
            outs.append(model(wrap_array(x[lo:lo + batch_size])).numpy())
    return np.concatenate(outs)
