"""The CIFAR-10 binary format: files of 3,073-byte records (1 label byte, then 1,024 red, 1,024
green and 1,024 blue bytes, each plane a 32x32 image in row-major order)."""
import os

import numpy as np

__all__ = ["read_cifar10_batch", "RECORD_BYTES"]

RECORD_BYTES = 1 + 3 * 32 * 32


def read_cifar10_batch(path):
    """Read one CIFAR-10 binary batch.

    Returns:
        (images, labels): uint8 (N, 32, 32, 3) in HWC order and int64 (N,).

    Raises:
        ValueError naming the file when its size is not a whole number of records or a label
        is not 0-9.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) == 0:
        raise ValueError(f"{path}: empty file; a CIFAR-10 binary batch holds 3073-byte records")
    if len(raw) % RECORD_BYTES:
        raise ValueError(f"{path}: truncated or corrupt CIFAR-10 batch: {len(raw)} bytes is not a multiple of "
                         f"the {RECORD_BYTES}-byte record ({len(raw) // RECORD_BYTES} whole records and "
                         f"{len(raw) % RECORD_BYTES} bytes left over)")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, 0].astype(np.int64)
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise ValueError(f"{path}: corrupt CIFAR-10 batch: record {bad[0]} has label {labels[bad[0]]}, "
                         "labels must be 0-9 (is this the CIFAR-100 format or another file?)")
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels
