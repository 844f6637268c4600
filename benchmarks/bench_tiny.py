"""Time W_TINY (MLP 2-16-16-1, tanh, MSE, SGD, batch 100) in glassgrad and in PyTorch.

    python benchmarks/bench_tiny.py [--rounds 3] [--steps 300] [--warmup 20] [--json out.json]
    python benchmarks/bench_tiny.py --profile [--steps 2000]   # cProfile of glassgrad steps

One training step = forward + loss + backward + SGD update. The model is written with raw tensors
(W1, b1, ... updated under no_grad), the same lines in both frameworks, so the time is the per-op
overhead of each engine: W_TINY's arithmetic is negligible. Each framework runs in its own process
(``--framework torch|glassgrad``), alternating A B A B; its time is the median ms/step over all of
its timed steps, and the ratio is glassgrad / PyTorch (above 1: glassgrad is slower). The first
losses of both runs are compared, so the two frameworks are seen doing the same work.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

SIZES = (2, 16, 16, 1)
BATCH = 100
LR = 0.01


def initial_arrays():
    """Data and weights as float32 NumPy arrays (seed 0), shared by both frameworks. Weights are
    stored (in, out) and drawn like nn.Linear's defaults: U(-1/sqrt(in), 1/sqrt(in))."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = np.sin(x[:, :1] * 2 + x[:, 1:]).astype(np.float32)
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(n_in)
        params.append(rng.uniform(-bound, bound, (n_in, n_out)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, (n_out,)).astype(np.float32))
    return x, y, params


def make_step(name):
    """One W_TINY training step in framework ``name``; returns (step, framework module)."""
    x, y, arrays = initial_arrays()
    if name == "torch":
        import torch as fw
        fw.set_num_threads(os.cpu_count())
        params = [fw.tensor(a, requires_grad=True) for a in arrays]
        x, y = fw.from_numpy(x), fw.from_numpy(y)

        def update():
            with fw.no_grad():
                for p in params:
                    p -= LR * p.grad
                    p.grad = None
    else:
        import glassgrad as fw
        params = [fw.tensor(a, requires_grad=True) for a in arrays]
        x, y = fw.from_numpy(x), fw.from_numpy(y)

        def update():
            with fw.no_grad():
                for p in params:
                    p.array -= LR * p.grad.array
                    p.grad = None

    w1, b1, w2, b2, w3, b3 = params

    def step():
        h = (x @ w1 + b1).tanh()
        h = (h @ w2 + b2).tanh()
        out = h @ w3 + b3
        loss = ((out - y) ** 2).mean()
        loss.backward()
        update()
        return loss
    return step, fw


def worker(name, warmup, steps):
    """Run in a child process: time ``steps`` steps after ``warmup`` ones; JSON on stdout."""
    step, _ = make_step(name)
    losses = [float(step().item()) for _ in range(warmup)]
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    json.dump({"framework": name, "ms": times, "losses": losses[:5]}, sys.stdout)


def run_child(name, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--framework", name, "--warmup", str(args.warmup),
           "--steps", str(args.steps)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise SystemExit(f"bench_tiny: the {name} run failed:\n{out.stderr}")
    return json.loads(out.stdout)


def compare(args):
    order = ["torch", "glassgrad"] * args.rounds
    runs = {"torch": [], "glassgrad": []}
    for name in order:
        runs[name].append(run_child(name, args))
    losses = {n: r[0]["losses"] for n, r in runs.items()}
    diff = max(abs(a - b) for a, b in zip(losses["torch"], losses["glassgrad"]))
    med = {n: statistics.median(t for r in rs for t in r["ms"]) for n, rs in runs.items()}
    per_round = {n: [statistics.median(r["ms"]) for r in rs] for n, rs in runs.items()}
    ratio = med["glassgrad"] / med["torch"]
    print(f"W_TINY: MLP {'-'.join(map(str, SIZES))} tanh, MSE, SGD lr {LR}, batch {BATCH}, float32; "
          f"{args.rounds} rounds A B, {args.warmup} warm-up + {args.steps} timed steps each, "
          f"{os.cpu_count()} cores")
    print(f"{'framework':<10} {'ms/step (median)':>17}   per-round medians")
    for n in ("torch", "glassgrad"):
        print(f"{n:<10} {med[n]:>17.4f}   {', '.join(f'{v:.4f}' for v in per_round[n])}")
    print(f"ratio glassgrad / torch: {ratio:.2f}")
    print(f"first losses agree to {diff:.1e} (torch {losses['torch'][0]:.6f}, glassgrad {losses['glassgrad'][0]:.6f})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"workload": "W_TINY", "ms_per_step": med, "per_round": per_round, "ratio": ratio}, f,
                      indent=2)


def profile(args):
    import cProfile
    import pstats
    step, _ = make_step("glassgrad")
    for _ in range(args.warmup):
        step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.steps):
        step()
    prof.disable()
    print(f"cProfile of {args.steps} glassgrad W_TINY steps, top 20 by own time:")
    pstats.Stats(prof).sort_stats("tottime").print_stats(20)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--framework", choices=["torch", "glassgrad"], help="run one framework (child process)")
    p.add_argument("--rounds", type=int, default=3, help="A B pairs of processes")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--profile", action="store_true", help="profile glassgrad steps with cProfile")
    args = p.parse_args(argv)
    if args.warmup < 5 or args.steps < 30:
        p.error("use at least 5 warm-up and 30 timed steps")
    if args.framework:
        worker(args.framework, args.warmup, args.steps)
    elif args.profile:
        profile(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
