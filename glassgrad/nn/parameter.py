"""``nn.Parameter``: a tensor that a Module registers as one of its learnable parameters."""
from ..autograd.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default; assigning one to a Module attribute registers
    it in ``module.parameters()``.

    Args:
        data: a Tensor or array-like (the data is shared, not copied, when it is a Tensor).
        requires_grad: default True.
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            import numpy as np
            data = np.empty(0, dtype=np.float32)
        super().__init__(data.array if isinstance(data, Tensor) else data)
        if requires_grad:
            self.requires_grad = True

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(Tensor(self.array.copy()), self.requires_grad)
        if self.grad is not None:
            out.grad = Tensor(self.grad.array.copy())
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol):
        return (Parameter, (Tensor(self.array), self.requires_grad))
