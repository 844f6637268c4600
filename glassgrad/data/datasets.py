"""Ready-made datasets read from any folder: MNIST, FashionMNIST, CIFAR10, CSVDataset and
scikit-learn's bundled digits (``load_digits``).

Image datasets hold the images as uint8 arrays (``.data``, HW or HWC) and the labels as int64
(``.targets``). A sample is ``(image, target)``: the raw uint8 array unless a ``transform`` is given,
typically ``transforms.ToTensor()`` for a float (C, H, W) tensor in [0, 1].
"""
import csv
import glob
import math
import os
import re
import tarfile

import numpy as np

from ..autograd.tensor import wrap_array
from .cifar import read_cifar10_batch
from .dataset import Dataset, TensorDataset
from .download import DownloadError, download_url, missing_files_message
from .idx import read_idx

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CSVDataset", "load_digits", "ArrayDataset"]



class ArrayDataset(Dataset):
    """Samples ``(transform(data[i]), target_transform(targets[i]))`` from two arrays, with a batched
    fast path (``get_batch``) when the transforms support it."""

    def __init__(self, data, targets, transform=None, target_transform=None):
        self.data, self.targets = data, targets
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        x, y = self.data[index], self.targets[index]
        if self.transform is not None:
            x = self.transform(x)
        y = self.target_transform(y) if self.target_transform is not None else int(y) if y.dtype.kind in "iu" else y
        return x, y

    def __getattr__(self, name):
        if name == "get_batch":
            t = self.__dict__.get("transform")
            ok_x = t is None or callable(getattr(t, "batched", None))
            if ok_x and self.__dict__.get("target_transform") is None:
                return self._get_batch
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _get_batch(self, indices):
        idx = np.asarray(indices, dtype=np.int64)
        x = self.data[idx]
        x = wrap_array(x) if self.transform is None else self.transform.batched(x)
        return [x, wrap_array(self.targets[idx])]


class _IDXImages(ArrayDataset):
    name = "MNIST"
    urls = ("https://ossci-datasets.s3.amazonaws.com/mnist/",)
    files = {
        "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    classes = [str(i) for i in range(10)]

    def __init__(self, root, train=True, download=False, transform=None, target_transform=None):
        self.root, self.train = os.fspath(root), train
        prefix = "train" if train else "t10k"
        names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
        paths = [self._find(n) for n in names]
        if None in paths:
            if not download:
                raise FileNotFoundError(missing_files_message(
                    self.name, self.root, [n + ".gz" for n in names], self.urls))
            paths = [self._find(n) or self._download(n) for n in names]
        images = read_idx(paths[0], expected_ndim=3)
        labels = read_idx(paths[1], expected_ndim=1).astype(np.int64)
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"{self.name}: {paths[0]} holds {images.shape[0]} images but {paths[1]} holds "
                             f"{labels.shape[0]} labels")
        if labels.size and (labels.min() < 0 or labels.max() >= len(self.classes)):
            raise ValueError(f"{paths[1]}: labels must be 0-{len(self.classes) - 1}, found {labels.min()}..{labels.max()}")
        super().__init__(images, labels, transform, target_transform)

    def _folders(self):
        return [self.root, os.path.join(self.root, self.name, "raw"), os.path.join(self.root, self.name.lower())]

    def _find(self, name):
        for folder in self._folders():
            for candidate in (name, name + ".gz", name.replace("-idx", ".idx")):
                p = os.path.join(folder, candidate)
                if os.path.isfile(p):
                    return p
        return None

    def _download(self, name):
        errors = []
        for base in self.urls:
            try:
                return download_url(base + name + ".gz", os.path.join(self.root, name + ".gz"), md5=self.files[name])
            except DownloadError as e:
                errors.append(str(e))
        raise DownloadError(f"{errors[-1]}; " + missing_files_message(
            self.name, self.root, [n + ".gz" for n in self.files], self.urls))


class MNIST(_IDXImages):
    """MNIST handwritten digits: 28x28 uint8 images, labels 0-9, read from the four IDX files
    (``train-images-idx3-ubyte[.gz]``, ...) in ``root`` (or ``root/MNIST/raw``).

    Args:
        root: the folder with the files.
        train: the 60k training split (else the 10k test split).
        download: fetch missing files from the canonical mirror.
        transform, target_transform: applied to each image / label.
    """


class FashionMNIST(_IDXImages):
    """Fashion-MNIST (Zalando): MNIST's layout and file names, 10 clothing classes."""
    name = "FashionMNIST"
    urls = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    files = {
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    }
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


def _natural_key(path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", os.path.basename(path))]


class CIFAR10(ArrayDataset):
    """CIFAR-10 from the binary version: ``data_batch_1.bin`` ... ``data_batch_5.bin`` (train) and
    ``test_batch.bin`` in ``root`` or ``root/cifar-10-batches-bin``. Any files matching
    ``data_batch_*.bin`` / ``test_batch*.bin`` are read, in natural order. Images are uint8 (32, 32, 3).

    Args:
        root: the folder with the files.
        train: the training batches (else the test batch).
        download: fetch and unpack ``cifar-10-binary.tar.gz`` when no batch is found.
    """
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    md5 = "c32a1d4ab5d03f1284b67883e8d87530"
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root, train=True, download=False, transform=None, target_transform=None):
        self.root, self.train = os.fspath(root), train
        files = self._find()
        if not files:
            wanted = ["data_batch_1.bin", "...", "data_batch_5.bin"] if train else ["test_batch.bin"]
            if not download:
                raise FileNotFoundError(missing_files_message("CIFAR-10", self.root, wanted, (self.url,)))
            self._download()
            files = self._find()
            if not files:
                raise DownloadError(f"{self.url} did not contain the expected batches; "
                                    + missing_files_message("CIFAR-10", self.root, wanted))
        parts = [read_cifar10_batch(f) for f in files]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        self.files = files
        super().__init__(images, labels, transform, target_transform)

    def _find(self):
        pattern = "data_batch_*.bin" if self.train else "test_batch*.bin"
        for folder in (self.root, os.path.join(self.root, "cifar-10-batches-bin")):
            found = sorted(glob.glob(os.path.join(folder, pattern)), key=_natural_key)
            if found:
                return found
        return []

    def _download(self):
        archive = download_url(self.url, os.path.join(self.root, "cifar-10-binary.tar.gz"), md5=self.md5)
        with tarfile.open(archive, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile() and m.name.endswith(".bin")
                       and not os.path.isabs(m.name) and ".." not in m.name.split("/")]
            for m in members:
                src = tar.extractfile(m)
                dest = os.path.join(self.root, os.path.basename(m.name))
                with open(dest + ".part", "wb") as out:
                    out.write(src.read())
                os.replace(dest + ".part", dest)


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _read_rows(name, delimiter, encoding):
    """The non-blank rows of a CSV file, or a ValueError naming the file when it is not text CSV."""
    try:
        with open(name, newline="", encoding=encoding) as f:
            return [r for r in csv.reader(f, delimiter=delimiter) if r and any(c.strip() for c in r)]
    except UnicodeDecodeError as e:
        raise ValueError(f"{name}: not {encoding} text (byte 0x{e.object[e.start]:02x} at offset {e.start}); "
                         f"is it a CSV file? For another encoding pass CSVDataset(..., encoding=...)") from None
    except csv.Error as e:
        raise ValueError(f"{name}: not a readable CSV file ({e})") from None


def _finite_targets(values, name, column):
    targets = np.asarray(values, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(targets) | (np.abs(targets) > _FLOAT32_MAX))
    if bad.size:
        raise ValueError(f"{name}: target {values[bad[0]]!r} in column {column!r} (data row {bad[0] + 1}) is not a "
                         "finite float32 number")
    return targets.astype(np.float32)


def _parse_float(text):
    try:
        return float(text)
    except ValueError:
        return None


class CSVDataset(ArrayDataset):
    """A table from a CSV file (or an array): the ``target_column`` is the label, the other columns
    are float32 features.

    Args:
        source: a path to a CSV file, or a 2-D array/table of numbers.
        target_column: the label column, by name (needs a header) or index (negative counts from the end).
        task: 'classification' (int64 class indices; string labels are mapped to indices listed in
            ``.classes``), 'regression' (float32 targets), or 'auto' (classification when every
            label is an integer or a string).
        delimiter: the CSV separator. header: whether the first row holds names ('infer': when a
            cell of the first row is not a number).
        encoding: the file's text encoding (default UTF-8).

    Raises:
        ValueError naming the file (and the row and column where one is at fault) for: text that
        is not in ``encoding`` or not CSV; a feature that is not a finite number (NaN and infinity
        included: fill or drop missing values first); a table with no feature column; class labels
        that are not integers 0..K-1 with K <= ``MAX_CLASSES`` (or strings, at most ``MAX_CLASSES``
        distinct ones); a bad target column.
    """

    MAX_CLASSES = 100_000

    def __init__(self, source, target_column=-1, task="auto", delimiter=",", header="infer",
                 transform=None, target_transform=None, encoding="utf-8"):
        if task not in ("auto", "classification", "regression"):
            raise ValueError(f"CSVDataset: task must be 'auto', 'classification' or 'regression', got {task!r}")
        if isinstance(source, (str, os.PathLike)):
            name = os.fspath(source)
            rows = _read_rows(name, delimiter, encoding)
        else:
            name = "CSVDataset input"
            rows = [[str(c) for c in r] for r in np.asarray(source, dtype=object).tolist()]
        if not rows:
            raise ValueError(f"{name}: no rows")
        has_header = header if header != "infer" else any(_parse_float(c) is None for c in rows[0])
        self.columns = [c.strip() for c in rows[0]] if has_header else [str(i) for i in range(len(rows[0]))]
        body = rows[1:] if has_header else rows
        if not body:
            raise ValueError(f"{name}: no data rows after the header")
        width = len(self.columns)
        if width < 2:
            raise ValueError(f"{name}: the table has {width} column; it needs the target column and at least one "
                             "feature column (is the delimiter right?)")
        for i, r in enumerate(body):
            if len(r) != width:
                raise ValueError(f"{name}: row {i + 1 + has_header} has {len(r)} columns, expected {width}")
        if isinstance(target_column, str):
            if target_column not in self.columns:
                raise ValueError(f"{name}: no column named {target_column!r}; columns are {self.columns}")
            t = self.columns.index(target_column)
        else:
            if not -width <= int(target_column) < width:
                raise ValueError(f"{name}: target_column {target_column} out of range for {width} columns")
            t = int(target_column) % width
        self.target_column = self.columns[t]
        features = np.empty((len(body), width - 1), dtype=np.float32)
        raw_targets = []
        for i, r in enumerate(body):
            values = [c for j, c in enumerate(r) if j != t]
            for j, c in enumerate(values):
                v = _parse_float(c)
                if v is None or not math.isfinite(v) or abs(v) > _FLOAT32_MAX:
                    col = [k for k in range(width) if k != t][j]
                    what = ("is not a number (only the target column may hold text)" if v is None else
                            "is not a finite float32 number (fill or drop missing values first)")
                    raise ValueError(f"{name}: row {i + 1 + has_header}, column {self.columns[col]!r}: {c.strip()!r} {what}")
                features[i, j] = v
            raw_targets.append(r[t].strip())
        numeric = [_parse_float(c) for c in raw_targets]
        if task == "regression":
            if None in numeric:
                bad = raw_targets[numeric.index(None)]
                raise ValueError(f"{name}: regression target {bad!r} in column {self.target_column!r} is not a number")
            targets, self.classes = _finite_targets(numeric, name, self.target_column), None
        elif None not in numeric and (task == "classification" or all(float(v).is_integer() for v in numeric)):
            ints = np.asarray(numeric, dtype=np.float64)
            if not np.all(np.isfinite(ints)) or not np.all(ints == np.round(ints)) or (ints < 0).any():
                raise ValueError(f"{name}: class labels in column {self.target_column!r} must be non-negative "
                                 "integers (or strings); use task='regression' for real-valued targets")
            if ints.max() >= self.MAX_CLASSES:
                row = int(np.argmax(ints)) + 1 + has_header
                raise ValueError(f"{name}: row {row}, column {self.target_column!r}: class label {raw_targets[row - 1 - has_header]} "
                                 f"is beyond the limit of {self.MAX_CLASSES} classes (labels are 0..K-1)")
            targets = ints.astype(np.int64)
            self.classes = list(range(int(targets.max()) + 1))
        elif None in numeric:  # text labels (task is auto or classification)
            self.classes = sorted(set(raw_targets))
            if len(self.classes) > self.MAX_CLASSES:
                raise ValueError(f"{name}: column {self.target_column!r} holds {len(self.classes)} distinct labels, "
                                 f"more than the limit of {self.MAX_CLASSES} classes")
            lookup = {c: k for k, c in enumerate(self.classes)}
            targets = np.asarray([lookup[c] for c in raw_targets], dtype=np.int64)
        else:
            targets, self.classes = _finite_targets(numeric, name, self.target_column), None
        self.task = "regression" if self.classes is None else "classification"
        super().__init__(features, targets, transform, target_transform)


def load_digits(as_images=False):
    """scikit-learn's bundled 8x8 handwritten digits (1,797 samples, 10 classes) as a ``TensorDataset``.

    Features are float32 in [0, 1] (pixel / 16): shape (1797, 64), or (1797, 1, 8, 8) with
    ``as_images``; targets int64. Needs the optional extra scikit-learn.
    """
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn, an optional extra: pip install scikit-learn "
                          "(or pip install 'glassgrad[demo]')") from None
    bunch = sk_load_digits()
    x = (bunch.data / 16.0).astype(np.float32)
    if as_images:
        x = x.reshape(-1, 1, 8, 8)
    return TensorDataset(wrap_array(np.ascontiguousarray(x)), wrap_array(bunch.target.astype(np.int64)))
