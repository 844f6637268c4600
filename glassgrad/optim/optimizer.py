"""``Optimizer``: the base of every optimizer — parameter groups, per-parameter state, state dicts.

Subclasses set their ``defaults`` and implement ``_update_group(group)``, which changes each
parameter's array in place (no graph is recorded; the parameter's version counter is bumped so a
graph that saved the old values refuses to backward through them). State arrays are allocated once,
on a parameter's first step, and updated with NumPy ``out=`` arguments afterwards.
"""
import copy
from collections import defaultdict

import numpy as np

from ..autograd.capture import replayed_as_call
from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import get_default_dtype
from ..autograd.tensor import Tensor, wrap_array

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """The default value of an option that has no default (``SGD``'s ``lr`` in old PyTorch)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of optimizers.

    Args:
        params: an iterable of Tensors, or of dicts (parameter groups) with a ``'params'`` entry and
            any per-group options that override ``defaults``.
        defaults: the default options of every group (``lr``, ...).

    Attributes:
        param_groups: a list of dicts, one per group: ``{'params': [...], 'lr': ..., ...}``.
        state: per-parameter state, a dict keyed by the parameter tensor.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__}; pass model.parameters() or [tensor]")
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list; pass model.parameters() of a model that "
                             "has parameters")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_scratch_arrays", None)
        return state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        lines.append(")")
        return "\n".join(lines)

    # ---- groups --------------------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (the missing ones take ``defaults``).
        Useful for fine-tuning: a new layer with its own learning rate."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("a parameter group must have a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if p.grad_fn is not None:
                raise ValueError("can't optimize a non-leaf Tensor (it is the result of an op); optimize the "
                                 "leaf it was computed from, or .detach().requires_grad_() it")
            if p.dtype.kind != "f":
                raise TypeError(f"optimizer can only optimize floating point Tensors, got {p.dtype}")
        group["params"] = params
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {key}")
            group.setdefault(key, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)
        self._init_group_state(group)

    def _init_group_state(self, group):
        """Hook for optimizers whose state exists before the first step (Adagrad)."""

    # ---- stepping ------------------------------------------------------------------------------
    @replayed_as_call
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters: to None (the default, and cheapest), or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None:
                        g = p.grad = g.detach()
                    g.array[...] = 0

    @replayed_as_call
    def step(self, closure=None):
        """Update every parameter that has a gradient (parameters whose ``.grad`` is None are
        skipped). ``closure``, if given, re-evaluates the model and returns the loss; it runs with
        grad enabled and its result is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group):
        raise NotImplementedError(f"{type(self).__name__} must implement step() or _update_group(group)")

    def _params_with_grad(self, group):
        """(param, param array, grad array) for each parameter of ``group`` that has a gradient."""
        for p in group["params"]:
            if p.grad is not None:
                g = p.grad.array
                if g.shape != p.array.shape:
                    raise RuntimeError(f"{type(self).__name__}: parameter of shape {tuple(p.shape)} has a gradient "
                                       f"of shape {tuple(g.shape)}; they must match")
                yield p, p.array, g
                p._version += 1

    @staticmethod
    def _step_count(state):
        """Increment and return the 'step' entry of a parameter's state (a 0-d float32 tensor, as
        PyTorch keeps it)."""
        step = state["step"]
        step.array += 1
        return float(step.array)

    def _scratch(self, like, slot=0):
        """A reusable work array shaped like ``like`` (allocated once per shape, dtype and slot)."""
        cache = self.__dict__.setdefault("_scratch_arrays", {})
        key = (like.shape, like.dtype, type(like), slot)
        buf = cache.get(key)
        if buf is None:
            buf = cache[key] = np.empty_like(like)
        return buf

    def _direction(self, a, g, weight_decay, maximize):
        """The gradient with L2 weight decay added and the sign flipped for ``maximize``:
        (-)g + weight_decay·a. Returns ``g`` itself when there is nothing to do (never modify it)."""
        if not weight_decay and not maximize:
            return g
        d = self._scratch(a, "direction")
        if weight_decay:
            np.multiply(a, weight_decay, out=d)
            (np.subtract if maximize else np.add)(d, g, out=d)
        else:
            np.negative(g, out=d)
        return d

    def _decayed_direction(self, a, g, lr, weight_decay, decoupled, maximize):
        """The step's direction with weight decay: decoupled (the weights ``a`` shrink in place by
        ``lr · weight_decay``, as AdamW) or added to the gradient (L2, as Adam)."""
        if decoupled and weight_decay:
            a *= 1 - lr * weight_decay
            return self._direction(a, g, 0, maximize)
        return self._direction(a, g, weight_decay, maximize)

    @classmethod
    def _adam_moments_(cls, m, v, d, beta1, beta2, tmp):
        """Adam's moving averages in place: m ← lerp(m, d, 1 - β1), v ← β2·v + (1 - β2)·d²."""
        cls._lerp_(m, d, 1 - beta1, tmp)
        v *= beta2
        np.multiply(d, 1 - beta2, out=tmp)
        tmp *= d
        v += tmp

    @staticmethod
    def _lerp_(start, end, weight, tmp):
        """start += weight·(end - start) in place, rounded as PyTorch's lerp."""
        np.subtract(end, start, out=tmp)
        if weight < 0.5:
            tmp *= weight
            start += tmp
        else:
            tmp *= 1 - weight
            np.subtract(end, tmp, out=start)

    @staticmethod
    def _zeros(p, fill=0.0):
        return wrap_array(np.full_like(p.array, fill))

    @staticmethod
    def _new_step():
        return wrap_array(np.zeros((), np.float32))

    @staticmethod
    def _scalar_state(value):
        """A 0-d state entry (NAdam's mu_product, ASGD's eta and mu) in PyTorch's scalar dtype:
        float64 when the default dtype is float64, else float32."""
        return wrap_array(np.array(value, scalar_dtype()))

    # ---- state dict ----------------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state in PyTorch's layout:
        ``{'state': {index: {name: value}}, 'param_groups': [{option: value, 'params': [index, ...]}]}``,
        parameters numbered in group order. Tensors in it are copies (later steps do not change a
        saved state dict)."""
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if id(p) in index and s:
                state[index[id(p)]] = {k: _copy_value(v) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a state dict from ``state_dict()`` (the parameters are matched by position; their
        options and state replace the current ones). State tensors are copied and cast to their
        parameter's dtype ('step' stays as saved)."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("optimizer state dict must be a dict with 'state' and 'param_groups' entries "
                             "(from optimizer.state_dict())")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)}) than the optimizer ({len(self.param_groups)})")
        for i, (ours, theirs) in enumerate(zip(self.param_groups, saved_groups)):
            if len(ours["params"]) != len(theirs["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't match the size of "
                                 f"optimizer's group: group {i} has {len(theirs['params'])} parameters in the "
                                 f"state dict and {len(ours['params'])} in the optimizer")
        by_index = {}
        for ours, theirs in zip(self.param_groups, saved_groups):
            for p, idx in zip(ours["params"], theirs["params"]):
                by_index[idx] = p
        new_state = defaultdict(dict)
        for idx, s in state_dict["state"].items():
            key = int(idx) if isinstance(idx, str) and idx.lstrip("-").isdigit() else idx
            p = by_index.get(key)
            if p is None:
                continue
            loaded = {}
            for name, value in s.items():
                if isinstance(value, (Tensor, np.ndarray)) or (hasattr(value, "__array__") and hasattr(value, "shape")):
                    array = np.array(value.array if isinstance(value, Tensor) else value, copy=True)
                    if name != "step" and array.dtype.kind == "f":
                        array = array.astype(p.array.dtype, copy=False)
                        if array.shape != p.array.shape and array.size == p.array.size:
                            array = array.reshape(p.array.shape)
                    if name == "step" and array.dtype != np.float32:
                        array = array.astype(np.float32)
                    loaded[name] = wrap_array(array)
                else:
                    loaded[name] = copy.deepcopy(value)
            new_state[p] = loaded
        for ours, theirs in zip(self.param_groups, saved_groups):
            for key, value in theirs.items():
                if key != "params":
                    ours[key] = copy.deepcopy(value)
        self.state = new_state
        for group in self.param_groups:  # state that exists before the first step (Adagrad)
            self._init_group_state(group)


def scalar_dtype():
    """The dtype PyTorch keeps 0-d optimizer state in (its ``_get_scalar_dtype``)."""
    return np.float64 if np.dtype(get_default_dtype()) == np.float64 else np.float32


def _copy_value(v):
    if isinstance(v, Tensor):
        return wrap_array(v.array.copy())
    return copy.deepcopy(v)
