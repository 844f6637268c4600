"""The IDX format of MNIST and Fashion-MNIST: read (raw or gzip) and write, with validation.

Layout (big-endian): two zero bytes, a type code, the number of dimensions, one uint32 per
dimension, then the data in row-major order.
"""
import gzip
import os
import zlib

import numpy as np

__all__ = ["read_idx", "write_idx"]

_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {np.dtype(v).newbyteorder("="): k for k, v in _TYPES.items()}


def _read_bytes(path):
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as e:
            raise ValueError(f"{path}: corrupt or truncated gzip data ({e}); delete the file and download it again") from None
    return raw


def read_idx(path, expected_ndim=None):
    """Read an IDX file (``.gz`` or raw) into a NumPy array (native byte order).

    Raises:
        ValueError naming the file when the magic number, the dimensions or the size is wrong.
    """
    data = _read_bytes(path)
    path = os.fspath(path)
    if len(data) < 4:
        raise ValueError(f"{path}: not an IDX file: only {len(data)} bytes, shorter than the 4-byte magic number")
    if data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        raise ValueError(f"{path}: not an IDX file: bad magic number 0x{data[:4].hex()} "
                         "(expected 0x0000 then a type code 08/09/0B/0C/0D/0E and the number of dimensions)")
    dtype, ndim = _TYPES[data[2]], data[3]
    if ndim == 0:
        raise ValueError(f"{path}: bad IDX header: 0 dimensions")
    if expected_ndim is not None and ndim != expected_ndim:
        raise ValueError(f"{path}: IDX file has {ndim} dimensions (magic 0x{data[:4].hex()}), "
                         f"expected {expected_ndim}; is it the right file (images vs labels)?")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header: {len(data)} bytes, the header needs {header}")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) < expected:
        raise ValueError(f"{path}: truncated IDX file: dimensions {shape} need {expected} bytes, "
                         f"found {len(data)}; delete the file and download it again")
    if len(data) > expected:
        raise ValueError(f"{path}: corrupt IDX file: dimensions {shape} need {expected} bytes, "
                         f"found {len(data)} (extra data after the end)")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def write_idx(path, array, compress=None):
    """Write ``array`` as an IDX file (gzip-compressed when ``compress`` or the name ends in ``.gz``)."""
    a = np.ascontiguousarray(array)
    code = _CODES.get(a.dtype)
    if code is None:
        raise TypeError(f"write_idx: dtype {a.dtype} has no IDX type code; use uint8, int8, int16, int32, "
                        "float32 or float64")
    if a.ndim == 0 or a.ndim > 255:
        raise ValueError(f"write_idx: need 1 to 255 dimensions, got {a.ndim}")
    body = bytes([0, 0, code, a.ndim]) + np.asarray(a.shape, dtype=">u4").tobytes()
    body += a.astype(a.dtype.newbyteorder(">")).tobytes()
    path = os.fspath(path)
    if compress or (compress is None and path.endswith(".gz")):
        body = gzip.compress(body)
    with open(path, "wb") as f:
        f.write(body)
