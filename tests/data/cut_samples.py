"""Cut the committed test samples in this folder from the full data sets.

    python tests/data/cut_samples.py FULL_DATA_FOLDER

FULL_DATA_FOLDER holds ``mnist/``, ``cifar10-subset/``, ``fsdd/``, ``sms-spam-collection/`` and
``tinyshakespeare/`` (the folder ``GLASSGRAD_DATA`` names). Each sample is a prefix of its source in
the source's own order and format, so the same readers load it. The output is deterministic (gzip
with mtime 0), so rerunning reproduces the committed bytes. Each sample folder's README says what was
cut and where the full set comes from.
"""
import gzip
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

MNIST = {"train": 2000, "t10k": 500}             # images per split
CIFAR = {"data_batch_1_first4000.bin": ("data_batch_1_first500.bin", 500),
         "test_batch_first1000.bin": ("test_batch_first200.bin", 200)}
CIFAR_RECORD = 3073
FSDD_SPEAKERS, FSDD_INDICES = ("jackson", "theo"), (0, 5)   # index 0 is in the official test split, 5 in train
SHAKESPEARE_LINES = 4000
SMS_LINES = 600


def _write(path, data):
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _gzip(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def cut_mnist(src, dst):
    for split, n in MNIST.items():
        images = gzip.decompress(open(os.path.join(src, f"{split}-images-idx3-ubyte.gz"), "rb").read())
        labels = gzip.decompress(open(os.path.join(src, f"{split}-labels-idx1-ubyte.gz"), "rb").read())
        magic, _, rows, cols = struct.unpack(">IIII", images[:16])
        _write(os.path.join(dst, f"{split}-images-idx3-ubyte.gz"),
               _gzip(struct.pack(">IIII", magic, n, rows, cols) + images[16:16 + n * rows * cols]))
        magic, _ = struct.unpack(">II", labels[:8])
        _write(os.path.join(dst, f"{split}-labels-idx1-ubyte.gz"), _gzip(struct.pack(">II", magic, n) + labels[8:8 + n]))


def cut_cifar(src, dst):
    for name, (out, n) in CIFAR.items():
        with open(os.path.join(src, name), "rb") as f:
            _write(os.path.join(dst, out), f.read(n * CIFAR_RECORD))
    shutil.copyfile(os.path.join(src, "batches.meta.txt"), os.path.join(dst, "batches.meta.txt"))


def cut_fsdd(src, dst):
    wanted = {f"recordings/{d}_{s}_{i}.wav" for d in range(10) for s in FSDD_SPEAKERS for i in FSDD_INDICES}
    with open(os.path.join(src, "MANIFEST.tsv"), encoding="utf-8") as f:
        header, *rows = f.read().splitlines()
    kept = [r for r in rows if r.split("\t")[0] in wanted]
    assert len(kept) == len(wanted), "a chosen recording is missing from MANIFEST.tsv"
    os.makedirs(os.path.join(dst, "recordings"), exist_ok=True)
    for row in kept:
        path = row.split("\t")[0]
        shutil.copyfile(os.path.join(src, path), os.path.join(dst, path))
    _write(os.path.join(dst, "MANIFEST.tsv"), "\n".join([header] + kept).encode() + b"\n")


def _head_lines(src_file, dst_file, n):
    with open(src_file, "rb") as f:
        lines = f.read().split(b"\n")[:n]
    _write(dst_file, b"\n".join(lines) + b"\n")


def main(full):
    for name, cut in (("mnist", cut_mnist), ("cifar10-subset", cut_cifar), ("fsdd", cut_fsdd)):
        os.makedirs(os.path.join(HERE, name), exist_ok=True)
        cut(os.path.join(full, name), os.path.join(HERE, name))
    _head_lines(os.path.join(full, "tinyshakespeare", "input.txt"),
                os.path.join(HERE, "tinyshakespeare", "input.txt"), SHAKESPEARE_LINES)
    _head_lines(os.path.join(full, "sms-spam-collection", "SMSSpamCollection"),
                os.path.join(HERE, "sms-spam-collection", "SMSSpamCollection"), SMS_LINES)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: python tests/data/cut_samples.py FULL_DATA_FOLDER (the folder holding mnist/, cifar10-subset/, ...)")
    main(sys.argv[1])
