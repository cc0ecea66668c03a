"""Writers on separate handles at the same moment: distinct names, nothing lost, on every backend.

Processes against PostgreSQL are in tests/sql/test_writers.py; here threads suffice to race
each backend's own guard (a lock file, a database transaction, a server).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ... import ModelRegistry
from ..support import Clock, Open, make_result


def test_simultaneous_registrations_get_distinct_names(backend_factory: Open, clock: Clock) -> None:
    handles = [backend_factory() for _ in range(4)]

    def register_three(registry: ModelRegistry) -> list[str]:
        return [registry.register(make_result(seed)) for seed in range(3)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        names = [n for batch in pool.map(register_three, handles) for n in batch]
    expected = ["20260126_103000"] + [f"20260126_103000_{n}" for n in range(2, 13)]
    assert sorted(names) == sorted(expected)
    reader = backend_factory()
    assert sorted(v.version for v in reader.list_versions()) == sorted(expected)
    logged = [e.version or "" for e in reader.events() if e.action == "register"]
    assert sorted(logged) == sorted(expected)
