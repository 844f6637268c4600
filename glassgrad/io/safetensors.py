"""The safetensors format, read and written without dependencies.

A file is: an 8-byte little-endian header length N; N bytes of UTF-8 JSON mapping each tensor name
to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets into the byte buffer that follows)
plus an optional ``"__metadata__"`` dict of str -> str; then the tensors' raw little-endian bytes,
row-major, back to back. No code is ever executed on load (unlike pickle).

Writing: ``save_file`` writes a temporary file named ``.<name>.glassgrad-<pid>-<random>.tmp`` in the
destination's folder and renames it over the destination, so a crash never leaves a half-written
file; temporary files of that naming left by a killed writer are removed by the next save to the
same destination. The file gets the permissions of a new file (``0666`` less the umask), or keeps
those of the file it replaces. Only a regular file is replaced: a directory, symbolic link, FIFO or
device at the destination is refused, and so is a write-protected file (as ``cp`` and ``torch.save``
refuse one, for an unprivileged user).

Reading validates the whole header before allocating anything: sizes are computed with Python
integers (no overflow) and checked against the file's real length.
"""
import glob
import json
import math
import os
import re
import secrets
import stat

import numpy as np

from ..autograd.tensor import Tensor, wrap_array

__all__ = ["save_file", "load_file", "save", "load", "read_metadata", "load_file_with_metadata"]

_DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I8": "i1", "I16": "<i2", "I32": "<i4", "I64": "<i8",
           "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?"}
_NAMES = {np.dtype(v).newbyteorder("="): k for k, v in _DTYPES.items()}
_MAX_HEADER = 100 * 1024 * 1024
MAX_HEADER_DEPTH = 64   # nesting of the JSON header (a real one is 3 deep)
MAX_NDIM = 64           # NumPy's limit
_TMP_SUFFIX = ".tmp"


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


def _temp_prefix(filename):
    return f".{os.path.basename(filename)}.glassgrad-"


def _check_destination(filename):
    """Refuse a destination that is not (or not replaceable as) a regular file; return its mode
    bits when it exists (the new file keeps them), else None."""
    try:
        st = os.lstat(filename)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise ValueError(f"{filename} is a symbolic link; give the path of a regular file (a link is not "
                         "written through, nor replaced)")
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, f"{filename} is a directory; give a file name (e.g. "
                                    f"{os.path.join(filename, 'model.safetensors')})", filename)
    if not stat.S_ISREG(st.st_mode):
        kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a device file")
        raise ValueError(f"{filename} is {kind}, not a regular file; give the path of a regular file")
    if not st.st_mode & 0o222 or not os.access(filename, os.W_OK):
        raise PermissionError(13, f"{filename} exists and is write-protected; make it writable or remove it",
                              filename)
    return stat.S_IMODE(st.st_mode)


def remove_stale_temp_files(filename):
    """Remove the temporary files that writers of ``filename`` killed mid-save left behind (ours by
    their name; a file whose writer process still runs is left alone). Returns the paths removed."""
    filename = os.path.abspath(os.fspath(filename))
    folder, prefix = os.path.dirname(filename), _temp_prefix(filename)
    pattern = re.compile(re.escape(prefix) + r"(\d+)-[0-9a-f]{16}" + re.escape(_TMP_SUFFIX) + "$")
    removed = []
    for path in glob.glob(os.path.join(glob.escape(folder), glob.escape(prefix) + "*" + _TMP_SUFFIX)):
        m = pattern.match(os.path.basename(path))
        if m is None or _alive(int(m.group(1))):
            continue
        try:
            os.remove(path)
            removed.append(path)
        except FileNotFoundError:
            pass
    return removed


def _alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def save_file(tensors, filename, metadata=None):
    """Write ``tensors`` (dict of name -> Tensor or ndarray) to ``filename`` in safetensors format.

    The file is written to a temporary file in the same folder and renamed over ``filename``, so a
    crash never leaves a half-written file (see the module's docstring for permissions and the
    destinations that are refused).

    Args:
        metadata: optional dict of str -> str stored under ``__metadata__``.

    Raises:
        OSError (PermissionError, IsADirectoryError, ...) or ValueError naming ``filename``.
    """
    header, arrays = _encode(tensors, metadata)
    filename = os.fspath(filename)
    mode = _check_destination(filename)
    folder = os.path.dirname(os.path.abspath(filename))
    remove_stale_temp_files(filename)
    tmp = os.path.join(folder, f"{_temp_prefix(filename)}{os.getpid()}-{secrets.token_hex(8)}{_TMP_SUFFIX}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as e:
        raise _naming(e, filename, f" (in folder {folder})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            f.write(len(header).to_bytes(8, "little"))
            f.write(header)
            for a in arrays:
                le = a.astype(a.dtype.newbyteorder("<"), copy=False) if a.dtype.byteorder not in ("|", "<") else a
                f.write(memoryview(le.reshape(-1)).cast("B") if le.size else b"")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    except BaseException as e:
        try:
            os.remove(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError) and e.filename != filename:
            raise _naming(e, filename) from None
        raise
    _sync_folder(folder)


def _naming(error, filename, where=""):
    """The same kind of OSError, saying ``filename`` (not the temporary file's name)."""
    text = f"cannot write {filename}: {error.strerror or error}{where}"
    if error.errno is None:
        return type(error)(text)
    out = type(error)(error.errno, text)
    out.filename = filename
    return out


def _sync_folder(folder):
    """Make the rename durable (a crash right after it keeps the new file)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
    except RecursionError:
        raise bad(f"header nests deeper than {MAX_HEADER_DEPTH} levels") from None
    if json_depth(header) > MAX_HEADER_DEPTH:
        raise bad(f"header nests deeper than {MAX_HEADER_DEPTH} levels")
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
        if not isinstance(info["dtype"], str) or (info["dtype"] not in _DTYPES and info["dtype"] != "BF16"):
            raise bad(f"entry {key!r} has unknown dtype {info['dtype']!r}")
        shape, offsets = info["shape"], info["data_offsets"]
        if (not isinstance(shape, list) or len(shape) > MAX_NDIM
                or not all(_is_int(d) and d >= 0 for d in shape)):
            raise bad(f"entry {key!r} has an invalid shape {_short(shape)} (a list of at most {MAX_NDIM} "
                      "non-negative integers)")
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_int(o) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1]):
            raise bad(f"entry {key!r} has invalid data_offsets {_short(offsets)}")
        itemsize = 2 if info["dtype"] == "BF16" else np.dtype(_DTYPES[info["dtype"]]).itemsize
        need = math.prod(shape) * itemsize  # Python ints: no overflow
        if offsets[1] > data_len:
            raise bad(f"entry {key!r} ends at byte {offsets[1]} of the data but the file holds {data_len} "
                      "(truncated)")
        if offsets[1] - offsets[0] != need:
            raise bad(f"entry {key!r}: shape {shape} of {info['dtype']} needs {need} bytes but data_offsets "
                      f"{offsets} span {offsets[1] - offsets[0]}")
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


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _short(v):
    text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."


def json_depth(obj):
    """The nesting depth of a decoded JSON value (0 for a scalar), without recursion."""
    depth, stack = 0, [(obj, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            v = v.values()
        elif not isinstance(v, list):
            continue
        depth = max(depth, d)
        stack.extend((c, d + 1) for c in v if isinstance(c, (dict, list)))
    return depth


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
    if not stat.S_ISREG(os.stat(filename).st_mode):  # (reading a FIFO would wait for a writer forever)
        raise ValueError(f"{filename} is not a regular file")
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
