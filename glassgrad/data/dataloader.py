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


def _identity(sample):
    return sample


class DataLoader:
    """Iterates over ``dataset`` in batches (PyTorch's ``DataLoader``).

    Args:
        dataset: a map-style dataset (``__getitem__`` + ``__len__``) or an ``IterableDataset``.
        batch_size: samples per batch (None turns automatic batching off: single samples).
        shuffle: a new random order every epoch (drawn from ``generator``, else the global one).
        sampler: the index order (excludes ``shuffle``).
        batch_sampler: yields lists of indices (excludes batch_size, shuffle, sampler, drop_last).
        num_workers: worker processes that load batches (0: load in this process). The sampler
            still runs here, so the batches and their order do not depend on ``num_workers``;
            batches come back through shared memory (see ``worker.py``, ``dataloader_iter.py``).
        collate_fn: merges a list of samples (default: ``default_collate``).
        pin_memory: accepted; CPU arrays need no pinning, so it changes nothing.
        drop_last: drop the last incomplete batch.
        timeout: seconds to wait for a batch from the workers (0: forever).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after seeding.
        multiprocessing_context: a start method name or context (default: ``"fork"`` where it exists).
        generator: a ``glassgrad.Generator`` for shuffling and the workers' base seed.
        prefetch_factor: batches in flight per worker (default 2; only with ``num_workers > 0``).
        persistent_workers: keep the workers alive from one epoch to the next.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        from .dataset import IterableDataset
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                                     f"but got {name}={value!r}; an IterableDataset decides its own order")
        elif not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader: dataset must define __getitem__ and __len__ (or be an IterableDataset), "
                            f"got {type(dataset).__name__}")
        shuffle = bool(shuffle)
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
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be a non-negative integer, got {num_workers!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified in multiprocessing; "
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None")
        if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor < 1):
            raise ValueError(f"DataLoader: prefetch_factor must be a positive integer, got {prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if timeout < 0:
            raise ValueError("DataLoader: timeout option should be non-negative")
        if not self._iterable and sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if not self._iterable and batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.timeout, self.worker_init_fn = num_workers, timeout, worker_init_fn
        self.prefetch_factor = (2 if prefetch_factor is None else prefetch_factor) if num_workers else None
        self.persistent_workers, self.pin_memory = persistent_workers, pin_memory
        self.multiprocessing_context = multiprocessing_context
        self._auto_collation = batch_sampler is not None or (self._iterable and batch_size is not None)
        default = collate_fn is None
        self.collate_fn = collate_fn if collate_fn is not None else (default_collate if self._auto_collation
                                                                     else _identity)
        self._fast_batches = default and callable(getattr(dataset, "get_batch", None))
        self._workers = None

    def __iter__(self):
        from ..random import default_generator
        # One seed per pass, drawn whatever num_workers is (as PyTorch does), so that the sampler
        # draws the same order with and without workers; worker i is seeded base_seed + i.
        base_seed = int((self.generator or default_generator).rng.integers(0, 2 ** 63 - 1 - 2 ** 16))
        if self.num_workers == 0:
            return self._single_process()
        from .dataloader_iter import MultiProcessIter
        if self.persistent_workers and self._workers is not None and not self._workers._shut:
            self._workers._reset(self, first=False)
            return self._workers
        it = MultiProcessIter(self, base_seed)
        if self.persistent_workers:
            self._workers = it
        return it

    def _single_process(self):
        from .worker import fetch_iterable, fetch_map
        if self._iterable:
            iterator = iter(self.dataset)
            while True:
                try:
                    batch = fetch_iterable(iterator, self.batch_size, self.drop_last, self.collate_fn,
                                           self._auto_collation)
                except StopIteration:
                    return
                yield batch
        indices = self.batch_sampler if self._auto_collation else self.sampler
        for index in indices:
            yield fetch_map(self.dataset, index, self.collate_fn, self._auto_collation, self._fast_batches)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is None:
            return len(self.sampler)
        return len(self.batch_sampler)

    def __repr__(self):
        size = len(self.dataset) if hasattr(self.dataset, "__len__") else "?"
        return (f"DataLoader(dataset={type(self.dataset).__name__} of {size}, "
                f"batch_size={self.batch_size}, drop_last={self.drop_last}, num_workers={self.num_workers})")
