"""A fixed random train/test split of indices, plain NumPy so every framework gets the same one."""
import numpy as np

__all__ = ["fixed_split"]


def fixed_split(n, test_fraction=0.2, seed=0):
    """(train_indices, test_indices), each sorted: ``round(n * test_fraction)`` test items drawn by
    ``numpy.random.default_rng(seed).permutation(n)``."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"fixed_split: test_fraction must be in (0, 1), got {test_fraction}")
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    return np.sort(order[n_test:]), np.sort(order[:n_test])
