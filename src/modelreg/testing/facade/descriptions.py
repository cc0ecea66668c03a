"""Descriptions of a version and of the model, and the model's own tags: edited after
registration, validated, audited (the log versions them), the registration record untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from ... import InvalidInputError, ModelRegistry, TextTooLongError, VersionNotFoundError
from ...descriptions import MAX_DESCRIPTION
from ..support import Clock, Open, make_result, registered

_MARKDOWN_ATTACK = (
    "# Notes\n<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))"
)


def test_a_description_is_edited_beside_the_registration(
    backend_factory: Open, clock: Clock
) -> None:
    registry = backend_factory()
    a, b, _ = registered(registry, clock)
    before = backend_factory().stored_metadata(a)
    assert before is not None and "description" not in before
    assert registry.describe_version(a, "## Ridge\r\nTrained on **v3**.\n\n") == (
        "## Ridge\nTrained on **v3**."
    )
    registry.promote(b, channel="champion")
    assert (
        registry.describe_version("@champion", _MARKDOWN_ATTACK, reason="review")
        == _MARKDOWN_ATTACK
    )
    reader = backend_factory()
    after = reader.stored_metadata(a)
    assert after is not None and after["description"] == "## Ridge\nTrained on **v3**."
    assert {k: v for k, v in after.items() if k != "description"} == before
    info = reader.get_version_info(b)
    assert info is not None and info["description"] == _MARKDOWN_ATTACK  # stored as written
    assert reader.load_version(a) is not None  # the artifacts' hashes still hold
    assert registry.describe_version(a, None) is None
    cleared = reader.stored_metadata(a)
    assert cleared is not None and "description" not in cleared


def test_the_log_versions_every_description(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    (a,) = registered(registry, clock, count=1)
    registry.describe_version(a, "first")
    registry.describe_version(a, "first")  # no change: nothing logged
    registry.describe_version(a, "second", reason="more detail")
    registry.describe_version(a, "")
    edits = [e for e in backend_factory().events() if e.action == "describe"]
    assert [(e.version, e.reason, e.details) for e in edits] == [
        (a, None, {"description": "first", "previous": None}),
        (a, "more detail", {"description": "second", "previous": "first"}),
        (a, None, {"description": None, "previous": "second"}),
    ]
    assert all(e.user for e in edits)


def test_registration_may_bring_the_first_description(backend_factory: Open) -> None:
    registry = backend_factory()
    version = registry.register(make_result(0), metadata_extra={"description": "from MLflow"})
    registry.describe_version(version, "edited")
    (edit,) = [e for e in registry.events() if e.action == "describe"]
    assert edit.details == {"description": "edited", "previous": "from MLflow"}
    with pytest.raises(TextTooLongError):
        registry.register(make_result(1), metadata_extra={"description": "x" * 20_001})
    with pytest.raises(InvalidInputError, match="is text"):
        registry.register(make_result(1), metadata_extra={"description": {"nested": 1}})


@pytest.mark.parametrize(
    ("text", "error", "problem"),
    [
        ("x" * (MAX_DESCRIPTION + 1), TextTooLongError, "at most 20000 characters"),
        ("a\x00b", InvalidInputError, "U\\+0000"),
        ("a\x1b[31mred", InvalidInputError, "U\\+001B"),
        ("a\u202eb", InvalidInputError, "U\\+202E"),
        (42, InvalidInputError, "is text"),
    ],
)
def test_bad_descriptions_are_refused_before_anything_is_written(
    backend_factory: Open, clock: Clock, text: object, error: type, problem: str
) -> None:
    registry = backend_factory()
    (a,) = registered(registry, clock, count=1)
    count = len(registry.events())
    with pytest.raises(error, match=problem):
        registry.describe_version(a, text)  # type: ignore[arg-type]
    with pytest.raises(error, match=problem):
        registry.describe_model(text)  # type: ignore[arg-type]
    assert len(registry.events()) == count
    assert "description" not in (registry.stored_metadata(a) or {})
    assert registry.model_info()["description"] is None


def test_the_longest_description_is_kept_whole(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    (a,) = registered(registry, clock, count=1)
    text = ("é" + "x" * 99) * (MAX_DESCRIPTION // 100)
    assert registry.describe_version(a, text) == text
    assert (backend_factory().stored_metadata(a) or {})["description"] == text


def test_describing_a_missing_version(backend_factory: Open) -> None:
    registry = backend_factory()
    with pytest.raises(VersionNotFoundError):
        registry.describe_version("20200101_000000", "text")
    with pytest.raises(VersionNotFoundError, match="no champion version yet"):
        registry.describe_version("@champion", "text")


def test_the_model_has_its_own_description_and_tags(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    assert registry.model_info() == {"model": registry.model, "description": None, "tags": {}}
    registered(registry, clock, count=1)
    assert registry.describe_model("Next-day **direction**.", reason="new") == (
        "Next-day **direction**."
    )
    assert registry.set_model_tags({"team": "fx", "owner": "alice"}) == {
        "team": "fx",
        "owner": "alice",
    }
    assert registry.remove_model_tags(["owner", "absent"], reason="left") == {"team": "fx"}
    assert backend_factory().model_info() == {
        "model": registry.model,
        "description": "Next-day **direction**.",
        "tags": {"team": "fx"},
    }
    model_edits = [e for e in registry.events() if e.action in ("describe", "tag")]
    assert [(e.action, e.version, e.reason) for e in model_edits] == [
        ("describe", None, "new"),
        ("tag", None, None),
        ("tag", None, "left"),
    ]
    assert model_edits[2].details == {"set": {}, "removed": ["owner"]}
    with pytest.raises(InvalidInputError, match="invalid tag key"):
        registry.set_model_tags({"1bad": "x"})
    assert backend_factory().model_info()["tags"] == {"team": "fx"}


def test_each_model_keeps_its_own_record(backend_factory: Open, clock: Clock) -> None:
    registry = backend_factory()
    registered(registry, clock, count=1)
    registry.describe_model("the default one")
    other = backend_factory(model="other")
    other.register(make_result(0))
    other.set_model_tags({"team": "rates"})
    assert backend_factory().model_info()["tags"] == {}
    assert backend_factory(model="other").model_info() == {
        "model": "other",
        "description": None,
        "tags": {"team": "rates"},
    }


def test_a_description_travels_in_an_export(
    backend_factory: Open, clock: Clock, tmp_path: Path
) -> None:
    registry = backend_factory()
    (a,) = registered(registry, clock, count=1)
    registry.describe_version(a, _MARKDOWN_ATTACK)
    archive = registry.export_version(a, tmp_path / "described.tar.gz")
    other = ModelRegistry(tmp_path / "other")
    assert other.import_version(archive) == a
    assert (other.stored_metadata(a) or {})["description"] == _MARKDOWN_ATTACK
