"""The HTML report of a monitored run: one self-contained file (inline CSS and SVG charts drawn
with matplotlib, no script, nothing fetched) that opens offline in any browser.

``write_report(run_dir, path)`` writes it; ``glassgrad report RUN_DIR -o report.html`` is the same
from the command line, and ``--watch`` rewrites it while the run trains (``watch_report``)."""
import os

from ...files import atomic_write
from ..storage import RunRecord, load_run
from .build import default_title, render_report
from .figures import require_matplotlib
from .watch import watch_report

__all__ = ["write_report", "render_report", "watch_report", "require_matplotlib"]


def write_report(run, path, title=None, hist_steps=None, refresh=None):
    """Write the HTML report of ``run`` (a run directory, a ``RunRecord`` or a ``Monitor``) to
    ``path`` (through a temporary file, renamed); returns ``path``.

    Args:
        title: the page title (default: from the run directory's name).
        hist_steps: steps whose histograms to show (default: first, middle and last recorded).
        refresh: seconds after which the browser reloads the page (``watch_report`` sets it while
            the run trains), or None.
    """
    if isinstance(run, (str, os.PathLike)):
        title = title or default_title(run)
        run = load_run(os.fspath(run))
    run = getattr(run, "run", run)
    if not isinstance(run, RunRecord):
        raise TypeError(f"write_report: expected a run directory, a RunRecord or a Monitor, got {type(run).__name__}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"write_report: the folder of {path!r} does not exist; create it or choose another path")
    text = render_report(run, title=title or "glassgrad run report", hist_steps=hist_steps, refresh=refresh)
    atomic_write(path, text.encode("utf-8"))
    return path
