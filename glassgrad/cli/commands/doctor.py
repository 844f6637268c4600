"""``glassgrad doctor``: diagnose a run recorded with ``glassgrad train --inspect RUN_DIR``."""
import json
import os

from ..errors import fail

NAME = "doctor"
HELP = "diagnose a run recorded with 'glassgrad train --inspect RUN_DIR'"
DESCRIPTION = ("Print a monitored run's summary, its layers and the doctor's findings (kind, layer, step, evidence, "
               "advice). Exit status 0, or 1 with --fail-on when a finding is that severe.")


def add_arguments(g):
    """The flags of ``doctor``."""
    g.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (glassgrad train --inspect, Monitor.save)")
    g.add_argument("--fail-on", choices=("error", "warning"), help="exit with status 1 if a finding is this "
                   "severe or worse")
    g.add_argument("--json", action="store_true", help="print the findings as JSON lines instead")


def run(args):
    """Print the report; the exit status."""
    import glassgrad.inspect as gi
    if not os.path.isdir(args.run_dir):
        raise fail(f"run directory {args.run_dir} does not exist (record one with glassgrad train ... --inspect "
                   "RUN_DIR)")
    recorded = gi.load_run(args.run_dir)
    findings = gi.diagnose(recorded)
    if args.json:
        for f in findings:
            print(json.dumps(f.to_dict()))
    else:
        print(gi.format_report(recorded, findings))
    worst = {"error": 0, "warning": 1}.get(args.fail_on)
    return 1 if worst is not None and any(f.rank <= worst for f in findings) else 0
