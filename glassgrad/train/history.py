"""``History``: what ``fit`` returns, per-epoch values keyed by name (Keras's ``History``)."""

__all__ = ["History"]


class History:
    """Per-epoch logs of a ``fit`` run.

    Attributes:
        history: dict of name -> list, one entry per epoch: 'loss', each metric, 'val_loss' and
            'val_<metric>' when there is validation data, and 'lr'.
        epoch: the epoch numbers (0-based) the entries belong to.
        interrupted: True when Ctrl-C ended the run early.
        stopped_epoch: the epoch a callback stopped training at, else None.
    """

    def __init__(self):
        self.history, self.epoch = {}, []
        self.interrupted, self.stopped_epoch = False, None

    def append(self, epoch, logs):
        """Record ``logs`` (name -> number) for ``epoch``; names missing this epoch get None."""
        n = len(self.epoch)
        for key, value in logs.items():
            self.history.setdefault(key, [None] * n).append(value)
        for key, values in self.history.items():
            if len(values) == n:
                values.append(None)
        self.epoch.append(epoch)

    def __getitem__(self, key):
        return self.history[key]

    def __contains__(self, key):
        return key in self.history

    def __len__(self):
        return len(self.epoch)

    def best(self, monitor="val_loss", mode="min"):
        """``(epoch, value)`` of the best recorded ``monitor``."""
        values = [(v, e) for e, v in zip(self.epoch, self.history.get(monitor, [])) if v is not None]
        if not values:
            raise KeyError(f"History.best: no values recorded for {monitor!r}; have {sorted(self.history)}")
        v, e = (min if mode == "min" else max)(values)
        return e, v

    def __repr__(self):
        last = {k: v[-1] for k, v in self.history.items()} if self.epoch else {}
        return f"History(epochs={len(self.epoch)}, last={last})"
