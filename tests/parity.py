"""Shared helpers of the parity tests: random inputs for both frameworks."""
import numpy as np


def random_arrays(shapes, rng, dtype, noncontig):
    """Standard-normal arrays of ``shapes``; with ``noncontig``, strided views (every other element
    of a bigger buffer) so that ops see non-contiguous inputs."""
    out = []
    for s in shapes:
        if noncontig and len(s) > 0:
            out.append(rng.standard_normal(tuple(s) + (2,)).astype(dtype)[..., 0])
        else:
            out.append(np.asarray(rng.standard_normal(s)).astype(dtype))
    return out


def as_tuple(out):
    """An op's result as a tuple of outputs."""
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)
