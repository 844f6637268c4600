"""Fetching data files: ``download_url`` (urllib into a temp file, checked, then renamed) and the
clear message that says which files to put where when there is no network."""
import hashlib
import os
import tempfile
import urllib.error
import urllib.request

__all__ = ["download_url", "missing_files_message", "DownloadError"]


class DownloadError(RuntimeError):
    """A download failed (offline, HTTP error, checksum mismatch); the message says what to do."""


def _md5(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download_url(url, path, md5=None, timeout=30):
    """Download ``url`` to ``path``: written to a temp file in the same folder, checked against
    ``md5`` when given, then renamed, so an interrupted download never leaves a partial file.

    Raises:
        DownloadError: the download or the checksum failed (the message names URL and path).
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".download-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            request = urllib.request.Request(url, headers={"User-Agent": "glassgrad"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    out.write(chunk)
        if md5 is not None and _md5(tmp) != md5:
            raise DownloadError(f"download of {url} is corrupt: md5 {_md5(tmp)} != expected {md5}")
        os.replace(tmp, path)
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise DownloadError(f"could not download {url} to {path}: {getattr(e, 'reason', e)}") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def missing_files_message(name, folder, files, urls=()):
    """The message for data that is not there: which files to put in which folder, and from where."""
    listed = ", ".join(files)
    where = f" (from {', '.join(urls)})" if urls else ""
    return (f"{name} not found: put {listed} in {os.path.abspath(folder)}{where}, "
            "or pass download=True when online")
