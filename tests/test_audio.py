"""WAV reading, resampling and log-mel features against librosa/scipy, on the committed FSDD sample."""
import numpy as np
import pytest

from glassgrad.data.fsdd import FSDD_FEATURES, fsdd_files, load_fsdd, wav_features
from glassgrad.data.mel import log_mel_spectrogram, mel_filterbank, melspectrogram
from glassgrad.data.resample import resample
from glassgrad.data.wav import load_audio, read_wav, write_wav

librosa = pytest.importorskip("librosa")
signal = pytest.importorskip("scipy.signal")


def _wav(sample_dir, name="3_theo_0.wav"):
    return sample_dir / "fsdd" / "recordings" / name


def test_read_wav_matches_librosa(sample_dir):
    y, rate = read_wav(_wav(sample_dir))
    ref, ref_rate = librosa.load(_wav(sample_dir), sr=None, mono=False)
    assert rate == ref_rate == 8000 and y.shape == (ref.shape[0], 1)
    np.testing.assert_array_equal(y[:, 0], ref)


@pytest.mark.parametrize("width", [1, 2])
def test_stereo_8_and_16_bit_roundtrip(tmp_path, width):
    import wave
    rng = np.random.default_rng(0)
    pcm = rng.integers(0, 256, (100, 2)).astype(np.uint8) if width == 1 else rng.integers(-2**15, 2**15, (100, 2)).astype("<i2")
    path = tmp_path / "x.wav"
    with wave.open(str(path), "wb") as f:
        f.setnchannels(2), f.setsampwidth(width), f.setframerate(11025), f.writeframes(pcm.tobytes())
    y, rate = read_wav(path)
    expected = (pcm.astype(np.float64) - 128) / 128 if width == 1 else pcm / 32768.0
    assert rate == 11025
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-7)
    mono, _ = load_audio(path)
    np.testing.assert_allclose(mono, expected.mean(1), atol=1e-6)


def test_write_wav_roundtrip(tmp_path):
    x = np.sin(np.linspace(0, 20, 500)) * 0.5
    write_wav(tmp_path / "s.wav", x, 16000)
    y, rate = read_wav(tmp_path / "s.wav")
    assert rate == 16000
    np.testing.assert_allclose(y[:, 0], x, atol=1 / 32768)


@pytest.mark.parametrize("n,m", [(100, 37), (37, 100), (101, 50), (50, 101), (64, 32), (64, 128)])
def test_resample_matches_scipy(n, m):
    x = np.random.default_rng(n).standard_normal(n)
    np.testing.assert_allclose(resample(x, n, m), signal.resample(x, m), atol=1e-12)


def test_load_audio_resamples(sample_dir):
    y, rate = load_audio(_wav(sample_dir), sample_rate=16000)
    raw, _ = read_wav(_wav(sample_dir))
    assert rate == 16000 and len(y) == 2 * len(raw)
    np.testing.assert_allclose(y[::2], raw[:, 0], atol=1e-5)  # band-limited interpolation keeps the samples


def test_mel_filterbank_matches_librosa():
    np.testing.assert_allclose(mel_filterbank(8000, 256, 40), librosa.filters.mel(sr=8000, n_fft=256, n_mels=40,
                               dtype=np.float64), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(mel_filterbank(22050, 2048, 128, 50, 8000),
                               librosa.filters.mel(sr=22050, n_fft=2048, n_mels=128, fmin=50, fmax=8000,
                                                   dtype=np.float64), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name", ["0_jackson_0.wav", "3_theo_5.wav", "9_jackson_5.wav"])
def test_log_mel_matches_librosa_to_1e4_relative(sample_dir, name):
    y, rate = load_audio(_wav(sample_dir, name))
    s = FSDD_FEATURES
    ref_power = librosa.feature.melspectrogram(y=y.astype(np.float64), sr=rate, n_fft=s["n_fft"],
                                               hop_length=s["hop_length"], n_mels=s["n_mels"], dtype=np.float64)
    ours = melspectrogram(y, rate, s["n_fft"], s["hop_length"], s["n_mels"])
    np.testing.assert_allclose(ours, ref_power, rtol=1e-4, atol=0)
    ref_db = librosa.power_to_db(ref_power)
    np.testing.assert_allclose(log_mel_spectrogram(y, rate, s["n_fft"], s["hop_length"], s["n_mels"]), ref_db,
                               rtol=1e-4, atol=1e-4)


def test_fsdd_split_and_features(sample_dir):
    files = fsdd_files(sample_dir / "fsdd")
    assert len(files) == 40 and {f[2] for f in files} == {"jackson", "theo"}
    (xtr, ytr), (xte, yte) = load_fsdd(sample_dir / "fsdd")
    assert xtr.shape == (20, 1, 40, 65) and xte.shape == (20, 1, 40, 65)
    assert sorted(ytr.tolist()) == sorted(yte.tolist()) == sorted(list(range(10)) * 2)
    np.testing.assert_array_equal(xte[0, 0], wav_features(files[0][0]))


def test_bad_and_corrupt_wav_name_the_file(tmp_path, sample_dir):
    with pytest.raises(FileNotFoundError, match="nope.wav does not exist"):
        read_wav(tmp_path / "nope.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00junk that is not a wave file")
    with pytest.raises(ValueError, match="bad.wav is not a readable PCM WAV"):
        read_wav(bad)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(_wav(sample_dir).read_bytes()[:1001])
    with pytest.raises(ValueError, match="cut.wav is truncated"):
        read_wav(cut)
    with pytest.raises(FileNotFoundError, match="no FSDD recordings"):
        fsdd_files(tmp_path)
