"""The safetensors format, read and written without dependencies.

A file is: an 8-byte little-endian header length N; N bytes of UTF-8 JSON mapping each tensor name
to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets into the byte buffer that follows)
plus an optional ``"__metadata__"`` dict of str -> str; then the tensors' raw little-endian bytes,
row-major, back to back. No code is ever executed on load (unlike pickle).
"""
import json
import os
import tempfile

import numpy as np

from ..autograd.tensor import Tensor, wrap_array

__all__ = ["save_file", "load_file", "save", "load", "read_metadata", "load_file_with_metadata"]

_DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I8": "i1", "I16": "<i2", "I32": "<i4", "I64": "<i8",
           "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?"}
_NAMES = {np.dtype(v).newbyteorder("="): k for k, v in _DTYPES.items()}
_MAX_HEADER = 100 * 1024 * 1024


def _as_array(name, value):
    if isinstance(value, Tensor):
        array = np.asarray(value.detach())
    elif isinstance(value, np.ndarray):
        array = value
    else:
        raise TypeError(f"save_file: tensor {name!r} is a {type(value).__name__}; expected a Tensor or np.ndarray")
    if array.dtype.newbyteorder("=") not in _NAMES:
        raise TypeError(f"save_file: tensor {name!r} has dtype {array.dtype}, which safetensors cannot store; "
                        f"convert it to one of {sorted(str(d) for d in _NAMES)}")
    return array if array.flags.c_contiguous else array.copy(order="C")  # (ascontiguousarray makes 0-d 1-d)


def _encode(tensors, metadata):
    if not isinstance(tensors, dict):
        raise TypeError(f"save_file: expected a dict of name -> tensor, got {type(tensors).__name__}")
    header, arrays, offset = {}, [], 0
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in metadata.items()):
            raise TypeError("save_file: metadata must be a dict of str -> str (encode other values, e.g. with json.dumps)")
        header["__metadata__"] = dict(metadata)
    for name in sorted(tensors):
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError(f"save_file: invalid tensor name {name!r} (names are strings other than '__metadata__')")
        array = _as_array(name, tensors[name])
        nbytes = array.nbytes
        header[name] = {"dtype": _NAMES[array.dtype.newbyteorder("=")], "shape": list(array.shape),
                        "data_offsets": [offset, offset + nbytes]}
        arrays.append(array)
        offset += nbytes
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad so the data starts 8-byte aligned
    return text, arrays


def save_file(tensors, filename, metadata=None):
    """Write ``tensors`` (dict of name -> Tensor or ndarray) to ``filename`` in safetensors format.

    The file is written to a temporary file in the same folder and renamed over ``filename``, so a
    crash never leaves a half-written file.

    Args:
        metadata: optional dict of str -> str stored under ``__metadata__``.
    """
    header, arrays = _encode(tensors, metadata)
    filename = os.fspath(filename)
    folder = os.path.dirname(os.path.abspath(filename))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(filename)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(len(header).to_bytes(8, "little"))
            f.write(header)
            for a in arrays:
                le = a.astype(a.dtype.newbyteorder("<"), copy=False) if a.dtype.byteorder not in ("|", "<") else a
                f.write(memoryview(le.reshape(-1)).cast("B") if le.size else b"")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def save(tensors, metadata=None):
    """The safetensors bytes for ``tensors`` (as ``safetensors.numpy.save``)."""
    header, arrays = _encode(tensors, metadata)
    return len(header).to_bytes(8, "little") + header + b"".join(
        a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes() for a in arrays)


def _parse(buffer, name):
    """Validate and decode: (header dict without metadata, metadata, data offset)."""
    def bad(what):
        return ValueError(f"{name}: not a valid safetensors file: {what}")

    if len(buffer) < 8:
        raise bad(f"only {len(buffer)} bytes, shorter than the 8-byte header length (truncated or empty file)")
    n = int.from_bytes(buffer[:8], "little")
    if n > _MAX_HEADER:
        raise bad(f"header length {n} is implausibly large (corrupt file, or not safetensors)")
    if 8 + n > len(buffer):
        raise bad(f"header says {n} bytes but the file has only {len(buffer) - 8} after the length (truncated)")
    try:
        header = json.loads(bytes(buffer[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise bad(f"header is not valid UTF-8 JSON ({e})") from None
    if not isinstance(header, dict):
        raise bad("header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and (not isinstance(metadata, dict)
                                 or not all(isinstance(v, str) for v in metadata.values())):
        raise bad("__metadata__ must map strings to strings")
    data_len = len(buffer) - 8 - n
    spans = []
    for key, info in header.items():
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
            raise bad(f"entry {key!r} lacks dtype/shape/data_offsets")
        if info["dtype"] not in _DTYPES and info["dtype"] != "BF16":
            raise bad(f"entry {key!r} has unknown dtype {info['dtype']!r}")
        shape, offsets = info["shape"], info["data_offsets"]
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise bad(f"entry {key!r} has an invalid shape {shape!r}")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1]):
            raise bad(f"entry {key!r} has invalid data_offsets {offsets!r}")
        itemsize = 2 if info["dtype"] == "BF16" else np.dtype(_DTYPES[info["dtype"]]).itemsize
        need = int(np.prod(shape, dtype=np.int64)) * itemsize
        if offsets[1] - offsets[0] != need:
            raise bad(f"entry {key!r}: shape {shape} of {info['dtype']} needs {need} bytes but data_offsets "
                      f"{offsets} span {offsets[1] - offsets[0]}")
        if offsets[1] > data_len:
            raise bad(f"entry {key!r} ends at byte {offsets[1]} of the data but the file holds {data_len} "
                      "(truncated)")
        spans.append((offsets[0], offsets[1], key))
    spans.sort()
    end = 0
    for begin, stop, key in spans:
        if begin != end:
            raise bad(f"entry {key!r} starts at {begin}, expected {end} (overlapping or gapped data)")
        end = stop
    if end != data_len:
        raise bad(f"the tensors cover {end} bytes of data but the file holds {data_len} (extra bytes)")
    return header, metadata or {}, 8 + n


def _decode(buffer, name):
    header, metadata, start = _parse(buffer, name)
    out = {}
    for key, info in header.items():
        b, e = info["data_offsets"]
        raw = buffer[start + b:start + e]
        if info["dtype"] == "BF16":  # no NumPy bfloat16: widen to float32 exactly
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        else:
            dtype = np.dtype(_DTYPES[info["dtype"]])
            array = np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="))  # a writable copy
        out[key] = array.reshape(info["shape"])
    return out, metadata


def _read(filename):
    filename = os.fspath(filename)
    with open(filename, "rb") as f:
        return memoryview(f.read()), filename


def load_file(filename, device="cpu"):
    """Read a safetensors file into a dict of name -> Tensor.

    Raises:
        ValueError naming the file when it is truncated or corrupt.
    """
    buffer, name = _read(filename)
    arrays, _ = _decode(buffer, name)
    out = {k: wrap_array(a) for k, a in arrays.items()}
    if device not in (None, "cpu"):
        out = {k: t.to(device) for k, t in out.items()}
    return out


def load(data):
    """Decode safetensors ``bytes`` into a dict of name -> Tensor."""
    arrays, _ = _decode(memoryview(data), "safetensors bytes")
    return {k: wrap_array(a) for k, a in arrays.items()}


def read_metadata(filename):
    """The ``__metadata__`` dict (str -> str) of a safetensors file (validates the whole file)."""
    buffer, name = _read(filename)
    return _parse(buffer, name)[1]


def load_file_with_metadata(filename):
    """``(tensors, metadata)`` from one read of ``filename``: dict of name -> ndarray, and the metadata."""
    buffer, name = _read(filename)
    return _decode(buffer, name)
