"""The shipped primitive-level suite on every backend, the in-memory one included.

A registry server has no primitives (its client is `RemoteOperations`): it is checked by
the facade-level suite only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from memory_backend import MemoryBackend, MemoryStore
from modelreg.backends import Backend
from modelreg.testing import BackendContract

from .conftest import FACTORIES

_STORES = [
    pytest.param(name, marks=marks)
    for name, (_, marks) in FACTORIES.items()
    if name not in ("remote", "memory")
]


@pytest.fixture(params=[*_STORES, "memory"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        yield MemoryBackend(MemoryStore())
        return
    factory, _marks = FACTORIES[request.param]
    target = factory(request, tmp_path)
    yield target.open().backend
    target.open.close_all()


class TestBackends(BackendContract):
    """Every rule of `Backend`'s docstrings, on each backend."""
