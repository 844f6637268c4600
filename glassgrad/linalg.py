"""``glassgrad.linalg``: PyTorch's ``torch.linalg`` — norms, inverses, solvers, determinants and
decompositions, each differentiable (the ops are in ``glassgrad/ops/decompositions.py`` and
``glassgrad/ops/norms.py``)."""
from .ops.decompositions import (cholesky, cross, det, eigh, eigvalsh, inv, pinv, qr, slogdet, solve,
                                 solve_triangular, svd, svdvals)
from .ops.linalg import matmul
from .ops.norms import matrix_norm, norm, vector_norm

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "solve", "solve_triangular", "det", "slogdet", "svd",
           "svdvals", "eigh", "eigvalsh", "qr", "cholesky", "pinv", "cross", "matmul"]
