"""Element-wise ops and their derivatives.

Each op is a Function whose forward works on arrays and whose backward is written with glassgrad
ops, so it can be differentiated again. The unary table below reads like a calculus reference:
``name, y = f(x), dx = g(x, y, dy)``. Every binary op's gradient passes through ``grad_for``, the one
helper that undoes broadcasting.
"""
import builtins
import math

import numpy as np

from .. import backend, parallel
from ..autograd.function import Function
from ..autograd.tensor import Tensor, wrap_array
from ._gelu_float32 import erf_float32, gelu_float32, gelu_grad_float32
from ._util import add_tangents, linear_jvp, raw_grad_to, array_of, binary_arrays, broadcast_shapes, grad_for, grad_meta, grad_to, promote_types

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "remainder",
           "floor_divide", "pow", "neg",
           "negative", "maximum", "minimum", "where", "lerp", "clamp", "clip", "sign", "abs", "exp", "expm1",
           "log", "log1p", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tanh", "sigmoid", "erf", "relu",
           "silu", "leaky_relu", "elu", "gelu", "softplus", "eq", "ne", "lt", "le", "gt", "ge",
           "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf", "isfinite",
           "floor", "ceil", "round", "trunc", "fix", "frac", "square", "tan", "asin", "acos", "atan", "sinh", "cosh",
           "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "exp2", "log2",
           "log10", "erfinv", "nan_to_num"]


def _needs(t):
    return isinstance(t, Tensor) and t.requires_grad


def _zeros_like(t):
    return wrap_array(np.zeros_like(t.array))


def _shapes_error(op, *arrays):
    """Raise the op's broadcasting error when the shapes do not broadcast (else return)."""
    broadcast_shapes(op, *(np.shape(a) for a in arrays))


# ---- binary arithmetic -------------------------------------------------------------------------
def _binary_forward(op, ufunc, x, y):
    a, b = binary_arrays(x, y)
    try:
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is NaN silently, as in PyTorch
            return np.asarray(ufunc(a, b))
    except (ValueError, TypeError):
        _shapes_error(op, a, b)
        raise


class Add(Function):
    """z = x + y;  dx = dz,  dy = dz"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.meta = (grad_meta(x), grad_meta(y))
        return _binary_forward("add", np.add, x, y)

    @staticmethod
    def jvp(ctx, tx, ty):
        return add_tangents(tx, ty)

    @staticmethod
    def backward(ctx, dz):
        mx, my = ctx.meta
        return grad_to(dz, mx), grad_to(dz, my)

    @staticmethod
    def raw_backward(ctx, dz):
        mx, my = ctx.meta
        return raw_grad_to(dz, mx), raw_grad_to(dz, my)


class Sub(Function):
    """z = x - y;  dx = dz,  dy = -dz"""

    @staticmethod
    def forward(ctx, x, y):
        a, b = binary_arrays(x, y)
        if getattr(a, "dtype", None) == np.bool_ and getattr(b, "dtype", None) == np.bool_:
            raise RuntimeError("sub: subtraction, the `-` operator, with two bool tensors is not supported; "
                               "use the `^` or logical_xor() operator instead")
        ctx.meta = (grad_meta(x), grad_meta(y))
        return _binary_forward("sub", np.subtract, a, b)

    @staticmethod
    def jvp(ctx, tx, ty):
        return add_tangents(tx, -ty if ty is not None else None)

    @staticmethod
    def backward(ctx, dz):
        mx, my = ctx.meta
        return grad_to(dz, mx), grad_to(-dz, my) if my is not None else None

    @staticmethod
    def raw_backward(ctx, dz):
        mx, my = ctx.meta
        return raw_grad_to(dz, mx), raw_grad_to(-dz, my) if my is not None else None


class Mul(Function):
    """z = x * y;  dx = dz * y,  dy = dz * x"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x if _needs(y) else None, y if _needs(x) else None)
        ctx.meta = (grad_meta(x), grad_meta(y))
        return _binary_forward("mul", np.multiply, x, y)

    @staticmethod
    def jvp(ctx, tx, ty):
        x, y = ctx.fw_inputs
        return add_tangents(tx * y if tx is not None else None, x * ty if ty is not None else None)

    @staticmethod
    def backward(ctx, dz):
        x, y = ctx.saved_tensors
        mx, my = ctx.meta
        return (grad_to(dz * y, mx) if mx is not None else None,
                grad_to(dz * x, my) if my is not None else None)

    @staticmethod
    def raw_backward(ctx, dz):
        x, y = ctx.saved_arrays
        mx, my = ctx.meta
        return (raw_grad_to(dz * y, mx) if mx is not None else None,
                raw_grad_to(dz * x, my) if my is not None else None)


def _true_division_arrays(x, y):
    """The operands converted for true division: integers and bools divide as the default float."""
    a, b = binary_arrays(x, y)
    dtype = np.result_type(a, b) if hasattr(a, "dtype") or hasattr(b, "dtype") else None
    if dtype is not None and dtype.kind in "biu":
        f = backend.get_default_dtype()
        a = a.astype(f) if hasattr(a, "astype") else f.type(a)
        b = b.astype(f) if hasattr(b, "astype") else f.type(b)
    return a, b


class Div(Function):
    """z = x / y;  dx = dz / y,  dy = -dz * x / y²"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x if _needs(y) else None, y)
        ctx.meta = (grad_meta(x), grad_meta(y))
        a, b = _true_division_arrays(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            try:
                return np.asarray(np.true_divide(a, b))
            except ValueError:
                _shapes_error("div", a, b)
                raise

    @staticmethod
    def jvp(ctx, tx, ty):
        (x, y), (z,) = ctx.fw_inputs, ctx.fw_outputs
        return add_tangents(tx / y if tx is not None else None, -ty * z / y if ty is not None else None)

    @staticmethod
    def backward(ctx, dz):
        x, y = ctx.saved_tensors
        mx, my = ctx.meta
        return (grad_to(dz / y, mx) if mx is not None else None,
                grad_to(-dz * (x / y) / y, my) if my is not None else None)


class DivRounded(Function):
    """z = trunc(x / y) or floor(x / y);  dx = dy = 0 (piecewise constant)"""

    @staticmethod
    def forward(ctx, x, y, rounding_mode):
        ctx.meta = (grad_meta(x), grad_meta(y))
        a, b = binary_arrays(x, y)
        dtype = np.result_type(a, b)
        try:
            np.broadcast_shapes(np.shape(a), np.shape(b))
        except ValueError:
            _shapes_error("div", a, b)
        _no_bool(f"div (rounding_mode={rounding_mode!r})", dtype)
        if dtype.kind in "biu":
            if np.any(np.asarray(b) == 0):
                raise RuntimeError("div: integer division by zero (ZeroDivisionError); divide floats or "
                                   "mask the zero divisors first")
            q = np.floor_divide(a, b)
            if rounding_mode == "trunc":  # floor rounds negative quotients down: step back up by one
                q = q + ((np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)))
            return np.asarray(q, dtype=dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.floor_divide(a, b) if rounding_mode == "floor" else np.trunc(np.true_divide(a, b))
        return np.asarray(q, dtype=dtype)

    @staticmethod
    def backward(ctx, dz):
        mx, my = ctx.meta
        zero = _zeros_like(dz)
        return grad_to(zero, mx), grad_to(zero, my)


def _no_bool(op, dtype):
    """PyTorch has no rounding division or remainder of two bools (NumPy does)."""
    if dtype == np.bool_:
        raise RuntimeError(f"{op}: not implemented for two bool operands; convert one to an integer or "
                           "float dtype first (x.long())")


class Remainder(Function):
    """z = x - floor(x / y)·y (the sign of y, like Python's %);  dx = dz,  dy = -dz · floor(x / y)"""

    @staticmethod
    def forward(ctx, x, y):
        a, b = binary_arrays(x, y)
        _no_bool("remainder", np.result_type(a, b))
        if np.result_type(a, b).kind in "biu" and np.any(np.asarray(b) == 0):
            raise RuntimeError("remainder: integer division by zero (ZeroDivisionError); mask the zero divisors "
                               "first")
        ctx.meta = (grad_meta(x), grad_meta(y))
        if ctx.meta[1] is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                ctx.save_for_backward(np.floor_divide(a, b))
        with np.errstate(divide="ignore", invalid="ignore"):
            return _binary_forward("remainder", np.remainder, a, b)

    @staticmethod
    def backward(ctx, dz):
        mx, my = ctx.meta
        return grad_to(dz, mx), grad_to(-dz * ctx.saved_tensors[0], my) if my is not None else None


def remainder(input, other):
    """The element-wise remainder of input / other with the sign of ``other`` (Python's ``%``)."""
    return Remainder.apply(input, other)


def floor_divide(input, other):
    """input / other rounded down (``//``), keeping the promoted dtype."""
    return DivRounded.apply(input, other, "floor")


class Pow(Function):
    """z = x ** y;  dx = dz * y * x ** (y - 1),  dy = dz * z * log(x)"""

    @staticmethod
    def forward(ctx, x, y):
        if all(isinstance(v, bool) or (isinstance(v, Tensor) and v.dtype == np.bool_) for v in (x, y)):
            raise RuntimeError("pow: not implemented for two bool operands; convert one first (x.long())")
        a, b = binary_arrays(x, y)
        integer = np.result_type(a, b).kind in "iu"
        if integer and not isinstance(y, Tensor) and np.any(np.asarray(b) < 0):
            raise RuntimeError("pow: integers to negative integer powers are not allowed; convert the base "
                               "to float first (x.float() ** y)")
        if integer and np.any(np.asarray(b) < 0):  # PyTorch: 1 and -1 keep a value, anything else gives 0
            a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
            neg = b < 0
            z = np.power(a, np.where(neg, 0, b))
            z = np.where(neg, np.where(a == 1, 1, np.where(a == -1, 1 - 2 * (np.abs(b) % 2), 0)), z).astype(z.dtype)
            ctx.save_for_backward(x, y, None)
            return np.asarray(z)
        try:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                # PyTorch computes x ** ±0.5 as sqrt/rsqrt, which differ from pow at -0 and -inf
                if type(y) is float and y in (0.5, -0.5) and np.asarray(a).dtype.kind in "fc":
                    z = np.asarray(np.sqrt(a) if y > 0 else 1 / np.sqrt(a))
                else:
                    z = np.asarray(np.power(a, b))
        except ValueError:
            _shapes_error("pow", a, b)
            raise
        ctx.save_for_backward(x, y, z if _needs(y) else None)  # z (the result) only for the exponent's gradient
        return z

    @staticmethod
    def jvp(ctx, tx, ty):
        (x, y), (z,) = ctx.fw_inputs, ctx.fw_outputs
        dx = tx * y * x ** (y - 1) if tx is not None and not (type(y) in (int, float) and y == 0) else None
        dy = ty * z * (log(x) if isinstance(x, Tensor) else float(np.log(x))) if ty is not None else None
        return add_tangents(dx, dy)

    @staticmethod
    def backward(ctx, dz):
        x, y, z = ctx.saved_tensors
        dx = dy = None
        if _needs(x):
            if isinstance(y, Tensor):  # PyTorch: the gradient is 0 where the exponent is 0
                dx = where(y == 0, _zeros_like(dz), dz * y * x ** (y - 1))
            elif y == 0:
                dx = _zeros_like(dz)
            elif y == 2:
                dx = dz * 2 * x
            else:
                dx = dz * y * x ** (y - 1)
            dx = grad_for(dx, x)
        if _needs(y):
            # where x == 0 and y >= 0 the gradient is 0 (PyTorch's convention, avoiding 0 * -inf)
            if isinstance(x, Tensor):
                zero_base = logical_and(x == 0, y >= 0)
                dy = where(zero_base, _zeros_like(dz), dz * z * log(where(zero_base, 1.0, x)))
            elif x == 0:
                dy = where(y >= 0, _zeros_like(dz), dz * z * float("-inf"))
            else:
                with np.errstate(invalid="ignore"):
                    dy = dz * z * float(np.log(float(x)))
            dy = grad_for(dy, y)
        return dx, dy


class _MaxMin(Function):
    """z = max(x, y) or min(x, y);  the gradient goes to the selected input, split evenly on ties.
    Where x or y is NaN both get all of it (PyTorch's rule: an input gets no gradient only where it
    is strictly beaten)."""

    @staticmethod
    def forward(ctx, x, y):
        a, b = binary_arrays(x, y)
        try:
            z = np.asarray(ctx.ufunc(a, b))
        except ValueError:
            _shapes_error(ctx.op, a, b)
            raise
        if z.dtype.kind == "f" and (_needs(x) or _needs(y)):
            tie = a == b
            wx = np.where(tie, 0.5, np.where(ctx.beaten(a, b), 0.0, 1.0)).astype(z.dtype) if _needs(x) else None
            wy = np.where(tie, 0.5, np.where(ctx.beaten(b, a), 0.0, 1.0)).astype(z.dtype) if _needs(y) else None
            # x and y are saved too, as PyTorch saves them: changing one in place is an error at backward
            ctx.save_for_backward(wx, wy, x if isinstance(x, Tensor) else None, y if isinstance(y, Tensor) else None)
        ctx.meta = (grad_meta(x), grad_meta(y))
        return z

    @staticmethod
    def jvp(ctx, tx, ty):
        a, b = binary_arrays(*ctx.fw_inputs)
        dtype = ctx.fw_outputs[0].dtype
        wx = wrap_array(np.where(a == b, 0.5, np.where(ctx.beaten(a, b), 0.0, 1.0)).astype(dtype))
        return add_tangents(tx * wx if tx is not None else None, ty * (1 - wx) if ty is not None else None)

    @staticmethod
    def backward(ctx, dz):
        wx, wy, _, _ = ctx.saved_tensors
        mx, my = ctx.meta
        return (grad_to(dz * wx, mx) if mx is not None else None,
                grad_to(dz * wy, my) if my is not None else None)


class Maximum(_MaxMin):
    """z = max(x, y);  dx = dz where not x < y (half on ties),  dy = dz where not y < x"""
    op, ufunc, beaten = "maximum", staticmethod(np.maximum), staticmethod(np.less)


class Minimum(_MaxMin):
    """z = min(x, y);  dx = dz where not x > y (half on ties),  dy = dz where not y > x"""
    op, ufunc, beaten = "minimum", staticmethod(np.minimum), staticmethod(np.greater)


class Where(Function):
    """z = x where cond else y;  dx = dz where cond else 0,  dy = dz where not cond else 0"""

    @staticmethod
    def forward(ctx, cond, x, y):
        c = array_of(cond)
        if getattr(c, "dtype", None) != np.bool_:
            raise TypeError(f"where: condition must be a bool tensor, got "
                            f"{getattr(c, 'dtype', type(c).__name__)}; compare first (x > 0)")
        if not hasattr(array_of(x), "dtype") and not hasattr(array_of(y), "dtype"):
            dtype = promote_types(x, y)  # two Python numbers: floats give the default dtype
            if dtype.kind in "fiu":
                dtype = backend.get_default_dtype() if dtype.kind == "f" else np.dtype(np.int64)
            a, b = dtype.type(x), dtype.type(y)
        else:
            a, b = binary_arrays(x, y)
        ctx.save_for_backward(cond)
        ctx.meta = (grad_meta(x), grad_meta(y))
        try:
            return np.asarray(np.where(c, a, b))
        except ValueError:
            _shapes_error("where", c, a, b)
            raise

    jvp = linear_jvp

    @staticmethod
    def backward(ctx, dz):
        (cond,) = ctx.saved_tensors
        mx, my = ctx.meta
        zero = _zeros_like(dz)
        return (None,
                grad_to(where(cond, dz, zero), mx) if mx is not None else None,
                grad_to(where(cond, zero, dz), my) if my is not None else None)


class ClampTensor(Function):
    """z = min(max(x, lo), hi) with tensor bounds;  dx = dz where lo <= x <= hi,
    dlo = dz where x < lo (and lo < hi),  dhi = dz where x > hi (or hi < lo)"""

    @staticmethod
    def forward(ctx, x, lo, hi):
        arrays = [array_of(v) for v in (x, lo, hi) if v is not None]
        try:
            np.broadcast_shapes(*(np.shape(v) for v in arrays))
        except ValueError:
            _shapes_error("clamp", *arrays)
        probe = x.array  # PyTorch's result type over (x, lo, hi), 0-d bounds counting as scalars
        for v in (lo, hi):
            if v is not None:
                probe = np.broadcast_to(np.empty((), promote_types(probe, array_of(v))), probe.shape)
        dtype = probe.dtype
        z = x.array.astype(dtype, copy=False)
        if lo is not None:
            z = np.maximum(z, np.asarray(array_of(lo)).astype(dtype, copy=False))
        if hi is not None:
            z = np.minimum(z, np.asarray(array_of(hi)).astype(dtype, copy=False))
        ctx.save_for_backward(x, lo, hi)
        return np.asarray(z)

    @staticmethod
    def backward(ctx, dz):
        x, lo, hi = ctx.saved_tensors
        zero = _zeros_like(dz)
        keep = None
        if lo is not None:
            keep = x >= lo
        if hi is not None:
            keep = x <= hi if keep is None else logical_and(keep, x <= hi)
        dlo = dhi = None
        if _needs(lo):
            below = x < lo if hi is None else logical_and(x < lo, lo < hi)
            dlo = grad_for(where(below, dz, zero), lo)
        if _needs(hi):
            above = x > hi if lo is None else logical_or(x > hi, hi < lo)
            dhi = grad_for(where(above, dz, zero), hi)
        return grad_for(where(keep, dz, zero), x) if _needs(x) else None, dlo, dhi


# ---- unary ops: one line each ------------------------------------------------------------------
class _Unary(Function):
    """y = f(x);  dx = df(x, y, dy). Subclasses set ``f`` (arrays), ``df`` (tensors), ``saves``
    (which of x and y backward reads) and ``kind``: 'float' ops compute integer inputs in the default
    float dtype, 'act' ops accept floating inputs only, 'any' ops keep the input dtype, 'round' ops
    keep integer dtypes and refuse bool."""

    saves = "xy"
    kind = "float"

    @staticmethod
    def forward(ctx, x, **params):
        if not isinstance(x, Tensor):
            raise TypeError(f"{ctx.op}(): argument 'input' must be a Tensor, not {type(x).__name__}")
        a = x.array
        if a.dtype == np.bool_ and ctx.op in ("abs", "relu"):  # PyTorch has no bool abs or relu
            raise RuntimeError(f"{ctx.op}: not implemented for bool tensors; convert the input first (x.long())")
        if a.dtype.kind in "biu":
            if ctx.kind == "float":
                a = a.astype(backend.get_default_dtype())
            elif ctx.kind == "act":
                raise RuntimeError(f"{ctx.op}: not implemented for dtype {a.dtype}; convert the input to a "
                                   "floating dtype first (x.float())")
            elif ctx.kind == "round" and a.dtype == np.bool_:
                raise RuntimeError(f"{ctx.op}: not implemented for bool tensors; convert the input first (x.long())")
        ctx.params = params
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            y = np.asarray(ctx.f(a, **params))
        ctx.save_for_backward(x if "x" in ctx.saves else None, y if "y" in ctx.saves else None)
        return y

    @staticmethod
    def jvp(ctx, tx, *_):  # element-wise: the Jacobian is diagonal, so J·t is the backward formula at t
        return ctx.df(ctx.fw_inputs[0], ctx.fw_outputs[0], tx, **ctx.params)

    @staticmethod
    def backward(ctx, dy):
        x, y = ctx.saved_tensors
        return ctx.df(x, y, dy, **ctx.params)


def _raw_unary_backward(ctx, dy):
    x, y = ctx.saved_arrays
    return ctx.df(x, y, dy, **ctx.params)


def _raw_unary_backward_quiet(ctx, dy):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # 1/0 -> inf, like PyTorch
        return _raw_unary_backward(ctx, dy)


def _unary(name, f, df, doc, saves="xy", kind="float", raw=False):
    """A unary op class. ``raw=True`` when ``df`` uses arithmetic operators only: then the same
    formula also runs on raw arrays, the engine's fast path when no double backward is wanted
    (``raw="quiet"`` when it may divide by zero: NumPy's warnings are silenced)."""
    return type(name, (_Unary,), {"f": staticmethod(f), "df": staticmethod(df), "__doc__": doc,
                                  "saves": saves, "kind": kind, "op": name.lower(),
                                  "raw_backward": None if not raw else staticmethod(
                                      _raw_unary_backward_quiet if raw == "quiet" else _raw_unary_backward)})


_K = math.sqrt(2 / math.pi)


def _gelu(a, approximate="none"):
    if approximate == "tanh":
        return 0.5 * a * (1 + np.tanh(a.dtype.type(_K) * (a + a.dtype.type(0.044715) * a * a * a)))
    if a.dtype == np.float32 and type(a) is np.ndarray:
        return gelu_float32(a)
    return a * 0.5 * (1 + _erf(a * a.dtype.type(1 / math.sqrt(2))))


def _gelu_grad(x, y, dy, approximate="none"):
    if approximate == "tanh":
        t = tanh(_K * (x + 0.044715 * x * x * x))
        return dy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _K * (1 + 3 * 0.044715 * x * x))
    cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
    pdf = exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
    return dy * (cdf + x * pdf)


def _gelu_raw_backward(ctx, dy):
    """``_gelu_grad`` on arrays: one blocked pass for float32, NumPy formulas otherwise."""
    x = ctx.saved_arrays[0]
    if ctx.params.get("approximate", "none") == "tanh":
        k, c = x.dtype.type(_K), x.dtype.type(0.044715)
        t = np.tanh(k * (x + c * x * x * x))
        return dy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * c * x * x))
    if x.dtype == np.float32 and type(x) is np.ndarray and type(dy) is np.ndarray and dy.dtype == x.dtype:
        return gelu_grad_float32(x, dy)
    cdf = 0.5 * (1 + _erf(x * x.dtype.type(1 / math.sqrt(2))))
    pdf = np.exp(-0.5 * x * x) * x.dtype.type(1 / math.sqrt(2 * math.pi))
    return dy * (cdf + x * pdf)


def _erf(a):
    """erf to float64 accuracy (a few ulp), vectorized; the result has ``a``'s dtype (float32:
    the rational fit above)."""
    if getattr(a, "dtype", None) == np.float32 and type(a) is np.ndarray and a.ndim:
        return erf_float32(a)
    x = np.asarray(a, dtype=np.float64)
    ax = np.abs(x)
    out = np.empty_like(x)
    small = ax < 1.5
    # |x| < 1.5: erf x = 2/√π · e^(-x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·5···(2n+1)), all terms positive
    xs = ax[small]
    term, total, two_x2 = xs.copy(), xs.copy(), 2 * xs * xs
    for n in range(1, 36):
        term *= two_x2 / (2 * n + 1)
        total += term
    out[small] = (2 / math.sqrt(math.pi)) * np.exp(-xs * xs) * total
    # |x| >= 1.5: erfc x = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated backwards
    xl = np.minimum(ax[~small], 30.0)
    frac = xl.copy()
    for k in range(120, 0, -1):
        frac = xl + (k / 2) / frac
    out[~small] = 1 - np.exp(-xl * xl) / (math.sqrt(math.pi) * frac)
    return np.copysign(out, x).astype(np.result_type(a), copy=False)


def _sigmoid(a):
    # split by sign so that exp never overflows
    out = np.empty_like(a)
    pos = a >= 0
    np.divide(1, 1 + np.exp(-a, where=pos, out=np.zeros_like(a)), where=pos, out=out)
    e = np.exp(a, where=~pos, out=np.zeros_like(a))
    np.divide(e, 1 + e, where=~pos, out=out)
    return out


def _softplus(a, beta=1.0, threshold=20.0):
    ba = a * beta
    return np.where(ba > threshold, a, np.log1p(np.exp(ba)) / beta).astype(a.dtype, copy=False)


def _clamp_arrays(a, min=None, max=None):
    probe = a
    for bound in (min, max):
        if bound is not None:
            probe = np.broadcast_to(np.empty((), promote_types(probe, bound)), a.shape)
    dtype = probe.dtype
    a = a.astype(dtype, copy=False)
    if min is not None:
        a = np.maximum(a, _bound(min, dtype))
    if max is not None:
        a = np.minimum(a, _bound(max, dtype))
    return a


def _bound(value, dtype):
    """A clamp bound in the result dtype. Integers convert as in PyTorch: wrapping like C (-1 is 255
    for uint8) when |value| fits the type's range, an error otherwise."""
    if dtype.kind not in "iu":
        return dtype.type(value)
    info = np.iinfo(dtype)
    lo = -int(info.max) if info.min == 0 else int(info.min)
    if not lo <= int(value) <= int(info.max):
        raise RuntimeError(f"clamp: value {value} cannot be converted to type {dtype} without overflow; "
                           f"use a bound within [{lo}, {int(info.max)}] or convert the tensor first")
    return np.array(int(value)).astype(dtype)


def _inside(x, lo, hi):
    mask = None
    if lo is not None:
        mask = x >= lo
    if hi is not None:
        mask = (x <= hi) if mask is None else logical_and(mask, x <= hi)
    return mask


Neg = _unary("Neg", np.negative, lambda x, y, dy: -dy, "y = -x;  dx = -dy", saves="", kind="any", raw=True)
def _sign(a):
    """-1, 0 or 1; NaN gives 0, as in PyTorch (NumPy's sign gives NaN)."""
    if a.dtype == np.bool_:
        return a.copy()
    if a.dtype.kind != "f":
        return np.sign(a)
    return ((a > 0).astype(a.dtype) - (a < 0)).astype(a.dtype, copy=False)


Abs = _unary("Abs", np.abs, lambda x, y, dy: dy * sign(x), "y = |x|;  dx = dy * sign(x) (0 at NaN, like PyTorch)",
             saves="x", kind="any")
Sign = _unary("Sign", _sign, lambda x, y, dy: _zeros_like(dy), "y = sign x (0 at NaN);  dx = 0", saves="", kind="any")
Exp = _unary("Exp", np.exp, lambda x, y, dy: dy * y, "y = eˣ;  dx = dy * y", saves="y", raw=True)
Expm1 = _unary("Expm1", np.expm1, lambda x, y, dy: dy * (y + 1), "y = eˣ - 1;  dx = dy * (y + 1)", saves="y", raw=True)
Log = _unary("Log", np.log, lambda x, y, dy: dy / x, "y = ln x;  dx = dy / x", saves="x", raw="quiet")
Log1p = _unary("Log1p", np.log1p, lambda x, y, dy: dy / (x + 1), "y = ln(1 + x);  dx = dy / (1 + x)", saves="x", raw="quiet")
Sqrt = _unary("Sqrt", np.sqrt, lambda x, y, dy: dy / (2 * y), "y = √x;  dx = dy / (2y)", saves="y", raw="quiet")
Rsqrt = _unary("Rsqrt", lambda a: 1 / np.sqrt(a), lambda x, y, dy: dy * -0.5 * y * y * y,
               "y = 1/√x;  dx = -dy * y³ / 2", saves="y", raw="quiet")
Reciprocal = _unary("Reciprocal", lambda a: 1 / a, lambda x, y, dy: -dy * y * y, "y = 1/x;  dx = -dy * y²",
                    saves="y", raw="quiet")
Sin = _unary("Sin", np.sin, lambda x, y, dy: dy * cos(x), "y = sin x;  dx = dy * cos x", saves="x")
Cos = _unary("Cos", np.cos, lambda x, y, dy: -dy * sin(x), "y = cos x;  dx = -dy * sin x", saves="x")
Tanh = _unary("Tanh", np.tanh, lambda x, y, dy: dy * (1 - y * y), "y = tanh x;  dx = dy * (1 - y²)", saves="y", raw=True)
Sigmoid = _unary("Sigmoid", _sigmoid, lambda x, y, dy: dy * y * (1 - y), "y = σ(x);  dx = dy * y(1 - y)",
                 saves="y", raw=True)
Erf = _unary("Erf", _erf, lambda x, y, dy: dy * (2 / math.sqrt(math.pi)) * exp(-x * x),
             "y = erf x;  dx = dy * 2/√π * exp(-x²)", saves="x")
Relu = _unary("Relu", lambda a: parallel.map_chunks(np.maximum, np.empty_like(a), a, 0),
              lambda x, y, dy: where(y <= 0, _zeros_like(dy), dy), "y = max(x, 0);  dx = 0 where y <= 0 else dy",
              saves="y", kind="any")


relu_kernel_enabled = backend.FUSED_KERNELS  # (the tests switch it to run both paths)


def _relu_grad(dy, y, out):
    # PyTorch's threshold_backward: 0 where y <= 0, else dy (so NaN inputs pass dy through)
    if relu_kernel_enabled and type(dy) is np.ndarray and dy.flags.c_contiguous and y.flags.c_contiguous \
            and dy.dtype.kind == "f" and dy.dtype == y.dtype:
        from ._relu_numba import relu_grad
        relu_grad(dy, y, out)
        return
    np.copyto(out, dy)
    np.copyto(out, 0, where=y <= 0)


Relu.raw_backward = staticmethod(lambda ctx, dy: parallel.map_chunks(_relu_grad, np.empty_like(dy), dy,
                                                                     ctx.saved_arrays[1]))
LeakyRelu = _unary("LeakyRelu", lambda a, negative_slope=0.01: np.where(a > 0, a, a * negative_slope),
                   lambda x, y, dy, negative_slope=0.01: where(x > 0, dy, dy * negative_slope),
                   "y = x if x > 0 else a·x;  dx = dy * (1 if x > 0 else a)", saves="x", kind="act")
Elu = _unary("Elu", lambda a, alpha=1.0: np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0))),
             lambda x, y, dy, alpha=1.0: where(x > 0, dy, dy * (alpha * exp(x))),
             "y = x if x > 0 else α(eˣ - 1);  dx = dy * (1 if x > 0 else α·eˣ; NaN at NaN)", saves="x", kind="act")
Gelu = _unary("Gelu", _gelu, _gelu_grad, "y = x·Φ(x) (or its tanh approximation);  dx = dy * (Φ(x) + x·φ(x))",
              saves="x", kind="act")
Gelu.raw_backward = staticmethod(_gelu_raw_backward)
Silu = _unary("Silu", lambda a: a * _sigmoid(a),
              lambda x, y, dy: dy * (sigmoid(x) * (1 + x * (1 - sigmoid(x)))),
              "y = x·σ(x);  dx = dy * σ(x)(1 + x(1 - σ(x)))", saves="x", kind="act")
Softplus = _unary("Softplus", _softplus,
                  lambda x, y, dy, beta=1.0, threshold=20.0: where(x * beta > threshold, dy, dy * sigmoid(x * beta)),
                  "y = ln(1 + e^(βx))/β (x where βx > threshold);  dx = dy * σ(βx) (dy there)", saves="x",
                  kind="act")
Clamp = _unary("Clamp", _clamp_arrays,
               lambda x, y, dy, min=None, max=None: where(_inside(x, min, max), dy, _zeros_like(dy)),
               "y = min(max(x, lo), hi);  dx = dy * [lo <= x <= hi]", saves="x", kind="any")


def _integers_kept(f):
    """A rounding function that returns integer inputs unchanged (PyTorch keeps their dtype)."""
    return lambda a: a.copy() if a.dtype.kind in "iu" else f(a)


def _round(a, decimals=0):
    if a.dtype.kind in "iu":
        if decimals:
            raise RuntimeError(f"round: decimals={decimals} is not implemented for integer dtype {a.dtype}; "
                               "convert the input to float first (x.float())")
        return a.copy()
    return np.round(a, decimals)


def _erfinv(a):
    """The inverse of erf: Winitzki's closed form (to ~2e-3) refined by three Halley steps on erf."""
    y = np.asarray(a, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        c, ln = 0.147, np.log1p(-y * y)
        t = 2 / (math.pi * c) + ln / 2
        x = np.sign(y) * np.sqrt(np.sqrt(t * t - ln / c) - t)
        inner = np.abs(y) < 1
        xi = np.where(inner, x, 0.0)
        for _ in range(3):
            u = (_erf(xi) - y) / (2 / math.sqrt(math.pi) * np.exp(-xi * xi))
            xi = xi - u / (1 + xi * u)
        x = np.where(inner, xi, np.where(np.abs(y) == 1, np.sign(y) * np.inf, np.nan))
    return x.astype(np.result_type(a), copy=False)


_LN2, _LN10 = math.log(2), math.log(10)
Floor = _unary("Floor", _integers_kept(np.floor), lambda x, y, dy: _zeros_like(dy), "y = ⌊x⌋;  dx = 0", saves="",
               kind="round")
Ceil = _unary("Ceil", _integers_kept(np.ceil), lambda x, y, dy: _zeros_like(dy), "y = ⌈x⌉;  dx = 0", saves="",
              kind="round")
Trunc = _unary("Trunc", _integers_kept(np.trunc), lambda x, y, dy: _zeros_like(dy), "y = x rounded toward 0;  dx = 0",
               saves="", kind="round")
Round = _unary("Round", _round, lambda x, y, dy, decimals=0: _zeros_like(dy),
               "y = x rounded half to even (to ``decimals`` places);  dx = 0", saves="", kind="round")
Frac = _unary("Frac", lambda a: a - np.trunc(a), lambda x, y, dy: dy, "y = x - trunc x;  dx = dy", saves="", kind="act")
Square = _unary("Square", lambda a: a.astype(np.int64) if a.dtype == np.bool_ else np.square(a),
                lambda x, y, dy: dy * 2 * x, "y = x²;  dx = dy * 2x", saves="x", kind="any")
Tan = _unary("Tan", np.tan, lambda x, y, dy: dy * (1 + y * y), "y = tan x;  dx = dy * (1 + y²)", saves="y")
Asin = _unary("Asin", np.arcsin, lambda x, y, dy: dy / sqrt(1 - x * x), "y = asin x;  dx = dy / √(1 - x²)", saves="x")
Acos = _unary("Acos", np.arccos, lambda x, y, dy: -dy / sqrt(1 - x * x), "y = acos x;  dx = -dy / √(1 - x²)",
              saves="x")
Atan = _unary("Atan", np.arctan, lambda x, y, dy: dy / (1 + x * x), "y = atan x;  dx = dy / (1 + x²)", saves="x")
Sinh = _unary("Sinh", np.sinh, lambda x, y, dy: dy * cosh(x), "y = sinh x;  dx = dy * cosh x", saves="x")
Cosh = _unary("Cosh", np.cosh, lambda x, y, dy: dy * sinh(x), "y = cosh x;  dx = dy * sinh x", saves="x")
Asinh = _unary("Asinh", np.arcsinh, lambda x, y, dy: dy / sqrt(x * x + 1), "y = asinh x;  dx = dy / √(x² + 1)",
               saves="x")
Acosh = _unary("Acosh", np.arccosh, lambda x, y, dy: dy / sqrt(x * x - 1), "y = acosh x;  dx = dy / √(x² - 1)",
               saves="x")
Atanh = _unary("Atanh", np.arctanh, lambda x, y, dy: dy / (1 - x * x), "y = atanh x;  dx = dy / (1 - x²)", saves="x")
Exp2 = _unary("Exp2", np.exp2, lambda x, y, dy: dy * y * _LN2, "y = 2ˣ;  dx = dy * y ln 2", saves="y")
Log2 = _unary("Log2", np.log2, lambda x, y, dy: dy / (x * _LN2), "y = log₂ x;  dx = dy / (x ln 2)", saves="x")
Log10 = _unary("Log10", np.log10, lambda x, y, dy: dy / (x * _LN10), "y = log₁₀ x;  dx = dy / (x ln 10)", saves="x")
def _nan_to_num(a, nan=0.0, posinf=None, neginf=None):
    if a.dtype.kind not in "fc":
        return a.copy()
    info = np.finfo(a.dtype)
    return np.nan_to_num(a, nan=nan, posinf=info.max if posinf is None else posinf,
                         neginf=info.min if neginf is None else neginf)


NanToNum = _unary("NanToNum", _nan_to_num,
                  lambda x, y, dy, **_: where(isfinite(x), dy, _zeros_like(dy)),
                  "y = x with NaN, +inf, -inf replaced;  dx = dy where x is finite else 0", saves="x", kind="any")
Erfinv = _unary("Erfinv", _erfinv, lambda x, y, dy: dy * (math.sqrt(math.pi) / 2) * exp(y * y),
                "y = erf⁻¹ x;  dx = dy * √π/2 * exp(y²)", saves="y")


# ---- functional forms --------------------------------------------------------------------------
def add(input, other, *, alpha=1):
    """input + alpha * other, broadcasting with PyTorch's type promotion."""
    return Add.apply(input, other if alpha == 1 else other * alpha)


def sub(input, other, *, alpha=1):
    """input - alpha * other, broadcasting (not for bool operands, as in PyTorch)."""
    if any(isinstance(v, bool) or (isinstance(v, Tensor) and v.dtype == np.bool_) for v in (input, other)):
        raise RuntimeError("sub: Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                           "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Sub.apply(input, other if alpha == 1 else other * alpha)


def mul(input, other):
    """input * other element-wise, broadcasting."""
    return Mul.apply(input, other)


def div(input, other, *, rounding_mode=None):
    """input / other. Without ``rounding_mode`` this is true division (integers divide as floats);
    'trunc' rounds the quotient toward zero and 'floor' down, keeping the promoted dtype."""
    if rounding_mode is None:
        return Div.apply(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div: expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"{rounding_mode!r}")
    return DivRounded.apply(input, other, rounding_mode)


def pow(input, exponent):
    """input ** exponent element-wise (either may be a Python number)."""
    return Pow.apply(input, exponent)


def neg(input):
    """-input element-wise."""
    if isinstance(input, Tensor) and input.dtype == np.bool_:
        raise RuntimeError("neg: negation, the `-` operator, on a bool tensor is not supported; to invert a "
                           "mask use the `~` or logical_not() operator instead")
    return Neg.apply(input)


def _both_tensors(op, input, other):
    for name, v in (("input", input), ("other", other)):
        if not isinstance(v, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(v).__name__}; for a number "
                            f"use clamp (x.clamp(min=c) is maximum(x, c)) or wrap it: glassgrad.tensor(c)")


def maximum(input, other):
    """The element-wise maximum of two tensors (NaN propagates); on ties the gradient is split
    evenly."""
    _both_tensors("maximum", input, other)
    return Maximum.apply(input, other)


def minimum(input, other):
    """The element-wise minimum of two tensors (NaN propagates); on ties the gradient is split
    evenly."""
    _both_tensors("minimum", input, other)
    return Minimum.apply(input, other)


def where(condition, input=None, other=None):
    """Elements of ``input`` where ``condition`` else of ``other``, broadcasting; ``where(cond)``
    alone gives the indices of the true elements, like ``nonzero(as_tuple=True)``."""
    if input is None and other is None:
        return tuple(wrap_array(i.astype(np.int64)) for i in np.nonzero(array_of(condition)))
    return Where.apply(condition, input, other)


def lerp(input, end, weight):
    """input + weight * (end - input), computed as PyTorch does (from ``end`` when weight >= 0.5)."""
    arrays = [array_of(v) for v in (input, end, weight)]
    try:
        np.broadcast_shapes(*(np.shape(a) for a in arrays))
    except ValueError:
        _shapes_error("lerp", *arrays)
    diff = end - input
    if isinstance(weight, Tensor):
        return where(abs(weight) < 0.5, input + weight * diff, end - diff * (1 - weight))
    return input + weight * diff if builtins.abs(weight) < 0.5 else end - diff * (1 - weight)


def clamp(input, min=None, max=None):
    """Clip ``input`` to [min, max] (either may be None; tensor bounds clamp element-wise and get
    gradients where they are the selected value)."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return ClampTensor.apply(input, min, max)
    return Clamp.apply(input, min=min, max=max)


clip = clamp


def _unary_fn(cls, doc):
    def fn(input):
        return cls.apply(input)
    fn.__doc__ = doc
    fn.__name__ = cls.__name__.lower()
    return fn


abs = _unary_fn(Abs, "|x| element-wise.")
sign = _unary_fn(Sign, "-1, 0 or 1 by the sign of each element (zero gradient).")
exp = _unary_fn(Exp, "eˣ element-wise.")
expm1 = _unary_fn(Expm1, "eˣ - 1, accurate near 0.")
log = _unary_fn(Log, "Natural logarithm element-wise.")
log1p = _unary_fn(Log1p, "ln(1 + x), accurate near 0.")
sqrt = _unary_fn(Sqrt, "√x element-wise.")
rsqrt = _unary_fn(Rsqrt, "1/√x element-wise.")
reciprocal = _unary_fn(Reciprocal, "1/x element-wise.")
sin = _unary_fn(Sin, "sin x element-wise.")
cos = _unary_fn(Cos, "cos x element-wise.")
tanh = _unary_fn(Tanh, "tanh x element-wise.")
sigmoid = _unary_fn(Sigmoid, "The logistic function 1/(1 + e⁻ˣ), stable for large |x|.")
erf = _unary_fn(Erf, "The error function (float64-accurate without SciPy).")
relu = _unary_fn(Relu, "max(x, 0) element-wise.")
silu = _unary_fn(Silu, "x·σ(x) (swish).")
subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg
floor = _unary_fn(Floor, "The largest integer <= x, element-wise (integer inputs are returned as they are).")
ceil = _unary_fn(Ceil, "The smallest integer >= x, element-wise (integer inputs are returned as they are).")
trunc = _unary_fn(Trunc, "x rounded toward zero, element-wise (integer inputs are returned as they are).")
fix = trunc
frac = _unary_fn(Frac, "The fractional part x - trunc(x) (floating inputs only).")
square = _unary_fn(Square, "x² element-wise (bool gives int64, integers keep their dtype).")
tan = _unary_fn(Tan, "tan x element-wise.")
asin = _unary_fn(Asin, "The inverse sine element-wise.")
acos = _unary_fn(Acos, "The inverse cosine element-wise.")
atan = _unary_fn(Atan, "The inverse tangent element-wise.")
sinh = _unary_fn(Sinh, "The hyperbolic sine element-wise.")
cosh = _unary_fn(Cosh, "The hyperbolic cosine element-wise.")
asinh = _unary_fn(Asinh, "The inverse hyperbolic sine element-wise.")
acosh = _unary_fn(Acosh, "The inverse hyperbolic cosine element-wise.")
atanh = _unary_fn(Atanh, "The inverse hyperbolic tangent element-wise.")
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
exp2 = _unary_fn(Exp2, "2ˣ element-wise.")
log2 = _unary_fn(Log2, "The base-2 logarithm element-wise.")
log10 = _unary_fn(Log10, "The base-10 logarithm element-wise.")
erfinv = _unary_fn(Erfinv, "The inverse error function (±inf at ±1, NaN outside [-1, 1]).")


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """``input`` with NaN replaced by ``nan`` and ±inf by ``posinf``/``neginf`` (default: the dtype's
    largest and smallest finite values); the gradient is 0 at the replaced elements."""
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)


def round(input, *, decimals=0):
    """x rounded to ``decimals`` places, halves to even (integer inputs are returned as they are)."""
    return Round.apply(input, decimals=decimals)


def leaky_relu(input, negative_slope=0.01):
    """x if x > 0 else negative_slope·x."""
    return LeakyRelu.apply(input, negative_slope=negative_slope)


def elu(input, alpha=1.0):
    """x if x > 0 else alpha·(eˣ - 1)."""
    return Elu.apply(input, alpha=alpha)


def gelu(input, approximate="none"):
    """x·Φ(x), Φ the standard normal CDF; ``approximate='tanh'`` for the tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(input, approximate=approximate)


def softplus(input, beta=1.0, threshold=20.0):
    """ln(1 + e^(βx))/β; reverts to x where βx > threshold."""
    return Softplus.apply(input, beta=beta, threshold=threshold)


# ---- comparison and logic (no gradient) --------------------------------------------------------
def _compare(ufunc, name, none_result=None):
    def fn(input, other):
        if other is None and none_result is not None:  # x == None is False, like PyTorch
            return none_result
        a, b = binary_arrays(input, other)
        try:
            return wrap_array(np.asarray(ufunc(a, b)))
        except ValueError:
            _shapes_error(name, a, b)
            raise
    fn.__name__ = name
    fn.__doc__ = f"Element-wise ``{name}`` as a bool tensor (no gradient), broadcasting."
    return fn


eq = _compare(np.equal, "eq", none_result=False)
ne = _compare(np.not_equal, "ne", none_result=True)
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
logical_and = _compare(np.logical_and, "logical_and")
logical_or = _compare(np.logical_or, "logical_or")
logical_xor = _compare(np.logical_xor, "logical_xor")


def _bitwise(ufunc, name):
    def fn(x, y):
        a, b = binary_arrays(x, y)
        if np.result_type(a, b).kind not in "biu":
            raise TypeError(f"{name}: only integer and bool tensors are supported, got {np.result_type(a, b)}")
        return wrap_array(np.asarray(ufunc(a, b)))
    fn.__name__ = name
    fn.__doc__ = f"Element-wise ``{name}`` of integer or bool tensors (``&``, ``|``, ``^``)."
    return fn


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(x):
    """Element-wise not of an integer or bool tensor (``~x``)."""
    a = array_of(x)
    if a.dtype.kind not in "biu":
        raise TypeError(f"bitwise_not: only integer and bool tensors are supported, got {a.dtype}")
    return wrap_array(np.invert(a))


def logical_not(input):
    """Element-wise not, as a bool tensor."""
    return wrap_array(np.asarray(np.logical_not(array_of(input))))


def isnan(input):
    """True where ``input`` is NaN."""
    return wrap_array(np.asarray(np.isnan(input.array)))


def isinf(input):
    """True where ``input`` is +inf or -inf."""
    return wrap_array(np.asarray(np.isinf(input.array)))


def isfinite(input):
    """True where ``input`` is neither NaN nor infinite."""
    return wrap_array(np.asarray(np.isfinite(input.array)))


# ---- dtype conversion --------------------------------------------------------------------------
class Cast(Function):
    """y = x converted to another dtype;  dx = dy converted back"""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.array.dtype
        return x.array.astype(dtype)

    jvp = linear_jvp

    @staticmethod
    def backward(ctx, dy):
        return dy.to(ctx.dtype)


METHODS = {
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div, "divide": div,
    "true_divide": div, "remainder": remainder, "floor_divide": floor_divide, "pow": pow, "neg": neg,
    "negative": neg, "abs": abs, "absolute": abs, "sign": sign,
    "reciprocal": reciprocal, "sqrt": sqrt, "rsqrt": rsqrt, "exp": exp, "log": log, "log1p": log1p,
    "expm1": expm1, "sin": sin, "cos": cos, "tanh": tanh, "sigmoid": sigmoid, "erf": erf, "relu": relu,
    "leaky_relu": leaky_relu, "elu": elu, "gelu": gelu, "silu": silu, "softplus": softplus, "clamp": clamp,
    "clip": clamp, "maximum": maximum, "minimum": minimum,
    "where": lambda self, condition, other: where(condition, self, other),
    "lerp": lerp, "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "greater": gt, "less": lt,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "isnan": isnan, "isinf": isinf, "isfinite": isfinite,
    "bitwise_and": bitwise_and, "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not,
    "floor": floor, "ceil": ceil, "round": round, "trunc": trunc, "fix": trunc, "frac": frac, "square": square,
    "tan": tan, "asin": asin, "acos": acos, "atan": atan, "sinh": sinh, "cosh": cosh, "asinh": asinh,
    "acosh": acosh, "atanh": atanh, "arcsin": asin, "arccos": acos, "arctan": atan, "arcsinh": asinh,
    "arccosh": acosh, "arctanh": atanh, "exp2": exp2, "log2": log2, "log10": log10, "erfinv": erfinv,
    "nan_to_num": nan_to_num,
}


# ---- more activations (torch.nn.functional's element-wise ones; F.* adds their arguments) -----
# The gradient masks are PyTorch's, so that the gradient at the kinks and at NaN matches.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _zero_where(mask, dy):
    return where(mask, _zeros_like(dy), dy)


def _hardswish(a):
    return a * np.minimum(np.maximum(a + 3, 0), 6) / 6


def _mish(a):
    return a * np.tanh(np.logaddexp(0, a)).astype(a.dtype, copy=False)


def _mish_grad(x, y, dy):
    s = sigmoid(x)
    t = tanh(softplus(x))
    return dy * (t + x * s * (1 - t * t))


def _logsigmoid(a):
    return (np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))).astype(a.dtype, copy=False)


Hardtanh = _unary("Hardtanh", lambda a, min_val=-1.0, max_val=1.0: np.minimum(np.maximum(a, min_val), max_val).astype(a.dtype, copy=False),
                  lambda x, y, dy, min_val=-1.0, max_val=1.0: _zero_where(logical_or(x <= min_val, x >= max_val), dy),
                  "y = min(max(x, lo), hi);  dx = dy where lo < x < hi else 0", saves="x", kind="act")
Hardsigmoid = _unary("Hardsigmoid", lambda a: (np.minimum(np.maximum(a + 3, 0), 6) / 6).astype(a.dtype, copy=False),
                     lambda x, y, dy: where(logical_and(x > -3, x < 3), dy / 6, _zeros_like(dy)),
                     "y = min(max(x + 3, 0), 6) / 6;  dx = dy/6 where -3 < x < 3 else 0", saves="x", kind="act")
Hardswish = _unary("Hardswish", _hardswish,
                   lambda x, y, dy: _zero_where(x <= -3, where(x < 3, dy * (x / 3 + 0.5), dy)),
                   "y = x·min(max(x + 3, 0), 6) / 6;  dx = dy·(x/3 + 1/2) on (-3, 3), dy from 3 on, 0 up to -3",
                   saves="x", kind="act")
Selu = _unary("Selu", lambda a: (_SELU_SCALE * np.where(a > 0, a, _SELU_ALPHA * np.expm1(np.minimum(a, 0)))).astype(a.dtype, copy=False),
              lambda x, y, dy: where(x <= 0, dy * (_SELU_SCALE * _SELU_ALPHA) * exp(x), dy * _SELU_SCALE),
              "y = λ·(x if x > 0 else α(eˣ - 1));  dx = dy·λ (x > 0) or dy·λα·eˣ", saves="x", kind="act")
Celu = _unary("Celu", lambda a, alpha=1.0: np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0) / alpha)).astype(a.dtype, copy=False),
              lambda x, y, dy, alpha=1.0: where(x <= 0, dy * exp(x / alpha), dy),
              "y = x if x > 0 else α(e^(x/α) - 1);  dx = dy (x > 0) or dy·e^(x/α)", saves="x", kind="act")
Softsign = _unary("Softsign", lambda a: a / (1 + np.abs(a)), lambda x, y, dy: dy / ((1 + abs(x)) * (1 + abs(x))),
                  "y = x / (1 + |x|);  dx = dy / (1 + |x|)²", saves="x", kind="act")
Mish = _unary("Mish", _mish, _mish_grad, "y = x·tanh(softplus(x));  dx = dy·(t + x·σ(x)·(1 - t²)), t = tanh(softplus(x))",
              saves="x", kind="act")
Threshold = _unary("Threshold", lambda a, threshold=0.0, value=0.0: np.where(a <= threshold, value, a).astype(a.dtype, copy=False),
                   lambda x, y, dy, threshold=0.0, value=0.0: _zero_where(x <= threshold, dy),
                   "y = x if x > threshold else value;  dx = dy where x > threshold else 0", saves="x", kind="any")
Tanhshrink = _unary("Tanhshrink", lambda a: a - np.tanh(a), lambda x, y, dy: dy * tanh(x) * tanh(x),
                    "y = x - tanh x;  dx = dy·tanh²x", saves="x", kind="act")
LogSigmoid = _unary("LogSigmoid", _logsigmoid, lambda x, y, dy: dy * sigmoid(-x),
                    "y = log σ(x) = min(x, 0) - log(1 + e^(-|x|));  dx = dy·σ(-x)", saves="x", kind="act")
Hardshrink = _unary("Hardshrink", lambda a, lambd=0.5: np.where((a >= -lambd) & (a <= lambd), 0, a).astype(a.dtype, copy=False),
                    lambda x, y, dy, lambd=0.5: _zero_where(logical_and(x >= -lambd, x <= lambd), dy),
                    "y = x where |x| > λ else 0;  dx = dy where |x| > λ else 0", saves="x", kind="act")
Softshrink = _unary("Softshrink", lambda a, lambd=0.5: np.where(np.abs(a) <= lambd, 0, a - np.sign(a) * lambd).astype(a.dtype, copy=False),
                    lambda x, y, dy, lambd=0.5: _zero_where(logical_and(x >= -lambd, x <= lambd), dy),
                    "y = x - λ·sign(x) where |x| > λ else 0;  dx = dy where |x| > λ else 0", saves="x", kind="act")


def hardtanh(input, min_val=-1.0, max_val=1.0):
    """x clipped to [min_val, max_val] (zero gradient at and beyond the bounds)."""
    return Hardtanh.apply(input, min_val=min_val, max_val=max_val)


hardsigmoid = _unary_fn(Hardsigmoid, "min(max(x + 3, 0), 6) / 6.")
hardswish = _unary_fn(Hardswish, "x·min(max(x + 3, 0), 6) / 6.")
selu = _unary_fn(Selu, "scale·(x if x > 0 else alpha·(eˣ - 1)) with SELU's fixed alpha and scale.")
softsign = _unary_fn(Softsign, "x / (1 + |x|).")
mish = _unary_fn(Mish, "x·tanh(softplus(x)).")
tanhshrink = _unary_fn(Tanhshrink, "x - tanh x.")
logsigmoid = _unary_fn(LogSigmoid, "log σ(x), computed without overflow.")


def celu(input, alpha=1.0):
    """x if x > 0 else alpha·(e^(x/alpha) - 1)."""
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha must not be 0 (it divides x)")
    return Celu.apply(input, alpha=alpha)


def threshold(input, threshold, value):
    """x where x > threshold, else ``value``."""
    return Threshold.apply(input, threshold=threshold, value=value)


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    return Hardshrink.apply(input, lambd=lambd)


def softshrink(input, lambd=0.5):
    """x - lambd·sign(x) where |x| > lambd, else 0."""
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be {lambd}")
    return Softshrink.apply(input, lambd=lambd)
