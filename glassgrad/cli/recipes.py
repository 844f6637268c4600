"""The ``glassgrad`` commands for the application recipes: ``train --dataset
sms-spam|fsdd|diabetes|tinyshakespeare``, ``predict CHECKPOINT file.wav`` / ``predict CHECKPOINT
--text "..."``, ``sample CHECKPOINT --prompt ...``. Bad arguments and missing or
corrupt files print one line to stderr and exit with status 2."""
import argparse
import os
import sys

from .paths import check_output
from .training import EXIT_INTERRUPTED

__all__ = ["main", "RECIPE_DATASETS", "RECIPE_MODELS", "RECIPE_IDS", "wants_recipe"]

RECIPE_DATASETS = ("sms-spam", "fsdd", "diabetes", "tinyshakespeare")
RECIPE_MODELS = ("bow-mlp", "logmel-cnn", "mlp-regressor", "char-lstm", "char-gpt")
RECIPE_IDS = ("L_TEXT", "L_SPEECH", "L_REGRESSION", "L_CHAR_LSTM", "L_CHAR_GPT")
# given with --resume, these must match the run being resumed
_RUN_FLAGS = ("dataset", "model", "lr", "batch_size", "seed")


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _Usage(f"{self.prog}: error: {message} (see {self.prog} --help)")


def wants_recipe(argv):
    """Whether a ``train`` command line names a recipe dataset, or resumes a recipe checkpoint."""
    for i, a in enumerate(argv):
        if a in ("--dataset", "--resume") and i + 1 < len(argv):
            flag, value = a, argv[i + 1]
        elif a.startswith(("--dataset=", "--resume=")):
            flag, value = a.split("=", 1)
        else:
            continue
        if flag == "--dataset":
            return value in RECIPE_DATASETS
        return _recipe_of(value) is not None
    return False


def _recipe_of(path):
    """The recipe id a checkpoint records, or None (not a recipe checkpoint, or unreadable: the
    standard ``train --resume`` then reports what is wrong with it)."""
    from ..train import read_checkpoint_metadata
    try:
        extra = read_checkpoint_metadata(path).get("extra")
    except (OSError, ValueError):
        return None
    recipe = extra.get("recipe") if isinstance(extra, dict) else None
    return recipe if recipe in RECIPE_IDS else None


def _build_parser():
    p = _Parser(prog="glassgrad")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    t = sub.add_parser("train", description="Train an application recipe: sms-spam (bow-mlp, L_TEXT), fsdd "
                       "(logmel-cnn, L_SPEECH), diabetes (mlp-regressor, L_REGRESSION), tinyshakespeare (char-lstm, "
                       "L_CHAR_LSTM, the default; or char-gpt, L_CHAR_GPT). A checkpoint is written after every epoch; "
                       "'glassgrad train --resume CHECKPOINT' continues the run from any of them.")
    t.add_argument("--dataset", choices=RECIPE_DATASETS, help="the data set (required unless --resume)")
    t.add_argument("--data-dir", help="the data folder (sms-spam: SMSSpamCollection or its folder; fsdd: the folder "
                   "holding recordings/; tinyshakespeare: input.txt or its folder); diabetes needs none "
                   "(scikit-learn's bundled copy)")
    t.add_argument("--model", choices=RECIPE_MODELS, help="the recipe's model (tinyshakespeare: char-lstm (default) "
                   "or char-gpt; the others have one)")
    t.add_argument("--epochs", type=int, help="epochs (default: the recipe's; with --resume, may extend the run)")
    t.add_argument("--lr", type=float, help="learning rate (default: the recipe's)")
    t.add_argument("--batch-size", type=int, help="batch size (default: the recipe's)")
    t.add_argument("--seed", type=int, help="random seed (default 0)")
    t.add_argument("--threads", type=int, help="glassgrad's intra-op threads (default: GLASSGRAD_NUM_THREADS or the "
                   "CPU count)")
    t.add_argument("--out", help="checkpoint path (default glassgrad-model.safetensors; with --resume, the run's own)")
    t.add_argument("--resume", metavar="CHECKPOINT", help="continue the run a checkpoint of a recipe belongs to")
    t.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    pr = sub.add_parser("predict", description="Classify a WAV file (spoken digit) or a text message (spam) with "
                        "a checkpoint of 'glassgrad train --dataset fsdd|sms-spam'.")
    pr.add_argument("checkpoint")
    pr.add_argument("wav", nargs="?", help="a WAV file (fsdd checkpoints)")
    pr.add_argument("--text", help="a message (sms-spam checkpoints)")
    sa = sub.add_parser("sample", description="Generate text with a character language model checkpoint "
                        "(glassgrad train --dataset tinyshakespeare [--model char-lstm|char-gpt]).")
    sa.add_argument("checkpoint")
    sa.add_argument("--prompt", default="\n", help="the text to continue (default: a newline)")
    sa.add_argument("--length", type=int, default=400, help="characters to generate (default 400)")
    sa.add_argument("--temperature", type=float, default=1.0, help="softmax temperature (default 1.0)")
    sa.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    return p


def _check_file(path, what):
    if not os.path.exists(path):
        raise _Usage(f"glassgrad: error: {what} {path} does not exist")
    if not os.path.isfile(path):
        raise _Usage(f"glassgrad: error: {what} {path} is not a regular file")


def _resumed(args):
    """(recipe module, settings dict, out) of the run ``--resume`` continues."""
    from ..train import read_checkpoint_metadata
    from ..train.recipes import recipe_for
    _check_file(args.resume, "--resume")
    extra = read_checkpoint_metadata(args.resume).get("extra") or {}
    settings = extra.get("settings") if isinstance(extra, dict) else None
    if extra.get("recipe") not in RECIPE_IDS or not isinstance(settings, dict):
        raise _Usage(f"glassgrad: error: --resume {args.resume} is not a checkpoint of a recipe run "
                     "(glassgrad train --dataset sms-spam|fsdd|diabetes|tinyshakespeare)")
    recipe = recipe_for(extra["recipe"])
    for flag in _RUN_FLAGS:
        value = getattr(args, flag)
        if value is not None and value != settings.get(flag):
            raise _Usage(f"glassgrad: error: --{flag.replace('_', '-')} {value} differs from the run being resumed "
                         f"({settings.get(flag)}); a resumed run keeps its settings")
    settings = dict(settings)
    if args.data_dir is not None:  # the data may have moved
        settings["data_dir"] = args.data_dir
    if args.epochs is not None:
        settings["epochs"] = args.epochs
    out = args.out or extra.get("out")
    if not isinstance(out, str) or not out:
        raise _Usage(f"glassgrad: error: --resume {args.resume}: the run's checkpoint path is not recorded; give --out")
    return recipe, settings, out


def _train(args):
    from ..train.recipes import recipe_for
    if args.threads is not None:
        if args.threads < 1:
            raise _Usage(f"glassgrad: error: --threads must be positive, got {args.threads}")
        from .. import set_num_threads
        set_num_threads(args.threads)
    if args.resume is not None:
        recipe, settings, out = _resumed(args)
    else:
        if args.dataset is None:
            raise _Usage("glassgrad: error: --dataset is required (or --resume CHECKPOINT)")
        try:
            recipe = recipe_for(args.dataset, args.model)
        except ValueError as e:
            raise _Usage(f"glassgrad: error: {e}") from None
        if args.dataset != "diabetes" and not args.data_dir:
            raise _Usage(f"glassgrad: error: --data-dir is required for --dataset {args.dataset}")
        settings = {k: getattr(args, k) if getattr(args, k) is not None else v for k, v in recipe.DEFAULTS.items()}
        settings.update(data_dir=args.data_dir, seed=0 if args.seed is None else args.seed)
        out = args.out or "glassgrad-model.safetensors"
    for key in ("epochs", "lr", "batch_size"):
        if not settings[key] > 0:
            raise _Usage(f"glassgrad: error: --{key.replace('_', '-')} must be positive, got {settings[key]}")
    if settings["seed"] < 0:
        raise _Usage(f"glassgrad: error: --seed must be non-negative, got {settings['seed']}")
    check_output(out, "--out")
    from ..train import interrupted_path
    check_output(interrupted_path(out), "--out (its Ctrl-C checkpoint)")
    model, opt, result = recipe.train(settings["data_dir"], settings["epochs"], settings["lr"], settings["batch_size"],
                                      settings["seed"], verbose=not args.quiet, out=out, resume=args.resume)
    if result.get("interrupted"):
        saved = result["checkpoint"]
        print(f"interrupted: {'the run so far is saved to ' + saved if saved else 'no mid-epoch checkpoint'}"
              f"; continue with: glassgrad train --resume {saved or out}", flush=True)
        return EXIT_INTERRUPTED
    seconds, epochs = result["seconds"], settings["epochs"]
    if "val_loss" in result:
        print(f"validation loss {result['val_loss']:.4f} nats/char in {seconds:.1f}s ({seconds / epochs:.1f}s per epoch)")
    elif "test_accuracy" in result:
        print(f"test accuracy {100 * result['test_accuracy']:.2f}% in {seconds:.1f}s")
    else:
        r = result["ridge"]
        print(f"test MSE {result['mse']:.4f} MAE {result['mae']:.4f} R2 {result['r2']:.4f} in {seconds:.1f}s "
              f"(Ridge: MSE {r['mse']:.4f} MAE {r['mae']:.4f} R2 {r['r2']:.4f}; standardized targets)")
    print(f"checkpoint saved to {os.path.abspath(out)}")
    return 0


def _predict(args):
    from ..train import load_checkpoint, read_checkpoint_metadata
    from ..train.recipes import speech, text
    _check_file(args.checkpoint, "checkpoint")
    extra = read_checkpoint_metadata(args.checkpoint).get("extra") or {}
    recipe = extra.get("recipe")
    if recipe == "L_SPEECH":
        if args.wav is None or args.text is not None:
            raise _Usage("glassgrad: error: this is a spoken-digit checkpoint: give a WAV file, not --text")
        model, meta = speech.load_for_predict(extra)
        load_checkpoint(args.checkpoint, model, restore_rng=False)
        digit, p = speech.predict_wav(model, meta, args.wav)
        print(f"{digit} (probability {p:.3f})")
    elif recipe == "L_TEXT":
        if args.text is None or args.wav is not None:
            raise _Usage("glassgrad: error: this is a spam-filter checkpoint: give --text \"message\", not a file")
        model, vocab = text.load_for_predict(extra)
        load_checkpoint(args.checkpoint, model, restore_rng=False)
        label, p = text.predict_text(model, vocab, args.text)
        print(f"{label} (probability {p:.3f})")
    else:
        raise _Usage(f"glassgrad: error: {args.checkpoint} is not a checkpoint of an fsdd or sms-spam recipe "
                     "(glassgrad train --dataset fsdd|sms-spam), so predict cannot use it")
    return 0


def _sample(args):
    from ..train import load_checkpoint, read_checkpoint_metadata
    from ..train.recipes import char_lm, recipe_for
    _check_file(args.checkpoint, "checkpoint")
    if args.length < 0 or not args.temperature > 0:
        raise _Usage("glassgrad: error: --length must be >= 0 and --temperature positive")
    extra = read_checkpoint_metadata(args.checkpoint).get("extra") or {}
    if extra.get("recipe") not in ("L_CHAR_LSTM", "L_CHAR_GPT"):
        raise _Usage(f"glassgrad: error: {args.checkpoint} is not a language model checkpoint "
                     "(glassgrad train --dataset tinyshakespeare)")
    model = recipe_for(extra["recipe"]).build_model(extra["model"])
    load_checkpoint(args.checkpoint, model, restore_rng=False)
    print(char_lm.sample(model, extra["vocabulary"], args.prompt, args.length, args.temperature, args.seed))
    return 0


def main(argv):
    """Run a recipe command line (``train ...`` or ``predict ...``); return the exit status."""
    try:
        args = _build_parser().parse_args(argv)
        return {"train": _train, "predict": _predict, "sample": _sample}[args.command](args)
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0
    except _Usage as e:
        print(str(e), file=sys.stderr)
    except (FileNotFoundError, ValueError, ImportError, RuntimeError, KeyError) as e:
        print(f"glassgrad: error: {' '.join(str(e).split()) or type(e).__name__}", file=sys.stderr)
    return 2
