"""``glassgrad train``: train an MLP or CNN on a data set, or continue a run with ``--resume``."""
from ..data import DATASETS
from ..errors import fail
from ..optimizers import OPTIMIZERS
from ..parser import non_negative_float, positive_float, positive_int, seed
from ..recipes import RECIPE_DATASETS, RECIPE_MODELS
from ..training import TrainSettings, run_training

NAME = "train"
HELP = "train an MLP or CNN on a dataset (or resume a run)"
DESCRIPTION = ("Train a model and save a checkpoint after every epoch that 'glassgrad evaluate' can read. "
               "Ctrl-C saves the run as it stands to <out stem>-interrupted<suffix> and exits with status 130; "
               "'glassgrad train --resume CHECKPOINT' continues a run from any of its checkpoints exactly as "
               "if it had never stopped.")
DEFAULT_OUT = "glassgrad-model.safetensors"
# the flags that decide the result: given with --resume, they must match the checkpoint's
_RUN_FLAGS = ("dataset", "model", "lr", "batch_size", "optimizer", "momentum", "weight_decay", "schedule",
              "target_column", "seed")


def add_arguments(t):
    """The flags of ``train``."""
    t.add_argument("--dataset", choices=DATASETS + RECIPE_DATASETS, help="the data set (required unless --resume); "
                   "sms-spam, fsdd, diabetes and tinyshakespeare run the application recipes (their own options: "
                   "glassgrad train --dataset fsdd --help)")
    t.add_argument("--data-dir", help="folder with the data files (for csv: the CSV file); not needed for digits")
    t.add_argument("--model", choices=("mlp", "cnn") + RECIPE_MODELS, help="mlp (default) or cnn: W_MLP and W_CNN of "
                   "benchmarks/WORKLOADS.md; bow-mlp (sms-spam), logmel-cnn (fsdd), mlp-regressor (diabetes), "
                   "char-lstm or char-gpt (tinyshakespeare)")
    t.add_argument("--epochs", type=positive_int, help="training epochs (default 5)")
    t.add_argument("--lr", type=positive_float,
                   help="learning rate (default 1e-3 for adam/adamw/rmsprop, 1e-2 for sgd/adagrad)")
    t.add_argument("--batch-size", type=positive_int, help="batch size (default 128)")
    t.add_argument("--optimizer", choices=tuple(OPTIMIZERS), help="optimizer (default adam)")
    t.add_argument("--momentum", type=non_negative_float,
                   help="sgd/rmsprop momentum (default 0.9 for sgd, 0 for rmsprop)")
    t.add_argument("--schedule", choices=("constant", "cosine"),
                   help="learning rate: constant (default) or cosine-annealed to 0 over the run, per batch")
    t.add_argument("--weight-decay", type=non_negative_float,
                   help="weight decay (default 0; 1e-2 for adamw, as PyTorch's)")
    t.add_argument("--out", help=f"checkpoint path (default: {DEFAULT_OUT}; with --resume, the run's own)")
    t.add_argument("--target-column", help="csv only: the label column, by name or index (default: the last)")
    t.add_argument("--seed", type=seed, help="random seed (default 0)")
    t.add_argument("--download", action="store_true", help="download missing mnist/fashion-mnist/cifar10 files")
    t.add_argument("--resume", metavar="CHECKPOINT",
                   help="continue the run a checkpoint of 'glassgrad train' belongs to (per-epoch, final or "
                        "interrupted); --epochs may extend a run with a constant schedule")
    t.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    t.add_argument("--inspect", metavar="RUN_DIR", help="watch every layer while training (glassgrad.inspect) and "
                   "save the run to RUN_DIR for 'glassgrad doctor RUN_DIR'")
    t.add_argument("--inspect-every", type=positive_int, default=10, metavar="N",
                   help="with --inspect: read the layers every N steps (default 10)")


def run(args):
    """Train (or resume); the exit status."""
    if args.resume is not None:
        settings, out = _resumed(args)
    elif args.dataset is None:
        raise fail("train: the following arguments are required: --dataset (or --resume CHECKPOINT)")
    else:
        given = {k: getattr(args, k) for k in _RUN_FLAGS + ("data_dir", "epochs", "download")
                 if getattr(args, k) is not None}
        given["download"] = bool(args.download)
        settings, out = TrainSettings(**given), args.out or DEFAULT_OUT
    callbacks = []
    if args.inspect:
        from glassgrad.train import InspectCallback
        callbacks.append(InspectCallback(args.inspect, every=args.inspect_every))
    status = run_training(settings, out, quiet=args.quiet, resume=args.resume, callbacks=callbacks)
    if args.inspect and status == 0:
        import os
        print(f"run recorded in {os.path.abspath(args.inspect)}; diagnose it with: glassgrad doctor {args.inspect}")
    return status


def _resumed(args):
    """The settings and output path of the run ``--resume`` continues."""
    import os
    from glassgrad.train import read_checkpoint_metadata
    path = args.resume
    if not os.path.exists(path):
        raise fail(f"--resume {path} does not exist")
    if not os.path.isfile(path):
        raise fail(f"--resume {path} is not a regular file")
    extra = read_checkpoint_metadata(path).get("extra") or {}
    if not isinstance(extra, dict) or "settings" not in extra:
        raise fail(f"--resume {path} does not record the settings of its run (it was not written by this "
                   "version of 'glassgrad train')")
    settings = TrainSettings.from_record(extra["settings"], path)
    for flag in _RUN_FLAGS:
        value = getattr(args, flag)
        if value is not None and value != getattr(settings, flag):
            raise fail(f"--{flag.replace('_', '-')} {value} differs from the run being resumed "
                       f"({getattr(settings, flag)}); a resumed run keeps its settings")
    if args.data_dir is not None:  # the data may have moved
        settings.data_dir = args.data_dir
    if args.epochs is not None and args.epochs != settings.epochs:
        if settings.schedule != "constant":
            raise fail(f"--epochs {args.epochs} differs from the run being resumed ({settings.epochs}) and its "
                       f"{settings.schedule} schedule depends on the number of epochs; resume without --epochs")
        settings.epochs = args.epochs
    out = args.out or extra.get("out")
    if not isinstance(out, str) or not out:
        raise fail(f"--resume {path}: the run's checkpoint path is not recorded; give --out")
    return settings, out
