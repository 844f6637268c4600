"""Datasets: the map-style ``Dataset`` protocol, ``IterableDataset`` and ``ChainDataset`` (streams),
``TensorDataset``, ``Subset``, ``ConcatDataset`` and ``random_split`` (``torch.utils.data``)."""
import bisect
import math

import numpy as np

from ..autograd.tensor import Tensor, wrap_array
from ..random import default_generator

__all__ = ["Dataset", "IterableDataset", "ChainDataset", "TensorDataset", "Subset", "ConcatDataset",
           "random_split"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__``.

    glassgrad extension: a dataset may also define ``get_batch(indices)`` returning the already
    collated batch; ``DataLoader`` with the default ``collate_fn`` then fetches a whole batch with
    one fancy-indexing call instead of one call per sample (the built-in datasets do this).
    """

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define ``__iter__`` (PyTorch's ``IterableDataset``).

    With ``num_workers > 0`` every worker iterates its own copy; split the stream between them
    in ``__iter__`` with ``glassgrad.data.get_worker_info()`` (else each sample comes once per
    worker). Batches are taken from the workers in turn.
    """

    def __iter__(self):
        raise TypeError(f"{type(self).__name__} must define __iter__")

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate over it instead of indexing")

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several IterableDatasets one after the other, as one stream (chained lazily: each is
    iterated only when the previous one is exhausted). ``len`` is the sum of their lengths.

    Args:
        datasets: the IterableDatasets, in order.
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for i, d in enumerate(self.datasets):
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, but dataset {i} is a "
                                f"{type(d).__name__}; use ConcatDataset for map-style datasets")
            yield from d

    def __len__(self):
        total = 0
        for i, d in enumerate(self.datasets):
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, but dataset {i} is a "
                                f"{type(d).__name__}; use ConcatDataset for map-style datasets")
            total += len(d)
        return total


class TensorDataset(Dataset):
    """Samples are the ``index``-th rows of the given tensors (all with the same first dimension).

    Example: ``TensorDataset(x, y)[3] == (x[3], y[3])``.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        arrays = []
        for t in tensors:
            a = t.detach().array if isinstance(t, Tensor) else np.asarray(t)
            if a.ndim == 0:
                raise ValueError("TensorDataset: tensors must have a first (sample) dimension, got a 0-d tensor")
            arrays.append(a)
        sizes = [a.shape[0] for a in arrays]
        if len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: size mismatch between tensors: first dimensions {sizes}; "
                             "every tensor needs one row per sample")
        self.tensors = tuple(t if isinstance(t, Tensor) else wrap_array(a) for t, a in zip(tensors, arrays))
        self._arrays = arrays

    def __getitem__(self, index):
        return tuple(wrap_array(a[index]) for a in self._arrays)

    def get_batch(self, indices):
        """The collated batch for ``indices`` (one fancy index per tensor)."""
        idx = np.asarray(indices, dtype=np.int64)
        return [wrap_array(a[idx]) for a in self._arrays]

    def __len__(self):
        return self._arrays[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)

    def __getattr__(self, name):
        if name == "get_batch" and hasattr(self.__dict__.get("dataset"), "get_batch"):
            return lambda indices: self.dataset.get_batch([self.indices[i] for i in indices])
        raise AttributeError(f"'Subset' object has no attribute '{name}'")


class ConcatDataset(Dataset):
    """The datasets one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("ConcatDataset: absolute value of index should not exceed dataset length")
            idx += len(self)
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[d - 1] if d else 0
        return self.datasets[d][idx - start]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths.

    Args:
        lengths: sizes summing to ``len(dataset)``, or fractions summing to 1 (the remainder of
            ``floor`` rounding goes round-robin to the first splits, as in PyTorch).
        generator: a ``glassgrad.Generator`` (default: the global one).
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and any(
            isinstance(f, float) or (0 < f < 1) for f in lengths):
        if any(f < 0 or f > 1 for f in lengths):
            raise ValueError(f"random_split: fractions must be between 0 and 1, got {lengths}")
        sizes = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if any(int(x) != x or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions summing to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: sum of input lengths ({sum(lengths)}) does not equal the length of "
                         f"the input dataset ({n})")
    perm = (generator or default_generator).rng.permutation(n).tolist()
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[start:start + int(length)]))
        start += int(length)
    return out
