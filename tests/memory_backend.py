"""A fourth backend, in memory, written from `backends/base.py`'s docstrings alone.

It exists to prove the Backend contract is complete: it passes the primitive suite and the
facade suite (`modelreg.testing`) without knowing anything the docstrings do not say.
"""

from __future__ import annotations

import contextlib
import copy
import io
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from modelreg.backends.base import DEFAULT_MODEL, Backend, Debris
from modelreg.errors import VersionExistsError, VersionNotFoundError
from modelreg.events import Event
from modelreg.metadata import METADATA_FILE, encode_metadata


@dataclass
class _Model:
    versions: dict[str, tuple[dict[str, Any], dict[str, bytes]]] = field(default_factory=dict)
    pointers: dict[str, str] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)


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
        return self.store.models.get(self.model) or _Model()

    def _version(self, name: str) -> tuple[dict[str, Any], dict[str, bytes]]:
        found = self._data().versions.get(name)
        if found is None:
            raise VersionNotFoundError(f"version {name} not found in {self.location}", version=name)
        return found

    # --- versions -------------------------------------------------------------------------

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        folder = Path(tempfile.mkdtemp(prefix="modelreg-memory-"))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def publish(self, staged: Path, name: str, metadata: Mapping[str, Any]) -> None:
        files = {f: (staged / f).read_bytes() for f in metadata["files"]}
        with self.transaction():
            data = self.store.models[self.model]
            if name in data.versions:
                raise VersionExistsError(f"version {name} exists", version=name)
            data.versions[name] = (copy.deepcopy(dict(metadata)), files)

    def version_names(self) -> list[str]:
        return list(self._data().versions)

    def read_metadata(self, name: str) -> dict[str, Any] | None:
        found = self._data().versions.get(name)
        return copy.deepcopy(found[0]) if found else None

    def write_metadata(self, name: str, metadata: Mapping[str, Any]) -> None:
        with self.transaction():
            _, files = self._version(name)
            self.store.models[self.model].versions[name] = (copy.deepcopy(dict(metadata)), files)

    @contextlib.contextmanager
    def local_folder(self, name: str) -> Iterator[Path]:
        meta, files = self._version(name)
        with tempfile.TemporaryDirectory(prefix="modelreg-memory-") as tmp:
            root = Path(tmp)
            for filename, data in files.items():
                (root / filename).parent.mkdir(parents=True, exist_ok=True)
                (root / filename).write_bytes(data)
            (root / METADATA_FILE).write_bytes(encode_metadata(meta))
            yield root

    def open_artifact(self, name: str, filename: str) -> IO[bytes]:
        _, files = self._version(name)
        if filename not in files:
            raise VersionNotFoundError(f"version {name} has no {filename!r}", version=name)
        return io.BytesIO(files[filename])

    def delete_version(self, name: str) -> None:
        with self.transaction():
            self.store.models[self.model].versions.pop(name, None)

    def damage(self, name: str, filename: str) -> None:
        """For the fault tests: overwrite one stored artifact's bytes."""
        self._version(name)[1][filename] = b"tampered"

    # --- pointers -------------------------------------------------------------------------

    def get_pointer(self, channel: str) -> str | None:
        return self._data().pointers.get(channel)

    def set_pointer(self, channel: str, name: str | None) -> None:
        with self.transaction():
            pointers = self.store.models[self.model].pointers
            if name is None:
                pointers.pop(channel, None)
            else:
                pointers[channel] = name

    def channel_names(self) -> list[str]:
        return list(self._data().pointers)

    # --- the model's own record -----------------------------------------------------------

    def read_model_metadata(self) -> dict[str, Any]:
        return copy.deepcopy(self._data().record)

    def write_model_metadata(self, metadata: Mapping[str, Any]) -> None:
        with self.transaction():
            self.store.models[self.model].record = copy.deepcopy(dict(metadata))

    # --- events and writers ---------------------------------------------------------------

    def append_event(self, event: Event) -> None:
        with self.transaction():
            self.store.models[self.model].events.append(event)

    def read_events(self) -> list[Event]:
        return list(self._data().events)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self.store.lock:
            self.store.models.setdefault(self.model, _Model())
            yield

    def debris(self) -> list[Debris]:
        return []  # staging folders are removed by `staging()`; nothing else is left behind

    def remove_debris(self, item: Debris) -> None:
        return None

    # --- the location ---------------------------------------------------------------------

    def model_names(self) -> list[str]:
        return sorted(set(self.store.models) | {self.model})

    def for_model(self, model: str) -> MemoryBackend:
        return MemoryBackend(self.store, model)
