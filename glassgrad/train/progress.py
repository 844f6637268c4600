"""Progress display for ``fit``: a live tqdm bar on a terminal, one plain line per epoch otherwise."""
import sys
import time

__all__ = ["ProgressBar", "format_logs"]


def format_logs(logs):
    """'loss 0.1234 - accuracy 0.9650 - lr 0.001' from a dict of numbers."""
    parts = []
    for key, value in logs.items():
        if value is None:
            continue
        if key == "lr":
            parts.append(f"lr {value:.3g}")
        elif isinstance(value, float):
            parts.append(f"{key} {value:.4f}")
        else:
            parts.append(f"{key} {value}")
    return " - ".join(parts)


def _use_tqdm(stream):
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class ProgressBar:
    """Shows training progress (used by ``fit`` when ``verbose``).

    Args:
        stream: where to write (default: sys.stdout, looked up at each run).
        live: force the tqdm bar on/off (default: tqdm when installed and ``stream`` is a terminal).
    """

    def __init__(self, stream=None, live=None):
        self.stream, self.live = stream, live
        self._bar = None

    def _out(self):
        return self.stream if self.stream is not None else sys.stdout

    def is_live(self):
        """Whether a live bar is shown (tqdm installed and the stream a terminal, unless forced)."""
        return _use_tqdm(self._out()) if self.live is None else bool(self.live)

    def epoch_begin(self, epoch, epochs, steps):
        self._start = time.perf_counter()
        self._epoch, self._epochs = epoch, epochs
        live = _use_tqdm(self._out()) if self.live is None else self.live
        if live:
            from tqdm import tqdm
            self._bar = tqdm(total=steps, desc=f"epoch {epoch + 1}/{epochs}", file=self._out(), leave=True,
                             dynamic_ncols=True)

    def batch_end(self, batch, loss, logs=None):
        """After a batch: advance the live bar, showing the loss (and ``logs``, e.g. a throughput)."""
        if self._bar is not None:
            self._bar.update(1)
            if batch % 10 == 0:
                text = format_logs({"loss": float(loss), **(logs or {})})
                self._bar.set_postfix_str(text, refresh=False)

    def epoch_end(self, logs):
        elapsed = time.perf_counter() - self._start
        text = format_logs(logs)
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)
            self._bar.close()
            self._bar = None
        else:
            print(f"epoch {self._epoch + 1}/{self._epochs} - {text} - {elapsed:.1f}s", file=self._out(), flush=True)

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def message(self, text):
        print(text, file=self._out(), flush=True)
