"""``glassgrad.summary``: a Keras-like table of a model's layers, output shapes and parameter counts."""
import numpy as np

from .. import backend
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from .modules.module import Module

__all__ = ["summary"]


def _shape_of(output):
    if isinstance(output, Tensor):
        return list(output.shape)
    if isinstance(output, (tuple, list)):
        shapes = [_shape_of(o) for o in output]
        return [s for s in shapes if s is not None] or None
    return None


def _format_shape(shape):
    return "--" if shape is None else str(shape)


def summary(model, input_size, dtype=None, print_fn=print):
    """Run one forward pass of ``model`` on zeros of ``input_size`` and print a table of every
    submodule: ``name (Type)``, output shape, and the number of parameters it owns; then the total,
    trainable and non-trainable parameter counts. Returns the table as a string.

    Args:
        model: a Module.
        input_size: the input's shape *including* the batch dim, e.g. ``(1, 784)``; a list of
            shapes for a model taking several inputs.
        dtype: dtype of the zeros (default: the dtype of the model's first floating parameter, else
            the default dtype); use ``glassgrad.int64`` for index inputs such as Embedding's.
        print_fn: where the table goes (``print`` by default; None to only return it).

    The pass runs under ``no_grad`` in eval mode, so no running statistics change; each module's
    train/eval mode is restored afterwards.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: expected an nn.Module, got {type(model).__name__}")
    sizes = [input_size] if input_size and all(isinstance(n, (int, np.integer)) for n in input_size) \
        else list(input_size)
    if not sizes or not all(isinstance(s, (tuple, list)) and all(isinstance(n, (int, np.integer)) and n >= 0
                                                                  for n in s) for s in sizes):
        raise ValueError(f"summary: input_size must be a shape such as (1, 784) (batch dim included) or a list of "
                         f"shapes, got {input_size!r}")
    params = list(model.parameters())
    first_float = next((p for p in params if p.array.dtype.kind == "f"), None)
    if dtype is None:
        dtype = first_float.dtype if first_float is not None else backend.get_default_dtype()
    device = params[0].device if params else backend.CPU
    inputs = [Tensor(backend.move(np.zeros(tuple(s), dtype=np.dtype(dtype)), device)) for s in sizes]

    shapes = {}
    handles = []
    for name, module in model.named_modules():
        def hook(mod, args, output, _name=name):
            shapes[_name] = _shape_of(output)
        handles.append(module.register_forward_hook(hook))
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.training = mode

    rows = []
    for name, module in model.named_modules():
        if not name:
            continue
        depth = name.count(".")
        own = sum(p.numel() for p in module.parameters(recurse=False))
        label = "  " * depth + f"{name.rsplit('.', 1)[-1]} ({type(module).__name__})"
        rows.append((label, _format_shape(shapes.get(name)), f"{own:,}"))
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    headers = ("Layer (type)", "Output Shape", "Param #")
    w0 = max([len(headers[0])] + [len(r[0]) for r in rows]) + 2
    w1 = max([len(headers[1])] + [len(r[1]) for r in rows]) + 2
    w2 = max([len(headers[2])] + [len(r[2]) for r in rows])
    width = w0 + w1 + w2
    lines = [f"Model: {type(model).__name__}", "=" * width,
             f"{headers[0]:<{w0}}{headers[1]:<{w1}}{headers[2]:>{w2}}", "=" * width]
    lines += [f"{a:<{w0}}{b:<{w1}}{c:>{w2}}" for a, b, c in rows]
    lines += ["=" * width,
              f"Input shape: {', '.join(str(list(s)) for s in sizes)}",
              f"Output shape: {_format_shape(shapes.get(''))}",
              f"Total params: {total:,}",
              f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}",
              "=" * width]
    text = "\n".join(lines)
    if print_fn is not None:
        print_fn(text)
    return text
