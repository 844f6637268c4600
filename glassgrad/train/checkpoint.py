"""Checkpoints as safetensors files (no pickle): model, optimizer, scheduler, RNG state and epoch.

Layout of a checkpoint file:

- tensors ``model.<name>`` (the model's ``state_dict``), ``optim.state.<key>.<name>`` (optimizer
  state tensors), ``rng.default`` (``glassgrad.get_rng_state()``), ``rng.numpy`` (NumPy's global
  MT19937 key), ``extra.<name>`` (tensors given in ``extra``);
- ``__metadata__`` (str -> str, values JSON): ``format``, ``epoch``, ``optimizer`` (class, param
  groups and non-tensor state), ``scheduler`` (its state_dict), ``rng.numpy``, ``extra``;
- for a run interrupted mid-epoch, ``position`` (the epoch in progress, the batches done, the
  running loss and metric sums) and tensors ``position.<name>`` (the random streams as they were
  when that epoch began, from which its shuffled order is drawn again).

Resuming with ``load_checkpoint`` into freshly built objects, then ``fit(..., resume=info)``,
continues bit for bit like a run that never stopped (same weights, optimizer moments, step counts,
LR schedule, random streams and, mid-epoch, the same batch order).

Everything read from a file is validated before it is used (nesting depth, value types, tensor
dtypes and sizes); errors are ValueErrors naming the file.
"""
import collections
import json
import math

import numpy as np

from .. import random as _random
from ..autograd.tensor import Tensor, wrap_array
from ..io.safetensors import MAX_HEADER_DEPTH, json_depth, load_file_with_metadata, save_file

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


_TENSOR_DTYPES = {"bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64", "float16",
                  "float32", "float64"}


def _decode_tensor(obj):
    dtype, shape = obj.get("dtype"), obj.get("shape")
    if dtype not in _TENSOR_DTYPES:
        raise ValueError(f"a stored tensor has dtype {dtype!r}; expected one of {sorted(_TENSOR_DTYPES)}")
    if (not isinstance(shape, list) or len(shape) > 64
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)):
        raise ValueError(f"a stored tensor has an invalid shape {shape!r}")
    values = np.asarray(obj["__tensor__"], dtype=dtype)  # no bigger than the file's own text
    if values.size != math.prod(shape):
        raise ValueError(f"a stored tensor of shape {shape} holds {values.size} values")
    return wrap_array(values.reshape(shape))


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
        return _decode_tensor(obj)
    return {k: _decode(v) for k, v in obj.items()}


def _dumps(obj):
    return json.dumps(_encode(obj), allow_nan=False, separators=(",", ":"))


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=None, extra=None, position=None):
    """Write a checkpoint of ``model`` (and optionally ``optimizer``, ``scheduler``) to ``path``.

    Written to a temporary file in the same folder, then renamed: never half-written (see
    ``glassgrad.io.save_file`` for the destinations it refuses).

    Args:
        epoch: the number of completed epochs (stored for resuming).
        extra: a dict of JSON-able values (str, numbers, lists, dicts) and/or tensors to store too
            (e.g. the model config); tensors are stored as ``extra.<name>``.
        position: where in an unfinished epoch the run stopped (``Trainer.position()``); None
            for a checkpoint taken between epochs.
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
    if position is not None:
        plain = {}
        for name, value in position.items():
            if _is_array(value):
                tensors[f"position.{name}"] = value
            else:
                plain[name] = value
        metadata["position"] = _dumps(plain)
    save_file(tensors, path, metadata=metadata)
    return path


def _read(path):
    tensors, metadata = load_file_with_metadata(path)
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path}: a safetensors file but not a glassgrad checkpoint (metadata format is "
                         f"{metadata.get('format')!r}, expected {FORMAT!r}); load plain weights with "
                         "glassgrad.io.load_file")
    decoded = {}
    for key, text in metadata.items():
        if key in ("format", "model_class"):
            continue
        try:
            value = json.loads(text)
            if json_depth(value) > MAX_HEADER_DEPTH:
                raise ValueError(f"nests deeper than {MAX_HEADER_DEPTH} levels")
            decoded[key] = _decode(value)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: corrupt checkpoint metadata {key!r} ({e})") from None
        except RecursionError:
            raise ValueError(f"{path}: corrupt checkpoint metadata {key!r} (nests too deeply)") from None
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise ValueError(f"{path}: corrupt checkpoint metadata {key!r} ({e})") from None
    epoch = decoded.get("epoch")
    if epoch is not None and (not isinstance(epoch, int) or isinstance(epoch, bool) or not 0 <= epoch <= 10 ** 9):
        raise ValueError(f"{path}: corrupt checkpoint metadata: 'epoch' must be a non-negative integer, got {epoch!r}")
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
        included), 'metadata' (the raw metadata) and, for a run interrupted mid-epoch,
        'position' (pass the dict to ``fit(..., resume=...)`` to continue exactly).

    Raises:
        ValueError naming the file when it is corrupt, not a checkpoint, or lacks a requested part.
    """
    tensors, raw, meta = _read(path)
    try:
        return _load(path, tensors, raw, meta, model, optimizer, scheduler, strict, restore_rng)
    except (KeyError, TypeError, IndexError, AttributeError) as e:
        raise ValueError(f"{path}: corrupt or mismatched checkpoint ({type(e).__name__}: {e})") from None


def _load(path, tensors, raw, meta, model, optimizer, scheduler, strict, restore_rng):
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
    out = {"epoch": meta.get("epoch"), "extra": extra, "metadata": raw}
    if "position" in meta:
        out["position"] = _position(meta["position"], tensors, meta.get("epoch"), path)
    return out


def _is_count(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _position(info, tensors, epoch, path):
    """The validated mid-epoch position of a checkpoint (see ``Trainer.position``)."""
    def bad(what):
        return ValueError(f"{path}: corrupt checkpoint metadata 'position': {what}")
    if not isinstance(info, dict):
        raise bad("not a JSON object")
    if not _is_count(info.get("epoch")) or info["epoch"] != epoch:
        raise bad(f"'epoch' must be the checkpoint's epoch {epoch}, got {info.get('epoch')!r}")
    for key in ("batch", "count"):
        if not _is_count(info.get(key)):
            raise bad(f"{key!r} must be a non-negative integer, got {info.get(key)!r}")
    if not _is_number(info.get("loss_total")):
        raise bad(f"'loss_total' must be a finite number, got {info.get('loss_total')!r}")
    if info.get("lr") is not None and not _is_number(info["lr"]):
        raise bad(f"'lr' must be a number, got {info['lr']!r}")
    metrics = info.get("metrics", {})
    if not isinstance(metrics, dict) or not all(
            isinstance(v, list) and len(v) == 2 and _is_number(v[0]) and _is_count(v[1]) for v in metrics.values()):
        raise bad(f"'metrics' must map names to [total, count], got {metrics!r}"[:200])
    out = dict(info, metrics={k: list(v) for k, v in metrics.items()})
    prefix = "position."
    for name, value in tensors.items():
        if name.startswith(prefix):
            if value.dtype != np.uint8 or value.ndim != 1:
                raise bad(f"tensor {name!r} must be a 1-D uint8 random state, got {value.dtype} {value.shape}")
            out[name[len(prefix):]] = value
    if "rng_default" not in out:
        raise bad("the random state at the start of the epoch ('position.rng_default') is missing")
    return out
