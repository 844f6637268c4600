"""``InspectCallback``: the glass-box monitor (``glassgrad.inspect.Monitor``) inside ``fit``."""
import time

from ..inspect import Monitor, diagnose, write_tensorboard
from .callbacks import Callback

__all__ = ["InspectCallback"]


class InspectCallback(Callback):
    """Watch every layer while ``fit`` trains, and diagnose the run at the end.

    Each batch is recorded (with its loss tensor, so the doctor also sees the loss's graph); each
    epoch's metrics (``accuracy``, ``val_loss``, ``val_accuracy``, ...) are attached to its last
    step. At the end of training the run is saved to ``run_dir`` (when given), written as TensorBoard
    event files to ``tensorboard`` (when given), and its errors and warnings are printed through
    ``fit``'s progress display. ``callback.monitor`` and ``callback.findings`` stay available.

    While training, the run is also saved to ``run_dir`` after every epoch and at most every
    ``save_seconds`` between, marked ``meta['live'] = True``, so ``glassgrad report RUN_DIR --watch``
    can show it as it goes; the final save drops the mark.

    Args:
        run_dir: where to save the run (read it with ``glassgrad doctor RUN_DIR``).
        every: read the per-layer numbers every ``every`` steps.
        histograms: record histograms of weights, gradients and activations.
        tensorboard: a directory for TensorBoard event files (needs the ``tensorboard`` extra).
        save_seconds: while training, save the run to ``run_dir`` at most this often between epochs
            (None: only after each epoch).
    """

    def __init__(self, run_dir=None, every=10, histograms=True, tensorboard=None, save_seconds=30.0):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"InspectCallback: every must be a positive int, got {every!r}")
        if save_seconds is not None and not (isinstance(save_seconds, (int, float)) and save_seconds > 0):
            raise ValueError(f"InspectCallback: save_seconds must be a positive number or None, got {save_seconds!r}")
        self.run_dir, self.every, self.histograms, self.tensorboard = run_dir, every, histograms, tensorboard
        self.save_seconds = save_seconds
        self._saved_at = None
        self.monitor = None
        self.findings = []

    def on_train_begin(self, logs=None):
        """Attach a Monitor to the trainer's model and optimizer."""
        self.monitor = Monitor(self.trainer.model, self.trainer.optimizer, every=self.every,
                               histograms=self.histograms)
        self._saved_at = time.monotonic()

    def on_batch_end(self, batch, logs=None):
        """Record the step (the loss tensor when fit exposes it, else the loss value)."""
        loss = getattr(self.trainer, "loss", None)
        self.monitor.record(loss if loss is not None else (logs or {})["loss"])
        if self.save_seconds is not None and time.monotonic() - self._saved_at > self.save_seconds:
            self._save_live()

    def on_epoch_end(self, epoch, logs=None):
        """Attach the epoch's metrics to its last step (the epoch mean loss as ``epoch_loss``)."""
        if self.monitor is not None and self.monitor.run.steps:
            metrics = {("epoch_loss" if k == "loss" else k): v for k, v in (logs or {}).items()
                       if k != "lr" and isinstance(v, (int, float))}
            self.monitor.log(**metrics)
            self._save_live()

    def _save_live(self):
        """Save the run so far, marked as still training (for ``glassgrad report --watch``)."""
        if self.run_dir is not None and self.monitor.run.steps:
            self.monitor.run.meta["live"] = True
            self.monitor.save(self.run_dir)
        self._saved_at = time.monotonic()

    def on_train_end(self, logs=None):
        """Save, diagnose, report and detach."""
        if self.monitor is None:
            return
        self.monitor.close()
        self.monitor.run.meta.pop("live", None)
        if self.run_dir is not None:
            self.monitor.save(self.run_dir)
        if self.tensorboard is not None:
            write_tensorboard(self.monitor, self.tensorboard)
        self.findings = diagnose(self.monitor)
        for f in self.findings:
            if f.severity in ("error", "warning"):
                self.trainer.message(str(f))
