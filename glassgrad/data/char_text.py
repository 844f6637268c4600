"""Character-level text for language models (tiny Shakespeare): vocabulary, encoding and the
train/validation split (the last fraction of the text is validation)."""
import os

import numpy as np

__all__ = ["CharVocabulary", "read_char_text", "char_batches"]


class CharVocabulary:
    """Maps characters to ids (sorted characters of the text).

    Args:
        chars: the characters, in id order (a string or list).
    """

    def __init__(self, chars):
        self.chars = "".join(chars)
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("CharVocabulary: characters must be distinct")
        self.index = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def build(cls, text):
        """The sorted set of characters of ``text``."""
        return cls(sorted(set(text)))

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """int64 ids of ``text``; a character outside the vocabulary is an error naming it."""
        try:
            return np.array([self.index[c] for c in text], dtype=np.int64)
        except KeyError as e:
            raise ValueError(f"character {e.args[0]!r} is not in the vocabulary of {len(self)} characters") from None

    def decode(self, ids):
        """The text of a sequence of ids."""
        return "".join(self.chars[int(i)] for i in ids)


def read_char_text(path, val_fraction=0.1):
    """(vocabulary, train_ids, val_ids) of a text file (or a folder holding ``input.txt``): the
    vocabulary covers the whole text; the last ``val_fraction`` of the characters is validation."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "input.txt")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"text file {path} does not exist")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    if len(text) < 20:
        raise ValueError(f"{path} holds only {len(text)} characters; a language model needs a longer text")
    vocab = CharVocabulary.build(text)
    ids = vocab.encode(text)
    cut = len(ids) - int(len(ids) * val_fraction)
    return vocab, ids[:cut], ids[cut:]


def char_batches(ids, seq_len, batch_size, shuffle=False, rng=None):
    """Yield (x, y) int64 arrays of shape (batch, seq_len): non-overlapping windows of ``ids`` and
    the same windows shifted by one character (the next-character targets)."""
    n = (len(ids) - 1) // seq_len
    if n < 1:
        raise ValueError(f"char_batches: {len(ids)} characters is too short for seq_len={seq_len}")
    starts = np.arange(n) * seq_len
    if shuffle:
        starts = (rng or np.random.default_rng()).permutation(starts)
    offsets = np.arange(seq_len)
    for lo in range(0, n, batch_size):
        idx = starts[lo:lo + batch_size, None] + offsets
        yield ids[idx], ids[idx + 1]
