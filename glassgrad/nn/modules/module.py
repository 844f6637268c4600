"""``nn.Module``: the base class of every layer and model (PyTorch's ``torch.nn.Module``).

A Module owns parameters, buffers and submodules, registered by plain attribute assignment
(``self.fc = Linear(2, 3)``, ``self.w = Parameter(...)``), and walks them for ``parameters()``,
``state_dict()``, ``to()``, ``train()``/``eval()``. Calling a module runs its forward pre-hooks,
``forward``, its forward hooks, and wires its full backward hooks into the graph.
"""
import itertools
import weakref
from collections import OrderedDict, namedtuple

import numpy as np

from ... import backend
from ...autograd.capture import replayed_as_call
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad, state as _grad_state
from ...autograd.tensor import Tensor, wrap_array
from ..parameter import Parameter

__all__ = ["Module"]


class RemovableHandle:
    """Handle returned by the ``register_*_hook`` methods: ``handle.remove()`` unregisters the hook.
    Also a context manager that removes the hook on exit."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._next_id)

    def remove(self):
        """Unregister the hook (no effect when already removed)."""
        hooks = self.hooks_dict_ref()
        if hooks is not None and self.id in hooks:
            del hooks[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and the keys it did not use."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _add_indent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _to_array(value, like, key, module_name):
    """The array of a state_dict entry (a glassgrad Tensor, a NumPy array or anything with
    ``__array__`` such as a torch tensor), cast to the dtype and device of ``like``."""
    if isinstance(value, Tensor):
        array = value.array
    else:
        try:
            array = np.asarray(value.detach().cpu() if hasattr(value, "detach") and not isinstance(value, np.ndarray)
                               else value)
        except Exception:
            raise TypeError(f"load_state_dict for {module_name}: '{key}' holds a {type(value).__name__}; "
                            "expected a Tensor or an array") from None
    if array.dtype != like.dtype:
        array = array.astype(like.dtype)
    return backend.move(array, backend.device_of(like))


class Module:
    """Base class of all layers and models.

    Subclass it, call ``super().__init__()`` first in ``__init__``, assign parameters
    (:class:`Parameter`) and submodules as attributes, and define ``forward``. Call the module
    (``model(x)``), not ``forward``, so that hooks run.
    """

    training: bool
    _version = 1

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments; Module.__init__ "
                            "takes none (call super().__init__() with no arguments)")
        sa = object.__setattr__
        sa(self, "training", True)
        sa(self, "_parameters", OrderedDict())
        sa(self, "_buffers", OrderedDict())
        sa(self, "_non_persistent_buffers_set", set())
        sa(self, "_modules", OrderedDict())
        sa(self, "_forward_pre_hooks", OrderedDict())
        sa(self, "_forward_pre_hooks_with_kwargs", set())
        sa(self, "_forward_hooks", OrderedDict())
        sa(self, "_forward_hooks_with_kwargs", set())
        sa(self, "_backward_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        """The computation of the module; every subclass defines it."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function; '
                                  "define forward(self, ...) in the subclass")

    # ---- registration --------------------------------------------------------------------------
    def _check_name(self, name, kind, table):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call; call super().__init__() "
                                 f"first in {type(self).__name__}.__init__")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in table:
            raise KeyError(f"attribute '{name}' already exists")

    def register_buffer(self, name, tensor, persistent=True):
        """Register a tensor that is state but not a parameter (e.g. BatchNorm's running mean).
        Persistent buffers appear in ``state_dict``; ``None`` registers an empty slot."""
        self._check_name(name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(glassgrad Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name, param):
        """Register ``param`` (a :class:`Parameter`, or None for an empty slot) under ``name``."""
        self._check_name(name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(glassgrad.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             "created explicitly; to express '{name}' as a function of another Tensor, "
                             "compute the value in the forward() method.")
        self._parameters[name] = param

    def add_module(self, name, module):
        """Register ``module`` (or None) as a submodule under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module", self._modules)
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call; call "
                                     f"super().__init__() first in {type(self).__name__}.__init__")
            self._remove_from(name, d, self._buffers, self._modules)
            self._non_persistent_buffers_set.discard(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(glassgrad.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        else:
            modules = d.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call; call "
                                         f"super().__init__() first in {type(self).__name__}.__init__")
                self._remove_from(name, d, self._parameters, self._buffers)
                self._non_persistent_buffers_set.discard(name)
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                    "(glassgrad.nn.Module or None expected)")
                modules[name] = value
            else:
                buffers = d.get("_buffers")
                if buffers is not None and name in buffers:
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                        "(glassgrad Tensor or None expected)")
                    buffers[name] = value
                else:
                    object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name, *tables):
        for table in tables:
            if name in table:
                del table[name]

    def __getattr__(self, name):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(object.__dir__(self))
        keys += list(self._parameters) + list(self._modules) + list(self._buffers)
        return sorted(k for k in set(keys) if not k[0].isdigit())

    def get_submodule(self, target):
        """The submodule at dotted path ``target`` (``''`` is self)."""
        mod = self
        for item in target.split(".") if target else []:
            if item not in mod._modules or mod._modules[item] is None:
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}` (looking up '{target}')")
            mod = mod._modules[item]
        return mod

    def get_parameter(self, target):
        """The parameter at dotted path ``target``."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}` (looking up '{target}')")
        return mod._parameters[name]

    def get_buffer(self, target):
        """The buffer at dotted path ``target``."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if name not in mod._buffers:
            raise AttributeError(f"{type(mod).__name__} has no buffer `{name}` (looking up '{target}')")
        return mod._buffers[name]

    # ---- traversal -----------------------------------------------------------------------------
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or (remove_duplicate and id(value) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(value))
                yield (module_prefix + "." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted name, parameter)`` for this module's parameters (and its submodules'
        when ``recurse``); a parameter shared by two modules is yielded once."""
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Yield the parameters (what an optimizer takes)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted name, buffer)`` for the buffers."""
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Yield the buffers."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_children(self):
        """Yield ``(name, module)`` for the direct submodules."""
        memo = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def children(self):
        """Yield the direct submodules."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(dotted name, module)`` for this module (name ``prefix``) and every submodule,
        depth first; a module reachable twice is yielded once."""
        stack = [(prefix, self)]
        if memo is None:
            memo = set()
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [(name + ("." if name else "") + child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self):
        """Yield this module and every submodule."""
        for _, module in self.named_modules():
            yield module

    # ---- modes and bulk operations -------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (``mode=True``) or evaluation mode on this module and all submodules;
        returns self. Layers such as Dropout and BatchNorm behave differently in each."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {type(mode).__name__}")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``. Returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter (freeze with False); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    @replayed_as_call
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters: to None (default), or to zeros in place."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if p.grad.grad_fn is not None:
                    p.grad = p.grad.detach()
                p.grad.requires_grad_(False)
                p.grad.array[...] = 0

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule (children first) and then on self; returns self.
        Typical use: custom weight initialization."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply(self, convert):
        """Replace the array of every parameter, gradient and buffer by ``convert(array)``, keeping
        the Parameter objects (so optimizers built before still see them)."""
        for module in self.modules():
            for p in module._parameters.values():
                if p is None:
                    continue
                with no_grad():
                    new = convert(p.array)
                    if new is not p.array:
                        p.array = new
                        p._version += 1
                    if p.grad is not None:
                        p.grad = wrap_array(convert(p.grad.array))
            for name, b in module._buffers.items():
                if b is not None:
                    new = convert(b.array)
                    if new is not b.array:
                        b.array = new
                        b._version += 1
        return self

    def to(self, *args, dtype=None, device=None, non_blocking=False):
        """Move and/or cast parameters and buffers in place: ``to(float64)``, ``to('cuda')``,
        ``to(device, dtype)``, ``to(tensor)``. Only floating-point tensors change dtype. Returns self."""
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, (str, backend.device)):
                device = a
            elif a is not None:
                dtype = a
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype.kind not in "fc":
                raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got "
                                f"desired dtype={dtype}")
        if device is not None:
            device = backend.device(device)

        def convert(array):
            if dtype is not None and array.dtype.kind in "fc" and array.dtype != dtype:
                array = array.astype(dtype)
            if device is not None:
                array = backend.move(array, device)
            return array
        return self._apply(convert)

    def float(self):
        """Cast floating parameters and buffers to float32; returns self."""
        return self.to(backend.float32)

    def double(self):
        """Cast floating parameters and buffers to float64; returns self."""
        return self.to(backend.float64)

    def half(self):
        """Cast floating parameters and buffers to float16; returns self."""
        return self.to(backend.float16)

    def type(self, dst_type):
        """Cast floating parameters and buffers to ``dst_type``; returns self."""
        return self.to(dst_type)

    def cpu(self):
        """Move parameters and buffers to the CPU; returns self."""
        return self.to("cpu")

    def cuda(self, device=None):
        """Move parameters and buffers to a GPU; returns self."""
        return self.to("cuda" if device is None else f"cuda:{device}")

    # ---- state dict ----------------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An ``OrderedDict`` of every parameter and persistent buffer by dotted name (the same
        keys as PyTorch: ``'0.weight'``, ``'bn.running_mean'``...). Values are detached tensors
        sharing memory with the module unless ``keep_vars``."""
        if args:
            destination = args[0] if destination is None else destination
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """Copy this module's own entries from ``state_dict``; record missing keys and shape errors.
        Layers with versioned state override this (and call super)."""
        persistent = {k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set}
        local = itertools.chain(self._parameters.items(), persistent.items())
        for name, target in local:
            key = prefix + name
            if target is None:
                continue
            if key not in state_dict:
                missing_keys.append(key)
                continue
            value = state_dict[key]
            shape = tuple(getattr(value, "shape", np.shape(value)))
            if shape != tuple(target.shape):
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {list(shape)} from "
                                  f"checkpoint, the shape in current model is {list(target.shape)}.")
                continue
            try:
                array = _to_array(value, target.array, key, type(self).__name__)
            except TypeError as e:
                error_msgs.append(str(e))
                continue
            target.array[...] = array
            target._version += 1

    def load_state_dict(self, state_dict, strict=True):
        """Copy parameters and buffers from ``state_dict`` (e.g. from ``state_dict()`` of the same
        architecture, or a converted PyTorch one) into this module, in place.

        Returns ``(missing_keys, unexpected_keys)``. With ``strict`` (default), any missing or
        unexpected key is a RuntimeError listing them; a shape mismatch is always an error."""
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        missing, unexpected, errors = [], [], []
        for name, module in self.named_modules():
            prefix = name + "." if name else ""
            module._load_from_state_dict(state_dict, prefix, {}, True, missing, unexpected, errors)
        known = set()
        for name, module in self.named_modules():
            prefix = name + "." if name else ""
            known.update(prefix + k for k in module._parameters)
            known.update(prefix + k for k in module._buffers if k not in module._non_persistent_buffers_set)
        unexpected = [k for k in state_dict if k not in known]
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    # ---- hooks ---------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before each forward (``hook(module, args, kwargs)`` with
        ``with_kwargs``). Returning a value replaces ``args`` (a non-tuple is wrapped in one), or
        ``(args, kwargs)`` with ``with_kwargs``. Returns a :class:`RemovableHandle`."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(handle.id)
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args, output)`` after each forward (``hook(module, args, kwargs,
        output)`` with ``with_kwargs``); returning a value replaces the output. Returns a
        :class:`RemovableHandle`."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs.add(handle.id)
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` when the gradients with respect to the
        module's inputs have been computed. ``grad_input`` and ``grad_output`` are tuples with one
        entry per positional tensor input / output (None for inputs that need no gradient);
        returning a tuple replaces ``grad_input``. Returns a :class:`RemovableHandle`."""
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def _call_impl(self, *args, **kwargs):
        if _grad_state.capture is not None:  # glassgrad.compile is recording: it guards on .training
            _grad_state.capture.module_called(self, bool(self._forward_pre_hooks or self._forward_hooks
                                                         or self._backward_hooks))
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks):
            return self.forward(*args, **kwargs)
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("forward pre-hook registered with with_kwargs=True must return "
                                           f"None or a tuple (args, kwargs), got {result!r}")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        bw = None
        if self._backward_hooks and _grad_state.enabled:
            bw = _BackwardHookState(self)
            args = bw.setup_inputs(args)
        output = self.forward(*args, **kwargs)
        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in self._forward_hooks_with_kwargs:
                result = hook(self, args, kwargs, output)
            else:
                result = hook(self, args, output)
            if result is not None:
                output = result
        if bw is not None:
            output = bw.setup_outputs(output)
        return output

    __call__ = _call_impl

    # ---- printing ------------------------------------------------------------------------------
    def extra_repr(self):
        """The text inside this module's parentheses in ``repr`` (its configuration); override it."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [f"({name}): " + _add_indent(repr(module), 2) for name, module in self._modules.items()]
        main = self._get_name() + "("
        if lines or children:
            if len(lines) == 1 and not children:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines + children) + "\n"
        return main + ")"

    # ---- pickling / copying --------------------------------------------------------------------
    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)


class _BackwardHookState:
    """Wires a module's full backward hooks into the graph of one call: identity nodes on the
    inputs and outputs catch ``grad_output`` (first) and ``grad_input`` (then fire the hooks)."""

    def __init__(self, module):
        self.module = module
        self.grad_output = None
        self.n_inputs = 0
        self.input_slots = []   # for each tensor input: the index among the hooked inputs, or None

    def setup_inputs(self, args):
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(positions)
        hooked = [i for i in positions if args[i].requires_grad]
        self.input_slots = []
        k = 0
        for i in positions:
            if args[i].requires_grad:
                self.input_slots.append(k)
                k += 1
            else:
                self.input_slots.append(None)
        if not hooked:
            return args
        outs = _ModuleInputsHook.apply(*[args[i] for i in hooked], hook_state=self)
        args = list(args)
        for i, t in zip(hooked, outs):
            args[i] = t
        return tuple(args)

    def setup_outputs(self, output):
        single = isinstance(output, Tensor)
        items = [output] if single else list(output) if isinstance(output, (tuple, list)) else None
        if items is None:
            return output
        positions = [i for i, o in enumerate(items) if isinstance(o, Tensor)]
        self.n_outputs = len(positions)
        self.output_slots = {}
        hooked = [i for i in positions if items[i].requires_grad]
        if not hooked:
            return output
        for k, i in enumerate(hooked):
            self.output_slots[positions.index(i)] = k
        outs = _ModuleOutputsHook.apply(*[items[i] for i in hooked], hook_state=self)
        for i, t in zip(hooked, outs):
            items[i] = t
        if single:
            return items[0]
        return type(output)(items)

    def outputs_done(self, grads):
        self.grad_output = tuple(grads[self.output_slots[j]] if j in self.output_slots else None
                                 for j in range(self.n_outputs))
        if all(s is None for s in self.input_slots):  # no input needs a gradient: fire now
            self.fire(())

    def fire(self, grads):
        grad_input = tuple(None if s is None else grads[s] for s in self.input_slots)
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(f"backward hook of {type(self.module).__name__} returned {len(result)} "
                                       f"gradients but the module has {len(grad_input)} tensor inputs; return "
                                       "a tuple with one entry per input (None where there is none)")
                grad_input = result
        return tuple(grad_input[j] for j, s in enumerate(self.input_slots) if s is not None)


class _ModuleInputsHook(Function):
    """y = x (for each hooked input);  dx = dy, after the module's backward hooks saw (and may
    have replaced) it"""

    @staticmethod
    def forward(ctx, *inputs, hook_state):
        ctx.hook_state = hook_state
        return tuple(x.array for x in inputs)

    @staticmethod
    def backward(ctx, *grads):
        return ctx.hook_state.fire(grads)


class _ModuleOutputsHook(Function):
    """y = x (for each output);  dx = dy, recorded as the module's grad_output"""

    @staticmethod
    def forward(ctx, *outputs, hook_state):
        ctx.hook_state = hook_state
        return tuple(x.array for x in outputs)

    @staticmethod
    def backward(ctx, *grads):
        ctx.hook_state.outputs_done(grads)
        return grads
