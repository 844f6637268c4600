"""What every attribution method shares, with Captum's conventions: ``inputs`` as one Tensor or a tuple
of Tensors (the first dimension is the batch), ``baselines``, ``target`` (which output to explain) and
``additional_forward_args``; running the model and picking the target outputs; the gradients of the
picked outputs with respect to the inputs. Errors name the method, the argument and the fix."""
import numbers

import numpy as np

from ...autograd.functional import grad
from ...autograd.grad_mode import enable_grad
from ...autograd.tensor import Tensor
from ...ops.creation import arange, full_like, tensor
from ...ops.shape import cat, stack

__all__ = ["format_inputs", "format_output", "format_baselines", "dense_baselines", "format_forward_args",
           "expand_forward_args", "expand_target", "check_target", "run_forward", "gradients", "repeat_batch",
           "is_float"]


def is_float(t):
    """Whether tensor ``t`` has a floating-point dtype."""
    return np.dtype(t.dtype).kind == "f"


def format_inputs(inputs, who, floating=True):
    """``(tuple of Tensors, was it a tuple)``; each tensor needs a batch dimension (and a floating dtype
    when ``floating``: gradients are taken with respect to it)."""
    is_tuple = isinstance(inputs, tuple)
    tup = inputs if is_tuple else (inputs,)
    if not tup:
        raise ValueError(f"{who}: inputs is an empty tuple; pass a Tensor or a tuple of Tensors")
    for i, x in enumerate(tup):
        if not isinstance(x, Tensor):
            raise TypeError(f"{who}: inputs must be a Tensor or a tuple of Tensors (batch first), got "
                            f"{type(x).__name__}" + (f" at inputs[{i}]" if is_tuple else ""))
        if x.ndim == 0:
            raise ValueError(f"{who}: inputs[{i}] is 0-d; attribution needs a batch dimension first "
                             "(use x.unsqueeze(0) for one example)")
        if floating and not is_float(x):
            raise TypeError(f"{who}: inputs[{i}] has dtype {x.dtype}; gradients need floating-point inputs "
                            "(cast with .double()/.float(); for token ids attribute to the embedding's output "
                            "with LayerIntegratedGradients)")
    if len({x.shape[0] for x in tup}) > 1:
        raise ValueError(f"{who}: the inputs have different batch sizes {[x.shape[0] for x in tup]}; "
                         "every input tensor needs the same first dimension")
    return tup, is_tuple


def format_output(is_tuple, values):
    """Captum's return convention: a tuple for tuple inputs, else the one tensor."""
    return tuple(values) if is_tuple else values[0]


def format_baselines(baselines, inputs, who):
    """One baseline per input: a number or a Tensor that broadcasts to that input's shape (Captum's
    default is 0 for every input)."""
    if baselines is None:
        return tuple(0 for _ in inputs)
    tup = baselines if isinstance(baselines, tuple) else (baselines,)
    if len(tup) != len(inputs):
        raise ValueError(f"{who}: {len(tup)} baseline(s) for {len(inputs)} input tensor(s); give one baseline "
                         "per input (a number or a Tensor)")
    for i, (b, x) in enumerate(zip(tup, inputs)):
        if isinstance(b, bool) or not isinstance(b, (Tensor, numbers.Real)):
            raise TypeError(f"{who}: baselines[{i}] must be a Tensor or a number, got {type(b).__name__}")
        if isinstance(b, Tensor):
            try:
                fits = tuple(np.broadcast_shapes(tuple(b.shape), tuple(x.shape))) == tuple(x.shape)
            except ValueError:
                fits = False
            if not fits:
                raise ValueError(f"{who}: baselines[{i}] has shape {tuple(b.shape)} but inputs[{i}] has shape "
                                 f"{tuple(x.shape)}; give a baseline of shape {tuple(x.shape)}, one example "
                                 f"{(1,) + tuple(x.shape[1:])} for the whole batch, or a number")
    return tup


def dense_baselines(baselines, inputs):
    """The baselines as tensors of the inputs' shapes and dtypes (to run the model on them)."""
    out = []
    for b, x in zip(baselines, inputs):
        if isinstance(b, Tensor):
            out.append(b.detach().to(x.dtype).expand(*x.shape))
        else:
            out.append(full_like(x.detach(), b))
    return tuple(out)


def format_forward_args(args):
    """``additional_forward_args`` as a tuple (a single value is wrapped), or None."""
    if args is None:
        return None
    return args if isinstance(args, tuple) else (args,)


def repeat_batch(t, k, interleave=False):
    """``t`` repeated ``k`` times along the batch: ``[t, t, ...]`` (Captum's ``repeat``) or each example
    ``k`` times in a row (``repeat_interleave``)."""
    if k == 1:
        return t
    if not interleave:
        return cat([t] * k, 0)
    n, rest = t.shape[0], tuple(t.shape[1:])
    return t.unsqueeze(1).expand(n, k, *rest).reshape(n * k, *rest)


def expand_forward_args(args, k, interleave=False):
    """Tensors with a batch dimension repeated ``k`` times; everything else passed as it is."""
    if args is None:
        return None
    return tuple(repeat_batch(a, k, interleave) if isinstance(a, Tensor) and a.ndim > 0 else a for a in args)


def _per_example(target):
    return isinstance(target, list) or (isinstance(target, Tensor) and target.numel() > 1)


def expand_target(target, k, interleave=False):
    """A per-example target (list or tensor) repeated like the inputs; a shared target as it is."""
    if k == 1 or not _per_example(target):
        return target
    if isinstance(target, list):
        return [t for t in target for _ in range(k)] if interleave else target * k
    return repeat_batch(target.reshape(-1), k, interleave)


def check_target(target, num_examples, who):
    """Reject a target of the wrong type or length before the model runs."""
    if target is None or isinstance(target, (tuple,)) or (isinstance(target, numbers.Integral)
                                                          and not isinstance(target, bool)):
        if isinstance(target, tuple) and not all(isinstance(t, numbers.Integral) and not isinstance(t, bool)
                                                 for t in target):
            raise TypeError(f"{who}: a tuple target holds one int per output dimension after the batch, got "
                            f"{target!r}")
        return
    if isinstance(target, Tensor):
        if np.dtype(target.dtype).kind not in "iu":
            raise TypeError(f"{who}: a tensor target must hold integer indices, got dtype {target.dtype}")
        if target.numel() > 1 and (target.ndim != 1 or target.shape[0] != num_examples):
            raise ValueError(f"{who}: target has shape {tuple(target.shape)} but inputs have {num_examples} "
                             "example(s); give one index per example (shape (N,)) or one for all")
        return
    if isinstance(target, list):
        if len(target) != num_examples:
            raise ValueError(f"{who}: target has {len(target)} entries but inputs have {num_examples} example(s); "
                             "give one target per example, or one int for all")
        kinds = {type(t) for t in target}
        if not (all(isinstance(t, numbers.Integral) and not isinstance(t, bool) for t in target)
                or all(isinstance(t, tuple) for t in target)):
            raise TypeError(f"{who}: a list target holds ints (one class per example) or tuples, got "
                            f"{sorted(k.__name__ for k in kinds)}")
        return
    raise TypeError(f"{who}: target must be None, an int, a tuple of ints, a list (one per example) or an "
                    f"integer Tensor, got {type(target).__name__}")


def _check_index(idx, output, who, example=None):
    shape = tuple(output.shape)
    if len(idx) > len(shape) - 1:
        raise ValueError(f"{who}: target {idx if len(idx) > 1 else idx[0]!r} needs {len(idx)} output dimension(s) "
                         f"after the batch, but the model's output has shape {shape}")
    for d, i in enumerate(idx):
        size = shape[d + 1]
        if not -size <= int(i) < size:
            where = "" if example is None else f" (example {example})"
            raise IndexError(f"{who}: target index {int(i)}{where} is out of range for dimension {d + 1} of the "
                             f"model's output, of size {size} (valid: 0..{size - 1})")


def select_targets(output, target, who):
    """The outputs ``target`` picks, one row per example (Captum's ``_select_targets``)."""
    if target is None:
        return output
    if isinstance(target, Tensor) and target.numel() == 1:
        target = int(target.reshape(()).item())
    if isinstance(target, numbers.Integral):
        target = (int(target),)
    if isinstance(target, tuple):
        _check_index(target, output, who)
        return output[(slice(None),) + target]
    n = output.shape[0]
    if isinstance(target, Tensor):
        target = [int(t) for t in target.reshape(-1).tolist()]
    if len(target) != n:
        raise ValueError(f"{who}: target has {len(target)} entries but the model's output has {n} rows "
                         f"(shape {tuple(output.shape)})")
    if isinstance(target[0], tuple):
        for e, t in enumerate(target):
            _check_index(t, output, who, e)
        return stack([output[(e,) + t] for e, t in enumerate(target)])
    if output.ndim != 2:
        raise ValueError(f"{who}: one class index per example needs a 2-D output (N, classes), but the model's "
                         f"output has shape {tuple(output.shape)}; use tuple targets for more dimensions")
    for e, t in enumerate(target):
        _check_index((t,), output, who, e)
    rows = arange(n, device=output.device)
    return output[rows, tensor(target, device=output.device)]


def run_forward(forward_func, inputs, target=None, forward_args=None, who="attribution"):
    """``forward_func(*inputs, *forward_args)`` with the target outputs picked."""
    out = forward_func(*inputs, *(forward_args or ()))
    if isinstance(out, numbers.Real) and not isinstance(out, bool):
        out = tensor(float(out))
    if not isinstance(out, Tensor):
        raise TypeError(f"{who}: the model (forward_func) must return a Tensor, got {type(out).__name__}")
    return select_targets(out, target, who)


def gradients(forward_func, inputs, target, forward_args, who):
    """The gradient of the picked outputs (summed over the batch: examples are independent) with respect
    to each input."""
    with enable_grad():
        out = run_forward(forward_func, inputs, target, forward_args, who)
        if out.ndim > 0 and out.numel() != out.shape[0]:
            raise ValueError(f"{who}: the picked output has shape {tuple(out.shape)}, more than one value per "
                             "example; pass target= to choose one (e.g. the class index)")
        if out.grad_fn is None and not out.requires_grad:
            raise RuntimeError(f"{who}: the model's output does not depend on the inputs through differentiable "
                               "ops (is the forward wrapped in no_grad?)")
        grads = grad(out.sum(), list(inputs), allow_unused=True)
    for i, g in enumerate(grads):
        if g is None:
            raise RuntimeError(f"{who}: the model's output does not depend on inputs[{i}]; pass only the "
                               "inputs the model uses (others go in additional_forward_args)")
    return tuple(grads)
