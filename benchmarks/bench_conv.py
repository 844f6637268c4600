"""Time W_CNN's convolution and pooling layers, forward + backward, in glassgrad and PyTorch.

    python benchmarks/bench_conv.py [--repeats 3] [--steps 30] [--warmup 5] [--json out.json]

Each framework runs in its own process (PyTorch's OpenMP threads slow NumPy's BLAS when both live
in one), alternating A B A B; a case's time is the median over the repetitions of each process's
median ms. The ratio is glassgrad / PyTorch: below 1 means glassgrad is faster. Cases:

* ``conv1``  Conv2d(1, 32, 3, padding=1) on (64, 1, 28, 28), the input needs no gradient
* ``pool1``  MaxPool2d(2) on (64, 32, 28, 28)
* ``conv2``  Conv2d(32, 64, 3, padding=1) on (64, 32, 14, 14), the input needs a gradient
* ``pool2``  MaxPool2d(2) on (64, 64, 14, 14)
* ``stack``  conv1-ReLU-pool1-conv2-ReLU-pool2 together (W_CNN's feature extractor)
* ``model``  the whole W_CNN model (the stack, Flatten, Linear-ReLU-Linear) forward + backward
* ``W_CNN``  one full training step of the W_CNN workload (``glassgrad.bench``'s definition); left
  out, with a note, while glassgrad lacks ``optim.SGD`` or ``nn.CrossEntropyLoss``
"""
import argparse
import importlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys

import numpy as np

CASES = ["conv1", "pool1", "conv2", "pool2", "stack", "model", "W_CNN"]


def _framework(name):
    if name == "torch":
        import torch
        torch.set_num_threads(os.cpu_count())
        return torch
    import glassgrad
    return glassgrad


def _array(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _case(fw, case):
    """A function running forward + backward of ``case`` once."""
    nn = fw.nn
    fw.manual_seed(0)
    if case == "W_CNN":
        from glassgrad.bench.workloads import make_step
        return make_step(fw, nn, importlib.import_module(fw.__name__ + ".optim"), "W_CNN")
    layers = {
        "conv1": (lambda: nn.Conv2d(1, 32, 3, padding=1), (64, 1, 28, 28), False),
        "pool1": (lambda: nn.MaxPool2d(2), (64, 32, 28, 28), True),
        "conv2": (lambda: nn.Conv2d(32, 64, 3, padding=1), (64, 32, 14, 14), True),
        "pool2": (lambda: nn.MaxPool2d(2), (64, 64, 14, 14), True),
        "stack": (lambda: nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)),
                  (64, 1, 28, 28), False),
        "model": (lambda: nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10)),
                  (64, 1, 28, 28), False),
    }
    make, shape, input_grad = layers[case]
    layer = make()
    x = fw.from_numpy(_array(shape, 0))
    if input_grad:
        x.requires_grad_(True)
    with fw.no_grad():
        out_shape = tuple(layer(x).shape)
    g = fw.from_numpy(_array(out_shape, 1))

    def step():
        for p in layer.parameters():
            p.grad = None
        x.grad = None
        layer(x).backward(g)
    return step


def worker(framework, case, warmup, steps):
    """Median ms of one forward + backward of ``case`` in this process."""
    from glassgrad.bench.worker import median_ms
    return median_ms(_case(_framework(framework), case), warmup, steps)


def _spawn(framework, case, warmup, steps):
    cmd = [sys.executable, __file__, "--worker", framework, "--case", case, "--warmup", str(warmup),
           "--steps", str(steps)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"bench_conv worker failed ({' '.join(cmd)}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["ms"]


def _has_training_step():
    import glassgrad.nn
    return importlib.util.find_spec("glassgrad.optim") is not None and hasattr(glassgrad.nn, "CrossEntropyLoss")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of " + ", ".join(CASES))
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--worker", choices=["glassgrad", "torch"], help=argparse.SUPPRESS)
    p.add_argument("--case", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        print(json.dumps({"ms": worker(a.worker, a.case, a.warmup, a.steps)}))
        return 0
    cases = [c for c in a.cases.split(",") if c]
    if "W_CNN" in cases and not _has_training_step():
        print("note: W_CNN (the full training step) left out: glassgrad has no optim.SGD or nn.CrossEntropyLoss yet")
        cases.remove("W_CNN")
    unknown = set(cases) - set(CASES)
    if unknown:
        p.error(f"unknown cases {sorted(unknown)}; choose from {CASES}")
    print(f"{'case':<8}{'gg ms':>10}{'torch ms':>10}{'ratio':>7}")
    results = {}
    for case in cases:
        runs = {"glassgrad": [], "torch": []}
        try:
            for _ in range(a.repeats):
                for fw in runs:
                    runs[fw].append(_spawn(fw, case, a.warmup, a.steps))
        except RuntimeError as e:
            print(f"{case:<8} failed: {str(e).strip().splitlines()[-1]}", flush=True)
            continue
        gg, th = statistics.median(runs["glassgrad"]), statistics.median(runs["torch"])
        results[case] = {"glassgrad_ms": gg, "torch_ms": th, "ratio": gg / th}
        print(f"{case:<8}{gg:10.3f}{th:10.3f}{gg / th:7.2f}", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
