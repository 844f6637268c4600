"""``glassgrad.nn.functional`` (``F``): the stateless forms of the layers, activations and losses."""
from ...ops.elementwise import elu, gelu, leaky_relu, relu, sigmoid, silu, softplus, tanh  # noqa: F401
from ...ops.indexing import one_hot  # noqa: F401
from ...ops.shape import pad  # noqa: F401
from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .multihead import multi_head_attention_forward  # noqa: F401
from .ctc import ctc_loss  # noqa: F401
