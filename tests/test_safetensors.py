"""glassgrad.io.safetensors: the format checked against hand-built bytes, round trips of every
dtype, atomic writes, and clear errors for corrupt or truncated files."""
import json
import os
import struct

import numpy as np
import pytest

import glassgrad
from glassgrad.io import load, load_file, read_metadata, save, save_file


def _hand_built():
    header = {"__metadata__": {"format": "pt"},
              "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
              "b": {"dtype": "I64", "shape": [1, 1], "data_offsets": [8, 16]}}
    text = json.dumps(header).encode()
    data = struct.pack("<ff", 1.5, -2.0) + struct.pack("<q", -7)
    return struct.pack("<Q", len(text)) + text + data


def test_reads_a_hand_built_file(tmp_path):
    p = tmp_path / "hand.safetensors"
    p.write_bytes(_hand_built())
    out = load_file(p)
    assert out["a"].dtype == glassgrad.float32 and out["a"].tolist() == [1.5, -2.0]
    assert out["b"].dtype == glassgrad.int64 and out["b"].shape == (1, 1) and out["b"].item() == -7
    assert read_metadata(p) == {"format": "pt"}


def test_writes_the_documented_layout():
    raw = save({"w": np.array([1.0, 2.0], np.float64), "i": np.array([3], np.uint8)}, metadata={"k": "v"})
    n = struct.unpack("<Q", raw[:8])[0]
    assert n % 8 == 0  # data starts 8-byte aligned
    header = json.loads(raw[8:8 + n])
    assert header["__metadata__"] == {"k": "v"}
    assert header["i"] == {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}
    assert header["w"] == {"dtype": "F64", "shape": [2], "data_offsets": [1, 17]}
    assert raw[8 + n:] == b"\x03" + struct.pack("<dd", 1.0, 2.0)


DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
          np.uint32, np.uint64, np.bool_]


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_every_dtype(tmp_path, dtype):
    rng = np.random.default_rng(0)
    a = (rng.normal(size=(3, 4)) * 50).astype(dtype)
    tensors = {"x": a, "scalar": np.array(7, dtype=dtype), "empty": np.zeros((0, 5), dtype),
               "t": glassgrad.tensor(a[::2, ::-1].copy())}
    save_file(tensors, tmp_path / "f.safetensors")
    out = load_file(tmp_path / "f.safetensors")
    assert set(out) == set(tensors)
    for k, v in tensors.items():
        v = np.asarray(v)
        assert out[k].dtype == v.dtype and out[k].shape == v.shape
        np.testing.assert_array_equal(out[k].numpy(), v)
    out["x"].numpy()[0, 0] = 1  # loaded arrays are writable copies


def test_non_contiguous_and_big_endian_inputs(tmp_path):
    a = np.arange(12, dtype=np.float32).reshape(3, 4).T
    b = np.arange(3, dtype=">i4")
    save_file({"a": a, "b": b}, tmp_path / "f.safetensors")
    out = load_file(tmp_path / "f.safetensors")
    np.testing.assert_array_equal(out["a"].numpy(), a)
    np.testing.assert_array_equal(out["b"].numpy(), [0, 1, 2])
    assert load(save({"a": a}))["a"].tolist() == a.tolist()


def test_bf16_is_read_as_float32(tmp_path):
    vals = np.array([1.0, -2.5, 3.140625], np.float32)
    bits = (vals.view(np.uint32) >> 16).astype("<u2").tobytes()
    text = json.dumps({"h": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 6]}}).encode()
    p = tmp_path / "bf.safetensors"
    p.write_bytes(struct.pack("<Q", len(text)) + text + bits)
    np.testing.assert_array_equal(load_file(p)["h"].numpy(), vals)


def test_save_errors():
    with pytest.raises(TypeError, match="metadata must be a dict of str -> str"):
        save({"a": np.zeros(1)}, metadata={"a": 1})
    with pytest.raises(TypeError, match="complex128"):
        save({"a": np.zeros(1, complex)})
    with pytest.raises(TypeError, match="expected a Tensor or np.ndarray"):
        save({"a": [1, 2]})
    with pytest.raises(ValueError, match="invalid tensor name"):
        save({"__metadata__": np.zeros(1)})


def test_write_is_atomic(tmp_path, monkeypatch):
    p = tmp_path / "w.safetensors"
    save_file({"a": np.ones(3)}, p)
    before = p.read_bytes()

    def boom(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_file({"a": np.zeros(3)}, p)
    assert p.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["w.safetensors"]  # the temp file is gone


def _corrupt(raw, how):
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    if how == "truncated_data":
        return raw[:-3]
    if how == "truncated_header":
        return raw[:20]
    if how == "tiny":
        return raw[:5]
    if how == "huge_length":
        return struct.pack("<Q", 1 << 40) + raw[8:]
    if how == "not_json":
        return raw[:8] + b"{" * n + raw[8 + n:]
    if how == "bad_dtype":
        header["a"]["dtype"] = "F128"
    if how == "bad_offsets":
        header["a"]["data_offsets"] = [0, 4]
    if how == "extra_bytes":
        return raw + b"\x00" * 8
    if how == "overlap":
        header["b"]["data_offsets"] = [0, 8]
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + raw[8 + n:]


@pytest.mark.parametrize("how, message", [
    ("truncated_data", "truncated"), ("truncated_header", "truncated"), ("tiny", "shorter than the 8-byte"),
    ("huge_length", "implausibly large"), ("not_json", "not valid UTF-8 JSON"), ("bad_dtype", "unknown dtype"),
    ("bad_offsets", "needs 8 bytes"), ("extra_bytes", "extra bytes"), ("overlap", "overlapping"),
])
def test_corrupt_files_give_clear_errors(tmp_path, how, message):
    p = tmp_path / "bad.safetensors"
    p.write_bytes(_corrupt(_hand_built(), how))
    with pytest.raises(ValueError, match=message) as e:
        load_file(p)
    assert str(p) in str(e.value) and "not a valid safetensors file" in str(e.value)
