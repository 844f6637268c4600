"""The training loop: ``fit``, ``evaluate`` and ``predict`` (Keras-style conveniences over a
PyTorch-style model, optimizer and loss)."""
import math

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor, wrap_array
from .callbacks import Callback, LRSchedulerCallback, ModelCheckpoint
from .history import History
from .metrics import get_metric
from .progress import ProgressBar

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
    """The state of a running ``fit``, seen by callbacks as ``callback.trainer``."""

    def __init__(self, model, optimizer, scheduler, history, progress):
        self.model, self.optimizer, self.scheduler, self.history = model, optimizer, scheduler, history
        self.progress = progress
        self.stop_training = False
        self.epoch = 0
        self.loss = None  # the latest batch's loss tensor (its graph feeds glassgrad.inspect)

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
        progress=None):
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
        checkpoint: a path: save a checkpoint after every epoch and on Ctrl-C.

    Ctrl-C (KeyboardInterrupt) during training ends the epoch cleanly: callbacks get
    ``on_interrupt`` (checkpoints are saved), then ``on_train_end``; the History is returned with
    ``interrupted = True``.
    """
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
    trainer = Trainer(model, optimizer, scheduler, history, progress)
    for cb in callbacks:
        cb.set_trainer(trainer)
    train_ms = _run_metrics(metrics)
    for cb in callbacks:
        cb.on_train_begin({})
    epoch, logs = initial_epoch, {}
    try:
        for epoch in range(initial_epoch, epochs):
            trainer.epoch = epoch
            lr = _lr(optimizer)
            for cb in callbacks:
                cb.on_epoch_begin(epoch, {})
            if progress is not None:
                progress.epoch_begin(epoch, epochs, len(train_loader) if hasattr(train_loader, "__len__") else None)
            model.train()
            for m in train_ms:
                m.reset()
            total, count = 0.0, 0
            for b, batch in enumerate(train_loader):
                inputs, target = _split(_to(batch, device), "fit")
                for cb in callbacks:
                    cb.on_batch_begin(b, {})
                optimizer.zero_grad()
                out = model(*inputs)
                loss = loss_fn(out, target)
                loss.backward()
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
            if count == 0:
                raise ValueError("fit: train_loader yielded no batches (dataset smaller than batch_size with "
                                 "drop_last=True?)")
            logs = {"loss": total / count}
            logs.update({m.name: m.compute() for m in train_ms})
            if val_loader is not None:
                val = evaluate(model, val_loader, loss_fn, metrics, device=device)
                logs.update({f"val_{k}": v for k, v in val.items()})
            logs["lr"] = lr
            history.append(epoch, logs)
            if progress is not None:
                progress.epoch_end(logs)
            for cb in callbacks:
                cb.on_epoch_end(epoch, logs)
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
        trainer.message(f"interrupted during epoch {epoch + 1}; finishing cleanly")
        for cb in callbacks:
            cb.on_interrupt(epoch, logs)
        saved = [p for cb in callbacks if isinstance(cb, ModelCheckpoint) for p in cb.saved[-1:]]
        if saved:
            trainer.message(f"checkpoint saved to {saved[-1]}")
    finally:
        if progress is not None:
            progress.close()
    for cb in callbacks:
        cb.on_train_end({})
    return history
