"""Band-limited resampling by the Fourier method (zero-padding or truncating the spectrum)."""
import numpy as np

__all__ = ["resample"]


def resample(x, orig_rate, new_rate, axis=-1):
    """Resample ``x`` along ``axis`` from ``orig_rate`` to ``new_rate`` (Hz) by the Fourier method.

    The signal is treated as periodic (the same as ``scipy.signal.resample``): the spectrum is
    truncated (downsampling) or zero-padded (upsampling), splitting the shared Nyquist bin, and the
    output has ``round(n * new_rate / orig_rate)`` samples.
    """
    if orig_rate <= 0 or new_rate <= 0:
        raise ValueError(f"resample: rates must be positive, got {orig_rate} -> {new_rate}")
    x = np.asarray(x)
    n = x.shape[axis]
    m = int(round(n * new_rate / orig_rate))
    if m == n or n == 0:
        return x.astype(np.float64)
    spec = np.fft.rfft(x, axis=axis)
    keep = min(n, m)
    shape = list(spec.shape)
    shape[axis] = m // 2 + 1
    out = np.zeros(shape, dtype=spec.dtype)
    idx = [slice(None)] * spec.ndim
    idx[axis] = slice(0, keep // 2 + 1)
    out[tuple(idx)] = spec[tuple(idx)]
    if keep % 2 == 0:  # the Nyquist bin of the shorter signal is shared by +/- frequencies
        idx[axis] = slice(keep // 2, keep // 2 + 1)
        out[tuple(idx)] *= 2.0 if m < n else 0.5
    return np.fft.irfft(out, m, axis=axis) * (m / n)
