"""The ``glassgrad`` commands for the application recipes: ``train --dataset
sms-spam|fsdd|diabetes|tinyshakespeare``, ``predict CHECKPOINT file.wav`` / ``predict CHECKPOINT
--text "..."``, ``sample CHECKPOINT --prompt ...``. Bad arguments and missing or
corrupt files print one line to stderr and exit with status 2."""
import argparse
import os
import sys

__all__ = ["main", "RECIPE_DATASETS", "RECIPE_MODELS", "wants_recipe"]

RECIPE_DATASETS = ("sms-spam", "fsdd", "diabetes", "tinyshakespeare")
RECIPE_MODELS = ("bow-mlp", "logmel-cnn", "mlp-regressor", "char-gpt")


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _Usage(f"{self.prog}: error: {message} (see {self.prog} --help)")


def wants_recipe(argv):
    """Whether a ``train`` command line names a recipe dataset."""
    for i, a in enumerate(argv):
        if a == "--dataset" and i + 1 < len(argv):
            return argv[i + 1] in RECIPE_DATASETS
        if a.startswith("--dataset="):
            return a.split("=", 1)[1] in RECIPE_DATASETS
    return False


def _build_parser():
    p = _Parser(prog="glassgrad")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    t = sub.add_parser("train", description="Train an application recipe: sms-spam (bow-mlp, L_TEXT), fsdd "
                       "(logmel-cnn, L_SPEECH), diabetes (mlp-regressor, L_REGRESSION), tinyshakespeare (char-gpt, L_CHAR_GPT).")
    t.add_argument("--dataset", choices=RECIPE_DATASETS, required=True)
    t.add_argument("--data-dir", help="the data folder (sms-spam: SMSSpamCollection or its folder; fsdd: the folder "
                   "holding recordings/); diabetes needs none (scikit-learn's bundled copy)")
    t.add_argument("--model", choices=RECIPE_MODELS, help="the recipe's model (the only one for its dataset)")
    t.add_argument("--epochs", type=int, help="epochs (default: the recipe's)")
    t.add_argument("--lr", type=float, help="learning rate (default: the recipe's)")
    t.add_argument("--batch-size", type=int, help="batch size (default: the recipe's)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", default="glassgrad-model.safetensors")
    t.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    pr = sub.add_parser("predict", description="Classify a WAV file (spoken digit) or a text message (spam) with "
                        "a checkpoint of 'glassgrad train --dataset fsdd|sms-spam'.")
    pr.add_argument("checkpoint")
    pr.add_argument("wav", nargs="?", help="a WAV file (fsdd checkpoints)")
    pr.add_argument("--text", help="a message (sms-spam checkpoints)")
    sa = sub.add_parser("sample", description="Generate text with a character language model checkpoint "
                        "(glassgrad train --dataset tinyshakespeare).")
    sa.add_argument("checkpoint")
    sa.add_argument("--prompt", default="\n", help="the text to continue (default: a newline)")
    sa.add_argument("--length", type=int, default=400, help="characters to generate (default 400)")
    sa.add_argument("--temperature", type=float, default=1.0, help="softmax temperature (default 1.0)")
    sa.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    return p


def _train(args):
    from ..train import save_checkpoint
    from ..train.recipes import recipe_for
    recipe = recipe_for(args.dataset)
    if args.model is not None and args.model != recipe.MODEL:
        raise _Usage(f"glassgrad: error: --dataset {args.dataset} trains the {recipe.MODEL} model, not {args.model}")
    if args.dataset != "diabetes" and not args.data_dir:
        raise _Usage(f"glassgrad: error: --data-dir is required for --dataset {args.dataset}")
    settings = {k: getattr(args, k) if getattr(args, k) is not None else v for k, v in recipe.DEFAULTS.items()}
    for key, value in settings.items():
        if not value > 0:
            raise _Usage(f"glassgrad: error: --{key.replace('_', '-')} must be positive, got {value}")
    model, opt, result = recipe.train(args.data_dir, settings["epochs"], settings["lr"], settings["batch_size"],
                                      args.seed, verbose=not args.quiet)
    save_checkpoint(args.out, model, opt, epoch=settings["epochs"], extra=result["extra"])
    if "val_loss" in result:
        print(f"validation loss {result['val_loss']:.4f} nats/char in {result['seconds']:.1f}s "
              f"({result['seconds'] / settings['epochs']:.1f}s per epoch)")
    elif "test_accuracy" in result:
        print(f"test accuracy {100 * result['test_accuracy']:.2f}% in {result['seconds']:.1f}s")
    else:
        r = result["ridge"]
        print(f"test MSE {result['mse']:.4f} MAE {result['mae']:.4f} R2 {result['r2']:.4f} in {result['seconds']:.1f}s "
              f"(Ridge: MSE {r['mse']:.4f} MAE {r['mae']:.4f} R2 {r['r2']:.4f}; standardized targets)")
    print(f"checkpoint saved to {os.path.abspath(args.out)}")
    return 0


def _predict(args):
    from ..train import load_checkpoint, read_checkpoint_metadata
    from ..train.recipes import speech, text
    if not os.path.isfile(args.checkpoint):
        raise _Usage(f"glassgrad: error: checkpoint {args.checkpoint} does not exist")
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
    from ..train.recipes import char_lm
    if not os.path.isfile(args.checkpoint):
        raise _Usage(f"glassgrad: error: checkpoint {args.checkpoint} does not exist")
    if args.length < 0 or not args.temperature > 0:
        raise _Usage("glassgrad: error: --length must be >= 0 and --temperature positive")
    extra = read_checkpoint_metadata(args.checkpoint).get("extra") or {}
    if extra.get("recipe") != "L_CHAR_GPT":
        raise _Usage(f"glassgrad: error: {args.checkpoint} is not a language model checkpoint "
                     "(glassgrad train --dataset tinyshakespeare)")
    model, vocab = char_lm.load_for_sample(extra)
    load_checkpoint(args.checkpoint, model, restore_rng=False)
    print(char_lm.sample(model, vocab, args.prompt, args.length, args.temperature, args.seed))
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
