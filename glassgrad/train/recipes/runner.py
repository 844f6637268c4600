"""Runs an application recipe: fresh or resumed from one of its checkpoints, with a checkpoint
after every ``checkpoint_every`` epochs and at the end.

A recipe module has ``RECIPE`` (its id), ``DATASET``, ``MODEL``, ``DEFAULTS`` and
``setup(data_dir, lr, verbose) -> RecipeSetup``. A run's settings are recorded in its
checkpoints (``extra.settings``), so ``resume`` rebuilds the same data, model and optimizer, loads
the checkpoint (weights, optimizer state, random streams) and continues like the run that never
stopped (the batch order of the remaining epochs included).

Ctrl-C stops a run at the end of the running batch and, with ``out``, saves it as it stands,
mid-epoch, to ``<stem>-interrupted<suffix>`` beside ``out`` (never over a checkpoint of completed
epochs); resuming from that file continues bit for bit like the run that never stopped, and the
finished run removes it.
"""
import dataclasses
import os
from typing import Callable

from ... import manual_seed
from ..callbacks import interrupted_path
from ..checkpoint import load_checkpoint, save_checkpoint
from .loop import train_epochs

__all__ = ["RecipeSetup", "run_recipe", "recipe_settings"]


@dataclasses.dataclass
class RecipeSetup:
    """What a recipe trains and how it scores it.

    ``evaluate(model)`` returns the held-out metrics (a dict of numbers or dicts of numbers);
    ``info`` is what the checkpoint keeps to rebuild the model (vocabulary, sizes, feature
    statistics); ``epoch_logs(model)``, when given, adds metrics to each epoch's progress line.
    """
    model: object
    optimizer: object
    loss_fn: Callable
    x: object
    y: object
    evaluate: Callable
    info: dict
    unit: str = "samples"
    items_per_sample: int = 1
    clip: float = None
    epoch_logs: Callable = None


def recipe_settings(recipe, data_dir, epochs, lr, batch_size, seed):
    """The JSON-able settings record of a run (kept in its checkpoints)."""
    return {"dataset": recipe.DATASET, "model": recipe.MODEL,
            "data_dir": os.path.abspath(os.fspath(data_dir)) if data_dir else None,
            "epochs": int(epochs), "lr": float(lr), "batch_size": int(batch_size), "seed": int(seed)}


def run_recipe(recipe, data_dir, epochs, lr, batch_size, seed=0, verbose=True, out=None, resume=None,
               checkpoint_every=1):
    """Train ``recipe``; returns (model, optimizer, result) where result holds the held-out
    metrics, ``seconds`` (training wall time over all epochs, resumed ones included; evaluation
    and checkpoint writes excluded) and ``extra`` (what the final checkpoint keeps).

    With ``out``, a checkpoint goes there every ``checkpoint_every`` epochs and after the last;
    ``resume`` names a checkpoint of the same run to continue from (one written on Ctrl-C too).
    A run stopped by Ctrl-C (or a KeyboardInterrupt) returns without metrics: result holds
    ``interrupted=True``, ``seconds`` and ``checkpoint`` (the mid-epoch checkpoint written, or
    None: no ``out``, or stopped inside an optimizer step)."""
    manual_seed(seed)
    s = recipe.setup(data_dir, lr, verbose)
    start, before, position = 0, 0.0, None
    if resume is not None:
        info = load_checkpoint(resume, s.model, s.optimizer)
        start, position = info["epoch"] or 0, info.get("position")
        before = float((info.get("extra") or {}).get("train_seconds", 0.0))
        if start > epochs or (position is not None and start == epochs):
            raise ValueError(f"resume {resume}: the checkpoint holds {start} epochs"
                             f"{' and part of the next' if position is not None else ''}, more than the {epochs} "
                             "asked for")
        if verbose:
            where = f"after epoch {start}" if position is None else \
                f"in epoch {start + 1}, after batch {position['batch']}"
            print(f"resuming {where} of {epochs}", flush=True)
    extra = {"recipe": recipe.RECIPE, "dataset": recipe.DATASET, **s.info,
             "settings": recipe_settings(recipe, data_dir, epochs, lr, batch_size, seed)}
    if out is not None:
        extra["out"] = os.path.abspath(os.fspath(out))
    elapsed = [before]

    def on_epoch_end(done, seconds):
        elapsed[0] = before + seconds
        if out is not None and done < epochs and done % checkpoint_every == 0:
            save_checkpoint(out, s.model, s.optimizer, epoch=done, extra={**extra, "train_seconds": elapsed[0]})
        return s.epoch_logs(s.model) if s.epoch_logs is not None else None

    saved = []

    def on_interrupt(where, seconds):
        elapsed[0] = before + seconds
        if out is not None and where is not None:
            path = interrupted_path(out)
            save_checkpoint(path, s.model, s.optimizer, epoch=where["epoch"],
                            extra={**extra, "train_seconds": elapsed[0]}, position=where)
            saved.append(path)

    try:
        seconds = before + train_epochs(s.model, s.optimizer, s.loss_fn, s.x, s.y, epochs, batch_size, seed,
                                        verbose, unit=s.unit, items_per_sample=s.items_per_sample, start_epoch=start,
                                        clip=s.clip, on_epoch_end=on_epoch_end, position=position,
                                        on_interrupt=on_interrupt)
    except KeyboardInterrupt:
        return s.model, s.optimizer, {"interrupted": True, "seconds": elapsed[0],
                                      "checkpoint": saved[0] if saved else None, "extra": extra}
    metrics = s.evaluate(s.model)
    extra.update(metrics, train_seconds=seconds, seconds_per_epoch=seconds / epochs)
    if out is not None:
        save_checkpoint(out, s.model, s.optimizer, epoch=epochs, extra=extra)
        if os.path.exists(interrupted_path(out)):  # the finished run supersedes a Ctrl-C checkpoint of it
            os.remove(interrupted_path(out))
    return s.model, s.optimizer, {**metrics, "seconds": seconds, "extra": extra}
