"""A fourth backend, in memory, written from `backends/base.py`'s docstrings alone.

It exists to prove the Backend contract is complete: it implements the eleven primitives the
docstring lists (plus `model_names`/`for_model`, so one store holds several models) and
passes the primitive suite and the facade suite (`modelreg.testing`) without knowing anything
the docstrings do not say. Staging, local folders, listing and debris are the base class's.
"""

from __future__ import annotations

import contextlib
import copy
import io
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from modelreg.backends.base import DEFAULT_MODEL, Backend
from modelreg.errors import VersionExistsError, VersionNotFoundError
from modelreg.events import Event


@dataclass
class _Model:
    versions: dict[str, tuple[dict[str, Any], dict[str, bytes]]] = field(default_factory=dict)
    pointers: dict[str, str] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    record: dict[str, Any] | None = None


class MemoryStore:
    """The shared storage: every backend opened on it sees the same models."""

    def __init__(self) -> None:
        self.models: dict[str, _Model] = {}
        self.lock = threading.RLock()  # re-entrant, as `transaction()` must be


class MemoryBackend(Backend):
    """One model of a `MemoryStore`."""

    def __init__(self, store: MemoryStore, model: str = DEFAULT_MODEL) -> None:
        self.store = store
        self.model = model
        self.location = f"memory://{id(store):x}"

    def _data(self) -> _Model:
        """For readers: the model as stored, or an empty one (`transaction()` creates it)."""
        return self.store.models.get(self.model) or _Model()

    def _written(self) -> _Model:
        """For writers, who are inside `transaction()`: the model, created by it."""
        return self.store.models[self.model]

    # --- versions -------------------------------------------------------------------------

    def publish(self, staged: Path, name: str, metadata: Mapping[str, Any]) -> None:
        files = {f: (staged / f).read_bytes() for f in metadata["files"]}
        versions = self._written().versions
        if name in versions:
            raise VersionExistsError(f"version {name} exists in {self.location}", version=name)
        versions[name] = (copy.deepcopy(dict(metadata)), files)

    def version_names(self) -> list[str]:
        return list(self._data().versions)

    def read_metadata(self, name: str | None) -> dict[str, Any] | None:
        data = self._data()
        if name is None:
            return copy.deepcopy(data.record)
        found = data.versions.get(name)
        return copy.deepcopy(found[0]) if found else None

    def write_metadata(self, name: str | None, metadata: Mapping[str, Any]) -> None:
        data, stored = self._written(), copy.deepcopy(dict(metadata))
        if name is None:
            data.record = stored
        else:
            data.versions[name] = (stored, data.versions[name][1])

    def open_artifact(self, name: str, filename: str) -> IO[bytes]:
        found = self._data().versions.get(name)
        if found is None or filename not in found[1]:
            raise VersionNotFoundError(
                f"version {name} in {self.location} has no artifact {filename!r}", version=name
            )
        return io.BytesIO(found[1][filename])

    def delete_version(self, name: str) -> None:
        del self._written().versions[name]

    def damage(self, name: str, filename: str) -> None:
        """For the fault tests: overwrite one stored artifact's bytes."""
        self._data().versions[name][1][filename] = b"tampered"

    # --- pointers -------------------------------------------------------------------------

    def pointers(self) -> dict[str, str | None]:
        return dict(self._data().pointers)

    def set_pointer(self, channel: str, name: str | None) -> None:
        pointers = self._written().pointers
        if name is None:
            pointers.pop(channel, None)
        else:
            pointers[channel] = name

    # --- events and writers ---------------------------------------------------------------

    def append_event(self, event: Event) -> None:
        self._written().events.append(event)

    def read_events(self) -> list[Event]:
        return list(self._data().events)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self.store.lock:
            self.store.models.setdefault(self.model, _Model())
            yield

    # --- the location ---------------------------------------------------------------------

    def model_names(self) -> list[str]:
        return sorted(set(self.store.models) | {self.model})

    def for_model(self, model: str) -> MemoryBackend:
        return MemoryBackend(self.store, model)
