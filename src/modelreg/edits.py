"""`set_tags`, `remove_tags` and `edit_tags` of `ModelRegistry`: edits beside the registration.

What registration recorded stays as it was; an edit changes only its own key and is one event
in the audit log (who, when, why, what changed), so the log versions every edit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .errors import VersionNotFoundError
from .operations import Operations
from .tags import validate_tag_keys, validate_tags

__all__ = ["EditMethods"]


class EditMethods:
    """The metadata edits of `ModelRegistry`."""

    _ops: Operations

    if TYPE_CHECKING:  # ModelRegistry's own

        def _resolve(self, version: str) -> str | None: ...

        def describe_missing(self, version: str) -> str: ...

    def set_tags(
        self, version: str, tags: Mapping[str, str], *, reason: str | None = None
    ) -> dict[str, str]:
        """Set key=value tags on a version (or an alias's); returns all its tags now.

        Registration's record is untouched; the edit, who and why, is a `tag` event.
        """
        return self.edit_tags(version, set_tags=tags, reason=reason)

    def remove_tags(
        self, version: str, keys: Sequence[str], *, reason: str | None = None
    ) -> dict[str, str]:
        """Remove tags by key (absent keys are no error); returns the tags left."""
        return self.edit_tags(version, remove=keys, reason=reason)

    def edit_tags(
        self,
        version: str,
        *,
        set_tags: Mapping[str, str] | None = None,
        remove: Sequence[str] = (),
        reason: str | None = None,
    ) -> dict[str, str]:
        """Set and remove tags in one audited edit (the CLI and the server's one call)."""
        if isinstance(remove, str):
            remove = [remove]
        checked, keys = validate_tags(set_tags), validate_tag_keys(remove)
        name = self._resolve(version)
        if name is None:
            raise VersionNotFoundError(f"cannot tag: {self.describe_missing(version)}")
        return self._ops.edit_tags(name, set_tags=checked, remove=keys, reason=reason)
