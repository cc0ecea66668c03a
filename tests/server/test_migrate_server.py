"""`migrate` to and from a `modelreg server`: the same copy as between two local registries."""

from __future__ import annotations

from pathlib import Path

from clock import Clock
from conftest import source_registry
from modelreg import ModelRegistry
from modelreg.migration import migrate

from .support import ADMIN_TOKEN, running_server


def _state(registry: ModelRegistry) -> tuple:
    versions = registry.list_versions()
    return (
        [(v.version, v.deployment_status, v.registered_at) for v in versions],
        {v.version: registry.stored_metadata(v.version) for v in versions},
        registry.channels(),
        [e.to_dict() for e in registry.events()],
    )


def test_to_a_server_and_back(tmp_path: Path, clock: Clock) -> None:
    names = source_registry(tmp_path / "models", clock)
    served = ModelRegistry(tmp_path / "served")
    source = ModelRegistry(tmp_path / "models")
    with running_server(served) as url:
        reports = migrate(tmp_path / "models", url, dest_options={"token": ADMIN_TOKEN})
        assert [r.model for r in reports] == ["default", "eth"]
        assert [r.copied for r in reports] == [names[:3], names[3:]]
        assert reports[0].pointers == {"production": names[0], "staging": names[2]}
        assert _state(served) == _state(source)
        assert _state(served.for_model("eth")) == _state(source.for_model("eth"))
        assert served.verify().ok

        again = migrate(tmp_path / "models", url, dest_options={"token": ADMIN_TOKEN})
        assert [(r.copied, r.events, r.pointers) for r in again] == [([], 0, {})] * 2

        back = migrate(url, tmp_path / "back", source_options={"token": ADMIN_TOKEN})
        assert [r.copied for r in back] == [names[:3], names[3:]]
    assert _state(ModelRegistry(tmp_path / "back")) == _state(source)
    assert ModelRegistry(tmp_path / "back", trust_pickle=True).load_version() is not None
