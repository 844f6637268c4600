"""The default process group: ``init_process_group``, ranks, and taking the job down when a rank
fails (PyTorch's ``torch.distributed`` names, on MPI's ``COMM_WORLD``)."""
import sys
import traceback

from . import mpi

__all__ = ["init_process_group", "destroy_process_group", "is_initialized", "is_available", "get_rank",
           "get_world_size", "get_backend", "group", "GroupMember"]

_BACKENDS = ("mpi",)


class _State:
    comm = None           # MPI communicator of the default group, None before init_process_group
    previous_hook = None  # sys.excepthook before init_process_group


_state = _State()


class GroupMember:
    """``group.WORLD``: the default group (the only group this backend has)."""
    WORLD = "WORLD"


group = GroupMember


def is_available():
    """True when the MPI backend can be used (mpi4py and an MPI library are installed)."""
    return mpi.available()


def is_initialized():
    """True between ``init_process_group`` and ``destroy_process_group``."""
    return _state.comm is not None


def init_process_group(backend="mpi", init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the default process group: every process started by ``mpiexec -n N``.

    Only ``backend="mpi"`` exists: MPI itself knows the ranks, so ``init_method``, ``store`` and
    ``timeout`` are not needed; ``world_size`` and ``rank``, if given, must agree with MPI's.
    From here on an uncaught exception on any rank prints its traceback and aborts every rank
    (``MPI_Abort``), instead of leaving the others waiting forever in a collective.
    """
    if backend is None:
        backend = "mpi"
    if str(backend).lower() not in _BACKENDS:
        raise ValueError(f"init_process_group: backend {backend!r} is not available in glassgrad; use "
                         f"backend='mpi' and launch with mpiexec -n N python script.py")
    if _state.comm is not None:
        raise RuntimeError("init_process_group: trying to initialize the default process group twice; "
                           "call destroy_process_group() first")
    MPI = mpi.load()
    comm = MPI.COMM_WORLD
    if world_size not in (-1, None) and world_size != comm.Get_size():
        raise ValueError(f"init_process_group: world_size={world_size} but mpiexec started "
                         f"{comm.Get_size()} processes; pass -n {world_size} to mpiexec or drop world_size")
    if rank not in (-1, None) and rank != comm.Get_rank():
        raise ValueError(f"init_process_group: rank={rank} but MPI gave this process rank {comm.Get_rank()}; "
                         "let MPI assign ranks (drop rank=)")
    _state.comm = comm
    _state.previous_hook = sys.excepthook
    sys.excepthook = _abort_job
    return None


def destroy_process_group(group=None):
    """Leave the default process group (MPI itself is finalized when the process exits)."""
    _check_group(group, "destroy_process_group")
    if _state.comm is None:
        raise RuntimeError("destroy_process_group: the default process group is not initialized")
    if sys.excepthook is _abort_job:
        sys.excepthook = _state.previous_hook
    _state.comm = None


def _abort_job(exc_type, exc, tb):
    """sys.excepthook while a group is up: report, then abort every rank of the job."""
    comm = _state.comm
    rank, size = comm.Get_rank(), comm.Get_size()
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    # one write: output still buffered in the launcher when MPI_Abort lands can be lost, and the
    # traceback must not arrive without the line that says what happens next
    sys.stderr.write(f"[rank {rank}] {text}glassgrad.distributed: rank {rank} of {size} failed with "
                     f"{exc_type.__name__} (traceback above); aborting all ranks (MPI_Abort) so that the others "
                     "do not wait forever\n")
    sys.stderr.flush()
    comm.Abort(1)


def _check_group(group, op):
    if group not in (None, GroupMember.WORLD):
        raise ValueError(f"{op}: only the default group (group=None) exists with the MPI backend, got {group!r}")


def communicator(group=None, op="distributed"):
    """The MPI communicator of ``group`` (the default one), or a RuntimeError before init."""
    _check_group(group, op)
    if _state.comm is None:
        raise RuntimeError(f"{op}: the default process group has not been initialized; call "
                           "glassgrad.distributed.init_process_group(backend='mpi') first")
    return _state.comm


def get_rank(group=None):
    """This process's rank in the group, 0 .. world_size - 1."""
    return communicator(group, "get_rank").Get_rank()


def get_world_size(group=None):
    """The number of processes in the group."""
    return communicator(group, "get_world_size").Get_size()


def get_backend(group=None):
    """The backend's name: ``"mpi"``."""
    communicator(group, "get_backend")
    return "mpi"
