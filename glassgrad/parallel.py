"""Intra-op parallelism, like PyTorch's ``at::parallel_for``: a big array kernel runs in chunks over
its leading axis on ``get_num_threads()`` threads at once (NumPy releases the GIL inside its loops
and BLAS calls, so the chunks really overlap). Small kernels run in the calling thread: a chunk
must be worth the ~20 µs of handing it over.

The BLAS's threads. OpenBLAS wakes its threads for every GEMM and then keeps them spinning for a
while, on the very cores that glassgrad's chunks need (W_CNN's step took 50 ms with them spinning,
36 ms without), and spinning threads collapse when other processes want the cores (W_LSTM's step:
2 s instead of 0.2 s on a loaded 2-core machine). So glassgrad holds the process's OpenBLAS to one
thread, as ``torch.set_num_threads`` sets MKL's, and splits big GEMMs itself over its own threads,
each chunk a single-threaded BLAS call; with one thread (``set_num_threads(1)``,
``GLASSGRAD_NUM_THREADS=1``) everything, GEMMs included, runs in the calling thread.

Results never depend on what ran before. OpenBLAS's threaded, single-threaded and chunked GEMMs
round differently, so the choice is made from the thread setting alone, at import and in
``set_num_threads``, never from the work seen so far: the same inputs give the same bits at any point
of a process, and in a fresh process resuming it (``tests/test_determinism.py``).
"""
import itertools
import os
import queue
import threading

import numpy as np

from . import blas
from .backend import namespace

__all__ = ["get_num_threads", "set_num_threads", "parallel_for", "for_batch", "map_chunks", "gang_width", "gang", "matmul"]

MIN_BYTES = 1 << 20      # element-wise work below this (bytes touched) runs in one thread
MIN_FLOPS = 4_000_000    # GEMMs below this run in one call


# ---- the BLAS's threads ------------------------------------------------------------------------
_blas = blas.openblas_threads()
if _blas is not None:
    _blas[0](1)


# ---- the pool ----------------------------------------------------------------------------------
def _default_threads():
    """``GLASSGRAD_NUM_THREADS`` if set, else the CPU cores this process may run on."""
    value = os.environ.get("GLASSGRAD_NUM_THREADS")
    if value is not None:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"GLASSGRAD_NUM_THREADS must be a positive integer, got {value!r}")
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


_num_threads = _default_threads()
_pool = None
_local = threading.local()


def get_num_threads():
    """The number of threads glassgrad's kernels use (the CPU cores it may run on, by default)."""
    return _num_threads


def set_num_threads(n):
    """Use ``n`` threads in glassgrad's kernels (big GEMMs included: the BLAS itself stays on one
    thread, see the module's docstring)."""
    global _num_threads, _pool
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    if _pool is not None:
        _pool.shutdown()
    _num_threads, _pool = n, None


def _reset_after_fork():
    global _pool
    _pool = None  # the child has none of the parent's threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _chunks(n, parts):
    step, extra = divmod(n, parts)
    lo = 0
    for i in range(parts):
        hi = lo + step + (i < extra)
        yield lo, hi
        lo = hi


class _Workers:
    """Threads that run ``fn(lo, hi)`` tasks from a queue; each task reports on its caller's queue
    (None, or the exception it raised). Lighter than a ThreadPoolExecutor: no futures."""

    def __init__(self, count):
        self.tasks = queue.SimpleQueue()
        self.threads = [threading.Thread(target=self._work, name=f"glassgrad-{i}", daemon=True) for i in range(count)]
        for t in self.threads:
            t.start()

    def _work(self):
        while True:
            task = self.tasks.get()
            if task is None:
                return
            fn, lo, hi, done = task
            error = None
            try:
                _in_region(fn, lo, hi)
            except BaseException as e:  # handed to the caller, raised there
                error = e
            # drop the task before reporting: its closure may hold the caller's arrays, which must
            # not look shared once the caller goes on (a gradient is adopted only if no one else holds it)
            task = fn = None
            done.put(error)

    def shutdown(self):
        for _ in self.threads:
            self.tasks.put(None)


def _run(n, fn, parts, pieces):
    """``fn`` over ``pieces`` chunks of ``range(n)`` on ``parts`` threads (the caller's included),
    each thread taking the next chunk when done with one: a thread that starts late takes fewer."""
    global _pool
    if _pool is None:
        _pool = _Workers(_num_threads - 1)
    ranges = list(_chunks(n, pieces))
    order = itertools.count()  # (next() on it is atomic: the threads share it without a lock)

    def drain(_lo, _hi):
        i = next(order)
        while i < len(ranges):
            fn(*ranges[i])
            i = next(order)
    done = queue.SimpleQueue()
    for _ in range(parts - 1):
        _pool.tasks.put((drain, 0, 0, done))
    error = None
    try:
        _in_region(drain, 0, 0)
    finally:
        for _ in range(parts - 1):
            error = done.get() or error
    if error is not None:
        raise error


def _in_region(fn, lo, hi):
    _local.inside = True
    try:
        fn(lo, hi)
    finally:
        _local.inside = False


def parallel_for(n, fn, nbytes=0, flops=0, grain=None):
    """Call ``fn(lo, hi)`` on chunks covering ``range(n)``: on several threads when the work
    (``nbytes`` of memory touched, or ``flops`` of GEMMs that ``fn`` runs) is big enough, else once,
    as ``fn(0, n)``. Chunks hold ``grain`` items (default: one chunk per thread for GEMMs, two for
    element-wise work) and go to whichever thread is free.

    ``fn`` must write only its own chunk's part of the output. Nested calls run serially.
    """
    parts = min(_num_threads, n, max(int(nbytes // MIN_BYTES), int(flops // MIN_FLOPS)) or 1)
    if parts < 2 or getattr(_local, "inside", False) or (flops and _blas is None):
        fn(0, n)  # (a BLAS whose threads can't be held threads each GEMM itself)
    else:
        pieces = -(-n // grain) if grain else parts * (1 if flops else 2)
        _run(n, fn, parts, min(n, max(parts, pieces)))


def for_batch(a, fn, nbytes=0, flops=0, grain=None):
    """``parallel_for`` over the leading axis of array ``a``; in one call for a non-NumPy array
    (on a GPU the kernels are queued, not run, by the calling thread)."""
    if isinstance(a, np.ndarray):
        parallel_for(a.shape[0], fn, nbytes, flops, grain)
    else:
        fn(0, a.shape[0])


def map_chunks(fn, out, *args):
    """``fn(*args, out=out)`` in chunks over the leading axis of ``out`` (an array argument has the
    shape of ``out``; other arguments are passed whole). Returns ``out``."""
    if type(out) is not np.ndarray or out.nbytes * (1 + len(args)) < 2 * MIN_BYTES:
        fn(*args, out=out)
        return out

    def run(lo, hi):
        fn(*[a[lo:hi] if isinstance(a, np.ndarray) and a.ndim else a for a in args], out=out[lo:hi])
    parallel_for(out.shape[0], run, nbytes=out.nbytes * (1 + len(args)))
    return out


def gang_width():
    """How many threads ``gang`` runs at once here: the thread setting, or 1 inside a parallel region."""
    return 1 if getattr(_local, "inside", False) else _num_threads


def gang(parts, fn):
    """Call ``fn(i)`` for every i in ``range(parts)``, each on its own thread, all at once (the
    caller's thread runs ``fn(0)``): for kernels whose parts wait for each other at every step,
    which ``parallel_for`` cannot host (there a thread may run two chunks one after the other).
    ``parts`` is at most ``gang_width()``. An exception in any part is raised here."""
    if not 1 <= parts <= gang_width():
        raise ValueError(f"gang: {parts} parts, but {gang_width()} threads can run at once here")
    global _pool
    if parts > 1 and _pool is None:
        _pool = _Workers(_num_threads - 1)
    done = queue.SimpleQueue()
    for i in range(1, parts):
        _pool.tasks.put((lambda lo, _hi: fn(lo), i, i, done))
    error = None
    try:
        _in_region(lambda lo, _hi: fn(lo), 0, 0)
    finally:
        for _ in range(parts - 1):
            error = done.get() or error
    if error is not None:
        raise error


# ---- GEMM --------------------------------------------------------------------------------------
def matmul(a, b, out=None):
    """``np.matmul(a, b)`` split into chunks: over the rows of ``a`` (or the columns of ``b`` when
    there are more of them) when ``a`` is 2-D (or when ``b`` is, with ``a``'s leading dims folded
    into rows), else over the leading batch dim. One ``matmul`` call for small products, vectors,
    arrays that are not NumPy's, with one glassgrad thread, and when the BLAS is not OpenBLAS (it
    threads its GEMMs itself).
    Which of these paths a product takes depends only on the shapes and the thread setting."""
    if type(a) is not np.ndarray or type(b) is not np.ndarray:
        return namespace(a).matmul(a, b, out=out)
    if _num_threads == 1:
        return np.matmul(a, b, out=out)
    if a.ndim < 2 or b.ndim < 2 \
            or max(a.size * b.shape[-1], b.size * a.shape[-2]) < MIN_FLOPS:  # (half the flops: 2 chunks' worth)
        return np.matmul(a, b, out=out)
    (m, k), p = a.shape[-2:], b.shape[-1]
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (m, p)
    flops = 2 * k * int(np.prod(shape))
    if out is None:
        out = np.empty(shape, dtype=np.result_type(a, b))
    if a.ndim > 2 and b.ndim == 2 and a.flags.c_contiguous and out.flags.c_contiguous:
        matmul(a.reshape(-1, k), b, out.reshape(-1, p))   # a's batch folded into its rows (views)
        return out
    if a.ndim == 2 and b.ndim == 2 and p > m:   # chunks of b's columns: each thread packs less of b
        parallel_for(p, lambda lo, hi: np.matmul(a, b[:, lo:hi], out=out[:, lo:hi]), flops=flops)
    elif a.ndim == 2:
        parallel_for(m, lambda lo, hi: np.matmul(a[lo:hi], b, out=out[..., lo:hi, :]), flops=flops)
    else:
        a_b = np.broadcast_to(a, shape[:-2] + a.shape[-2:])
        b_b = np.broadcast_to(b, shape[:-2] + b.shape[-2:])
        parallel_for(shape[0], lambda lo, hi: np.matmul(a_b[lo:hi], b_b[lo:hi], out=out[lo:hi]), flops=flops)
    return out
