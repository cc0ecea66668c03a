"""Moving versions between registries: export to an archive, import one, adopt a copy.

A mixin of `ModelRegistry`, kept apart so the facade module stays readable; it uses only
the backend's primitives and the facade's own undo-on-failure event logging.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._fsutil import copy_into
from .archive import read_archive, read_folder, same_version, write_archive
from .audit import ChangeRecord
from .errors import VersionExistsError, VersionNotFoundError
from .events import Event
from .integrity import verify_files
from .metadata import current_user, iso_utc, utc_now
from .versions import validate_version

if TYPE_CHECKING:
    from .backends.base import Backend

__all__ = ["TransferMixin"]

log = logging.getLogger("modelreg")


class TransferMixin:
    """`export_version`, `import_version` and `adopt_version` for `ModelRegistry`."""

    _backend: Backend

    if TYPE_CHECKING:

        def _resolve(self, version: str, channel: str = ...) -> str | None: ...

        def _log_or_undo(
            self, event: Event, change: ChangeRecord, what: str, undo: Any
        ) -> None: ...

    def export_version(
        self,
        version: str,
        dest: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> Path:
        """Write `version` (or `latest`) as one archive with its metadata and hashes.

        `dest` is a `*.tar.gz`, `*.tgz` or `*.zip` file, or a folder (which gets
        `<version>.tar.gz`). Every artifact is checked against its sha256 on the way out.
        Raises VersionNotFoundError when the version does not exist.
        """
        name = self._resolve(version)
        meta = self._backend.read_metadata(name) if name else None
        if name is None or meta is None:
            raise VersionNotFoundError(
                f"cannot export: version {version} not found in {self._backend.location}",
                version=version,
            )
        path = write_archive(
            Path(dest),
            meta,
            lambda filename: self._backend.open_artifact(name, filename),
            overwrite=overwrite,
            progress=progress,
        )
        log.info("exported version %s of %s to %s", name, self._backend.location, path)
        return path

    def import_version(
        self,
        src: str | os.PathLike[str],
        *,
        progress: Callable[[int], None] | None = None,
        max_bytes: int | None = None,
    ) -> str:
        """Add a version from an `export_version` archive under its own name; returns the name.

        `src` may also be such an archive unpacked: a folder named after the version, holding
        `metadata.json` beside the artifacts (what importers from other registries write).
        Every artifact is checked against its sha256 before anything is published. Importing
        the same version again is a no-op; a different version already holding the name is a
        VersionExistsError. The version keeps its `registered_at` and arrives unpromoted.
        With `max_bytes`, an archive whose artifacts add up to more is refused
        (PayloadTooLargeError) before any of them is unpacked.
        """
        src = Path(src)
        if self._backend.delegates_writes:
            with _as_archive(src) as archive:
                return str(self._backend.delegate("import", archive=archive))
        reader = read_folder if src.is_dir() else read_archive
        with self._backend.staging() as staged:
            meta = reader(src, staged, progress=progress, max_bytes=max_bytes)
            name = meta["version"]
            details: dict[str, Any] = {"folder" if src.is_dir() else "archive": src.name}
            origin = (meta.get("lineage") or {}).get("source")
            if isinstance(origin, dict):
                details["source"] = origin
            event = Event(
                iso_utc(utc_now()), "import", version=name, user=current_user(), details=details
            )
            if not self._adopt(staged, meta, str(src), event):
                return name
        log.info("imported version %s into %s", name, self._backend.location)
        return name

    def adopt_version(self, folder: Path, metadata: Mapping[str, Any]) -> bool:
        """Publish a copy of another registry's version under its own name (`migrate`).

        `metadata` is kept as it is (name, dates, status, hashes); the files are checked
        against its hashes first. Returns False when the same version is here already; a
        different version holding the name is a VersionExistsError. No event is logged: the
        caller copies the source's history with it.
        """
        meta = dict(metadata)
        name = validate_version(meta.get("version"), allow_latest=False)
        with self._backend.staging() as staged:
            copy_into(Path(folder), staged)
            verify_files(staged, meta.get("files") or {}, version=name)
            return self._adopt(staged, meta, f"version {name} from {folder}", None)

    def _adopt(self, staged: Path, meta: dict[str, Any], source: str, event: Event | None) -> bool:
        """Publish `staged` as `meta["version"]` unless that version is here already."""
        name = meta["version"]
        self._backend.prepare_publish(staged, meta.get("files") or {})
        change = ChangeRecord("import", self._backend.location)
        with change.told(), self._backend.transaction():
            existing = self._backend.read_metadata(name)
            if existing is not None:
                if not same_version(existing, meta):
                    raise VersionExistsError(
                        f"cannot import {source}: {self._backend.location} already has a different "
                        f"version named {name}",
                        version=name,
                    )
                log.info("version %s is already in %s", name, self._backend.location)
                return False
            self._backend.publish(staged, name, meta)
            if event is not None:
                self._log_or_undo(
                    event,
                    change,
                    f"imported version {name}",
                    undo=lambda: self._backend.delete_version(name),
                )
        return True


@contextlib.contextmanager
def _as_archive(src: Path) -> Iterator[Path]:
    """`src` itself, or an unpacked archive packed again (a server takes archives only)."""
    if not src.is_dir():
        yield src
        return
    with tempfile.TemporaryDirectory(prefix="modelreg-pack-") as tmp:
        staged = Path(tmp) / "version"
        meta = read_folder(src, staged)  # checked here, so the server gets what was checked
        yield write_archive(
            Path(tmp) / f"{meta['version']}.tar.gz",
            meta,
            lambda filename: open(staged / filename, "rb"),  # noqa: SIM115 - closed by the writer
        )
