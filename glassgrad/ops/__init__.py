"""The differentiable primitives, one module per family. Importing this package attaches them to
``Tensor`` as methods and operators."""
from . import tensor_methods

tensor_methods.bind()
