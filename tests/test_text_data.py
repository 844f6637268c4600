"""SMS spam reader, tokenizer/vocabulary, fixed split and the character-level text reader."""
import numpy as np
import pytest

from glassgrad.data.char_text import CharVocabulary, char_batches, read_char_text
from glassgrad.data.sms_spam import read_sms_spam
from glassgrad.data.split import fixed_split
from glassgrad.data.vocab import Vocabulary, tokenize


def test_read_sms_spam_sample(sample_dir):
    messages, labels = read_sms_spam(sample_dir / "sms-spam-collection")
    lines = (sample_dir / "sms-spam-collection" / "SMSSpamCollection").read_text(encoding="utf-8").splitlines()
    assert len(messages) == len(lines) == 600
    assert messages[1] == lines[1].split("\t", 1)[1]
    assert labels.tolist() == [int(line.startswith("spam")) for line in lines]


def test_sms_errors_name_file_and_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="SMSSpamCollection does not exist"):
        read_sms_spam(tmp_path)
    bad = tmp_path / "s.tsv"
    bad.write_text("ham\thello\nmaybe spam\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"s.tsv, line 2: expected"):
        read_sms_spam(bad)


def test_fixed_split_is_numpy_permutation():
    tr, te = fixed_split(10, 0.2, seed=0)
    order = np.random.default_rng(0).permutation(10)
    assert te.tolist() == sorted(order[:2].tolist()) and tr.tolist() == sorted(order[2:].tolist())


def test_tokenize_and_vocabulary_from_training_only():
    assert tokenize("FREE entry!! Call 0800-123, it's £5") == ["free", "entry", "!", "!", "call", "0800", "123",
                                                                 "it's", "£", "5"]
    vocab = Vocabulary.build(["a b b c", "b c d"], min_freq=2)
    assert vocab.tokens == ["<unk>", "b", "c"]
    assert vocab.encode("b z c").tolist() == [1, 0, 2]
    np.testing.assert_array_equal(vocab.bag_of_words(["c c", "q"]), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="must start with"):
        Vocabulary(["a"])


def test_char_text_split_and_batches(sample_dir):
    text = (sample_dir / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    vocab, train, val = read_char_text(sample_dir / "tinyshakespeare")
    assert vocab.chars == "".join(sorted(set(text)))
    assert len(train) + len(val) == len(text) and len(val) == int(len(text) * 0.1)
    assert vocab.decode(val) == text[len(train):]
    x, y = next(char_batches(train, 8, 4))
    assert x.shape == y.shape == (4, 8)
    np.testing.assert_array_equal(x[1, 1:], y[1, :-1])
    assert vocab.decode(x[1]) == text[8:16]
    with pytest.raises(ValueError, match="not in the vocabulary"):
        CharVocabulary("ab").encode("abc")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_char_text(sample_dir / "missing.txt")
