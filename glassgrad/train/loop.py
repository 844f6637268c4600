"""The training loop: ``fit``, ``evaluate`` and ``predict`` (Keras-style conveniences over a
PyTorch-style model, optimizer and loss)."""
import math

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor, wrap_array
from ..random import get_rng_state, set_rng_state
from .callbacks import Callback, LRSchedulerCallback, ModelCheckpoint
from .history import History
from .metrics import get_metric
from .progress import ProgressBar
from .resume import DeferredInterrupt, EpochStreams

__all__ = ["fit", "evaluate", "predict", "Trainer"]


def _to(x, device):
    if device is None:
        return x
    if isinstance(x, Tensor):
        return x.to(device)
    if isinstance(x, (list, tuple)):
        return type(x)(_to(v, device) for v in x)
    if isinstance(x, dict):
        return {k: _to(v, device) for k, v in x.items()}
    return x


def _split(batch, where):
    """(inputs tuple, target) from a batch ``(x, y)`` / ``(x1, x2, ..., y)``."""
    if isinstance(batch, (list, tuple)) and len(batch) >= 2:
        return tuple(batch[:-1]), batch[-1]
    raise ValueError(f"{where}: each batch must be (inputs, target) or (input1, ..., target), got "
                     f"{type(batch).__name__}{'' if not hasattr(batch, '__len__') else f' of length {len(batch)}'}")


def _batch_size(t):
    return t.shape[0] if getattr(t, "ndim", 0) else 1


def _lr(optimizer):
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups else None


class Trainer:
    """The state of a running ``fit``, seen by callbacks as ``callback.trainer``: ``model``,
    ``optimizer``, ``scheduler``, ``history``, ``epoch`` (0-based, in progress), ``batch`` (batches
    of it done) and ``stop_training``."""

    def __init__(self, model, optimizer, scheduler, history, progress, streams=None):
        self.model, self.optimizer, self.scheduler, self.history = model, optimizer, scheduler, history
        self.progress = progress
        self.stop_training = False
        self.epoch = 0
        self.loss = None  # the latest batch's loss tensor (its graph feeds glassgrad.inspect)
        self.batch = 0
        self.streams = streams
        self.in_step = False   # between optimizer.step() and the end of the batch: no clean point
        self._sums = (0.0, 0, [], None)

    def position(self):
        """Where the run stands, for a mid-epoch checkpoint (``save_checkpoint(position=...)``): the
        epoch in progress, the batches of it done, the running loss and metric sums, and the random
        streams at the start of the epoch. None inside an optimizer step (no clean point)."""
        if self.in_step or self.streams is None or self.streams.at_epoch_start is None:
            return None
        total, count, metrics, lr = self._sums if self.batch else (0.0, 0, [], _lr(self.optimizer))
        out = {"epoch": self.epoch, "batch": self.batch, "loss_total": total, "count": count, "lr": lr,
               "metrics": {m.name: [float(m.total), int(m.count)] for m in metrics
                           if hasattr(m, "total") and hasattr(m, "count")}}
        out.update(self.streams.at_epoch_start)
        return out

    def message(self, text):
        """Print a line through the progress display (nothing when not verbose)."""
        if self.progress is not None:
            self.progress.message(text)


def _run_metrics(metrics):
    return [get_metric(m) for m in (metrics or ())]


def evaluate(model, loader, loss_fn=None, metrics=("accuracy",), device=None):
    """The mean loss and metrics of ``model`` over ``loader`` (eval mode, no gradients).

    Returns:
        dict: 'loss' (when ``loss_fn`` is given; averaged over samples) and one entry per metric.
    """
    ms = _run_metrics(metrics)
    was_training = getattr(model, "training", False)
    model.eval()
    total, count = 0.0, 0
    try:
        with no_grad():
            for batch in loader:
                inputs, target = _split(_to(batch, device), "evaluate")
                out = model(*inputs)
                n = _batch_size(target)
                if loss_fn is not None:
                    total += float(loss_fn(out, target).item()) * n
                count += n
                for m in ms:
                    m.update(out, target)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the loader yielded no samples")
    logs = {"loss": total / count} if loss_fn is not None else {}
    logs.update({m.name: m.compute() for m in ms})
    return logs


def predict(model, data, batch_size=256, device=None):
    """The outputs of ``model`` for ``data`` (a tensor/array of inputs, or a loader whose batches are
    inputs or ``(inputs, target)``), concatenated along the first dimension, in eval mode."""
    was_training = getattr(model, "training", False)
    model.eval()
    outs = []
    try:
        with no_grad():
            if isinstance(data, (Tensor, np.ndarray)):
                x = data if isinstance(data, Tensor) else Tensor(data)
                batches = ((wrap_array(x.array[i:i + batch_size]),)
                           for i in range(0, x.shape[0], batch_size))
            else:
                batches = ((tuple(b[:-1]) if isinstance(b, (list, tuple)) and len(b) >= 2 else
                            tuple(b) if isinstance(b, (list, tuple)) else (b,)) for b in data)
            for inputs in batches:
                out = model(*_to(inputs, device))
                outs.append(np.asarray(out.detach()))
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("predict: no inputs")
    return wrap_array(np.concatenate(outs))


def fit(model, optimizer, loss_fn, train_loader, val_loader=None, epochs=1, metrics=("accuracy",), callbacks=(),
        scheduler=None, device=None, verbose=True, initial_epoch=0, checkpoint=None, scheduler_interval="epoch",
        progress=None, resume=None):
    """Train ``model`` for ``epochs`` epochs and return a ``History``.

    Each batch: ``optimizer.zero_grad()``, ``loss_fn(model(*inputs), target).backward()``,
    ``optimizer.step()``. After each epoch: validation on ``val_loader`` (eval mode, no gradients),
    then the callbacks' ``on_epoch_end`` in order (``scheduler`` first, ``ModelCheckpoint``s last, so
    checkpoints hold the stepped schedule).

    Args:
        metrics: names ('accuracy', 'top_5_accuracy', 'mae', 'rmse'), Metric objects or callables
            ``fn(output, target)``.
        callbacks: ``Callback`` objects (EarlyStopping, ModelCheckpoint, CSVLogger, ...).
        scheduler: an LR scheduler stepped every epoch (or batch, with ``scheduler_interval='batch'``);
            ``ReduceLROnPlateau`` gets 'val_loss' (or 'loss' without validation).
        device: move the model and each batch there.
        verbose: show progress (a live tqdm bar on a terminal, else one line per epoch).
        initial_epoch: the epoch to start counting at (when resuming from a checkpoint).
        checkpoint: a path: save a checkpoint after every epoch, and on Ctrl-C a mid-epoch one
            beside it (``<stem>-interrupted<suffix>``).
        resume: the dict ``load_checkpoint`` returned (called with ``restore_rng=True`` just
            before, into the model, optimizer and scheduler given here): training continues where
            the checkpoint was written, after its last completed epoch or, for a run interrupted
            mid-epoch, after its last completed batch, bit for bit like the run that never stopped.
            ``train_loader`` must be built like the saved run's (same data, batch size, shuffling).

    Ctrl-C (SIGINT) during training stops the run at the end of the running batch (a second Ctrl-C
    stops it at once): callbacks get ``on_interrupt`` (``ModelCheckpoint`` saves the run as it
    stands, mid-epoch, with ``Trainer.position()``), then ``on_train_end``; the History is returned
    with ``interrupted = True``. A KeyboardInterrupt raised in the training code is treated alike,
    rewound to the last completed batch (none is saved from inside an optimizer step).
    """
    position = None
    if resume is not None:
        if not isinstance(resume, dict) or "epoch" not in resume:
            raise TypeError("fit: resume must be the dict returned by load_checkpoint")
        if initial_epoch not in (0, resume["epoch"] or 0):
            raise ValueError(f"fit: initial_epoch={initial_epoch} contradicts the checkpoint's epoch "
                             f"{resume['epoch']}; pass one of them")
        initial_epoch, position = resume["epoch"] or 0, resume.get("position")
    if epochs < initial_epoch:
        raise ValueError(f"fit: epochs ({epochs}) must be >= initial_epoch ({initial_epoch})")
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be callable (e.g. nn.CrossEntropyLoss()), got {type(loss_fn).__name__}")
    callbacks = list(callbacks or ())
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks must be Callback instances, got {type(cb).__name__}")
    if scheduler is not None:
        callbacks.insert(0, LRSchedulerCallback(scheduler, interval=scheduler_interval))
    if checkpoint is not None:
        callbacks.append(ModelCheckpoint(checkpoint, save_best_only=False))
    # checkpoints last, so that they hold the state after every other callback (stepped schedulers)
    callbacks.sort(key=lambda cb: isinstance(cb, ModelCheckpoint))
    if scheduler is None:
        scheduler = next((cb.scheduler for cb in callbacks if isinstance(cb, LRSchedulerCallback)), None)
    if device is not None:
        model.to(device)
    history = History()
    progress = progress if progress is not None else (ProgressBar() if verbose else None)
    streams = EpochStreams(train_loader)
    trainer = Trainer(model, optimizer, scheduler, history, progress, streams)
    for cb in callbacks:
        cb.set_trainer(trainer)
    train_ms = _run_metrics(metrics)
    for cb in callbacks:
        cb.on_train_begin({})
    epoch, logs = initial_epoch, {}
    stop = DeferredInterrupt(lambda: trainer.message("stopping after this batch (Ctrl-C again to stop at once)"))
    try:
        with stop:
            for epoch in range(initial_epoch, epochs):
                trainer.epoch, trainer.batch = epoch, 0
                if stop.requested:
                    raise KeyboardInterrupt
                logs = _train_epoch(trainer, epoch, epochs, train_loader, loss_fn, train_ms, callbacks, device,
                                    stop, position if epoch == initial_epoch else None)
                if val_loader is not None:
                    val = evaluate(model, val_loader, loss_fn, metrics, device=device)
                    logs.update({f"val_{k}": v for k, v in val.items()})
                history.append(epoch, logs)
                if progress is not None:
                    progress.epoch_end(logs)
                trainer.in_step = True  # (a callback half done is no clean point)
                for cb in callbacks:
                    cb.on_epoch_end(epoch, logs)
                trainer.in_step = False
                trainer.epoch, trainer.batch = epoch + 1, 0
                streams.mark_epoch_start()  # (a Ctrl-C from here on stops cleanly before the next epoch)
                if trainer.stop_training:
                    history.stopped_epoch = epoch
                    break
                if not math.isfinite(logs["loss"]):
                    trainer.message(f"stopping: the training loss is {logs['loss']} at epoch {epoch + 1}; "
                                    "try a lower learning rate or gradient clipping")
                    history.stopped_epoch = epoch
                    break
    except KeyboardInterrupt:
        history.interrupted = True
        if progress is not None:
            progress.close()
        if not trainer.in_step:
            streams.rewind_to_batch_end()  # a partial batch is not part of the run
        where = f"epoch {trainer.epoch + 1}, after batch {trainer.batch}" if trainer.batch else \
            f"before epoch {trainer.epoch + 1}"
        trainer.message(f"interrupted {where}")
        for cb in callbacks:
            cb.on_interrupt(trainer.epoch, logs)
    finally:
        if progress is not None:
            progress.close()
    for cb in callbacks:
        cb.on_train_end({})
    return history


def _train_epoch(trainer, epoch, epochs, loader, loss_fn, train_ms, callbacks, device, stop, position):
    """One epoch of training (from ``position``'s batch when resuming in it): the epoch's logs."""
    model, optimizer, progress, streams = trainer.model, trainer.optimizer, trainer.progress, trainer.streams
    for cb in callbacks:
        cb.on_epoch_begin(epoch, {})
    if progress is not None:
        progress.epoch_begin(epoch, epochs, len(loader) if hasattr(loader, "__len__") else None)
    model.train()
    for m in train_ms:
        m.reset()
    total, count, lr = 0.0, 0, _lr(optimizer)
    if position is None:
        streams.mark_epoch_start()
        batches = enumerate(loader)
    else:
        batches, total, count, lr = _resume_in_epoch(trainer, loader, train_ms, position)
    trainer._sums = (total, count, train_ms, lr)
    for b, batch in batches:
        inputs, target = _split(_to(batch, device), "fit")
        for cb in callbacks:
            cb.on_batch_begin(b, {})
        optimizer.zero_grad()
        out = model(*inputs)
        loss = loss_fn(out, target)
        loss.backward()
        trainer.in_step = True
        optimizer.step()
        trainer.loss = loss
        value = float(loss.item())
        n = _batch_size(target)
        total, count = total + value * n, count + n
        with no_grad():
            for m in train_ms:
                m.update(out.detach(), target)
        if progress is not None:
            progress.batch_end(b, value)
        for cb in callbacks:
            cb.on_batch_end(b, {"loss": value, "size": n})
        trainer.batch, trainer._sums = b + 1, (total, count, train_ms, lr)
        trainer.in_step = False
        streams.mark_batch_end()
        if stop.requested:
            raise KeyboardInterrupt
    if count == 0:
        raise ValueError("fit: train_loader yielded no batches (dataset smaller than batch_size with "
                         "drop_last=True?)")
    logs = {"loss": total / count}
    logs.update({m.name: m.compute() for m in train_ms})
    logs["lr"] = lr
    return logs


def _resume_in_epoch(trainer, loader, train_ms, position):
    """Continue an epoch a checkpoint stopped in: the same batch order, its first batches skipped,
    the running sums and random streams as they were. Returns (batches, total, count, lr)."""
    streams = trainer.streams
    now = (get_rng_state(), np.random.get_state())  # as load_checkpoint restored them
    streams.restore_epoch_start(position, "fit")
    batches = enumerate(loader)
    for _ in range(position["batch"]):
        if next(batches, None) is None:
            raise ValueError(f"fit: the checkpoint stopped after batch {position['batch']} of epoch "
                             f"{position['epoch'] + 1}, but the loader has only {len(loader)} batches; resume "
                             "with the loader (data set, batch size) of the saved run")
    if position["batch"]:
        # the order is drawn (the first batch is out): the streams go on from where the run stopped.
        # (Before any batch, the run stopped with the streams as the epoch began: nothing to put back,
        # and the loader's draws, some made only at its first batch, are still to come.)
        set_rng_state(now[0])
        np.random.set_state(now[1])
    streams.mark_batch_end()
    trainer.batch = position["batch"]
    for m in train_ms:
        if m.name in position["metrics"]:
            m.total, m.count = position["metrics"][m.name]
    return batches, position["loss_total"], position["count"], position["lr"]
