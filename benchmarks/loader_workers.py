"""DataLoader speed-up from worker processes on a dataset with a costly per-sample transform.

    python benchmarks/loader_workers.py --repeats 3

Two transforms: "cpu" computes (a 2-D FFT blur of a 64x64 image, done 6 times per sample, plus
a Python-level loop), so at most the machine's cores help; "io" waits 2 ms per sample (like
reading or decoding from slow storage), which workers overlap beyond the core count. Each
configuration runs one full epoch; the median over repeats (alternating the order) is shown.
"""
import argparse
import statistics
import time

import numpy as np

import glassgrad as gg
from glassgrad.data import DataLoader, Dataset


class Costly(Dataset):
    """Images whose every read runs an expensive transform."""

    def __init__(self, n, kind):
        self.images = np.random.default_rng(0).standard_normal((n, 64, 64)).astype(np.float32)
        self.kind = kind
        self.kernel = np.fft.rfft2(np.outer(np.hanning(64), np.hanning(64)))

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        x = self.images[i]
        if self.kind == "io":
            time.sleep(0.002)
        else:
            for _ in range(6):
                x = np.fft.irfft2(np.fft.rfft2(x) * self.kernel, s=x.shape).astype(np.float32)
            x = x / (1e-6 + sum(float(v) for v in x[0]))
        return x, i % 10


def epoch_seconds(kind, workers, n, batch):
    loader = DataLoader(Costly(n, kind), batch_size=batch, shuffle=True, num_workers=workers)
    start = time.perf_counter()
    count = sum(len(y) for _, y in loader)
    assert count == n
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--samples", type=int, default=512)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--workers", default="0,1,2,4")
    args = p.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    gg.manual_seed(0)
    print(f"| transform | workers | epoch s | samples/s | speed-up |\n| --- | --- | --- | --- | --- |")
    for kind in ("cpu", "io"):
        times = {w: [] for w in counts}
        for rep in range(args.repeats):
            for w in (counts if rep % 2 == 0 else counts[::-1]):
                times[w].append(epoch_seconds(kind, w, args.samples, args.batch_size))
        base = statistics.median(times[0])
        for w in counts:
            t = statistics.median(times[w])
            print(f"| {kind} | {w} | {t:.2f} | {args.samples / t:.0f} | {base / t:.2f} |", flush=True)


if __name__ == "__main__":
    main()
