"""nn.utils: gradient clipping, flattening parameters to one vector, packed sequences (``rnn``)."""
from . import rnn  # noqa: F401
from .clip_grad import *  # noqa: F401,F403
from .convert_parameters import *  # noqa: F401,F403
from . import clip_grad as _clip_grad, convert_parameters as _convert

__all__ = _clip_grad.__all__ + _convert.__all__
