"""Start a script under ``mpiexec -n N`` from a test (MPICH from PyPI: no system MPI needed)."""
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mpiexec():
    """The ``mpiexec`` installed beside this Python (the ``mpich`` wheel), else the one on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = here if os.path.exists(here) else shutil.which("mpiexec")
    if found is None:
        raise RuntimeError("mpiexec not found: pip install mpich mpi4py (the test extra installs them)")
    return found


def run_ranks(n, script, *args, timeout=120):
    """Run ``python script args...`` on ``n`` ranks (oversubscribing the cores is fine; ``script`` may be
    ``"-m"`` followed by a module); the CompletedProcess."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               GLASSGRAD_NUM_THREADS="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               # more ranks than cores: a rank waiting in MPI sleeps now and then instead of spinning
               MPIR_CVAR_CH4_PROGRESS_THROTTLE="1", MPIR_CVAR_CH4_PROGRESS_THROTTLE_NO_PROGRESS_COUNT="64")
    return subprocess.run([mpiexec(), "-n", str(n), sys.executable, script, *map(str, args)], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)
