"""A training run of the command line (``train`` and ``demo``), fresh or resumed from a checkpoint.

The settings of a run are recorded in its checkpoints (``extra.settings``), so ``--resume`` rebuilds
the same data, model, optimizer, schedule and loaders, loads the checkpoint into them and continues
bit for bit like the run that never stopped. Per-epoch checkpoints go to ``--out``; Ctrl-C saves the
run as it stands, mid-epoch, to ``<stem>-interrupted<suffix>`` beside it and exits with status 130.
"""
import dataclasses
import math
import os
import time

import numpy as np

from .data import DATASETS, SPLIT_SEED, load_data
from .errors import fail
from .optimizers import OPTIMIZERS, make_optimizer
from .parser import MAX_SEED
from .paths import check_output

__all__ = ["TrainSettings", "run_training", "EXIT_INTERRUPTED"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a Ctrl-C


@dataclasses.dataclass
class TrainSettings:
    """Everything that decides a training run's result (recorded in its checkpoints)."""
    dataset: str
    data_dir: str = None
    model: str = "mlp"
    hidden: tuple = None
    epochs: int = 5
    lr: float = None
    batch_size: int = 128
    optimizer: str = "adam"
    momentum: float = None
    weight_decay: float = None
    schedule: str = "constant"
    target_column: str = "-1"
    seed: int = 0
    download: bool = False

    def record(self):
        """A JSON-able dict of the settings."""
        out = dataclasses.asdict(self)
        out["hidden"] = list(self.hidden) if self.hidden is not None else None
        out["data_dir"] = os.path.abspath(self.data_dir) if self.data_dir else None
        return out

    @classmethod
    def from_record(cls, record, source):
        """The settings a checkpoint recorded, validated (``source`` names the file in errors)."""
        def bad(what):
            return fail(f"{source}: corrupt checkpoint settings: {what}")
        if not isinstance(record, dict):
            raise bad("not a JSON object (was the file written by 'glassgrad train'?)")
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(record) - fields)
        if unknown:
            raise bad(f"unknown setting {unknown[0]!r}")
        s = cls(**record)
        checks = [
            ("dataset", s.dataset in DATASETS), ("model", s.model in ("mlp", "cnn")),
            ("optimizer", s.optimizer in OPTIMIZERS), ("schedule", s.schedule in ("constant", "cosine")),
            ("epochs", _int_in(s.epochs, 1, 10 ** 9)), ("batch_size", _int_in(s.batch_size, 1, 10 ** 12)),
            ("seed", _int_in(s.seed, 0, MAX_SEED)), ("target_column", isinstance(s.target_column, str)),
            ("data_dir", s.data_dir is None or isinstance(s.data_dir, str)),
            ("download", isinstance(s.download, bool)),
            ("hidden", s.hidden is None or (isinstance(s.hidden, list) and all(_int_in(h, 1, 10 ** 6) for h in s.hidden))),
            ("lr", s.lr is None or _finite(s.lr, 0, strict=True)),
            ("momentum", s.momentum is None or _finite(s.momentum, 0)),
            ("weight_decay", s.weight_decay is None or _finite(s.weight_decay, 0)),
        ]
        for name, ok in checks:
            if not ok:
                raise bad(f"{name} = {str(getattr(s, name))[:60]!r} is out of range")
        return s


def _int_in(v, lo, hi):
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _finite(v, lo, strict=False):
    return (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            and (v > lo if strict else v >= lo))


def run_training(settings, out, quiet=False, resume=None, callbacks=()):
    """Train as ``settings`` say (from the checkpoint ``resume`` when given) with per-epoch
    checkpoints to ``out``; evaluate on the test split; return the exit status.

    ``callbacks``: more ``glassgrad.train`` callbacks for ``fit`` (a subcommand's own, e.g. a monitor)."""
    import glassgrad
    from glassgrad import nn
    from glassgrad.data import DataLoader
    from glassgrad.train import (ModelCheckpoint, build_model, evaluate, fit, interrupted_path, load_checkpoint,
                                 model_config, save_checkpoint)
    interrupt_out = interrupted_path(out)
    check_output(out, "--out")
    check_output(interrupt_out, "--out (its Ctrl-C checkpoint)")
    from glassgrad.train.data_parallel import DataParallelRun
    glassgrad.manual_seed(settings.seed)
    run = DataParallelRun()  # under mpiexec -n N: one rank of a data-parallel run (rank 0 logs and saves)
    train, test, shape, classes = load_data(settings.dataset, settings.data_dir, settings.model,
                                            settings.target_column, settings.download)
    try:
        config = model_config(settings.model, shape, classes, settings.hidden)
    except ValueError as e:
        raise fail(str(e)) from None
    model = build_model(config)
    opt = make_optimizer(settings.optimizer, model.parameters(), settings.lr, settings.momentum,
                         settings.weight_decay)
    train_loader = run.train_loader(train, settings.batch_size, seed=settings.seed)
    test_loader = DataLoader(test, batch_size=500)
    scheduler = None
    if settings.schedule == "cosine":  # annealed to 0 over all steps, per batch
        from glassgrad.optim.lr_scheduler import CosineAnnealingLR
        scheduler = CosineAnnealingLR(opt, T_max=settings.epochs * len(train_loader))
    info = None
    if resume is not None:
        info = load_checkpoint(resume, model, opt, scheduler)
        if info["epoch"] is None or info["epoch"] > settings.epochs:
            raise fail(f"--resume {resume}: the checkpoint holds {info['epoch']} epochs, more than --epochs "
                       f"{settings.epochs}")
    extra = {"dataset": settings.dataset, "data_dir": settings.record()["data_dir"], "model": config,
             "target_column": settings.target_column, "split_seed": SPLIT_SEED, "optimizer": settings.optimizer,
             "settings": settings.record(), "out": os.path.abspath(out)}
    loss_fn = nn.CrossEntropyLoss()
    where = "" if info is None else (f", resuming after epoch {info['epoch']}" + (
        f" batch {info['position']['batch']}" if "position" in info else ""))
    print(f"training {settings.model} on {settings.dataset}: {len(train)} train / {len(test)} test samples, "
          f"{sum(p.numel() for p in model.parameters())} parameters{where}", flush=True)
    start = time.perf_counter()
    checkpoints = ModelCheckpoint(out, save_best_only=False, extra=extra, interrupt_path=interrupt_out)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a diverging run is reported below
        history = fit(run.wrap(model), opt, loss_fn, train_loader, test_loader, epochs=settings.epochs,
                      verbose=not quiet, callbacks=run.callbacks([checkpoints, *callbacks], train_loader),
                      scheduler=scheduler, scheduler_interval="batch", resume=info)
    elapsed = time.perf_counter() - start
    if history.interrupted:
        saved = interrupt_out in checkpoints.saved
        print(f"interrupted: {'the run so far is saved to ' + interrupt_out if saved else 'no mid-epoch checkpoint'}"
              f"; continue with: glassgrad train --resume {interrupt_out if saved else out}", flush=True)
        return EXIT_INTERRUPTED
    losses = history.history.get("loss", [])
    if losses and not math.isfinite(losses[-1]):
        raise fail(f"training diverged: the training loss is {losses[-1]} at epoch {history.epoch[-1] + 1} "
                   "(try a lower --lr); no checkpoint of the diverged weights was written")
    streams = glassgrad.get_rng_state(), np.random.get_state()
    result = evaluate(model, test_loader, loss_fn)
    # the final test is no part of the run: the checkpoint keeps the random streams as training left
    # them (a loader draws a seed every pass), so that a longer run resumed from it is exact
    glassgrad.set_rng_state(streams[0])
    np.random.set_state(streams[1])
    extra.update(test_accuracy=result["accuracy"], test_loss=result["loss"], train_seconds=elapsed)
    if run.is_main:
        save_checkpoint(out, model, opt, scheduler, epoch=settings.epochs, extra=extra)
        if os.path.exists(interrupt_out):  # the finished run supersedes a Ctrl-C checkpoint of it
            os.remove(interrupt_out)
    print(f"test accuracy {100 * result['accuracy']:.2f}% (loss {result['loss']:.4f}) after "
          f"{settings.epochs} epochs in {elapsed:.1f}s")
    print(f"checkpoint saved to {os.path.abspath(out)}")
    return 0
