"""Training side of modelreg: price data, features, a reference trainer and its metrics.

Importing this package stays light: pandas and scikit-learn are imported inside the
functions that use them. `TrainingResult` lives in the core (`modelreg.result`), which never
imports from here; it is re-exported for the trainer's users.
"""

from __future__ import annotations

from ..result import TrainingResult
from .data import as_bars, generate_prices, load_prices
from .evaluation import evaluate
from .features import FEATURES, TARGET, build_features, compute_features
from .trainer import MODELS, TimeSplit, time_split, train_model

__all__ = [
    "FEATURES",
    "MODELS",
    "TARGET",
    "TimeSplit",
    "TrainingResult",
    "as_bars",
    "build_features",
    "compute_features",
    "evaluate",
    "generate_prices",
    "load_prices",
    "time_split",
    "train_model",
]
