"""``glassgrad demo``: an MLP 64-128-64-10 on scikit-learn's digits, Adam lr 1e-3, batch 32, watched by
the monitor; it ends with the doctor's verdict and the run's HTML report."""
import os

from ..errors import fail
from ..parser import positive_int, seed
from ..paths import check_output
from ..training import TrainSettings, run_training

NAME = "demo"
HELP = "train an MLP on scikit-learn's bundled digits in a few seconds"
DESCRIPTION = ("Train an MLP on scikit-learn's 8x8 digits (needs scikit-learn), print the progress and test "
               "accuracy, and save a checkpoint. The monitor watches every layer: the demo ends with the doctor's "
               "verdict and writes the run's HTML report (needs matplotlib).")


def add_arguments(p):
    """The demo's flags."""
    p.add_argument("--epochs", type=positive_int, default=30, help="training epochs (default 30)")
    p.add_argument("--out", default="glassgrad-demo.safetensors", help="checkpoint path (default: %(default)s)")
    p.add_argument("--run-dir", help="where the monitored run is saved, for glassgrad doctor/report (default: "
                   "beside --out, <out stem>-run)")
    p.add_argument("--report", help="the run's HTML report (default: beside --out, <out stem>-report.html)")
    p.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no per-epoch progress")


def run(args):
    """Train the demo model, diagnose the run and write its report; the exit status."""
    from glassgrad.inspect import diagnose
    from glassgrad.inspect.html_report import require_matplotlib, write_report
    from glassgrad.inspect.html_report.page import verdict
    from glassgrad.train import InspectCallback
    require_matplotlib()
    stem = os.path.splitext(args.out)[0]
    run_dir, report = args.run_dir or stem + "-run", args.report or stem + "-report.html"
    if os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise fail(f"--run-dir {run_dir} exists and is not a directory; give a folder for the monitored run")
    check_output(report, "--report")
    settings = TrainSettings(dataset="digits", model="mlp", hidden=(128, 64), epochs=args.epochs, lr=1e-3,
                             batch_size=32, optimizer="adam", seed=args.seed)
    watch = InspectCallback(run_dir, every=10)
    status = run_training(settings, args.out, quiet=args.quiet, callbacks=[watch])
    if status != 0:
        return status
    findings = diagnose(run_dir)
    print(f"doctor: {verdict(findings)} (details: glassgrad doctor {run_dir})")
    write_report(run_dir, report)
    print(f"report: {os.path.abspath(report)} (open it in a browser)")
    return 0
