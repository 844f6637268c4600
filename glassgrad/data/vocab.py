"""Word tokenizer and vocabulary (built from training text only; saved with a checkpoint as a list)."""
import re
from collections import Counter

import numpy as np

__all__ = ["tokenize", "Vocabulary"]

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[£$€!?]")


def tokenize(text):
    """Lower-cased words, numbers and the symbols £ $ € ! ? of ``text``, in order."""
    return _TOKEN.findall(text.lower())


class Vocabulary:
    """Maps tokens to ids; id 0 is ``<unk>`` (tokens never seen in training).

    Args:
        tokens: the token list, ``<unk>`` first (as ``build`` makes and ``tokens`` returns).
    """

    UNK = "<unk>"

    def __init__(self, tokens):
        self.tokens = list(tokens)
        if not self.tokens or self.tokens[0] != self.UNK:
            raise ValueError(f"Vocabulary: the token list must start with {self.UNK!r}")
        self.index = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def build(cls, texts, min_freq=1, max_size=None):
        """The vocabulary of ``texts`` (tokens seen at least ``min_freq`` times, most frequent first,
        ties alphabetical, at most ``max_size`` including ``<unk>``)."""
        counts = Counter(t for text in texts for t in tokenize(text))
        ordered = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            ordered = ordered[:max_size - 1]
        return cls([cls.UNK] + ordered)

    def __len__(self):
        return len(self.tokens)

    def encode(self, text):
        """Token ids of ``text`` (int64)."""
        return np.array([self.index.get(t, 0) for t in tokenize(text)], dtype=np.int64)

    def bag_of_words(self, texts):
        """(len(texts), len(self)) float32 matrix: 1 where the message contains the token (binary
        counts; the ``<unk>`` column counts unknown tokens as present)."""
        out = np.zeros((len(texts), len(self)), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, self.encode(text)] = 1.0
        return out
