"""The folder's model record (`.model/metadata.json`): absent in a registry made before it,
a damaged one is corrupt (never "nothing set"), and writing it leaves the index's fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelreg import CorruptVersionError, ModelRegistry
from modelreg.testing import make_result


def test_an_older_registry_has_an_empty_record(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    registry.register(make_result(0))
    assert not (tmp_path / "models" / ".model").exists()
    assert registry.model_info() == {"model": "default", "description": None, "tags": {}}


@pytest.mark.parametrize("damage", [b"{not json", b"[1, 2]", b"\xff\xfe", b"{}" + b" " * (1 << 20)])
def test_a_damaged_record_is_corrupt(tmp_path: Path, damage: bytes) -> None:
    registry = ModelRegistry(tmp_path / "models")
    registry.describe_model("before")
    record = tmp_path / "models" / ".model" / "metadata.json"
    record.write_bytes(damage)
    with pytest.raises(CorruptVersionError, match=r"metadata\.json"):
        registry.model_info()
    with pytest.raises(CorruptVersionError):
        registry.describe_model("after")
    assert record.read_bytes() == damage  # nothing written over it


def test_a_hand_edited_record_of_another_shape_reads_as_nothing_set(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    registry.describe_model("before")
    record = tmp_path / "models" / ".model" / "metadata.json"
    record.write_text('{"description": 42, "tags": ["x"]}', encoding="utf-8")
    assert registry.model_info() == {"model": "default", "description": None, "tags": {}}


def test_writing_the_record_keeps_the_root_unchanged(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    registry.register(make_result(0))
    registry.describe_model("first")  # creates .model/ once
    root = tmp_path / "models"
    before = root.stat().st_mtime_ns, root.stat().st_nlink
    registry.describe_model("second")
    registry.set_model_tags({"team": "fx"})
    assert (root.stat().st_mtime_ns, root.stat().st_nlink) == before
