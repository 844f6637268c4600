"""Occlusion (Zeiler & Fergus 2014): slide a window over each input, replace what it covers by the
baseline, and credit the covered features with the drop of the target output, averaged over the
windows that cover each feature."""
import itertools
import math
import numbers
import sys

from ...autograd.grad_mode import no_grad
from ...autograd.tensor import wrap_array
from ...backend import namespace
from ...ops.shape import cat
from .arguments import (check_target, dense_baselines, expand_forward_args, expand_target, format_baselines,
                        format_forward_args, format_inputs, format_output, repeat_batch, run_forward)
from .base import Attribution

__all__ = ["Occlusion"]


def _int_tuple(v):
    return isinstance(v, tuple) and all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in v)


def _windows(shapes, xs, who):
    if isinstance(shapes, tuple) and shapes and isinstance(shapes[0], numbers.Integral):
        shapes = (shapes,)
    if not isinstance(shapes, tuple) or len(shapes) != len(xs):
        raise ValueError(f"{who}: sliding_window_shapes needs one window shape per input ({len(xs)}), got "
                         f"{shapes!r}")
    for i, (w, x) in enumerate(zip(shapes, xs)):
        if not _int_tuple(w) or len(w) != x.ndim - 1 or any(d < 1 for d in w):
            raise ValueError(f"{who}: the window for inputs[{i}] (shape {tuple(x.shape)}) must be a tuple of "
                             f"{x.ndim - 1} positive ints (one per dimension after the batch), got {w!r}")
        if any(d > s for d, s in zip(w, x.shape[1:])):
            raise ValueError(f"{who}: window {w} is larger than inputs[{i}]'s example shape {tuple(x.shape[1:])}")
    return shapes


def _strides(strides, windows, xs, who):
    if strides is None:
        strides = tuple(1 for _ in xs)
    if len(xs) == 1 and not (isinstance(strides, tuple) and len(strides) == 1):
        strides = (strides,)
    if not isinstance(strides, tuple) or len(strides) != len(xs):
        raise ValueError(f"{who}: strides needs one entry per input ({len(xs)}), got {strides!r}")
    out = []
    for i, (s, w, x) in enumerate(zip(strides, windows, xs)):
        s = (s,) * len(w) if isinstance(s, numbers.Integral) and not isinstance(s, bool) else s
        if not _int_tuple(s) or len(s) != len(w) or any(d < 1 for d in s):
            raise ValueError(f"{who}: the stride for inputs[{i}] must be a positive int or a tuple of {len(w)} "
                             f"positive ints, got {strides[i]!r}")
        for d, (sd, wd, xd) in enumerate(zip(s, w, x.shape[1:])):
            if xd > wd and sd > wd:
                raise ValueError(f"{who}: stride {sd} is larger than the window {wd} in dimension {d + 1} of "
                                 f"inputs[{i}]; features between windows would never be occluded")
        out.append(s)
    return tuple(out)


def _window_masks(x, window, stride):
    """The masks (1 inside the window) of every window position, the first dimension moving fastest
    (Captum's order); a window running over the end is cut off there."""
    xp = namespace(x.array)
    shape = tuple(x.shape[1:])
    counts = [math.ceil((s - w) / st) + 1 for s, w, st in zip(shape, window, stride)]
    for pos in itertools.product(*[range(c) for c in reversed(counts)]):
        pos = pos[::-1]
        mask = xp.zeros(shape, dtype=x.array.dtype)
        mask[tuple(slice(p * st, p * st + w) for p, st, w in zip(pos, stride, window))] = 1
        yield wrap_array(mask)


class Occlusion(Attribution):
    """Occlusion with a sliding window (Captum's ``Occlusion``)."""

    def attribute(self, inputs, sliding_window_shapes, strides=None, baselines=None, target=None,
                  additional_forward_args=None, perturbations_per_eval=1, show_progress=False):
        """Attributions shaped ``(number of target outputs, *input.shape[1:])`` per input (the inputs'
        shape when the target picks one output per example): for each feature, the mean over the
        windows covering it of ``f(x) − f(x with the window set to the baseline)``.

        Args:
            sliding_window_shapes: the window, a tuple with one int per dimension after the batch (a
                tuple of such tuples for tuple inputs).
            strides: how far the window moves: an int, a tuple per dimension, or one of those per
                input (default 1).
            baselines: what occluded features are set to (None: 0), as in ``IntegratedGradients``.
            perturbations_per_eval: windows evaluated in one forward pass (batched).
            show_progress: print the count of forward passes to stderr.
        """
        who = "Occlusion.attribute"
        xs, is_tuple = format_inputs(inputs, who, floating=False)
        xs = tuple(x.detach() for x in xs)
        windows = _windows(sliding_window_shapes, xs, who)
        steps = _strides(strides, windows, xs, who)
        bs = dense_baselines(format_baselines(baselines, xs, who), xs)
        n = xs[0].shape[0]
        check_target(target, n, who)
        args = format_forward_args(additional_forward_args)
        if isinstance(perturbations_per_eval, bool) or not isinstance(perturbations_per_eval, int) \
                or perturbations_per_eval < 1:
            raise ValueError(f"{who}: perturbations_per_eval must be a positive int, got {perturbations_per_eval!r}")
        features = [(i, m) for i, x in enumerate(xs) for m in _window_masks(x, windows[i], steps[i])]
        groups = [features[k:k + perturbations_per_eval] for k in range(0, len(features), perturbations_per_eval)]
        with no_grad():
            initial = run_forward(self.forward_func, xs, target, args, who)
            rows = initial.shape[0] if initial.ndim else 1
            initial = initial.reshape(1, -1)
            n_out = initial.shape[1]
            totals = [None] * len(xs)
            counts = [None] * len(xs)
            for done, group in enumerate(groups, 1):
                k = len(group)
                batch = []
                for j, (x, b) in enumerate(zip(xs, bs)):
                    batch.append(cat([x * (1 - m) + b * m if i == j else x for i, m in group], 0)
                                 if any(i == j for i, _ in group) else repeat_batch(x, k))
                out = run_forward(self.forward_func, batch, expand_target(target, k), expand_forward_args(args, k),
                                  who)
                if k > 1 and (out.ndim == 0 or out.shape[0] != k * rows):
                    raise ValueError(f"{who}: with perturbations_per_eval > 1 the model's output must grow with the "
                                     f"batch: {rows} row(s) for {n} example(s), but {tuple(out.shape)} for {k * n}")
                diff = initial - out.reshape(k, n_out)
                for f, (i, m) in enumerate(group):
                    m = m.to(diff.dtype)
                    term = diff[f].reshape(n_out, *([1] * m.ndim)) * m
                    totals[i] = term if totals[i] is None else totals[i] + term
                    counts[i] = m if counts[i] is None else counts[i] + m
                if show_progress:
                    print(f"\rOcclusion: {done}/{len(groups)} forward passes", end="", file=sys.stderr, flush=True)
            if show_progress:
                print(file=sys.stderr)
            return format_output(is_tuple, [t / c for t, c in zip(totals, counts)])
