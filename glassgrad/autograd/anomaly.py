"""Anomaly detection: find the first op whose forward output or backward gradient is NaN/Inf."""
import traceback

from .grad_mode import state


class detect_anomaly:
    """Context manager: while active, every op checks its outputs for NaN/Inf, and so does every
    backward node for the gradients it returns. The first bad value raises a RuntimeError that
    names the op and the line of user code that created it.

    Args:
        check_nan: set False to only record creation traces.
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = state.anomaly
        state.anomaly = True if self.check_nan else "trace"

    def __exit__(self, *exc):
        state.anomaly = self._prev
        return False


def _user_frame(stack_lines):
    """The innermost frame outside glassgrad's own code, as 'File ..., line N, in f\\n  code'."""
    for line in reversed(stack_lines):
        if "/glassgrad/" not in line.split(",")[0]:
            return line.strip()
    return stack_lines[-1].strip() if stack_lines else "<unknown>"


def _bad(array):
    xp_isfinite = array.dtype.kind in "fc"
    if not xp_isfinite:
        return False
    import numpy as np
    return not bool(np.isfinite(array).all())


def check_forward(ctx, outs):
    if state.anomaly is not True:
        return
    for nr, t in enumerate(outs):
        if _bad(t.array):
            where = _user_frame(traceback.format_stack()[:-2])
            raise RuntimeError(f"Function '{ctx.name()[:-len('Backward')]}' returned nan/inf values in its "
                               f"output {nr} (forward).\nIt was called from:\n  {where}")


def check_backward(node, results):
    if state.anomaly is not True:
        return
    for i, g in enumerate(results):
        if g is not None and _bad(g.array):
            where = _user_frame(node._trace) if node._trace else "<created outside detect_anomaly>"
            raise RuntimeError(f"Function '{node.name()}' returned nan/inf values in its {i}th output "
                               f"(the gradient of input {i}).\nThe forward op was created at:\n  {where}")
