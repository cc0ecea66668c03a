"""A `modelreg server` as a backend: `ModelRegistry("http://host:8080", token=...)`.

Reads are the Backend primitives over HTTP. Writes are not: "read the pointer, check it, move
it, fix both statuses, log the event" done step by step from two laptops would race, and a
no-op client `transaction()` could not stop it. So this backend sets `delegates_writes`, and
the facade hands each whole write operation (register, promote, rollback, cleanup, delete,
verify, import) to `delegate`, which calls the one route that runs it on the server under the
registry's lock. The raw write primitives refuse, so nothing can bypass that by accident.

Artifacts are checked against their sha256 on the way in (upload, checked by the server) and
on the way out (download, checked here). Pickles from a server are not trusted by default.
Nor is anything else a server answers: `_receive` is the one place that maps its answers to
files, and it writes only inside the client's own temporary folder, under names the one
artifact-name rule allows, never more bytes than the metadata records.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import httpx

from ..errors import (
    CorruptVersionError,
    IntegrityError,
    InvalidInputError,
    ModelNotFoundError,
    ModelRegistryError,
    RemoteError,
    StorageError,
    VersionNotFoundError,
    error_class_by_code,
)
from ..events import Event
from ..integrity import stored_artifact_path
from ..metadata import METADATA_FILE, VersionFields, encode_metadata, iso_utc
from ..versions import validate_model_name
from .base import DEFAULT_MODEL, Backend, Debris, VersionQuery

__all__ = ["ENV_TOKEN", "RemoteBackend"]

#: the bearer token used when `token=` is not given
ENV_TOKEN = "MODELREG_TOKEN"
_CHUNK = 1 << 20


class RemoteBackend(Backend):
    """The HTTP client of `modelreg server` (one named model of the server's registry)."""

    trusted_by_default = False
    default_model_format = "safe"
    delegates_writes = True

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        model: str | None = None,
        lock_timeout: float | None = None,
        timeout: float | None = None,
    ) -> None:
        self.location = url.rstrip("/")
        self.model = validate_model_name(DEFAULT_MODEL if model is None else model)
        secret = token or os.environ.get(ENV_TOKEN)
        # a write may wait for the server's lock: give it that long, and then some
        wait = timeout if timeout is not None else max(60.0, 2 * (lock_timeout or 0))
        self._client = httpx.Client(
            base_url=self.location,
            headers={"Authorization": f"Bearer {secret}"} if secret else {},
            timeout=httpx.Timeout(wait, connect=10.0),
        )
        self._owns_client = True

    def for_model(self, model: str) -> RemoteBackend:
        """Another model of the same server, over the same connection pool."""
        other = copy.copy(self)
        other.model = validate_model_name(model)
        other._owns_client = False
        return other

    def __repr__(self) -> str:  # never the token
        return f"RemoteBackend({self.location!r}, model={self.model!r})"

    # --- HTTP -----------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; an error answer is raised as the registry error it names."""
        kwargs["params"] = {**dict(kwargs.get("params") or {}), "model": self.model}
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise StorageError(
                f"cannot reach the registry server at {self.location}: {exc}", url=self.location
            ) from exc
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    def _json(self, method: str, path: str, *, absent: Any = None, **kwargs: Any) -> Any:
        """The answer's JSON; `absent` (if given) when the server has no such model yet,
        which for a read is what a folder without that model answers: nothing."""
        try:
            return self._call(method, path, **kwargs).json()
        except ModelNotFoundError:
            if absent is None:
                raise
            return absent

    # --- reads ----------------------------------------------------------------------------

    def version_names(self) -> list[str]:
        return [v["version"] for v in self._json("GET", "/api/versions", absent=[])]

    def read_metadata(self, name: str) -> dict[str, Any] | None:
        try:
            meta = self._json("GET", f"/api/versions/{name}/metadata")
        except VersionNotFoundError:
            return None
        if not isinstance(meta, dict) or meta.get("version") != name:
            raise CorruptVersionError(
                f"the server at {self.location} answered metadata that is not version {name}'s",
                version=name,
            )
        return meta

    def query(self, query: VersionQuery) -> list[dict[str, Any]]:
        """One request, filtered on the server, instead of one per version."""
        params: dict[str, Any] = {
            "min": [f"{k}:{v!r}" for k, v in query.min_metrics.items()],
            "max": [f"{k}:{v!r}" for k, v in query.max_metrics.items()],
        }
        for key in ("trained_after", "trained_before"):
            when = getattr(query, key)
            if when is not None:
                params[key] = iso_utc(when)
        if query.status is not None:
            params["status"] = query.status
        if query.limit is not None:
            params["limit"] = query.limit
        found: list[dict[str, Any]] = self._json("GET", "/api/versions", params=params, absent=[])
        return found

    @contextlib.contextmanager
    def local_folder(self, name: str) -> Iterator[Path]:
        """A temporary copy of the version (metadata.json too), each artifact checked on arrival."""
        meta = self.read_metadata(name)
        if meta is None:
            raise VersionNotFoundError(f"version {name} not found at {self.location}", version=name)
        with tempfile.TemporaryDirectory(prefix="modelreg-remote-") as tmp:
            folder = Path(tmp)
            self._receive(name, meta, folder)
            (folder / METADATA_FILE).write_bytes(encode_metadata(meta))
            yield folder

    def _receive(self, name: str, meta: Mapping[str, Any], folder: Path) -> None:
        """Download every artifact `meta` lists into `folder`, and nowhere else.

        Each name passes the artifact-name rule and must stay inside `folder` before anything
        is opened; a file is created, never truncated, and holds at most its recorded size.
        """
        files = meta.get("files")
        if not isinstance(files, Mapping):
            raise CorruptVersionError(
                f"the server at {self.location} answered no file list for version {name}",
                version=name,
            )
        for filename, record in files.items():
            target = stored_artifact_path(folder, filename, version=name)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as out:
                self._download(name, filename, out, record)

    def open_artifact(self, name: str, filename: str) -> IO[bytes]:
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
        try:
            self._download(name, filename, handle)
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        return handle

    def _download(self, name: str, filename: str, out: IO[bytes], record: Any = None) -> None:
        """Stream one artifact into `out`; IntegrityError when it differs from its record.

        With a `record` ({sha256, bytes}), no more than its size is taken and its sha256 is
        the one checked; without, the server's `X-Checksum-Sha256` header is.
        """
        path = f"/api/versions/{name}/files/{quote(filename)}"
        size = record.get("bytes") if isinstance(record, Mapping) else None
        limit = size if isinstance(size, int) and not isinstance(size, bool) else None
        digest, got = hashlib.sha256(), 0
        try:
            with self._client.stream("GET", path, params={"model": self.model}) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error_from(response)
                expected = response.headers.get("x-checksum-sha256")
                for chunk in response.iter_bytes(_CHUNK):
                    got += len(chunk)
                    if limit is not None and got > limit:
                        raise IntegrityError(
                            f"the server at {self.location} sent more than the {limit} bytes "
                            f"recorded for {filename} of version {name}; nothing was loaded",
                            version=name,
                            path=filename,
                        )
                    digest.update(chunk)
                    out.write(chunk)
        except httpx.TransportError as exc:
            raise StorageError(
                f"download of {filename} ({name}) from {self.location} failed: {exc}",
                version=name,
            ) from exc
        if isinstance(record, Mapping) and isinstance(record.get("sha256"), str):
            expected = record["sha256"]
        if expected and digest.hexdigest() != expected:
            raise IntegrityError(
                f"{filename} of version {name} arrived with sha256 {digest.hexdigest()}, "
                f"not {expected}: the transfer was damaged; nothing was loaded",
                version=name,
                path=filename,
                expected_sha256=expected,
                actual_sha256=digest.hexdigest(),
            )

    def get_pointer(self, channel: str) -> str | None:
        target: str | None = self._json("GET", "/api/channels", absent={}).get(channel)
        return target

    def channel_names(self) -> list[str]:
        return sorted(self._json("GET", "/api/channels", absent={}))

    def read_events(self) -> list[Event]:
        return [Event.from_dict(e) for e in self._json("GET", "/api/events", absent=[])]

    def debris(self) -> list[Debris]:
        return [Debris(**d) for d in self._json("GET", "/api/debris", absent=[])]

    def model_names(self) -> list[str]:
        return list(self._json("GET", "/api/models")["models"])

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """A local temporary folder: the artifacts are uploaded when the version is registered."""
        folder = Path(tempfile.mkdtemp(prefix="modelreg-staging-"))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Nothing to hold here: every write is one server call, atomic under its lock."""
        yield

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    # --- writes: whole operations, run by the server ---------------------------------------

    def delegate(self, operation: str, **arguments: Any) -> Any:
        handler = getattr(self, f"_op_{operation}", None)
        if handler is None:
            raise InvalidInputError(f"a registry server has no {operation!r} operation")
        return handler(**arguments)

    def _op_register(
        self,
        *,
        folder: Path,
        files: Mapping[str, Mapping[str, Any]],
        artifacts: Mapping[str, Any],
        fields: VersionFields,
    ) -> str:
        declared = {
            "metrics": fields.metrics,
            "features": fields.features,
            "hyperparameters": fields.hyperparameters,
            "config": fields.config,
            "data_range": fields.data_range,
            "metadata_extra": fields.extra,
            "training_date": iso_utc(fields.training_date) if fields.training_date else None,
            "artifacts": dict(artifacts),
            "files": {name: dict(record) for name, record in files.items()},
        }
        with contextlib.ExitStack() as stack:
            parts = [
                ("files", (name, stack.enter_context(open(folder / name, "rb")))) for name in files
            ]
            body = self._json(
                "POST",
                "/api/versions",
                data={"metadata": json.dumps(declared, default=str)},
                files=parts,
            )
        return str(body["version"])

    def _op_import(self, *, archive: Path) -> str:
        with open(archive, "rb") as handle:
            body = self._json("POST", "/api/import", files={"archive": (archive.name, handle)})
        return str(body["version"])

    def _op_promote(self, **request: Any) -> bool:
        return self._moved("/api/promote", request)

    def _op_rollback(self, *, version: str | None, reason: str | None, **_: Any) -> bool:
        return self._moved("/api/rollback", {"version": version, "reason": reason})

    def _moved(self, path: str, request: Mapping[str, Any]) -> bool:
        """True once the server moved the pointer; False where the facade says "not found"."""
        try:
            self._call("POST", path, json=dict(request))
        except VersionNotFoundError:
            return False
        return True

    def _op_cleanup(self, *, keep_versions: int, dry_run: bool) -> list[str]:
        request = {"keep_versions": keep_versions, "dry_run": dry_run}
        answer = self._json("POST", "/api/cleanup", json=request, absent={"deleted": []})
        return list(answer["deleted"])

    def _op_delete(self, *, version: str, reason: str | None) -> bool:
        params = {"reason": reason} if reason else {}
        try:
            self._call("DELETE", f"/api/versions/{version}", params=params)
        except VersionNotFoundError:
            return False
        return True

    def _op_verify(self, *, repair: bool) -> dict[str, Any]:
        empty = {"checked": 0, "problems": [], "repaired": []}
        report: dict[str, Any] = self._json(
            "POST", "/api/verify", json={"repair": repair}, absent=empty
        )
        return report

    # --- raw writes: refused, see the module docstring ---------------------------------------

    def publish(self, staged: Path, name: str, metadata: Mapping[str, Any]) -> None:
        _refuse("publish")

    def write_metadata(self, name: str, metadata: Mapping[str, Any]) -> None:
        _refuse("write_metadata")

    def delete_version(self, name: str) -> None:
        _refuse("delete_version")

    def set_pointer(self, channel: str, name: str | None) -> None:
        _refuse("set_pointer")

    def append_event(self, event: Event) -> None:
        _refuse("append_event")

    def remove_debris(self, item: Debris) -> None:
        _refuse("remove_debris")


def _refuse(primitive: str) -> None:
    raise InvalidInputError(
        f"a registry server takes whole operations (ModelRegistry methods), not raw "
        f"{primitive} calls: each runs on the server under its lock"
    )


def _error_from(response: httpx.Response) -> ModelRegistryError:
    """The registry error a server's answer names (the client's half of the table)."""
    try:
        body = response.json()
        code, message = body["error"], body["message"]
        context = body.get("context") or {}
    except (ValueError, KeyError, TypeError):
        return RemoteError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:200]}",
            status=response.status_code,
        )
    cls = error_class_by_code(str(code))
    known = {k: v for k, v in context.items() if isinstance(k, str) and k != "message"}
    return cls(str(message), **known)
