"""The SMS Spam Collection (UCI): one ``label<TAB>message`` line per message, labels ham/spam."""
import os

import numpy as np

__all__ = ["read_sms_spam", "SMS_LABELS"]

SMS_LABELS = ("ham", "spam")


def read_sms_spam(path):
    """(messages, labels) from the collection's file (or the folder holding ``SMSSpamCollection``);
    labels are int64, 0 = ham, 1 = spam.

    Raises:
        FileNotFoundError / ValueError naming the file and line for a missing file or a bad line.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "SMSSpamCollection")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"SMS Spam Collection file {path} does not exist")
    messages, labels = [], []
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                line = line.rstrip("\r\n")
                if not line:
                    continue
                label, tab, text = line.partition("\t")
                if not tab or label not in SMS_LABELS:
                    raise ValueError(f"{path}, line {number}: expected 'ham<TAB>text' or 'spam<TAB>text', "
                                     f"got {line[:40]!r}")
                messages.append(text)
                labels.append(SMS_LABELS.index(label))
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    if not messages:
        raise ValueError(f"{path} holds no messages")
    return messages, np.array(labels, dtype=np.int64)

