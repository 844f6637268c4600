"""nn modules: padding layers (``ZeroPad1d/2d/3d``, ``ConstantPad1d/2d/3d``, ``ReflectionPad1d/2d/3d``,
``ReplicationPad1d/2d/3d``, ``CircularPad1d/2d/3d``), each ``F.pad`` with a fixed mode and padding."""
from ...ops.shape import pad
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


def _padding(name, padding, n):
    """``padding`` as the 2n-tuple (left, right, top, bottom, front, back)[:2n]."""
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    padding = tuple(int(p) for p in padding)
    if len(padding) != 2 * n:
        raise ValueError(f"{name}: padding must be an int or a tuple of {2 * n} ints, got {padding}")
    return padding


class _PadNd(Module):
    _mode = "constant"
    _n = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _padding(type(self).__name__, padding, self._n)

    def forward(self, input):
        rank = self._n + 1
        if input.ndim not in (rank, rank + 1):
            raise ValueError(f"{type(self).__name__}: expected {rank}D or {rank + 1}D input, got {input.ndim}D input "
                             f"of shape {tuple(input.shape)}")
        return pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


_SHAPES = {1: "(C, W) or (N, C, W) -> (C, W_out) or (N, C, W_out), W_out = W + left + right",
           2: "(C, H, W) or (N, C, H, W) -> H_out = H + top + bottom, W_out = W + left + right",
           3: "(C, D, H, W) or (N, C, D, H, W) -> each of D, H, W grows by its two paddings"}


def _doc(what, n, extra=""):
    return (f"Pads the last {n} dim{'s' if n > 1 else ''} {what}.\n\n    Args:\n        padding: an int (all sides) or "
            f"a {2 * n}-tuple (left, right{', top, bottom' if n > 1 else ''}{', front, back' if n > 2 else ''})."
            f"{extra}\n\n    Shape:\n        - {_SHAPES[n]}.\n    ")


def _make(name, base, mode, n, what, extra=""):
    attrs = {"_mode": mode, "_n": n, "__doc__": _doc(what, n, extra), "__module__": __name__}
    if name.startswith("ZeroPad"):
        def __init__(self, padding):
            _ConstantPadNd.__init__(self, padding, 0.0)
        attrs["__init__"] = __init__
        attrs["extra_repr"] = lambda self: f"{self.padding}"
    return type(name, (base,), attrs)


ZeroPad1d = _make("ZeroPad1d", _ConstantPadNd, "constant", 1, "with zeros")
ZeroPad2d = _make("ZeroPad2d", _ConstantPadNd, "constant", 2, "with zeros")
ZeroPad3d = _make("ZeroPad3d", _ConstantPadNd, "constant", 3, "with zeros")
ConstantPad1d = _make("ConstantPad1d", _ConstantPadNd, "constant", 1, "with ``value``", "\n        value: the fill value.")
ConstantPad2d = _make("ConstantPad2d", _ConstantPadNd, "constant", 2, "with ``value``", "\n        value: the fill value.")
ConstantPad3d = _make("ConstantPad3d", _ConstantPadNd, "constant", 3, "with ``value``", "\n        value: the fill value.")
ReflectionPad1d = _make("ReflectionPad1d", _PadNd, "reflect", 1, "by mirroring the input (without repeating the edge)")
ReflectionPad2d = _make("ReflectionPad2d", _PadNd, "reflect", 2, "by mirroring the input (without repeating the edge)")
ReflectionPad3d = _make("ReflectionPad3d", _PadNd, "reflect", 3, "by mirroring the input (without repeating the edge)")
ReplicationPad1d = _make("ReplicationPad1d", _PadNd, "replicate", 1, "by repeating the edge values")
ReplicationPad2d = _make("ReplicationPad2d", _PadNd, "replicate", 2, "by repeating the edge values")
ReplicationPad3d = _make("ReplicationPad3d", _PadNd, "replicate", 3, "by repeating the edge values")
CircularPad1d = _make("CircularPad1d", _PadNd, "circular", 1, "by wrapping around")
CircularPad2d = _make("CircularPad2d", _PadNd, "circular", 2, "by wrapping around")
CircularPad3d = _make("CircularPad3d", _PadNd, "circular", 3, "by wrapping around")
