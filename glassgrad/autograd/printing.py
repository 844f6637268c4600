"""How tensors print: PyTorch's layout and number formatting (``tensor([ 1.5000, -2.0000])``).

The rules follow ``torch._tensor_str``: one formatter per tensor chooses between integer mode
(``1.``), fixed point (``1.5000``) and scientific (``1.5000e+05``) from the non-zero finite values,
pads every element to the widest one, wraps at ``linewidth`` and summarizes tensors with more
than ``threshold`` elements to ``edgeitems`` items at each end of each dimension.
"""
import math

import numpy as np

from .. import backend


class _Options:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


OPTIONS = _Options()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, sci_mode=None):
    """Set how tensors print (PyTorch's ``set_printoptions``): digits after the point, the element
    count above which tensors are summarized, items kept at each end when summarizing, characters
    per line, and ``sci_mode`` (True/False forces scientific notation on/off; None chooses)."""
    for name, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                        ("linewidth", linewidth)):
        if value is not None:
            setattr(OPTIONS, name, int(value))
    OPTIONS.sci_mode = sci_mode


class _Formatter:
    """Chooses one format for all elements of a tensor and pads them to a common width."""

    def __init__(self, values):
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        p = OPTIONS.precision
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.width = max(self.width, len(f"{v}"))
            return
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        absv = np.abs(vals.astype(np.float64))
        lo, hi = absv.min(), absv.max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if OPTIONS.sci_mode is None \
            else OPTIONS.sci_mode
        for v in vals.tolist():
            if self.sci_mode:
                n = len(f"{v:.{p}e}")
            elif self.int_mode:
                n = len(f"{v:.0f}") + 1
            else:
                n = len(f"{v:.{p}f}")
            self.width = max(self.width, n)

    def format(self, v):
        """One element as text, padded to the common width."""
        if not self.floating:
            s = f"{v}"
        elif self.sci_mode:
            s = f"{v:{self.width}.{OPTIONS.precision}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            s = f"{v:.{OPTIONS.precision}f}"
        return " " * (self.width - len(s)) + s


def _summarized(a):
    """The elements that stay visible when ``a`` is summarized (they decide the format)."""
    e = OPTIONS.edgeitems
    if a.ndim == 0:
        return a.reshape(-1)
    if a.ndim == 1:
        return np.concatenate((a[:e], a[-e:])) if a.shape[0] > 2 * e else a
    rows = list(range(e)) + list(range(a.shape[0] - e, a.shape[0])) if a.shape[0] > 2 * e \
        else range(a.shape[0])
    parts = [_summarized(a[i]).reshape(-1) for i in rows]
    return np.concatenate(parts) if parts else a.reshape(-1)


def _body(a, indent, summarize, fmt):
    e = OPTIONS.edgeitems
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        per_line = max(1, (OPTIONS.linewidth - indent) // (fmt.width + 2))
        if summarize and a.shape[0] > 2 * e:
            items = [fmt.format(v) for v in a[:e].tolist()] + [" ..."] + \
                    [fmt.format(v) for v in a[-e:].tolist()]
        else:
            items = [fmt.format(v) for v in a.tolist()]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and a.shape[0] > 2 * e:
        parts = [_body(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."] + \
                [_body(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0] - e, a.shape[0])]
    else:
        parts = [_body(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def format_tensor(t):
    """``repr(t)``: PyTorch's text, with ``glassgrad.`` where PyTorch writes ``torch.``."""
    a = backend.move(t.array, "cpu")
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    default_dtypes = (backend.get_default_dtype(), backend.int64, backend.bool_)
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype != backend.get_default_dtype():
            suffixes.append(f"dtype=glassgrad.{a.dtype}")
        body = "[]"
    else:
        if a.dtype not in default_dtypes:
            suffixes.append(f"dtype=glassgrad.{a.dtype}")
        summarize = a.size > OPTIONS.threshold
        body = _body(a, indent, summarize, _Formatter(_summarized(a) if summarize else a))
    dev = t.device
    if dev.type != "cpu":
        suffixes.append(f"device='{dev.type}:{dev.index or 0}'")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    out = [prefix + body]
    last = len(out[0]) - out[0].rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > OPTIONS.linewidth:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"
