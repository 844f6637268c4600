"""A CIFAR-10 ResNet, written for PyTorch, run by either framework: only the imports change.

The model and the training loop follow the common PyTorch CIFAR-10 recipe (the ResNet of He et
al. 2016 with BasicBlocks and option-B shortcuts, as in the widely used ``kuangliu/pytorch-cifar``
``models/resnet.py``, and the loop of the PyTorch tutorial "Training a Classifier"), in a small
configuration (three stages of one block, widths 16/32/64) so that a run takes a minute or two on
a CPU. There is no torchvision: the CIFAR-10 binary batches are read with NumPy, and the random
crop + flip augmentation is done on the tensors.

    python examples/ported/cifar_resnet.py --framework torch
    python examples/ported/cifar_resnet.py --framework glassgrad

Data: ``--data DIR`` (CIFAR-10 binary batches, ``data_batch*.bin`` / ``test_batch*.bin``);
default ``$GLASSGRAD_DATA/cifar10-subset`` when set, else the 500 + 200-image sample in ``tests/data``.
"""
import argparse
import glob
import json
import os
import sys
import time

import numpy as np

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--framework", choices=["torch", "glassgrad"], default="glassgrad")
parser.add_argument("--data", default=None, help="folder with the CIFAR-10 binary batches")
parser.add_argument("--epochs", type=int, default=4)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--lr", type=float, default=0.05)
parser.add_argument("--train-limit", type=int, default=None, help="use at most this many training images")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

# ---- the only framework-specific lines --------------------------------------------------------
if args.framework == "torch":
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(os.cpu_count())
else:
    import glassgrad as torch
    import glassgrad.nn as nn
    import glassgrad.nn.functional as F
# ------------------------------------------------------------------------------------------------


def read_batches(pattern):
    """Images (N, 3, 32, 32) uint8 and labels (N,) from CIFAR-10 binary files."""
    files = sorted(glob.glob(pattern))
    if not files:
        sys.exit(f"no CIFAR-10 batches match {pattern}; pass --data DIR")
    raw = np.concatenate([np.fromfile(f, dtype=np.uint8) for f in files]).reshape(-1, 3073)
    return raw[:, 1:].reshape(-1, 3, 32, 32), raw[:, 0].astype(np.int64)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = out + self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, widths=(16, 32, 64), num_classes=10):
        super().__init__()
        self.in_planes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.layers = nn.Sequential(*[self._make_layer(block, w, n, 1 if i == 0 else 2)
                                      for i, (w, n) in enumerate(zip(widths, num_blocks))])
        self.linear = nn.Linear(widths[-1], num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        layers = []
        for s in [stride] + [1] * (num_blocks - 1):
            layers.append(block(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layers(out)
        out = F.adaptive_avg_pool2d(out, 1)
        out = out.view(out.size(0), -1)
        return self.linear(out)


def augment(x):
    """Random crop (padding 4) and horizontal flip, per batch."""
    n = x.shape[0]
    padded = F.pad(x, (4, 4, 4, 4))
    i, j = torch.randint(0, 9, (2,)).tolist()
    x = padded[:, :, i:i + 32, j:j + 32]
    if torch.rand(1).item() < 0.5:
        x = x.flip(3)
    return x


def main():
    torch.manual_seed(args.seed)
    folder = args.data or (os.path.join(os.environ["GLASSGRAD_DATA"], "cifar10-subset") if os.environ.get("GLASSGRAD_DATA")
                           else os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "cifar10-subset"))
    train_x, train_y = read_batches(os.path.join(folder, "data_batch*.bin"))
    test_x, test_y = read_batches(os.path.join(folder, "test_batch*.bin"))
    if args.train_limit:
        train_x, train_y = train_x[:args.train_limit], train_y[:args.train_limit]
    mean = np.array([0.4914, 0.4822, 0.4465], np.float32).reshape(1, 3, 1, 1)
    std = np.array([0.2470, 0.2435, 0.2616], np.float32).reshape(1, 3, 1, 1)
    train_x = torch.from_numpy(((train_x / np.float32(255)) - mean) / std)
    test_x = torch.from_numpy(((test_x / np.float32(255)) - mean) / std)
    train_y, test_y = torch.from_numpy(train_y), torch.from_numpy(test_y)

    model = ResNet(BasicBlock, [1, 1, 1])
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    steps = args.epochs * ((len(train_y) + args.batch_size - 1) // args.batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)

    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(train_y))
        total, correct, running = 0, 0, 0.0
        for k in range(0, len(train_y), args.batch_size):
            idx = perm[k:k + args.batch_size]
            inputs, targets = augment(train_x[idx]), train_y[idx]
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            scheduler.step()
            running += loss.item() * targets.size(0)
            total += targets.size(0)
            correct += outputs.argmax(1).eq(targets).sum().item()
        model.eval()
        with torch.no_grad():
            test_correct = sum(model(test_x[k:k + 200]).argmax(1).eq(test_y[k:k + 200]).sum().item()
                               for k in range(0, len(test_y), 200))
        print(f"epoch {epoch}: train loss {running / total:.4f}, train acc {correct / total:.3f}, "
              f"test acc {test_correct / len(test_y):.3f}")
    seconds = time.perf_counter() - start
    print(json.dumps({"framework": args.framework, "train_loss": round(running / total, 4),
                      "train_acc": round(correct / total, 4), "test_acc": round(test_correct / len(test_y), 4),
                      "train_images": len(train_y), "test_images": len(test_y), "epochs": args.epochs,
                      "seconds": round(seconds, 1)}))


if __name__ == "__main__":
    main()
