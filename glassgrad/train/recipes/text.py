"""L_TEXT: spam filter on the SMS Spam Collection: binary bag-of-words (vocabulary from the
training split only) into an MLP, fixed 80/20 split with seed 0."""
import sys

import numpy as np

from ... import nn, optim
from ...data.sms_spam import SMS_LABELS, read_sms_spam
from ...data.split import fixed_split
from ...data.vocab import Vocabulary
from .loop import predict_arrays
from .runner import RecipeSetup, run_recipe

__all__ = ["RECIPE", "DATASET", "MODEL", "DEFAULTS", "build_model", "prepare", "setup", "train", "load_for_predict", "predict_text"]

RECIPE, DATASET, MODEL = "L_TEXT", "sms-spam", "bow-mlp"
DEFAULTS = {"epochs": 5, "lr": 1e-3, "batch_size": 32}
MIN_FREQ = 2  # tokens seen once in training are <unk>


def build_model(vocab_size, hidden=64):
    """Linear(V, hidden)-ReLU-Linear(hidden, 2) on a binary bag of words."""
    return nn.Sequential(nn.Linear(vocab_size, hidden), nn.ReLU(), nn.Linear(hidden, 2))


def prepare(data_dir):
    """(vocab, (x_train, y_train), (x_test, y_test)) as bag-of-words float32 arrays."""
    messages, labels = read_sms_spam(data_dir)
    tr, te = fixed_split(len(messages), 0.2, seed=0)
    vocab = Vocabulary.build([messages[i] for i in tr], min_freq=MIN_FREQ)
    bow = vocab.bag_of_words(messages)
    return vocab, (bow[tr], labels[tr]), (bow[te], labels[te])


def setup(data_dir, lr, verbose=True):
    """The recipe's data, model and Adam optimizer (see ``runner.RecipeSetup``)."""
    vocab, (xtr, ytr), (xte, yte) = prepare(data_dir)
    model = build_model(len(vocab))
    if verbose:
        print(f"L_TEXT: {len(xtr)} train / {len(xte)} test messages, vocabulary {len(vocab)}", flush=True)
    return RecipeSetup(model, optim.Adam(model.parameters(), lr=lr), nn.CrossEntropyLoss(), xtr, ytr,
                       evaluate=lambda m: {"test_accuracy": float((predict_arrays(m, xte).argmax(1) == yte).mean())},
                       info={"model": {"name": MODEL, "vocab_size": len(vocab)}, "vocabulary": vocab.tokens})


def train(data_dir, epochs, lr, batch_size, seed=0, verbose=True, out=None, resume=None):
    """Train; returns (model, optimizer, result dict with test_accuracy, seconds, extra for the checkpoint)."""
    return run_recipe(sys.modules[__name__], data_dir, epochs, lr, batch_size, seed, verbose, out, resume)


def load_for_predict(extra):
    """(model, vocab) rebuilt from a checkpoint's ``extra`` (weights not yet loaded)."""
    return build_model(extra["model"]["vocab_size"]), Vocabulary(extra["vocabulary"])


def predict_text(model, vocab, text):
    """(label, probability) of one message."""
    logits = predict_arrays(model, vocab.bag_of_words([text]))[0]
    p = np.exp(logits - logits.max())
    p /= p.sum()
    k = int(p.argmax())
    return SMS_LABELS[k], float(p[k])
