"""Writing files so that a reader never sees half of one: through a temporary file in the same
folder, renamed over the target (the run files, the HTML report, ONNX models)."""
import os
import tempfile

__all__ = ["atomic_write"]


def atomic_write(path, data):
    """Write ``data`` (bytes) to ``path`` through a temporary file in the same folder, renamed over
    ``path``; on any failure the temporary file is removed and ``path`` is left as it was."""
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=f".{os.path.basename(path)}.",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
