"""The committed data samples in tests/data: intact (checksums, formats, counts their READMEs state)
and, where GLASSGRAD_DATA points to the full sets, cut from them exactly as tests/data/cut_samples.py says."""
import hashlib
import wave

import numpy as np
import pytest


def _fsdd_manifest(root):
    header, *rows = (root / "fsdd" / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    assert header.split("\t") == ["path", "bytes", "sha256"]
    return [row.split("\t") for row in rows]


def test_fsdd_sample_files_match_their_manifest(sample_dir):
    rows = _fsdd_manifest(sample_dir)
    assert len(rows) == 40 and sorted(p.name for p in (sample_dir / "fsdd" / "recordings").iterdir()) == \
        sorted(path.split("/")[1] for path, _, _ in rows)
    digits = []
    for path, size, sha in rows:
        raw = (sample_dir / "fsdd" / path).read_bytes()
        assert len(raw) == int(size) and hashlib.sha256(raw).hexdigest() == sha, path
        with wave.open(str(sample_dir / "fsdd" / path)) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getcomptype()) == (1, 2, 8000, "NONE")
            samples = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        assert 0.1 < len(samples) / 8000 < 2.5 and samples.astype(np.int32).std() > 50  # speech, not silence
        digits.append(int(path.split("/")[1].split("_")[0]))
    assert np.bincount(digits).tolist() == [4] * 10


def test_sms_sample_is_label_tab_text(sample_dir):
    lines = (sample_dir / "sms-spam-collection" / "SMSSpamCollection").read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == 601
    labels = [line.split("\t", 1)[0] for line in lines[:-1]]
    assert all(line.count("\t") == 1 for line in lines[:-1])
    assert labels.count("ham") == 512 and labels.count("spam") == 88


def test_shakespeare_sample_alphabet(sample_dir):
    text = (sample_dir / "tinyshakespeare" / "input.txt").read_text(encoding="ascii")
    assert text.count("\n") == 4000 and text.startswith("First Citizen:\nBefore we proceed any further")
    assert set(text) <= set("\n !$&',-.3:;?" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "abcdefghijklmnopqrstuvwxyz")


@pytest.mark.parametrize("name", ["fsdd/MANIFEST.tsv", "sms-spam-collection/SMSSpamCollection",
                                  "tinyshakespeare/input.txt"])
def test_samples_are_cut_from_the_full_sets(data_dir, sample_dir, name):
    full = (data_dir / name).read_text(encoding="utf-8").splitlines()
    sample = (sample_dir / name).read_text(encoding="utf-8").splitlines()
    if name.startswith("fsdd"):
        assert set(sample) <= set(full)  # the manifest rows of the chosen recordings
        for path, _, _ in _fsdd_manifest(sample_dir):
            assert (sample_dir / "fsdd" / path).read_bytes() == (data_dir / "fsdd" / path).read_bytes()
    else:
        assert sample == full[:len(sample)]
