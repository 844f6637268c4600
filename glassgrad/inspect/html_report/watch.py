"""Watch a run that is still training: rewrite its report whenever the run directory changes.

``InspectCallback`` saves the run during training with ``meta['live'] = True`` and once more at the
end without it. While the run is live the page carries a meta refresh, so a browser showing it
reloads by itself; the last page has none."""
import os
import time

from ..storage import load_run

__all__ = ["watch_report", "run_signature"]

_FILES = ("meta.json", "steps.jsonl", "layers.csv", "inputs.csv", "events.jsonl", "histograms.npz")


def run_signature(run_dir):
    """What changes when the run directory is saved again (each file's size and modification time);
    None while the directory is missing or incomplete."""
    sig = []
    for name in _FILES:
        try:
            st = os.stat(os.path.join(run_dir, name))
        except OSError:
            return None
        sig.append((name, st.st_mtime_ns, st.st_size))
    return tuple(sig)


def watch_report(run_dir, path, interval=5.0, hist_steps=None, title=None, log=print):
    """Write the report of ``run_dir`` to ``path`` and rewrite it each time the run is saved again,
    polling every ``interval`` seconds; the page reloads itself while the run trains. Returns
    ``path`` once the run has finished (or on Ctrl-C, after writing a page that no longer reloads)."""
    from . import write_report
    from .build import default_title
    if not interval > 0:
        raise ValueError(f"watch_report: interval must be a positive number of seconds, got {interval!r}")
    title = title or default_title(run_dir)
    refresh = max(1, round(interval))
    last, waiting = None, False
    try:
        while True:
            sig = run_signature(run_dir)
            if sig is None:
                if not waiting:
                    log(f"waiting for the run to be saved in {run_dir} ...")
                    waiting = True
            elif sig != last:
                run = load_run(run_dir)
                live = bool(run.meta.get("live"))
                write_report(run, path, title=title, hist_steps=hist_steps, refresh=refresh if live else None)
                last = sig
                steps = len(run.steps)
                if not live:
                    log(f"the run has finished ({steps} steps): final report written to {path}")
                    return path
                log(f"report updated: {steps} steps so far ({path})")
            time.sleep(interval)
    except KeyboardInterrupt:
        if run_signature(run_dir) is not None:
            write_report(load_run(run_dir), path, title=title, hist_steps=hist_steps)
            log(f"stopped watching; the report in {path} no longer reloads")
        return path
