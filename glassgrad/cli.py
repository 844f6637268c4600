"""The ``glassgrad`` command: ``demo``, ``train``, ``evaluate`` and ``doctor``.

Bad arguments and missing or corrupt data print one line to stderr and exit with status 2.
"""
import argparse
import os
import sys
import time

__all__ = ["main"]

DATASETS = ("mnist", "fashion-mnist", "cifar10", "digits", "csv")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
# per-channel (mean, std) of the training pixels in [0, 1]
_STATS = {"mnist": ((0.1307,), (0.3081,)), "fashion-mnist": ((0.2860,), (0.3530,)),
          "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))}
SPLIT_SEED = 0


class UsageError(Exception):
    """A bad command line or missing data: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def _build_parser():
    p = _Parser(prog="glassgrad", description="glassgrad: backpropagation you can see through. "
                "Train and evaluate models from the command line.")
    sub = p.add_subparsers(dest="command", metavar="{demo,train,evaluate,doctor,bench}", parser_class=_Parser)
    sub.required = True

    d = sub.add_parser("demo", help="train an MLP on scikit-learn's bundled digits in a few seconds",
                       description="Train an MLP on scikit-learn's 8x8 digits (needs scikit-learn), print the "
                       "progress and test accuracy, and save a checkpoint.")
    d.add_argument("--epochs", type=_positive_int, default=30, help="training epochs (default 30)")
    d.add_argument("--out", default="glassgrad-demo.safetensors", help="checkpoint path (default: %(default)s)")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.add_argument("--quiet", action="store_true", help="no per-epoch progress")

    t = sub.add_parser("train", help="train an MLP or CNN on a dataset",
                       description="Train a model and save a checkpoint that 'glassgrad evaluate' can read.")
    t.add_argument("--dataset", choices=DATASETS, required=True, help="the data set")
    t.add_argument("--data-dir", help="folder with the data files (for csv: the CSV file); not needed for digits")
    t.add_argument("--model", choices=("mlp", "cnn"), default="mlp",
                   help="mlp (default) or cnn: W_MLP and W_CNN of benchmarks/WORKLOADS.md")
    t.add_argument("--epochs", type=_positive_int, default=5, help="training epochs (default 5)")
    t.add_argument("--lr", type=_positive_float, default=None,
                   help="learning rate (default 1e-3 for adam/adamw/rmsprop, 1e-2 for sgd/adagrad)")
    t.add_argument("--batch-size", type=_positive_int, default=128, help="batch size (default 128)")
    t.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="optimizer (default adam)")
    t.add_argument("--momentum", type=float, default=0.9, help="SGD/RMSprop momentum (default 0.9)")
    t.add_argument("--schedule", choices=("constant", "cosine"), default="constant",
                   help="learning rate: constant (default) or cosine-annealed to 0 over the run, per batch")
    t.add_argument("--weight-decay", type=float, default=0.0, help="weight decay (default 0)")
    t.add_argument("--out", default="glassgrad-model.safetensors", help="checkpoint path (default: %(default)s)")
    t.add_argument("--target-column", default="-1",
                   help="csv only: the label column, by name or index (default: the last)")
    t.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    t.add_argument("--download", action="store_true", help="download missing mnist/fashion-mnist/cifar10 files")
    t.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    t.add_argument("--inspect", metavar="RUN_DIR", help="watch every layer while training (glassgrad.inspect) and "
                   "save the run to RUN_DIR for 'glassgrad doctor RUN_DIR'")
    t.add_argument("--inspect-every", type=_positive_int, default=10, metavar="N",
                   help="with --inspect: read the layers every N steps (default 10)")

    g = sub.add_parser("doctor", help="diagnose a run recorded with 'glassgrad train --inspect RUN_DIR'",
                       description="Print a monitored run's summary, its layers and the doctor's findings "
                       "(kind, layer, step, evidence, advice). Exit status 0, or 1 with --fail-on when a "
                       "finding is that severe.")
    g.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (glassgrad train --inspect, Monitor.save)")
    g.add_argument("--fail-on", choices=("error", "warning"), help="exit with status 1 if a finding is this "
                   "severe or worse")
    g.add_argument("--json", action="store_true", help="print the findings as JSON lines instead")

    e = sub.add_parser("evaluate", help="evaluate a checkpoint on its dataset's test split",
                       description="Rebuild the model recorded in a checkpoint and report loss and accuracy "
                       "on the test split of its dataset.")
    e.add_argument("checkpoint", help="a checkpoint written by 'glassgrad train' or 'glassgrad demo'")
    e.add_argument("--data-dir", help="where the data is now (default: the folder recorded at training)")
    e.add_argument("--batch-size", type=_positive_int, default=500, help="batch size (default 500)")

    sub.add_parser("bench", add_help=False, help="time the standard workloads in glassgrad and PyTorch "
                       "side by side (glassgrad bench --help)")
    return p


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid integer {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


# ---- data -----------------------------------------------------------------------------------------

def _split(dataset, seed=SPLIT_SEED):
    import glassgrad
    from glassgrad.data import random_split
    n = len(dataset)
    n_test = max(1, n // 5)
    return random_split(dataset, [n - n_test, n_test], generator=glassgrad.Generator().manual_seed(seed))


def load_data(name, data_dir=None, model="mlp", target_column="-1", download=False):
    """(train, test, input_shape, num_classes) for a CLI dataset name."""
    from glassgrad import data as D
    from glassgrad.data import transforms as T
    if name == "digits":
        train, test = _split(D.load_digits(as_images=(model == "cnn")))
        return train, test, ([1, 8, 8] if model == "cnn" else [64]), 10
    if not data_dir:
        raise UsageError(f"glassgrad: error: --data-dir is required for --dataset {name}")
    if name == "csv":
        if not os.path.isfile(data_dir):
            raise UsageError(f"glassgrad: error: --data-dir for csv must be a CSV file, {data_dir} is not a file")
        column = int(target_column) if target_column.lstrip("-").isdigit() else target_column
        full = D.CSVDataset(data_dir, target_column=column, task="classification")
        train, test = _split(full)
        std = T.Standardize().fit(full.data[train.indices])  # fitted on the training split only
        full.transform = std
        return train, test, [full.data.shape[1]], len(full.classes)
    if not os.path.isdir(data_dir):
        raise UsageError(f"glassgrad: error: data folder {data_dir} does not exist")
    mean, std = _STATS[name]
    tf = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
    cls = {"mnist": D.MNIST, "fashion-mnist": D.FashionMNIST, "cifar10": D.CIFAR10}[name]
    train = cls(data_dir, train=True, download=download, transform=tf)
    test = cls(data_dir, train=False, download=download, transform=tf)
    return train, test, ([3, 32, 32] if name == "cifar10" else [1, 28, 28]), 10


def _make_optimizer(name, params, lr, momentum=0.9, weight_decay=0.0):
    from glassgrad import optim
    if lr is None:
        lr = 1e-2 if name in ("sgd", "adagrad") else 1e-3
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=weight_decay or 1e-2)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=momentum if momentum != 0.9 else 0.0, weight_decay=weight_decay)
    return optim.Adagrad(params, lr=lr, weight_decay=weight_decay)


# ---- commands -----------------------------------------------------------------------------------------

def _train(args, dataset, data_dir, model_name, hidden=None, out=None):
    import glassgrad
    from glassgrad import nn
    from glassgrad.data import DataLoader
    from glassgrad.train import ModelCheckpoint, build_model, evaluate, fit, model_config, save_checkpoint
    from glassgrad.train.data_parallel import DataParallelRun
    glassgrad.manual_seed(args.seed)
    run = DataParallelRun()  # under mpiexec -n N: one rank of a data-parallel run (rank 0 logs and saves)
    train, test, shape, classes = load_data(dataset, data_dir, model_name, getattr(args, "target_column", "-1"),
                                            getattr(args, "download", False))
    try:
        config = model_config(model_name, shape, classes, hidden)
    except ValueError as e:
        raise UsageError(f"glassgrad: error: {e}") from None
    model = build_model(config)
    opt = _make_optimizer(getattr(args, "optimizer", "adam"), model.parameters(), getattr(args, "lr", None),
                          getattr(args, "momentum", 0.9), getattr(args, "weight_decay", 0.0))
    extra = {"dataset": dataset, "data_dir": os.path.abspath(data_dir) if data_dir else None, "model": config,
             "target_column": getattr(args, "target_column", "-1"), "split_seed": SPLIT_SEED,
             "optimizer": getattr(args, "optimizer", "adam")}
    loss_fn = nn.CrossEntropyLoss()
    batch = getattr(args, "batch_size", 32)
    train_loader = run.train_loader(train, batch, seed=args.seed)
    test_loader = DataLoader(test, batch_size=500)
    print(f"training {model_name} on {dataset}: {len(train)} train / {len(test)} test samples, "
          f"{sum(p.numel() for p in model.parameters())} parameters", flush=True)
    start = time.perf_counter()
    scheduler = None
    if getattr(args, "schedule", "constant") == "cosine":  # annealed to 0 over all steps, per batch
        from glassgrad.optim.lr_scheduler import CosineAnnealingLR
        scheduler = CosineAnnealingLR(opt, T_max=args.epochs * len(train_loader))
    callbacks = [ModelCheckpoint(out, save_best_only=False, extra=extra)]
    if getattr(args, "inspect", None):
        from glassgrad.train import InspectCallback
        callbacks.append(InspectCallback(args.inspect, every=args.inspect_every))
    history = fit(run.wrap(model), opt, loss_fn, train_loader, test_loader, epochs=args.epochs,
                  verbose=not args.quiet, callbacks=run.callbacks(callbacks, train_loader),
                  scheduler=scheduler, scheduler_interval="batch")
    elapsed = time.perf_counter() - start
    result = evaluate(model, test_loader, loss_fn)
    extra.update(test_accuracy=result["accuracy"], test_loss=result["loss"], train_seconds=elapsed)
    if run.is_main:
        save_checkpoint(out, model, opt, epoch=len(history.epoch), extra=extra)
    status = " (interrupted)" if history.interrupted else ""
    print(f"test accuracy {100 * result['accuracy']:.2f}% (loss {result['loss']:.4f}) after "
          f"{len(history.epoch)} epochs in {elapsed:.1f}s{status}")
    print(f"checkpoint saved to {os.path.abspath(out)}")
    if getattr(args, "inspect", None):
        print(f"run recorded in {os.path.abspath(args.inspect)}; diagnose it with: glassgrad doctor {args.inspect}")
    return 0


def _doctor(args):
    import json

    import glassgrad.inspect as gi
    if not os.path.isdir(args.run_dir):
        raise UsageError(f"glassgrad: error: run directory {args.run_dir} does not exist (record one with "
                         "glassgrad train ... --inspect RUN_DIR)")
    run = gi.load_run(args.run_dir)
    findings = gi.diagnose(run)
    if args.json:
        for f in findings:
            print(json.dumps(f.to_dict()))
    else:
        print(gi.format_report(run, findings))
    worst = {"error": 0, "warning": 1}.get(args.fail_on)
    return 1 if worst is not None and any(f.rank <= worst for f in findings) else 0


def _demo(args):
    """An MLP 64-128-64-10 on the digits, Adam lr 1e-3, batch 32."""
    settings = argparse.Namespace(seed=args.seed, epochs=args.epochs, quiet=args.quiet, optimizer="adam", lr=1e-3,
                                  batch_size=32)
    return _train(settings, "digits", None, "mlp", hidden=(128, 64), out=args.out)


def _evaluate(args):
    from glassgrad import nn
    from glassgrad.data import DataLoader
    from glassgrad.train import build_model, evaluate, load_checkpoint, read_checkpoint_metadata
    if not os.path.isfile(args.checkpoint):
        raise UsageError(f"glassgrad: error: checkpoint {args.checkpoint} does not exist")
    meta = read_checkpoint_metadata(args.checkpoint)
    extra = meta.get("extra") or {}
    if "dataset" not in extra or "model" not in extra:
        raise UsageError(f"glassgrad: error: {args.checkpoint} does not record its dataset and model (it was not "
                         "written by 'glassgrad train'); load it with glassgrad.train.load_checkpoint")
    model = build_model(extra["model"])
    load_checkpoint(args.checkpoint, model, restore_rng=False)
    data_dir = args.data_dir or extra.get("data_dir")
    _, test, _, _ = load_data(extra["dataset"], data_dir, extra["model"]["name"], extra.get("target_column", "-1"))
    result = evaluate(model, DataLoader(test, batch_size=args.batch_size), nn.CrossEntropyLoss())
    print(f"{extra['model']['name']} on {extra['dataset']} ({len(test)} test samples): "
          f"accuracy {100 * result['accuracy']:.2f}%, loss {result['loss']:.4f}")
    return 0


def main(argv=None):
    """Run the ``glassgrad`` command with ``argv`` (default: sys.argv[1:]); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # the benchmark harness parses its own arguments
        from glassgrad.bench import main as bench_main
        return bench_main(argv[1:])
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        return {"demo": _demo, "train": lambda a: _train(a, a.dataset, a.data_dir, a.model, out=a.out),
                "evaluate": _evaluate, "doctor": _doctor}[args.command](args)
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0
    except UsageError as e:
        print(str(e), file=sys.stderr)
    except (FileNotFoundError, ValueError, ImportError, RuntimeError, KeyError) as e:
        text = " ".join(str(e).split()) or type(e).__name__
        print(f"glassgrad: error: {text}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
