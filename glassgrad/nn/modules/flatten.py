"""nn modules: ``Flatten`` and ``Unflatten`` (reshapes of a range of dims)."""
from ...ops._util import normalize_dim
from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Flatten dims ``start_dim``..``end_dim`` into one (by default all but the batch dim).

    Shape:
        - Input: (*, S_start, ..., S_end, *); Output: (*, S_start·...·S_end, *).
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        shape = tuple(input.shape)
        if not shape:
            return input.reshape(1)
        start = normalize_dim(self.start_dim, len(shape), "Flatten")
        end = normalize_dim(self.end_dim, len(shape), "Flatten")
        if start > end:
            raise RuntimeError(f"Flatten: start_dim ({self.start_dim}) cannot come after end_dim ({self.end_dim}) "
                               f"for an input of shape {shape}")
        size = 1
        for n in shape[start:end + 1]:
            size *= n
        return input.reshape(shape[:start] + (size,) + shape[end + 1:])

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dim ``dim`` into ``unflattened_size`` (one entry may be -1).

    Shape:
        - Input: (*, S_dim, *); Output: (*, U_1, ..., U_n, *) with U_1·...·U_n = S_dim.
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(dim, int):
            raise TypeError(f"Unflatten: invalid type of dim {type(dim).__name__}; expected an int "
                            "(named dimensions are not supported)")
        if not isinstance(unflattened_size, (tuple, list)) or not all(isinstance(n, int) for n in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        shape = tuple(input.shape)
        d = normalize_dim(self.dim, len(shape), "Unflatten")
        sizes = list(self.unflattened_size)
        known = 1
        for n in sizes:
            if n != -1:
                known *= n
        if sizes.count(-1) > 1 or (sizes.count(-1) == 0 and known != shape[d]) or \
                (sizes.count(-1) == 1 and (known == 0 or shape[d] % known)):
            raise RuntimeError(f"Unflatten: unflattened_size {self.unflattened_size} doesn't match dim {self.dim} "
                               f"of size {shape[d]} in input shape {shape}; the product of sizes must equal it")
        if -1 in sizes:
            sizes[sizes.index(-1)] = shape[d] // known
        return input.reshape(shape[:d] + tuple(sizes) + shape[d + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
