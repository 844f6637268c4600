"""The main-process side of ``DataLoader(num_workers > 0)``: starts the workers, hands them index
lists round-robin (``prefetch_factor`` per worker in flight), and yields their batches in
the sampler's order, whichever worker finishes first.

The sampler runs here, in the main process, so the batches and their order are those of
``num_workers=0``. A worker's exception is re-raised here with its traceback; a worker that
dies (a signal, ``os._exit``) is reported instead of waited for.
"""
import glob
import itertools
import multiprocessing
import os
import queue
import time

from . import shared_batch
from .worker import STATUS_CHECK_INTERVAL, ExceptionWrapper, IterableExhausted, Resume, worker_loop


class _WorkerSpec:
    """What a worker needs from the loader (passed once, at start)."""

    def __init__(self, loader):
        self.dataset, self.collate_fn = loader.dataset, loader.collate_fn
        self.worker_init_fn, self.num_workers = loader.worker_init_fn, loader.num_workers
        self.iterable, self.batch_size, self.drop_last = loader._iterable, loader.batch_size, loader.drop_last
        self.auto_collation = loader._auto_collation
        self.fast = loader._fast_batches


class MultiProcessIter:
    """Iterator over a loader's batches made by worker processes."""

    def __init__(self, loader, base_seed):
        self._loader = loader
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        n = loader.num_workers
        self._result_queue = ctx.Queue()
        self._index_queues, self._workers = [], []
        spec = _WorkerSpec(loader)
        for i in range(n):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()
            w = ctx.Process(target=worker_loop, args=(spec, i, index_queue, self._result_queue, base_seed, os.getpid()),
                            daemon=True, name=f"glassgrad-loader-{i}")
            w.start()
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._shut = False
        self._generation = -1
        self._reset(loader)

    def _reset(self, loader, first=True):
        """Start an epoch: a new pass of the sampler, nothing in flight from an earlier one."""
        self._generation += 1
        if not first:
            self._discard_arrived()
            for q in self._index_queues:
                q.put(Resume())
        self._indices = iter(loader.batch_sampler if loader._auto_collation else loader.sampler) \
            if not loader._iterable else itertools.repeat(None)
        self._send_idx = self._rcvd_idx = 0
        self._tasks = {}              # idx -> [worker_id] while waiting, [worker_id, data] when arrived early
        self._active = [True] * loader.num_workers
        self._cycle = itertools.cycle(range(loader.num_workers))
        for _ in range(loader.prefetch_factor * loader.num_workers):
            self._put_index()

    def _put_index(self):
        if not any(self._active):
            return
        try:
            indices = next(self._indices)
        except StopIteration:
            return
        for _ in range(len(self._active)):
            worker_id = next(self._cycle)
            if self._active[worker_id]:
                break
        self._index_queues[worker_id].put((self._generation, self._send_idx, indices))
        self._tasks[self._send_idx] = [worker_id]
        self._send_idx += 1

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                task = self._tasks[self._rcvd_idx]
                if len(task) == 2 or self._active[task[0]]:
                    break
                del self._tasks[self._rcvd_idx]   # its worker ran out of data: nothing will come
                self._rcvd_idx += 1
            else:
                if not self._loader.persistent_workers:
                    self.shutdown()
                raise StopIteration
            task = self._tasks[self._rcvd_idx]
            if len(task) == 2:
                del self._tasks[self._rcvd_idx]
                return self._deliver(task[1])
            idx, data = self._get()
            if isinstance(data, IterableExhausted):
                self._active[data.worker_id] = False   # its tasks are skipped above when reached
                continue
            if idx != self._rcvd_idx:
                self._tasks[idx].append(data)
                continue
            del self._tasks[idx]
            return self._deliver(data)

    def _deliver(self, data):
        self._rcvd_idx += 1
        self._put_index()
        if isinstance(data, ExceptionWrapper):
            self.shutdown()
            data.reraise()
        return shared_batch.receive(data)

    def _get(self):
        """The next result of this epoch from any worker; an error if a worker died or time ran out."""
        timeout = self._loader.timeout
        start = time.monotonic()
        while True:
            try:
                generation, idx, data = self._result_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:
                    self.shutdown()
                    details = ", ".join(f"pid {w.pid}, exit code {w.exitcode}" for w in dead)
                    raise RuntimeError(f"DataLoader worker ({details}) exited unexpectedly; if it was killed "
                                       "for memory, lower num_workers or batch_size") from None
                if timeout and time.monotonic() - start > timeout:
                    self.shutdown()
                    raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None
                continue
            if generation == self._generation:
                return idx, data
            shared_batch.discard(data)   # left over from an epoch that was not read to the end

    def shutdown(self):
        """Stop the workers and free the shared memory of batches nobody read."""
        if self._shut:
            return
        self._shut = True
        for q in self._index_queues:
            try:
                q.put(None)
            except (ValueError, OSError):
                pass
        for w in self._workers:
            w.join(timeout=STATUS_CHECK_INTERVAL * 2)
            if w.is_alive():
                w.terminate()
        while True:
            try:
                _, _, data = self._result_queue.get_nowait()
            except (queue.Empty, OSError, ValueError, EOFError):
                break
            shared_batch.discard(data)
        self._discard_arrived()
        for w in self._workers:   # what a worker that died had written but not sent
            for path in glob.glob(os.path.join(shared_batch.DIRECTORY, f"{shared_batch.PREFIX}{w.pid}-*")):
                shared_batch.SharedArray(path, None, None, False).discard()
        self._result_queue.cancel_join_thread()
        self._result_queue.close()

    def _discard_arrived(self):
        """Free the batches that arrived ahead of their turn and will not be read now."""
        for task in self._tasks.values():
            if len(task) == 2:
                shared_batch.discard(task[1])
        self._tasks = {}

    def __del__(self):
        try:
            self.shutdown()
        except Exception:
            pass
