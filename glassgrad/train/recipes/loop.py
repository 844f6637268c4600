"""The small training loop the recipes share: shuffled mini-batches of in-memory arrays, live
progress (epoch, loss, samples or tokens per second) on a terminal; otherwise (a log file, a pipe)
no bar, and about ten plain epoch lines per run."""
import time

import numpy as np

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import wrap_array
from ...random import default_generator, get_rng_state
from ...nn.utils.clip_grad import clip_grad_norm_
from ..progress import ProgressBar
from ..resume import DeferredInterrupt

__all__ = ["train_epochs", "predict_arrays"]


def train_epochs(model, optimizer, loss_fn, x, y, epochs, batch_size, seed=0, verbose=True, unit="samples",
                 items_per_sample=1, start_epoch=0, clip=None, on_epoch_end=None, position=None, on_interrupt=None):
    """Train ``model`` on arrays ``x``, ``y`` up to epoch ``epochs``; return the seconds it took.

    Batches are drawn by ``numpy.random.default_rng(seed)`` (a new permutation each epoch); a run
    resumed at ``start_epoch`` draws the permutations of the epochs already done first, so it
    continues with the batches the uninterrupted run would have had. ``items_per_sample`` scales
    the throughput shown (e.g. tokens per sequence); ``clip`` is a max gradient norm.
    ``on_epoch_end(epochs_done, seconds_so_far)`` may return more logs to show; its time
    (evaluation, checkpoints) is not counted in the seconds returned.

    Ctrl-C (SIGINT) stops the run at the end of the running batch (a second one at once); a
    KeyboardInterrupt raised in the training code stops it at the last completed batch (what a
    partial batch drew from glassgrad's default generator is put back; glassgrad draws nothing
    from NumPy's global stream). Then ``on_interrupt(position, seconds_so_far)`` is
    called, ``position`` being where the run stands (a dict for ``save_checkpoint(position=...)``:
    the epoch in progress, its batches done, the running loss sum, the random streams as the epoch
    began) or None when it stopped inside an optimizer step (no clean point), and the
    KeyboardInterrupt is raised again. ``position`` (from ``load_checkpoint``) resumes a run
    stopped so: it replaces ``start_epoch`` and skips the batches of that epoch already done.
    """
    if position is not None:
        start_epoch = position["epoch"]
    rng = np.random.default_rng(seed)
    n = len(x)
    for _ in range(start_epoch):
        rng.permutation(n)
    progress = ProgressBar() if verbose else None
    live = progress is not None and progress.is_live()
    every = max(1, (epochs - start_epoch) // 10)  # not a terminal: about ten epoch lines in all
    steps = (n + batch_size - 1) // batch_size
    params = [p for p in model.parameters() if p.requires_grad] if clip is not None else None
    # the default generator's state: as the epoch began (kept in a Ctrl-C checkpoint, as fit's
    # are) and after the last completed batch (a dict of the bit generator: cheap to take each batch)
    streams = {"epoch_start": get_rng_state() if position is None else position["rng_default"],
               "batch_end": default_generator.rng.bit_generator.state}
    state = {"epoch": start_epoch, "batch": 0, "total": 0.0, "in_step": False, "seconds": 0.0, "t0": None}
    stop = DeferredInterrupt(lambda: progress.message("stopping after this batch (Ctrl-C again to stop at once)")
                             if progress else None)
    try:
        with stop:
            for epoch in range(start_epoch, epochs):
                if stop.requested:
                    raise KeyboardInterrupt
                state.update(epoch=epoch, batch=0, total=0.0)
                model.train()
                t0 = state["t0"] = time.perf_counter()
                if progress:
                    progress.epoch_begin(epoch, epochs, steps)
                order = rng.permutation(n)
                first = 0
                if position is not None and epoch == start_epoch:
                    first, state["total"] = position["batch"], position["loss_total"]
                    state["batch"] = first
                for step in range(first, steps):
                    idx = order[step * batch_size:(step + 1) * batch_size]
                    loss = loss_fn(model(wrap_array(x[idx])), wrap_array(y[idx]))
                    optimizer.zero_grad()
                    loss.backward()
                    if clip is not None:
                        clip_grad_norm_(params, clip)
                    state["in_step"] = True
                    optimizer.step()
                    state["in_step"] = False
                    value = float(loss.item())
                    state["total"] += value * len(idx)
                    state["batch"] = step + 1
                    streams["batch_end"] = default_generator.rng.bit_generator.state
                    if progress:
                        rate = (step * batch_size + len(idx)) * items_per_sample / max(time.perf_counter() - t0, 1e-9)
                        progress.batch_end(step, value, {f"{unit}/s": int(rate)})
                    if stop.requested:
                        raise KeyboardInterrupt
                elapsed = time.perf_counter() - t0
                state["seconds"] += elapsed
                state["t0"] = None
                logs = {"loss": state["total"] / n, f"{unit}/s": int(n * items_per_sample / max(elapsed, 1e-9))}
                state.update(epoch=epoch + 1, batch=0, total=0.0)
                if on_epoch_end is not None:
                    logs.update(on_epoch_end(epoch + 1, state["seconds"]) or {})
                streams["epoch_start"] = get_rng_state()  # (stopped from here, it resumes before the next epoch)
                streams["batch_end"] = default_generator.rng.bit_generator.state
                if progress and (live or (epoch + 1) % every == 0 or epoch + 1 == epochs):
                    progress.epoch_end(logs)
    except KeyboardInterrupt:
        if state["t0"] is not None:
            state["seconds"] += time.perf_counter() - state["t0"]
        if progress:
            progress.close()
        if on_interrupt is not None:
            if state["in_step"]:
                on_interrupt(None, state["seconds"])
            else:
                default_generator.rng.bit_generator.state = streams["batch_end"]  # a partial batch is no part of it
                on_interrupt({"epoch": state["epoch"], "batch": state["batch"], "loss_total": state["total"],
                              "count": min(state["batch"] * batch_size, n), "lr": None, "metrics": {},
                              "rng_default": streams["epoch_start"]}, state["seconds"])
        raise
    finally:
        if progress:
            progress.close()
    return state["seconds"]


def predict_arrays(model, x, batch_size=500):
    """The model's outputs for array ``x`` (eval mode, no gradients), as one NumPy array."""
    model.eval()
    outs = []
    with no_grad():
        for lo in range(0, len(x), batch_size):
            outs.append(model(wrap_array(x[lo:lo + batch_size])).numpy())
    return np.concatenate(outs)
