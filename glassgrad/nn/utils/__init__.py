"""nn.utils: gradient clipping, flattening parameters to one vector, packed sequences (``rnn``),
weight/spectral normalization (hooks, and ``parametrizations`` on ``parametrize``), pruning
(``prune``) and ``stateless.functional_call``."""
from . import parametrizations, parametrize, prune, rnn, stateless  # noqa: F401
from .clip_grad import *  # noqa: F401,F403
from .convert_parameters import *  # noqa: F401,F403
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401
from . import clip_grad as _clip_grad, convert_parameters as _convert

__all__ = _clip_grad.__all__ + _convert.__all__ + ["weight_norm", "remove_weight_norm", "spectral_norm",
                                                   "remove_spectral_norm"]
