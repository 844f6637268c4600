"""One framework's timing of one benchmark case, in a process of its own: prints one JSON line.

    python glassgrad/bench/worker.py --framework glassgrad|torch --suite workloads --case W_MLP
    python glassgrad/bench/worker.py --framework numpy|torch --suite gemm --case W_MLP

Run by path, never as ``-m glassgrad.bench.worker``: then the process imports only the framework it
times (and NumPy). Importing glassgrad changes the process (its malloc settings, ``host_memory.py``,
and its hold on the BLAS threads), so a PyTorch worker that imported it would not time a plain
PyTorch process. The suites (``workloads.py``, ``layers.py``, ``tiny.py``) import neither framework;
this script loads them from its own folder.

``--compiled`` times glassgrad's step through ``glassgrad.compile`` (recorded on its first two
calls, replayed after).

``GLASSGRAD_BENCH_MALLOC=glassgrad`` in a PyTorch worker applies glassgrad's malloc settings (the
same ``host_memory.py``, loaded by path without the glassgrad package) before torch is imported:
the malloc effect alone, on PyTorch. ``GLASSGRAD_BENCH_THREADS=n`` gives PyTorch n threads (the
harness sets the BLAS and glassgrad variables to match).
"""
import argparse
import importlib
import importlib.util
import json
import os
import resource
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = ("workloads", "layers", "tiny")


def median_ms(step, warmup, steps):
    """Median milliseconds of ``step()`` over ``steps`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e3


def _glassgrad_malloc():
    """Apply glassgrad's malloc settings in this process without importing glassgrad."""
    spec = importlib.util.spec_from_file_location("_glassgrad_host_memory",
                                                  os.path.join(os.path.dirname(HERE), "host_memory.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # applies the settings, as on ``import glassgrad``
    return module.cache_freed_memory()


def _framework(name):
    """(fw, nn, optim) of the framework ``name``; the only place a framework is imported."""
    if name == "torch":
        if os.environ.get("GLASSGRAD_BENCH_MALLOC") == "glassgrad" and not _glassgrad_malloc():
            raise SystemExit("worker: GLASSGRAD_BENCH_MALLOC=glassgrad needs glibc's malloc (Linux)")
        import torch
        torch.set_num_threads(_threads())
        return torch, torch.nn, torch.optim
    import glassgrad
    from glassgrad import nn, optim
    return glassgrad, nn, optim


def _threads():
    """The threads each framework may use: ``GLASSGRAD_BENCH_THREADS`` (set by ``--threads``), else
    every core."""
    return int(os.environ.get("GLASSGRAD_BENCH_THREADS") or os.cpu_count())


def _suite(name):
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    return importlib.import_module(name)


def time_case(framework, suite, case, warmup, steps, width=None, batch=None, compiled=False):
    """{'ms': median ms per step, 'peak_rss_mb', 'first_loss' when the step returns a loss}."""
    fw, nn, optim = _framework(framework)
    module = _suite(suite)
    if width is not None:
        step = module.make_sweep_step(fw, nn, optim, batch, width)
    else:
        step = module.make_step(fw, nn, optim, case)
    if compiled:
        step = fw.compile(step, fullgraph=True)  # (its first two calls record; the warm-up covers them)
    first = step()
    out = {"ms": median_ms(step, max(warmup - 1, 0), steps)}
    if first is not None:
        out["first_loss"] = float(first.item())
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def gemm_gflops(library, workload, iters):
    """{"m x k x n": GFLOP/s} of NumPy's or PyTorch's float32 matmul at each GEMM of ``workload``,
    with the library's own threads."""
    gemms = _suite("workloads").GEMMS[workload]
    if library == "torch":
        import torch
        torch.set_num_threads(_threads())
        make = lambda m, k: torch.rand(m, k)  # noqa: E731
    else:
        rng = np.random.default_rng(0)
        make = lambda m, k: rng.standard_normal((m, k), dtype=np.float32)  # noqa: E731
    out = {}
    for m, k, n in gemms:
        a, b = make(m, k), make(k, n)
        out[f"{m}x{k}x{n}"] = 2 * m * k * n / median_ms(lambda: a @ b, 10, iters) / 1e6
    return out


def gemm_lower_bound_ms(workload, repeats=20):
    """The time of ``workload``'s GEMMs alone, in float32, as glassgrad runs them
    (``parallel.matmul``: split over glassgrad's threads, each chunk a one-thread BLAS call)."""
    from glassgrad import parallel
    rng = np.random.default_rng(0)
    total = 0.0
    for m, k, n in _suite("workloads").GEMMS[workload]:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        total += median_ms(lambda: parallel.matmul(a, b), 1, repeats)
    return total


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--framework", choices=["glassgrad", "torch", "numpy"], required=True)
    p.add_argument("--suite", choices=SUITES + ("gemm",), default="workloads")
    p.add_argument("--case", default="W_MLP")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--width", type=int, help="W_MLP sweep: hidden width (with --batch)")
    p.add_argument("--batch", type=int, help="W_MLP sweep: batch size (with --width)")
    p.add_argument("--iters", type=int, default=200, help="gemm: products timed per shape")
    p.add_argument("--gemm-bound", action="store_true", help="glassgrad: also measure the GEMM lower bound")
    p.add_argument("--compiled", action="store_true", help="glassgrad: time the step through glassgrad.compile")
    a = p.parse_args(argv)
    if a.suite == "gemm":
        if a.framework == "glassgrad":
            p.error("--suite gemm times numpy or torch")
        out = {"gflops": gemm_gflops(a.framework, a.case, a.iters)}
    else:
        if a.framework == "numpy":
            p.error(f"--suite {a.suite} times glassgrad or torch")
        if a.compiled and a.framework != "glassgrad":
            p.error("--compiled times glassgrad's compiled step")
        out = time_case(a.framework, a.suite, a.case, a.warmup, a.steps, a.width, a.batch, a.compiled)
        if a.framework == "torch" and os.environ.get("GLASSGRAD_BENCH_MALLOC") == "glassgrad":
            out["malloc"] = "glassgrad"  # _framework applied the settings (or stopped)
        if a.gemm_bound and a.framework == "glassgrad" and a.case in _suite("workloads").GEMMS:
            out["gemm_lower_bound_ms"] = gemm_lower_bound_ms(a.case)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
