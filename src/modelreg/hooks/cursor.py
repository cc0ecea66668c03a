"""A hook's durable state: how far it has delivered in each model's log, and how it went.

One JSON file per hook in the state folder, replaced atomically after each delivery: the
event is sent first, then the cursor moves past it. A crash between the two sends that event
again after the restart (at least once, never lost); a clean stop never does, since the
dispatcher finishes the call in flight and records it before it exits. The cursor keeps the
fingerprint of the event it stopped after, so a log that is not the one it read (a registry
recreated at the same place) is noticed, not silently skipped or replayed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import _fsutil
from .._json_text import loads
from ..errors import CorruptVersionError

__all__ = ["Attempt", "HookState", "Position"]


@dataclass(frozen=True)
class Position:
    """Delivered up to `sequence` of a model's log (0: nothing yet); `fingerprint` is of
    the event at that sequence."""

    sequence: int = 0
    fingerprint: str | None = None


@dataclass(frozen=True)
class Attempt:
    """A delivery's outcome, for the status: when, which event, and what went wrong if it did."""

    at: str
    event: str
    status: int | None = None
    error: str | None = None


@dataclass
class HookState:
    """What the state file of one hook holds."""

    positions: dict[str, Position] = field(default_factory=dict)
    last_success: Attempt | None = None
    last_error: Attempt | None = None
    delivered: int = 0

    @classmethod
    def load(cls, path: Path) -> HookState:
        """The state at `path`; an empty one when it does not exist yet."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls()
        try:
            data = loads(raw)
            return cls(
                positions={m: Position(**p) for m, p in data.get("positions", {}).items()},
                last_success=_attempt(data.get("last_success")),
                last_error=_attempt(data.get("last_error")),
                delivered=int(data.get("delivered", 0)),
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise CorruptVersionError(
                f"webhook state {path.name} cannot be read ({exc}); the hook waits. Move the "
                "file away to start that hook again from the end of the log",
                path=path.name,
            ) from exc

    def save(self, path: Path) -> None:
        """Replace the file atomically and durably: a crash leaves the old state or the new."""
        data: dict[str, Any] = {
            "positions": {m: asdict(p) for m, p in sorted(self.positions.items())},
            "last_success": asdict(self.last_success) if self.last_success else None,
            "last_error": asdict(self.last_error) if self.last_error else None,
            "delivered": self.delivered,
        }
        _fsutil.atomic_write_bytes(path, json.dumps(data, indent=1, sort_keys=True).encode())


def _attempt(data: Any) -> Attempt | None:
    return None if data is None else Attempt(**data)
