"""nn modules: ``Dropout``, ``Dropout1d``, ``Dropout2d``, ``Dropout3d``, ``AlphaDropout``,
``FeatureAlphaDropout`` (active in training mode only)."""
from ..functional.dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """In training mode, zero each element with probability ``p`` (masks from glassgrad's default
    generator) and scale the others by 1/(1-p); in eval mode, the identity.

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def forward(self, input):
        return dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """In training mode, zero whole channels of an (N, C, L) input with probability ``p`` and
    scale the others by 1/(1-p); in eval mode, the identity.

    Shape:
        - Input: (N, C, L) or (C, L); Output: the input's shape.
    """

    def forward(self, input):
        return dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """In training mode, zero whole channels (feature maps) of an (N, C, H, W) input with
    probability ``p`` and scale the others by 1/(1-p); in eval mode, the identity.

    Shape:
        - Input: (N, C, H, W) (or (N, C, L), read as PyTorch does); Output: the input's shape.
    """

    def forward(self, input):
        return dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """In training mode, zero whole channels of an (N, C, D, H, W) input with probability ``p``
    and scale the others by 1/(1-p); in eval mode, the identity.

    Shape:
        - Input: (N, C, D, H, W) or (C, D, H, W); Output: the input's shape.
    """

    def forward(self, input):
        return dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks: in training mode each element is set with probability ``p`` to
    SELU's saturation value and an affine map keeps mean 0 and variance 1; the identity in eval mode.

    Shape:
        - Input: (*); Output: (*), the input's shape.
    """

    def forward(self, input):
        return alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """``AlphaDropout`` of whole channels (one draw per (n, c)).

    Shape:
        - Input: (N, C, *); Output: the input's shape.
    """

    def forward(self, input):
        return feature_alpha_dropout(input, self.p, self.training)
