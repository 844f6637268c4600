"""WAV files: ``read_wav`` (PCM 8/16/24/32-bit, mono or multi-channel, any sample rate) with the
stdlib ``wave`` module and NumPy, and ``write_wav`` (16-bit PCM, written to a temp file then renamed)."""
import os
import wave

import numpy as np

from .resample import resample

__all__ = ["read_wav", "write_wav", "load_audio"]


def read_wav(path):
    """Read a PCM WAV file.

    Returns:
        (samples, sample_rate): float32 array of shape (frames, channels) scaled to [-1, 1)
        (8-bit files are unsigned with 128 as silence; wider ones are signed), and the rate in Hz.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not a PCM WAV file or is cut short (the message names the file).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"WAV file {path} does not exist")
    try:
        with wave.open(path, "rb") as f:
            channels, width, rate, frames = f.getnchannels(), f.getsampwidth(), f.getframerate(), f.getnframes()
            raw = f.readframes(frames)
    except (wave.Error, EOFError, OSError) as e:
        raise ValueError(f"{path} is not a readable PCM WAV file ({e}); only uncompressed PCM is supported") from None
    if width not in (1, 2, 3, 4) or channels < 1 or rate <= 0:
        raise ValueError(f"{path}: unsupported WAV format ({channels} channels, {8 * width}-bit, {rate} Hz)")
    usable = len(raw) // (width * channels) * width * channels
    if usable != len(raw) or len(raw) < frames * width * channels:
        raise ValueError(f"{path} is truncated: the header promises {frames} frames, the data holds "
                         f"{len(raw) / (width * channels):g}")
    return _decode(raw, width).reshape(-1, channels), rate


def _decode(raw, width):
    if width == 1:
        return (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    if width == 3:  # 24-bit: place the three bytes in the top of an int32
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        v = (b[:, 0].astype(np.int32) << 8) | (b[:, 1].astype(np.int32) << 16) | (b[:, 2].astype(np.int32) << 24)
        return (v.astype(np.float64) / 2.0 ** 31).astype(np.float32)
    dtype = np.dtype("<i2") if width == 2 else np.dtype("<i4")
    return (np.frombuffer(raw, dtype).astype(np.float64) / 2.0 ** (8 * width - 1)).astype(np.float32)


def load_audio(path, sample_rate=None, mono=True):
    """Read a WAV file as float32, mixed down to mono (mean of the channels) and resampled.

    Args:
        sample_rate: the rate wanted (Hz); ``None`` keeps the file's.
        mono: average the channels into one.

    Returns:
        (samples, sample_rate): (frames,) when ``mono`` else (frames, channels).
    """
    samples, rate = read_wav(path)
    if mono:
        samples = samples.mean(axis=1)
    if sample_rate is not None and int(sample_rate) != rate:
        samples = resample(samples, rate, int(sample_rate), axis=0).astype(np.float32)
        rate = int(sample_rate)
    return samples, rate


def write_wav(path, samples, sample_rate):
    """Write float samples in [-1, 1] ((frames,) or (frames, channels)) as 16-bit PCM."""
    a = np.asarray(samples, dtype=np.float64)
    a = a[:, None] if a.ndim == 1 else a
    if a.ndim != 2:
        raise ValueError(f"write_wav: samples must be (frames,) or (frames, channels), got shape {a.shape}")
    pcm = np.clip(np.round(a * 32768.0), -32768, 32767).astype("<i2")
    tmp = f"{os.fspath(path)}.{os.getpid()}.part"
    with wave.open(tmp, "wb") as f:
        f.setnchannels(a.shape[1])
        f.setsampwidth(2)
        f.setframerate(int(sample_rate))
        f.writeframes(pcm.tobytes())
    os.replace(tmp, path)
