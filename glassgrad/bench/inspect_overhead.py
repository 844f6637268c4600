"""The glass-box monitor's cost on W_MLP: one training step (forward, loss, backward, Adam step) with
no monitor, with ``Monitor(every=10)`` and with ``Monitor(every=1)`` (each calling ``record(loss)``).

On a shared machine whose load swings from one second to the next, separate processes compare
badly; so each process builds W_MLP three times (same weights), attaches a monitor to two of them,
and interleaves the three block by block (blocks of 10 steps, the order rotating; a block at
every=10 holds exactly one recorded step, and the once-only work of step 0 falls in the warm-up). It
reports for each configuration the median over blocks of its time relative to the no-monitor block
of the same round, in wall time and in the process's CPU time. ``--rounds`` such processes run one after the
other; the table shows the median over rounds.

    python -m glassgrad.bench.inspect_overhead [--rounds 5] [--blocks 30] [--json out.json]
"""
import argparse
import json
import statistics
import subprocess
import sys
import time

CONFIGS = {"none": None, "every=10": 10, "every=1": 1}


def worker(blocks, warmup_blocks=3):
    """{config: {'ms', 'cpu_ms', 'ratio', 'cpu_ratio'}} from interleaved blocks in this process."""
    import glassgrad
    import glassgrad.inspect as gi
    from glassgrad import nn, optim
    from glassgrad.bench.workloads import WORKLOADS
    runs = {}
    for c, every in CONFIGS.items():
        glassgrad.manual_seed(0)
        model, loss_fn, opt, x, y = WORKLOADS["W_MLP"].glassgrad(glassgrad, nn, optim)
        runs[c] = (model, loss_fn, opt, x, y, gi.Monitor(model, opt, every=every) if every else None)

    def block(config):
        model, loss_fn, opt, x, y, mon = runs[config]
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(10):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            if mon is not None:
                mon.record(loss)
        return (time.perf_counter() - t0) * 100, (time.process_time() - c0) * 100  # ms per step

    names = list(CONFIGS)
    times = {c: [] for c in names}
    for b in range(warmup_blocks + blocks):
        order = names[b % 3:] + names[:b % 3]
        got = {c: block(c) for c in order}
        if b >= warmup_blocks:
            for c in names:
                times[c].append(got[c])
    out = {}
    for c in names:
        out[c] = {"ms": statistics.median(t[0] for t in times[c]),
                  "cpu_ms": statistics.median(t[1] for t in times[c]),
                  "ratio": statistics.median(t[0] / n[0] for t, n in zip(times[c], times["none"])),
                  "cpu_ratio": statistics.median(t[1] / n[1] for t, n in zip(times[c], times["none"]))}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--blocks", type=int, default=30)
    ap.add_argument("--json")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.blocks)))
        return
    rounds = []
    for r in range(args.rounds):
        out = subprocess.run([sys.executable, "-m", "glassgrad.bench.inspect_overhead", "--worker",
                              "--blocks", str(args.blocks)], capture_output=True, text=True, check=True)
        rounds.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"round {r + 1}: " + ", ".join(f"{c} {v['ms']:.2f} ms ({(v['ratio'] - 1) * 100:+.1f}% wall, "
                                              f"{(v['cpu_ratio'] - 1) * 100:+.1f}% CPU)"
                                              for c, v in rounds[-1].items()), flush=True)
    print(f"\nW_MLP, one training step (medians over {args.rounds} processes of interleaved blocks):")
    print(f"{'monitor':<10} {'ms/step':>8} {'overhead (wall)':>16} {'overhead (CPU)':>15}")
    for c in CONFIGS:
        ms = statistics.median(r[c]["ms"] for r in rounds)
        wall = statistics.median(r[c]["ratio"] for r in rounds)
        cpu = statistics.median(r[c]["cpu_ratio"] for r in rounds)
        print(f"{c:<10} {ms:>8.2f} {(wall - 1) * 100:>+15.1f}% {(cpu - 1) * 100:>+14.1f}%")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rounds, f, indent=1)


if __name__ == "__main__":
    main()
