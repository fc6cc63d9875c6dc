"""``tinygrad_tutorial.optim``: optimizers that update parameters from their gradients,
and LR schedules."""
from . import lr_scheduler
from .adagrad import Adadelta, Adagrad
from .adam import Adam, AdamW
from .adam_variants import Adamax, NAdam, RAdam
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
__all__ += ["Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS"]
