"""The autograd engine: ``Tensor``, ``Function``, grad modes, ``backward``/``grad``, checks, and
PyTorch's submodules ``functional`` (jacobian, hessian, vjp, jvp, hvp, vhp), ``forward_ad`` (dual
numbers) and ``graph`` (saved-tensor hooks)."""
from . import forward_ad, functional, graph
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward
from .function import Function, once_differentiable
from .functional import vjp
from .gradients import grad
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .printing import set_printoptions
from .tensor import Tensor

__all__ = ["Tensor", "Function", "once_differentiable", "backward", "grad", "vjp", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode", "detect_anomaly",
           "set_detect_anomaly", "gradcheck", "gradgradcheck", "GradcheckError", "is_anomaly_enabled",
           "set_printoptions", "functional", "forward_ad", "graph"]
