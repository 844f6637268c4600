"""The Numba kernel of ReLU's backward (imported on first use: importing it compiles the kernel or
loads it from Numba's cache). NumPy's masked copies (``copyto(..., where=)``, ``putmask``, ``where``)
run one element at a time through a generic loop, ~20x slower than this one pass."""
from .jit_math import jit


@jit
def relu_grad(dy, y, out):
    """out = 0 where y <= 0, else dy (PyTorch's threshold_backward: NaN in y passes dy through);
    C-contiguous arrays of one shape."""
    d, v, o = dy.ravel(), y.ravel(), out.ravel()
    for i in range(o.size):
        o[i] = 0 if v[i] <= 0 else d[i]
