"""``glassgrad.nn.functional`` (``F``): the stateless forms of the layers, activations and losses.

The NN kernels (convolution, pooling, normalization, losses, linear maps, dropout, embedding) live
here, one module per family, each ``Function`` beside the ``F.*`` function that checks its
arguments. Tensor math (element-wise, reductions, shapes, indexing) lives in ``glassgrad.ops``.
"""
from ...ops.indexing import one_hot  # noqa: F401
from ...ops.shape import pad  # noqa: F401
from .activation import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .convolution import *  # noqa: F401,F403
from .ctc import ctc_loss  # noqa: F401
from .distance import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .embedding_bag import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .interpolate import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .margin_loss import *  # noqa: F401,F403
from .multihead import multi_head_attention_forward  # noqa: F401
from .norm import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .pool_nd import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
