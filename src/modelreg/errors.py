"""Every error modelreg raises, under one root.

The tree::

    ModelRegistryError
    ├── InvalidVersionError      (ValueError)   a version or channel name that is not allowed
    ├── InvalidInputError        (ValueError)   metrics, metadata, data ranges, arguments
    │   ├── ReservedKeyError                    a key the registry records itself
    │   ├── PayloadTooLargeError                a body, upload or archive past its limit
    │   ├── TextTooLongError                    a description past its length limit
    │   └── UnsupportedMediaTypeError           a request body in a format the route cannot read
    ├── VersionNotFoundError     (LookupError)  where None/False cannot say it (CLI, server)
    │   ├── ModelNotFoundError                  a server has no model of that name
    │   └── RequestNotFoundError                no promotion request with that id
    ├── VersionExistsError                      a name or import that is already taken
    ├── PromotionConflict                       production moved since the caller looked
    ├── GateRefusedError                        a candidate that loses to the holder (unless forced)
    ├── ApprovalRequiredError                   a channel that needs approval, moved without one
    ├── CorruptVersionError                     metadata.json or an event that cannot be read
    │   └── IntegrityError                      an artifact whose sha256 or size differs
    ├── UntrustedModelError                     a pickle the caller has not agreed to trust
    ├── MissingDependencyError   (ImportError)  an optional extra that is not installed
    ├── SchemaVersionError                      a catalog written by a newer modelreg
    ├── StorageError             (OSError)      the disk, database or object store failed
    │   ├── LockTimeout          (TimeoutError) another writer held the lock too long
    │   └── UnloggedChangeError                 a change made, then the audit log failed
    ├── AuthError                (PermissionError) no token, or an unknown one
    │   ├── ForbiddenError                      a token without the scope the call needs
    │   └── SignatureError                      a webhook delivery whose signature does not hold
    ├── RemoteError                             a server answered with an error we cannot map
    ├── NotReadyError                           a serving process with no model to answer with yet
    └── ServerBusyError                         a server at its limit of a resource (event streams)

Each class knows its HTTP status and CLI exit code, so the CLI and the server translate
errors in exactly one place each. Errors from below (OSError, SQLAlchemy, httpx, botocore,
MLflow) enter this tree in one place too: `modelreg.lower_errors`. Context travels as
attributes and survives pickling.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ApprovalRequiredError",
    "AuthError",
    "CorruptVersionError",
    "ForbiddenError",
    "GateRefusedError",
    "IntegrityError",
    "InvalidInputError",
    "InvalidVersionError",
    "LockTimeout",
    "MissingDependencyError",
    "ModelNotFoundError",
    "ModelRegistryError",
    "NotReadyError",
    "PayloadTooLargeError",
    "PromotionConflict",
    "RemoteError",
    "RequestNotFoundError",
    "ReservedKeyError",
    "SchemaVersionError",
    "ServerBusyError",
    "SignatureError",
    "StorageError",
    "TextTooLongError",
    "UnloggedChangeError",
    "UnsupportedMediaTypeError",
    "UntrustedModelError",
    "VersionExistsError",
    "VersionNotFoundError",
    "error_class_by_code",
]


class ModelRegistryError(Exception):
    """Root of every modelreg error; catch this to catch them all."""

    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1
    code: ClassVar[str] = "registry_error"

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context
        for key, value in context.items():
            setattr(self, key, value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.context))

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """The JSON body the server sends and the remote client turns back into this error."""
        context = {k: _jsonable(v) for k, v in self.context.items()}
        return {"error": self.code, "message": self.message, "context": context}


def _rebuild(cls: type[ModelRegistryError], message: str, context: dict[str, Any]) -> Any:
    return cls(message, **context)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


class InvalidVersionError(ModelRegistryError, ValueError):
    """A version (or channel) name that is malformed or could reach outside the registry."""

    http_status = 422
    exit_code = 2
    code = "invalid_version"


class InvalidInputError(ModelRegistryError, ValueError):
    """Arguments that cannot be stored as given: nothing was written."""

    http_status = 422
    exit_code = 2
    code = "invalid_input"


class TextTooLongError(InvalidInputError):
    """A description longer than the registry keeps (`length` and `limit`, in characters)."""

    code = "text_too_long"


class ReservedKeyError(InvalidInputError):
    """A caller tried to set a field the registry owns (`metadata_extra`, an upload's record)."""

    code = "reserved_key"


class PayloadTooLargeError(InvalidInputError):
    """A request body (or the rows in it), an upload or an archive past its limit: nothing of
    it was kept."""

    http_status = 413
    code = "too_large"


class UnsupportedMediaTypeError(InvalidInputError):
    """A request body in a content type the route does not read; the message lists those it does."""

    http_status = 415
    code = "unsupported_media_type"


class VersionNotFoundError(ModelRegistryError, LookupError):
    """Raised only where a None/False return cannot carry "does not exist" (CLI, HTTP)."""

    http_status = 404
    exit_code = 1
    code = "not_found"


class ModelNotFoundError(VersionNotFoundError):
    """A registry server holds no model of that name (a read creates none)."""

    code = "model_not_found"


class RequestNotFoundError(VersionNotFoundError):
    """No promotion request has that id (or it is not this model's)."""

    code = "request_not_found"


class VersionExistsError(ModelRegistryError):
    """A version name (or an imported version) is already taken."""

    http_status = 409
    code = "exists"


class PromotionConflict(ModelRegistryError):
    """`expected_current` no longer matches the channel: someone promoted meanwhile."""

    http_status = 409
    code = "conflict"


class GateRefusedError(ModelRegistryError):
    """The gate says the candidate does not beat the channel's holder; `gate` has the table.

    Promote with `force` to override it; the audit event then records that it was forced.
    """

    http_status = 409
    code = "gate_refused"


class ApprovalRequiredError(ModelRegistryError):
    """The channel needs a second person's approval: file a request, do not move it directly."""

    http_status = 409
    code = "approval_required"


class CorruptVersionError(ModelRegistryError):
    """Stored data exists but cannot be read; never reported as "not found"."""

    http_status = 500
    code = "corrupt"


class IntegrityError(CorruptVersionError):
    """An artifact's bytes differ from the sha256 recorded at registration."""

    code = "integrity"


class UntrustedModelError(ModelRegistryError):
    """Loading would unpickle data from a source the caller has not agreed to trust."""

    http_status = 403
    code = "untrusted"


class MissingDependencyError(ModelRegistryError, ImportError):
    """An optional extra is needed for this; the message names the pip command."""

    http_status = 501
    code = "missing_dependency"


class SchemaVersionError(ModelRegistryError):
    """The catalog was written by a newer modelreg, or needs `modelreg db upgrade`."""

    http_status = 503
    code = "schema_version"


class StorageError(ModelRegistryError, OSError):
    """The storage layer failed (full disk, I/O error, database down); nothing half-done."""

    http_status = 503
    code = "storage"


class LockTimeout(StorageError, TimeoutError):
    """Another writer held the registry lock for longer than `lock_timeout`."""

    http_status = 423
    code = "lock_timeout"


class UnloggedChangeError(StorageError):
    """The registry changed, then the audit log could not record it.

    The message says exactly what changed (`changed`: the versions, or the channel and its
    old and new version), since it stands; `modelreg verify --repair` records it in the log
    once the log can be written again.
    """

    http_status = 500
    code = "unlogged_change"


class AuthError(ModelRegistryError, PermissionError):
    """Missing or insufficient credentials for a registry server."""

    http_status = 401
    code = "unauthorized"


class ForbiddenError(AuthError):
    """A valid token whose scope does not cover the call (a read token on a write route)."""

    http_status = 403
    code = "forbidden"


class SignatureError(AuthError):
    """A webhook delivery whose signature is missing, wrong or too old (a receiver's check)."""

    code = "bad_signature"


class RemoteError(ModelRegistryError):
    """A registry server answered with an error this client does not know."""

    http_status = 502
    code = "remote"


class NotReadyError(ModelRegistryError):
    """A serving process has no model loaded yet (none in the channel, or none that loads)."""

    http_status = 503
    code = "not_ready"


class ServerBusyError(ModelRegistryError):
    """A server already serves as many of something (event streams) as it allows: retry later."""

    http_status = 503
    code = "busy"


def error_class_by_code(code: str) -> type[ModelRegistryError]:
    """Map a wire `error` code back to its class (the remote client's half of the table)."""
    for cls in _all_subclasses(ModelRegistryError):
        if cls.code == code:
            return cls
    return RemoteError


def _all_subclasses(cls: type[ModelRegistryError]) -> list[type[ModelRegistryError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_all_subclasses(sub))
    return found
