"""Drawing indices from categorical distributions: ``multinomial``. Random numbers come from
glassgrad's generators (``generator=`` or the default one): NumPy's PCG64 streams, so the draws
differ from PyTorch's for the same seed, with the same distribution."""
import numpy as np

from ..autograd.tensor import Tensor, wrap_array
from ..random import rng_of

__all__ = ["multinomial"]


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """``num_samples`` category indices per row of ``input`` (non-negative weights, 1-D or 2-D, not
    necessarily summing to 1), drawn with probability proportional to the weights; without
    ``replacement`` each index appears at most once per row. Returns int64 of shape
    (rows, num_samples), or (num_samples,) for a 1-D input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' must be Tensor, not {type(input).__name__}")
    a = input.array
    if a.ndim not in (1, 2):
        raise RuntimeError(f"multinomial(): prob_dist must be 1 or 2 dim, got shape {tuple(a.shape)}")
    if a.dtype.kind != "f":
        raise RuntimeError(f"multinomial(): only supports floating-point dtypes for input, got {a.dtype}")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial(): cannot sample n_sample <= 0 samples, got {num_samples}")
    n = a.shape[-1]
    if n == 0:
        raise RuntimeError("multinomial(): number of categories cannot be zero")
    if not replacement and num_samples > n:
        raise RuntimeError(f"multinomial(): cannot sample n_sample > prob_dist.size(-1) samples without "
                           f"replacement (n_sample={num_samples}, {n} categories); pass replacement=True")
    rows = a.reshape(-1, n).astype(np.float64)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("multinomial(): probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError("multinomial(): invalid multinomial distribution (sum of probabilities <= 0)")
    rng = rng_of(generator)
    out = np.empty((len(rows), num_samples), np.int64)
    for r, w in enumerate(rows):
        if not replacement and np.count_nonzero(w) < num_samples:
            raise RuntimeError(f"multinomial(): invalid multinomial distribution (with replacement=False, not "
                               f"enough non-negative category to sample): row {r} has {np.count_nonzero(w)} "
                               f"nonzero weights for {num_samples} samples")
        out[r] = rng.choice(n, size=num_samples, replace=replacement, p=w / w.sum())
    return wrap_array(out.reshape(num_samples) if a.ndim == 1 else out)


METHODS = {"multinomial": multinomial}
