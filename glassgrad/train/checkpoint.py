"""Checkpoints as safetensors files (no pickle): model, optimizer, scheduler, RNG state and epoch.

Layout of a checkpoint file:

- tensors ``model.<name>`` (the model's ``state_dict``), ``optim.state.<key>.<name>`` (optimizer
  state tensors), ``rng.default`` (``glassgrad.get_rng_state()``), ``rng.numpy`` (NumPy's global
  MT19937 key), ``extra.<name>`` (tensors given in ``extra``);
- ``__metadata__`` (str -> str, values JSON): ``format``, ``epoch``, ``optimizer`` (class, param
  groups and non-tensor state), ``scheduler`` (its state_dict), ``rng.numpy``, ``extra``.

Resuming with ``load_checkpoint`` into freshly built objects continues bit for bit like a run that
never stopped (same weights, optimizer moments, step counts, LR schedule and random streams).
"""
import collections
import json
import math

import numpy as np

from .. import random as _random
from ..autograd.tensor import Tensor, wrap_array
from ..io.safetensors import load_file_with_metadata, save_file

__all__ = ["save_checkpoint", "load_checkpoint", "read_checkpoint_metadata", "FORMAT"]

FORMAT = "glassgrad.checkpoint/1"


def _is_array(v):
    return isinstance(v, (Tensor, np.ndarray))


def _encode(obj):
    """A JSON-able form of ``obj`` that ``_decode`` turns back into the same Python values."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else {"__float__": repr(f)}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v) for v in obj]
    if isinstance(obj, collections.Counter):
        return {"__counter__": [[_encode(k), _encode(v)] for k, v in obj.items()]}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj) and not any(k.startswith("__") and k.endswith("__") for k in obj):
            return {k: _encode(v) for k, v in obj.items()}
        return {"__items__": [[_encode(k), _encode(v)] for k, v in obj.items()]}
    if _is_array(obj):
        a = np.asarray(obj.detach() if isinstance(obj, Tensor) else obj)
        return {"__tensor__": a.tolist(), "dtype": str(a.dtype), "shape": list(a.shape)}
    if callable(obj):  # lambdas of LambdaLR cannot be stored; the caller rebuilds them
        return None
    raise TypeError(f"save_checkpoint: cannot store a value of type {type(obj).__name__} ({obj!r}) in "
                    "a checkpoint; use numbers, strings, lists, dicts or tensors")


def _decode(obj):
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__tuple__" in obj:
        return tuple(_decode(v) for v in obj["__tuple__"])
    if "__counter__" in obj:
        return collections.Counter({_decode(k): _decode(v) for k, v in obj["__counter__"]})
    if "__items__" in obj:
        return {_decode(k): _decode(v) for k, v in obj["__items__"]}
    if "__tensor__" in obj:
        return wrap_array(np.asarray(obj["__tensor__"], dtype=obj["dtype"]).reshape(obj["shape"]))
    return {k: _decode(v) for k, v in obj.items()}


def _dumps(obj):
    return json.dumps(_encode(obj), allow_nan=False, separators=(",", ":"))


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=None, extra=None):
    """Write a checkpoint of ``model`` (and optionally ``optimizer``, ``scheduler``) to ``path``.

    Written to a temporary file in the same folder, then renamed: never half-written.

    Args:
        epoch: the number of completed epochs (stored for resuming).
        extra: a dict of JSON-able values (str, numbers, lists, dicts) and/or tensors to store too
            (e.g. the model config); tensors are stored as ``extra.<name>``.
    """
    tensors = {}
    for name, value in model.state_dict().items():
        tensors[f"model.{name}"] = value
    metadata = {"format": FORMAT, "epoch": _dumps(epoch), "model_class": type(model).__name__}
    if optimizer is not None:
        state = optimizer.state_dict()
        scalars, keys = {}, []
        for key, slots in state.get("state", {}).items():
            keys.append(key)
            for name, value in slots.items():
                if _is_array(value):
                    tensors[f"optim.state.{key}.{name}"] = value
                else:
                    scalars.setdefault(str(key), {})[name] = value
        metadata["optimizer"] = _dumps({"class": type(optimizer).__name__, "param_groups": state.get("param_groups", []),
                                        "keys": keys, "scalars": scalars,
                                        "other": {k: v for k, v in state.items() if k not in ("state", "param_groups")}})
    if scheduler is not None:
        metadata["scheduler"] = _dumps({"class": type(scheduler).__name__, "state": scheduler.state_dict()})
    tensors["rng.default"] = np.asarray(_random.get_rng_state(), dtype=np.uint8)
    kind, key, pos, has_gauss, cached = np.random.get_state()
    tensors["rng.numpy"] = np.asarray(key, dtype=np.uint32)
    metadata["rng.numpy"] = _dumps([kind, int(pos), int(has_gauss), float(cached)])
    plain = {}
    for name, value in (extra or {}).items():
        if _is_array(value):
            tensors[f"extra.{name}"] = value
        else:
            plain[name] = value
    metadata["extra"] = _dumps(plain)
    save_file(tensors, path, metadata=metadata)
    return path


def _read(path):
    tensors, metadata = load_file_with_metadata(path)
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path}: a safetensors file but not a glassgrad checkpoint (metadata format is "
                         f"{metadata.get('format')!r}, expected {FORMAT!r}); load plain weights with "
                         "glassgrad.io.load_file")
    try:
        decoded = {k: _decode(json.loads(v)) for k, v in metadata.items() if k != "format" and k != "model_class"}
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: corrupt checkpoint metadata ({e})") from None
    return tensors, metadata, decoded


def read_checkpoint_metadata(path):
    """The decoded metadata of a checkpoint: dict with 'epoch', 'extra', 'optimizer', 'scheduler'..."""
    return _read(path)[2]



def load_checkpoint(path, model=None, optimizer=None, scheduler=None, strict=True, restore_rng=True):
    """Restore a checkpoint written by ``save_checkpoint`` into the given objects.

    Args:
        model: the module to load ``model.*`` into (``load_state_dict(strict=strict)``); None skips it.
        optimizer, scheduler: objects built like the saved ones (same class and parameters).
        restore_rng: also restore the global random streams (needed for exact resumption).

    Returns:
        dict with 'epoch' (completed epochs when saved), 'extra' (what ``extra`` held, tensors
        included) and 'metadata' (the raw metadata).

    Raises:
        ValueError naming the file when it is corrupt, not a checkpoint, or lacks a requested part.
    """
    tensors, raw, meta = _read(path)
    if model is not None:
        state = {k[len("model."):]: wrap_array(v) for k, v in tensors.items() if k.startswith("model.")}
        if not state and strict:
            raise ValueError(f"{path}: the checkpoint holds no model weights (no 'model.*' tensors)")
        model.load_state_dict(state, strict=strict)
    if optimizer is not None:
        info = meta.get("optimizer")
        if info is None:
            raise ValueError(f"{path}: the checkpoint holds no optimizer state; pass optimizer=None or save it "
                             "with save_checkpoint(..., optimizer=...)")
        if info["class"] != type(optimizer).__name__:
            raise ValueError(f"{path}: the checkpoint holds {info['class']} state, cannot load it into "
                             f"{type(optimizer).__name__}")
        state = {}
        for key in info["keys"]:
            slots = dict(info["scalars"].get(str(key), {}))
            prefix = f"optim.state.{key}."
            for name, value in tensors.items():
                if name.startswith(prefix):
                    slots[name[len(prefix):]] = wrap_array(value)
            state[key] = slots
        sd = {"state": state, "param_groups": info["param_groups"]}
        sd.update(info.get("other", {}))
        optimizer.load_state_dict(sd)
    if scheduler is not None:
        info = meta.get("scheduler")
        if info is None:
            raise ValueError(f"{path}: the checkpoint holds no scheduler state; pass scheduler=None")
        if info["class"] != type(scheduler).__name__:
            raise ValueError(f"{path}: the checkpoint holds {info['class']} state, cannot load it into "
                             f"{type(scheduler).__name__}")
        state = info["state"]
        for k, v in scheduler.state_dict().items():  # keep what JSON cannot hold (lambdas)
            if state.get(k, 0) is None and v is not None:
                state[k] = v
        scheduler.load_state_dict(state)
    if restore_rng:
        if "rng.default" in tensors:
            _random.set_rng_state(tensors["rng.default"])
        if "rng.numpy" in tensors and "rng.numpy" in meta:
            kind, pos, has_gauss, cached = meta["rng.numpy"]
            np.random.set_state((kind, tensors["rng.numpy"], pos, has_gauss, cached))
    extra = dict(meta.get("extra") or {})
    extra.update({k[len("extra."):]: wrap_array(v) for k, v in tensors.items() if k.startswith("extra.")})
    return {"epoch": meta.get("epoch"), "extra": extra, "metadata": raw}
