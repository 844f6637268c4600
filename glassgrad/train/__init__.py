"""``glassgrad.train``: ``fit``/``evaluate``/``predict``, callbacks, metrics, progress, ``History``,
safetensors checkpoints and the model builders of the CLI."""
from .callbacks import (Callback, CSVLogger, EarlyStopping, LambdaCallback, LRSchedulerCallback,  # noqa: F401
                        ModelCheckpoint, interrupted_path)
from .checkpoint import load_checkpoint, read_checkpoint_metadata, save_checkpoint  # noqa: F401
from .history import History  # noqa: F401
from .inspect_callback import InspectCallback  # noqa: F401
from .loop import Trainer, evaluate, fit, predict  # noqa: F401
from .metrics import MAE, RMSE, Accuracy, Metric, TopKAccuracy, accuracy, mae, rmse, top_k_accuracy  # noqa: F401
from .models import build_model, cnn, count_parameters, mlp, model_config, validate_config  # noqa: F401
from .progress import ProgressBar  # noqa: F401
