"""Metrics for ``fit``/``evaluate``: accuracy, top-k accuracy, MAE, RMSE, and user callables.

A metric accumulates over the batches of an epoch (``reset``/``update``/``compute``) so that the
epoch value is exact, not an average of batch averages.
"""
import numpy as np

from ..autograd.tensor import Tensor

__all__ = ["Metric", "Accuracy", "TopKAccuracy", "MAE", "RMSE", "FunctionMetric", "accuracy",
           "top_k_accuracy", "mae", "rmse", "get_metric"]


def _np(x):
    if isinstance(x, Tensor):
        return np.asarray(x.detach())
    return np.asarray(x)


class Metric:
    """Base class: ``name``, ``reset()``, ``update(output, target)``, ``compute() -> float``."""
    name = "metric"

    def __init__(self):
        self.reset()

    def reset(self):
        """Forget the accumulated batches (called at the start of each epoch)."""
        self.total, self.count = 0.0, 0

    def update(self, output, target):
        """Accumulate one batch."""
        raise TypeError(f"{type(self).__name__} must define update(output, target)")

    def compute(self):
        """The value over all batches since ``reset``."""
        return float(self.total / self.count) if self.count else float("nan")

    def __call__(self, output, target):
        """The metric of one batch (stateless)."""
        m = type(self).__new__(type(self))
        m.__dict__.update(self.__dict__)
        m.reset()
        m.update(output, target)
        return m.compute()


class Accuracy(Metric):
    """Fraction of correct predictions.

    Shape:
        - output: (N, C) scores (logits or probabilities; the argmax is the prediction), or (N,) /
          (N, 1) binary scores (threshold 0.5 for probabilities in [0, 1], else 0 for logits).
        - target: (N,) class indices, or (N, C) probabilities / one-hot (argmax taken).
    """
    name = "accuracy"

    def update(self, output, target):
        out, tgt = _np(output), _np(target)
        if out.ndim > 2 or (out.ndim == 2 and out.shape[1] > 1):  # class scores along dim 1
            pred = out.argmax(axis=1)
            if tgt.ndim == out.ndim and tgt.shape == out.shape:
                tgt = tgt.argmax(axis=1)
        else:
            scores = out.reshape(out.shape[0], -1)[:, 0] if out.ndim else out.reshape(1)
            threshold = 0.5 if scores.size and scores.min() >= 0 and scores.max() <= 1 else 0.0
            pred = (scores > threshold).astype(np.int64)
            tgt = tgt.reshape(pred.shape)
        if pred.shape != tgt.shape:
            raise ValueError(f"accuracy: predictions of shape {pred.shape} (from output {out.shape}) do not match "
                             f"targets of shape {tgt.shape}")
        self.total += float((pred == tgt).sum())
        self.count += int(pred.size)


class TopKAccuracy(Metric):
    """Fraction of samples whose target is among the ``k`` highest scores (output (N, C), target (N,))."""

    def __init__(self, k=5):
        if int(k) < 1:
            raise ValueError(f"top_k_accuracy: k must be >= 1, got {k}")
        self.k = int(k)
        self.name = f"top_{self.k}_accuracy"
        super().__init__()

    def update(self, output, target):
        out, tgt = _np(output), _np(target).reshape(-1)
        if out.ndim != 2 or out.shape[0] != tgt.shape[0]:
            raise ValueError(f"{self.name}: expected output (N, C) and target (N,), got {out.shape} and {tgt.shape}")
        if self.k > out.shape[1]:
            raise ValueError(f"{self.name}: k={self.k} is larger than the number of classes {out.shape[1]}")
        top = np.argpartition(-out, self.k - 1, axis=1)[:, :self.k]
        self.total += float((top == tgt[:, None]).any(axis=1).sum())
        self.count += int(tgt.shape[0])


class _Elementwise(Metric):
    def update(self, output, target):
        out, tgt = _np(output).astype(np.float64), _np(target).astype(np.float64)
        if out.shape != tgt.shape:
            if out.size != tgt.size:
                raise ValueError(f"{self.name}: output shape {out.shape} and target shape {tgt.shape} differ")
            tgt = tgt.reshape(out.shape)
        self.total += float(self._err(out - tgt).sum())
        self.count += int(out.size)


class MAE(_Elementwise):
    """Mean absolute error over all elements."""
    name = "mae"

    @staticmethod
    def _err(d):
        return np.abs(d)


class RMSE(_Elementwise):
    """Root mean squared error over all elements."""
    name = "rmse"

    @staticmethod
    def _err(d):
        return d * d

    def compute(self):
        return float(np.sqrt(self.total / self.count)) if self.count else float("nan")


class FunctionMetric(Metric):
    """A user function ``fn(output, target) -> number``, averaged over batches weighted by batch size."""

    def __init__(self, fn, name=None):
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "metric")
        super().__init__()

    def update(self, output, target):
        n = len(output) if getattr(output, "ndim", 0) else 1
        value = self.fn(output, target)
        self.total += float(value.item() if hasattr(value, "item") else value) * n
        self.count += n


def accuracy(output, target):
    """Accuracy of one batch (see ``Accuracy``)."""
    return Accuracy()(output, target)


def top_k_accuracy(k=5):
    """A metric: fraction of samples with the target among the top ``k`` scores."""
    return TopKAccuracy(k)


def mae(output, target):
    """Mean absolute error of one batch."""
    return MAE()(output, target)


def rmse(output, target):
    """Root mean squared error of one batch."""
    return RMSE()(output, target)


_BY_NAME = {"accuracy": Accuracy, "acc": Accuracy, "mae": MAE, "rmse": RMSE}
_BY_FN = {accuracy: Accuracy, mae: MAE, rmse: RMSE}


def get_metric(spec):
    """A fresh ``Metric`` from a name ('accuracy', 'top_5_accuracy', 'mae', 'rmse'), a Metric, or a callable."""
    if isinstance(spec, Metric):
        m = type(spec).__new__(type(spec))
        m.__dict__.update(spec.__dict__)
        m.reset()
        return m
    if isinstance(spec, str):
        key = spec.lower()
        if key in _BY_NAME:
            return _BY_NAME[key]()
        if key.startswith("top_") and key.endswith("_accuracy") and key[4:-9].isdigit():
            return TopKAccuracy(int(key[4:-9]))
        raise ValueError(f"unknown metric {spec!r}; use 'accuracy', 'top_k_accuracy' as 'top_5_accuracy', "
                         "'mae', 'rmse', or a callable(output, target)")
    if spec in _BY_FN:
        return _BY_FN[spec]()
    if callable(spec):
        return FunctionMetric(spec)
    raise TypeError(f"metric must be a name, a Metric or a callable, got {type(spec).__name__}")
