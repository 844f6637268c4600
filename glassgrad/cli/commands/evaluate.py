"""``glassgrad evaluate``: rebuild the model a checkpoint records and test it on its data set."""
import os

from ..data import DATASETS, load_data
from ..errors import fail
from ..parser import positive_int

NAME = "evaluate"
HELP = "evaluate a checkpoint on its dataset's test split"
DESCRIPTION = ("Rebuild the model recorded in a checkpoint and report loss and accuracy on the test split of "
               "its dataset.")


def add_arguments(p):
    """The flags of ``evaluate``."""
    p.add_argument("checkpoint", help="a checkpoint written by 'glassgrad train' or 'glassgrad demo'")
    p.add_argument("--data-dir", help="where the data is now (default: the folder recorded at training)")
    p.add_argument("--batch-size", type=positive_int, default=500, help="batch size (default 500)")


def recorded_run(path):
    """(dataset, data_dir, model config, target column) a checkpoint records, validated."""
    from glassgrad.train import read_checkpoint_metadata, validate_config
    if not os.path.exists(path):
        raise fail(f"checkpoint {path} does not exist")
    if not os.path.isfile(path):
        raise fail(f"checkpoint {path} is not a regular file")
    extra = read_checkpoint_metadata(path).get("extra") or {}
    if not isinstance(extra, dict) or "dataset" not in extra or "model" not in extra:
        raise fail(f"{path} does not record its dataset and model (it was not written by 'glassgrad train'); "
                   "load it with glassgrad.train.load_checkpoint")
    if extra["dataset"] not in DATASETS:
        raise fail(f"{path}: the recorded dataset {str(extra['dataset'])[:60]!r} is not one of {', '.join(DATASETS)}")
    data_dir, column = extra.get("data_dir"), extra.get("target_column", "-1")
    if data_dir is not None and not isinstance(data_dir, str) or not isinstance(column, str):
        raise fail(f"{path}: the recorded data_dir/target_column must be strings")
    try:
        config = validate_config(extra["model"])
    except ValueError as e:
        raise fail(f"{path}: invalid model description: {e}") from None
    return extra["dataset"], data_dir, config, column


def run(args):
    """Evaluate the checkpoint; the exit status."""
    from glassgrad import nn
    from glassgrad.data import DataLoader
    from glassgrad.train import build_model, evaluate, load_checkpoint
    dataset, data_dir, config, column = recorded_run(args.checkpoint)
    model = build_model(config)
    load_checkpoint(args.checkpoint, model, restore_rng=False)
    _, test, _, _ = load_data(dataset, args.data_dir or data_dir, config["name"], column)
    result = evaluate(model, DataLoader(test, batch_size=args.batch_size), nn.CrossEntropyLoss())
    print(f"{config['name']} on {dataset} ({len(test)} test samples): "
          f"accuracy {100 * result['accuracy']:.2f}%, loss {result['loss']:.4f}")
    return 0
