"""Tags set and removed after registration: validated, audited, filtered, the rest untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from ... import InvalidInputError, ModelRegistry
from ..support import Clock, Open, registered


@pytest.fixture
def tagged(backend_factory: Open, clock: Clock) -> tuple[ModelRegistry, list[str]]:
    registry = backend_factory()
    a, b, c = registered(registry, clock)
    registry.set_tags(a, {"owner": "alice", "dataset": "v3"}, reason="handover")
    registry.set_tags(b, {"owner": "alice", "dataset": "v2"})
    registry.set_tags(c, {"owner": "bob"})
    return registry, [a, b, c]


def test_tags_filter_listings(
    tagged: tuple[ModelRegistry, list[str]], backend_factory: Open
) -> None:
    _, (a, b, c) = tagged
    reader = backend_factory()
    assert [v.version for v in reader.list_versions(tags={"owner": "alice"})] == [b, a]
    found = reader.list_versions(tags={"owner": "alice", "dataset": "v3"})
    assert [(v.version, v.tags) for v in found] == [(a, {"owner": "alice", "dataset": "v3"})]
    assert reader.list_versions(tags={"owner": "carol"}) == []
    assert [v.version for v in reader.list_versions(tags={"owner": "alice"}, limit=1)] == [b]
    assert [
        v.version for v in reader.list_versions(tags={"owner": "bob"}, status="registered")
    ] == [c]


def test_editing_tags_keeps_the_registration_record(
    tagged: tuple[ModelRegistry, list[str]], backend_factory: Open
) -> None:
    registry, (a, _, _) = tagged
    before = backend_factory().stored_metadata(a)
    assert before is not None
    now = registry.edit_tags(a, set_tags={"owner": "carol"}, remove=["dataset"], reason="moved")
    assert now == {"owner": "carol"}
    after = backend_factory().stored_metadata(a)
    assert after is not None and after["tags"] == {"owner": "carol"}
    assert {k: v for k, v in after.items() if k != "tags"} == {
        k: v for k, v in before.items() if k != "tags"
    }
    assert registry.remove_tags(a, ["owner", "absent"]) == {}
    info = backend_factory().get_version_info(a)
    assert info is not None and "tags" not in info
    assert backend_factory().list_versions(tags={"owner": "carol"}) == []
    loaded = backend_factory().load_version(a)  # the artifacts' hashes still hold
    assert loaded is not None


def test_every_tag_edit_is_in_the_log(tagged: tuple[ModelRegistry, list[str]]) -> None:
    registry, (a, b, _) = tagged
    registry.remove_tags(a, ["dataset"], reason="stale")
    registry.set_tags(b, {"owner": "alice"})  # no change: nothing logged
    edits = [e for e in registry.events() if e.action == "tag"]
    assert [(e.version, e.reason, e.details) for e in edits] == [
        (a, "handover", {"set": {"owner": "alice", "dataset": "v3"}, "removed": []}),
        (b, None, {"set": {"owner": "alice", "dataset": "v2"}, "removed": []}),
        (edits[2].version, None, {"set": {"owner": "bob"}, "removed": []}),
        (a, "stale", {"set": {}, "removed": ["dataset"]}),
    ]
    assert all(e.user for e in edits)


def test_tags_follow_an_alias(tagged: tuple[ModelRegistry, list[str]]) -> None:
    registry, (_, b, _) = tagged
    registry.promote(b, channel="champion")
    assert registry.set_tags("@champion", {"stage": "live"})["stage"] == "live"
    assert [v.version for v in registry.list_versions(tags={"stage": "live"})] == [b]


@pytest.mark.parametrize(
    ("tags", "problem"),
    [
        ({"": "x"}, "invalid tag key"),
        ({"1owner": "x"}, "invalid tag key"),
        ({"own er": "x"}, "invalid tag key"),
        ({"k" * 65: "x"}, "invalid tag key"),
        ({"owner": ""}, "1 to 256"),
        ({"owner": "x" * 257}, "1 to 256"),
        ({"owner": 3}, "1 to 256"),
        ({"owner": "a\nb"}, "control character"),
        ({f"k{i}": "v" for i in range(65)}, "at most 64"),
    ],
)
def test_bad_tags_are_refused_before_anything_is_written(
    tagged: tuple[ModelRegistry, list[str]], tags: dict, problem: str
) -> None:
    registry, (a, _, _) = tagged
    count = len(registry.events())
    with pytest.raises(InvalidInputError, match=problem):
        registry.set_tags(a, tags)
    with pytest.raises(InvalidInputError, match="tag"):
        registry.list_versions(tags=tags)
    assert len(registry.events()) == count


def test_tagging_a_missing_version(backend_factory: Open) -> None:
    from ... import VersionNotFoundError

    registry = backend_factory()
    with pytest.raises(VersionNotFoundError):
        registry.set_tags("20200101_000000", {"owner": "alice"})
    with pytest.raises(VersionNotFoundError):
        registry.set_tags("@champion", {"owner": "alice"})


def test_tags_travel_in_an_export(tagged: tuple[ModelRegistry, list[str]], tmp_path: Path) -> None:
    registry, (a, _, _) = tagged
    archive = registry.export_version(a, tmp_path / "tagged.tar.gz")
    other = ModelRegistry(tmp_path / "other")
    assert other.import_version(archive) == a
    found = other.list_versions(tags={"owner": "alice", "dataset": "v3"})
    assert [(v.version, v.tags) for v in found] == [(a, {"owner": "alice", "dataset": "v3"})]
