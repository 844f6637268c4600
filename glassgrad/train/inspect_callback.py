"""``InspectCallback``: the glass-box monitor (``glassgrad.inspect.Monitor``) inside ``fit``."""
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

    Args:
        run_dir: where to save the run (read it with ``glassgrad doctor RUN_DIR``).
        every: read the per-layer numbers every ``every`` steps.
        histograms: record histograms of weights, gradients and activations.
        tensorboard: a directory for TensorBoard event files (needs the ``tensorboard`` extra).
    """

    def __init__(self, run_dir=None, every=10, histograms=True, tensorboard=None):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"InspectCallback: every must be a positive int, got {every!r}")
        self.run_dir, self.every, self.histograms, self.tensorboard = run_dir, every, histograms, tensorboard
        self.monitor = None
        self.findings = []

    def on_train_begin(self, logs=None):
        """Attach a Monitor to the trainer's model and optimizer."""
        self.monitor = Monitor(self.trainer.model, self.trainer.optimizer, every=self.every,
                               histograms=self.histograms)

    def on_batch_end(self, batch, logs=None):
        """Record the step (the loss tensor when fit exposes it, else the loss value)."""
        loss = getattr(self.trainer, "loss", None)
        self.monitor.record(loss if loss is not None else (logs or {})["loss"])

    def on_epoch_end(self, epoch, logs=None):
        """Attach the epoch's metrics to its last step (the epoch mean loss as ``epoch_loss``)."""
        if self.monitor is not None and self.monitor.run.steps:
            metrics = {("epoch_loss" if k == "loss" else k): v for k, v in (logs or {}).items()
                       if k != "lr" and isinstance(v, (int, float))}
            self.monitor.log(**metrics)

    def on_train_end(self, logs=None):
        """Save, diagnose, report and detach."""
        if self.monitor is None:
            return
        self.monitor.close()
        if self.run_dir is not None:
            self.monitor.save(self.run_dir)
        if self.tensorboard is not None:
            write_tensorboard(self.monitor, self.tensorboard)
        self.findings = diagnose(self.monitor)
        for f in self.findings:
            if f.severity in ("error", "warning"):
                self.trainer.message(str(f))
