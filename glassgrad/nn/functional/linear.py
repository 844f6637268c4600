"""nn.functional linear maps: ``F.linear`` (y = x Wᵀ + b), one fused op with its backward."""
from ... import parallel
from ...autograd.function import Function

__all__ = ["linear", "bilinear"]


class Linear(Function):
    """y = x Wᵀ + b over any leading dims of x;
    dx = dy W,  dW = dyᵀ x (leading dims flattened),  db = Σ dy over the leading dims"""

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        a, w = x.array, weight.array
        if w.ndim != 2:
            raise RuntimeError(f"linear: weight must be 2-D (out_features, in_features), got shape {tuple(w.shape)}")
        if a.ndim == 0 or a.shape[-1] != w.shape[1]:
            raise RuntimeError(f"linear: mat1 and mat2 shapes cannot be multiplied (input {tuple(a.shape)}, "
                               f"weight {tuple(w.shape)}): the input's last dim must equal in_features={w.shape[1]}")
        if a.dtype != w.dtype or (bias is not None and bias.array.dtype != w.dtype):
            raise RuntimeError(f"linear: expected input, weight and bias of the same dtype, got input {a.dtype}, "
                               f"weight {w.dtype}" + ("" if bias is None else f", bias {bias.array.dtype}")
                               + "; convert with .to(dtype) or model.to(dtype)")
        if bias is not None and bias.array.shape != (w.shape[0],):
            raise RuntimeError(f"linear: bias must have shape ({w.shape[0]},), got {tuple(bias.array.shape)}")
        lead = a.shape[:-1]
        a2 = a.reshape(-1, w.shape[1]) if a.ndim != 2 else a
        y = parallel.matmul(a2, w.T)
        if bias is not None:
            y += bias.array
        need = ctx.needs_input_grad
        ctx.has_bias = bias is not None
        ctx.save_for_backward(x if need[1] else None, weight if need[0] else None)
        return y.reshape(lead + (w.shape[0],)) if a.ndim != 2 else y

    @staticmethod
    def backward(ctx, dy):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        dx = dw = db = None
        # leading dims flattened (a view): every product is one 2-D GEMM
        dy2 = dy.reshape(-1, dy.shape[-1]) if dy.ndim != 2 else dy
        if need[0]:
            dx = dy2 @ weight
            if dy.ndim != 2:
                dx = dx.reshape(dy.shape[:-1] + (weight.shape[1],))
        if need[1] or (ctx.has_bias and need[2]):
            if need[1]:
                x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
                dw = dy2.transpose(0, 1) @ x2
            if ctx.has_bias and need[2]:
                db = dy2.sum(0)
        return dx, dw, db

    @staticmethod
    def raw_backward(ctx, dy):
        x, weight = ctx.saved_arrays
        need = ctx.needs_input_grad
        dx = dw = db = None
        dy2 = dy.reshape(-1, dy.shape[-1]) if dy.ndim != 2 else dy
        if need[0]:
            dx = parallel.matmul(dy2, weight).reshape(dy.shape[:-1] + (weight.shape[1],))
        if need[1]:
            dw = parallel.matmul(dy2.T, x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x)
        if ctx.has_bias and need[2]:
            db = dy2.sum(0)
        return dx, dw, db


def linear(input, weight, bias=None):
    """y = input @ weightᵀ + bias, one fused op.

    Shape:
        - input: (*, in_features); weight: (out_features, in_features); bias: (out_features,)
        - output: (*, out_features)
    """
    return Linear.apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """y[..., o] = Σ_ij input1[..., i] · weight[o, i, j] · input2[..., j] + bias[o], as two GEMM
    products (differentiable again).

    Shape:
        - input1: (*, in1_features); input2: (*, in2_features) with the same leading dims
        - weight: (out_features, in1_features, in2_features); bias: (out_features,)
        - output: (*, out_features)
    """
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear: expected a 3-d weight (out_features, in1_features, in2_features), got "
                           f"shape {tuple(weight.shape)}")
    o, i1, i2 = weight.shape
    if input1.ndim == 0 or input1.shape[:-1] != input2.shape[:-1] or input1.shape[-1] != i1 or input2.shape[-1] != i2:
        raise RuntimeError(f"bilinear: expected input1 (*, {i1}) and input2 (*, {i2}) with the same leading dims "
                           f"for weight {tuple(weight.shape)}, got {tuple(input1.shape)} and {tuple(input2.shape)}")
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"bilinear: expected bias of shape ({o},), got {tuple(bias.shape)}")
    lead = input1.shape[:-1]
    x1, x2 = input1.reshape(-1, i1), input2.reshape(-1, i2)
    t = (x1 @ weight.permute(1, 0, 2).reshape(i1, o * i2)).reshape(-1, o, i2)   # Σ_i x1_i W_oij
    y = (t @ x2.unsqueeze(2)).squeeze(2)                                           # Σ_j ... x2_j
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (o,))
