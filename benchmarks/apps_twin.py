"""One application recipe (L_TEXT, L_SPEECH, L_REGRESSION) in glassgrad or PyTorch: the same data,
split, model, optimizer, batches (NumPy PCG64 permutations) and epochs, written once against the
PyTorch API. Prints one JSON line: the test metric and the training wall time (epochs only, data
preparation excluded). Each framework runs in its own process:

    python benchmarks/apps_twin.py --framework torch --recipe L_SPEECH --data-dir PATH/fsdd
"""
import argparse
import json
import sys
import time

import numpy as np


def _data(recipe, data_dir):
    # NumPy-only readers (glassgrad.data) so both frameworks see identical arrays.
    if recipe == "L_TEXT":
        from glassgrad.train.recipes.text import prepare
        _, train, test = prepare(data_dir)
    elif recipe == "L_SPEECH":
        from glassgrad.data.fsdd import load_fsdd
        (xtr, ytr), (xte, yte) = load_fsdd(data_dir)
        mean, std = xtr.mean(), xtr.std()
        train, test = ((xtr - mean) / std, ytr), ((xte - mean) / std, yte)
    else:
        from glassgrad.train.recipes.regression import prepare
        train, test = prepare()
    return train, test


def _model(nn, recipe, train):
    if recipe == "L_TEXT":
        return nn.Sequential(nn.Linear(train[0].shape[1], 64), nn.ReLU(), nn.Linear(64, 2))
    if recipe == "L_SPEECH":
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(32 * 10 * 16, 64), nn.ReLU(), nn.Linear(64, 10))
    return nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 1))


SETTINGS = {"L_TEXT": (5, 1e-3, 32, 0.0), "L_SPEECH": (15, 1e-3, 32, 0.0), "L_REGRESSION": (50, 3e-3, 32, 1e-2)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--framework", choices=("glassgrad", "torch"), required=True)
    p.add_argument("--recipe", choices=tuple(SETTINGS), required=True)
    p.add_argument("--data-dir")
    p.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads (default 2: the CPU count here)")
    args = p.parse_args()
    train, test = _data(args.recipe, args.data_dir)
    if args.framework == "torch":
        import torch
        torch.set_num_threads(args.threads)
    else:
        import glassgrad as torch
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(0)
    epochs, lr, batch_size, wd = SETTINGS[args.recipe]
    model = _model(nn, args.recipe, train)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=wd)
    loss_fn = F.mse_loss if args.recipe == "L_REGRESSION" else F.cross_entropy
    xtr, ytr = torch.from_numpy(np.ascontiguousarray(train[0])), torch.from_numpy(train[1])
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(xtr))
        for i in range(0, len(order), batch_size):
            idx = torch.from_numpy(order[i:i + batch_size])
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(np.ascontiguousarray(test[0]))).numpy()
    if args.recipe == "L_REGRESSION":
        metric = {"test_mse": float(np.mean((out - test[1]) ** 2))}
    else:
        metric = {"test_accuracy": float((out.argmax(1) == test[1]).mean())}
    print(json.dumps({"framework": args.framework, "recipe": args.recipe, **metric, "train_seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
