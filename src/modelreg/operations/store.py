"""StoreOperations: every registry operation, run over a `Backend`'s storage primitives.

This is the only caller of the primitives. It holds the policy that needs them: claiming a
fresh version name, moving a pointer with both statuses kept in step and the move logged,
protecting what a channel points to, what a cleanup removes, undo when a later write fails.
Verify, import and migration's history merge live beside it (`verify.py`, `transfer.py`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ..audit import ChangeRecord
from ..backends.base import (
    Backend,
    Debris,
    Holder,
    OpenedArtifact,
    VersionQuery,
    effective_status,
)
from ..errors import (
    InvalidInputError,
    VersionExistsError,
    VersionNotFoundError,
)
from ..events import Event, previous_of_moves
from ..integrity import stage_link, verify_files
from ..lower_errors import translated
from ..metadata import Status, VersionFields, build_metadata, current_user, iso_utc, utc_now
from ..versions import PRODUCTION, alias_channel, next_candidates, sort_newest_first
from . import transfer, verify
from ._writes import all_or_nothing, exists, log_or_undo
from .base import UNSET, HistoryMerge, Imported, Operations, PointerMove, VerifyReport
from .promotion import StorePromotions, check_expected
from .store_edits import StoreEdits

__all__ = ["StoreOperations"]

log = logging.getLogger("modelreg")

_MAX_NAME_TRIES = 10_000


class StoreOperations(StoreEdits, StorePromotions, Operations):
    """The operations of one model stored in a folder, a SQL catalog or an object store."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.location = backend.location
        self.model = backend.model
        self.trusted_by_default = backend.trusted_by_default
        self.default_model_format = backend.default_model_format

    def __repr__(self) -> str:
        return f"StoreOperations({self.backend!r})"

    # --- reads ----------------------------------------------------------------------------

    def version_names(self) -> list[str]:
        return self.backend.version_names()

    def read_metadata(self, name: str) -> dict[str, Any] | None:
        return self.backend.read_metadata(name)

    def version_info(self, version: str) -> dict[str, Any]:
        channel = alias_channel(version)
        meta, pointers = self.backend.metadata_and_pointers(None if channel else version, channel)
        if meta is None:
            raise VersionNotFoundError(
                f"version {version} not found in {self.location}", version=version
            )
        name = meta["version"]
        meta["deployment_status"] = effective_status(
            meta.get("deployment_status"), name, pointers.get(PRODUCTION)
        )
        meta["channels"] = sorted(c for c, target in pointers.items() if target == name)
        meta["path"] = str(self.backend.location_of(meta["version"]))
        return meta

    def query(self, query: VersionQuery) -> list[dict[str, Any]]:
        return self.backend.query(query)

    def resolve_metadata(self, version: str) -> tuple[str | None, dict[str, Any] | None]:
        channel = alias_channel(version)
        if channel is None:
            return version, self.backend.read_metadata(version)
        return self.backend.metadata_at(channel)

    def query_with_pointers(
        self, query: VersionQuery
    ) -> tuple[Sequence[Mapping[str, Any]], dict[str, str | None]]:
        return self.backend.query_with_pointers(query)

    def query_with_total(
        self, query: VersionQuery
    ) -> tuple[Sequence[Mapping[str, Any]], dict[str, str | None], int]:
        return self.backend.query_with_total(query)

    def count_versions(self, query: VersionQuery) -> int:
        return self.backend.count(query)

    def revision(self) -> int | None:
        return self.backend.revision()

    async def revision_async(self) -> int | None:
        return await self.backend.revision_async()

    def metric_names(self) -> dict[str, int]:
        return self.backend.metric_counts()

    def get_pointer(self, channel: str) -> str | None:
        return self.backend.get_pointer(channel)

    def pointers(self) -> dict[str, str | None]:
        return self.backend.pointers()

    def read_events(self) -> list[Event]:
        return self.backend.read_events()

    def debris(self) -> list[Debris]:
        return self.backend.debris()

    def open_artifact(self, name: str, filename: str) -> IO[bytes]:
        return self.backend.open_artifact(name, filename)

    def open_registered(self, name: str, filename: str) -> OpenedArtifact:
        return self.backend.open_registered(name, filename)

    @contextlib.contextmanager
    def checked_folder(self, metadata: Mapping[str, Any]) -> Iterator[Path]:
        name = str(metadata["version"])
        with self.backend.local_folder_of(metadata) as folder:
            if not self.backend.verifies_local_folder:  # else hashed once, as it was placed
                verify_files(folder, metadata.get("files") or {}, version=name)
            yield folder

    def location_of(self, name: str) -> Path | str:
        return self.backend.location_of(name)

    def staging(self) -> AbstractContextManager[Path]:
        return self.backend.staging()

    # --- register -------------------------------------------------------------------------

    def register_sources(
        self,
        sources: Mapping[str, Path],
        artifacts: Mapping[str, Any],
        fields: VersionFields,
        progress: Callable[[int], None] | None = None,
    ) -> str:
        """Where the backend sends staged bytes elsewhere (`stages_by_link`), each file is
        staged as a link to itself and hashed in place: its bytes are read to hash them and
        once more as they are sent (hashed again, so a file changed meanwhile is refused),
        never copied locally first."""
        if not self.backend.stages_by_link:
            return super().register_sources(sources, artifacts, fields, progress)
        with self.backend.staging() as staged:
            files: dict[str, Mapping[str, Any]] = {}
            for name, path in sources.items():
                with translated("stage an artifact from", path):
                    files[name] = stage_link(path, staged / name, progress)
            return self.register(staged, files, artifacts, fields)

    def register(
        self,
        staged: Path,
        files: Mapping[str, Mapping[str, Any]],
        artifacts: Mapping[str, Any],
        fields: VersionFields,
    ) -> str:
        """Claim the first free name for this moment and publish, then log the event."""
        backend = self.backend
        backend.prepare_publish(staged, files)
        change = ChangeRecord("register", self.location)
        with change.told(), backend.transaction():
            now = utc_now()
            for attempt, name in enumerate(next_candidates(now, self._names_used_at(now))):
                if attempt >= _MAX_NAME_TRIES:
                    raise VersionExistsError(f"no free version name for {iso_utc(now)}")
                meta = build_metadata(
                    fields, version=name, registered_at=now, files=dict(files), artifacts=artifacts
                )
                try:
                    backend.publish(staged, name, meta)
                except VersionExistsError:
                    continue
                break
            log_or_undo(
                backend,
                Event(iso_utc(now), "register", version=name, user=current_user()),
                change,
                f"registered version {name}",
                undo=lambda: backend.delete_version(name),
            )
        return name

    def _names_used_at(self, moment: datetime) -> set[str]:
        """Names this second has had, deleted ones included: a name never means two versions.

        Without this, a cleanup that deletes `..._3` lets the next registration in the same
        second take `..._3` again, and the audit log would mix the two.
        """
        return self.backend.names_used_at(moment)

    # --- pointers -------------------------------------------------------------------------

    def move_pointer(
        self,
        name: str,
        channel: str,
        *,
        action: str = "promote",
        reason: str | None = None,
        expected_current: str | None = UNSET,
        details: Mapping[str, Any] | None = None,
        read: Holder | None = None,
    ) -> PointerMove:
        """`details` (the gate's verdict, the approved request) go into the event. `read`:
        what `transaction_for_move` yielded, when the caller holds it open already (the gate
        hands over what it judged, so nothing is read or decoded twice)."""
        backend = self.backend
        change = ChangeRecord(action, self.location)
        with change.told(), _holding(backend, name, channel, read) as (meta, current, held):
            if meta is None:
                newest = sort_newest_first(backend.version_names())[:5]
                raise VersionNotFoundError(
                    f"cannot {action} {name} to {channel}: it does not exist in "
                    f"{self.location} (newest: {', '.join(newest) or 'none'})",
                    version=name,
                )
            check_expected(channel, current, expected_current)
            move = PointerMove(channel, name, current)
            if current == name:
                self._mend_status(meta, channel)
            else:
                self._move(meta, held, move, action, reason, change, details)
        if move.changed:
            log.info("%s: %s now points to %s (was %s)", action, channel, name, current)
        else:
            log.info("%s is already %s in %s", name, channel, self.location)
        return move

    def _mend_status(self, meta: dict[str, Any], channel: str) -> None:
        """Production already points here, but a crash may have left the status stale."""
        if channel == PRODUCTION and meta.get("deployment_status") != Status.PRODUCTION:
            when = meta.get("promoted_at") or iso_utc(utc_now())
            self._set_status(meta, Status.PRODUCTION.value, [], promoted_at=when)

    def _move(
        self,
        meta: dict[str, Any],
        held: dict[str, Any] | None,
        move: PointerMove,
        action: str,
        reason: str | None,
        change: ChangeRecord,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Old status first, pointer, new status, event; undone newest first on failure.
        `held`: the metadata of the version the channel held, read with `meta`. The new
        status is written ahead (`Backend.metadata_ahead`) and only put in place after the move.

        Whatever a crash interrupts, the stale status is on the version the pointer names,
        which the next move mends.
        """
        backend, channel, current = self.backend, move.channel, move.previous
        now = iso_utc(utc_now())
        old = held if channel == PRODUCTION and current else None
        # the new status is written ahead: its contents made durable with the old status's
        ahead = (
            backend.metadata_ahead(
                move.version, _with_status(meta, Status.PRODUCTION.value, promoted_at=now)
            )
            if old is not None
            else contextlib.nullcontext()
        )
        with all_or_nothing(action) as undo, ahead:
            if old is not None:
                self._set_status(old, Status.ARCHIVED.value, undo)
            undo.append(lambda: backend.set_pointer(channel, current))
            backend.set_pointer(channel, move.version)
            change.made(
                f"moved {channel} from {current or 'nothing'} to {move.version}",
                lambda: backend.get_pointer(channel) == move.version,
            )
            if channel == PRODUCTION:
                self._set_status(meta, Status.PRODUCTION.value, undo, promoted_at=now)
            backend.append_event(
                Event(
                    now,
                    action,
                    version=move.version,
                    channel=channel,
                    previous=current,
                    user=current_user(),
                    reason=reason,
                    details=dict(details) if details else None,
                )
            )
            change.logged()

    def _set_status(
        self,
        meta: dict[str, Any],
        status: str,
        undo: list[Callable[[], object]],
        **fields: Any,
    ) -> None:
        """Keep `deployment_status` in step with the pointer, noting how to take it back."""
        backend, name, before = self.backend, str(meta["version"]), dict(meta)
        undo.append(lambda: backend.write_metadata(name, before))
        backend.write_metadata(name, _with_status(meta, status, **fields))

    def rollback(self, *, reason: str | None = None, channel: str = PRODUCTION) -> PointerMove:
        backend = self.backend
        with backend.transaction():  # the log and the pointer read as one moment
            current = backend.get_pointer(channel)
            moves = backend.pointer_moves(channel)
            previous = previous_of_moves(moves, current, exists=self._exists)
            if previous is None:
                raise VersionNotFoundError(
                    f"cannot roll back {channel} in {self.location}: no earlier version of it "
                    "in the audit log"
                )
            log.warning("rolling %s back to %s in %s", channel, previous, self.location)
            return self.move_pointer(
                previous, channel, action="rollback", reason=reason, expected_current=current
            )

    def _exists(self, name: str) -> bool:
        return exists(self.backend, name)

    # --- cleanup and delete ---------------------------------------------------------------

    def cleanup(self, keep_versions: int, *, dry_run: bool = False) -> list[str]:
        backend = self.backend
        deleted: list[str] = []
        change = ChangeRecord("cleanup", self.location)
        with change.told(), backend.transaction():
            names = sort_newest_first(backend.version_names())
            protected = set(self.pointers().values())
            doomed = [n for n in names[keep_versions:] if n not in protected]
            if dry_run:
                return doomed
            for item in backend.interrupted_writes():
                backend.remove_debris(item)
            for name in doomed:
                self._delete_logged(name, change, None)
                deleted.append(name)
        if deleted:
            log.info(
                "cleanup deleted %d version(s) from %s: %s",
                len(deleted),
                self.location,
                ", ".join(deleted),
            )
        return deleted

    def delete(self, name: str, *, reason: str | None = None) -> None:
        backend = self.backend
        change = ChangeRecord("delete", self.location)
        with change.told(), backend.transaction():
            if backend.read_metadata(name) is None:
                raise VersionNotFoundError(
                    f"cannot delete {name}: it does not exist in {self.location}", version=name
                )
            holders = sorted(c for c, target in self.pointers().items() if target == name)
            if holders:
                raise InvalidInputError(
                    f"version {name} is {', '.join(holders)}; promote another version first",
                    version=name,
                )
            self._delete_logged(name, change, reason)
        log.info("deleted version %s from %s", name, self.location)

    def _delete_logged(self, name: str, change: ChangeRecord, reason: str | None) -> None:
        """Delete a version, then log it; the deletion stands even when the log fails."""
        self.backend.delete_version(name)
        change.made(f"deleted version {name}", lambda: not self._exists(name))
        self.backend.append_event(
            Event(iso_utc(utc_now()), "delete", version=name, user=current_user(), reason=reason)
        )
        change.logged()

    # --- import, migration, verify ----------------------------------------------------------

    def import_version(
        self,
        src: Path,
        *,
        progress: Callable[[int], None] | None = None,
        max_bytes: int | None = None,
        record: bool = True,
    ) -> Imported:
        return transfer.import_version(
            self.backend, src, progress=progress, max_bytes=max_bytes, record=record
        )

    def adopt(self, folder: Path, metadata: Mapping[str, Any]) -> bool:
        return transfer.adopt(self.backend, folder, metadata)

    def merge_history(self, merge: HistoryMerge) -> dict[str, str]:
        return transfer.merge_history(self.backend, merge)

    def verify(
        self, *, repair: bool = False, progress: Callable[[int, int], None] | None = None
    ) -> VerifyReport:
        return verify.run_verify(self.backend, repair=repair, progress=progress)

    # --- the location ---------------------------------------------------------------------

    def model_names(self) -> list[str]:
        return self.backend.model_names()

    def for_model(self, model: str) -> StoreOperations:
        return StoreOperations(self.backend.for_model(model))

    def create(self) -> None:
        with self.backend.transaction():  # creates the storage where it does not exist
            pass

    def close(self) -> None:
        self.backend.close()


def _with_status(meta: Mapping[str, Any], status: str, **fields: Any) -> dict[str, Any]:
    """`meta` with its status bookkeeping changed: what a move writes."""
    return {**meta, "deployment_status": status, **fields}


@contextlib.contextmanager
def _holding(backend: Backend, name: str, channel: str, read: Holder | None) -> Iterator[Holder]:
    """`read` inside the caller's open transaction, else `transaction_for_move`'s."""
    if read is not None:
        yield read
        return
    with backend.transaction_for_move(name, channel) as found:
        yield found
