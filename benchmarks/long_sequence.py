"""Backpropagation through time over one long sequence: W_LSTM's model (Embedding(65, 64) -
LSTM(64 -> 256) - Linear(256, 65)) on a sequence of ``--steps`` characters (batch 1), forward,
loss and backward, for glassgrad and PyTorch, each in its own process.

    python benchmarks/long_sequence.py [--steps 10000] [--batch 1]

Prints seconds per forward + backward (median of 3 after one warm-up) and each process's peak RSS.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np


def run(framework, steps, batch):
    if framework == "torch":
        import torch as fw
        fw.set_num_threads(os.cpu_count())
    else:
        import glassgrad as fw
    nn, F = fw.nn, fw.nn.functional
    fw.manual_seed(0)
    embed, lstm, head = nn.Embedding(65, 64), nn.LSTM(64, 256), nn.Linear(256, 65)
    ids = np.random.default_rng(0).integers(0, 65, (steps + 1, batch)).astype(np.int64)
    x, y = fw.from_numpy(ids[:-1].copy()), fw.from_numpy(ids[1:].reshape(-1).copy())
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times = []
    for _ in range(4):
        t0 = time.perf_counter()
        h, _ = lstm(embed(x))
        loss = F.cross_entropy(head(h).reshape(-1, 65), y)
        loss.backward()
        times.append(time.perf_counter() - t0)
        for p in (*embed.parameters(), *lstm.parameters(), *head.parameters()):
            p.grad = None
    return {"s": float(np.median(times[1:])), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rss_before_mb": rss_before, "loss": float(loss.item())}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=10000)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--framework", choices=["glassgrad", "torch"], help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.framework:
        print(json.dumps(run(a.framework, a.steps, a.batch)))
        return
    print(f"LSTM(64 -> 256) over {a.steps} steps, batch {a.batch}: forward + loss + backward")
    for fw in ("glassgrad", "torch"):
        cmd = [sys.executable, __file__, "--framework", fw, "--steps", str(a.steps), "--batch", str(a.batch)]
        r = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        print(f"{fw:<10} {r['s']:8.3f} s   peak RSS {r['peak_rss_mb']:6.0f} MB "
              f"(before the model ran: {r['rss_before_mb']:.0f} MB)   loss {r['loss']:.4f}")


if __name__ == "__main__":
    main()
