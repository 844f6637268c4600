"""Anomaly detection: find the first op whose forward output or backward gradient is NaN/Inf."""
import os
import traceback

import numpy as np

from .grad_mode import state

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class detect_anomaly:
    """Context manager (and decorator): while active, every op checks its outputs for NaN/Inf and
    every backward node checks the gradients it returns. The first bad value raises a RuntimeError
    that names the op and the line of user code that created it.

    Args:
        check_nan: set False to only record where each op was created (no checks).
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = state.anomaly
        state.anomaly = True if self.check_nan else "trace"
        return self

    def __exit__(self, *exc):
        state.anomaly = self._prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """``set_detect_anomaly(mode, check_nan=True)``: turns anomaly detection on or off now (a
    function call) and, used as a context manager, restores the previous setting on exit."""

    def __init__(self, mode, check_nan=True):
        self._prev = state.anomaly
        state.anomaly = (True if check_nan else "trace") if mode else False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.anomaly = self._prev
        return False


def is_anomaly_enabled():
    """True inside ``detect_anomaly()``."""
    return bool(state.anomaly)


def user_frame():
    """The innermost frame of the call stack outside glassgrad's own code, as
    ``File "...", line N, in f`` followed by the source line."""
    frames = traceback.extract_stack()[:-1]
    for frame in reversed(frames):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            text = f'File "{frame.filename}", line {frame.lineno}, in {frame.name}'
            return text + (f"\n    {frame.line.strip()}" if frame.line else "")
    return "<inside glassgrad>"


def creation_traceback(limit=8):
    """The call stack outside glassgrad's own code where an op is being created, outermost first
    (at most ``limit`` frames), in Python's traceback format; ends with the ``user_frame`` line."""
    frames = [f for f in traceback.extract_stack()[:-1]
              if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR)]
    if not frames:
        return "<inside glassgrad>"
    lines = []
    for frame in frames[-limit:]:
        lines.append(f'File "{frame.filename}", line {frame.lineno}, in {frame.name}'
                     + (f"\n    {frame.line.strip()}" if frame.line else ""))
    return "\n  ".join(lines)


def _bad(array):
    return array.dtype.kind in "fc" and not bool(np.isfinite(array).all())


def check_forward(ctx, outs, recorded):
    """Called by ``Function.apply`` in anomaly mode: remember where a recorded op was created and,
    unless this op runs inside a backward pass, raise on NaN/Inf in its outputs."""
    where = None
    if recorded:
        where = ctx._trace = creation_traceback()
    if state.anomaly is not True:  # "trace" mode, or an op run by a backward formula
        return
    for nr, t in enumerate(outs):
        if _bad(t.array):
            name = ctx.name()[:-len("Backward")]
            raise RuntimeError(
                f"Function '{name}' returned nan/inf values in its output {nr} (forward, shape "
                f"{tuple(t.shape)}, dtype {t.dtype}).\nIt was called from (innermost last):\n  {where or creation_traceback()}\n"
                "Check its inputs (e.g. log or sqrt of a negative number, division by zero).")


def check_backward(node, results):
    """Called by the engine in anomaly mode after each node's backward: raise on NaN/Inf in the
    gradients it returned, naming the node and where its forward op was created."""
    for i, g in enumerate(results):
        if g is not None and _bad(g.array):
            where = node._trace or "<the op was created outside detect_anomaly(); enter it before the forward pass>"
            raise RuntimeError(
                f"Function '{node.name()}' returned nan/inf values in its output {i} (the gradient "
                f"with respect to its input {i}, shape {tuple(g.shape)}).\nThe forward op was created "
                f"at (innermost last):\n  {where}\nCommon causes: the derivative of sqrt or log at 0, or of pow with a "
                "negative base; clamp the input away from the singular point.")
