"""``glassgrad demo``: an MLP 64-128-64-10 on scikit-learn's digits, Adam lr 1e-3, batch 32."""
from ..parser import positive_int, seed
from ..training import TrainSettings, run_training

NAME = "demo"
HELP = "train an MLP on scikit-learn's bundled digits in a few seconds"
DESCRIPTION = ("Train an MLP on scikit-learn's 8x8 digits (needs scikit-learn), print the progress and test "
               "accuracy, and save a checkpoint.")


def add_arguments(p):
    """The demo's flags."""
    p.add_argument("--epochs", type=positive_int, default=30, help="training epochs (default 30)")
    p.add_argument("--out", default="glassgrad-demo.safetensors", help="checkpoint path (default: %(default)s)")
    p.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no per-epoch progress")


def run(args):
    """Train the demo model; the exit status."""
    settings = TrainSettings(dataset="digits", model="mlp", hidden=(128, 64), epochs=args.epochs, lr=1e-3,
                             batch_size=32, optimizer="adam", seed=args.seed)
    return run_training(settings, args.out, quiet=args.quiet)
