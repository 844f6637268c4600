"""Callbacks for ``fit``: hooks called at the start and end of training, epochs and batches.

A callback gets ``self.trainer`` (set before ``on_train_begin``): the running ``Trainer`` with
``model``, ``optimizer``, ``scheduler``, ``history``, ``epoch``, ``loss`` (the latest batch's loss
tensor) and ``stop_training`` (set it to True to stop after the current epoch). ``logs`` are dicts of name -> number.
"""
import csv
import math
import os

from .checkpoint import save_checkpoint

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "CSVLogger", "LRSchedulerCallback", "LambdaCallback",
           "interrupted_path"]


class Callback:
    """Base class: override any of the hooks (they do nothing by default)."""

    trainer = None

    def set_trainer(self, trainer):
        """Called by ``fit`` before training: the running ``Trainer``."""
        self.trainer = trainer

    def on_train_begin(self, logs=None):
        """Before the first epoch."""
        pass

    def on_epoch_begin(self, epoch, logs=None):
        """Before each epoch (0-based ``epoch``)."""
        pass

    def on_batch_begin(self, batch, logs=None):
        """Before each training batch."""
        pass

    def on_batch_end(self, batch, logs=None):
        """After each optimizer step; ``logs`` has the batch 'loss' and 'size'."""
        pass

    def on_epoch_end(self, epoch, logs=None):
        """After each epoch (and validation); ``logs`` has the epoch's values."""
        pass

    def on_train_end(self, logs=None):
        """After the last epoch, early stop or Ctrl-C."""
        pass

    def on_interrupt(self, epoch, logs=None):
        """Ctrl-C stopped training during ``epoch`` (called before ``on_train_end``)."""


def _mode_for(monitor, mode):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    return "max" if any(s in monitor for s in ("acc", "auc", "f1", "precision", "recall")) else "min"


class _Monitor:
    def __init__(self, monitor, mode, min_delta=0.0):
        self.monitor, self.mode, self.min_delta = monitor, _mode_for(monitor, mode), abs(min_delta)
        self.best = math.inf if self.mode == "min" else -math.inf

    def value(self, logs, owner):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(f"{owner}: monitored value {self.monitor!r} is not in the logs {sorted(logs or {})}; "
                           "pass val_loader to fit for 'val_*' values, or monitor 'loss'")
        return float(value)

    def improved(self, value):
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Args:
        monitor: a log name ('val_loss', 'val_accuracy', 'loss', ...).
        min_delta: the least change that counts as improvement.
        patience: epochs without improvement before stopping.
        mode: 'min', 'max' or 'auto' (max for accuracies, else min).
        restore_best_weights: at the end of training, load the weights of the best epoch.
        baseline: stop if the monitored value does not beat this.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto", restore_best_weights=False,
                 baseline=None, verbose=False):
        self.patience, self.restore_best_weights, self.baseline = int(patience), restore_best_weights, baseline
        self._monitor = _Monitor(monitor, mode, min_delta)
        self.monitor, self.mode, self.verbose = monitor, self._monitor.mode, verbose

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch, self.best_weights = 0, None, None, None
        self._monitor.best = math.inf if self.mode == "min" else -math.inf
        if self.baseline is not None:
            self._monitor.best = float(self.baseline)

    @property
    def best(self):
        return self._monitor.best

    def on_epoch_end(self, epoch, logs=None):
        value = self._monitor.value(logs, "EarlyStopping")
        if self._monitor.improved(value):
            self._monitor.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.detach().array.copy() for k, v in self.trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True
            if self.verbose:
                self.trainer.message(f"early stopping at epoch {epoch + 1}: {self.monitor} did not improve "
                                     f"for {self.wait} epochs (best {self.best:.4f} at epoch {self.best_epoch + 1 if self.best_epoch is not None else '-'})")

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            from ..autograd.tensor import wrap_array
            self.trainer.model.load_state_dict({k: wrap_array(v) for k, v in self.best_weights.items()})
            if self.verbose:
                self.trainer.message(f"restored the weights of epoch {self.best_epoch + 1} ({self.monitor} {self.best:.4f})")


class ModelCheckpoint(Callback):
    """Save checkpoints (model, optimizer, scheduler, RNG, epoch) during training.

    Args:
        filepath: the file; may hold ``{epoch}`` and log names, e.g. ``'ckpt-{epoch:02d}.safetensors'``.
        monitor: the log value that decides "best" (with ``save_best_only``).
        save_best_only: save only when ``monitor`` improves (else every epoch: the last one wins
            unless the path holds ``{epoch}``).
        save_last: also keep the latest state in ``last_path`` (default ``<stem>-last<suffix>``)
            when ``save_best_only``.
        mode: 'min', 'max' or 'auto'.
        extra: JSON-able dict stored in every checkpoint (e.g. the model config).
        interrupt_path: where Ctrl-C saves the run as it stands, mid-epoch (default
            ``<stem>-interrupted<suffix>``): never over a checkpoint of completed epochs.

    An epoch whose training loss is not finite is not saved (the last good checkpoint stays).
    """

    def __init__(self, filepath, monitor="val_loss", save_best_only=False, save_last=False, mode="auto",
                 extra=None, last_path=None, verbose=False, interrupt_path=None):
        self.filepath = os.fspath(filepath)
        self.save_best_only, self.save_last, self.extra, self.verbose = save_best_only, save_last, extra, verbose
        self._monitor = _Monitor(monitor, mode)
        self.monitor = monitor
        stem, suffix = os.path.splitext(self.filepath)
        self.last_path = last_path or (f"{stem}-last{suffix or '.safetensors'}" if save_best_only else self.filepath)
        self.interrupt_path = os.fspath(interrupt_path) if interrupt_path else interrupted_path(self.filepath)
        self.saved = []

    def on_train_begin(self, logs=None):
        self._monitor.best = math.inf if self._monitor.mode == "min" else -math.inf

    def _save(self, path, epoch, completed, position=None):
        t = self.trainer
        save_checkpoint(path, t.model, t.optimizer, t.scheduler, epoch=completed,
                        extra=dict(self.extra or {}), position=position)
        self.saved.append(path)
        if self.verbose:
            t.message(f"saved checkpoint {path}")
        return path

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if not math.isfinite(logs.get("loss", 0.0)):
            self.trainer.message(f"not saving epoch {epoch + 1}: its training loss is {logs['loss']} (the last "
                                 "checkpoint stays)")
            return
        path = _format(self.filepath, epoch + 1, logs)
        if self.save_best_only:
            value = self._monitor.value(logs, "ModelCheckpoint")
            if self._monitor.improved(value):
                self._monitor.best = value
                self._save(path, epoch, epoch + 1)
            if self.save_last:
                self._save(self.last_path, epoch, epoch + 1)
        else:
            self._save(path, epoch, epoch + 1)

    def on_interrupt(self, epoch, logs=None):
        position = self.trainer.position()
        if position is None:
            self.trainer.message("stopped inside an optimizer step or callback: no mid-epoch checkpoint "
                                 "(the last checkpoint stays)")
            return
        path = _format(self.interrupt_path, epoch + 1, logs)
        self._save(path, epoch, position["epoch"], position)
        self.trainer.message(f"saved the interrupted run to {path}")


def interrupted_path(path):
    """Where a run checkpointed to ``path`` is saved on Ctrl-C: ``<stem>-interrupted<suffix>``."""
    stem, suffix = os.path.splitext(os.fspath(path))
    return f"{stem}-interrupted{suffix or '.safetensors'}"


class CSVLogger(Callback):
    """Write one CSV row per epoch: epoch and every log value.

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: add to an existing file instead of overwriting it.
    """

    def __init__(self, filename, separator=",", append=False):
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self.keys = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = None
        if exists:
            with open(self.filename, newline="") as f:
                first = next(csv.reader(f, delimiter=self.separator), None)
            if first:
                self.keys = first[1:]
                self._writer = csv.writer(self._file, delimiter=self.separator)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._writer is None:
            self.keys = list(logs)
            self._writer = csv.writer(self._file, delimiter=self.separator)
            self._writer.writerow(["epoch"] + self.keys)
        self._writer.writerow([epoch] + ["" if logs.get(k) is None else logs.get(k) for k in self.keys])
        self._file.flush()

    def on_train_end(self, logs=None):
        if getattr(self, "_file", None) is not None:
            self._file.close()
            self._file = None


class LRSchedulerCallback(Callback):
    """Step an LR scheduler: once per epoch (after validation) or once per batch.

    ``ReduceLROnPlateau`` (any scheduler whose ``step`` takes the metric) is stepped with the
    ``monitor`` value of the epoch's logs.

    Args:
        scheduler: a ``glassgrad.optim.lr_scheduler`` scheduler.
        interval: 'epoch' or 'batch' (e.g. OneCycleLR).
        monitor: the log value given to ReduceLROnPlateau.
    """

    def __init__(self, scheduler, interval="epoch", monitor="val_loss"):
        if interval not in ("epoch", "batch"):
            raise ValueError(f"LRSchedulerCallback: interval must be 'epoch' or 'batch', got {interval!r}")
        self.scheduler, self.interval, self.monitor = scheduler, interval, monitor

    @property
    def plateau(self):
        return type(self.scheduler).__name__ == "ReduceLROnPlateau"

    def on_batch_end(self, batch, logs=None):
        if self.interval == "batch" and not self.plateau:
            self.scheduler.step()

    def on_epoch_end(self, epoch, logs=None):
        if self.plateau:
            logs = logs or {}
            key = self.monitor if self.monitor in logs else "loss"
            if logs.get(key) is None:
                raise KeyError(f"LRSchedulerCallback: ReduceLROnPlateau needs {self.monitor!r} in the logs "
                               f"{sorted(logs)}")
            self.scheduler.step(float(logs[key]))
        elif self.interval == "epoch":
            self.scheduler.step()


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, **hooks):
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)


def _format(path, epoch, logs):
    """``path`` with ``{epoch}`` and log names filled in (unchanged where a name is missing)."""
    try:
        return path.format(epoch=epoch, **(logs or {}))
    except (KeyError, ValueError, IndexError):
        return path
