"""`import_version` of an unpacked archive: a folder holding metadata.json beside the artifacts.

Importers from other registries hand versions over this way; the checks are the archive's.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from conftest import make_result
from modelreg import ModelRegistry
from modelreg.errors import IntegrityError, InvalidInputError


def _unpacked(tmp_path: Path, *, promote: bool = False) -> tuple[ModelRegistry, Path, str]:
    source = ModelRegistry(tmp_path / "a")
    name = source.register(make_result(), data_range={"start": "2025-01-01", "end": "2025-06-30"})
    if promote:
        source.promote(name)
    archive = source.export_version(name, tmp_path / "v.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    return source, tmp_path / "unpacked" / name, name


def test_a_folder_imports_like_its_archive(tmp_path: Path) -> None:
    source, folder, name = _unpacked(tmp_path, promote=True)
    dest = ModelRegistry(tmp_path / "b")
    seen: list[int] = []
    assert dest.import_version(folder, progress=seen.append) == name
    assert sum(seen) == sum(r["bytes"] for r in source.stored_metadata(name)["files"].values())
    ours, theirs = dest.stored_metadata(name), source.stored_metadata(name)
    assert ours is not None and theirs is not None
    for key in ("metrics", "files", "registered_at", "training_date", "lineage", "data_range"):
        assert ours[key] == theirs[key], key
    assert ours["deployment_status"] == "registered"
    assert [(e.action, e.details) for e in dest.events()] == [("import", {"folder": name})]
    assert dest.import_version(folder) == name  # the same version again: a no-op
    assert len(dest.events()) == 1
    assert dest.load_version(name) is not None


def test_the_lineage_source_is_named_in_the_audit_log(tmp_path: Path) -> None:
    _, folder, name = _unpacked(tmp_path)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["lineage"]["source"] = {"system": "mlflow", "model": "churn", "version": "3"}
    (folder / "metadata.json").write_text(json.dumps(meta))
    (folder / "modelreg-archive.json").unlink()  # optional for a folder
    dest = ModelRegistry(tmp_path / "b")
    dest.import_version(folder)
    assert dest.events()[0].details == {"folder": name, "source": meta["lineage"]["source"]}


def test_a_changed_artifact_or_an_extra_file_imports_nothing(tmp_path: Path) -> None:
    _, folder, _ = _unpacked(tmp_path)
    dest = ModelRegistry(tmp_path / "b")
    (folder / "notes.txt").write_text("not in the metadata")
    with pytest.raises(IntegrityError, match=r"records no such file"):
        dest.import_version(folder)
    (folder / "notes.txt").unlink()
    model = folder / "model.pkl"
    model.write_bytes(b"x" * model.stat().st_size)
    with pytest.raises(IntegrityError, match="does not match its recorded sha256"):
        dest.import_version(folder)
    assert dest.list_versions() == []


def test_links_and_a_misnamed_folder_are_refused(tmp_path: Path) -> None:
    _, folder, _ = _unpacked(tmp_path)
    dest = ModelRegistry(tmp_path / "b")
    (folder / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(InvalidInputError, match="link"):
        dest.import_version(folder)
    (folder / "passwd").unlink()
    renamed = folder.rename(folder.with_name("elsewhere"))
    with pytest.raises(InvalidInputError, match="does not match version"):
        dest.import_version(renamed)
    assert dest.list_versions() == []
