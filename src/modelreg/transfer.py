"""Moving versions between registries: the facade's export, import and adopt methods.

A base of `ModelRegistry`, kept apart so the facade module stays readable. Like the rest of
the facade it checks arguments and resolves `latest`; the work is the operations' (import
and adopt) or the archive writer's (export).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .archive import write_archive
from .errors import VersionNotFoundError
from .operations import Operations
from .versions import validate_version

__all__ = ["TransferMethods"]

log = logging.getLogger("modelreg")


class TransferMethods:
    """`export_version`, `import_version` and `adopt_version` of `ModelRegistry`."""

    _ops: Operations

    if TYPE_CHECKING:  # ModelRegistry's own

        @property
        def location(self) -> str: ...

        def stored_metadata(self, version: str) -> dict[str, Any] | None: ...

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
        meta = self.stored_metadata(version)
        if meta is None:
            raise VersionNotFoundError(
                f"cannot export: version {version} not found in {self.location}",
                version=version,
            )
        name = str(meta["version"])
        path = write_archive(
            Path(dest),
            meta,
            lambda filename: self._ops.open_artifact(name, filename),
            overwrite=overwrite,
            progress=progress,
        )
        log.info("exported version %s of %s to %s", name, self.location, path)
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
        return self._ops.import_version(Path(src), progress=progress, max_bytes=max_bytes).version

    def adopt_version(self, folder: Path, metadata: Mapping[str, Any]) -> bool:
        """Publish a copy of another registry's version under its own name (`migrate`).

        `metadata` is kept as it is (name, dates, status, hashes); the files are checked
        against its hashes first. Returns False when the same version is here already; a
        different version holding the name is a VersionExistsError. No event is logged: the
        caller copies the source's history with it.
        """
        validate_version(metadata.get("version"), allow_latest=False)
        return self._ops.adopt(Path(folder), metadata)
