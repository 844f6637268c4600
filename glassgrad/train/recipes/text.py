"""L_TEXT: spam filter on the SMS Spam Collection: binary bag-of-words (vocabulary from the
training split only) into an MLP, fixed 80/20 split with seed 0."""
import numpy as np

from ... import manual_seed, nn, optim
from ...data.sms_spam import SMS_LABELS, read_sms_spam
from ...data.split import fixed_split
from ...data.vocab import Vocabulary
from .loop import predict_arrays, train_epochs

__all__ = ["DATASET", "MODEL", "DEFAULTS", "build_model", "prepare", "train", "load_for_predict", "predict_text"]

DATASET, MODEL = "sms-spam", "bow-mlp"
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


def train(data_dir, epochs, lr, batch_size, seed=0, verbose=True):
    """Train; returns (model, optimizer, result dict with test_accuracy, seconds, extra for the checkpoint)."""
    manual_seed(seed)
    vocab, (xtr, ytr), (xte, yte) = prepare(data_dir)
    model = build_model(len(vocab))
    opt = optim.Adam(model.parameters(), lr=lr)
    if verbose:
        print(f"L_TEXT: {len(xtr)} train / {len(xte)} test messages, vocabulary {len(vocab)}", flush=True)
    seconds = train_epochs(model, opt, nn.CrossEntropyLoss(), xtr, ytr, epochs, batch_size, seed, verbose)
    acc = float((predict_arrays(model, xte).argmax(1) == yte).mean())
    extra = {"recipe": "L_TEXT", "dataset": DATASET, "model": {"name": MODEL, "vocab_size": len(vocab)},
             "vocabulary": vocab.tokens, "test_accuracy": acc, "train_seconds": seconds}
    return model, opt, {"test_accuracy": acc, "seconds": seconds, "extra": extra}


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
