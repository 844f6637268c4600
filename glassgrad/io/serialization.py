"""``glassgrad.save`` / ``glassgrad.load``: tensors, state_dicts and nested dicts/lists/tuples of
them in one safetensors file, never pickle.

Layout: each distinct tensor is a safetensors entry named by its position (``"0"``, ``"1"``, ...);
the structure around them is JSON in the ``__metadata__`` entry ``"glassgrad.structure"``: a tree of
``{"tensor": name}`` (with ``"parameter"``/``"requires_grad"`` for an ``nn.Parameter``), ``{"dict":
[[key, value], ...]}`` (any JSON-able keys, so an optimizer's integer keys survive), ``{"list": ...}``,
``{"tuple": ...}``, ``{"float": "nan"}`` and plain JSON scalars (an ``OrderedDict`` or ``Counter``
comes back as one). A tensor that appears twice is stored
once and loads as one object. A safetensors file without that entry (written by ``safetensors.torch``
or any other writer) loads as a flat dict of name -> tensor.

PyTorch's ``.pt``/``.pth`` files are pickles (a zip archive holding ``data.pkl``, or a bare pickle
stream): unpickling runs code chosen by whoever wrote the file, so ``load`` refuses them and says
how to convert one to safetensors.
"""
import collections
import json
import math
import os

import numpy as np

from ..autograd.tensor import Tensor, wrap_array
from .safetensors import MAX_HEADER_DEPTH, json_depth
from .safetensors import _decode as _decode_bytes  # noqa: F401  (same package)
from .safetensors import _read as _read_file
from .safetensors import save as _save_bytes, save_file

__all__ = ["save", "load"]

STRUCTURE_KEY = "glassgrad.structure"
FORMAT_KEY = "format"
FORMAT = "glassgrad.save/1"


class _Encoder:
    """Walks an object, collecting its tensors and returning the JSON tree that stands for it."""

    def __init__(self):
        self.tensors, self._ids = {}, {}

    def encode(self, obj, path="obj"):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, np.integer)):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            f = float(obj)
            return f if math.isfinite(f) else {"float": repr(f)}
        if isinstance(obj, (Tensor, np.ndarray)):
            return self._tensor(obj)
        if isinstance(obj, tuple):
            return {"tuple": [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return {"list": [self.encode(v, f"{path}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not (k is None or isinstance(k, (bool, str, int, float, np.integer))):
                    raise TypeError(f"glassgrad.save: {path} has a key of type {type(k).__name__} ({k!r}); keys "
                                    "must be strings, numbers, bools or None")
                items.append([self.encode(k), self.encode(v, f"{path}[{k!r}]")])
            node = {"dict": items}
            if isinstance(obj, collections.OrderedDict):
                node["ordered"] = True
            elif isinstance(obj, collections.Counter):  # (MultiStepLR's milestones)
                node["counter"] = True
            return node
        raise TypeError(f"glassgrad.save: {path} is a {type(obj).__name__}, which glassgrad.save cannot store "
                        "without pickle; it stores tensors, numbers, strings, None and dicts/lists/tuples of them. "
                        "Save a model's model.state_dict() (and optimizer.state_dict()) instead of the object")

    def _tensor(self, obj):
        key = id(obj)
        if key not in self._ids:
            name = str(len(self._ids))
            self._ids[key] = (name, obj)  # (holding obj keeps its id unique while encoding)
            self.tensors[name] = obj.detach() if isinstance(obj, Tensor) else obj
        node = {"tensor": self._ids[key][0]}
        if isinstance(obj, np.ndarray):
            node["ndarray"] = True
        elif type(obj).__name__ == "Parameter":
            node["parameter"] = True
            node["requires_grad"] = bool(obj.requires_grad)
        elif obj.requires_grad:
            node["requires_grad"] = True
        return node


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save ``obj`` — a tensor, a state_dict, or nested dicts/lists/tuples of tensors, numbers,
    strings and None — to ``f`` (a path, written to a temporary file and renamed; or a binary
    file object) as safetensors. ``pickle_module`` must be None: glassgrad never pickles."""
    if pickle_module is not None:
        raise ValueError("glassgrad.save never pickles: pickle_module must be None (the file is safetensors)")
    enc = _Encoder()
    tree = enc.encode(obj)
    metadata = {FORMAT_KEY: FORMAT, STRUCTURE_KEY: json.dumps(tree, allow_nan=False, separators=(",", ":"))}
    if isinstance(f, (str, os.PathLike)):
        save_file(enc.tensors, f, metadata=metadata)
    elif hasattr(f, "write"):
        f.write(_save_bytes(enc.tensors, metadata=metadata))
    else:
        raise TypeError(f"glassgrad.save: f must be a path or a binary file object, got {type(f).__name__}")


_PICKLE_ADVICE = ("glassgrad.load reads safetensors only and never unpickles (a pickle can run any code when "
                  "loaded). Convert it once in PyTorch: `from safetensors.torch import save_file; "
                  "save_file(torch.load({name!r}, weights_only=True), 'model.safetensors')` for a state_dict of "
                  "tensors (pip install safetensors), then glassgrad.load('model.safetensors')")


def _refuse_pickle(buffer, name):
    head = bytes(buffer[:4])
    if head == b"PK\x03\x04":
        raise ValueError(f"{name} is a PyTorch pickle file (a zip archive written by torch.save). "
                         + _PICKLE_ADVICE.format(name=name))
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        raise ValueError(f"{name} is a pickle stream (a legacy torch.save file or a Python pickle). "
                         + _PICKLE_ADVICE.format(name=name))


def _locate(map_location):
    """A function tensor -> tensor for ``map_location`` (None, a device string/object, a dict of
    device names, or a callable (tensor, 'cpu') -> tensor)."""
    if map_location is None:
        return lambda t: t
    if callable(map_location) and not isinstance(map_location, str):
        return lambda t: map_location(t, "cpu")
    if isinstance(map_location, dict):
        target = map_location.get("cpu", "cpu")
        return lambda t: t if str(target) == "cpu" else t.to(target)
    return lambda t: t if str(map_location) == "cpu" else t.to(map_location)


class _Decoder:
    def __init__(self, arrays, name, locate):
        self.arrays, self.name, self.locate, self.made = arrays, name, locate, {}

    def bad(self, what):
        return ValueError(f"{self.name}: not a valid glassgrad.save file: {what}")

    def decode(self, node):
        if node is None or isinstance(node, (bool, str, int, float)):
            return node
        if isinstance(node, dict) and len(node) == 1 and "float" in node:
            if node["float"] not in ("nan", "inf", "-inf"):
                raise self.bad(f"unknown float {node['float']!r}")
            return float(node["float"])
        if isinstance(node, dict) and "tensor" in node:
            return self._tensor(node)
        if isinstance(node, dict) and isinstance(node.get("list"), list):
            return [self.decode(v) for v in node["list"]]
        if isinstance(node, dict) and isinstance(node.get("tuple"), list):
            return tuple(self.decode(v) for v in node["tuple"])
        if isinstance(node, dict) and isinstance(node.get("dict"), list):
            out = collections.OrderedDict() if node.get("ordered") else collections.Counter() if node.get(
                "counter") else {}
            for item in node["dict"]:
                if not isinstance(item, list) or len(item) != 2:
                    raise self.bad("a dict item is not a [key, value] pair")
                key = self.decode(item[0])
                if not (key is None or isinstance(key, (bool, str, int, float))):
                    raise self.bad(f"a dict key is a {type(key).__name__}")
                out[key] = self.decode(item[1])
            return out
        raise self.bad(f"unexpected node {str(node)[:80]}")

    def _tensor(self, node):
        name = node["tensor"]
        if name not in self.arrays:
            raise self.bad(f"the structure names tensor {name!r}, which the file does not hold")
        if node.get("ndarray"):
            return self.arrays[name]
        key = (name, bool(node.get("parameter")))
        if key not in self.made:
            t = self.locate(wrap_array(self.arrays[name]))
            if node.get("parameter"):
                from ..nn.parameter import Parameter
                t = Parameter(t, requires_grad=bool(node.get("requires_grad", True)))
            elif node.get("requires_grad"):
                t.requires_grad_(True)
            self.made[key] = t
        return self.made[key]


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load what ``glassgrad.save`` wrote (the same nested structure), or any safetensors file
    (a flat dict of name -> tensor, as PyTorch's ``safetensors.torch.save_file`` writes it).

    Args:
        f: a path or a binary file object.
        map_location: where to put the tensors: None or 'cpu' (here), a device, a dict of device
            names, or a callable ``(tensor, 'cpu') -> tensor``.
        weights_only, mmap, pickle_module: accepted for PyTorch's signature; nothing is unpickled.

    Raises:
        ValueError naming the file: a PyTorch pickle (with how to convert it), or a corrupt file.
    """
    if pickle_module is not None:
        raise ValueError("glassgrad.load never unpickles: pickle_module must be None")
    if isinstance(f, (str, os.PathLike)):
        buffer, name = _read_file(f)
    elif hasattr(f, "read"):
        buffer, name = memoryview(f.read()), getattr(f, "name", "the file object")
    else:
        raise TypeError(f"glassgrad.load: f must be a path or a binary file object, got {type(f).__name__}")
    _refuse_pickle(buffer, name)
    arrays, metadata = _decode_bytes(buffer, name)
    locate = _locate(map_location)
    text = metadata.get(STRUCTURE_KEY)
    if text is None:
        return {k: locate(wrap_array(a)) for k, a in arrays.items()}
    try:
        tree = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f"{name}: the {STRUCTURE_KEY!r} metadata is not valid JSON ({e})") from None
    if json_depth(tree) > 4 * MAX_HEADER_DEPTH:
        raise ValueError(f"{name}: the {STRUCTURE_KEY!r} metadata nests deeper than {4 * MAX_HEADER_DEPTH} levels")
    return _Decoder(arrays, name, locate).decode(tree)
