"""``glassgrad bench``: time the standard workloads in glassgrad and PyTorch side by side (the workloads
are defined in benchmarks/WORKLOADS.md of the glassgrad repository).

Each framework runs in its own process (PyTorch's OpenMP threads slow NumPy's BLAS down when both
live in one), alternating A B A B; a workload's time is the median over the repetitions of each
process's median ms/step. The ratio is glassgrad / PyTorch: below 1 means glassgrad is faster.
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys

from .workloads import GEMMS, WORKLOADS


def _worker(framework, workload, warmup, steps, extra=()):
    cmd = [sys.executable, "-m", "glassgrad.bench.worker", "--framework", framework, "--workload", workload,
           "--warmup", str(warmup), "--steps", str(steps), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"bench worker failed ({' '.join(cmd)}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(workload, repeats=3, warmup=5, steps=30, extra=(), with_torch=True):
    """{'glassgrad_ms', 'torch_ms', 'ratio', peak RSS...} for one workload, A B A B interleaved."""
    runs = {"glassgrad": [], "torch": []}
    frameworks = ["glassgrad", "torch"] if with_torch else ["glassgrad"]
    bound = []
    for _ in range(repeats):
        for fw in frameworks:
            flags = list(extra) + (["--gemm-bound"] if fw == "glassgrad" and workload in GEMMS and not extra else [])
            r = _worker(fw, workload, warmup, steps, flags)
            runs[fw].append(r)
            if "gemm_lower_bound_ms" in r:
                bound.append(r["gemm_lower_bound_ms"])
    out = {"glassgrad_ms": statistics.median(r["ms"] for r in runs["glassgrad"]),
           "glassgrad_peak_rss_mb": max(r["peak_rss_mb"] for r in runs["glassgrad"])}
    if with_torch:
        out["torch_ms"] = statistics.median(r["ms"] for r in runs["torch"])
        out["torch_peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs["torch"])
        out["ratio"] = out["glassgrad_ms"] / out["torch_ms"]
    if bound:
        out["gemm_lower_bound_ms"] = statistics.median(bound)
    return out


def _row(name, r):
    torch_ms = f"{r['torch_ms']:9.3f}" if "torch_ms" in r else "        -"
    ratio = f"{r['ratio']:6.2f}" if "ratio" in r else "     -"
    bound = f"{r['gemm_lower_bound_ms']:8.3f}" if "gemm_lower_bound_ms" in r else "       -"
    torch_rss = f"{r['torch_peak_rss_mb']:9.0f}" if "torch_peak_rss_mb" in r else "        -"
    return f"{name:<16}{r['glassgrad_ms']:10.3f}{torch_ms}{ratio}{bound}{r['glassgrad_peak_rss_mb']:9.0f}{torch_rss}"


HEADER = f"{'workload':<16}{'gg ms':>10}{'torch ms':>9}{'ratio':>6}{'gemm lb':>8}{'gg MB':>9}{'torch MB':>9}"


def main(argv=None):
    p = argparse.ArgumentParser(prog="glassgrad bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workloads", nargs="*", default=list(WORKLOADS), help=f"any of {', '.join(WORKLOADS)}")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repetitions per framework")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--sweep", action="store_true", help="also sweep W_MLP over batch sizes and widths")
    p.add_argument("--json", metavar="PATH", help="write the figures as JSON to PATH")
    a = p.parse_args(argv)
    unknown = [w for w in a.workloads if w not in WORKLOADS]
    if unknown:
        p.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    with_torch = importlib.util.find_spec("torch") is not None
    if not with_torch:
        print("PyTorch is not installed: timing glassgrad alone (pip install torch==2.13.0 for ratios)")
    report = {"workloads": {}, "gemm_lower_bound_ms": {}}
    print(HEADER)
    for w in a.workloads:
        r = measure(w, a.repeats, a.warmup, a.steps, with_torch=with_torch)
        report["workloads"][w] = {k: v for k, v in r.items() if k != "gemm_lower_bound_ms"}
        if "gemm_lower_bound_ms" in r:
            report["gemm_lower_bound_ms"][w] = r["gemm_lower_bound_ms"]
        print(_row(w, r), flush=True)
    if a.sweep:
        report["sweep"] = {}
        print("\nW_MLP sweep (batch x hidden width)")
        print(HEADER)
        for batch, width in [(1, 512), (16, 512), (128, 512), (1024, 512), (128, 64), (128, 1024), (128, 4096)]:
            r = measure("W_MLP", max(1, a.repeats - 2), a.warmup, a.steps,
                        extra=("--batch", str(batch), "--width", str(width)), with_torch=with_torch)
            report["sweep"][f"b{batch}_w{width}"] = r
            print(_row(f"b={batch} w={width}", r), flush=True)
    if a.json:
        tmp = a.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(report, f, indent=2)
        os.replace(tmp, a.json)
    return 0
