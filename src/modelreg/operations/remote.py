"""The client of a `modelreg server`: `ModelRegistry("http://host:8080", token=...)`.

`RemoteOperations` is the `Operations` seam over HTTP: one typed method per REST route, one
request where one suffices (a version's info is one GET, a load fetches the metadata once).
Every write is one call that the server runs whole, with its own `StoreOperations`, under
the registry's lock: "read the pointer, check it, move it, fix both statuses, log the event"
done step by step from two laptops would race. Errors come back as the registry error class
the server names, context included.

Artifacts are checked against their sha256 on the way in (upload, checked by the server) and
on the way out (download, checked here). Pickles from a server are not trusted by default.
Nor is anything else a server answers: `_receive` is the one place that maps its answers to
files, and it writes only inside the client's own temporary folder, under names the one
artifact-name rule allows, never more bytes than the metadata records.
"""

from __future__ import annotations

import contextlib
import copy
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import httpx

from ..approvals import PromotionRequest
from ..archive import read_folder, write_archive
from ..backends.base import DEFAULT_MODEL, Debris, VersionQuery
from ..config import from_environment
from ..errors import (
    ApprovalRequiredError,
    CorruptVersionError,
    IntegrityError,
    ModelNotFoundError,
    ModelRegistryError,
    RemoteError,
    VersionNotFoundError,
    error_class_by_code,
)
from ..events import Event
from ..gate import GatePolicy, GateReport
from ..hooks.feed import EventFilter, FeedEvent
from ..integrity import CHUNK, Digest, stored_artifact_path
from ..lower_errors import translated
from ..metadata import METADATA_FILE, VersionFields, encode_metadata, iso_utc
from ..query import TOTAL_HEADER
from ..tags import tags_of
from ..versions import PRODUCTION, alias_channel, validate_model_name
from .base import (
    UNSET,
    HistoryMerge,
    Imported,
    Operations,
    PointerMove,
    Promotion,
    VerifyReport,
)
from .event_client import stream_events
from .upload_body import RegistrationBody

__all__ = ["RemoteOperations"]

#: the bearer token used when `token=` is not given


class RemoteOperations(Operations):
    """The HTTP client of `modelreg server` (one named model of the server's registry)."""

    trusted_by_default = False
    default_model_format = "safe"

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
        secret = token or from_environment("token")
        # a write may wait for the server's lock: give it that long, and then some
        wait = timeout if timeout is not None else max(60.0, 2 * (lock_timeout or 0))
        self._client = httpx.Client(
            base_url=self.location,
            headers={"Authorization": f"Bearer {secret}"} if secret else {},
            timeout=httpx.Timeout(wait, connect=10.0),
        )
        self._owns_client = True

    def for_model(self, model: str) -> RemoteOperations:
        """Another model of the same server, over the same connection pool."""
        other = copy.copy(self)
        other.model = validate_model_name(model)
        other._owns_client = False
        return other

    def __repr__(self) -> str:  # never the token
        return f"RemoteOperations({self.location!r}, model={self.model!r})"

    # --- HTTP -----------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; an error answer is raised as the registry error it names."""
        kwargs["params"] = {**dict(kwargs.get("params") or {}), "model": self.model}
        with translated(f"{method} {path} at", self.location, url=self.location):
            response = self._client.request(method, path, **kwargs)
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
        params = query.to_params()
        found: list[dict[str, Any]] = self._json("GET", "/api/versions", params=params, absent=[])
        return found

    def count_versions(self, query: VersionQuery) -> int:
        """The total the server sends beside an empty page (`X-Total-Count`)."""
        params = {**query.to_params(), "limit": 0}
        try:
            response = self._call("GET", "/api/versions", params=params)
        except ModelNotFoundError:
            return 0
        total = response.headers.get(TOTAL_HEADER, "")
        if not total.isdigit():
            raise RemoteError(f"the server at {self.location} sent no {TOTAL_HEADER} header")
        return int(total)

    def metric_names(self) -> dict[str, int]:
        counts = self._json("GET", "/api/metrics", absent={})
        if not isinstance(counts, dict) or not all(
            isinstance(k, str) and isinstance(v, int) for k, v in counts.items()
        ):
            raise RemoteError(f"the server at {self.location} answered metric counts unreadably")
        return counts

    def version_info(self, version: str) -> dict[str, Any]:
        """One request: the server answers metadata, effective status and channels at once."""
        channel = alias_channel(version)
        name = self.get_pointer(channel) if channel else version
        if name is None:
            raise VersionNotFoundError(
                f"{channel} points to no version in {self.location}", version=version
            )
        info: dict[str, Any] = self._json("GET", f"/api/versions/{name}")
        if not isinstance(info, dict) or info.get("version") != name:
            raise CorruptVersionError(
                f"the server at {self.location} answered info that is not version {name}'s",
                version=name,
            )
        info["path"] = self.location_of(name)
        return info

    @contextlib.contextmanager
    def checked_folder(self, metadata: Mapping[str, Any]) -> Iterator[Path]:
        """A temporary copy of the version (metadata.json too), each artifact checked on arrival.

        The metadata is the caller's: nothing is fetched twice, and nothing hashed twice.
        """
        name = str(metadata["version"])
        with tempfile.TemporaryDirectory(prefix="modelreg-remote-") as tmp:
            folder = Path(tmp)
            self._receive(name, metadata, folder)
            (folder / METADATA_FILE).write_bytes(encode_metadata(metadata))
            yield folder

    def location_of(self, name: str) -> str:
        return f"{self.location}/{name}"

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
        digest = Digest()
        doing = f"download {filename} of version {name} from"
        with (
            translated(doing, self.location, version=name),
            self._client.stream("GET", path, params={"model": self.model}) as response,
        ):
            if response.status_code >= 400:
                response.read()
                raise _error_from(response)
            expected = response.headers.get("x-checksum-sha256")
            for chunk in response.iter_bytes(CHUNK):
                if limit is not None and digest.bytes + len(chunk) > limit:
                    raise IntegrityError(
                        f"the server at {self.location} sent more than the {limit} bytes "
                        f"recorded for {filename} of version {name}; nothing was loaded",
                        version=name,
                        path=filename,
                    )
                digest.update(chunk)
                out.write(chunk)
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
        return self.pointers().get(channel)

    def pointers(self) -> dict[str, str | None]:
        found: dict[str, str | None] = self._json("GET", "/api/channels", absent={})
        return found

    def read_events(self) -> list[Event]:
        return [Event.from_dict(e) for e in self._json("GET", "/api/events", absent=[])]

    def debris(self) -> list[Debris]:
        return [Debris(**d) for d in self._json("GET", "/api/debris", absent=[])]

    def hook_status(self) -> dict[str, Any]:
        """The server's webhooks and how their delivery goes (a write token's view)."""
        return dict(self._json("GET", "/api/hooks"))

    def stream_events(
        self, *, after: int | None, wanted: EventFilter, stop: Callable[[], bool]
    ) -> Iterator[FeedEvent]:
        """The server's event stream (SSE), resumed with Last-Event-ID when it drops."""
        return stream_events(
            self._client, self.model, after=after, wanted=wanted, stop=stop, error_of=_error_from
        )

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

    def create(self) -> None:
        """Nothing to create from here: a server creates a model's storage on its first write."""
        return None

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    # --- writes: each one route, run whole by the server ------------------------------------

    def register(
        self,
        staged: Path,
        files: Mapping[str, Mapping[str, Any]],
        artifacts: Mapping[str, Any],
        fields: VersionFields,
    ) -> str:
        """POST /api/versions: the declared metadata first, then the files, streamed."""
        declared = {
            **_declared(fields, artifacts),
            "files": {name: dict(record) for name, record in files.items()},
        }
        with contextlib.ExitStack() as stack:
            parts = [
                ("files", (name, stack.enter_context(open(staged / name, "rb")))) for name in files
            ]
            body = self._json(
                "POST",
                "/api/versions",
                data={"metadata": json.dumps(declared, default=str)},
                files=parts,
            )
        return str(body["version"])

    def register_sources(
        self,
        sources: Mapping[str, Path],
        artifacts: Mapping[str, Any],
        fields: VersionFields,
        progress: Callable[[int], None] | None = None,
    ) -> str:
        """POST /api/versions straight from the caller's files: each read once, hashed as it
        is sent, its sha256 sent after it (no local copy, no second read)."""
        body = RegistrationBody(_declared(fields, artifacts), sources, progress)
        headers = {"Content-Type": body.content_type, "Content-Length": str(body.length)}
        answer = self._json("POST", "/api/versions", content=body, headers=headers)
        return str(answer["version"])

    def move_pointer(
        self,
        name: str,
        channel: str,
        *,
        action: str = "promote",
        reason: str | None = None,
        expected_current: str | None = UNSET,
    ) -> PointerMove:
        """POST /api/promote (forced past the gate), or /api/rollback for a named version."""
        if action == "rollback":
            return self._moved("/api/rollback", _rollback_request(name, channel, reason))
        done = self.promote_checked(
            name,
            channel,
            policy=GatePolicy(),
            reason=reason,
            expected_current=expected_current,
            force=True,
        )
        if done.move is None:
            rid = done.request.id if done.request is not None else None
            raise ApprovalRequiredError(
                f"{channel} at {self.location} needs approval: filed as request {rid}",
                channel=channel,
                request=rid,
            )
        return done.move

    def rollback(self, *, reason: str | None = None, channel: str = PRODUCTION) -> PointerMove:
        """POST /api/rollback without a version: the server finds the channel's previous one."""
        return self._moved("/api/rollback", _rollback_request(None, channel, reason))

    def _moved(self, path: str, request: Mapping[str, Any]) -> PointerMove:
        answer = self._json("POST", path, json=dict(request))
        return PointerMove(answer["channel"], answer["version"], answer.get("previous"))

    # --- the gate and approvals: the server judges with its own configuration ----------------

    def judge_promotion(self, name: str, channel: str, policy: GatePolicy) -> GateReport:
        """GET /api/gate: the server's verdict, on its configured metrics and thresholds."""
        params = {"version": name, "channel": channel}
        return GateReport.from_dict(self._json("GET", "/api/gate", params=params))

    def promote_checked(
        self,
        name: str,
        channel: str,
        *,
        policy: GatePolicy,
        reason: str | None = None,
        expected_current: str | None = UNSET,
        force: bool = False,
        approval: bool = False,
    ) -> Promotion:
        """POST /api/promote: judged, moved or filed by the server, under its lock."""
        request: dict[str, Any] = {
            "version": name,
            "channel": channel,
            "reason": reason,
            "force": force,
            "request_approval": approval,
        }
        if expected_current is not UNSET:
            request["expected_current"] = expected_current
        return Promotion.from_dict(self._json("POST", "/api/promote", json=request))

    def promotion_requests(self) -> list[PromotionRequest]:
        """GET /api/requests."""
        found = self._json("GET", "/api/requests", absent=[])
        return [PromotionRequest.from_dict(r) for r in found]

    def decide_request(self, request_id: str, *, approve: bool, reason: str) -> PromotionRequest:
        """POST /api/requests/{id}/approve or /reject; the server knows who is asking."""
        verb = "approve" if approve else "reject"
        answer = self._json("POST", f"/api/requests/{request_id}/{verb}", json={"reason": reason})
        return PromotionRequest.from_dict(answer)

    def edit_tags(
        self,
        name: str | None,
        *,
        set_tags: Mapping[str, str],
        remove: Sequence[str] = (),
        reason: str | None = None,
    ) -> dict[str, str]:
        """POST /api/versions/{name}/tags, or /api/model/tags for the model's own."""
        request = {"set": dict(set_tags), "remove": list(remove), "reason": reason}
        answer = self._json("POST", f"{_edited(name)}/tags", json=request)
        return tags_of(answer)

    def describe(
        self, name: str | None, text: str | None, *, reason: str | None = None
    ) -> str | None:
        """POST /api/versions/{name}/description, or /api/model/description."""
        request = {"description": text, "reason": reason}
        answer = self._json("POST", f"{_edited(name)}/description", json=request)
        described = answer.get("description")
        return described if isinstance(described, str) else None

    def model_record(self) -> dict[str, Any]:
        """GET /api/model (a model the server does not hold yet has an empty record)."""
        empty: dict[str, Any] = {"model": self.model, "description": None, "tags": {}}
        answer = self._json("GET", "/api/model", absent=empty)
        described = answer.get("description")
        return {
            "description": described if isinstance(described, str) else None,
            "tags": tags_of(answer),
        }

    def cleanup(self, keep_versions: int, *, dry_run: bool = False) -> list[str]:
        """POST /api/cleanup."""
        request = {"keep_versions": keep_versions, "dry_run": dry_run}
        answer = self._json("POST", "/api/cleanup", json=request, absent={"deleted": []})
        return list(answer["deleted"])

    def delete(self, name: str, *, reason: str | None = None) -> None:
        """DELETE /api/versions/{name}."""
        params = {"reason": reason} if reason else {}
        self._call("DELETE", f"/api/versions/{name}", params=params)

    def import_version(
        self,
        src: Path,
        *,
        progress: Callable[[int], None] | None = None,
        max_bytes: int | None = None,
        record: bool = True,
    ) -> Imported:
        """POST /api/import: an archive (an unpacked one is packed again, checked on the way)."""
        with _as_archive(src) as archive, open(archive, "rb") as handle:
            body = self._json(
                "POST",
                "/api/import",
                params={"record": "true" if record else "false"},
                files={"archive": (archive.name, handle)},
            )
        return Imported(str(body["version"]), bool(body.get("added", True)))

    def adopt(self, folder: Path, metadata: Mapping[str, Any]) -> bool:
        """POST /api/import without an import event; the status follows in `merge_history`."""
        with tempfile.TemporaryDirectory(prefix="modelreg-pack-") as tmp:
            archive = _pack(Path(tmp), folder, metadata)
            return self.import_version(archive, record=False).added

    def merge_history(self, merge: HistoryMerge) -> dict[str, str]:
        """POST /api/history: events, pointers and statuses, merged under the server's lock."""
        request = {
            "events": [e.to_dict() for e in merge.events],
            "pointers": dict(merge.pointers),
            "statuses": {k: dict(v) for k, v in merge.statuses.items()},
        }
        answer = self._json("POST", "/api/history", json=request)
        return dict(answer["moved"])

    def verify(
        self, *, repair: bool = False, progress: Callable[[int, int], None] | None = None
    ) -> VerifyReport:
        """POST /api/verify; the server reports no progress, so `progress` is called once."""
        empty = {"checked": 0, "problems": [], "repaired": []}
        report = self._json("POST", "/api/verify", json={"repair": repair}, absent=empty)
        if progress is not None:
            progress(report["checked"], report["checked"])
        return VerifyReport(report["checked"], report["problems"], report["repaired"])


def _rollback_request(name: str | None, channel: str, reason: str | None) -> dict[str, Any]:
    """The rollback body; `channel` only when not production, as servers before it expect."""
    request: dict[str, Any] = {"version": name, "reason": reason}
    if channel != PRODUCTION:
        request["channel"] = channel
    return request


@contextlib.contextmanager
def _as_archive(src: Path) -> Iterator[Path]:
    """`src` itself, or an unpacked archive packed again (a server takes archives only)."""
    if not src.is_dir():
        yield src
        return
    with tempfile.TemporaryDirectory(prefix="modelreg-pack-") as tmp:
        staged = Path(tmp) / "version"
        meta = read_folder(src, staged)  # checked here, so the server gets what was checked
        yield _pack(Path(tmp), staged, meta)


def _pack(where: Path, folder: Path, metadata: Mapping[str, Any]) -> Path:
    """`folder`'s artifacts and `metadata` as one export archive in `where`."""
    return write_archive(
        where / f"{metadata['version']}.tar.gz",
        metadata,
        lambda filename: open(folder / filename, "rb"),
    )


def _declared(fields: VersionFields, artifacts: Mapping[str, Any]) -> dict[str, Any]:
    """A registration's metadata part, but its files."""
    return {
        "metrics": fields.metrics,
        "features": fields.features,
        "hyperparameters": fields.hyperparameters,
        "config": fields.config,
        "data_range": fields.data_range,
        "metadata_extra": fields.extra,
        "training_date": iso_utc(fields.training_date) if fields.training_date else None,
        "artifacts": dict(artifacts),
    }


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


def _edited(name: str | None) -> str:
    """The route an edit of version `name` (None: of the model itself) goes to."""
    return "/api/model" if name is None else f"/api/versions/{name}"
