"""``glassgrad.optim``: optimizers (in-place updates with preallocated state), learning-rate
schedulers (``optim.lr_scheduler``), weight averaging (``optim.swa_utils``) and L1/L2 penalties (``optim.regularization``)."""
from . import lr_scheduler, regularization, swa_utils  # noqa: F401
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
           "ASGD", "Rprop", "LBFGS", "lr_scheduler", "regularization", "swa_utils"]
