"""NumPy's and PyTorch's float32 matrix-product speed at the GEMM shapes of a workload's step.

    python benchmarks/gemm_speed.py [--workload W_MLP] [--repeats 3] [--iters 200]

W_MLP's target (glassgrad at <= 0.6 of PyTorch's step time) rests on NumPy's GEMM being about
twice as fast as PyTorch's matmul on the reference machine; this checks that premise on the machine
at hand. Each library runs in its own process (their thread pools slow each other down), with all
its threads, alternating A B A B; a shape's figure is the median GFLOP/s over the repetitions of
each process's median over ``--iters`` products. The shapes are ``glassgrad.bench.workloads.GEMMS``.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys


def worker(library, workload, iters):
    """{"m x k x n": GFLOP/s} for each GEMM of ``workload``, measured in this process."""
    from glassgrad.bench.worker import median_ms
    from glassgrad.bench.workloads import GEMMS
    if library == "torch":
        import torch
        torch.set_num_threads(os.cpu_count())
        make = lambda m, k: torch.rand(m, k)  # noqa: E731
    else:
        import numpy as np
        rng = np.random.default_rng(0)
        make = lambda m, k: rng.standard_normal((m, k), dtype=np.float32)  # noqa: E731
    out = {}
    for m, k, n in GEMMS[workload]:
        a, b = make(m, k), make(k, n)
        out[f"{m}x{k}x{n}"] = 2 * m * k * n / median_ms(lambda: a @ b, 10, iters) / 1e6
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workload", default="W_MLP", help="a workload with GEMM shapes: W_MLP or W_CNN")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--iters", type=int, default=200)
    p.add_argument("--worker", choices=["numpy", "torch"], help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        print(json.dumps(worker(a.worker, a.workload, a.iters)))
        return 0
    runs = {"numpy": [], "torch": []}
    for _ in range(a.repeats):
        for lib in runs:
            cmd = [sys.executable, __file__, "--worker", lib, "--workload", a.workload, "--iters", str(a.iters)]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                p.exit(1, f"gemm_speed: the {lib} worker failed:\n{done.stderr[-2000:]}\n")
            runs[lib].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'m x k x n':<22}{'NumPy GFLOP/s':>14}{'PyTorch GFLOP/s':>16}{'NumPy/PyTorch':>14}")
    for shape in runs["numpy"][0]:
        npy = statistics.median(r[shape] for r in runs["numpy"])
        th = statistics.median(r[shape] for r in runs["torch"])
        print(f"{shape:<22}{npy:14.0f}{th:16.0f}{npy / th:14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
