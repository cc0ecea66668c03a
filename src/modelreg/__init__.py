"""modelreg: a model registry for trained ML models.

    from modelreg import ModelRegistry, TrainingResult
    registry = ModelRegistry("models/")
    version = registry.register(result, data_range={"start": "2025-01-01", "end": "2026-01-26"})
    registry.promote_to_production(version)

The layers, each calling only the one below it (`tests/test_boundaries.py` forbids the rest):

- `ModelRegistry` (`registry.py`, with `edits.py`, `promotions.py` and `transfer.py` as its
  mixins): configuration (`config.py`: arguments, environment, YAML), argument checks,
  `latest` and `@channel` resolution, and the original API's None/False answers.
- `operations/`: the typed `Operations` seam; `StoreOperations` holds the policy over a
  backend's primitives, `RemoteOperations` is the HTTP client of `modelreg server`.
- `backends/`: the primitives of a folder (and its SQLite index) or of a SQL catalog with an
  fsspec artifact store.
- On top, calling the facade: `cli/`, `serving/` (the REST server, its UI, predictions) and
  `training/`; `modelreg.testing` ships the contract suites a new backend must pass.

One rule, one place: names in `versions.py`, a listing's filters in `query.py` (`FILTERS`),
metadata in `metadata.py`, hashing in `integrity.py`, lower-layer errors in `lower_errors.py`,
errors and their HTTP status and exit code in `errors.py`.
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
