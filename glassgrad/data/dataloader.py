"""``DataLoader``: batches from a dataset, and ``default_collate`` (``torch.utils.data``)."""
import collections.abc
import numbers

import numpy as np

from ..autograd.tensor import Tensor, wrap_array
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate"]



def default_collate(batch):
    """Merge a list of samples into a batch, as PyTorch's ``default_collate``.

    Tensors and arrays are stacked along a new first dimension; Python ints become an int64
    tensor, floats a float64 tensor, bools a bool tensor; NumPy scalars keep their dtype; strings
    stay a list; tuples/lists are collated element-wise (returning a list) and dicts key-wise.
    """
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        shapes = {tuple(b.shape) for b in batch}
        if len(shapes) != 1:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, got shapes "
                               f"{sorted(shapes)}; pad the samples or pass a collate_fn")
        xp = np
        try:
            from .. import backend
            xp = backend.namespace(elem.array)
        except Exception:
            pass
        return wrap_array(xp.stack([b.array for b in batch]))
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSU":
            raise TypeError(f"default_collate: batch must contain tensors, numbers, dicts or lists; found "
                            f"array of dtype {elem.dtype}")
        shapes = {b.shape for b in batch}
        if len(shapes) != 1:
            raise RuntimeError(f"default_collate: stack expects each array to be equal size, got shapes "
                               f"{sorted(shapes)}; pad the samples or pass a collate_fn")
        return wrap_array(np.stack(batch))
    if isinstance(elem, np.generic):
        return wrap_array(np.array(batch, dtype=elem.dtype))
    if isinstance(elem, bool):
        return wrap_array(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return wrap_array(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return wrap_array(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if len({len(b) for b in batch}) != 1:
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem).__name__}")


class DataLoader:
    """Iterates over ``dataset`` in batches (PyTorch's ``DataLoader``, single process).

    Args:
        dataset: a map-style dataset (``__getitem__`` + ``__len__``).
        batch_size: samples per batch (None turns automatic batching off: single samples).
        shuffle: a new random order every epoch (drawn from ``generator``, else the global one).
        sampler: the index order (excludes ``shuffle``).
        batch_sampler: yields lists of indices (excludes batch_size, shuffle, sampler, drop_last).
        num_workers: accepted for compatibility; loading runs in this process.
        collate_fn: merges a list of samples (default: ``default_collate``).
        drop_last: drop the last incomplete batch.
        generator: a ``glassgrad.Generator`` for shuffling.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 generator=None, **kwargs):
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader: dataset must define __getitem__ and __len__, got {type(dataset).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if batch_size is not None and (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                                       or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size should be a positive integer value, got {batch_size!r}")
        if num_workers < 0:
            raise ValueError("DataLoader: num_workers option should be non-negative")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers = num_workers
        self._default_collate = collate_fn is None
        self.collate_fn = collate_fn if collate_fn is not None else default_collate

    def __iter__(self):
        if self.batch_sampler is None:  # automatic batching off: one sample at a time
            for idx in self.sampler:
                yield self.dataset[idx]
            return
        fast = self._default_collate and callable(getattr(self.dataset, "get_batch", None))
        for indices in self.batch_sampler:
            if fast:
                yield self.dataset.get_batch(indices)
            else:
                yield self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self):
        if self.batch_sampler is None:
            return len(self.sampler)
        return len(self.batch_sampler)

    def __repr__(self):
        return (f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, drop_last={self.drop_last})")
