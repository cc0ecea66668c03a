"""modelreg: a model registry for trained ML models.

from modelreg import ModelRegistry, TrainingResult
registry = ModelRegistry("models/")
version = registry.register(result, data_range={"start": "2025-01-01", "end": "2026-01-26"})
registry.promote_to_production(version)
"""

from __future__ import annotations

from .errors import (
    ApprovalRequiredError,
    CorruptVersionError,
    GateRefusedError,
    IntegrityError,
    InvalidInputError,
    InvalidVersionError,
    LockTimeout,
    MissingDependencyError,
    ModelNotFoundError,
    ModelRegistryError,
    PayloadTooLargeError,
    PromotionConflict,
    RequestNotFoundError,
    ReservedKeyError,
    StorageError,
    TextTooLongError,
    UnloggedChangeError,
    UntrustedModelError,
    VersionExistsError,
    VersionNotFoundError,
)
from .events import Event
from .gate import PromotionDecision
from .registry import ModelRegistry, VerifyReport
from .result import TrainingResult
from .versions import ModelVersion

__version__ = "0.1.0"

__all__ = [
    "ApprovalRequiredError",
    "CorruptVersionError",
    "Event",
    "GateRefusedError",
    "IntegrityError",
    "InvalidInputError",
    "InvalidVersionError",
    "LockTimeout",
    "MissingDependencyError",
    "ModelNotFoundError",
    "ModelRegistry",
    "ModelRegistryError",
    "ModelVersion",
    "PayloadTooLargeError",
    "PromotionConflict",
    "PromotionDecision",
    "RequestNotFoundError",
    "ReservedKeyError",
    "StorageError",
    "TextTooLongError",
    "TrainingResult",
    "UnloggedChangeError",
    "UntrustedModelError",
    "VerifyReport",
    "VersionExistsError",
    "VersionNotFoundError",
    "__version__",
]
