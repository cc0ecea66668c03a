"""The operations seam: what the `ModelRegistry` facade asks of wherever a registry lives.

Two implementations sit behind it. `StoreOperations` runs each operation over a `Backend`'s
storage primitives and holds the policy that needs them (naming, protecting what a channel
points to, undo on failure, the audit log, verify, import, migration). `RemoteOperations` is
the client of a `modelreg server`: one typed method per REST route, the server running the
same `StoreOperations` under its lock. The facade above keeps configuration, argument checks,
`latest` resolution and the original API's None/False returns; every operation here raises
(VersionNotFoundError, PromotionConflict, ...) instead.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from ..approvals import PromotionRequest
from ..backends.base import (
    Debris,
    OpenedArtifact,
    VersionQuery,
    open_recorded,
    page_with_total,
)
from ..events import Event
from ..gate import GatePolicy, GateReport
from ..integrity import stage_copy
from ..metadata import VersionFields
from ..versions import PRODUCTION, alias_channel

__all__ = [
    "UNSET",
    "HistoryMerge",
    "Imported",
    "Operations",
    "PointerMove",
    "Promotion",
    "VerifyReport",
]


class _Unset:
    """The type of UNSET: "no expectation given", distinct from None ("expects nothing")."""

    def __repr__(self) -> str:
        return "UNSET"


#: `expected_current` not given: the move is unconditional
UNSET: Any = _Unset()


@dataclass(frozen=True)
class PointerMove:
    """What a promotion or rollback did: `channel` moved from `previous` to `version`.

    `previous == version` means it already pointed there and nothing changed.
    """

    channel: str
    version: str
    previous: str | None

    @property
    def changed(self) -> bool:
        return self.previous != self.version


@dataclass(frozen=True)
class Promotion:
    """What a gated promote did: the gate's report, and either the move or the filed request."""

    gate: GateReport
    move: PointerMove | None = None
    request: PromotionRequest | None = None

    def to_dict(self) -> dict[str, Any]:
        """The wire form (`POST /api/promote`, `modelreg promote --json`)."""
        return {
            "gate": self.gate.to_dict(),
            "move": None if self.move is None else asdict(self.move),
            "request": None if self.request is None else self.request.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Promotion:
        move, request = data.get("move"), data.get("request")
        return cls(
            GateReport.from_dict(data["gate"]),
            None
            if move is None
            else PointerMove(move["channel"], move["version"], move.get("previous")),
            None if request is None else PromotionRequest.from_dict(request),
        )


@dataclass(frozen=True)
class Imported:
    """What an import did: the version's name, and whether it was added (False: already here)."""

    version: str
    added: bool


@dataclass(frozen=True)
class VerifyReport:
    """What `verify()` found, and what `verify(repair=True)` mended."""

    checked: int
    problems: list[dict[str, Any]] = field(default_factory=list)
    repaired: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong (or everything wrong was repaired)."""
        return len(self.problems) == len(self.repaired)


@dataclass(frozen=True)
class HistoryMerge:
    """A batch of another registry's history to merge in (`migrate`).

    `events` are appended as they are (the caller sends only those missing); `pointers` are
    set where the version is present; `statuses` ({version: {deployment_status, promoted_at}})
    are written over the versions' metadata where they differ.
    """

    events: Sequence[Event] = ()
    pointers: Mapping[str, str] = field(default_factory=dict)
    statuses: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


class Operations(ABC):
    """Everything the facade does to one model of one registry location.

    Names given here are real version names (never `latest`) and already validated.
    """

    #: a human-readable location, used in messages ("models/", "postgresql://...")
    location: str = ""
    #: which of the location's named models these operations act on
    model: str = ""
    #: whether loading pickles from here is trusted unless the caller says otherwise
    trusted_by_default: bool = True
    #: the model format a registry here writes unless configured ("pickle" or "safe")
    default_model_format: str = "pickle"

    # --- reads ----------------------------------------------------------------------------

    @abstractmethod
    def version_names(self) -> list[str]:
        """Names of the published versions, in no particular order."""

    @abstractmethod
    def read_metadata(self, name: str) -> dict[str, Any] | None:
        """A version's metadata exactly as stored; None when it does not exist."""

    @abstractmethod
    def version_info(self, version: str) -> dict[str, Any]:
        """Metadata with the effective `deployment_status`, its `channels` and `path`.

        `version` is a name or an alias (`latest`, `@staging`), resolved in the same read.
        Raises VersionNotFoundError when the version (or the alias's channel) is empty.
        """

    @abstractmethod
    def query(self, query: VersionQuery) -> list[dict[str, Any]]:
        """Metadata of the page of versions matching `query`, in its order, status effective."""

    def resolve_metadata(self, version: str) -> tuple[str | None, dict[str, Any] | None]:
        """The name `version` (a name or an alias) stands for, and that version's stored
        metadata: (None, None) for an empty channel, (name, None) for a missing version. A
        catalog reads both in one statement."""
        channel = alias_channel(version)
        name = self.get_pointer(channel) if channel else version
        return name, (self.read_metadata(name) if name else None)

    def query_with_pointers(
        self, query: VersionQuery
    ) -> tuple[Sequence[Mapping[str, Any]], dict[str, str | None]]:
        """`query`'s page, statuses effective against production, and the pointers that label
        it (none may come with an empty page); a catalog reads both in one statement."""
        pointers = self.pointers()
        return self.query(query.at(pointers.get(PRODUCTION))), pointers

    def query_with_total(
        self, query: VersionQuery
    ) -> tuple[Sequence[Mapping[str, Any]], dict[str, str | None], int]:
        """`query_with_pointers`, and how many versions match in all (`VersionQuery.total_of`
        when the page shows it, else counted); a catalog reads all three in one statement."""
        return page_with_total(
            query, self.query_with_pointers, self.count_versions, self.get_pointer
        )

    def revision(self) -> int | None:
        """What every write changes (`Backend.revision`), or None: then nothing is reused."""
        return None

    async def revision_async(self) -> int | None:
        """`revision` for a caller on an event loop (the server's answer cache)."""
        return None

    @abstractmethod
    def count_versions(self, query: VersionQuery) -> int:
        """How many versions match `query`'s filters (the total its pages add up to)."""

    @abstractmethod
    def metric_names(self) -> dict[str, int]:
        """Each metric name some version records, with how many versions record it."""

    @abstractmethod
    def get_pointer(self, channel: str) -> str | None:
        """The version `channel` points to, or None."""

    @abstractmethod
    def pointers(self) -> dict[str, str | None]:
        """Every channel with a pointer, and the version it points to."""

    @abstractmethod
    def read_events(self) -> list[Event]:
        """The whole audit log, oldest first."""

    @abstractmethod
    def debris(self) -> list[Debris]:
        """Leftovers of interrupted writes."""

    @abstractmethod
    def open_artifact(self, name: str, filename: str) -> IO[bytes]:
        """Stream one registered artifact (the caller has checked the name is registered)."""

    def open_registered(self, name: str, filename: str) -> OpenedArtifact:
        """One registered artifact opened, with its recorded sha256 and size (a download).

        VersionNotFoundError when the version, or that artifact of it, does not exist.
        """
        return open_recorded(self.read_metadata(name), name, filename, self.open_artifact)

    @abstractmethod
    def checked_folder(self, metadata: Mapping[str, Any]) -> AbstractContextManager[Path]:
        """A local folder holding the version `metadata` describes, every file checked.

        Each artifact's sha256 is checked against `metadata["files"]` on the way: an
        IntegrityError (or CorruptVersionError) when one differs, VersionNotFoundError when
        the version was deleted meanwhile.
        """

    @abstractmethod
    def location_of(self, name: str) -> Path | str:
        """Where a version lives, for people and for `ModelVersion.path`."""

    @abstractmethod
    def staging(self) -> AbstractContextManager[Path]:
        """A fresh local folder to write a new version's artifacts into; gone after the block."""

    # --- writes ---------------------------------------------------------------------------

    @abstractmethod
    def register(
        self,
        staged: Path,
        files: Mapping[str, Mapping[str, Any]],
        artifacts: Mapping[str, Any],
        fields: VersionFields,
    ) -> str:
        """Publish the staged artifacts as a new version under a fresh name; return the name.

        `files` are the staged files' records ({sha256, bytes}), `artifacts` the description
        of how they were written, `fields` the caller's validated metadata.
        """

    def register_sources(
        self,
        sources: Mapping[str, Path],
        artifacts: Mapping[str, Any],
        fields: VersionFields,
        progress: Callable[[int], None] | None = None,
    ) -> str:
        """Publish files already on disk (`{artifact name: path}`) as a new version.

        By default each is copied into `staging()`, hashed as it is written. Operations whose
        store keeps the bytes elsewhere (a server, an object store) override this to read each
        file where it is, so a large artifact is not copied locally first.
        """
        with self.staging() as staged:
            files = {
                name: stage_copy(path, staged / name, progress) for name, path in sources.items()
            }
            return self.register(staged, files, artifacts, fields)

    @abstractmethod
    def move_pointer(
        self,
        name: str,
        channel: str,
        *,
        action: str = "promote",
        reason: str | None = None,
        expected_current: str | None = UNSET,
    ) -> PointerMove:
        """Point `channel` at version `name`; `action` ("promote", "rollback") is logged.

        Raises VersionNotFoundError when the version does not exist, and PromotionConflict
        when `expected_current` is given and the channel points elsewhere.
        """

    @abstractmethod
    def rollback(self, *, reason: str | None = None, channel: str = PRODUCTION) -> PointerMove:
        """Put `channel` back on the version it held before the current one.

        Raises VersionNotFoundError when the audit log has no such version still present.
        """

    # --- the gate and approvals --------------------------------------------------------------

    @abstractmethod
    def judge_promotion(self, name: str, channel: str, policy: GatePolicy) -> GateReport:
        """The gate's report on promoting `name` to `channel`, against what it holds now.

        A server judges with its own configured policy, whatever `policy` says.
        Raises VersionNotFoundError when the version does not exist.
        """

    @abstractmethod
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
        """Judge, then move the pointer or (with `approval`) file a request, in one step.

        The move is conditional on the channel still holding what was judged against (and
        on `expected_current`, when given: PromotionConflict). A losing candidate raises
        GateRefusedError unless `force`, which the event records. A server also files a
        request where its own configuration asks for approval.
        """

    @abstractmethod
    def promotion_requests(self) -> list[PromotionRequest]:
        """The pending promotion requests, oldest first."""

    @abstractmethod
    def decide_request(self, request_id: str, *, approve: bool, reason: str) -> PromotionRequest:
        """Approve (move the pointer, if the channel has not moved since) or reject a request.

        RequestNotFoundError for an unknown id, ForbiddenError when the requester decides,
        PromotionConflict when it was decided already or the channel moved meanwhile.
        """

    @abstractmethod
    def edit_tags(
        self,
        name: str | None,
        *,
        set_tags: Mapping[str, str],
        remove: Sequence[str] = (),
        reason: str | None = None,
    ) -> dict[str, str]:
        """Set `set_tags` and remove the keys `remove` on version `name` (None: on the model
        itself); returns its tags now.

        Only the tags change, never what registration recorded; the edit is a `tag` event.
        Raises VersionNotFoundError when the version does not exist.
        """

    @abstractmethod
    def describe(
        self, name: str | None, text: str | None, *, reason: str | None = None
    ) -> str | None:
        """Set the Markdown description of version `name` (None: of the model); None clears.

        Returns the description now. Only it changes; the edit is a `describe` event holding
        the new text and the one replaced. VersionNotFoundError when the version does not exist.
        """

    @abstractmethod
    def model_record(self) -> dict[str, Any]:
        """The model's own record: `{"description": str | None, "tags": {key: value}}`."""

    @abstractmethod
    def cleanup(self, keep_versions: int, *, dry_run: bool = False) -> list[str]:
        """Delete all but the newest `keep_versions`, never one a channel points to."""

    @abstractmethod
    def delete(self, name: str, *, reason: str | None = None) -> None:
        """Delete one version: VersionNotFoundError if absent, InvalidInputError if pointed to."""

    @abstractmethod
    def import_version(
        self,
        src: Path,
        *,
        progress: Callable[[int], None] | None = None,
        max_bytes: int | None = None,
        record: bool = True,
    ) -> Imported:
        """Add a version from an export archive (or one unpacked) under its own name.

        `record=False` logs no import event: a migration copies the source's history instead.
        Refused (PayloadTooLargeError) past `max_bytes` before anything is unpacked.
        """

    @abstractmethod
    def adopt(self, folder: Path, metadata: Mapping[str, Any]) -> bool:
        """Publish a copy of another registry's version, metadata kept, no event logged.

        False when the same version is here already; VersionExistsError for a different one.
        """

    @abstractmethod
    def merge_history(self, merge: HistoryMerge) -> dict[str, str]:
        """Append `merge.events`, then set pointers and statuses; returns the pointers moved."""

    @abstractmethod
    def verify(
        self, *, repair: bool = False, progress: Callable[[int, int], None] | None = None
    ) -> VerifyReport:
        """Check every version's files, the pointers, the log and leftovers; mend with repair."""

    # --- the location ---------------------------------------------------------------------

    @abstractmethod
    def model_names(self) -> list[str]:
        """The named models stored at this location."""

    @abstractmethod
    def for_model(self, model: str) -> Operations:
        """The same location's operations for another named model, sharing connections."""

    @abstractmethod
    def create(self) -> None:
        """Create the storage where it does not exist yet; harmless where it does."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""
