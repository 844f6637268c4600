"""The learning workloads L_MNIST_MLP and L_MNIST_CNN: glassgrad through ``glassgrad train``, and
the same recipe in PyTorch (same model, optimizer, batch size, epochs, normalization, shuffling),
each with its wall time, each framework in a process of its own.

    python -m glassgrad.bench.learning --data-dir "$GLASSGRAD_DATA/mnist" [--only mlp|cnn] [--framework both|glassgrad|torch]

--data-dir is the folder with the four MNIST IDX files (the full 60k/10k set); the recipes and
targets are in benchmarks/WORKLOADS.md. The PyTorch run is this file run by path (``--torch-run``):
it imports nothing of glassgrad (not even its IDX reader, whose few lines are repeated here), so
PyTorch runs under its own malloc settings.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import time

import numpy as np

RECIPES = {  # model, optimizer, lr, batch size, epochs (benchmarks/WORKLOADS.md); cosine-annealed LR per batch
    "mlp": ("mlp", "adam", 1e-3, 128, 5),
    "cnn": ("cnn", "adam", 1e-3, 64, 3),  # SGD(0.01, momentum 0.9) + cosine reached 98.9% in both frameworks
}


def run_glassgrad(data_dir, name, out):
    model, opt, lr, batch, epochs = RECIPES[name]
    cmd = ["glassgrad", "train", "--dataset", "mnist", "--data-dir", data_dir, "--model", model,
           "--optimizer", opt, "--lr", str(lr), "--batch-size", str(batch), "--epochs", str(epochs),
           "--schedule", "cosine", "--out", out]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    print(done.stdout[-1500:], done.stderr[-1500:])
    return wall


def read_idx(path):
    """An IDX file (MNIST's format, gzipped or not) as a NumPy array."""
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def run_torch_child(data_dir, name):
    """Run the PyTorch recipe in a child process of its own: (wall seconds, test accuracy)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-run", name, "--data-dir", data_dir]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"learning: the PyTorch run of {name} failed")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["wall"], result["accuracy"]


def run_torch(data_dir, name):
    import torch
    import torch.nn as nn
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    model_name, opt_name, lr, batch, epochs = RECIPES[name]

    def load(split):
        prefix = "train" if split == "train" else "t10k"
        x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz")).astype(np.float32) / 255
        y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
        x = (x - 0.1307) / 0.3081
        return torch.from_numpy(x.reshape(-1, 1, 28, 28) if model_name == "cnn" else x.reshape(-1, 784)), torch.from_numpy(y)

    t0 = time.perf_counter()
    xtr, ytr = load("train")
    xte, yte = load("test")
    if model_name == "mlp":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    else:
        model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    if opt_name == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    steps_per_epoch = (len(xtr) + batch - 1) // batch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps_per_epoch)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            acc = sum((model(xte[i:i + 500]).argmax(1) == yte[i:i + 500]).sum().item() for i in range(0, len(xte), 500)) / len(xte)
        print(f"torch {name} epoch {epoch + 1}: test accuracy {acc:.4f}", file=sys.stderr, flush=True)
    return time.perf_counter() - t0, acc


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--only", choices=sorted(RECIPES))
    p.add_argument("--framework", choices=["both", "glassgrad", "torch"], default="both")
    p.add_argument("--out-dir", default="runs")
    p.add_argument("--torch-run", choices=sorted(RECIPES), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.torch_run:
        wall, acc = run_torch(a.data_dir, a.torch_run)
        print(json.dumps({"wall": wall, "accuracy": acc}))
        return 0
    os.makedirs(a.out_dir, exist_ok=True)
    for name in [a.only] if a.only else sorted(RECIPES):
        if a.framework in ("both", "glassgrad"):
            wall = run_glassgrad(a.data_dir, name, os.path.join(a.out_dir, f"mnist-{name}.safetensors"))
            print(f"L_MNIST_{name.upper()} glassgrad wall time {wall:.1f} s", flush=True)
        if a.framework in ("both", "torch"):
            wall, acc = run_torch_child(a.data_dir, name)
            print(f"L_MNIST_{name.upper()} torch wall time {wall:.1f} s, test accuracy {acc:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
