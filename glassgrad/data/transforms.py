"""Transforms applied to samples: ``Compose``, ``ToTensor``, ``Normalize``, ``Standardize``, ``Lambda``.

Each transform takes one sample; those that also define ``batched(x)`` transform a whole batch at
once (first dimension = samples), which the built-in datasets use for fast loading.
"""
import numpy as np

from ..autograd.tensor import Tensor, wrap_array

__all__ = ["Compose", "ToTensor", "Normalize", "Standardize", "Lambda", "to_float_chw"]


def _array(x):
    return x.detach().array if isinstance(x, Tensor) else np.asarray(x)



def to_float_chw(images):
    """uint8 images (N, H, W) or (N, H, W, C) -> float32 (N, C, H, W) in [0, 1]."""
    a = np.asarray(images)
    if a.ndim == 3:
        a = a[:, None, :, :]
    elif a.ndim == 4:
        a = a.transpose(0, 3, 1, 2)
    else:
        raise ValueError(f"to_float_chw: expected images of shape (N, H, W) or (N, H, W, C), got {a.shape}")
    scale = np.float32(1 / 255) if a.dtype == np.uint8 else np.float32(1)
    return np.ascontiguousarray(a, dtype=np.float32) * scale


class Compose:
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    @property
    def batched(self):
        if not all(callable(getattr(t, "batched", None)) for t in self.transforms):
            return None

        def run(x):
            for t in self.transforms:
                x = t.batched(x)
            return x
        return run

    def __repr__(self):
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


class ToTensor:
    """An image as a float32 tensor (C, H, W) in [0, 1] (like torchvision's ``ToTensor``).

    Shape:
        - Input: uint8 (H, W) or (H, W, C) array (floats are kept as they are, not rescaled).
        - Output: float32 (C, H, W); (H, W) gives C = 1.
    """

    def __call__(self, image):
        a = _array(image)
        if a.ndim not in (2, 3):
            raise ValueError(f"ToTensor: expected an image of shape (H, W) or (H, W, C), got {a.shape}")
        return wrap_array(to_float_chw(a[None])[0])

    def batched(self, images):
        """A batch (N, H, W[, C]) -> (N, C, H, W)."""
        return wrap_array(to_float_chw(_array(images)))

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a (C, H, W) tensor (torchvision's ``Normalize``).

    Args:
        mean: per-channel means (a sequence, or one number for all channels).
        std: per-channel standard deviations (non-zero).
    """

    def __init__(self, mean, std, inplace=False):
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if (self.std == 0).any():
            raise ValueError(f"Normalize: std evaluated to zero after conversion to float, leading to "
                             f"division by zero: std={self.std.tolist()}")
        self.inplace = inplace

    def _apply(self, a, channel_axis):
        if a.dtype.kind != "f":
            raise TypeError(f"Normalize: input should be a float tensor, got {a.dtype}; apply ToTensor first")
        shape = [1] * a.ndim
        shape[channel_axis] = -1
        channels = a.shape[channel_axis]
        if self.mean.size not in (1, channels) or self.std.size not in (1, channels):
            raise ValueError(f"Normalize: {self.mean.size} means / {self.std.size} stds for an input with "
                             f"{channels} channels (shape {a.shape}); give one value per channel")
        mean = self.mean.astype(a.dtype).reshape(shape if self.mean.size > 1 else [1] * a.ndim)
        std = self.std.astype(a.dtype).reshape(shape if self.std.size > 1 else [1] * a.ndim)
        return (a - mean) / std

    def __call__(self, x):
        a = _array(x)
        if a.ndim < 3:
            raise ValueError(f"Normalize: expected a tensor image of shape (C, H, W), got {a.shape}")
        return wrap_array(self._apply(a, -3))

    def batched(self, x):
        """A batch (N, C, H, W)."""
        a = _array(x)
        return wrap_array(self._apply(a, 1))

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class Standardize:
    """Feature-wise ``(x - mean) / std`` with mean and std fitted on training data only.

    Call ``fit(train_data)`` (a Dataset whose samples are ``(x, ...)`` or ``x``, an array or a
    tensor with samples along the first dimension) before using it; then apply it to any split.

    Args:
        per_channel: statistics per channel (dim 0 of a sample, e.g. C of (C, H, W)) instead of
            per feature.
        eps: added to std so that constant features do not divide by zero.
    """

    def __init__(self, per_channel=False, eps=1e-8):
        self.per_channel, self.eps = per_channel, eps
        self.mean = self.std = None

    def fit(self, data):
        """Compute mean and std from ``data`` and return self."""
        a = self._gather(data).astype(np.float64)
        if a.shape[0] == 0:
            raise ValueError("Standardize.fit: got no samples")
        axes = (0,) + tuple(range(2, a.ndim)) if self.per_channel else (0,)
        self.mean = a.mean(axis=axes, keepdims=True)[0]
        self.std = a.std(axis=axes, keepdims=True)[0]
        return self

    @staticmethod
    def _gather(data):
        if isinstance(data, (np.ndarray, Tensor)):
            return _array(data)
        if hasattr(data, "get_batch"):
            first = data.get_batch(list(range(len(data))))
            return _array(first[0] if isinstance(first, (list, tuple)) else first)
        samples = [data[i] for i in range(len(data))]
        return np.stack([_array(s[0] if isinstance(s, (tuple, list)) else s) for s in samples])

    def _check(self):
        if self.mean is None:
            raise RuntimeError("Standardize: call fit(train_data) before transforming")

    def __call__(self, x):
        self._check()
        a = _array(x)
        if a.shape != self.mean.shape and not self.per_channel:
            raise ValueError(f"Standardize: sample shape {a.shape} differs from the fitted shape {self.mean.shape}")
        dtype = a.dtype if a.dtype.kind == "f" else np.float32
        return wrap_array(((a - self.mean) / (self.std + self.eps)).astype(dtype))

    def batched(self, x):
        """A batch of samples along the first dimension."""
        self._check()
        a = _array(x)
        dtype = a.dtype if a.dtype.kind == "f" else np.float32
        return wrap_array(((a - self.mean[None]) / (self.std[None] + self.eps)).astype(dtype))

    def state_dict(self):
        """The fitted statistics (arrays)."""
        return {"mean": self.mean, "std": self.std}

    def __repr__(self):
        return f"Standardize(per_channel={self.per_channel}, fitted={self.mean is not None})"


class Lambda:
    """Apply a user function."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)
