"""The data sets of the command line by name: (train, test, input shape, classes)."""
import os

from .errors import fail
from .paths import check_readable

__all__ = ["DATASETS", "SPLIT_SEED", "load_data"]

DATASETS = ("mnist", "fashion-mnist", "cifar10", "digits", "csv")
SPLIT_SEED = 0
# per-channel (mean, std) of the training pixels in [0, 1]
_STATS = {"mnist": ((0.1307,), (0.3081,)), "fashion-mnist": ((0.2860,), (0.3530,)),
          "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))}


def _split(dataset, seed=SPLIT_SEED):
    """80/20 train/test split of a data set without one (its own generator: the same every run)."""
    import glassgrad
    from glassgrad.data import random_split
    n = len(dataset)
    n_test = max(1, n // 5)
    return random_split(dataset, [n - n_test, n_test], generator=glassgrad.Generator().manual_seed(seed))


def load_data(name, data_dir=None, model="mlp", target_column="-1", download=False):
    """(train, test, input_shape, num_classes) for a CLI dataset name."""
    from glassgrad import data as D
    from glassgrad.data import transforms as T
    if name not in DATASETS:
        raise fail(f"unknown dataset {str(name)[:60]!r}; choose from {', '.join(DATASETS)}")
    if name == "digits":
        train, test = _split(D.load_digits(as_images=(model == "cnn")))
        return train, test, ([1, 8, 8] if model == "cnn" else [64]), 10
    if not data_dir:
        raise fail(f"--data-dir is required for --dataset {name}")
    if name == "csv":
        if not os.path.isfile(data_dir):
            raise fail(f"--data-dir for csv must be a CSV file, {data_dir} is not a file")
        check_readable(data_dir, "--data-dir")
        column = int(target_column) if target_column.lstrip("-").isdigit() else target_column
        full = D.CSVDataset(data_dir, target_column=column, task="classification")
        if len(full) < 2:
            raise fail(f"{data_dir} has {len(full)} data row; a train and a test split need at least 2")
        train, test = _split(full)
        std = T.Standardize().fit(full.data[train.indices])  # fitted on the training split only
        full.transform = std
        return train, test, [full.data.shape[1]], len(full.classes)
    if not os.path.isdir(data_dir):
        raise fail(f"data folder {data_dir} does not exist")
    mean, std = _STATS[name]
    tf = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
    cls = {"mnist": D.MNIST, "fashion-mnist": D.FashionMNIST, "cifar10": D.CIFAR10}[name]
    train = cls(data_dir, train=True, download=download, transform=tf)
    test = cls(data_dir, train=False, download=download, transform=tf)
    return train, test, ([3, 32, 32] if name == "cifar10" else [1, 28, 28]), 10
