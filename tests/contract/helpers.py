"""What contract tests need beyond the public API: a clock, and a way to damage stored bytes."""

from __future__ import annotations

from memory_backend import MemoryBackend
from modelreg import ModelRegistry
from modelreg.backends.local import LocalBackend
from modelreg.operations.remote import RemoteOperations


def damage_artifact(
    registry: ModelRegistry, version: str, filename: str, *, cached_copies: bool = True
) -> None:
    """Overwrite one stored artifact's bytes where the backend keeps them.

    A backend with a download cache keeps a good copy on the machine that wrote or loaded the
    version; `cached_copies` damages that too (as on a machine without one), else leaves it.
    """
    if isinstance(registry.operations, RemoteOperations):  # damage the registry it serves
        from server.support import served_at

        damage_artifact(served_at(registry.location), version, filename)
        return
    backend = registry.backend
    if isinstance(backend, MemoryBackend):
        backend.damage(version, filename)
        return
    if isinstance(backend, LocalBackend):
        (backend.location_of(version) / filename).write_bytes(b"tampered")
        return
    info = registry.get_version_info(version)
    assert info is not None
    sha256 = info["files"][filename]["sha256"]
    store = backend.artifact_store  # type: ignore[attr-defined]
    store.fs.pipe_file(store.key(sha256), b"tampered")
    cached = store.cache_dir / sha256[:2] / sha256
    if cached_copies and cached.exists():
        cached.write_bytes(b"tampered")
