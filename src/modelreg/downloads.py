"""Serving a version's files: the facade's `open_registered`.

A base of `ModelRegistry`, kept apart so the facade module stays readable. A download needs a
registered artifact's bytes and the sha256 its client will check them against; where the
registry lives decides how cheaply both are found (a catalog: one statement for the row, then
the blob), never which names are reachable: only those the version registered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .backends.base import OpenedArtifact
from .errors import InvalidInputError, VersionNotFoundError
from .operations import Operations
from .versions import validate_artifact_name, validate_version

__all__ = ["DownloadMethods", "OpenedArtifact"]


class DownloadMethods:
    """`open_registered` of `ModelRegistry`."""

    _ops: Operations

    if TYPE_CHECKING:  # ModelRegistry's own

        def _resolve(self, version: str) -> str | None: ...

        def describe_missing(self, version: str) -> str: ...

    def open_registered(self, version: str, filename: str) -> OpenedArtifact:
        """One of a version's registered files, opened, with its registered sha256 and size.

        `latest` is production. Only names in the version's `files` are reachable, and a name
        the artifact-name rule refuses was never registered: both are VersionNotFoundError,
        as is a version that does not exist. The caller closes `handle`.
        """
        name = self._resolve(validate_version(version))
        if name is None:
            raise VersionNotFoundError(self.describe_missing(version), version=version)
        try:
            validate_artifact_name(filename)
        except InvalidInputError:
            raise VersionNotFoundError(
                f"version {name} has no file {filename!r}", version=name
            ) from None
        return self._ops.open_registered(name, filename)
