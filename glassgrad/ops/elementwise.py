"""Element-wise ops and their derivatives.

Each op is a Function whose forward works on arrays and whose backward is written with glassgrad
ops, so it can be differentiated again. The unary table below reads like a calculus reference:
``name, y = f(x), dx = g(x, y, dy)``. Every binary op's gradient passes through ``grad_for``, the one
helper that undoes broadcasting.
"""
import math

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ._util import array_of, binary_arrays, broadcast_shapes, grad_for, grad_meta, grad_to

__all__ = ["add", "sub", "mul", "div", "pow", "neg", "maximum", "minimum", "where", "lerp", "clamp", "clip", "sign", "abs", "exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tanh", "sigmoid", "erf", "relu", "silu", "leaky_relu", "elu", "gelu", "softplus", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isinf", "isfinite"]



# ---- binary arithmetic -------------------------------------------------------------------------
def _binary_forward(op, ufunc, x, y):
    a, b = binary_arrays(x, y)
    try:
        return ufunc(a, b)
    except ValueError:
        broadcast_shapes(op, np.shape(a), np.shape(b))
        raise


class Add(Function):
    """z = x + y;  dx = dz,  dy = dz"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.meta = (grad_meta(x), grad_meta(y))
        return _binary_forward("add", np.add, x, y)

    @staticmethod
    def backward(ctx, dz):
        mx, my = ctx.meta
        return grad_to(dz, mx), grad_to(dz, my)


class Sub(Function):
    """z = x - y;  dx = dz,  dy = -dz"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.meta = (grad_meta(x), grad_meta(y))
        return _binary_forward("sub", np.subtract, x, y)

    @staticmethod
    def backward(ctx, dz):
        mx, my = ctx.meta
        return grad_to(dz, mx), grad_to(-dz, my) if my is not None else None


class Mul(Function):
    """z = x * y;  dx = dz * y,  dy = dz * x"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return _binary_forward("mul", np.multiply, x, y)

    @staticmethod
    def backward(ctx, dz):
        x, y = ctx.saved_tensors
        return (grad_for(dz * y, x) if _needs(x) else None,
                grad_for(dz * x, y) if _needs(y) else None)


class Div(Function):
    """z = x / y;  dx = dz / y,  dy = -dz * x / y²"""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        a, b = binary_arrays(x, y)
        if a.dtype.kind in "biu" if hasattr(a, "dtype") else False:  # true division, like PyTorch
            from .. import backend
            a = a.astype(backend.get_default_dtype())
        try:
            return np.true_divide(a, b)
        except ValueError:
            broadcast_shapes("div", np.shape(a), np.shape(b))
            raise

    @staticmethod
    def backward(ctx, dz):
        x, y = ctx.saved_tensors
        return (grad_for(dz / y, x) if _needs(x) else None,
                grad_for(-dz * x / (y * y), y) if _needs(y) else None)


class Pow(Function):
    """z = x ** y;  dx = dz * y * x ** (y - 1),  dy = dz * z * log(x)"""

    @staticmethod
    def forward(ctx, x, y):
        a, b = binary_arrays(x, y)
        z = np.power(a, b)
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx, dz):
        x, y, z = ctx.saved_tensors
        dx = dy = None
        if _needs(x):
            if isinstance(y, Tensor):
                dx = grad_for(dz * y * x ** (y - 1), x)
            elif y == 2:
                dx = grad_for(dz * 2 * x, x)
            else:
                dx = grad_for(dz * y * x ** (y - 1), x) if y != 0 else grad_for(dz * 0, x)
        if _needs(y):
            # 0 ** y has derivative 0 in y where x == 0 (PyTorch's convention, avoiding 0 * -inf)
            safe_log = where(x == 0, 0, log(where(x == 0, 1, x))) if isinstance(x, Tensor) else math.log(x) if x != 0 else 0.0
            dy = grad_for(dz * z * safe_log, y)
        return dx, dy


class Maximum(Function):
    """z = max(x, y);  the gradient goes to the larger input, split evenly on ties"""

    @staticmethod
    def forward(ctx, x, y):
        a, b = binary_arrays(x, y)
        ctx.save_for_backward(x, y, (a > b).astype(a.dtype) + 0.5 * (a == b))
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, dz):
        x, y, wx = ctx.saved_tensors
        return (grad_for(dz * wx, x) if _needs(x) else None,
                grad_for(dz * (1 - wx), y) if _needs(y) else None)


class Minimum(Function):
    """z = min(x, y);  the gradient goes to the smaller input, split evenly on ties"""

    @staticmethod
    def forward(ctx, x, y):
        a, b = binary_arrays(x, y)
        ctx.save_for_backward(x, y, (a < b).astype(a.dtype) + 0.5 * (a == b))
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, dz):
        x, y, wx = ctx.saved_tensors
        return (grad_for(dz * wx, x) if _needs(x) else None,
                grad_for(dz * (1 - wx), y) if _needs(y) else None)


class Where(Function):
    """z = x where cond else y;  dx = dz where cond else 0,  dy = dz where not cond else 0"""

    @staticmethod
    def forward(ctx, cond, x, y):
        c = array_of(cond)
        if c.dtype != np.bool_:
            raise TypeError(f"where: condition must be a bool tensor, got {c.dtype}; compare first (x > 0)")
        ctx.save_for_backward(cond, x, y)
        a, b = binary_arrays(x, y)
        try:
            return np.where(c, a, b)
        except ValueError:
            broadcast_shapes("where", np.shape(c), np.shape(a), np.shape(b))
            raise

    @staticmethod
    def backward(ctx, dz):
        cond, x, y = ctx.saved_tensors
        zero = dz * 0
        return (None,
                grad_for(where(cond, dz, zero), x) if _needs(x) else None,
                grad_for(where(cond, zero, dz), y) if _needs(y) else None)


def _needs(t):
    return isinstance(t, Tensor) and t.requires_grad


# ---- unary ops: one line each ------------------------------------------------------------------
class _Unary(Function):
    """y = f(x);  dx = df(x, y, dy). Subclasses set ``f`` (arrays) and ``df`` (tensors)."""

    @staticmethod
    def forward(ctx, x, **params):
        ctx.params = params
        y = ctx.f(x.array, **params)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, dy):
        x, y = ctx.saved_tensors
        return ctx.df(x, y, dy, **ctx.params)


def _unary(name, f, df, doc):
    return type(name, (_Unary,), {"f": staticmethod(f), "df": staticmethod(df), "__doc__": doc})


def _gelu(a, approximate="none"):
    if approximate == "tanh":
        return 0.5 * a * (1 + np.tanh(_K * (a + 0.044715 * a ** 3)))
    return 0.5 * a * (1 + _erf(a / math.sqrt(2)))


def _gelu_grad(x, y, dy, approximate="none"):
    if approximate == "tanh":
        inner = _K * (x + 0.044715 * x ** 3)
        t = tanh(inner)
        return dy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _K * (1 + 3 * 0.044715 * x * x))
    cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
    pdf = exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
    return dy * (cdf + x * pdf)


_K = math.sqrt(2 / math.pi)


def _erf(a):
    try:
        from scipy.special import erf as scipy_erf
        return scipy_erf(a).astype(a.dtype, copy=False)
    except ImportError:
        return _erf_numpy(a)


def _erf_numpy(a):
    """erf to float64 precision without SciPy (the Python math.erf, vectorized)."""
    flat = np.asarray(a, dtype=np.float64).reshape(-1)
    return np.fromiter((math.erf(v) for v in flat), np.float64, flat.size).reshape(np.shape(a)).astype(a.dtype)


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
    return np.where(ba > threshold, a, np.logaddexp(0, ba) / beta).astype(a.dtype, copy=False)


Neg = _unary("Neg", np.negative, lambda x, y, dy: -dy, "y = -x;  dx = -dy")
Abs = _unary("Abs", np.abs, lambda x, y, dy: dy * sign(x), "y = |x|;  dx = dy * sign(x)")
Exp = _unary("Exp", np.exp, lambda x, y, dy: dy * y, "y = eˣ;  dx = dy * y")
Expm1 = _unary("Expm1", np.expm1, lambda x, y, dy: dy * (y + 1), "y = eˣ - 1;  dx = dy * (y + 1)")
Log = _unary("Log", np.log, lambda x, y, dy: dy / x, "y = ln x;  dx = dy / x")
Log1p = _unary("Log1p", np.log1p, lambda x, y, dy: dy / (x + 1), "y = ln(1 + x);  dx = dy / (1 + x)")
Sqrt = _unary("Sqrt", np.sqrt, lambda x, y, dy: dy / (2 * y), "y = √x;  dx = dy / (2y)")
Rsqrt = _unary("Rsqrt", lambda a: 1 / np.sqrt(a), lambda x, y, dy: dy * -0.5 * y * y * y,
               "y = 1/√x;  dx = -dy * y³ / 2")
Reciprocal = _unary("Reciprocal", lambda a: 1 / a, lambda x, y, dy: -dy * y * y, "y = 1/x;  dx = -dy * y²")
Sin = _unary("Sin", np.sin, lambda x, y, dy: dy * cos(x), "y = sin x;  dx = dy * cos x")
Cos = _unary("Cos", np.cos, lambda x, y, dy: -dy * sin(x), "y = cos x;  dx = -dy * sin x")
Tanh = _unary("Tanh", np.tanh, lambda x, y, dy: dy * (1 - y * y), "y = tanh x;  dx = dy * (1 - y²)")
Sigmoid = _unary("Sigmoid", _sigmoid, lambda x, y, dy: dy * y * (1 - y), "y = σ(x);  dx = dy * y(1 - y)")
Erf = _unary("Erf", _erf, lambda x, y, dy: dy * (2 / math.sqrt(math.pi)) * exp(-x * x),
             "y = erf x;  dx = dy * 2/√π * exp(-x²)")
Relu = _unary("Relu", lambda a: np.maximum(a, 0), lambda x, y, dy: dy * (x > 0).to(dy.dtype),
              "y = max(x, 0);  dx = dy * [x > 0]")
LeakyRelu = _unary("LeakyRelu", lambda a, negative_slope=0.01: np.where(a > 0, a, a * negative_slope),
                   lambda x, y, dy, negative_slope=0.01: dy * where(x > 0, 1.0, negative_slope).to(dy.dtype),
                   "y = x if x > 0 else a·x;  dx = dy * (1 if x > 0 else a)")
Elu = _unary("Elu", lambda a, alpha=1.0: np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0))),
             lambda x, y, dy, alpha=1.0: dy * where(x > 0, 1.0, y + alpha).to(dy.dtype),
             "y = x if x > 0 else α(eˣ - 1);  dx = dy * (1 if x > 0 else y + α)")
Gelu = _unary("Gelu", _gelu, _gelu_grad,
              "y = x·Φ(x) (or its tanh approximation);  dx = dy * (Φ(x) + x·φ(x))")
Silu = _unary("Silu", lambda a: a * _sigmoid(a),
              lambda x, y, dy: dy * (sigmoid(x) * (1 + x * (1 - sigmoid(x)))),
              "y = x·σ(x);  dx = dy * σ(x)(1 + x(1 - σ(x)))")
Softplus = _unary("Softplus", _softplus,
                  lambda x, y, dy, beta=1.0, threshold=20.0: dy * where(x * beta > threshold, 1.0, sigmoid(x * beta)).to(dy.dtype),
                  "y = ln(1 + e^(βx))/β;  dx = dy * σ(βx)")
Clamp = _unary("Clamp", lambda a, min=None, max=None: np.clip(a, min, max),
               lambda x, y, dy, min=None, max=None: dy * _inside(x, min, max),
               "y = min(max(x, lo), hi);  dx = dy * [lo <= x <= hi]")


def _inside(x, lo, hi):
    mask = None
    if lo is not None:
        mask = x >= lo
    if hi is not None:
        mask = (x <= hi) if mask is None else logical_and(mask, x <= hi)
    return mask.to(x.dtype)


# ---- functional forms --------------------------------------------------------------------------
def add(x, y, alpha=1):
    """x + alpha * y, broadcasting."""
    return Add.apply(x, y if alpha == 1 else y * alpha)


def sub(x, y, alpha=1):
    """x - alpha * y, broadcasting."""
    return Sub.apply(x, y if alpha == 1 else y * alpha)


def mul(x, y):
    return Mul.apply(x, y)


def div(x, y, rounding_mode=None):
    """x / y (true division); ``rounding_mode`` 'trunc' or 'floor' gives integer-valued results."""
    if rounding_mode is None:
        return Div.apply(x, y)
    a, b = binary_arrays(x, y)
    op = np.floor_divide if rounding_mode == "floor" else lambda p, q: np.trunc(p / q).astype(np.result_type(p, q))
    return Tensor._make(np.asarray(op(a, b)), False, None, 0)


def pow(x, y):
    return Pow.apply(x, y)


def neg(x):
    return Neg.apply(x)


def maximum(x, y):
    return Maximum.apply(x, y)


def minimum(x, y):
    return Minimum.apply(x, y)


def where(cond, x=None, y=None):
    """Elements of ``x`` where ``cond`` else of ``y``, broadcasting; ``where(cond)`` alone gives the
    indices of the true elements, like ``nonzero(as_tuple=True)``."""
    if x is None and y is None:
        return tuple(Tensor._make(i.astype(np.int64), False, None, 0) for i in np.nonzero(array_of(cond)))
    return Where.apply(cond, x, y)


def lerp(start, end, weight):
    """start + weight * (end - start)."""
    return start + weight * (end - start)


def clamp(x, min=None, max=None):
    """Clip ``x`` to [min, max] (either may be None; tensors clamp element-wise)."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x if min is None else maximum(x, min)
        return out if max is None else minimum(out, max)
    return Clamp.apply(x, min=min, max=max)


clip = clamp


def sign(x):
    """-1, 0 or 1 by the sign of each element (zero gradient)."""
    return Tensor._make(np.sign(x.array), False, None, 0)


def _unary_fn(cls, doc):
    def fn(x):
        return cls.apply(x)
    fn.__doc__ = doc
    fn.__name__ = cls.__name__.lower()
    return fn


abs = _unary_fn(Abs, "|x| element-wise.")
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
erf = _unary_fn(Erf, "The error function.")
relu = _unary_fn(Relu, "max(x, 0) element-wise.")
silu = _unary_fn(Silu, "x·σ(x) (swish).")


def leaky_relu(x, negative_slope=0.01):
    """x if x > 0 else negative_slope·x."""
    return LeakyRelu.apply(x, negative_slope=negative_slope)


def elu(x, alpha=1.0):
    """x if x > 0 else alpha·(eˣ - 1)."""
    return Elu.apply(x, alpha=alpha)


def gelu(x, approximate="none"):
    """x·Φ(x), Φ the standard normal CDF; ``approximate='tanh'`` for the tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(x, approximate=approximate)


def softplus(x, beta=1.0, threshold=20.0):
    """ln(1 + e^(βx))/β; linear where βx > threshold."""
    return Softplus.apply(x, beta=beta, threshold=threshold)


# ---- comparison and logic (no gradient) --------------------------------------------------------
def _compare(ufunc, name):
    def fn(x, y):
        a, b = binary_arrays(x, y)
        try:
            return Tensor._make(np.asarray(ufunc(a, b)), False, None, 0)
        except ValueError:
            broadcast_shapes(name, np.shape(a), np.shape(b))
            raise
    fn.__name__ = name
    fn.__doc__ = f"Element-wise ``{name}`` as a bool tensor (no gradient)."
    return fn


eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
logical_and = _compare(np.logical_and, "logical_and")
logical_or = _compare(np.logical_or, "logical_or")
logical_xor = _compare(np.logical_xor, "logical_xor")


def logical_not(x):
    """Element-wise not, as a bool tensor."""
    return Tensor._make(np.logical_not(array_of(x)), False, None, 0)


def isnan(x):
    """True where ``x`` is NaN."""
    return Tensor._make(np.isnan(x.array), False, None, 0)


def isinf(x):
    """True where ``x`` is +inf or -inf."""
    return Tensor._make(np.isinf(x.array), False, None, 0)


def isfinite(x):
    """True where ``x`` is neither NaN nor infinite."""
    return Tensor._make(np.isfinite(x.array), False, None, 0)


# ---- dtype conversion --------------------------------------------------------------------------
class Cast(Function):
    """y = x converted to another dtype;  dx = dy converted back"""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.dtype = x.array.dtype
        return x.array.astype(dtype)

    @staticmethod
    def backward(ctx, dy):
        return dy.to(ctx.dtype)


METHODS = {
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div, "divide": div,
    "true_divide": div, "pow": pow, "neg": neg, "negative": neg, "abs": abs, "sign": sign,
    "reciprocal": reciprocal, "sqrt": sqrt, "rsqrt": rsqrt, "exp": exp, "log": log, "log1p": log1p,
    "expm1": expm1, "sin": sin, "cos": cos, "tanh": tanh, "sigmoid": sigmoid, "erf": erf, "relu": relu,
    "leaky_relu": leaky_relu, "elu": elu, "gelu": gelu, "silu": silu, "softplus": softplus, "clamp": clamp,
    "clip": clamp, "maximum": maximum, "minimum": minimum, "where": lambda self, cond, other: where(cond, self, other),
    "lerp": lerp, "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "logical_and": logical_and,
    "logical_or": logical_or, "logical_xor": logical_xor, "logical_not": logical_not, "isnan": isnan,
    "isinf": isinf, "isfinite": isfinite,
}
