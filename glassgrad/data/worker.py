"""The loop a ``DataLoader`` worker process runs, ``get_worker_info``, and how a worker's
exception travels to the main process (``torch.utils.data``'s worker semantics).

Each worker is seeded ``base_seed + worker_id`` (glassgrad's generator and Python's ``random``;
NumPy's global generator from the same pair), runs ``worker_init_fn(worker_id)``, then turns
index lists from its queue into batches, sent back through shared memory.
"""
import itertools
import os
import queue
import random
import sys
import traceback

import numpy as np

from . import shared_batch

__all__ = ["WorkerInfo", "get_worker_info"]

STATUS_CHECK_INTERVAL = 1.0  # seconds between checks that the other side is still alive

_info = None


class WorkerInfo:
    """What a worker process knows about itself: ``id``, ``num_workers``, ``seed``, ``dataset``
    (its own copy)."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, dataset={self.dataset!r})"


def get_worker_info():
    """In a DataLoader worker process, its :class:`WorkerInfo`; None in the main process."""
    return _info


class ExceptionWrapper:
    """An exception raised in a worker, with its formatted traceback, re-raised in the main process."""

    def __init__(self, exc_info, where):
        self.exc_type = exc_info[0]
        self.message = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.message}"
        if self.exc_type is KeyError:  # KeyError would show the message as a quoted repr
            message = KeyErrorMessage(message)
        try:
            exception = self.exc_type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise exception


class KeyErrorMessage(str):
    """A message whose repr is itself, for KeyError."""

    def __repr__(self):
        return self


class IterableExhausted:
    """Sent by a worker whose copy of an IterableDataset has no more data."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class Resume:
    """Sent to persistent workers at a new epoch: start an IterableDataset's iterator again."""


def fetch_map(dataset, indices, collate_fn, auto_collation, fast):
    """The batch for ``indices`` of a map-style dataset (or one sample without auto-collation)."""
    if not auto_collation:
        return collate_fn(dataset[indices])
    if fast:
        return dataset.get_batch(indices)
    return collate_fn([dataset[i] for i in indices])


def fetch_iterable(iterator, batch_size, drop_last, collate_fn, auto_collation):
    """The next batch from an IterableDataset's iterator; StopIteration when it is done."""
    if not auto_collation:
        return collate_fn(next(iterator))
    batch = list(itertools.islice(iterator, batch_size))
    if not batch or (drop_last and len(batch) < batch_size):
        raise StopIteration
    return collate_fn(batch)


def _seed(base_seed, worker_id):
    from .. import random as gg_random
    from .. import parallel
    seed = base_seed + worker_id
    random.seed(seed)
    gg_random.manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(1)[0])
    parallel.set_num_threads(1)  # the workers already fill the cores
    return seed


def worker_loop(spec, worker_id, index_queue, result_queue, base_seed, parent_pid):
    """Entry point of a worker process. ``spec``: the loader's dataset, collate_fn, batching,
    worker_init_fn and num_workers (see ``dataloader_iter._WorkerSpec``)."""
    global _info
    try:
        seed = _seed(base_seed, worker_id)
        _info = WorkerInfo(worker_id, spec.num_workers, seed, spec.dataset)
        failure = None
        iterator = None
        try:
            if spec.worker_init_fn is not None:
                spec.worker_init_fn(worker_id)
            if spec.iterable:
                iterator = iter(spec.dataset)
        except Exception:
            failure = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}")
        while True:
            try:
                task = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the main process is gone
                    return
                continue
            if task is None:
                return
            if isinstance(task, Resume):
                if spec.iterable and failure is None:
                    iterator = iter(spec.dataset)
                continue
            generation, idx, indices = task
            if failure is not None:
                data, failure = failure, None
            else:
                try:
                    if spec.iterable:
                        data = fetch_iterable(iterator, spec.batch_size, spec.drop_last, spec.collate_fn,
                                              spec.auto_collation)
                    else:
                        data = fetch_map(spec.dataset, indices, spec.collate_fn, spec.auto_collation, spec.fast)
                    data = shared_batch.share(data)
                except StopIteration:
                    data = IterableExhausted(worker_id)
                except Exception:
                    data = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}")
            result_queue.put((generation, idx, data))
            del data
    except KeyboardInterrupt:
        pass
