"""``glassgrad report``: the HTML report of a run recorded with ``glassgrad train --inspect RUN_DIR``."""
import os
import time

from ..errors import fail
from ..parser import positive_float
from ..paths import check_output

NAME = "report"
HELP = "write the HTML report of a run recorded with 'glassgrad train --inspect RUN_DIR'"
DESCRIPTION = ("Write one self-contained HTML file (opens offline in any browser) with the run's loss, metric and "
               "learning-rate curves, the gradient flow (layer x step heat maps), histograms, the doctor's findings "
               "linked to the charts, and the model. --watch rewrites it while the run trains (the page reloads "
               "itself) until the run finishes. Needs matplotlib: pip install 'glassgrad[report]'.")


def add_arguments(g):
    """The flags of ``report``."""
    g.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (glassgrad train --inspect, Monitor.save)")
    g.add_argument("-o", "--out", default="report.html", help="the HTML file to write (default: %(default)s)")
    g.add_argument("--steps", metavar="S[,S...]", help="the steps whose histograms to show (default: the first, "
                   "middle and last recorded)")
    g.add_argument("--watch", action="store_true", help="rewrite the report whenever the run is saved again, "
                   "until it finishes (start it beside 'glassgrad train --inspect RUN_DIR'; Ctrl-C stops)")
    g.add_argument("--interval", type=positive_float, default=5.0, metavar="SECONDS",
                   help="with --watch: how often to look at the run directory (default 5)")


def _steps(text):
    try:
        steps = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise fail(f"--steps {text}: give whole step numbers separated by commas, e.g. --steps 0,100,500") from None
    if not steps or min(steps) < 0:
        raise fail(f"--steps {text}: give step numbers >= 0 separated by commas, e.g. --steps 0,100,500")
    return steps


def run(args):
    """Write (or keep rewriting) the report; the exit status."""
    from glassgrad.inspect.html_report import watch_report, write_report
    check_output(args.out, "--out")
    steps = _steps(args.steps) if args.steps else None
    if args.watch:
        watch_report(args.run_dir, args.out, interval=args.interval, hist_steps=steps)
        return 0
    if not os.path.isdir(args.run_dir):
        raise fail(f"run directory {args.run_dir} does not exist (record one with glassgrad train ... --inspect "
                   "RUN_DIR)")
    start = time.perf_counter()
    write_report(args.run_dir, args.out, hist_steps=steps)
    print(f"report written to {os.path.abspath(args.out)} ({os.path.getsize(args.out):,} bytes, "
          f"{time.perf_counter() - start:.1f} s)")
    return 0
