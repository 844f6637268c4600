"""Log-mel spectrograms in NumPy: the same numbers as librosa's ``melspectrogram`` +
``power_to_db`` (Slaney mel scale and area normalization, periodic Hann window, centred frames
with zero padding), checked against librosa in the tests."""
import numpy as np

__all__ = ["hz_to_mel", "mel_to_hz", "mel_filterbank", "power_spectrogram", "melspectrogram", "power_to_db",
           "log_mel_spectrogram"]

_F_SP = 200.0 / 3           # Slaney: linear part, Hz per mel
_MIN_LOG_HZ = 1000.0        # ... up to 1 kHz, logarithmic above
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = np.log(6.4) / 27.0


def hz_to_mel(f):
    """Slaney's mel scale (linear below 1 kHz, logarithmic above)."""
    f = np.asarray(f, dtype=np.float64)
    return np.where(f >= _MIN_LOG_HZ, _MIN_LOG_MEL + np.log(np.maximum(f, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOG_STEP,
                    f / _F_SP)


def mel_to_hz(m):
    """Inverse of ``hz_to_mel``."""
    m = np.asarray(m, dtype=np.float64)
    return np.where(m >= _MIN_LOG_MEL, _MIN_LOG_HZ * np.exp(_LOG_STEP * (m - _MIN_LOG_MEL)), _F_SP * m)


def mel_filterbank(sample_rate, n_fft, n_mels=128, fmin=0.0, fmax=None):
    """(n_mels, n_fft // 2 + 1) triangular filters, each scaled to unit area (Slaney norm)."""
    fmax = sample_rate / 2.0 if fmax is None else float(fmax)
    if not 0 <= fmin < fmax <= sample_rate / 2.0:
        raise ValueError(f"mel_filterbank: need 0 <= fmin < fmax <= sample_rate/2, got fmin={fmin}, fmax={fmax}, "
                         f"sample_rate={sample_rate}")
    freqs = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]


def power_spectrogram(y, n_fft=2048, hop_length=None, center=True):
    """|STFT|² of a 1-D signal: (n_fft // 2 + 1, frames), periodic Hann window, frames centred
    on multiples of ``hop_length`` (zero padding of n_fft // 2 each side when ``center``)."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"power_spectrogram: expected a 1-D signal, got shape {y.shape}; mix channels down first")
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    if center:
        y = np.pad(y, n_fft // 2)
    if len(y) < n_fft:
        raise ValueError(f"power_spectrogram: signal of {len(y)} samples is shorter than n_fft={n_fft}")
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop]
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_fft) / n_fft)
    spec = np.fft.rfft(frames * window, axis=1)
    return (spec.real ** 2 + spec.imag ** 2).T


def melspectrogram(y, sample_rate, n_fft=2048, hop_length=None, n_mels=128, fmin=0.0, fmax=None, center=True):
    """Mel power spectrogram (n_mels, frames)."""
    return mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax) @ power_spectrogram(y, n_fft, hop_length, center)


def power_to_db(s, ref=1.0, amin=1e-10, top_db=80.0):
    """10·log10(max(s, amin) / ref), floored at ``top_db`` below the maximum (None: no floor)."""
    db = 10.0 * np.log10(np.maximum(amin, s)) - 10.0 * np.log10(max(amin, ref))
    if top_db is not None:
        db = np.maximum(db, db.max() - top_db)
    return db


def log_mel_spectrogram(y, sample_rate, n_fft=2048, hop_length=None, n_mels=128, fmin=0.0, fmax=None,
                        top_db=80.0):
    """``power_to_db(melspectrogram(...))`` as float32: (n_mels, frames)."""
    mel = melspectrogram(y, sample_rate, n_fft, hop_length, n_mels, fmin, fmax)
    return power_to_db(mel, top_db=top_db).astype(np.float32)
