"""Data-parallel scaling of W_MLP and W_CNN over MPI (DistributedDataParallel), the measured
all-reduce bandwidth, and a ring all-reduce model of larger clusters.

    python benchmarks/scaling.py --repeats 3          # the tables (runs mpiexec itself)

Every rank runs on one core (GLASSGRAD_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1), so 1, 2 and 4 ranks
on a 2-core machine show the parallel speed-up (2 ranks) and the cost of oversubscribing (4).
Weak scaling: each rank keeps the workload's batch (the global batch grows with the ranks).
Strong scaling: the workload's batch is split between the ranks. Per step, the step time is
rank 0's median over the timed steps; "compute" is the same step under ``no_sync()`` (no
all-reduce). Rank counts run in alternating order (1 2 4, 4 2 1, ...) and medians over repeats
are reported, since the machine is shared.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BATCH = {"W_MLP": 128, "W_CNN": 64}


def _mpiexec():
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return here if os.path.exists(here) else "mpiexec"


def _launch(ranks, *args):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               GLASSGRAD_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               # 4 ranks on 2 cores: a rank waiting in MPI sleeps now and then instead of spinning
               MPIR_CVAR_CH4_PROGRESS_THROTTLE="1", MPIR_CVAR_CH4_PROGRESS_THROTTLE_NO_PROGRESS_COUNT="64")
    out = subprocess.run([_mpiexec(), "-n", str(ranks), sys.executable, os.path.abspath(__file__), "--worker",
                          *map(str, args)], env=env, capture_output=True, text=True, timeout=900)
    if out.returncode:
        raise RuntimeError(out.stdout + out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- inside mpiexec -------------------------------------------------------------------------------
def _worker_steps(workload, mode, warmup, steps):
    import numpy as np

    import glassgrad as gg
    import glassgrad.distributed as dist
    from glassgrad import nn, optim
    from glassgrad.bench.workloads import WORKLOADS
    from glassgrad.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    ranks, rank = dist.get_world_size(), dist.get_rank()
    gg.manual_seed(0)
    model, loss_fn, opt, x, y = WORKLOADS[workload].glassgrad(gg, nn, optim)
    if mode == "strong":
        per = BATCH[workload] // ranks
        x, y = x[rank * per:(rank + 1) * per], y[rank * per:(rank + 1) * per]
    model = DDP(model)
    opt = type(opt)(model.parameters(), **{k: v for k, v in opt.defaults.items() if k in ("lr", "momentum")})

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    def timed(sync):
        times = []
        for i in range(warmup + steps):
            dist.barrier()
            start = time.perf_counter()
            if sync:
                step()
            else:
                with model.no_sync():
                    step()
            if i >= warmup:
                times.append(time.perf_counter() - start)
        return statistics.median(times) * 1e3

    result = {"step_ms": timed(True), "compute_ms": timed(False), "ranks": ranks, "batch_per_rank": len(x)}
    if rank == 0:
        print(json.dumps(result))


def _worker_allreduce(sizes, repeats):
    import numpy as np
    from mpi4py import MPI

    import glassgrad.distributed as dist
    dist.init_process_group("mpi")
    comm = MPI.COMM_WORLD
    out = {}
    for size in sizes:
        buf = np.ones(size // 4, np.float32)
        times = []
        for i in range(repeats + 2):
            comm.Barrier()
            start = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            if i >= 2:
                times.append(time.perf_counter() - start)
        out[size] = statistics.median(times)
    if comm.Get_rank() == 0:
        print(json.dumps(out))


# ---- the driver -----------------------------------------------------------------------------------
def gradient_bytes(workload):
    import glassgrad as gg
    from glassgrad import nn, optim
    from glassgrad.bench.workloads import WORKLOADS
    model = WORKLOADS[workload].glassgrad(gg, nn, optim)[0]
    return sum(p.numel() * 4 for p in model.parameters())


def ring_allreduce_s(ranks, nbytes, link_bytes_per_s, latency_s, reduce_bytes_per_s):
    """Ring all-reduce: 2(N-1) steps, each sending nbytes/N over the link (one latency each), and
    (N-1) chunk reductions in memory."""
    if ranks == 1:
        return 0.0
    steps = 2 * (ranks - 1)
    return steps * (latency_s + nbytes / ranks / link_bytes_per_s) + (ranks - 1) * nbytes / ranks / reduce_bytes_per_s


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--ranks", default="1,2,4")
    p.add_argument("--json", help="write every measurement here")
    p.add_argument("--worker", nargs="*", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker is not None:
        kind = args.worker[0]
        if kind == "allreduce":
            _worker_allreduce([int(s) for s in args.worker[1].split(",")], int(args.worker[2]))
        else:
            _worker_steps(kind, args.worker[1], int(args.worker[2]), int(args.worker[3]))
        return
    ranks_list = [int(r) for r in args.ranks.split(",")]
    results = {}
    for rep in range(args.repeats):
        order = ranks_list if rep % 2 == 0 else ranks_list[::-1]
        for workload in ("W_MLP", "W_CNN"):
            for mode in ("weak", "strong"):
                for ranks in order:
                    r = _launch(ranks, workload, mode, args.warmup, args.steps)
                    results.setdefault((workload, mode, ranks), []).append(r)
                    print(f"  {workload} {mode} {ranks} ranks: step {r['step_ms']:.1f} ms, compute "
                          f"{r['compute_ms']:.1f} ms", file=sys.stderr, flush=True)
    sizes = [2 ** k for k in range(12, 27, 2)]
    allreduce = {}
    for rep in range(args.repeats):
        for ranks in ([2, 4] if rep % 2 == 0 else [4, 2]):
            for size, t in _launch(ranks, "allreduce", ",".join(map(str, sizes)), 10).items():
                allreduce.setdefault((ranks, int(size)), []).append(t)
    report(results, allreduce, ranks_list, sizes)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"steps": {" ".join(map(str, k)): v for k, v in results.items()},
                       "allreduce_s": {f"{k[0]} {k[1]}": v for k, v in allreduce.items()}}, f, indent=1)


def report(results, allreduce, ranks_list, sizes):
    med = {k: (statistics.median(r["step_ms"] for r in v), statistics.median(r["compute_ms"] for r in v))
           for k, v in results.items()}
    print("\n| workload | scaling | ranks | batch/rank | step ms | compute ms | samples/s | speed-up | efficiency |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for workload in ("W_MLP", "W_CNN"):
        for mode in ("weak", "strong"):
            t1 = med[(workload, mode, 1)][0]
            for ranks in ranks_list:
                step, compute = med[(workload, mode, ranks)]
                per = BATCH[workload] if mode == "weak" else BATCH[workload] // ranks
                rate = per * ranks / step * 1e3
                speedup = (t1 / step) * (ranks if mode == "weak" else 1)
                print(f"| {workload} | {mode} | {ranks} | {per} | {step:.1f} | {compute:.1f} | {rate:.0f} | "
                      f"{speedup:.2f} | {speedup / ranks:.2f} |")
    print("\nAll-reduce (MPICH shared memory, float32 SUM), median time and bus bandwidth 2(N-1)/N * bytes / time:")
    print("\n| bytes | 2 ranks ms | 2 ranks GB/s | 4 ranks ms | 4 ranks GB/s |")
    print("| --- | --- | --- | --- | --- |")
    bus = {}
    for size in sizes:
        row = [f"{size:,}"]
        for ranks in (2, 4):
            t = statistics.median(allreduce[(ranks, size)])
            bus[(ranks, size)] = 2 * (ranks - 1) / ranks * size / t
            row += [f"{t * 1e3:.3f}", f"{bus[(ranks, size)] / 1e9:.2f}"]
        print("| " + " | ".join(row) + " |")
    reduce_rate = max(bus[(2, s)] for s in sizes)   # the in-memory reduction speed we measured
    print(f"\nModel: ring all-reduce over a link of L bytes/s with latency a per message, plus the in-memory "
          f"reduction at the measured {reduce_rate / 1e9:.2f} GB/s; compute = the 1-rank weak-scaling compute "
          "time per step (one core). Efficiency = compute / (compute + all-reduce) with no overlap, and "
          "compute / max(compute, all-reduce) with perfect overlap of backward and communication.")
    print("\n| workload | gradient MB | network | ranks | all-reduce ms | efficiency (no overlap) | efficiency (overlap) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for workload in ("W_MLP", "W_CNN"):
        nbytes = gradient_bytes(workload)
        compute = med[(workload, "weak", 1)][1] / 1e3
        for gbit, latency in ((10, 30e-6), (100, 3e-6)):
            for ranks in (8, 64):
                t = ring_allreduce_s(ranks, nbytes, gbit * 1e9 / 8, latency, reduce_rate)
                print(f"| {workload} | {nbytes / 1e6:.2f} | {gbit} Gbit/s | {ranks} | {t * 1e3:.2f} | "
                      f"{compute / (compute + t):.2f} | {min(1.0, compute / t):.2f} |")


if __name__ == "__main__":
    main()
