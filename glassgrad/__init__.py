"""glassgrad: backpropagation you can see through.

A reverse-mode autodiff engine and neural-network library on NumPy (CuPy on NVIDIA GPUs) with
PyTorch's API: ``import glassgrad as torch`` style code runs with the imports changed.
"""
from . import host_memory  # noqa: F401  (keeps freed buffers for reuse: see host_memory.py)
from . import backend
from .parallel import get_num_threads, set_num_threads
from .autograd import Tensor, enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .backend import (bool_ as bool, device, float16, float32, float64, get_default_dtype, int8, int16,
                      int32, int64, set_default_dtype, uint8)
from .ops import tensor_methods as _tensor_methods  # noqa: F401  (binds the Tensor methods)
from .ops.creation import *  # noqa: F401,F403
from .ops.elementwise import *  # noqa: F401,F403
from .ops.linalg import *  # noqa: F401,F403
from .ops.reduction import *  # noqa: F401,F403
from .ops.shape import *  # noqa: F401,F403
from .ops.indexing import *  # noqa: F401,F403
from .ops.random_ops import *  # noqa: F401,F403
from .ops.binary_math import *  # noqa: F401,F403
from .ops.combining import *  # noqa: F401,F403
from .ops.comparison import *  # noqa: F401,F403
from .ops.cumulative import *  # noqa: F401,F403
from .ops.decompositions import *  # noqa: F401,F403
from .ops.diagonal import *  # noqa: F401,F403
from .ops.products import *  # noqa: F401,F403
from .ops.sampling import *  # noqa: F401,F403
from .ops.sorting import *  # noqa: F401,F403
from .ops.statistics import *  # noqa: F401,F403
from . import linalg  # noqa: F401  (torch.linalg)
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
from . import autograd  # noqa: E402
from .autograd.printing import set_printoptions  # noqa: E402,F401
from .nn.summary import summary  # noqa: E402,F401
# torch.conv2d, torch.max_pool2d, ...: PyTorch's top-level names for NN kernels, bound from nn
from .nn.functional.convolution import *  # noqa: E402,F401,F403
from .nn.functional.pool import *  # noqa: E402,F401,F403
# torch.selu, torch.pdist, torch.pixel_shuffle, ...: more top-level names of nn kernels (issue 13)
from .nn.functional.activation import celu, celu_, hardshrink, prelu, selu, selu_, threshold, threshold_  # noqa: E402,F401
from .nn.functional.distance import cosine_similarity, pairwise_distance, pdist  # noqa: E402,F401
from .nn.functional.dropout import alpha_dropout, feature_alpha_dropout  # noqa: E402,F401
from .nn.functional.linear import bilinear  # noqa: E402,F401
from .nn.functional.norm import rms_norm  # noqa: E402,F401
from .nn.functional.pool_nd import max_pool3d  # noqa: E402,F401
from .nn.functional.vision import pixel_shuffle, pixel_unshuffle  # noqa: E402,F401
from . import optim  # noqa: E402,F401
from . import func  # noqa: E402,F401
from .compiler import compile  # noqa: E402,F401  (capture a training step, replay it)
from .func import vmap  # noqa: E402,F401
from .dlpack import from_dlpack  # noqa: E402,F401
from . import distributed, onnx  # noqa: E402,F401  (onnx and mpi4py are imported only when used)
from . import utils  # noqa: E402,F401  (torch.utils.data's path)
from .io.serialization import load, save  # noqa: E402,F401  (safetensors underneath, never pickle)

__version__ = "0.1.0"
