"""`modelreg export` / `modelreg import`: a version moves between registries, checked."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest
from cli_support import model_file, register, run, run_json

from modelreg import ModelRegistry
from modelreg.errors import IntegrityError, InvalidInputError, VersionExistsError


def _source_registry(tmp_path: Path) -> tuple[Path, str]:
    models = tmp_path / "a"
    name = register(models, model_file(tmp_path / "src"), "rmse=0.01", "acc=0.6")
    run(models, "promote", name)
    return models, name


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
def test_round_trip_between_two_registries(tmp_path: Path, suffix: str) -> None:
    source, name = _source_registry(tmp_path)
    archive = tmp_path / f"exported{suffix}"
    out = run_json(source, "export", "latest", str(archive))
    assert out["version"] == name and out["archive"] == str(archive) and archive.is_file()
    assert zipfile.is_zipfile(archive) == (suffix == ".zip")
    target = tmp_path / "b"
    assert run_json(target, "import", "--create", str(archive)) == {
        "version": name,
        "registry": str(target),
        "imported": True,
    }
    a, b = ModelRegistry(source), ModelRegistry(target)
    info_a, info_b = a.get_version_info(name), b.get_version_info(name)
    assert info_a is not None and info_b is not None
    for key in ("metrics", "files", "registered_at", "training_date", "lineage"):
        assert info_b[key] == info_a[key], key
    assert info_b["deployment_status"] == "registered"  # production there, not here
    loaded = b.load_version(name)
    assert loaded is not None and loaded.model == {"coef": [0.5, -0.2]}
    assert [e.action for e in b.events()] == ["import"]
    assert (
        run(target, "import", "--create", str(archive), "--quiet").stdout.strip() == name
    )  # idempotent
    assert [e.action for e in b.events()] == ["import"]


def test_export_to_a_folder_names_the_archive(tmp_path: Path) -> None:
    source, name = _source_registry(tmp_path)
    (tmp_path / "out").mkdir()
    result = run(source, "export", name, str(tmp_path / "out"), "--quiet")
    assert result.stdout.strip() == str(tmp_path / "out" / f"{name}.tar.gz")
    again = run(source, "export", name, str(tmp_path / "out"), ok=False)
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert run(source, "export", name, str(tmp_path / "out"), "--force").exit_code == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == [f"{name}.tar.gz"]


def _rewrite_tar(archive: Path, change: dict[str, bytes]) -> None:
    """Repack `archive` with some members' bytes replaced (a tampered download)."""
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers() if m.isfile()]  # type: ignore[union-attr]
    with tarfile.open(archive, "w:gz") as tar:
        for member, data in members:
            data = change.get(member.name.split("/", 1)[1], data)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))


def test_tampered_artifact_is_refused_and_nothing_is_imported(tmp_path: Path) -> None:
    source, name = _source_registry(tmp_path)
    archive = tmp_path / "v.tar.gz"
    run(source, "export", name, str(archive))
    size = (source / name / "model.pkl").stat().st_size
    _rewrite_tar(archive, {"model.pkl": b"e" * size})  # same size, other bytes
    target = tmp_path / "b"
    result = run(target, "import", "--create", str(archive), ok=False)
    assert result.exit_code == 1
    assert "does not match its recorded sha256" in result.stderr
    assert ModelRegistry(target).list_versions() == []
    assert not list((target / ".staging").iterdir())


def test_tampered_metadata_is_refused(tmp_path: Path) -> None:
    source, name = _source_registry(tmp_path)
    archive = tmp_path / "v.tar.gz"
    run(source, "export", name, str(archive))
    with tarfile.open(archive) as tar:
        meta = json.loads(tar.extractfile(f"{name}/metadata.json").read())  # type: ignore[union-attr]
    meta["metrics"]["rmse"] = 0.0001
    _rewrite_tar(archive, {"metadata.json": json.dumps(meta).encode()})
    with pytest.raises(IntegrityError, match="manifest"):
        ModelRegistry(tmp_path / "b").import_version(archive)


def test_same_name_different_content_is_version_exists(tmp_path: Path) -> None:
    source, name = _source_registry(tmp_path)
    archive = tmp_path / "v.zip"
    run(source, "export", name, str(archive))
    other = ModelRegistry(tmp_path / "b")
    other.import_version(archive)
    stored = other.backend.read_metadata(name)
    assert stored is not None
    other.backend.write_metadata(name, {**stored, "metrics": {"rmse": 9.0}})
    with pytest.raises(VersionExistsError, match="different version"):
        other.import_version(archive)
    result = run(tmp_path / "b", "import", "--create", str(archive), ok=False)
    assert result.exit_code == 1 and "already has a different version" in result.stderr


@pytest.mark.parametrize(
    ("member", "why"),
    [
        ("../evil.txt", "outside"),
        ("/abs/evil.txt", "outside"),
        ("20260101_000000/x/../../evil", "outside"),
        ("other_folder/evil.txt", "more than one folder"),
    ],
)
def test_hostile_members_are_refused(tmp_path: Path, member: str, why: str) -> None:
    source, name = _source_registry(tmp_path)
    archive = tmp_path / "v.zip"
    run(source, "export", name, str(archive))
    with zipfile.ZipFile(archive, "a") as zipped:
        zipped.writestr(member.replace("20260101_000000", name), b"boom")
    with pytest.raises(InvalidInputError, match=why):
        ModelRegistry(tmp_path / "b").import_version(archive)
    assert not (tmp_path / "evil.txt").exists()


def test_links_are_refused(tmp_path: Path) -> None:
    source, name = _source_registry(tmp_path)
    archive = tmp_path / "v.tar.gz"
    run(source, "export", name, str(archive))
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
    with tarfile.open(archive, "w:gz") as tar:
        for m, data in members:
            tar.addfile(m, io.BytesIO(data))
        link = tarfile.TarInfo(f"{name}/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(InvalidInputError, match="link"):
        ModelRegistry(tmp_path / "b").import_version(archive)


def test_not_an_archive_and_truncated_archives(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"this is not an archive")
    result = run(tmp_path / "b", "import", "--create", str(junk), ok=False)
    assert result.exit_code == 2 and "not a modelreg archive" in result.stderr
    source, name = _source_registry(tmp_path)
    archive = tmp_path / "v.tar.gz"
    run(source, "export", name, str(archive))
    archive.write_bytes(archive.read_bytes()[:-40])
    result = run(tmp_path / "b", "import", "--create", str(archive), ok=False)
    assert result.exit_code == 1 and "damaged or truncated" in result.stderr


def test_export_refuses_a_corrupt_version(tmp_path: Path) -> None:
    source, name = _source_registry(tmp_path)
    (source / name / "model.pkl").write_bytes(b"bit rot")
    archive = tmp_path / "v.tar.gz"
    result = run(source, "export", name, str(archive), ok=False)
    assert result.exit_code == 1 and "nothing was exported" in result.stderr
    assert list(tmp_path.glob("*v.tar.gz*")) == []


def test_progress_is_reported_in_bytes(tmp_path: Path) -> None:
    source, name = _source_registry(tmp_path)
    seen: list[int] = []
    archive = ModelRegistry(source).export_version(
        name, tmp_path / "v.tar.gz", progress=seen.append
    )
    size = (source / name / "model.pkl").stat().st_size
    assert sum(seen) == size
    seen.clear()
    ModelRegistry(tmp_path / "b").import_version(archive, progress=seen.append)
    assert sum(seen) >= archive.stat().st_size


def test_nested_artifacts_survive_the_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    (folder / "weights" / "layer1").mkdir(parents=True)
    (folder / "weights" / "layer1" / "w.bin").write_bytes(b"\x00\x01" * 1000)
    model_file(folder)
    models = tmp_path / "a"
    name = register(models, folder, "rmse=0.1")
    archive = tmp_path / "v.zip"
    run(models, "export", name, str(archive))
    run(tmp_path / "b", "import", "--create", str(archive))
    copied = tmp_path / "b" / name / "weights" / "layer1" / "w.bin"
    assert copied.read_bytes() == b"\x00\x01" * 1000
    assert run_json(tmp_path / "b", "verify")["ok"] is True


def test_an_oversized_member_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    source, name = _source_registry(tmp_path)
    archive = tmp_path / "v.tar.gz"
    run(source, "export", name, str(archive))
    _rewrite_tar(archive, {"model.pkl": b"x" * 100_000})
    with pytest.raises(
        IntegrityError, match=r"holds model.pkl of 100000 bytes, but its metadata records \d+ bytes"
    ):
        ModelRegistry(tmp_path / "b").import_version(archive)


def test_importing_twice_says_already_present(tmp_path: Path) -> None:
    source, name = _source_registry(tmp_path)
    archive = tmp_path / "v.tar.gz"
    run(source, "export", name, str(archive))
    target = tmp_path / "b"
    first = run(target, "import", "--create", str(archive)).stdout
    assert first.startswith(f"Imported {name}")
    again = run(target, "import", str(archive)).stdout
    assert again.startswith(f"{name} is already present in {target}")
    assert run_json(target, "import", str(archive))["imported"] is False


def test_export_to_a_new_folder_creates_it(tmp_path: Path) -> None:
    source, name = _source_registry(tmp_path)
    folder = tmp_path / "exports" / "today"
    out = run_json(source, "export", name, f"{folder}/")
    assert out["archive"] == str(folder / f"{name}.tar.gz") and folder.is_dir()


def test_export_to_a_name_that_is_neither_says_so(tmp_path: Path) -> None:
    source, name = _source_registry(tmp_path)
    result = run(source, "export", name, str(tmp_path / "nowhere"), ok=False)
    assert result.exit_code == 2
    assert "end it with / to create a folder" in result.stderr
    assert not (tmp_path / "nowhere").exists()
