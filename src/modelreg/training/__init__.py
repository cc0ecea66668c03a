"""Training side of modelreg: the TrainingResult a trainer produces."""

from __future__ import annotations

from .result import TrainingResult

__all__ = ["TrainingResult"]
