"""One framework's timing of one workload, in its own process: prints a JSON line.

    python -m glassgrad.bench.worker --framework glassgrad|torch --workload W_MLP
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np


def _framework(name):
    if name == "torch":
        import torch
        torch.set_num_threads(os.cpu_count())
        return torch, torch.nn, torch.optim
    import glassgrad
    from glassgrad import nn, optim
    return glassgrad, nn, optim


def run(framework, workload, warmup, steps, width=None, batch=None):
    """Median ms per training step after ``warmup`` steps, and the process's peak RSS in MB."""
    from .workloads import make_step, make_sweep_step
    fw, nn, optim = _framework(framework)
    step = make_step(fw, nn, optim, workload) if width is None else make_sweep_step(fw, nn, optim, batch, width)
    ms = median_ms(step, warmup, steps)
    return {"ms": ms, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--framework", choices=["glassgrad", "torch"], required=True)
    p.add_argument("--workload", default="W_MLP")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--width", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--gemm-bound", action="store_true", help="also measure the GEMM lower bound here")
    a = p.parse_args(argv)
    out = run(a.framework, a.workload, a.warmup, a.steps, a.width, a.batch)
    if a.gemm_bound:
        from .workloads import GEMMS, gemm_lower_bound_ms
        if a.workload in GEMMS:
            out["gemm_lower_bound_ms"] = gemm_lower_bound_ms(a.workload)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
