"""Run benchmark workers, each framework in its own process, alternating A B A B, and aggregate.

A case's time is the median over the repetitions of each process's median ms/step; the ratio is
glassgrad / PyTorch (below 1: glassgrad is faster). Workers are started by path
(``python glassgrad/bench/worker.py``), so a PyTorch worker imports nothing of glassgrad.
"""
import json
import os
import statistics
import subprocess
import sys

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
JAX_WORKER = os.path.join(os.path.dirname(WORKER), "jax_worker.py")
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(WORKER)))  # the folder holding glassgrad/


_THREAD_VARIABLES = ("GLASSGRAD_BENCH_THREADS", "GLASSGRAD_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                     "MKL_NUM_THREADS")


def run_worker(framework, suite, case, *flags, malloc=None, threads=None):
    """One worker process's JSON result. ``malloc='glassgrad'`` gives a PyTorch worker glassgrad's
    malloc settings (see worker.py); ``threads=n`` limits every framework and BLAS to n threads."""
    if framework == "jax":  # (its own worker: the workloads written in jax.numpy)
        cmd = [sys.executable, JAX_WORKER, "--case", case, *map(str, flags)]
    else:
        cmd = [sys.executable, WORKER, "--framework", framework, "--suite", suite, "--case", case, *map(str, flags)]
    # the glassgrad worker must import the glassgrad that runs this harness
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p))
    env.pop("GLASSGRAD_BENCH_MALLOC", None)
    if malloc:
        env["GLASSGRAD_BENCH_MALLOC"] = malloc
    if threads:
        env.update({name: str(threads) for name in _THREAD_VARIABLES})
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"bench worker failed ({' '.join(cmd)}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(suite, case, runners, repeats, *flags, threads=None):
    """{runner: [result per repetition]}, the runners taking turns (A B A B).

    ``runners`` maps a name to ``(framework, malloc, extra flags)``."""
    runs = {name: [] for name in runners}
    for _ in range(repeats):
        for name, (framework, malloc, extra) in runners.items():
            runs[name].append(run_worker(framework, suite, case, *flags, *extra, malloc=malloc, threads=threads))
    return runs


def median_of(results, key="ms"):
    """The median of ``key`` over repeated worker results."""
    return statistics.median(r[key] for r in results)
