"""``SummaryWriter``: TensorBoard event files, as ``torch.utils.tensorboard.SummaryWriter`` writes them.

It writes through tensorboardX (the optional extra ``tensorboard``:
``pip install 'glassgrad[tensorboard]'``). Values may be glassgrad Tensors, NumPy arrays or numbers.
"""
import numpy as np

__all__ = ["SummaryWriter"]


def _tensorboardx():
    try:
        import tensorboardX
    except ImportError:
        raise ImportError("glassgrad.utils.tensorboard needs tensorboardX; install it with "
                          "pip install 'glassgrad[tensorboard]' (or pip install tensorboardX)") from None
    return tensorboardX


def _array(values, what):
    try:
        return np.asarray(values.detach() if hasattr(values, "detach") else values)
    except Exception as e:
        raise TypeError(f"SummaryWriter.{what}: values must be a Tensor, an array or numbers, got "
                        f"{type(values).__name__} ({e})") from None


def _scalar(value, tag):
    a = _array(value, "add_scalar")
    if a.size != 1:
        raise ValueError(f"SummaryWriter.add_scalar({tag!r}): the value must hold one number, got shape {a.shape}")
    return float(a.reshape(()))


class SummaryWriter:
    """Writes scalars, histograms, text and hyperparameters to event files in ``log_dir`` (default
    ``runs/CURRENT_DATETIME_HOSTNAME``, like PyTorch) for TensorBoard to show."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix=""):
        tbx = _tensorboardx()
        self._writer = tbx.SummaryWriter(logdir=log_dir, comment=comment, purge_step=purge_step, max_queue=max_queue,
                                         flush_secs=flush_secs, filename_suffix=filename_suffix)

    @property
    def log_dir(self):
        """The directory the event files go to."""
        return self._writer.logdir

    def get_logdir(self):
        """The directory the event files go to."""
        return self._writer.logdir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None):
        """Record one number under ``tag`` at ``global_step``."""
        self._writer.add_scalar(tag, _scalar(scalar_value, tag), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Record several numbers shown on one chart (``{name: value}``)."""
        self._writer.add_scalars(main_tag, {k: _scalar(v, k) for k, v in tag_scalar_dict.items()}, global_step,
                                 walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """Record the distribution of ``values`` (bins: 'tensorflow', 'auto', 'fd', ... or an int)."""
        a = _array(values, "add_histogram").astype(np.float64).reshape(-1)
        if a.size == 0:
            raise ValueError(f"SummaryWriter.add_histogram({tag!r}): values are empty; nothing to histogram")
        if not np.isfinite(a).all():
            raise ValueError(f"SummaryWriter.add_histogram({tag!r}): values hold NaN or Inf; histograms need "
                             "finite values")
        self._writer.add_histogram(tag, a, global_step, bins=bins, walltime=walltime, max_bins=max_bins)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts,
                          global_step=None, walltime=None):
        """Record a histogram computed already: right edges ``bucket_limits`` and ``bucket_counts``."""
        limits, counts = list(map(float, bucket_limits)), list(map(float, bucket_counts))
        if len(limits) != len(counts):
            raise ValueError(f"SummaryWriter.add_histogram_raw({tag!r}): bucket_limits ({len(limits)}) and "
                             f"bucket_counts ({len(counts)}) must have the same length")
        self._writer.add_histogram_raw(tag, float(min), float(max), float(num), float(sum), float(sum_squares),
                                       limits, counts, global_step, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Record a piece of (markdown) text."""
        self._writer.add_text(tag, str(text_string), global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None):
        """Record one run's hyperparameters and its resulting metrics (TensorBoard's HPARAMS tab)."""
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("SummaryWriter.add_hparams: hparam_dict and metric_dict must be dicts")
        metrics = {k: _scalar(v, k) for k, v in metric_dict.items()}
        self._writer.add_hparams(hparam_dict, metrics, name=run_name, global_step=global_step)

    def flush(self):
        """Write pending events to disk."""
        self._writer.flush()

    def close(self):
        """Flush and close the event files."""
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
