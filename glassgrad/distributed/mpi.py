"""The MPI library under ``glassgrad.distributed``: mpi4py, imported on first use.

``pip install "glassgrad[distributed]"`` brings MPICH and mpi4py from PyPI, so no system MPI is
needed; launch with ``mpiexec -n N python train.py``.
"""

_MPI = None


def load():
    """mpi4py's ``MPI`` module, or an ImportError saying how to install it."""
    global _MPI
    if _MPI is None:
        try:
            from mpi4py import MPI
        except ImportError as e:
            raise ImportError("glassgrad.distributed needs mpi4py and an MPI library: "
                              'pip install "glassgrad[distributed]" (or pip install mpich mpi4py)') from e
        _MPI = MPI
    return _MPI


def available():
    """True when mpi4py (and so an MPI library) can be imported."""
    try:
        load()
    except ImportError:
        return False
    return True
