"""What the character language-model recipes (L_CHAR_LSTM, L_CHAR_GPT) share: tiny Shakespeare
with its last 10% as validation, windows of ``SEQ_LEN`` characters and their next characters, the
validation loss in nats per character, the vocabulary kept in the checkpoint, and sampling."""
import numpy as np

from ... import nn
from ...autograd.grad_mode import no_grad
from ...autograd.tensor import wrap_array
from ...data.char_text import CharVocabulary, read_char_text
from .runner import RecipeSetup

__all__ = ["DATASET", "SEQ_LEN", "FlatLoss", "windows", "validation_loss", "lm_setup", "sample"]

DATASET = "tinyshakespeare"
SEQ_LEN = 64


class FlatLoss:
    """Cross-entropy of (N, T, V) logits against (N, T) next characters."""

    def __init__(self):
        self.ce = nn.CrossEntropyLoss()

    def __call__(self, logits, target):
        return self.ce(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


def windows(ids, seq_len=SEQ_LEN):
    """(x, y): non-overlapping windows of ``seq_len`` ids and the same windows shifted by one."""
    n = (len(ids) - 1) // seq_len
    if n < 1:
        raise ValueError(f"windows: {len(ids)} characters are too few for windows of {seq_len}")
    idx = np.arange(n)[:, None] * seq_len + np.arange(seq_len)
    return ids[idx], ids[idx + 1]


def validation_loss(model, ids, seq_len=SEQ_LEN, batch_size=64):
    """Mean next-character cross-entropy (nats/char) over the non-overlapping windows of ``ids``
    (each window read from a fresh state, as in training)."""
    x, y = windows(ids, seq_len)
    ce = nn.CrossEntropyLoss(reduction="sum")
    total = 0.0
    model.eval()
    with no_grad():
        for lo in range(0, len(x), batch_size):
            logits = model(wrap_array(x[lo:lo + batch_size]))
            total += float(ce(logits.reshape(-1, logits.shape[-1]), wrap_array(y[lo:lo + batch_size].reshape(-1))).item())
    return total / y.size


def lm_setup(name, data_dir, build, optimizer, verbose, clip=None):
    """The RecipeSetup of a character LM: ``build(vocab_size) -> (model, model_info)``,
    ``optimizer(params)``; validation loss shown after every epoch and reported at the end."""
    vocab, train_ids, val_ids = read_char_text(data_dir)
    model, model_info = build(len(vocab))
    x, y = windows(train_ids)
    if verbose:
        print(f"{name}: {len(train_ids)} train / {len(val_ids)} validation characters, vocabulary {len(vocab)}, "
              f"{sum(p.numel() for p in model.parameters())} parameters", flush=True)
    return RecipeSetup(model, optimizer(model.parameters()), FlatLoss(), x, y,
                       evaluate=lambda m: {"val_loss": validation_loss(m, val_ids)},
                       info={"model": model_info, "vocabulary": vocab.chars}, unit="tokens",
                       items_per_sample=SEQ_LEN, clip=clip,
                       epoch_logs=lambda m: {"val_loss": validation_loss(m, val_ids)})


def sample(model, vocab, prompt, length, temperature=1.0, seed=0):
    """``prompt`` followed by ``length`` sampled characters: softmax(logits / temperature), drawn
    with NumPy's PCG64 seeded by ``seed``. The model's ``sample_step(ids, state) -> (last logits,
    state)`` carries its own state (an LSTM's (h, c), a transformer's window)."""
    if not temperature > 0:
        raise ValueError(f"sample: temperature must be positive, got {temperature}")
    if not prompt:
        raise ValueError("sample: the prompt must hold at least one character")
    if not isinstance(vocab, CharVocabulary):
        vocab = CharVocabulary(vocab)
    rng = np.random.default_rng(seed)
    ids = list(vocab.encode(prompt))
    model.eval()
    with no_grad():
        logits, state = model.sample_step(ids, None)
        for _ in range(length):
            z = np.asarray(logits, dtype=np.float64) / temperature
            p = np.exp(z - z.max())
            ids.append(int(rng.choice(len(p), p=p / p.sum())))
            logits, state = model.sample_step(ids[-1:], state)
    return vocab.decode(ids)
