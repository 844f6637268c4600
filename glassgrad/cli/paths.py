"""Checks of the files a command reads and writes, made before any work, each failing with one line
that names the flag and the path."""
import os
import stat

from .errors import fail

__all__ = ["check_output", "check_readable"]


def check_output(path, flag="--out"):
    """Refuse an output path that cannot become a regular file written by renaming a temporary file
    over it: a directory, symbolic link, FIFO, socket or device; a write-protected file; a folder
    that is missing or not writable."""
    path = os.fspath(path)
    if not path:
        raise fail(f"{flag} is empty; give a file name")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise fail(f"{flag} {path}: {e.strerror}") from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise fail(f"{flag} {path} is a symbolic link; give the path of a regular file")
        if stat.S_ISDIR(st.st_mode):
            raise fail(f"{flag} {path} is a directory; give a file name, e.g. {os.path.join(path, 'model.safetensors')}")
        if not stat.S_ISREG(st.st_mode):
            kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                    else "a device file")
            raise fail(f"{flag} {path} is {kind}, not a regular file; give the path of a regular file")
        if not st.st_mode & 0o222 or not os.access(path, os.W_OK):
            raise fail(f"{flag} {path} exists and is write-protected; make it writable, remove it or choose "
                       "another path")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise fail(f"{flag} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise fail(f"{flag} {path}: the folder {folder} is not writable")
    return path


def check_readable(path, flag):
    """Refuse a file that cannot be read (naming ``flag``)."""
    if not os.access(path, os.R_OK):
        raise fail(f"{flag} {path} is not readable (permission denied)")
    return path
