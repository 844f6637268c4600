"""The glass-box monitor's cost on W_MLP: one training step (forward, loss, backward, Adam step) with
no monitor, with ``Monitor(every=10)`` and with ``Monitor(every=1)`` (each calling ``record(loss)``).

Each configuration runs in its own process, the three alternating, ``--rounds`` times. A process
times blocks of 10 steps (each block holds exactly one recorded step at every=10) and reports the
median ms per step over its blocks, in wall time and in the process's CPU time (on a shared,
overloaded machine the wall time mostly measures the scheduler; run with GLASSGRAD_NUM_THREADS=1 so
that CPU time is the work done); the table shows the medians over rounds and the overhead against no
monitor.

    python -m glassgrad.bench.inspect_overhead [--rounds 5] [--blocks 20] [--json out.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CONFIGS = {"none": None, "every=10": 10, "every=1": 1}


def worker(config, blocks, warmup_blocks=3):
    """(wall, CPU) ms per step (medians over blocks of 10 steps) for one configuration, in this process."""
    import glassgrad
    import glassgrad.inspect as gi
    from glassgrad import nn, optim
    from glassgrad.bench.workloads import WORKLOADS
    glassgrad.manual_seed(0)
    model, loss_fn, opt, x, y = WORKLOADS["W_MLP"].glassgrad(glassgrad, nn, optim)
    every = CONFIGS[config]
    mon = gi.Monitor(model, opt, every=every) if every else None

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        if mon is not None:
            mon.record(loss)
        return loss

    wall, cpu = [], []
    for b in range(warmup_blocks + blocks):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(10):
            step()
        if b >= warmup_blocks:
            wall.append((time.perf_counter() - t0) * 100)  # ms per step
            cpu.append((time.process_time() - c0) * 100)
    return statistics.median(wall), statistics.median(cpu)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--blocks", type=int, default=20)
    ap.add_argument("--json")
    ap.add_argument("--worker", choices=list(CONFIGS), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        wall, cpu = worker(args.worker, args.blocks)
        print(json.dumps({"ms": wall, "cpu_ms": cpu}))
        return
    results = {c: [] for c in CONFIGS}
    cpu = {c: [] for c in CONFIGS}
    env = dict(os.environ)
    for r in range(args.rounds):
        for config in CONFIGS:
            out = subprocess.run([sys.executable, "-m", "glassgrad.bench.inspect_overhead", "--worker", config,
                                  "--blocks", str(args.blocks)],
                                 capture_output=True, text=True, env=env, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            results[config].append(row["ms"])
            cpu[config].append(row["cpu_ms"])
        print(f"round {r + 1}: " + ", ".join(f"{c} {results[c][-1]:.2f} ms ({cpu[c][-1]:.2f} CPU)" for c in CONFIGS),
              flush=True)
    print(f"\nW_MLP, ms per training step (median of {args.rounds} alternating processes):")
    print(f"{'monitor':<10} {'wall ms':>8} {'overhead':>9} {'CPU ms':>8} {'overhead':>9}  per-round CPU overheads")
    base, base_cpu = statistics.median(results["none"]), statistics.median(cpu["none"])
    for c in CONFIGS:
        med, med_cpu = statistics.median(results[c]), statistics.median(cpu[c])
        per_round = [f"{(v / b - 1) * 100:+.0f}%" for v, b in zip(cpu[c], cpu["none"])]
        print(f"{c:<10} {med:>8.2f} {(med / base - 1) * 100:>+8.1f}% {med_cpu:>8.2f} {(med_cpu / base_cpu - 1) * 100:>+8.1f}%"
              f"  {' '.join(per_round)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"wall_ms": results, "cpu_ms": cpu}, f, indent=1)


if __name__ == "__main__":
    main()
