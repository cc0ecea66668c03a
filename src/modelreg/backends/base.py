"""The Backend: the few storage primitives every registry location provides.

A backend stores versions (a folder of artifacts plus metadata), channel pointers and the
event log, and gives writers a critical section. It decides nothing: naming, which versions a
cleanup removes, what "previous production" means and how metrics compare all live in
`ModelRegistry`. Like fsspec's `AbstractFileSystem`, a backend implements the abstract
primitives and may override the derived methods (`query`) when it can do them faster.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ..events import Event
from ..integrity import verify_files
from ..metadata import parse_timestamp
from ..query import VersionQuery, matches
from ..versions import sort_newest_first

__all__ = [
    "DEFAULT_MODEL",
    "Backend",
    "Debris",
    "VersionQuery",
    "effective_status",
    "matches",
    "stamped_before",
]

#: the model a registry holds when none is named (`ModelRegistry(url, model=...)`)
DEFAULT_MODEL = "default"


@dataclass(frozen=True)
class Debris:
    """Something a crash or an interrupted write left behind (never a published version)."""

    kind: str
    path: str
    detail: str = ""


def effective_status(stored: str | None, name: str, production: str | None) -> str:
    """The pointer is the truth: it overrides whatever status a crash left in the metadata."""
    if name == production:
        return "production"
    if stored in ("production", "archived"):
        return "archived"
    return "registered"


def stamped_before(event: Event, moment: datetime) -> bool:
    """Whether `event` is older than `moment`; an unreadable stamp counts as recent."""
    try:
        return parse_timestamp(event.timestamp) < moment
    except ValueError:
        return False


class Backend(ABC):
    """Storage primitives for one model's versions, pointers and events."""

    #: a human-readable location, used in messages ("models/", "postgresql://...")
    location: str = ""
    #: which of the location's named models this backend reads and writes
    model: str = DEFAULT_MODEL
    #: whether loading pickles from here is trusted unless the caller says otherwise
    trusted_by_default: bool = True
    #: the model format a registry here writes unless configured ("pickle" or "safe")
    default_model_format: str = "pickle"

    # --- versions -------------------------------------------------------------------------

    @abstractmethod
    def staging(self) -> AbstractContextManager[Path]:
        """A fresh local folder to write a version's artifacts into; gone after the block."""

    @abstractmethod
    def publish(self, staged: Path, name: str, metadata: Mapping[str, Any]) -> None:
        """Make the staged folder visible as version `name`, all at once.

        Raises VersionExistsError when `name` is taken (checked atomically, not by a lookup
        beforehand), so the caller can move on to the next name.
        """

    def prepare_publish(self, staged: Path, files: Mapping[str, Mapping[str, Any]]) -> None:
        """Move a staged version's bytes towards their home before the writers' lock is taken.

        An object store uploads here, so writers do not queue behind each other's uploads.
        Optional: `publish` must stay correct when this was skipped or its work was undone.
        """
        return None

    @abstractmethod
    def version_names(self) -> list[str]:
        """Names of the published versions, in no particular order."""

    @abstractmethod
    def read_metadata(self, name: str) -> dict[str, Any] | None:
        """A version's metadata; None when it does not exist; CorruptVersionError when broken."""

    @abstractmethod
    def write_metadata(self, name: str, metadata: Mapping[str, Any]) -> None:
        """Replace an existing version's metadata atomically (status bookkeeping only)."""

    @abstractmethod
    def local_folder(self, name: str) -> AbstractContextManager[Path]:
        """A local folder holding the version's artifacts (the version itself, or a copy)."""

    @abstractmethod
    def open_artifact(self, name: str, filename: str) -> IO[bytes]:
        """Stream one artifact's bytes (downloads, exports)."""

    @abstractmethod
    def delete_version(self, name: str) -> None:
        """Remove a version so that no reader ever sees it half-deleted."""

    # --- pointers -------------------------------------------------------------------------

    @abstractmethod
    def get_pointer(self, channel: str) -> str | None:
        """The version `channel` points to, or None."""

    @abstractmethod
    def set_pointer(self, channel: str, name: str | None) -> None:
        """Point `channel` at `name` (None removes the pointer), atomically."""

    @abstractmethod
    def channel_names(self) -> list[str]:
        """Channels that currently have a pointer."""

    # --- events and writers ---------------------------------------------------------------

    @abstractmethod
    def append_event(self, event: Event) -> None:
        """Add one record to the audit log, durably."""

    @abstractmethod
    def read_events(self) -> list[Event]:
        """The whole audit log, oldest first."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """The writers' critical section: a lock on a folder, a transaction in a database."""

    @abstractmethod
    def debris(self) -> list[Debris]:
        """Leftovers of interrupted writes: stale staging folders, trash, orphan blobs."""

    @abstractmethod
    def remove_debris(self, item: Debris) -> None:
        """Delete one leftover found by `debris()`."""

    # --- derived --------------------------------------------------------------------------

    def location_of(self, name: str) -> Path | str:
        """Where a version lives, for people and for `ModelVersion.path`."""
        return f"{self.location.rstrip('/')}/{name}"

    def query(self, query: VersionQuery) -> list[dict[str, Any]]:
        """Metadata of the versions matching `query`, newest first, status made effective."""
        found: list[dict[str, Any]] = []
        for name in sort_newest_first(self.version_names()):
            meta = self.read_metadata(name)
            if meta is None:  # deleted since the listing
                continue
            meta["deployment_status"] = effective_status(
                meta.get("deployment_status"), name, query.production
            )
            if matches(meta, query):
                found.append(meta)
                if query.limit is not None and len(found) >= query.limit:
                    break
        return found

    def check_artifacts(self, name: str, files: Mapping[str, Mapping[str, Any]]) -> None:
        """Raise IntegrityError unless the stored bytes match `files` (verify).

        Backends with a download cache override this to read the store itself, not the cache.
        """
        with self.local_folder(name) as folder:
            verify_files(folder, files, version=name)

    def recent_events(self, since: datetime) -> list[Event]:
        """Events stamped at or after `since`, oldest first; a backend may read only the tail."""
        return [e for e in self.read_events() if not stamped_before(e, since)]

    def interrupted_writes(self) -> list[Debris]:
        """The leftovers cleanup removes (staging, trash); a backend may find them cheaply."""
        return [d for d in self.debris() if d.kind in ("staging", "trash")]

    def model_names(self) -> list[str]:
        """The named models stored at this backend's location (one catalog, one root)."""
        return [self.model]

    def for_model(self, model: str) -> Backend:
        """This location's backend for another named model, sharing connections with this one.

        It lives no longer than this backend: closing it releases nothing shared.
        """
        raise NotImplementedError(f"{type(self).__name__} holds one model only")

    def close(self) -> None:
        """Release connections; a no-op where there are none."""
        return None
