"""``glassgrad.optim``: optimizers (in-place updates with preallocated state), learning-rate
schedulers (``optim.lr_scheduler``) and L1/L2 penalties (``optim.regularization``)."""
from . import lr_scheduler, regularization  # noqa: F401
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler", "regularization"]
