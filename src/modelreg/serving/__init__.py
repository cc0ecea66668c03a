"""Serving side of modelreg: predict with the model a channel points to, following it live."""

from __future__ import annotations

from .prediction import Prediction, PredictionService

__all__ = ["Prediction", "PredictionService"]
